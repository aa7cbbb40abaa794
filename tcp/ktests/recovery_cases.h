/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_recovery: loss recovery details, closing corners, configuration and counters. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"


namespace {

void send_n(World &w, u32 n)
{
	u8 o[13];
	for (u32 i = 0; i < n; i++) {
		put_le32(o, i);
		put_le64(o + 4, u64(i) * 100);
		o[12] = 'S';
		w.c.send_order(o, 13);
	}
}

} // namespace

OE_KTEST(newreno_partial_ack_resends_next_hole)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	send_n(w, 10);
	for (int i = 0; i < 3; i++) /* order 0 lost: three duplicate ACKs */
		w.peer(ACK, w.peer_nxt, base);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	w.peer(ACK, w.peer_nxt, base + 5 * 13); /* partial: order 5 was lost too */
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 5 * 13);
	OE_EXPECT_EQ(r, get_le32(s.data), 5u);
	w.peer(ACK, w.peer_nxt, base + 10 * 13);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatFastRetransmits], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRetransmits], 2u);
}

OE_KTEST(rto_resends_data_then_fin)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	send_n(w, 2);
	w.c.close();
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, FIN | ACK);
	OE_EXPECT_EQ(r, s.seq, base + 26);
	w.advance(w.c.rto_ns()); /* nothing acknowledged: go back to SND.UNA, FIN rides on the data */
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 26);
	OE_EXPECT_EQ(r, s.flags, FIN | PSH | ACK);
	w.peer(ACK, w.peer_nxt, base + 27);
	OE_EXPECT(r, w.c.state() == State::FinWait2);
}

OE_KTEST(late_ack_beyond_snd_nxt_after_go_back_is_accepted)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	send_n(w, 200); /* more than one MSS in flight */
	w.advance(w.c.rto_ns()); /* go-back-N: SND.NXT falls back to SND.UNA + 1 MSS */
	OE_EXPECT(r, seq_lt(w.c.snd_nxt(), base + 200 * 13));
	w.peer(ACK, w.peer_nxt, base + 200 * 13); /* the originals had arrived after all */
	OE_EXPECT_EQ(r, w.c.snd_una(), base + 200 * 13);
	OE_EXPECT_EQ(r, w.c.snd_nxt(), base + 200 * 13);
	OE_EXPECT_EQ(r, w.c.stats()[StatAckInvalid], 0u);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
}

OE_KTEST(old_ack_gets_challenge_and_is_dropped)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(1000));
	const u8 d[2] = { 1, 2 };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_una() - 5000, d, 2); /* older than SND.UNA - MAX.SND.WND */
	OE_EXPECT_EQ(r, w.c.stats()[StatAckInvalid], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatChallengeAcks], 1u);
	OE_EXPECT_EQ(r, w.c.rcv_nxt(), w.peer_nxt);
}

OE_KTEST(time_wait_reacks_retransmitted_fin)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	const u32 sent0 = w.port().sent;
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1); /* our ACK was lost: the peer sends its FIN again */
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, ACK);
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 1);
	w.advance(600000000ULL); /* the TIME-WAIT timer restarted at the second FIN: 1 s from there */
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1);
	w.advance(600000000ULL);
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	w.advance(400000000ULL);
	OE_EXPECT(r, w.c.state() == State::Closed);
}

OE_KTEST(last_ack_timeout_sends_rst)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.peer(FIN | ACK, w.peer_nxt, w.c.snd_nxt());
	OE_EXPECT(r, w.c.state() == State::LastAck);
	for (int i = 0; i < 20 && w.c.state() != State::Closed; i++)
		w.advance(1000000000ULL); /* our FIN is never acknowledged */
	OE_EXPECT(r, w.c.state() == State::Closed);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT(r, (s.flags & RST) != 0);
}

OE_KTEST(data_on_synack_delivered)
{
	World &w = fresh_world();
	w.c.set_data_sink([](void *ctx, const u8 *d, u16 n) {
		World *x = static_cast<World *>(ctx);
		copy(x->sink + x->sink_len, d, n);
		x->sink_len += n;
	}, &w);
	w.c.connect(w.k());
	SegmentIn syn;
	OE_EXPECT(r, w.sent(syn));
	const u8 hello[5] = { 'h', 'e', 'l', 'l', 'o' };
	w.peer(SYN | ACK, w.peer_iss, syn.seq + 1, hello, 5, 65535, 1460);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.sink_len, 5u);
	OE_EXPECT_EQ(r, w.c.rcv_nxt(), w.peer_iss + 6);
}

OE_KTEST(every_frame_has_tos_ttl_df_and_rising_ip_id)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	send_n(w, 3);
	u16 prev = 0;
	for (u32 back = 0; back < 5; back++) {
		const u8 *ip = w.port().frame(4 - back) + kOffIp;
		OE_EXPECT_EQ(r, ip[1], 0x10);
		OE_EXPECT_EQ(r, ip[kIpTtl], 64);
		OE_EXPECT_EQ(r, get_be16(ip + kIpFrag), kIpDontFragment);
		const u16 id = get_be16(ip + kIpId);
		if (back)
			OE_EXPECT_EQ(r, id, u16(prev + 1));
		prev = id;
	}
}

OE_KTEST(config_from_abi_converts_byte_order)
{
	oe_config a{};
	a.local_ip_be = bswap32(0x0a4d0002);
	a.remote_ip_be = bswap32(0x0a4d0001);
	a.local_port_be = bswap16(40000);
	a.remote_port_be = bswap16(9012);
	a.tos = 0x28, a.ttl = 0, a.mss = 1200;
	a.remote_mac[5] = 0x99;
	const Config c = config_from_abi(a);
	OE_EXPECT_EQ(r, c.local_ip, 0x0a4d0002u);
	OE_EXPECT_EQ(r, c.remote_ip, 0x0a4d0001u);
	OE_EXPECT_EQ(r, c.local_port, 40000);
	OE_EXPECT_EQ(r, c.remote_port, 9012);
	OE_EXPECT_EQ(r, c.tos, 0x28);
	OE_EXPECT_EQ(r, c.ttl, 64); /* 0 = default */
	OE_EXPECT_EQ(r, c.mss, 1200);
	OE_EXPECT_EQ(r, c.remote_mac[5], 0x99);
}

OE_KTEST(init_rejects_bad_config)
{
	World &w = fresh_world();
	Config c = test_config();
	c.remote_port = 0;
	OE_EXPECT(r, !w.c.init(c));
	c = test_config();
	c.rto_min_ns = 5, c.rto_max_ns = 4;
	OE_EXPECT(r, !w.c.init(c));
	c = test_config();
	c.mss = 40;
	OE_EXPECT(r, !w.c.init(c));
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, !w.c.init(test_config())); /* not while connected */
}

OE_KTEST(stats_names_are_ethtool_strings)
{
	OE_EXPECT_EQ(r, TestClient::stats_count(), u32(StatCount));
	for (u32 i = 0; i < TestClient::stats_count(); i++) {
		const char *n = TestClient::stats_name(i);
		u32 len = 0;
		while (n[len])
			len++;
		OE_EXPECT(r, len > 4 && len < 32); /* ETH_GSTRING_LEN */
		OE_EXPECT(r, n[0] == 't' && n[1] == 'c' && n[2] == 'p' && n[3] == '_');
		for (u32 j = 0; j < i; j++)
			OE_EXPECT(r, __builtin_strcmp(n, TestClient::stats_name(j)) != 0);
	}
	OE_EXPECT_EQ(r, TestClient::stats_name(StatCount)[0], 0);
}

OE_KTEST(fixed_local_port_and_reconnect_after_close)
{
	World &w = fresh_world();
	Config c = test_config();
	c.local_port = 40001;
	OE_EXPECT(r, w.c.init(c));
	OE_EXPECT(r, w.establish());
	OE_EXPECT_EQ(r, w.c.endpoints().local_port, 40001);
	const u32 gen1 = w.c.template_gen(), iss1 = w.c.iss();
	w.peer(RST, w.peer_nxt, 0);
	OE_EXPECT(r, w.c.state() == State::Closed);
	w.rec.n = 0;
	OE_EXPECT(r, w.establish());
	OE_EXPECT_NE(r, w.c.template_gen(), gen1); /* buffers holding the old template get refilled */
	OE_EXPECT_NE(r, w.c.iss(), iss1);
}

OE_KTEST(reconnect_from_time_wait_above_old_sequence_space)
{
	World &w = fresh_world();
	Config c = test_config();
	c.local_port = 40002;
	OE_EXPECT(r, w.c.init(c));
	OE_EXPECT(r, w.establish());
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	const u32 old_nxt = w.c.snd_nxt();
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::Parked); /* no need to sit out TIME-WAIT */
	OE_EXPECT(r, w.c.state() == State::SynSent);
	OE_EXPECT(r, seq_gt(w.c.iss(), old_nxt + 0x10000));
	SegmentIn syn;
	OE_EXPECT(r, w.sent(syn));
	OE_EXPECT_EQ(r, syn.flags, SYN);
	OE_EXPECT_EQ(r, syn.src_port, 40002);
}

OE_KTEST(small_window_sends_whole_orders_only)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(60));
	const u32 base = w.c.snd_nxt();
	const u32 sent0 = w.port().sent;
	send_n(w, 6); /* 4 orders = 52 bytes fit in 60; 8 bytes of room are left */
	OE_EXPECT_EQ(r, w.port().sent - sent0, 4u);
	const u32 sent1 = w.port().sent;
	w.peer(ACK, w.peer_nxt, base + 13, nullptr, 0, 60); /* 21 bytes of room < half the window: wait */
	OE_EXPECT_EQ(r, w.port().sent, sent1);
	w.peer(ACK, w.peer_nxt, base + 52, nullptr, 0, 60); /* all acknowledged: both orders in one segment */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base + 52);
	OE_EXPECT_EQ(r, s.data_len, 26);
	OE_EXPECT_EQ(r, get_le32(s.data + 13), 5u);
}

OE_KTEST(silly_window_waits_for_room)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(1000));
	const u32 base = w.c.snd_nxt();
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 13); /* the window shrinks to one order */
	send_n(w, 2);
	OE_EXPECT_EQ(r, w.c.snd_nxt(), base + 13);
	w.peer(ACK, w.peer_nxt, base + 13, nullptr, 0, 5); /* 5 bytes of room: silly, wait */
	OE_EXPECT_EQ(r, w.c.snd_nxt(), base + 13);
	w.peer(ACK, w.peer_nxt, base + 13, nullptr, 0, 13);
	OE_EXPECT_EQ(r, w.c.snd_nxt(), base + 26);
}

OE_KTEST_SUITE(tcp_recovery, newreno_partial_ack_resends_next_hole, rto_resends_data_then_fin,
	       late_ack_beyond_snd_nxt_after_go_back_is_accepted, old_ack_gets_challenge_and_is_dropped,
	       time_wait_reacks_retransmitted_fin, last_ack_timeout_sends_rst, data_on_synack_delivered,
	       every_frame_has_tos_ttl_df_and_rising_ip_id, config_from_abi_converts_byte_order, init_rejects_bad_config,
	       stats_names_are_ethtool_strings, fixed_local_port_and_reconnect_after_close,
	       reconnect_from_time_wait_above_old_sequence_space, small_window_sends_whole_orders_only,
	       silly_window_waits_for_room);
