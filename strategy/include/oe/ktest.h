/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding test cases that run both as KUnit (guest kernel) and GoogleTest (host).
 *
 *   OE_KTEST(parse_rejects_bad_side) {
 *       ...
 *       OE_EXPECT(r, cond);          // stops the case on failure
 *       OE_EXPECT_EQ(r, got, 42);
 *   }
 *   OE_KTEST_SUITE(strategy, parse_rejects_bad_side, other_case, ...);
 *
 * A suite is a constant table (no static constructors: the module has none to run). Cases must not
 * allocate except through the core's own setup paths, and must not use the STL.
 */
#pragma once
#include "oe/base.h"
#include "oe/ktest_abi.h"

#define OE_KTEST(name) static void name(struct oe_ktest_result *r)

#define OE_KTEST_FAIL_(r, text, a, b)                                                              \
	do {                                                                                       \
		(r)->failed = 1;                                                                   \
		(r)->expr = text;                                                                  \
		(r)->file = __FILE__;                                                              \
		(r)->line = __LINE__;                                                              \
		(r)->lhs = (long long)(a);                                                         \
		(r)->rhs = (long long)(b);                                                         \
		return;                                                                            \
	} while (0)

#define OE_EXPECT(r, cond)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			OE_KTEST_FAIL_(r, #cond, 0, 0);                                            \
	} while (0)
#define OE_EXPECT_OP_(r, a, op, b)                                                                 \
	do {                                                                                       \
		auto oe_a_ = (a);                                                                  \
		auto oe_b_ = (b);                                                                  \
		if (!(oe_a_ op oe_b_))                                                             \
			OE_KTEST_FAIL_(r, #a " " #op " " #b, oe_a_, oe_b_);                        \
	} while (0)
#define OE_EXPECT_EQ(r, a, b) OE_EXPECT_OP_(r, a, ==, b)
#define OE_EXPECT_NE(r, a, b) OE_EXPECT_OP_(r, a, !=, b)
#define OE_EXPECT_LT(r, a, b) OE_EXPECT_OP_(r, a, <, b)
#define OE_EXPECT_LE(r, a, b) OE_EXPECT_OP_(r, a, <=, b)

#define OE_KTEST_CASE_(fn) { #fn, fn },
#define OE_KTEST_MAP1_(m, x) m(x)
/* Up to 64 cases per suite; split bigger suites. */
#define OE_KTEST_SUITE(suite, ...)                                                                 \
	static const struct oe_ktest_case oe_ktest_cases_##suite[] = { OE_KTEST_EACH_(__VA_ARGS__) }; \
	extern "C" const struct oe_ktest_suite oe_ktest_suite_##suite;                             \
	const struct oe_ktest_suite oe_ktest_suite_##suite = {                                     \
		#suite, sizeof(oe_ktest_cases_##suite) / sizeof(oe_ktest_cases_##suite[0]),        \
		oe_ktest_cases_##suite }

/* FOR_EACH over __VA_ARGS__ (C++20 __VA_OPT__ recursion, bounded depth). */
#define OE_KTEST_PARENS_ ()
#define OE_KTEST_EXPAND_(...) OE_KTEST_EXPAND4_(OE_KTEST_EXPAND4_(OE_KTEST_EXPAND4_(OE_KTEST_EXPAND4_(__VA_ARGS__))))
#define OE_KTEST_EXPAND4_(...) OE_KTEST_EXPAND3_(OE_KTEST_EXPAND3_(OE_KTEST_EXPAND3_(OE_KTEST_EXPAND3_(__VA_ARGS__))))
#define OE_KTEST_EXPAND3_(...) OE_KTEST_EXPAND2_(OE_KTEST_EXPAND2_(OE_KTEST_EXPAND2_(OE_KTEST_EXPAND2_(__VA_ARGS__))))
#define OE_KTEST_EXPAND2_(...) __VA_ARGS__
#define OE_KTEST_EACH_(...) __VA_OPT__(OE_KTEST_EXPAND_(OE_KTEST_EACH_HELPER_(__VA_ARGS__)))
#define OE_KTEST_EACH_HELPER_(a1, ...) OE_KTEST_CASE_(a1) __VA_OPT__(OE_KTEST_EACH_AGAIN_ OE_KTEST_PARENS_(__VA_ARGS__))
#define OE_KTEST_EACH_AGAIN_() OE_KTEST_EACH_HELPER_
