/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AbiPort: the kernel platform for tcp::Client, forwarding to the platform API of oe/abi.h (implemented
 * by the igb_oe driver glue). Direct calls resolved at link time: no function pointers, no retpolines.
 *
 *   tx_begin  = prepareWrite(cpu, ring) + getPacketBuffer(ring)
 *   tx_cancel = cancelPrevWriteBuf(ring, pkt)      (pkt may be NULL: releases the claim only)
 *   tx_commit = completeTx(ring, pkt)
 */
#pragma once
#include "oe/abi.h"
#include "oe/tcp/port.h"

namespace oe::tcp {

class AbiPort {
public:
	/* The CPU whose order-entry TX ring this connection uses (the one polling its RX queue). */
	OE_ALWAYS_INLINE void set_cpu(int cpu) { cpu_ = cpu; }
	OE_ALWAYS_INLINE int cpu() const { return cpu_; }

	/* The ring is looked up on every claim (a load in the driver), never cached: the adapter behind it
	 * may go away and come back while the core lives on. */
	OE_ALWAYS_INLINE TxBuffer *tx_begin()
	{
		ring_ = oe_tx_ring_for(cpu_);
		if (OE_UNLIKELY(!ring_ || !prepareWrite(cpu_, ring_)))
			return nullptr;
		TxBuffer *pkt = getPacketBuffer(ring_);
		if (OE_UNLIKELY(!pkt))
			cancelPrevWriteBuf(ring_, nullptr); /* release the claim (the glue accepts NULL) */
		return pkt;
	}
	OE_ALWAYS_INLINE void tx_cancel(TxBuffer *pkt) { cancelPrevWriteBuf(ring_, pkt); }
	OE_ALWAYS_INLINE void tx_commit(TxBuffer *pkt) { completeTx(ring_, pkt); }
	OE_ALWAYS_INLINE u64 now_ns() { return oe_now_ns(); }
	OE_ALWAYS_INLINE void timer_arm(u64 expires_ns)
	{
		if (OE_LIKELY(cpu_ != OE_CPU_WARM)) /* a warming shadow owns no timer */
			oe_timer_arm(expires_ns);
	}
	OE_ALWAYS_INLINE u32 random_u32() { return oe_random_u32(); }
	/* Warming (client_warm.h): the same calls, into the platform's warm sink ring
	 * (oe_tx_ring_for(OE_CPU_WARM)), and no timer. */
	OE_ALWAYS_INLINE void make_shadow_of(const AbiPort &) { cpu_ = OE_CPU_WARM, ring_ = nullptr; }

private:
	int cpu_ = 0;
	oe_tx_ring *ring_ = nullptr; /* the ring claimed by the last tx_begin */
};

} // namespace oe::tcp
