#include "gzip_lines.h"

#include <cerrno>
#include <cstring>

namespace oeex {

bool GzipLineReader::open(const std::string &path)
{
	close();
	error_.clear();
	line_number_ = 0;
	file_ = gzopen(path.c_str(), "rb");
	if (!file_) {
		error_ = "cannot open " + path + ": " + (errno ? std::strerror(errno) : "out of memory");
		return false;
	}
	gzbuffer(file_, 256 * 1024);
	return true;
}

void GzipLineReader::close()
{
	if (file_)
		gzclose_r(file_);
	file_ = nullptr;
}

GzipLineReader::Status GzipLineReader::next(std::string_view &line)
{
	if (!file_) {
		error_ = "no file open";
		return Status::Error;
	}
	buffer_.clear();
	char chunk[4096];
	for (;;) {
		char *got = gzgets(file_, chunk, sizeof chunk);
		if (!got) {
			int code = Z_OK;
			const char *message = gzerror(file_, &code);
			if (code != Z_OK) {
				// Z_BUF_ERROR here means the stream ended mid-member: a truncated file.
				error_ = std::string("gzip: ") + (code == Z_BUF_ERROR ? "truncated file (unexpected end of stream)"
										     : message);
				return Status::Error;
			}
			if (buffer_.empty())
				return Status::Eof;
			break; // last line without a trailing newline
		}
		size_t len = std::strlen(chunk);
		buffer_.append(chunk, len);
		if (len && chunk[len - 1] == '\n') {
			buffer_.pop_back();
			break;
		}
	}
	line_number_++;
	line = buffer_;
	return Status::Line;
}

} // namespace oeex
