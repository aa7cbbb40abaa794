/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an order-entry wait ends with: the argument of the strategy's continuation k(Event).
 * Shared by strategy/ (the continuation) and tcp/ (tcp::Client fires it).
 */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

enum class Event : u8 {
	Established, /* connect(): the handshake completed */
	Data,        /* recv(): peer data arrived (it went to the client's data sink) */
	PeerClosed,  /* recv(): the peer sent FIN */
	Reset,       /* the peer reset the connection (RST) */
	Failed,      /* connect or retransmissions gave up (timeout) */
	Closed,      /* our own close() completed or aborted a pending wait */
};

constexpr const char *event_name(Event e)
{
	switch (e) {
	case Event::Established: return "established";
	case Event::Data: return "data";
	case Event::PeerClosed: return "peer_closed";
	case Event::Reset: return "reset";
	case Event::Failed: return "failed";
	case Event::Closed: return "closed";
	}
	return "unknown";
}

} // namespace oe::tcp
