#!/usr/bin/env bash
# qemu/lab.sh --interactive: the lab (netns + tap + QEMU igb) with a shell on the guest's serial
# console (make shell). Inside: /lab is this repo (read-only), modules are in /lib/oe,
# `. /lab/qemu/guest/lib.sh; oe_load_driver` loads igb_oe and configures eth0. From another
# terminal, the exchange side is reachable with `ip netns exec <ns> ...` (the namespace name is
# printed below). Quit the guest with `poweroff -f` (or Ctrl-A X). OELAB_ACCEL picks the accelerator
# (qemu/accel.sh).
set -uo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
[[ ${1:-} == --interactive ]] || { echo "usage: qemu/lab.sh --interactive" >&2; exit 2; }
run=$OELAB_ROOT/build/lab-runs/shell-$$
mkdir -p "$run"
lab_accel "$run" || exit 2
trap lab_down EXIT INT TERM
lab_up || exit 1
lab_log "exchange side: ip netns exec $OELAB_NS <command>   (tap $OELAB_TAP, $OELAB_HOST_IP)"
lab_boot "$run" interactive
