// SPDX-License-Identifier: GPL-2.0
/* The general, out-of-line parser paths (the hot ones are inline in oe/parser_impl.h). */
#include "oe/parser.h"

namespace oe::md {

ParseError parse_u64(const u8 *p, u16 n, u64 &out)
{
	if (OE_UNLIKELY(n == 0))
		return ParseError::EmptyField;
	if (OE_UNLIKELY(p[0] == '-'))
		return ParseError::Negative;
	u64 v = 0;
	u16 i = 0;
	if (n == 16) { /* microsecond timestamps: two words, cannot overflow */
		u64 hi, lo;
		if (OE_UNLIKELY(!eight_digits(p, hi) || !eight_digits(p + 8, lo)))
			return ParseError::NonDigit;
		out = hi * 100000000 + lo;
		return ParseError::Ok;
	}
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
