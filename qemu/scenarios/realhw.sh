# The real-hardware guide (docs/real-hardware.md) against the QEMU igb: every shell block of the
# guide marked "# lab: NAME" is extracted from the guide itself (so the guide cannot drift from
# what is tested) and run with the guest's IF/PCI/CPUs, and its effect is checked. The stock igb.ko
# of the guest kernel owns the port first, as on a real box, and the guide's handover moves it.

realhw_guest() {
	out=/out/realhw
	doc=/lab/docs/real-hardware.md
	blocks=$out/blocks
	mkdir -p $blocks
	# "```sh" + "# lab: NAME" ... "```" -> blocks/NAME.sh
	awk -v dir=$blocks '
		/^```/ { if (name != "") { close(dir "/" name ".sh"); name = "" } else if ($0 == "```sh") fence = 1; next }
		fence && /^# lab: / { name = $3; fence = 0; next }
		{ fence = 0 }
		name != "" { print > (dir "/" name ".sh") }' $doc
	for b in handover rss ntuple irq ethtool eee tstamp kill checks; do
		check "doc_has_block_$b" test -s $blocks/$b.sh
	done
	# The guest has no modules.dep: the guide's modprobe is an insmod from /lib/oe.
	modprobe() { m=$1; shift; insmod /lib/oe/$m.ko "$@"; }
	# run NAME: the block in this shell (it may set IF), with -e semantics per command
	run() {
		echo "== block $1"; cat $blocks/$1.sh
		( set -e; . $blocks/$1.sh ) > $out/$1.log 2>&1
	}
	# check_refused NAME BLOCK: the block must fail (a command the 82576 does not have)
	check_refused() { if run $2; then t_fail $1 "(block $2 succeeded)"; else t_ok $1; fi; }
	stat() { ethtool -S $IF | awk -v k="$1:" '$1 == k { print $2; exit }'; }
	irq_on_cpu() { awk -v irq="$1:" -v col=$(($2 + 2)) '$1 == irq { print $col }' /proc/interrupts; }

	# --- handover: stock igb owns the port, the guide's commands give it to igb_oe
	grep -q '^i2c_algo_bit ' /proc/modules || insmod /lib/oe/i2c-algo-bit.ko
	check stock_igb_loads insmod /lib/oe/igb.ko
	i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	check stock_igb_owns_port test "$(basename "$(readlink /sys/class/net/eth0/device/driver)")" = igb
	PCI=$(basename "$(readlink /sys/class/net/eth0/device)")
	OLD_DRIVER=igb CPU_MD=1 CPU_HOUSE=0
	OE_PARAMS="md_group=239.255.0.1 md_port=12345 exchange_ip=$HOST_IP exchange_port=9012"
	check handover_runs run handover
	IF=$(ls /sys/bus/pci/devices/$PCI/net)
	check handover_igb_oe_owns_port test "$(ethtool -i $IF | sed -n 's/^driver: //p')" = igb_oe
	check handover_address_set sh -c "ip -4 addr show $IF | grep -q '192.168.100.2/24'"
	i=0; while [ "$(cat /sys/class/net/$IF/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	ping -c 2 -W 5 $HOST_IP > /dev/null

	# --- rss: the indirection table really steers (queue 0 only, then queue 1 only)
	check rss_runs run rss
	check rss_table_all_queue_0 sh -c "ethtool -x $IF | awk '/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) if (\$i != 0) bad = 1 } END { exit bad }'"
	q0=$(stat rx_queue_0_packets) q1=$(stat rx_queue_1_packets)
	ping -c 20 -i 0.05 -W 5 $HOST_IP > /dev/null
	check rss_pings_on_queue_0 test $(($(stat rx_queue_0_packets) - q0)) -ge 20 -a $(($(stat rx_queue_1_packets) - q1)) -eq 0
	ethtool -X $IF weight 0 1
	q1=$(stat rx_queue_1_packets)
	ping -c 20 -i 0.05 -W 5 $HOST_IP > /dev/null
	check rss_weight_moves_pings_to_queue_1 test $(($(stat rx_queue_1_packets) - q1)) -ge 20
	ethtool -X $IF equal 1
	check rss_udp_hash_on_addresses sh -c "ethtool -n $IF rx-flow-hash udp4 | grep -q 'IP SA' && ! ethtool -n $IF rx-flow-hash udp4 | grep -q 'L4 bytes'"
	check_refused ntuple_refused_on_82576 ntuple
	# and the rule itself, not only the feature flag before it (ethtool 6.1 prints the refusal)
	( . $blocks/ntuple.sh ) > $out/ntuple-all.log 2>&1
	check ntuple_rule_refused_on_82576 grep -q 'Cannot insert RX class rule: Operation not supported' $out/ntuple-all.log

	# --- irq: every vector on CPU_HOUSE, the MD queue's on CPU_MD, and it really fires there
	check irq_runs run irq
	MD_IRQ=$(awk -v dev="$IF" '$NF ~ "^" dev "-(rx|TxRx)-0$" { sub(":", "", $1); print $1 }' /proc/interrupts)
	check irq_md_vector_found test -n "$MD_IRQ"
	check irq_md_on_cpu_md test "$(cat /proc/irq/$MD_IRQ/smp_affinity_list)" = $CPU_MD
	others_ok=1
	for irq in $(awk -v dev="$IF" '$NF ~ "^" dev "-" { sub(":", "", $1); print $1 }' /proc/interrupts); do
		[ "$irq" = "$MD_IRQ" ] && continue
		[ "$(cat /proc/irq/$irq/smp_affinity_list)" = $CPU_HOUSE ] || others_ok=0
	done
	check irq_others_on_cpu_house test $others_ok = 1
	c_md=$(irq_on_cpu $MD_IRQ $CPU_MD) c_house=$(irq_on_cpu $MD_IRQ $CPU_HOUSE)
	ping -c 20 -i 0.05 -W 5 $HOST_IP > /dev/null
	check irq_md_fires_on_cpu_md test $(($(irq_on_cpu $MD_IRQ $CPU_MD) - c_md)) -ge 1 -a $(($(irq_on_cpu $MD_IRQ $CPU_HOUSE) - c_house)) -eq 0

	# --- ethtool settings, then the i350/i210-only EEE command (the 82576 refuses it)
	check ethtool_runs run ethtool
	check ethtool_coalesce_0 sh -c "ethtool -c $IF | grep -q '^rx-usecs:[[:space:]]*0\$' && ethtool -c $IF | grep -q '^tx-usecs:[[:space:]]*0\$'"
	check ethtool_pause_off sh -c "ethtool -a $IF | grep -q '^RX:[[:space:]]*off' && ethtool -a $IF | grep -q '^TX:[[:space:]]*off'"
	check ethtool_rx_ring_4096 sh -c "ethtool -g $IF | sed -n '/^Current/,\$p' | grep -q '^RX:[[:space:]]*4096'"
	check ethtool_rx_csum_on sh -c "ethtool -k $IF | grep -q '^rx-checksumming: on'"
	check_refused eee_refused_on_82576 eee
	check eee_says_not_supported grep -qi 'not supported' $out/eee.log

	# --- hardware timestamps: the 82576 offers PTP filters only
	check tstamp_runs run tstamp
	check tstamp_phc_present grep -q 'PTP Hardware Clock: [0-9]' $out/tstamp.log
	check tstamp_82576_has_no_all sh -c "grep -q 'ptpv2-event' $out/tstamp.log && ! grep -qE '^[[:space:]]+all' $out/tstamp.log"
	check tstamp_all_refused sh -c "! hwstamp_ctl -i $IF -t 1 -r 1 > /dev/null 2>&1"
	check tstamp_ptp_v2_granted sh -c "hwstamp_ctl -i $IF | grep -q 'rx_filter 12'"

	# --- kill switch: the core's state follows the parameter
	check kill_runs run kill
	check kill_switch_was_on grep -qE 'oe_kill_switch: 1' $out/kill.log
	check kill_switch_off_again test "$(stat oe_kill_switch)" = 0

	# --- the checks block: runs, and its counters are 0 after this traffic
	check checks_run run checks
	check checks_counters_zero test "$(stat rx_missed_errors)" = 0 -a "$(stat rx_fifo_errors)" = 0 -a "$(stat igboe_tx_busy)" = 0
	check checks_affinity_survived_ring_resize test "$(cat /proc/irq/$MD_IRQ/smp_affinity_list)" = $CPU_MD
	ethtool -S $IF > $out/ethtool-S.txt 2>&1
	check realhw_unload sh -c "rmmod igb_oe && rmmod igb"
}

realhw_check() {
	python3 "$OELAB_ROOT/scripts/tap-summary.py" realhw "$RUN/realhw/log.txt" 45 > "$RESULTS/realhw.txt"
	local rc=$?
	cat "$RESULTS/realhw.txt"
	return $rc
}
