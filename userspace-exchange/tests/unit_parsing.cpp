// Decimal parsing, CSV row validation and the default formatPacket.
#include <gtest/gtest.h>

#include "fixed_point.h"
#include "format_packet.h"
#include "md_line.h"

using namespace oeex;

TEST(FixedPoint, ParsesDecimalsExactly)
{
	EXPECT_EQ(parse_fixed("60000.5"), 6000050000000);
	EXPECT_EQ(parse_fixed("0.00000001"), 1);
	EXPECT_EQ(parse_fixed("12"), 1200000000);
	EXPECT_EQ(parse_fixed("-3.25"), -325000000);
	EXPECT_EQ(parse_fixed(".5"), 50000000);
}

TEST(FixedPoint, RejectsMalformedNumbers)
{
	for (const char *bad : {"", "-", "1.", "1.123456789", "1e5", "abc", "1,5", "12a", "99999999999999999999"})
		EXPECT_FALSE(parse_fixed(bad).has_value()) << bad;
}

TEST(FixedPoint, FormatsWithoutTrailingZeros)
{
	EXPECT_EQ(format_fixed(6000050000000), "60000.5");
	EXPECT_EQ(format_fixed(1), "0.00000001");
	EXPECT_EQ(format_fixed(1200000000), "12");
	EXPECT_EQ(format_fixed(-325000000), "-3.25");
	for (int64_t v : {int64_t(0), int64_t(123456789012), int64_t(7)})
		EXPECT_EQ(parse_fixed(format_fixed(v)), v);
}

TEST(FixedPoint, U64RejectsSignsAndOverflow)
{
	EXPECT_EQ(parse_u64("1700000000000000"), 1700000000000000ULL);
	EXPECT_FALSE(parse_u64("-1"));
	EXPECT_FALSE(parse_u64("18446744073709551616"));
	EXPECT_FALSE(parse_u64(""));
}

TEST(MdLine, ParsesAValidRow)
{
	auto p = parse_md_line("bitmex,XBTUSD,1700000000000000,1700000000001094,true,ask,60000.5,11400");
	ASSERT_EQ(p.kind, LineKind::Row);
	EXPECT_EQ(p.row.exchange, "bitmex");
	EXPECT_EQ(p.row.symbol, "XBTUSD");
	EXPECT_EQ(p.row.timestamp_us, 1700000000000000ULL);
	EXPECT_EQ(p.row.local_timestamp_us, 1700000000001094ULL);
	EXPECT_TRUE(p.row.is_snapshot);
	EXPECT_EQ(p.row.side, BookSide::Ask);
	EXPECT_EQ(p.row.price, 6000050000000);
	EXPECT_EQ(p.row.amount, 1140000000000);
}

TEST(MdLine, RecognisesHeaderBlankAndCarriageReturn)
{
	EXPECT_EQ(parse_md_line(kTardisHeader).kind, LineKind::Header);
	EXPECT_EQ(parse_md_line("").kind, LineKind::Blank);
	EXPECT_EQ(parse_md_line("bitmex,XBTUSD,1,2,false,bid,1.5,0\r").kind, LineKind::Row);
}

TEST(MdLine, BadLinesSayWhy)
{
	struct Case {
		const char *line;
		const char *why;
	} cases[] = {
		{"bitmex,XBTUSD,1,2,false,bid,1.5", "wrong field count"},
		{"bitmex,XBTUSD,1,2,false,bid,1.5,3,9", "too many fields"},
		{"bitmex,XBTUSD,x,2,false,bid,1.5,3", "bad timestamp"},
		{"bitmex,XBTUSD,1,2,maybe,bid,1.5,3", "bad is_snapshot"},
		{"bitmex,XBTUSD,1,2,false,buy,1.5,3", "unknown side"},
		{"bitmex,XBTUSD,1,2,false,bid,1.5.5,3", "bad price"},
		{"bitmex,XBTUSD,1,2,false,bid,1.5,-3", "bad amount"},
		{",XBTUSD,1,2,false,bid,1.5,3", "empty exchange or symbol"},
	};
	for (auto &c : cases) {
		auto p = parse_md_line(c.line);
		EXPECT_EQ(p.kind, LineKind::Bad) << c.line;
		EXPECT_STREQ(p.error, c.why) << c.line;
	}
}

TEST(FormatPacket, DefaultPayloadIsTheLineWithoutNewline)
{
	char buf[kMaxPayload];
	std::string line = "bitmex,XBTUSD,1,2,false,bid,1.5,3";
	size_t n = formatPacket(line, buf);
	ASSERT_EQ(n, line.size());
	EXPECT_EQ(std::string(buf, n), line);
}

TEST(FormatPacket, RefusesLinesThatDoNotFitOneDatagram)
{
	char buf[kMaxPayload];
	std::string huge(kMaxPayload + 1, 'x');
	EXPECT_EQ(formatPacket(huge, buf), 0u);
	EXPECT_EQ(formatPacket("", buf), 0u);
}
