#include "format_packet.h"

#include <cstring>

namespace oeex {

// Default wire format: the CSV line itself, ASCII, no trailing newline.
size_t formatPacket(std::string_view line, std::span<char> buffer)
{
	if (line.empty() || line.size() > buffer.size())
		return 0;
	std::memcpy(buffer.data(), line.data(), line.size());
	return line.size();
}

} // namespace oeex
