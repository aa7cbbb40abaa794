// Small helpers shared by the command-line front ends: strict number parsing and the "bad flag =>
// clear message, exit 2" rule.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace oeex {

[[noreturn]] void usage_error(const char *program, const std::string &message);

// Whole-string parses; on failure they call usage_error naming the flag.
uint64_t flag_u64(const char *program, const char *flag, const char *text, uint64_t min, uint64_t max);
double flag_double(const char *program, const char *flag, const char *text, double min, double max);
int64_t flag_fixed(const char *program, const char *flag, const char *text); // decimal -> 1e-8 units

} // namespace oeex
