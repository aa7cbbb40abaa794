// Order wire format, stream reassembly and the reconciliation matcher.
#include <gtest/gtest.h>

#include <vector>

#include "order_wire.h"
#include "reconciler.h"

using namespace oeex;

TEST(OrderWire, ThirteenBytesLittleEndian)
{
	Order o{0x01020304, 6000050000000, kSideBuy};
	uint8_t w[kOrderSize];
	encode_order(o, w);
	EXPECT_EQ(w[0], 0x04);
	EXPECT_EQ(w[3], 0x01);
	int64_t price;
	std::memcpy(&price, w + 4, 8);
	EXPECT_EQ(price, 6000050000000);
	EXPECT_EQ(w[12], 'B');
	EXPECT_EQ(decode_order(w), o);
}

TEST(OrderWire, TheExampleInDocsProtocolMd)
{
	const uint8_t documented[kOrderSize] = {0x01, 0x00, 0x00, 0x00, 0x80, 0x50, 0xd9, 0xfe, 0x74, 0x05, 0x00, 0x00, 0x42};
	uint8_t w[kOrderSize];
	encode_order(Order{1, 6000050000000, kSideBuy}, w);
	EXPECT_EQ(0, std::memcmp(w, documented, kOrderSize));
}

TEST(OrderReassembler, EverySplitOfAStreamGivesTheSameOrders)
{
	std::vector<Order> sent;
	std::vector<uint8_t> stream;
	for (uint32_t i = 0; i < 7; i++) {
		Order o{i + 1, int64_t(i) * 50000000 + 1, i % 2 ? kSideSell : kSideBuy};
		sent.push_back(o);
		uint8_t w[kOrderSize];
		encode_order(o, w);
		stream.insert(stream.end(), w, w + kOrderSize);
	}
	// chunk sizes 1..40: orders split across every possible boundary, several per chunk
	for (size_t chunk = 1; chunk <= 40; chunk++) {
		OrderReassembler r;
		std::vector<Order> got;
		for (size_t i = 0; i < stream.size(); i += chunk) {
			size_t n = std::min(chunk, stream.size() - i);
			r.feed(std::span<const uint8_t>(stream.data() + i, n), [&](const Order &o) { got.push_back(o); });
		}
		EXPECT_EQ(got, sent) << "chunk " << chunk;
		EXPECT_EQ(r.pending_bytes(), 0u);
	}
}

TEST(OrderReassembler, KeepsAPartialTail)
{
	OrderReassembler r;
	uint8_t w[kOrderSize + 5] = {};
	int count = 0;
	r.feed(std::span<const uint8_t>(w, sizeof w), [&](const Order &) { count++; });
	EXPECT_EQ(count, 1);
	EXPECT_EQ(r.pending_bytes(), 5u);
}

static Order buy(int64_t price) { return Order{1, price, kSideBuy}; }

TEST(Reconciler, InOrderMatchesAreClean)
{
	Reconciler r;
	size_t a = r.add_trigger(10, buy(100));
	size_t b = r.add_trigger(20, buy(200));
	r.set_tx_time(a, 1000, TxStampSource::Software);
	r.set_tx_time(b, 2000, TxStampSource::AfterSend);
	EXPECT_TRUE(r.on_order(buy(100), 1500).matched);
	auto m = r.on_order(buy(200), 2600);
	EXPECT_TRUE(m.matched);
	EXPECT_EQ(m.seq, 20u);
	auto res = r.finish();
	EXPECT_EQ(res.expected, 2u);
	EXPECT_EQ(res.matched, 2u);
	EXPECT_EQ(res.missed, 0u);
	EXPECT_EQ(res.unexpected, 0u);
	EXPECT_EQ(res.tick_to_trade.min, 500u);
	EXPECT_EQ(res.tick_to_trade.max, 600u);
	EXPECT_EQ(res.tx_software, 1u);
	EXPECT_EQ(res.tx_after_send, 1u);
}

TEST(Reconciler, OrdersOlderThanTheMaxAgeAreLate)
{
	Reconciler r;
	r.set_max_age_ns(1000);
	size_t a = r.add_trigger(10, buy(100));
	size_t b = r.add_trigger(20, buy(200));
	size_t c = r.add_trigger(30, buy(300));
	r.set_tx_time(a, 1000, TxStampSource::Software);
	r.set_tx_time(b, 2000, TxStampSource::Software);
	r.set_tx_time(c, 3000, TxStampSource::Software);
	EXPECT_TRUE(r.on_order(buy(100), 2000).matched); // exactly the max age: in time
	EXPECT_TRUE(r.on_order(buy(200), 3001).matched); // 1 ns over
	EXPECT_TRUE(r.on_order(buy(300), 9000).matched);
	auto res = r.finish();
	EXPECT_EQ(res.matched, 3u);
	EXPECT_EQ(res.late, 2u);

	r.reset(); // a new session starts without a limit until one is set
	size_t d = r.add_trigger(40, buy(400));
	r.set_tx_time(d, 1000, TxStampSource::Software);
	r.on_order(buy(400), 1000000);
	EXPECT_EQ(r.finish().late, 0u);
}

TEST(Reconciler, SoftwareStampWinsOverAfterSendClock)
{
	Reconciler r;
	size_t a = r.add_trigger(1, buy(1));
	r.set_tx_time(a, 1000, TxStampSource::Software);
	r.set_tx_time(a, 5000, TxStampSource::AfterSend); // arrives later, must not override
	r.on_order(buy(1), 1100);
	EXPECT_EQ(r.finish().tick_to_trade.p50, 100u);
}

TEST(Reconciler, OvertakenTriggersAreMissedAndInventedOrdersUnexpected)
{
	Reconciler r;
	r.add_trigger(1, buy(100));
	r.add_trigger(2, buy(200));
	r.add_trigger(3, buy(300));
	r.add_trigger(4, buy(400));
	auto m = r.on_order(buy(300), 10); // skips 1 and 2
	EXPECT_TRUE(m.matched);
	EXPECT_EQ(m.overtaken, 2u);
	EXPECT_FALSE(r.on_order(buy(100), 11).matched); // 1 is already closed: invented/duplicate
	EXPECT_FALSE(r.on_order(Order{5, 5, kSideSell}, 12).matched);
	auto res = r.finish(); // 4 still open -> missed
	EXPECT_EQ(res.matched, 1u);
	EXPECT_EQ(res.missed, 3u);
	EXPECT_EQ(res.unexpected, 2u);
	ASSERT_EQ(res.missed_examples.size(), 3u);
	EXPECT_EQ(res.missed_examples[0].seq, 1u);
	EXPECT_EQ(res.missed_examples[2].seq, 4u);
}

TEST(Reconciler, BounceMatchesBySeq)
{
	Reconciler r;
	r.add_trigger(7, Order{});
	r.add_trigger(9, Order{});
	EXPECT_FALSE(r.on_bounce(8, 1).matched);
	EXPECT_TRUE(r.on_bounce(9, 2).matched);
	auto res = r.finish();
	EXPECT_EQ(res.missed, 1u);
	EXPECT_EQ(res.unexpected, 1u);
}

TEST(Reconciler, CountsRejectedAndTruncated)
{
	Reconciler r;
	r.on_rejected();
	r.on_truncated();
	auto res = r.finish();
	EXPECT_EQ(res.rejected, 1u);
	EXPECT_EQ(res.truncated, 1u);
}

TEST(Latency, NearestRankPercentiles)
{
	std::vector<uint64_t> v;
	for (uint64_t i = 1000; i >= 1; i--)
		v.push_back(i);
	auto s = summarize_latencies(v);
	EXPECT_EQ(s.count, 1000u);
	EXPECT_EQ(s.min, 1u);
	EXPECT_EQ(s.p50, 500u);
	EXPECT_EQ(s.p90, 900u);
	EXPECT_EQ(s.p99, 990u);
	EXPECT_EQ(s.p999, 999u);
	EXPECT_EQ(s.max, 1000u);
	EXPECT_DOUBLE_EQ(s.mean, 500.5);
	std::vector<uint64_t> none;
	EXPECT_EQ(summarize_latencies(none).count, 0u);
}
