// SPDX-License-Identifier: GPL-2.0
/* Parser table tests: valid rows, exact fixed-point decimals and every malformed class. */
#include "oe/ktest.h"
#include "oe/parser.h"
#include "ktest_util.h"

using namespace oe;
using md::ParseError;

namespace {

ParseError parse(const char *s, md::Row &r) { return md::parse_row(kt::bytes(s), kt::cstr_len(s), r); }
ParseError err_of(const char *s)
{
	md::Row r;
	return parse(s, r);
}
ParseError fixed(const char *s, i64 &v) { return md::parse_fixed(kt::bytes(s), kt::cstr_len(s), v); }
ParseError u64_of(const char *s, u64 &v) { return md::parse_u64(kt::bytes(s), kt::cstr_len(s), v); }

} // namespace

OE_KTEST(parse_valid_row)
{
	md::Row row;
	OE_EXPECT_EQ(r, int(parse("binance-futures,BTCUSDT,1600000000000000,1600000000000123,false,bid,10234.56,1.234", row)), 0);
	OE_EXPECT_EQ(r, row.seq, 1600000000000123ull);
	OE_EXPECT(r, !row.snapshot);
	OE_EXPECT(r, row.side == md::Side::Bid);
	OE_EXPECT_EQ(r, row.price, 1023456000000ll);
	OE_EXPECT_EQ(r, row.amount, 123400000ll);
	OE_EXPECT_EQ(r, row.symbol_len, 7);
	OE_EXPECT(r, row.symbol[0] == 'B' && row.symbol[6] == 'T');
}

OE_KTEST(parse_snapshot_ask_and_line_endings)
{
	md::Row row;
	OE_EXPECT_EQ(r, int(parse("x,ETH,5,6,true,ask,3000,2\n", row)), 0);
	OE_EXPECT(r, row.snapshot);
	OE_EXPECT(r, row.side == md::Side::Ask);
	OE_EXPECT_EQ(r, row.amount, 2 * kt::kOne);
	OE_EXPECT_EQ(r, int(parse("x,ETH,5,6,true,ask,3000,2\r\n", row)), 0);
	OE_EXPECT_EQ(r, row.amount, 2 * kt::kOne);
	OE_EXPECT_EQ(r, int(parse("x,ETH,5,6,false,ask,3000,0", row)), 0);
	OE_EXPECT_EQ(r, row.amount, 0);
}

OE_KTEST(parse_fixed_exact)
{
	i64 v = -1;
	OE_EXPECT_EQ(r, int(fixed("0.00000001", v)), 0);
	OE_EXPECT_EQ(r, v, 1);
	OE_EXPECT_EQ(r, int(fixed("1", v)), 0);
	OE_EXPECT_EQ(r, v, kt::kOne);
	OE_EXPECT_EQ(r, int(fixed("0.1", v)), 0);
	OE_EXPECT_EQ(r, v, 10000000);
	OE_EXPECT_EQ(r, int(fixed("00012.5", v)), 0);
	OE_EXPECT_EQ(r, v, 1250000000);
	OE_EXPECT_EQ(r, int(fixed("0000000000000000000000007", v)), 0);
	OE_EXPECT_EQ(r, v, 7 * kt::kOne);
	OE_EXPECT_EQ(r, int(fixed("50000000", v)), 0);
	OE_EXPECT_EQ(r, v, kt::kDefaultThreshold);
	OE_EXPECT_EQ(r, int(fixed("92233720368.54775807", v)), 0);
	OE_EXPECT_EQ(r, v, __INT64_MAX__);
	OE_EXPECT_EQ(r, int(fixed("0", v)), 0);
	OE_EXPECT_EQ(r, v, 0);
}

OE_KTEST(parse_fixed_rejects)
{
	i64 v;
	OE_EXPECT_EQ(r, int(fixed("92233720368.54775808", v)), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(fixed("92233720369", v)), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(fixed("99999999999999999999", v)), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(fixed("1.123456789", v)), int(ParseError::TooManyDecimals));
	OE_EXPECT_EQ(r, int(fixed("-1", v)), int(ParseError::Negative));
	OE_EXPECT_EQ(r, int(fixed("+1", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed("1a", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed("1.", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed(".5", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed("1.2.3", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed("1e5", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed(" 1", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(fixed("", v)), int(ParseError::EmptyField));
}

OE_KTEST(parse_u64_words_and_limits)
{
	u64 v = 0;
	OE_EXPECT_EQ(r, int(u64_of("18446744073709551615", v)), 0);
	OE_EXPECT_EQ(r, v, ~0ull);
	OE_EXPECT_EQ(r, int(u64_of("18446744073709551616", v)), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(u64_of("12345678", v)), 0);
	OE_EXPECT_EQ(r, v, 12345678ull);
	OE_EXPECT_EQ(r, int(u64_of("123456789", v)), 0);
	OE_EXPECT_EQ(r, v, 123456789ull);
	OE_EXPECT_EQ(r, int(u64_of("1234567a", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(u64_of("1234:678", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(u64_of("1234/678", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(u64_of("9123456/", v)), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(u64_of("-5", v)), int(ParseError::Negative));
	OE_EXPECT_EQ(r, int(u64_of("", v)), int(ParseError::EmptyField));
}

OE_KTEST(parse_malformed_structure)
{
	OE_EXPECT_EQ(r, int(err_of("")), int(ParseError::Short));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,true,bid")), int(ParseError::Short));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100,1000000")), 0);
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100.000000000000")), int(ParseError::MissingFields));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100,1,9")), int(ParseError::ExtraFields));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100,1,")), int(ParseError::ExtraFields));
	OE_EXPECT_EQ(r, int(err_of(",BTC,1,1,false,bid,100,1")), int(ParseError::EmptyField));
	OE_EXPECT_EQ(r, int(err_of("x,,1,1,false,bid,100,1000")), int(ParseError::EmptyField));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100,")), int(ParseError::EmptyField));
	OE_EXPECT_EQ(r, int(err_of("x,ABCDEFGHIJKLMNOPQRSTUVWX,1,1,false,bid,100,1")), int(ParseError::BadSymbol));
}

OE_KTEST(parse_malformed_values)
{
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,True,bid,100,1000")), int(ParseError::BadSnapshot));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,0,bid,100,1000000")), int(ParseError::BadSnapshot));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,falsy,bid,100,100")), int(ParseError::BadSnapshot));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,buy,100,1000")), int(ParseError::BadSide));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bids,100,100")), int(ParseError::BadSide));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,BID,100,1000")), int(ParseError::BadSide));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,0,100000")), int(ParseError::ZeroPrice));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,true,bid,100,0.0000")), int(ParseError::SnapshotCancel));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,-100,1000")), int(ParseError::Negative));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,100,-1000")), int(ParseError::Negative));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1a,1,false,bid,100,100")), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1x,false,bid,100,100")), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,1.5x,100")), int(ParseError::NonDigit));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,1,0.123456789")), int(ParseError::TooManyDecimals));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,1,999999999999")), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,99999999999999999999,false,bid,1,1")), int(ParseError::Overflow));
	OE_EXPECT_EQ(r, int(err_of("x,BTC,1,1,false,bid,1,1\n\n")), int(ParseError::NonDigit));
}

/* The length is the only bound: bytes after packetSz never change the result. */
OE_KTEST(parse_respects_length)
{
	const char *buf = "x,BTC,1,1,false,bid,100,1234,junk";
	md::Row row;
	OE_EXPECT_EQ(r, int(md::parse_row(kt::bytes(buf), 28, row)), 0);
	OE_EXPECT_EQ(r, row.amount, 1234 * kt::kOne);
	OE_EXPECT_EQ(r, int(md::parse_row(kt::bytes(buf), 26, row)), 0);
	OE_EXPECT_EQ(r, row.amount, 12 * kt::kOne);
	OE_EXPECT_EQ(r, int(md::parse_row(kt::bytes(buf), 24, row)), int(ParseError::EmptyField));
	OE_EXPECT_EQ(r, int(md::parse_row(kt::bytes(buf), 19, row)), int(ParseError::Short));
}

OE_KTEST(parse_error_names_stable)
{
	OE_EXPECT(r, md::parse_error_name(ParseError::BadSide)[0] == 'b');
	OE_EXPECT_EQ(r, kt::cstr_len(md::parse_error_name(ParseError::TooManyDecimals)), 17);
	OE_EXPECT_EQ(r, kt::cstr_len(Engine::counter_name(u32(EngineCounter::parse_drop_first) + u32(ParseError::BadSide) - 1)),
		     kt::cstr_len("oe_parse_drop_bad_side"));
	OE_EXPECT(r, Engine::counter_name(kEngineCounterCount) == nullptr);
}

OE_KTEST_SUITE(strategy_parser, parse_valid_row, parse_snapshot_ask_and_line_endings, parse_fixed_exact,
	       parse_fixed_rejects, parse_u64_words_and_limits, parse_malformed_structure, parse_malformed_values,
	       parse_respects_length, parse_error_names_stable);
