// Shared by the strategy benchmarks: realistic Tardis rows for a deep book (host only).
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

/* A row shaped like binance-futures data: long timestamps, 2-decimal prices, 3-decimal amounts. */
inline std::string row(unsigned long long seq, bool snap, bool bid, long long price_cents, long long amount_milli)
{
	char b[160];
	snprintf(b, sizeof(b), "binance-futures,BTCUSDT,%llu,%llu,%s,%s,%lld.%02lld,%lld.%03lld", 1600000000000000ull + seq,
		 1600000000000000ull + seq, snap ? "true" : "false", bid ? "bid" : "ask", price_cents / 100,
		 price_cents % 100, amount_milli / 1000, amount_milli % 1000);
	return b;
}

/* Snapshot rows for `levels` levels per side around 10234.56 (1 cent apart). */
inline std::vector<std::string> snapshot(int levels)
{
	std::vector<std::string> v;
	for (int i = 0; i < levels; i++) {
		v.push_back(row(1, true, true, 1023456 - i, 1000 + i));
		v.push_back(row(1, true, false, 1023457 + i, 1000 + i));
	}
	return v;
}

/* Non-trigger updates: levels at rank 0..9 (mostly near the top, as in real feeds), sizes +-small. */
inline std::vector<std::string> quiet_updates(int n, unsigned long long seq0)
{
	std::vector<std::string> v;
	for (int i = 0; i < n; i++) {
		bool bid = i & 1;
		int rank = (i * 7) % 10;
		long long price = bid ? 1023456 - rank : 1023457 + rank;
		v.push_back(row(seq0 + i, false, bid, price, 1000 + (i * 37) % 5000));
	}
	return v;
}

/* Trigger updates: each raises the best bid by 60,000,000 (> 50,000,000): every one fires. */
inline std::vector<std::string> surges(int n, unsigned long long seq0)
{
	std::vector<std::string> v;
	for (int i = 0; i < n; i++)
		v.push_back(row(seq0 + i, false, true, 1023456, (long long)(i + 1) * 60000000000ll));
	return v;
}

} // namespace bench
