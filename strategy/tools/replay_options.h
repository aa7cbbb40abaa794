// strategy-replay command line (host only).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "oe/abi.h"
#include "oe/parser.h"

namespace replay {

inline const char *kUsage =
	"usage: strategy-replay FILE.csv[.gz] [--symbol S] [--threshold AMOUNT] [--levels N] [--qty N]\n"
	"                       [--notional DOLLARS] [--capacity N] [--max-rate N]\n"
	"  Runs the strategy core over a Tardis incremental_book_L2 file (one row per line, header\n"
	"  optional) and prints every order it would send: <local_timestamp> <B|S> <price 1e-8> <qty>,\n"
	"  then the counters as '# name value'.\n"
	"  --threshold  size increase that fires (amount units, decimal ok; default 50000000)\n"
	"  --notional   fire on price x size increase > DOLLARS instead of the size threshold\n"
	"  --levels     fire only for levels whose rank after the update is < N (default 5)\n"
	"  --qty        order quantity (default 1)    --capacity  book levels per side (default 1024)\n"
	"  --max-rate   apply the orders-per-second limit on the rows' local_timestamp (us); default off\n";

struct Options {
	std::string file;
	oe_config cfg;
	uint32_t max_rate = 0;
};

inline bool parse_u32(const char *s, uint32_t &out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + uint64_t(*s - '0');
		if (v > 0xffffffffull)
			return false;
	}
	out = uint32_t(v);
	return true;
}

/* An exact decimal amount -> fixed-point 1e-8, through the same parser the core uses. */
inline bool parse_amount(const char *s, int64_t &out)
{
	size_t n = strlen(s);
	oe::i64 v;
	if (n == 0 || n > 64 || oe::md::parse_fixed(reinterpret_cast<const oe::u8 *>(s), oe::u16(n), v) != oe::md::ParseError::Ok)
		return false;
	out = v;
	return true;
}

/* false with err set on a bad command line */
inline bool parse_options(int argc, char **argv, Options &o, std::string &err)
{
	oe_config_defaults(&o.cfg);
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "-h" || a == "--help") {
			err = "";
			return false;
		}
		if (a.rfind("--", 0) != 0) {
			if (!o.file.empty()) {
				err = "more than one input file: " + a;
				return false;
			}
			o.file = a;
			continue;
		}
		if (i + 1 >= argc) {
			err = "missing value for " + a;
			return false;
		}
		const char *v = argv[++i];
		bool ok = true;
		if (a == "--symbol") {
			ok = strlen(v) >= 1 && strlen(v) <= oe::md::kMaxSymbol && !strchr(v, ',');
			if (ok)
				snprintf(o.cfg.symbol, sizeof(o.cfg.symbol), "%s", v);
		} else if (a == "--threshold") {
			ok = parse_amount(v, o.cfg.size_threshold);
			o.cfg.mode = OE_TRIGGER_SIZE;
		} else if (a == "--notional") {
			ok = parse_amount(v, o.cfg.notional_threshold);
			o.cfg.mode = OE_TRIGGER_NOTIONAL;
		} else if (a == "--levels") {
			ok = parse_u32(v, o.cfg.levels) && o.cfg.levels >= 1;
		} else if (a == "--qty") {
			ok = parse_u32(v, o.cfg.order_qty) && o.cfg.order_qty >= 1;
		} else if (a == "--capacity") {
			ok = parse_u32(v, o.cfg.book_capacity) && o.cfg.book_capacity >= 1 && o.cfg.book_capacity <= (1u << 20);
		} else if (a == "--max-rate") {
			ok = parse_u32(v, o.max_rate);
		} else {
			err = "unknown option " + a;
			return false;
		}
		if (!ok) {
			err = "bad value for " + a + ": '" + v + "'";
			return false;
		}
	}
	if (o.file.empty()) {
		err = "no input file";
		return false;
	}
	return true;
}

} // namespace replay
