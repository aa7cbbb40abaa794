/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe::Strategy — the interrupt-driven strategy: Init -> OEConnect -> Running (-> Disconnecting -> Init).
 *
 * The old client was a loop around blocking calls (connect, recv). Here every method runs to completion
 * in the RX context (NAPI) and returns; where the loop used to block, the state records where we are and
 * a continuation (Resume, a trivially copyable {this, epoch}) is handed to the order-entry object, which
 * answers Parked (or why not: tcp::ConnectResult / tcp::RecvResult) and fires the continuation when the
 * segment/timer arrives, after it is done with it. See docs/continuations.md.
 *
 * OrderEntry<Cont> is tcp::Client<Port, Cont> in the module, a fake in tests. It must provide
 *   tcp::ConnectResult connect(const Cont &k); tcp::RecvResult recv(const Cont &k);
 *   tcp::OrderResult submit_order(const u8 *p, u16 n, u64 trigger_ns); u32 purge_orders();
 *   u32 queued_orders() const; void set_order_sink(tcp::OrderSink fn, void *ctx);
 *   void on_segment(const u8 *ip, u16 len); void poll(u64 now_ns); void close();
 * Every order carries its trigger time (the clock read at the decision): one that cannot leave at
 * once is queued by the order entry and later reported Sent, Expired (past its TTL) or Purged.
 *
 * Market data is processed in every state (the book must stay current); an order leaves only while
 * Running and after oe::Safety (kill switch, orders per second) allows it.
 */
#pragma once
#include "oe/base.h"
#include "oe/engine.h"
#include "oe/oe_event.h"
#include "oe/order.h"
#include "oe/safety.h"
#include "oe/tcp/order_queue.h"

namespace oe {

enum class StrategyState : u8 { Init = 0, OEConnect = 1, Running = 2, Disconnecting = 3 };

#define OE_STRATEGY_COUNTERS(X)                                                                    \
	X(orders_sent)            /* the order's frame reached the doorbell (at once or queued) */ \
	X(orders_send_failed)     /* the order entry refused it (state, send buffer full) */       \
	X(orders_not_running)     /* decided while not Running: not sent */                       \
	X(orders_killed)          /* decided while the kill switch was on */                      \
	X(orders_rate_limited)    /* over max_orders_per_sec */                                    \
	X(connect_requests)                                                                        \
	X(connect_ignored)        /* requested while not in Init */                                \
	X(connect_refused)        /* order entry could not start a connect */                      \
	X(connect_failures)       /* the handshake ended in Reset/Failed/Closed */                 \
	X(established)                                                                             \
	X(disconnect_requests)                                                                     \
	X(peer_closes)                                                                             \
	X(conn_lost)              /* Running ended by Reset/Failed/Closed */                       \
	X(disconnects)            /* an orderly close completed */                                 \
	X(rx_data)                /* peer data wake-ups */                                         \
	X(stale_continuations)    /* a continuation from an earlier connection fired: ignored */  \
	X(unexpected_events)                                                                       \
	X(orders_queued)          /* accepted but could not leave at once (window, cwnd, TX ring) */ \
	X(orders_expired)         /* queued past the order TTL: dropped, never sent late */         \
	X(orders_purged)          /* queued, dropped by kill switch / disconnect / carrier loss */

enum class StrategyCounter : u32 {
#define OE_X(name) name,
	OE_STRATEGY_COUNTERS(OE_X)
#undef OE_X
	count_
};
constexpr u32 kStrategyCounterCount = u32(StrategyCounter::count_);

const char *strategy_counter_name(u32 i); /* "oe_orders_sent", ...; nullptr past the end */

template <template <class Cont> class OrderEntry> class Strategy {
public:
	/* The continuation: trivially copyable, so it can sit in a ContinuationSlot. The epoch ties it to
	 * one connection attempt; a continuation of an earlier attempt is recognised and ignored. */
	struct Resume {
		Strategy *self;
		u32 epoch;
		void operator()(tcp::Event e) const { self->resume(epoch, e); }
	};
	using OE = OrderEntry<Resume>;

	/* book_storage: Engine::storage_bytes(ec) bytes. ec must be engine_config_valid(). */
	Strategy(const EngineConfig &ec, void *book_storage, u32 max_orders_per_sec) : engine_(ec, book_storage)
	{
		fill(ctr_, 0, sizeof(ctr_));
		safety_.init(max_orders_per_sec);
		oe_.set_order_sink(&Strategy::order_fate, this);
	}
	Strategy(const Strategy &) = delete;
	Strategy &operator=(const Strategy &) = delete;

	/* ---- RX context (NAPI) ---- */

	/* One MD payload. now() is called only when an order is about to leave (rate limit). */
	template <class Clock> OE_ALWAYS_INLINE void on_md(const u8 *p, u16 n, Clock now)
	{
		const Decision d __attribute__((uninitialized)) = engine_.on_packet_inline(p, n); /* no dead zero fill */
		if (OE_LIKELY(!d.fire))
			return;
		/* out of line, fields by value: the quiet path keeps the decision in registers */
		fire_order(d.side, d.price, d.qty, now());
	}
	/* The kill switch purges at the first entry after it is set (the driver also purges at once):
	 * an ACK or a timer never releases a queued order while it is on. */
	void on_tcp(const u8 *ip, u16 len)
	{
		if (OE_UNLIKELY(safety_.killed()))
			purge_orders();
		oe_.on_segment(ip, len);
	}
	void poll(u64 now_ns)
	{
		if (OE_UNLIKELY(safety_.killed()))
			purge_orders();
		oe_.poll(now_ns);
	}
	/* Drop every queued order not yet handed to the NIC; counted (orders_purged). */
	u32 purge_orders() { return oe_.queued_orders() ? oe_.purge_orders() : 0; }

	/* Init -> OEConnect: hand connect() our continuation; Established moves us on to Running.
	 * false: not started (not in Init, or the order entry is still busy, e.g. in TIME-WAIT). */
	bool start_connect()
	{
		count(StrategyCounter::connect_requests);
		if (state() != StrategyState::Init) {
			count(StrategyCounter::connect_ignored);
			return false;
		}
		set_state(StrategyState::OEConnect);
		epoch_++;
		if (oe_.connect(Resume{ this, epoch_ }) != tcp::ConnectResult::Parked) { /* could not start */
			count(StrategyCounter::connect_refused);
			set_state(StrategyState::Init);
			return false;
		}
		return true;
	}
	/* Orderly close; the terminal event of the connection brings us back to Init. */
	void start_disconnect()
	{
		count(StrategyCounter::disconnect_requests);
		StrategyState s = state();
		if (s == StrategyState::Init || s == StrategyState::Disconnecting)
			return;
		set_state(StrategyState::Disconnecting);
		purge_orders(); /* a disconnect sends nothing that was still waiting (close() would too) */
		oe_.close(); /* fires the parked continuation (Closed) if the connection ends at once */
	}

	/* Warming (docs/strategy.md "Warming"): this Strategy is a shadow (built with
	 * Engine::warm_config) and takes live's state — engine, order entry (whose port becomes a
	 * sink), safety, state — so that on_md() of a trigger row here runs the live fire path's code
	 * on copies. live is only read. */
	void clone_for_warm(const Strategy &live)
	{
		engine_.clone_for_warm(live.engine_);
		oe_.clone_for_warm(live.oe_);
		safety_ = live.safety_;
		state_ = live.state();
		epoch_ = live.epoch_;
		copy(ctr_, live.ctr_, sizeof(ctr_)); /* read: the lines a real order writes, now cached */
	}

	/* ---- any context ---- */
	StrategyState state() const { return read_once(state_); }
	void set_kill_switch(bool on) { safety_.set_kill(on); }
	bool kill_switch() const { return safety_.killed(); }
	u64 counter(StrategyCounter c) const { return read_once(ctr_[u32(c)]); }
	u64 counter_value(u32 i) const { return i < kStrategyCounterCount ? read_once(ctr_[i]) : 0; }

	Engine &engine() { return engine_; }
	const Engine &engine() const { return engine_; }
	OE &order_entry() { return oe_; }

private:
	void count(StrategyCounter c) { ctr_[u32(c)]++; }
	void set_state(StrategyState s) { write_once(state_, s); }

	__attribute__((noinline)) void fire_order(u8 side, i64 price, u32 qty, u64 now_ns)
	{
		if (OE_UNLIKELY(state() != StrategyState::Running)) {
			count(StrategyCounter::orders_not_running);
			return;
		}
		SafetyVerdict v = safety_.check(now_ns);
		if (OE_UNLIKELY(v != SafetyVerdict::Allow)) {
			count(v == SafetyVerdict::Killed ? StrategyCounter::orders_killed : StrategyCounter::orders_rate_limited);
			return;
		}
		u8 msg[kOrderBytes];
		encode_order(msg, side, price, qty);
		const tcp::OrderResult res = oe_.submit_order(msg, kOrderBytes, now_ns);
		if (OE_LIKELY(res == tcp::OrderResult::Sent))
			count(StrategyCounter::orders_sent);
		else
			count(res == tcp::OrderResult::Queued ? StrategyCounter::orders_queued : StrategyCounter::orders_send_failed);
	}

	/* A queued order's fate (its frame reached the doorbell, it expired, it was purged). */
	static void order_fate(void *ctx, tcp::OrderFate f, u64)
	{
		Strategy *self = static_cast<Strategy *>(ctx);
		self->count(f == tcp::OrderFate::Sent      ? StrategyCounter::orders_sent :
			    f == tcp::OrderFate::Expired   ? StrategyCounter::orders_expired :
							     StrategyCounter::orders_purged);
	}

	/* Where the old loop blocked in recv(): park, or take the news that came while nothing was parked
	 * (each piece is reported once, so the loop is short) and park then. */
	void wait_for_peer()
	{
		for (int news = 0; news < 4; news++) {
			switch (oe_.recv(Resume{ this, epoch_ })) {
			case tcp::RecvResult::Parked:
				return;
			case tcp::RecvResult::DataReady:
				count(StrategyCounter::rx_data);
				continue;
			case tcp::RecvResult::PeerClosed:
				peer_closed();
				return;
			case tcp::RecvResult::NotOpen:
				connection_over(StrategyCounter::conn_lost);
				return;
			case tcp::RecvResult::SlotBusy: /* something is parked already: it will fire */
				count(StrategyCounter::unexpected_events);
				return;
			}
		}
	}

	/* The peer's FIN: answer it (our FIN follows the queued orders), then wait for the close to end. */
	void peer_closed()
	{
		count(StrategyCounter::peer_closes);
		set_state(StrategyState::Disconnecting);
		oe_.close();
		if (state() == StrategyState::Disconnecting && oe_.recv(Resume{ this, epoch_ }) != tcp::RecvResult::Parked)
			connection_over(StrategyCounter::disconnects);
	}

	void connection_over(StrategyCounter why)
	{
		count(why);
		epoch_++; /* anything still parked from this connection is now stale */
		set_state(StrategyState::Init);
	}

	void resume(u32 epoch, tcp::Event e)
	{
		if (OE_UNLIKELY(epoch != epoch_)) {
			count(StrategyCounter::stale_continuations);
			return;
		}
		switch (state()) {
		case StrategyState::OEConnect:
			if (e == tcp::Event::Established) {
				count(StrategyCounter::established);
				set_state(StrategyState::Running);
				wait_for_peer();
			} else {
				connection_over(StrategyCounter::connect_failures);
			}
			return;
		case StrategyState::Running:
			switch (e) {
			case tcp::Event::Data:
				count(StrategyCounter::rx_data);
				wait_for_peer();
				return;
			case tcp::Event::PeerClosed:
				peer_closed();
				return;
			case tcp::Event::Established:
				count(StrategyCounter::unexpected_events);
				wait_for_peer();
				return;
			default:
				connection_over(StrategyCounter::conn_lost);
				return;
			}
		case StrategyState::Disconnecting:
			if (e == tcp::Event::Data || e == tcp::Event::PeerClosed) { /* not over yet: keep waiting */
				tcp::RecvResult w = oe_.recv(Resume{ this, epoch_ });
				while (w == tcp::RecvResult::DataReady || w == tcp::RecvResult::PeerClosed)
					w = oe_.recv(Resume{ this, epoch_ }); /* news of a closing connection: nothing to do */
				if (w != tcp::RecvResult::Parked)
					connection_over(StrategyCounter::disconnects);
				return;
			}
			connection_over(StrategyCounter::disconnects);
			return;
		case StrategyState::Init:
			count(StrategyCounter::unexpected_events);
			return;
		}
	}

	Engine engine_;
	OE oe_;
	Safety safety_;
	StrategyState state_ = StrategyState::Init;
	u32 epoch_ = 0;
	u64 ctr_[kStrategyCounterCount];
};

} // namespace oe
