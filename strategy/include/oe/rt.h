/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe/rt.h — setup-time allocation for the freestanding C++ core, with failure the caller must see.
 *
 * The kernel has no exceptions, so an allocation can only fail by returning nullptr. A plain
 * `new T(...)` calls the throwing operator new, which the compiler may assume never returns nullptr:
 * it runs T's constructor on the result (and drops a later null check). So the kernel runtime
 * (runtime/cxxrt.cpp) defines no throwing operator new at all — a plain new-expression leaves an
 * undefined _Znwm/_Znam, which scripts/check-cxx-object.sh rejects at compile time — and the core
 * allocates through one of the two forms whose null result the language makes visible:
 *
 *   T *p = oe::rt_new<T>(args...);   // oe_rt_alloc + an explicit branch + placement new; nullptr on OOM
 *   oe::rt_delete(p);                // ~T() + oe_rt_free (nullptr is fine)
 *   T *q = new (std::nothrow) T();   // a non-throwing allocation function: on nullptr the
 *                                    // constructor is not called and the expression is nullptr
 *
 * Process context only (setup), never NAPI: see oe_rt_alloc in oe/abi.h.
 */
#pragma once
#include "oe/abi.h"
#include "oe/base.h"

#if __STDC_HOSTED__ && __has_include(<new>)
#include <new>
#else
namespace std {
struct nothrow_t {
	explicit nothrow_t() = default;
};
constexpr nothrow_t nothrow{}; /* internal linkage: no STB_GNU_UNIQUE symbol in a module */
} // namespace std
void *operator new(oe::usize n, const std::nothrow_t &) noexcept;
void *operator new[](oe::usize n, const std::nothrow_t &) noexcept;
/* what a failed constructor in new (std::nothrow) T() calls; not implicitly declared like the rest */
void operator delete(void *p, const std::nothrow_t &) noexcept;
void operator delete[](void *p, const std::nothrow_t &) noexcept;
#endif

namespace oe {

/* T built in oe_rt_alloc memory, or nullptr (T's constructor not run) if the allocation failed. */
template <class T, class... A> T *rt_new(A &&...args)
{
	static_assert(alignof(T) <= 16, "oe_rt_alloc memory is 16-byte aligned (kvzalloc, calloc)");
	void *mem = oe_rt_alloc(sizeof(T));
	if (OE_UNLIKELY(!mem))
		return nullptr;
	return new (mem) T(static_cast<A &&>(args)...);
}

template <class T> void rt_delete(T *p)
{
	if (!p)
		return;
	p->~T();
	oe_rt_free(p);
}

} // namespace oe
