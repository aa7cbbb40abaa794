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

/* connect with a measured RTT: SYN -> rtt -> SYN-ACK */
static bool establish_rtt(World &w, u64 rtt_ns)
{
	if (w.c.connect(w.k()) != ConnectResult::Parked)
		return false;
	SegmentIn syn;
	if (!w.sent(syn))
		return false;
	w.port().now += rtt_ns;
	w.peer(SYN | ACK, w.peer_iss, syn.seq + 1, nullptr, 0, 65535, 1460);
	w.peer_nxt = w.peer_iss + 1;
	return w.c.state() == State::Established;
}

/* RFC 8985 §7: a lone lost order is resent after 2 SRTT, not after the RTO (rto_min 200 ms). */
OE_KTEST(lost_order_resent_by_loss_probe_after_two_srtt)
{
	World &w = fresh_world();
	OE_EXPECT(r, establish_rtt(w, 3000000)); /* SRTT 3 ms */
	OE_EXPECT_EQ(r, w.c.rto_ns(), 200000000ULL);
	const u32 base = w.c.snd_nxt();
	timer_order(w, 7); /* lost on the way */
	const u32 sent0 = w.port().sent;
	w.advance(6000000 - 1);
	OE_EXPECT_EQ(r, w.port().sent, sent0);
	w.advance(1); /* 2 SRTT */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, get_le32(s.data), 7u);
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 0u);
	w.peer(ACK, w.peer_nxt, base + 13);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 200000000ULL); /* no backoff: it was not an RTO */
	OE_EXPECT(r, w.c.invariants_hold());
}

/* The PTO has a floor (tlp_min_ns): a 100 us SRTT does not probe after 200 us. */
OE_KTEST(loss_probe_floor)
{
	World &w = fresh_world();
	OE_EXPECT(r, establish_rtt(w, 100000));
	timer_order(w, 1);
	const u32 sent0 = w.port().sent;
	w.advance(w.c.config().tlp_min_ns - 1);
	OE_EXPECT_EQ(r, w.port().sent, sent0);
	w.advance(1);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 1u);
}

/* One probe per episode: if it is not answered either, the RTO follows (with its backoff). A burst
 * of small orders is resent whole by the one probe (one MSS from SND.UNA). */
OE_KTEST(one_loss_probe_then_rto)
{
	World &w = fresh_world();
	OE_EXPECT(r, establish_rtt(w, 1000000));
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 3; i++)
		timer_order(w, i);
	w.advance(2000000);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 39);
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 1u);
	const u32 sent1 = w.port().sent;
	w.advance(w.c.rto_ns() - 1); /* no second probe */
	OE_EXPECT_EQ(r, w.port().sent, sent1);
	w.advance(1);
	OE_EXPECT_EQ(r, w.port().sent, sent1 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 1u);
	w.peer(ACK, w.peer_nxt, base + 39);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
}

/* An ACK that makes progress ends the episode: a later loss gets its own probe. */
OE_KTEST(loss_probe_rearmed_by_progress)
{
	World &w = fresh_world();
	OE_EXPECT(r, establish_rtt(w, 1000000));
	const u32 base = w.c.snd_nxt();
	timer_order(w, 0);
	w.advance(2000000); /* probe 1 */
	w.peer(ACK, w.peer_nxt, base + 13);
	timer_order(w, 1); /* lost too */
	w.advance(2000000);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 13);
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 2u);
}

/* Config::tlp = false: the RTO is the only timer (the behaviour before RFC 8985). */
OE_KTEST(loss_probe_off)
{
	World &w = fresh_world();
	Config c = test_config();
	c.tlp = false;
	OE_EXPECT(r, w.c.init(c));
	OE_EXPECT(r, establish_rtt(w, 1000000));
	timer_order(w, 0);
	const u32 sent0 = w.port().sent;
	w.advance(100000000);
	OE_EXPECT_EQ(r, w.port().sent, sent0);
	w.advance(100000000);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 1u);
}

/* The loss probe is lost too: a later order gets through, its ACK does not move SND.UNA; a PTO after
 * the probe that is the sign (RFC 8985 §6.2 without SACK) to resend the head again, not the RTO. */
OE_KTEST(lost_probe_resent_on_dup_ack)
{
	World &w = fresh_world();
	OE_EXPECT(r, establish_rtt(w, 1000000));
	const u32 base = w.c.snd_nxt();
	timer_order(w, 0);    /* lost */
	w.advance(2000000);   /* probe, lost as well */
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 1u);
	w.advance(1000000);
	timer_order(w, 1);    /* gets through: the peer answers with ACK = base */
	w.advance(1000000);
	const u32 sent0 = w.port().sent;
	w.peer(ACK, w.peer_nxt, base);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 26); /* both orders, one MSS from SND.UNA */
	OE_EXPECT_EQ(r, w.c.stats()[StatTlpProbes], 2u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 0u);
	w.peer(ACK, w.peer_nxt, base); /* another duplicate at once: not before another PTO has passed */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	w.peer(ACK, w.peer_nxt, base + 26);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
}

OE_KTEST_SUITE(tcp_timers, time_wait_after_kick_arms_only_time_wait, persist_probes_keep_cwnd_and_rto,
	       first_rto_after_window_shrink_sends, lost_order_resent_by_loss_probe_after_two_srtt, loss_probe_floor,
	       one_loss_probe_then_rto, loss_probe_rearmed_by_progress, loss_probe_off,
	       lost_probe_resent_on_dup_ack);
