// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the freestanding C++ runtime, linked into every module that carries C++ objects.
 * The C++ core allocates only at setup (process context) through oe_rt_alloc(); the hot path never
 * allocates. Static constructors are not supported: the core's globals are constant-initialised and
 * objects are built with placement new in oe_core_init() (no .init_array section is accepted, see
 * the Kbuild check).
 */
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "oe/abi.h"

void *oe_rt_alloc(unsigned long size)
{
	might_sleep();
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
