// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the freestanding C++ runtime, linked into every module that carries C++ objects.
 * The C++ core allocates only at setup (process context) through oe_rt_alloc(); the hot path never
 * allocates. Static constructors are not supported: the core's globals are constant-initialised and
 * objects are built with placement new in oe_core_init() (no .init_array section is accepted, see
 * the Kbuild check).
 */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "oe/abi.h"

#ifdef OE_RT_FAULT_INJECTION
#include "oe/ktest_abi.h"

/* oe_kunit.ko only: the runtime suite makes allocations fail to prove their callers see it */
static atomic_t oe_rt_fail_budget = ATOMIC_INIT(0);

void oe_rt_fail_allocs(unsigned int n)
{
	atomic_set(&oe_rt_fail_budget, n);
}

static bool oe_rt_fail_now(void)
{
	return atomic_add_unless(&oe_rt_fail_budget, -1, 0);
}
#else
static bool oe_rt_fail_now(void)
{
	return false;
}
#endif

void *oe_rt_alloc(unsigned long size)
{
	might_sleep();
	if (oe_rt_fail_now())
		return NULL;
	return kvzalloc(size, GFP_KERNEL);
}

void oe_rt_free(void *p)
{
	kvfree(p);
}

/* A pure virtual call means a half-constructed or destroyed object: never silent. */
void __cxa_pure_virtual(void);
void __cxa_pure_virtual(void)
{
	WARN(1, "oe: pure virtual function called\n");
}
