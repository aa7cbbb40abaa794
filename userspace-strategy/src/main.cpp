// oe-strategy: the userspace baselines of the tick-to-trade lab. One driver loop, four I/O paths.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "core.h"

using namespace us;

namespace {

constexpr uint32_t kFirstBackoffMs = 10;
constexpr uint64_t kRefusalWindowMs = 500;

// Sleep in short slices so a signal or the deadline cuts the backoff short.
void backoff_sleep(const Options &o, uint32_t ms)
{
	for (uint32_t left = ms; left && !run_over(o);) {
		uint32_t step = left < 20 ? left : 20;
		timespec ts{ 0, long(step) * 1000000L };
		nanosleep(&ts, nullptr);
		left -= step;
	}
}

void write_stats(const Options &o, const Core &core)
{
	if (o.stats_json.empty())
		return;
	rusage ru{};
	getrusage(RUSAGE_SELF, &ru);
	std::string js = core.stats_json();
	char cpu[128];
	std::snprintf(cpu, sizeof(cpu), ",\"cpu_user_us\":%lld,\"cpu_sys_us\":%lld}",
		      (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		      (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	js.pop_back();
	js += cpu;
	if (o.stats_json == "-") {
		std::printf("%s\n", js.c_str());
		std::fflush(stdout);
		return;
	}
	FILE *f = std::fopen(o.stats_json.c_str(), "w");
	if (!f)
		die("open --stats-json");
	std::fprintf(f, "%s\n", js.c_str());
	std::fclose(f);
}

} // namespace

int main(int argc, char **argv)
{
	Options o = parse_options(argc, argv);
	install_signal_handlers();
	setup_hot_thread(o);
	Core core(o);
	std::unique_ptr<Variant> v;
	switch (o.mode) {
	case Mode::Blocking: v = make_blocking(o, core); break;
	case Mode::Uring: v = make_uring(o, core); break;
	case Mode::Packet: v = make_packet(o, core); break;
	case Mode::Xdp: v = make_xdp(o, core); break;
	case Mode::Floor: v = make_floor(o, core); break;
	}
	logv(o, "mode %s features: %s", mode_name(o.mode), core.features.c_str());

	// Init -> OEConnect -> Running; back to Init on disconnect, with capped exponential backoff.
	// A refusal: the exchange, already serving another client, accepts and closes at once
	// (docs/protocol.md). A session it closed before any market data arrived, or within
	// kRefusalWindowMs of its start (the other client's MD may reach us in between), is taken for
	// one: not a disconnect, and like a failed connect it doubles the backoff up to --max-backoff-ms,
	// so a held exchange sees a few connects per second at most. Only a real session resets the
	// backoff to 10 ms and counts towards --until-disconnects. (A lab session lasts at least the
	// exchange's start delay, 500 ms, plus its replay.)
	uint32_t backoff_ms = kFirstBackoffMs;
	while (!run_over(o)) {
		core.new_session();
		const uint64_t md_before = core.counters.md_packets, t0 = mono_ns();
		Outcome r = v->session(core);
		if (r == Outcome::Disconnected &&
		    (core.counters.md_packets == md_before || mono_ns() - t0 < kRefusalWindowMs * 1000000ull))
			r = Outcome::Refused;
		if (r == Outcome::Stopped)
			break;
		if (r == Outcome::Disconnected) {
			core.counters.disconnects++;
			logv(o, "disconnected (%llu)", (unsigned long long)core.counters.disconnects);
			if (o.until_disconnects && core.counters.disconnects >= o.until_disconnects)
				break;
			backoff_ms = kFirstBackoffMs; // the session traded: retry promptly
		} else {
			if (r == Outcome::Refused) {
				core.counters.refused++;
				logv(o, "refused: closed before any market data (%llu)", (unsigned long long)core.counters.refused);
			} else {
				core.counters.connect_failures++;
			}
			backoff_ms = next_backoff_ms(backoff_ms, o.max_backoff_ms);
		}
		backoff_sleep(o, backoff_ms);
	}
	v.reset();
	write_stats(o, core);
	return 0;
}
