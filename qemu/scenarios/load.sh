# A benchmark, not part of make test (make bench-load, and make lab): the highest market-data rate the
# in-driver path sustains with zero drops, then a stress step at twice that rate with non-lab
# traffic through the same NIC.
#   1. Steps: one session of LOAD_STEP_S seconds per rate of LOAD_RATES (msgs/s, ascending) until
#      the first that is not sustained, then LOAD_REFINE bisection steps between the last sustained
#      rate and that one. Sustained: no frame dropped on the way to the guest, every datagram
#      published reached the core, every trigger matched or counted by the guest as decided after
#      the disconnect request (oe_orders_not_running), no unexpected order — all read from the
#      counters recorded once the session is over (oe_record), the snapshot load-report.py judges
#      too: a guest that lags the feed still holds frames then, and decides triggers published
#      before its disconnect after it, so it is not sustaining that rate (read later, the backlog
#      has drained and the two sides disagreed: session 5's icount run went on to 60,000 msgs/s
#      and stressed at 120,000 while the report said 18,466 was the highest sustained). QEMU's igb never moves
#      rx_missed_errors / rx_no_buffer_count (read anyway): with every RX queue full it stops
#      reading the tap, whose tx_dropped counts the drops; with only the frame's queue full it
#      drops silently but for a trace event (qemu-rx-drops.log). All three are counted.
#   2. Stress: 2 x the highest sustained rate for LOAD_STRESS_S seconds while the host sends UDP to
#      another port of the MD group, UDP to another group the guest joined with a socket, unicast
#      UDP, and a TCP transfer to the guest's own stack (nc), and the guest pings the exchange side.
#      Checks: no Oops/WARN/BUG, every lost datagram counted (tap, NIC), every missed trigger named
#      and explained by a drop before it, no unexplained order, ping and the TCP transfer complete,
#      the session survives.
#   3. Recovery: one more session right after the stress at half the highest sustained rate:
#      fully reconciled. Half, not the rate itself: the best step is the edge, where a busier host
#      minute drops frames at the tap (2026-12-02, tcg: recovery at the best rate, 50,000, lost 668
#      datagrams, all counted at the tap, after a stress whose checks all passed); the recovery step
#      asks whether the path works again after the overload, not where its ceiling is.
# The NIC is on the tap itself (no relay); the agent (faults_agent.py, UDP port 0) runs the exchange
# and samples the tap's drop counter (tap-drops.jsonl). Report: build/results/load.txt and
# RUN/load/load.md + load.json (docs/results.md records the table; scripts/load-report.py).
LOAD_RATES=${LOAD_RATES:-2000 5000 10000 20000 40000 80000}
LOAD_REFINE=${LOAD_REFINE:-2}
LOAD_STEP_S=${LOAD_STEP_S:-10}
LOAD_STRESS_S=${LOAD_STRESS_S:-60}
# LOAD_STRESS_RATE=N: no rate steps, only the stress step at N msgs/s and the recovery session at
# LOAD_RECOVERY_RATE (make test's short form: the stress step's correctness checks, not a figure)
LOAD_STRESS_RATE=${LOAD_STRESS_RATE:-}
LOAD_RECOVERY_RATE=${LOAD_RECOVERY_RATE:-1000}
LOAD_FILE=${LOAD_FILE:-$OELAB_ROOT/userspace-exchange/data/sample.csv.gz}
LOAD_EXCHANGE=$OELAB_ROOT/build/host/userspace-exchange/exchange

load_host() {
	[[ -x $LOAD_EXCHANGE ]] || { echo "load: $LOAD_EXCHANGE not built (make host)" >&2; return 1; }
	mkdir -p "$RUN/load"
	echo "$LOAD_RATES" > "$RUN/load/rates"
	echo "$LOAD_STEP_S $LOAD_STRESS_S $LOAD_REFINE" > "$RUN/load/durations"
	[[ -n $LOAD_STRESS_RATE ]] && echo "$LOAD_STRESS_RATE $LOAD_RECOVERY_RATE" > "$RUN/load/stress-only"
	{ echo "start $(cat /proc/loadavg)"; nproc; } > "$RUN/load/host-load.txt"
	# QEMU's igb drops a frame without any register count when the RX queue it hashes to is full
	# while another queue has room (igb_can_receive is true, igb_receive_iov finds no buffers): its
	# trace event is the only record of those drops, with the time (-msg timestamp=on)
	OELAB_QEMU_EXTRA="${OELAB_QEMU_EXTRA:-} -trace enable=e1000e_rx_not_written_to_guest -msg timestamp=on -D $RUN/load/qemu-rx-drops.log"
	lab_spawn python3 "$OELAB_ROOT/qemu/scenarios/faults_agent.py" "$RUN/load" "$RUN/monitor.sock" 0 \
		"$LOAD_EXCHANGE" --bind "$OELAB_HOST_IP" --iface "$OELAB_TAP" --file "$LOAD_FILE" \
		--rate 1000 --loop --start-delay-ms 300 --no-mcast-loop
}

load_guest() {
	out=/out/load
	OE_AGENT_DIR=$out
	read step stress_s refine < $out/durations
	# a value out of the agent's one-line JSON answer: "key": N
	field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
	nic_drops() { echo $(($(oe_stat rx_missed_errors) + $(oe_stat rx_no_buffer_count))); }
	# a counter of the last session as oe_record saved it
	recorded() { awk -v k="$1:" '$1 == k { print $2; exit }' "$OE_AGENT_DIR/session-$oe_session_k.txt"; }
	tap_dropped() { oe_host tap-stats | field tx_dropped; }
	# session RATE LABEL SECONDS: one session at RATE; prints its verdict; 0 if sustained
	session() {
		oe_host exchange-restart rate=$1 > /dev/null
		n0=$(nic_drops) t0=$(tap_dropped)
		oe_connect || { echo "$2: no session"; return 1; }
		sleep $3
		oe_disconnect
		oe_record $2
		n=$(($(nic_drops) - n0)) t=$(($(tap_dropped) - t0))
		echo "$oe_session_k $t $n" >> $out/session-drops.txt
		ans=$(oe_host session $((50000 + oe_session_k)))
		missed=$(echo "$ans" | field missed) unexpected=$(echo "$ans" | field unexpected)
		matched=$(echo "$ans" | sed -n 's/.*"triggers": {[^}]*"matched": \([0-9]*\).*/\1/p')
		published=$(echo "$ans" | field published) seen=$(recorded oe_md_frames)
		late=$(recorded oe_orders_not_running)
		echo "$2: published ${published:-?}, core saw ${seen:-?}, dropped at tap $t, NIC $n," \
			"triggers matched ${matched:-?} missed ${missed:-?} (decided after wol off: $late)," \
			"unexpected ${unexpected:-?}"
		[ "$t" -eq 0 ] && [ "$n" -eq 0 ] && [ "${missed:-1}" -eq "${late:-0}" ] &&
			[ "${unexpected:-1}" -eq 0 ] && [ "${matched:-0}" -gt 0 ] && [ "${seen:-0}" -ge "${published:-1}" ]
	}
	check load_driver oe_load_driver
	ethtool -C eth0 rx-usecs 0
	if [ -s $out/stress-only ]; then # make test: the stress step's checks, no rate steps
		read stress recovery < $out/stress-only
	else
		best=0 bad=0
		for rate in $(cat $out/rates); do
			if session $rate rate-$rate $step; then best=$rate; else bad=$rate; break; fi
		done
		# bisect between the last sustained rate and the first that was not
		while [ $refine -gt 0 ] && [ $bad -gt 0 ] && [ $best -gt 0 ]; do
			refine=$((refine - 1))
			rate=$(((best + bad) / 2))
			if session $rate rate-$rate $step; then best=$rate; else bad=$rate; fi
		done
		echo $best > $out/best
		check sustained_rate_found test $best -gt 0
		[ $best -gt 0 ] || return
		stress=$((2 * best))
		recovery=$((best / 2)) # header, step 3
	fi

	oe_host exchange-restart rate=$stress
	mcast-recv 239.255.0.2 12345 $GUEST_IP $((stress_s + 30)) never-sent > $out/other-group.txt 2>&1 &
	recv=$!
	( nc -l -p 5001 | wc -c > /tmp/tcp.count ) &
	n0=$(nic_drops) t0=$(tap_dropped)
	cat /proc/net/snmp > $out/snmp-before.txt
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
	cat /proc/net/snmp > $out/snmp-after.txt
	echo "$oe_session_k $(($(tap_dropped) - t0)) $(($(nic_drops) - n0))" >> $out/session-drops.txt
	echo "stress $stress msgs/s: dropped at tap $(($(tap_dropped) - t0)), NIC $(($(nic_drops) - n0))"
	check stress_ping test $ping_rc -eq 0
	tail -2 $out/ping.txt
	want=$(echo "$sent" | field tcp_bytes)
	got=$(cat /tmp/tcp.count 2>/dev/null)
	echo "tcp transfer: sent ${want:-?} bytes, received ${got:-?}"
	check stress_tcp_transfer test -n "$want" -a "${want:-0}" -gt 0 -a "${got:-0}" = "$want"
	kill $recv 2>/dev/null
	grep -c '^mcast-recv: ' $out/other-group.txt > $out/other-group.count
	echo "other group: $(cat $out/other-group.count) datagrams received, $(echo "$sent" | field udp_other_group) sent"
	check stress_other_group_received test "$(cat $out/other-group.count)" -gt 0
	ethtool -S eth0 > $out/ethtool-S-stress.txt
	check recovery_reconciled session $recovery recovery-$recovery $step
	ethtool -S eth0 > $out/ethtool-S-final.txt
	check stress_unload rmmod igb_oe
	check stress_no_splat sh -c "! dmesg | grep -E 'Oops|WARNING:|BUG:|lockdep|Call Trace'"
}

load_check() {
	echo "end $(cat /proc/loadavg)" >> "$RUN/load/host-load.txt"
	python3 "$OELAB_ROOT/scripts/load-report.py" "$RUN/load" > "$RESULTS/load.txt"
	local rc=$?
	cat "$RESULTS/load.txt"
	return $rc
}
