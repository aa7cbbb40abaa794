#!/usr/bin/env bash
# Build (or reuse) the guest kernel: Debian's linux-source-$KVER (default the lab's kernel, 6.12:
# scripts/kver.sh) + x86_64_defconfig + kvm_guest.config + our fragment(s). The tree is cached
# outside the repo keyed by kernel version, source package version and config hash, so only the
# first run pays the ~11 min. Prints the cached tree's path (KDIR) on stdout.
#   KASAN=1 qemu/kernel/build.sh   -> separate cache entry with kasan.config on top.
#   KVER=6.1 qemu/kernel/build.sh  -> linux-source-6.1 (+ oelab-6.1.config if present), own entry.
#   qemu/kernel/build.sh --print   -> the path only, built or not (never builds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/kver.sh"
cache=${OELAB_CACHE:-$HOME/.cache/oelab}
kver=${KVER:-$OE_KVER_DEFAULT}
pkg=linux-source-$kver
tarball=/usr/src/$pkg.tar.xz
srcver=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null | tr -c "A-Za-z0-9.\n-" _) || true
if [[ ${1:-} == --print && -z $srcver ]]; then
	exit 0   # no such source package here: no lab tree either
fi
[[ -f $tarball && -n $srcver ]] || { echo "kernel: $tarball missing (run make setup)" >&2; exit 1; }
frags=("$here/oelab.config")
# A kernel's own fragment (options that differ by version); the default kernel has none, so its
# cache key is what it always was.
[[ -f $here/oelab-$kver.config ]] && frags+=("$here/oelab-$kver.config")
[[ ${KASAN:-0} == 1 ]] && frags+=("$here/kasan.config")
key=$( { echo "$srcver"; cat "${frags[@]}"; } | sha256sum | cut -c1-16)
variant=$([[ ${KASAN:-0} == 1 ]] && echo kasan || echo std)
kdir=$cache/kernel/$variant-$srcver-$key
if [[ ${1:-} == --print ]]; then
	echo "$kdir"
	exit 0
fi

if [[ -f $kdir/.oelab-built ]]; then
	echo "$kdir"
	exit 0
fi

mkdir -p "$cache/kernel"
exec 9>"$cache/kernel/.lock"
flock 9   # one builder at a time; a concurrent caller waits and then reuses the result
if [[ -f $kdir/.oelab-built ]]; then echo "$kdir"; exit 0; fi

log=$cache/kernel/$variant-build.log
[[ $kver == "$OE_KVER_DEFAULT" ]] || log=$cache/kernel/$variant-$kver-build.log
echo "kernel: building $variant $pkg $srcver (key $key) into $kdir; log: $log" >&2
rm -rf "$kdir.tmp"
mkdir -p "$kdir.tmp"
tar -C "$kdir.tmp" --strip-components=1 -xf "$tarball"
i=0
names=()
for f in "${frags[@]}"; do
	cp "$f" "$kdir.tmp/kernel/configs/oelab-$i.config"
	names+=("oelab-$i.config")
	i=$((i + 1))
done
(
	cd "$kdir.tmp"
	make -s x86_64_defconfig kvm_guest.config "${names[@]}"
	# Verify the fragment took: a silently dropped option is a broken lab.
	for f in "${frags[@]}"; do
		grep -E '^CONFIG_[A-Z0-9_]+=[ym]' "$f" | while read -r line; do
			grep -qx "$line" .config || echo "kernel: warning: $line did not stick" >&2
		done
	done
	make -j"$(nproc)" bzImage modules
) >"$log" 2>&1 || { echo "kernel: build failed, see $log" >&2; tail -30 "$log" >&2; exit 1; }
touch "$kdir.tmp/.oelab-built"
# The tree records its own absolute path nowhere that matters for M= builds; a rename is safe.
mv "$kdir.tmp" "$kdir"
echo "$kdir"
