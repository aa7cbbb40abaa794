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
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "igb.h"
#include "oe_compat.h"
#include "oe_classify.h"
#include "oe_hist.h"
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

/* driver-side counters, each with a single writer context; ethtool -S "igboe_<name>", names in
 * oe_ethtool.c in the same order
 */
struct oe_counters {
	u64 md_frames;		/* MD datagrams handed to handleMDPacket */
	u64 md_mirrored;	/* ... and also passed to the stack */
	u64 orders;		/* MD datagrams that rang the doorbell */
	u64 tcp_frames;		/* order-entry segments handed to oe_tcp_rx */
	u64 doorbells;		/* completeTx tail writes */
	u64 tx_done;		/* order-entry descriptors completed */
	u64 tx_flushed;		/* ... dropped by a ring reset */
	u64 tx_busy;		/* getPacketBuffer: no free block or descriptor */
	u64 tx_down;		/* prepareWrite: link or ring down */
	u64 tx_bad_len;		/* completeTx with len 0 or > cap */
	u64 timer_fires;
	u64 connects;		/* oe_request_connect issued */
	u64 connect_failures;	/* route, ARP or core init failure */
	u64 disconnects;	/* oe_request_disconnect issued */
};

struct oe_block {
	struct TCPPacket pkt;	/* handed to the core; data points into the coherent pool */
	dma_addr_t dma;
	u64 doorbell_ns;
	u64 hook_ns;		/* MD hook entry that produced this frame, 0 if none */
	u16 index;
	int busy;		/* descriptor posted, not yet completed */
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
	struct igb_ring *ring;		/* valid while claimed */
	struct netdev_queue *nq;	/* valid while claimed */
};

struct oe_adapter {
	struct igb_adapter *adapter;
	struct net_device *netdev;

	spinlock_t core_lock;		/* every entry into the core */
	bool core_active;		/* core_lock: NAPI may enter the core */
	bool core_up;			/* RTNL: oe_core_init succeeded */
	bool connect_wanted;		/* RTNL: connect work pending */
	bool connect_issued;		/* oe_request_connect done, state not moved yet */
	bool dying;
	u32 last_state;			/* core_lock */

	/* the MD hook in progress (core_lock) */
	bool in_md;
	u64 md_hook_ns;
	u64 md_doorbell_ns;

	/* classification, copied from cfg at core start */
	struct oe_rx_filter filter;

	struct oe_config cfg;		/* what the core runs with */
	u8 mc_addr[ETH_ALEN];
	bool mc_added;

	struct oe_tx_ring txr;
	struct hrtimer timer;
	struct work_struct connect_work;
	struct work_struct summary_work;
	struct dentry *debugfs;

	struct oe_counters ctr;
	struct oe_hist hist[OE_HIST_COUNT];
};

/* the adapter the core runs on, for the platform API (set while the core may run) */
extern struct oe_adapter *oe_dev;
extern bool oe_md_mirror;

/* oe_main.c */
int oe_build_config(struct oe_adapter *oe, struct oe_config *cfg);
int oe_core_start(struct oe_adapter *oe, const struct oe_config *cfg, bool endpoint);
void oe_core_stop(struct oe_adapter *oe);
void oe_kick(struct oe_adapter *oe);		/* hard irq / softirq: schedule the OE NAPI */
void oe_kick_process(struct oe_adapter *oe);	/* process context */
void oe_note_state(struct oe_adapter *oe);	/* core_lock held */
void oe_mc_update(struct oe_adapter *oe);	/* RTNL */
unsigned int oe_txq_index(struct igb_adapter *adapter);

/* oe_tx.c */
int oe_tx_pool_alloc(struct oe_adapter *oe);
void oe_tx_pool_free(struct oe_adapter *oe);
void oe_tx_pool_reset(struct oe_adapter *oe);

/* oe_ethtool.c */
void oe_connect_work(struct work_struct *work);

/* oe_hist.c */
void oe_hist_reset(struct oe_adapter *oe);
void oe_hist_summary(struct oe_adapter *oe, const char *why);
void oe_debugfs_init(struct oe_adapter *oe);
void oe_debugfs_exit(struct oe_adapter *oe);

#endif /* OE_PRIV_H */
