/* SPDX-License-Identifier: GPL-2.0 */
/*
 * L2 book side with a capacity fixed at setup (storage handed in, never grown).
 *
 * Levels are kept sorted from worst to best, so the best level is the LAST element: updates cluster
 * near the top, and inserting or removing there moves only the few better levels. Each level stores
 * a "key" that is the price for bids and -price for asks, so both sides sort ascending by key and
 * share one search. Rank 0 is the best level.
 *
 * Full side: a level worse than every stored level is dropped (counted by the caller); a better one
 * evicts the worst level. Rows carry absolute sizes, so an evicted level simply reappears if updated.
 */
#pragma once
#include "oe/base.h"
#include "oe/parser.h"

namespace oe {

struct Level {
	i64 key;  /* price for bids, -price for asks */
	i64 size; /* 1e-8 */
};

enum class BookOp : u8 {
	Update,        /* existing level, new absolute size */
	Insert,        /* new level (old size 0) */
	InsertEvict,   /* new level; the worst level was evicted to make room */
	Cancel,        /* level removed */
	CancelUnknown, /* cancel of a level that is not in the book */
	DropFull,      /* new level worse than everything in a full side: not stored */
};

struct BookResult {
	BookOp op;
	u32 rank;     /* after the update for Update/Insert*, before removal for Cancel */
	i64 old_size; /* 0 for a new level */
};

class BookSide {
public:
	static constexpr u32 kLinearScan = 16; /* top levels searched linearly before bisecting */

	void init(Level *storage, u32 capacity, md::Side side)
	{
		lv_ = storage;
		cap_ = capacity;
		count_ = 0;
		ask_ = side == md::Side::Ask;
	}
	void clear() { count_ = 0; }
	u32 size() const { return count_; }
	u32 capacity() const { return cap_; }
	bool empty() const { return count_ == 0; }
	i64 key_of(i64 price) const { return ask_ ? -price : price; }
	/* rank r (0 = best); r < size() */
	i64 price_at(u32 r) const { return key_of(lv_[count_ - 1 - r].key); }
	i64 size_at(u32 r) const { return lv_[count_ - 1 - r].size; }
	i64 best_price() const { return price_at(0); }

	/* Apply an absolute size (0 = cancel) at price (> 0). */
	OE_ALWAYS_INLINE BookResult apply(i64 price, i64 size)
	{
		const i64 k = key_of(price);
		const u32 pos = lower_bound(k);
		const bool found = pos < count_ && lv_[pos].key == k;
		if (size == 0) {
			if (!found)
				return { BookOp::CancelUnknown, 0, 0 };
			i64 old = lv_[pos].size;
			u32 rank = count_ - 1 - pos;
			for (u32 i = pos; i + 1 < count_; i++)
				lv_[i] = lv_[i + 1];
			count_--;
			return { BookOp::Cancel, rank, old };
		}
		if (found) {
			i64 old = lv_[pos].size;
			lv_[pos].size = size;
			return { BookOp::Update, count_ - 1 - pos, old };
		}
		if (count_ < cap_) {
			for (u32 i = count_; i > pos; i--)
				lv_[i] = lv_[i - 1];
			lv_[pos] = { k, size };
			count_++;
			return { BookOp::Insert, count_ - 1 - pos, 0 };
		}
		if (pos == 0)
			return { BookOp::DropFull, 0, 0 };
		/* full: evict the worst (index 0); the new level lands just below pos */
		for (u32 i = 0; i + 1 < pos; i++)
			lv_[i] = lv_[i + 1];
		lv_[pos - 1] = { k, size };
		return { BookOp::InsertEvict, count_ - pos, 0 };
	}

	/* Warming's shadow book (docs/strategy.md "Warming"): this side becomes the best min(size, capacity)
	 * levels of o, which is only read. */
	void copy_top_from(const BookSide &o)
	{
		const u32 k = o.count_ < cap_ ? o.count_ : cap_;
		copy(lv_, o.lv_ + (o.count_ - k), usize(k) * sizeof(Level));
		count_ = k;
		ask_ = o.ask_;
	}

	/* Sorted strictly by key, every stored size > 0, within capacity (tests, fuzzer). */
	bool invariants_hold() const
	{
		if (count_ > cap_)
			return false;
		for (u32 i = 0; i < count_; i++)
			if (lv_[i].size <= 0 || (i > 0 && lv_[i - 1].key >= lv_[i].key))
				return false;
		return true;
	}

private:
	/* first index whose key >= k (count_ if none): the best level first, then one level at a time down
	 * the top kLinearScan, bisect below that */
	OE_ALWAYS_INLINE u32 lower_bound(i64 k) const
	{
		const u32 n = count_;
		if (OE_UNLIKELY(n == 0))
			return 0;
		const Level *const lv = lv_;
		const Level *q = lv + n - 1;
		if (q->key <= k) /* the best level itself, or a new best: the commonest cases */
			return q->key == k ? n - 1 : n;
		const Level *const stop = n > kLinearScan ? lv + (n - kLinearScan) : lv;
		while (q >= stop + 4 && q[-4].key >= k) /* q->key >= k throughout */
			q -= 4;
		while (q > stop && q[-1].key >= k)
			q--;
		if (OE_LIKELY(q != stop || q == lv || q[-1].key < k))
			return u32(q - lv);
		u32 lo = 0, hi = u32(stop - lv) - 1; /* answer in [lo, hi]: lv[hi].key >= k */
		while (lo < hi) {
			u32 mid = lo + (hi - lo) / 2;
			if (lv[mid].key >= k)
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo;
	}

	Level *lv_ = nullptr;
	u32 cap_ = 0;
	u32 count_ = 0;
	bool ask_ = false;
};

} // namespace oe
