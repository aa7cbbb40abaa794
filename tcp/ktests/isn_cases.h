/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_isn: RFC 6528 initial sequence numbers, kept across Client rebuilds; the automatic local port. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"

namespace {

IsnState g_shared_isn; /* outlives the Worlds, like oe_core.cpp's */

World &isn_world(u16 local_port, u64 now)
{
	World &w = fresh_world();
	Config c = test_config();
	c.local_port = local_port;
	w.c.init(c);
	w.c.set_isn_state(&g_shared_isn);
	w.port().now = now;
	return w;
}

} // namespace

/* SipHash-2-4 reference vectors (the PRF F of RFC 6528 §3). */
OE_KTEST(isn_siphash_reference)
{
	u8 m[15];
	for (u8 i = 0; i < 15; i++)
		m[i] = i;
	const u64 k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	OE_EXPECT_EQ(r, siphash24(k0, k1, m, 15), 0xa129ca6149be45e5ULL);
	OE_EXPECT_EQ(r, siphash24(k0, k1, m, 0), 0x726fdb47dd0e0e31ULL);
	OE_EXPECT_EQ(r, siphash24(k0, k1, m, 8), 0x93f5f5799a932462ULL);
}

/* ISN = M + F: the same 4-tuple 4 ms later is 1000 ticks on; another port is another F. */
OE_KTEST(isn_clock_plus_keyed_tuple_hash)
{
	g_shared_isn = IsnState{};
	World &a = isn_world(40100, 1000000000ULL);
	OE_EXPECT(r, a.establish());
	const u32 iss1 = a.c.iss();
	a.peer(RST, a.peer_nxt, 0);
	World &b = isn_world(40101, 1000000000ULL);
	OE_EXPECT(r, b.establish());
	const u32 other_port = b.c.iss();
	OE_EXPECT_NE(r, other_port, iss1);
	b.c.end_incarnation();
	g_shared_isn.have_last = false; /* no earlier incarnation to stay above: the clock alone */
	World &c = isn_world(40100, 1000000000ULL + 4000000ULL);
	OE_EXPECT(r, c.establish());
	OE_EXPECT_EQ(r, c.c.iss() - iss1, 1000u);
	OE_EXPECT(r, g_shared_isn.keyed);
}

/* A Client rebuilt on the same 4-tuple (the kernel core is rebuilt at every connect) while the old
 * incarnation was in TIME-WAIT starts above everything the old one sent, at the same instant. */
OE_KTEST(isn_above_old_incarnation_across_rebuild)
{
	g_shared_isn = IsnState{};
	World &a = isn_world(40200, 5000000000ULL);
	OE_EXPECT(r, a.establish());
	u8 o[13] = {};
	for (u32 i = 0; i < 500; i++) /* 6500 bytes: more than the clock moves meanwhile */
		a.c.send_order(o, 13);
	a.c.close();
	SegmentIn fin;
	OE_EXPECT(r, a.sent(fin));
	a.peer(FIN | ACK, a.peer_nxt, fin.seq + 1);
	OE_EXPECT(r, a.c.state() == State::TimeWait);
	const u32 old_max = a.c.snd_nxt();
	a.c.end_incarnation(); /* the core is torn down in TIME-WAIT */
	World &b = isn_world(40200, 5000000000ULL); /* fresh Client, same port, same clock */
	OE_EXPECT(r, b.c.connect(b.k()) == ConnectResult::Parked);
	SegmentIn syn;
	OE_EXPECT(r, b.sent(syn));
	OE_EXPECT_EQ(r, syn.seq, b.c.iss());
	OE_EXPECT(r, seq_gt(b.c.iss(), old_max + 0x10000));
}

/* A new incarnation must start within the half of the sequence space above the old one's SND.MAX:
 * a peer in TIME-WAIT takes a SYN only if SEG.SEQ is after its RCV.NXT mod 2^32 (RFC 9293 §3.4.1,
 * Linux tcp_timewait_state_process). A clock ISN just over half the space ahead reads as "behind". */
OE_KTEST(isn_reconnect_stays_in_the_half_above)
{
	const u32 ahead[] = { 0x80000001u, 0x80000000u + Client<ScriptPort, RecordK>::kIsnGap - 1, 0xfffffff0u, 5 };
	for (u32 d : ahead) {
		g_shared_isn = IsnState{};
		g_shared_isn.k0 = 0x1111, g_shared_isn.k1 = 0x2222, g_shared_isn.keyed = true;
		World &a = isn_world(40300, 3000000000ULL);
		OE_EXPECT(r, a.establish());
		a.c.close();
		SegmentIn fin;
		OE_EXPECT(r, a.sent(fin));
		a.peer(FIN | ACK, a.peer_nxt, fin.seq + 1);
		OE_EXPECT(r, a.c.state() == State::TimeWait);
		const u32 old_max = a.c.snd_max();
		a.c.end_incarnation();
		World &b = isn_world(40300, clock_for_isn(g_shared_isn, old_max + d, 40300));
		OE_EXPECT(r, b.c.connect(b.k()) == ConnectResult::Parked);
		OE_EXPECT(r, seq_gt(b.c.iss(), old_max));
	}
}

/* Our ISN just below 2^32 (World::aim_isn): orders cross the wrap and are acknowledged. */
OE_KTEST(isn_aimed_below_wrap_orders_cross_it)
{
	World &w = fresh_world();
	w.aim_isn(0xffffff00u, 61234);
	OE_EXPECT(r, w.establish());
	OE_EXPECT_EQ(r, w.c.iss(), 0xffffff00u);
	u8 o[13] = {};
	for (u32 i = 0; i < 40; i++) /* 520 bytes: from 0xffffff01 past 2^32 */
		w.c.send_order(o, 13);
	OE_EXPECT_EQ(r, w.c.snd_nxt(), 0xffffff01u + 520u);
	w.peer(ACK, w.peer_nxt, w.c.snd_nxt());
	OE_EXPECT_EQ(r, w.c.snd_una(), 0x109u);
	OE_EXPECT(r, w.c.invariants_hold());
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 40u);
}

/* local_port 0: every connect picks a port outside Linux's default ephemeral range (32768..60999). */
OE_KTEST(auto_local_port_outside_ephemeral_range)
{
	World &w = fresh_world();
	for (u32 i = 0; i < 50; i++) {
		OE_EXPECT(r, w.establish());
		const u16 p = w.c.endpoints().local_port;
		OE_EXPECT(r, p >= 61000);
		w.peer(RST, w.peer_nxt, 0);
		w.rec.n = 0;
	}
}

OE_KTEST_SUITE(tcp_isn, isn_siphash_reference, isn_clock_plus_keyed_tuple_hash, isn_above_old_incarnation_across_rebuild,
	       isn_reconnect_stays_in_the_half_above, isn_aimed_below_wrap_orders_cross_it,
	       auto_local_port_outside_ephemeral_range);
