// Deterministic Tardis incremental_book_L2 generator: same options + seed => byte-identical output on
// every machine (integer-only arithmetic, own PRNG, no libm or <random> distributions whose results
// differ between standard libraries).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace oeex {

// splitmix64: tiny, fast, fully specified by its constants.
class SeededRandom {
public:
	explicit SeededRandom(uint64_t seed) : state_(seed) {}
	uint64_t next()
	{
		uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	uint64_t below(uint64_t bound) { return bound ? next() % bound : 0; } // bias is irrelevant here
	bool chance(uint32_t per_million) { return below(1000000) < per_million; }
	// 0, 1, 2, ... with P(k) ~ (1-p)^k p, p = per_million / 1e6, capped
	uint32_t geometric(uint32_t per_million, uint32_t cap);

private:
	uint64_t state_;
};

enum class Shape { Xbtusd, Fractional, MultiSymbol, Quiet, Burst };

bool parse_shape(std::string_view name, Shape &out);
const char *shape_name(Shape s);

struct GenOptions {
	Shape shape = Shape::Xbtusd;
	uint64_t seed = 1;
	uint64_t target_payload_bytes = 1000000; // stop once the rows (no newlines, no header) reach this
	uint32_t snapshot_levels = 400;          // per side, per symbol
	uint64_t start_us = 1700000000000000ULL; // 2023-11-14T22:13:20Z
	uint32_t jump_per_million = 4000;        // share of updates that are a big size jump near the top
	int64_t jump_size = 0;                   // 0 = the shape's default (XBTUSD: 50M+ contracts)
};

struct GenStats {
	uint64_t rows = 0, snapshot_rows = 0, payload_bytes = 0, jumps = 0, cancels = 0;
};

// Calls sink(line) for the header and then every row, without newlines.
GenStats generate_md(const GenOptions &options, const std::function<void(std::string_view)> &sink);

} // namespace oeex
