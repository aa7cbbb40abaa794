/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Order safety: a kill switch and a max-orders-per-second limit, checked after the trigger fired and
 * before a TX buffer is claimed. The kill switch is flipped from process context (module parameter,
 * ethtool) and read in NAPI, hence write_once/read_once. The rate limit is a fixed one-second window
 * on the caller's clock (oe_now_ns in the kernel, the row's timestamp in the replay tool).
 */
#pragma once
#include "oe/base.h"

namespace oe {

enum class SafetyVerdict : u8 { Allow, Killed, RateLimited };

class Safety {
public:
	static constexpr u64 kWindowNs = 1000000000ull;

	void init(u32 max_orders_per_sec)
	{
		max_per_window_ = max_orders_per_sec;
		window_start_ns_ = 0;
		in_window_ = 0;
		have_window_ = false;
		killed_ = 0;
	}
	/* any context */
	void set_kill(bool on) { write_once(killed_, u8(on ? 1 : 0)); }
	bool killed() const { return read_once(killed_) != 0; }

	/* NAPI: may an order leave now? An allowed order is counted against the window. */
	SafetyVerdict check(u64 now_ns)
	{
		if (OE_UNLIKELY(killed()))
			return SafetyVerdict::Killed;
		if (max_per_window_ == 0)
			return SafetyVerdict::Allow;
		if (!have_window_ || now_ns - window_start_ns_ >= kWindowNs || now_ns < window_start_ns_) {
			window_start_ns_ = now_ns;
			in_window_ = 0;
			have_window_ = true;
		}
		if (in_window_ >= max_per_window_)
			return SafetyVerdict::RateLimited;
		in_window_++;
		return SafetyVerdict::Allow;
	}

private:
	u32 max_per_window_ = 0;
	u32 in_window_ = 0;
	u64 window_start_ns_ = 0;
	bool have_window_ = false;
	u8 killed_ = 0;
};

} // namespace oe
