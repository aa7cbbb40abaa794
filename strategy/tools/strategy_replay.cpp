// strategy-replay: run the strategy core over a CSV(.gz) file and print the orders it would send.
#include <zlib.h>

#include <cstdio>
#include <vector>

#include "oe/engine.h"
#include "oe/safety.h"
#include "replay_options.h"

namespace {

constexpr int kMaxLine = 4096;

bool is_header(const char *line) { return strncmp(line, "exchange,", 9) == 0; }

} // namespace

int main(int argc, char **argv)
{
	replay::Options opt;
	std::string err;
	if (!replay::parse_options(argc, argv, opt, err)) {
		if (err.empty()) {
			fputs(replay::kUsage, stdout);
			return 0;
		}
		fprintf(stderr, "strategy-replay: %s\n%s", err.c_str(), replay::kUsage);
		return 2;
	}
	oe::EngineConfig ec = oe::engine_config_from(opt.cfg);
	if (!oe::engine_config_valid(ec)) {
		fprintf(stderr, "strategy-replay: invalid configuration\n");
		return 2;
	}
	gzFile in = gzopen(opt.file.c_str(), "rb");
	if (!in) {
		fprintf(stderr, "strategy-replay: cannot open %s\n", opt.file.c_str());
		return 1;
	}
	std::vector<oe::Level> storage(oe::Engine::storage_bytes(ec) / sizeof(oe::Level));
	oe::Engine engine(ec, storage.data());
	oe::Safety safety;
	safety.init(opt.max_rate);

	static char line[kMaxLine];
	uint64_t lines = 0, oversize = 0, rate_limited = 0, orders = 0;
	bool first = true;
	while (gzgets(in, line, sizeof(line))) {
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') { /* longer than any MD datagram: skip it */
			oversize++;
			int c;
			while ((c = gzgetc(in)) != -1 && c != '\n') {
			}
			continue;
		}
		if (first && is_header(line)) {
			first = false;
			continue;
		}
		first = false;
		lines++;
		oe::Decision d = engine.on_packet(reinterpret_cast<const oe::u8 *>(line), oe::u16(n));
		if (!d.fire)
			continue;
		if (opt.max_rate && safety.check(d.seq * 1000) != oe::SafetyVerdict::Allow) {
			rate_limited++;
			continue;
		}
		orders++;
		printf("%llu %c %lld %u\n", (unsigned long long)d.seq, d.side, (long long)d.price, d.qty);
	}
	int gz_err = 0;
	const char *gz_msg = gzerror(in, &gz_err);
	gzclose(in);
	for (oe::u32 i = 0; i < oe::kEngineCounterCount; i++)
		printf("# %s %llu\n", oe::Engine::counter_name(i), (unsigned long long)engine.counter_value(i));
	printf("# replay_lines %llu\n# replay_oversize_lines %llu\n# replay_rate_limited %llu\n# replay_orders %llu\n",
	       (unsigned long long)lines, (unsigned long long)oversize, (unsigned long long)rate_limited,
	       (unsigned long long)orders);
	if (gz_err != Z_OK && gz_err != Z_STREAM_END) {
		fprintf(stderr, "strategy-replay: read error: %s\n", gz_msg);
		return 1;
	}
	return 0;
}
