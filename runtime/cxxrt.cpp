// SPDX-License-Identifier: GPL-2.0
/*
 * The C++ side of the kernel runtime: the global allocation functions map to the setup-time
 * allocator (oe_rt_alloc: kvzalloc, process context only).
 *
 * Only the non-throwing forms exist. The kernel has no exceptions, so the throwing
 * operator new(size_t) could only report failure by returning nullptr, which its signature forbids:
 * the compiler would run the constructor of `new T()` on nullptr and delete any null check after it.
 * Leaving it undefined makes a plain new-expression a build error (scripts/check-cxx-object.sh
 * rejects an object that references _Znwm/_Znam); code allocates with oe::rt_new<T>() or
 * new (std::nothrow) T(), whose nullptr the caller sees (oe/rt.h).
 */
#include "oe/rt.h"

using size_t = __SIZE_TYPE__;

void *operator new(size_t n, const std::nothrow_t &) noexcept { return oe_rt_alloc(n); }
void *operator new[](size_t n, const std::nothrow_t &) noexcept { return oe_rt_alloc(n); }
void operator delete(void *p) noexcept { oe_rt_free(p); }
void operator delete[](void *p) noexcept { oe_rt_free(p); }
void operator delete(void *p, size_t) noexcept { oe_rt_free(p); }
void operator delete[](void *p, size_t) noexcept { oe_rt_free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { oe_rt_free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { oe_rt_free(p); }
