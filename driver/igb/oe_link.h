/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe: the core's timer while the link (carrier) or the ring is down. Every transmit fails then
 * (prepareWrite: tx_down), and the core would retry a queued segment every 20 us (its TX kick) for
 * as long as anything is queued. The platform knows the link is down, so it backs the core's timer
 * off, doubling from OE_BACKOFF_MIN_NS up to OE_BACKOFF_MAX_NS, and kicks NAPI the moment the
 * carrier returns (oe_main.c's netdevice notifier). Header-only, tested in KUnit.
 */
#ifndef OE_LINK_H
#define OE_LINK_H

#include <linux/minmax.h>
#include <linux/time64.h>
#include <linux/types.h>

#define OE_BACKOFF_MIN_NS	(1 * NSEC_PER_MSEC)
#define OE_BACKOFF_MAX_NS	(128 * NSEC_PER_MSEC)

struct oe_backoff {
	u64 ns;		/* current backoff, 0 while the link is up */
};

/* core_lock: the expiry to program for a core timer asked for at expires (absolute ns, non-zero) */
static inline u64 oe_backoff_expiry(struct oe_backoff *b, bool link_ok, u64 now, u64 expires)
{
	if (link_ok) {
		b->ns = 0;
		return expires;
	}
	b->ns = b->ns ? min_t(u64, b->ns * 2, OE_BACKOFF_MAX_NS) : OE_BACKOFF_MIN_NS;
	return max_t(u64, expires, now + b->ns);
}

#endif /* OE_LINK_H */
