// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: warming (docs/strategy.md "Warming"). Module parameter warm_us (0 = off, the default):
 * when no market-data frame has arrived for warm_us, the order-entry NAPI poll calls oe_warm(), which
 * runs the whole fire path on a shadow copy of the core's state into the warm sink ring (oe_tx.c:
 * scratch block and scratch descriptor, no tail write). A real packet always goes first: the run is
 * skipped while any RX ring holds a completed descriptor, and a packet that arrived during a run gets
 * its poll at once (NAPI rescheduled) instead of waiting for the next interrupt.
 *
 * The period timer only schedules NAPI, like the core's timer; everything else runs in NAPI with
 * core_lock held. Off by default and behind a static key: a lab without warm_us pays nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/prefetch.h>
#include "oe_priv.h"

static uint oe_warm_us;
module_param_named(warm_us, oe_warm_us, uint, 0644);
MODULE_PARM_DESC(warm_us,
		 "Warm the fire path after this many us without market data, 0 = off (default 0; read at core start)");

DEFINE_STATIC_KEY_FALSE(oe_warm_key);

static enum hrtimer_restart oe_warm_timer_fn(struct hrtimer *timer)
{
	struct oe_warm_state *w = container_of(timer, struct oe_warm_state, timer);
	struct oe_adapter *oe = container_of(w, struct oe_adapter, warm);

	hrtimer_forward_now(timer, ns_to_ktime(w->period_ns));
	if (ktime_get_ns() - READ_ONCE(w->last_ns) >= w->period_ns)
		oe_kick(oe);
	return HRTIMER_RESTART;
}

/* RTNL, core started: begin warming if warm_us asks for it */
void oe_warm_start(struct oe_adapter *oe)
{
	struct oe_warm_state *w = &oe->warm;
	u32 us = READ_ONCE(oe_warm_us);

	ASSERT_RTNL();
	if (!us || w->on)
		return;
	if (!w->timer_ready) {
		hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		w->timer.function = oe_warm_timer_fn;
		w->timer_ready = true;
	}
	oe->warm_block.pkt.data = oe->warm_frame;
	oe->warm_block.pkt.cap = oe->txr.cap ? oe->txr.cap : OE_TX_BLOCK_SIZE;
	oe->warm_txr.oe = oe;
	oe->warm_txr.warm = true;
	w->period_ns = (u64)us * NSEC_PER_USEC;
	WRITE_ONCE(w->last_ns, ktime_get_ns());
	static_branch_inc(&oe_warm_key);
	w->on = true;
	hrtimer_start(&w->timer, ns_to_ktime(w->period_ns), HRTIMER_MODE_REL);
}

/* RTNL: before the core stops */
void oe_warm_stop(struct oe_adapter *oe)
{
	struct oe_warm_state *w = &oe->warm;

	ASSERT_RTNL();
	if (!w->on)
		return;
	hrtimer_cancel(&w->timer);
	static_branch_dec(&oe_warm_key);
	w->on = false;
}

/* The RX ring holding a completed descriptor igb has not cleaned yet, or NULL. NAPI: the rings
 * cannot be freed under us (igb disables every NAPI first); the DD bit is read, never written.
 */
static struct igb_ring *oe_rx_pending(struct igb_adapter *adapter)
{
	struct igb_ring *ring;
	int i;

	for (i = 0; i < READ_ONCE(adapter->num_rx_queues); i++) {
		ring = READ_ONCE(adapter->rx_ring[i]);
		if (ring && ring->desc &&
		    igb_test_staterr(IGB_RX_DESC(ring, READ_ONCE(ring->next_to_clean)), E1000_RXD_STAT_DD))
			return ring;
	}
	return NULL;
}

/* NAPI, core_lock held, after oe_poll: a warm run if the market has been quiet for warm_us */
void oe_warm_poll(struct oe_adapter *oe)
{
	struct oe_warm_state *w = &oe->warm;
	struct igb_ring *late;
	u64 now;

	if (!w->on || test_bit(__IGB_DOWN, &oe->adapter->state))
		return;
	now = ktime_get_ns();
	if (now - w->last_ns < w->period_ns)
		return;
	if (oe_rx_pending(oe->adapter)) {	/* a real packet is waiting: it goes first */
		oe_count(oe, warm_yields);
		return;
	}
	WRITE_ONCE(w->last_ns, now);
	oe_warm();
	late = oe_rx_pending(oe->adapter);
	if (unlikely(late && late->q_vector)) {
		/* arrived during the run: poll it now (NAPI_STATE_MISSED if it is ours), not at the
		 * next interrupt
		 */
		oe_count(oe, warm_late);
		napi_schedule(&late->q_vector->napi);
	}
}
