/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted order-entry object for Strategy tests: same interface as tcp::Client, a real
 * ContinuationSlot, and knobs for what the "connection" does. The test plays the network by calling
 * deliver(event), which fires the slot exactly like the client's RX path would.
 */
#pragma once
#include "oe/base.h"
#include "oe/continuation.h"
#include "oe/oe_event.h"
#include "oe/order.h"

namespace oe::kt {
/* internal linkage: each test object gets its own copy, so no COMDAT function is emitted by two
 * objects of oe_kunit.ko (GCC 12 + -fpatchable-function-entry cannot link those) */
namespace {

template <class Cont> class FakeOrderEntry {
public:
	/* knobs */
	bool refuse_connect = false; /* connect() answers NotClosed (e.g. TIME-WAIT) */
	bool refuse_orders = false;  /* send_order() returns false */
	bool close_is_immediate = false; /* close() ends the connection at once (SYN-SENT) */
	/* what happened */
	bool open = false;
	bool data_pending = false;
	u32 connects = 0, recvs = 0, closes = 0, orders = 0, segments = 0, polls = 0;
	u8 last_order[kOrderBytes] = {};
	ContinuationSlot<tcp::Event, Cont> slot;

	tcp::ConnectResult connect(const Cont &k)
	{
		connects++;
		if (refuse_connect || open)
			return tcp::ConnectResult::NotClosed;
		return slot.arm(k) ? tcp::ConnectResult::Parked : tcp::ConnectResult::SlotBusy;
	}
	tcp::RecvResult recv(const Cont &k)
	{
		recvs++;
		if (slot.armed())
			return tcp::RecvResult::SlotBusy;
		if (data_pending) {
			data_pending = false;
			return tcp::RecvResult::DataReady;
		}
		if (!open)
			return tcp::RecvResult::NotOpen;
		slot.arm(k);
		return tcp::RecvResult::Parked;
	}
	bool send_order(const u8 *p, u16 n)
	{
		if (refuse_orders || !open || n != kOrderBytes)
			return false;
		copy(last_order, p, n);
		orders++;
		return true;
	}
	void on_segment(const u8 *, u16) { segments++; }
	void poll(u64) { polls++; }
	void close()
	{
		closes++;
		if (close_is_immediate) {
			open = false;
			slot.fire(tcp::Event::Closed);
		}
	}

	/* the network: an event for whoever is parked (false if nobody was) */
	bool deliver(tcp::Event e)
	{
		if (e == tcp::Event::Established)
			open = true;
		else if (e != tcp::Event::Data && e != tcp::Event::PeerClosed)
			open = false;
		return slot.fire(e);
	}
};

} // namespace
} // namespace oe::kt
