/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe latency histogram arithmetic: log-linear buckets, exact below 16 ns, then 8 sub-buckets per
 * power of two (<= 12.5% wide). Header-only and free of driver state so KUnit can test it
 * (driver/igb/ktests/oe_hist_kunit.c). Single writer per histogram, lock-free readers.
 *
 * A reset is a request (any context): it bumps reset_gen, readers report an empty histogram from
 * then on, and the writer clears the memory itself before its next sample. Nobody but the writer
 * ever stores into the counts, so a reset cannot tear a sample that is being added.
 */
#ifndef OE_HIST_H
#define OE_HIST_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/types.h>

#define OE_HIST_SUB_BITS	3
#define OE_HIST_SUB		BIT(OE_HIST_SUB_BITS)
#define OE_HIST_BUCKETS		((64 - OE_HIST_SUB_BITS + 1) * OE_HIST_SUB)

struct oe_hist {
	u32 gen;	/* writer: the reset generation the data belongs to */
	u32 reset_gen;	/* any: requested generation */
	u64 n;
	u64 sum;
	u64 max;
	u64 bucket[OE_HIST_BUCKETS];
};

static inline unsigned int oe_hist_bucket(u64 v)
{
	unsigned int shift;

	if (v < 2 * OE_HIST_SUB)
		return v;
	shift = fls64(v) - 1 - OE_HIST_SUB_BITS;
	return shift * OE_HIST_SUB + (unsigned int)(v >> shift);
}

/* inclusive value range of bucket b (inverse of oe_hist_bucket) */
static inline void oe_hist_range(unsigned int b, u64 *lo, u64 *hi)
{
	unsigned int shift;
	u64 s;

	if (b < 2 * OE_HIST_SUB) {
		*lo = b;
		*hi = b;
		return;
	}
	shift = b / OE_HIST_SUB - 1;
	s = OE_HIST_SUB + b % OE_HIST_SUB;
	*lo = s << shift;
	*hi = ((s + 1) << shift) - 1;
}

static inline void oe_hist_request_reset(struct oe_hist *h)
{
	WRITE_ONCE(h->reset_gen, READ_ONCE(h->reset_gen) + 1);
}

/* a reset was requested and the writer has not cleared the data yet: readers see it empty */
static inline bool oe_hist_stale(const struct oe_hist *h)
{
	return READ_ONCE(h->gen) != READ_ONCE(h->reset_gen);
}

/* readers: sample count, 0 while a reset is pending */
static inline u64 oe_hist_n(const struct oe_hist *h)
{
	return oe_hist_stale(h) ? 0 : READ_ONCE(h->n);
}

static inline void oe_hist_add(struct oe_hist *h, u64 v)
{
	unsigned int b = oe_hist_bucket(v);
	u32 want = READ_ONCE(h->reset_gen);

	if (unlikely(h->gen != want)) {
		WRITE_ONCE(h->n, 0);
		WRITE_ONCE(h->sum, 0);
		WRITE_ONCE(h->max, 0);
		memset(h->bucket, 0, sizeof(h->bucket));
		/* cleared data before the generation that says it is current */
		smp_store_release(&h->gen, want);
	}

	WRITE_ONCE(h->bucket[b], h->bucket[b] + 1);
	WRITE_ONCE(h->sum, h->sum + v);
	if (v > h->max)
		WRITE_ONCE(h->max, v);
	WRITE_ONCE(h->n, h->n + 1);
}

/* upper bound of the bucket holding the permille-th value, capped by the maximum seen; 0 if empty */
static inline u64 oe_hist_percentile(const struct oe_hist *h, u32 permille)
{
	u64 n = oe_hist_n(h), max = READ_ONCE(h->max), target, seen = 0, lo, hi;
	unsigned int b;

	if (!n)
		return 0;
	target = div_u64(n * permille + 999, 1000);
	if (!target)
		target = 1;
	for (b = 0; b < OE_HIST_BUCKETS; b++) {
		seen += READ_ONCE(h->bucket[b]);
		if (seen >= target) {
			oe_hist_range(b, &lo, &hi);
			return min(hi, max);
		}
	}
	return max;
}

#endif /* OE_HIST_H */
