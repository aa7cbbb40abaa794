// Minimal JSON object builder for the event log and the session report: keys come out in insertion
// order so a line reads naturally (event first), and no dependency is needed for a flat schema.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace oeex {

class JsonObject {
public:
	JsonObject &add(std::string_view key, std::string_view value);
	JsonObject &add(std::string_view key, const char *value) { return add(key, std::string_view(value)); }
	JsonObject &add(std::string_view key, const std::string &value) { return add(key, std::string_view(value)); }
	JsonObject &add(std::string_view key, bool value);
	JsonObject &add(std::string_view key, uint64_t value);
	JsonObject &add(std::string_view key, int64_t value);
	JsonObject &add(std::string_view key, uint32_t value) { return add(key, uint64_t(value)); }
	JsonObject &add(std::string_view key, int value) { return add(key, int64_t(value)); }
	JsonObject &add(std::string_view key, double value);
	JsonObject &add_null(std::string_view key);
	// value must already be valid JSON (a nested object or array)
	JsonObject &add_raw(std::string_view key, std::string_view json);
	std::string str() const { return body_ + "}"; }

private:
	void key(std::string_view k);
	std::string body_ = "{";
};

void append_json_string(std::string &out, std::string_view text);

} // namespace oeex
