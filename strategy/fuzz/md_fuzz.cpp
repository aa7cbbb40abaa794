// libFuzzer target for the market-data hot path: every input is split at '\n' into packets, each copied
// into an allocation of exactly its size (so ASan flags any read past packetSz) and fed to a Running
// Strategy (engine + order encoding into a fake order entry); then the whole input as one packet.
// Checks: no crash/UB, book invariants, orders only for well-formed rows, counters add up.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "oe/strategy.h"
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
	return 0;
}
