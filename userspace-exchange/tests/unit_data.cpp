// gzip line reader (clean EOF vs damage), mdgen (determinism, realistic invariants), the trigger oracle
// over the shipped sample, and the pacer.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <unistd.h>
#include <zlib.h>

#include "fixed_point.h"
#include "gzip_lines.h"
#include "md_line.h"
#include "mdgen_model.h"
#include "pacer.h"
#include "trigger_oracle.h"

using namespace oeex;

namespace {

std::string tmp_path(const char *name)
{
	return "/tmp/oeex-unit-" + std::to_string(getpid()) + "-" + name;
}

std::string write_gz(const char *name, const std::string &text)
{
	std::string path = tmp_path(name);
	gzFile f = gzopen(path.c_str(), "wb");
	gzwrite(f, text.data(), unsigned(text.size()));
	gzclose(f);
	return path;
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string &path, const std::string &bytes)
{
	std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string big_text()
{
	std::string text;
	for (int i = 0; i < 20000; i++)
		text += "bitmex,XBTUSD,1," + std::to_string(1000 + i) + ",false,bid,60000.5," + std::to_string(i) + "\n";
	return text;
}

} // namespace

TEST(GzipLineReader, ReadsLinesThenCleanEof)
{
	std::string path = write_gz("ok.gz", "a,b\nc\n\nlast-without-newline");
	GzipLineReader r;
	ASSERT_TRUE(r.open(path));
	std::string_view line;
	std::vector<std::string> got;
	GzipLineReader::Status st;
	while ((st = r.next(line)) == GzipLineReader::Status::Line)
		got.emplace_back(line);
	EXPECT_EQ(st, GzipLineReader::Status::Eof);
	EXPECT_EQ(got, (std::vector<std::string>{"a,b", "c", "", "last-without-newline"}));
	unlink(path.c_str());
}

TEST(GzipLineReader, TruncatedFileIsAnErrorNotEof)
{
	std::string path = write_gz("trunc.gz", big_text());
	std::string bytes = read_file(path);
	write_file(path, bytes.substr(0, bytes.size() / 2));
	GzipLineReader r;
	ASSERT_TRUE(r.open(path));
	std::string_view line;
	GzipLineReader::Status st;
	size_t lines = 0;
	while ((st = r.next(line)) == GzipLineReader::Status::Line)
		lines++;
	EXPECT_EQ(st, GzipLineReader::Status::Error);
	EXPECT_NE(r.error().find("truncated"), std::string::npos) << r.error();
	EXPECT_GT(lines, 0u);
	unlink(path.c_str());
}

TEST(GzipLineReader, CorruptDataIsAnError)
{
	std::string path = write_gz("corrupt.gz", big_text());
	std::string bytes = read_file(path);
	for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; i++)
		bytes[i] = char(bytes[i] ^ 0x5a);
	write_file(path, bytes);
	GzipLineReader r;
	ASSERT_TRUE(r.open(path));
	std::string_view line;
	GzipLineReader::Status st;
	while ((st = r.next(line)) == GzipLineReader::Status::Line) {
	}
	EXPECT_EQ(st, GzipLineReader::Status::Error);
	EXPECT_FALSE(r.error().empty());
	unlink(path.c_str());
}

TEST(GzipLineReader, MissingFileFailsToOpen)
{
	GzipLineReader r;
	EXPECT_FALSE(r.open("/nonexistent/oeex.gz"));
	EXPECT_NE(r.error().find("cannot open"), std::string::npos);
}

static std::string generate(const GenOptions &o, GenStats *stats = nullptr)
{
	std::string out;
	GenStats s = generate_md(o, [&](std::string_view line) {
		out += line;
		out += '\n';
	});
	if (stats)
		*stats = s;
	return out;
}

TEST(Mdgen, SameSeedSameBytesOtherSeedOtherBytes)
{
	GenOptions o;
	o.target_payload_bytes = 200000;
	EXPECT_EQ(generate(o), generate(o));
	GenOptions other = o;
	other.seed = 2;
	EXPECT_NE(generate(o), generate(other));
}

// Every shape: valid rows only, header first, snapshot rows before updates per symbol, strictly
// increasing local_timestamp, the book never crossed, triggers-sized jumps present where configured.
TEST(Mdgen, EveryShapeIsARealisticConsistentFeed)
{
	for (Shape shape : {Shape::Xbtusd, Shape::Fractional, Shape::MultiSymbol, Shape::Quiet, Shape::Burst}) {
		GenOptions o;
		o.shape = shape;
		o.target_payload_bytes = 300000;
		GenStats stats;
		std::string text = generate(o, &stats);
		std::istringstream in(text);
		std::string line;
		std::getline(in, line);
		ASSERT_EQ(line, kTardisHeader);
		uint64_t last_lts = 0, rows = 0, payload = 0, fractional = 0, max_gap_us = 0, last_ts = 0;
		std::map<std::string, std::pair<std::map<int64_t, int64_t>, std::map<int64_t, int64_t>>> books;
		std::map<std::string, bool> seen_update;
		while (std::getline(in, line)) {
			auto p = parse_md_line(line);
			ASSERT_EQ(p.kind, LineKind::Row) << shape_name(shape) << ": " << line;
			const MdLine &r = p.row;
			ASSERT_GT(r.local_timestamp_us, last_lts) << line;
			last_lts = r.local_timestamp_us;
			if (last_ts && r.timestamp_us > last_ts)
				max_gap_us = std::max(max_gap_us, r.timestamp_us - last_ts);
			last_ts = std::max(last_ts, r.timestamp_us);
			std::string sym(r.symbol);
			if (r.is_snapshot) {
				ASSERT_FALSE(seen_update[sym]) << "snapshot after updates: " << line;
			} else {
				seen_update[sym] = true;
			}
			auto &[bids, asks] = books[sym];
			auto &side = r.side == BookSide::Bid ? bids : asks;
			if (r.amount == 0)
				side.erase(r.price);
			else
				side[r.price] = r.amount;
			if (!bids.empty() && !asks.empty()) {
				ASSERT_LT(bids.rbegin()->first, asks.begin()->first) << "crossed at " << line;
			}
			fractional += r.amount % kFixedScale != 0;
			rows++;
			payload += line.size();
		}
		EXPECT_EQ(rows, stats.rows);
		EXPECT_EQ(payload, stats.payload_bytes);
		EXPECT_GE(payload, o.target_payload_bytes);
		if (shape == Shape::Fractional) {
			EXPECT_GT(fractional, rows / 2);
		} else {
			EXPECT_EQ(fractional, 0u) << shape_name(shape);
		}
		if (shape == Shape::MultiSymbol) {
			EXPECT_EQ(books.size(), 3u);
		}
		if (shape == Shape::Quiet) {
			EXPECT_GE(max_gap_us, 1000000u);
		}
		if (shape == Shape::Xbtusd) {
			EXPECT_GT(stats.jumps, 5u);
		}
	}
}

TEST(TriggerOracle, ShippedSampleHasDozensOfTriggers)
{
	std::string sample = std::string(getenv("OEEX_DATA") ? getenv("OEEX_DATA") : "userspace-exchange/data") + "/sample.csv.gz";
	GzipLineReader r;
	ASSERT_TRUE(r.open(sample)) << r.error();
	TriggerOracle oracle{TriggerSettings{}};
	std::string_view line;
	uint64_t triggers = 0, payload = 0, last_seq = 0;
	while (r.next(line) == GzipLineReader::Status::Line) {
		if (parse_md_line(line).kind != LineKind::Row)
			continue;
		payload += line.size();
		if (auto e = oracle.on_payload(line)) {
			triggers++;
			EXPECT_GT(e->seq, last_seq);
			last_seq = e->seq;
			EXPECT_TRUE(e->order.side == kSideBuy || e->order.side == kSideSell);
			EXPECT_EQ(e->order.quantity, 1u);
		}
	}
	EXPECT_GE(triggers, 24u);
	EXPECT_GE(payload, 900000u);
	EXPECT_LE(payload, 1100000u);
	// a fresh engine sees the same stream the same way
	oracle.reset();
	EXPECT_FALSE(oracle.on_payload("bitmex,XBTUSD,1,2,true,bid,1,1").has_value());
}

TEST(TriggerOracle, RejectsAnInvalidConfiguration)
{
	TriggerSettings s;
	s.symbol = std::string(40, 'X');
	EXPECT_THROW(TriggerOracle{s}, std::invalid_argument);
}

TEST(Pacer, RateLimitsWithABurstBucket)
{
	Pacer p(PaceSettings{1000, 0, 4});
	p.start(0);
	EXPECT_EQ(p.allowance(0), 4u);
	p.consume(4);
	EXPECT_EQ(p.allowance(0), 0u);
	EXPECT_NEAR(double(p.rate_wait_ns()), 4e6, 1e3); // a whole burst of 4 at 1000/s
	EXPECT_EQ(p.allowance(2000000), 2u); // 2 ms at 1000/s
	EXPECT_EQ(p.allowance(100000000), 5u); // capped at the burst + 1 ms of catch-up (1 message)
}

TEST(Pacer, ReplaysByLocalTimestamp)
{
	Pacer p(PaceSettings{0, 2.0, 8});
	p.start(0);
	uint64_t wait = 0;
	EXPECT_TRUE(p.due(1000000, 0, &wait)); // first row anchors the replay clock
	EXPECT_FALSE(p.due(1000100, 10000, &wait)); // 100 us later at 2x = due at 50 us
	EXPECT_EQ(wait, 40000u);
	EXPECT_TRUE(p.due(1000100, 50000, &wait));
	EXPECT_TRUE(p.due(5, 60000, &wait)); // going backwards (loop) is due at once
}

// The oracle is the strategy's engine, not a copy: over the sample it must decide exactly what the
// strategy's own replay tool decides (strategy/tools/strategy_replay.cpp), row for row.
TEST(TriggerOracle, AgreesWithStrategyReplayOnTheSample)
{
	const char *replay = getenv("OEEX_REPLAY");
	if (!replay || access(replay, X_OK) != 0)
		GTEST_SKIP() << "strategy-replay not built (OEEX_REPLAY unset)";
	std::string sample = std::string(getenv("OEEX_DATA") ? getenv("OEEX_DATA") : "userspace-exchange/data") + "/sample.csv.gz";
	std::string cmd = std::string(replay) + " " + sample;
	FILE *p = popen(cmd.c_str(), "r");
	ASSERT_TRUE(p);
	std::vector<std::string> theirs;
	char line[256];
	while (fgets(line, sizeof line, p))
		if (line[0] != '#')
			theirs.emplace_back(line, strcspn(line, "\n"));
	ASSERT_EQ(pclose(p), 0);

	std::vector<std::string> ours;
	GzipLineReader r;
	ASSERT_TRUE(r.open(sample));
	TriggerOracle oracle{TriggerSettings{}};
	std::string_view row;
	while (r.next(row) == GzipLineReader::Status::Line)
		if (parse_md_line(row).kind == LineKind::Row)
			if (auto e = oracle.on_payload(row))
				ours.push_back(std::to_string(e->seq) + " " + char(e->order.side) + " " +
					       std::to_string(e->order.price) + " " + std::to_string(e->order.quantity));
	EXPECT_GE(ours.size(), 24u);
	EXPECT_EQ(ours, theirs);
}
