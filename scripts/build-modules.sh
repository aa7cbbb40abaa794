#!/usr/bin/env bash
# Build igb_oe.ko (and oe_kunit.ko where the kernel has KUnit) out of tree against KDIR: the lab's
# guest kernel of either supported version, or any kernel's headers (make install-host). The igb
# series is the one for KDIR's own X.Y (scripts/kver.sh). modpost and objtool must be quiet: a
# warning there is a bug (a missing return thunk, an unannotated indirect call, an undefined
# symbol), so any "warning" line in the build output fails it.
# Usage: scripts/build-modules.sh KDIR     -> builds, prints nothing on success
#        scripts/build-modules.sh --objdir KDIR  -> where that tree's modules are (oe_module_objdir)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/kver.sh"
if [[ ${1:-} == --objdir ]]; then
	oe_module_objdir "$2"
	exit 0
fi
kdir=$1
kver=$(oe_tree_kver "$kdir")
[[ -n $kver ]] || { echo "modules: $kdir is not a prepared kernel tree (no kernel release in it)" >&2; exit 2; }
oe_kver_supported "$kver" || { echo "modules: kernel $kver has no igb_oe series (supported: $(oe_kvers | xargs))" >&2; exit 2; }
objdir=$(oe_module_objdir "$kdir")

# Sources Kbuild compiles, copied with their times (so Kbuild rebuilds exactly what changed); a
# source deleted in the repository goes from the copy too. Objects never come along.
sync_sources() {
	local dst=$1 want have
	want=$(cd "$root" && { echo Kbuild; ls scripts/kernel-cxxflags.sh scripts/check-cxx-object.sh; \
		find driver/igb strategy/src strategy/include strategy/ktests tcp/src tcp/include \
		tcp/ktests runtime kunit -path driver/igb/patches -prune -o -type f \
		\( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.txt' \) -print; } | sort)
	mkdir -p "$dst"
	have=$(cd "$dst" && find . -path ./build -prune -o -type f \
		\( -name Kbuild -o -name '*.sh' -o -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.txt' \) \
		-print | sed 's|^\./||' | { grep -v '\.mod\.c$' || true; } | sort)
	comm -13 <(echo "$want") <(echo "$have") | (cd "$dst" && xargs -r rm -f --)
	(cd "$root" && echo "$want" | tar -cf - -T -) | tar -C "$dst" -xf -
	mkdir -p "$dst/build/gen"
	[[ ! -f $root/build/gen/oe_kunit_suites.h ]] ||
		cmp -s "$root/build/gen/oe_kunit_suites.h" "$dst/build/gen/oe_kunit_suites.h" ||
		cp -p "$root/build/gen/oe_kunit_suites.h" "$dst/build/gen/"
}
[[ $objdir == "$root" ]] || sync_sources "$objdir"
KVER=$kver bash "$root/scripts/prepare-igb.sh" "$objdir/build/igb"

log=$objdir/build/modules.log
mkdir -p "$objdir/build"
# OE_FIRE_PAD_INSNS=N (contract C3): igb_oe_pad.ko is built from wrappers of igb_oe's C sources
pad=${OE_FIRE_PAD_INSNS:-0}
[[ $pad =~ ^[0-9]+$ ]] || { echo "modules: OE_FIRE_PAD_INSNS must be a number, got '$pad'" >&2; exit 2; }
rm -f "$objdir"/igb_oe_pad.ko
if ((pad > 0)); then
	mkdir -p "$objdir/build/pad"
	for f in "$objdir"/build/igb/*.c "$objdir"/driver/igb/oe_*.c "$objdir"/runtime/oe_cxxrt.c; do
		rel=${f#"$objdir"/}
		line="#include \"../../$rel\""
		w=$objdir/build/pad/$(basename "$f")
		[[ -f $w && $(<"$w") == "$line" ]] || echo "$line" > "$w"
	done
fi
if ! make -C "$kdir" M="$objdir" -j"${OE_JOBS:-$(nproc)}" OE_FIRE_PAD_INSNS="$pad" modules >"$log" 2>&1; then
	grep -E 'error|Error|warning' "$log" | head -40 >&2 || tail -40 "$log" >&2
	echo "modules: build failed against $kdir (full log: $log)" >&2
	exit 1
fi
if grep -iE 'warning|objtool' "$log" | grep -v -- 'forced in submake: resetting jobserver' >&2; then
	echo "modules: the build printed warnings (full log: $log); fix them" >&2
	exit 1
fi
ls "$objdir"/igb_oe.ko >/dev/null
! grep -q '^CONFIG_KUNIT=[ym]' "$kdir/.config" || ls "$objdir"/oe_kunit.ko >/dev/null
if ((pad > 0)); then
	ls "$objdir"/igb_oe_pad.ko >/dev/null
	# also under the name that says its padding (scripts/experiment.py looks there)
	mkdir -p "$root/build/modules"
	cp "$objdir"/igb_oe_pad.ko "$root/build/modules/igb_oe-pad$pad.ko"
fi
