/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_orders: queued orders and their time-to-live (Config::order_ttl_ns), purge, whole-order sends,
 * and the stale limit on retransmissions (Config::order_stale_ns). */
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

/* The stale limit on, the TTL off; tlp false: the RTO is the first resend. */
World &stale_world(u64 stale, bool tlp = false)
{
	World &w = fresh_world();
	Config c = test_config();
	c.order_stale_ns = stale;
	c.tlp = tlp;
	w.c.init(c);
	g_fates = Fates{};
	w.c.set_order_sink(note_fate, &g_fates);
	return w;
}

constexpr u64 kMs = 1000000;

/* The client's last frame is an RST with the highest sequence sent, the connection is closed, one
 * stale abort, `doubt` bytes in doubt. */
bool stale_reset(World &w, u32 snd_max, u64 doubt)
{
	SegmentIn s;
	return w.sent(s) && (s.flags & RST) && s.seq == snd_max && w.c.state() == State::Closed &&
	       w.c.stats()[StatStaleAborts] == 1 && w.c.stats()[StatRstOut] == 1 &&
	       w.c.stats()[StatBytesUnackedAtLoss] == doubt && w.c.invariants_hold();
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

/* (a) An order handed to the NIC and lost (never acknowledged): the RTO comes after the stale limit,
 * so no retransmission carries it; an RST goes out instead and the order is counted in doubt. */
OE_KTEST(stale_rto_resets_instead_of_late_resend)
{
	World &w = stale_world(100 * kMs);
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt(), sent0 = w.port().sent;
	OE_EXPECT(r, submit(w, 1) == OrderResult::Sent);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 200 * kMs);
	OE_EXPECT(r, w.c.recv(w.k()) == RecvResult::Parked);
	w.advance(w.c.rto_ns()); /* the RTO, 200 ms after the trigger: twice the stale limit */
	OE_EXPECT(r, stale_reset(w, base + 13, 13));
	OE_EXPECT_EQ(r, w.rec.n, 2u); /* Established, then the parked recv hears Failed */
	OE_EXPECT(r, w.rec.events[1] == Event::Failed);
	OE_EXPECT_EQ(r, data_frames(w, sent0), 1u); /* the first copy only */
	OE_EXPECT_EQ(r, w.c.stats()[StatRetransmits], 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatFailures], 0u); /* counted as a stale abort, not as retries exhausted */
	const u32 sent1 = w.port().sent;
	w.advance(10 * w.c.rto_ns());
	OE_EXPECT_EQ(r, w.port().sent, sent1); /* closed: nothing more on the wire */
}

/* (b) A resend before the limit goes as before; the backed-off one after it resets. The loss probe
 * (2 ms) likewise goes before the limit and is refused after it. */
OE_KTEST(stale_resend_before_limit_still_sent)
{
	World &w = stale_world(500 * kMs);
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt(), sent0 = w.port().sent;
	OE_EXPECT(r, submit(w, 1) == OrderResult::Sent);
	w.advance(w.c.rto_ns()); /* 200 ms: within the limit */
	SegmentIn s;
	OE_EXPECT(r, w.sent(s));
	OE_EXPECT_EQ(r, s.seq, base);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, w.c.stats()[StatRetransmits], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatStaleAborts], 0u);
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.c.rto_ns(), 400 * kMs);
	w.advance(w.c.rto_ns()); /* 600 ms after the trigger: the second resend would be late */
	OE_EXPECT(r, stale_reset(w, base + 13, 13));
	OE_EXPECT_EQ(r, data_frames(w, sent0), 2u);

	World &v = stale_world(1 * kMs, true); /* the probe timeout (2 ms floor) is past a 1 ms limit */
	OE_EXPECT(r, v.establish());
	const u32 vbase = v.c.snd_nxt();
	OE_EXPECT(r, submit(v, 2) == OrderResult::Sent);
	v.advance(2 * kMs);
	OE_EXPECT_EQ(r, v.c.stats()[StatTlpProbes], 0u);
	OE_EXPECT(r, stale_reset(v, vbase + 13, 13));

	World &u = stale_world(500 * kMs, true);
	OE_EXPECT(r, u.establish());
	const u32 ubase = u.c.snd_nxt();
	OE_EXPECT(r, submit(u, 3) == OrderResult::Sent);
	u.advance(2 * kMs); /* the probe within the limit: sent */
	OE_EXPECT_EQ(r, u.c.stats()[StatTlpProbes], 1u);
	OE_EXPECT(r, u.sent(s));
	OE_EXPECT_EQ(r, s.seq, ubase);
	OE_EXPECT_EQ(r, s.data_len, 13);
	OE_EXPECT_EQ(r, u.c.stats()[StatStaleAborts], 0u);
}

/* (c) Stale limit off (0): today's behaviour, every backed-off RTO resends the order. */
OE_KTEST(stale_off_keeps_retransmitting)
{
	World &w = stale_world(0);
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt();
	OE_EXPECT(r, submit(w, 1) == OrderResult::Sent);
	for (u32 i = 1; i <= 4; i++) { /* 200, 600, 1400, 3000 ms after the trigger */
		w.advance(w.c.rto_ns());
		SegmentIn s;
		OE_EXPECT(r, w.sent(s));
		OE_EXPECT_EQ(r, s.seq, base);
		OE_EXPECT_EQ(r, s.data_len, 13);
		OE_EXPECT_EQ(r, w.c.stats()[StatRetransmits], u64(i));
	}
	OE_EXPECT(r, w.c.state() == State::Established);
	OE_EXPECT_EQ(r, w.c.stats()[StatStaleAborts], 0u);
	OE_EXPECT_EQ(r, w.c.stats()[StatRstOut], 0u);
	w.peer(ACK, w.peer_nxt, base + 13);
	OE_EXPECT_EQ(r, w.c.queued_bytes(), 0u);
	OE_EXPECT(r, w.c.invariants_hold());
}

/* (d) Fast retransmit: three duplicate ACKs after the limit reset instead of resending the lost
 * head; before the limit they resend it as before. */
OE_KTEST(stale_fast_retransmit_resets_after_limit)
{
	World &w = stale_world(100 * kMs);
	OE_EXPECT(r, w.establish());
	const u32 base = w.c.snd_nxt(), sent0 = w.port().sent;
	for (u32 i = 0; i < 4; i++)
		OE_EXPECT(r, submit(w, i) == OrderResult::Sent);
	w.port().now += 150 * kMs; /* before the RTO (200 ms), after the limit */
	for (int i = 0; i < 3; i++) /* order 0 lost: the peer has 1..3, it says so three times */
		w.peer(ACK, w.peer_nxt, base);
	OE_EXPECT_EQ(r, w.c.stats()[StatFastRetransmits], 0u);
	OE_EXPECT(r, stale_reset(w, base + 52, 52));
	OE_EXPECT_EQ(r, data_frames(w, sent0), 4u); /* the four first copies, no resend */

	World &v = stale_world(100 * kMs);
	OE_EXPECT(r, v.establish());
	const u32 vbase = v.c.snd_nxt();
	for (u32 i = 0; i < 4; i++)
		OE_EXPECT(r, submit(v, i) == OrderResult::Sent);
	v.port().now += 50 * kMs; /* within the limit */
	for (int i = 0; i < 3; i++)
		v.peer(ACK, v.peer_nxt, vbase);
	OE_EXPECT_EQ(r, v.c.stats()[StatFastRetransmits], 1u);
	SegmentIn s;
	OE_EXPECT(r, v.sent(s));
	OE_EXPECT_EQ(r, s.seq, vbase);
	OE_EXPECT(r, v.c.state() == State::Established);
	OE_EXPECT_EQ(r, v.c.stats()[StatStaleAborts], 0u);
	/* an acknowledged order leaves the age book: the next ones are judged by their own triggers */
	v.peer(ACK, v.peer_nxt, vbase + 52);
	OE_EXPECT(r, submit(v, 9) == OrderResult::Sent);
	v.advance(v.c.rto_ns()); /* its RTO, 200 ms after it; the old ones (250 ms) are acknowledged */
	OE_EXPECT(r, stale_reset(v, vbase + 65, 13));
}

/* Go-back-N after an RTO continues on the next ACKs; a segment of it that would carry an order past
 * the limit resets, though the earlier resend (within it) went. The age is per order: the order
 * acknowledged in time does not count. */
OE_KTEST(stale_go_back_n_resets_midway)
{
	World &w = stale_world(300 * kMs);
	OE_EXPECT(r, w.establish(65535, 100)); /* MSS 100: several segments in flight */
	const u32 base = w.c.snd_nxt();
	for (u32 i = 0; i < 14; i++) /* 182 bytes: two segments */
		w.port().now += 1000, (void)submit(w, i);
	OE_EXPECT_EQ(r, w.c.snd_max(), base + 182);
	w.advance(w.c.rto_ns()); /* 200 ms: go-back-N resends the first MSS (cwnd 1 MSS) */
	OE_EXPECT_EQ(r, w.c.stats()[StatRetransmits], 1u);
	OE_EXPECT_EQ(r, w.c.stats()[StatStaleAborts], 0u);
	w.port().now += 150 * kMs; /* 350 ms: every order is past the limit */
	w.peer(ACK, w.peer_nxt, base + 91); /* 7 orders acknowledged; the rest would go again */
	OE_EXPECT(r, stale_reset(w, base + 182, 91));
}

OE_KTEST_SUITE(tcp_orders, ttl_closed_window_expires_never_sent, ttl_window_opens_in_time_sends,
	       ttl_tx_ring_busy_expires, ttl_behind_rto_retransmits_old_expires_new, ttl_expires_oldest_keeps_younger,
	       ttl_small_window_sends_whole_orders, ttl_zero_window_probe_carries_no_order,
	       purge_close_and_reset_drop_queued, order_queue_full_refuses, reset_counts_unacked_orders_in_doubt,
	       stale_rto_resets_instead_of_late_resend, stale_resend_before_limit_still_sent, stale_off_keeps_retransmitting,
	       stale_fast_retransmit_resets_after_limit, stale_go_back_n_resets_midway);

