#include "mdgen_model.h"

#include <map>

#include "fixed_point.h"
#include "md_line.h"

namespace oeex {

uint32_t SeededRandom::geometric(uint32_t per_million, uint32_t cap)
{
	uint32_t k = 0;
	while (k < cap && !chance(per_million))
		k++;
	return k;
}

bool parse_shape(std::string_view name, Shape &out)
{
	static const std::pair<std::string_view, Shape> names[] = {
		{"xbtusd", Shape::Xbtusd}, {"fractional", Shape::Fractional}, {"multi", Shape::MultiSymbol},
		{"quiet", Shape::Quiet},   {"burst", Shape::Burst},
	};
	for (auto &[n, s] : names)
		if (n == name) {
			out = s;
			return true;
		}
	return false;
}

const char *shape_name(Shape s)
{
	switch (s) {
	case Shape::Xbtusd: return "xbtusd";
	case Shape::Fractional: return "fractional";
	case Shape::MultiSymbol: return "multi";
	case Shape::Quiet: return "quiet";
	case Shape::Burst: return "burst";
	}
	return "?";
}

namespace {

// One instrument's generator state: a consistent L2 book (never crossed) that evolves by small random
// steps around the top.
struct Instrument {
	std::string exchange, symbol;
	int64_t tick;           // price increment, 1e-8 units
	int64_t lot;            // amount increment, 1e-8 units
	uint64_t min_lots, max_lots_scale;
	int64_t jump_size;      // size added by a "jump" update
	std::map<int64_t, int64_t> bids, asks; // price -> amount (1e-8 units)
};

class Generator {
public:
	Generator(const GenOptions &o, const std::function<void(std::string_view)> &sink)
		: opt_(o), rng_(o.seed ^ 0x6f65657863686731ULL), sink_(sink), now_us_(o.start_us), local_us_(o.start_us)
	{
		setup_instruments();
	}

	GenStats run()
	{
		sink_(kTardisHeader);
		for (auto &inst : instruments_)
			emit_snapshot(inst);
		while (stats_.payload_bytes < opt_.target_payload_bytes)
			step();
		return stats_;
	}

private:
	void setup_instruments()
	{
		auto make = [&](const char *exch, const char *sym, int64_t mid, int64_t tick, int64_t lot, uint64_t min_lots,
				uint64_t scale, int64_t jump) {
			Instrument in{exch, sym, tick, lot, min_lots, scale, opt_.jump_size ? opt_.jump_size : jump, {}, {}};
			int64_t best_bid = mid - mid % tick;
			for (uint32_t i = 0, placed = 0; placed < opt_.snapshot_levels; i++) {
				if (i > 0 && rng_.chance(100000))
					continue; // holes make the book look real
				in.bids[best_bid - int64_t(i) * tick] = random_size(in);
				in.asks[best_bid + int64_t(i + 1) * tick] = random_size(in);
				placed++;
			}
			instruments_.push_back(std::move(in));
		};
		const int64_t S = kFixedScale;
		switch (opt_.shape) {
		case Shape::Fractional:
			// BTCUSDT-like: cent ticks, BTC amounts with up to 8 decimals
			make("binance-futures", "BTCUSDT", 60000 * S, S / 100, 1, 100000, 500, 600 * S);
			break;
		case Shape::MultiSymbol:
			make("bitmex", "XBTUSD", 60000 * S, S / 2, S, 100, 20000, 50000000 * S);
			make("bitmex", "ETHUSD", 3000 * S, S / 20, S, 10, 5000, 50000000 * S);
			make("bitmex", "XRPUSD", S / 2, S / 10000, S, 1000, 50000, 50000000 * S);
			break;
		default:
			// BitMEX XBTUSD: tick 0.5, sizes in whole contracts
			make("bitmex", "XBTUSD", 60000 * S, S / 2, S, 100, 20000, 50000000 * S);
			break;
		}
	}

	// Level size: lots in [min, min*scale], roughly log-uniform (integer-only so output is portable).
	int64_t random_size(const Instrument &in)
	{
		uint64_t lots = in.min_lots + rng_.below(in.min_lots * 9 + 1);
		for (uint64_t s = in.max_lots_scale; s >= 10; s /= 10)
			if (rng_.chance(400000))
				lots *= 10;
		return int64_t(lots) * in.lot;
	}

	void emit(const Instrument &in, bool snapshot, bool bid, int64_t price, int64_t amount)
	{
		// local_timestamp doubles as the sequence number: strictly increasing, at least the exchange
		// timestamp plus a small network delay.
		uint64_t arrival = now_us_ + 800 + rng_.below(400);
		local_us_ = arrival > local_us_ ? arrival : local_us_ + 1;
		line_.clear();
		line_ += in.exchange;
		line_ += ',';
		line_ += in.symbol;
		line_ += ',';
		line_ += std::to_string(now_us_);
		line_ += ',';
		line_ += std::to_string(local_us_);
		line_ += snapshot ? ",true," : ",false,";
		line_ += bid ? "bid," : "ask,";
		line_ += format_fixed(price);
		line_ += ',';
		line_ += format_fixed(amount);
		sink_(line_);
		stats_.rows++;
		stats_.snapshot_rows += snapshot;
		stats_.payload_bytes += line_.size();
	}

	void emit_snapshot(const Instrument &in)
	{
		for (auto it = in.asks.begin(); it != in.asks.end(); ++it)
			emit(in, true, false, it->first, it->second);
		for (auto it = in.bids.rbegin(); it != in.bids.rend(); ++it)
			emit(in, true, true, it->first, it->second);
	}

	void advance_clock()
	{
		switch (opt_.shape) {
		case Shape::Quiet:
			if (rng_.chance(3000)) {
				now_us_ += 1000000 + rng_.below(4000000); // a 1-5 s lull
				return;
			}
			break;
		case Shape::Burst:
			if (burst_left_) {
				burst_left_--;
				return; // same exchange timestamp for the whole burst
			}
			if (rng_.chance(20000))
				burst_left_ = 20 + uint32_t(rng_.below(180));
			break;
		default:
			break;
		}
		now_us_ += 1 + rng_.below(400);
	}

	// Rank-th level from the top of one side (0 = best), clamped to the book depth.
	template <class It> It level_at(It begin, It end, size_t size, uint32_t rank)
	{
		if (rank >= size)
			rank = uint32_t(size - 1);
		It it = begin;
		for (uint32_t i = 0; i < rank; i++)
			++it;
		(void)end;
		return it;
	}

	void step()
	{
		advance_clock();
		Instrument &in = instruments_[rng_.below(instruments_.size())];
		bool bid = rng_.chance(500000);
		auto &book = bid ? in.bids : in.asks;
		auto &other = bid ? in.asks : in.bids;
		uint32_t rank = rng_.geometric(350000, 60);
		uint64_t roll = rng_.below(1000000);

		if (roll < opt_.jump_per_million && book.size() > 5) {
			// a big size jump near the top: the strategy's trigger
			int64_t price = bid ? level_at(book.rbegin(), book.rend(), book.size(), rank % 5)->first
					    : level_at(book.begin(), book.end(), book.size(), rank % 5)->first;
			// strictly more than jump_size, so a '> threshold' trigger with threshold == jump_size fires
			int64_t amount = book[price] + in.jump_size + int64_t(1 + rng_.below(uint64_t(in.jump_size / in.lot) / 2)) * in.lot;
			book[price] = amount;
			stats_.jumps++;
			emit(in, false, bid, price, amount);
			return;
		}
		if (roll < 250000 + opt_.jump_per_million && book.size() > opt_.snapshot_levels / 2) {
			// cancel: occasionally the best level (the price moves), usually one a little deeper
			int64_t price = bid ? level_at(book.rbegin(), book.rend(), book.size(), rank)->first
					    : level_at(book.begin(), book.end(), book.size(), rank)->first;
			book.erase(price);
			stats_.cancels++;
			emit(in, false, bid, price, 0);
			return;
		}
		if (roll < 550000 || book.empty()) {
			// new level: inside the spread when there is room, else in a hole near the top
			int64_t best = book.empty() ? (bid ? other.begin()->first - in.tick : other.rbegin()->first + in.tick)
						    : (bid ? book.rbegin()->first : book.begin()->first);
			int64_t opposite = bid ? other.begin()->first : other.rbegin()->first;
			int64_t price;
			if ((bid ? opposite - best : best - opposite) > in.tick && rng_.chance(600000))
				price = bid ? best + in.tick : best - in.tick;
			else
				price = bid ? best - int64_t(rank + 1) * in.tick : best + int64_t(rank + 1) * in.tick;
			int64_t amount = random_size(in);
			book[price] = amount;
			emit(in, false, bid, price, amount);
			return;
		}
		// modify an existing level: a moderate change of its size
		auto set_level = [&](int64_t price, int64_t old) {
			int64_t delta = (random_size(in) / in.lot / 4 + 1) * in.lot;
			int64_t amount = rng_.chance(500000) ? old + delta : (old > delta + in.lot ? old - delta : old + delta);
			if (amount > 20000000 * kFixedScale && in.jump_size >= 50000000 * kFixedScale)
				amount = random_size(in); // a former jump level settles back to a normal size
			book[price] = amount;
			emit(in, false, bid, price, amount);
		};
		if (bid) {
			auto it = level_at(book.rbegin(), book.rend(), book.size(), rank);
			set_level(it->first, it->second);
		} else {
			auto it = level_at(book.begin(), book.end(), book.size(), rank);
			set_level(it->first, it->second);
		}
	}

	const GenOptions &opt_;
	SeededRandom rng_;
	const std::function<void(std::string_view)> &sink_;
	std::vector<Instrument> instruments_;
	uint64_t now_us_, local_us_;
	uint32_t burst_left_ = 0;
	std::string line_;
	GenStats stats_;
};

} // namespace

GenStats generate_md(const GenOptions &options, const std::function<void(std::string_view)> &sink)
{
	Generator g(options, sink);
	return g.run();
}

} // namespace oeex
