/* Runs freestanding oe/ktest.h suites as GoogleTest cases on the host (same bodies as KUnit). */
#pragma once
#include <gtest/gtest.h>
#include <string>
#include "oe/ktest_abi.h"

namespace oe_host {

class KtestCase : public testing::Test {
public:
	explicit KtestCase(const oe_ktest_case *c) : c_(c) {}
	void TestBody() override
	{
		oe_ktest_result r{};
		c_->run(&r);
		if (r.failed)
			ADD_FAILURE_AT(r.file, r.line) << r.expr << "  (lhs=" << r.lhs << ", rhs=" << r.rhs << ")";
	}

private:
	const oe_ktest_case *c_;
};

/* Register every case of a suite; call before RUN_ALL_TESTS (e.g. from a static initialiser). */
inline bool register_ktests(const oe_ktest_suite &s)
{
	for (unsigned i = 0; i < s.count; i++) {
		const oe_ktest_case *c = &s.cases[i];
		testing::RegisterTest((std::string("ktest_") + s.name).c_str(), c->name, nullptr, nullptr,
				      __FILE__, __LINE__, [c]() -> testing::Test * { return new KtestCase(c); });
	}
	return true;
}

} // namespace oe_host
