// SPDX-License-Identifier: GPL-2.0
/*
 * Warming (oe_warm, docs/strategy.md "Warming") through the C ABI core on the fake platform with the
 * real tcp::Client: a warm run prepares exactly the frame the next trigger will send, in the warm
 * sink; the live core's memory stays byte-identical, no counter but oe_warm_* moves, the real ring,
 * its doorbells and the timer are untouched; and a real fire after warming sends the same bytes as
 * one without it.
 */
#include "oe/abi.h"
#include "oe/engine.h"
#include "oe/fake_platform.h"
#include "oe/ktest.h"
#include "oe/order.h"
#include "oe/tcp/wire.h"
#include "core_util.h"

using namespace oe;
using namespace oe::kt;

namespace {

constexpr u32 kMaxStats = 256;
u8 g_live_before[256 * 1024]; /* the live core block (core incl. its 32 KiB send ring and order queue + 64-level book) */
u64 g_stats_before[kMaxStats];
u8 g_frame[2][128];
u16 g_frame_len[2];

bool is_warm_stat(const char *n)
{
	const char *w = "oe_warm_";
	for (u32 i = 0; w[i]; i++)
		if (n[i] != w[i])
			return false;
	return true;
}

/* Everything a warm run must leave alone: the live core's bytes, every counter but oe_warm_*. */
bool snapshot_live()
{
	unsigned long bytes = 0;
	const void *live = oe_core_live_block(&bytes);
	if (!live || bytes > sizeof(g_live_before) || oe_stats_count() > kMaxStats)
		return false;
	copy(g_live_before, live, bytes);
	for (u32 i = 0; i < oe_stats_count(); i++)
		g_stats_before[i] = oe_stats_value(i);
	return true;
}

/* 0 if unchanged, else 1 + the index of the first stat that moved, or 1000 for the core's bytes */
u32 live_changes()
{
	unsigned long bytes = 0;
	const u8 *live = static_cast<const u8 *>(oe_core_live_block(&bytes));
	for (unsigned long i = 0; i < bytes; i++)
		if (live[i] != g_live_before[i])
			return 1000;
	for (u32 i = 0; i < oe_stats_count(); i++)
		if (!is_warm_stat(oe_stats_name(i)) && oe_stats_value(i) != g_stats_before[i])
			return 1 + i;
	return 0;
}

/* connected, bid 100 / ask 101 and one order sent (B at 101) */
bool running_with_book(tcp::SegmentIn &syn)
{
	if (start() != 0 || !connect_established(syn))
		return false;
	book_and_surge(10);
	return stat("oe_orders_sent") == 1;
}

bool same_bytes(const u8 *a, u16 na, const u8 *b, u16 nb)
{
	if (na != nb)
		return false;
	for (u16 i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* One run of: connected, book, one order, `warms` warm runs, a second trigger; its frame saved. */
bool second_order_frame(u32 warms, u32 slot)
{
	tcp::SegmentIn syn;
	if (!running_with_book(syn))
		return false;
	for (u32 i = 0; i < warms; i++)
		if (oe_warm() != 1)
			return false;
	const u32 before = oe_fake_tx_count();
	feed_md(row(g_row, 20, false, true, 100, 120000002));
	u16 len = 0;
	const u8 *f = oe_fake_tx_frame(before, &len);
	if (oe_fake_tx_count() != before + 1 || !f || len > sizeof(g_frame[slot]))
		return false;
	copy(g_frame[slot], f, len);
	g_frame_len[slot] = len;
	return true;
}

} // namespace

/* in flight (RTO armed) and after the exchange acknowledged everything (no timer): the shadow takes
 * the timer-arming branch then, which must not reach the live timer */
OE_KTEST(warm_leaves_live_state_identical)
{
	tcp::SegmentIn syn;
	OE_EXPECT(r, running_with_book(syn));
	for (int acked = 0; acked < 2; acked++) {
		if (acked)
			peer_sends(syn, 5001, tcp::ACK, syn.seq + 1 + kOrderBytes);
		OE_EXPECT(r, snapshot_live());
		const u32 tx = oe_fake_tx_count(), cancelled = oe_fake_tx_cancelled(), warm = oe_fake_warm_frames();
		const u64 timer = oe_fake_timer_deadline(), runs = stat("oe_warm_runs");
		OE_EXPECT_EQ(r, timer != 0, acked == 0);
		for (int i = 0; i < 3; i++)
			OE_EXPECT_EQ(r, oe_warm(), 1);
		OE_EXPECT_EQ(r, live_changes(), 0u);
		OE_EXPECT_EQ(r, oe_fake_tx_count(), tx);
		OE_EXPECT_EQ(r, oe_fake_tx_cancelled(), cancelled);
		OE_EXPECT_EQ(r, oe_fake_timer_deadline(), timer);
		OE_EXPECT_EQ(r, oe_fake_warm_frames(), warm + 3);
		OE_EXPECT_EQ(r, stat("oe_warm_runs"), runs + 3);
		OE_EXPECT_EQ(r, stat("oe_warm_frames"), runs + 3);
	}
	oe_core_exit();
}

/* the frame prepared in the sink is byte for byte the frame the next trigger puts on the wire */
OE_KTEST(warm_frame_is_the_next_order)
{
	tcp::SegmentIn syn;
	OE_EXPECT(r, running_with_book(syn));
	OE_EXPECT_EQ(r, oe_warm(), 1);
	u16 wlen = 0;
	const u8 *w = oe_fake_warm_frame(&wlen);
	OE_EXPECT(r, w != nullptr);
	tcp::SegmentIn s;
	OE_EXPECT(r, wlen > tcp::kOffIp);
	OE_EXPECT_EQ(r, int(tcp::parse_segment(w + tcp::kOffIp, u16(wlen - tcp::kOffIp), s)), int(tcp::ParseError::None));
	OE_EXPECT_EQ(r, s.seq, syn.seq + 1 + kOrderBytes);
	OE_EXPECT_EQ(r, s.data_len, kOrderBytes);
	OrderFields o;
	OE_EXPECT(r, decode_order(s.data, o));
	OE_EXPECT_EQ(r, o.side, 'B');
	OE_EXPECT_EQ(r, o.price, 101 * kOne);
	const u32 before = oe_fake_tx_count();
	feed_md(row(g_row, 20, false, true, 100, 120000002));
	u16 len = 0;
	const u8 *f = oe_fake_tx_frame(before, &len);
	OE_EXPECT(r, f != nullptr);
	OE_EXPECT(r, same_bytes(f, len, w, wlen));
	oe_core_exit();
}

/* the same session with and without warm runs before the second trigger: identical frames */
OE_KTEST(warm_then_fire_sends_identical_frame)
{
	OE_EXPECT(r, second_order_frame(0, 0));
	OE_EXPECT(r, second_order_frame(5, 1));
	OE_EXPECT(r, same_bytes(g_frame[0], g_frame_len[0], g_frame[1], g_frame_len[1]));
	oe_core_exit();
}

/* where the fire path stops early, a warm run prepares nothing and still changes nothing */
OE_KTEST(warm_without_a_path_to_the_wire)
{
	oe_core_exit();
	OE_EXPECT_EQ(r, oe_warm(), -19);
	OE_EXPECT_EQ(r, start(), 0);
	OE_EXPECT(r, snapshot_live());
	OE_EXPECT_EQ(r, oe_warm(), 0); /* no book, no symbol yet */
	OE_EXPECT_EQ(r, live_changes(), 0u);
	feed_md(row(g_row, 1, false, true, 100, 1));
	feed_md(row(g_row, 2, false, false, 101, 1));
	OE_EXPECT(r, snapshot_live());
	OE_EXPECT_EQ(r, oe_warm(), 0); /* not Running */
	OE_EXPECT_EQ(r, live_changes(), 0u);
	OE_EXPECT_EQ(r, stat("oe_warm_runs"), 2u);
	OE_EXPECT_EQ(r, stat("oe_warm_frames"), 0u);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	OE_EXPECT_EQ(r, oe_set_kill_switch(1), 0);
	OE_EXPECT(r, snapshot_live());
	OE_EXPECT_EQ(r, oe_warm(), 0); /* the kill switch holds for the shadow too */
	OE_EXPECT_EQ(r, live_changes(), 0u);
	OE_EXPECT_EQ(r, oe_set_kill_switch(0), 0);
	OE_EXPECT_EQ(r, oe_warm(), 1);
	OE_EXPECT_EQ(r, oe_fake_warm_frames(), 1u);
	OE_EXPECT_EQ(r, oe_fake_tx_count(), 2u); /* SYN and the handshake's ACK only */
	oe_core_exit();
}

/* notional mode: the warm row carries the smallest increase that fires */
OE_KTEST(warm_notional_trigger)
{
	oe_config c = test_config();
	c.mode = OE_TRIGGER_NOTIONAL;
	OE_EXPECT_EQ(r, start_with(c), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	feed_md("x,BTC,1,1,false,bid,10234.56,1.5");
	feed_md("x,BTC,1,2,false,ask,10234.57,2");
	OE_EXPECT_EQ(r, oe_warm(), 1);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 0u);
	oe_core_exit();
}

/* the row itself, on the Engine: fires (the threshold + 1e-8, rounded up to a whole unit, keeping the
 * level's decimals), takes the parser's fast path like the feed's rows, leaves the live engine alone */
OE_KTEST(warm_row_fires_on_a_shadow_engine)
{
	static EngineBox live_box, shadow_box;
	const EngineConfig ec = EngineBox::config();
	Engine &live = live_box.make(ec);
	feed(live, "binance,BTCUSDT,1600000000000001,1600000000000001,false,bid,10234.56,1.5");
	feed(live, "binance,BTCUSDT,1600000000000002,1600000000000002,false,ask,10234.57,2");
	u8 buf[Engine::kWarmRowMax];
	const u16 n = live.warm_row(buf, sizeof(buf));
	const char *want = "binance,BTCUSDT,1600000000000002,1600000000000002,false,bid,10234.56,50000002.5";
	OE_EXPECT(r, same_bytes(buf, n, bytes(want), cstr_len(want)));
	/* the live path parses a trigger with parse_usual_keyed: so must the warm run, or the fast path's
	 * code is cold when the trigger comes (an amount of 17 bytes, "50000001.50000001", is refused) */
	md::Row row;
	md::SeqKey key;
	OE_EXPECT(r, md::parse_usual_keyed(buf, n, cstr_len("binance,BTCUSDT,"), row, key));
	OE_EXPECT_EQ(r, row.amount, 5000000250000000ll);
	Engine &shadow = shadow_box.make(Engine::warm_config(ec));
	shadow.clone_for_warm(live);
	const u64 rows = live.counter(EngineCounter::md_rows);
	const Decision d = shadow.on_packet(buf, n);
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.side, 'B');
	OE_EXPECT_EQ(r, d.price, 1023457000000ll);
	OE_EXPECT_EQ(r, d.seq, 1600000000000002ull);
	OE_EXPECT_EQ(r, live.counter(EngineCounter::md_rows), rows);
	OE_EXPECT_EQ(r, live.bids().size_at(0), 150000000ll);
	OE_EXPECT_EQ(r, live.counter(EngineCounter::seq_dups), 0u);
	OE_EXPECT_EQ(r, shadow.counter(EngineCounter::seq_dups), 1u);
	static EngineBox empty_box;
	OE_EXPECT_EQ(r, empty_box.make(ec).warm_row(buf, sizeof(buf)), 0); /* no book, no row */
	OE_EXPECT_EQ(r, live.warm_row(buf, 100), 0);                       /* buffer too small */
}

OE_KTEST_SUITE(strategy_warm, warm_leaves_live_state_identical, warm_frame_is_the_next_order,
	       warm_then_fire_sends_identical_frame, warm_without_a_path_to_the_wire, warm_notional_trigger,
	       warm_row_fires_on_a_shadow_engine);
