#!/usr/bin/env bash
# Host-side check of the igb patch series for every supported kernel (scripts/kver.sh), cheap
# enough for every `make test` (the pristine trees are extracted once per package version):
#   - each backport in driver/igb/patches/X.Y/ names a patch of the series and that patch's current
#     hash (Backport-of:), so changing a patch without re-porting it fails here, not in a 6.1 build;
#   - each version's series applies with `patch -F0` to its pristine linux-source-X.Y igb;
#   - the drift detection itself works: a changed diff in a backported patch is reported stale.
# Prints TAP-like lines and "N passed, N failed" last; exit 1 on any failure.
# Usage: scripts/check-igb-series.sh [PRISTINE_CACHE_DIR]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/kver.sh"
cache=${1:-$root/build/pristine}
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok $1 ${2:-}"; fail=$((fail + 1)); }

# backport_state DIR FILE: "current", or why not
backport_state() {
	local patches=$1 bp=$2 name line want
	name=${bp##*/}
	[[ -f $patches/$name ]] || { echo "backports $name, which is not in the series"; return; }
	line=$(grep -m1 '^Backport-of: ' "$bp") || { echo "has no Backport-of: line"; return; }
	want="Backport-of: $name sha256:$(oe_patch_hash "$patches/$name")"
	[[ $line == "$want" ]] || { echo "is stale: says '$line', the series has '$want' (re-port it)"; return; }
	echo current
}

# applies KVER PATCHES_DIR: the series for KVER from that patches dir applies to the pristine tree
applies() {
	local kver=$1 pristine tmp p
	pristine=$(oe_pristine_igb "$kver" "$cache") || return 1
	tmp=$(mktemp -d)
	mkdir -p "$tmp/drivers/net/ethernet/intel"
	cp -r "$pristine/drivers/net/ethernet/intel/igb" "$tmp/drivers/net/ethernet/intel/"
	while read -r p; do
		if ! patch -s -p1 -d "$tmp" --no-backup-if-mismatch -F0 < "$p" >/dev/null 2>&1; then
			echo "${p#"$root"/} does not apply"
			rm -rf "$tmp"
			return 1
		fi
	done < <(oe_series "$kver")
	rm -rf "$tmp"
}

for kver in $(oe_kvers); do
	n=$(oe_series "$kver" | wc -l)
	if ((n == 0)); then
		not_ok "series_$kver" "(no patches)"
		continue
	fi
	for bp in "$OE_PATCHES/$kver"/*.patch; do
		[[ $kver != "$OE_KVER_DEFAULT" && -f $bp ]] || continue
		state=$(backport_state "$OE_PATCHES" "$bp")
		if [[ $state == current ]]; then ok "backport_${kver}_${bp##*/}"; else not_ok "backport_${kver}_${bp##*/}" "($state)"; fi
	done
	if why=$(applies "$kver"); then
		ok "series_${kver}_applies ($n patches, linux-source-$kver $(dpkg-query -W -f '${Version}' "linux-source-$kver"))"
	else
		not_ok "series_${kver}_applies" "($why)"
	fi
done

# The check must be able to fail: change one diff line of a backported patch in a copy of the
# series and expect that backport to be reported stale (and a commit-message edit not to be).
self=$(mktemp -d)
cp -r "$OE_PATCHES" "$self/patches"
bp=$(ls "$self"/patches/*/*.patch 2>/dev/null | head -1)
if [[ -z $bp ]]; then
	ok "drift_detected (no backports to drift)"
else
	gen=$self/patches/${bp##*/}
	sed -i '0,/^Signed-off-by:/s//Reviewed-by: drift check <x@y>\n&/' "$gen"
	[[ $(backport_state "$self/patches" "$bp") == current ]] && msg_ok=1 || msg_ok=0
	sed -i '0,/^+[^+]/s/^+\([^+].*\)$/+\1 \/* changed *\//' "$gen"
	state=$(backport_state "$self/patches" "$bp")
	if ((msg_ok)) && [[ $state == "is stale"* ]]; then ok "drift_detected"; else not_ok "drift_detected" "(message edit ok=$msg_ok, diff edit: $state)"; fi
fi
rm -rf "$self"
echo "$pass passed, $fail failed"
((fail == 0))
