// Host runner for the runtime suite (the same cases oe_kunit.ko runs in the guest).
#include "ktest_gtest.h"

extern "C" const oe_ktest_suite oe_ktest_suite_oe_rt;
static const bool registered = oe_host::register_ktests(oe_ktest_suite_oe_rt);

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	return registered ? RUN_ALL_TESTS() : 1;
}
