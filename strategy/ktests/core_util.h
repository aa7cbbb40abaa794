/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the ktests that drive the C ABI core (oe_core.cpp) on the fake platform with the real
 * tcp::Client: core setup, counters by name, the exchange's side of the connection. */
#pragma once
#include "oe/abi.h"
#include "oe/fake_platform.h"
#include "oe/ktest_abi.h"
#include "oe/tcp/wire.h"
#include "ktest_util.h"

namespace oe::kt {
/* internal linkage, as in ktest_util.h */
namespace {

constexpr u32 kLocalIp = 0x0a000002, kRemoteIp = 0x0a000001;
constexpr u16 kRemotePort = 9012;
char g_row[128];

inline void feed_md(const char *row) { handleMDPacket(reinterpret_cast<const UDPMDPacket *>(row), cstr_len(row)); }

/* The tests' core config: the defaults, our addresses, a 64-level book. */
inline oe_config test_config(u32 max_rate = 0)
{
	oe_config c;
	oe_config_defaults(&c);
	c.local_ip_be = bswap32(kLocalIp);
	c.remote_ip_be = bswap32(kRemoteIp);
	c.remote_port_be = bswap16(kRemotePort);
	c.book_capacity = 64;
	c.max_orders_per_sec = max_rate;
	return c;
}

/* A fresh core on a fresh fake platform, as after a fresh module load (deterministic: the same
 * calls give the same bytes; the ISN state that otherwise outlives a core is reset too). */
inline int start_with(const oe_config &c)
{
	oe_core_exit();
	oe_fake_reset();
	oe_core_reset_isn_for_tests();
	return oe_core_init(&c);
}
inline int start(u32 max_rate = 0) { return start_with(test_config(max_rate)); }

inline u64 stat(const char *name)
{
	for (u32 i = 0; i < oe_stats_count(); i++) {
		const char *n = oe_stats_name(i);
		u32 k = 0;
		while (n[k] && n[k] == name[k])
			k++;
		if (n[k] == 0 && name[k] == 0)
			return oe_stats_value(i);
	}
	return ~0ull;
}

/* The i-th transmitted frame, parsed. */
inline bool tx_segment(u32 i, tcp::SegmentIn &s)
{
	u16 len = 0;
	const u8 *f = oe_fake_tx_frame(i, &len);
	return f && len > tcp::kOffIp && tcp::parse_segment(f + tcp::kOffIp, u16(len - tcp::kOffIp), s) == tcp::ParseError::None;
}

/* The exchange sends a segment (SYN|ACK, or any flags) built with the tcp wire code; it acknowledges
 * our SYN, or `ack` if given. */
inline void peer_sends(const tcp::SegmentIn &syn, u32 peer_seq, u8 flags, u32 ack = 0, u16 window = 65535)
{
	static u8 frame[128];
	tcp::Endpoints ep{};
	ep.local_ip = kRemoteIp, ep.remote_ip = kLocalIp;
	ep.local_port = kRemotePort, ep.remote_port = syn.src_port;
	ep.ttl = 64;
	tcp::SegmentOut s{};
	s.seq = peer_seq;
	s.ack = ack ? ack : syn.seq + 1;
	s.window = window;
	s.flags = flags;
	s.mss_option = (flags & tcp::SYN) ? 1460 : 0;
	u16 n = tcp::build_segment(frame, sizeof(frame), ep, s);
	oe_tcp_rx(frame + tcp::kOffIp, u16(n - tcp::kOffIp));
}

/* Init -> connected; returns false if any step misbehaved. window: what the SYN-ACK offers. */
inline bool connect_established(tcp::SegmentIn &syn, u16 window = 65535)
{
	if (oe_request_connect() != 0)
		return false;
	if (oe_strategy_state() != 0) /* nothing happens before the poll */
		return false;
	oe_poll();
	if (oe_strategy_state() != 1 || oe_fake_tx_count() != 1 || !tx_segment(0, syn) || syn.flags != tcp::SYN)
		return false;
	peer_sends(syn, 5000, tcp::SYN | tcp::ACK, 0, window);
	return oe_strategy_state() == 2;
}

/* bid 100 / ask 101, then +60,000,000 at the best bid: one order (B at 101) */
inline void book_and_surge(u64 seq)
{
	feed_md(row(g_row, seq, false, true, 100, 1));
	feed_md(row(g_row, seq + 1, false, false, 101, 1));
	feed_md(row(g_row, seq + 2, false, true, 100, 60000001));
}

} // namespace
} // namespace oe::kt
