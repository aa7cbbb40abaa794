#include "md_line.h"

#include "fixed_point.h"

namespace oeex {

namespace {

ParsedLine bad(const char *why)
{
	ParsedLine p;
	p.kind = LineKind::Bad;
	p.error = why;
	return p;
}

} // namespace

ParsedLine parse_md_line(std::string_view line)
{
	if (!line.empty() && line.back() == '\r')
		line.remove_suffix(1);
	if (line.empty())
		return ParsedLine{LineKind::Blank, {}, nullptr};
	if (line == kTardisHeader)
		return ParsedLine{LineKind::Header, {}, nullptr};

	std::string_view fields[8];
	size_t count = 0;
	size_t start = 0;
	for (;;) {
		size_t comma = line.find(',', start);
		if (count == 8)
			return bad("too many fields");
		fields[count++] = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
		if (comma == std::string_view::npos)
			break;
		start = comma + 1;
	}
	if (count != 8)
		return bad("wrong field count");

	ParsedLine p;
	p.kind = LineKind::Row;
	MdLine &r = p.row;
	r.exchange = fields[0];
	r.symbol = fields[1];
	if (r.exchange.empty() || r.symbol.empty())
		return bad("empty exchange or symbol");
	auto ts = parse_u64(fields[2]);
	auto lts = parse_u64(fields[3]);
	if (!ts || !lts)
		return bad("bad timestamp");
	r.timestamp_us = *ts;
	r.local_timestamp_us = *lts;
	if (fields[4] == "true")
		r.is_snapshot = true;
	else if (fields[4] == "false")
		r.is_snapshot = false;
	else
		return bad("bad is_snapshot");
	if (fields[5] == "bid")
		r.side = BookSide::Bid;
	else if (fields[5] == "ask")
		r.side = BookSide::Ask;
	else
		return bad("unknown side");
	auto price = parse_fixed(fields[6]);
	auto amount = parse_fixed(fields[7]);
	if (!price || *price <= 0)
		return bad("bad price");
	if (!amount || *amount < 0)
		return bad("bad amount");
	r.price = *price;
	r.amount = *amount;
	return p;
}

} // namespace oeex
