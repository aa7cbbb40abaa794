/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ContinuationSlot: where a formerly blocking call parks "what to do next".
 *
 * The userspace client blocked in connect(), in waitAck() and in recv(). In the driver nothing may
 * block: the caller instead hands its continuation (a -> r) to the object that used to block and
 * returns. That object answers true ("done already, go on") or false ("parked"); when the awaited
 * segment or timer arrives it fires the slot, which runs the continuation exactly once.
 *
 * Typed at compile time: Fn is the continuation's concrete type (a lambda or a small functor), so the
 * call inlines — no std::function, no heap, no virtual call. There is one unambiguous listener at a time,
 * hence one slot per awaited event.
 *
 * Invariants (checked, counted, never UB):
 *   - arm() on an occupied slot is refused (returns false) — a slot is updated once per wait;
 *   - fire() on an empty slot does nothing and returns false — never fired unarmed;
 *   - fire() disarms *before* running the continuation, so the continuation may re-arm the slot and a
 *     second fire for the same event finds it empty — never fired twice.
 *
 * Concurrency: arm() may run in process context (ethtool connect) while fire() runs in NAPI softirq on
 * another CPU. The payload is written first and the armed flag published with store_release(); fire()
 * reads the flag with load_acquire() before touching the payload (pairs with the release in arm()).
 * Disarming uses an atomic exchange so two racing fire()s cannot both win.
 */
#pragma once
#include "oe/base.h"

namespace oe {

template <class Arg, class Fn> class ContinuationSlot {
	static_assert(__is_trivially_copyable(Fn), "continuations are copied out of the slot; keep them trivial");

public:
	ContinuationSlot() = default;
	ContinuationSlot(const ContinuationSlot &) = delete;
	ContinuationSlot &operator=(const ContinuationSlot &) = delete;

	bool armed() const { return load_acquire(armed_) != 0; }

	/* Park fn; false if the slot is already occupied (the caller's bug, counted). */
	bool arm(const Fn &fn)
	{
		if (armed()) {
			refused_++;
			return false;
		}
		new (&storage_) Fn(fn);
		store_release(armed_, u8(1)); /* pairs with load_acquire in fire() */
		return true;
	}

	/* Run the parked continuation once with a; false if nothing was parked. */
	bool fire(Arg a)
	{
		if (__atomic_exchange_n(&armed_, u8(0), __ATOMIC_ACQ_REL) == 0) {
			spurious_++;
			return false;
		}
		Fn fn = *reinterpret_cast<Fn *>(&storage_); /* copy out: fn may re-arm the slot */
		fn(a);
		fired_++;
		return true;
	}

	/* Drop a parked continuation without running it (disconnect, unload). */
	bool cancel() { return __atomic_exchange_n(&armed_, u8(0), __ATOMIC_ACQ_REL) != 0; }

	u64 fired() const { return fired_; }
	u64 refused() const { return refused_; }
	u64 spurious() const { return spurious_; }

private:
	alignas(Fn) u8 storage_[sizeof(Fn)];
	u8 armed_ = 0;
	u64 fired_ = 0, refused_ = 0, spurious_ = 0;
};

} // namespace oe
