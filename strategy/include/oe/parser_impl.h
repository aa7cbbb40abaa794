/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hot half of the parser (see oe/parser.h), inline so that Engine::on_packet compiles the whole
 * parse into one function: no calls, Fields and Row stay in registers. The slow, general paths
 * (parse_u64, parse_fixed, names) are out of line in src/parser.cpp.
 *
 * split_fields() looks at 8 bytes per step (SWAR): one load, an exact "which bytes are ','" mask and
 * one ctz per comma. The last partial word is loaded so that it ENDS at the packet end (the packet is
 * at least kMinRow bytes), so no byte at or past packetSz is ever read. Numbers are converted 8 digits
 * at a time the same way; price and amount are loaded as words that end inside their field.
 */
#pragma once
#include "oe/parser.h"

namespace oe::md {
namespace detail {

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

OE_ALWAYS_INLINE bool all_digits_word(u64 w)
{
	return ((w & 0xf0f0f0f0f0f0f0f0ull) | ((w + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4) ==
	       0x3333333333333333ull;
}

constexpr u64 kZeros = 0x3030303030303030ull; /* "00000000" */

/* 8 digit VALUES 0..9 (first digit in the lowest byte) -> number: three multiply-shift steps. */
OE_ALWAYS_INLINE u64 digits8_value(u64 v)
{
	v = ((v * (10 * 256 + 1)) >> 8) & 0x00ff00ff00ff00ffull;      /* pairs: d0*10+d1 in bytes 0,2,4,6 */
	v = ((v * (100 * 65536 + 1)) >> 16) & 0x0000ffff0000ffffull;  /* quads in 16-bit lanes 0 and 2 */
	return (v * ((10000ull << 32) + 1)) >> 32;                      /* eight */
}

/* 8 ASCII digits known to be digits (first digit in the lowest byte) -> value. */
OE_ALWAYS_INLINE u64 eight_digits_value(u64 w) { return digits8_value(w ^ kZeros); }

/* Digit values (w ^ "00000000"): non-zero high nibble in some byte iff a byte was not '0'..'9'. Exact
 * for the lowest bad byte (the bytes below it carry nothing); OR several before testing. */
OE_ALWAYS_INLINE u64 nondigit_bits(u64 v) { return v | (v + 0x0606060606060606ull); }
constexpr u64 kHighNibbles = 0xf0f0f0f0f0f0f0f0ull;

/* Classic has-zero-byte: the LOWEST flagged byte is exactly the lowest zero byte of x (flags above it
 * may be false), enough to find the first occurrence. */
OE_ALWAYS_INLINE u64 first_zero_byte_flags(u64 x) { return (x - kOnes) & ~x & 0x8080808080808080ull; }

/* 8 ASCII digits -> value, or false if any byte is not a digit. */
OE_ALWAYS_INLINE bool eight_digits_word(u64 w, u64 &out)
{
	if (!all_digits_word(w))
		return false;
	out = eight_digits_value(w);
	return true;
}
OE_ALWAYS_INLINE bool eight_digits(const u8 *p, u64 &out) { return eight_digits_word(get_le64(p), out); }

OE_ALWAYS_INLINE bool is_digit(u8 c) { return u8(c - '0') <= 9; }

constexpr u64 kPow10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };

/* Commas of bytes [i, n) appended to f.comma; false if that would make more than 7. */
OE_ALWAYS_INLINE bool scan_commas(const u8 *p, u32 i, u32 n, Fields &f, u32 &nc)
{
	for (; i + 8 <= n; i += 8) {
		for (u64 m = byte_eq_mask(get_le64(p + i), ','); m; m &= m - 1)
			f.comma[nc++] = u16(i + (__builtin_ctzll(m) >> 3));
		if (OE_UNLIKELY(nc > kFieldCount - 1))
			return false; /* a word adds at most 8, so nc stays < 16 */
	}
	if (i < n) { /* last 1..7 bytes: the word ending at n (n >= 8), minus the bytes already scanned */
		const u32 seen = 8 - (n - i);
		for (u64 m = byte_eq_mask(get_le64(p + n - 8), ',') >> (seen * 8); m; m &= m - 1)
			f.comma[nc++] = u16(i + (__builtin_ctzll(m) >> 3));
	}
	return nc <= kFieldCount - 1;
}

OE_ALWAYS_INLINE bool split_usual_after_symbol(const u8 *p, u32 n, Fields &f);

/*
 * Nearly every row has the shape  <exchange>,<symbol>,<16 digits>,<16 digits>,true|false,bid|ask,<price>,<amount>
 * This proves that shape with a few word operations instead of scanning the middle 40-odd bytes for
 * commas: digits and the literals contain none, so the comma positions follow. Anything else returns
 * false and the general scan decides (same result, just slower).
 */
OE_ALWAYS_INLINE bool split_usual_shape(const u8 *p, u32 n, Fields &f)
{
	u32 nc = 0, i = 0;
	for (; nc < 2; i += 8) { /* exchange and symbol */
		if (i + 8 > n)
			return false;
		for (u64 m = byte_eq_mask(get_le64(p + i), ','); m; m &= m - 1)
			f.comma[nc++] = u16(i + (__builtin_ctzll(m) >> 3));
	}
	/* i covers the word holding comma[1]: the timestamp digits in it were scanned and hold no comma */
	return nc == 2 && split_usual_after_symbol(p, n, f);
}

/* The usual shape from the timestamps on; comma[0] and comma[1] are known. */
OE_ALWAYS_INLINE bool split_usual_after_symbol(const u8 *p, u32 n, Fields &f)
{
	const u32 ts = f.comma[1] + 1u;
	if (ts + 34 + 8 > n)
		return false;
	if (!all_digits_word(get_le64(p + ts)) || !all_digits_word(get_le64(p + ts + 8)) || p[ts + 16] != ',' ||
	    !all_digits_word(get_le64(p + ts + 17)) || !all_digits_word(get_le64(p + ts + 25)) || p[ts + 33] != ',')
		return false;
	u32 side;
	const u64 snap = get_le64(p + ts + 34);
	if ((snap & 0xffffffffffffull) == (get_le64((const u8 *)"false,..") & 0xffffffffffffull))
		side = ts + 40, f.snapshot = false;
	else if ((snap & 0xffffffffffull) == (get_le64((const u8 *)"true,...") & 0xffffffffffull))
		side = ts + 39, f.snapshot = true;
	else
		return false;
	if (side + 4 > n)
		return false;
	const u32 s4 = get_le32(p + side);
	if (s4 == get_le32((const u8 *)"bid,"))
		f.side = Side::Bid;
	else if (s4 == get_le32((const u8 *)"ask,"))
		f.side = Side::Ask;
	else
		return false;
	f.comma[2] = u16(ts + 16);
	f.comma[3] = u16(ts + 33);
	f.comma[4] = u16(side - 1);
	f.comma[5] = u16(side + 3);
	u32 nc = 6;
	return scan_commas(p, side + 4, n, f, nc) && nc == kFieldCount - 1;
}

} // namespace detail

using namespace detail;

OE_ALWAYS_INLINE ParseError split_fields(const u8 *p, u16 n, Fields &f)
{
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (OE_UNLIKELY(n < kMinRow))
		return ParseError::Short;

	f.n = n;
	f.usual_shape = true;
	if (OE_LIKELY(split_usual_shape(p, n, f)))
		return ParseError::Ok;
	f.usual_shape = false;
	u32 nc = 0;
	if (OE_UNLIKELY(!scan_commas(p, 0, n, f, nc)))
		return ParseError::ExtraFields;
	if (OE_UNLIKELY(nc != kFieldCount - 1))
		return ParseError::MissingFields;
	return ParseError::Ok;
}

OE_ALWAYS_INLINE ParseError split_fields_after_prefix(const u8 *p, u16 n, u16 comma0, u16 comma1, Fields &f)
{
	const u16 raw = n;
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	f.n = n;
	f.comma[0] = comma0;
	f.comma[1] = comma1;
	f.usual_shape = true;
	if (OE_LIKELY(n >= kMinRow && split_usual_after_symbol(p, n, f)))
		return ParseError::Ok;
	return split_fields(p, raw, f); /* the general path decides */
}

/* 1..8 bytes: one word that ends at the field's end; squeeze out the '.', pad with leading '0's. */
OE_ALWAYS_INLINE ParseError parse_short_fixed(const u8 *p, u32 n, i64 &out)
{
	const u32 pad = 8 - n;
	u64 w = get_le64(p + n - 8) >> (pad * 8); /* the field in the low n bytes */
	u32 digits = n, frac = 0;
	const u64 dots = byte_eq_mask(w, '.');
	if (dots) {
		const u32 at = u32(__builtin_ctzll(dots) >> 3);
		if (OE_UNLIKELY(at == 0 || at == n - 1u))
			return parse_fixed(p, u16(n), out); /* ".5" / "5.": the slow path names the error */
		const u64 below = (1ull << (at * 8)) - 1;
		w = (w & below) | ((w >> 8) & ~below);
		digits = n - 1;
		frac = n - 1 - at;
	}
	const u32 shift = (8 - digits) * 8;
	if (shift)
		w = (w << shift) | (0x3030303030303030ull >> (64 - shift));
	u64 v;
	if (OE_UNLIKELY(!eight_digits_word(w, v)))
		return parse_fixed(p, u16(n), out); /* a sign, a second dot, a non-digit */
	out = i64(v * kPow10[8 - frac]); /* at most 8 digits: < 1e16 */
	return ParseError::Ok;
}

OE_ALWAYS_INLINE ParseError parse_fixed_in_row(const u8 *p, u16 n, i64 &out)
{
	/* "IIII.FFFF" with 1..8 integer and 0..8 decimal digits: two SWAR words. Every load is a word that
	 * ends inside the field and starts at most 8 bytes before it (precondition), so none leaves the
	 * row. Anything else (a sign, junk, > 8 integer digits, the empty cases) takes parse_fixed. */
	if (OE_UNLIKELY(n == 0 || n > 16))
		return parse_fixed(p, n, out);
	if (n <= 8)
		return parse_short_fixed(p, n, out);
	const u64 tail = get_le64(p + n - 8); /* field bytes [n-8, n) */
	u64 dots = byte_eq_mask(tail, '.');
	u32 at = n; /* position of the '.', n if none */
	if (dots)
		at = n - 8 + u32(__builtin_ctzll(dots) >> 3);
	else if ((dots = byte_eq_mask(get_le64(p), '.')))
		at = u32(__builtin_ctzll(dots) >> 3);
	const u32 frac = at == n ? 0 : n - at - 1;
	if (OE_UNLIKELY(at == 0 || at > 8 || frac > 8 || (at < n && frac == 0)))
		return parse_fixed(p, n, out);
	/* integer digits: the word ending at the '.', the bytes before them replaced by '0' */
	const u32 lead = (8 - at) * 8;
	const u64 zeros = 0x3030303030303030ull;
	u64 iw = get_le64(p + at - 8);
	if (lead)
		iw = (iw & (~0ull << lead)) | (zeros >> (64 - lead));
	u64 ip, fp = 0;
	if (OE_UNLIKELY(!eight_digits_word(iw, ip)))
		return parse_fixed(p, n, out);
	if (frac) { /* decimals: moved to the low bytes, '0' after them: "25" -> "25000000" */
		u64 fw = tail;
		if (frac < 8)
			fw = (fw >> ((8 - frac) * 8)) | (zeros << (frac * 8));
		if (OE_UNLIKELY(!eight_digits_word(fw, fp)))
			return parse_fixed(p, n, out);
	}
	out = i64(ip * 100000000 + fp); /* < 1e16 */
	return ParseError::Ok;
}

/* price and amount, the last step of interpret() */
OE_ALWAYS_INLINE ParseError interpret_numbers(const u8 *p, const Fields &f, Row &row)
{
	ParseError e = parse_fixed_in_row(p + f.begin(kPrice), f.len(kPrice), row.price);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	if (OE_UNLIKELY(row.price == 0))
		return ParseError::ZeroPrice;
	e = parse_fixed_in_row(p + f.begin(kAmount), f.len(kAmount), row.amount);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	if (OE_UNLIKELY(row.snapshot && row.amount == 0))
		return ParseError::SnapshotCancel;
	return ParseError::Ok;
}

OE_ALWAYS_INLINE ParseError interpret(const u8 *p, const Fields &f, Row &row)
{
	if (OE_UNLIKELY(f.len(kExchange) == 0 || f.len(kSymbol) == 0))
		return ParseError::EmptyField;
	if (OE_UNLIKELY(f.len(kSymbol) > kMaxSymbol))
		return ParseError::BadSymbol;
	row.symbol = p + f.begin(kSymbol);
	row.symbol_len = f.len(kSymbol);

	ParseError e;
	if (OE_LIKELY(f.usual_shape)) { /* validated by split_fields: convert only */
		const u8 *lts = p + f.begin(kLocalTimestamp);
		row.seq = eight_digits_value(get_le64(lts)) * 100000000 + eight_digits_value(get_le64(lts + 8));
		row.snapshot = f.snapshot;
		row.side = f.side;
		return interpret_numbers(p, f, row);
	} else {
		u64 ignored_ts;
		e = parse_u64(p + f.begin(kTimestamp), f.len(kTimestamp), ignored_ts);
		if (OE_UNLIKELY(e != ParseError::Ok))
			return e;
		e = parse_u64(p + f.begin(kLocalTimestamp), f.len(kLocalTimestamp), row.seq);
		if (OE_UNLIKELY(e != ParseError::Ok))
			return e;
	}

	/* "true," / "false": the 4-byte loads stay inside the row (the field is followed by ",side") */
	const u8 *s = p + f.begin(kIsSnapshot);
	if (f.len(kIsSnapshot) == 4 && get_le32(s) == get_le32((const u8 *)"true"))
		row.snapshot = true;
	else if (f.len(kIsSnapshot) == 5 && get_le32(s) == get_le32((const u8 *)"fals") && s[4] == 'e')
		row.snapshot = false;
	else
		return ParseError::BadSnapshot;

	/* "bid," / "ask,": the side field is followed by a comma, so 4 bytes are in bounds */
	const u8 *sd = p + f.begin(kSide);
	if (OE_UNLIKELY(f.len(kSide) != 3))
		return ParseError::BadSide;
	u32 side4 = get_le32(sd);
	if (side4 == get_le32((const u8 *)"bid,"))
		row.side = Side::Bid;
	else if (side4 == get_le32((const u8 *)"ask,"))
		row.side = Side::Ask;
	else
		return ParseError::BadSide;

	return interpret_numbers(p, f, row);
}

/*
 * A decimal field of 1..8 bytes ending at `end`, with at least 8 bytes of its row before `end` (one
 * load that never leaves the row). true: the exact 1e-8 value, for exactly the fields parse_fixed
 * accepts with 1..8 bytes (digits, at most one '.' with digits on both sides). false: anything else;
 * the caller lets the general path name the reason.
 */
OE_ALWAYS_INLINE bool short_fixed(const u8 *end, u32 len, i64 &out)
{
	const u32 sh = 64 - 8 * len;                              /* 0..56: bytes before the field */
	u64 v = ((get_le64(end - 8) ^ kZeros) >> sh) << sh;       /* digit values in the top bytes, 0 below */
	const u64 bad = nondigit_bits(v) & kHighNibbles;          /* exact for the first non-digit */
	u32 scale = 8; /* kPow10 index: 10^(8 - decimals) */
	if (bad) {
		const u32 b = u32(__builtin_ctzll(bad)) | 7; /* 8 * (byte of the first non-digit) + 7 */
		/* it must be a '.' ('.' ^ '0' == 0x1e) with digits on both sides: not "5.", not ".5" */
		if (OE_UNLIKELY(u8(v >> (b - 7)) != 0x1e || b == 63 || b == sh + 7))
			return false;
		const u64 after = ~0ull << (b + 1); /* the decimals */
		v = (v & after) | ((v << 8) & ~after); /* squeeze the dot out: the integer digits move up */
		if (OE_UNLIKELY(nondigit_bits(v) & kHighNibbles))
			return false; /* a sign, a second dot, junk, a comma (extra field) */
		scale = (b >> 3) + 1;
	}
	out = i64(digits8_value(v) * kPow10[scale]); /* < 1e16 */
	return true;
}

/* 9..16 bytes "IIII.FFFF" (1..8 digits each side, or 9..16 digits without a dot is refused): two loads
 * that end inside the field and start at most 8 bytes before it. false for anything else. */
OE_ALWAYS_INLINE bool long_fixed(const u8 *p, u32 n, i64 &out)
{
	const u64 tail = get_le64(p + n - 8); /* field bytes [n-8, n) */
	u64 dots = first_zero_byte_flags(tail ^ (kOnes * '.'));
	u32 at; /* position of the first '.' */
	if (dots)
		at = n - 8 + (u32(__builtin_ctzll(dots)) >> 3);
	else if ((dots = first_zero_byte_flags(get_le64(p) ^ (kOnes * '.'))))
		at = u32(__builtin_ctzll(dots)) >> 3;
	else
		return false; /* 9+ digits without a dot: overflow checks belong to parse_fixed */
	const u32 frac = n - at - 1;
	if (OE_UNLIKELY(at == 0 || at > 8 || frac == 0 || frac > 8))
		return false;
	/* integer digits: the word ending at the '.', the bytes before them zeroed; decimals: the word
	 * ending at the field's end, the bytes before them zeroed (leading zeros of the decimals number) */
	const u64 iv = (get_le64(p + at - 8) ^ kZeros) & (~0ull << (64 - 8 * at));
	const u64 fv = (tail ^ kZeros) & (~0ull << (64 - 8 * frac));
	if (OE_UNLIKELY((nondigit_bits(iv) | nondigit_bits(fv)) & kHighNibbles))
		return false;
	out = i64(digits8_value(iv) * 100000000 + digits8_value(fv) * kPow10[8 - frac]); /* < 1e16 */
	return true;
}

/* price or amount field [p, p + len): one load up to 8 bytes, two up to 16; never calls out */
OE_ALWAYS_INLINE bool row_fixed(const u8 *p, u32 len, i64 &out)
{
	if (OE_LIKELY(len <= 8))
		return short_fixed(p + len, len, out);
	return len <= 16 && long_fixed(p, len, out);
}

/* local_timestamp's 16 digit values, most significant first, as one 128-bit number: it orders exactly
 * like the timestamp, without converting it (seq_key_value converts). */
OE_ALWAYS_INLINE u64 seq_key_value(SeqKey k)
{
	return digits8_value(__builtin_bswap64(u64(k >> 64))) * 100000000 + digits8_value(__builtin_bswap64(u64(k)));
}

OE_ALWAYS_INLINE bool parse_usual_after_prefix(const u8 *p, u32 n, u32 prefix_len, Row &row)
{
	SeqKey k;
	if (!parse_usual_keyed(p, n, prefix_len, row, k))
		return false;
	row.seq = seq_key_value(k);
	return true;
}

OE_ALWAYS_INLINE bool parse_usual_keyed(const u8 *p, u32 n, u32 prefix_len, Row &row, SeqKey &seq_key)
{
	if (OE_UNLIKELY(p[n - 1] <= '\r')) { /* n >= 32 (the caller compared that many bytes) */
		n -= p[n - 1] == '\n';
		n -= p[n - 1] == '\r';
	}
	if (OE_UNLIKELY(prefix_len + 52 > n))
		return false;
	const u8 *t = p + prefix_len; /* timestamp */
	/* both timestamps: 4 words of digits, the comma between them; the comma after them starts lit */
	const u64 x0 = get_le64(t) ^ kZeros, x1 = get_le64(t + 8) ^ kZeros;
	const u64 x2 = get_le64(t + 17) ^ kZeros, x3 = get_le64(t + 25) ^ kZeros;
	if (OE_UNLIKELY(((nondigit_bits(x0) | nondigit_bits(x1) | nondigit_bits(x2) | nondigit_bits(x3)) & kHighNibbles) |
			u8(t[16] ^ ',')))
		return false;
	const u64 lit = get_le64(t + 33);
	const u8 *side;
	if (OE_LIKELY(lit << 8 == get_le64((const u8 *)",false,.") << 8))
		side = t + 40, row.snapshot = false;
	else if ((lit & 0xffffffffffffull) == (get_le64((const u8 *)",true,..") & 0xffffffffffffull))
		side = t + 39, row.snapshot = true;
	else
		return false;
	const u32 s4 = get_le32(side);
	if (s4 == get_le32((const u8 *)"bid,"))
		row.side = Side::Bid;
	else if (OE_LIKELY(s4 == get_le32((const u8 *)"ask,")))
		row.side = Side::Ask;
	else
		return false;
	seq_key = SeqKey(__builtin_bswap64(x2)) << 64 | __builtin_bswap64(x3);

	/* price, ',', amount: [s, end), at least 8 bytes (checked above) */
	const u8 *s = side + 4, *end = p + n;
	const u32 rest = u32(end - s);
	/* an amount of up to 7 bytes: its comma is in the last word. The highest flag may be a false one
	 * (a '-' right after a comma), but then the amount or the price holds a non-digit and is refused:
	 * every byte but the chosen comma is validated as part of one of the two fields. */
	u64 commas = first_zero_byte_flags(get_le64(end - 8) ^ (kOnes * ','));
	u32 plen;
	if (OE_LIKELY(commas)) {
		const u32 alen = u32(__builtin_clzll(commas)) >> 3; /* bytes after the comma */
		plen = rest - alen - 1;
		if (OE_UNLIKELY(alen == 0 || plen == 0 || !row_fixed(s, plen, row.price) || row.price == 0))
			return false;
		if (OE_UNLIKELY(!short_fixed(end, alen, row.amount) || (row.snapshot && row.amount == 0)))
			return false;
		return true;
	}
	/* an amount of 8..15 bytes: its comma is in the word before (none in the last one) */
	if (OE_LIKELY(rest >= 16) && (commas = first_zero_byte_flags(get_le64(end - 16) ^ (kOnes * ',')))) {
		const u32 alen = 8 + (u32(__builtin_clzll(commas)) >> 3);
		plen = rest - alen - 1;
		if (OE_UNLIKELY(plen == 0 || !row_fixed(s, plen, row.price) || row.price == 0))
			return false;
		if (OE_UNLIKELY(!row_fixed(end - alen, alen, row.amount) || (row.snapshot && row.amount == 0)))
			return false;
		return true;
	}
	commas = first_zero_byte_flags(get_le64(s) ^ (kOnes * ','));
	if (OE_LIKELY(commas)) {
		plen = u32(__builtin_ctzll(commas)) >> 3;
	} else { /* the price is 8+ bytes: the next bytes, at most 8, never past end */
		if (OE_UNLIKELY(rest < 10))
			return false;
		const u64 w = rest >= 16 ? get_le64(s + 8) : get_le64(end - 8) >> (8 * (16 - rest));
		commas = first_zero_byte_flags(w ^ (kOnes * ','));
		if (OE_UNLIKELY(!commas))
			return false;
		plen = 8 + (u32(__builtin_ctzll(commas)) >> 3);
	}
	const u32 alen = rest - plen - 1; /* the comma is before end: plen < rest */
	if (OE_UNLIKELY(plen == 0 || alen == 0))
		return false;
	if (OE_UNLIKELY(!row_fixed(s, plen, row.price) || row.price == 0))
		return false;
	if (OE_UNLIKELY(!row_fixed(s + plen + 1, alen, row.amount) || (row.snapshot && row.amount == 0)))
		return false;
	return true;
}

} // namespace oe::md
