/* SPDX-License-Identifier: GPL-2.0 */
/* tcp::Client, transmit side: control segments, queued data, retransmissions. Included by client.h. */
#pragma once

namespace oe::tcp {

/* min(SND.WND, cwnd) minus what is in flight (RFC 5681 §2: never more than both windows allow). */
template <class P, class K> u32 Client<P, K>::usable_window() const
{
	const u32 in_flight = snd_nxt_ - snd_una_;
	const u32 wnd = min_of(snd_wnd_, cwnd_);
	return wnd > in_flight ? wnd - in_flight : 0;
}

/* How much to resend from SND.UNA (fast retransmit, partial ACK, loss probe): what was sent, at most one
 * MSS, and inside the peer's window (RFC 9293 §3.8.6: after a shrink retransmit what lies between
 * SND.UNA and SND.UNA + SND.WND; into a zero window one octet, a probe). */
template <class P, class K> u32 Client<P, K>::resend_len() const
{
	return min_of(min_of(min_of(data_end(), snd_max_) - snd_una_, u32(eff_mss_)), max_of(snd_wnd_, 1u));
}

/* Build a segment from scratch into a fresh TX buffer and send it. ACK is set in every state but
 * SYN-SENT's SYN; the acknowledgment number is always RCV.NXT. */
template <class P, class K>
bool Client<P, K>::emit(u32 seq, u8 flags, const u8 *p, u16 n, const u8 *p2, u16 n2, u16 mss_opt)
{
	TxBuffer *pkt = port_.tx_begin();
	if (!pkt) {
		stats_.v[StatTxBusy]++;
		return false;
	}
	SegmentOut s{};
	s.seq = seq;
	s.ack = (flags & ACK) ? rcv_nxt_ : 0;
	s.window = cfg_.rcv_wnd;
	s.ip_id = ip_id_++;
	s.flags = flags;
	s.mss_option = mss_opt;
	s.payload = p, s.payload_len = n, s.payload2 = p2, s.payload2_len = n2;
	const u16 len = build_segment(pkt->data, pkt->cap, ep_, s);
	if (!len) {
		port_.tx_cancel(pkt);
		stats_.v[StatTxBusy]++;
		return false;
	}
	pkt->len = len;
	pkt->template_gen = 0; /* no longer holds the order template */
	port_.tx_commit(pkt);
	stats_.v[StatSegsOut]++;
	stats_.v[StatBytesOut] += u32(n) + n2;
	return true;
}

template <class P, class K> bool Client<P, K>::send_syn()
{
	return emit(iss_, SYN, nullptr, 0, nullptr, 0, cfg_.mss);
}

template <class P, class K> void Client<P, K>::send_rst(u32 seq, u32 ack, bool with_ack)
{
	const u32 saved = rcv_nxt_;
	rcv_nxt_ = ack; /* emit() acknowledges RCV.NXT; a reply RST acknowledges what it answers */
	if (emit(seq, u8(RST | (with_ack ? ACK : 0)), nullptr, 0, nullptr, 0, 0))
		stats_.v[StatRstOut]++;
	rcv_nxt_ = saved;
}

/* n bytes of the send ring starting at seq (plus the FIN after them if fin). */
template <class P, class K> bool Client<P, K>::send_data(u32 seq, u32 n, bool fin)
{
	const u8 *a = nullptr, *b = nullptr;
	u16 alen = 0, blen = 0;
	if (n)
		ring_.view(seq, n, a, alen, b, blen);
	u8 flags = ACK;
	if (n)
		flags |= PSH;
	if (fin)
		flags |= FIN;
	return emit(seq, flags, a, alen, b, blen, 0);
}

/* Send what the windows allow from SND.NXT: queued data in MSS-sized segments, then a queued FIN.
 * Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a segment goes if it is a full MSS, carries everything
 * queued, or fills at least half the largest window the peer offered; else it waits for the window to
 * open (an ACK) or, when nothing is in flight to bring one, for the timer (timer_expired overrides). */
template <class P, class K> void Client<P, K>::transmit_pending(bool timer_expired)
{
	kick_deadline_ = 0; /* before any return: a stale kick would re-fire the timer on a past deadline */
	if (state_ == State::Closed || state_ == State::SynSent || state_ == State::TimeWait)
		return;
	expire_orders(); /* an order past its TTL is dropped here, never sent late */
	for (u32 budget = 64; budget; budget--) { /* bounded: the rest goes on the next ACK or poll */
		const u32 unsent = data_end() - snd_nxt_;
		if (fin_sent_ && seq_gt(snd_nxt_, fin_seq_))
			break; /* everything incl. the FIN is out */
		const u32 wnd = usable_window();
		const u32 n = whole_orders(snd_nxt_, min_of(min_of(unsent, wnd), u32(eff_mss_)));
		const bool fin = fin_queued_ && snd_nxt_ + n == fin_seq_; /* FIN rides on the last data */
		if (!n && !fin)
			break;
		if (!n && unsent)
			break; /* data before the FIN waits for window */
		if (n && n < eff_mss_ && n < unsent && n < max_snd_wnd_ / 2 && !timer_expired)
			break; /* a silly window: wait for more room */
		if (snd_nxt_ != snd_max_ && abort_if_stale(snd_nxt_, min_of(n, u32(snd_max_ - snd_nxt_))))
			return; /* go-back-N would resend a stale order: reset instead */
		if (!send_data(snd_nxt_, n, fin)) {
			schedule_kick();
			break;
		}
		if (snd_nxt_ != snd_max_)
			stats_.v[StatRetransmits]++;
		else if (!rtt_timing_ && n) /* Karn: time new data only */
			rtt_timing_ = true, rtt_seq_ = snd_nxt_, rtt_start_ns_ = port_.now_ns();
		snd_nxt_ += n + (fin ? 1 : 0);
		if (fin)
			fin_sent_ = true;
		if (seq_gt(snd_nxt_, snd_max_))
			snd_max_ = snd_nxt_;
		if (fin)
			break;
	}
	orders_transmitted();
	if (snd_max_ != snd_una_ || data_end() != snd_nxt_)
		start_rto_if_idle(port_.now_ns()); /* RTO for data in flight, persist timer for a closed window */
}

/* RFC 9293 §3.8.6.1: with a zero window, send one octet of new data now and then; the peer acknowledges
 * it (or not) with its current window, so a lost window update cannot deadlock the connection. */
template <class P, class K> void Client<P, K>::send_window_probe()
{
	if (data_end() == snd_nxt_)
		return;
	if (cfg_.order_ttl_ns && snd_nxt_ == snd_max_) { /* an octet of a queued order would commit it */
		send_empty_probe();
		return;
	}
	if (snd_nxt_ != snd_max_ && abort_if_stale(snd_nxt_, 1))
		return; /* the probe octet is a resend of a stale order */
	if (send_data(snd_nxt_, 1, false)) {
		stats_.v[StatWindowProbes]++;
		loss_.probe_out = true;
		snd_nxt_ += 1;
		if (seq_gt(snd_nxt_, snd_max_))
			snd_max_ = snd_nxt_;
		orders_transmitted();
	}
}

template <class P, class K> void Client<P, K>::build_template()
{
	build_order_template(tmpl_, ep_, cfg_.rcv_wnd);
	gen_ = gen_ + 1 ? gen_ + 1 : 1; /* buffers stamped with an older template get refilled */
}

} // namespace oe::tcp
