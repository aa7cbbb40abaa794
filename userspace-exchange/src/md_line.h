// One row of a Tardis incremental_book_L2 CSV file, validated. The exchange validates every line before
// publishing it (bad lines are counted and skipped, never sent) and needs is_snapshot for the
// HANDSHAKE -> TRANSMIT transition and local_timestamp as the sequence number / replay clock.
#pragma once
#include <cstdint>
#include <string_view>

namespace oeex {

inline constexpr std::string_view kTardisHeader =
	"exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount";

enum class BookSide : uint8_t { Bid, Ask };

struct MdLine {
	std::string_view exchange;
	std::string_view symbol;
	uint64_t timestamp_us = 0;
	uint64_t local_timestamp_us = 0; // doubles as the sequence number
	bool is_snapshot = false;
	BookSide side = BookSide::Bid;
	int64_t price = 0;  // 1e-8 units
	int64_t amount = 0; // 1e-8 units, new absolute level size; 0 deletes the level
};

enum class LineKind : uint8_t { Row, Header, Blank, Bad };

struct ParsedLine {
	LineKind kind = LineKind::Bad;
	MdLine row;
	const char *error = nullptr; // why a Bad line is bad (static string)
};

// Parses one line without its trailing newline (a trailing '\r' is tolerated and ignored).
ParsedLine parse_md_line(std::string_view line);

} // namespace oeex
