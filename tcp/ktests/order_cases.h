/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_orders: queued orders and their time-to-live (Config::order_ttl_ns), purge, whole-order sends. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"

namespace {

constexpr u64 kTtl = 1000000; /* 1 ms */

struct Fates {
	u32 sent, expired, purged;
	u64 last_trigger;
};
void note_fate(void *ctx, OrderFate f, u64 t)
{
	Fates *x = static_cast<Fates *>(ctx);
	(f == OrderFate::Sent ? x->sent : f == OrderFate::Expired ? x->expired : x->purged)++;
	x->last_trigger = t;
}
Fates g_fates;

World &ttl_world(u64 ttl = kTtl)
{
	World &w = fresh_world();
	Config c = test_config();
	c.order_ttl_ns = ttl;
	w.c.init(c);
	g_fates = Fates{};
	w.c.set_order_sink(note_fate, &g_fates);
	return w;
}

OrderResult submit(World &w, u32 id)
{
	u8 o[13];
	put_le32(o, id);
	put_le64(o + 4, u64(id) * 100);
	o[12] = 'B';
	return w.c.submit_order(o, 13, w.port().now);
}

/* Frames with data among the last `since` sent (at most ScriptPort::kLog back). */
u32 data_frames(World &w, u32 since)
{
	u32 n = 0;
	for (u32 b = 0; b < w.port().sent - since && b < ScriptPort::kLog; b++) {
		SegmentIn s;
		if (w.sent(s, b) && s.data_len)
			n++;
	}
	return n;
}

} // namespace

/* An order held behind a closed window past its TTL is dropped, counted, and never sent. */
OE_KTEST(ttl_closed_window_expires_never_sent)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish(0));
	const u32 sent0 = w.port().sent, base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 1) == OrderResult::Queued);
	OE_EXPECT_EQ(r, w.port().timer, w.port().now + kTtl + 1); /* armed for the expiry */
	w.advance(kTtl); /* exactly the TTL: still allowed */
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersExpired], 0u);
	w.advance(1);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersExpired], 1u);
	OE_EXPECT_EQ(r, g_fates.expired, 1u);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT(r, w.c.invariants_hold());
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 65535); /* the window opens */
	OE_EXPECT_EQ(r, data_frames(w, sent0), 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 0u);
	/* the next order is the first byte after the handshake: no hole in the stream */
	OE_EXPECT(r, submit(w, 2) == OrderResult::Sent);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, get_le32(s.data), 2u);
}

/* Within its TTL a queued order is sent when the window opens, and reported Sent with its trigger. */
OE_KTEST(ttl_window_opens_in_time_sends)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish(0));
	const u64 t0 = w.port().now;
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 7) == OrderResult::Queued);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 0u);
	w.port().now += kTtl / 2;
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 65535);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, get_le32(s.data), 7u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 1u);
	OE_EXPECT_EQ(r, g_fates.sent, 1u);
	OE_EXPECT_EQ(r, g_fates.last_trigger, t0);
	OE_EXPECT_EQ(r, w.c.queued_orders(), 0u);
}

/* No TX buffer for longer than the TTL: the retries never send it late. */
OE_KTEST(ttl_tx_ring_busy_expires)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish());
	const u32 sent0 = w.port().sent;
	w.port().ring_full = true;
	OE_EXPECT(r, submit(w, 3) == OrderResult::Queued);
	for (int i = 0; i < 60; i++) /* 20 us retries find the ring full */
		w.advance(20000);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersExpired], 1u);
	w.port().ring_full = false;
	w.advance(20000);
	w.advance(w.c.rto_ns());
	OE_EXPECT_EQ(r, data_frames(w, sent0), 0u);
	OE_EXPECT(r, w.c.invariants_hold());
}

/* Behind an RTO backoff: the order in flight is retransmitted (it reached the NIC: TCP's, not a new
 * order), the one queued behind it expires and never appears on the wire. */
OE_KTEST(ttl_behind_rto_retransmits_old_expires_new)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish(13));
	const u32 base = w.c.snd_nxt(), sent0 = w.port().sent;
	OE_EXPECT(r, submit(w, 1) == OrderResult::Sent);
	OE_EXPECT(r, submit(w, 2) == OrderResult::Queued); /* the 13-byte window is used up */
	w.advance(w.c.rto_ns()); /* no ACK: RTO; order 2 is long past its TTL by now */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, get_le32(s.data), 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersExpired], 1u);
	w.peer(ACK, w.peer_nxt, base + 13, nullptr, 0, 65535);
	OE_EXPECT_EQ(r, data_frames(w, sent0), 2u); /* order 1 and its retransmission, nothing else */
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT(r, w.c.invariants_hold());
}

/* Expiring the oldest keeps the younger ones, which then go out right after the sent bytes. */
OE_KTEST(ttl_expires_oldest_keeps_younger)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish(0));
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 1) == OrderResult::Queued);
	w.port().now += kTtl / 2;
	OE_EXPECT(r, submit(w, 2) == OrderResult::Queued);
	w.advance(kTtl / 2 + 1); /* order 1 is past its TTL, order 2 is not */
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersExpired], 1u);
	OE_EXPECT_EQ(r, w.c.queued_orders(), 1u);
	OE_EXPECT(r, w.c.invariants_hold());
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 65535);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, get_le32(s.data), 2u);
}

/* TTL on: a window smaller than the queue sends whole orders only (no order half on the wire). */
OE_KTEST(ttl_small_window_sends_whole_orders)
{
	World &w = ttl_world(100 * kTtl);
	OE_EXPECT(r, w.establish(0));
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 3; i++)
		OE_EXPECT(r, submit(w, i) == OrderResult::Queued);
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 30); /* 30 bytes: two orders fit, not three */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.data_len, 26);
	OE_EXPECT_EQ(r, w.c.queued_orders(), 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 2u);
}

/* TTL on: zero-window probes carry no data (SND.UNA - 1), so a probe never commits a queued order;
 * and after an expiry behind a closed window the window is still asked for. */
OE_KTEST(ttl_zero_window_probe_carries_no_order)
{
	World &w = ttl_world(10000 * kTtl); /* 10 s: longer than the persist interval */
	OE_EXPECT(r, w.establish(0));
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 9) == OrderResult::Queued);
	w.advance(w.c.rto_ns());
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.data_len, 0);
	OE_EXPECT_EQ(r, s.seq, base - 1);
	OE_EXPECT_EQ(r, w.c.stats()[StatWindowProbes], 1u);
	OE_EXPECT_EQ(r, w.c.snd_nxt(), base); /* nothing of the order is outstanding */
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 65535); /* the probe's answer opens the window */
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);

	World &v = ttl_world();
	OE_EXPECT(r, v.establish(0));
	const u32 probes0 = u32(v.c.stats()[StatWindowProbes]);
	OE_EXPECT(r, submit(v, 1) == OrderResult::Queued);
	v.advance(kTtl + 1);
	OE_EXPECT_EQ(r, v.c.stats()[StatOrdersExpired], 1u);
	OE_EXPECT_EQ(r, v.c.stats()[StatWindowProbes], probes0 + 1u); /* a lost window update cannot starve us */
	OE_EXPECT(r, v.sent(s));
	OE_EXPECT_EQ(r, s.data_len, 0);
}

/* purge_orders (kill switch, carrier loss), close (disconnect) and a reset drop what is queued. */
OE_KTEST(purge_close_and_reset_drop_queued)
{
	World &w = ttl_world(0); /* TTL off: purging does not depend on it */
	OE_EXPECT(r, w.establish(0));
	const u32 base = w.c.snd_nxt(), sent0 = w.port().sent;
	for (u32 i = 0; i < 3; i++)
		OE_EXPECT(r, submit(w, i) == OrderResult::Queued);
	OE_EXPECT_EQ(r, w.c.purge_orders(), 3u);
	OE_EXPECT_EQ(r, w.c.purge_orders(), 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersPurged], 3u);
	OE_EXPECT_EQ(r, g_fates.purged, 3u);
	OE_EXPECT(r, w.c.invariants_hold());
	OE_EXPECT(r, submit(w, 5) == OrderResult::Queued);
	w.c.close(); /* disconnect: the FIN follows the last byte handed to the NIC */
	w.peer(ACK, w.peer_nxt, base, nullptr, 0, 65535);
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT(r, (s.flags & FIN) != 0);
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, data_frames(w, sent0), 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersPurged], 4u);

	World &v = ttl_world(0);
	OE_EXPECT(r, v.establish(0));
	OE_EXPECT(r, submit(v, 1) == OrderResult::Queued);
	v.peer(RST, v.peer_nxt, 0); /* the connection is gone: so is the order */
	OE_EXPECT(r, v.c.state() == State::Closed);
	OE_EXPECT_EQ(r, v.c.stats()[StatOrdersPurged], 1u);
	OE_EXPECT_EQ(r, g_fates.purged, 1u);
}

/* The order queue is bounded (kMaxQueuedOrders): beyond it orders are refused, counted. */
OE_KTEST(order_queue_full_refuses)
{
	World &w = ttl_world(0);
	OE_EXPECT(r, w.establish(0));
	u8 one = 'x';
	u32 queued = 0;
	for (u32 i = 0; i < TestClient::kMaxQueuedOrders + 10; i++)
		queued += w.c.submit_order(&one, 1, w.port().now) == OrderResult::Queued ? 1 : 0;
	OE_EXPECT_EQ(r, queued, TestClient::kMaxQueuedOrders);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersRefused], 10u);
	OE_EXPECT(r, w.c.invariants_hold());
}

/* A reset while orders are sent and not yet acknowledged: whether they arrived is unknown, and the
 * client says how many bytes are in doubt (faults: an RST from the exchange side, guest sent 58,
 * exchange received 57, nothing counted for the 58th). */
OE_KTEST(reset_counts_unacked_orders_in_doubt)
{
	World &w = ttl_world();
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 1) == OrderResult::Sent);
	OE_EXPECT(r, submit(w, 2) == OrderResult::Sent);
	w.peer(ACK, w.peer_nxt, base + 13); /* the first is acknowledged, the second is in flight */
	OE_EXPECT_EQ(r, w.c.stats()[StatBytesUnackedAtLoss], 0u);
	w.peer(RST, w.peer_nxt, 0);
	OE_EXPECT(r, w.c.state() == State::Closed);
	OE_EXPECT_EQ(r, w.c.stats()[StatBytesUnackedAtLoss], 13u);
	OE_EXPECT_EQ(r, w.c.stats()[StatOrdersSent], 2u);
}

OE_KTEST_SUITE(tcp_orders, ttl_closed_window_expires_never_sent, ttl_window_opens_in_time_sends,
	       ttl_tx_ring_busy_expires, ttl_behind_rto_retransmits_old_expires_new, ttl_expires_oldest_keeps_younger,
	       ttl_small_window_sends_whole_orders, ttl_zero_window_probe_carries_no_order,
	       purge_close_and_reset_drop_queued, order_queue_full_refuses, reset_counts_unacked_orders_in_doubt);

