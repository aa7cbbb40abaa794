/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe/abi.h — THE boundary between kernel C (igb_oe driver glue, oe_kunit) and the freestanding C++
 * core (strategy/ + tcp/). C++ never includes kernel headers; kernel C never sees a C++ type.
 *
 * Two directions:
 *   core API      implemented by the C++ core (strategy/src/oe_core.cpp), called by the driver;
 *   platform API  implemented by the platform (driver/igb/oe_*.c in the kernel; a host harness in
 *                 tests/baselines), called by the core. Resolved at link time: direct calls, no
 *                 function pointers, so no retpoline on the hot path.
 *
 * Contexts: "NAPI" = softirq on the CPU polling the queue, never sleeps; "process" may sleep.
 */
#ifndef OE_ABI_H
#define OE_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
/* host and the freestanding C++ build: compiler-provided types, no headers */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ s64;
#ifndef __cplusplus
typedef _Bool bool;
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration (process context, before oe_core_init) -------------------------------------- */

enum oe_trigger_mode {
	OE_TRIGGER_SIZE = 0,     /* size increase > threshold */
	OE_TRIGGER_NOTIONAL = 1, /* price x size increase > notional_threshold */
};

struct oe_config {
	/* market data: IPv4 UDP to group:port (network byte order) */
	u32 md_group_be;
	u16 md_port_be;
	char symbol[24];          /* NUL-terminated; empty = first symbol seen */
	u32 book_capacity;        /* levels per side, fixed at init */
	/* trigger (prices and amounts are fixed-point 1e-8) */
	u32 levels;               /* fire if rank after update < levels (default 5) */
	s64 size_threshold;       /* fire if size increase > this (default 50,000,000 * 1e8) */
	s64 notional_threshold;   /* dollars * 1e8, for OE_TRIGGER_NOTIONAL (default 1,000,000 * 1e8) */
	u32 mode;                 /* enum oe_trigger_mode */
	u32 order_qty;            /* quantity sent on the wire */
	u32 max_orders_per_sec;   /* safety: 0 = unlimited */
	/* order entry: IPv4 TCP, addresses/ports network byte order */
	u8 local_mac[6], remote_mac[6];
	u32 local_ip_be, remote_ip_be;
	u16 local_port_be, remote_port_be;
	u8 tos, ttl;
	u16 mss;
	/* order time-to-live in µs (0 = off): an order not handed to the NIC within this long after its
	 * trigger is dropped and counted (oe_orders_expired), never sent late. docs/tcp.md */
	u32 order_ttl_us;
	/* order stale limit in µs (0 = off): a retransmission that would carry an order triggered longer
	 * ago than this is not sent; the connection is reset instead (tcp_stale_aborts) and the order is
	 * in doubt, never delivered late. docs/tcp.md */
	u32 order_stale_us;
};

/* Default order time-to-live (µs). Chosen for the slowest mode the lab runs in: under TCG the guest's
 * own hook->doorbell path stalls for up to 2.8 ms, so 20 ms never expires an order in a normal TCG run
 * while still dropping anything that waits for an RTO (rto_min 200 ms), a backoff or a carrier flap.
 * On KVM / real hardware a few hundred µs is the useful value (docs/tcp.md, "Order time-to-live"). */
#define OE_ORDER_TTL_DEFAULT_US 20000

/* Default order stale limit (µs): half the 1 s maximum order age the lab's exchange enforces in the
 * faults scenario (--max-order-age-us 1000000), so an order that would reach it late is never resent;
 * 2.5x rto_min (200 ms), so one ordinary RTO resend (the first one at 200 ms + the worst TCG stall)
 * still goes, and only a backed-off second RTO or a long outage resets (docs/tcp.md). */
#define OE_ORDER_STALE_DEFAULT_US 500000

/* Fill cfg with the user's defaults (239.255.0.1:12345, 5 levels, 50,000,000, qty 1, ...). */
void oe_config_defaults(struct oe_config *cfg);

/* ---- core API (implemented by C++) --------------------------------------------------------------- */

struct UDPMDPacket; /* opaque: the UDP payload of a market-data frame */

/* process: size and set up the core in memory from oe_rt_alloc(); 0 or -errno. */
int oe_core_init(const struct oe_config *cfg);
/* process: after quiescing NAPI; frees everything. */
void oe_core_exit(void);

/* NAPI: one market-data datagram's payload. Parses, updates the book, evaluates the trigger and, if it
 * fires while Running, formats the order into a TX buffer and rings the doorbell before returning. */
void handleMDPacket(const struct UDPMDPacket *packet, u16 packetSz);

/* NAPI: one IPv4 packet (starting at the IP header) on the order-entry 4-tuple. */
void oe_tcp_rx(const void *ip, u16 len);

/* NAPI: connect/disconnect requests armed from process context are acted on here (the SYN/FIN leave
 * from the poll context), and due timers (RTO, TIME-WAIT) run. Cheap when idle. */
void oe_poll(void);

/* NAPI (core_lock held, like handleMDPacket): warming (docs/strategy.md "Warming"). Runs the whole
 * fire path — a trigger row built from the live book, parse, book, decision, safety, order encode,
 * TCP template patch, descriptor — on a shadow copy of the live state, into the warm sink ring
 * (oe_tx_ring_for(OE_CPU_WARM)); no tail write. The live state is only read; the one counter that
 * moves is the core's oe_warm_* family. 1: a frame was prepared in the sink, 0: the fire path stopped
 * earlier (no book yet, not Running, kill switch...), -ENODEV: no core. */
int oe_warm(void);

/* process: request a connect / an orderly disconnect; the driver then kicks NAPI. 0 or -errno. */
int oe_request_connect(void);
int oe_request_disconnect(void);

/* any context: counters for ethtool -S, by index (stable order, names are ethtool strings). */
u32 oe_stats_count(void);
const char *oe_stats_name(u32 i);
u64 oe_stats_value(u32 i);

/* Why queued orders are purged (oe_purge_orders). */
enum oe_purge_reason {
	OE_PURGE_KILL_SWITCH = 0,
	OE_PURGE_DISCONNECT = 1,
	OE_PURGE_CARRIER_LOSS = 2,
};

/* NAPI, or process context holding the driver's core_lock: drop every order that is queued in the
 * core and has not been handed to the NIC (behind the window/cwnd, waiting for a TX buffer, ...);
 * each is counted in oe_orders_purged. Orders already handed to the NIC stay with TCP (they may be
 * retransmitted). Returns the number purged; 0 before init. The kill switch and a disconnect request
 * also purge on their own at the core's next entry; the driver calls this on carrier loss. */
u32 oe_purge_orders(u32 reason);

/* tests: the live core's memory (core object + book), to check that oe_warm() leaves it
 * byte-identical; NULL and 0 before init. */
const void *oe_core_live_block(unsigned long *bytes);

/* any context: current strategy state (0 Init, 1 OEConnect, 2 Running, 3 Disconnecting). */
u32 oe_strategy_state(void);

/* any context: the kill switch. While on, triggers are counted (oe_orders_killed) but no order leaves.
 * 0 or -ENODEV (core not initialised). */
int oe_set_kill_switch(u32 on);

/* ---- platform API (implemented by the driver glue or a host harness) ----------------------------- */

struct oe_tx_ring; /* opaque to the core: the order-entry TX queue */

/* A pre-allocated, DMA-mapped TX buffer: the next block of the ring. The core writes the frame into
 * data[0..cap) and sets len. template_gen is owned by the core: it records which pre-built frame the
 * buffer holds, so an order can patch fields instead of rebuilding the frame. */
struct TCPPacket {
	u8 *data;
	u16 len;
	u16 cap;
	u32 template_gen;
};

/* NAPI: the core's TX queue for this CPU (the driver's dedicated order-entry ring).
 * cpu == OE_CPU_WARM: the warm sink, used only by oe_warm(): prepareWrite/getPacketBuffer/completeTx
 * on it hand out a scratch block and prepare a descriptor in scratch memory; they write no tail,
 * no ring index, no counter of the real ring and take no lock. */
#define OE_CPU_WARM (-1)
struct oe_tx_ring *oe_tx_ring_for(int cpu);
/* NAPI: claim the ring for writing (takes the queue lock like igb's XDP_TX); false: ring full/down. */
bool prepareWrite(int cpu, struct oe_tx_ring *tx_ring);
/* NAPI, after prepareWrite: the next free block of the ring, or NULL. */
struct TCPPacket *getPacketBuffer(struct oe_tx_ring *tx_ring);
/* NAPI: give back the block from getPacketBuffer unused (revert next_to_use). Releases the claim. */
void cancelPrevWriteBuf(struct oe_tx_ring *tx_ring, struct TCPPacket *pkt);
/* NAPI: write the descriptor for pkt->len bytes and the tail doorbell. Releases the claim. */
void completeTx(struct oe_tx_ring *tx_ring, struct TCPPacket *pkt);

/* any: monotonic nanoseconds (ktime_get_ns / CLOCK_MONOTONIC). */
u64 oe_now_ns(void);
/* any: arm the single one-shot core timer (absolute ns); on expiry the platform calls oe_poll() from
 * the NAPI context (the kernel glue schedules NAPI from its hrtimer). 0 cancels. */
void oe_timer_arm(u64 expires_ns);
/* any: 32 random bits (ISN, source port). */
u32 oe_random_u32(void);
/* any: a rare event worth a log line (connect, disconnect, kill switch); never on the hot path. */
void oe_log(const char *event, u64 a, u64 b);
/* any: a broken contract in the C++ core (e.g. a continuation fired on an empty slot). Called only by
 * debug builds (OE_DEBUG: the KASAN kernel), at most once per object: WARN_ONCE in the kernel. */
void oe_warn_once(const char *what, u64 count);

/* process: setup-time memory for the C++ runtime (kvzalloc/kvfree in the kernel, calloc on the host).
 * Never called from NAPI. */
void *oe_rt_alloc(unsigned long size);
void oe_rt_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* OE_ABI_H */
