// SPDX-License-Identifier: GPL-2.0
/* oe::Engine: parse -> sequence -> symbol -> snapshot -> book -> trigger (see oe/engine.h). */
#include "oe/engine.h"

namespace oe {
namespace {

const char *const kCounterNames[kEngineCounterCount] = {
#define OE_X(name) "oe_" #name,
	OE_ENGINE_COUNTERS(OE_X)
#undef OE_X
	/* one per md::ParseError after Ok, same order */
	"oe_parse_drop_short",
	"oe_parse_drop_missing_fields",
	"oe_parse_drop_extra_fields",
	"oe_parse_drop_empty_field",
	"oe_parse_drop_bad_symbol",
	"oe_parse_drop_non_digit",
	"oe_parse_drop_negative",
	"oe_parse_drop_too_many_decimals",
	"oe_parse_drop_overflow",
	"oe_parse_drop_bad_snapshot",
	"oe_parse_drop_bad_side",
	"oe_parse_drop_zero_price",
	"oe_parse_drop_snapshot_cancel",
};
static_assert(md::kParseErrorCount - 1 == 13, "one oe_parse_drop_* name per md::ParseError");

/* Bytes [0, n) of an 8-byte word as loaded little-endian. */
OE_ALWAYS_INLINE u64 low_bytes_mask(u32 n) { return n >= 8 ? ~0ull : (1ull << (n * 8)) - 1; }

} // namespace

Engine::Engine(const EngineConfig &c, void *storage) : cfg_(c)
{
	fill(ctr_, 0, sizeof(ctr_));
	fill(sym_words_, 0, sizeof(sym_words_));
	cfg_.symbol[sizeof(cfg_.symbol) - 1] = 0;
	sym_len_ = 0;
	while (sym_len_ < md::kMaxSymbol && cfg_.symbol[sym_len_])
		sym_len_++;
	copy(sym_words_, cfg_.symbol, sym_len_);
	notional_scaled_ = __int128(cfg_.notional_threshold) * md::kFixedOne;
	Level *lv = static_cast<Level *>(storage);
	bids_.init(lv, cfg_.book_capacity, md::Side::Bid);
	asks_.init(lv + cfg_.book_capacity, cfg_.book_capacity, md::Side::Ask);
}

u64 Engine::parse_drops_total() const
{
	u64 sum = 0;
	for (u32 i = u32(EngineCounter::parse_drop_first); i < kEngineCounterCount; i++)
		sum += ctr_[i];
	return sum;
}

const char *Engine::counter_name(u32 i) { return i < kEngineCounterCount ? kCounterNames[i] : nullptr; }

/*
 * Word-wise compare. Only called on a row that interpret() accepted: at least 18 bytes of fields
 * follow the symbol, so reading up to 7 bytes past its end stays inside the packet.
 */
bool Engine::symbol_matches(const md::Row &r)
{
	if (OE_UNLIKELY(sym_len_ == 0)) { /* adopt the first symbol seen */
		sym_len_ = r.symbol_len;
		copy(sym_words_, r.symbol, r.symbol_len);
		copy(cfg_.symbol, r.symbol, r.symbol_len);
		cfg_.symbol[r.symbol_len] = 0;
		return true;
	}
	if (r.symbol_len != sym_len_)
		return false;
	for (u32 off = 0; off < sym_len_; off += 8) {
		if ((get_le64(r.symbol + off) ^ sym_words_[off / 8]) & low_bytes_mask(sym_len_ - off))
			return false;
	}
	return true;
}

/* After a row of our symbol parsed: remember its "<exchange>,<symbol>," if it fits 32 bytes. */
void Engine::learn_prefix(const u8 *p, const md::Row &r)
{
	if (OE_LIKELY(prefix_len_ != 0))
		return;
	const u32 len = u32(r.symbol - p) + r.symbol_len + 1; /* through the comma after the symbol */
	if (len > sizeof(prefix_words_))
		return;
	fill(prefix_words_, 0, sizeof(prefix_words_));
	copy(prefix_words_, p, len);
	for (u32 w = 0; w < 4; w++)
		prefix_masks_[w] = len > w * 8 ? low_bytes_mask(len - w * 8) : 0;
	prefix_len_ = u16(len);
	prefix_min_n_ = 32;
}

/* Everything but the learned-prefix fast path: split, interpret, symbol filter, learning the prefix.
 * false: dropped (counted). Out of line, so the hot path carries none of its state. */
__attribute__((noinline)) bool Engine::parse_general(const u8 *p, u16 n)
{
	md::Row &row = general_row_;
	md::Fields f;
	md::ParseError e = md::split_fields(p, n, f);
	if (OE_LIKELY(e == md::ParseError::Ok))
		e = md::interpret(p, f, row);
	if (OE_UNLIKELY(e != md::ParseError::Ok)) {
		ctr_[u32(EngineCounter::parse_drop_first) + u32(e) - 1]++;
		return false;
	}
	count(EngineCounter::md_rows);
	if (!symbol_matches(row)) {
		count(EngineCounter::md_other_symbol);
		return false;
	}
	learn_prefix(p, row);
	return true;
}

Decision Engine::on_packet(const u8 *p, u16 n) { return on_packet_inline(p, n); }

EngineConfig engine_config_from(const oe_config &c)
{
	EngineConfig e;
	fill(&e, 0, sizeof(e));
	copy(e.symbol, c.symbol, sizeof(e.symbol));
	e.symbol[sizeof(e.symbol) - 1] = 0;
	e.book_capacity = c.book_capacity;
	e.levels = c.levels;
	e.size_threshold = c.size_threshold;
	e.notional_threshold = c.notional_threshold;
	e.mode = c.mode;
	e.order_qty = c.order_qty;
	return e;
}

bool engine_config_valid(const EngineConfig &c)
{
	/* capacity >= levels: a level that could trigger is never one dropped for lack of room */
	return c.book_capacity >= 1 && c.book_capacity <= (1u << 20) && c.levels >= 1 && c.levels <= c.book_capacity &&
	       c.size_threshold >= 0 &&
	       c.notional_threshold >= 0 && (c.mode == OE_TRIGGER_SIZE || c.mode == OE_TRIGGER_NOTIONAL) &&
	       c.order_qty >= 1;
}

} // namespace oe
