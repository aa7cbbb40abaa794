# igb_oe through its lifecycle and hostile conditions, one step after the other, with the exchange
# publishing market data throughout every session (FAULTS_RATE msgs/s, --loop):
#   exchange restart mid-session, RST from the exchange side, carrier loss and return (QEMU monitor
#   set_link, with a disconnect queued while the carrier is down), ethtool -G and -L during a
#   session, ip link down/up, MTU change, loss/duplication/reordering on the wire, rmmod while
#   connected (then reload and reconnect). Impairments apply to the order-entry TCP flow.
# First, single injected datagrams: a priority-tagged (VLAN) one, one from another source and one
# with a bad UDP checksum take igb's path, the exchange's own reaches the core.
# After every step the guest checks: no Oops/WARN/BUG/lockdep report, the msglvl bit and
# igboe_state/oe_strategy_state agree, and `ethtool -s eth0 msglvl wol on` (re)connects. The host
# then reconciles every session: the orders the guest counted as sent (oe_orders_sent) all reached
# the exchange, none twice or unexpected, none late (exchange --max-order-age-us), and the guest
# joined the MD group with IGMP (reports seen on the wire).
# The NIC is on the harness relay (qemu/scenarios/faults_agent.py, OELAB_NET_RELAY in qemu/lib.sh):
# the host has no sch_netem, so the relay impairs frames itself; it also runs the exchange and
# executes the guest's requests (files cmd-N / ack-N on the run folder).
FAULTS_RATE=${FAULTS_RATE:-5000}
FAULTS_MAX_AGE_US=${FAULTS_MAX_AGE_US:-1000000}
# the pacer's token-bucket depth: a loaded host wakes the exchange late, a burst catches up so the
# asked rate is the published rate (burst 1 published 2,600-4,600 of 5,000 msgs/s on a load-18 host)
FAULTS_BURST=${FAULTS_BURST:-16}
FAULTS_FILE=${FAULTS_FILE:-$OELAB_ROOT/userspace-exchange/data/sample.csv.gz}
# TCP keepalive on the exchange's session (first probe after N s idle, then 1 s apart, 3 unanswered
# end it): a guest that vanishes without FIN or RST (rmmod, carrier loss with the FIN and the RST
# lost) must not hold the exchange's one session for good, or every later step cannot connect. A
# guest silent for N + 3 s loses its session: with N = 1 the ifdown step (2 s down, then the link's
# return) ended as keepalive_timeout while the guest kept it. A peer that is gone answers the first
# probe with an RST anyway (once the session is over its 4-tuple is the stack's again), so N only
# bounds how long a silent but live guest is given.
FAULTS_KEEPALIVE_S=${FAULTS_KEEPALIVE_S:-5}
FAULTS_EXCHANGE=$OELAB_ROOT/build/host/userspace-exchange/exchange
FAULTS_RELAY_PORT=47000

faults_host() {
	[[ -x $FAULTS_EXCHANGE ]] || { echo "faults: $FAULTS_EXCHANGE not built (make host)" >&2; return 1; }
	mkdir -p "$RUN/faults"
	echo "$FAULTS_RATE" > "$RUN/faults/rate"
	OELAB_NET_RELAY=$FAULTS_RELAY_PORT
	lab_spawn python3 "$OELAB_ROOT/qemu/scenarios/faults_agent.py" "$RUN/faults" "$RUN/monitor.sock" \
		"$FAULTS_RELAY_PORT" "$FAULTS_EXCHANGE" --bind "$OELAB_HOST_IP" --iface "$OELAB_TAP" \
		--file "$FAULTS_FILE" --rate "$FAULTS_RATE" --burst "$FAULTS_BURST" --loop --start-delay-ms 300 \
		--no-mcast-loop --max-order-age-us "$FAULTS_MAX_AGE_US" --keepalive-s "$FAULTS_KEEPALIVE_S"
}

faults_guest() {
	out=/out/faults
	OE_AGENT_DIR=$out
	# kmemleak's report is "N new suspected memory leaks"; its boot line ("Kernel memory leak detector
	# initialized") is no splat (it matched whenever the boot log was still in the ring buffer)
	splat_free() {
		if dmesg | grep -E 'Oops|WARNING:|BUG:|possible circular|possible recursive|lockdep is turned off|INFO: task|Call Trace|suspected memory leak' > $out/splat.txt; then
			cat $out/splat.txt
			return 1
		fi
	}
	# the msglvl bit is set exactly when the driver's and the core's state say a session exists
	truthful() {
		s=$(oe_stat igboe_state) c=$(oe_stat oe_strategy_state) b=$(oe_msgbit)
		echo "state igboe=$s core=$c msglvl_bit=$b"
		[ -n "$s" ] && [ "$s" = "$c" ] || return 1
		if [ "$s" = 0 ]; then [ "$b" = 0 ]; else [ "$b" = 1 ]; fi
	}
	md_flowing() { # the MD counter moves
		a=$(oe_stat oe_md_frames)
		sleep 1
		b=$(oe_stat oe_md_frames)
		echo "oe_md_frames $a -> $b"
		[ "${b:-0}" -gt "${a:-0}" ]
	}
	after() { # STEP: the checks after every step
		check $1_no_splat splat_free
		check $1_state_truthful truthful
	}
	# the session continues: Running, market data still arrives, then an orderly end
	survives() { # STEP
		check $1_session_running oe_wait_state 2 30
		check $1_md_flowing md_flowing
		sleep 2
		check $1_disconnects oe_disconnect
		oe_record $1
		after $1
	}
	# the session ended (peer close or reset): Init, truthful, and wol on connects again
	ended_then_reconnects() { # STEP
		check $1_session_ended oe_wait_state 0 30
		oe_record $1
		after $1
		check $1_reconnects oe_connect
		check $1_md_flowing md_flowing
		sleep 2
		check $1_disconnects oe_disconnect
		oe_record $1-reconnected
		after $1-reconnected
	}

	# kmemleak (the KASAN kernel): forget what was allocated before the module, scan after rmmod
	kml=/sys/kernel/debug/kmemleak
	[ -w $kml ] && echo clear > $kml
	check load oe_load_driver
	ethtool -C eth0 rx-usecs 0
	after load
	sleep 2
	check igmp_joined grep -qi '0100FFEF' /proc/net/igmp
	# RX classification of single datagrams (no session: the hook is live, the core in Init):
	# only the exchange's own, untagged, checksum-clean MD reaches the core
	classified() { # KIND COUNTER: counted by COUNTER and, unless KIND is md, not as MD
		m0=$(oe_stat igboe_md_frames) c0=$(oe_stat $2)
		oe_host inject $1 || return 1
		sleep 1
		m=$(($(oe_stat igboe_md_frames) - m0)) c=$(($(oe_stat $2) - c0))
		echo "inject $1: igboe_md_frames +$m, $2 +$c"
		if [ $1 = md ]; then [ $m = 1 ]; else [ $m = 0 ] && [ $c = 1 ]; fi
	}
	check rx_md_taken classified md igboe_md_frames
	check rx_vlan_tagged_to_stack classified vlan igboe_rx_vlan
	check rx_foreign_source_to_stack classified foreign igboe_md_foreign_src
	check rx_bad_checksum_to_stack classified badsum igboe_rx_csum_bad
	oe_host mark baseline

	# 1. baseline session
	check baseline_connects oe_connect
	check baseline_md_flowing md_flowing
	sleep 3
	check baseline_orders test "$(oe_stat oe_orders_sent)" -gt 0
	check baseline_disconnects oe_disconnect
	oe_record baseline
	after baseline

	# 2. the exchange restarts mid-session (it closes the connection, a new one listens)
	check exchange_restart_connects oe_connect
	sleep 3
	check exchange_restart_host oe_host exchange-restart
	ended_then_reconnects exchange_restart

	# 3. RST from the exchange side
	check rst_connects oe_connect
	sleep 3
	check rst_host oe_host rst
	ended_then_reconnects rst

	# 4. carrier loss and return; a disconnect queued while the carrier is down must not spin the
	#    core's timer (backoff, igboe_carrier_retries), and leaves once the carrier returns
	#    An order still unacknowledged when the link went is not resent 2 s late: past the stale
	#    limit (order_stale_us, docs/tcp.md) the client resets instead, the order in doubt. Then the
	#    session has ended by the policy, and there is no FIN to queue: the step checks that instead.
	check carrier_connects oe_connect
	sleep 3
	losses=$(oe_stat igboe_carrier_losses) stale=$(oe_stat tcp_stale_aborts)
	check carrier_link_off oe_host link off
	sleep 2
	check carrier_loss_counted test "$(oe_stat igboe_carrier_losses)" -gt "$losses"
	if [ "$(oe_stat tcp_stale_aborts)" -gt "$stale" ]; then
		echo "carrier down: an order in flight passed the stale limit: reset, $(oe_stat tcp_bytes_unacked_at_loss) bytes in doubt"
		check carrier_down_stale_reset_ended test "$(oe_stat igboe_state)" = 0
		check carrier_down_stale_in_doubt_counted test "$(oe_stat tcp_bytes_unacked_at_loss)" -gt 0
		after carrier_down
	else
		check carrier_down_session_kept test "$(oe_stat igboe_state)" = 2
		after carrier_down
		fires=$(oe_stat igboe_timer_fires)
		ethtool -s eth0 msglvl wol off
		sleep 3
		fired=$(($(oe_stat igboe_timer_fires) - fires))
		echo "carrier down: $fired core timer fires in 3 s with a FIN queued, igboe_carrier_retries $(oe_stat igboe_carrier_retries)"
		check carrier_down_backoff test "$fired" -le 60
		check carrier_down_retries_counted test "$(oe_stat igboe_carrier_retries)" -gt 0
		after carrier_down_disconnecting
	fi
	check carrier_link_on oe_host link on
	ended_then_reconnects carrier

	# 5. ethtool -G during a session
	check ring_resize_connects oe_connect
	sleep 2
	check ring_resize_G ethtool -G eth0 rx 2048 tx 512
	sleep 2
	check ring_resize_G_back ethtool -G eth0 rx 4096 tx 256
	survives ring_resize

	# 6. ethtool -L during a session (order entry shares queue 0 meanwhile)
	check channels_connects oe_connect
	sleep 2
	check channels_L1 ethtool -L eth0 combined 1
	sleep 2
	check channels_L2 ethtool -L eth0 combined 2
	survives channels

	# 7. ip link set eth0 down / up
	check ifdown_connects oe_connect
	sleep 2
	check ifdown_down ip link set eth0 down
	sleep 2
	check ifdown_up ip link set eth0 up
	survives ifdown

	# 8. MTU change (a ring reset, like -G)
	check mtu_connects oe_connect
	sleep 2
	check mtu_1400 ip link set eth0 mtu 1400
	sleep 2
	check mtu_1500 ip link set eth0 mtu 1500
	survives mtu

	# 9. loss, duplication and reordering of the order-entry flow, both directions
	check impair_connects oe_connect
	sleep 2
	check impair_on oe_host impair loss=0.05 dup=0.05 reorder=0.05
	sleep 8
	check impair_off oe_host impair off
	survives impair

	# 10. rmmod while connected: FIN at unload, then reload and reconnect
	check rmmod_connects oe_connect
	sleep 3
	oe_record rmmod
	check rmmod_connected rmmod igb_oe
	# the session's last orders leave during the unload's close, after the ethtool -S above: the
	# driver's own counts at unload ("igb_oe: at unload: oe_orders_sent=N ...") override it
	dmesg | sed -n 's/.*igb_oe: at unload: //p' | tail -1 | tr ' ' '\n' | sed 's/=/: /' \
		>> $OE_AGENT_DIR/session-$oe_session_k.txt
	check rmmod_counts_logged grep -q '^oe_orders_sent: ' $OE_AGENT_DIR/session-$oe_session_k.txt
	check rmmod_module_gone test ! -d /sys/module/igb_oe
	check rmmod_no_splat splat_free
	check rmmod_reload oe_load_driver
	ethtool -C eth0 rx-usecs 0
	check rmmod_reconnects oe_connect
	check rmmod_md_flowing md_flowing
	check rmmod_disconnects oe_disconnect
	oe_record rmmod-reloaded
	after rmmod-reloaded
	check final_unload rmmod igb_oe
	check final_no_splat splat_free
	if [ -w $kml ]; then
		# an object is reported once unreferenced for 5 s and seen so by two scans
		sleep 6; echo scan > $kml; sleep 1; echo scan > $kml
		cat $kml > $out/kmemleak.txt
		check kmemleak_clean_after_rmmod test ! -s $out/kmemleak.txt
		head -40 $out/kmemleak.txt
	fi
	oe_host stats > $out/relay-stats.txt
}

faults_check() {
	local d=$RUN/faults i
	for i in $(seq 1 20); do [[ -s $d/sessions.jsonl ]] && break; sleep 0.5; done
	python3 "$OELAB_ROOT/scripts/faults-check.py" "$d" > "$RESULTS/faults.txt"
	local rc=$?
	cat "$RESULTS/faults.txt"
	return $rc
}
