/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_timers: the one platform timer (TIME-WAIT, kick, persist, RTO after a window shrink, loss probe). */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"

namespace {

void timer_order(World &w, u32 n)
{
	u8 o[13];
	put_le32(o, n);
	put_le64(o + 4, u64(n) * 100);
	o[12] = 'B';
	w.c.send_order(o, 13);
}

} // namespace

/* CLOSING -> TIME-WAIT while a kick (TX ring full) is pending: the kick must not survive into TIME-WAIT,
 * where transmit_pending() returns at once and a stale kick deadline re-fired the timer on a past
 * deadline for the whole TIME-WAIT. */
OE_KTEST(time_wait_after_kick_arms_only_time_wait)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	OE_EXPECT_EQ(r, fin.flags, FIN | ACK);
	w.peer(FIN | ACK, w.peer_nxt, fin.seq); /* their FIN crosses ours: CLOSING */
	OE_EXPECT(r, w.c.state() == State::Closing);
	w.port().ring_full = true;
	w.advance(w.c.rto_ns()); /* our FIN is resent; no TX buffer: a kick is scheduled */
	OE_EXPECT(r, w.c.stats()[StatTxBusy] > 0);
	w.peer(ACK, w.peer_nxt + 1, fin.seq + 1); /* the original FIN got through after all */
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	w.port().ring_full = false;
	const u64 entered = w.port().now;
	for (int i = 0; i < 5; i++)
		w.advance(100000); /* past the kick deadline */
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	OE_EXPECT_EQ(r, w.port().timer, entered + w.c.config().time_wait_ns); /* only TIME-WAIT is armed */
	w.advance(w.c.config().time_wait_ns);
	OE_EXPECT(r, w.c.state() == State::Closed); /* the one-shot timer fired there; nothing re-armed it */
}

/* Zero-window probes that go unanswered are not congestion: cwnd and the RTO stay as they were, the
 * probe interval itself backs off (RFC 1122 §4.2.2.17). */
OE_KTEST(persist_probes_keep_cwnd_and_rto)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(0));
	const u64 cwnd0 = w.c.stats()[StatCwnd], rto0 = w.c.rto_ns();
	const u32 base = w.c.snd_nxt();
	timer_order(w, 42);
	const u32 sent0 = w.port().sent;
	w.advance(rto0); /* first probe */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	w.advance(2 * rto0); /* unanswered: the second probe comes after twice the interval */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 2);
	w.advance(4 * rto0 - 1);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 2);
	w.advance(1);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 3);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base); /* the same probe octet again */
	OE_EXPECT_EQ(r, s.data_len, 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatWindowProbes], 3u);
	OE_EXPECT_EQ(r, w.c.stats()[StatCwnd], cwnd0);
	OE_EXPECT_EQ(r, w.c.rto_ns(), rto0);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 0u);
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 1000); /* the window opens: the whole order at once */
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, w.c.stats()[StatCwnd], cwnd0);
}

/* The peer shrinks its window to zero while everything is in flight: the first RTO must put a segment
 * on the wire (a probe from SND.UNA), not wait another RTO. */
OE_KTEST(first_rto_after_window_shrink_sends)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 3; i++)
		timer_order(w, i);
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 0); /* nothing acknowledged, window 0 */
	OE_EXPECT_EQ(r, w.c.snd_wnd(), 0u);
	const u32 sent0 = w.port().sent;
	w.advance(w.c.rto_ns());
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT(r, s.data_len >= 1);
	w.peer(ACK, w.peer_nxt, base + s.data_len, nullptr, 0, 1000);
	w.peer(ACK, w.peer_nxt, base + 39, nullptr, 0, 1000);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT(r, w.c.invariants_hold());
}

OE_KTEST_SUITE(tcp_timers, time_wait_after_kick_arms_only_time_wait, persist_probes_keep_cwnd_and_rto,
	       first_rto_after_window_shrink_sends);
