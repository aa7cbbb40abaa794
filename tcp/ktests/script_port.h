/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted, in-memory Port and peer for the freestanding tcp tests (KUnit and gtest run the same
 * cases). The "peer" builds real frames with build_segment() (checksums and all) and feeds them to
 * the client; every frame the client sends is kept for inspection. No heap: the test objects live in
 * static storage (the Client is 33 KiB, too big for a kernel stack).
 */
#pragma once
#include "oe/base.h"
#include "oe/tcp/client.h"
#include "oe/tcp/wire.h"

namespace oe::tcp::test {

struct ScriptPort {
	static constexpr u32 kBufs = 4, kBufSize = 1600, kLog = 8;
	TxBuffer pkts[kBufs] = {};
	u8 mem[kBufs][kBufSize] = {};
	u32 next = 0;
	bool claimed = false;
	bool ring_full = false; /* simulate a full TX ring */
	u8 log[kLog][kBufSize] = {}; /* the last kLog frames sent, newest at (sent - 1) % kLog */
	u16 log_len[kLog] = {};
	u32 sent = 0, cancelled = 0, protocol_errors = 0;
	u64 now = 1000000000ULL;
	u64 timer = 0;
	u32 rnd = 0x12345678;
	u32 begins = 0; /* tx_begin calls (a reply that was not even tried does not count) */
	/* optional: sees every committed frame (tests that account for everything sent) */
	void (*on_commit)(void *ctx, const u8 *frame, u16 len) = nullptr;
	void *commit_ctx = nullptr;

	TxBuffer *tx_begin()
	{
		if (claimed)
			protocol_errors++;
		begins++;
		if (ring_full)
			return nullptr;
		TxBuffer *p = &pkts[next++ % kBufs];
		p->data = mem[p - pkts];
		p->cap = kBufSize;
		claimed = true;
		return p;
	}
	void tx_cancel(TxBuffer *) { claimed = false, cancelled++; }
	void tx_commit(TxBuffer *p)
	{
		if (!claimed || p->len > kBufSize)
			protocol_errors++;
		claimed = false;
		copy(log[sent % kLog], p->data, p->len);
		log_len[sent % kLog] = p->len;
		sent++;
		if (on_commit)
			on_commit(commit_ctx, p->data, p->len);
	}
	u64 now_ns() { return now; }
	void timer_arm(u64 t) { timer = t; }
	u32 random_u32() /* xorshift32: deterministic runs */
	{
		rnd ^= rnd << 13, rnd ^= rnd >> 17, rnd ^= rnd << 5;
		return rnd;
	}
	/* frame k back from the newest (0 = last sent) */
	const u8 *frame(u32 back = 0) const { return log[(sent - 1 - back) % kLog]; }
	u16 frame_len(u32 back = 0) const { return log_len[(sent - 1 - back) % kLog]; }
};

/* Continuation used by the tests: records what fired. Trivially copyable. */
struct Record {
	Event events[8];
	u32 n;
	/* optional: runs inside the continuation (what the client looks like when it fires, or a
	 * continuation that calls back into the client) */
	void (*hook)(void *ctx, Event e);
	void *ctx;
};
struct RecordK {
	Record *r;
	void operator()(Event e) const
	{
		if (r->n < 8)
			r->events[r->n] = e;
		r->n++;
		if (r->hook)
			r->hook(r->ctx, e);
	}
};

using TestClient = Client<ScriptPort, RecordK>;

constexpr u32 kClientIp = 0x0a4d0002, kPeerIp = 0x0a4d0001; /* 10.77.0.2 -> 10.77.0.1 */
constexpr u16 kPeerPort = 9012;

inline Config test_config()
{
	Config c;
	const u8 lm[6] = { 0x02, 0, 0, 0, 0, 0x02 }, rm[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	copy(c.local_mac, lm, 6);
	copy(c.remote_mac, rm, 6);
	c.local_ip = kClientIp;
	c.remote_ip = kPeerIp;
	c.remote_port = kPeerPort;
	c.tos = 0x10;
	c.ttl = 64;
	c.rto_min_ns = 200000000ULL;
	c.rto_max_ns = 8000000000ULL;
	return c;
}

/* The clock at which a keyed IsnState gives `iss` to the test 4-tuple with this local port (M counts
 * 4 us ticks mod 2^32: a whole lap more keeps the clock past the tests' usual start). */
inline u64 clock_for_isn(const IsnState &isn, u32 iss, u16 local_port)
{
	const u64 ticks = u32(iss - isn.isn(0, kClientIp, local_port, kPeerIp, kPeerPort));
	return (ticks + (ticks < 1000000 ? 1ULL << 32 : 0)) * 4000;
}

/* The test world: one client, its record, and the peer's view of the connection. */
struct World {
	TestClient c;
	Record rec;
	IsnState isn; /* aim_isn()'s: a known key */
	u32 peer_iss = 0x70000000;
	u32 peer_nxt = 0; /* next sequence number the peer sends */
	u8 frame[1600];
	u8 sink[256];
	u32 sink_len = 0;

	RecordK k() { return RecordK{ &rec }; }
	ScriptPort &port() { return c.port(); }

	/* Parse the client's frame `back` frames ago; false if it is not a valid TCP frame. */
	bool sent(SegmentIn &s, u32 back = 0)
	{
		const ScriptPort &p = port();
		if (!p.sent || back >= p.sent || back >= ScriptPort::kLog)
			return false;
		const u8 *f = p.frame(back);
		const u16 len = p.frame_len(back);
		if (len < kMinFrame || get_be16(f + 12) != kEtherTypeIpv4)
			return false;
		return parse_segment(f + kOffIp, u16(len - kOffIp), s) == ParseError::None;
	}
	/* Peer -> client: build a real frame and deliver its IP part. */
	void peer(u8 flags, u32 seq, u32 ack, const u8 *data = nullptr, u16 len = 0, u16 window = 65535, u16 mss = 0)
	{
		Endpoints ep{};
		ep.local_ip = kPeerIp, ep.remote_ip = kClientIp;
		ep.local_port = kPeerPort, ep.remote_port = c.endpoints().local_port;
		ep.ttl = 64;
		SegmentOut s{};
		s.seq = seq, s.ack = ack, s.window = window, s.flags = flags, s.mss_option = mss;
		s.payload = data, s.payload_len = len;
		const u16 n = build_segment(frame, sizeof(frame), ep, s);
		const u16 ip_len = u16(kIpLen + kTcpLen + (mss ? kSynOptLen : 0) + len);
		if (n)
			c.on_segment(frame + kOffIp, ip_len);
	}
	/* connect + SYN-ACK (window, peer MSS): the usual start of a case. */
	bool establish(u16 window = 65535, u16 mss = 1460)
	{
		if (c.connect(k()) != ConnectResult::Parked)
			return false;
		SegmentIn syn;
		if (!sent(syn) || syn.flags != SYN)
			return false;
		peer(SYN | ACK, peer_iss, syn.seq + 1, nullptr, 0, window, mss);
		peer_nxt = peer_iss + 1;
		return c.state() == State::Established;
	}
	/* Test hook: the next connect's ISN is `iss` (e.g. just below 2^32), computed the production
	 * way (RFC 6528: M + F, isn.h), only its inputs chosen: a known key, a fixed local port and a
	 * clock set so that M = iss - F. Callers check iss() after the connect, so a change in how
	 * connect() draws its ISN shows up as a failure, not as silently lost coverage. */
	void aim_isn(u32 iss, u16 local_port, u64 k0 = 0x0123456789abcdefULL, u64 k1 = 0xfedcba9876543210ULL)
	{
		Config cfg = c.config();
		cfg.local_port = local_port;
		c.init(cfg);
		isn = IsnState{};
		isn.k0 = k0, isn.k1 = k1, isn.keyed = true;
		c.set_isn_state(&isn);
		port().now = clock_for_isn(isn, iss, local_port);
	}
	void advance(u64 ns)
	{
		port().now += ns;
		c.poll(port().now);
	}
};

/* One World per test, in static storage (zero-initialised, no constructor runs at load), rebuilt by
 * placement new for every case. */
inline World &fresh_world()
{
	alignas(64) static u8 world_mem[sizeof(World)];
	World *w = new (world_mem) World();
	w->c.init(test_config());
	return *w;
}

} // namespace oe::tcp::test
