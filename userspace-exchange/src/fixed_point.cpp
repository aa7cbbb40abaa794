#include "fixed_point.h"

namespace oeex {

std::optional<uint64_t> parse_u64(std::string_view text)
{
	if (text.empty() || text.size() > 20)
		return std::nullopt;
	uint64_t value = 0;
	for (char c : text) {
		if (c < '0' || c > '9')
			return std::nullopt;
		uint64_t digit = uint64_t(c - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return std::nullopt;
		value = value * 10 + digit;
	}
	return value;
}

std::optional<int64_t> parse_fixed(std::string_view text)
{
	bool negative = false;
	if (!text.empty() && text.front() == '-') {
		negative = true;
		text.remove_prefix(1);
	}
	auto dot = text.find('.');
	std::string_view whole = text.substr(0, dot);
	std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
	if (whole.empty() && frac.empty())
		return std::nullopt;
	if (dot != std::string_view::npos && frac.empty())
		return std::nullopt; // "12." is not a number we produce or accept
	if (frac.size() > 8)
		return std::nullopt;
	int64_t units = 0;
	for (char c : whole) {
		if (c < '0' || c > '9')
			return std::nullopt;
		if (units > (INT64_MAX / kFixedScale - 9) / 10)
			return std::nullopt;
		units = units * 10 + (c - '0');
	}
	int64_t fraction = 0;
	int64_t place = kFixedScale / 10;
	for (char c : frac) {
		if (c < '0' || c > '9')
			return std::nullopt;
		fraction += (c - '0') * place;
		place /= 10;
	}
	int64_t value = units * kFixedScale + fraction;
	return negative ? -value : value;
}

std::string format_fixed(int64_t value)
{
	std::string out;
	uint64_t magnitude = value < 0 ? uint64_t(0) - uint64_t(value) : uint64_t(value);
	if (value < 0)
		out.push_back('-');
	out += std::to_string(magnitude / kFixedScale);
	uint64_t fraction = magnitude % kFixedScale;
	if (fraction) {
		char digits[9];
		for (int i = 7; i >= 0; i--) {
			digits[i] = char('0' + fraction % 10);
			fraction /= 10;
		}
		int len = 8;
		while (len > 0 && digits[len - 1] == '0')
			len--;
		out.push_back('.');
		out.append(digits, size_t(len));
	}
	return out;
}

} // namespace oeex
