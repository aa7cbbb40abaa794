#!/usr/bin/env bash
# End-to-end tests of the userspace baselines, each in two network namespaces of our own joined by a
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
WORK=$OUT/test
REPORT=$RESULTS/userspace_strategy.txt
mkdir -p "$WORK" "$RESULTS"
: > "$REPORT"
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

# ---- the scenario ------------------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || { result netns_setup 0 "needs root for network namespaces"; finish; }
for t in "$REPLAY" "$MDGEN"; do
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
ip -n "$NS_ST" link set vst up
ip -n "$NS_EX" route add 239.0.0.0/8 dev vex
ip -n "$NS_ST" route add 239.0.0.0/8 dev vst
result netns_setup 1

# run_variant name strategy-args...
run_variant() {
	local name=$1; shift
	local ex_json=$WORK/$name.exchange.json st_json=$WORK/$name.strategy.json
	rm -f "$ex_json" "$st_json"
	ip netns exec "$NS_EX" timeout 60 python3 "$ROOT/userspace-strategy/tests/mini_exchange.py" \
		--data "$DATA" --oe "$EX_IP:9012" --mcast-if "$EX_IP" --sessions 2 --out "$ex_json" \
		> "$WORK/$name.exchange.log" 2>&1 &
	local ex=$!; PIDS+=("$ex")
	for _ in $(seq 50); do grep -q listening "$WORK/$name.exchange.log" 2>/dev/null && break; sleep 0.1; done
	ip netns exec "$NS_ST" timeout 60 "$BIN" --oe "$EX_IP:9012" --iface vst "${TRIG[@]}" \
		--until-disconnects 2 --duration 50 --stats-json "$st_json" -v "$@" > "$WORK/$name.strategy.log" 2>&1 &
	local st=$!; PIDS+=("$st")
	wait "$ex"; local ex_rc=$?
	wait "$st"; local st_rc=$?
	if [[ $ex_rc != 0 || $st_rc != 0 || ! -s $ex_json ]]; then
		result "$name" 0 "exchange rc $ex_rc, strategy rc $st_rc ($(tail -n 2 "$WORK/$name.strategy.log" | tr '\n' ' '))"
		return
	fi
	local verdict
	verdict=$(python3 - "$ex_json" "$WORK/expected.txt" "$st_json" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
exp = [l.split() for l in open(sys.argv[2]) if l.strip()]
exp = [[int(q), int(p), s] for q, p, s in exp]
st = json.load(open(sys.argv[3]))
msgs = []
for i, s in enumerate(rep["sessions"]):
    got = s["orders"]
    missed = sum(1 for e in exp if e not in got)
    unexpected = sum(1 for g in got if g not in exp)
    if got != exp:
        msgs.append(f"session {i}: {len(got)} orders vs {len(exp)} expected, missed {missed}, unexpected {unexpected}")
if len(rep["sessions"]) != 2:
    msgs.append(f"{len(rep['sessions'])} sessions")
if st.get("disconnects") != 2:
    msgs.append(f"strategy saw {st.get('disconnects')} disconnects")
print("OK" if not msgs else "; ".join(msgs))
EOF
)
	if [[ $verdict == OK ]]; then result "$name" 1; else result "$name" 0 "$verdict"; fi
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
run_variant xdp --mode xdp
run_variant xdp_busy --mode xdp --busy-poll
finish
