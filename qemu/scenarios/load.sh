# A benchmark, not part of make test (make bench-load, and make lab): the highest market-data rate the
# in-driver path sustains with zero NIC drops, then a stress step at twice that rate with non-lab
# traffic through the same NIC.
#   1. For each rate of LOAD_RATES (msgs/s), one session of LOAD_STEP_S seconds: sustained if
#      rx_missed_errors and rx_no_buffer_count did not move and the exchange matched every trigger
#      (no missed, no unexpected). The steps stop at the first rate that is not sustained.
#   2. Stress: 2 x the highest sustained rate for LOAD_STRESS_S seconds while the host sends UDP to
#      another port of the MD group, UDP to another group the guest joined with a socket, unicast
#      UDP, and a TCP transfer to the guest's own stack (nc), and the guest pings the exchange side.
#      Checks: no Oops/WARN/BUG, every NIC drop counted, the session reconciled (missed triggers
#      named by the exchange, no unexpected order), ping and the TCP transfer complete.
# The NIC is on the tap itself (no relay); the agent (faults_agent.py, UDP port 0) runs the exchange.
# Report: build/results/load.txt and RUN/load/load.md (the table docs/results.md records).
LOAD_RATES=${LOAD_RATES:-2000 5000 10000 20000 40000 80000}
LOAD_STEP_S=${LOAD_STEP_S:-10}
LOAD_STRESS_S=${LOAD_STRESS_S:-60}
LOAD_FILE=${LOAD_FILE:-$OELAB_ROOT/userspace-exchange/data/sample.csv.gz}
LOAD_EXCHANGE=$OELAB_ROOT/build/host/userspace-exchange/exchange

load_host() {
	[[ -x $LOAD_EXCHANGE ]] || { echo "load: $LOAD_EXCHANGE not built (make host)" >&2; return 1; }
	mkdir -p "$RUN/load"
	echo "$LOAD_RATES" > "$RUN/load/rates"
	echo "$LOAD_STEP_S $LOAD_STRESS_S" > "$RUN/load/durations"
	lab_spawn python3 "$OELAB_ROOT/qemu/scenarios/faults_agent.py" "$RUN/load" "$RUN/monitor.sock" 0 \
		"$LOAD_EXCHANGE" --bind "$OELAB_HOST_IP" --iface "$OELAB_TAP" --file "$LOAD_FILE" \
		--rate 1000 --loop --start-delay-ms 300 --no-mcast-loop
}

load_guest() {
	out=/out/load
	OE_AGENT_DIR=$out
	read step stress_s < $out/durations
	# a value out of the agent's one-line JSON answer: "key": N
	field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
	drops() { echo $(($(oe_stat rx_missed_errors) + $(oe_stat rx_no_buffer_count))); }
	check load_driver oe_load_driver
	ethtool -C eth0 rx-usecs 0
	best=0
	for rate in $(cat $out/rates); do
		oe_host exchange-restart rate=$rate
		d0=$(drops)
		oe_connect || { echo "rate $rate: no session"; break; }
		sleep $step
		oe_disconnect
		oe_record rate-$rate
		d=$(($(drops) - d0))
		ans=$(oe_host session $((50000 + oe_session_k)))
		missed=$(echo "$ans" | field missed) unexpected=$(echo "$ans" | field unexpected)
		matched=$(echo "$ans" | sed -n 's/.*"triggers": {[^}]*"matched": \([0-9]*\).*/\1/p')
		echo "rate $rate: NIC drops $d, triggers matched ${matched:-?} missed ${missed:-?}, unexpected ${unexpected:-?}"
		if [ "$d" -eq 0 ] && [ "${missed:-1}" -eq 0 ] && [ "${unexpected:-1}" -eq 0 ] && [ "${matched:-0}" -gt 0 ]; then
			best=$rate
		else
			break
		fi
	done
	echo $best > $out/best
	check sustained_rate_found test $best -gt 0
	[ $best -gt 0 ] || return

	stress=$((2 * best))
	oe_host exchange-restart rate=$stress
	mcast-recv 239.255.0.2 12345 $GUEST_IP $((stress_s + 30)) never-sent > /dev/null 2>&1 &
	recv=$!
	( nc -l -p 5001 | wc -c > /tmp/tcp.count ) &
	d0=$(drops)
	check stress_connects oe_connect
	check stress_traffic_started oe_host traffic $stress_s
	ping -c $((stress_s / 2)) -i 1 -W 5 $HOST_IP > $out/ping.txt 2>&1
	ping_rc=$?
	sent=$(WAIT=$((stress_s + 60)) oe_host traffic-wait)
	echo "$sent"
	sleep 2
	check stress_session_survives test "$(oe_stat igboe_state)" = 2
	check stress_disconnects oe_disconnect
	oe_record stress-$stress
	echo "stress $stress msgs/s: NIC drops $(($(drops) - d0)) (rx_missed_errors + rx_no_buffer_count)"
	check stress_ping test $ping_rc -eq 0
	tail -2 $out/ping.txt
	want=$(echo "$sent" | field tcp_bytes)
	got=$(cat /tmp/tcp.count 2>/dev/null)
	echo "tcp transfer: sent ${want:-?} bytes, received ${got:-?}"
	check stress_tcp_transfer test -n "$want" -a "$want" -gt 0 -a "${got:-0}" = "$want"
	kill $recv 2>/dev/null
	ethtool -S eth0 > $out/ethtool-S-final.txt
	check stress_unload rmmod igb_oe
	check stress_no_splat sh -c "! dmesg | grep -E 'Oops|WARNING:|BUG:|lockdep|Call Trace'"
}

load_check() {
	python3 "$OELAB_ROOT/scripts/load-report.py" "$RUN/load" > "$RESULTS/load.txt"
	local rc=$?
	cat "$RESULTS/load.txt"
	return $rc
}
