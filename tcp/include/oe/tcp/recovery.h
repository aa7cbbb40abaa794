/* SPDX-License-Identifier: GPL-2.0 */
/*
 * State kept beside the RFC 6298 retransmission timer (tcp::Client, client_timers.h):
 *   - the persist timer for a zero window (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): probes back off on
 *     their own; an unanswered probe is not a loss, so cwnd and the RTO are left alone;
 *   - the tail-loss probe (RFC 8985 §7): one probe timeout (PTO, ~2 SRTT, floored) per episode, so a
 *     lost order is resent after a few RTTs instead of after the RTO (rto_min, 200 ms);
 *   - the limit on replies to unacceptable segments (like Linux's tcp_invalid_ratelimit).
 */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

struct LossState {
	u64 pto_deadline = 0;  /* 0: no loss probe scheduled */
	u32 tlp_high = 0;      /* SND.MAX when the probe left: the episode ends when that is acknowledged */
	u64 head_sent_ns = 0;  /* when data from SND.UNA was last sent again (probe, fast retransmit, RTO);
				* 0: not since SND.UNA last moved */
	bool tlp_out = false;  /* a loss probe is outstanding: no second one before an ACK makes progress */
	bool probe_out = false; /* the octet at SND.UNA is a zero-window probe, not data that may be lost */
	u8 persist_backoff = 0; /* persist interval = RTO << persist_backoff (capped at rto_max) */
};

/* At most one reply per interval (Linux: one per tcp_invalid_ratelimit = 500 ms per socket); the
 * first reply always goes. */
struct ReplyLimiter {
	u64 last_ns = 0;
	bool used = false;
	OE_ALWAYS_INLINE bool allow(u64 now, u64 interval)
	{
		if (used && now - last_ns < interval)
			return false;
		used = true;
		last_ns = now;
		return true;
	}
};

} // namespace oe::tcp
