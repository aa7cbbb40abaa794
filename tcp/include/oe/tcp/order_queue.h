/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OrderQueue: the orders tcp::Client accepted but has not yet handed to the NIC, oldest first, each
 * with its length and its trigger time. Their bytes are the tail of the send ring, [data end − bytes(),
 * data end): an order leaves this queue when its last byte is transmitted (counted as sent), when its
 * time-to-live runs out first (expired), or when the session is purged (kill switch, disconnect,
 * carrier loss, connection lost). Bytes below SND.MAX went to the NIC at least once: they belong to TCP
 * (retransmissions), never to this queue. Fixed size, inside the Client; always_inline (see send_ring.h).
 *
 * SentOrders: its companion for the bytes that did reach the NIC, [SND.UNA, SND.MAX): per order the
 * sequence number one past its last byte and its trigger time, oldest first, from the moment the order
 * is counted Sent until it is acknowledged. So the age of what a retransmission carries is known
 * (Config::order_stale_ns, docs/tcp.md "Order time-to-live"). O(1) per send (push) and per
 * acknowledged order (pop); bounded: when full, the newest entry absorbs the next order (its end
 * moves, its older trigger stays), so an age is only ever over-estimated, never under.
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

template <u32 N> class SentOrders {
	static_assert(N && (N & (N - 1)) == 0, "power of two");

public:
	OE_ALWAYS_INLINE u32 count() const { return n_; }
	OE_ALWAYS_INLINE void clear() { head_ = n_ = 0; }
	/* the i-th order from the oldest (i < count()): one past its last byte, its trigger */
	OE_ALWAYS_INLINE u32 end_at(u32 i) const { return end_[(head_ + i) & (N - 1)]; }
	OE_ALWAYS_INLINE u64 trigger_at(u32 i) const { return t_[(head_ + i) & (N - 1)]; }

	/* An order whose last byte is end - 1 was handed to the NIC (orders are pushed in stream order). */
	OE_ALWAYS_INLINE void push(u32 end, u64 trigger_ns)
	{
		if (OE_UNLIKELY(n_ == N)) { /* merge into the newest: the older trigger covers both */
			const u32 last = (head_ + N - 1) & (N - 1);
			end_[last] = end;
			t_[last] = t_[last] < trigger_ns ? t_[last] : trigger_ns;
			return;
		}
		const u32 at = (head_ + n_) & (N - 1);
		end_[at] = end;
		t_[at] = trigger_ns;
		n_++;
	}
	/* SND.UNA moved to una: the orders wholly below it are acknowledged. */
	OE_ALWAYS_INLINE void acked(u32 una)
	{
		while (n_ && i32(end_[head_] - una) <= 0) {
			head_ = (head_ + 1) & (N - 1);
			n_--;
		}
	}

private:
	u64 t_[N];
	u32 end_[N];
	u32 head_ = 0, n_ = 0;
};

} // namespace oe::tcp
