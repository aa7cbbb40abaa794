# shellcheck shell=bash
# Lab plumbing shared by lab.sh and the scenarios: a private network namespace with a tap device,
# QEMU (-device igb on that tap) started *inside* it, and a teardown that always runs.
# Nothing here touches the root network namespace: every address lives in $OELAB_NS or the guest.

OELAB_ROOT=${OELAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OELAB_NS=${OELAB_NS:-oelab-$$}            # unique per run: parallel runs never collide
OELAB_TAP=oetap0
OELAB_HOST_IP=192.168.100.1               # exchange side, on the tap, inside the netns
OELAB_GUEST_IP=192.168.100.2              # the guest's igb NIC
OELAB_GUEST_MAC=52:54:00:0e:1a:b0
OELAB_MEM=${OELAB_MEM:-1024}
OELAB_TIMEOUT=${OELAB_TIMEOUT:-900}       # seconds before a hung guest is killed
OELAB_BOOT_DEADLINE=${OELAB_BOOT_DEADLINE:-300}   # seconds for the guest's init to say it is up
# OELAB_NET_RELAY=PORT (set by a scenario's host part, e.g. faults): QEMU's NIC sends and receives
# its frames as UDP datagrams on the netns' lo (QEMU at PORT+1, a harness relay at PORT) instead of
# on the tap; the relay bridges them to the tap and can impair them (the host has no sch_netem).
OELAB_NET_RELAY=${OELAB_NET_RELAY:-}
oelab_pids=()
. "$OELAB_ROOT/qemu/accel.sh"             # OELAB_ACCEL -> lab_accel (contract C1)

lab_log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
in_ns() { ip netns exec "$OELAB_NS" "$@"; }

lab_up() {
	[[ $(id -u) -eq 0 ]] || { echo "lab: needs root (network namespaces, tap)" >&2; return 1; }
	ip netns add "$OELAB_NS"
	in_ns ip link set lo up
	in_ns ip tuntap add dev "$OELAB_TAP" mode tap
	in_ns ip addr add "$OELAB_HOST_IP/24" dev "$OELAB_TAP"
	in_ns ip link set "$OELAB_TAP" up
	# Multicast leaves through the tap; this route exists only inside the namespace.
	in_ns ip route add 239.0.0.0/8 dev "$OELAB_TAP"
	lab_log "netns $OELAB_NS: $OELAB_TAP $OELAB_HOST_IP/24"
}

# Start a background process inside the netns; it is killed at teardown.
lab_spawn() {
	ip netns exec "$OELAB_NS" "$@" &
	oelab_pids+=($!)
}

lab_down() {
	local p
	for p in "${oelab_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${oelab_pids[@]}"; do wait "$p" 2>/dev/null; done
	oelab_pids=()
	# Anything still running in the namespace (a stray child) goes too.
	if ip netns pids "$OELAB_NS" >/dev/null 2>&1; then
		ip netns pids "$OELAB_NS" | xargs -r kill -9 2>/dev/null
		ip netns del "$OELAB_NS" 2>/dev/null
	fi
	return 0
}

# lab_boot RUNDIR [interactive]: boot the guest in the netns. RUNDIR/ is shared into the guest as
# /out (virtio-9p, read-write); the repository as /lab (read-only). With a script in RUNDIR/guest.sh
# the guest runs it and powers off; the console goes to RUNDIR/console.log. The accelerator is
# OELAB_ACCEL, resolved by lab_accel (once per RUNDIR; run.sh resolves it before the host parts).
lab_boot() {
	local run=$1 mode=${2:-script} kdir
	lab_accel "$run" || return
	kdir=$(bash "$OELAB_ROOT/qemu/kernel/build.sh")
	local netdev="tap,id=n0,ifname=$OELAB_TAP,script=no,downscript=no"
	[[ -n $OELAB_NET_RELAY ]] && netdev="dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$((OELAB_NET_RELAY + 1)),remote.type=inet,remote.host=127.0.0.1,remote.port=$OELAB_NET_RELAY"
	local args=(
		-machine q35 "${oelab_accel_args[@]}" -m "$OELAB_MEM"
		-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$OELAB_ROOT/build/initramfs.cpio.gz"
		-netdev "$netdev"
		-device "igb,netdev=n0,mac=$OELAB_GUEST_MAC"
		-virtfs "local,path=$OELAB_ROOT,mount_tag=lab,security_model=none,readonly=on"
		-virtfs "local,path=$run,mount_tag=out,security_model=none"
		-no-reboot
	)
	# OELAB_QEMU_EXTRA: more QEMU arguments for experiments (word-split), e.g. a monitor socket:
	# "-chardev socket,id=hmp,path=/tmp/hmp.sock,server=on,wait=off -mon chardev=hmp"
	# shellcheck disable=SC2206
	[[ -n ${OELAB_QEMU_EXTRA:-} ]] && args+=($OELAB_QEMU_EXTRA)
	if [[ $OELAB_ACCEL_MODE == kvm ]]; then
		args+=(-qmp "unix:$run/qmp.sock,server=on,wait=off")
	fi
	# OELAB_KERNEL_ARGS: more guest kernel command line (experiments' arms, e.g. "nohz_full=1")
	# no_timer_check: the kernel's IO-APIC timer check counts timer ticks against a busy loop, and a
	# TCG vCPU on a loaded host can miss them: "Kernel panic - not syncing: IO-APIC + timer doesn't
	# work!" (seen at 0.84 s of a boot beside make test). Virtual machines commonly skip it.
	local append="console=ttyS0 panic=-1 oops=panic loglevel=6 no_timer_check oelab.ip=$OELAB_GUEST_IP oelab.accel=$OELAB_ACCEL_MODE${OELAB_KERNEL_ARGS:+ $OELAB_KERNEL_ARGS}"
	if [[ $mode == interactive ]]; then
		in_ns qemu-system-x86_64 "${args[@]}" -nographic -append "$append oelab.mode=shell"
		return
	fi
	# A TCG guest sometimes hangs or panics in early boot before any of ours runs (QEMU 10.0.2 MTTCG
	# and icount: the second vCPU's timer never fires, RCU stalls; seen mostly on a loaded host). No
	# scenario step has run then, so the boot is retried once, said in the log, the console kept.
	local attempt rc early
	for attempt in 1 2; do
		lab_log "booting guest, accel $OELAB_ACCEL_MODE, -smp $OELAB_SMP_MODE (console: $run/console.log)"
		rm -f "$run/.boot-hung"
		if [[ $OELAB_ACCEL_MODE == kvm ]]; then   # each boot's vCPU threads are pinned anew
			rm -f "$run/qmp.sock"
			lab_pin_vcpus "$run" "$run/qmp.sock"
		fi
		timeout -k 5 "$OELAB_TIMEOUT" ip netns exec "$OELAB_NS" qemu-system-x86_64 "${args[@]}" \
			-display none -monitor "unix:$run/monitor.sock,server=on,wait=off" \
			-serial "file:$run/console.log" \
			-append "$append oelab.mode=script" </dev/null &
		local qpid=$!
		lab_boot_watch "$run" "$qpid" &
		local wpid=$!
		wait "$qpid"
		rc=$?
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		early=
		if [[ -f $run/.boot-hung ]]; then
			early="hung in early boot (no 'oelab: guest up' after ${OELAB_BOOT_DEADLINE}s)"
		elif ! grep -q 'oelab: guest up' "$run/console.log" 2>/dev/null; then
			early="stopped before 'oelab: guest up' (qemu rc $rc; $(grep -m1 -E 'Kernel panic|BUG:' "$run/console.log" 2>/dev/null | cut -c1-120))"
		fi
		[[ -n $early && $attempt == 1 ]] || break
		mv "$run/console.log" "$run/console-hung-boot.log"
		lab_log "guest $early; console kept as console-hung-boot.log: booting again, once"
	done
	[[ -n $early ]] && { lab_log "guest $early, twice: giving up"; rc=1; }
	[[ $rc -eq 124 ]] && lab_log "guest timed out after ${OELAB_TIMEOUT}s"
	return $rc
}

# lab_boot_watch RUNDIR PID: kill the boot PID if the guest's init has not said it is up within
# OELAB_BOOT_DEADLINE seconds (it marks RUNDIR/.boot-hung for lab_boot)
lab_boot_watch() {
	local run=$1 pid=$2 i
	for ((i = 0; i < OELAB_BOOT_DEADLINE; i++)); do
		sleep 1
		grep -q 'oelab: guest up' "$run/console.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 0
	done
	touch "$run/.boot-hung"
	kill "$pid" 2>/dev/null
}
