# shellcheck shell=bash
# The kernels igb_oe supports and where each one's igb patch series comes from (sourced).
#
#   driver/igb/patches/*.patch        the series, written against the default kernel (OE_KVER_DEFAULT)
#   driver/igb/patches/X.Y/NAME       backport of patches/NAME to linux-source-X.Y, where the
#                                     upstream context differs; every other patch applies as it is
#
# A backport names what it backports with a line in its commit message (stable's "commit X
# upstream" idea), so a change to the series can never leave a stale backport behind unnoticed:
#   Backport-of: NAME sha256:<oe_patch_hash of patches/NAME>
# scripts/check-igb-series.sh (part of make test) enforces it and applies every version's series to
# its pristine tree.
OE_ROOT=${OE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OE_KVER_DEFAULT=6.12
OE_PATCHES=${OE_PATCHES:-$OE_ROOT/driver/igb/patches}

# Every supported X.Y: the default, then each backport directory.
oe_kvers() {
	local d
	echo "$OE_KVER_DEFAULT"
	for d in "$OE_PATCHES"/*/; do
		[[ -d $d ]] && basename "$d"
	done
}

oe_kver_supported() {
	local k
	for k in $(oe_kvers); do [[ $k == "$1" ]] && return 0; done
	return 1
}

# oe_series X.Y: the patch files for that kernel, in order, one path per line.
oe_series() {
	local kver=$1 p
	for p in "$OE_PATCHES"/*.patch; do
		[[ -e $p ]] || continue
		if [[ $kver != "$OE_KVER_DEFAULT" && -f $OE_PATCHES/$kver/${p##*/} ]]; then
			echo "$OE_PATCHES/$kver/${p##*/}"
		else
			echo "$p"
		fi
	done
}

# The hash a backport records: the patch's diff (first "diff --git" to the signature), so a
# re-export that only changes the date, the sender or the git version does not count as a change.
oe_patch_hash() {
	sed -n '/^diff --git /,$p' "$1" | sed '/^-- $/,$d' | sha256sum | cut -c1-16
}

# oe_pristine_igb X.Y DIR: pristine drivers/net/ethernet/intel/igb of linux-source-X.Y, extracted
# once per package version (xz has to be read whole: ~15 s) into DIR/<version>/; prints that path.
oe_pristine_igb() {
	local kver=$1 dir=$2 tarball=/usr/src/linux-source-$1.tar.xz ver out
	[[ -f $tarball ]] || { echo "igb: $tarball missing (make setup installs linux-source-$kver)" >&2; return 1; }
	ver=$(dpkg-query -W -f '${Version}' "linux-source-$kver" 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)
	[[ -n $ver ]] || ver=$(stat -c %Y "$tarball")
	out=$dir/$kver-$ver
	if [[ ! -f $out/.done ]]; then
		rm -rf "$out"
		mkdir -p "$out"
		tar -C "$out" --strip-components=1 -xf "$tarball" --wildcards \
			"linux-source-$kver/drivers/net/ethernet/intel/igb/*" || return 1
		touch "$out/.done"
	fi
	echo "$out"
}

# oe_tree_release KDIR: the release modules built against that tree or headers directory carry in
# their vermagic (UTS_RELEASE: "6.12.117", "6.1.0-57-amd64"; Debian's headers have the upstream
# version in include/config/kernel.release); empty if it is not a prepared tree.
oe_tree_release() {
	local rel
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null)
	[[ -n $rel ]] || rel=$(cat "$1/include/config/kernel.release" 2>/dev/null) || true
	echo "$rel"
}

# oe_tree_kver KDIR: X.Y of that tree; empty if it is not one.
oe_tree_kver() {
	local rel
	rel=$(oe_tree_release "$1")
	[[ $rel =~ ^([0-9]+\.[0-9]+) ]] && echo "${BASH_REMATCH[1]}"
	return 0
}

# oe_module_objdir KDIR: where the modules for that tree are built. The lab's own kernel (default
# version, std or KASAN) builds in the repository as it always has (igb_oe.ko at the top); any
# other tree gets a shadow copy of the sources under build/kmod/<tree>/ (Kbuild puts objects next
# to the sources, and objects of two kernels must never meet: the command lines can be identical).
oe_module_objdir() {
	local kdir lab
	kdir=$(realpath -m "$1")
	for lab in "$(KVER=$OE_KVER_DEFAULT KASAN=0 bash "$OE_ROOT/qemu/kernel/build.sh" --print)" \
		"$(KVER=$OE_KVER_DEFAULT KASAN=1 bash "$OE_ROOT/qemu/kernel/build.sh" --print)"; do
		[[ $kdir == "$(realpath -m "$lab")" ]] && { echo "$OE_ROOT"; return; }
	done
	echo "$OE_ROOT/build/kmod/$(basename "$kdir")"
}
