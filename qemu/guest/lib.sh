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
