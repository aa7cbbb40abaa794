// SPDX-License-Identifier: GPL-2.0
/*
 * The C++ runtime itself, exercised in whichever runtime links it: the kernel's (kunit/ + runtime/)
 * in the guest, libstdc++'s on the host. Allocation, a virtual call through a base pointer, a
 * template instantiated for two types, and the continuation slot's once-only contract.
 */
#include "oe/continuation.h"
#include "oe/ktest.h"

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

struct Counter {
	oe::u32 *hits;
	void operator()(int v) const { *hits += oe::u32(v); }
};

} // namespace

OE_KTEST(rt_new_delete_roundtrip)
{
	auto *p = new oe::u64[512];
	OE_EXPECT(r, p != nullptr);
	for (oe::u32 i = 0; i < 512; i++)
		p[i] = i * 3;
	OE_EXPECT_EQ(r, p[511], 1533u);
	delete[] p;
	auto *t = new Triangle();
	OE_EXPECT(r, t != nullptr);
	delete t;
}

OE_KTEST(rt_virtual_call)
{
	Triangle t;
	Square s;
	Shape *shapes[] = { &t, &s, &s };
	volatile oe::u32 n = 3;
	OE_EXPECT_EQ(r, count_sides(shapes, n), 11u);
	Shape *heap = new Square();
	OE_EXPECT_EQ(r, count_sides(&heap, 1), 4u);
	delete heap; /* virtual destructor through the base */
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

OE_KTEST_SUITE(oe_rt, rt_new_delete_roundtrip, rt_virtual_call, rt_template_two_types, rt_continuation_once);
