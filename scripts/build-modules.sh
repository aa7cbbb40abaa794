#!/usr/bin/env bash
# Build igb_oe.ko and oe_kunit.ko out of tree against KDIR. modpost and objtool must be quiet: a
# warning there is a bug (a missing return thunk, an unannotated indirect call, an undefined
# symbol), so any "warning" line in the build output fails it.
set -euo pipefail
kdir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
log=$root/build/modules.log
mkdir -p "$root/build"
# OE_FIRE_PAD_INSNS=N (contract C3): igb_oe_pad.ko is built from wrappers of igb_oe's C sources
pad=${OE_FIRE_PAD_INSNS:-0}
[[ $pad =~ ^[0-9]+$ ]] || { echo "modules: OE_FIRE_PAD_INSNS must be a number, got '$pad'" >&2; exit 2; }
rm -f "$root"/igb_oe_pad.ko
if ((pad > 0)); then
	mkdir -p "$root/build/pad"
	for f in "$root"/build/igb/*.c "$root"/driver/igb/oe_*.c "$root"/runtime/oe_cxxrt.c; do
		rel=${f#"$root"/}
		line="#include \"../../$rel\""
		w=$root/build/pad/$(basename "$f")
		[[ -f $w && $(<"$w") == "$line" ]] || echo "$line" > "$w"
	done
fi
if ! make -C "$kdir" M="$root" -j"$(nproc)" OE_FIRE_PAD_INSNS="$pad" modules >"$log" 2>&1; then
	grep -E 'error|Error|warning' "$log" | head -40 >&2 || tail -40 "$log" >&2
	echo "modules: build failed (full log: $log)" >&2
	exit 1
fi
if grep -iE 'warning|objtool' "$log" >&2; then
	echo "modules: the build printed warnings (full log: $log); fix them" >&2
	exit 1
fi
ls "$root"/igb_oe.ko "$root"/oe_kunit.ko >/dev/null
if ((pad > 0)); then
	# also under the name that says its padding (scripts/experiment.py looks there)
	mkdir -p "$root/build/modules"
	cp "$root"/igb_oe_pad.ko "$root/build/modules/igb_oe-pad$pad.ko"
fi
