// The raw-frame modes (AF_PACKET, AF_XDP): the kernel's UDP and TCP stacks are bypassed, so the
// order-entry TCP endpoint is tcp/'s oe::tcp::Client (the same one the driver runs), fed with the
// frames we read and transmitting through a Port over our TX ring. One session loop for both:
//
//   poll the RX ring -> per frame: MD datagram -> Engine -> on fire Client::send_order (template
//   patch straight into the next TX ring slot + doorbell), or a segment of our connection ->
//   Client::on_segment; due timer -> Client::poll.
//
// An Io provides: rx(fn) (calls fn(frame, len, rx_ns) for each frame ready, returns the count, never
// blocks longer than ~100 ms), wait_rx() (sleep until a frame or 100 ms, unless busy polling), and
// tx_begin/tx_cancel/tx_commit with the Port's meaning.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core.h"
#include "oe/order.h"
#include "oe/tcp/client.h"

namespace us {

// How long a raw-frame mode may sleep in poll(): until the TCP client's next timer (rounded up to
// a whole ms), at most 100 ms so a stop request is noticed; 0 = timer already due.
inline int poll_timeout_ms(uint64_t timer_ns)
{
	if (!timer_ns)
		return 100;
	uint64_t now = mono_ns();
	if (timer_ns <= now)
		return 0;
	uint64_t ms = (timer_ns - now) / 1000000 + 1;
	return ms > 100 ? 100 : int(ms);
}

// Where the lab's flows are: addresses host order, MACs as on the wire.
struct RawEndpoints {
	uint8_t local_mac[6], remote_mac[6];
	uint32_t local_ip, remote_ip, group;
	uint16_t remote_port, md_port;
	int ifindex;
	bool own_ip;        // --raw-ip: local_ip is ours alone; we answer ARP for it
	uint32_t kernel_ip; // the interface's own address when own_ip
};
// Resolves the interface's MAC/IPv4 and the exchange's MAC (kernel neighbour table, after a probe).
// Exits 2 on a configuration error, 1 on a system error.
RawEndpoints resolve_endpoints(const Options &o);
// Joins the group on an unbound UDP socket: programs the NIC's multicast filter (and sends the IGMP
// report a switch would want) without the socket receiving a copy of anything. Returns the fd.
int join_group_only(const Options &o, const RawEndpoints &ep);
// After attaching XDP some drivers (igb) reset the NIC: wait up to 5 s for the carrier to return and
// 300 ms more for the link to pass traffic, so the first SYN is not lost in the reset.
void wait_carrier(const std::string &iface);
// A random port in 61000..65535, above Linux's default ephemeral range (32768..60999), so the kernel's
// autobind never hands it to a socket of its own (we choose it so the steering/drop programs know it
// up front).
uint16_t pick_local_port();

// The session's local port, held by a bound TCP socket of the kernel's stack while we speak TCP on
// it in raw frames: no other socket on this host can bind it (EADDRINUSE), so the kernel never
// answers or sends on our 4-tuple. Held until the next session's reserve() or the end of the
// process, so past the old session's TIME-WAIT. IP_FREEBIND: with --raw-ip the address is ours
// alone, not the interface's.
class PortReservation {
public:
	PortReservation() = default;
	PortReservation(const PortReservation &) = delete;
	PortReservation &operator=(const PortReservation &) = delete;
	~PortReservation() { release(); }
	// Releases the port held, then draws ports (pick_local_port) until one binds on local_ip (host
	// order), at most 8 draws. Returns it, or 0 when every draw was taken (each counted in in_use).
	uint16_t reserve(uint32_t local_ip);
	void release();
	uint64_t in_use() const { return in_use_; }

private:
	int fd_ = -1;
	uint64_t in_use_ = 0;
};

// The Port of tcp::Client over the active Io. The Client default-constructs its Port, so the Io
// and the timer live in statics: one connection per process.
// A warming shadow's port (make_shadow_of, tcp/include/oe/tcp/client_warm.h) prepares its frame in a
// scratch buffer and submits nothing, arms no timer.
template <class Io> struct RingPort {
	static inline Io *io = nullptr;
	static inline uint64_t timer_ns = 0;
	bool shadow = false;
	oe::tcp::TxBuffer *tx_begin() { return OE_UNLIKELY(shadow) ? scratch() : io->tx_begin(); }
	void tx_cancel(oe::tcp::TxBuffer *p)
	{
		if (!shadow)
			io->tx_cancel(p);
	}
	void tx_commit(oe::tcp::TxBuffer *p)
	{
		if (!shadow)
			io->tx_commit(p);
	}
	oe::u64 now_ns() { return mono_ns(); }
	void timer_arm(oe::u64 t)
	{
		if (!shadow)
			timer_ns = t;
	}
	oe::u32 random_u32();
	void make_shadow_of(const RingPort &) { shadow = true; }
	static oe::tcp::TxBuffer *scratch()
	{
		static uint8_t frame[2048];
		static oe::tcp::TxBuffer b{ frame, 0, sizeof(frame), 0 };
		return &b;
	}
};
uint32_t random_u32();
template <class Io> oe::u32 RingPort<Io>::random_u32() { return us::random_u32(); }

// tcp::Client counters as JSON members (",\"tcp_segs_in\":N,...").
template <class C> std::string client_json(const C &c)
{
	std::string s;
	char b[128];
	for (oe::u32 i = 0; i < C::stats_count(); i++) {
		std::snprintf(b, sizeof(b), ",\"%s\":%llu", C::stats_name(i), (unsigned long long)c.stats_value(i));
		s += b;
	}
	return s;
}

template <class Io> class RawSession {
public:
	struct Wake { // the continuation the Client fires: just records the event
		RawSession *s;
		void operator()(oe::tcp::Event e) const { s->last_ = e, s->have_event_ = true; }
	};
	using Client = oe::tcp::Client<RingPort<Io>, Wake>;

	RawSession(const Options &o, const RawEndpoints &ep, Io &io) : o_(o), ep_(ep), io_(io)
	{
		RingPort<Io>::io = &io;
	}

	// Init -> OEConnect -> Running with the given local port (already known to the steering).
	Outcome session(Core &core, uint16_t local_port)
	{
		oe::tcp::Config cfg;
		std::memcpy(cfg.local_mac, ep_.local_mac, 6);
		std::memcpy(cfg.remote_mac, ep_.remote_mac, 6);
		cfg.local_ip = ep_.local_ip;
		cfg.remote_ip = ep_.remote_ip;
		cfg.local_port = local_port;
		cfg.remote_port = ep_.remote_port;
		cfg.tos = o_.tos;
		cfg.syn_retries = 2;
		cfg.close_timeout_ns = 300000000ull;
		cfg.order_ttl_ns = uint64_t(o_.order_ttl_us) * 1000;
		cfg.order_stale_ns = uint64_t(o_.order_stale_us) * 1000;
		client_.~Client(); // a fresh TCB per session (Client is not re-initialisable once used)
		new (&client_) Client();
		client_.set_order_sink(&RawSession::order_fate, &core);
		if (!client_.init(cfg)) {
			std::fprintf(stderr, "oe-strategy: tcp::Client rejected the configuration\n");
			std::exit(2);
		}
		have_event_ = false;
		if (client_.connect(Wake{ this }) != oe::tcp::ConnectResult::Parked)
			return Outcome::ConnectFailed;
		// OEConnect: until Established or failure
		while (!have_event_) {
			if (run_over(o_))
				return finish(core, Outcome::Stopped);
			step(core, false);
		}
		if (last_ != oe::tcp::Event::Established)
			return Outcome::ConnectFailed;
		core.counters.connects++;
		logv(o_, "established (local port %u)", local_port);
		// Running: park recv() for the peer's close; orders leave from inside step().
		have_event_ = false;
		oe::tcp::RecvResult w = client_.recv(Wake{ this });
		while (w == oe::tcp::RecvResult::DataReady) // data the exchange sent with its SYN-ACK: keep parking
			w = client_.recv(Wake{ this });
		if (w != oe::tcp::RecvResult::Parked)
			return finish(core, Outcome::Disconnected);
		while (!have_event_) {
			if (run_over(o_))
				return finish(core, Outcome::Stopped);
			step(core, true);
		}
		return finish(core, Outcome::Disconnected);
	}

	const Client &client() const { return client_; }
	uint64_t frames() const { return frames_; }
	std::string warm_json() const
	{
		char b[96];
		std::snprintf(b, sizeof(b), ",\"warm_runs\":%llu,\"warm_frames\":%llu", (unsigned long long)warm_runs_,
			      (unsigned long long)warm_frames_);
		return b;
	}
	uint64_t arp_replies() const { return arp_replies_; }

private:
	// Orderly end: FIN (or answer the peer's), keep processing ACKs briefly so the peer sees a
	// clean close, then drop the TCB.
	Outcome finish(Core &core, Outcome r)
	{
		client_.close();
		const uint64_t until = mono_ns() + 300000000ull;
		while (mono_ns() < until && client_.state() != oe::tcp::State::Closed &&
		       client_.state() != oe::tcp::State::TimeWait)
			step(core, false);
		return r;
	}

	void step(Core &core, bool running)
	{
		unsigned n = io_.rx([&](const uint8_t *f, unsigned len, uint64_t rx_ns) { frame(core, running, f, len, rx_ns); });
		const uint64_t t = RingPort<Io>::timer_ns;
		if (t && mono_ns() >= t) {
			RingPort<Io>::timer_ns = 0;
			client_.poll(mono_ns());
		}
		if (n)
			return;
		uint64_t wake = RingPort<Io>::timer_ns;
		if (o_.warm_us && running) { // nothing was waiting in the ring: a real frame never waits for this
			const uint64_t due = last_md_ns_ + uint64_t(o_.warm_us) * 1000;
			if (mono_ns() >= due) {
				warm(core);
				last_md_ns_ = mono_ns();
				return;
			}
			wake = wake && wake < due ? wake : due;
		}
		io_.wait_rx(wake);
	}

	// One warm run (docs/strategy.md "Warming"): shadow engine and shadow client take the live
	// state (read only), a row that fires on the live book goes through the engine, the order frame
	// is built in the shadow port's scratch buffer and not submitted.
	void warm(Core &core)
	{
		const oe::Engine &live = core.engine();
		if (!warm_engine_) {
			const oe::EngineConfig wc = oe::Engine::warm_config(live.config());
			warm_book_.resize(oe::Engine::storage_bytes(wc) / sizeof(oe::Level));
			warm_engine_ = std::make_unique<oe::Engine>(wc, warm_book_.data());
		}
		warm_runs_++;
		warm_engine_->clone_for_warm(live);
		warm_client_.clone_for_warm(client_);
		const uint16_t n = live.warm_row(warm_row_, sizeof(warm_row_));
		if (!n)
			return;
		const oe::Decision d = warm_engine_->on_packet(warm_row_, n);
		if (!d.fire)
			return;
		uint8_t order[kOrderLen];
		oe::encode_order(order, d.side, d.price, d.qty);
		if (warm_client_.send_order(order, kOrderLen))
			warm_frames_++;
	}

	void frame(Core &core, bool running, const uint8_t *f, unsigned len, uint64_t rx_ns)
	{
		frames_++;
		if (OE_UNLIKELY(ep_.own_ip && len >= 14 && oe::get_be16(f + 12) == 0x0806))
			return arp(f, len);
		if (len < 14 + 20 || oe::get_be16(f + 12) != 0x0800 || (f[14] >> 4) != 4)
			return;
		const uint8_t *ip = f + 14;
		const unsigned ihl = (ip[0] & 15) * 4u, tot = oe::get_be16(ip + 2);
		if (ihl < 20 || tot < ihl || 14 + tot > len)
			return;
		if (ip[9] == 17 && running && oe::get_be32(ip + 16) == ep_.group && tot >= ihl + 8) {
			const uint8_t *udp = ip + ihl;
			if (oe::get_be16(udp + 2) != ep_.md_port || (oe::get_be16(ip + 6) & 0x3fff))
				return; // not our port, or a fragment (MD rows always fit one datagram)
			const unsigned ulen = oe::get_be16(udp + 4);
			if (ulen < 8 || ihl + ulen > tot)
				return;
			uint8_t order[kOrderLen];
			if (OE_UNLIKELY(o_.warm_us))
				last_md_ns_ = mono_ns();
			if (core.on_md(udp + 8, uint16_t(ulen - 8), order)) {
				/* trigger time = now (read by the client only if the order has to wait) */
				const oe::tcp::OrderResult res = client_.submit_order(order, kOrderLen, 0);
				if (res == oe::tcp::OrderResult::Sent)
					core.order_sent(rx_ns, kOrderLen);
				else if (res == oe::tcp::OrderResult::Queued)
					core.counters.orders_queued++;
				else
					core.counters.send_failures++;
			}
			return;
		}
		if (ip[9] == 6 && oe::get_be32(ip + 12) == ep_.remote_ip)
			client_.on_segment(ip, uint16_t(tot));
	}

	// What became of an order the client queued (its frame went out later, it expired, it was purged).
	static void order_fate(void *ctx, oe::tcp::OrderFate f, oe::u64)
	{
		Core &core = *static_cast<Core *>(ctx);
		if (f == oe::tcp::OrderFate::Sent)
			core.queued_order_sent(kOrderLen);
		else if (f == oe::tcp::OrderFate::Expired)
			core.counters.orders_expired++;
		else
			core.counters.orders_purged++;
	}

	// ARP request for our own address (--raw-ip): the kernel does not own it, so we answer.
	void arp(const uint8_t *f, unsigned len)
	{
		if (len < 42 || oe::get_be16(f + 14) != 1 || oe::get_be16(f + 16) != 0x0800 || f[18] != 6 || f[19] != 4 ||
		    oe::get_be16(f + 20) != 1 || oe::get_be32(f + 38) != ep_.local_ip)
			return;
		oe::tcp::TxBuffer *p = io_.tx_begin();
		if (!p)
			return;
		uint8_t *o = p->data;
		std::memset(o, 0, 60);
		std::memcpy(o, f + 22, 6); // to the requester
		std::memcpy(o + 6, ep_.local_mac, 6);
		oe::put_be16(o + 12, 0x0806);
		oe::put_be16(o + 14, 1);
		oe::put_be16(o + 16, 0x0800);
		o[18] = 6, o[19] = 4;
		oe::put_be16(o + 20, 2); // reply
		std::memcpy(o + 22, ep_.local_mac, 6);
		oe::put_be32(o + 28, ep_.local_ip);
		std::memcpy(o + 32, f + 22, 10); // requester's MAC and IP
		p->len = 60;
		p->template_gen = 0; // no longer holds the order template
		io_.tx_commit(p);
		arp_replies_++;
	}

	const Options &o_;
	const RawEndpoints &ep_;
	Io &io_;
	Client client_;
	oe::tcp::Event last_ = oe::tcp::Event::Closed;
	bool have_event_ = false;
	uint64_t frames_ = 0; // every frame the ring handed us (lab flows and anything else)
	uint64_t arp_replies_ = 0;
	// warming (--warm-us)
	uint64_t last_md_ns_ = 0, warm_runs_ = 0, warm_frames_ = 0;
	std::unique_ptr<oe::Engine> warm_engine_;
	std::vector<oe::Level> warm_book_;
	Client warm_client_;
	uint8_t warm_row_[oe::Engine::kWarmRowMax];
};

} // namespace us
