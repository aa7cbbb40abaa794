#!/usr/bin/env bash
# run.sh [--report] SCENARIO...: one netns + tap, one guest boot, the scenarios in order.
# Each scenario qemu/scenarios/NAME.sh defines:
#   NAME_host     (optional) start host-side parts inside the netns before the boot (lab_spawn ...)
#   NAME_guest    print the guest-side shell (busybox sh); it writes into /out/NAME/
#   NAME_check    after the boot: verify, write build/results/NAME*.txt ("N passed, N failed")
# Results of the run: build/lab-runs/<stamp>/ (console.log, guest.log, per-scenario outputs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
report=0
[[ ${1:-} == --report ]] && { report=1; shift; }
(($#)) || { echo "usage: run.sh [--report] SCENARIO..." >&2; exit 2; }
for s in "$@"; do
	[[ -f $here/$s.sh ]] || { echo "run.sh: no scenario '$s' (have: $(cd "$here" && ls *.sh | grep -v run.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 2; }
	. "$here/$s.sh" || { echo "run.sh: scenario $s does not load" >&2; exit 2; }
done
export OELAB_REPORT=$report
# OELAB_RUN_DIR: the run folder (default build/lab-runs/<stamp>-<pid>). OELAB_RESULTS_TAG=T: the
# scenarios' result files go to build/results/<name>_T.txt, beside the default run's (make test's
# icount gate runs tick2trade a second time this way).
RESULTS=$OELAB_ROOT/build/results
RUN=${OELAB_RUN_DIR:-$OELAB_ROOT/build/lab-runs/$(date +%Y%m%d-%H%M%S)-$$}
[[ -n ${OELAB_RESULTS_TAG:-} ]] && RESULTS=$RUN/results
mkdir -p "$RUN" "$RESULTS"
export RUN RESULTS
# One lab run per host at a time: a second guest on the same cores distorts both runs' timing
# (TCG guests stall, MD is dropped). OELAB_GUEST_LOCK names the lock file; "none" skips it.
if [[ ${OELAB_GUEST_LOCK:-/tmp/oelab-guest.lock} != none ]]; then
	exec 8>"${OELAB_GUEST_LOCK:-/tmp/oelab-guest.lock}"
	flock -n 8 || { lab_log "another lab run holds ${OELAB_GUEST_LOCK:-/tmp/oelab-guest.lock}: waiting"; flock 8; }
fi
# OELAB_ACCEL -> OELAB_ACCEL_MODE + $RUN/accel.json, before the host parts (their reports name it).
lab_accel "$RUN" || exit 2
trap lab_down EXIT INT TERM
lab_up || exit 1

{
	echo "set -u"
	echo ". /lab/qemu/guest/lib.sh"
	for s in "$@"; do
		echo "mkdir -p /out/$s; echo '== scenario $s'"
		echo "( $(declare -f "${s}_guest" | sed '1,2d;$d') ) > /out/$s/log.txt 2>&1; echo \"scenario $s exit \$?\""
	done
	echo "dmesg > /out/dmesg.txt"
} > "$RUN/guest.sh"

for s in "$@"; do
	if declare -F "${s}_host" >/dev/null; then "${s}_host" || { lab_log "$s: host part failed"; exit 1; }; fi
done
lab_boot "$RUN"
boot_rc=$?
status=0
[[ $boot_rc -eq 0 && -f $RUN/guest.exit ]] || { lab_log "guest did not finish cleanly (qemu rc $boot_rc)"; status=1; }
# A guest that oopsed or WARNed fails every run, whatever the scenarios say.
if grep -E 'Oops|BUG:|WARNING:|Call Trace:|Kernel panic|missing return thunk|objtool' "$RUN/console.log" "$RUN/dmesg.txt" 2>/dev/null | head -20; then
	lab_log "kernel reported a problem (see $RUN/console.log)"
	echo "0 passed, 1 failed" > "$RESULTS/guest_kernel_clean.txt"
	status=1
else
	echo "1 passed, 0 failed" > "$RESULTS/guest_kernel_clean.txt"
fi
for s in "$@"; do
	"${s}_check" || status=1
done
if [[ -n ${OELAB_RESULTS_TAG:-} ]]; then
	mkdir -p "$OELAB_ROOT/build/results"
	for f in "$RESULTS"/*.txt; do
		[[ -f $f ]] && cp "$f" "$OELAB_ROOT/build/results/$(basename "$f" .txt)_$OELAB_RESULTS_TAG.txt"
	done
fi
lab_log "run folder: $RUN"
exit $status
