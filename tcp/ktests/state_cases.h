/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_state: the connection state machine against scripted peer segments (RFC 9293 + RFC 5961). */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"


OE_KTEST(connect_sends_syn_with_mss_only)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::Parked); /* parked */
	OE_EXPECT(r, w.c.state() == State::SynSent);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, SYN);
	OE_EXPECT_EQ(r, s.seq, w.c.iss());
	OE_EXPECT_EQ(r, s.mss, 1460);
	OE_EXPECT_EQ(r, s.dst_port, kPeerPort);
	OE_EXPECT_LE(r, 49152, int(s.src_port));
	const u8 *f = w.port().frame();
	OE_EXPECT_EQ(r, f[kOffTcp + kTcpOff] >> 4, 6); /* 20 bytes + exactly the 4-byte MSS option */
	OE_EXPECT_EQ(r, w.port().timer, w.port().now + 1000000000ULL); /* RFC 6298 initial RTO 1 s */
	OE_EXPECT_EQ(r, w.rec.n, 0u);
	OE_EXPECT(r, w.c.connect(w.k()) == ConnectResult::NotClosed); /* nothing parked twice */
}

OE_KTEST(synack_establishes_fires_once)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(30000, 1000));
	OE_EXPECT_EQ(r, w.rec.n, 1u);
	OE_EXPECT(r, w.rec.events[0] == Event::Established);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, ACK);
	OE_EXPECT_EQ(r, s.ack, w.peer_iss + 1);
	OE_EXPECT_EQ(r, s.seq, w.c.iss() + 1);
	OE_EXPECT_EQ(r, w.c.mss(), 1000); /* min(ours, the peer's) */
	OE_EXPECT_EQ(r, w.c.snd_wnd(), 30000u);
	/* the same SYN-ACK again (our ACK was lost): it is old, so it is answered by an ACK; no second firing */
	const u32 sent0 = w.port().sent;
	w.peer(SYN | ACK, w.peer_iss, w.c.iss() + 1, nullptr, 0, 30000, 1000);
	OE_EXPECT_EQ(r, w.rec.n, 1u);
	OE_EXPECT_EQ(r, w.port().sent, sent0 + 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfWindow], 1u);
	OE_EXPECT(r, w.c.state() == State::Established);
}

OE_KTEST(synack_without_mss_uses_536)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish(65535, 0));
	OE_EXPECT_EQ(r, w.c.mss(), 536);
}

OE_KTEST(rst_to_syn_is_reset)
{
	World &w = fresh_world();
	w.c.connect(w.k());
	w.peer(RST | ACK, 0, w.c.iss() + 1);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 1u);
	OE_EXPECT(r, w.rec.events[0] == Event::Reset);
	OE_EXPECT_EQ(r, w.port().timer, 0u); /* no timer left behind */
}

OE_KTEST(synsent_rst_without_ack_or_bad_ack_ignored)
{
	World &w = fresh_world();
	w.c.connect(w.k());
	w.peer(RST, 0, 0);
	OE_EXPECT(r, w.c.state() == State::SynSent);
	w.peer(RST | ACK, 0, w.c.iss() + 5); /* unacceptable ACK: no reset */
	OE_EXPECT(r, w.c.state() == State::SynSent);
	OE_EXPECT_EQ(r, w.rec.n, 0u);
}

OE_KTEST(synsent_bad_ack_answered_by_rst)
{
	World &w = fresh_world();
	w.c.connect(w.k());
	w.peer(SYN | ACK, 5000, w.c.iss() + 77, nullptr, 0, 65535, 1460);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, RST);
	OE_EXPECT_EQ(r, s.seq, w.c.iss() + 77); /* <SEQ=SEG.ACK><CTL=RST> */
	OE_EXPECT(r, w.c.state() == State::SynSent);
}

OE_KTEST(syn_retransmits_with_backoff_then_fails)
{
	World &w = fresh_world();
	Config c = test_config();
	c.syn_retries = 2;
	w.c.init(c);
	w.c.connect(w.k());
	const u32 iss = w.c.iss();
	w.advance(999999999);
	OE_EXPECT_EQ(r, w.port().sent, 1u);
	w.advance(1);
	OE_EXPECT_EQ(r, w.port().sent, 2u); /* at 1 s */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, SYN);
	OE_EXPECT_EQ(r, s.seq, iss);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 2000000000ULL);
	w.advance(2000000000ULL);
	OE_EXPECT_EQ(r, w.port().sent, 3u); /* at 3 s */
	w.advance(4000000000ULL);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 1u);
	OE_EXPECT(r, w.rec.events[0] == Event::Failed);
}

OE_KTEST(rst_exact_seq_resets)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	w.peer(RST, w.peer_nxt, 0);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 2u);
	OE_EXPECT(r, w.rec.events[1] == Event::Reset);
}

OE_KTEST(rst_in_window_gets_challenge_ack)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 before = w.port().sent;
	w.peer(RST, w.peer_nxt + 100, 0);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.port().sent, before + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, ACK);
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt);
	OE_EXPECT_EQ(r, w.c.stats()[StatChallengeAcks], 1u);
}

OE_KTEST(rst_out_of_window_dropped_silently)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u32 before = w.port().sent;
	w.peer(RST, w.peer_nxt + 100000, 0);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.port().sent, before);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfWindow], 1u);
}

OE_KTEST(syn_in_established_gets_challenge_ack)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.peer(SYN, w.peer_nxt + 10, 0);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.c.stats()[StatChallengeAcks], 1u);
}

OE_KTEST(challenge_acks_rate_limited)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	for (int i = 0; i < 50; i++)
		w.peer(RST, w.peer_nxt + 1 + u32(i), 0);
	OE_EXPECT_EQ(r, w.c.stats()[StatChallengeAcks], 10u);
	w.advance(1000000000ULL);
	w.peer(RST, w.peer_nxt + 1, 0);
	OE_EXPECT_EQ(r, w.c.stats()[StatChallengeAcks], 11u);
}

OE_KTEST(out_of_window_data_acked_and_dropped)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u8 d[4] = { 1, 2, 3, 4 };
	w.peer(ACK | PSH, w.peer_nxt + 70000, w.c.snd_nxt(), d, 4);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt);
	OE_EXPECT_EQ(r, w.c.stats()[StatOutOfWindow], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatBytesIn], 0u);
}

OE_KTEST(ack_of_unsent_data_dropped)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u8 d[4] = { 1, 2, 3, 4 };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt() + 1000, d, 4);
	OE_EXPECT_EQ(r, w.c.stats()[StatAckInvalid], 1u);
	OE_EXPECT_EQ(r, w.c.rcv_nxt(), w.peer_nxt); /* its data was not taken */
}

OE_KTEST(bad_checksum_counted_and_dropped)
{
	World &v = fresh_world();
	OE_EXPECT(r, v.establish());
	Endpoints ep{};
	ep.local_ip = kPeerIp, ep.remote_ip = kClientIp, ep.local_port = kPeerPort;
	ep.remote_port = v.c.endpoints().local_port, ep.ttl = 64;
	SegmentOut s{};
	s.seq = v.peer_nxt, s.flags = RST;
	build_segment(v.frame, sizeof(v.frame), ep, s);
	v.frame[kOffTcp + kTcpCsum] ^= 0x40;
	v.c.on_segment(v.frame + kOffIp, kIpLen + kTcpLen);
	OE_EXPECT(r, v.c.state() == State::Established);
	OE_EXPECT_EQ(r, v.c.stats()[StatBadChecksum], 1u);
	v.frame[kOffTcp + kTcpCsum] ^= 0x40; /* repaired, the same RST resets */
	v.c.on_segment(v.frame + kOffIp, kIpLen + kTcpLen);
	OE_EXPECT(r, v.c.state() == State::Closed);
}

OE_KTEST(closed_answers_rst)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.peer(RST, w.peer_nxt, 0);
	const u32 before = w.port().sent;
	const u8 d[3] = { 1, 2, 3 };
	w.peer(ACK | PSH, w.peer_nxt, 12345, d, 3);
	OE_EXPECT_EQ(r, w.port().sent, before + 1);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, RST);
	OE_EXPECT_EQ(r, s.seq, 12345u);
	w.peer(RST, 1, 1); /* a RST is never answered */
	OE_EXPECT_EQ(r, w.port().sent, before + 1);
}

OE_KTEST(peer_fin_passive_close)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	w.peer(FIN | ACK, w.peer_nxt, w.c.snd_nxt());
	OE_EXPECT_EQ(r, w.rec.n, 2u);
	OE_EXPECT(r, w.rec.events[1] == Event::PeerClosed);
	OE_EXPECT(r, w.c.state() == State::LastAck);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.flags, FIN | ACK); /* our FIN carries the ACK of theirs */
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 1);
	w.peer(ACK, w.peer_nxt + 1, s.seq + 1);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.c.stats()[StatCloses], 1u);
}

OE_KTEST(active_close_through_time_wait)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.close();
	OE_EXPECT(r, w.c.state() == State::FinWait1);
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	OE_EXPECT_EQ(r, fin.flags, FIN | ACK);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	w.peer(ACK, w.peer_nxt, fin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::FinWait2);
	w.peer(FIN | ACK, w.peer_nxt, fin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::TimeWait);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 1);
	OE_EXPECT_EQ(r, w.rec.n, 2u);
	OE_EXPECT(r, w.rec.events[1] == Event::Closed);
	w.advance(1000000000ULL);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 2u); /* nothing parked: no second firing */
}

OE_KTEST(simultaneous_fin_closing)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	w.peer(FIN | ACK, w.peer_nxt, fin.seq); /* their FIN crosses ours */
	OE_EXPECT(r, w.c.state() == State::Closing);
	w.peer(ACK, w.peer_nxt + 1, fin.seq + 1);
	OE_EXPECT(r, w.c.state() == State::TimeWait);
}

/* The peer resends data we have, with a FIN right after it (fuzz finding): the data part is old,
 * the FIN is new. One acknowledgment answers the segment, the one that covers the FIN; before the
 * fix the old data got a duplicate ACK first (in FIN-WAIT-1, with a go-back-N resend, three frames). */
OE_KTEST(old_data_with_new_fin_acked_once)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	const u8 d[4] = { 'a', 'b', 'c', 'd' };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 4);
	const u32 data_seq = w.peer_nxt;
	w.peer_nxt += 4;
	w.c.close(); /* FIN-WAIT-1: our FIN is out, not yet acknowledged */
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	OE_EXPECT_EQ(r, fin.flags, FIN | ACK);
	const u32 before = w.port().sent;
	w.peer(FIN | ACK | PSH, data_seq, fin.seq, d, 4); /* the 4 bytes again, then their FIN */
	OE_EXPECT(r, w.c.state() == State::Closing);
	OE_EXPECT_EQ(r, w.port().sent - before, 1u);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.ack, w.peer_nxt + 1); /* their FIN acknowledged */
}

OE_KTEST(close_timeout_sends_rst)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	w.c.close();
	SegmentIn fin;
	OE_EXPECT(r, w.sent(fin));
	w.peer(ACK, w.peer_nxt, fin.seq + 1); /* FIN-WAIT-2, the peer never closes */
	w.advance(5000000000ULL);
	OE_EXPECT(r, w.c.state() == State::Closed);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT(r, (s.flags & RST) != 0);
	OE_EXPECT_EQ(r, s.seq, fin.seq + 1);
}

OE_KTEST(close_in_synsent_fires_closed)
{
	World &w = fresh_world();
	w.c.connect(w.k());
	w.c.close();
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.rec.n, 1u);
	OE_EXPECT(r, w.rec.events[0] == Event::Closed);
}

OE_KTEST(continuation_fires_exactly_once)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::SlotBusy); /* refused, not overwritten */
	const u8 d[2] = { 'h', 'i' };
	w.peer(ACK | PSH, w.peer_nxt, w.c.snd_nxt(), d, 2);
	w.peer(ACK | PSH, w.peer_nxt + 2, w.c.snd_nxt(), d, 2);
	OE_EXPECT_EQ(r, w.rec.n, 2u); /* Established + one Data, the second data found no continuation */
	OE_EXPECT(r, w.rec.events[1] == Event::Data);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::DataReady); /* ...reported by the next recv() at once */
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
}

OE_KTEST(wrong_tuple_ignored)
{
	World &w = fresh_world();
	OE_EXPECT(r, w.establish());
	Endpoints ep{};
	ep.local_ip = kPeerIp, ep.remote_ip = kClientIp, ep.local_port = 9999;
	ep.remote_port = w.c.endpoints().local_port, ep.ttl = 64;
	SegmentOut s{};
	s.seq = w.peer_nxt, s.flags = RST;
	build_segment(w.frame, sizeof(w.frame), ep, s);
	w.c.on_segment(w.frame + kOffIp, kIpLen + kTcpLen);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.c.stats()[StatWrongTuple], 1u);
}

OE_KTEST_SUITE(tcp_state, connect_sends_syn_with_mss_only, synack_establishes_fires_once, synack_without_mss_uses_536,
	       rst_to_syn_is_reset, synsent_rst_without_ack_or_bad_ack_ignored, synsent_bad_ack_answered_by_rst,
	       syn_retransmits_with_backoff_then_fails, rst_exact_seq_resets, rst_in_window_gets_challenge_ack,
	       rst_out_of_window_dropped_silently, syn_in_established_gets_challenge_ack, challenge_acks_rate_limited,
	       out_of_window_data_acked_and_dropped, ack_of_unsent_data_dropped, bad_checksum_counted_and_dropped,
	       closed_answers_rst, peer_fin_passive_close, active_close_through_time_wait, simultaneous_fin_closing,
	       old_data_with_new_fin_acked_once,
	       close_timeout_sends_rst, close_in_synsent_fires_closed, continuation_fires_exactly_once,
	       wrong_tuple_ignored);
