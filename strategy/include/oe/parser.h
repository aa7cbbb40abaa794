/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Market-data row parser: one ASCII Tardis incremental_book_L2 row per UDP payload
 *
 *   exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount[\r][\n]
 *
 * Two small steps, as in the old client:
 *   split_fields()  find the 8 fields (offsets only, nothing interpreted);
 *   interpret()     turn them into a Row: sequence number, snapshot flag, side, and the decimal
 *                   price/amount as exact fixed-point 1e-8 integers (no floating point).
 * Neither step reads a byte at or past the length it is given. Every rejection has a reason, so
 * the caller can count drops by cause.
 */
#pragma once
#include "oe/base.h"

namespace oe::md {

constexpr i64 kFixedOne = 100000000;   /* 1e8: fixed-point scale of price and amount */
constexpr u32 kFieldCount = 8;
constexpr u16 kMaxSymbol = 23;          /* fits oe_config.symbol with its NUL */

enum Field : u8 { kExchange, kSymbol, kTimestamp, kLocalTimestamp, kIsSnapshot, kSide, kPrice, kAmount };

enum class Side : u8 { Bid = 0, Ask = 1 };

/* Why a packet was dropped. Stable order: the stats names (oe_parse_drop_<name>) follow it. */
enum class ParseError : u8 {
	Ok = 0,
	Short,          /* empty or shorter than the smallest possible row */
	MissingFields,  /* fewer than 8 fields */
	ExtraFields,    /* more than 8 fields */
	EmptyField,     /* a field that must have content is empty */
	BadSymbol,      /* longer than kMaxSymbol */
	NonDigit,       /* a byte that is not a digit where one is required */
	Negative,       /* a leading '-' on a number */
	TooManyDecimals,/* more than 8 digits after the point */
	Overflow,       /* does not fit the fixed-point i64 (or the u64 sequence number) */
	BadSnapshot,    /* is_snapshot neither "true" nor "false" */
	BadSide,        /* side neither "bid" nor "ask" */
	ZeroPrice,      /* price 0 is not a level */
	SnapshotCancel, /* amount 0 on a snapshot row: a cancel is never a snapshot */
	Count_
};
constexpr u32 kParseErrorCount = u32(ParseError::Count_);

/* Where the fields are: the positions of the 7 separating commas (room for one word of extras, which
 * split_fields reports as ExtraFields) and the row length without its line ending. */
struct Fields {
	u16 comma[16];
	u16 n;
	/* split_fields proved the usual shape: both timestamps exactly 16 digits, and the literals below */
	bool usual_shape;
	bool snapshot; /* valid if usual_shape */
	Side side;     /* valid if usual_shape */
	u16 begin(u32 i) const { return i == 0 ? 0 : u16(comma[i - 1] + 1); }
	u16 end(u32 i) const { return i == kFieldCount - 1 ? n : comma[i]; }
	u16 len(u32 i) const { return u16(end(i) - begin(i)); }
};

/* The interpreted row. symbol points into the packet (valid while the packet is). */
struct Row {
	const u8 *symbol;
	u16 symbol_len;
	bool snapshot;
	Side side;
	u64 seq;     /* local_timestamp */
	i64 price;   /* 1e-8 */
	i64 amount;  /* 1e-8; 0 = cancel */
};

/* Step 1: locate exactly 8 comma-separated fields; a trailing "\n" or "\r\n" is not part of them. */
OE_ALWAYS_INLINE ParseError split_fields(const u8 *p, u16 n, Fields &f);
/* Step 1 for a packet whose bytes [0, comma1] are known (compared by the caller) to be
 * "<exchange>,<symbol>," with its commas at comma0 and comma1: only the rest is looked at. */
OE_ALWAYS_INLINE ParseError split_fields_after_prefix(const u8 *p, u16 n, u16 comma0, u16 comma1, Fields &f);
/* Step 2: interpret the fields located by split_fields() in the same packet. */
OE_ALWAYS_INLINE ParseError interpret(const u8 *p, const Fields &f, Row &row);
/* Both steps. */
inline ParseError parse_row(const u8 *p, u16 n, Row &row)
{
	Fields f;
	ParseError e = split_fields(p, n, f);
	if (OE_UNLIKELY(e != ParseError::Ok))
		return e;
	return interpret(p, f, row);
}

/* Building blocks, exposed for tests. Both take the exact bytes of one field and read nothing else. */
ParseError parse_u64(const u8 *p, u16 n, u64 &out);
ParseError parse_fixed(const u8 *p, u16 n, i64 &out);
/* parse_fixed for a field that STARTS at least 8 bytes into its packet (price, amount): the usual
 * "IIII.FFFF" (<= 8 digits each side) is then converted with two word loads that never leave the
 * field's row and two SWAR conversions. Same results as parse_fixed for every input (tested). */
OE_ALWAYS_INLINE ParseError parse_fixed_in_row(const u8 *p, u16 n, i64 &out);

/* The usual row after a learned "<exchange>,<symbol>," prefix of prefix_len bytes (the caller compared
 * those bytes, and n >= 32): both timestamps exactly 16 digits, "true"/"false", "bid"/"ask", then
 * price and amount. true: row (all but symbol/symbol_len) exactly as parse_row would give it. false:
 * not proven (a malformed row, or just an unusual one); parse_row decides. Reads only [0, n). */
OE_ALWAYS_INLINE bool parse_usual_after_prefix(const u8 *p, u32 n, u32 prefix_len, Row &row);
/* The same, but row.seq is left unset: seq_key holds local_timestamp's 16 digit values (most significant
 * first) as one number that orders and compares like the timestamp; seq_key_value() converts it. */
using SeqKey = unsigned __int128;
OE_ALWAYS_INLINE bool parse_usual_keyed(const u8 *p, u32 n, u32 prefix_len, Row &row, SeqKey &seq_key);
OE_ALWAYS_INLINE u64 seq_key_value(SeqKey k);

/* Short stable name of a reason ("bad_side", ...), for counters and tools. */
const char *parse_error_name(ParseError e);

} // namespace oe::md

#include "oe/parser_impl.h"
