/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the strategy ktests (freestanding: no STL, no allocation). */
#pragma once
#include "oe/base.h"
#include "oe/engine.h"

namespace oe::kt {
/* internal linkage: each test object gets its own copy, so no COMDAT function is emitted by two
 * objects of oe_kunit.ko (GCC 12 + -fpatchable-function-entry cannot link those) */
namespace {

inline u16 cstr_len(const char *s)
{
	u16 n = 0;
	while (s[n])
		n++;
	return n;
}
inline const u8 *bytes(const char *s) { return reinterpret_cast<const u8 *>(s); }

constexpr i64 kOne = md::kFixedOne;
constexpr i64 kDefaultThreshold = 50000000ll * kOne;

/* An Engine built in static storage (no static constructor: the box is zero-initialised). */
struct EngineBox {
	static constexpr u32 kCap = 64;
	alignas(Engine) u8 mem[sizeof(Engine)];
	Level levels[2 * kCap];

	static EngineConfig config(u32 capacity = kCap)
	{
		oe_config c;
		oe_config_defaults(&c);
		EngineConfig e = engine_config_from(c);
		e.book_capacity = capacity;
		return e;
	}
	Engine &make(const EngineConfig &c) { return *new (mem) Engine(c, levels); }
};

/* Feed one row given as a C string. */
inline Decision feed(Engine &e, const char *row) { return e.on_packet(bytes(row), cstr_len(row)); }

/* Format "x,SYM,1,<seq>,<snap>,<side>,<price>,<amount>" into buf (integers only: amounts in whole units). */
inline const char *row(char *buf, u64 seq, bool snap, bool bid, u64 price, u64 amount, const char *sym = "BTC")
{
	char *p = buf;
	auto put = [&](const char *s) { while (*s) *p++ = *s++; };
	auto num = [&](u64 v) {
		char t[24];
		int n = 0;
		do { t[n++] = char('0' + v % 10); v /= 10; } while (v);
		while (n) *p++ = t[--n];
	};
	put("x,"); put(sym); put(",1,"); num(seq); put(snap ? ",true," : ",false,"); put(bid ? "bid," : "ask,");
	num(price); put(","); num(amount);
	*p = 0;
	return buf;
}

} // namespace
} // namespace oe::kt
