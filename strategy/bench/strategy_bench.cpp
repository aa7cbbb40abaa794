// Google benchmark: host ns per MD update on a 1000-level book (book alone and the whole engine).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "bench_common.h"
#include "oe/engine.h"

namespace {

constexpr int kLevels = 1000;

struct EngineFixture {
	oe::EngineConfig ec;
	std::vector<oe::Level> storage;
	oe::Engine *engine;
	EngineFixture()
	{
		oe_config c;
		oe_config_defaults(&c);
		c.book_capacity = 2 * kLevels;
		ec = oe::engine_config_from(c);
		storage.resize(oe::Engine::storage_bytes(ec) / sizeof(oe::Level));
		engine = new oe::Engine(ec, storage.data());
		for (auto &r : bench::snapshot(kLevels))
			engine->on_packet(reinterpret_cast<const oe::u8 *>(r.data()), oe::u16(r.size()));
	}
	~EngineFixture() { delete engine; }
};

/* BookSide::apply alone at a given rank of a 1000-level side (absolute size, existing level). */
void BM_BookUpdateAtRank(benchmark::State &st)
{
	std::vector<oe::Level> lv(kLevels);
	oe::BookSide side;
	side.init(lv.data(), kLevels, oe::md::Side::Bid);
	for (int i = 0; i < kLevels; i++)
		side.apply(oe::i64(1000000 - i) * 1000000, 100);
	const oe::i64 price = oe::i64(1000000 - st.range(0)) * 1000000;
	oe::i64 size = 1;
	for (auto _ : st) {
		benchmark::DoNotOptimize(side.apply(price, size));
		size = size % 1000 + 1;
	}
}
BENCHMARK(BM_BookUpdateAtRank)->Arg(0)->Arg(4)->Arg(20)->Arg(500)->Arg(999);

/* Insert + cancel of a level at a given rank (moves the better levels). */
void BM_BookInsertCancelAtRank(benchmark::State &st)
{
	std::vector<oe::Level> lv(kLevels + 1);
	oe::BookSide side;
	side.init(lv.data(), kLevels + 1, oe::md::Side::Bid);
	for (int i = 0; i < kLevels; i++)
		side.apply(oe::i64(1000000 - 2 * i) * 1000000, 100);
	const oe::i64 price = oe::i64(1000000 - 2 * st.range(0) - 1) * 1000000;
	for (auto _ : st) {
		benchmark::DoNotOptimize(side.apply(price, 5));
		benchmark::DoNotOptimize(side.apply(price, 0));
	}
	st.SetItemsProcessed(st.iterations() * 2);
}
BENCHMARK(BM_BookInsertCancelAtRank)->Arg(0)->Arg(4)->Arg(500);

/* The whole engine (parse + book + trigger) on realistic rows, non-trigger updates near the top. */
void BM_EngineQuietUpdate(benchmark::State &st)
{
	EngineFixture f;
	auto rows = bench::quiet_updates(4096, 10);
	size_t i = 0;
	for (auto _ : st) {
		const std::string &r = rows[i++ & 4095];
		benchmark::DoNotOptimize(f.engine->on_packet(reinterpret_cast<const oe::u8 *>(r.data()), oe::u16(r.size())));
	}
}
BENCHMARK(BM_EngineQuietUpdate);

/* Parse alone (split + interpret) of one realistic row. */
void BM_ParseRow(benchmark::State &st)
{
	std::string r = bench::row(5, false, true, 1023456, 1234);
	oe::md::Row row;
	for (auto _ : st)
		benchmark::DoNotOptimize(oe::md::parse_row(reinterpret_cast<const oe::u8 *>(r.data()), oe::u16(r.size()), row));
}
BENCHMARK(BM_ParseRow);

} // namespace

BENCHMARK_MAIN();
