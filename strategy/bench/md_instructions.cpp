// Deterministic cost of one MD packet through the real C ABI core (handleMDPacket -> parse -> book ->
// trigger -> tcp::Client template patch -> completeTx on the fake platform), for valgrind callgrind:
//   valgrind --tool=callgrind --toggle-collect=handleMDPacket md-instructions quiet|trigger N
// Only instructions inside handleMDPacket (and what it calls) are counted; divide by N.
//   valgrind --tool=callgrind --toggle-collect=oe_warm md-instructions warm N
// counts N warm runs (oe_warm) on the same connected core and book instead.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <valgrind/callgrind.h>

#include "bench_common.h"
#include "oe/abi.h"
#include "oe/fake_platform.h"
#include "oe/tcp/wire.h"

namespace {

constexpr int kLevels = 1000;

void md(const std::string &r) { handleMDPacket(reinterpret_cast<const UDPMDPacket *>(r.data()), oe::u16(r.size())); }

oe::tcp::SegmentIn g_syn;

const oe::u8 *first_frame(oe::u16 *len) { return oe_fake_tx_frame(0, len); }

} // namespace

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "quiet") && strcmp(argv[1], "trigger") && strcmp(argv[1], "warm"))) {
		fprintf(stderr, "usage: md-instructions quiet|trigger|warm N\n");
		return 2;
	}
	const int n = atoi(argv[2]);
	if (n < 1 || n > 999) {
		fprintf(stderr, "md-instructions: N must be 1..999\n");
		return 2;
	}
	oe_fake_reset();
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 2 * kLevels;
	c.max_orders_per_sec = 0;
	c.local_ip_be = __builtin_bswap32(0x0a000002), c.remote_ip_be = __builtin_bswap32(0x0a000001);
	if (oe_core_init(&c) != 0 || !bench::establish(first_frame, g_syn)) {
		fprintf(stderr, "md-instructions: setup failed\n");
		return 1;
	}
	for (auto &r : bench::snapshot(kLevels))
		md(r);
	if (!strcmp(argv[1], "warm")) {
		CALLGRIND_ZERO_STATS;
		int framed = 0;
		for (int i = 0; i < n; i++)
			framed += oe_warm() == 1;
		printf("warm: %d runs, %d frames prepared, %u real frames\n", n, framed, oe_fake_tx_count());
		oe_core_exit();
		return framed == n ? 0 : 1;
	}
	const bool trigger = !strcmp(argv[1], "trigger");
	auto rows = trigger ? bench::surges(n, 100) : bench::quiet_updates(n, 100);
	const oe::u32 tx_before = oe_fake_tx_count();
	CALLGRIND_ZERO_STATS; /* count only the measured packets (callgrind collects inside handleMDPacket) */
	for (int i = 0; i < n; i++) {
		md(rows[i]);
		if (trigger && i % 64 == 63) /* the exchange ACKs, so the congestion window never closes */
			bench::peer_sends(g_syn, 778, g_syn.seq + 1 + 13 * oe::u32(i + 1), oe::tcp::ACK);
	}
	const oe::u32 frames = oe_fake_tx_count() - tx_before;
	printf("%s: %d packets, %u order frames\n", argv[1], n, frames);
	oe_core_exit();
	/* the measurement is only meaningful if each surge produced exactly one frame and no quiet row did */
	return frames == (trigger ? oe::u32(n) : 0u) ? 0 : 1;
}
