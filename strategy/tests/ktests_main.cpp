// The strategy ktest suites (the same cases oe_kunit.ko runs in the guest) as GoogleTest cases.
#include <gtest/gtest.h>

#include "ktest_gtest.h"

extern "C" const oe_ktest_suite oe_ktest_suite_strategy_parser;
extern "C" const oe_ktest_suite oe_ktest_suite_strategy_trigger;
extern "C" const oe_ktest_suite oe_ktest_suite_strategy_state_machine;
extern "C" const oe_ktest_suite oe_ktest_suite_strategy_core;
extern "C" const oe_ktest_suite oe_ktest_suite_strategy_warm;

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	oe_host::register_ktests(oe_ktest_suite_strategy_parser);
	oe_host::register_ktests(oe_ktest_suite_strategy_trigger);
	oe_host::register_ktests(oe_ktest_suite_strategy_state_machine);
	oe_host::register_ktests(oe_ktest_suite_strategy_core);
	oe_host::register_ktests(oe_ktest_suite_strategy_warm);
	return RUN_ALL_TESTS();
}
