#!/usr/bin/env bash
# Host tests of the accelerator modes (qemu/accel.sh, contract C1), against the real QEMU and /dev/kvm:
#   - the KVM probe is a real, bounded QEMU start: where the CPU has no VMX/SVM (this lab's machines:
#     /dev/kvm exists, QEMU cannot use it) auto must fall back to tcg within the bound with one log
#     line, and a forced kvm must be refused (exit 2); where it has VMX/SVM, auto must pick kvm;
#   - each mode's argument vector boots QEMU's firmware (tcg, icount, and kvm where usable);
#   - vCPU pinning (used under kvm) really sets each vCPU thread's affinity, checked on MTTCG;
#   - bad OELAB_ACCEL / OELAB_SMP values are refused with exit 2;
#   - both report writers state the mode (md line, top-level json "accel");
#   - make test's icount gate (scripts/icount-gate.py) passes good runs and fails bad ones.
# Result: $RESULTS/qemu_accel.txt ("N passed, N failed").
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS=${RESULTS:-$root/build/results}
work=$root/build/qemu-tests
mkdir -p "$RESULTS" "$work"
report=$RESULTS/qemu_accel.txt
: >"$report"
pass=0 fail=0
qemus=()
trap 'for p in "${qemus[@]}"; do kill -KILL "$p" 2>/dev/null; done' EXIT

result() { # name ok [detail]
	if [[ $2 == 1 ]]; then
		pass=$((pass + 1)) && echo "PASS $1" | tee -a "$report"
	else
		fail=$((fail + 1)) && echo "FAIL $1${3:+: $3}" | tee -a "$report"
	fi
}
jget() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null; }

# resolve NAME [VAR=value ...]: lab_accel in a fresh shell with the given environment; leaves
# $work/NAME/{accel.json,err,rc,ms}.
resolve() {
	local name=$1 d=$work/$1 t0
	shift
	rm -rf "$d" && mkdir -p "$d"
	t0=${EPOCHREALTIME/./}
	env "$@" OELAB_ROOT="$root" bash -c '. "$OELAB_ROOT/qemu/lib.sh"; lab_accel "$1"; rc=$?
		echo "$rc ${OELAB_ACCEL_MODE:-}" >"$1/rc"' _ "$d" 2>"$d/err"
	echo $(((${EPOCHREALTIME/./} - t0) / 1000)) >"$d/ms"
}

# boots_firmware NAME ARGS...: QEMU with these accelerator arguments gets through SeaBIOS in 20 s.
boots_firmware() {
	local name=$1 log=$work/$1.bios i pid
	shift
	rm -f "$log"
	qemu-system-x86_64 -machine q35 "$@" -m 64 -nodefaults -display none -monitor none -serial none \
		-debugcon "file:$log" -global isa-debugcon.iobase=0x402 -no-reboot </dev/null >"$log.err" 2>&1 &
	pid=$!
	qemus+=("$pid")
	for i in $(seq 200); do
		grep -aqs 'Booting from' "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -aqs 'Booting from' "$log"; then result "$name" 1
	else result "$name" 0 "QEMU $* did not get through the BIOS: $(tail -1 "$log.err")"; fi
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

hw_virt=0
grep -qwE 'vmx|svm' /proc/cpuinfo && [[ -c /dev/kvm ]] && hw_virt=1
bound=3

# ---- auto: the real probe, with the lab's -cpu host and with a CPU model that hangs here --------------
for cpu in host qemu64; do
	name=auto_probe_cpu_$cpu
	resolve "$name" OELAB_ACCEL=auto OELAB_KVM_CPU=$cpu OELAB_KVM_PROBE_S=$bound
	d=$work/$name
	read -r rc mode <"$d/rc"
	ms=$(cat "$d/ms")
	lines=$(grep -c 'accel: auto ->' "$d/err")
	if ((hw_virt)); then
		ok=0
		[[ $rc == 0 && $mode == kvm && $(jget "$d/accel.json" accel) == kvm && $lines == 1 ]] && ok=1
		result "${name}_picks_kvm" $ok "rc=$rc mode=$mode $(cat "$d/err")"
	else
		ok=0
		[[ $rc == 0 && $mode == tcg && $(jget "$d/accel.json" accel) == tcg &&
			$(jget "$d/accel.json" requested) == auto && $(jget "$d/accel.json" reason) == "KVM probe failed: "* ]] && ok=1
		result "${name}_falls_back_to_tcg" $ok "rc=$rc mode=$mode accel.json=$(cat "$d/accel.json" 2>/dev/null)"
		result "${name}_one_log_line" $([[ $lines == 1 ]] && echo 1 || echo 0) "$lines lines: $(cat "$d/err")"
		# the bound: the probe's seconds plus QEMU start/kill and the JSON write
		result "${name}_within_bound" $((ms <= bound * 1000 + 2500)) "took $ms ms (bound ${bound} s)"
	fi
done
if ((!hw_virt)); then
	resolve kvm_forced OELAB_ACCEL=kvm OELAB_KVM_PROBE_S=$bound
	read -r rc mode <"$work/kvm_forced/rc"
	ok=0
	[[ $rc == 2 && -z $mode && ! -e $work/kvm_forced/accel.json ]] && grep -q 'KVM is unusable here' "$work/kvm_forced/err" && ok=1
	result kvm_forced_refused_with_reason $ok "rc=$rc mode=$mode $(cat "$work/kvm_forced/err")"
fi

# ---- each mode's QEMU arguments -----------------------------------------------------------------------
modes=(tcg icount)
((hw_virt)) && modes+=(kvm)
for m in "${modes[@]}"; do
	resolve "mode_$m" OELAB_ACCEL=$m
	read -r rc mode <"$work/mode_$m/rc"
	args=$(jget "$work/mode_$m/accel.json" qemu_args)
	ok=0
	[[ $rc == 0 && $mode == "$m" && $(jget "$work/mode_$m/accel.json" accel) == "$m" &&
		$(jget "$work/mode_$m/accel.json" guest_time) == "guest ns"* ]] && ok=1
	result "mode_${m}_resolves" $ok "rc=$rc mode=$mode $(cat "$work/mode_$m/err")"
	case $m in
	icount) [[ $args == *"-accel tcg,thread=single -icount shift=0,sleep=on,align=off"* ]] ;;
	tcg) [[ $args == *"-accel tcg,thread=multi"* ]] ;;
	kvm) [[ $args == *"-accel kvm -cpu host"* ]] ;;
	esac
	result "mode_${m}_qemu_args" $(($? == 0)) "$args"
	# shellcheck disable=SC2086 # the recorded argument vector, word-split as lab_boot passes it
	boots_firmware "mode_${m}_boots_firmware" $args
done
[[ $(jget "$work/mode_icount/accel.json" guest_time) == "guest ns, icount: 1 instruction = 1 ns" ]]
result icount_guest_time_label $(($? == 0)) "$(jget "$work/mode_icount/accel.json" guest_time)"

# ---- refused values -----------------------------------------------------------------------------------
for bad in "OELAB_ACCEL=kvmm" "OELAB_ACCEL=TCG" "OELAB_SMP=0" "OELAB_SMP=two" "OELAB_KVM_BIOS_MS=1s" "OELAB_KVM_PROBE_S=0"; do
	[[ $bad == OELAB_KVM_* ]] && base=OELAB_ACCEL=auto || base=OELAB_ACCEL=tcg
	resolve bad "$base" "$bad"
	read -r rc mode <"$work/bad/rc"
	result "refuses_${bad/=/_}" $([[ $rc == 2 && -s $work/bad/err ]] && echo 1 || echo 0) "rc=$rc"
done

# ---- vCPU pinning (the kvm path's helper), on MTTCG: one host thread per vCPU there too -----------------
ncpu=$(nproc)
pin_dir=$work/pin && rm -rf "$pin_dir" && mkdir -p "$pin_dir"
echo '{"accel": "kvm"}' >"$pin_dir/accel.json"
qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 64 -nodefaults -display none \
	-monitor none -serial none -qmp "unix:$pin_dir/qmp.sock,server=on,wait=off" </dev/null >/dev/null 2>&1 &
qpid=$!
qemus+=("$qpid")
want="$((ncpu - 1)) 0" # vCPU 0 -> the last CPU, vCPU 1 -> CPU 0: not what the scheduler would pick
python3 "$root/scripts/qemu-pin-vcpus.py" "$pin_dir/qmp.sock" --cpus "$want" --accel-json "$pin_dir/accel.json" \
	>"$pin_dir/out" 2>&1
prc=$?
got=$(python3 - "$pin_dir/accel.json" <<'EOF'
import json, sys
pins = json.load(open(sys.argv[1])).get("vcpu_pins", {})
out = []
for v in sorted(pins, key=int):
    status = open(f"/proc/{pins[v]['thread']}/status").read()
    allowed = [l.split()[1] for l in status.splitlines() if l.startswith("Cpus_allowed_list")][0]
    out.append(allowed)
print(" ".join(out))
EOF
)
result vcpu_threads_pinned $([[ $prc == 0 && $got == "$want" ]] && echo 1 || echo 0) \
	"helper rc=$prc, Cpus_allowed_list per vCPU '$got', wanted '$want': $(cat "$pin_dir/out")"
kill -KILL "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
python3 "$root/scripts/qemu-pin-vcpus.py" "$pin_dir/qmp.sock" --cpus "$ncpu" >/dev/null 2>&1
result vcpu_pin_bad_cpu_refused $(($? == 2))

# ---- report writers state the mode ------------------------------------------------------------------
rep=$work/reports && rm -rf "$rep" && mkdir -p "$rep/run/tick2trade" "$rep/run/bench-lab/runs"
echo '{"requested": "icount", "accel": "icount", "qemu_args": "-icount shift=0", "reason": "requested", "smp": 1, "guest_time": "guest ns, icount: 1 instruction = 1 ns"}' >"$rep/run/accel.json"
printf 'hook_to_doorbell n=3 mean=959 p50=959 p90=1023 p99=1023 p99.9=1023 max=1023 ns\n' >"$rep/run/tick2trade/histogram.txt"
python3 "$root/scripts/lab-report.py" report "$rep/run" "$rep/out" >"$rep/lab-report.md" 2>&1
j=$(ls "$rep"/out/*/report.json 2>/dev/null | head -1)
ok=0
[[ -n $j && $(jget "$j" accel) == icount ]] && grep -q 'Accelerator: \*\*icount\*\*' "$rep/lab-report.md" &&
	grep -q '| hook_to_doorbell | 3 | 959 ns | 959 ns | 1023 ns' "$rep/lab-report.md" && ok=1
result lab_report_states_accel $ok "$(grep -m2 -E 'Accelerator|hook_to' "$rep/lab-report.md")"
printf '1\tdriver\tA\t1\t10\t100\t100\tx\n' >"$rep/run/bench-lab/runs/plan.tsv"
echo '{"event": "session_end", "report": {"md": {"published": 5, "snapshot_published": 0}, "tick_to_trade_ns": {"count": 1, "p50": 1000, "p90": 1000, "p99": 1000, "p99_9": 1000, "max": 1000}, "triggers": {"expected": 1, "matched": 1, "missed": 0}, "orders": {"unexpected": 0, "rejected": 0}}}' >"$rep/A.log"
python3 "$root/userspace-strategy/report.py" --plan "$rep/run/bench-lab/runs/plan.tsv" --exchange-log "$rep/A.log" \
	--out "$rep/bench" >"$rep/bench.out" 2>&1
ok=0
[[ $(jget "$rep/bench/bench.json" accel) == icount ]] && grep -q 'Accelerator: \*\*icount\*\*' "$rep/bench/bench.md" && ok=1
result bench_report_states_accel $ok "$(head -3 "$rep/bench.out")"

# ---- make test's icount gate (scripts/icount-gate.py) on recorded runs ---------------------------------
gate=$work/gate && rm -rf "$gate" && mkdir -p "$gate"
gate_run() { # name accel hook_n hook_p50 matched [stopwatch-rows-with-sample]
	local d=$gate/$1
	mkdir -p "$d/tick2trade"
	echo "{\"accel\": \"$2\"}" >"$d/accel.json"
	echo "{\"triggers\": {\"expected\": 3, \"matched\": $5, \"missed\": $((3 - $5))}, \"orders\": {\"received\": $5, \"unexpected\": 0}}" \
		>"$d/tick2trade/exchange-report.json"
	printf 'hook_to_doorbell n=%s mean=%s p50=%s p90=%s p99=%s p99.9=%s max=%s ns\n' "$3" "$4" "$4" "$4" "$4" "$4" "$4" \
		>"$d/tick2trade/histogram.txt"
	if [[ -n ${6:-} ]]; then
		local i
		for i in 1 2 3; do
			if ((i <= $6)); then v=$4; else v=null; fi
			echo "{\"variant\": \"driver\", \"seq\": $i, \"irq_to_doorbell\": $v, \"rx_to_doorbell\": $v}"
		done >"$d/tick2trade/stopwatch.jsonl"
	fi
	python3 "$root/scripts/icount-gate.py" "$d" >"$d/gate.out" 2>&1
}
gate_run good icount 3 959 3
result icount_gate_passes_a_good_run $(($? == 0)) "$(cat "$gate/good/gate.out")"
gate_run good_sw icount 0 959 3 3
result icount_gate_reads_stopwatch_jsonl $(($? == 0)) "$(cat "$gate/good_sw/gate.out")"
for bad in "tcg_run tcg 3 959 3" "tcg_clock icount 3 26600 3" "missed icount 2 959 2" "no_sample icount 2 959 3" \
	"sw_null icount 3 959 3 2" "fire_path_slow icount 3 2303 3 3" "fire_path_slow_hist icount 3 2303 3"; do
	# shellcheck disable=SC2086
	gate_run $bad
	result "icount_gate_fails_${bad%% *}" $(($? == 1)) "$(cat "$gate/${bad%% *}/gate.out")"
done

echo "$pass passed, $fail failed" | tee -a "$report"
((fail == 0))
