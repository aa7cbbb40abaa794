#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-lab.sh: the side-by-side tick-to-trade comparison, guest side (busybox sh). Runs each variant
# in turn against the exchange on the host, which measures every one the same way; the host turns
# its session reports into the table (userspace-strategy/report.py).
#
#   bench-lab.sh [--reps N] [--variants "driver uring ..."] [--host IP] [--iface DEV] [--cpu N]
#                [--out DIR] [--bin PATH] [--quiet-s N] [--trigger "ARGS"] [--raw-ip ADDR]
#                [--modparams "K=V ..."] [--module PATH.ko] [--nic-setup SCRIPT] [--irq-cpu N[,N...]]
#
# Two exchanges listen on the host: A (order entry 9012, MD 239.255.0.1:12345) for every strategy,
# B (order entry 9014, MD port 12346, --bounce-port 9013 --bounce-all) for the XDP_TX floor, whose
# "orders" are bounced MD frames. Each variant's session ends when the exchange has replayed its
# file: MD quiet on the NIC for --quiet-s seconds, then the strategy is stopped (SIGINT) and closes.
#
# Output in DIR (default /out/bench): plan.tsv, one line per run in the order the exchanges saw the
# sessions: rep variant exchange connected cpu_busy_ticks cpu_total_ticks hz stats_file; and per run
# the strategy's --stats-json (or ethtool -S for the in-driver path), and REP-VARIANT.stopwatch.txt:
# igb_oe's stopwatch records of that run (driver/igb/oe_stopwatch.c: MD frames' MSI-X / NAPI /
# descriptor stamps, the tail write of every frame carrying an order), joined to the exchange's
# triggers on the host (scripts/stopwatch.py).
# make experiment's knobs: --modparams (extra igb_oe module parameters), --module (another igb_oe.ko,
# e.g. the padded one), --nic-setup (a script run with the interface as $1 after every igb_oe load).
# --irq-cpu N[,N...]: the NIC's interrupts go to CPU N before every run (with --cpu N: the pinned
# layout, IRQ and application on one CPU; docs/accel.md); a list gives repetition r the r-th CPU
# (cycling), e.g. 1,0: rep 1 pinned, rep 2 across CPUs, in one boot. Either way
# DIR/irq-affinity.txt records each vector's effective affinity before every run and, after it, the
# interrupts the run added per CPU (where they were really delivered).
set -u

reps=3
variants="driver uring uring-sqpoll uring-busy uring-sqpoll-busy uring-zc xdp xdp-busy packet packet-busy blocking blocking-busy floor"
host=192.168.100.1
iface=eth0
cpu=1
out=/out/bench
bin=
quiet_s=2
trigger=
raw_ip=
modparams=
module=
nic_script=
irq_cpus=
irq_cpu=

usage() { sed -n 's/^#   //p' "$0" >&2; exit 2; }
die() { echo "bench-lab: $*" >&2; exit 1; }
need_val() { [ $# -ge 2 ] || { echo "bench-lab: $1 needs a value" >&2; usage; }; }
uint() { case $2 in ''|*[!0-9]*) echo "bench-lab: $1 expects a number, got '$2'" >&2; exit 2;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	--reps) need_val "$@"; uint "$1" "$2"; reps=$2; shift 2;;
	--variants) need_val "$@"; variants=$2; shift 2;;
	--host) need_val "$@"; host=$2; shift 2;;
	--iface) need_val "$@"; iface=$2; shift 2;;
	--cpu) need_val "$@"; uint "$1" "$2"; cpu=$2; shift 2;;
	--out) need_val "$@"; out=$2; shift 2;;
	--bin) need_val "$@"; bin=$2; shift 2;;
	--quiet-s) need_val "$@"; uint "$1" "$2"; quiet_s=$2; shift 2;;
	--trigger) need_val "$@"; trigger=$2; shift 2;;
	--raw-ip) need_val "$@"; raw_ip=$2; shift 2;;
	--modparams) need_val "$@"; modparams=$2; shift 2;;
	--module) need_val "$@"; module=$2; shift 2;;
	--nic-setup) need_val "$@"; nic_script=$2; shift 2;;
	--irq-cpu) need_val "$@"; irq_cpus=$(echo "$2" | tr , ' '); for c in $irq_cpus; do uint "$1" "$c"; done; shift 2;;
	-h|--help) sed -n 's/^#   //p' "$0"; exit 0;;
	*) echo "bench-lab: unknown option '$1'" >&2; usage;;
	esac
done
# AF_PACKET's TCP gets an address of its own (.3 of the host's /24 unless given): the kernel then
# drops its segments without a RST and no tc program is needed (the guest kernel has no clsact).
[ -n "$raw_ip" ] || raw_ip=${host%.*}.3
[ "$reps" -ge 1 ] || { echo "bench-lab: --reps must be >= 1" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
[ -n "$bin" ] || for b in "$here/../build/host/userspace-strategy/oe-strategy" /usr/bin/oe-strategy; do
	[ -x "$b" ] && { bin=$b; break; }
done
for v in $variants; do
	case $v in
	driver|driver-pad|uring|uring-sqpoll|uring-busy|uring-sqpoll-busy|uring-zc|xdp|xdp-busy|xdp-skb|packet|packet-busy|packet-v3|blocking|blocking-busy|floor) ;;
	*) echo "bench-lab: unknown variant '$v'" >&2; exit 2;;
	esac
done
[ -x "$bin" ] || die "oe-strategy not found (--bin)"
[ -z "$module" ] || [ -f "$module" ] || die "--module $module: no such file"
[ -z "$nic_script" ] || [ -f "$nic_script" ] || die "--nic-setup $nic_script: no such file"
[ -e /sys/class/net/$iface ] || [ -f /lab/qemu/guest/lib.sh ] || die "no interface $iface (load the driver first)"
mkdir -p "$out" || die "cannot create $out"
plan=$out/plan.tsv
: > "$plan"
: > "$out/irq-affinity.txt"

# Same NIC settings for every variant: no RX interrupt moderation (QEMU's igb throttling is erratic)
# and every flow on RX queue 0 (RSS spreads the MD flow to another queue otherwise; an XSK serves the
# one queue it is bound to, and one queue keeps all variants on the same interrupt and CPU).
nic_setup() {
	ethtool -C "$iface" rx-usecs 0 >/dev/null 2>&1 || echo "bench-lab: ethtool -C $iface rx-usecs 0 failed (kept)" >&2
	ethtool -X "$iface" equal 1 >/dev/null 2>&1 || echo "bench-lab: ethtool -X $iface equal 1 failed (RSS kept)" >&2
	[ -z "$irq_cpu" ] && return 0
	for n in $(nic_irqs); do
		echo "$irq_cpu" > /proc/irq/$n/smp_affinity_list || die "IRQ $n: affinity to CPU $irq_cpu refused"
	done
}
# The NIC's interrupt vectors (eth0, eth0-TxRx-0, ...) as "number name" lines.
nic_irqs() { awk -v d="$iface" '$NF == d || index($NF, d "-") == 1 { sub(":", "", $1); print $1 }' /proc/interrupts; }
# One line per run: rep variant, then irq=name:effective-CPUs for every vector of the NIC.
irq_layout() { # rep variant
	l="$1 $2"
	for n in $(nic_irqs); do
		l="$l $n=$(awk -v n="$n:" '$1 == n { print $NF }' /proc/interrupts):$(cat /proc/irq/$n/effective_affinity_list 2>/dev/null || echo '?')"
	done
	echo "$l" >> "$out/irq-affinity.txt"
}
# Per-CPU interrupt counts of the NIC's vectors, "number:c0,c1,..." words. An affinity written to
# /proc/irq/N can stay pending until the vector's next interrupt (a move x86 may only make from the
# interrupt itself), so effective_affinity_list read before a run can still name the old CPU: the
# counts the run added say where its interrupts really went.
irq_counts() {
	ncpu=$(awk 'NR == 1 { print NF; exit }' /proc/interrupts)
	for n in $(nic_irqs); do
		awk -v n="$n:" -v c="$ncpu" '$1 == n { s = $2; for (i = 3; i <= c + 1; i++) s = s "," $i; print $1 s }' /proc/interrupts
	done
}
# One line per run after it: rep variant delivered, then irq=name:+count-per-CPU for every vector.
irq_delivered() { # rep variant counts-before
	l="$1 $2 delivered"
	for w in $(irq_counts); do
		n=${w%%:*}
		before=$(printf '%s\n' $3 | awk -F: -v n="$n" '$1 == n { print $2 }')
		l="$l $n=$(awk -v n="$n:" '$1 == n { print $NF }' /proc/interrupts):$(printf '%s\n' "${w#*:}" "$before" |
			awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) a[i] = $i; k = NF } NR == 2 { for (i = 1; i <= k; i++) s = s (i > 1 ? "," : "") "+" (a[i] - (i <= NF ? $i : 0)); print s }')"
	done
	echo "$l" >> "$out/irq-affinity.txt"
}

# The NIC driver is igb_oe for every variant (same igb code underneath). Its market-data hook takes
# MD frames before XDP and the stack whenever its core runs, so the userspace variants run with the
# hook pointed at a port no MD uses (md_port=9); the in-driver variant with the defaults. A reload
# costs a few seconds and happens at most twice per repetition.
# driver-pad is the in-driver path of igb_oe_pad.ko (make OE_FIRE_PAD_INSNS=N: N no-ops on the fire
# path, contract C3), loaded in the same boot so the two are compared under the same conditions.
pad_ko=/lab/igb_oe_pad.ko
driver_state=unknown
driver_mode() { # inline|bypass|pad
	[ "$driver_state" = "$1" ] && return 0
	[ -f /lab/qemu/guest/lib.sh ] || { [ "$1" = bypass ] && return 0; die "no /lab/qemu/guest/lib.sh to load igb_oe"; }
	. /lab/qemu/guest/lib.sh
	for m in igb_oe igb_oe_pad; do
		grep -q "^$m " /proc/modules && { rmmod $m || die "rmmod $m failed"; }
	done
	[ -z "$module" ] || OE_KO=$module
	# shellcheck disable=SC2086 # module parameters are words by design
	case $1 in
	bypass) oe_load_driver md_port=9 $modparams >&2;;
	pad) [ -f $pad_ko ] || die "no $pad_ko (build it: make OE_FIRE_PAD_INSNS=N bench-lab)"
		OE_KO=$pad_ko oe_load_driver $modparams >&2;;
	*) oe_load_driver $modparams >&2;;
	esac || die "loading igb_oe failed"
	nic_setup
	if [ -n "$nic_script" ]; then sh "$nic_script" "$iface" >&2 || die "--nic-setup $nic_script failed"; fi
	driver_state=$1
	sleep 2 # link up, ARP, IGMP settle before the next session
}

# Strategy flags per userspace variant.
flags() {
	case $1 in
	uring) echo "--mode uring";;
	uring-sqpoll) echo "--mode uring --sqpoll";;
	uring-busy) echo "--mode uring --busy-poll";;
	uring-sqpoll-busy) echo "--mode uring --sqpoll --busy-poll";;
	uring-zc) echo "--mode uring --zc";;
	xdp) echo "--mode xdp";;
	xdp-busy) echo "--mode xdp --busy-poll";;
	xdp-skb) echo "--mode xdp --xdp-skb";;
	packet) echo "--mode packet --raw-ip $raw_ip";;
	packet-busy) echo "--mode packet --busy-poll --zc --raw-ip $raw_ip";;
	packet-v3) echo "--mode packet --tpacket 3 --raw-ip $raw_ip";;
	blocking) echo "--mode blocking";;
	blocking-busy) echo "--mode blocking --busy-poll";;
	floor) echo "--mode floor --oe $host:9014 --md-port 12346 --bounce-port 9013";;
	esac
}

# All CPUs' busy and total ticks from /proc/stat (user nice system idle iowait irq softirq steal).
cpu_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
rx_packets() { cat /sys/class/net/$iface/statistics/rx_packets; }

# Wait until the replay is over: MD seen, then quiet_s seconds without a received frame (max 15 min).
wait_replay_end() {
	start=$(rx_packets) prev=$start quiet=0 i=0 seen=0
	while [ $i -lt 900 ]; do
		sleep 1
		i=$((i + 1))
		n=$(rx_packets)
		[ $((n - start)) -gt 50 ] && seen=1
		if [ "$n" = "$prev" ] && [ $seen = 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		[ $quiet -ge "$quiet_s" ] && return 0
		prev=$n
		# a strategy that died (or never connected) ends the wait early
		[ -n "${spid:-}" ] && ! kill -0 "$spid" 2>/dev/null && return 1
	done
	return 1
}

# The guest-side stopwatch, the same points for every variant: armed just before the run, read
# after it. The floor's MD comes from exchange B (port 12346) and its "orders" are bounces to 9013.
sw=/sys/kernel/debug/igb_oe/stopwatch
sw_arm() { # variant
	[ -w $sw ] || { echo "bench-lab: no $sw (stopwatch not available)" >&2; return 0; }
	if [ "$1" = floor ]; then a="md=239.255.0.1:12346 exchange=$host udp=9013"
	else a="md=239.255.0.1:12345 exchange=$host tcp=9012"; fi
	echo "arm $a" > $sw || echo "bench-lab: stopwatch arm '$a' failed" >&2
}
sw_read() { # file
	[ -w $sw ] || return 0
	echo off > $sw
	cat $sw > "$1"
}

run_driver() { # rep [variant]
	v=${2:-driver}
	stats=$out/$1-$v.ethtool.txt
	sw_arm "$v"
	if sh /lab/ethtool-hooks/oe-connect "$iface" --exchange "$host:9012" --wait 60 >&2; then
		spid=
		wait_replay_end
		ethtool -S "$iface" > "$stats"
		sh /lab/ethtool-hooks/oe-connect --disconnect "$iface" --wait 20 >&2
		sw_read "$out/$1-$v.stopwatch.txt"
		echo 1
	else
		ethtool -S "$iface" > "$stats" 2>&1
		sw_read "$out/$1-$v.stopwatch.txt"
		echo 0
	fi
}

# Preferred busy polling (AF_XDP --busy-poll) only keeps the IRQ off while the NIC's NAPI defers
# hard interrupts; set for that run only, then restored, so the other variants see the stock NIC.
napi_knobs() { # defer_hard_irqs gro_flush_timeout
	d=/sys/class/net/$iface
	[ -w $d/napi_defer_hard_irqs ] && echo "$1" > $d/napi_defer_hard_irqs
	[ -w $d/gro_flush_timeout ] && echo "$2" > $d/gro_flush_timeout
}

run_user() { # rep variant
	stats=$out/$1-$2.json
	[ "$2" = xdp-busy ] && napi_knobs 2 200000
	sw_arm "$2"
	# shellcheck disable=SC2046 # flags are words by design
	"$bin" $(flags "$2") --iface "$iface" --cpu "$cpu" --rt --until-disconnects 1 --max-backoff-ms 200 \
		--stats-json "$stats" $( [ "$2" = floor ] || echo "--oe $host:9012" ) $trigger \
		> "$out/$1-$2.log" 2>&1 &
	spid=$!
	wait_replay_end
	kill -INT "$spid" 2>/dev/null
	wait "$spid"
	spid=
	sw_read "$out/$1-$2.stopwatch.txt"
	[ "$2" = xdp-busy ] && napi_knobs 0 0
	if [ -f "$stats" ] && grep -q '"connects":[1-9]' "$stats"; then echo 1; else echo 0; fi
}

[ -e /sys/class/net/$iface ] && nic_setup
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
rep=1
while [ "$rep" -le "$reps" ]; do
	for v in $variants; do
		ex=A
		[ "$v" = floor ] && ex=B
		echo "bench-lab: rep $rep/$reps $v" >&2
		case $v in driver) driver_mode inline;; driver-pad) driver_mode pad;; *) driver_mode bypass;; esac
		if [ -n "$irq_cpus" ]; then
			set -- $irq_cpus
			shift $(( (rep - 1) % $# ))
			irq_cpu=$1
			nic_setup
		fi
		irq_layout $rep "$v"
		irqs_before=$(irq_counts)
		set -- $(cpu_ticks)
		b0=$1 t0=$2
		if [ "${v%-pad}" = driver ]; then ok=$(run_driver $rep $v); stats=$out/$rep-$v.ethtool.txt
		else ok=$(run_user $rep "$v"); stats=$out/$rep-$v.json; fi
		set -- $(cpu_ticks)
		irq_delivered $rep "$v" "$irqs_before"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$v" "$ex" "$ok" $(($1 - b0)) $(($2 - t0)) "$hz" \
			"$(basename "$stats")" >> "$plan"
		sleep 1 # let the exchange write its report and return to INIT
	done
	rep=$((rep + 1))
done
echo "bench-lab: done, plan in $plan" >&2
