# The lab spine's proof: the guest loads igb_oe (the patched driver), pings the exchange side, and a
# UDP multicast datagram to 239.255.0.1:12345 sent from the netns is received in the guest.
smoke_host() {
	SMOKE_NONCE=oelab-smoke-$RANDOM$RANDOM
	echo "$SMOKE_NONCE" > "$RUN/smoke.nonce"
	# Bounded sender: one datagram every 200 ms until the guest has one (it writes smoke/received on
	# the share: later scenarios must not see stray MD traffic), at most 10 minutes.
	mkdir -p "$RUN/smoke"
	lab_spawn python3 "$OELAB_ROOT/scripts/mcast-send.py" 239.255.0.1 12345 "$OELAB_HOST_IP" \
		"$SMOKE_NONCE" 3000 0.2 "$RUN/smoke/received"
}

smoke_guest() {
	nonce=$(cat /out/smoke.nonce)
	# md_mirror=1: the RX hook consumes MD frames before any skb exists; mirroring also hands them
	# to the stack so an ordinary socket can see them (and we check the hook counted them too).
	check driver_loads oe_load_driver md_mirror=1
	check driver_is_igb_oe test "$(basename "$(readlink /sys/class/net/eth0/device/driver)")" = igb_oe
	check ping_exchange ping -c 3 -W 5 $HOST_IP
	check multicast_received mcast-recv 239.255.0.1 12345 $GUEST_IP 60 "$nonce"
	touch /out/smoke/received
	ethtool -S eth0 > /out/smoke/ethtool-S.txt 2>&1
	ethtool -i eth0 > /out/smoke/ethtool-i.txt 2>&1
	check driver_unloads rmmod igb_oe
}

smoke_check() {
	in_ns ip -s link show "$OELAB_TAP" > "$RUN/smoke/tap-stats.txt" 2>&1
	python3 "$OELAB_ROOT/scripts/tap-summary.py" smoke "$RUN/smoke/log.txt" 5 > "$RESULTS/smoke.txt"
	local rc=$?
	cat "$RESULTS/smoke.txt"
	return $rc
}
