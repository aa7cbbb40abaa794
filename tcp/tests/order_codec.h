// Test orders: the 13-byte wire order (qty u32 LE, price i64 LE, side u8) with its sequence number
// embedded, so the Linux-side reader can prove exactly-once, in-order delivery.
#pragma once
#include <cstdint>
#include <cstring>

namespace oe::tcp::interop {

constexpr unsigned kOrderLen = 13;

inline void encode_order(uint8_t *o, uint32_t n)
{
	const int64_t price = int64_t(n) * 100 + 7;
	std::memcpy(o, &n, 4);
	std::memcpy(o + 4, &price, 8);
	o[12] = (n & 1) ? 'S' : 'B';
}

inline bool order_is(const uint8_t *o, uint32_t n)
{
	uint8_t want[kOrderLen];
	encode_order(want, n);
	return std::memcmp(o, want, kOrderLen) == 0;
}

// Peer data pattern (Linux -> client)
inline uint8_t pattern_byte(uint64_t i) { return uint8_t((i * 7 + (i >> 8)) & 0xff); }

} // namespace oe::tcp::interop
