/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OrderQueue: the orders tcp::Client accepted but has not yet handed to the NIC, oldest first, each
 * with its length and its trigger time. Their bytes are the tail of the send ring, [data end − bytes(),
 * data end): an order leaves this queue when its last byte is transmitted (counted as sent), when its
 * time-to-live runs out first (expired), or when the session is purged (kill switch, disconnect,
 * carrier loss, connection lost). Bytes below SND.MAX went to the NIC at least once: they belong to TCP
 * (retransmissions), never to this queue. Fixed size, inside the Client; always_inline (see send_ring.h).
 */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

/* What became of a queued order (Client::set_order_sink). */
enum class OrderFate : u8 { Sent, Expired, Purged };

/* Result of Client::submit_order. */
enum class OrderResult : u8 {
	Sent,    /* the frame reached the doorbell before submit_order returned */
	Queued,  /* accepted; waits for window / cwnd / a TX buffer; its fate is reported later */
	Refused, /* not accepted (state, length, send buffer or order queue full): counted */
};

/* Receiver of the fate of each order submit_order() queued (exactly once per order: Sent when its
 * last byte reached the doorbell, Expired, or Purged); called in the RX context. trigger_ns is the
 * time the order was submitted with. */
using OrderSink = void (*)(void *ctx, OrderFate fate, u64 trigger_ns);

template <u32 N> class OrderQueue {
	static_assert(N && (N & (N - 1)) == 0, "power of two");

public:
	OE_ALWAYS_INLINE u32 count() const { return n_; }
	OE_ALWAYS_INLINE bool full() const { return n_ == N; }
	OE_ALWAYS_INLINE u32 bytes() const { return bytes_; }
	OE_ALWAYS_INLINE u16 head_len() const { return len_[head_]; }
	OE_ALWAYS_INLINE u64 head_trigger_ns() const { return t_[head_]; }
	/* the i-th order from the head (i < count()) */
	OE_ALWAYS_INLINE u16 len_at(u32 i) const { return len_[(head_ + i) & (N - 1)]; }
	OE_ALWAYS_INLINE u64 trigger_at(u32 i) const { return t_[(head_ + i) & (N - 1)]; }
	OE_ALWAYS_INLINE void clear() { head_ = n_ = bytes_ = 0; }

	/* Caller checked !full(). */
	OE_ALWAYS_INLINE void push(u16 len, u64 trigger_ns)
	{
		const u32 at = (head_ + n_) & (N - 1);
		len_[at] = len;
		t_[at] = trigger_ns;
		n_++;
		bytes_ += len;
	}
	OE_ALWAYS_INLINE void pop()
	{
		bytes_ -= len_[head_];
		head_ = (head_ + 1) & (N - 1);
		n_--;
	}
	OE_ALWAYS_INLINE void pop_back()
	{
		n_--;
		bytes_ -= len_[(head_ + n_) & (N - 1)];
	}

private:
	u64 t_[N];
	u16 len_[N];
	u32 head_ = 0, n_ = 0, bytes_ = 0;
};

} // namespace oe::tcp
