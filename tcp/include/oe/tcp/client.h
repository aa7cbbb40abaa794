/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp::Client — the order-entry TCP endpoint (active open only), continuation based.
 *
 * Nothing blocks. connect() sends the SYN, parks the caller's continuation and returns; recv() parks
 * until peer data or close. The slot is fired by on_segment() (an incoming segment), poll() (a timer)
 * or close(), exactly once per arm, and only when the call that caused the event is finished with it
 * (segment fully processed: state, windows, timers updated; docs/continuations.md says what a
 * continuation may call). Events that find nothing parked are kept as news for the next recv(). Every method runs in the RX context (NAPI in the kernel) except init(), which
 * is process context; the caller serialises them (one CPU owns the connection).
 *
 * Protocol (docs/tcp.md): RFC 9293 state machine for a client; SYN carries MSS only, so the peer uses no
 * window scaling, SACK or timestamps (RFC 7323/2018: only if we offered them); RFC 6298 RTO with Karn's
 * rule; RFC 5681 slow start / congestion avoidance and fast retransmit (NewReno-style recovery, RFC 6582);
 * RFC 5961 RST/SYN/ACK validation with challenge ACKs; zero-window probing.
 */
#pragma once
#include "oe/base.h"
#include "oe/continuation.h"
#include "oe/oe_event.h"
#include "oe/tcp/config.h"
#include "oe/tcp/isn.h"
#include "oe/tcp/order_queue.h"
#include "oe/tcp/port.h"
#include "oe/tcp/recovery.h"
#include "oe/tcp/send_ring.h"
#include "oe/tcp/seq.h"
#include "oe/tcp/stats.h"
#include "oe/tcp/wire.h"

namespace oe::tcp {

enum class State : u8 { Closed, SynSent, Established, FinWait1, FinWait2, Closing, TimeWait, CloseWait, LastAck };
const char *state_name(State s);

/* Optional receiver of peer data (in order, exactly once); called in the RX context. */
using DataSink = void (*)(void *ctx, const u8 *data, u16 len);

template <class Port, class Cont> class Client {
	static_assert(is_port<Port>());

public:
	static constexpr u32 kSendBufBytes = 32768; /* unacknowledged + queued order bytes */
	static constexpr u16 kMaxPayload = 1460;    /* largest order batch in one segment */
	static constexpr u32 kMaxCwnd = 1u << 24;   /* far above any window without scaling */
	static constexpr u32 kMaxQueuedOrders = 4096; /* > kSendBufBytes / 13: the send buffer fills first */
	/* local_port 0: a random port above Linux's default ephemeral range (32768..60999) */
	static constexpr u16 kAutoPortLo = 61000;
	static constexpr u32 kAutoPorts = 65536 - kAutoPortLo;
	/* a reconnect on the same 4-tuple starts at least this far above the old SND.MAX (> 2 windows) */
	static constexpr u32 kIsnGap = 0x20000;

	Client() = default;
	Client(const Client &) = delete;
	Client &operator=(const Client &) = delete;

	/* process context, while CLOSED: addresses, ports, tos/ttl/mss, RTO bounds. false: invalid. */
	bool init(const Config &cfg);

	/* Active open from CLOSED or TIME-WAIT. Parked: k(Established | Reset | Failed | Closed) fires
	 * later; anything else: k is not kept, the result says why (oe/oe_event.h). */
	ConnectResult connect(const Cont &k);
	/* Park until peer data / close: k(Data | PeerClosed | Reset | Failed | Closed). Not Parked: news
	 * that came while nothing was parked (DataReady, PeerClosed), or the connection is over (NotOpen),
	 * or the slot is busy; k is not kept. */
	RecvResult recv(const Cont &k);
	/* One order (or a batch, len <= MSS) as one PSH|ACK segment through the pre-built template.
	 * trigger_ns: when the order was decided (Port clock; 0 = now). Sent: the frame reached the
	 * doorbell. Queued: it waits (window, cwnd, TX buffer, older data) and is sent, expired after
	 * Config::order_ttl_ns, or purged; the order sink hears which. Refused: counted, not kept. */
	OrderResult submit_order(const u8 *payload, u16 len, u64 trigger_ns);
	/* submit_order with trigger time "now": true unless refused. */
	bool send_order(const u8 *payload, u16 len) { return submit_order(payload, len, 0) != OrderResult::Refused; }
	/* Drop every queued order not yet handed to the NIC (kill switch, disconnect, carrier loss):
	 * counted (tcp_orders_purged), each reported Purged. Returns how many. */
	u32 purge_orders();
	/* One IPv4 packet from the wire, starting at the IP header. Everything is validated. */
	void on_segment(const u8 *ip, u16 len);
	/* Run due timers (RTO, persist, close timeout, TIME-WAIT) and queued transmissions. */
	void poll(u64 now_ns);
	/* Orderly close: FIN after the queued data, RST if the peer does not finish within close_timeout. */
	void close();

	State state() const { return state_; }
	const Stats &stats() const { return stats_; }
	static constexpr u32 stats_count() { return StatCount; }
	static const char *stats_name(u32 i) { return i < StatCount ? kStatNames[i] : ""; }
	u64 stats_value(u32 i) const { return i < StatCount ? stats_.v[i] : 0; }

	void set_data_sink(DataSink fn, void *ctx) { sink_ = fn, sink_ctx_ = ctx; }
	void set_order_sink(OrderSink fn, void *ctx) { order_sink_ = fn, order_sink_ctx_ = ctx; }
	/* ISN state that outlives this Client (RFC 6528 key, the last incarnation); nullptr: our own. */
	void set_isn_state(IsnState *s) { isn_ = s ? s : &own_isn_; }
	/* The Client is about to be destroyed (core restart): remember this incarnation's sequence space
	 * so the next Client on the same 4-tuple starts above it. */
	void end_incarnation() { remember_incarnation(); }
	u32 queued_orders() const { return orders_.count(); }
	Port &port() { return port_; }
	const Config &config() const { return cfg_; }
	const Endpoints &endpoints() const { return ep_; }
	/* introspection for tests and ethtool */
	u32 iss() const { return iss_; }
	u32 snd_una() const { return snd_una_; }
	u32 snd_nxt() const { return snd_nxt_; }
	u32 snd_max() const { return snd_max_; }
	u32 rcv_nxt() const { return rcv_nxt_; }
	u32 snd_wnd() const { return snd_wnd_; }
	u32 queued_bytes() const { return ring_.used(); }
	u16 mss() const { return eff_mss_; }
	u64 rto_ns() const { return rto_ns_; }
	u32 template_gen() const { return gen_; }
	bool armed() const { return slot_.armed(); }
	/* Internal consistency (fuzzer, tests): sequence variables ordered, ring matches them. */
	bool invariants_hold() const;
	/* Warming: become a shadow of live (client_warm.h). Needs Port::make_shadow_of. */
	void clone_for_warm(const Client &live);

private:
	/* ---- transmit (client_tx.h) ---- */
	u32 data_end() const { return snd_una_ + ring_.used(); }
	u32 usable_window() const;
	u32 resend_len() const;
	bool emit(u32 seq, u8 flags, const u8 *p, u16 n, const u8 *p2, u16 n2, u16 mss_opt);
	bool send_syn();
	void send_ack() { if (emit(snd_nxt_, ACK, nullptr, 0, nullptr, 0, 0)) stats_.v[StatAcksOut]++; }
	void send_rst(u32 seq, u32 ack, bool with_ack);
	bool send_data(u32 seq, u32 n, bool fin);
	void transmit_pending(bool timer_expired = false);
	void send_window_probe();
	void build_template();
	/* ---- timers (client_timers.h) ---- */
	void start_rto_if_idle(u64 now);
	void on_rto(u64 now);
	void on_persist(u64 now);
	void arm_pto(u64 now);
	void on_pto(u64 now);
	u64 pto_interval() const;
	void reprobe_on_dup_ack(u64 now);
	void on_state_deadline();
	void rtt_sample(u64 rtt_ns);
	void rearm_timer();
	void schedule_kick();
	/* ---- receive (client_rx.h) ---- */
	void rx_closed(const SegmentIn &s);
	void rx_syn_sent(const SegmentIn &s);
	void rx_synchronized(const SegmentIn &s);
	bool seq_acceptable(const SegmentIn &s) const;
	bool rx_ack(const SegmentIn &s);
	void rx_data(const SegmentIn &s);
	void rx_fin(const SegmentIn &s);
	void challenge_ack();
	/* ---- queued orders and their time-to-live (client.h) ---- */
	u32 orders_start() const { return data_end() - orders_.bytes(); } /* first byte of the oldest */
	bool head_committed() const { return orders_.count() && seq_lt(orders_start(), snd_max_); }
	u64 order_deadline() const;
	void orders_transmitted();
	void expire_orders();
	void expire_orders_at(u64 now);
	u32 whole_orders(u32 seq, u32 n) const;
	u32 drop_queued_orders(OrderFate why);
	void order_done(OrderFate f, u64 trigger_ns);
	void send_empty_probe();
	/* ---- the stale limit on retransmissions (client.h) ---- */
	bool stale_in(u32 seq, u32 n, u64 now) const;
	bool abort_if_stale(u32 seq, u32 n);
	void remember_incarnation()
	{
		if (state_ != State::Closed && ep_.local_port)
			isn_->remember(ep_.local_ip, ep_.local_port, ep_.remote_ip, ep_.remote_port, snd_max_);
	}
	bool may_reply();
	/* ---- transitions ---- */
	void set_state(State s) { state_ = s, stats_.v[StatState] = u64(s); }
	void enter_closed(Event why, Stat counter);
	void do_close();
	/* ---- events: posted while a call works, delivered when the outermost call is done ---- */
	enum : u8 { kNewsEstablished = 1, kNewsData = 2, kNewsPeerClosed = 4, kNewsEnd = 8 };
	void post(Event e);
	void enter() { depth_++; }
	void leave() { if (--depth_ == 0) deliver(); }
	void deliver();

	Port port_{};
	Config cfg_{};
	Endpoints ep_{};
	OrderTemplate tmpl_{};
	ContinuationSlot<Event, Cont> slot_;
	Stats stats_{};
	State state_ = State::Closed;
	bool configured_ = false;
	bool fin_queued_ = false;   /* close() asked for a FIN after the data */
	bool fin_sent_ = false;     /* the FIN is among [SND.UNA, SND.MAX) */
	u8 news_ = 0;               /* kNews* bits: events not yet delivered to a continuation */
	Event end_ = Event::Closed; /* the kNewsEnd event (Reset, Failed or Closed) */
	u8 depth_ = 0;              /* on_segment/poll/close calls in progress (continuations wait for 0) */
	bool rtt_timing_ = false;
	bool in_recovery_ = false;  /* fast recovery until SND.UNA passes recover_ */
	u8 dup_acks_ = 0;
	u16 ip_id_ = 0;
	u16 eff_mss_ = 536;
	u32 gen_ = 0;
	/* send sequence space (RFC 9293 §3.3.1) + SND.MAX: the highest sequence sent (go-back-N after RTO) */
	u32 iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0, snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0;
	u32 max_snd_wnd_ = 0;
	u32 fin_seq_ = 0;
	/* receive sequence space */
	u32 irs_ = 0, rcv_nxt_ = 0;
	/* congestion control (RFC 5681) */
	u32 cwnd_ = 0, ssthresh_ = 0, recover_ = 0;
	/* RFC 6298 */
	u64 rto_ns_ = 0, srtt_ns_ = 0, rttvar_ns_ = 0, rtt_start_ns_ = 0;
	u32 rtt_seq_ = 0;
	u32 retries_ = 0;
	u64 rto_deadline_ = 0, state_deadline_ = 0, armed_deadline_ = 0;
	u64 kick_deadline_ = 0; /* queued data waits for a TX buffer: retry from poll() then */
	static constexpr u64 kKickNs = 20000;
	LossState loss_{};       /* persist timer, tail-loss probe (recovery.h) */
	ReplyLimiter replies_{}; /* replies to unacceptable segments */
	u64 challenge_window_start_ = 0;
	u32 challenge_count_ = 0;
	DataSink sink_ = nullptr;
	void *sink_ctx_ = nullptr;
	OrderSink order_sink_ = nullptr;
	void *order_sink_ctx_ = nullptr;
	u64 empty_probe_ns_ = 0; /* last window probe sent because queued orders expired */
	IsnState own_isn_{};
	IsnState *isn_ = &own_isn_;
	SendRing<kSendBufBytes> ring_;
	OrderQueue<kMaxQueuedOrders> orders_;
	SentOrders<kMaxQueuedOrders> sent_orders_; /* orders in [SND.UNA, SND.MAX) (order_stale_ns on) */
};

/* ---- setup and user calls ------------------------------------------------------------------------ */

template <class P, class K> bool Client<P, K>::init(const Config &cfg)
{
	if (state_ != State::Closed || !cfg.remote_ip || !cfg.local_ip || !cfg.remote_port || cfg.mss < 88 ||
	    cfg.rto_min_ns == 0 || cfg.rto_min_ns > cfg.rto_max_ns || cfg.rto_initial_ns < cfg.rto_min_ns ||
	    cfg.rto_initial_ns > cfg.rto_max_ns || cfg.ttl == 0)
		return false;
	cfg_ = cfg;
	if (cfg_.mss > kMaxPayload)
		cfg_.mss = kMaxPayload;
	copy(ep_.local_mac, cfg.local_mac, 6);
	copy(ep_.remote_mac, cfg.remote_mac, 6);
	ep_.local_ip = cfg.local_ip;
	ep_.remote_ip = cfg.remote_ip;
	ep_.local_port = cfg.local_port;
	ep_.remote_port = cfg.remote_port;
	ep_.tos = cfg.tos;
	ep_.ttl = cfg.ttl;
	/* TX buffers outlive a Client (the driver keeps its ring across core re-inits): start the template
	 * generations at a random point so a stale stamp from an earlier instance is not taken for ours. */
	if (!configured_)
		gen_ = port_.random_u32();
	configured_ = true;
	return true;
}

template <class P, class K> ConnectResult Client<P, K>::connect(const K &k)
{
	if (!configured_)
		return ConnectResult::Unconfigured;
	if (state_ != State::Closed && state_ != State::TimeWait)
		return ConnectResult::NotClosed;
	if (slot_.armed())
		return ConnectResult::SlotBusy;
	const u64 now = port_.now_ns();
	remember_incarnation(); /* from TIME-WAIT: its sequence space (from CLOSED: enter_closed did) */
	ep_.local_port = cfg_.local_port ? cfg_.local_port : u16(kAutoPortLo + port_.random_u32() % kAutoPorts);
	/* RFC 6528: a 4 µs clock plus a keyed hash of the 4-tuple, so no peer can predict it and
	 * successive incarnations of one 4-tuple climb. On the last incarnation's 4-tuple the ISN must
	 * lie in [SND.MAX + gap, SND.MAX + 2^31) — "after" the old space mod 2^32, as a peer in
	 * TIME-WAIT judges a SYN (§3.4.1 / §3.6.1) — else it is SND.MAX + gap (a fast sender, the same
	 * instant, or a clock more than half the space ahead); also across Clients. */
	isn_->key_once([this] { return port_.random_u32(); });
	iss_ = isn_->isn(now, ep_.local_ip, ep_.local_port, ep_.remote_ip, ep_.remote_port);
	if (isn_->same_tuple(ep_.local_ip, ep_.local_port, ep_.remote_ip, ep_.remote_port)) {
		const u32 ahead = iss_ - isn_->last_snd_max;
		if (ahead < kIsnGap || ahead >= 0x80000000u)
			iss_ = isn_->last_snd_max + kIsnGap;
	}
	ip_id_ = u16(port_.random_u32());
	gen_ = gen_ + 1 ? gen_ + 1 : 1; /* never 0: 0 marks a buffer holding no template */
	snd_una_ = iss_;
	snd_nxt_ = snd_max_ = iss_ + 1;
	snd_wnd_ = max_snd_wnd_ = 0;
	ring_.clear();
	orders_.clear();
	sent_orders_.clear();
	fin_queued_ = fin_sent_ = rtt_timing_ = in_recovery_ = false;
	news_ = 0; /* what the previous connection left undelivered is no news for this one */
	kick_deadline_ = 0;
	loss_ = LossState{};
	dup_acks_ = 0;
	retries_ = 0;
	rto_ns_ = cfg_.rto_initial_ns;
	srtt_ns_ = rttvar_ns_ = 0;
	eff_mss_ = cfg_.mss;
	state_deadline_ = 0;
	slot_.arm(k);
	set_state(State::SynSent);
	stats_.v[StatConnects]++;
	stats_.v[StatRtoUs] = rto_ns_ / 1000;
	send_syn(); /* if no TX buffer now, the RTO sends it again */
	rtt_timing_ = true, rtt_seq_ = iss_, rtt_start_ns_ = now;
	rto_deadline_ = now + rto_ns_;
	rearm_timer();
	return ConnectResult::Parked;
}

template <class P, class K> RecvResult Client<P, K>::recv(const K &k)
{
	if (slot_.armed())
		return RecvResult::SlotBusy;
	if (news_ & kNewsData) {
		news_ &= u8(~kNewsData);
		return RecvResult::DataReady;
	}
	if (news_ & kNewsPeerClosed) {
		news_ &= u8(~kNewsPeerClosed);
		return RecvResult::PeerClosed;
	}
	if (state_ == State::Closed || state_ == State::TimeWait) {
		news_ = 0;
		return RecvResult::NotOpen;
	}
	slot_.arm(k);
	return RecvResult::Parked;
}

/* The fire path: prepareWrite -> getPacketBuffer -> patch the template -> completeTx. */
template <class P, class K> OrderResult Client<P, K>::submit_order(const u8 *payload, u16 len, u64 trigger_ns)
{
	if (OE_UNLIKELY(state_ != State::Established || len == 0 || len > eff_mss_ || ring_.space() < len)) {
		stats_.v[StatOrdersRefused]++;
		return OrderResult::Refused;
	}
	const u32 seq = snd_nxt_;
	if (OE_LIKELY(seq == data_end() && usable_window() >= len)) {
		TxBuffer *pkt = port_.tx_begin();
		if (OE_LIKELY(pkt && pkt->cap >= kOffPayload + len + kMinFrame - kHdrLen)) {
			if (OE_UNLIKELY(pkt->template_gen != gen_)) {
				copy(pkt->data, tmpl_.frame, kHdrLen);
				pkt->template_gen = gen_;
				stats_.v[StatTemplateRefills]++;
			}
			pkt->len = patch_order(pkt->data, tmpl_, seq, rcv_nxt_, ip_id_++, payload, len);
			port_.tx_commit(pkt);
			/* the frame is on its way; the rest is bookkeeping */
			ring_.append(seq, payload, len);
			snd_nxt_ = snd_max_ = seq + len;
			stats_.v[StatSegsOut]++;
			stats_.v[StatOrdersSent]++;
			stats_.v[StatBytesOut] += len;
			if (cfg_.order_stale_ns) /* its age, should it ever need a retransmission */
				sent_orders_.push(seq + len, trigger_ns ? trigger_ns : port_.now_ns());
			if (OE_UNLIKELY(!rto_deadline_ || !rtt_timing_ || !loss_.pto_deadline)) {
				const u64 now = port_.now_ns();
				if (!rtt_timing_)
					rtt_timing_ = true, rtt_seq_ = seq, rtt_start_ns_ = now;
				start_rto_if_idle(now);
			}
			return OrderResult::Sent;
		}
		if (pkt)
			port_.tx_cancel(pkt);
		stats_.v[StatTxBusy]++;
		schedule_kick();
	}
	/* window closed, a TX buffer missing, or older data still queued: keep order, send later */
	if (OE_UNLIKELY(orders_.full())) {
		stats_.v[StatOrdersRefused]++;
		return OrderResult::Refused;
	}
	ring_.append(data_end(), payload, len);
	orders_.push(len, trigger_ns ? trigger_ns : port_.now_ns());
	stats_.v[StatOrdersQueued]++;
	if (!kick_deadline_ && usable_window())
		transmit_pending(); /* e.g. behind a go-back-N resend: send what the windows allow now */
	if (OE_UNLIKELY(state_ == State::Closed))
		return OrderResult::Queued; /* that resend was stale: reset, the order was reported Purged */
	if (!rto_deadline_)
		start_rto_if_idle(port_.now_ns());
	rearm_timer(); /* the order's expiry */
	return OrderResult::Queued;
}

/* ---- queued orders: sent, expired or purged, never late (docs/tcp.md "Order time-to-live") ---- */

template <class P, class K> void Client<P, K>::order_done(OrderFate f, u64 trigger_ns)
{
	stats_.v[f == OrderFate::Sent ? StatOrdersSent : f == OrderFate::Expired ? StatOrdersExpired : StatOrdersPurged]++;
	if (order_sink_)
		order_sink_(order_sink_ctx_, f, trigger_ns);
}

/* Orders whose last byte is below SND.MAX reached the doorbell: sent. The longest wait is kept, the
 * measured side of the TTL (docs/tcp.md); the clock is read only when a queued order left. */
template <class P, class K> void Client<P, K>::orders_transmitted()
{
	u64 now = 0;
	while (orders_.count() && seq_le(orders_start() + orders_.head_len(), snd_max_)) {
		const u64 t = orders_.head_trigger_ns();
		if (cfg_.order_stale_ns)
			sent_orders_.push(orders_start() + orders_.head_len(), t);
		orders_.pop();
		now = now ? now : port_.now_ns();
		if (now > t)
			stats_.v[StatQueuedWaitMaxUs] = max_of(stats_.v[StatQueuedWaitMaxUs], (now - t) / 1000);
		order_done(OrderFate::Sent, t);
	}
}

/* When the oldest queued order expires (0: TTL off, nothing queued, or it is already partly out). */
template <class P, class K> u64 Client<P, K>::order_deadline() const
{
	if (!cfg_.order_ttl_ns || !orders_.count() || head_committed())
		return 0;
	return orders_.head_trigger_ns() + cfg_.order_ttl_ns + 1; /* age > TTL: expired */
}

template <class P, class K> void Client<P, K>::expire_orders()
{
	if (cfg_.order_ttl_ns && orders_.count())
		expire_orders_at(port_.now_ns());
}

/* Drop the queued orders older than the TTL (oldest first; they were queued in trigger order). Their
 * bytes were never transmitted, so they leave the send ring without a trace on the wire. */
template <class P, class K> void Client<P, K>::expire_orders_at(u64 now)
{
	orders_transmitted();
	if (!cfg_.order_ttl_ns || !orders_.count() || head_committed())
		return;
	u32 n = 0, bytes = 0;
	while (n < orders_.count()) {
		const u64 t = orders_.trigger_at(n);
		if (now <= t || now - t <= cfg_.order_ttl_ns)
			break;
		bytes += orders_.len_at(n++);
	}
	if (!n)
		return;
	ring_.erase(orders_start(), bytes, data_end());
	while (n--) {
		const u64 t = orders_.head_trigger_ns();
		orders_.pop();
		order_done(OrderFate::Expired, t);
	}
	/* Expiring behind a closed window stops the persist timer (nothing left to probe with), and then a
	 * lost window update would expire every later order: ask for the window (at most once per RTO). */
	if (!snd_wnd_ && snd_nxt_ == snd_una_ && (!empty_probe_ns_ || now - empty_probe_ns_ >= rto_ns_)) {
		empty_probe_ns_ = now;
		send_empty_probe();
	}
}

/* TTL on: new data leaves in whole orders, so an order is never half on the wire, committed to go
 * late. n bytes from seq are clipped to the last order boundary (bytes below the queue go as they are). */
template <class P, class K> u32 Client<P, K>::whole_orders(u32 seq, u32 n) const
{
	const u32 start = orders_start();
	if (!cfg_.order_ttl_ns || !orders_.count() || seq_le(seq + n, start))
		return n;
	u32 fit = seq_lt(seq, start) ? start - seq : 0, end = start;
	for (u32 i = 0; i < orders_.count(); i++) {
		end += orders_.len_at(i);
		if (seq_gt(end, seq + n))
			break;
		if (seq_gt(end, seq))
			fit = end - seq;
	}
	return fit;
}

/* A window probe that commits no order: an old sequence number (SND.UNA - 1) without data, which the
 * peer answers with an ACK carrying its window (RFC 9293 §3.10.7.4; what Linux sends, tcp_xmit_probe_skb). */
template <class P, class K> void Client<P, K>::send_empty_probe()
{
	if (emit(snd_una_ - 1, ACK, nullptr, 0, nullptr, 0, 0))
		stats_.v[StatWindowProbes]++;
}

/* Every queued order not (even partly) handed to the NIC leaves the send ring, reported why. */
template <class P, class K> u32 Client<P, K>::drop_queued_orders(OrderFate why)
{
	orders_transmitted();
	if (!orders_.count())
		return 0;
	/* partly on the wire: TCP must finish it, unless the connection is gone */
	const bool keep_head = state_ != State::Closed && head_committed();
	const u32 from = orders_start() + (keep_head ? orders_.head_len() : 0);
	const u32 n = orders_.count() - (keep_head ? 1 : 0);
	if (state_ != State::Closed)
		ring_.erase(from, data_end() - from, data_end());
	for (u32 i = 0; i < n; i++) {
		const u32 last = orders_.count() - 1; /* from the tail, so a kept head stays the head */
		const u64 t = orders_.trigger_at(last);
		orders_.pop_back();
		order_done(why, t);
	}
	return n;
}

/* ---- the stale limit: a retransmission never carries a late order (docs/tcp.md) ---------------- */

/* Some order with a byte in [seq, seq + n) (bytes already handed to the NIC: a retransmission) was
 * triggered more than Config::order_stale_ns before now. Cold: only at a retransmission; a binary
 * search finds the first order the range touches, then one step per order in it (<= one MSS). */
template <class P, class K> bool Client<P, K>::stale_in(u32 seq, u32 n, u64 now) const
{
	if (!cfg_.order_stale_ns || !n)
		return false;
	const u64 limit = cfg_.order_stale_ns;
	const u32 end = seq + n;
	u32 lo = 0, hi = sent_orders_.count(); /* first entry ending after seq (ends climb from SND.UNA) */
	while (lo < hi) {
		const u32 mid = lo + (hi - lo) / 2;
		if (seq_gt(sent_orders_.end_at(mid), seq))
			hi = mid;
		else
			lo = mid + 1;
	}
	for (u32 i = lo; i < sent_orders_.count(); i++) {
		const u64 t = sent_orders_.trigger_at(i);
		if (now > t && now - t > limit)
			return true;
		if (seq_ge(sent_orders_.end_at(i), end))
			return false;
	}
	/* a queued order partly handed to the NIC (TTL off: a probe octet or a split) */
	if (head_committed() && seq_lt(orders_start(), end)) {
		const u64 t = orders_.head_trigger_ns();
		return now > t && now - t > limit;
	}
	return false;
}

/* Resending [seq, seq + n) would deliver a stale order late: reset instead (RST with the highest
 * sequence sent, as when the retries run out), Event::Failed, tcp_stale_aborts; enter_closed counts
 * the unacknowledged bytes in doubt. true: the connection is closed, the caller stops. */
template <class P, class K> bool Client<P, K>::abort_if_stale(u32 seq, u32 n)
{
	if (OE_LIKELY(!cfg_.order_stale_ns) || !stale_in(seq, n, port_.now_ns()))
		return false;
	send_rst(snd_max_, rcv_nxt_, true);
	enter_closed(Event::Failed, StatStaleAborts);
	return true;
}

template <class P, class K> u32 Client<P, K>::purge_orders()
{
	const u32 n = drop_queued_orders(OrderFate::Purged);
	if (n)
		rearm_timer();
	return n;
}

template <class P, class K> void Client<P, K>::close()
{
	enter();
	do_close();
	leave(); /* e.g. a close in SYN-SENT: the parked connect hears Closed now */
}

template <class P, class K> void Client<P, K>::do_close()
{
	switch (state_) {
	case State::Closed:
	case State::FinWait1:
	case State::FinWait2:
	case State::Closing:
	case State::TimeWait:
	case State::LastAck:
		return;
	case State::SynSent: /* RFC 9293: delete the TCB; nothing was established */
		enter_closed(Event::Closed, StatCloses);
		return;
	case State::Established:
		set_state(State::FinWait1);
		break;
	case State::CloseWait:
		set_state(State::LastAck);
		break;
	}
	purge_orders(); /* a disconnect sends no order that was still waiting */
	fin_queued_ = true;
	fin_seq_ = data_end();
	state_deadline_ = port_.now_ns() + cfg_.close_timeout_ns;
	transmit_pending();
	rearm_timer();
}

template <class P, class K> void Client<P, K>::enter_closed(Event why, Stat counter)
{
	remember_incarnation();
	set_state(State::Closed);
	stats_.v[counter]++;
	drop_queued_orders(OrderFate::Purged); /* the connection is gone: so are the orders waiting on it */
	/* sent and never acknowledged (a reset, a failure): whether those orders arrived is unknown;
	 * counted so that every order sent is accounted for (0 after an orderly close) */
	stats_.v[StatBytesUnackedAtLoss] += min_of(ring_.used(), snd_max_ - snd_una_);
	ring_.clear();
	sent_orders_.clear();
	fin_queued_ = fin_sent_ = rtt_timing_ = in_recovery_ = false;
	rto_deadline_ = state_deadline_ = kick_deadline_ = 0;
	loss_ = LossState{};
	rearm_timer();
	post(why);
}

template <class P, class K> void Client<P, K>::post(Event e)
{
	switch (e) {
	case Event::Established: news_ |= kNewsEstablished; break;
	case Event::Data: news_ |= kNewsData; break;
	case Event::PeerClosed: news_ |= kNewsPeerClosed; break;
	default: news_ |= kNewsEnd, end_ = e; break;
	}
}

/* Run the parked continuation for each piece of news, oldest kind first (Established, Data,
 * PeerClosed, then the end). It may call connect/recv/send_order/close; whatever news those make is
 * delivered by this loop after it returns (depth_ > 0 holds nested calls back). News nobody waits
 * for stays for recv() to report. */
template <class P, class K> void Client<P, K>::deliver()
{
	depth_++;
	while (news_ && slot_.armed()) {
		const u8 bit = u8(news_ & -news_);
		news_ &= u8(~bit);
		slot_.fire(bit == kNewsEstablished ? Event::Established :
			   bit == kNewsData	   ? Event::Data :
			   bit == kNewsPeerClosed   ? Event::PeerClosed :
						      end_);
	}
	stats_.v[StatContEmptyFires] = slot_.empty_fires(); /* 0 unless a fire found the slot empty: a bug */
	depth_--;
}

template <class P, class K> bool Client<P, K>::invariants_hold() const
{
	if (u8(state_) > u8(State::LastAck))
		return false;
	if (state_ == State::Closed)
		return !rto_deadline_ && !state_deadline_ && !kick_deadline_ && !loss_.pto_deadline && ring_.used() == 0 &&
		       !orders_.count() && !sent_orders_.count();
	/* the queued orders are the tail of the ring and hold every byte never transmitted; only the oldest
	 * may be partly transmitted (TTL off: a probe octet), even partly acknowledged, and only it may be
	 * left before a FIN (close purges the rest) */
	const u32 committed = head_committed() ? 1u : 0u;
	if (orders_.bytes() - (committed ? orders_.head_len() : 0u) > ring_.used() ||
	    (orders_.count() > committed && fin_queued_) ||
	    (!fin_sent_ && seq_gt(data_end(), snd_max_) && u32(data_end() - snd_max_) > orders_.bytes()))
		return false;
	if (state_ != State::SynSent && (cwnd_ < eff_mss_ || eff_mss_ > cfg_.mss || snd_wnd_ > 65535))
		return false;
	const u32 una_to_end = data_end() - snd_una_ + (fin_queued_ ? 1 : 0);
	return seq_le(snd_una_, snd_nxt_) && seq_le(snd_nxt_, snd_max_) && ring_.used() <= kSendBufBytes &&
	       (state_ == State::SynSent ? snd_max_ == iss_ + 1 : u32(snd_max_ - snd_una_) <= una_to_end) &&
	       (!fin_sent_ || fin_queued_) && eff_mss_ >= 1 && rto_ns_ >= cfg_.rto_min_ns && rto_ns_ <= cfg_.rto_max_ns;
}

} // namespace oe::tcp

#include "oe/tcp/client_tx.h"
#include "oe/tcp/client_timers.h"
#include "oe/tcp/client_rx.h"
#include "oe/tcp/client_warm.h"
