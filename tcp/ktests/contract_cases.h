/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_contract: the continuation contract of tcp::Client (docs/continuations.md). */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"

namespace {

/* What the client looked like from inside the continuation. */
struct Seen {
	World *w;
	Event e;
	State state;
	u32 rcv_nxt, snd_wnd;
	u64 timer;
	u32 frames;
	bool reconnect; /* on Closed/Reset: connect again from inside the continuation */
	ConnectResult reconnect_result;
};

void look(void *ctx, Event e)
{
	Seen &s = *static_cast<Seen *>(ctx);
	s.e = e;
	s.state = s.w->c.state();
	s.rcv_nxt = s.w->c.rcv_nxt();
	s.snd_wnd = s.w->c.snd_wnd();
	s.timer = s.w->port().timer;
	s.frames = s.w->port().sent;
	if (s.reconnect && (e == Event::Closed || e == Event::Reset))
		s.reconnect_result = s.w->c.connect(s.w->k());
}

Seen &watch(World &w)
{
	alignas(8) static Seen seen;
	seen = Seen{};
	seen.w = &w;
	w.rec.hook = look;
	w.rec.ctx = &seen;
	return seen;
}

} // namespace

/* Data and FIN in one segment: the continuation (woken by the data) runs after the FIN was taken too:
 * it sees LAST-ACK and RCV.NXT past the FIN, not the half-processed segment. */
OE_KTEST(continuation_runs_after_the_whole_segment)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	Seen &seen = watch(w);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	const u8 d[3] = { 'b', 'y', 'e' };
	w.peer(ACK | PSH | FIN, w.peer_nxt, w.c.snd_nxt(), d, 3);
	OE_EXPECT(r, seen.e == Event::Data);
	OE_EXPECT(r, seen.state == State::LastAck);
	OE_EXPECT_EQ(r, seen.rcv_nxt, w.peer_nxt + 4);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::PeerClosed); /* the FIN came while nothing was parked */
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
}

/* Established fires after the data on the SYN-ACK went to the sink and was acknowledged. */
OE_KTEST(established_fires_after_synack_data)
{
	World &w = fresh_world();
	Seen &seen = watch(w);
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::Parked);
	SegmentIn syn;
	OE_EXPECT(r, w.sent(syn));
	const u8 hello[5] = { 'h', 'e', 'l', 'l', 'o' };
	const u32 frames0 = w.port().sent;
	w.peer(SYN | ACK, w.peer_iss, syn.seq + 1, hello, 5, 30000, 1460);
	OE_EXPECT(r, seen.e == Event::Established);
	OE_EXPECT_EQ(r, seen.rcv_nxt, w.peer_iss + 6);
	OE_EXPECT_EQ(r, seen.snd_wnd, 30000u);
	OE_EXPECT_EQ(r, seen.frames, frames0 + 1); /* the ACK is out before the continuation runs */
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::DataReady);
}

/* Timers are updated before the continuation runs: an ACK of everything stops the RTO first. */
OE_KTEST(continuation_sees_timers_updated)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13] = {};
	OE_EXPECT(r, w.c.send_order(o, 13));
	OE_EXPECT(r, w.port().timer != 0);
	Seen &seen = watch(w);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	const u8 d[2] = { 1, 2 };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 2); /* acknowledges the order, carries data */
	OE_EXPECT(r, seen.e == Event::Data);
	OE_EXPECT_EQ(r, seen.timer, 0u);
}

/* A continuation that reconnects at once (on Closed from TIME-WAIT) gets a fresh connection: nothing
 * of the old segment (its window, its ACK) leaks into the new TCB, and the SYN is the last frame. */
OE_KTEST(reconnect_from_continuation_starts_clean)
{
	World &w = fresh_world();
	Config c = test_config();
	c.local_port = 40005;
	OE_EXPECT(r, w.c.init(c));
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	Seen &seen = watch(w);
	seen.reconnect = true;
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1, nullptr, 0, 1234); /* FIN-WAIT-1 -> TIME-WAIT, window 1234 */
	OE_EXPECT(r, seen.e == Event::Closed);
	OE_EXPECT(r, seen.state == State::TimeWait);
	OE_EXPECT(r, seen.reconnect_result == ConnectResult::Parked);
	OE_EXPECT(r, w.c.state() == State::SynSent);
	OE_EXPECT_EQ(r, w.c.snd_wnd(), 0u);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, SYN);
	OE_EXPECT_EQ(r, s.seq, w.c.iss());
	OE_EXPECT(r, w.c.invariants_hold());
}

/* News that found nothing parked is reported by recv(), oldest first; then the end. */
OE_KTEST(recv_reports_news_in_order)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u8 d[2] = { 1, 2 };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 2);
	w.peer(ACK | FIN, w.peer_nxt + 2, w.c.snd_nxt());
	OE_EXPECT(r, w.c.state() == State::LastAck);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::DataReady);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::PeerClosed);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::SlotBusy);
	SegmentIn ourfin;
	OE_EXPECT(r, w.sent(ourfin));
	w.peer(ACK, w.peer_nxt + 3, ourfin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 2u); /* Established, Closed */
	OE_EXPECT(r, w.rec.events[1] == Event::Closed);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::NotOpen);
	OE_EXPECT_EQ(r, w.c.stats()[StatContEmptyFires], 0u);
}

OE_KTEST(connect_results_say_why)
{
	alignas(64) static u8 mem[sizeof(TestClient)];
	TestClient *bare = new (mem) TestClient();
	Record rec{};
	OE_EXPECT(r, bare->connect(RecordK{ &rec }) == ConnectResult::Unconfigured);
	World &w = fresh_world();
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::Parked);
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::NotClosed);
	OE_EXPECT_EQ(r, w.rec.n, 0u);
}

/* The slot: typed, occupied once, an empty fire is counted (never silent). */
OE_KTEST(slot_counts_empty_fire_and_refused_arm)
{
	alignas(8) static ContinuationSlot<Event, RecordK> slot;
	new (&slot) ContinuationSlot<Event, RecordK>();
	Record rec{};
	OE_EXPECT(r, !slot.fire(Event::Data));
	OE_EXPECT_EQ(r, slot.empty_fires(), 1u);
	OE_EXPECT(r, slot.arm(RecordK{ &rec }));
	OE_EXPECT(r, !slot.arm(RecordK{ &rec }));
	OE_EXPECT_EQ(r, slot.refused(), 1u);
	OE_EXPECT(r, slot.fire(Event::Data));
	OE_EXPECT(r, !slot.fire(Event::Data));
	OE_EXPECT_EQ(r, slot.empty_fires(), 2u);
	OE_EXPECT_EQ(r, rec.n, 1u);
	OE_EXPECT(r, slot.arm(RecordK{ &rec })); /* a second wait re-creates the payload in place */
	OE_EXPECT(r, slot.fire(Event::Closed));
	OE_EXPECT(r, rec.events[1] == Event::Closed);
	OE_EXPECT_EQ(r, slot.fired(), 2u);
}

OE_KTEST_SUITE(tcp_contract, continuation_runs_after_the_whole_segment, established_fires_after_synack_data,
	       continuation_sees_timers_updated, reconnect_from_continuation_starts_clean, recv_reports_news_in_order,
	       connect_results_say_why, slot_counts_empty_fire_and_refused_arm);
