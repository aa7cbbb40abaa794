// SPDX-License-Identifier: GPL-2.0
/* ethtool names of the oe::Strategy counters (order of OE_STRATEGY_COUNTERS). */
#include "oe/strategy.h"

namespace oe {
namespace {
const char *const kNames[kStrategyCounterCount] = {
#define OE_X(name) "oe_" #name,
	OE_STRATEGY_COUNTERS(OE_X)
#undef OE_X
};
} // namespace

const char *strategy_counter_name(u32 i) { return i < kStrategyCounterCount ? kNames[i] : nullptr; }

} // namespace oe
