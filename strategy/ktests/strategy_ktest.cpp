// SPDX-License-Identifier: GPL-2.0
/* Strategy state machine (Init -> OEConnect -> Running -> Init) over a scripted order entry, and the
 * continuation slot's invariants (never fired twice, never fired unarmed, re-arm from inside). */
#include "oe/continuation.h"
#include "oe/ktest.h"
#include "oe/strategy.h"
#include "fake_order_entry.h"
#include "ktest_util.h"

using namespace oe;
using tcp::Event;

namespace {

using Strat = Strategy<kt::FakeOrderEntry>;

struct StrategyBox {
	alignas(Strat) u8 mem[sizeof(Strat)];
	Level levels[2 * kt::EngineBox::kCap];
	Strat &make(u32 max_rate = 0)
	{
		return *new (mem) Strat(kt::EngineBox::config(), levels, max_rate);
	}
};
StrategyBox g_box;
char g_row[128];
u64 g_now = 0;
u64 clock() { return g_now; }

constexpr u64 kT = 50000000;

void md(Strat &s, const char *row) { s.on_md(kt::bytes(row), kt::cstr_len(row), clock); }
/* two-sided book 100/101, then a bid surge at 100 of +2*kT per call */
void book(Strat &s)
{
	md(s, kt::row(g_row, 1, false, true, 100, 1));
	md(s, kt::row(g_row, 2, false, false, 101, 1));
}
u64 g_surge = 1;
void surge(Strat &s, u64 seq)
{
	g_surge += 2 * kT;
	md(s, kt::row(g_row, seq, false, true, 100, g_surge));
}

Strat &running(u32 max_rate = 0)
{
	Strat &s = g_box.make(max_rate);
	g_surge = 1;
	book(s);
	s.start_connect();
	s.order_entry().deliver(Event::Established);
	return s;
}

} // namespace

OE_KTEST(sm_connect_to_running)
{
	Strat &s = g_box.make();
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT(r, s.start_connect());
	OE_EXPECT(r, s.state() == StrategyState::OEConnect);
	OE_EXPECT(r, s.order_entry().slot.armed());
	OE_EXPECT(r, !s.start_connect()); /* already connecting */
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::connect_ignored), 1u);
	OE_EXPECT(r, s.order_entry().deliver(Event::Established));
	OE_EXPECT(r, s.state() == StrategyState::Running);
	OE_EXPECT(r, s.order_entry().slot.armed()); /* now parked in recv */
	OE_EXPECT_EQ(r, s.order_entry().recvs, 1u);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::established), 1u);
}

OE_KTEST(sm_connect_failure_back_to_init)
{
	Strat &s = g_box.make();
	s.start_connect();
	OE_EXPECT(r, s.order_entry().deliver(Event::Failed));
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::connect_failures), 1u);
	OE_EXPECT(r, !s.order_entry().slot.armed());
	s.order_entry().refuse_connect = true;
	OE_EXPECT(r, !s.start_connect());
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::connect_refused), 1u);
	s.order_entry().refuse_connect = false;
	OE_EXPECT(r, s.start_connect());
	OE_EXPECT(r, s.order_entry().deliver(Event::Reset));
	OE_EXPECT(r, s.state() == StrategyState::Init);
}

OE_KTEST(sm_order_only_when_running)
{
	Strat &s = g_box.make();
	g_surge = 1;
	book(s);
	surge(s, 3);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_not_running), 1u);
	OE_EXPECT_EQ(r, s.order_entry().orders, 0u);
	s.start_connect();
	surge(s, 4); /* OEConnect: still no order */
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_not_running), 2u);
	s.order_entry().deliver(Event::Established);
	surge(s, 5);
	OE_EXPECT_EQ(r, s.order_entry().orders, 1u);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_sent), 1u);
	OrderFields o;
	OE_EXPECT(r, decode_order(s.order_entry().last_order, o));
	OE_EXPECT_EQ(r, o.side, 'B');
	OE_EXPECT_EQ(r, o.price, 101 * kt::kOne);
	OE_EXPECT_EQ(r, o.qty, 1u);
	/* the 13 bytes on the wire, little-endian */
	const u8 *m = s.order_entry().last_order;
	OE_EXPECT_EQ(r, m[0], 1);
	OE_EXPECT_EQ(r, m[1] | m[2] | m[3], 0);
	OE_EXPECT_EQ(r, get_le64(m + 4), u64(10100000000ull));
	OE_EXPECT_EQ(r, m[12], 'B');
}

OE_KTEST(sm_data_keeps_waiting_and_peer_close)
{
	Strat &s = running();
	OE_EXPECT(r, s.order_entry().deliver(Event::Data));
	OE_EXPECT(r, s.state() == StrategyState::Running);
	OE_EXPECT(r, s.order_entry().slot.armed());
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::rx_data), 1u);
	/* data already pending when we re-park: consumed, and we park again */
	s.order_entry().data_pending = true;
	OE_EXPECT(r, s.order_entry().deliver(Event::Data));
	OE_EXPECT(r, s.order_entry().slot.armed());
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::rx_data), 3u);
	/* FIN from the peer: we close and wait for the end */
	OE_EXPECT(r, s.order_entry().deliver(Event::PeerClosed));
	OE_EXPECT(r, s.state() == StrategyState::Disconnecting);
	OE_EXPECT_EQ(r, s.order_entry().closes, 1u);
	OE_EXPECT(r, s.order_entry().slot.armed());
	OE_EXPECT(r, s.order_entry().deliver(Event::Closed));
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::disconnects), 1u);
}

OE_KTEST(sm_reset_while_running)
{
	Strat &s = running();
	OE_EXPECT(r, s.order_entry().deliver(Event::Reset));
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::conn_lost), 1u);
	surge(s, 10);
	OE_EXPECT_EQ(r, s.order_entry().orders, 0u);
	/* and we can connect again */
	OE_EXPECT(r, s.start_connect());
	s.order_entry().deliver(Event::Established);
	surge(s, 11);
	OE_EXPECT_EQ(r, s.order_entry().orders, 1u);
}

OE_KTEST(sm_requested_disconnect)
{
	Strat &s = running();
	s.start_disconnect();
	OE_EXPECT(r, s.state() == StrategyState::Disconnecting);
	surge(s, 20);
	OE_EXPECT_EQ(r, s.order_entry().orders, 0u);
	OE_EXPECT(r, s.order_entry().deliver(Event::Closed));
	OE_EXPECT(r, s.state() == StrategyState::Init);
	/* disconnect while connecting: the close ends the attempt at once */
	s.order_entry().close_is_immediate = true;
	s.start_connect();
	s.start_disconnect();
	OE_EXPECT(r, s.state() == StrategyState::Init);
	OE_EXPECT(r, !s.order_entry().slot.armed());
	s.start_disconnect(); /* in Init: nothing */
	OE_EXPECT(r, s.state() == StrategyState::Init);
}

OE_KTEST(sm_stale_continuation_ignored)
{
	Strat &s = running();
	Strat::Resume old{ &s, 0 }; /* a continuation from before the connect */
	old(Event::Reset);
	OE_EXPECT(r, s.state() == StrategyState::Running);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::stale_continuations), 1u);
}

OE_KTEST(sm_kill_switch_and_rate_limit)
{
	Strat &s = running(2);
	g_now = 1000;
	surge(s, 30);
	surge(s, 31);
	surge(s, 32); /* third in the same second */
	OE_EXPECT_EQ(r, s.order_entry().orders, 2u);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_rate_limited), 1u);
	g_now += Safety::kWindowNs;
	surge(s, 33);
	OE_EXPECT_EQ(r, s.order_entry().orders, 3u);
	s.set_kill_switch(true);
	g_now += Safety::kWindowNs;
	surge(s, 34);
	OE_EXPECT_EQ(r, s.order_entry().orders, 3u);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_killed), 1u);
	s.set_kill_switch(false);
	surge(s, 35);
	OE_EXPECT_EQ(r, s.order_entry().orders, 4u);
	s.order_entry().refuse_orders = true;
	surge(s, 36);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_send_failed), 1u);
	OE_EXPECT_EQ(r, s.counter(StrategyCounter::orders_sent), 4u);
}

OE_KTEST(sm_counter_names)
{
	OE_EXPECT_EQ(r, kt::cstr_len(strategy_counter_name(0)), kt::cstr_len("oe_orders_sent"));
	OE_EXPECT(r, strategy_counter_name(kStrategyCounterCount) == nullptr);
	for (u32 i = 0; i < kStrategyCounterCount; i++)
		OE_EXPECT(r, strategy_counter_name(i)[0] == 'o' && strategy_counter_name(i)[2] == '_');
}

/* ---- the continuation slot itself ---------------------------------------------------------------- */

struct Probe {
	u32 fired = 0;
	Event last = Event::Closed;
};
struct Recorder {
	Probe *p;
	void operator()(Event e) const { p->fired++, p->last = e; }
};
struct Rearmer; /* re-arms its own slot from inside the continuation */
using RearmSlot = ContinuationSlot<Event, Rearmer>;
struct Rearmer {
	RearmSlot *slot;
	Probe *p;
	void operator()(Event e) const
	{
		p->fired++, p->last = e;
		if (p->fired < 3)
			slot->arm(*this);
	}
};

OE_KTEST(slot_never_fired_unarmed)
{
	Probe p;
	ContinuationSlot<Event, Recorder> slot;
	OE_EXPECT(r, !slot.armed());
	OE_EXPECT(r, !slot.fire(Event::Data));
	OE_EXPECT_EQ(r, p.fired, 0u);
	OE_EXPECT_EQ(r, slot.spurious(), 1u);
	OE_EXPECT(r, !slot.cancel());
}

OE_KTEST(slot_fires_once)
{
	Probe p;
	ContinuationSlot<Event, Recorder> slot;
	OE_EXPECT(r, slot.arm(Recorder{ &p }));
	OE_EXPECT(r, !slot.arm(Recorder{ &p })); /* occupied: refused */
	OE_EXPECT_EQ(r, slot.refused(), 1u);
	OE_EXPECT(r, slot.fire(Event::Established));
	OE_EXPECT(r, !slot.fire(Event::Established)); /* never twice */
	OE_EXPECT_EQ(r, p.fired, 1u);
	OE_EXPECT(r, p.last == Event::Established);
	OE_EXPECT_EQ(r, slot.fired(), 1u);
	OE_EXPECT(r, slot.arm(Recorder{ &p }));
	OE_EXPECT(r, slot.cancel());
	OE_EXPECT(r, !slot.fire(Event::Data)); /* cancelled: not run */
	OE_EXPECT_EQ(r, p.fired, 1u);
}

OE_KTEST(slot_rearm_from_inside)
{
	Probe p;
	RearmSlot slot;
	OE_EXPECT(r, slot.arm(Rearmer{ &slot, &p }));
	OE_EXPECT(r, slot.fire(Event::Data));
	OE_EXPECT(r, slot.armed());
	OE_EXPECT(r, slot.fire(Event::Data));
	OE_EXPECT(r, slot.fire(Event::PeerClosed));
	OE_EXPECT(r, !slot.armed());
	OE_EXPECT(r, !slot.fire(Event::Data));
	OE_EXPECT_EQ(r, p.fired, 3u);
	OE_EXPECT(r, p.last == Event::PeerClosed);
}

OE_KTEST_SUITE(strategy_state_machine, sm_connect_to_running, sm_connect_failure_back_to_init,
	       sm_order_only_when_running, sm_data_keeps_waiting_and_peer_close, sm_reset_while_running,
	       sm_requested_disconnect, sm_stale_continuation_ignored, sm_kill_switch_and_rate_limit,
	       sm_counter_names, slot_never_fired_unarmed, slot_fires_once, slot_rearm_from_inside);
