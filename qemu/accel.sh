# shellcheck shell=bash
# Accelerator and clock mode of a guest boot (contract C1), sourced by qemu/lib.sh.
#
#   OELAB_ACCEL=tcg     (default) multi-threaded TCG: fastest emulation, guest clock = host wall clock,
#                       so guest-side figures include the emulator's cost.
#   OELAB_ACCEL=icount  single-threaded TCG, -icount shift=0: 1 guest instruction = 1 ns of guest time,
#                       deterministic; the guest-side figure is an instruction count (no cache, TLB or
#                       MMIO cost is modelled). sleep=on, align=off: see docs/accel.md.
#   OELAB_ACCEL=kvm     -accel kvm -cpu host, each vCPU thread pinned to a host CPU (OELAB_KVM_CPUS);
#                       refused with the reason (exit 2) if the KVM probe fails.
#   OELAB_ACCEL=auto    kvm if the probe passes, otherwise tcg with one log line saying why.
# Also: OELAB_SMP (vCPUs, default 2; docs/accel.md for icount), OELAB_KVM_PROBE_S (probe bound, 3 s),
# OELAB_KVM_BIOS_MS (the probe passes only if KVM got through the firmware within this, 1000 ms),
# OELAB_KVM_CPUS (host CPU per vCPU, e.g. "2 3"; default vCPU i -> CPU i mod nproc), OELAB_KVM_CPU
# (the -cpu model under KVM, probe included; default host).
#
# lab_accel RUN resolves the request once per boot: exports OELAB_ACCEL_MODE (tcg|icount|kvm) and
# OELAB_SMP_MODE, fills oelab_accel_args (the QEMU accelerator/CPU arguments) and writes
# RUN/accel.json {"requested", "accel", "qemu_args", "reason", "smp", "guest_time", ...}.

OELAB_KVM_PROBE_S=${OELAB_KVM_PROBE_S:-3}
OELAB_KVM_BIOS_MS=${OELAB_KVM_BIOS_MS:-1000}
OELAB_KVM_CPU=${OELAB_KVM_CPU:-host}
oelab_accel_args=()
oelab_accel_run=

# What a guest-side nanosecond means in each mode (report writers print it next to guest figures).
lab_guest_time_label() {
	case $1 in
	icount) echo "guest ns, icount: 1 instruction = 1 ns" ;;
	kvm) echo "guest ns, KVM: guest clock on host hardware" ;;
	*) echo "guest ns, TCG: host wall clock, includes the emulator's cost" ;;
	esac
}

# lab_kvm_probe: a bounded real start of QEMU with the lab's KVM arguments. SeaBIOS logs its POST to
# the debug console (port 0x402); "Booting from" there means the vCPU ran the whole firmware (real
# mode, protected mode, back) under KVM; TCG gets there in ~0.5 s on this loaded host, and working
# KVM runs the firmware at native speed. /dev/kvm alone proves nothing: on this lab's machines (no
# VMX/SVM in the CPU flags, yet /dev/kvm present) -cpu host aborts on an MSR and other CPU models
# need 2.6-6.5 s per BIOS POST, so a Linux boot "hangs" (docs/accel.md): getting through is not
# enough, hardware virtualisation does it in ~0.1 s and TCG in 0.2-0.6 s, so KVM must be done within
# OELAB_KVM_BIOS_MS. Prints one line (what it saw); returns 0 only if KVM got through the BIOS within
# OELAB_KVM_BIOS_MS (it waits up to OELAB_KVM_PROBE_S seconds to say how long it took).
lab_kvm_probe() {
	local bound=$OELAB_KVM_PROBE_S dir pid rc=1 why t0 us=0
	[[ -c /dev/kvm ]] || { echo "no /dev/kvm"; return 1; }
	[[ -r /dev/kvm && -w /dev/kvm ]] || { echo "/dev/kvm is not read-write for uid $(id -u)"; return 1; }
	dir=$(mktemp -d)
	qemu-system-x86_64 -machine q35 -accel kvm -cpu "$OELAB_KVM_CPU" -smp 1 -m 64 -nodefaults -display none \
		-monitor none -serial none -debugcon "file:$dir/bios.log" -global isa-debugcon.iobase=0x402 \
		-no-reboot </dev/null >"$dir/qemu.err" 2>&1 &
	pid=$!
	t0=${EPOCHREALTIME/./}
	while ((us < bound * 1000000)); do
		if grep -aqs 'Booting from' "$dir/bios.log"; then
			why="KVM got through the BIOS in $((us / 1000)) ms"
			if ((us <= OELAB_KVM_BIOS_MS * 1000)); then
				rc=0
			else
				why+=", slower than hardware virtualisation does (over ${OELAB_KVM_BIOS_MS} ms; TCG takes 0.2-0.6 s)"
			fi
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			why="QEMU -accel kvm -cpu $OELAB_KVM_CPU exited: $(grep -v '^$' "$dir/qemu.err" | tail -1)"
			break
		fi
		sleep 0.05
		us=$((${EPOCHREALTIME/./} - t0))
	done
	[[ -n ${why:-} ]] ||
		why="QEMU -accel kvm -cpu $OELAB_KVM_CPU did not get through the BIOS in ${bound} s ($(grep -ac . "$dir/bios.log" 2>/dev/null) BIOS log lines so far; TCG needs ~0.5 s)"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
	echo "$why"
	return $rc
}

# lab_accel RUN: see the header. Returns 2 on a bad OELAB_ACCEL / OELAB_SMP or an unusable forced kvm.
lab_accel() {
	local run=$1 req=${OELAB_ACCEL:-tcg} mode reason probe smp
	[[ $oelab_accel_run == "$run" ]] && return 0
	case $req in
	tcg) mode=tcg reason="requested" ;;
	icount) mode=icount reason="requested" ;;
	kvm | auto)
		if ! [[ $OELAB_KVM_PROBE_S =~ ^[1-9][0-9]*$ && $OELAB_KVM_BIOS_MS =~ ^[1-9][0-9]*$ ]]; then
			lab_log "OELAB_KVM_PROBE_S='$OELAB_KVM_PROBE_S' OELAB_KVM_BIOS_MS='$OELAB_KVM_BIOS_MS': expected whole seconds / milliseconds >= 1"
			return 2
		fi
		if probe=$(lab_kvm_probe); then
			mode=kvm reason="KVM probe passed: $probe"
		elif [[ $req == kvm ]]; then
			lab_log "OELAB_ACCEL=kvm: KVM is unusable here: $probe (OELAB_ACCEL=auto falls back to TCG)"
			return 2
		else
			mode=tcg reason="KVM probe failed: $probe"
		fi
		;;
	*)
		lab_log "OELAB_ACCEL='$req': expected auto, kvm, tcg or icount"
		return 2
		;;
	esac
	smp=${OELAB_SMP:-2}
	[[ $smp =~ ^[1-9][0-9]*$ ]] || { lab_log "OELAB_SMP='$smp': expected a vCPU count >= 1"; return 2; }
	case $mode in
	tcg) oelab_accel_args=(-accel tcg,thread=multi -cpu max -smp "$smp") ;;
	# sleep=on: an idle guest's clock follows the host's, so guest waits (sleep 1, connect timeouts)
	# last as long as the exchange's; align=off: with shift=0 the guest is never ahead of the host.
	icount) oelab_accel_args=(-accel tcg,thread=single -icount shift=0,sleep=on,align=off -cpu max -smp "$smp") ;;
	kvm) oelab_accel_args=(-accel kvm -cpu "$OELAB_KVM_CPU" -smp "$smp") ;;
	esac
	export OELAB_ACCEL_MODE=$mode OELAB_SMP_MODE=$smp
	oelab_accel_run=$run
	[[ $req == auto ]] && lab_log "accel: auto -> $mode ($reason)"
	mkdir -p "$run"
	python3 - "$run/accel.json" "$req" "$mode" "${oelab_accel_args[*]}" "$reason" "$smp" \
		"$(lab_guest_time_label $mode)" <<-'EOF'
		import json, sys
		path, req, mode, args, reason, smp, label = sys.argv[1:]
		json.dump({"requested": req, "accel": mode, "qemu_args": args, "reason": reason, "smp": int(smp),
		           "guest_time": label}, open(path, "w"))
	EOF
}

# lab_pin_vcpus RUN QMP_SOCKET: in the background, pin each vCPU thread of the QEMU behind the QMP
# socket to its host CPU (OELAB_KVM_CPUS) and record the pins in RUN/accel.json ("vcpu_pins").
lab_pin_vcpus() {
	python3 "$OELAB_ROOT/scripts/qemu-pin-vcpus.py" "$2" --cpus "${OELAB_KVM_CPUS:-}" \
		--accel-json "$1/accel.json" >"$1/vcpu-pins.log" 2>&1 &
	oelab_pids+=($!)
}
