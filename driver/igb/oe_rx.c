// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: RX classification, called from igb_clean_rx_irq where XDP would run (first and only
 * buffer of a frame, before any skb). IPv4 UDP to the market-data group:port -> handleMDPacket,
 * TCP on the order-entry 4-tuple -> oe_tcp_rx, anything else -> igb's normal path, untouched.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "oe_priv.h"
#include "oe_trace.h"

/* Hook entry stamp, only while this adapter stamps (a session or the stopwatch is armed). While
 * the stopwatch is armed its stamp of this frame's descriptor (oe_sw_rx) is reused to spare the
 * fire path a clock read: hook_to_doorbell then starts there, before the stopwatch's RX record and
 * this hook's classification of the frame (190 guest instructions under icount, docs/results.md).
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
	WRITE_ONCE(oe->warm.last_ns, hook_ns);	/* the market is not quiet: no warm run */
	oe->md_doorbell_ns = 0;
	oe->in_md = true;
	handleMDPacket((const struct UDPMDPacket *)payload, len);
	oe->in_md = false;
	doorbell_ns = oe->md_doorbell_ns;
	oe_count(oe, md_frames);
	if (doorbell_ns) {
		oe_count(oe, orders);
		if (hook_ns) {
			oe_hist_add(&oe->hist[OE_HIST_HOOK], doorbell_ns - hook_ns);
			oe_hist_add(&oe->hist[OE_HIST_NAPI], doorbell_ns - napi_ns);
		}
		if (hook_ns && irq_ns)
			oe_hist_add(&oe->hist[OE_HIST_IRQ], doorbell_ns - irq_ns);
	}
	if (unlikely(mirror))
		oe_count(oe, md_mirrored);
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
	oe_count(oe, tcp_frames);
	oe_note_state(oe);
	spin_unlock(&oe->core_lock);
	return true;
}

static void oe_rx_note(struct oe_adapter *oe, enum oe_rx_note note)
{
	switch (note) {
	case OE_NOTE_VLAN:
		oe_count(oe, rx_vlan);
		break;
	case OE_NOTE_FOREIGN_SRC:
		oe_count(oe, md_foreign_src);
		break;
	case OE_NOTE_CSUM_SW:
		oe_count(oe, rx_csum_sw);
		break;
	case OE_NOTE_CSUM_BAD:
		oe_count(oe, rx_csum_bad);
		break;
	default:
		break;
	}
}

bool oe_igb_rx_frame(struct oe_adapter *oe, struct igb_q_vector *q_vector,
		     union e1000_adv_rx_desc *rx_desc, void *data, unsigned int size)
{
	bool rxcsum = q_vector->adapter->netdev->features & NETIF_F_RXCSUM;
	enum oe_rx_note note;
	enum oe_rx_class c;
	const void *l4;
	u32 staterr;
	u16 len;

	if (unlikely(!READ_ONCE(oe->core_active)))
		return false;
	/* single-buffer, untagged frames, checksums verified by the NIC (or here): the rest is the
	 * stack's business, exactly as igb_rx_checksum would judge it
	 */
	staterr = le32_to_cpu(rx_desc->wb.upper.status_error);
	c = oe_rx_desc_classify(&oe->filter, staterr, rxcsum, data, size, &l4, &len, &note);
	if (unlikely(note != OE_NOTE_NONE))
		oe_rx_note(oe, note);
	switch (c) {
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

	/* netpoll may call igb_poll with interrupts off: the core is not for that context. With no
	 * request to deliver, no session and no due core timer, nothing here needs the core (issue
	 * 15: no core_lock in the polls of an idle adapter; oe_stamp.c).
	 */
	if (!oe || !oe_poll_wanted(oe) || !READ_ONCE(oe->core_active) || unlikely(irqs_disabled()))
		return;
	spin_lock(&oe->core_lock);
	WRITE_ONCE(oe->timer_due, false);
	if (likely(oe->core_active)) {
		oe->core_polls++;
		oe_deliver_request(oe);
		oe_poll();
		oe_note_state(oe);
		if (static_branch_unlikely(&oe_warm_key))
			oe_warm_poll(oe);
	}
	spin_unlock(&oe->core_lock);
}
