/* SPDX-License-Identifier: GPL-2.0 */
/* The C++ suites oe_kunit.ko runs: declared from the generated list (<component>/ktests/suites.txt). */
#ifndef OE_KUNIT_ADAPTER_H
#define OE_KUNIT_ADAPTER_H
#include "oe/ktest_abi.h"
#include "oe_kunit_suites.h" /* generated: #define OE_FOR_EACH_SUITE(X) X(oe_rt); X(strategy_parser); ... */

#define OE_DECLARE_SUITE(suite) extern const struct oe_ktest_suite oe_ktest_suite_##suite
OE_FOR_EACH_SUITE(OE_DECLARE_SUITE);

#endif
