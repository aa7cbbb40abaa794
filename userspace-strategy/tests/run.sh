#!/usr/bin/env bash
# End-to-end tests of the userspace baselines against the real exchange (userspace-exchange), each in two network
# veth pair (exchange side / strategy side). Nothing touches the root namespace's addresses or
# routes; everything is torn down by the EXIT trap, also on failure.
#
# Per variant: the exchange serves two sessions from the same data file, closing the order
# connection after each (= an exchange restart as seen by the strategy); the strategy must
# reconnect and, in both sessions, send exactly the orders strategy-replay computes for the file
# (zero missed, zero unexpected). Bad flags must exit 2.
set -uo pipefail

ROOT=${ROOT:?}; OUT=${OUT:?}; RESULTS=${RESULTS:?}
BIN=$OUT/oe-strategy
REPLAY=$ROOT/build/host/strategy/strategy-replay
MDGEN=$ROOT/build/host/userspace-exchange/mdgen
EXCHANGE=$ROOT/build/host/userspace-exchange/exchange
WORK=$OUT/test
REPORT=$RESULTS/userspace_strategy.txt
mkdir -p "$WORK" "$RESULTS"
: > "$REPORT"
: > "$WORK/harness.log" # when each exchange was stopped, and the UDP counters then (for diagnosis)
pass=0 fail=0
PIDS=()
NS_EX=oeus-$$-ex NS_ST=oeus-$$-st
EX_IP=10.199.$(( $$ % 200 )).1 ST_IP=10.199.$(( $$ % 200 )).2

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS_EX" 2>/dev/null
	ip netns del "$NS_ST" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

result() { # name ok [detail]
	if [[ $2 == 1 ]]; then
		pass=$((pass + 1)); echo "PASS $1" | tee -a "$REPORT"
	else
		fail=$((fail + 1)); echo "FAIL $1${3:+: $3}" | tee -a "$REPORT"
	fi
}

finish() {
	echo "$pass passed, $fail failed" | tee -a "$REPORT"
	[[ $fail == 0 ]]
	exit $?
}

# ---- bad flags: clear message, exit 2 (no network needed) -------------------------------------------
bad_flag() { # name args...
	local name=$1; shift
	"$BIN" "$@" >/dev/null 2>"$WORK/badflag.err"
	local rc=$?
	if [[ $rc == 2 && -s $WORK/badflag.err ]]; then result "bad_flag_$name" 1
	else result "bad_flag_$name" 0 "exit $rc, stderr: $(head -c 200 "$WORK/badflag.err")"; fi
}
bad_flag unknown --mode blocking --bogus
bad_flag no_mode --cpu 0
bad_flag bad_mode --mode carrier-pigeon
bad_flag bad_port --mode blocking --oe 127.0.0.1:99999
bad_flag bad_levels --mode uring --levels 0
bad_flag bad_threshold --mode uring --threshold 1e9
bad_flag packet_needs_iface --mode packet
bad_flag sqpoll_not_uring --mode blocking --sqpoll
bad_flag stray_arg --mode blocking extra
bad_flag raw_ip_not_packet --mode uring --raw-ip 10.0.0.1
bad_flag raw_ip_bad --mode packet --iface lo --raw-ip 10.0.0
bad_flag warm_not_raw --mode uring --warm-us 50
bad_flag order_ttl_bad --mode packet --iface lo --order-ttl-us 1ms
bad_flag order_stale_bad --mode packet --iface lo --order-stale-us 1s

# ---- the scenario ------------------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || { result netns_setup 0 "needs root for network namespaces"; finish; }
for t in "$REPLAY" "$MDGEN" "$EXCHANGE"; do
	[[ -x $t ]] || { result prerequisites 0 "missing $t (make -C strategy / make -C userspace-exchange)"; finish; }
done
DATA=$WORK/scenario.csv.gz
"$MDGEN" --out "$DATA" --seed 7 --bytes 300000 --levels 50 --jump-ppm 6000 >/dev/null || { result mdgen 0; finish; }
TRIG=(--qty 3)
"$REPLAY" "$DATA" "${TRIG[@]}" > "$WORK/replay.txt" 2>/dev/null || "$REPLAY" --file "$DATA" "${TRIG[@]}" > "$WORK/replay.txt" || { result replay 0; finish; }
grep -v '^#' "$WORK/replay.txt" | awk '{print $4, $3, $2}' > "$WORK/expected.txt"
nexp=$(wc -l < "$WORK/expected.txt")
if [[ $nexp -ge 3 ]]; then result scenario_has_triggers 1
else result scenario_has_triggers 0 "only $nexp expected orders"; finish; fi

ip netns add "$NS_EX" && ip netns add "$NS_ST" || { result netns_setup 0; finish; }
ip link add vex netns "$NS_EX" type veth peer name vst netns "$NS_ST" || { result netns_setup 0 "veth"; finish; }
ip -n "$NS_EX" addr add "$EX_IP/24" dev vex
ip -n "$NS_ST" addr add "$ST_IP/24" dev vst
for ns in "$NS_EX" "$NS_ST"; do ip -n "$ns" link set lo up; done
ip -n "$NS_EX" link set vex up
# veth hands the peer CHECKSUM_PARTIAL skbs (checksums left for a NIC that does not exist); the raw
# modes read the bytes and tcp::Client verifies every checksum, as a real NIC's RX would allow. Make
# the exchange side compute them in software, as the guest's igb does on the wire.
ip netns exec "$NS_EX" ethtool -K vex tx off >/dev/null || { result netns_setup 0 "ethtool -K tx off"; finish; }
# XDP_TX out of a veth queues the frame on the peer's XDP ring, drained only by the peer's NAPI.
# Tried first: GRO on the peer (enables its NAPI): 256 frames (one ring) went in and were never
# drained on this 6.18 host, everything after counted as xdp_tx_errors. What works: a no-op XDP
# program on the peer, attached before any traffic.
ip -n "$NS_EX" link set dev vex xdp obj "$OUT/xdp/pass.bpf.o" sec xdp || { result netns_setup 0 "XDP pass on vex"; finish; }
ip -n "$NS_ST" link set vst up
ip -n "$NS_EX" route add 239.0.0.0/8 dev vex
ip -n "$NS_ST" route add 239.0.0.0/8 dev vst
result netns_setup 1

# One exchange session: start the exchange, let it publish the whole file, give late orders a
# moment, then stop it (SIGTERM = exchange restart as the strategy sees it: its connection closes).
# exchange_session name n extra-exchange-args...
exchange_session() {
	local name=$1 n=$2; shift 2
	local log=$WORK/$name.exchange$n.log
	# Truncate here, not in the background job: the wait below must never read a previous run's log.
	: > "$log"
	rm -f "$WORK/$name.report$n.json"
	ip netns exec "$NS_EX" timeout 90 "$EXCHANGE" --bind "$EX_IP" --iface vex --file "$DATA" --rate 20000 \
		--start-delay-ms 200 "${TRIG[@]}" --report "$WORK/$name.report$n.json" "$@" > "$log" 2>&1 &
	local ex=$!; PIDS+=("$ex")
	# Up to 60 s for the strategy to (re)connect and the file to be published: a loaded 2-core host
	# has delayed a reconnect past 15 s.
	for _ in $(seq 600); do grep -q '"md_eof"' "$log" 2>/dev/null && break; sleep 0.1; done
	sleep 0.5
	{ echo "$(date +%T.%N) stopping exchange $n of $name"; ip netns exec "$NS_EX" grep '^Udp:' /proc/net/snmp | tail -1; } >> "$WORK/harness.log"
	kill -TERM "$ex" 2>/dev/null
	wait "$ex"
}

# Verdict on one session report: every expected trigger matched, nothing unexpected.
check_report() { # report bounce(0|1)
	python3 - "$1" "$2" <<'EOF2'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"no report ({e})"); sys.exit()
bounce = sys.argv[2] == "1"
t, o, md = r["triggers"], r["orders"], r["md"]
msgs = []
if not md.get("eof"): msgs.append("file not fully published")
if t["expected"] < 3: msgs.append(f"only {t['expected']} expected")
missed = t["missed"]
if bounce:
    # The floor does not bounce snapshot rows (no order is possible then). An exchange that still
    # expects them in --bounce-all mode reports exactly those as missed; anything else is real.
    incr = md["published"] - md["snapshot_published"]
    if t["expected"] == md["published"]:
        missed -= md["snapshot_published"]
    elif t["expected"] != incr:
        msgs.append(f"bounce-all expected {t['expected']}, published {md['published']}")
    if t["matched"] != incr: msgs.append(f"{t['matched']} bounces matched, {incr} incremental rows published")
elif t["matched"] != t["expected"]:
    msgs.append(f"matched {t['matched']} of {t['expected']}")
if missed or o["unexpected"] or o["rejected"]:
    msgs.append(f"expected {t['expected']} matched {t['matched']} missed {t['missed']} unexpected {o['unexpected']} rejected {o['rejected']}")
print("OK" if not msgs else "; ".join(msgs))
EOF2
}

# run_variant name [--bounce] strategy-args...: two exchange sessions (restart in between); the
# strategy must reconnect and trade both with zero missed / unexpected orders.
run_variant() {
	local name=$1; shift
	[[ -z ${ONLY:-} || " $ONLY " == *" $name "* ]] || return 0
	local bounce=0 ex_args=()
	if [[ ${1:-} == --bounce ]]; then bounce=1; ex_args=(--bounce-port 9013 --bounce-all); shift; fi
	local st_json=$WORK/$name.strategy.json
	rm -f "$st_json"
	ip netns exec "$NS_ST" timeout 180 "$BIN" --oe "$EX_IP:9012" --iface vst "${TRIG[@]}" --max-backoff-ms 100 \
		--until-disconnects 2 --duration 170 --stats-json "$st_json" -v "$@" > "$WORK/$name.strategy.log" 2>&1 &
	local st=$!; PIDS+=("$st")
	exchange_session "$name" 1 "${ex_args[@]}"
	exchange_session "$name" 2 "${ex_args[@]}"
	wait "$st"; local st_rc=$?
	local msgs=() v
	[[ $st_rc == 0 ]] || msgs+=("strategy rc $st_rc: $(tail -n 2 "$WORK/$name.strategy.log" | tr '\n' ' ')")
	for n in 1 2; do
		v=$(check_report "$WORK/$name.report$n.json" $bounce)
		[[ $v == OK ]] || msgs+=("session $n: $v")
	done
	local disc
	disc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("disconnects"))' "$st_json" 2>/dev/null)
	[[ $disc == 2 ]] || msgs+=("strategy saw ${disc:-no stats} disconnects")
	if [[ " $* " == *" --warm-us "* ]]; then # warming ran and prepared frames; the reports above saw none
		v=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s.get("warm_runs", 0), s.get("warm_frames", 0))' "$st_json" 2>/dev/null)
		[[ ${v:-0 0} != 0\ * && ${v#* } != 0 ]] || msgs+=("warming did not run (warm_runs warm_frames: ${v:-none})")
	fi
	if [[ ${#msgs[@]} == 0 ]]; then result "$name" 1; else result "$name" 0 "${msgs[*]}"; fi
}

run_variant blocking --mode blocking
run_variant blocking_busy --mode blocking --busy-poll
run_variant uring --mode uring
run_variant uring_zc --mode uring --zc
run_variant uring_sqpoll --mode uring --sqpoll
run_variant uring_busy --mode uring --busy-poll
run_variant packet --mode packet
run_variant packet_txring_busy --mode packet --zc --busy-poll
run_variant packet_v3 --mode packet --tpacket 3
run_variant packet_own_ip --mode packet --raw-ip "${ST_IP%.*}.3"
run_variant xdp --mode xdp
run_variant xdp_busy --mode xdp --busy-poll
# warming on (--warm-us): the same reconciliation (no order missed, none unexpected), frames prepared
run_variant packet_warm --mode packet --warm-us 20
run_variant xdp_warm --mode xdp --warm-us 20
run_variant floor --bounce --mode floor --bounce-port 9013

# start_exchange LOG ARGS...: an exchange on the exchange side replaying the scenario (60 s at most),
# in the background ($! is its pid); wait_listen PORT: until something listens there (5 s at most).
start_exchange() {
	local log=$1; shift
	ip netns exec "$NS_EX" timeout 60 "$EXCHANGE" --bind "$EX_IP" --iface vex --file "$DATA" "$@" > "$log" 2>&1 &
}
wait_listen() {
	local i
	for i in $(seq 50); do ip netns exec "$NS_EX" ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done
	return 1
}

# The raw modes speak TCP in frames of their own on a port the kernel's stack knows nothing of: while
# the session lives a socket in the strategy's namespace cannot bind that local port (EADDRINUSE:
# the strategy holds it, PortReservation), and once the strategy is gone the port is free again.
raw_port_reserved() { # name strategy-args...
	local name=$1; shift
	[[ -z ${ONLY:-} || " $ONLY " == *" $name "* ]] || return 0
	local d=$WORK/$name port="" i during after
	rm -rf "$d"; mkdir -p "$d"
	start_exchange "$d/exchange.log" --rate 500 --start-delay-ms 200 "${TRIG[@]}"
	local ex=$!; PIDS+=("$ex")
	wait_listen 9012
	ip netns exec "$NS_ST" timeout 90 "$BIN" --oe "$EX_IP:9012" --iface vst "${TRIG[@]}" --duration 60 \
		--stats-json "$d/strategy.json" -v "$@" > "$d/strategy.log" 2>&1 &
	local st=$!; PIDS+=("$st")
	for i in $(seq 150); do
		port=$(sed -n 's/.*established (local port \([0-9]*\)).*/\1/p' "$d/strategy.log" 2>/dev/null | head -1)
		[[ -n $port ]] && break
		sleep 0.1
	done
	bind_try() {
		ip netns exec "$NS_ST" python3 -c 'import errno, socket, sys
s = socket.socket()
try:
    s.bind(("0.0.0.0", int(sys.argv[1]))); print("bound")
except OSError as e:
    print("in_use" if e.errno == errno.EADDRINUSE else "error %s" % e)' "$1"
	}
	[[ -n $port ]] && during=$(bind_try "$port")
	kill -INT "$st" 2>/dev/null # timeout passes it on: the strategy stops as at the end of --duration
	wait "$st"
	[[ -n $port ]] && after=$(bind_try "$port")
	kill -TERM "$ex" 2>/dev/null; wait "$ex"
	local counted
	counted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("port_in_use"))' "$d/strategy.json" 2>/dev/null)
	if [[ -z $port ]]; then
		result "$name" 0 "no session established: $(tail -n 2 "$d/strategy.log" | tr '\n' ' ')"
	elif [[ $during == in_use && $after == bound && $counted == 0 ]]; then
		result "$name" 1
	else
		result "$name" 0 "port $port: during the session '${during:-}', after '${after:-}', port_in_use ${counted:-absent}"
	fi
}
raw_port_reserved port_reserved_packet --mode packet
raw_port_reserved port_reserved_xdp --mode xdp

# A refused connection is no disconnect: while another client holds the exchange (it accepts our
# connect and closes it at once, "refused" in its log), the strategy's backoff must grow to
# --max-backoff-ms (400 ms here: ~11 attempts in 3 s; the old reset-to-10-ms loop made ~100/s), every
# refusal must be counted as one (not as a disconnect), and once the holder is gone the strategy
# must get the session and trade.
refused_backoff() {
	[[ -z ${ONLY:-} || " $ONLY " == *" refused_backoff "* ]] || return 0
	local d=$WORK/refused
	rm -rf "$d"; mkdir -p "$d"
	start_exchange "$d/exchange.log" --rate 500 --start-delay-ms 200 "${TRIG[@]}"
	local ex=$! i; PIDS+=("$ex")
	wait_listen 9012
	ip netns exec "$NS_ST" python3 -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], 9012)); time.sleep(3); s.close()' "$EX_IP" &
	local holder=$!; PIDS+=("$holder")
	for i in $(seq 50); do grep -q '"event":"connected"' "$d/exchange.log" && break; sleep 0.1; done
	ip netns exec "$NS_ST" timeout 30 "$BIN" --mode uring --oe "$EX_IP:9012" --iface vst "${TRIG[@]}" \
		--max-backoff-ms 400 --duration 5 --stats-json "$d/strategy.json" -v > "$d/strategy.log" 2>&1
	local st_rc=$?
	wait "$holder"
	kill -TERM "$ex" 2>/dev/null; wait "$ex"
	local verdict
	verdict=$(python3 - "$d/exchange.log" "$d/strategy.json" "$st_rc" <<'EOF2'
import json, sys
refusals = sum(1 for l in open(sys.argv[1]) if '"event":"refused"' in l)
try:
    st = json.load(open(sys.argv[2]))
except Exception as e:
    print(f"no strategy stats ({e}), strategy rc {sys.argv[3]}"); sys.exit()
msgs = []
if not 2 <= refusals <= 20:
    msgs.append(f"{refusals} refusals in the exchange log while held 3 s (backoff capped at 400 ms allows ~11)")
if st.get("refused") != refusals:
    msgs.append(f"strategy counted {st.get('refused')} refusals, the exchange {refusals}")
if st.get("disconnects") != 0:
    msgs.append(f"strategy counted {st.get('disconnects')} disconnects (refusals are not disconnects)")
if st.get("connects") != refusals + 1 or not st.get("md_packets"):
    msgs.append(f"no session after the holder left: connects {st.get('connects')}, md_packets {st.get('md_packets')}")
print("OK" if not msgs else "; ".join(msgs))
EOF2
)
	if [[ $verdict == OK ]]; then result refused_backoff 1; else result refused_backoff 0 "$verdict"; fi
}
refused_backoff

# A stalled exchange: tests/stall_proxy.py sits between the strategy and the exchange and reads
# nothing for 2 s while the file (--threshold 1: ~2,000 triggers) is replayed, then forwards
# everything. The kernel then holds the order buffers (SEND_ZC notifications come only once the
# peer ACKs) and sends come back short (the socket buffer fills mid-order). Whatever the strategy
# sent must reach the exchange intact and in order: zero unexpected, zero truncated, every order the
# strategy counts as sent matched, and every trigger it did not send counted (orders_unsent).
stalled_exchange() { # name strategy-args...
	local name=$1; shift
	[[ -z ${ONLY:-} || " $ONLY " == *" $name "* ]] || return 0
	local d=$WORK/$name trig=(--qty 3 --threshold 1)
	rm -rf "$d"; mkdir -p "$d"
	start_exchange "$d/exchange.log" --rate 20000 --start-delay-ms 200 --sessions 1 "${trig[@]}" --report "$d/report.json"
	local ex=$!; PIDS+=("$ex")
	wait_listen 9012
	ip netns exec "$NS_EX" timeout 60 python3 "$ROOT/userspace-strategy/tests/stall_proxy.py" "$EX_IP" 9020 \
		"$EX_IP" 9012 2 > "$d/proxy.log" 2>&1 &
	local px=$!; PIDS+=("$px")
	wait_listen 9020
	# A 4 KiB send buffer in the strategy's namespace (default 16 KiB, autotuned up to 4 MiB: the
	# ~27 KB of orders would fit): the socket fills during the stall and sends come back short.
	local wmem
	wmem=$(ip netns exec "$NS_ST" sysctl -n net.ipv4.tcp_wmem)
	ip netns exec "$NS_ST" sysctl -qw net.ipv4.tcp_wmem="4096 4096 4096"
	ip netns exec "$NS_ST" timeout 30 "$BIN" --oe "$EX_IP:9020" --iface vst "${trig[@]}" --duration 5 \
		--stats-json "$d/strategy.json" "$@" > "$d/strategy.log" 2>&1
	local st_rc=$?
	ip netns exec "$NS_ST" sysctl -qw net.ipv4.tcp_wmem="$wmem"
	wait "$px"; wait "$ex"
	local verdict
	verdict=$(python3 - "$d/report.json" "$d/strategy.json" "$st_rc" <<'EOF2'
import json, sys
try:
    r, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
except Exception as e:
    print(f"no report/stats ({e}), strategy rc {sys.argv[3]}"); sys.exit()
t, o = r["triggers"], r["orders"]
msgs = []
if t["expected"] < 1000: msgs.append(f"only {t['expected']} triggers")
if o["unexpected"] or o["truncated"] or o["rejected"]:
    msgs.append(f"stream corrupted: unexpected {o['unexpected']} truncated {o['truncated']} rejected {o['rejected']}")
unsent = st.get("orders_unsent")
if o["received"] != st["orders"] or t["matched"] != st["orders"]:
    msgs.append(f"strategy sent {st['orders']}, exchange received {o['received']}, matched {t['matched']}")
if unsent is None or t["matched"] + unsent != t["expected"]:
    msgs.append(f"expected {t['expected']} != matched {t['matched']} + unsent {unsent}")
if st.get("connects") != 1: msgs.append(f"connects {st.get('connects')}")
print("OK" if not msgs else "; ".join(msgs))
print(f"# expected {t['expected']} matched {t['matched']} unsent {unsent} short_sends {st.get('short_sends')} "
      f"zc_completions {st.get('zc_completions')}", file=sys.stderr)
EOF2
)
	if [[ $verdict == OK ]]; then result "$name" 1; else result "$name" 0 "$verdict"; fi
}
stalled_exchange stalled_uring --mode uring
stalled_exchange stalled_uring_zc --mode uring --zc

# The in-guest comparison's two halves on this host: bench-lab.sh (under busybox sh, as in the
# guest initramfs) against exchanges A and B, then report.py on their logs.
bench_lab_smoke() {
	[[ -z ${ONLY:-} || " $ONLY " == *" bench_lab "* ]] || return 0
	local d=$WORK/bench
	rm -rf "$d"; mkdir -p "$d"
	ip netns exec "$NS_EX" timeout 120 "$EXCHANGE" --bind "$EX_IP" --iface vex --file "$DATA" --rate 20000 \
		--start-delay-ms 200 "${TRIG[@]}" > "$d/exchange-A.log" 2>&1 &
	local a=$!; PIDS+=("$a")
	ip netns exec "$NS_EX" timeout 120 "$EXCHANGE" --bind "$EX_IP" --iface vex --file "$DATA" --rate 20000 \
		--start-delay-ms 200 --port 9014 --md-port 12346 --bounce-port 9013 --bounce-all "${TRIG[@]}" \
		> "$d/exchange-B.log" 2>&1 &
	local b=$!; PIDS+=("$b")
	sleep 0.5
	ip netns exec "$NS_ST" timeout 100 busybox sh "$ROOT/userspace-strategy/bench-lab.sh" --bin "$BIN" \
		--host "$EX_IP" --iface vst --cpu 0 --reps 1 --quiet-s 1 --out "$d" --trigger "--qty 3" \
		--variants "uring blocking packet xdp floor" > "$d/bench-lab.log" 2>&1
	local rc=$?
	kill -TERM "$a" "$b" 2>/dev/null; wait "$a"; wait "$b"
	python3 "$ROOT/userspace-strategy/report.py" --plan "$d/plan.tsv" --exchange-log "$d/exchange-A.log" \
		--bounce-log "$d/exchange-B.log" --out "$d" --command "tests/run.sh bench_lab_smoke" \
		--machine "host netns veth" > "$d/report.out" 2>&1
	local prc=$?
	local verdict
	verdict=$(python3 - "$d/bench.json" <<'EOF2'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"no bench.json ({e})"); sys.exit()
msgs = []
names = [v["variant"] for v in j["variants"]]
if names != ["uring", "blocking", "packet", "xdp", "floor"]: msgs.append(f"variants {names}")
for v in j["variants"]:
    if v["failed_runs"] or not v["samples"] or v["missed"] or v["unexpected"] or v["p50"] is None:
        msgs.append(f"{v['variant']}: failed {v['failed_runs']} samples {v['samples']} missed {v['missed']} unexpected {v['unexpected']}")
if any(j["unmatched_sessions"].values()): msgs.append(f"unmatched sessions {j['unmatched_sessions']}")
print("OK" if not msgs else "; ".join(msgs))
EOF2
)
	if [[ $rc == 0 && $prc == 0 && $verdict == OK && -s $d/bench.md && -s $d/bench.png ]]; then result bench_lab_report 1
	else result bench_lab_report 0 "bench-lab rc $rc, report rc $prc, $verdict$( [[ -s $d/bench.png ]] || echo ', no PNG')"; fi
}
bench_lab_smoke

# Python unit tests of the report's host side, one result each: py_unit NAME SCRIPT
py_unit() {
	[[ -z ${ONLY:-} || " $ONLY " == *" $1 "* ]] || return 0
	if python3 "$ROOT/scripts/tests/$2" > "$WORK/$1.log" 2>&1; then
		result "$1" 1
	else
		result "$1" 0 "$(tail -3 "$WORK/$1.log" | tr '\n' ' ')"
	fi
}
# The host half of the guest stopwatch: joining igb_oe's records to the exchange's triggers
# (scripts/stopwatch.py: TCP stream offsets, coalesced and retransmitted segments, the floor's
# bounces, busy-poll samples, why a sample is missing, percentiles and bootstrap CIs).
py_unit stopwatch_join test_stopwatch.py
# The host stages of the breakdown: QEMU's trace events joined to the exchange's stamps
# (scripts/qemu_stages.py: frame identity by length and time window, masked MSI-X, split TX).
py_unit qemu_stages test_qemu_stages.py
finish
