// The host's side of the runtime boundary (abi.h): setup-time memory from the C library, and the
// allocation fault injection of oe/ktest_abi.h (the runtime suite makes allocations fail).
#include <atomic>
#include <cstdlib>
#include "oe/abi.h"
#include "oe/ktest_abi.h"

static std::atomic<unsigned> fail_budget{ 0 };

extern "C" void oe_rt_fail_allocs(unsigned int n) { fail_budget.store(n); }

extern "C" void *oe_rt_alloc(unsigned long size)
{
	unsigned b = fail_budget.load();
	while (b && !fail_budget.compare_exchange_weak(b, b - 1))
		;
	if (b)
		return nullptr;
	return std::calloc(1, size);
}
extern "C" void oe_rt_free(void *p) { std::free(p); }
