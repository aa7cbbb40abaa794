// Runs the freestanding tcp suites (the same cases oe_kunit.ko runs) under GoogleTest.
#include <gtest/gtest.h>
#include "ktest_gtest.h"

extern "C" const oe_ktest_suite oe_ktest_suite_tcp_wire, oe_ktest_suite_tcp_state, oe_ktest_suite_tcp_data,
	oe_ktest_suite_tcp_recovery, oe_ktest_suite_tcp_timers, oe_ktest_suite_tcp_hostile, oe_ktest_suite_tcp_orders,
	oe_ktest_suite_tcp_contract, oe_ktest_suite_tcp_isn;

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	oe_host::register_ktests(oe_ktest_suite_tcp_wire);
	oe_host::register_ktests(oe_ktest_suite_tcp_state);
	oe_host::register_ktests(oe_ktest_suite_tcp_data);
	oe_host::register_ktests(oe_ktest_suite_tcp_recovery);
	oe_host::register_ktests(oe_ktest_suite_tcp_timers);
	oe_host::register_ktests(oe_ktest_suite_tcp_hostile);
	oe_host::register_ktests(oe_ktest_suite_tcp_contract);
	oe_host::register_ktests(oe_ktest_suite_tcp_orders);
	oe_host::register_ktests(oe_ktest_suite_tcp_isn);
	return RUN_ALL_TESTS();
}
