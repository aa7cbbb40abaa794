// mdgen: write a deterministic Tardis incremental_book_L2 .csv.gz (see mdgen_model.h).
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>

#include <zlib.h>

#include "cli_args.h"
#include "fixed_point.h"
#include "mdgen_model.h"

using namespace oeex;

static void print_help()
{
	std::printf(
		"usage: mdgen --out PATH.csv.gz [options]\n"
		"  --out PATH        output file (gzip; '-' writes plain CSV to stdout)\n"
		"  --seed N          PRNG seed (default 1); same seed + options = identical bytes\n"
		"  --shape NAME      xbtusd (default) | fractional | multi | quiet | burst\n"
		"  --bytes N         stop after N bytes of UDP payload (rows without newlines; default 1000000)\n"
		"  --levels N        snapshot levels per side per symbol (default 400)\n"
		"  --jump-ppm N      big size jumps near the top per million updates (default 4000)\n"
		"  --jump-size X     size of a jump in instrument units (default: shape's, XBTUSD 50000000)\n"
		"  --start-us N      first exchange timestamp, microseconds since epoch (default 1700000000000000)\n");
}

int main(int argc, char **argv)
{
	const char *program = "mdgen";
	GenOptions opt;
	std::string out;
	static const option longopts[] = {
		{"out", required_argument, nullptr, 'o'},    {"seed", required_argument, nullptr, 's'},
		{"shape", required_argument, nullptr, 'S'},  {"bytes", required_argument, nullptr, 'b'},
		{"levels", required_argument, nullptr, 'l'}, {"jump-ppm", required_argument, nullptr, 'j'},
		{"jump-size", required_argument, nullptr, 'J'}, {"start-us", required_argument, nullptr, 't'},
		{"help", no_argument, nullptr, 'h'},         {nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's': opt.seed = flag_u64(program, "--seed", optarg, 0, UINT64_MAX); break;
		case 'S':
			if (!parse_shape(optarg, opt.shape))
				usage_error(program, std::string("unknown --shape '") + optarg + "'");
			break;
		case 'b': opt.target_payload_bytes = flag_u64(program, "--bytes", optarg, 1, 1ULL << 40); break;
		case 'l': opt.snapshot_levels = uint32_t(flag_u64(program, "--levels", optarg, 6, 100000)); break;
		case 'j': opt.jump_per_million = uint32_t(flag_u64(program, "--jump-ppm", optarg, 0, 200000)); break;
		case 'J': opt.jump_size = flag_fixed(program, "--jump-size", optarg); break;
		case 't': opt.start_us = flag_u64(program, "--start-us", optarg, 0, 1ULL << 60); break;
		case 'h': print_help(); return 0;
		default:
			usage_error(program, std::string("unknown or incomplete option '") + argv[optind - 1] + "'");
		}
	}
	if (optind < argc)
		usage_error(program, std::string("unexpected argument '") + argv[optind] + "'");
	if (out.empty())
		usage_error(program, "--out is required");

	GenStats stats;
	if (out == "-") {
		stats = generate_md(opt, [](std::string_view line) {
			std::fwrite(line.data(), 1, line.size(), stdout);
			std::fputc('\n', stdout);
		});
	} else {
		// Fixed level and strategy: with zlib's zero mtime header the bytes depend only on the input.
		gzFile gz = gzopen(out.c_str(), "wb6");
		if (!gz) {
			std::fprintf(stderr, "mdgen: cannot create %s: %s\n", out.c_str(), std::strerror(errno));
			return 1;
		}
		bool ok = true;
		stats = generate_md(opt, [&](std::string_view line) {
			if (gzwrite(gz, line.data(), unsigned(line.size())) != int(line.size()) || gzputc(gz, '\n') != '\n')
				ok = false;
		});
		if (gzclose_w(gz) != Z_OK || !ok) {
			std::fprintf(stderr, "mdgen: write to %s failed\n", out.c_str());
			return 1;
		}
	}
	std::fprintf(stderr,
		     "mdgen: shape=%s seed=%llu rows=%llu snapshot_rows=%llu payload_bytes=%llu jumps=%llu cancels=%llu\n",
		     shape_name(opt.shape), (unsigned long long)opt.seed, (unsigned long long)stats.rows,
		     (unsigned long long)stats.snapshot_rows, (unsigned long long)stats.payload_bytes,
		     (unsigned long long)stats.jumps, (unsigned long long)stats.cancels);
	return 0;
}
