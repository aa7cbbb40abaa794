#!/usr/bin/env bash
# Tests of make install-host (scripts/install-host.sh), for real: its refusals on this machine and
# on trees it must not build for, and the supported path against the lab's cached guest kernel tree
# as the "headers" stand-in (HOST_KDIR), staged with INSTALL_MOD_PATH. Runs in a private network
# namespace so "configured nothing" is checked against a namespace nobody else touches.
# Prints TAP-like lines and "N passed, N failed" last. Usage: scripts/test-install-host.sh WORKDIR
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/kver.sh"
work=${1:-$root/build/test-install-host}
rm -rf "$work" && mkdir -p "$work"
pass=0 fail=0 skip=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok $1 ${2:-}"; fail=$((fail + 1)); }
expect() { # NAME COND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "($*)"; fi
}
# run NAME ENV... : the script with that environment; rc in $rc, stderr+stdout in $work/NAME.log
run() {
	local name=$1
	shift
	env -u HOST_KDIR -u INSTALL_MOD_PATH -u LOAD "$@" bash "$root/scripts/install-host.sh" > "$work/$name.log" 2>&1
	rc=$?
}
# mcount_sites_are_calls KO: as many live __fentry__ call relocations as __mcount_loc entries
mcount_sites_are_calls() {
	local sites calls
	sites=$(objdump -r -j __mcount_loc "$1" | grep -c 'R_X86_64_64')
	calls=$(objdump -r "$1" | grep -cE 'R_X86_64_(PLT32|PC32) +__fentry__')
	echo "$1: $sites __mcount_loc sites, $calls __fentry__ calls"
	((sites > 0 && calls >= sites))
}
net_state() { ip -d link show; ip addr show; ip route show table all; ip -6 route show table all; cat /proc/modules 2>/dev/null; }
net_state > "$work/net.before"

# 1. The running kernel, as a user would type it. Here: no /lib/modules at all -> refused.
make -s -C "$root" install-host > "$work/running.log" 2>&1
rc=$?
if [[ ! -e /lib/modules/$(uname -r)/build ]]; then
	expect refuses_running_kernel_without_headers test $rc -eq 2
	expect says_which_headers grep -q "apt-get install linux-headers-$(uname -r)" "$work/running.log"
else
	# A box with headers: installs or refuses an unsupported kernel, never anything else.
	expect running_kernel_installs_or_refuses test $rc -eq 0 -o $rc -eq 2
	expect says_which_headers true
fi

# 2. Trees it must refuse, before building or writing anything.
run missing_tree HOST_KDIR=$work/nonexistent INSTALL_MOD_PATH=$work/stage-refused
expect refuses_missing_tree test $rc -eq 2
mkdir -p "$work/unprepared" && touch "$work/unprepared/Makefile"
run unprepared HOST_KDIR=$work/unprepared INSTALL_MOD_PATH=$work/stage-refused
expect refuses_unprepared_tree test $rc -eq 2
mkdir -p "$work/old/include/generated" && touch "$work/old/Makefile" "$work/old/.config"
echo '#define UTS_RELEASE "5.10.0-30-amd64"' > "$work/old/include/generated/utsrelease.h"
run unsupported HOST_KDIR=$work/old INSTALL_MOD_PATH=$work/stage-refused
expect refuses_unsupported_kernel test $rc -eq 2
expect says_unsupported grep -q "5.10.0-30-amd64 (5.10) is not supported" "$work/unsupported.log"
expect names_supported_kernels grep -q "for linux $(oe_kvers | xargs | sed 's/ /, /g')" "$work/unsupported.log"
run bad_load LOAD=yes HOST_KDIR=$work/old
expect refuses_bad_load_value test $rc -eq 2
expect refusals_write_nothing test ! -e "$work/stage-refused"

# 3. The supported path: the lab's guest kernel tree (default version) as the headers stand-in.
lab=$(KVER=$OE_KVER_DEFAULT KASAN=0 bash "$root/qemu/kernel/build.sh" --print)
if [[ ! -f $lab/.oelab-built ]]; then
	echo "skip supported path: no built guest kernel ($lab); make kernel first"
	skip=1
else
	run staged_load HOST_KDIR=$lab INSTALL_MOD_PATH=$work/stage LOAD=1
	expect refuses_to_load_a_staged_module test $rc -eq 2
	rel=$(oe_tree_release "$lab")
	make -s -C "$root" install-host HOST_KDIR="$lab" INSTALL_MOD_PATH="$work/stage" > "$work/stand-in.log" 2>&1
	rc=$?
	expect builds_against_stand_in test $rc -eq 0
	ko=$work/stage/lib/modules/$rel/extra/igb_oe.ko
	expect installs_the_module test -f "$ko"
	expect module_is_igb_oe test "$(modinfo -F name "$ko" 2>/dev/null)" = igb_oe
	expect vermagic_is_the_tree_release grep -q "^$rel " <(modinfo -F vermagic "$ko" 2>/dev/null)
	expect binds_82576_i350_i210 bash -c "a=\$(modinfo -F alias '$ko'); for id in 10C9 1521 1533; do grep -qi \"v00008086d0000\$id\" <<<\"\$a\" || exit 1; done"
	expect blacklisted_from_aliases grep -qx 'blacklist igb_oe' "$work/stage/etc/modprobe.d/igb_oe.conf"
	expect depmod_lists_it grep -q '^extra/igb_oe.ko:' "$work/stage/lib/modules/$rel/modules.dep"
	expect says_not_loaded grep -q 'not loaded' "$work/stand-in.log"
	expect every_mcount_site_is_a_call mcount_sites_are_calls "$ko"
fi
# 4. A real distribution kernel's headers: Debian bookworm's stock 6.1 (setup installs
#    linux-headers-amd64): the 6.1 series, built and linked against that kernel's Module.symvers
#    with Debian's config (IGB_HWMON, IGB_DCA, modversions, no KUnit), as on a real box.
deb=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -1)
if [[ -z $deb ]]; then
	not_ok debian_6_1_headers_present "(no /usr/src/linux-headers-6.1.*-amd64: make setup installs linux-headers-amd64)"
else
	drel=$(oe_tree_release "$deb")
	make -s -C "$root" install-host HOST_KDIR="$deb" INSTALL_MOD_PATH="$work/stage-debian" > "$work/debian.log" 2>&1
	rc=$?
	expect builds_against_debian_6_1_headers test $rc -eq 0
	dko=$work/stage-debian/lib/modules/$drel/extra/igb_oe.ko
	expect debian_vermagic_is_its_release grep -q "^$drel .*modversions" <(modinfo -F vermagic "$dko" 2>/dev/null)
	expect debian_module_needs_dca_and_algo_bit grep -qx 'dca,i2c-algo-bit' <(modinfo -F depends "$dko" 2>/dev/null)
	# ftrace patches every __mcount_loc site at insmod and expects a call there (6.1's objtool
	# NOPs the sites it records: ftrace_bug at load, seen on Debian's 6.1 before Kbuild avoided it)
	expect debian_every_mcount_site_is_a_call mcount_sites_are_calls "$dko"
fi
net_state > "$work/net.after"
expect network_and_modules_untouched cmp -s "$work/net.before" "$work/net.after"
((skip)) && echo "(supported path skipped)"
echo "$pass passed, $fail failed"
((fail == 0))
