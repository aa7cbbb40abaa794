# shellcheck shell=bash
# The side-by-side comparison as a lab scenario (qemu/scenarios/run.sh protocol). The lab's
# qemu/scenarios/bench-lab.sh only needs to source this file:
#     . "$OELAB_ROOT/userspace-strategy/lab-scenario.sh"
# One guest boot: two exchanges in the netns on the tap (A: every strategy; B: bounce mode for the
# XDP_TX floor), the guest runs userspace-strategy/bench-lab.sh over all variants and repetitions, the
# check turns the exchanges' session reports into the table (report.py).
# Knobs: BENCH_FILE (gzip CSV), BENCH_RATE (msgs/s), BENCH_REPS, BENCH_VARIANTS, BENCH_CPU,
# OE_FIRE_PAD_INSNS (the driver-pad variant's no-ops, for the report), BENCH_QEMU_TRACE (1: QEMU
# records its igb / MSI-X trace events for the host stages, scripts/qemu_stages.py; default 1 for
# make bench-lab / make lab, 0 for make test's short run, whose trace would be ~100 MB),
# BENCH_IRQ_CPU (the NIC's interrupts on that CPU, or "1 0": one CPU per repetition; bench-lab.sh
# --irq-cpu; unset, the kernel's choice; recorded either way in runs/irq-affinity.txt).
# BENCH_FILE defaults to the dense trigger file (userspace-exchange `make dense-sample`: 380 triggers a
# replay, >= 1,000 per variant over 3 repetitions) for make bench-lab / make lab (run.sh --report),
# and to the shipped sample for make test's short run.
BENCH_FILE=${BENCH_FILE:-}
BENCH_DENSE=$OELAB_ROOT/build/host/userspace-exchange/data/dense-triggers.csv.gz
BENCH_RATE=${BENCH_RATE:-2000}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_VARIANTS=${BENCH_VARIANTS:-}
BENCH_CPU=${BENCH_CPU:-1}
BENCH_IRQ_CPU=${BENCH_IRQ_CPU:-}
BENCH_EXCHANGE=$OELAB_ROOT/build/host/userspace-exchange/exchange
BENCH_QEMU_TRACE=${BENCH_QEMU_TRACE:-}

bench-lab_host() {
	local d=$RUN/bench-lab
	if [[ -z $BENCH_FILE && ${OELAB_REPORT:-0} == 1 ]]; then
		make -s -C "$OELAB_ROOT/userspace-exchange" dense-sample >&2 || return 1
		BENCH_FILE=$BENCH_DENSE
	fi
	BENCH_FILE=${BENCH_FILE:-$OELAB_ROOT/userspace-exchange/data/sample.csv.gz}
	[[ -x $BENCH_EXCHANGE ]] || { echo "bench-lab: $BENCH_EXCHANGE not built" >&2; return 1; }
	[[ -x $OELAB_ROOT/build/host/userspace-strategy/oe-strategy ]] || { echo "bench-lab: make -C userspace-strategy" >&2; return 1; }
	mkdir -p "$d"
	BENCH_QEMU_TRACE=${BENCH_QEMU_TRACE:-${OELAB_REPORT:-0}}
	if [[ $BENCH_QEMU_TRACE == 1 ]]; then
		OELAB_QEMU_EXTRA="${OELAB_QEMU_EXTRA:-} $(python3 "$OELAB_ROOT/scripts/qemu_stages.py" args "$d/qemu-trace.log")"
	fi
	{
		echo "--reps $BENCH_REPS --host $OELAB_HOST_IP --iface eth0 --cpu $BENCH_CPU --out /out/bench-lab/runs"
		[[ -n $BENCH_IRQ_CPU ]] && echo "--irq-cpu $(echo $BENCH_IRQ_CPU | tr ' ' ,)"
		[[ -n $BENCH_VARIANTS ]] && echo "--variants"
	} | tr '\n' ' ' > "$d/args"
	echo "$BENCH_VARIANTS" > "$d/variants"
	local common=(--bind "$OELAB_HOST_IP" --iface "$OELAB_TAP" --file "$BENCH_FILE" --rate "$BENCH_RATE"
		--start-delay-ms 500 --no-mcast-loop)
	lab_spawn "$BENCH_EXCHANGE" "${common[@]}" > "$d/exchange-A.log" 2> "$d/exchange-A.err"
	lab_spawn "$BENCH_EXCHANGE" "${common[@]}" --port 9014 --md-port 12346 --bounce-port 9013 --bounce-all \
		> "$d/exchange-B.log" 2> "$d/exchange-B.err"
}

bench-lab_guest() {
	d=/out/bench-lab
	if [ -s $d/variants ] && [ -n "$(cat $d/variants)" ]; then
		sh /lab/userspace-strategy/bench-lab.sh $(cat $d/args) "$(cat $d/variants)"
	else
		sh /lab/userspace-strategy/bench-lab.sh $(cat $d/args)
	fi
	echo "bench-lab exit $?"
}

bench-lab_check() {
	local d=$RUN/bench-lab out
	out=$d/report
	python3 "$OELAB_ROOT/userspace-strategy/report.py" --plan "$d/runs/plan.tsv" \
		--exchange-log "$d/exchange-A.log" --bounce-log "$d/exchange-B.log" --out "$out" --accel "$RUN/accel.json" \
		--command "make bench-lab (BENCH_REPS=$BENCH_REPS BENCH_RATE=$BENCH_RATE $(basename "$BENCH_FILE"))" \
		--pad-insns "${OE_FIRE_PAD_INSNS:-0}" --md-file "$BENCH_FILE" \
		$([[ $BENCH_QEMU_TRACE == 1 ]] && echo --qemu-trace "$d/qemu-trace.log") \
		--machine "guest: QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') -device igb, accel ${OELAB_ACCEL_MODE:-?}, -smp ${OELAB_SMP_MODE:-?}, $(uname -m); host: $(nproc) CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), Linux $(uname -r)" \
		> "$d/report.out" 2>&1
	local rc=$?
	cat "$d/report.out"
	# Pass = every run connected and was reconciled with zero missed / unexpected orders.
	python3 - "$out/bench.json" > "$RESULTS/bench_lab.txt" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"not ok bench_lab_report {e}\n0 passed, 1 failed"); sys.exit()
p = f = 0
for v in j["variants"]:
    ok = not v["failed_runs"] and v["samples"] > 0 and not v["missed"] and not v["unexpected"]
    print(("ok " if ok else "not ok ") + f"bench_{v['variant']} sessions {v['sessions']}/{v['runs']} "
          f"samples {v['samples']} missed {v['missed']} unexpected {v['unexpected']}")
    p, f = (p + 1, f) if ok else (p, f + 1)
    # Guest stopwatch coverage: a guest sample for every reconciled order, on every variant (issue 10:
    # packet-busy had none until the skb path read headers from fragments; the floor lost 2 of 13,690
    # to an irq/NAPI stamp race in igb_poll, fixed). why: scripts/stopwatch.py's why_null counts.
    g = v.get("guest") or {}
    full = v["matched"] > 0 and g.get("n", 0) == v["matched"]
    why = ", ".join(f"{k} {n}" for k, n in (g.get("unmeasured") or {}).items())
    print(("ok " if full else "not ok ") + f"bench_{v['variant']}_stopwatch guest samples {g.get('n', 0)} "
          f"matched orders {v['matched']}" + ("" if full else f" (unmeasured: {why or '?'})"))
    p, f = (p + 1, f) if full else (p, f + 1)
print(f"{p} passed, {f} failed")
EOF
	cat "$RESULTS/bench_lab.txt"
	if [[ ${OELAB_REPORT:-0} == 1 ]]; then
		mkdir -p "$OELAB_ROOT/results/bench"
		cp "$out"/bench.md "$out"/bench.json "$out"/bench.png "$out"/stages.png "$out"/stopwatch.jsonl \
			"$OELAB_ROOT/results/bench/" 2>/dev/null
	fi
	[[ $rc == 0 ]] && ! grep -q ' [1-9][0-9]* failed' "$RESULTS/bench_lab.txt"
}
