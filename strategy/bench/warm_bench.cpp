// bench-warm: cycles of the in-driver fire path from "trigger packet in hand" (handleMDPacket entry)
// to "frame ready and descriptor written" (the TSC read after the tail write in ring_platform.cpp),
// host-native on real caches, through the real C ABI core compiled with the kernel's code generation:
//   hot   triggers back to back
//   cold  before each trigger: a quiet period that evicts caches and predictors (write EVICT_MB of
//         memory, run a few thousand unrelated branchy functions through indirect calls)
//   warm  the same quiet period, then one warm run (oe_warm), then the trigger
//   warm_l2  the same, plus L2-sized unrelated activity (1 MiB + junk code) between warm run and trigger
// and the cost of the warm run itself after the quiet period (what a packet arriving during one can
// wait for). Pinned to one CPU; prints percentiles and, last, the line make bench-warm promises.
//   real_once  the same quiet period, then one real trigger (untimed), then the measured one: the
//              bound of any one-shot warming on this machine
//   warm-bench [--cpu N] [--hot N] [--cold N] [--evict-mb N] [--quiet both|data|code] [--segments]
//              [--json PATH]
// (--quiet: what the quiet period evicts; both = memory and code, the default. --segments: also the
// p50 of each segment between the TX calls per case; each stamp adds an rdtscp to the path)
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bench_common.h"
#include "oe/abi.h"
#include "oe/tcp/wire.h"
#include "ring_platform.h"

namespace {

using Cycles = unsigned long long;

inline Cycles tsc_start()
{
	unsigned lo, hi;
	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return Cycles(hi) << 32 | lo;
}

// ---- the quiet period ------------------------------------------------------------------------------
std::vector<unsigned char> g_evict;

void touch(size_t bytes)
{
	volatile unsigned char *p = g_evict.data();
	for (size_t i = 0; i < bytes; i += 64)
		p[i] = (unsigned char)(p[i] + 1);
}

// Unrelated code: many distinct branchy functions called in a pseudo-random order, so the
// instruction cache, the BTB and the branch history hold something else when the trigger comes.
template <unsigned K> __attribute__((noinline)) Cycles junk(Cycles x)
{
	if ((x >> (K % 23)) & 1)
		x = x * 6364136223846793005ull + K;
	else
		x ^= x >> (K % 13 + 1);
	if ((x & 0xff) < K % 251)
		x += Cycles(K) * 0x9e3779b97f4a7c15ull;
	else
		x = (x << 7) | (x >> 57);
	for (unsigned i = 0; i < (K % 5) + 1; i++)
		x = (x & 1) ? x * 3 + K : x >> 1;
	return x;
}
using JunkFn = Cycles (*)(Cycles);
template <unsigned... I> constexpr std::array<JunkFn, sizeof...(I)> junk_table(std::integer_sequence<unsigned, I...>)
{
	return { &junk<I>... };
}
constexpr unsigned kJunk = 2048;
const std::array<JunkFn, kJunk> g_junk = junk_table(std::make_integer_sequence<unsigned, kJunk>{});
volatile Cycles g_sink;

void unrelated_code(unsigned calls)
{
	Cycles x = g_sink + 0x1234567;
	for (unsigned i = 0; i < calls; i++) {
		x = x * 2862933555777941757ull + 3037000493ull;
		x = g_junk[(x >> 33) % kJunk](x);
	}
	g_sink = x;
}

// ---- the session ---------------------------------------------------------------------------------
oe::tcp::SegmentIn g_syn;
oe::u32 g_acked;
unsigned long long g_seq = 1000;

void md(const std::string &r) { handleMDPacket(reinterpret_cast<const UDPMDPacket *>(r.data()), oe::u16(r.size())); }

// The exchange acknowledges everything and the device sends everything posted (outside the timing).
oe::u32 g_orders;
void drain()
{
	if (g_orders != g_acked) {
		bench::peer_sends(g_syn, 778, g_syn.seq + 1 + 13 * g_orders, oe::tcp::ACK);
		g_acked = g_orders;
	}
	ring_clean();
}

// --segments: the last trigger's cycles split at the clock read of the decision and the TX calls
// (ring_platform.h)
bool g_segments;
constexpr unsigned kSegs = 5;
const char *const kSegNames[kSegs] = { "md->decision", "decision->prep", "prep->buf", "buf->complete", "complete->tail" };
std::array<Cycles, kSegs> g_last_seg;

// One trigger: the best bid's size back to 1 (quiet, untimed), drain, `quiet`, then the surge
// (+60,000,000.5 at the best bid: buys at the best ask), timed to the tail write.
template <class Quiet> Cycles one_trigger(Quiet &&quiet)
{
	md(bench::row(g_seq++, false, true, 1023456, 1000));
	drain();
	quiet();
	/* the packet in hand: just received, its bytes in the cache (the driver's classification read it) */
	const std::string trig = bench::row(g_seq++, false, true, 1023456, 60000001500);
	const oe::u32 before = ring_doorbells();
	ring_segments_arm();
	const Cycles t0 = tsc_start();
	md(trig);
	const Cycles t1 = ring_tail_tsc();
	if (ring_doorbells() != before + 1) {
		std::fprintf(stderr, "warm-bench: a trigger did not ring the doorbell\n");
		std::exit(1);
	}
	g_orders++;
	if (g_segments) { /* where the cycles went: t0 -> prepareWrite -> buffer -> completeTx -> tail */
		oe::u64 seg[RING_SEGS];
		ring_segments(seg);
		g_last_seg = { seg[RING_SEG_CLOCK] - t0, seg[RING_SEG_PREPARE] - seg[RING_SEG_CLOCK],
			       seg[RING_SEG_BUFFER] - seg[RING_SEG_PREPARE], seg[RING_SEG_COMPLETE] - seg[RING_SEG_BUFFER],
			       t1 - seg[RING_SEG_COMPLETE] };
	}
	return t1 - t0;
}

struct Stats {
	double p50, p10, p90, p99;
	size_t n;
};
Stats stats(std::vector<Cycles> v)
{
	std::sort(v.begin(), v.end());
	auto at = [&](double q) { return double(v[std::min(v.size() - 1, size_t(q * double(v.size())))]); };
	return { at(0.5), at(0.1), at(0.9), at(0.99), v.size() };
}

double tsc_ghz()
{
	timespec a, b;
	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	const Cycles t0 = tsc_start();
	do
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec) < 200000000ll);
	const Cycles t1 = tsc_start();
	return double(t1 - t0) / double((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
}

[[noreturn]] void usage()
{
	std::fprintf(stderr, "usage: warm-bench [--cpu N] [--hot N] [--cold N] [--evict-mb N] [--quiet both|data|code] [--segments] [--json PATH]\n");
	std::exit(2);
}

unsigned number(const char *s, unsigned lo, unsigned hi)
{
	char *end = nullptr;
	const unsigned long v = std::strtoul(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		usage();
	return unsigned(v);
}

} // namespace

int main(int argc, char **argv)
{
	int cpu = -1;
	unsigned n_hot = 5000, n_cold = 2000, evict_mb = 64;
	std::string json, quiet = "both";
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (a == "--segments") {
			g_segments = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (a == "--cpu")
			cpu = int(number(v, 0, 4095));
		else if (a == "--hot")
			n_hot = number(v, 10, 10000000);
		else if (a == "--cold")
			n_cold = number(v, 10, 10000000);
		else if (a == "--evict-mb")
			evict_mb = number(v, 1, 4096);
		else if (a == "--json")
			json = v;
		else if (a == "--quiet" && (!strcmp(v, "both") || !strcmp(v, "data") || !strcmp(v, "code")))
			quiet = v;
		else
			usage();
	}
	if (cpu < 0) { /* the last CPU we may run on */
		cpu_set_t s;
		sched_getaffinity(0, sizeof(s), &s);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &s))
				cpu = c;
	}
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		std::perror("warm-bench: sched_setaffinity");
		return 1;
	}
	g_evict.assign(size_t(evict_mb) << 20, 1);

	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 2048;
	c.max_orders_per_sec = 0;
	c.local_ip_be = __builtin_bswap32(0x0a000002), c.remote_ip_be = __builtin_bswap32(0x0a000001);
	if (oe_core_init(&c) != 0 || !bench::establish(ring_last_frame, g_syn)) {
		std::fprintf(stderr, "warm-bench: setup failed\n");
		return 1;
	}
	for (auto &r : bench::snapshot(1000))
		md(r);

	const bool q_data = quiet != "code", q_code = quiet != "data";
	const auto quiet_period = [&] {
		if (q_data)
			touch(g_evict.size());
		if (q_code)
			unrelated_code(8 * kJunk);
	};
	std::vector<Cycles> hot, cold, warm, warm_l2, real_once, warm_run;
	enum { kHot, kCold, kWarm, kWarmL2, kRealOnce, kCases };
	std::array<std::array<std::vector<Cycles>, kSegs>, kCases> segs;
	const auto add = [&](std::vector<Cycles> &v, unsigned c, Cycles total) {
		v.push_back(total);
		if (g_segments)
			for (unsigned k = 0; k < kSegs; k++)
				segs[c][k].push_back(g_last_seg[k]);
	};
	ring_segments_enable(g_segments);
	for (unsigned i = 0; i < n_hot / 10; i++) /* let the TCP window and the pool settle */
		one_trigger([] {});
	for (unsigned i = 0; i < n_hot; i++)
		add(hot, kHot, one_trigger([] {}));
	const unsigned warm_frames0 = ring_warm_frames();
	for (unsigned i = 0; i < n_cold; i++) { /* interleaved, so load changes on the shared host hit all */
		add(cold, kCold, one_trigger(quiet_period));
		add(warm, kWarm, one_trigger([&] {
			quiet_period();
			const Cycles t0 = tsc_start();
			if (oe_warm() != 1) {
				std::fprintf(stderr, "warm-bench: the warm run prepared no frame\n");
				std::exit(1);
			}
			warm_run.push_back(tsc_start() - t0);
		}));
		add(warm_l2, kWarmL2, one_trigger([&] {
			quiet_period();
			oe_warm();
			touch(1u << 20);
			unrelated_code(kJunk / 4);
		}));
		add(real_once, kRealOnce, one_trigger([&] { /* the bound of one-shot warming: the real path itself */
			quiet_period();
			md(bench::row(g_seq++, false, true, 1023456, 60000001500));
			g_orders++;
			md(bench::row(g_seq++, false, true, 1023456, 1000));
			drain();
		}));
	}
	const unsigned warm_frames = ring_warm_frames() - warm_frames0;
	oe_core_exit();

	const double ghz = tsc_ghz();
	const Stats h = stats(hot), co = stats(cold), w = stats(warm), w2 = stats(warm_l2), ro = stats(real_once),
		    wr = stats(warm_run);
	std::printf("bench-warm: host-native, pinned to CPU %d, TSC %.2f GHz, quiet period: %s (%u MiB written, %u junk calls)\n",
		    cpu, ghz, quiet.c_str(), q_data ? evict_mb : 0, q_code ? 8 * kJunk : 0);
	std::printf("%-10s %7s %9s %9s %9s %9s %9s\n", "case", "n", "p10", "p50", "p90", "p99", "p50 ns");
	const auto line = [&](const char *name, const Stats &s) {
		std::printf("%-10s %7zu %9.0f %9.0f %9.0f %9.0f %9.0f\n", name, s.n, s.p10, s.p50, s.p90, s.p99, s.p50 / ghz);
	};
	line("hot", h);
	line("cold", co);
	line("warm", w);
	line("warm_l2", w2);
	line("real_once", ro);
	line("warm_run", wr);
	if (g_segments) {
		const char *const case_names[kCases] = { "hot", "cold", "warm", "warm_l2", "real_once" };
		std::printf("segments, p50 cycles (the TX calls of the real ring; each stamp is one rdtscp):\n%-10s", "case");
		for (const char *n : kSegNames)
			std::printf(" %14s", n);
		std::printf("\n");
		for (unsigned c = 0; c < kCases; c++) {
			std::printf("%-10s", case_names[c]);
			for (unsigned k = 0; k < kSegs; k++)
				std::printf(" %14.0f", stats(segs[c][k]).p50);
			std::printf("\n");
		}
	}
	std::printf("warm frames prepared in the sink: %u (real doorbells never rung by a warm run)\n", warm_frames);
	std::printf("warm/hot p50 = %.2f (goal <= 1.2), cold/warm p50 = %.2f\n", w.p50 / h.p50, co.p50 / w.p50);
	if (!json.empty()) {
		FILE *f = std::fopen(json.c_str(), "w");
		if (!f) {
			std::perror("warm-bench: --json");
			return 1;
		}
		auto obj = [&](const char *name, const Stats &s, bool last) {
			std::fprintf(f, "\"%s\":{\"n\":%zu,\"p10\":%.0f,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f}%s", name, s.n, s.p10,
				     s.p50, s.p90, s.p99, last ? "" : ",");
		};
		std::fprintf(f, "{\"unit\":\"tsc cycles\",\"accel\":\"host-native\",\"cpu\":%d,\"tsc_ghz\":%.3f,\"evict_mb\":%u,\"quiet\":\"%s\",", cpu,
			     ghz, evict_mb, quiet.c_str());
		obj("hot", h, false);
		obj("cold", co, false);
		obj("warm", w, false);
		obj("warm_l2", w2, false);
		obj("real_once", ro, false);
		obj("warm_run", wr, true);
		std::fprintf(f, "}\n");
		std::fclose(f);
	}
	std::printf("fire-path cycles hot_p50=%.0f cold_p50=%.0f warm_p50=%.0f\n", h.p50, co.p50, w.p50);
	return 0;
}
