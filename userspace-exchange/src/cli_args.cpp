#include "cli_args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fixed_point.h"

namespace oeex {

void usage_error(const char *program, const std::string &message)
{
	std::fprintf(stderr, "%s: %s (see --help)\n", program, message.c_str());
	std::exit(2);
}

uint64_t flag_u64(const char *program, const char *flag, const char *text, uint64_t min, uint64_t max)
{
	auto value = parse_u64(text ? text : "");
	if (!value || *value < min || *value > max)
		usage_error(program, std::string("invalid value for ") + flag + ": '" + (text ? text : "") + "' (expected an integer in [" +
					      std::to_string(min) + ", " + std::to_string(max) + "])");
	return *value;
}

double flag_double(const char *program, const char *flag, const char *text, double min, double max)
{
	char *end = nullptr;
	errno = 0;
	double value = text ? std::strtod(text, &end) : NAN;
	if (!text || !*text || *end || errno || !std::isfinite(value) || value < min || value > max)
		usage_error(program, std::string("invalid value for ") + flag + ": '" + (text ? text : "") + "'");
	return value;
}

int64_t flag_fixed(const char *program, const char *flag, const char *text)
{
	auto value = parse_fixed(text ? text : "");
	if (!value || *value < 0)
		usage_error(program, std::string("invalid value for ") + flag + ": '" + (text ? text : "") +
					      "' (expected a non-negative decimal with at most 8 places)");
	return *value;
}

} // namespace oeex
