// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: RX classification, called from igb_clean_rx_irq where XDP would run (first and only
 * buffer of a frame, before any skb). IPv4 UDP to the market-data group:port -> handleMDPacket,
 * TCP on the order-entry 4-tuple -> oe_tcp_rx, anything else -> igb's normal path, untouched.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "oe_priv.h"
#include "oe_trace.h"

/* Hook entry stamp, only while this adapter stamps (a session or the stopwatch is armed). The
 * stopwatch stamped this frame's descriptor a moment ago (oe_sw_rx): that is the same point.
 */
static u64 oe_hook_stamp(struct igb_q_vector *q_vector)
{
	u64 rx_ns;

	if (!oe_igb_stamping(q_vector->adapter, OE_STAMP_SESSION | OE_STAMP_SW))
		return 0;
	rx_ns = (READ_ONCE(q_vector->adapter->oe_stamp) & OE_STAMP_SW) ? q_vector->oe_rx_ns : 0;
	return rx_ns ?: ktime_get_ns();
}

static bool oe_rx_md(struct oe_adapter *oe, struct igb_q_vector *q_vector, const u8 *payload,
		     u16 len)
{
	u64 hook_ns = oe_hook_stamp(q_vector);
	u64 napi_ns = q_vector->oe_napi_ns;
	u64 irq_ns = q_vector->oe_poll_irq_ns;
	bool mirror = READ_ONCE(oe_md_mirror);
	u64 doorbell_ns;

	spin_lock(&oe->core_lock);
	if (unlikely(!oe->core_active)) {
		spin_unlock(&oe->core_lock);
		return false;
	}
	oe->md_hook_ns = hook_ns;
	oe->md_doorbell_ns = 0;
	oe->in_md = true;
	handleMDPacket((const struct UDPMDPacket *)payload, len);
	oe->in_md = false;
	doorbell_ns = oe->md_doorbell_ns;
	oe->ctr.md_frames++;
	if (doorbell_ns) {
		oe->ctr.orders++;
		if (hook_ns) {
			oe_hist_add(&oe->hist[OE_HIST_HOOK], doorbell_ns - hook_ns);
			oe_hist_add(&oe->hist[OE_HIST_NAPI], doorbell_ns - napi_ns);
		}
		if (hook_ns && irq_ns)
			oe_hist_add(&oe->hist[OE_HIST_IRQ], doorbell_ns - irq_ns);
	}
	if (unlikely(mirror))
		oe->ctr.md_mirrored++;
	spin_unlock(&oe->core_lock);

	/* after the doorbell: tracing never delays an order */
	trace_oe_md_frame(len, irq_ns, napi_ns, hook_ns, doorbell_ns);
	if (doorbell_ns)
		trace_oe_trigger(irq_ns, napi_ns, hook_ns, doorbell_ns);
	return !mirror;
}

static bool oe_rx_tcp(struct oe_adapter *oe, const void *iph, u16 len)
{
	spin_lock(&oe->core_lock);
	if (unlikely(!oe->core_active)) {
		spin_unlock(&oe->core_lock);
		return false;
	}
	oe_tcp_rx(iph, len);
	oe->ctr.tcp_frames++;
	oe_note_state(oe);
	spin_unlock(&oe->core_lock);
	return true;
}

bool oe_igb_rx_frame(struct oe_adapter *oe, struct igb_q_vector *q_vector,
		     union e1000_adv_rx_desc *rx_desc, void *data, unsigned int size)
{
	const u32 bad = E1000_RXDEXT_ERR_FRAME_ERR_MASK | E1000_RXDEXT_STATERR_IPE |
			E1000_RXDEXT_STATERR_TCPE;
	const void *l4;
	u32 staterr;
	u16 len;

	if (unlikely(!READ_ONCE(oe->core_active)))
		return false;
	/* single-buffer frames the hardware found clean; the rest is the stack's business */
	staterr = le32_to_cpu(rx_desc->wb.upper.status_error);
	if (!(staterr & E1000_RXD_STAT_EOP) || (staterr & bad))
		return false;

	switch (oe_rx_classify(&oe->filter, data, size, &l4, &len)) {
	case OE_RX_MD:
		return oe_rx_md(oe, q_vector, l4, len);
	case OE_RX_TCP:
		return oe_rx_tcp(oe, l4, len);
	default:
		return false;
	}
}

void oe_igb_napi_poll(struct igb_q_vector *q_vector)
{
	struct oe_adapter *oe = READ_ONCE(q_vector->adapter->oe);

	/* netpoll may call igb_poll with interrupts off: the core is not for that context. Without
	 * an armed session or a due core timer there is nothing for oe_poll() (oe_stamp.c).
	 */
	if (!oe || (!READ_ONCE(oe->poll_armed) && !READ_ONCE(oe->timer_due)) ||
	    !READ_ONCE(oe->core_active) || unlikely(irqs_disabled()))
		return;
	spin_lock(&oe->core_lock);
	WRITE_ONCE(oe->timer_due, false);
	if (likely(oe->core_active)) {
		oe->core_polls++;
		oe_poll();
		oe_note_state(oe);
	}
	spin_unlock(&oe->core_lock);
}
