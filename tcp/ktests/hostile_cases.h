/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_hostile: replies to unacceptable segments are rate limited and never crowd out orders. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"

namespace {

/* Everything the client put on the wire, by kind; and which order bytes went out (the peer's view). */
struct WireTally {
	u32 data_frames = 0, acks = 0, rsts = 0, bad = 0;
	u32 base = 0;            /* sequence number of order byte 0 */
	u32 order_bytes = 0;     /* how many order bytes exist */
	u8 seen[13 * 1000] = {}; /* order byte i seen on the wire (any number of times) */
};

void tally_frame(void *ctx, const u8 *f, u16 len)
{
	WireTally &t = *static_cast<WireTally *>(ctx);
	SegmentIn s;
	if (len < kMinFrame || parse_segment(f + kOffIp, u16(len - kOffIp), s) != ParseError::None) {
		t.bad++;
		return;
	}
	if (s.flags & RST) {
		t.rsts++;
		return;
	}
	if (!s.data_len) {
		t.acks++;
		return;
	}
	t.data_frames++;
	for (u32 i = 0; i < s.data_len; i++) {
		const u32 off = s.seq + i - t.base;
		if (off < t.order_bytes && off < sizeof(t.seen))
			t.seen[off] = 1;
	}
}

void hostile_order(World &w, u32 n)
{
	u8 o[13];
	put_le32(o, n);
	put_le64(o + 4, u64(n) * 100);
	o[12] = 'S';
	w.c.send_order(o, 13);
}

} // namespace

/* 1,000 segments with unacceptable sequence numbers in one instant: one ACK, not 1,000 (it was 1,000). */
OE_KTEST(out_of_window_replies_rate_limited)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 sent0 = w.port().sent;
	for (u32 i = 0; i < 1000; i++)
		w.peer(ACK, w.peer_nxt + 100000 + i, w.c.snd_nxt());
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfWindow], 1000u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRepliesLimited], 999u);
	w.advance(w.c.config().invalid_ratelimit_ns - 1);
	w.peer(ACK, w.peer_nxt + 100000, w.c.snd_nxt());
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	w.advance(1); /* one interval after the last reply: the next one may go */
	w.peer(ACK, w.peer_nxt + 100000, w.c.snd_nxt());
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 2);
}

/* Duplicate ACKs for out-of-order data share the limit. */
OE_KTEST(out_of_order_dup_acks_rate_limited)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u8 d[4] = { 1, 2, 3, 4 };
	const u32 sent0 = w.port().sent;
	for (u32 i = 0; i < 500; i++)
		w.peer(ACK | PSH, w.peer_nxt + 8 + i, w.c.snd_nxt(), d, 4);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfOrder], 500u);
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 4); /* in-order data is always acknowledged */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 2);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 4);
}

/* In CLOSED every segment but a RST asks for a RST: limited as well. */
OE_KTEST(closed_rst_replies_rate_limited)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.peer(RST, w.peer_nxt, 0);
	OE_EXPECT(r, w.c.state() == State::Closed);
	const u32 sent0 = w.port().sent;
	const u8 d[3] = { 1, 2, 3 };
	for (u32 i = 0; i < 300; i++)
		w.peer(ACK | PSH, w.peer_nxt + i, 12345 + i, d, 3);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, RST);
	OE_EXPECT_EQ(r, s.seq, 12345u); /* <SEQ=SEG.ACK><CTL=RST> of the first one */
}

/* While an order waits for a TX buffer, no reply is even tried: the buffer that frees up is the order's. */
OE_KTEST(replies_yield_tx_buffers_to_orders)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	w.port().ring_full = true;
	hostile_order(w, 9); /* queued: no buffer */
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 13u);
	w.port().ring_full = false; /* a buffer frees up; the kick has not run yet */
	const u32 begins0 = w.port().begins;
	w.peer(ACK, w.peer_nxt + 100000, w.c.snd_nxt()); /* out of window */
	w.peer(RST, w.peer_nxt + 5, 0);                 /* challenge */
	w.peer(SYN, w.peer_nxt + 5, 0);                 /* challenge */
	OE_EXPECT_EQ(r, w.port().begins, begins0);
	OE_EXPECT_EQ(r, w.c.stats()[StatRepliesLimited], 3u);
	w.advance(100000); /* the kick: the order leaves first */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, get_le32(s.data), 9u);
}

/* 10,000 spoofed segments (right 4-tuple, wrong numbers: out-of-window, out-of-order data, bad ACKs,
 * in-window RSTs and SYNs) interleaved with a burst of 1,000 orders over 2 s: every order reaches the
 * wire, and the replies stay within the limits (one per 500 ms + 10 challenge ACKs per second). */
OE_KTEST(spoof_flood_during_order_burst)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	alignas(8) static WireTally tally;
	fill(&tally, 0, sizeof(tally)); /* no 13 KB temporary on the stack */
	tally.base = w.c.snd_nxt();
	tally.order_bytes = 13 * 1000;
	w.port().on_commit = tally_frame;
	w.port().commit_ctx = &tally;
	const u64 t0 = w.port().now;
	const u8 d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	u32 spoofed = 0, orders = 0;
	for (u32 step = 0; step < 1000; step++) {
		hostile_order(w, orders++);
		for (u32 j = 0; j < 10; j++, spoofed++) {
			const u32 una = w.c.snd_una();
			switch (spoofed % 6) {
			case 0: w.peer(ACK, w.peer_nxt + 200000 + spoofed, una); break;      /* out of window */
			case 1: w.peer(ACK | PSH, w.peer_nxt + 64 + j, una, d, 8); break;   /* out of order */
			case 2: w.peer(ACK, w.peer_nxt, w.c.snd_nxt() + 5000); break;       /* ACK of unsent data */
			case 3: w.peer(RST, w.peer_nxt + 1 + j, 0); break;                  /* in-window RST */
			case 4: w.peer(SYN, w.peer_nxt + 1 + j, 0); break;                  /* SYN */
			default: w.peer(ACK | FIN, w.peer_nxt + 300000, una); break;        /* FIN, out of window */
			}
		}
		if (step % 8 == 7)
			w.peer(ACK, w.peer_nxt, w.c.snd_nxt()); /* the real peer acknowledges */
		w.advance(2000000);                          /* 2 ms per step: 2 s in all */
	}
	w.peer(ACK, w.peer_nxt, w.c.snd_nxt());
	OE_EXPECT_EQ(r, spoofed, 10000u);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.c.snd_una(), tally.base + 13 * 1000); /* everything sent and acknowledged */
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	u32 missing = 0;
	for (u32 i = 0; i < tally.order_bytes; i++)
		missing += tally.seen[i] ? 0 : 1;
	OE_EXPECT_EQ(r, missing, 0u);
	OE_EXPECT_EQ(r, tally.bad, 0u);
	OE_EXPECT_EQ(r, tally.rsts, 0u);
	const u64 secs = (w.port().now - t0) / 1000000000ULL + 1;
	const u64 limit = 1 + (w.port().now - t0) / w.c.config().invalid_ratelimit_ns + 10 * secs;
	OE_EXPECT_LE(r, u64(tally.acks), limit);
	OE_EXPECT_LE(r, w.c.stats()[StatChallengeAcks], 10 * secs);
	OE_EXPECT(r, w.c.stats()[StatRepliesLimited] > 9000);
	OE_EXPECT_EQ(r, w.port().protocol_errors, 0u);
	w.port().on_commit = nullptr;
}

/* Found by the fuzzer: a fast retransmit after the peer shrank its window resent a whole MSS past the
 * right edge. Retransmissions stay inside [SND.UNA, SND.UNA + SND.WND) (RFC 9293 §3.8.6). */
OE_KTEST(fast_retransmit_stays_inside_shrunk_window)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 6; i++)
		hostile_order(w, i);
	for (int i = 0; i < 4; i++) /* the window shrinks to 20 bytes, then three duplicates of it */
		w.peer(ACK, w.peer_nxt, base, nullptr, 0, 20);
	OE_EXPECT_EQ(r, w.c.stats()[StatFastRetransmits], 1u);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 20);
}

/* Found by the fuzzer: a SYN-ACK carrying data and FIN made three control frames (ACK of the SYN, ACK
 * of the FIN, our FIN). Now the ACK of the data and FIN covers the SYN, and our FIN carries it. */
OE_KTEST(synack_with_data_and_fin_two_frames)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::Parked);
	SegmentIn syn;
	OE_EXPECT(r, w.sent(syn));
	const u32 sent0 = w.port().sent;
	const u8 d[4] = { 'b', 'y', 'e', '!' };
	w.peer(SYN | ACK | FIN, w.peer_iss, syn.seq + 1, d, 4, 65535, 1460);
	OE_EXPECT(r, w.c.state() == State::LastAck);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, FIN | ACK);
	OE_EXPECT_EQ(r, s.ack, w.peer_iss + 1 + 4 + 1); /* SYN, data and FIN acknowledged */
}

OE_KTEST_SUITE(tcp_hostile, out_of_window_replies_rate_limited, out_of_order_dup_acks_rate_limited,
	       closed_rst_replies_rate_limited, replies_yield_tx_buffers_to_orders, spoof_flood_during_order_burst,
	       fast_retransmit_stays_inside_shrunk_window, synack_with_data_and_fin_two_frames);
