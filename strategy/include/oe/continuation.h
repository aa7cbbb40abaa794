/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ContinuationSlot: where a formerly blocking call parks "what to do next".
 *
 * The userspace client blocked in connect(), in waitAck() and in recv(). In the driver nothing may
 * block: the caller instead hands its continuation (a -> r) to the object that used to block and
 * returns. That object answers with a typed result (tcp::ConnectResult / tcp::RecvResult: Parked, or
 * why not); when the awaited segment or timer arrives it fires the slot, which runs the continuation
 * exactly once.
 *
 * Typed at compile time: Fn is the continuation's concrete type (a lambda or a small functor), so the
 * call inlines — no std::function, no heap, no virtual call. There is one unambiguous listener at a time,
 * hence one slot per awaited event.
 *
 * The payload is a `const Fn` created in the slot's storage by placement new at arm() and read back
 * through __builtin_launder at fire(): the storage is reused by every arm, and laundering tells the
 * compiler that the object there is the one the last arm() created (no stale value may be assumed).
 *
 * Invariants (checked, counted, never UB):
 *   - arm() on an occupied slot is refused (returns false, counted in refused()) — occupied once per wait;
 *   - fire() on an empty slot is a bug of the firing side: it runs nothing, returns false, is counted
 *     (empty_fires(), which tcp::Client shows as the ethtool counter tcp_cont_empty_fires) and, in a
 *     debug build (OE_DEBUG, the lab's KASAN kernel), reported once with oe_warn_once() (WARN_ONCE);
 *   - fire() disarms *before* running the continuation, so the continuation may re-arm the slot and a
 *     second fire for the same event finds it empty — never fired twice.
 *
 * Concurrency: the payload is written first and the armed flag published with store_release();
 * fire() takes the flag with an acquire exchange before it touches the payload (pairs with the release
 * in arm()), so two racing fire()s cannot both win. In the lab every arm and fire runs in NAPI on one
 * CPU (docs/continuations.md); the ordering keeps that true for the compiler as well.
 */
#pragma once
#include "oe/base.h"
#if defined(OE_DEBUG) && OE_DEBUG
#include "oe/abi.h"
#endif

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
		::new (static_cast<void *>(storage_)) const Fn(fn);
		store_release(armed_, u8(1)); /* pairs with the acquire exchange in fire() */
		return true;
	}

	/* Run the parked continuation once with a; false (and counted) if nothing was parked. */
	bool fire(Arg a)
	{
		if (__atomic_exchange_n(&armed_, u8(0), __ATOMIC_ACQ_REL) == 0) { /* pairs with arm()'s release */
			empty_fire();
			return false;
		}
		const Fn fn = *__builtin_launder(reinterpret_cast<const Fn *>(storage_)); /* copy out: fn may re-arm */
		fn(a);
		fired_++;
		return true;
	}

	/* Drop a parked continuation without running it (disconnect, unload). */
	bool cancel() { return __atomic_exchange_n(&armed_, u8(0), __ATOMIC_ACQ_REL) != 0; }

	u64 fired() const { return fired_; }
	u64 refused() const { return refused_; }
	u64 empty_fires() const { return empty_fires_; }
	u64 spurious() const { return empty_fires_; } /* the older name */

private:
	void empty_fire()
	{
		empty_fires_++;
#if defined(OE_DEBUG) && OE_DEBUG
		if (!warned_) {
			warned_ = true;
			oe_warn_once("oe: continuation fired on an empty slot", empty_fires_);
		}
#endif
	}

	alignas(Fn) u8 storage_[sizeof(Fn)];
	u8 armed_ = 0;
	bool warned_ = false;
	u64 fired_ = 0, refused_ = 0, empty_fires_ = 0;
};

} // namespace oe
