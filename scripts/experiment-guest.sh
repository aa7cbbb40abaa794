#!/bin/sh
# experiment-guest.sh DIR: the guest side of `make experiment` (busybox sh). Runs the steps the host's
# conductor (scripts/experiment_conductor.py) hands over through the 9p share, one after the other:
# DIR/step-K.sh appears (then DIR/step-K.ready), runs with its output in DIR/step-K.log, and its exit
# status goes to DIR/step-K.done. DIR/stop ends the loop. DIR/sysctl-keys lists every sysctl an arm
# sets: their boot values are saved first, so a step restores the keys its arm leaves alone.
set -u
dir=$1
orig=/tmp/exp-sysctl-orig
sysctl_path() { echo "/proc/sys/$(echo "$1" | tr . /)"; }
# Boot values of the arms' sysctls, read once the conductor has written its list (before step 1).
save_sysctls() {
	: > $orig
	[ -f "$dir/sysctl-keys" ] || return 0
	for key in $(cat "$dir/sysctl-keys"); do
		p=$(sysctl_path "$key")
		[ -f "$p" ] || { echo "experiment: guest has no sysctl $key ($p)"; echo 2 > "$dir/guest-error"; exit 2; }
		echo "$key $(tr '\t' ' ' < "$p")" >> $orig
	done
}

# exp_sysctl KEY VALUE: set (and echo what the kernel took); exp_sysctl_restore KEY: the boot value.
exp_sysctl() {
	echo "$2" > "$(sysctl_path "$1")" || { echo "experiment: cannot set $1=$2"; return 1; }
	echo "sysctl $1 = $(cat "$(sysctl_path "$1")")"
}
exp_sysctl_restore() {
	exp_sysctl "$1" "$(awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' $orig)"
}

k=1
while :; do
	i=0
	# The next step, or the end; bounded so a lost conductor cannot hold the guest forever.
	while [ ! -f "$dir/step-$k.ready" ] && [ ! -f "$dir/stop" ] && [ $i -lt 9000 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ -f "$dir/step-$k.ready" ] || break
	[ $k -gt 1 ] || save_sysctls
	echo "experiment: step $k"
	( . "$dir/step-$k.sh" ) > "$dir/step-$k.log" 2>&1
	echo $? > "$dir/step-$k.done"
	k=$((k + 1))
done
[ -f "$dir/stop" ] || { echo "experiment: no step $k and no stop after 30 min: giving up"; exit 1; }
echo "experiment: stop after $((k - 1)) steps"
