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

/* What connect(k) answers. Only Parked keeps k (it then fires exactly once, later, with Established,
 * Reset, Failed or Closed); every other answer says why nothing was parked. */
enum class ConnectResult : u8 {
	Parked,
	NotClosed,    /* a connection exists: only CLOSED or TIME-WAIT may connect (state() says which) */
	Unconfigured, /* init() was not called or rejected the config */
	SlotBusy,     /* a continuation is already parked: the caller's bug (the slot counts it) */
};

/* What recv(k) answers. Only Parked keeps k (it fires exactly once, later, with Data, PeerClosed,
 * Reset, Failed or Closed). News that arrived while nothing was parked is answered at once, oldest
 * first: DataReady, then PeerClosed, then NotOpen. */
enum class RecvResult : u8 {
	Parked,
	DataReady,  /* peer data arrived since the last recv (it already went to the data sink) */
	PeerClosed, /* the peer's FIN arrived while nothing was parked (our FIN follows the queued orders) */
	NotOpen,    /* CLOSED or TIME-WAIT: the connection is over */
	SlotBusy,   /* a continuation is already parked: the caller's bug (the slot counts it) */
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
