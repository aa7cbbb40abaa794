/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_data: orders, the peer's window, retransmission (RTO, fast retransmit), zero window, peer data. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"


namespace {

void order(u8 *o, u32 n) /* 13 bytes: qty, price, side; n embedded in qty */
{
	put_le32(o, n);
	put_le64(o + 4, u64(n) * 100);
	o[12] = 'B';
}

void sink(void *ctx, const u8 *d, u16 n)
{
	World *w = static_cast<World *>(ctx);
	for (u16 i = 0; i < n && w->sink_len < sizeof(w->sink); i++)
		w->sink[w->sink_len++] = d[i];
}

} // namespace

OE_KTEST(order_goes_out_as_one_psh_ack_equal_to_scratch)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13];
	order(o, 1);
	const u32 seq = w.c.snd_nxt();
	OE_EXPECT(r, w.c.send_order(o, 13));
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, PSH | ACK);
	OE_EXPECT_EQ(r, s.seq, seq);
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, __builtin_memcmp(s.data, o, 13), 0);
	/* the same frame built from scratch */
	SegmentOut so{};
	so.seq = seq, so.ack = w.peer_nxt, so.window = 65535, so.flags = PSH | ACK, so.payload = o, so.payload_len = 13;
	so.ip_id = get_be16(w.port().frame() + kOffIp + kIpId);
	u8 scratch[128];
	const u16 n = build_segment(scratch, sizeof(scratch), w.c.endpoints(), so);
	OE_EXPECT_EQ(r, n, w.port().frame_len());
	OE_EXPECT_EQ(r, __builtin_memcmp(scratch, w.port().frame(), n), 0);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 1u);
}

OE_KTEST(template_refilled_after_control_segment)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13];
	const u64 refills0 = w.c.stats()[StatTemplateRefills];
	for (u32 i = 0; i < 2 * ScriptPort::kBufs; i++) {
		order(o, i);
		OE_EXPECT(r, w.c.send_order(o, 13));
	}
	/* each of the 4 TX buffers got the template once: SYN and ACK had used two of them */
	OE_EXPECT_EQ(r, w.c.stats()[StatTemplateRefills] - refills0, u64(ScriptPort::kBufs));
	for (u32 i = 0; i < ScriptPort::kBufs; i++)
		OE_EXPECT_EQ(r, w.port().pkts[i].template_gen, w.c.template_gen());
	w.peer(ACK, w.peer_nxt, w.c.snd_nxt() - 13); /* nothing sent: no buffer taken */
	const u8 d[1] = { 7 };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 1); /* our ACK takes a buffer: gen reset */
	w.peer_nxt += 1;
	for (u32 i = 0; i < ScriptPort::kBufs; i++) { /* one lap of the ring: only that buffer is refilled */
		order(o, 96 + i);
		OE_EXPECT(r, w.c.send_order(o, 13));
	}
	OE_EXPECT_EQ(r, w.c.stats()[StatTemplateRefills] - refills0, u64(ScriptPort::kBufs) + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt); /* the template path acknowledges the new RCV.NXT */
	OE_EXPECT_EQ(r, get_le32(s.data), 99u);
}

OE_KTEST(window_limits_then_ack_releases)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(26));
	u8 o[13];
	const u32 base = w.c.snd_nxt();
	const u32 sent0 = w.port().sent;
	for (u32 i = 0; i < 5; i++) {
		order(o, i);
		OE_EXPECT(r, w.c.send_order(o, 13));
	}
	OE_EXPECT_EQ(r, w.port().sent - sent0, 2u); /* 26 bytes of window: two orders */
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersQueued], 3u);
	w.peer(ACK, w.peer_nxt, base + 26, nullptr, 0, 65535);
	OE_EXPECT_EQ(r, w.port().sent - sent0, 3u); /* the three queued orders leave as one segment */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 26);
	OE_EXPECT_EQ(r, s.data_len, 39);
	OE_EXPECT_EQ(r, get_le32(s.data + 26), 4u);
}

OE_KTEST(rto_retransmits_from_snd_una_and_backs_off)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13];
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 3; i++) {
		order(o, i);
		w.c.send_order(o, 13);
	}
	const u64 rto = w.c.rto_ns();
	w.peer(ACK, w.peer_nxt, base + 13); /* first order acked, two lost */
	w.advance(rto);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 13);
	OE_EXPECT_EQ(r, s.data_len, 26); /* go-back-N within cwnd = 1 MSS: both lost orders in one segment */
	OE_EXPECT_EQ(r, get_le32(s.data), 1u);
	OE_EXPECT_EQ(r, get_le32(s.data + 13), 2u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRtoExpired], 1u);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 2 * rto);
	w.peer(ACK, w.peer_nxt, base + 39);
	OE_EXPECT_EQ(r, w.c.snd_una(), base + 39);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT_EQ(r, w.port().timer, 0u); /* all acknowledged: timer stopped */
}

OE_KTEST(three_dup_acks_fast_retransmit)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13];
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 6; i++) {
		order(o, i);
		w.c.send_order(o, 13);
	}
	const u32 sent0 = w.port().sent;
	w.peer(ACK, w.peer_nxt, base + 13); /* new data acked */
	for (int i = 0; i < 2; i++)
		w.peer(ACK, w.peer_nxt, base + 13);
	OE_EXPECT_EQ(r, w.port().sent, sent0);
	w.peer(ACK, w.peer_nxt, base + 13); /* third duplicate */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 13);
	OE_EXPECT_EQ(r, w.c.stats()[StatFastRetransmits], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatDupAcks], 3u);
	w.peer(ACK, w.peer_nxt, base + 78); /* full ACK ends recovery */
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
}

OE_KTEST(zero_window_probe_until_open)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(0));
	u8 o[13];
	order(o, 42);
	const u32 sent0 = w.port().sent;
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, w.c.send_order(o, 13)); /* accepted, queued */
	OE_EXPECT_EQ(r, w.port().sent, sent0);
	w.advance(w.c.rto_ns());
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.data_len, 1); /* one octet of new data */
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, w.c.stats()[StatWindowProbes], 1u);
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 0); /* still zero: probe refused */
	for (int i = 0; i < 30; i++) /* the peer answers: never given up on */
		w.advance(w.c.rto_ns()), w.peer(ACK, w.peer_nxt, base, nullptr, 0, 0);
	OE_EXPECT(r, w.c.state() == State::Established);
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 1000); /* window opens */
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, get_le32(s.data), 42u);
}

OE_KTEST(silent_peer_gives_up_with_rst)
{
	World &w = fresh_world();
	Config c = test_config();
	c.data_retries = 3;
	w.c.init(c);
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	u8 o[13];
	order(o, 1);
	w.c.send_order(o, 13);
	for (int i = 0; i < 4; i++)
		w.advance(w.c.rto_ns());
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT(r, w.rec.events[1] == Event::Failed);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT(r, (s.flags & RST) != 0);
}

OE_KTEST(peer_data_delivered_acked_once)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.set_data_sink(sink, &w);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	const u8 d[6] = { 'a', 'b', 'c', 'd', 'e', 'f' };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 4);
	w.peer(ACK | PSH, w.peer_nxt + 2, w.c.snd_nxt(), d + 2, 4); /* overlaps: only "ef" is new */
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 4);         /* a pure duplicate */
	OE_EXPECT_EQ(r, w.sink_len, 6u);
	OE_EXPECT_EQ(r, __builtin_memcmp(w.sink, d, 6), 0);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 6);
	OE_EXPECT_EQ(r, w.rec.n, 2u);
	OE_EXPECT(r, w.rec.events[1] == Event::Data);
}

OE_KTEST(out_of_order_data_dropped_with_dup_ack)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.set_data_sink(sink, &w);
	const u8 d[4] = { 1, 2, 3, 4 };
	w.peer(ACK | PSH, w.peer_nxt + 4, w.c.snd_nxt(), d, 4);
	OE_EXPECT_EQ(r, w.sink_len, 0u);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfOrder], 1u);
}

OE_KTEST(data_with_fin_acked_together)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.set_data_sink(sink, &w);
	const u8 d[3] = { 'b', 'y', 'e' };
	w.peer(ACK | PSH | FIN, w.peer_nxt, w.c.snd_nxt(), d, 3);
	OE_EXPECT_EQ(r, w.sink_len, 3u);
	OE_EXPECT(r, w.c.state() == State::LastAck);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 4);
}

OE_KTEST(refuses_when_not_established_or_oversized)
{
	World &w = fresh_world();
	u8 o[13] = {};
	OE_EXPECT(r, !w.c.send_order(o, 13));
	OE_EXPECT(r, w.establish(65535, 100));
	static u8 big[200];
	OE_EXPECT(r, !w.c.send_order(big, 101));
	OE_EXPECT(r, !w.c.send_order(o, 0));
	OE_EXPECT(r, w.c.send_order(big, 100));
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersRefused], 3u);
}

OE_KTEST(tx_ring_full_queues_then_sends_from_poll)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	u8 o[13];
	order(o, 5);
	w.port().ring_full = true;
	OE_EXPECT(r, w.c.send_order(o, 13));
	OE_EXPECT_EQ(r, w.c.stats()[StatTxBusy], 1u);
	w.port().ring_full = false;
	const u32 sent0 = w.port().sent;
	w.advance(100000);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, get_le32(s.data), 5u);
	OE_EXPECT_EQ(r, w.port().protocol_errors, 0u);
}

OE_KTEST(send_buffer_full_refuses)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(0));
	u8 o[13] = {};
	u32 accepted = 0;
	for (u32 i = 0; i < 3000; i++)
		accepted += w.c.send_order(o, 13) ? 1 : 0;
	OE_EXPECT_EQ(r, accepted, TestClient::kSendBufBytes / 13);
	OE_EXPECT(r, w.c.invariants_hold());
}

OE_KTEST(rtt_sample_sets_rto_within_bounds)
{
	World &w = fresh_world();
	w.c.connect(w.k());
	SegmentIn syn;
	OE_EXPECT(r, w.sent(syn));
	w.port().now += 1000000; /* 1 ms RTT */
	w.peer(SYN | ACK, w.peer_iss, syn.seq + 1, nullptr, 0, 65535, 1460);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 200000000ULL); /* 1 ms + 4 * 0.5 ms, clamped up to rto_min */
	OE_EXPECT_EQ(r, w.c.stats()[StatSrttUs], 1000u);
}

OE_KTEST_SUITE(tcp_data, order_goes_out_as_one_psh_ack_equal_to_scratch, template_refilled_after_control_segment,
	       window_limits_then_ack_releases, rto_retransmits_from_snd_una_and_backs_off, three_dup_acks_fast_retransmit,
	       zero_window_probe_until_open, silent_peer_gives_up_with_rst, peer_data_delivered_acked_once,
	       out_of_order_data_dropped_with_dup_ack, data_with_fin_acked_together, refuses_when_not_established_or_oversized,
	       tx_ring_full_queues_then_sends_from_poll, send_buffer_full_refuses, rtt_sample_sets_rto_within_bounds);
