// SPDX-License-Identifier: GPL-2.0
/* Trigger and engine edge cases: rank 4 vs 5, threshold vs threshold+1, cancel, snapshot, empty other
 * side, crossed/locked book, notional mode, sequence counters, symbol filter, full book. */
#include "oe/engine.h"
#include "oe/ktest.h"
#include "ktest_util.h"

using namespace oe;
using kt::feed;

namespace {

kt::EngineBox g_box;
char g_row[128];

constexpr u64 kT = 50000000; /* default threshold, whole units */

/* Book with bids 100,99,...,(100-n+1) and asks 101,...(101+n-1), size 1 each; seq starts at 1. */
Engine &ladder(u32 n, EngineConfig c = kt::EngineBox::config())
{
	Engine &e = g_box.make(c);
	for (u32 i = 0; i < n; i++) {
		feed(e, kt::row(g_row, 1 + i, false, true, 100 - i, 1));
		feed(e, kt::row(g_row, 1 + i, false, false, 101 + i, 1));
	}
	return e;
}
Decision upd(Engine &e, u64 seq, bool bid, u64 price, u64 amount)
{
	return feed(e, kt::row(g_row, seq, false, bid, price, amount));
}

} // namespace

OE_KTEST(trigger_rank4_fires_rank5_not)
{
	Engine &e = ladder(8);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::decisions), 0u);
	Decision d = upd(e, 100, true, 96, kT + 2); /* rank 4: 100,99,98,97,[96] */
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.side, 'B');
	OE_EXPECT_EQ(r, d.price, 101 * kt::kOne);
	OE_EXPECT_EQ(r, d.qty, 1u);
	OE_EXPECT_EQ(r, d.seq, 100u);
	d = upd(e, 101, true, 95, kT + 2); /* rank 5 */
	OE_EXPECT(r, !d.fire);
	d = upd(e, 102, false, 105, kT + 2); /* ask rank 4 sells at best bid */
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.side, 'S');
	OE_EXPECT_EQ(r, d.price, 100 * kt::kOne);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::decisions), 2u);
}

OE_KTEST(trigger_threshold_is_strict)
{
	Engine &e = ladder(3);
	/* existing size 1: increase of exactly kT does not fire, kT + 1e-8 does */
	Decision d = feed(e, "x,BTC,1,50,false,bid,100,50000001");
	OE_EXPECT(r, !d.fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::triggers), 0u);
	d = feed(e, "x,BTC,1,51,false,bid,99,50000001.00000001");
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::triggers), 1u);
}

OE_KTEST(trigger_rank_is_after_update)
{
	Engine &e = ladder(5); /* bids 100..96 */
	/* new level 96.5 lands at rank 4 (pushing 96 to rank 5): counts from size 0 */
	Decision d = feed(e, "x,BTC,1,60,false,bid,96.5,50000000.1");
	OE_EXPECT(r, d.fire);
	/* new level 95.5 lands at rank 6: no */
	d = feed(e, "x,BTC,1,61,false,bid,95.5,90000000");
	OE_EXPECT(r, !d.fire);
	/* new best level fires at rank 0 */
	d = feed(e, "x,BTC,1,62,false,bid,100.5,90000000");
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.price, 101 * kt::kOne);
}

OE_KTEST(trigger_not_on_decrease_cancel_snapshot)
{
	Engine &e = ladder(3);
	OE_EXPECT(r, upd(e, 70, true, 100, 2 * kT).fire);
	OE_EXPECT(r, !upd(e, 71, true, 100, kT).fire);    /* decrease */
	OE_EXPECT(r, !upd(e, 72, true, 100, 0).fire);     /* cancel */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::book_cancels), 1u);
	OE_EXPECT(r, !upd(e, 73, true, 100, 0).fire);     /* cancel of a missing level */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::book_cancel_unknown), 1u);
	/* snapshot rows never trigger (and start a fresh book) */
	OE_EXPECT(r, !feed(e, kt::row(g_row, 74, true, false, 101, 1)).fire);
	OE_EXPECT(r, !feed(e, kt::row(g_row, 75, true, true, 100, 3 * kT)).fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::snapshot_resets), 1u);
	OE_EXPECT_EQ(r, e.bids().size(), 1u);
	OE_EXPECT_EQ(r, e.asks().size(), 1u);
	/* the first incremental row after the snapshot can */
	OE_EXPECT(r, upd(e, 76, true, 100, 7 * kT).fire);
}

OE_KTEST(trigger_empty_other_side)
{
	Engine &e = g_box.make(kt::EngineBox::config());
	OE_EXPECT(r, !upd(e, 1, true, 100, 2 * kT).fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::triggers), 1u);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::trigger_no_other_side), 1u);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::decisions), 0u);
}

OE_KTEST(trigger_crossed_and_locked)
{
	Engine &e = ladder(2); /* 100/101 */
	upd(e, 10, false, 100, 1);  /* locked: best ask 100 == best bid 100 */
	Decision d = upd(e, 11, true, 99, 2 * kT);
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.price, 100 * kt::kOne);
	upd(e, 12, false, 99, 1);   /* crossed: ask 99 < bid 100 */
	d = upd(e, 13, true, 100, 2 * kT);
	OE_EXPECT(r, !d.fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::trigger_crossed), 1u);
}

OE_KTEST(trigger_notional_mode)
{
	EngineConfig c = kt::EngineBox::config();
	c.mode = OE_TRIGGER_NOTIONAL;
	Engine &e = ladder(2, c);
	/* $100 x 10000 = $1,000,000: not more than the threshold; one more unit is */
	OE_EXPECT(r, !upd(e, 20, true, 100, 10001).fire);
	OE_EXPECT(r, upd(e, 21, true, 100, 20002).fire); /* +10001 at $100 */
	/* huge price x huge size must not overflow into a wrong answer */
	OE_EXPECT(r, feed(e, "x,BTC,1,22,false,ask,92233720368,92233720368").fire);
}

OE_KTEST(trigger_configurable_levels_threshold_qty)
{
	EngineConfig c = kt::EngineBox::config();
	c.levels = 1;
	c.size_threshold = 10 * kt::kOne;
	c.order_qty = 7;
	Engine &e = ladder(3, c);
	OE_EXPECT(r, !upd(e, 30, true, 99, 12).fire); /* rank 1 */
	Decision d = upd(e, 31, true, 100, 12);       /* rank 0, +11 */
	OE_EXPECT(r, d.fire);
	OE_EXPECT_EQ(r, d.qty, 7u);
}

OE_KTEST(engine_sequence_counters)
{
	Engine &e = ladder(2); /* seqs 1,1,2,2: two duplicates */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::seq_dups), 2u);
	OE_EXPECT(r, !upd(e, 1, true, 100, 3 * kT).fire); /* backwards: applied, never triggers */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::seq_gaps), 1u);
	OE_EXPECT_EQ(r, e.bids().size_at(0), i64(3 * kT) * kt::kOne);
	OE_EXPECT(r, upd(e, 9, true, 99, 3 * kT).fire);
	OE_EXPECT(r, upd(e, 9, true, 98, 3 * kT).fire); /* duplicate seq: a batch, still live */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::seq_dups), 3u);
}

/* The lab's exchange replays its file from the start on every connection: snapshot rows with an
 * earlier local_timestamp start a new book AND a new sequence, so the replayed session triggers. */
OE_KTEST(engine_snapshot_restarts_sequence)
{
	Engine &e = g_box.make(kt::EngineBox::config());
	feed(e, kt::row(g_row, 1, true, true, 100, 1));
	feed(e, kt::row(g_row, 1, true, false, 101, 1));
	OE_EXPECT(r, upd(e, 5, true, 100, 3 * kT).fire);
	upd(e, 900, true, 99, 1);
	/* session 2 */
	feed(e, kt::row(g_row, 1, true, true, 100, 1));
	feed(e, kt::row(g_row, 1, true, false, 101, 1));
	OE_EXPECT_EQ(r, e.counter(EngineCounter::seq_gaps), 0u);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::snapshot_resets), 1u);
	OE_EXPECT_EQ(r, e.bids().size(), 1u);
	OE_EXPECT(r, upd(e, 5, true, 100, 3 * kT).fire);
	/* within a session, going backwards is still late */
	OE_EXPECT(r, !upd(e, 4, true, 100, 9 * kT).fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::seq_gaps), 1u);
}

OE_KTEST(engine_symbol_filter)
{
	EngineConfig c = kt::EngineBox::config();
	c.symbol[0] = 'E', c.symbol[1] = 'T', c.symbol[2] = 'H', c.symbol[3] = 0;
	Engine &e = g_box.make(c);
	feed(e, kt::row(g_row, 1, false, false, 101, 1, "ETH"));
	OE_EXPECT(r, !feed(e, kt::row(g_row, 2, false, true, 100, 3 * kT, "BTC")).fire);
	OE_EXPECT(r, !feed(e, kt::row(g_row, 3, false, true, 100, 3 * kT, "ETHX")).fire);
	OE_EXPECT(r, !feed(e, kt::row(g_row, 4, false, true, 100, 3 * kT, "ETG")).fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::md_other_symbol), 3u);
	OE_EXPECT(r, feed(e, kt::row(g_row, 5, false, true, 100, 3 * kT, "ETH")).fire);
	/* empty symbol: the first one seen is adopted */
	Engine &f = g_box.make(kt::EngineBox::config());
	feed(f, kt::row(g_row, 1, false, false, 101, 1, "SOLUSDT-PERPETUAL-LONG"));
	OE_EXPECT(r, !feed(f, kt::row(g_row, 2, false, true, 100, 3 * kT, "BTC")).fire);
	OE_EXPECT(r, feed(f, kt::row(g_row, 3, false, true, 100, 3 * kT, "SOLUSDT-PERPETUAL-LONG")).fire);
}

/* After the first row the engine knows "ex,BTC," and skips scanning it; everything else must still be
 * checked exactly as on the general path. */
OE_KTEST(engine_learned_prefix_edges)
{
	Engine &e = g_box.make(kt::EngineBox::config());
	OE_EXPECT(r, !feed(e, "ex,BTC,1600000000000000,1600000000000001,false,ask,101,1").fire);
	OE_EXPECT(r, feed(e, "ex,BTC,1600000000000000,1600000000000002,false,bid,100,50000001").fire);
	feed(e, "ex,BTC,1600000000000000,1600000000000003,false,buy,100,90000000");
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::BadSide), 1u);
	feed(e, "ex,BTC,1600000000000000,1600000000000003,false,bid,100,90000000,7");
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::ExtraFields), 1u);
	feed(e, "ex,BTC,16000000000000x0,1600000000000003,false,bid,100,90000000");
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::NonDigit), 1u);
	feed(e, "ex,BTC,");
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::Short), 1u);
	OE_EXPECT(r, !feed(e, "ex,BTCX,1600000000000000,1600000000000004,false,bid,100,99000000").fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::md_other_symbol), 1u);
	/* same symbol from another exchange name, and short timestamps: the general path, same rules */
	OE_EXPECT(r, feed(e, "ey,BTC,1600000000000000,1600000000000005,false,bid,99,60000000").fire);
	OE_EXPECT(r, feed(e, "ex,BTC,1,1600000000000006,true,bid,99,1\r\n").fire == false);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::snapshot_rows), 1u);
	OE_EXPECT_EQ(r, e.parse_drops_total(), 4u);
}

OE_KTEST(engine_full_book_evicts_and_drops)
{
	EngineConfig c = kt::EngineBox::config(4);
	c.levels = 2;
	OE_EXPECT(r, engine_config_valid(c));
	Engine &e = g_box.make(c);
	for (u64 p = 100; p > 96; p--)
		upd(e, 1, true, p, 1);
	OE_EXPECT_EQ(r, e.bids().size(), 4u);
	upd(e, 2, true, 90, 1); /* worse than all: dropped */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::book_full_drops), 1u);
	upd(e, 3, true, 98, 0); /* frees a slot */
	upd(e, 4, true, 101, 5); /* better: inserted */
	upd(e, 5, true, 99, 0);
	upd(e, 6, true, 99, 1);
	upd(e, 7, true, 102, 1); /* full again: evicts 97 */
	OE_EXPECT_EQ(r, e.counter(EngineCounter::book_evictions), 1u);
	OE_EXPECT_EQ(r, e.bids().size(), 4u);
	OE_EXPECT_EQ(r, e.bids().price_at(0), 102 * kt::kOne);
	OE_EXPECT_EQ(r, e.bids().price_at(3), 99 * kt::kOne);
	OE_EXPECT_EQ(r, e.bids().size_at(1), 5 * kt::kOne);
}

OE_KTEST(engine_config_validation)
{
	EngineConfig c = kt::EngineBox::config();
	OE_EXPECT(r, engine_config_valid(c));
	c.levels = 0;
	OE_EXPECT(r, !engine_config_valid(c));
	c = kt::EngineBox::config(4);
	c.levels = 5; /* a level that could trigger must never be dropped for lack of room */
	OE_EXPECT(r, !engine_config_valid(c));
	c = kt::EngineBox::config();
	c.order_qty = 0;
	OE_EXPECT(r, !engine_config_valid(c));
	c = kt::EngineBox::config();
	c.mode = 7;
	OE_EXPECT(r, !engine_config_valid(c));
	c = kt::EngineBox::config();
	c.size_threshold = -1;
	OE_EXPECT(r, !engine_config_valid(c));
	c = kt::EngineBox::config();
	c.book_capacity = 0;
	OE_EXPECT(r, !engine_config_valid(c));
}

OE_KTEST(engine_malformed_never_acts)
{
	Engine &e = ladder(2);
	u64 rows = e.counter(EngineCounter::md_rows);
	OE_EXPECT(r, !feed(e, "x,BTC,1,9,false,buy,100,90000000").fire);
	OE_EXPECT(r, !feed(e, "x,BTC,1,9,false,bid,100,90000000,1").fire);
	OE_EXPECT(r, !feed(e, "x,BTC,1,9,false,bid,100,900000000000000").fire);
	OE_EXPECT_EQ(r, e.counter(EngineCounter::md_rows), rows);
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::BadSide), 1u);
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::ExtraFields), 1u);
	OE_EXPECT_EQ(r, e.parse_drops(md::ParseError::Overflow), 1u);
	OE_EXPECT_EQ(r, e.parse_drops_total(), 3u);
	OE_EXPECT_EQ(r, e.bids().size_at(0), kt::kOne);
}

OE_KTEST_SUITE(strategy_trigger, trigger_rank4_fires_rank5_not, trigger_threshold_is_strict,
	       trigger_rank_is_after_update, trigger_not_on_decrease_cancel_snapshot, trigger_empty_other_side,
	       trigger_crossed_and_locked, trigger_notional_mode, trigger_configurable_levels_threshold_qty,
	       engine_sequence_counters, engine_snapshot_restarts_sequence, engine_symbol_filter, engine_learned_prefix_edges, engine_full_book_evicts_and_drops, engine_config_validation,
	       engine_malformed_never_acts);
