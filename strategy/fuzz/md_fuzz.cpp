// libFuzzer target for the market-data hot path: every input is split at '\n' into packets, each copied
// into an allocation of exactly its size (so ASan flags any read past packetSz) and fed
//   1. to a Running Strategy over a scripted order entry: book invariants, orders only for
//      well-formed rows, counters add up;
//   2. to handleMDPacket() itself: the C ABI core on the fake platform with the real TCP client,
//      connected (SYN / SYN-ACK) for every input, so orders go all the way to TX frames.
// then the whole input as one packet.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "oe/abi.h"
#include "oe/fake_platform.h"
#include "oe/strategy.h"
#include "oe/tcp/wire.h"
#include "../ktests/fake_order_entry.h"

namespace {

using Strat = oe::Strategy<oe::kt::FakeOrderEntry>;

void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "md-fuzz: invariant violated: %s\n", what);
		abort();
	}
}

void feed(Strat &s, const uint8_t *p, size_t n)
{
	if (n > 0xffff)
		n = 0xffff;
	uint8_t *exact = static_cast<uint8_t *>(malloc(n ? n : 1));
	memcpy(exact, p, n);
	const uint64_t rows = s.engine().counter(oe::EngineCounter::md_rows);
	const uint64_t orders = s.order_entry().orders;
	s.on_md(exact, uint16_t(n), [] { return uint64_t(0); });
	if (s.engine().counter(oe::EngineCounter::md_rows) == rows)
		check(s.order_entry().orders == orders, "an order from a dropped packet");
	free(exact);
}

/* A fresh core on the fake platform, connected: SYN from oe_poll, SYN-ACK from "the exchange". */
void core_connected(uint32_t mode)
{
	oe_core_exit();
	oe_fake_reset();
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 8;
	c.size_threshold = 10 * oe::md::kFixedOne;
	c.notional_threshold = 1000 * oe::md::kFixedOne;
	c.mode = mode;
	c.max_orders_per_sec = 0;
	c.local_ip_be = __builtin_bswap32(0x0a000002), c.remote_ip_be = __builtin_bswap32(0x0a000001);
	check(oe_core_init(&c) == 0, "core init");
	oe_request_connect();
	oe_poll();
	uint16_t len = 0;
	const uint8_t *f = oe_fake_tx_frame(0, &len);
	oe::tcp::SegmentIn syn;
	check(f && oe::tcp::parse_segment(f + oe::tcp::kOffIp, uint16_t(len - oe::tcp::kOffIp), syn) ==
			   oe::tcp::ParseError::None, "SYN sent");
	oe::tcp::Endpoints ep{};
	ep.local_ip = syn.dst_ip, ep.remote_ip = syn.src_ip, ep.local_port = syn.dst_port, ep.remote_port = syn.src_port;
	ep.ttl = 64;
	oe::tcp::SegmentOut s{};
	s.seq = 1000, s.ack = syn.seq + 1, s.window = 65535, s.flags = oe::tcp::SYN | oe::tcp::ACK, s.mss_option = 1460;
	static uint8_t frame[128];
	uint16_t n = oe::tcp::build_segment(frame, sizeof(frame), ep, s);
	oe_tcp_rx(frame + oe::tcp::kOffIp, uint16_t(n - oe::tcp::kOffIp));
	check(oe_strategy_state() == 2, "connected");
}

void feed_abi(const uint8_t *p, size_t n)
{
	if (n > 0xffff)
		n = 0xffff;
	uint8_t *exact = static_cast<uint8_t *>(malloc(n ? n : 1));
	memcpy(exact, p, n);
	handleMDPacket(reinterpret_cast<const UDPMDPacket *>(exact), uint16_t(n));
	free(exact);
}

uint64_t stat_of(const char *name)
{
	for (uint32_t i = 0; i < oe_stats_count(); i++)
		if (!strcmp(oe_stats_name(i), name))
			return oe_stats_value(i);
	return ~0ull;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* small capacity and a low threshold so evictions, triggers and orders are reachable */
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 8;
	c.size_threshold = 10 * oe::md::kFixedOne;
	c.mode = (size && (data[0] & 1)) ? OE_TRIGGER_NOTIONAL : OE_TRIGGER_SIZE;
	c.notional_threshold = 1000 * oe::md::kFixedOne;
	oe::EngineConfig ec = oe::engine_config_from(c);
	static oe::Level levels[16];
	alignas(Strat) static unsigned char mem[sizeof(Strat)];
	Strat &s = *new (mem) Strat(ec, levels, 0);
	s.start_connect();
	s.order_entry().deliver(oe::tcp::Event::Established);

	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			feed(s, data + start, i - start);
			start = i + 1;
		}
	}
	feed(s, data, size);

	const oe::Engine &e = s.engine();
	check(e.bids().invariants_hold() && e.asks().invariants_hold(), "book order/size/capacity");
	check(e.counter(oe::EngineCounter::md_rows) + e.parse_drops_total() == e.counter(oe::EngineCounter::md_frames),
	      "every frame is either a row or a counted drop");
	check(s.counter(oe::StrategyCounter::orders_sent) == s.order_entry().orders, "orders counted");
	check(e.counter(oe::EngineCounter::decisions) == s.order_entry().orders, "each decision sent once");

	/* the same packets through the C ABI entry point */
	core_connected(c.mode);
	const uint32_t frames0 = oe_fake_tx_count();
	start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			feed_abi(data + start, i - start);
			start = i + 1;
		}
	}
	feed_abi(data, size);
	check(stat_of("oe_decisions") == e.counter(oe::EngineCounter::decisions), "ABI core decides like the engine");
	check(stat_of("oe_orders_sent") + stat_of("oe_orders_send_failed") == stat_of("oe_decisions"),
	      "every decision is sent or counted as refused");
	check(oe_fake_tx_count() - frames0 <= stat_of("oe_orders_sent"), "no frame without an order");
	oe_core_exit();
	return 0;
}
