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

/* ---- warming ---- */

EngineConfig Engine::warm_config(const EngineConfig &live)
{
	EngineConfig c = live;
	const u32 want = live.levels > kWarmLevels ? live.levels : kWarmLevels;
	c.book_capacity = live.book_capacity < want ? live.book_capacity : want;
	return c;
}

void Engine::clone_for_warm(const Engine &live)
{
	const u32 cap = cfg_.book_capacity; /* ours: the shadow's storage */
	cfg_ = live.cfg_;
	cfg_.book_capacity = cap;
	copy(sym_words_, live.sym_words_, sizeof(sym_words_));
	sym_len_ = live.sym_len_;
	copy(prefix_words_, live.prefix_words_, sizeof(prefix_words_));
	copy(prefix_masks_, live.prefix_masks_, sizeof(prefix_masks_));
	prefix_len_ = live.prefix_len_;
	prefix_min_n_ = live.prefix_min_n_;
	have_seq_ = live.have_seq_;
	seq_is_key_ = live.seq_is_key_;
	last_seq_key_ = live.last_seq_key_;
	in_snapshot_ = live.in_snapshot_;
	last_seq_ = live.last_seq_;
	notional_scaled_ = live.notional_scaled_;
	/* the counters too: reading them brings the lines a real packet writes into the cache */
	copy(ctr_, live.ctr_, sizeof(ctr_));
	bids_.copy_top_from(live.bids_);
	asks_.copy_top_from(live.asks_);
}

namespace {

u8 *put_digits(u8 *o, u64 v, u32 min_digits)
{
	u8 tmp[20];
	u32 n = 0;
	do {
		tmp[n++] = u8('0' + v % 10);
		v /= 10;
	} while (v || n < min_digits);
	while (n)
		*o++ = tmp[--n];
	return o;
}

/* v > 0 at 1e-8 as the feed writes it: integer part, then up to 8 decimals without trailing zeros */
u8 *put_fixed(u8 *o, i64 v)
{
	o = put_digits(o, u64(v) / u64(md::kFixedOne), 1);
	u64 frac = u64(v) % u64(md::kFixedOne);
	if (!frac)
		return o;
	u32 digits = 8;
	while (frac % 10 == 0)
		frac /= 10, digits--;
	*o++ = '.';
	return put_digits(o, frac, digits);
}

u8 *put_text(u8 *o, const char *t)
{
	while (*t)
		*o++ = u8(*t++);
	return o;
}

} // namespace

u16 Engine::warm_row(u8 *buf, u16 cap) const
{
	if (cap < kWarmRowMax || !sym_len_ || bids_.empty() || asks_.empty())
		return 0;
	const i64 price = bids_.best_price(), old = bids_.size_at(0);
	constexpr i64 kMaxFixed = 9000000000000000000ll; /* below the parser's overflow bound */
	i64 increase;
	if (cfg_.mode == OE_TRIGGER_SIZE) {
		increase = cfg_.size_threshold + 1;
	} else { /* the smallest increase with price x increase > notional (a search: no 128-bit division) */
		i64 lo = 1, hi = kMaxFixed;
		if (__int128(price) * hi <= notional_scaled_)
			return 0;
		while (lo < hi) {
			const i64 mid = lo + (hi - lo) / 2;
			if (__int128(price) * mid > notional_scaled_)
				hi = mid;
			else
				lo = mid + 1;
		}
		increase = lo;
	}
	/* a whole number of units: the row's amount keeps the decimals of the level's size, so it has the
	 * feed's shape and takes the parser's fast path as a real trigger does (threshold + 1e-8 has 8
	 * decimals: 17+ bytes, which only parse_general takes, so the fast path's code was never warmed) */
	increase += (md::kFixedOne - increase % md::kFixedOne) % md::kFixedOne;
	if (increase > kMaxFixed - old)
		return 0;
	u8 *o = buf;
	if (prefix_len_) {
		copy(o, prefix_words_, prefix_len_);
		o += prefix_len_;
	} else {
		o = put_text(o, "warm,");
		copy(o, sym_words_, sym_len_);
		o += sym_len_;
		*o++ = ',';
	}
	/* the current mark itself: a duplicate is processed normally, never taken for a late row */
	const u64 seq = !have_seq_ ? 0 : seq_is_key_ ? md::seq_key_value(last_seq_key_) : last_seq_;
	o = put_digits(o, seq, 16);
	*o++ = ',';
	o = put_digits(o, seq, 16);
	o = put_text(o, ",false,bid,");
	o = put_fixed(o, price);
	*o++ = ',';
	o = put_fixed(o, old + increase);
	return u16(o - buf);
}

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
