// Line-by-line reader over a gzip file (zlib). Distinguishes a clean end of file from a truncated or
// corrupt stream so the exchange can report "corrupt input" and return to INIT instead of treating
// damage as EOF.
#pragma once
#include <string>
#include <string_view>

#include <zlib.h>

namespace oeex {

class GzipLineReader {
public:
	enum class Status { Line, Eof, Error };

	GzipLineReader() = default;
	~GzipLineReader() { close(); }
	GzipLineReader(const GzipLineReader &) = delete;
	GzipLineReader &operator=(const GzipLineReader &) = delete;

	bool open(const std::string &path); // false: error() says why
	void close();
	bool is_open() const { return file_ != nullptr; }

	// Next line without its '\n'. The view stays valid until the next call.
	Status next(std::string_view &line);
	const std::string &error() const { return error_; }
	unsigned long long line_number() const { return line_number_; }

private:
	gzFile file_ = nullptr;
	std::string buffer_;
	std::string error_;
	unsigned long long line_number_ = 0;
};

} // namespace oeex
