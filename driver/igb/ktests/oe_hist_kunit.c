// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "igb_oe_hist": the latency histogram arithmetic of driver/igb/oe_hist.h (bucket
 * mapping, its inverse, percentiles). Plain C, no driver state; built into oe_kunit.ko with
 * -I driver/igb.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include "oe_hist.h"

/* every value lies inside the range of its bucket; buckets never go backwards */
static void oe_hist_bucket_covers_value(struct kunit *test)
{
	unsigned int b, prev = 0;
	u64 v, lo, hi;
	int k;

	for (v = 0; v < 70000; v++) {
		b = oe_hist_bucket(v);
		KUNIT_ASSERT_LT(test, b, OE_HIST_BUCKETS);
		KUNIT_ASSERT_GE(test, b, prev);
		oe_hist_range(b, &lo, &hi);
		KUNIT_ASSERT_LE(test, lo, v);
		KUNIT_ASSERT_GE(test, hi, v);
		prev = b;
	}
	for (k = 4; k < 64; k++) {
		v = 1ULL << k;
		oe_hist_range(oe_hist_bucket(v), &lo, &hi);
		KUNIT_EXPECT_EQ(test, lo, v);
		oe_hist_range(oe_hist_bucket(v - 1), &lo, &hi);
		KUNIT_EXPECT_EQ(test, hi, v - 1);
	}
	KUNIT_EXPECT_EQ(test, oe_hist_bucket(U64_MAX), OE_HIST_BUCKETS - 1);
}

/* adjacent buckets tile the value space: no gaps, no overlaps, width <= 1/8 of the value */
static void oe_hist_buckets_tile(struct kunit *test)
{
	u64 lo, hi, next_lo = 0;
	unsigned int b;

	for (b = 0; b < OE_HIST_BUCKETS; b++) {
		oe_hist_range(b, &lo, &hi);
		KUNIT_ASSERT_EQ(test, lo, next_lo);
		KUNIT_ASSERT_GE(test, hi, lo);
		if (lo >= 2 * OE_HIST_SUB)
			KUNIT_EXPECT_LE(test, hi - lo + 1, lo / OE_HIST_SUB);
		next_lo = hi + 1;
	}
	KUNIT_EXPECT_EQ(test, next_lo, 0ULL); /* the last bucket ends at U64_MAX */
}

static void oe_hist_percentiles(struct kunit *test)
{
	struct oe_hist *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	u64 v, p50, p99;

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 500), 0ULL);

	for (v = 1; v <= 1000; v++)
		oe_hist_add(h, v);
	KUNIT_EXPECT_EQ(test, h->n, 1000ULL);
	KUNIT_EXPECT_EQ(test, h->max, 1000ULL);
	KUNIT_EXPECT_EQ(test, h->sum, 500500ULL);
	p50 = oe_hist_percentile(h, 500);
	p99 = oe_hist_percentile(h, 990);
	/* the bucket's upper bound: at least the true value, at most 12.5% above it */
	KUNIT_EXPECT_GE(test, p50, 500ULL);
	KUNIT_EXPECT_LE(test, p50, 500ULL + 500 / 8);
	KUNIT_EXPECT_GE(test, p99, 990ULL);
	KUNIT_EXPECT_LE(test, p99, 1000ULL);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 1000), 1000ULL);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 0), 1ULL);
}

static void oe_hist_single_value(struct kunit *test)
{
	struct oe_hist *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	oe_hist_add(h, 12345);
	/* capped by the maximum: a lone sample reports itself exactly */
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 500), 12345ULL);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 999), 12345ULL);
}

/* a reset is a request: nothing but the writer stores into the counts */
static void oe_hist_reset_is_a_request(struct kunit *test)
{
	struct oe_hist *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	oe_hist_add(h, 100);
	oe_hist_add(h, 200);
	oe_hist_request_reset(h);
	/* readers see it empty at once; the memory is the writer's to clear */
	KUNIT_EXPECT_EQ(test, oe_hist_n(h), 0ULL);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 500), 0ULL);
	KUNIT_EXPECT_EQ(test, h->n, 2ULL);
	oe_hist_add(h, 300);
	KUNIT_EXPECT_EQ(test, oe_hist_n(h), 1ULL);
	KUNIT_EXPECT_EQ(test, h->sum, 300ULL);
	KUNIT_EXPECT_EQ(test, h->max, 300ULL);
	KUNIT_EXPECT_EQ(test, h->bucket[oe_hist_bucket(100)], 0ULL);
	KUNIT_EXPECT_EQ(test, oe_hist_percentile(h, 500), 300ULL);
}

static struct kunit_case oe_hist_cases[] = {
	KUNIT_CASE(oe_hist_bucket_covers_value),
	KUNIT_CASE(oe_hist_buckets_tile),
	KUNIT_CASE(oe_hist_percentiles),
	KUNIT_CASE(oe_hist_single_value),
	KUNIT_CASE(oe_hist_reset_is_a_request),
	{}
};

static struct kunit_suite oe_hist_suite = {
	.name = "igb_oe_hist",
	.test_cases = oe_hist_cases,
};

kunit_test_suite(oe_hist_suite);
