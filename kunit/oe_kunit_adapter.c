// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the freestanding C++ test suites (oe/ktest.h) as KUnit suites: one KUnit suite per C++ suite,
 * one parameterised case whose parameters are the C++ cases, so KTAP names every C++ case.
 * The suite list is generated from <component>/ktests/suites.txt (see the top Makefile).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include "oe_kunit_adapter.h"

static const void *oe_case_next(const struct oe_ktest_suite *s, const void *prev, char *desc)
{
	const struct oe_ktest_case *c = prev ? (const struct oe_ktest_case *)prev + 1 : s->cases;

	if (c >= s->cases + s->count)
		return NULL;
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
	return c;
}

static void oe_case_run(struct kunit *test)
{
	const struct oe_ktest_case *c = test->param_value;
	struct oe_ktest_result r = {};

	c->run(&r);
	if (r.failed)
		KUNIT_FAIL(test, "%s:%d: expected %s (lhs=%lld rhs=%lld)", r.file, r.line, r.expr,
			   r.lhs, r.rhs);
}

/* Per suite: a parameter generator over its C++ cases, a one-case KUnit suite, its registration. */
#define OE_KUNIT_SUITE(suite)                                                             \
	static const void *oe_gen_##suite(const void *prev, char *desc)                   \
	{                                                                                 \
		return oe_case_next(&oe_ktest_suite_##suite, prev, desc);                 \
	}                                                                                 \
	static struct kunit_case oe_cases_##suite[] = {                                   \
		KUNIT_CASE_PARAM(oe_case_run, oe_gen_##suite),                            \
		{}                                                                        \
	};                                                                                \
	static struct kunit_suite oe_kunit_##suite = {                                    \
		.name = #suite,                                                           \
		.test_cases = oe_cases_##suite,                                           \
	};                                                                                \
	kunit_test_suite(oe_kunit_##suite)

OE_FOR_EACH_SUITE(OE_KUNIT_SUITE);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oelab: the C++ core's test suites (strategy, tcp, runtime) under KUnit");
