#include "json_out.h"

#include <cmath>
#include <cstdio>

namespace oeex {

void append_json_string(std::string &out, std::string_view text)
{
	out.push_back('"');
	for (unsigned char c : text) {
		if (c == '"' || c == '\\') {
			out.push_back('\\');
			out.push_back(char(c));
		} else if (c < 0x20 || c >= 0x7f) {
			// Non-ASCII bytes in corrupt input are escaped so every line stays valid ASCII JSON.
			char esc[8];
			std::snprintf(esc, sizeof esc, "\\u%04x", c);
			out += esc;
		} else {
			out.push_back(char(c));
		}
	}
	out.push_back('"');
}

void JsonObject::key(std::string_view k)
{
	if (body_.size() > 1)
		body_.push_back(',');
	append_json_string(body_, k);
	body_.push_back(':');
}

JsonObject &JsonObject::add(std::string_view k, std::string_view value)
{
	key(k);
	append_json_string(body_, value);
	return *this;
}

JsonObject &JsonObject::add(std::string_view k, bool value)
{
	key(k);
	body_ += value ? "true" : "false";
	return *this;
}

JsonObject &JsonObject::add(std::string_view k, uint64_t value)
{
	key(k);
	body_ += std::to_string(value);
	return *this;
}

JsonObject &JsonObject::add(std::string_view k, int64_t value)
{
	key(k);
	body_ += std::to_string(value);
	return *this;
}

JsonObject &JsonObject::add(std::string_view k, double value)
{
	key(k);
	if (!std::isfinite(value)) {
		body_ += "null";
		return *this;
	}
	char text[32];
	std::snprintf(text, sizeof text, "%.3f", value);
	body_ += text;
	return *this;
}

JsonObject &JsonObject::add_null(std::string_view k)
{
	key(k);
	body_ += "null";
	return *this;
}

JsonObject &JsonObject::add_raw(std::string_view k, std::string_view json)
{
	key(k);
	body_ += json;
	return *this;
}

} // namespace oeex
