/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook points the igb_oe patch series (driver/igb/patches) adds to upstream igb. igb.h includes
 * this file last, so the inline helpers see igb's structures. Everything here is implemented in
 * driver/igb/oe_*.c; the patches only add the fields and the call sites. See docs/driver.md.
 */
#ifndef OE_IGB_H
#define OE_IGB_H

#include <linux/atomic.h>
#include <linux/io.h>
#include <linux/jump_label.h>
#include <linux/timekeeping.h>
#include <linux/types.h>

struct oe_adapter;
struct sk_buff;

/* ---- stamps (driver/igb/oe_stamp.c, oe_stopwatch.c) ----
 * What would cost every packet of every adapter sits behind oe_stamp_key, a static branch that is
 * on only while some adapter has an order-entry session armed or its stopwatch on; then only that
 * adapter (adapter->oe_stamp) reads the clock.
 */
DECLARE_STATIC_KEY_FALSE(oe_stamp_key);

#define OE_STAMP_SESSION	BIT(0)	/* session armed: irq/NAPI stamps for the histograms */
#define OE_STAMP_SW		BIT(1)	/* stopwatch armed: per-frame records */

/* where a TX tail write comes from */
enum oe_sw_tx_path {
	OE_SW_TX_SKB,	/* igb_tx_map: sockets, AF_PACKET, AF_XDP copy mode */
	OE_SW_TX_XDP,	/* igb_xmit_xdp_ring: XDP_TX, ndo_xdp_xmit */
	OE_SW_TX_OE,	/* completeTx: the order-entry ring */
};

static inline bool oe_igb_stamping(const struct igb_adapter *adapter, u8 what)
{
	return static_branch_unlikely(&oe_stamp_key) && (READ_ONCE(adapter->oe_stamp) & what);
}

/* ---- lifecycle (process context) ---- */

/* end of igb_probe, netdev registered: order-entry state, module parameters, oe_core_init */
void oe_igb_probe(struct igb_adapter *adapter);
/* first thing in igb_remove, rings still running: orderly disconnect, oe_core_exit */
void oe_igb_remove(struct igb_adapter *adapter);
/* igb_remove after unregister_netdev, rings cleaned: free the TX block pool */
void oe_igb_release(struct igb_adapter *adapter);
/* __igb_open: TX queues the stack may use (the last one is kept for order entry) */
unsigned int oe_igb_stack_tx_queues(struct igb_adapter *adapter);

/* ---- data path (NAPI) ---- */

bool oe_igb_rx_frame(struct oe_adapter *oe, struct igb_q_vector *q_vector,
		     union e1000_adv_rx_desc *rx_desc, void *data, unsigned int size);

/* igb_clean_rx_irq, first buffer of a frame, before XDP and before any skb: true = consumed */
static inline bool oe_igb_rx(struct igb_q_vector *q_vector, union e1000_adv_rx_desc *rx_desc,
			     void *data, unsigned int size)
{
	struct oe_adapter *oe = READ_ONCE(q_vector->adapter->oe);

	return oe && oe_igb_rx_frame(oe, q_vector, rx_desc, data, size);
}

/* igb_poll, once per poll after RX: oe_poll() (armed connects, timers) */
void oe_igb_napi_poll(struct igb_q_vector *q_vector);

/* igb_clean_tx_irq (sent) and igb_clean_tx_ring (flushed): an IGB_TYPE_OE descriptor is done */
void oe_igb_tx_clean(struct igb_ring *tx_ring, struct igb_tx_buffer *tx_buffer, bool sent);

/* igb_msix_ring */
static inline void oe_igb_irq_stamp(struct igb_q_vector *q_vector)
{
	if (oe_igb_stamping(q_vector->adapter, OE_STAMP_SESSION | OE_STAMP_SW))
		q_vector->oe_irq_ns = ktime_get_ns();
}

/* igb_poll entry: remember which interrupt (if any) started this poll. The interrupt's stamp is
 * taken (atomically: igb_msix_ring may run meanwhile, as a hardirq on this CPU or on another CPU
 * while this poll runs) before the clock is read, so an MSI-X that lands between the two stays for
 * the next poll instead of starting this one's stopwatch after the poll began (irq > napi: the
 * record was unusable, the floor lost 2 of 13,690 samples that way). clock: ktime_get_ns, or a
 * KUnit stand-in that plays that interrupt.
 */
static __always_inline void __oe_igb_napi_stamp(struct igb_q_vector *q_vector, u64 (*clock)(void))
{
	q_vector->oe_poll_irq_ns = xchg(&q_vector->oe_irq_ns, 0);
	q_vector->oe_napi_ns = clock();
}

static inline void oe_igb_napi_stamp(struct igb_q_vector *q_vector)
{
	if (oe_igb_stamping(q_vector->adapter, OE_STAMP_SESSION | OE_STAMP_SW))
		__oe_igb_napi_stamp(q_vector, ktime_get_ns);
}

void oe_sw_rx(struct igb_q_vector *q_vector, const void *data, unsigned int size);
u64 oe_sw_tx_tail(struct igb_ring *ring, u32 tail, const void *frame, unsigned int size,
		  enum oe_sw_tx_path path);
u64 oe_sw_tx_tail_skb(struct igb_ring *ring, u32 tail, const struct sk_buff *skb);

/* igb_clean_rx_irq, first buffer of a frame, before the order-entry hook: stopwatch RX stamp */
static inline void oe_igb_sw_rx(struct igb_q_vector *q_vector, const void *data, unsigned int size)
{
	if (oe_igb_stamping(q_vector->adapter, OE_STAMP_SW))
		oe_sw_rx(q_vector, data, size);
}

/* Every TX tail write of igb_oe: writel(tail). The doorbell stamp is read just before the write,
 * for a frame that carries an order while the stopwatch is armed, and for every frame of our own
 * ring (completeTx: doorbell_to_txdone). Returns that stamp, 0 if none was taken. Not after the
 * write: the device may complete the frame at once and interrupt this CPU (QEMU's igb does, inside
 * the write), and a stamp after it would count that handler as the path's (issue 10's regression).
 */
static inline u64 oe_igb_tx_tail(struct igb_ring *ring, u32 tail, const void *frame,
				 unsigned int size, enum oe_sw_tx_path path)
{
	u64 now = 0;

	if (oe_igb_stamping(ring->q_vector->adapter, OE_STAMP_SW))
		return oe_sw_tx_tail(ring, tail, frame, size, path);
	if (path == OE_SW_TX_OE)
		now = ktime_get_ns();
	writel(tail, ring->tail);
	return now;
}

/* igb_tx_map's tail write: the same, for an skb (its headers may be in fragments) */
static inline u64 oe_igb_tx_tail_skb(struct igb_ring *ring, u32 tail, const struct sk_buff *skb)
{
	if (oe_igb_stamping(ring->q_vector->adapter, OE_STAMP_SW))
		return oe_sw_tx_tail_skb(ring, tail, skb);
	writel(tail, ring->tail);
	return 0;
}

/* ---- ethtool (process context, RTNL) ---- */

u32 oe_igb_get_msglevel(struct igb_adapter *adapter, u32 msg_enable);
u32 oe_igb_set_msglevel(struct igb_adapter *adapter, u32 data);
int oe_igb_stats_count(struct igb_adapter *adapter);
void oe_igb_get_strings(struct igb_adapter *adapter, u8 **p);
void oe_igb_get_stats(struct igb_adapter *adapter, u64 *data);

#endif /* OE_IGB_H */
