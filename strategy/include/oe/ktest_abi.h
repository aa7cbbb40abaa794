/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe/ktest_abi.h — boundary for freestanding C++ test cases. A case is written once (see oe/ktest.h)
 * and runs under KUnit in the guest (kunit/oe_kunit_adapter.c: one parameterised KUnit case per
 * suite, one parameter per C++ case) and under GoogleTest on the host (kunit/host/gtest_adapter.cpp).
 */
#ifndef OE_KTEST_ABI_H
#define OE_KTEST_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

struct oe_ktest_result {
	int failed;
	const char *expr; /* the failed check, as written */
	const char *file;
	int line;
	long long lhs, rhs; /* values of an EQ/NE/LT check, else 0 */
};

struct oe_ktest_case {
	const char *name;
	void (*run)(struct oe_ktest_result *r);
};

struct oe_ktest_suite {
	const char *name;
	unsigned int count;
	const struct oe_ktest_case *cases;
};

/* Fault injection for the runtime suite: the next n calls to oe_rt_alloc() return NULL (0 stops it).
 * Implemented by the test runtimes only (oe_kunit.ko's runtime/oe_kunit_rt.c, kunit/host/host_rt.cpp);
 * igb_oe.ko has no such hook. */
void oe_rt_fail_allocs(unsigned int n);

/* Tests only, no core initialised: forget the module-lifetime ISN state (key and last incarnation,
 * oe_core.cpp), so a test that compares two runs byte for byte starts each like a fresh module load. */
void oe_core_reset_isn_for_tests(void);

#ifdef __cplusplus
}
#endif
#endif
