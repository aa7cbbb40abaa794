#!/usr/bin/env bash
# tcg-profile.sh RUN EXCHANGE_LOG [SECONDS]: where a TCG guest's host time goes during a replay.
# Run it beside a lab run (run.sh with OELAB_RUN_DIR=RUN and OELAB_QEMU_EXTRA="-name oelab,debug-threads=on
# -perfmap", so the vCPU threads are named "CPU n/TCG" and perf can name JIT code). When the exchange
# logs its "connected" event it waits 0.6 s (the start delay), then over SECONDS (default 6) of replay:
#   RUN/tcg-profile/schedstat.txt  each QEMU thread's /proc schedstat before and after: on-CPU ns,
#                                  run-queue wait ns, timeslices (host scheduling delay of the vCPUs)
#   RUN/tcg-profile/jit.txt        HMP "info jit" before and after (TB, translation, TLB flush counters)
#   RUN/tcg-profile/perf.txt       perf cpu-clock samples by thread, DSO and symbol (JIT code, softmmu
#                                  helpers, translator, device models, locks)
# docs/results.md "Where TCG's 26 µs ... goes" reads these. Needs perf (linux-perf) on the host.
set -uo pipefail
run=$1 log=$2 secs=${3:-6}
out=$run/tcg-profile
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
pid= i=0
while [[ -z $pid ]] && ((i++ < 3600)); do
	# the QEMU process itself, not the timeout / ip netns exec wrapping it (same command line)
	for p in $(pgrep -x qemu-system-x86); do
		grep -qaF "path=$run,mount_tag=out" "/proc/$p/cmdline" 2>/dev/null && pid=$p
	done
	[[ -n $pid ]] || sleep 1
done
[[ -n $pid ]] || { echo "tcg-profile: no QEMU for $run" >&2; exit 1; }
i=0
until grep -qs '"event":"connected"' "$log"; do
	((i++ < 1200)) || { echo "tcg-profile: no connected event in $log" >&2; exit 1; }
	kill -0 "$pid" 2>/dev/null || { echo "tcg-profile: QEMU $pid exited" >&2; exit 1; }
	sleep 0.5
done
sleep 0.6
threads() { for t in /proc/"$pid"/task/*; do echo "${t##*/} $(tr ' ' _ < "$t/comm") $(cat "$t/schedstat")"; done; }
jit() { python3 "$here/qemu-hmp.py" "$run/monitor.sock" "info jit" 2>&1; }
{ echo "# before: tid comm on_cpu_ns runqueue_wait_ns timeslices"; threads; } > "$out/schedstat.txt"
{ echo "# before"; jit; } > "$out/jit.txt"
perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$out/perf.data" -- sleep "$secs" 2> "$out/perf-record.log"
{ echo "# after ${secs} s"; threads; } >> "$out/schedstat.txt"
{ echo "# after ${secs} s"; jit; } >> "$out/jit.txt"
perf report -i "$out/perf.data" --sort comm,dso,sym --stdio 2>/dev/null | grep -v '^$' | head -150 > "$out/perf.txt"
perf report -i "$out/perf.data" --sort comm,dso --stdio 2>/dev/null | grep -v '^$' | head -40 > "$out/perf-dso.txt"
echo "tcg-profile: $out"
