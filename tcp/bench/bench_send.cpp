// tcp-bench: the cost of "send this order" -> frame ready in a TX buffer, template path vs building
// the frame from scratch. Modes:
//   tcp-bench template N | abi N | scratch N | patch N | build N   N calls of bench_<mode>
//   (abi: the same send_order on AbiPort over a minimal oe/abi.h platform)
//   tcp-bench time                                          wall-clock ns per order, both paths
// Under callgrind (bench.sh) only the bench_* functions are counted (--toggle-collect).
// OE_BENCH_STALE_US=N: run with Config::order_stale_ns = N us (default 0: off, as Config's default).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "oe/tcp/abi_port.h"
#include "oe/tcp/client.h"

using namespace oe;
using namespace oe::tcp;

namespace {

// A Port as thin as the driver's: a ring of pre-allocated buffers, nothing else.
struct BenchPort {
	static constexpr unsigned kBufs = 64;
	TxBuffer pkts[kBufs] = {};
	u8 mem[kBufs][2048] = {};
	unsigned next = 0;
	u64 clock = 1;
	u64 timer = 0;
	u64 committed = 0;
	TxBuffer *tx_begin()
	{
		TxBuffer *p = &pkts[next++ & (kBufs - 1)];
		p->data = mem[p - pkts];
		p->cap = 2048;
		return p;
	}
	void tx_cancel(TxBuffer *) { next--; }
	void tx_commit(TxBuffer *) { committed++; }
	u64 now_ns() { return clock; }
	void timer_arm(u64 t) { timer = t; }
	u32 random_u32() { return 0x9e3779b9u; }
};

struct NoCont {
	void operator()(Event) const {}
};
using BenchClient = Client<BenchPort, NoCont>;
using AbiClient = Client<AbiPort, NoCont>;

template <class C> struct RigOf {
	C c;
	u8 frame[128];
	u32 peer_nxt = 1000;
	u32 sent_since_ack = 0;
	u16 ip_id = 0;

	void peer(u8 flags, u32 seq, u32 ack, u16 mss)
	{
		Endpoints ep{};
		ep.local_ip = c.endpoints().remote_ip, ep.remote_ip = c.endpoints().local_ip;
		ep.local_port = c.endpoints().remote_port, ep.remote_port = c.endpoints().local_port;
		ep.ttl = 64;
		SegmentOut s{};
		s.seq = seq, s.ack = ack, s.window = 65535, s.flags = flags, s.mss_option = mss;
		build_segment(frame, sizeof(frame), ep, s);
		c.on_segment(frame + kOffIp, u16(kIpLen + kTcpLen + (mss ? kSynOptLen : 0)));
	}
	bool setup()
	{
		Config cfg;
		cfg.local_ip = 0x0a4d0002, cfg.remote_ip = 0x0a4d0001, cfg.remote_port = 9012;
		if (const char *e = std::getenv("OE_BENCH_STALE_US")) // the stale limit's bookkeeping (default off)
			cfg.order_stale_ns = std::strtoull(e, nullptr, 10) * 1000;
		if (!c.init(cfg) || c.connect(NoCont{}) != ConnectResult::Parked)
			return false;
		peer(SYN | ACK, peer_nxt - 1, c.iss() + 1, 1460);
		return c.state() == State::Established;
	}
	// outside the measured functions: acknowledge everything so the window never closes
	void ack_all() { peer(ACK, peer_nxt, c.snd_nxt(), 0); }
};
using Rig = RigOf<BenchClient>;
using AbiRig = RigOf<AbiClient>;

} // namespace

// The platform API of oe/abi.h as thin as the driver's fast path can be (a ring of blocks, a claim
// flag), so "abi" mode counts what AbiPort adds: direct calls through the C boundary.
struct oe_tx_ring {
	TCPPacket pkts[64];
	u8 mem[64][2048];
	unsigned next;
	bool claimed;
};
static oe_tx_ring g_ring;
extern "C" {
oe_tx_ring *oe_tx_ring_for(int) { return &g_ring; }
bool prepareWrite(int, oe_tx_ring *r) { return r->claimed ? false : (r->claimed = true); }
TCPPacket *getPacketBuffer(oe_tx_ring *r)
{
	TCPPacket *p = &r->pkts[r->next++ & 63];
	p->data = r->mem[p - r->pkts];
	p->cap = 2048;
	return p;
}
void cancelPrevWriteBuf(oe_tx_ring *r, TCPPacket *p) { r->next -= p ? 1 : 0, r->claimed = false; }
void completeTx(oe_tx_ring *r, TCPPacket *) { r->claimed = false; }
u64 oe_now_ns(void) { return 1; }
void oe_timer_arm(u64) {}
u32 oe_random_u32(void) { return 0x9e3779b9u; }
}

namespace {

const u8 kOrder[13] = { 1, 0, 0, 0, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0, 'B' };

} // namespace

// The measured functions (extern "C", noinline: callgrind --toggle-collect finds them by name).
extern "C" __attribute__((noinline)) bool bench_template(Rig &r) { return r.c.send_order(kOrder, 13); }

extern "C" __attribute__((noinline)) bool bench_abi(AbiRig &r) { return r.c.send_order(kOrder, 13); }

extern "C" __attribute__((noinline)) bool bench_scratch(Rig &r)
{
	BenchPort &p = r.c.port();
	TxBuffer *pkt = p.tx_begin();
	SegmentOut s{};
	s.seq = r.c.snd_nxt(), s.ack = r.c.rcv_nxt(), s.window = 65535, s.ip_id = r.ip_id++;
	s.flags = PSH | ACK, s.payload = kOrder, s.payload_len = 13;
	pkt->len = build_segment(pkt->data, pkt->cap, r.c.endpoints(), s);
	pkt->template_gen = 0;
	p.tx_commit(pkt);
	return pkt->len != 0;
}

extern "C" __attribute__((noinline)) u16 bench_patch(u8 *frame, const OrderTemplate &t, u32 seq)
{
	return patch_order(frame, t, seq, 77, u16(seq), kOrder, 13);
}

extern "C" __attribute__((noinline)) u16 bench_build(u8 *frame, const Endpoints &ep, u32 seq)
{
	SegmentOut s{};
	s.seq = seq, s.ack = 77, s.window = 65535, s.ip_id = u16(seq), s.flags = PSH | ACK;
	s.payload = kOrder, s.payload_len = 13;
	return build_segment(frame, 128, ep, s);
}

static u64 now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return u64(ts.tv_sec) * 1000000000ULL + u64(ts.tv_nsec);
}

int main(int argc, char **argv)
{
	const std::string mode = argc > 1 ? argv[1] : "";
	const long n = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 1000000;
	if ((mode != "template" && mode != "abi" && mode != "scratch" && mode != "patch" && mode != "build" &&
	     mode != "time") ||
	    n <= 0 || argc > 3) {
		std::fprintf(stderr, "usage: tcp-bench template|abi|scratch|patch|build N | time [N]\n");
		return 2;
	}
	if (mode == "abi") {
		std::unique_ptr<AbiRig> abi(new AbiRig());
		if (!abi->setup())
			return 1;
		for (long i = 0; i < n; i++) {
			if (!bench_abi(*abi))
				return 1;
			if (++abi->sent_since_ack == 64)
				abi->ack_all(), abi->sent_since_ack = 0;
		}
		return 0;
	}
	std::unique_ptr<Rig> rig(new Rig());
	if (!rig->setup()) {
		std::fprintf(stderr, "tcp-bench: handshake failed\n");
		return 1;
	}
	Rig &r = *rig;
	OrderTemplate t;
	build_order_template(t, r.c.endpoints(), 65535);
	static u8 frame[128];
	std::memcpy(frame, t.frame, kHdrLen);
	u64 sink = 0;
	auto run = [&](const std::string &m, long count) {
		for (long i = 0; i < count; i++) {
			if (m == "template") {
				if (!bench_template(r))
					return false;
				if (++r.sent_since_ack == 64)
					r.ack_all(), r.sent_since_ack = 0;
			} else if (m == "scratch") {
				sink += bench_scratch(r);
			} else if (m == "patch") {
				sink += bench_patch(frame, t, u32(i));
			} else {
				sink += bench_build(frame, r.c.endpoints(), u32(i));
			}
		}
		return true;
	};
	if (mode != "time")
		return run(mode, n) ? (sink == 1 ? 3 : 0) : 1;
	for (const char *m : { "template", "scratch" }) {
		run(m, 10000);
		const u64 t0 = now_ns();
		if (!run(m, n))
			return 1;
		std::printf("%s %.1f ns/order\n", m, double(now_ns() - t0) / double(n));
	}
	return sink == 1 ? 3 : 0;
}
