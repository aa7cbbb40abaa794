/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp::Client, warming (docs/strategy.md "Warming"). A shadow Client takes the live one's connection
 * state so that its send_order() runs the live fire path's code and builds the frame the live client
 * would build now; its Port becomes a sink (Port::make_shadow_of: TX into a scratch block, no
 * doorbell, no timer), and its sequence numbers, IP id, send ring and counters are its own copies.
 * The live Client is only read. Included by client.h.
 */
#pragma once

namespace oe::tcp {

template <class P, class K> void Client<P, K>::clone_for_warm(const Client &live)
{
	port_.make_shadow_of(live.port_);
	cfg_ = live.cfg_;
	ep_ = live.ep_;
	tmpl_ = live.tmpl_;
	state_ = live.state_;
	configured_ = live.configured_;
	fin_queued_ = live.fin_queued_;
	fin_sent_ = live.fin_sent_;
	news_ = 0; /* the shadow delivers no events */
	depth_ = 0;
	rtt_timing_ = live.rtt_timing_;
	in_recovery_ = live.in_recovery_;
	dup_acks_ = live.dup_acks_;
	ip_id_ = live.ip_id_;
	eff_mss_ = live.eff_mss_;
	gen_ = live.gen_;
	iss_ = live.iss_, snd_una_ = live.snd_una_, snd_nxt_ = live.snd_nxt_, snd_max_ = live.snd_max_;
	snd_wnd_ = live.snd_wnd_, snd_wl1_ = live.snd_wl1_, snd_wl2_ = live.snd_wl2_;
	max_snd_wnd_ = live.max_snd_wnd_;
	fin_seq_ = live.fin_seq_;
	irs_ = live.irs_, rcv_nxt_ = live.rcv_nxt_;
	cwnd_ = live.cwnd_, ssthresh_ = live.ssthresh_, recover_ = live.recover_;
	rto_ns_ = live.rto_ns_, srtt_ns_ = live.srtt_ns_, rttvar_ns_ = live.rttvar_ns_;
	rtt_start_ns_ = live.rtt_start_ns_, rtt_seq_ = live.rtt_seq_;
	retries_ = live.retries_;
	rto_deadline_ = live.rto_deadline_, state_deadline_ = live.state_deadline_;
	armed_deadline_ = live.armed_deadline_, kick_deadline_ = live.kick_deadline_;
	loss_ = live.loss_; /* the fire path tests the loss-probe deadline too */
	empty_probe_ns_ = live.empty_probe_ns_;
	/* the order sink stays ours (a shadow Strategy's, or none): a fate never reaches live counters;
	 * queued orders of earlier warm runs are forgotten */
	orders_.clear();
	sent_orders_.clear(); /* its pushes land in its own entries, never the live ones */
	stats_ = live.stats_; /* read: the lines a real order counts in, now cached */
	/* the same occupancy (so data_end() and space() match), not the bytes: an append lands in ours */
	ring_.mirror_used(live.ring_, live.snd_nxt_);
	/* no queued orders of its own (their fates would be counted in the shadow only; the live ones are
	 * not the shadow's to send, expire or purge) */
	orders_.clear();
}

} // namespace oe::tcp
