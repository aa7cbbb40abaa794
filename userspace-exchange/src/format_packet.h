// formatPacket: THE customisation point that turns one market-data CSV line into a UDP payload.
//
// Replace the body in format_packet.cpp to change what goes on the wire (binary encoding, extra
// header, ...). Contract:
//   - `line` is one validated CSV row without its newline (the header and bad lines never get here);
//   - write the payload into `buffer` and return its length, 1..buffer.size();
//   - return 0 if the line cannot be formatted (it is then counted as a bad line and not sent).
// The exchange's trigger oracle parses the *payload* exactly as the subscriber will, so a new format
// only needs the strategy's parser to understand it too.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace oeex {

// One datagram fits an Ethernet frame without IP fragmentation (1500 - 20 IP - 8 UDP).
inline constexpr size_t kMaxPayload = 1472;

size_t formatPacket(std::string_view line, std::span<char> buffer);

} // namespace oeex
