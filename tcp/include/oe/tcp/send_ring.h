/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The send buffer: every byte from SND.UNA to the end of the queued data, kept until acknowledged so
 * it can be retransmitted. Fixed size, inside the Client (no heap). Because it never holds more than
 * N bytes, the byte with sequence number s lives at buf[s mod N].
 * Methods are always_inline: shared by every Client instantiation, they must not become COMDAT copies
 * in several objects of one module (see tcp/ktests/tcp_ktests.cpp).
 */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

template <u32 N> class SendRing {
	static_assert(N && (N & (N - 1)) == 0, "power of two");

public:
	OE_ALWAYS_INLINE u32 used() const { return used_; }
	OE_ALWAYS_INLINE u32 space() const { return N - used_; }
	OE_ALWAYS_INLINE void clear() { used_ = 0; }
	/* Warming's shadow: o's occupancy, not its bytes (client_warm.h); o's line where an append at
	 * seq would land is prefetched for writing (a prefetch changes no byte). */
	OE_ALWAYS_INLINE void mirror_used(const SendRing &o, u32 seq)
	{
		used_ = o.used_;
		__builtin_prefetch(o.buf_ + (seq & (N - 1)), 1);
	}

	/* Append n bytes whose first sequence number is seq (= SND.UNA + used()). Caller checked space(). */
	OE_ALWAYS_INLINE void append(u32 seq, const u8 *p, u32 n)
	{
		u32 at = seq & (N - 1), first = N - at < n ? N - at : n;
		copy(buf_ + at, p, first);
		if (first < n)
			copy(buf_, p + first, n - first);
		used_ += n;
	}
	/* The bytes [seq, seq+n) as up to two contiguous pieces. */
	OE_ALWAYS_INLINE void view(u32 seq, u32 n, const u8 *&a, u16 &alen, const u8 *&b, u16 &blen) const
	{
		u32 at = seq & (N - 1), first = N - at < n ? N - at : n;
		a = buf_ + at;
		alen = u16(first);
		b = buf_;
		blen = u16(n - first);
	}
	/* Remove the n bytes [seq, seq+n) from the middle: the bytes after them, up to end (= SND.UNA +
	 * used()), move down to seq. Only for bytes never transmitted (an expired or purged order). */
	OE_ALWAYS_INLINE void erase(u32 seq, u32 n, u32 end)
	{
		u32 dst = seq, src = seq + n, left = end - src;
		while (left) { /* at most 4 pieces: each ends where dst or src wraps */
			const u32 d = dst & (N - 1), s = src & (N - 1);
			u32 k = N - d < N - s ? N - d : N - s;
			k = k < left ? k : left;
			__builtin_memmove(buf_ + d, buf_ + s, k);
			dst += k, src += k, left -= k;
		}
		used_ -= n;
	}
	/* SND.UNA advanced by n data bytes. */
	OE_ALWAYS_INLINE void consume(u32 n) { used_ = n < used_ ? used_ - n : 0; }

private:
	u8 buf_[N];
	u32 used_ = 0;
};

} // namespace oe::tcp
