/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp::Client, timers. One platform timer serves them all: it is armed for the earliest of
 *   - the retransmission timer (RFC 6298), which doubles as the persist timer for a zero window,
 *   - the state deadline (close timeout in FIN-WAIT/CLOSING/LAST-ACK, TIME-WAIT),
 *   - a retry of queued transmissions when the TX ring had no buffer,
 *   - the expiry of the oldest queued order (Config::order_ttl_ns; client.h order_deadline()).
 * Included by client.h.
 */
#pragma once

namespace oe::tcp {

template <class P, class K> void Client<P, K>::rearm_timer()
{
	const u64 due[5] = { rto_deadline_, state_deadline_, kick_deadline_, loss_.pto_deadline, order_deadline() };
	u64 next = 0;
	for (u64 d : due)
		if (d && (!next || d < next))
			next = d;
	if (next != armed_deadline_) {
		armed_deadline_ = next;
		port_.timer_arm(next);
	}
}

template <class P, class K> void Client<P, K>::schedule_kick()
{
	if (!kick_deadline_) {
		kick_deadline_ = port_.now_ns() + kKickNs;
		rearm_timer();
	}
}

/* RFC 6298 §5.1: start the timer when data is sent and it is not running; the loss probe with it. */
template <class P, class K> void Client<P, K>::start_rto_if_idle(u64 now)
{
	if (!rto_deadline_)
		rto_deadline_ = now + rto_ns_;
	arm_pto(now);
	rearm_timer();
}

/* RFC 8985 §7.2: schedule a probe timeout while data is in flight outside any recovery (fast
 * recovery, after an RTO until an ACK makes progress, an outstanding probe, a zero window). PTO =
 * 2 SRTT floored at tlp_min_ns, and never later than the RTO. No WCDelAckT term for a single segment
 * in flight: our SRTT samples come from the same orders, so they already hold the peer's ACK delay,
 * and a probe that was not needed costs one duplicate segment, which the peer answers at once. */
template <class P, class K> void Client<P, K>::arm_pto(u64 now)
{
	if (!cfg_.tlp || loss_.pto_deadline || loss_.tlp_out || in_recovery_ || !snd_wnd_ || snd_max_ == snd_una_ ||
	    state_ == State::SynSent || state_ == State::Closed || state_ == State::TimeWait)
		return;
	const u64 pto = pto_interval();
	if (!rto_deadline_ || now + pto < rto_deadline_)
		loss_.pto_deadline = now + pto;
}

template <class P, class K> u64 Client<P, K>::pto_interval() const
{
	return srtt_ns_ ? max_of(2 * srtt_ns_, cfg_.tlp_min_ns) : rto_ns_;
}

/* A resend of the head was lost too (loss probe, fast retransmit or RTO resend): an ACK that does not
 * move SND.UNA (a later order arrived, the head did not) a PTO after that resend is the RACK rule
 * (RFC 8985 §6.2: a segment sent before one that was delivered, outstanding longer than the RTT plus a
 * reordering window) without SACK: resend the head again, at most once per PTO, instead of letting
 * one lost retransmission stall every later order for an RTO. */
template <class P, class K> void Client<P, K>::reprobe_on_dup_ack(u64 now)
{
	if (!cfg_.tlp || !loss_.head_sent_ns || !snd_wnd_ || now - loss_.head_sent_ns < pto_interval())
		return;
	const u32 n = resend_len();
	const bool fin = fin_queued_ && seq_gt(snd_max_, fin_seq_) && snd_una_ + n == fin_seq_;
	if (abort_if_stale(snd_una_, n))
		return;
	if ((n || fin) && send_data(snd_una_, n, fin)) {
		stats_.v[StatTlpProbes]++;
		stats_.v[StatRetransmits]++;
		loss_.head_sent_ns = now;
		rtt_timing_ = false;
	}
}

/* RFC 8985 §7.3. Without SACK the probe resends the oldest unacknowledged data (up to one MSS, with
 * the FIN if it fits): for a lone lost order that is the order; in a burst of small orders one MSS
 * holds them all. Then only the RTO runs until an ACK makes progress, which re-arms the probe. */
template <class P, class K> void Client<P, K>::on_pto(u64 now)
{
	if (state_ == State::SynSent || state_ == State::Closed || state_ == State::TimeWait || in_recovery_ ||
	    !snd_wnd_ || loss_.tlp_out || snd_max_ == snd_una_)
		return;
	const u32 n = resend_len();
	const bool fin = fin_queued_ && seq_gt(snd_max_, fin_seq_) && snd_una_ + n == fin_seq_;
	if (!n && !fin)
		return;
	if (abort_if_stale(snd_una_, n))
		return; /* the probe would resend a stale order */
	if (!send_data(snd_una_, n, fin)) {
		loss_.pto_deadline = now + kKickNs; /* no TX buffer: try again shortly */
		return;
	}
	stats_.v[StatTlpProbes]++;
	stats_.v[StatRetransmits]++;
	loss_.tlp_out = true;
	loss_.tlp_high = snd_max_;
	loss_.head_sent_ns = now;
	rtt_timing_ = false; /* Karn: the timed segment may have been sent twice */
	rto_deadline_ = now + rto_ns_; /* §7.3: after the probe the RTO, not another PTO */
}

/* RFC 6298 §2 in integer nanoseconds (alpha = 1/8, beta = 1/4, K = 4, G = 1 us). */
template <class P, class K> void Client<P, K>::rtt_sample(u64 r)
{
	r = r ? r : 1; /* srtt_ns_ == 0 means "no sample yet" */
	if (!srtt_ns_) {
		srtt_ns_ = r;
		rttvar_ns_ = r / 2;
	} else {
		const u64 err = srtt_ns_ > r ? srtt_ns_ - r : r - srtt_ns_;
		rttvar_ns_ = (3 * rttvar_ns_ + err) / 4;
		srtt_ns_ = (7 * srtt_ns_ + r) / 8;
	}
	u64 rto = srtt_ns_ + max_of(u64(1000), 4 * rttvar_ns_);
	rto_ns_ = min_of(max_of(rto, cfg_.rto_min_ns), cfg_.rto_max_ns);
	stats_.v[StatSrttUs] = srtt_ns_ / 1000;
	stats_.v[StatRtoUs] = rto_ns_ / 1000;
	stats_.v[StatRttMaxUs] = max_of(stats_.v[StatRttMaxUs], r / 1000);
}

template <class P, class K> void Client<P, K>::poll(u64 now)
{
	enter();
	if (armed_deadline_ && now >= armed_deadline_)
		armed_deadline_ = 0; /* the one-shot platform timer has fired */
	if (rto_deadline_ && now >= rto_deadline_) {
		rto_deadline_ = 0;
		on_rto(now);
	}
	if (state_deadline_ && now >= state_deadline_) {
		state_deadline_ = 0;
		on_state_deadline();
	}
	if (loss_.pto_deadline && now >= loss_.pto_deadline) {
		loss_.pto_deadline = 0;
		on_pto(now);
	}
	if (kick_deadline_ && now >= kick_deadline_)
		transmit_pending();
	if (const u64 d = order_deadline(); d && now >= d)
		expire_orders_at(now);
	rearm_timer();
	leave(); /* timers done: now the continuation may run */
}

template <class P, class K> void Client<P, K>::on_rto(u64 now)
{
	if (state_ == State::SynSent) {
		if (retries_++ >= cfg_.syn_retries) {
			enter_closed(Event::Failed, StatFailures);
			return;
		}
		stats_.v[StatRtoExpired]++;
		stats_.v[StatRetransmits]++;
		rto_ns_ = min_of(rto_ns_ * 2, cfg_.rto_max_ns); /* RFC 6298 §5.5 back off */
		stats_.v[StatRtoUs] = rto_ns_ / 1000;
		rtt_timing_ = false; /* Karn: no sample from a retransmitted SYN */
		send_syn();
		start_rto_if_idle(now);
		return;
	}
	if (state_ == State::Closed || state_ == State::TimeWait)
		return;
	const u32 in_flight = snd_max_ - snd_una_;
	if (!in_flight && data_end() == snd_nxt_)
		return; /* everything acknowledged: the timer stops (§5.2) */
	/* Every expiry without progress counts, probes included: a peer that keeps answering with a zero
	 * window resets the count in rx_ack(), a silent one is given up on. */
	if (retries_++ >= cfg_.data_retries) {
		send_rst(snd_max_, rcv_nxt_, true); /* the highest we sent: what the peer most likely expects */
		enter_closed(Event::Failed, StatFailures);
		return;
	}
	rtt_timing_ = false; /* Karn */
	loss_.tlp_out = true; /* no loss probe in RTO recovery: an ACK that makes progress re-arms it */
	loss_.pto_deadline = 0;
	const u32 outstanding = snd_nxt_ - snd_una_;
	if (!snd_wnd_ && (!outstanding || (loss_.probe_out && outstanding == 1))) {
		on_persist(now); /* a zero-window probe went unanswered: not congestion */
		return;
	}
	stats_.v[StatRtoExpired]++;
	if (in_flight) {
		/* RFC 5681 §3.1 eq. 4; then resend from SND.UNA (go-back-N, the ring holds every byte) */
		ssthresh_ = max_of(in_flight / 2, 2u * eff_mss_);
		cwnd_ = eff_mss_;
		in_recovery_ = false;
		dup_acks_ = 0;
		snd_nxt_ = snd_una_;
		fin_sent_ = false;
	}
	rto_ns_ = min_of(rto_ns_ * 2, cfg_.rto_max_ns);
	stats_.v[StatRtoUs] = rto_ns_ / 1000;
	stats_.v[StatCwnd] = cwnd_;
	/* after the go-back: the peer shrank its window to zero with everything in flight, so the resend is
	 * a probe from SND.UNA (the first RTO must put something on the wire) */
	if (!snd_wnd_ && data_end() != snd_nxt_)
		send_window_probe();
	else
		transmit_pending(true);
	if (state_ == State::Closed)
		return; /* the go-back resend was stale: reset (abort_if_stale) */
	if (in_flight)
		loss_.head_sent_ns = now; /* the go-back resend of SND.UNA */
	start_rto_if_idle(now);
}

/* The persist timer (RFC 9293 §3.8.6.1): probe again with the same octet (or a first one), back off
 * the interval (RFC 1122 §4.2.2.17); cwnd, ssthresh and the RTO are those of the open window. */
template <class P, class K> void Client<P, K>::on_persist(u64 now)
{
	if (snd_nxt_ != snd_una_) {
		if (abort_if_stale(snd_una_, 1))
			return; /* the probe octet is a resend of a stale order */
		if (send_data(snd_una_, 1, false))
			stats_.v[StatWindowProbes]++;
	} else if (data_end() != snd_nxt_) {
		send_window_probe();
	} else {
		transmit_pending(true); /* only a FIN is queued: it needs no window */
	}
	if (state_ == State::Closed)
		return;
	loss_.probe_out = snd_nxt_ - snd_una_ == 1;
	if (loss_.persist_backoff < 16)
		loss_.persist_backoff++;
	rto_deadline_ = now + min_of(rto_ns_ << loss_.persist_backoff, cfg_.rto_max_ns); /* rto_max < 2^47 */
}

template <class P, class K> void Client<P, K>::on_state_deadline()
{
	switch (state_) {
	case State::TimeWait: /* 2 MSL passed (configurable, see Config::time_wait_ns) */
		enter_closed(Event::Closed, StatCloses);
		break;
	case State::FinWait1:
	case State::FinWait2:
	case State::Closing:
	case State::LastAck: /* the peer did not finish the close in time: abort it */
		send_rst(snd_max_, rcv_nxt_, true); /* the highest we sent: what the peer most likely expects */
		enter_closed(Event::Closed, StatCloses);
		break;
	default:
		break;
	}
}

} // namespace oe::tcp
