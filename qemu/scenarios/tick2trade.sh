# The experiment: the exchange replays market data into the lab netns, the guest's igb_oe runs the
# strategy in its NAPI poll and sends orders from its TX ring over the in-driver TCP connection
# (opened with `ethtool -s eth0 msglvl wol on`); the exchange reconciles every order against the
# triggers the same core finds in what it published and measures tick-to-trade from its side.
# Knobs: T2T_FILE (gzip CSV, default the shipped sample), T2T_RATE (msgs/s), and T2T_TRIGGER, the
# trigger config as "key=value ..." with keys levels, qty, threshold, symbol, notional_threshold:
# it becomes igb_oe's module parameters AND the exchange's flags, so both sides find the same
# triggers (e.g. T2T_TRIGGER="levels=3 qty=5"). T2T_WARM_US=N: igb_oe warm_us=N (warming, docs/
# strategy.md) and the proof that it changes nothing on the wire: the tap is captured for the run and
# scripts/warm-wire-check.py checks it against the exchange's reconciliation (tick2trade_warm.txt).
T2T_WARM_US=${T2T_WARM_US:-}
T2T_FILE=${T2T_FILE:-$OELAB_ROOT/userspace-exchange/data/sample.csv.gz}
T2T_RATE=${T2T_RATE:-2000}
T2T_TRIGGER=${T2T_TRIGGER:-}
T2T_EXCHANGE=$OELAB_ROOT/build/host/userspace-exchange/exchange

tick2trade_host() {
	[[ -x $T2T_EXCHANGE ]] || { echo "tick2trade: $T2T_EXCHANGE not built (make host)" >&2; return 1; }
	mkdir -p "$RUN/tick2trade"
	local kv key val modparams=() flags=()
	for kv in $T2T_TRIGGER; do
		key=${kv%%=*} val=${kv#*=}
		case $key in
		levels | qty | threshold | symbol) modparams+=("$key=$val") flags+=("--$key" "$val") ;;
		notional_threshold) modparams+=(notional=1 "$key=$val") flags+=(--notional "$val") ;;
		*) echo "tick2trade: T2T_TRIGGER: unknown key '$key'" >&2; return 1 ;;
		esac
	done
	if [[ -n $T2T_WARM_US ]]; then
		[[ $T2T_WARM_US =~ ^[0-9]+$ ]] || { echo "tick2trade: T2T_WARM_US: not a number: '$T2T_WARM_US'" >&2; return 1; }
		modparams+=("warm_us=$T2T_WARM_US")
		# everything but the market data (UDP) both ways: the guest's frames and the exchange's TCP
		ip netns exec "$OELAB_NS" dumpcap -q -i "$OELAB_TAP" -f "not udp" -w "$RUN/tick2trade/tap.pcap" \
			> "$RUN/tick2trade/dumpcap.log" 2>&1 &
		t2t_capture_pid=$!
		oelab_pids+=("$t2t_capture_pid")
	fi
	echo "${modparams[*]}" > "$RUN/tick2trade/modparams"
	lab_spawn "$T2T_EXCHANGE" --bind "$OELAB_HOST_IP" --iface "$OELAB_TAP" --file "$T2T_FILE" \
		--rate "$T2T_RATE" --sessions 1 --start-delay-ms 500 --no-mcast-loop "${flags[@]}" \
		--report "$RUN/tick2trade/exchange-report.json" \
		> "$RUN/tick2trade/exchange.log" 2> "$RUN/tick2trade/exchange.err"
}

tick2trade_guest() {
	out=/out/tick2trade
	stat() { ethtool -S eth0 | awk -v k="$1:" '$1 == k { print $2; exit }'; }
	check t2t_driver_loads oe_load_driver $(cat $out/modparams)
	# QEMU's igb interrupt throttling is unreliable: latency runs turn it off.
	check t2t_rx_usecs_0 ethtool -C eth0 rx-usecs 0
	# No session armed yet: traffic through the NIC costs no clock read and no core_lock in
	# igb_poll (issue 15; /sys/kernel/debug/igb_oe/gate, driver/igb/oe_stamp.c).
	gate() { tr ' ' '\n' < /sys/kernel/debug/igb_oe/gate | awk -F= -v k="$1" '$1 == k { print $2 }'; }
	ping -c 3 -W 1 "$HOST_IP" > /dev/null 2>&1
	check t2t_no_stamps_or_core_polls_without_session test "$(gate stamp_key) $(gate oe_stamp) $(gate core_polls)" = "0 0 0"
	# The guest-side stopwatch (driver/igb/oe_stopwatch.c), read out after the session.
	sw=/sys/kernel/debug/igb_oe/stopwatch
	check t2t_stopwatch_armed sh -c "echo 'arm md=239.255.0.1:12345 exchange=$HOST_IP tcp=9012' > $sw"
	# The session's local port is held in the stack (driver/igb/oe_port.c): a connect whose fixed
	# local_port a stack socket holds is refused and counted, nothing leaves; a stack socket cannot
	# bind the session's port while it lives, and can once it is over (after TIME-WAIT).
	port_free() { # port_free PORT: busybox nc can bind PORT (it listens for a second)
		nc -l -p "$1" < /dev/null > /dev/null 2> $out/nc.err &
		nc_pid=$!
		sleep 1
		if kill -0 $nc_pid 2> /dev/null; then kill $nc_pid; wait $nc_pid 2> /dev/null; return 0; fi
		wait $nc_pid 2> /dev/null
		cat $out/nc.err
		return 1
	}
	port_held() { ! port_free "$1"; }
	params=/sys/module/igb_oe/parameters
	nc -l -p 61999 < /dev/null > /dev/null 2>&1 &
	holder=$!
	sleep 1
	in_use=$(stat igboe_port_in_use)
	echo 61999 > $params/local_port
	ethtool -s eth0 msglvl wol on
	i=0
	while [ $i -lt 100 ] && [ "$(stat igboe_port_in_use)" = "$in_use" ]; do sleep 0.1; i=$((i + 1)); done
	check t2t_port_taken_refuses_connect test "$(stat igboe_port_in_use)" -gt "$in_use" -a "$(stat igboe_state)" = 0
	kill $holder; wait $holder 2> /dev/null
	echo 0 > $params/local_port
	check t2t_connect sh /lab/ethtool-hooks/oe-connect eth0 --wait 60
	lport=$(dmesg | sed -n 's/.*igb_oe: connecting [0-9.]*:\([0-9]*\) -> .*/\1/p' | tail -1)
	check t2t_port_held_while_session_lives port_held "${lport:-0}"
	# The replay is over when MD frames stop arriving (the exchange stops at end of file and stays
	# connected): 5 quiet seconds, bounded by 15 minutes.
	prev=-1 quiet=0 i=0 n=0
	while [ $i -lt 900 ] && [ $quiet -lt 5 ]; do
		n=$(stat oe_md_frames)
		if [ -z "$n" ]; then
			echo "oe_md_frames unreadable: ethtool -S eth0 says:"; ethtool -S eth0 2>&1 | tail -5
			break
		fi
		if [ "$n" = "$prev" ] && [ "$n" -gt 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		[ $((i % 10)) -eq 0 ] && echo "waiting for the replay to end: oe_md_frames=$n"
		prev=$n
		sleep 1
		i=$((i + 1))
	done
	check t2t_md_frames_seen test "${n:-0}" -gt 0
	check t2t_no_parse_drops test "$(ethtool -S eth0 | awk '$1 ~ /^oe_parse_drop/ { s += $2 } END { print s + 0 }')" -eq 0
	check t2t_orders_sent test "$(stat oe_orders_sent)" -gt 0
	cat /sys/kernel/debug/igb_oe/histogram > $out/histogram.txt
	ethtool -S eth0 > $out/ethtool-S.txt
	check t2t_disconnect sh /lab/ethtool-hooks/oe-connect --disconnect eth0 --wait 20
	echo off > $sw
	cat $sw > $out/stopwatch.txt
	# the session is over: stamps and igb_poll's core entries stop (the summary work clears them)
	i=0
	while [ $i -lt 50 ] && [ "$(gate poll_armed) $(gate stamp_key)" != "0 0" ]; do sleep 0.1; i=$((i + 1)); done
	check t2t_gate_idle_after_session test "$(gate poll_armed) $(gate stamp_key) $(gate oe_stamp)" = "0 0 0"
	check t2t_port_released_after_session port_free "${lport:-0}"
	check t2t_unload rmmod igb_oe
	dmesg | grep 'tick-to-trade' > $out/summary.txt
}

tick2trade_check() {
	local d=$RUN/tick2trade i
	# The exchange ends its single session when the guest disconnects; give it a moment to write.
	for i in $(seq 1 30); do [[ -f $d/exchange-report.json ]] && break; sleep 0.5; done
	python3 "$OELAB_ROOT/scripts/lab-report.py" check "$RUN" > "$RESULTS/tick2trade.txt"
	local rc=$?
	cat "$RESULTS/tick2trade.txt"
	if [[ -n $T2T_WARM_US ]]; then
		kill -INT "${t2t_capture_pid:-0}" 2>/dev/null && wait "$t2t_capture_pid" 2>/dev/null
		/usr/bin/python3 "$OELAB_ROOT/scripts/warm-wire-check.py" "$RUN" > "$RESULTS/tick2trade_warm.txt" || rc=1
		cat "$RESULTS/tick2trade_warm.txt"
	fi
	if [[ ${OELAB_REPORT:-0} == 1 ]]; then
		python3 "$OELAB_ROOT/scripts/lab-report.py" report "$RUN" "$OELAB_ROOT/results" || rc=1
	fi
	return $rc
}
