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
#include <string>

#include "core.h"
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
// A random port in 49152..65535 (we choose it so the steering/drop programs know it up front).
uint16_t pick_local_port();

// The Port of tcp::Client over the active Io. The Client default-constructs its Port, so the Io
// and the timer live in statics: one connection per process.
template <class Io> struct RingPort {
	static inline Io *io = nullptr;
	static inline uint64_t timer_ns = 0;
	oe::tcp::TxBuffer *tx_begin() { return io->tx_begin(); }
	void tx_cancel(oe::tcp::TxBuffer *p) { io->tx_cancel(p); }
	void tx_commit(oe::tcp::TxBuffer *p) { io->tx_commit(p); }
	oe::u64 now_ns() { return mono_ns(); }
	void timer_arm(oe::u64 t) { timer_ns = t; }
	oe::u32 random_u32();
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
		client_.~Client(); // a fresh TCB per session (Client is not re-initialisable once used)
		new (&client_) Client();
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
		if (!n)
			io_.wait_rx(RingPort<Io>::timer_ns);
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
			if (core.on_md(udp + 8, uint16_t(ulen - 8), order)) {
				if (client_.send_order(order, kOrderLen))
					core.order_sent(rx_ns, kOrderLen);
				else
					core.counters.send_failures++;
			}
			return;
		}
		if (ip[9] == 6 && oe::get_be32(ip + 12) == ep_.remote_ip)
			client_.on_segment(ip, uint16_t(tot));
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
};

} // namespace us
