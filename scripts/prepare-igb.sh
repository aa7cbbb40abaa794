#!/usr/bin/env bash
# Extract the pristine upstream igb driver from Debian's linux-source-$KVER tarball (default: the
# lab's kernel, scripts/kver.sh) and apply that kernel's patch series (oe_series: driver/igb/patches
# with driver/igb/patches/$KVER/ backports, in name order, `patch -p1 -F0` from the tree root).
# Output: OUTDIR, default build/igb/ (flat: igb_main.c, igb.h, ... patched). Re-runs only when the
# series or the tarball changes. Usage: KVER=X.Y scripts/prepare-igb.sh [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/kver.sh"
kver=${KVER:-$OE_KVER_DEFAULT}
out=${1:-$root/build/igb}
oe_kver_supported "$kver" || { echo "prepare-igb: no igb series for $kver (have: $(oe_kvers | xargs))" >&2; exit 2; }
mapfile -t series < <(oe_series "$kver")

key=$( { echo "$kver"; dpkg-query -W -f '${Version}' "linux-source-$kver"; cat "${series[@]}" /dev/null; } | sha256sum | cut -c1-16)
[[ -f $out/.series-$key ]] && exit 0

pristine=$(oe_pristine_igb "$kver" "$root/build/pristine")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/drivers/net/ethernet/intel"
cp -r "$pristine/drivers/net/ethernet/intel/igb" "$tmp/drivers/net/ethernet/intel/"
for p in "${series[@]}"; do
	if ! patch -s -p1 -d "$tmp" --no-backup-if-mismatch -F0 < "$p"; then
		echo "prepare-igb: ${p#"$root"/} does not apply to pristine igb of linux-source-$kver" >&2
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"
cp "$tmp"/drivers/net/ethernet/intel/igb/*.[ch] "$out"/
touch "$out/.series-$key"
echo "prepare-igb: linux-source-$kver, $(ls "$out"/*.c | wc -l) files, ${#series[@]} patches applied -> $out" >&2
