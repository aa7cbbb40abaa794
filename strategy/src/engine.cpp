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

/* Four masked word compares, no loop: bytes past the prefix are masked off (the packet has >= 32). */
OE_ALWAYS_INLINE bool Engine::prefix_matches(const u8 *p, u16 n) const
{
	if (OE_UNLIKELY(prefix_len_ == 0 || n < 32))
		return false;
	const u64 diff = ((get_le64(p) ^ prefix_words_[0]) & prefix_masks_[0]) |
			 ((get_le64(p + 8) ^ prefix_words_[1]) & prefix_masks_[1]) |
			 ((get_le64(p + 16) ^ prefix_words_[2]) & prefix_masks_[2]) |
			 ((get_le64(p + 24) ^ prefix_words_[3]) & prefix_masks_[3]);
	return diff == 0;
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
}

void Engine::track_sequence(u64 seq, bool &stale)
{
	stale = false;
	if (OE_LIKELY(have_seq_)) {
		if (OE_UNLIKELY(seq < last_seq_)) {
			count(EngineCounter::seq_gaps);
			stale = true;
			return; /* keep the high-water mark: later stale rows are detected too */
		}
		if (seq == last_seq_)
			count(EngineCounter::seq_dups);
	}
	have_seq_ = true;
	last_seq_ = seq;
}

Decision Engine::decide(md::Side side, i64 price, i64 increase, u64 seq)
{
	bool over;
	if (OE_LIKELY(cfg_.mode == OE_TRIGGER_SIZE))
		over = increase > cfg_.size_threshold;
	else
		over = __int128(price) * increase > notional_scaled_; /* 1e-16 dollars on both sides */
	if (OE_LIKELY(!over))
		return {};
	count(EngineCounter::triggers);
	const BookSide &other = side == md::Side::Bid ? asks_ : bids_;
	if (OE_UNLIKELY(other.empty())) {
		count(EngineCounter::trigger_no_other_side);
		return {};
	}
	if (OE_UNLIKELY(!bids_.empty() && !asks_.empty() && bids_.best_price() > asks_.best_price())) {
		count(EngineCounter::trigger_crossed);
		return {};
	}
	count(EngineCounter::decisions);
	return { true, u8(side == md::Side::Bid ? 'B' : 'S'), other.best_price(), cfg_.order_qty, seq };
}

/* Everything but the learned-prefix fast path: split, interpret, symbol filter, learning the prefix.
 * false: dropped (counted). Out of line, so the hot path carries none of its state. */
__attribute__((noinline)) bool Engine::parse_general(const u8 *p, u16 n, md::Row &row)
{
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

Decision Engine::on_packet(const u8 *p, u16 n)
{
	count(EngineCounter::md_frames);
	md::Row row;
	if (OE_LIKELY(prefix_matches(p, n) && md::parse_usual_after_prefix(p, n, prefix_len_, row)))
		count(EngineCounter::md_rows);
	else if (!parse_general(p, n, row))
		return {};

	if (OE_UNLIKELY(row.snapshot)) {
		count(EngineCounter::snapshot_rows);
		if (!in_snapshot_) {
			/* a new snapshot starts a new book and a new sequence: a replayed session (the lab's
			 * exchange restarts its file on every connection) is not "late" */
			if (!bids_.empty() || !asks_.empty())
				count(EngineCounter::snapshot_resets);
			bids_.clear();
			asks_.clear();
			have_seq_ = false;
			in_snapshot_ = true;
		}
	} else {
		in_snapshot_ = false;
	}
	bool stale;
	track_sequence(row.seq, stale);

	BookSide &side = row.side == md::Side::Bid ? bids_ : asks_;
	BookResult r = side.apply(row.price, row.amount);
	switch (r.op) {
	case BookOp::Update: count(EngineCounter::book_updates); break;
	case BookOp::Insert: count(EngineCounter::book_inserts); break;
	case BookOp::InsertEvict:
		count(EngineCounter::book_inserts);
		count(EngineCounter::book_evictions);
		break;
	case BookOp::Cancel: count(EngineCounter::book_cancels); return {};
	case BookOp::CancelUnknown: count(EngineCounter::book_cancel_unknown); return {};
	case BookOp::DropFull: count(EngineCounter::book_full_drops); return {};
	}
	/* only a live, in-order, incremental update near the top can trigger */
	if (row.snapshot || stale || r.rank >= cfg_.levels)
		return {};
	i64 increase = row.amount - r.old_size;
	if (increase <= 0)
		return {};
	return decide(row.side, row.price, increase, row.seq);
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
