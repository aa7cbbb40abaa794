#!/usr/bin/env bash
# Host test of the faults/load harness (qemu/scenarios/faults_agent.py) without a guest: a stand-in
# for QEMU (frames between the relay's UDP pair and a tap moved into a second private netns, where
# the Linux stack at 192.168.100.2 plays the guest) and the real exchange. Checks: frames cross the
# relay (ping, an oeclient session reconciled by the exchange), IGMP reports are counted, impairments
# hit the order-entry flow only, `rst` resets both ends, injected datagrams are well formed (md and
# foreign arrive at a socket, badsum is dropped by the stack's checksum), `session` and
# `exchange-restart rate=N` and `tap-stats` work, and so does the guest's client of the agent
# (qemu/guest/lib.sh oe_host) from a subshell. Private namespaces only; last line "N passed, N failed".
# Usage: test-faults-agent.sh RESULTS_FILE
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/dev/stdout}
ex=$root/build/host/userspace-exchange
N=oefa-h$$ G=oefa-g$$
D=$(mktemp -d)
pass=0 fail=0
t() { if "${@:2}"; then pass=$((pass + 1)); echo "ok $1"; else fail=$((fail + 1)); echo "not ok $1"; fi; }
cleanup() {
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	ip netns del $N 2>/dev/null
	ip netns del $G 2>/dev/null
	rm -rf "$D"
}
pids=()
trap cleanup EXIT
{
ip netns add $N && ip netns add $G || { echo "not ok netns"; echo "0 passed, 1 failed"; exit 1; }
ip -n $N link set lo up
ip -n $G link set lo up
ip -n $N tuntap add dev oetap0 mode tap
ip -n $N addr add 192.168.100.1/24 dev oetap0
ip -n $N link set oetap0 up
ip -n $N route add 239.0.0.0/8 dev oetap0
ip netns exec $N python3 "$root/qemu/scenarios/faults_agent.py" "$D" "$D/mon.sock" 47000 "$ex/exchange" \
	--bind 192.168.100.1 --iface oetap0 --rate 2000 --loop --no-mcast-loop --start-delay-ms 100 \
	--max-order-age-us 1000000 --keepalive-s 1 > "$D/agent.out" 2>&1 &
pids+=($!)
# the stand-in for QEMU: UDP 127.0.0.1:47001 <-> a tap that then moves into the guest netns
ip netns exec $N python3 - "$G" <<'EOF' &
import fcntl, os, select, socket, struct, subprocess, sys
t = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(t, 0x400454CA, struct.pack("16sH", b"gtap0", 0x0002 | 0x1000))
subprocess.run(["ip", "link", "set", "gtap0", "address", "52:54:00:0e:1a:b0", "netns", sys.argv[1]], check=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 47001))
while True:
    r, _, _ = select.select([t, s], [], [])
    if t in r:
        s.sendto(os.read(t, 65536), ("127.0.0.1", 47000))
    if s in r:
        f = s.recv(65536)
        try:
            os.write(t, f)
        except OSError:
            pass  # tap not up yet
EOF
pids+=($!)
for i in $(seq 50); do ip -n $G link show gtap0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n $G addr add 192.168.100.2/24 dev gtap0
ip -n $G link set gtap0 up
ip -n $G route add 239.0.0.0/8 dev gtap0
echo 0 > "$D/n"
cmd() { # cmd COMMAND...: the agent's answer on stdout (the counter is a file: $(cmd) is a subshell)
	local n=$(($(cat "$D/n") + 1))
	echo $n > "$D/n"
	echo "$*" > "$D/.c" && mv "$D/.c" "$D/cmd-$n"
	for i in $(seq 100); do [[ -f $D/ack-$n ]] && break; sleep 0.1; done
	cat "$D/ack-$n" 2>/dev/null
}
t relay_ping ip netns exec $G ping -c 2 -W 3 192.168.100.1
ip netns exec $G timeout 60 "$ex/oeclient" --host 192.168.100.1 --iface-addr 192.168.100.2 --idle-ms 20000 \
	> "$D/oeclient.out" 2>&1 &
pids+=($!)
sleep 3
ans=$(cmd stats)
t agent_stats_answer grep -q '^ok {' <<< "$ans"
# each impairment is a 5% coin per order-entry frame, and how many such frames a few seconds carry
# depends on the feed's triggers: keep the impairments on until every kind has hit (a CI run saw
# one kind still at 0 after a fixed 4 s), at most 30 s
all_hit() { python3 -c "
import json, sys
s = json.loads(sys.argv[1][3:])
n = {k: s['to_guest'][k] + s['to_host'][k] for k in ('lost', 'duplicated', 'reordered')}
sys.exit(not all(n.values()))" "$1"; }
cmd impair loss=0.05 dup=0.05 reorder=0.05 > /dev/null
for i in $(seq 30); do
	sleep 1
	stats=$(cmd stats)
	all_hit "$stats" && break
done
cmd impair off > /dev/null
stats=$(cmd stats)
echo "  $stats"
t igmp_reports_counted python3 -c "import json,sys; s=json.loads(sys.argv[1][3:]); sys.exit(s['igmp_reports'] < 1)" "$stats"
t impairment_hits_order_entry all_hit "$stats"
ans=$(cmd rst)
echo "  rst: $ans"
t rst_answered grep -q '^ok rst port' <<< "$ans"
sleep 2
port=$(sed -n 's/.*rst port \([0-9]*\).*/\1/p' <<< "$ans")
rep=$(cmd session "$port")
echo "  session: $rep"
t rst_reset_the_exchange_side grep -q '"end_reason": "reset' <<< "$rep"
t rst_reset_the_client grep -q '"closed_by_exchange":true' "$D/oeclient.out"
t session_reconciled_through_relay python3 -c "
import json, sys
r = json.loads(sys.argv[1][3:])
o, t = r['orders'], r['triggers']
sys.exit(not (o['received'] > 0 and o['unexpected'] == 0 and o['late'] == 0 and t['missed'] == 0))" "$rep"
# injected datagrams: a socket in the guest netns gets md and foreign, not badsum (bad UDP checksum)
ip netns exec $G python3 - > "$D/inject.out" <<'EOF' &
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("239.255.0.1", 12345))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("239.255.0.1"), socket.inet_aton("192.168.100.2")))
s.settimeout(0.5)
end = time.time() + 6
while time.time() < end:
    try:
        d = s.recv(2048)
    except socket.timeout:
        continue
    if d.startswith(b"oelab-inject-"):
        print(d.decode())
EOF
pids+=($!)
sleep 1
for k in md foreign badsum; do cmd inject $k > /dev/null; done
sleep 6
t inject_md_arrives grep -qx 'oelab-inject-md' "$D/inject.out"
t inject_foreign_arrives grep -qx 'oelab-inject-foreign' "$D/inject.out"
t inject_badsum_dropped_by_checksum bash -c "! grep -q 'oelab-inject-badsum' '$D/inject.out'"
ans=$(cmd exchange-restart rate=3000)
t exchange_restart_rate grep -q '^ok' <<< "$ans"
ip netns exec $G timeout 30 "$ex/oeclient" --host 192.168.100.1 --iface-addr 192.168.100.2 --idle-ms 1000 \
	--max-packets 3000 > "$D/oeclient2.out" 2>&1
sleep 1
t exchange_restarted_at_rate python3 -c "
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
sys.exit(last['pace']['rate'] != 3000)" "$D/sessions.jsonl"
# the guest's own client (qemu/guest/lib.sh oe_host): a request from a subshell, then one from the
# shell, each gets its own answer (the request number must not live in a shell variable)
OE_AGENT_DIR=$D
. "$root/qemu/guest/lib.sh"
oe_host_n=$(cat "$D/n")
cp "$D/n" "$D/.oe_host_n"
ans=$(oe_host tap-stats)
echo "  $ans"
t guest_client_subshell_answer grep -q '"tx_dropped": [0-9]' <<< "$ans"
t guest_client_next_answer_is_its_own bash -c "grep -q '\"igmp_reports\"' <<< \"\$1\"" _ "$(oe_host stats)"
echo "$pass passed, $fail failed"
} > "$out" 2>&1
[[ $out == /dev/stdout ]] || cat "$out"
[[ $fail -eq 0 && $pass -gt 0 ]]
