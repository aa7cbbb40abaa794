/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe::Engine — the market-data half of the strategy: parser + L2 book + trigger + sequence and drop
 * counters. No order entry, no clock: a pure function of the packets it is fed, so the kernel
 * strategy, the replay tool, the userspace baselines and the exchange's reconciliation all agree on
 * which MD rows produce an order. (Rate limit and kill switch live in oe::Safety, applied by
 * oe::Strategy, because they depend on time.)
 *
 * Stable API (host users link build/host/strategy/libstrategy_core.a):
 *
 *   oe_config c; oe_config_defaults(&c);               // abi.h defaults; edit fields as needed
 *   oe::EngineConfig ec = oe::engine_config_from(c);   // or fill EngineConfig directly
 *   if (!oe::engine_config_valid(ec)) ...              // 1 <= levels <= capacity, qty >= 1, ...
 *   storage = aligned memory of oe::Engine::storage_bytes(ec) bytes (alignof(oe::Level))
 *   oe::Engine e(ec, storage);
 *   oe::Decision d = e.on_packet(payload, len);        // one UDP payload = one CSV row
 *   if (d.fire) order(d.side ('B'/'S'), d.price (1e-8), d.qty) for row d.seq (local_timestamp)
 *   e.counter(oe::EngineCounter::triggers); e.counter_name(i) / e.counter_value(i)
 */
#pragma once
#include "oe/abi.h"
#include "oe/base.h"
#include "oe/book.h"
#include "oe/parser.h"

namespace oe {

struct EngineConfig {
	char symbol[24];        /* NUL-terminated; empty = the first symbol seen is adopted */
	u32 book_capacity;      /* levels per side */
	u32 levels;             /* fire if rank after update < levels */
	i64 size_threshold;     /* OE_TRIGGER_SIZE: size increase (1e-8) > this */
	i64 notional_threshold; /* OE_TRIGGER_NOTIONAL: price x increase > this (dollars 1e-8) */
	u32 mode;               /* enum oe_trigger_mode */
	u32 order_qty;
};

EngineConfig engine_config_from(const oe_config &c);
bool engine_config_valid(const EngineConfig &c);

/* What the engine decided for one packet. side is 'B' (bid surge: buy at the best ask) or 'S'. */
struct Decision {
	bool fire;
	u8 side;
	i64 price; /* 1e-8: the other side's best level */
	u32 qty;
	u64 seq;   /* local_timestamp of the row */
};

/* Engine counters; ethtool names are "oe_" + the identifier (see docs/strategy.md). */
#define OE_ENGINE_COUNTERS(X)                                                                      \
	X(md_frames)             /* packets handed to the engine */                               \
	X(md_rows)               /* rows that parsed */                                           \
	X(md_other_symbol)       /* parsed rows for another symbol, ignored */                    \
	X(seq_gaps)              /* local_timestamp went backwards (gap/reorder); row applied, never triggers */ \
	X(seq_dups)              /* local_timestamp equal to the previous one */                  \
	X(snapshot_rows)                                                                           \
	X(snapshot_resets)       /* a snapshot after incremental rows started a fresh book */     \
	X(book_updates)                                                                            \
	X(book_inserts)                                                                            \
	X(book_cancels)                                                                            \
	X(book_cancel_unknown)                                                                     \
	X(book_full_drops)       /* new level worse than a full side */                           \
	X(book_evictions)        /* worst level evicted for a better new one */                   \
	X(triggers)              /* trigger condition met */                                      \
	X(trigger_no_other_side) /* ... but the other side was empty: no order */                 \
	X(trigger_crossed)       /* ... but the book was crossed (bid > ask): no order */         \
	X(decisions)             /* orders decided */

enum class EngineCounter : u32 {
#define OE_X(name) name,
	OE_ENGINE_COUNTERS(OE_X)
#undef OE_X
	parse_drop_first, /* then one per md::ParseError after Ok */
	count_ = parse_drop_first + md::kParseErrorCount - 1
};
constexpr u32 kEngineCounterCount = u32(EngineCounter::count_);

class Engine {
public:
	static usize storage_bytes(const EngineConfig &c) { return usize(c.book_capacity) * 2 * sizeof(Level); }

	/* c must be engine_config_valid(); storage: storage_bytes(c) bytes aligned for Level. */
	Engine(const EngineConfig &c, void *storage);
	Engine(const Engine &) = delete;
	Engine &operator=(const Engine &) = delete;

	Decision on_packet(const u8 *p, u16 n);
	/* The same, inlined into the caller (the module's handleMDPacket): no call, no Decision in memory. */
	OE_ALWAYS_INLINE Decision on_packet_inline(const u8 *p, u16 n);

	const EngineConfig &config() const { return cfg_; }
	const BookSide &bids() const { return bids_; }
	const BookSide &asks() const { return asks_; }

	/* ---- warming (docs/strategy.md "Warming"): a shadow engine, never the live one ---- */
	static constexpr u32 kWarmLevels = 16;   /* best levels per side a shadow copies */
	static constexpr u16 kWarmRowMax = 160;  /* buffer warm_row needs */
	/* The config of a shadow of an engine configured with live: a book of at most
	 * max(levels, kWarmLevels) levels per side. */
	static EngineConfig warm_config(const EngineConfig &live);
	/* This engine (built with warm_config(live.config())) takes live's state: config, symbol, learned
	 * prefix, sequence mark, the best levels of each side. live is only read. */
	void clone_for_warm(const Engine &live);
	/* A row that fires on the current book: a bid surge at the best bid, "<exchange>,<symbol>,<seq>,
	 * <seq>,false,bid,<best bid>,<its size + the smallest whole-unit increase that fires>" with seq the current
	 * sequence mark. Its length (cap >= kWarmRowMax), 0 if there is none (no symbol, an empty side). */
	u16 warm_row(u8 *buf, u16 cap) const;

	u64 counter(EngineCounter c) const { return ctr_[u32(c)]; }
	u64 parse_drops(md::ParseError e) const { return ctr_[u32(EngineCounter::parse_drop_first) + u32(e) - 1]; }
	u64 parse_drops_total() const;
	static const char *counter_name(u32 i); /* "oe_md_frames", ...; nullptr past the end */
	u64 counter_value(u32 i) const { return i < kEngineCounterCount ? ctr_[i] : 0; }

private:
	void count(EngineCounter c) { ctr_[u32(c)]++; }
	bool symbol_matches(const md::Row &r);
	OE_ALWAYS_INLINE bool track_sequence(u64 seq); /* true: stale */
	OE_ALWAYS_INLINE bool track_sequence_key(md::SeqKey k);
	OE_ALWAYS_INLINE Decision decide(md::Side side, i64 price, i64 increase, u64 seq);

	bool parse_general(const u8 *p, u16 n); /* into general_row_ */
	OE_ALWAYS_INLINE bool prefix_matches(const u8 *p, u16 n) const;
	void learn_prefix(const u8 *p, const md::Row &r);

	EngineConfig cfg_;
	u64 sym_words_[3]; /* configured symbol, zero-padded, compared a word at a time */
	u16 sym_len_;
	/* "<exchange>,<symbol>," of the configured symbol as first seen: a row starting with exactly these
	 * bytes needs neither the comma scan of its first two fields nor the symbol compare */
	u64 prefix_words_[4];
	u64 prefix_masks_[4]; /* which bytes of each word belong to the prefix */
	u16 prefix_len_ = 0;  /* 0: not learned (yet) */
	u32 prefix_min_n_ = 0x10000; /* 32 once learned (the compare reads 32 bytes); above any u16 before */
	bool have_seq_ = false;
	/* the high-water mark came from the fast path: it is last_seq_key_ (not converted), else last_seq_ */
	bool seq_is_key_ = false;
	md::SeqKey last_seq_key_ = 0;
	bool in_snapshot_ = false;
	u64 last_seq_ = 0;
	__int128 notional_scaled_; /* notional_threshold * 1e8: compared against price(1e-8) x increase(1e-8) */
	BookSide bids_, asks_;
	u64 ctr_[kEngineCounterCount];
	md::Row general_row_; /* parse_general's result: the hot path's row never has its address taken */
};

/* Four masked word compares, no loop: bytes past the prefix are masked off (the packet has >= 32). */
OE_ALWAYS_INLINE bool Engine::prefix_matches(const u8 *p, u16 n) const
{
	if (OE_UNLIKELY(n < prefix_min_n_)) /* also: no prefix learned yet */
		return false;
	const u64 diff = ((get_le64(p) ^ prefix_words_[0]) & prefix_masks_[0]) |
			 ((get_le64(p + 8) ^ prefix_words_[1]) & prefix_masks_[1]) |
			 ((get_le64(p + 16) ^ prefix_words_[2]) & prefix_masks_[2]) |
			 ((get_le64(p + 24) ^ prefix_words_[3]) & prefix_masks_[3]);
	return diff == 0;
}

OE_ALWAYS_INLINE bool Engine::track_sequence(u64 seq)
{
	if (OE_UNLIKELY(seq_is_key_)) { /* the mark as a number, from here on */
		last_seq_ = md::seq_key_value(last_seq_key_);
		seq_is_key_ = false;
	}
	if (OE_LIKELY(have_seq_)) {
		if (OE_UNLIKELY(seq < last_seq_)) {
			count(EngineCounter::seq_gaps);
			return true; /* keep the high-water mark: later stale rows are detected too */
		}
		if (seq == last_seq_)
			count(EngineCounter::seq_dups);
	}
	have_seq_ = true;
	last_seq_ = seq;
	return false;
}

OE_ALWAYS_INLINE Decision Engine::decide(md::Side side, i64 price, i64 increase, u64 seq)
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

/* track_sequence for a fast-path row: compares the 128-bit digit keys, converts nothing */
OE_ALWAYS_INLINE bool Engine::track_sequence_key(md::SeqKey k)
{
	if (OE_LIKELY(seq_is_key_)) { /* implies have_seq_ */
		if (OE_UNLIKELY(k <= last_seq_key_)) {
			if (k < last_seq_key_) {
				count(EngineCounter::seq_gaps);
				return true;
			}
			count(EngineCounter::seq_dups);
		}
	} else if (have_seq_) {
		const u64 seq = md::seq_key_value(k);
		if (OE_UNLIKELY(seq < last_seq_)) {
			count(EngineCounter::seq_gaps);
			return true;
		}
		if (seq == last_seq_)
			count(EngineCounter::seq_dups);
	}
	have_seq_ = true;
	seq_is_key_ = true;
	last_seq_key_ = k;
	return false;
}

/* parse -> sequence -> symbol -> snapshot -> book -> trigger */
OE_ALWAYS_INLINE Decision Engine::on_packet_inline(const u8 *p, u16 n)
{
	count(EngineCounter::md_frames);
	/* written in full by either parser before any read; spared the kernel's per-call zero fill
	 * (-ftrivial-auto-var-init=zero), which gcc otherwise emits as dead stores */
	md::Row row __attribute__((uninitialized));
	md::SeqKey key = 0;
	const bool fast = prefix_matches(p, n) && md::parse_usual_keyed(p, n, prefix_len_, row, key);
	if (OE_LIKELY(fast)) {
		count(EngineCounter::md_rows);
	} else {
		if (!parse_general(p, n))
			return {};
		row = general_row_;
	}

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
			seq_is_key_ = false;
			in_snapshot_ = true;
		}
	} else {
		in_snapshot_ = false;
	}
	const bool stale = OE_LIKELY(fast) ? track_sequence_key(key) : track_sequence(general_row_.seq);

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
	return decide(row.side, row.price, increase, OE_LIKELY(fast) ? md::seq_key_value(key) : general_row_.seq);
}

} // namespace oe
