#!/usr/bin/env bash
# Extract the pristine upstream igb driver from Debian's linux-source-6.12 tarball and apply our
# patch series (driver/igb/patches/*.patch, in name order, `patch -p1` from the kernel tree root).
# Output: build/igb/ (flat: igb_main.c, igb.h, ... patched). Re-runs only when the series or the
# tarball changes. Usage: scripts/prepare-igb.sh [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/igb}
tarball=/usr/src/linux-source-6.12.tar.xz
series=("$root"/driver/igb/patches/*.patch)
[[ -e ${series[0]} ]] || series=()

key=$( { dpkg-query -W -f '${Version}' linux-source-6.12; cat "${series[@]}" /dev/null; } | sha256sum | cut -c1-16)
[[ -f $out/.series-$key ]] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" --strip-components=1 -xf "$tarball" --wildcards 'linux-source-6.12/drivers/net/ethernet/intel/igb/*'
pristine=$tmp/drivers/net/ethernet/intel/igb
for p in "${series[@]}"; do
	if ! patch -s -p1 -d "$tmp" --no-backup-if-mismatch -F0 < "$p"; then
		echo "prepare-igb: $(basename "$p") does not apply to pristine igb" >&2
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"
cp "$pristine"/*.[ch] "$out"/
touch "$out/.series-$key"
echo "prepare-igb: $(ls "$out"/*.c | wc -l) files, ${#series[@]} patches applied -> $out" >&2
