/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe driver counters (ethtool -S "igboe_<name>"): per-CPU u64_stats. Writers are NAPI on any
 * CPU, the hrtimer (hard irq), the TX clean and process context, so a plain shared `++` would lose
 * increments; each CPU counts in its own block and readers sum the blocks, each read consistent
 * under its u64_stats_sync (a no-op on 64-bit, a seqcount on 32-bit). Header-only: KUnit drives it
 * from several CPUs at once (driver/igb/ktests/oe_session_kunit.c).
 */
#ifndef OE_COUNTERS_H
#define OE_COUNTERS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

/* the order is the ethtool -S order */
#define OE_COUNTERS(X)							\
	X(md_frames)		/* MD datagrams handed to handleMDPacket */	\
	X(md_mirrored)		/* ... and also passed to the stack */		\
	X(orders)		/* MD datagrams that rang the doorbell */	\
	X(tcp_frames)		/* order-entry segments handed to oe_tcp_rx */	\
	X(doorbells)		/* completeTx tail writes */			\
	X(tx_done)		/* order-entry descriptors completed */		\
	X(tx_flushed)		/* ... dropped by a ring reset */		\
	X(tx_busy)		/* getPacketBuffer: no free block or descriptor */ \
	X(tx_down)		/* prepareWrite: link or ring down */		\
	X(tx_bad_len)		/* completeTx with len 0 or > cap */		\
	X(timer_fires)							\
	X(connects)		/* connect delivered to the core */		\
	X(connect_failures)	/* route, ARP or core init failure */		\
	X(disconnects)		/* disconnect delivered to the core */		\
	X(carrier_losses)	/* carrier went down during a session */	\
	X(carrier_retries)	/* core timer fires while carrier/ring down (backed off) */ \
	X(md_foreign_src)	/* MD group:port from another source: stack's path */ \
	X(rx_vlan)		/* tagged frames (VP): stack's path */		\
	X(rx_csum_sw)		/* checksums the NIC did not verify, checked here */ \
	X(rx_csum_bad)		/* bad checksum: stack's path, never the core */ \
	X(log_dropped)		/* core log lines lost (deferred ring full) */	\
	X(warm_yields)		/* warm run skipped: RX work was pending */	\
	X(warm_late)		/* a frame arrived during a warm run: NAPI rescheduled */ \
	X(port_in_use)		/* connect refused: the local port is bound in the stack */

enum oe_ctr_id {
#define OE_CTR_ENUM(name) OE_CTR_##name,
	OE_COUNTERS(OE_CTR_ENUM)
#undef OE_CTR_ENUM
	OE_CTR_COUNT,
};

struct oe_pcpu_counters {
	u64_stats_t v[OE_CTR_COUNT];
	struct u64_stats_sync syncp;
};

/* any context, any CPU */
static inline void oe_ctr_add(struct oe_pcpu_counters __percpu *ctr, enum oe_ctr_id id, u64 n)
{
	struct oe_pcpu_counters *c = get_cpu_ptr(ctr);
	unsigned long flags = u64_stats_update_begin_irqsave(&c->syncp);

	u64_stats_add(&c->v[id], n);
	u64_stats_update_end_irqrestore(&c->syncp, flags);
	put_cpu_ptr(ctr);
}

/* any context: the sum over every CPU */
static inline u64 oe_ctr_read(struct oe_pcpu_counters __percpu *ctr, enum oe_ctr_id id)
{
	unsigned int cpu, start;
	u64 sum = 0, v;

	for_each_possible_cpu(cpu) {
		const struct oe_pcpu_counters *c = per_cpu_ptr(ctr, cpu);

		do {
			start = u64_stats_fetch_begin(&c->syncp);
			v = u64_stats_read(&c->v[id]);
		} while (u64_stats_fetch_retry(&c->syncp, start));
		sum += v;
	}
	return sum;
}

static inline struct oe_pcpu_counters __percpu *oe_ctr_alloc(void)
{
	struct oe_pcpu_counters __percpu *ctr = alloc_percpu(struct oe_pcpu_counters);
	unsigned int cpu;

	if (ctr)
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(ctr, cpu)->syncp);
	return ctr;
}

#endif /* OE_COUNTERS_H */
