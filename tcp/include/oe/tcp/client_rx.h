/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp::Client, receive side: RFC 9293 §3.10.7 "SEGMENT ARRIVES", hardened by RFC 5961.
 * Included by client.h.
 */
#pragma once

namespace oe::tcp {

template <class P, class K> void Client<P, K>::on_segment(const u8 *ip, u16 len)
{
	SegmentIn s;
	const ParseError e = parse_segment(ip, len, s);
	if (OE_UNLIKELY(e != ParseError::None)) {
		if (e == ParseError::BadIpChecksum || e == ParseError::BadTcpChecksum)
			stats_.v[StatBadChecksum]++;
		else
			stats_.v[StatMalformed]++;
		return; /* a damaged segment is dropped silently: the peer retransmits */
	}
	if (!configured_ || s.src_ip != ep_.remote_ip || s.dst_ip != ep_.local_ip || s.src_port != ep_.remote_port ||
	    s.dst_port != ep_.local_port || !ep_.local_port) {
		stats_.v[StatWrongTuple]++;
		return;
	}
	stats_.v[StatSegsIn]++;
	enter();
	switch (state_) {
	case State::Closed:
		rx_closed(s);
		break;
	case State::SynSent:
		rx_syn_sent(s);
		break;
	default:
		rx_synchronized(s);
		break;
	}
	rearm_timer();
	leave(); /* the segment is fully processed: now the continuation may run */
}

/* §3.10.7.1 CLOSED: anything but a RST is answered by a RST (rate limited). */
template <class P, class K> void Client<P, K>::rx_closed(const SegmentIn &s)
{
	if ((s.flags & RST) || !may_reply())
		return;
	if (s.flags & ACK)
		send_rst(s.ack, 0, false);
	else
		send_rst(0, s.seq + s.seg_len(), true);
}

/* §3.10.7.3 SYN-SENT */
template <class P, class K> void Client<P, K>::rx_syn_sent(const SegmentIn &s)
{
	if (s.flags & ACK) {
		if (seq_le(s.ack, iss_) || seq_gt(s.ack, snd_nxt_)) {
			stats_.v[StatAckInvalid]++;
			if (!(s.flags & RST) && may_reply())
				send_rst(s.ack, 0, false);
			return;
		}
	}
	if (s.flags & RST) {
		if (s.flags & ACK) { /* acceptable ACK: "connection refused" */
			stats_.v[StatRstIn]++;
			enter_closed(Event::Reset, StatResets);
		} else {
			stats_.v[StatRstIgnored]++;
		}
		return;
	}
	if (!(s.flags & SYN))
		return;
	if (!(s.flags & ACK)) {
		/* simultaneous open: the peer is a listener, so this is not our connection's SYN */
		stats_.v[StatAckInvalid]++;
		return;
	}
	const u64 now = port_.now_ns();
	irs_ = s.seq;
	rcv_nxt_ = s.seq + 1;
	snd_una_ = s.ack;
	/* RFC 9293 §3.7.1: without the option the peer's MSS is 536 */
	const u16 peer_mss = s.mss ? s.mss : 536;
	eff_mss_ = max_of(min_of(cfg_.mss, peer_mss), u16(64));
	snd_wnd_ = max_snd_wnd_ = s.window;
	snd_wl1_ = s.seq;
	snd_wl2_ = s.ack;
	/* RFC 5681 §3.1 initial window */
	cwnd_ = eff_mss_ > 2190 ? 2u * eff_mss_ : eff_mss_ > 1095 ? 3u * eff_mss_ : 4u * eff_mss_;
	ssthresh_ = 0x7fffffff;
	if (rtt_timing_)
		rtt_sample(now - rtt_start_ns_); /* a SYN that was not retransmitted (Karn) */
	rtt_timing_ = false;
	retries_ = 0;
	rto_deadline_ = 0;
	set_state(State::Established);
	stats_.v[StatEstablished]++;
	stats_.v[StatSndWnd] = snd_wnd_;
	stats_.v[StatCwnd] = cwnd_;
	build_template();
	post(Event::Established);
	if (!s.data_len && !(s.flags & FIN)) {
		send_ack();
	} else { /* the ACK of the data or FIN acknowledges the SYN too */
		SegmentIn rest = s; /* data on the SYN-ACK starts after the SYN */
		rest.seq = s.seq + 1;
		rest.flags = u8(s.flags & ~SYN);
		if (rest.data_len)
			rx_data(rest);
		if (rest.flags & FIN)
			rx_fin(rest);
	}
}

/* The four cases of the acceptability test (§3.10.7.4, first check). */
template <class P, class K> bool Client<P, K>::seq_acceptable(const SegmentIn &s) const
{
	const u32 len = s.seg_len(), wnd = cfg_.rcv_wnd;
	if (len == 0)
		return wnd == 0 ? s.seq == rcv_nxt_ : seq_in(s.seq, rcv_nxt_, rcv_nxt_ + wnd);
	if (wnd == 0)
		return false;
	return seq_in(s.seq, rcv_nxt_, rcv_nxt_ + wnd) || seq_in(s.seq + len - 1, rcv_nxt_, rcv_nxt_ + wnd);
}

/* A reply to an unacceptable segment (RFC 9293 asks for an ACK or a RST; whoever spoofs segments can
 * ask for as many): at most one per invalid_ratelimit_ns (Linux's tcp_invalid_ratelimit, per socket;
 * the first always goes), and none while queued data waits for a TX buffer — orders come first. */
template <class P, class K> bool Client<P, K>::may_reply()
{
	if (kick_deadline_ || !replies_.allow(port_.now_ns(), cfg_.invalid_ratelimit_ns)) {
		stats_.v[StatRepliesLimited]++;
		return false;
	}
	return true;
}

/* RFC 5961 §7: challenge ACKs are rate limited so they cannot be used as an amplifier; orders have
 * precedence for TX buffers as for every reply. */
template <class P, class K> void Client<P, K>::challenge_ack()
{
	if (kick_deadline_) {
		stats_.v[StatRepliesLimited]++;
		return;
	}
	const u64 now = port_.now_ns();
	if (now - challenge_window_start_ >= 1000000000ULL) {
		challenge_window_start_ = now;
		challenge_count_ = 0;
	}
	if (challenge_count_ < cfg_.challenge_acks_per_sec) {
		challenge_count_++;
		stats_.v[StatChallengeAcks]++;
		send_ack();
	} else {
		stats_.v[StatRepliesLimited]++;
	}
}

/* §3.10.7.4, all synchronized states */
template <class P, class K> void Client<P, K>::rx_synchronized(const SegmentIn &s)
{
	/* first: sequence number */
	if (!seq_acceptable(s)) {
		stats_.v[StatOutOfWindow]++;
		if (!(s.flags & RST) && may_reply())
			send_ack();
		if (state_ == State::TimeWait && (s.flags & FIN)) /* §3.10.7.4: a FIN again restarts 2 MSL */
			state_deadline_ = port_.now_ns() + cfg_.time_wait_ns;
		return;
	}
	/* second: RST. RFC 5961 §3: only an exact RCV.NXT match resets; in-window gets a challenge ACK */
	if (s.flags & RST) {
		stats_.v[StatRstIn]++;
		if (s.seq == rcv_nxt_) {
			const bool closing = state_ == State::Closing || state_ == State::LastAck || state_ == State::TimeWait;
			enter_closed(closing ? Event::Closed : Event::Reset, StatResets);
		} else {
			stats_.v[StatRstIgnored]++;
			challenge_ack();
		}
		return;
	}
	/* fourth: SYN in a synchronized state: RFC 5961 §4 challenge ACK, drop */
	if (s.flags & SYN) {
		challenge_ack();
		return;
	}
	/* fifth: ACK */
	if (!(s.flags & ACK))
		return;
	if (!rx_ack(s))
		return;
	/* seventh: data; eighth: FIN */
	if (s.data_len)
		rx_data(s);
	if (s.flags & FIN)
		rx_fin(s);
}

/* Fifth check. false: the segment is finished with (dropped, or the connection closed). */
template <class P, class K> bool Client<P, K>::rx_ack(const SegmentIn &s)
{
	const u32 ack = s.ack;
	/* RFC 5961 §5.2: acceptable only in [SND.UNA - MAX.SND.WND, SND.MAX] */
	if (seq_gt(ack, snd_max_) || seq_lt(ack, snd_una_ - max_snd_wnd_)) {
		stats_.v[StatAckInvalid]++;
		challenge_ack();
		return false;
	}
	if (seq_gt(ack, snd_una_)) {
		const u64 now = port_.now_ns();
		const u32 acked = ack - snd_una_;
		const bool fin_acked = fin_queued_ && seq_gt(ack, fin_seq_);
		ring_.consume(min_of(acked, ring_.used()));
		snd_una_ = ack;
		sent_orders_.acked(ack);
		if (seq_lt(snd_nxt_, snd_una_))
			snd_nxt_ = snd_una_; /* the original of a go-back-N resend got through */
		if (rtt_timing_ && seq_gt(ack, rtt_seq_)) {
			rtt_sample(now - rtt_start_ns_);
			rtt_timing_ = false;
		}
		retries_ = 0;
		loss_.probe_out = false;
		loss_.persist_backoff = 0;
		loss_.tlp_out = false; /* progress: the probe (if any) did its job, the next one may follow */
		loss_.pto_deadline = 0;
		loss_.head_sent_ns = 0;
		if (in_recovery_) {
			if (seq_ge(ack, recover_)) { /* RFC 6582: full ACK ends recovery, deflate */
				in_recovery_ = false;
				cwnd_ = ssthresh_;
			} else { /* partial ACK: the next hole is lost too */
				cwnd_ = cwnd_ > acked ? cwnd_ - acked + eff_mss_ : eff_mss_;
				const u32 n = resend_len();
				if (abort_if_stale(snd_una_, n))
					return false; /* the next hole holds a stale order: reset */
				if (n && send_data(snd_una_, n, false))
					stats_.v[StatRetransmits]++, loss_.head_sent_ns = now;
			}
		} else if (cwnd_ < ssthresh_) {
			cwnd_ += min_of(acked, u32(eff_mss_)); /* slow start */
		} else {
			cwnd_ += max_of(1u, u32(eff_mss_) * eff_mss_ / cwnd_); /* congestion avoidance */
		}
		cwnd_ = min_of(cwnd_, kMaxCwnd);
		dup_acks_ = 0;
		rto_deadline_ = 0; /* RFC 6298 §5.3: restart for what is still outstanding */
		if (snd_max_ != snd_una_)
			start_rto_if_idle(now);
		if (fin_acked) {
			fin_queued_ = fin_sent_ = false;
			switch (state_) {
			case State::FinWait1:
				set_state(State::FinWait2);
				break;
			case State::Closing:
				set_state(State::TimeWait);
				rto_deadline_ = kick_deadline_ = loss_.pto_deadline = 0; /* only the TIME-WAIT deadline runs now */
				state_deadline_ = now + cfg_.time_wait_ns;
				post(Event::Closed);
				break;
			case State::LastAck:
				enter_closed(Event::Closed, StatCloses);
				return false;
			default:
				break;
			}
		}
	} else if (ack == snd_una_ && snd_max_ != snd_una_ && !s.data_len && !(s.flags & FIN) &&
		   s.window == snd_wnd_ && snd_wnd_) { /* answers to zero-window probes are no signal of loss */
		/* RFC 5681 §2 duplicate ACK; the third triggers fast retransmit (§3.2) */
		stats_.v[StatDupAcks]++;
		if (++dup_acks_ == 3 && !in_recovery_) {
			const u32 in_flight = snd_max_ - snd_una_;
			ssthresh_ = max_of(in_flight / 2, 2u * eff_mss_);
			cwnd_ = ssthresh_ + 3u * eff_mss_;
			recover_ = snd_max_;
			in_recovery_ = true;
			loss_.pto_deadline = 0; /* recovery resends the holes itself */
			rtt_timing_ = false;
			const u32 n = resend_len();
			const bool fin = fin_queued_ && seq_gt(snd_max_, fin_seq_) && snd_una_ + n == fin_seq_;
			if (abort_if_stale(snd_una_, n))
				return false; /* fast retransmit of a stale order: reset instead */
			if ((n || fin) && send_data(snd_una_, n, fin)) {
				stats_.v[StatFastRetransmits]++;
				stats_.v[StatRetransmits]++;
				loss_.head_sent_ns = port_.now_ns();
			}
		} else if (in_recovery_) {
			cwnd_ += eff_mss_; /* each further dup ACK: a segment left the network */
		}
	}
	if (ack == snd_una_ && snd_max_ != snd_una_ && !s.data_len && !(s.flags & FIN) && s.window)
		reprobe_on_dup_ack(port_.now_ns()); /* acts only while a loss probe is outstanding */
	if (state_ == State::Closed)
		return false; /* the re-probe was stale: reset */
	/* window update (§3.10.7.4): only from a segment not older than the last one used */
	if (seq_le(snd_una_, ack) &&
	    (seq_lt(snd_wl1_, s.seq) || (snd_wl1_ == s.seq && seq_le(snd_wl2_, ack)))) {
		if (!snd_wnd_ && s.window) { /* the window opens: leave the persist timer */
			if (ack == snd_una_ && snd_nxt_ != snd_una_) {
				snd_nxt_ = snd_una_; /* without taking our probe octet: send it again */
				fin_sent_ = false;
			}
			loss_.probe_out = false;
			loss_.persist_backoff = 0;
			rto_deadline_ = 0; /* the persist deadline is no RTO: restarted for what is sent now */
		}
		snd_wnd_ = s.window;
		snd_wl1_ = s.seq;
		snd_wl2_ = ack;
		max_snd_wnd_ = max_of(max_snd_wnd_, snd_wnd_);
		if (!snd_wnd_) {
			stats_.v[StatZeroWindowSeen]++;
			retries_ = 0; /* the peer is alive, just not reading: keep probing */
		}
	}
	stats_.v[StatSndWnd] = snd_wnd_;
	stats_.v[StatCwnd] = cwnd_;
	transmit_pending();
	return state_ != State::Closed; /* false: a go-back-N resend was stale, the connection is reset */
}

/* Seventh check: in-order data goes to the sink at once; anything else is dropped and re-ACKed. */
template <class P, class K> void Client<P, K>::rx_data(const SegmentIn &s)
{
	if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
		return; /* after the peer's FIN no data can follow */
	const u8 *d = s.data;
	u32 n = s.data_len, seq = s.seq;
	if (seq_lt(seq, rcv_nxt_)) { /* overlaps what we have: keep the new part */
		const u32 skip = rcv_nxt_ - seq;
		if (skip >= n) {
			/* all old; a FIN right after it is new and rx_fin() acknowledges the segment */
			const bool fin_follows = (s.flags & FIN) && s.seq + s.data_len == rcv_nxt_;
			if (!fin_follows && may_reply())
				send_ack();
			return;
		}
		d += skip, n -= skip, seq = rcv_nxt_;
	}
	if (seq != rcv_nxt_) {
		stats_.v[StatOutOfOrder]++;
		if (may_reply())
			send_ack(); /* duplicate ACK: tells the peer where the hole is */
		return;
	}
	n = min_of(n, u32(cfg_.rcv_wnd));
	rcv_nxt_ += n;
	stats_.v[StatBytesIn] += n;
	if (sink_)
		sink_(sink_ctx_, d, u16(n));
	const bool fin_follows = (s.flags & FIN) && s.seq + s.data_len == rcv_nxt_;
	if (!fin_follows)
		send_ack(); /* rx_fin() acknowledges data and FIN together */
	post(Event::Data);
}

/* Eighth check: the peer's FIN, once everything before it has arrived. */
template <class P, class K> void Client<P, K>::rx_fin(const SegmentIn &s)
{
	if (s.seq + s.data_len != rcv_nxt_)
		return; /* data before the FIN is missing: the peer retransmits both */
	switch (state_) {
	case State::Established: /* passive close: say goodbye at once, after the queued orders */
		rcv_nxt_ += 1;
		stats_.v[StatPeerCloses]++;
		set_state(State::CloseWait);
		do_close(); /* -> LAST-ACK, FIN after the queued data */
		if (!fin_sent_ && state_ != State::Closed) /* Closed: a stale resend reset it */
			send_ack(); /* our FIN did not leave yet (window, TX ring): acknowledge theirs alone */
		post(Event::PeerClosed);
		break;
	case State::FinWait1: /* our FIN is not acknowledged yet (else rx_ack moved us on) */
		rcv_nxt_ += 1;
		send_ack();
		set_state(State::Closing);
		break;
	case State::FinWait2:
		rcv_nxt_ += 1;
		send_ack();
		set_state(State::TimeWait);
		rto_deadline_ = kick_deadline_ = loss_.pto_deadline = 0;
		state_deadline_ = port_.now_ns() + cfg_.time_wait_ns;
		post(Event::Closed);
		break;
	default:
		break;
	}
}

} // namespace oe::tcp
