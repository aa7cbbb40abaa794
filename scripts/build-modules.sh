#!/usr/bin/env bash
# Build igb_oe.ko and oe_kunit.ko out of tree against KDIR. modpost and objtool must be quiet: a
# warning there is a bug (a missing return thunk, an unannotated indirect call, an undefined
# symbol), so any "warning" line in the build output fails it.
set -euo pipefail
kdir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
log=$root/build/modules.log
mkdir -p "$root/build"
if ! make -C "$kdir" M="$root" -j"$(nproc)" modules >"$log" 2>&1; then
	grep -E 'error|Error|warning' "$log" | head -40 >&2 || tail -40 "$log" >&2
	echo "modules: build failed (full log: $log)" >&2
	exit 1
fi
if grep -iE 'warning|objtool' "$log" >&2; then
	echo "modules: the build printed warnings (full log: $log); fix them" >&2
	exit 1
fi
ls "$root"/igb_oe.ko "$root"/oe_kunit.ko >/dev/null
