// SPDX-License-Identifier: GPL-2.0
/*
 * The C++ runtime itself, exercised in whichever runtime links it: the kernel's (kunit/ + runtime/)
 * in the guest, libstdc++'s on the host. Allocation (and a failed allocation the caller sees), a
 * virtual call through a base pointer, a template instantiated for two types, and the continuation
 * slot's once-only contract.
 */
#include "oe/continuation.h"
#include "oe/ktest.h"
#include "oe/ktest_abi.h"
#include "oe/rt.h"

namespace {

struct Shape {
	virtual ~Shape() = default;
	virtual oe::u32 sides() const = 0;
};
struct Triangle final : Shape {
	oe::u32 sides() const override { return 3; }
};
struct Square final : Shape {
	oe::u32 sides() const override { return 4; }
};

/* noinline + volatile index: the compiler cannot devirtualise, so this is a real vtable call. */
__attribute__((noinline)) oe::u32 count_sides(Shape *const *shapes, oe::u32 n)
{
	oe::u32 total = 0;
	for (oe::u32 i = 0; i < n; i++)
		total += shapes[i]->sides();
	return total;
}

template <class T, oe::u32 N> struct Ring {
	T items[N];
	oe::u32 head = 0;
	void push(T v) { items[head++ % N] = v; }
	T sum() const
	{
		T s = 0;
		for (oe::u32 i = 0; i < N; i++)
			s += items[i];
		return s;
	}
};

/* Its constructor writes through this: run on a nullptr it would fault. */
oe::u32 g_built, g_destroyed;
struct Tracked {
	oe::u64 payload[8];
	Tracked(oe::u64 seed)
	{
		for (oe::u64 &w : payload)
			w = seed++;
		g_built++;
	}
	~Tracked() { g_destroyed++; }
};

struct Counter {
	oe::u32 *hits;
	void operator()(int v) const { *hits += oe::u32(v); }
};

} // namespace

OE_KTEST(rt_new_delete_roundtrip)
{
	auto *p = new (std::nothrow) oe::u64[512];
	OE_EXPECT(r, p != nullptr);
	for (oe::u32 i = 0; i < 512; i++)
		p[i] = i * 3;
	OE_EXPECT_EQ(r, p[511], 1533u);
	delete[] p;
	g_built = g_destroyed = 0;
	Tracked *t = oe::rt_new<Tracked>(7u);
	OE_EXPECT(r, t != nullptr);
	OE_EXPECT_EQ(r, t->payload[7], 14u);
	oe::rt_delete(t);
	OE_EXPECT_EQ(r, g_built, 1u);
	OE_EXPECT_EQ(r, g_destroyed, 1u);
}

/* An allocation that fails reaches the caller as nullptr, and the constructor never runs on it. */
OE_KTEST(rt_alloc_failure_seen)
{
	g_built = g_destroyed = 0;
	oe_rt_fail_allocs(1);
	Tracked *t = oe::rt_new<Tracked>(1u);
	OE_EXPECT(r, t == nullptr);
	OE_EXPECT_EQ(r, g_built, 0u);
	t = oe::rt_new<Tracked>(1u); /* the injected failure was used up: the next one succeeds */
	OE_EXPECT(r, t != nullptr);
	OE_EXPECT_EQ(r, g_built, 1u);
	oe::rt_delete(t);
	oe::rt_delete(static_cast<Tracked *>(nullptr)); /* no-op */
	OE_EXPECT_EQ(r, g_destroyed, 1u);
#ifdef OE_IN_KERNEL
	/* the kernel runtime's global nothrow operator new is oe_rt_alloc: the new-expression itself
	 * yields nullptr and skips the constructor (on the host it is libstdc++'s, not injectable) */
	oe_rt_fail_allocs(2);
	Tracked *q = new (std::nothrow) Tracked(5u);
	oe::u64 *arr = new (std::nothrow) oe::u64[64];
	oe_rt_fail_allocs(0);
	OE_EXPECT(r, q == nullptr);
	OE_EXPECT(r, arr == nullptr);
	OE_EXPECT_EQ(r, g_built, 1u);
#endif
	oe_rt_fail_allocs(0);
}

OE_KTEST(rt_virtual_call)
{
	Triangle t;
	Square s;
	Shape *shapes[] = { &t, &s, &s };
	volatile oe::u32 n = 3;
	OE_EXPECT_EQ(r, count_sides(shapes, n), 11u);
	Shape *heap = oe::rt_new<Square>();
	OE_EXPECT(r, heap != nullptr);
	OE_EXPECT_EQ(r, count_sides(&heap, 1), 4u);
	oe::rt_delete(heap); /* virtual destructor through the base */
}

OE_KTEST(rt_template_two_types)
{
	Ring<oe::u8, 4> bytes{};
	Ring<oe::i64, 3> wide{};
	for (int i = 0; i < 6; i++) {
		bytes.push(oe::u8(200 + i)); /* wraps mod 256 in the sum */
		wide.push(-1000000000000LL * i);
	}
	OE_EXPECT_EQ(r, bytes.sum(), oe::u8((204 + 205 + 202 + 203) & 0xff));
	OE_EXPECT_EQ(r, wide.sum(), -12000000000000LL);
}

OE_KTEST(rt_continuation_once)
{
	oe::u32 hits = 0;
	oe::ContinuationSlot<int, Counter> slot;
	OE_EXPECT(r, !slot.fire(1)); /* never fired unarmed */
	OE_EXPECT(r, slot.arm(Counter{ &hits }));
	OE_EXPECT(r, !slot.arm(Counter{ &hits })); /* armed at most once */
	OE_EXPECT(r, slot.fire(5));
	OE_EXPECT(r, !slot.fire(7)); /* never fired twice */
	OE_EXPECT_EQ(r, hits, 5u);
	OE_EXPECT_EQ(r, slot.refused(), 1u);
	OE_EXPECT_EQ(r, slot.spurious(), 2u);
}

OE_KTEST_SUITE(oe_rt, rt_new_delete_roundtrip, rt_alloc_failure_seen, rt_virtual_call, rt_template_two_types, rt_continuation_once);
