// Decimal <-> fixed-point (1e-8 units) conversions used by the CSV validator, the order log and mdgen.
// Prices and amounts in the Tardis files have at most 8 decimal places, so an int64 in 1e-8 units is
// exact (max ~9.2e10 units of the instrument, far above any price or size we generate).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oeex {

inline constexpr int64_t kFixedScale = 100000000; // 1e8

// "60000.5" -> 6000050000000. Accepts an optional leading '-', digits, an optional '.' and at most 8
// fractional digits. Rejects empty strings, exponents, stray characters and overflow.
std::optional<int64_t> parse_fixed(std::string_view text);

// Non-negative decimal integer (timestamps). Rejects signs, empty strings and overflow.
std::optional<uint64_t> parse_u64(std::string_view text);

// 6000050000000 -> "60000.5": trailing fractional zeros trimmed, no '.' for whole numbers.
std::string format_fixed(int64_t value);

} // namespace oeex
