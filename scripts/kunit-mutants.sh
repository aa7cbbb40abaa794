#!/usr/bin/env bash
# Build the igb_oe KUnit mutants: for every driver/igb/ktests/mutants/NAME.patch (the logic of a
# fix taken back out of its header: oe_classify.h, oe_session.h, oe_link.h, oe_counters.h), a small
# test module build/mutants/NAME/oe_mut_NAME.ko holding the suites igb_oe_classify and
# igb_oe_session compiled against the mutated header, plus build/mutants/control (no patch). The
# `mutants` guest scenario loads each one and checks that the cases the patch names fail (and none
# fail in the control): each fix's test is seen failing against the code before the fix.
# Usage: scripts/kunit-mutants.sh KDIR   (the igb tree build/igb must be prepared: make modules)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
igb=$root/build/igb
[[ -f $igb/e1000_defines.h ]] || { echo "mutants: $igb not prepared (make modules)" >&2; exit 2; }
out=$root/build/mutants
want=$(for p in control "$root"/driver/igb/ktests/mutants/*.patch; do basename "$p" .patch; done)
for d in "$out"/*/; do   # a mutant whose patch is gone goes too
	[[ -d $d ]] && ! grep -qx "$(basename "$d")" <<<"$want" && rm -rf "$d"
done
for p in control "$root"/driver/igb/ktests/mutants/*.patch; do
	name=$(basename "$p" .patch)
	d=$out/$name
	m=oe_mut_${name//-/_}
	# rebuilt only when its inputs or the kernel tree change
	key=$( { echo "$kdir"; cat "$root"/driver/igb/ktests/oe_{classify,session}_kunit.c \
		"$root"/driver/igb/oe_{classify,session,link,counters}.h "$igb/e1000_defines.h" "$0"; \
		[[ $p == control ]] || cat "$p"; } | sha256sum | cut -c1-16)
	[[ -f $d/$m.ko && -f $d/.key-$key ]] && continue
	rm -rf "$d"
	mkdir -p "$d"
	cp "$root"/driver/igb/ktests/oe_{classify,session}_kunit.c \
		"$root"/driver/igb/oe_{classify,session,link,counters}.h "$d/"
	if [[ $p != control ]]; then
		patch -s -p3 -d "$d" --no-backup-if-mismatch -F0 < "$p" ||
			{ echo "mutants: $name.patch does not apply to driver/igb (stale?)" >&2; exit 1; }
		cp "$p" "$d/mutant.patch"
	fi
	printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("igb_oe KUnit mutant %s");\n' \
		"$name" > "$d/mod.c"
	printf 'obj-m := %s.o\n%s-y := oe_classify_kunit.o oe_session_kunit.o mod.o\nccflags-y := -I$(src) -I%s\n' \
		"$m" "$m" "$igb" > "$d/Kbuild"
	make -C "$kdir" M="$d" -j"${OE_JOBS:-2}" modules > "$d/build.log" 2>&1 ||
		{ tail -20 "$d/build.log" >&2; echo "mutants: $name does not build" >&2; exit 1; }
	touch "$d/.key-$key"
done
echo "mutants: $(ls "$out" | wc -l) modules in $out" >&2
