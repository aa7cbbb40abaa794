// oe-strategy: the userspace baselines of the tick-to-trade lab. One driver loop, four I/O paths.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "core.h"

using namespace us;

namespace {

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
	uint32_t backoff_ms = 10;
	while (!run_over(o)) {
		core.new_session();
		Outcome r = v->session(core);
		if (r == Outcome::Stopped)
			break;
		if (r == Outcome::Disconnected) {
			core.counters.disconnects++;
			logv(o, "disconnected (%llu)", (unsigned long long)core.counters.disconnects);
			if (o.until_disconnects && core.counters.disconnects >= o.until_disconnects)
				break;
			backoff_ms = 10; // the session worked: retry promptly
		} else {
			core.counters.connect_failures++;
			backoff_ms = backoff_ms * 2 > o.max_backoff_ms ? o.max_backoff_ms : backoff_ms * 2;
		}
		backoff_sleep(o, backoff_ms);
	}
	v.reset();
	write_stats(o, core);
	return 0;
}
