# Guest-side helpers for scenario scripts (busybox sh).
OE_MOD=/lib/oe
GUEST_IP=${OELAB_GUEST_IP:-192.168.100.2}
HOST_IP=192.168.100.1

# Load the patched driver (after its i2c dependency) and bring eth0 up with the lab address.
# OE_KO: another build of igb_oe to load (make experiment: the padded module of contract C3).
oe_load_driver() {
	if [ -f $OE_MOD/i2c-algo-bit.ko ] && ! grep -q '^i2c_algo_bit ' /proc/modules; then
		insmod $OE_MOD/i2c-algo-bit.ko || return 1
	fi
	insmod "${OE_KO:-$OE_MOD/igb_oe.ko}" "$@" || return 1
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# The largest RX ring: under TCG a vCPU can stall for tens of ms, and at 2,000 MD packets/s
	# igb's default 256 descriptors would overflow (frames dropped at the NIC, rx_missed_errors).
	ethtool -G eth0 rx 4096 || return 1
	ip link set eth0 up || return 1
	ip addr add $GUEST_IP/24 dev eth0 || return 1
	ip route add 239.0.0.0/8 dev eth0
	i=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	echo "eth0: driver $(basename $(readlink /sys/class/net/eth0/device/driver)) carrier $(cat /sys/class/net/eth0/carrier)"
}

# Record a pass/fail line the host check reads: ok NAME / not ok NAME detail
t_ok() { echo "ok $1"; }
t_fail() { echo "not ok $1 ${2:-}"; }
check() { name=$1; shift; if "$@"; then t_ok "$name"; else t_fail "$name" "($*)"; fi; }

# ---- sessions and the host agent (faults, load: qemu/scenarios/faults_agent.py) ----
# OE_AGENT_DIR: the scenario's folder on /out, where requests go (cmd-N) and answers come (ack-N).
oe_session_k=0
# oe_host COMMAND...: ask the agent, print its answer; fails on "error" or no answer in WAIT s (30).
# The request number lives in a file of the folder, not in a shell variable: a request from a
# subshell ($(oe_host ...)) must not make the next one reuse its number and read its answer.
oe_host() {
	oe_host_n=$(($(cat $OE_AGENT_DIR/.oe_host_n 2>/dev/null || echo 0) + 1))
	echo $oe_host_n > $OE_AGENT_DIR/.oe_host_n
	echo "$*" > $OE_AGENT_DIR/.cmd && mv $OE_AGENT_DIR/.cmd $OE_AGENT_DIR/cmd-$oe_host_n
	i=0
	while [ ! -f $OE_AGENT_DIR/ack-$oe_host_n ] && [ $i -lt $((${WAIT:-30} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	a=$(cat $OE_AGENT_DIR/ack-$oe_host_n 2>/dev/null)
	echo "host $*: ${a:-no answer}"
	case "$a" in ok*) return 0 ;; esac
	return 1
}
# oe_stat NAME: one ethtool -S value of eth0
oe_stat() { ethtool -S eth0 2>/dev/null | awk -v k="$1:" '$1 == k { print $2; exit }'; }
# oe_msgbit: 1 if msglvl has the order-entry bit (wol, 0x4000) set
oe_msgbit() {
	v=$(ethtool eth0 2>/dev/null | awk '/Current message level/ { print $4; exit }')
	[ -n "$v" ] && [ $((v & 0x4000)) -ne 0 ] && echo 1 || echo 0
}
# oe_wait_state STATE SECONDS: igboe_state reaches STATE (0 Init, 2 Running) within SECONDS of
# wall time (each ethtool -S takes a while under TCG: the wait counts seconds, not tries)
oe_wait_state() {
	end=$(($(date +%s) + $2))
	while [ "$(oe_stat igboe_state)" != "$1" ] && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
	[ "$(oe_stat igboe_state)" = "$1" ]
}
# oe_connect: wol on with a fresh local port (50000 + session number), so the host can match each
# session with the exchange's report of it; waits for Running
oe_connect() {
	oe_session_k=$((oe_session_k + 1))
	echo $((50000 + oe_session_k)) > /sys/module/igb_oe/parameters/local_port
	ethtool -s eth0 msglvl wol on
	oe_wait_state 2 40
}
oe_disconnect() {
	ethtool -s eth0 msglvl wol off
	oe_wait_state 0 30
}
# oe_record LABEL: the session's counters (the core's reset at every connect), once it is over
oe_record() {
	ethtool -S eth0 > $OE_AGENT_DIR/session-$oe_session_k.txt
	echo "$oe_session_k $((50000 + oe_session_k)) $1" >> $OE_AGENT_DIR/sessions-guest.txt
}
