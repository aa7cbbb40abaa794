// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: what may cost every packet, and when it is paid.
 *
 * Clock reads in igb_msix_ring / igb_poll / the RX and TX stamps sit behind oe_stamp_key (a static
 * branch, patched out while no adapter stamps) and the adapter's oe_stamp bits: OE_STAMP_SESSION
 * from the connect request until the core is back in Init with nothing requested since,
 * OE_STAMP_SW while the stopwatch is armed (oe_stopwatch.c).
 *
 * igb_poll enters the core (core_lock, request delivery, oe_poll) only when it has something to
 * do there (oe_poll_wanted): a msglvl request to deliver, a session (or a delivered connect), or a
 * due core timer (timer_due, set by the hrtimer). Market data and order-entry segments still reach
 * the core from the RX hook as before.
 *
 * /sys/kernel/debug/igb_oe/gate shows the state; the scenarios check it (qemu/scenarios).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include "oe_priv.h"

DEFINE_STATIC_KEY_FALSE(oe_stamp_key);

/* RTNL: make adapter->oe_stamp what stamp_session and sw.armed say */
void oe_stamp_update(struct oe_adapter *oe)
{
	struct igb_adapter *adapter = oe->adapter;
	u8 want = (oe->stamp_session ? OE_STAMP_SESSION : 0) | (oe->sw.armed ? OE_STAMP_SW : 0);
	u8 have = adapter->oe_stamp;
	int i;

	ASSERT_RTNL();
	if (want == have)
		return;
	if (!have) {
		/* stamps left from an earlier period must not start a poll's stopwatch */
		for (i = 0; i < adapter->num_q_vectors; i++) {
			struct igb_q_vector *q = adapter->q_vector[i];

			if (!q)
				continue;
			WRITE_ONCE(q->oe_irq_ns, 0);
			WRITE_ONCE(q->oe_poll_irq_ns, 0);
			WRITE_ONCE(q->oe_rx_ns, 0);
		}
		static_branch_inc(&oe_stamp_key);
	}
	WRITE_ONCE(adapter->oe_stamp, want);
	if (!want)
		static_branch_dec(&oe_stamp_key);
	/* a CPU that saw the old bits (NAPI, xmit: BH off) is out of its hook after this */
	synchronize_net();
}

void oe_session_armed(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	oe->stamp_session = true;
	oe_stamp_update(oe);
}

/* summary work: the state went to Init. With no request pending and no session, stamps stop. */
void oe_session_idle(struct oe_adapter *oe)
{
	if (oe_session_busy(oe))
		return;
	rtnl_lock();
	/* a connect resolved since the check above re-armed under RTNL: keep its stamps */
	if (!oe_session_busy(oe)) {
		oe->stamp_session = false;
		oe_stamp_update(oe);
		/* after TIME-WAIT: the 4-tuple and its port are the stack's again */
		WRITE_ONCE(oe->filter.tcp_armed, false);
		oe_port_release(oe);
	}
	rtnl_unlock();
}

static int oe_gate_show(struct seq_file *m, void *unused)
{
	struct oe_adapter *oe = m->private;

	seq_printf(m, "stamp_key=%d oe_stamp=%u poll_armed=%d core_polls=%llu\n",
		   static_key_enabled(&oe_stamp_key), READ_ONCE(oe->adapter->oe_stamp),
		   oe_poll_wanted(oe), READ_ONCE(oe->core_polls));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oe_gate);

void oe_gate_debugfs_init(struct oe_adapter *oe)
{
	debugfs_create_file("gate", 0444, oe->debugfs, oe, &oe_gate_fops);
}
