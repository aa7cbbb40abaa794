#!/usr/bin/env bash
# Generate build/initramfs.cpio.gz: busybox-static, our /init, the modules (ours + kunit.ko and
# i2c-algo-bit.ko from the guest kernel tree), ethtool/trace-cmd and every dynamic binary we built,
# each with the shared libraries ldd names. Usage: qemu/initramfs.sh KDIR
set -euo pipefail
kdir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/initramfs.cpio.gz
stage=$root/build/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib/oe,etc,proc,sys,dev,tmp,lab,out}

cp /bin/busybox "$stage/bin/busybox"
install -m 755 "$root/qemu/guest/init" "$stage/init"

# Modules: the guest has no modprobe database; scripts insmod by path from /lib/oe.
# igb needs i2c-algo-bit: a module or built in, depending on what else the config selects.
cp "$kdir/lib/kunit/kunit.ko" "$stage/lib/oe/"
[[ -f $kdir/drivers/i2c/algos/i2c-algo-bit.ko ]] && cp "$kdir/drivers/i2c/algos/i2c-algo-bit.ko" "$stage/lib/oe/"
# Stock igb: the realhw scenario hands the port from it to igb_oe, as on a real box.
[[ -f $kdir/drivers/net/ethernet/intel/igb/igb.ko ]] && cp "$kdir/drivers/net/ethernet/intel/igb/igb.ko" "$stage/lib/oe/"
moddir=$(bash "$root/scripts/build-modules.sh" --objdir "$kdir")   # the top for the default kernel
for m in igb_oe.ko oe_kunit.ko; do
	[[ -f $moddir/$m ]] && cp "$moddir/$m" "$stage/lib/oe/"
done

# Small static guest tools (multicast receiver for the smoke scenario, ...).
mkdir -p "$root/build/host/guest-tools"
for src in "$root"/qemu/guest-tools/*.c; do
	bin=$root/build/host/guest-tools/$(basename "$src" .c)
	[[ $bin -nt $src ]] || gcc -O2 -static -Wall -Wextra -Werror -o "$bin" "$src"
	cp "$bin" "$stage/usr/bin/"
done

# Dynamic binaries + their libraries. Ours are also reachable over 9p at /lab/build/host/...,
# but their libraries must be in the initramfs, so collect them from everything we might run.
bins=(/usr/sbin/ethtool)
command -v trace-cmd >/dev/null && bins+=("$(command -v trace-cmd)")
command -v hwstamp_ctl >/dev/null && bins+=("$(command -v hwstamp_ctl)")   # docs/real-hardware.md
while IFS= read -r -d '' f; do bins+=("$f"); done < <(find "$root/build/host" -maxdepth 2 -type f -perm -u+x -print0 2>/dev/null)
for b in "${bins[@]}"; do
	file -b "$b" 2>/dev/null | grep -q 'ELF.*dynamic' || continue
	case $b in /usr/*) cp "$b" "$stage/usr/sbin/" ;; esac
	ldd "$b" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | while read -r lib; do
		[[ -e $stage$lib ]] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
done
# glibc's loader is found through /lib64 on x86-64.
[[ -e $stage/lib64/ld-linux-x86-64.so.2 ]] || { mkdir -p "$stage/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"; }
echo "root:x:0:0:root:/:/bin/sh" > "$stage/etc/passwd"
echo "oelab" > "$stage/etc/hostname"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $(du -h "$out" | cut -f1) -> $out" >&2
