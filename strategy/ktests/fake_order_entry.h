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
#include "oe/tcp/order_queue.h"

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
	bool queue_orders = false;   /* submit_order() queues (window closed) instead of sending */
	/* what happened */
	bool open = false;
	bool data_pending = false;
	u32 connects = 0, recvs = 0, closes = 0, orders = 0, segments = 0, polls = 0;
	u32 queued = 0;            /* orders held by queue_orders */
	u64 last_trigger_ns = 0;
	tcp::OrderSink sink = nullptr;
	void *sink_ctx = nullptr;
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
	tcp::OrderResult submit_order(const u8 *p, u16 n, u64 trigger_ns)
	{
		if (refuse_orders || !open || n != kOrderBytes)
			return tcp::OrderResult::Refused;
		copy(last_order, p, n);
		last_trigger_ns = trigger_ns;
		if (queue_orders) {
			queued++;
			return tcp::OrderResult::Queued;
		}
		orders++;
		return tcp::OrderResult::Sent;
	}
	void set_order_sink(tcp::OrderSink fn, void *ctx) { sink = fn, sink_ctx = ctx; }
	u32 queued_orders() const { return queued; }
	u32 purge_orders()
	{
		const u32 n = queued;
		for (; queued; queued--)
			sink(sink_ctx, tcp::OrderFate::Purged, 0);
		return n;
	}
	/* the network: the queued orders leave (Sent) or run out of time (Expired) */
	void release_queued(tcp::OrderFate f)
	{
		for (; queued; queued--, orders += f == tcp::OrderFate::Sent)
			sink(sink_ctx, f, 0);
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
