// The order-entry wire format (docs/protocol.md): 13 bytes, packed, little-endian
//   u32 quantity | i64 price (fixed point, 1e-8 units) | u8 side ('B' buy, 'S' sell)
// and the reassembler that turns a TCP byte stream back into whole orders.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace oeex {

inline constexpr size_t kOrderSize = 13;
inline constexpr uint8_t kSideBuy = 'B';
inline constexpr uint8_t kSideSell = 'S';

struct Order {
	uint32_t quantity = 0;
	int64_t price = 0; // 1e-8 units
	uint8_t side = 0;  // kSideBuy / kSideSell; anything else is logged as-is
	bool operator==(const Order &) const = default;
};

inline void encode_order(const Order &o, uint8_t out[kOrderSize])
{
	// x86 and the guest are little-endian; memcpy of the native value is the LE encoding.
	static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
	std::memcpy(out, &o.quantity, 4);
	std::memcpy(out + 4, &o.price, 8);
	out[12] = o.side;
}

inline Order decode_order(const uint8_t in[kOrderSize])
{
	Order o;
	std::memcpy(&o.quantity, in, 4);
	std::memcpy(&o.price, in + 4, 8);
	o.side = in[12];
	return o;
}

// TCP is a stream: an order may be split across segments and several may share one. Feed every
// received chunk; whole orders come out in order, a partial tail is kept for the next chunk.
class OrderReassembler {
public:
	template <class OnOrder> void feed(std::span<const uint8_t> bytes, OnOrder &&on_order)
	{
		size_t i = 0;
		if (pending_) {
			size_t take = kOrderSize - pending_;
			if (take > bytes.size())
				take = bytes.size();
			std::memcpy(partial_ + pending_, bytes.data(), take);
			pending_ += take;
			i = take;
			if (pending_ < kOrderSize)
				return;
			pending_ = 0;
			on_order(decode_order(partial_));
		}
		for (; i + kOrderSize <= bytes.size(); i += kOrderSize)
			on_order(decode_order(bytes.data() + i));
		pending_ = bytes.size() - i;
		std::memcpy(partial_, bytes.data() + i, pending_);
	}
	// Bytes of an incomplete order held back (non-zero at disconnect = a truncated order).
	size_t pending_bytes() const { return pending_; }
	void reset() { pending_ = 0; }

private:
	uint8_t partial_[kOrderSize] = {};
	size_t pending_ = 0;
};

} // namespace oeex
