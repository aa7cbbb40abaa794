# shellcheck shell=bash
# `make experiment` as a lab scenario (qemu/scenarios/run.sh protocol; qemu/scenarios/experiment.sh
# sources this file). scripts/experiment.py prepares one boot's plan in $EXP_BOOT_DIR/plan.json and
# runs `run.sh experiment`; here the host part starts the conductor in the lab netns (it starts an
# exchange per step and hands the steps to the guest over the 9p share), the guest part runs them.

experiment_host() {
	[[ -n ${EXP_BOOT_DIR:-} && -f $EXP_BOOT_DIR/plan.json ]] ||
		{ echo "experiment: run it through make experiment EXP=... (no EXP_BOOT_DIR/plan.json)" >&2; return 1; }
	mkdir -p "$RUN/exp"
	lab_spawn /usr/bin/python3 "$OELAB_ROOT/scripts/experiment_conductor.py" "$EXP_BOOT_DIR" "$RUN"
}

experiment_guest() {
	sh /lab/scripts/experiment-guest.sh /out/exp
}

experiment_check() {
	local i
	touch "$RUN/exp/boot-ended" # a step still waited for will not finish now
	# The conductor finishes the last step's report after the guest powered off.
	for i in $(seq 1 120); do [[ -f $EXP_BOOT_DIR/conductor.done ]] && break; sleep 0.5; done
	[[ -f $EXP_BOOT_DIR/conductor.done ]] || { lab_log "experiment: the conductor did not finish"; return 1; }
	cp "$RUN/experiment/log.txt" "$EXP_BOOT_DIR/guest-agent.log" 2>/dev/null
	return 0
}
