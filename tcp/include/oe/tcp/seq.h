/* SPDX-License-Identifier: GPL-2.0 */
/* Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): a < b iff the signed distance is negative. */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

OE_ALWAYS_INLINE bool seq_lt(u32 a, u32 b) { return i32(a - b) < 0; }
OE_ALWAYS_INLINE bool seq_le(u32 a, u32 b) { return i32(a - b) <= 0; }
OE_ALWAYS_INLINE bool seq_gt(u32 a, u32 b) { return i32(a - b) > 0; }
OE_ALWAYS_INLINE bool seq_ge(u32 a, u32 b) { return i32(a - b) >= 0; }
/* lo <= x < hi, in sequence space */
OE_ALWAYS_INLINE bool seq_in(u32 x, u32 lo, u32 hi) { return seq_le(lo, x) && seq_lt(x, hi); }

template <class T> OE_ALWAYS_INLINE T min_of(T a, T b) { return a < b ? a : b; }
template <class T> OE_ALWAYS_INLINE T max_of(T a, T b) { return a > b ? a : b; }

} // namespace oe::tcp
