/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe session requests: what `ethtool -s <dev> msglvl wol on|off` asked for, as ONE latest-wins
 * value, and what the msglvl bit reports. Header-only and free of driver state so KUnit can walk
 * every sequence (driver/igb/ktests/oe_session_kunit.c); the driver holds core_lock around every
 * call (oe_ethtool.c, oe_rx.c), so the value, the "connect delivered" mark and the core state the
 * caller passes in are read and written together.
 *
 * A request is acted on in two places: a connect is first resolved by the connect work (process
 * context: route, ARP, core restart), then, like a disconnect, delivered to the core from NAPI
 * (oe_igb_napi_poll -> oe_request_connect/disconnect -> oe_poll). Until it is delivered a later
 * request replaces it: `wol on`, a reset / ifdown (no NAPI runs), `wol off`, up -> nothing connects.
 */
#ifndef OE_SESSION_H
#define OE_SESSION_H

#include <linux/types.h>

enum oe_req {
	OE_REQ_NONE,
	OE_REQ_RESOLVE,		/* connect wanted: the connect work resolves the next hop */
	OE_REQ_CONNECT,		/* connect resolved, core restarted: NAPI delivers it */
	OE_REQ_DISCONNECT,	/* NAPI delivers oe_request_disconnect() */
};

struct oe_session {
	enum oe_req req;	/* the latest request not yet delivered */
	bool issued;		/* a connect was delivered; the core state has not moved yet */
	u32 last_state;		/* core state last seen (0 Init, 1 OEConnect, 2 Running, 3 Disc.) */
};

/* the core has, or is about to have, a session (its state, or a delivered connect) */
static inline bool oe_session_live(const struct oe_session *s, u32 state)
{
	return s->issued || state != 0;
}

/* the msglvl bit: a connect is wanted (resolving or armed), or a session exists and no disconnect
 * is pending. So `wol on` is a change exactly when it would do something, `wol off` likewise.
 */
static inline bool oe_session_wanted(const struct oe_session *s, u32 state)
{
	if (s->req == OE_REQ_RESOLVE || s->req == OE_REQ_CONNECT)
		return true;
	return s->req != OE_REQ_DISCONNECT && oe_session_live(s, state);
}

/* `wol on` / `wol off`. Returns true if the connect work must be queued. */
static inline bool oe_session_request(struct oe_session *s, bool want, u32 state)
{
	if (want) {
		if (s->req == OE_REQ_DISCONNECT) {
			/* not delivered yet: the session simply stays */
			s->req = OE_REQ_NONE;
			return false;
		}
		if (s->req != OE_REQ_NONE || oe_session_live(s, state))
			return false;
		s->req = OE_REQ_RESOLVE;
		return true;
	}
	/* a connect not yet delivered is forgotten; a live session gets a disconnect */
	s->req = oe_session_live(s, state) ? OE_REQ_DISCONNECT : OE_REQ_NONE;
	return false;
}

/* The connect work resolved the next hop and restarted the core (state Init). false: the request
 * was withdrawn meanwhile (or replaced), nothing to arm.
 */
static inline bool oe_session_resolved(struct oe_session *s)
{
	if (s->req != OE_REQ_RESOLVE)
		return false;
	s->req = OE_REQ_CONNECT;
	s->issued = false;
	return true;
}

/* The connect work failed (route, ARP, core init): the request ends. */
static inline void oe_session_failed(struct oe_session *s)
{
	if (s->req == OE_REQ_RESOLVE)
		s->req = OE_REQ_NONE;
}

/* NAPI: the request to hand to the core now (CONNECT, DISCONNECT or NONE); it is consumed. */
static inline enum oe_req oe_session_take(struct oe_session *s)
{
	enum oe_req r = s->req;

	if (r != OE_REQ_CONNECT && r != OE_REQ_DISCONNECT)
		return OE_REQ_NONE;
	s->req = OE_REQ_NONE;
	if (r == OE_REQ_CONNECT)
		s->issued = true;	/* in the same critical section as the delivery */
	else
		s->issued = false;
	return r;
}

/* The core's state after it ran (NAPI, in the critical section that delivered the request, so a
 * delivered connect has been acted on: the state alone tells from here, even if a SYN failed or
 * an RST came back at once). Returns true when a session just ended (state back to Init).
 */
static inline bool oe_session_note_state(struct oe_session *s, u32 state)
{
	s->issued = false;
	if (state == s->last_state)
		return false;
	s->last_state = state;
	return state == 0;
}

/* The core was restarted or stopped (state Init, nothing delivered). */
static inline void oe_session_core_reset(struct oe_session *s, u32 state)
{
	s->issued = false;
	s->last_state = state;
}

#endif /* OE_SESSION_H */
