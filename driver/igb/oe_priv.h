/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe driver glue: private state shared by driver/igb/oe_*.c. One adapter (the first probed)
 * carries the order-entry core, which is a singleton (oe/abi.h).
 *
 * Locking:
 *   core_lock  serialises every entry into the C++ core (handleMDPacket, oe_tcp_rx, oe_poll,
 *              oe_request_*): NAPI polls of different queue vectors can run on different CPUs, the
 *              core is single-threaded. Taken with spin_lock in NAPI, spin_lock_bh in process
 *              context.
 *              Never taken in hard interrupt context (the hrtimer only schedules NAPI).
 *   RTNL       serialises the process side: ethtool handlers, connect work, core (re)init and exit,
 *              reading core counters for ethtool -S.
 *   TX ring    the order-entry queue's netdev xmit lock, held from prepareWrite() to completeTx() /
 *              cancelPrevWriteBuf(), like igb's XDP_TX.
 */
#ifndef OE_PRIV_H
#define OE_PRIV_H

#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "igb.h"
#include "oe_compat.h"
#include "oe_classify.h"
#include "oe_counters.h"
#include "oe_hist.h"
#include "oe_stopwatch.h"
#include "oe_link.h"
#include "oe_session.h"
#include "oe/abi.h"

#define OE_TX_BLOCKS		64		/* power of two */
#define OE_TX_BLOCK_SIZE	2048
#define OE_TX_DESC_SLACK	2		/* free descriptors kept back when taking a block */
#define OE_MSG_CONNECT		NETIF_MSG_WOL	/* ethtool -s <dev> msglvl wol on|off */
#define OE_FIXED_ONE		100000000LL	/* prices and amounts are fixed-point 1e-8 */
#define OE_RESOLVE_MS		3000	/* ARP resolution budget of a connect */
#define OE_RESOLVE_STEP_MS	100
#define OE_UNLOAD_WAIT_MS	2000

enum oe_hist_id {
	OE_HIST_HOOK,	/* hook entry -> doorbell: the tick-to-trade figure */
	OE_HIST_NAPI,	/* NAPI poll entry -> doorbell */
	OE_HIST_IRQ,	/* MSI-X handler entry -> doorbell (polls started by an interrupt) */
	OE_HIST_TXDONE,	/* doorbell -> descriptor seen done by igb_clean_tx_irq */
	OE_HIST_COUNT,
};

struct oe_block {
	struct TCPPacket pkt;	/* handed to the core; data points into the coherent pool */
	dma_addr_t dma;
	u64 doorbell_ns;
	u64 hook_ns;		/* MD hook entry that produced this frame, 0 if none */
	u16 index;
	int busy;		/* descriptor posted, not yet completed */
};

/* the stopwatch (oe_stopwatch.c): per-CPU record rings, written by whichever CPU stamps (NAPI or
 * a BH-disabled xmit), read from debugfs; filter and rings change only while disarmed
 */
struct oe_sw_ring {
	u32 head;		/* records written; smp_store_release by the CPU's writer */
	u32 cap;
	u64 dropped;		/* ring full */
	struct oe_sw_rec *rec;
};

struct oe_sw {
	bool armed;			/* RTNL */
	struct oe_sw_filter filter;
	struct oe_sw_ring __percpu *rings;
	u32 cap;			/* records per CPU */
	u64 armed_ns;
};

/* abi.h's opaque struct oe_tx_ring: the order-entry TX queue and its block pool */
struct oe_tx_ring {
	struct oe_adapter *oe;
	struct oe_block *blocks;	/* OE_TX_BLOCKS, allocated at first connect */
	void *mem;
	dma_addr_t mem_dma;
	u16 next_block;
	u16 cap;			/* frame capacity handed to the core */
	bool claimed;			/* between prepareWrite and completeTx/cancel */
	bool warm;			/* the warm sink (oe_warm.c): scratch block and descriptor */
	struct igb_ring *ring;		/* valid while claimed */
	struct netdev_queue *nq;	/* valid while claimed */
};

/* warming (oe_warm.c); last_ns is written under core_lock, read by the timer */
struct oe_warm_state {
	struct hrtimer timer;
	u64 period_ns;
	u64 last_ns;			/* last MD frame or warm run */
	bool on;
	bool timer_ready;
};

struct oe_adapter {
	struct igb_adapter *adapter;
	struct net_device *netdev;

	spinlock_t core_lock;		/* every entry into the core */
	bool core_active;		/* core_lock: NAPI may enter the core */
	bool core_up;			/* RTNL: oe_core_init succeeded */
	struct oe_session sess;		/* core_lock: msglvl requests, latest wins */
	struct oe_backoff backoff;	/* core_lock: core timer while the link is down */
	bool dying;

	/* the MD hook in progress (core_lock) */
	bool in_md;
	u64 md_hook_ns;
	u64 md_doorbell_ns;

	/* classification, copied from cfg at core start */
	struct oe_rx_filter filter;

	struct oe_config cfg;		/* what the core runs with */
	struct socket *port_sock;	/* RTNL: holds cfg's local port in the stack (oe_port.c) */
	__be32 md_source;		/* the MD source accepted (md_source, else exchange_ip) */
	__be32 mc_group;		/* RTNL: the group joined on the netdev */
	bool mc_joined;
	bool link_up;			/* RTNL: running and carrier, as last notified */
	bool link_killed;		/* core_lock: kill switch held since a carrier loss */
	struct notifier_block netdev_nb;

	struct oe_tx_ring txr;
	/* the warm sink: a warm run's frame and descriptor land here, never in the ring */
	struct oe_tx_ring warm_txr;
	struct oe_block warm_block;
	struct igb_tx_buffer warm_tx_buffer;
	union e1000_adv_tx_desc warm_desc;
	u8 warm_frame[OE_TX_BLOCK_SIZE] ____cacheline_aligned;
	struct oe_warm_state warm;
	struct hrtimer timer;
	struct work_struct connect_work;
	struct work_struct summary_work;
	struct dentry *debugfs;

	struct oe_pcpu_counters __percpu *ctr;
	struct oe_hist hist[OE_HIST_COUNT];

	/* what costs every packet is gated (oe_stamp.c): */
	bool stamp_session;		/* RTNL: a session is armed, take the histogram stamps */
	bool timer_due;			/* the core's hrtimer fired: the next poll runs oe_poll() */
	u64 core_polls;			/* core_lock: oe_poll() calls from igb_poll */
	struct oe_sw sw;
};

/* lock-free, igb_poll: does this poll have anything for the core? A request to deliver, a session
 * (or a connect delivered whose state has not moved yet), or a due core timer (oe_stamp.c)
 */
static inline bool oe_poll_wanted(const struct oe_adapter *oe)
{
	return READ_ONCE(oe->timer_due) || READ_ONCE(oe->sess.req) != OE_REQ_NONE ||
	       READ_ONCE(oe->sess.issued) || READ_ONCE(oe->sess.last_state);
}
#define oe_count(oe, name)	oe_ctr_add((oe)->ctr, OE_CTR_##name, 1)

/* the adapter the core runs on, for the platform API (set while the core may run) */
extern struct oe_adapter *oe_dev;
extern bool oe_md_mirror;

/* oe_main.c */
int oe_build_config(struct oe_adapter *oe, struct oe_config *cfg);
u16 oe_pick_local_port(bool *fixed);
int oe_core_start(struct oe_adapter *oe, const struct oe_config *cfg, bool endpoint);
void oe_core_stop(struct oe_adapter *oe);
void oe_kick(struct oe_adapter *oe);		/* hard irq / softirq: schedule the OE NAPI */
void oe_kick_process(struct oe_adapter *oe);	/* process context */
void oe_note_state(struct oe_adapter *oe);	/* core_lock held */
void oe_deliver_request(struct oe_adapter *oe);	/* NAPI, core_lock held */
bool oe_session_busy(struct oe_adapter *oe);	/* process: a request pending or a session */
void oe_mc_update(struct oe_adapter *oe);	/* RTNL */
unsigned int oe_txq_index(struct igb_adapter *adapter);

/* oe_tx.c */
int oe_tx_pool_alloc(struct oe_adapter *oe);
void oe_tx_pool_free(struct oe_adapter *oe);
void oe_tx_pool_reset(struct oe_adapter *oe);

/* oe_warm.c */
DECLARE_STATIC_KEY_FALSE(oe_warm_key);
void oe_warm_start(struct oe_adapter *oe);	/* RTNL */
void oe_warm_stop(struct oe_adapter *oe);	/* RTNL */
void oe_warm_poll(struct oe_adapter *oe);	/* NAPI, core_lock held */

/* oe_ethtool.c */
void oe_connect_work(struct work_struct *work);

/* oe_stamp.c */
void oe_stamp_update(struct oe_adapter *oe);	/* RTNL: apply stamp_session and sw.armed */
void oe_session_armed(struct oe_adapter *oe);	/* RTNL: a connect was resolved */
/* oe_ethtool.c */
void oe_log_order_counters(struct oe_adapter *oe);	/* process, at unload */

/* oe_port.c */
int oe_port_reserve(struct oe_adapter *oe, struct oe_config *cfg);
void oe_port_release(struct oe_adapter *oe);

void oe_session_idle(struct oe_adapter *oe);	/* process: the state went to Init */
void oe_gate_debugfs_init(struct oe_adapter *oe);

/* oe_stopwatch.c */
void oe_sw_debugfs_init(struct oe_adapter *oe);
void oe_sw_exit(struct oe_adapter *oe);		/* RTNL, remove: disarm, free the rings */

/* oe_hist.c */
void oe_hist_reset(struct oe_adapter *oe);
void oe_hist_summary(struct oe_adapter *oe, const char *why);
void oe_debugfs_init(struct oe_adapter *oe);
void oe_debugfs_exit(struct oe_adapter *oe);

#endif /* OE_PRIV_H */
