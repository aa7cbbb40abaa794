// Shared by the strategy benchmarks: realistic Tardis rows for a deep book (host only).
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "oe/abi.h"
#include "oe/tcp/wire.h"

namespace bench {

/* The exchange's side of the connection whose SYN was syn: a segment handed to the core. */
inline void peer_sends(const oe::tcp::SegmentIn &syn, oe::u32 seq, oe::u32 ack, oe::u8 flags)
{
	oe::tcp::Endpoints ep{};
	ep.local_ip = syn.dst_ip, ep.remote_ip = syn.src_ip, ep.local_port = syn.dst_port, ep.remote_port = syn.src_port;
	ep.ttl = 64;
	oe::tcp::SegmentOut s{};
	s.seq = seq, s.ack = ack, s.window = 65535, s.flags = flags, s.mss_option = (flags & oe::tcp::SYN) ? 1460 : 0;
	static oe::u8 frame[128];
	oe::u16 n = oe::tcp::build_segment(frame, sizeof(frame), ep, s);
	oe_tcp_rx(frame + oe::tcp::kOffIp, oe::u16(n - oe::tcp::kOffIp));
}

/* Connect (the SYN leaves from oe_poll), answer it with a SYN-ACK: Running. syn_frame returns the
 * frame the platform transmitted. */
inline bool establish(const oe::u8 *(*syn_frame)(oe::u16 *len), oe::tcp::SegmentIn &syn)
{
	oe_request_connect();
	oe_poll();
	oe::u16 len = 0;
	const oe::u8 *f = syn_frame(&len);
	if (!f || oe::tcp::parse_segment(f + oe::tcp::kOffIp, oe::u16(len - oe::tcp::kOffIp), syn) != oe::tcp::ParseError::None)
		return false;
	peer_sends(syn, 777, syn.seq + 1, oe::tcp::SYN | oe::tcp::ACK);
	return oe_strategy_state() == 2;
}

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

/* Trigger updates: each is a new best bid (10234.56001, .56002, ... below the 10234.57 ask) with
 * 60,000,001.5 (> 50,000,000): every one fires and buys at the best ask. n <= 999. */
inline std::vector<std::string> surges(int n, unsigned long long seq0)
{
	std::vector<std::string> v;
	for (int i = 0; i < n; i++) {
		char b[160];
		snprintf(b, sizeof(b), "binance-futures,BTCUSDT,%llu,%llu,false,bid,10234.56%03d,60000001.5",
			 1600000000000000ull + seq0 + i, 1600000000000000ull + seq0 + i, i + 1);
		v.push_back(b);
	}
	return v;
}

} // namespace bench
