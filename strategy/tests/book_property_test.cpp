// Property tests (host only, may use the STL): the fixed-capacity book and the whole Engine against
// a simple reference model (std::map) over long random sequences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "oe/book.h"
#include "oe/engine.h"

namespace {

using oe::i64;
using oe::u32;

/* Reference: price -> size, best first. Returns the same facts BookSide::apply reports. */
struct RefSide {
	bool ask;
	u32 cap;
	std::map<i64, i64> levels; /* by price ascending */

	std::vector<std::pair<i64, i64>> best_first() const
	{
		std::vector<std::pair<i64, i64>> v(levels.begin(), levels.end());
		if (!ask)
			std::reverse(v.begin(), v.end());
		return v;
	}
	u32 rank_of(i64 price) const
	{
		auto v = best_first();
		for (u32 i = 0; i < v.size(); i++)
			if (v[i].first == price)
				return i;
		return ~0u;
	}
	oe::BookResult apply(i64 price, i64 size)
	{
		auto it = levels.find(price);
		if (size == 0) {
			if (it == levels.end())
				return { oe::BookOp::CancelUnknown, 0, 0 };
			u32 rank = rank_of(price);
			i64 old = it->second;
			levels.erase(it);
			return { oe::BookOp::Cancel, rank, old };
		}
		if (it != levels.end()) {
			i64 old = it->second;
			it->second = size;
			return { oe::BookOp::Update, rank_of(price), old };
		}
		if (levels.size() < cap) {
			levels[price] = size;
			return { oe::BookOp::Insert, rank_of(price), 0 };
		}
		auto worst = ask ? std::prev(levels.end()) : levels.begin();
		bool better = ask ? price < worst->first : price > worst->first;
		if (!better)
			return { oe::BookOp::DropFull, 0, 0 };
		levels.erase(worst);
		levels[price] = size;
		return { oe::BookOp::InsertEvict, rank_of(price), 0 };
	}
};

void expect_same(const oe::BookSide &b, const RefSide &ref)
{
	auto v = ref.best_first();
	ASSERT_EQ(b.size(), v.size());
	for (u32 r = 0; r < v.size(); r++) {
		ASSERT_EQ(b.price_at(r), v[r].first) << "rank " << r;
		ASSERT_EQ(b.size_at(r), v[r].second) << "rank " << r;
	}
}

class BookProperty : public testing::TestWithParam<std::tuple<bool, u32>> {};

TEST_P(BookProperty, MatchesReferenceModel)
{
	const bool ask = std::get<0>(GetParam());
	const u32 cap = std::get<1>(GetParam());
	std::vector<oe::Level> storage(cap);
	oe::BookSide book;
	book.init(storage.data(), cap, ask ? oe::md::Side::Ask : oe::md::Side::Bid);
	RefSide ref{ ask, cap, {} };
	std::mt19937_64 rng(0x5eed + cap * 2 + ask);
	/* prices in a band around a drifting mid, so updates hit the top, the middle and the tail */
	i64 mid = 100000;
	for (int step = 0; step < 40000; step++) {
		if (step % 500 == 0)
			mid += i64(rng() % 21) - 10;
		i64 price = std::max<i64>(1, mid + i64(rng() % (3 * cap + 5)) - i64(cap));
		i64 size = (rng() % 4 == 0) ? 0 : i64(rng() % 1000 + 1);
		oe::BookResult got = book.apply(price, size);
		oe::BookResult want = ref.apply(price, size);
		ASSERT_EQ(int(got.op), int(want.op)) << "step " << step;
		ASSERT_EQ(got.rank, want.rank) << "step " << step;
		ASSERT_EQ(got.old_size, want.old_size) << "step " << step;
		if (step % 97 == 0)
			expect_same(book, ref);
	}
	expect_same(book, ref);
}

INSTANTIATE_TEST_SUITE_P(Sides, BookProperty,
			 testing::Combine(testing::Bool(), testing::Values(1u, 3u, 16u, 17u, 64u, 1000u)));

/* The Engine's decisions against a reference of the trigger rule written from the spec. */
TEST(EngineProperty, DecisionsMatchReference)
{
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 32;
	c.size_threshold = 500 * oe::md::kFixedOne;
	oe::EngineConfig ec = oe::engine_config_from(c);
	std::vector<oe::Level> storage(oe::Engine::storage_bytes(ec) / sizeof(oe::Level));
	oe::Engine engine(ec, storage.data());
	RefSide bids{ false, 32, {} }, asks{ true, 32, {} };
	std::mt19937_64 rng(42);
	bool in_snapshot = false;
	unsigned long long seq = 1, fired = 0;
	for (int step = 0; step < 30000; step++) {
		bool bid = rng() & 1;
		bool snap = rng() % 50 == 0 || (in_snapshot && rng() % 4 != 0);
		i64 price = 1000 + i64(rng() % 40) + (bid ? 0 : 20); /* overlapping bands: crossed books happen */
		i64 whole = (rng() % 5 == 0) ? 0 : i64(rng() % 1200);
		if (snap && whole == 0)
			whole = 1;
		seq += rng() % 3 == 0 ? 0 : 1;
		char line[160];
		snprintf(line, sizeof(line), "bitmex,XBTUSD,%llu,%llu,%s,%s,%lld.5,%lld", seq, seq, snap ? "true" : "false",
			 bid ? "bid" : "ask", (long long)price, (long long)whole);
		oe::Decision d = engine.on_packet(reinterpret_cast<const oe::u8 *>(line), oe::u16(strlen(line)));

		/* reference */
		if (snap && !in_snapshot)
			bids.levels.clear(), asks.levels.clear();
		in_snapshot = snap;
		RefSide &side = bid ? bids : asks;
		const i64 fp = price * oe::md::kFixedOne + oe::md::kFixedOne / 2, fs = whole * oe::md::kFixedOne;
		oe::BookResult r = side.apply(fp, fs);
		bool want = false;
		i64 want_price = 0;
		if (!snap && fs > 0 && r.op != oe::BookOp::DropFull && r.rank < 5 && fs - r.old_size > c.size_threshold) {
			RefSide &other = bid ? asks : bids;
			auto ob = other.best_first();
			auto bb = bids.best_first(), ab = asks.best_first();
			bool crossed = !bb.empty() && !ab.empty() && bb[0].first > ab[0].first;
			if (!ob.empty() && !crossed)
				want = true, want_price = ob[0].first;
		}
		ASSERT_EQ(d.fire, want) << line;
		if (want) {
			fired++;
			ASSERT_EQ(d.price, want_price) << line;
			ASSERT_EQ(d.side, bid ? 'B' : 'S');
			ASSERT_EQ(d.seq, seq);
		}
	}
	EXPECT_GT(fired, 100u);
	EXPECT_EQ(engine.counter(oe::EngineCounter::decisions), fired);
	EXPECT_EQ(engine.parse_drops_total(), 0u);
}

} // namespace

namespace {

/* parse_fixed_in_row (the one-load fast path) agrees with parse_fixed on every input, including junk. */
TEST(ParserProperty, FastFixedMatchesReference)
{
	std::mt19937_64 rng(7);
	const char alphabet[] = "01234567890123456789012345678901234567890123456789012345678901234567890123456789.-+a ,";
	for (int iter = 0; iter < 200000; iter++) {
		int len = int(rng() % 20);
		std::string field;
		for (int i = 0; i < len; i++)
			field += alphabet[rng() % (sizeof(alphabet) - 1)];
		/* the field at the end of a row-like buffer of exactly the right size (ASan checks the bound) */
		std::string prefix = "x,B,1,1,false,bid,";
		std::vector<oe::u8> buf(prefix.begin(), prefix.end());
		buf.insert(buf.end(), field.begin(), field.end());
		const oe::u8 *fp = buf.data() + prefix.size();
		oe::i64 a = -7, b = -7;
		auto ea = oe::md::parse_fixed(fp, oe::u16(len), a);
		auto eb = oe::md::parse_fixed_in_row(fp, oe::u16(len), b);
		ASSERT_EQ(int(ea), int(eb)) << "'" << field << "'";
		if (ea == oe::md::ParseError::Ok) {
			ASSERT_EQ(a, b) << "'" << field << "'";
		}
	}
}

/* Whole rows: a random mutation of a valid row parses the same via parse_row as via a field-by-field
 * reference built on parse_fixed / parse_u64 (the slow, obviously-bounded paths). */
TEST(ParserProperty, MutatedRowsNeverCrashAndAgree)
{
	std::mt19937_64 rng(11);
	const std::string base = "binance-futures,BTCUSDT,1600000000000000,1600000000000123,false,bid,10234.56,1.234";
	const char junk[] = ",.-0123456789abtfe\n\r";
	for (int iter = 0; iter < 100000; iter++) {
		std::string s = base;
		int edits = int(rng() % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rng() % (s.size() + 1);
			switch (rng() % 3) {
			case 0: if (at < s.size()) s.erase(at, 1); break;
			case 1: s.insert(s.begin() + long(at), junk[rng() % (sizeof(junk) - 1)]); break;
			default: if (at < s.size()) s[at] = junk[rng() % (sizeof(junk) - 1)]; break;
			}
		}
		std::vector<oe::u8> buf(s.begin(), s.end());
		oe::md::Row row;
		auto e = oe::md::parse_row(buf.data(), oe::u16(buf.size()), row);
		if (e != oe::md::ParseError::Ok)
			continue;
		/* accepted: the fields must be what a plain split gives */
		std::vector<std::string> f;
		std::string cur, body = s;
		while (!body.empty() && (body.back() == '\n')) { body.pop_back(); break; }
		if (!body.empty() && body.back() == '\r')
			body.pop_back();
		for (char c : body) {
			if (c == ',') f.push_back(cur), cur.clear();
			else cur += c;
		}
		f.push_back(cur);
		ASSERT_EQ(f.size(), 8u) << s;
		oe::i64 price, amount;
		ASSERT_EQ(int(oe::md::parse_fixed(reinterpret_cast<const oe::u8 *>(f[6].data()), oe::u16(f[6].size()), price)), 0) << s;
		ASSERT_EQ(int(oe::md::parse_fixed(reinterpret_cast<const oe::u8 *>(f[7].data()), oe::u16(f[7].size()), amount)), 0) << s;
		ASSERT_EQ(row.price, price) << s;
		ASSERT_EQ(row.amount, amount) << s;
		ASSERT_EQ(std::string(reinterpret_cast<const char *>(row.symbol), row.symbol_len), f[1]) << s;
		ASSERT_EQ(row.seq, std::stoull(f[3])) << s;
	}
}

} // namespace

namespace {

/* The engine's learned "<exchange>,<symbol>," fast path classifies every mutated row exactly like the
 * plain parser + symbol compare would (drop reason, other symbol, or accepted with the same values). */
TEST(EngineProperty, LearnedPrefixPathAgreesWithParser)
{
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 64;
	snprintf(c.symbol, sizeof(c.symbol), "BTCUSDT");
	oe::EngineConfig ec = oe::engine_config_from(c);
	std::vector<oe::Level> storage(oe::Engine::storage_bytes(ec) / sizeof(oe::Level));
	oe::Engine engine(ec, storage.data());
	const std::string base = "binance-futures,BTCUSDT,1600000000000000,1600000000000123,false,bid,10234.56,1.234";
	engine.on_packet(reinterpret_cast<const oe::u8 *>(base.data()), oe::u16(base.size())); /* learns the prefix */
	std::mt19937_64 rng(99);
	const char junk[] = ",.-0123456789abtfeBTCUSD\n\r";
	for (int iter = 0; iter < 100000; iter++) {
		std::string s = base;
		for (int e = int(rng() % 4); e > 0; e--) {
			size_t at = rng() % (s.size() + 1);
			switch (rng() % 4) {
			case 0: if (at < s.size()) s.erase(at, 1); break;
			case 1: s.insert(s.begin() + long(at), junk[rng() % (sizeof(junk) - 1)]); break;
			case 2: s = s.substr(0, at); break;
			default: if (at < s.size()) s[at] = junk[rng() % (sizeof(junk) - 1)]; break;
			}
		}
		std::vector<oe::u8> buf(s.begin(), s.end()); /* exact size: ASan checks every read */
		oe::md::Row row;
		auto want = oe::md::parse_row(buf.data(), oe::u16(buf.size()), row);
		const auto rows0 = engine.counter(oe::EngineCounter::md_rows);
		const auto other0 = engine.counter(oe::EngineCounter::md_other_symbol);
		const auto drops0 = want == oe::md::ParseError::Ok ? 0 : engine.parse_drops(want);
		engine.on_packet(buf.data(), oe::u16(buf.size()));
		if (want != oe::md::ParseError::Ok) {
			ASSERT_EQ(engine.parse_drops(want), drops0 + 1) << s;
			ASSERT_EQ(engine.counter(oe::EngineCounter::md_rows), rows0) << s;
			continue;
		}
		ASSERT_EQ(engine.counter(oe::EngineCounter::md_rows), rows0 + 1) << s;
		const bool ours = std::string(reinterpret_cast<const char *>(row.symbol), row.symbol_len) == "BTCUSDT";
		ASSERT_EQ(engine.counter(oe::EngineCounter::md_other_symbol), other0 + (ours ? 0 : 1)) << s;
	}
}

} // namespace

namespace {

/* parse_usual_after_prefix (the engine's hot path after a learned prefix) never accepts a row that
 * parse_row rejects, and when it accepts, every value equals parse_row's. Random valid rows of many
 * shapes (true/false, bid/ask, price/amount lengths 1..16, line endings) must mostly take it; mutated
 * rows (junk, commas, dots, signs, truncation) exercise every fallback. Exact-size buffers: ASan. */
std::string random_decimal(std::mt19937_64 &rng)
{
	int ilen = 1 + int(rng() % 8), flen = int(rng() % 9); /* valid: <= 8 decimals, < 2^63 */
	std::string s;
	for (int i = 0; i < ilen; i++)
		s += char('0' + rng() % 10);
	if (flen) {
		s += '.';
		for (int i = 0; i < flen; i++)
			s += char('0' + rng() % 10);
	}
	return s;
}

void check_usual(const std::string &s, oe::u32 prefix_len, int &fast)
{
	std::vector<oe::u8> buf(s.begin(), s.end());
	if (buf.size() < 32)
		return; /* the engine compares 32 bytes before it calls the fast path */
	oe::md::Row want{}, got{};
	auto e = oe::md::parse_row(buf.data(), oe::u16(buf.size()), want);
	if (!oe::md::parse_usual_after_prefix(buf.data(), oe::u32(buf.size()), prefix_len, got))
		return;
	fast++;
	ASSERT_EQ(int(e), 0) << s;
	ASSERT_EQ(got.seq, want.seq) << s;
	ASSERT_EQ(got.price, want.price) << s;
	ASSERT_EQ(got.amount, want.amount) << s;
	ASSERT_EQ(got.snapshot, want.snapshot) << s;
	ASSERT_EQ(int(got.side), int(want.side)) << s;
}

TEST(ParserProperty, UsualRowFastPathAgreesWithParseRow)
{
	std::mt19937_64 rng(2024);
	const std::string prefix = "binance-futures,BTCUSDT,";
	const char junk[] = ",.-+0123456789abtfe \n\r";
	int fast = 0, valid = 0;
	for (int iter = 0; iter < 200000; iter++) {
		char ts[2][17];
		for (auto &t : ts) {
			for (int i = 0; i < 16; i++)
				t[i] = char('0' + rng() % 10);
			t[16] = 0;
		}
		const bool snap = rng() % 4 == 0;
		std::string s = prefix + ts[0] + "," + ts[1] + (snap ? ",true," : ",false,") + (rng() % 2 ? "bid," : "ask,") +
				random_decimal(rng) + "," + random_decimal(rng);
		switch (rng() % 4) {
		case 0: s += "\n"; break;
		case 1: s += "\r\n"; break;
		case 2: s += "\r"; break;
		default: break;
		}
		if (iter % 2) { /* mutate */
			for (int e = 1 + int(rng() % 3); e > 0; e--) {
				size_t at = prefix.size() + rng() % (s.size() - prefix.size() + 1);
				switch (rng() % 4) {
				case 0: if (at < s.size()) s.erase(at, 1); break;
				case 1: s.insert(s.begin() + long(at), junk[rng() % (sizeof(junk) - 1)]); break;
				case 2: s = s.substr(0, at); break;
				default: if (at < s.size()) s[at] = junk[rng() % (sizeof(junk) - 1)]; break;
				}
			}
		} else {
			valid++;
		}
		check_usual(s, oe::u32(prefix.size()), fast);
		if (HasFatalFailure())
			return;
	}
	/* unmutated rows are valid (bar a zero price or a snapshot cancel): nearly all take the fast path */
	EXPECT_GT(fast, valid * 9 / 10);
	/* the bench's rows, a cancel, a long price, the shortest tails */
	int f2 = 0;
	check_usual(prefix + "1600000000000123,1600000000000123,false,bid,10234.56,1.234", 24, f2);
	check_usual(prefix + "1600000000000123,1600000000000123,false,bid,10234.56001,60000001.5", 24, f2);
	check_usual(prefix + "1600000000000123,1600000000000123,false,ask,10234.5,0", 24, f2);
	check_usual(prefix + "1600000000000123,1600000000000123,true,ask,1234.5,0.1\r\n", 24, f2);
	check_usual(prefix + "1600000000000123,1600000000000123,false,bid,12345678,1", 24, f2);
	check_usual(prefix + "1600000000000123,1600000000000123,false,bid,1234567,12", 24, f2);
	EXPECT_EQ(f2, 6);
}

} // namespace

namespace {

/* Sequence tracking when rows alternate between the fast path (16-digit local_timestamp: compared as
 * digit keys, never converted) and the general path (the same values written with a leading zero, 17
 * digits: converted): gap/dup counters and the decision's seq match a plain reference, across
 * snapshots that restart the sequence. */
TEST(EngineProperty, SequenceAcrossFastAndGeneralRows)
{
	oe_config c;
	oe_config_defaults(&c);
	c.book_capacity = 64;
	c.size_threshold = 500 * oe::md::kFixedOne;
	snprintf(c.symbol, sizeof(c.symbol), "BTCUSDT");
	oe::EngineConfig ec = oe::engine_config_from(c);
	std::vector<oe::Level> storage(oe::Engine::storage_bytes(ec) / sizeof(oe::Level));
	oe::Engine engine(ec, storage.data());
	std::mt19937_64 rng(5);
	bool have = false, in_snap = false;
	unsigned long long last = 0, gaps = 0, dups = 0, seq = 1600000000000000ull, fired = 0;
	for (int step = 0; step < 40000; step++) {
		switch (rng() % 8) {
		case 0: seq -= rng() % 5; break;              /* late */
		case 1: case 2: break;                        /* duplicate */
		default: seq += 1 + rng() % 3; break;
		}
		const bool snap = rng() % 200 == 0 || (in_snap && rng() % 3 != 0);
		const bool general = rng() % 3 == 0;
		const bool bid = rng() & 1;
		const long long price = bid ? 10000 + long(rng() % 8) : 10010 + long(rng() % 8);
		const long long amount = snap ? 1 + long(rng() % 100) : long(rng() % 1200);
		char line[200];
		snprintf(line, sizeof(line), "binance-futures,BTCUSDT,%016llu,%s%016llu,%s,%s,%lld.5,%lld", seq,
			 general ? "0" : "", seq, snap ? "true" : "false", bid ? "bid" : "ask", price, amount);
		const oe::Decision d = engine.on_packet(reinterpret_cast<const oe::u8 *>(line), oe::u16(strlen(line)));
		if (snap && !in_snap)
			have = false;
		in_snap = snap;
		if (have && seq < last) {
			gaps++;
		} else {
			if (have && seq == last)
				dups++;
			have = true, last = seq;
		}
		ASSERT_EQ(engine.counter(oe::EngineCounter::seq_gaps), gaps) << line;
		ASSERT_EQ(engine.counter(oe::EngineCounter::seq_dups), dups) << line;
		if (d.fire) {
			fired++;
			ASSERT_EQ(d.seq, seq) << line;
		}
	}
	EXPECT_GT(fired, 100u);
	EXPECT_EQ(engine.parse_drops_total(), 0u);
}

} // namespace

namespace {

/* row_fixed (one load up to 8 bytes, two up to 16: the engine's hot path) against parse_fixed: never
 * accepts what parse_fixed refuses, same value when it accepts, and accepts every plain decimal of up
 * to 16 bytes with 1..8 digits on each side. Junk fields of 1..17 bytes at the end of an exact-size buffer (ASan). */
TEST(ParserProperty, RowFixedAgreesWithParseFixed)
{
	std::mt19937_64 rng(77);
	const char alphabet[] = "0123456789012345678901234567890123456789.-+a ,\x1e/:";
	int accepted = 0;
	for (int iter = 0; iter < 300000; iter++) {
		std::string field;
		if (iter % 2) {
			int len = 1 + int(rng() % 17);
			for (int i = 0; i < len; i++)
				field += alphabet[rng() % (sizeof(alphabet) - 1)];
		} else {
			int ilen = 1 + int(rng() % 8), flen = int(rng() % 9);
			for (int i = 0; i < ilen; i++)
				field += char('0' + rng() % 10);
			if (flen)
				field += '.';
			for (int i = 0; i < flen; i++)
				field += char('0' + rng() % 10);
		}
		std::string row = "x,B,1,1,false,bid,1," + field; /* the field starts >= 8 bytes into its row */
		std::vector<oe::u8> buf(row.begin(), row.end());
		const oe::u8 *fp = buf.data() + buf.size() - field.size();
		oe::i64 want = -7, got = -7;
		const auto e = oe::md::parse_fixed(fp, oe::u16(field.size()), want);
		const bool ok = oe::md::row_fixed(fp, oe::u32(field.size()), got);
		if (ok) {
			accepted++;
			ASSERT_EQ(int(e), 0) << "'" << field << "'";
			ASSERT_EQ(got, want) << "'" << field << "'";
		} else if (iter % 2 == 0 && field.size() <= 16) { /* 17 bytes: the general path's job */
			FAIL() << "plain decimal refused: '" << field << "'";
		}
	}
	EXPECT_GT(accepted, 150000);
}

} // namespace
