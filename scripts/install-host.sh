#!/usr/bin/env bash
# make install-host: build igb_oe.ko for a real box's running kernel and install it, without
# touching the box's network configuration (docs/real-hardware.md).
#
#   make install-host                       running kernel, /lib/modules/$(uname -r)/build
#   make install-host LOAD=1                ... and modprobe igb_oe (it binds only ports no driver
#                                           owns; it never sets an address, a route or a link)
#   make install-host HOST_KDIR=DIR         another kernel tree / headers dir instead (e.g. the lab's
#                                           cached guest kernel, the stand-in the tests use)
#   make install-host INSTALL_MOD_PATH=DIR  stage under DIR (lib/modules/..., etc/modprobe.d/...)
#
# Installs lib/modules/<release>/extra/igb_oe.ko and etc/modprobe.d/igb_oe.conf ("blacklist
# igb_oe": igb_oe matches the same PCI IDs as igb, and must never be picked by udev at boot in place
# of igb; `modprobe igb_oe` by name still works), then depmod.
# Exit 0 installed; 2 refused (kernel, headers or tools missing or unsupported: nothing was
# built or written); 1 the build failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/kver.sh"
refuse() {
	echo "install-host: $*" >&2
	exit 2
}

running=$(uname -r)
kdir=${HOST_KDIR:-}
stage=${INSTALL_MOD_PATH:-}
load=${LOAD:-0}
[[ $load == 0 || $load == 1 ]] || refuse "LOAD=$load: use LOAD=1 to load the module after installing, or leave it out"

if [[ -z $kdir ]]; then
	[[ -d /lib/modules/$running ]] || refuse "the running kernel $running has no /lib/modules/$running on this machine
  (a container, or a kernel installed without its modules): there is nothing to build igb_oe against.
  On a Debian box: apt-get install linux-headers-$running
  To build against another kernel tree: make install-host HOST_KDIR=<tree> INSTALL_MOD_PATH=<staging dir>"
	kdir=/lib/modules/$running/build
	[[ -f $kdir/Makefile ]] || refuse "no headers for the running kernel $running ($kdir is missing).
  On Debian: apt-get install linux-headers-$running"
else
	[[ -f $kdir/Makefile ]] || refuse "HOST_KDIR=$kdir is not a kernel tree or headers directory (no Makefile)"
fi
release=$(oe_tree_release "$kdir")
[[ -n $release && -f $kdir/.config ]] ||
	refuse "$kdir is not a prepared kernel tree (no include/generated/utsrelease.h or .config:
  a configured and built tree, or a distribution's linux-headers package)"
[[ -n ${HOST_KDIR:-} || $release == "$running" ]] ||
	refuse "$kdir holds headers for $release, but the running kernel is $running"
kver=$(oe_tree_kver "$kdir")
oe_kver_supported "$kver" || refuse "kernel $release ($kver) is not supported: the igb_oe patch series exists
  for linux $(oe_kvers | xargs | sed 's/ /, /g') (driver/igb/patches, docs/driver.md)"

# The series applies to upstream igb of the same X.Y, from Debian's linux-source-X.Y.
[[ -f /usr/src/linux-source-$kver.tar.xz ]] || refuse "igb's pristine source for $kver is missing: apt-get install linux-source-$kver"
srcver=$(dpkg-query -W -f '${Version}' "linux-source-$kver" 2>/dev/null || true)
imgver=$(dpkg-query -W -f '${Version}' "linux-image-$release" 2>/dev/null || true)
if [[ -n $imgver && -n $srcver && $imgver != "$srcver" ]]; then
	echo "install-host: note: linux-source-$kver is $srcver, the kernel package is $imgver; the build checks" >&2
	echo "  every API igb uses against the headers (upgrade both to the same version to match exactly)" >&2
fi

# What igb_oe needs from the kernel's configuration (igb's own Kconfig dependencies, plus modules).
need_config() {
	local opt=$1 want=$2
	grep -qE "^$opt=($want)\$" "$kdir/.config" || refuse "kernel $release: $opt is not $want in $kdir/.config (igb_oe needs it)"
}
need_config CONFIG_MODULES y
need_config CONFIG_PCI y
need_config CONFIG_PCI_MSI y
need_config CONFIG_INET y
need_config CONFIG_I2C_ALGOBIT 'y|m'
need_config CONFIG_PTP_1588_CLOCK 'y|m'
# The C++ core is pre-linked and checked with the kernel's objtool (Kbuild): the headers must ship it.
[[ -x $kdir/tools/objtool/objtool ]] || refuse "$kdir has no tools/objtool/objtool (needed to link the C++ core)"
for tool in make gcc g++ ld objcopy; do
	command -v "$tool" >/dev/null || refuse "$tool is not installed (apt-get install build-essential)"
done

if [[ $load == 1 ]]; then
	[[ -z $stage ]] || refuse "LOAD=1 with INSTALL_MOD_PATH: a staged module is not loaded"
	[[ $release == "$running" ]] || refuse "LOAD=1: the module is for $release, the running kernel is $running"
fi
if [[ -z $stage && ! -d /lib/modules/$release ]]; then
	refuse "kernel $release is not installed here (/lib/modules/$release missing): give INSTALL_MOD_PATH to stage it"
fi
[[ -z $stage || $(id -u) -eq 0 || -w $stage ]] || refuse "INSTALL_MOD_PATH=$stage is not writable"
[[ -n $stage || $(id -u) -eq 0 ]] || refuse "installing into /lib/modules needs root"

echo "install-host: building igb_oe.ko for $release (linux $kver series) against $kdir" >&2
bash "$root/scripts/build-modules.sh" "$kdir" || exit 1
objdir=$(oe_module_objdir "$kdir")
ko=$objdir/igb_oe.ko
vermagic=$(modinfo -F vermagic "$ko")
[[ $vermagic == "$release "* ]] || { echo "install-host: $ko has vermagic '$vermagic', not $release" >&2; exit 1; }

moddir=$stage/lib/modules/$release/extra
install -D -m 644 "$ko" "$moddir/igb_oe.ko"
install -d "$stage/etc/modprobe.d"
cat > "$stage/etc/modprobe.d/igb_oe.conf" <<'EOF'
# igb_oe (tick-to-trade lab) claims the same PCI IDs as igb. Never load it from a device alias at
# boot: it is loaded by name (modprobe igb_oe) and given ports explicitly (docs/real-hardware.md).
blacklist igb_oe
EOF
if [[ -z $stage ]]; then
	depmod -a "$release"
else
	depmod -b "$stage" "$release" 2>/dev/null || true   # staging: no modules.order/builtin there
fi
echo "install-host: installed $moddir/igb_oe.ko ($vermagic)"
echo "install-host: $stage/etc/modprobe.d/igb_oe.conf keeps it from replacing igb at boot"

if [[ $load == 1 ]]; then
	modprobe igb_oe
	echo "install-host: igb_oe loaded; it drives only igb ports that no driver owns. No address, route or"
	echo "  link was configured. To hand it a port, see docs/real-hardware.md (driver_override)."
else
	echo "install-host: not loaded (LOAD=1 loads it; nothing on this machine's network was changed)"
fi
