// SPDX-License-Identifier: GPL-2.0
/*
 * Market-data row parser (see oe/parser.h). Hot path: every MD packet comes through here.
 *
 * split_fields() looks at 8 bytes per step (SWAR): one load, an exact "which bytes are ','" mask and
 * one ctz per comma. The last partial word is loaded so that it ENDS at the packet end (the packet is
 * at least kMinRow bytes), so no byte at or past packetSz is ever read.
 */
#include "oe/parser.h"

namespace oe::md {
namespace {

constexpr u64 kOnes = 0x0101010101010101ull;
constexpr u64 kLow7 = 0x7f7f7f7f7f7f7f7full;
/* "a,b,1,1,true,bid,1,1": the shortest row that can be valid. */
constexpr u16 kMinRow = 20;

/* High bit set in exactly the bytes of w equal to c (no false positives, unlike the borrow trick). */
OE_ALWAYS_INLINE u64 byte_eq_mask(u64 w, u8 c)
{
	u64 x = w ^ (kOnes * c);
	u64 t = (x & kLow7) + kLow7; /* high bit of each byte set iff its low 7 bits are non-zero */
	return ~(t | x | kLow7);
}

/* 8 ASCII digits (first digit at the lowest address) -> value, or false if any byte is not a digit. */
OE_ALWAYS_INLINE bool eight_digits(const u8 *p, u64 &out)
{
	u64 w = get_le64(p);
	if (((w & 0xf0f0f0f0f0f0f0f0ull) | ((w + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4) !=
	    0x3333333333333333ull)
		return false;
	w -= 0x3030303030303030ull;
	w = (w * 10 + (w >> 8)) & 0x00ff00ff00ff00ffull;      /* pairs:  d0*10+d1      */
	w = (w * 100 + (w >> 16)) & 0x0000ffff0000ffffull;    /* quads:  pair0*100+... */
	out = (w * 10000 + (w >> 32)) & 0xffffffffull;        /* eight                 */
	return true;
}

OE_ALWAYS_INLINE bool is_digit(u8 c) { return u8(c - '0') <= 9; }

constexpr u64 kPow10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };

} // namespace

ParseError split_fields(const u8 *p, u16 n, Fields &f)
{
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (OE_UNLIKELY(n < kMinRow))
		return ParseError::Short;

	u32 nf = 0;
	f.begin[0] = 0;
	for (u32 i = 0;; i += 8) {
		u64 m;
		u32 base = i;
		if (i + 8 <= n) {
			m = byte_eq_mask(get_le64(p + i), ',');
		} else if (i < n) {
			/* last 1..7 bytes: load the word ending at n, drop the bytes already scanned */
			u32 seen = 8 - (n - i);
			m = byte_eq_mask(get_le64(p + n - 8), ',') >> (seen * 8);
		} else {
			break;
		}
		while (m) {
			if (OE_UNLIKELY(nf == kFieldCount - 1))
				return ParseError::ExtraFields;
			u16 at = u16(base + (__builtin_ctzll(m) >> 3));
			f.end[nf] = at;
			f.begin[++nf] = u16(at + 1);
			m &= m - 1;
		}
	}
	if (OE_UNLIKELY(nf != kFieldCount - 1))
		return ParseError::MissingFields;
	f.end[kFieldCount - 1] = n;
	return ParseError::Ok;
}

ParseError parse_u64(const u8 *p, u16 n, u64 &out)
{
	if (OE_UNLIKELY(n == 0))
		return ParseError::EmptyField;
	if (OE_UNLIKELY(p[0] == '-'))
		return ParseError::Negative;
	u64 v = 0;
	u16 i = 0;
	/* leading n % 8 digits one at a time, then whole words */
	for (u16 head = n & 7; i < head; i++) {
		if (OE_UNLIKELY(!is_digit(p[i])))
			return ParseError::NonDigit;
		v = v * 10 + u8(p[i] - '0');
	}
	for (; i < n; i += 8) {
		u64 eight;
		if (OE_UNLIKELY(!eight_digits(p + i, eight)))
			return ParseError::NonDigit;
		if (OE_UNLIKELY(__builtin_mul_overflow(v, u64(100000000), &v) || __builtin_add_overflow(v, eight, &v)))
			return ParseError::Overflow;
	}
	out = v;
	return ParseError::Ok;
}

ParseError parse_fixed(const u8 *p, u16 n, i64 &out)
{
	if (OE_UNLIKELY(n == 0))
		return ParseError::EmptyField;
	if (OE_UNLIKELY(p[0] == '-'))
		return ParseError::Negative;
	u16 i = 0;
	/* leading zeros do not count towards the 19 digits a u64 accumulates without overflow */
	while (p[i] == '0' && i + 1 < n && p[i + 1] != '.')
		i++;
	u16 first = i;
	u64 v = 0;
	for (; i < n && is_digit(p[i]); i++)
		v = v * 10 + u8(p[i] - '0');
	u16 int_digits = u16(i - first);
	u16 frac = 0;
	if (i < n) {
		if (OE_UNLIKELY(p[i] != '.' || int_digits == 0))
			return ParseError::NonDigit;
		u16 dot = i++;
		for (; i < n && is_digit(p[i]); i++)
			v = v * 10 + u8(p[i] - '0');
		frac = u16(i - dot - 1);
		if (OE_UNLIKELY(i != n || frac == 0))
			return ParseError::NonDigit;
		if (OE_UNLIKELY(frac > 8))
			return ParseError::TooManyDecimals;
	}
	if (OE_UNLIKELY(int_digits == 0))
		return ParseError::NonDigit;
	if (OE_UNLIKELY(int_digits + frac > 19))
		return ParseError::Overflow; /* the accumulator may have wrapped */
	u64 scaled;
	if (OE_UNLIKELY(__builtin_mul_overflow(v, kPow10[8 - frac], &scaled) || scaled > u64(__INT64_MAX__)))
		return ParseError::Overflow;
	out = i64(scaled);
	return ParseError::Ok;
}

ParseError interpret(const u8 *p, const Fields &f, Row &row)
{
	if (OE_UNLIKELY(f.len(kExchange) == 0 || f.len(kSymbol) == 0))
		return ParseError::EmptyField;
	if (OE_UNLIKELY(f.len(kSymbol) > kMaxSymbol))
		return ParseError::BadSymbol;
	row.symbol = p + f.begin[kSymbol];
	row.symbol_len = f.len(kSymbol);

	u64 ignored_ts;
	ParseError e = parse_u64(p + f.begin[kTimestamp], f.len(kTimestamp), ignored_ts);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	e = parse_u64(p + f.begin[kLocalTimestamp], f.len(kLocalTimestamp), row.seq);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;

	/* "true," / "false": the 4-byte loads stay inside the row (the field is followed by ",side") */
	const u8 *s = p + f.begin[kIsSnapshot];
	if (f.len(kIsSnapshot) == 4 && get_le32(s) == get_le32((const u8 *)"true"))
		row.snapshot = true;
	else if (f.len(kIsSnapshot) == 5 && get_le32(s) == get_le32((const u8 *)"fals") && s[4] == 'e')
		row.snapshot = false;
	else
		return ParseError::BadSnapshot;

	/* "bid," / "ask,": the side field is followed by a comma, so 4 bytes are in bounds */
	const u8 *sd = p + f.begin[kSide];
	if (OE_UNLIKELY(f.len(kSide) != 3))
		return ParseError::BadSide;
	u32 side4 = get_le32(sd);
	if (side4 == get_le32((const u8 *)"bid,"))
		row.side = Side::Bid;
	else if (side4 == get_le32((const u8 *)"ask,"))
		row.side = Side::Ask;
	else
		return ParseError::BadSide;

	e = parse_fixed(p + f.begin[kPrice], f.len(kPrice), row.price);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	if (OE_UNLIKELY(row.price == 0))
		return ParseError::ZeroPrice;
	e = parse_fixed(p + f.begin[kAmount], f.len(kAmount), row.amount);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	if (OE_UNLIKELY(row.snapshot && row.amount == 0))
		return ParseError::SnapshotCancel;
	return ParseError::Ok;
}

const char *parse_error_name(ParseError e)
{
	switch (e) {
	case ParseError::Ok: return "ok";
	case ParseError::Short: return "short";
	case ParseError::MissingFields: return "missing_fields";
	case ParseError::ExtraFields: return "extra_fields";
	case ParseError::EmptyField: return "empty_field";
	case ParseError::BadSymbol: return "bad_symbol";
	case ParseError::NonDigit: return "non_digit";
	case ParseError::Negative: return "negative";
	case ParseError::TooManyDecimals: return "too_many_decimals";
	case ParseError::Overflow: return "overflow";
	case ParseError::BadSnapshot: return "bad_snapshot";
	case ParseError::BadSide: return "bad_side";
	case ParseError::ZeroPrice: return "zero_price";
	case ParseError::SnapshotCancel: return "snapshot_cancel";
	case ParseError::Count_: break;
	}
	return "unknown";
}

} // namespace oe::md
