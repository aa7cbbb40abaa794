// SPDX-License-Identifier: GPL-2.0
/*
 * The C++ side of the kernel runtime: global operator new/delete map to the setup-time allocator.
 * Setup code only (process context); there is no exception to throw, so failure returns nullptr and
 * callers check (operator new is declared noexcept-style by usage: the core uses new (std::nothrow)
 * semantics through oe::make<T>() which checks).
 */
#include "oe/abi.h"

using size_t = __SIZE_TYPE__;

void *operator new(size_t n) { return oe_rt_alloc(n); }
void *operator new[](size_t n) { return oe_rt_alloc(n); }
void operator delete(void *p) noexcept { oe_rt_free(p); }
void operator delete[](void *p) noexcept { oe_rt_free(p); }
void operator delete(void *p, size_t) noexcept { oe_rt_free(p); }
void operator delete[](void *p, size_t) noexcept { oe_rt_free(p); }
