/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exchange's order message: 13 bytes, little-endian, no padding.
 *   [0..4)  u32 quantity
 *   [4..12) i64 price, fixed-point 1e-8
 *   [12]    u8  side, 'B' (buy) or 'S' (sell)
 */
#pragma once
#include "oe/base.h"

namespace oe {

constexpr u16 kOrderBytes = 13;

OE_ALWAYS_INLINE void encode_order(u8 *out, u8 side, i64 price, u32 qty)
{
	put_le32(out, qty);
	put_le64(out + 4, u64(price));
	out[12] = side;
}

struct OrderFields {
	u32 qty;
	i64 price;
	u8 side;
};

/* The exchange's side of the same format; false if the side byte is not 'B'/'S'. */
OE_ALWAYS_INLINE bool decode_order(const u8 *in, OrderFields &o)
{
	o.qty = get_le32(in);
	o.price = i64(get_le64(in + 4));
	o.side = in[12];
	return o.side == 'B' || o.side == 'S';
}

} // namespace oe
