// SPDX-License-Identifier: GPL-2.0
/*
 * The C ABI core (oe_core.cpp) end to end on the fake platform, with the real tcp::Client: connect
 * request -> SYN from oe_poll -> SYN-ACK through oe_tcp_rx -> Running -> a surge in handleMDPacket
 * puts a complete order frame (13-byte payload) on the fake TX ring before it returns.
 */
#include "oe/abi.h"
#include "oe/fake_platform.h"
#include "oe/ktest.h"
#include "oe/ktest_abi.h"
#include "oe/order.h"
#include "oe/tcp/seq.h"
#include "oe/tcp/wire.h"
#include "core_util.h"

using namespace oe;
using namespace oe::kt;

namespace {

/* A core with this order TTL (µs). */
int start_ttl(u32 order_ttl_us)
{
	oe_config c = test_config();
	c.order_ttl_us = order_ttl_us;
	return start_with(c);
}

/* Frames carrying data among those transmitted since frame `from`. */
u32 data_frames_since(u32 from)
{
	u32 n = 0;
	for (u32 i = from; i < oe_fake_tx_count(); i++) {
		tcp::SegmentIn s;
		if (tx_segment(i, s) && s.data_len)
			n++;
	}
	return n;
}

} // namespace

OE_KTEST(core_init_errors)
{
	oe_core_exit();
	OE_EXPECT_EQ(r, oe_request_connect(), -19);
	OE_EXPECT_EQ(r, oe_set_kill_switch(1), -19);
	OE_EXPECT_EQ(r, oe_strategy_state(), 0u);
	oe_config c;
	oe_config_defaults(&c);
	c.levels = 0;
	OE_EXPECT_EQ(r, oe_core_init(&c), -22);
	oe_config_defaults(&c); /* no peer address: the tcp client refuses, nothing is left behind */
	c.remote_ip_be = 0;
	OE_EXPECT_EQ(r, oe_core_init(&c), -22);
	OE_EXPECT_EQ(r, oe_request_connect(), -19);
	OE_EXPECT_EQ(r, start(), 0);
	OE_EXPECT_EQ(r, start(), 0); /* start() exits first: init again is fine */
	oe_config again;
	oe_config_defaults(&again);
	OE_EXPECT_EQ(r, oe_core_init(&again), -16);
	oe_core_exit();
	oe_core_exit(); /* idempotent */
	feed_md("x,BTC,1,1,false,bid,100,1"); /* no core: ignored, no crash */
	oe_poll();
}

/* The one setup allocation fails: -ENOMEM, no core left half-built, the next init works. */
OE_KTEST(core_init_out_of_memory)
{
	oe_core_exit();
	oe_fake_reset();
	oe_config c;
	oe_config_defaults(&c);
	c.local_ip_be = bswap32(kLocalIp);
	c.remote_ip_be = bswap32(kRemoteIp);
	oe_rt_fail_allocs(1);
	OE_EXPECT_EQ(r, oe_core_init(&c), -12);
	oe_rt_fail_allocs(0);
	OE_EXPECT_EQ(r, oe_request_connect(), -19); /* nothing was published */
	OE_EXPECT_EQ(r, oe_core_init(&c), 0);
	oe_core_exit();
}

OE_KTEST(core_defaults)
{
	oe_config c;
	oe_config_defaults(&c);
	OE_EXPECT_EQ(r, c.levels, 5u);
	OE_EXPECT_EQ(r, c.size_threshold, 50000000ll * 100000000ll);
	OE_EXPECT_EQ(r, c.notional_threshold, 1000000ll * 100000000ll);
	OE_EXPECT_EQ(r, c.order_qty, 1u);
	OE_EXPECT_EQ(r, c.mode, u32(OE_TRIGGER_SIZE));
	OE_EXPECT_EQ(r, bswap16(c.md_port_be), 12345);
	OE_EXPECT_EQ(r, bswap32(c.md_group_be), 0xefff0001u);
	OE_EXPECT_EQ(r, bswap16(c.remote_port_be), 9012);
}

OE_KTEST(core_stats_names)
{
	u32 n = oe_stats_count();
	OE_EXPECT(r, n > 60);
	OE_EXPECT(r, oe_stats_name(n) == nullptr);
	for (u32 i = 0; i < n; i++) {
		const char *a = oe_stats_name(i);
		OE_EXPECT(r, a != nullptr && a[0] != 0);
		for (u32 j = i + 1; j < n; j++) {
			const char *b = oe_stats_name(j);
			u32 k = 0;
			while (a[k] && a[k] == b[k])
				k++;
			OE_EXPECT(r, a[k] != b[k]); /* unique */
		}
	}
}

OE_KTEST(core_md_counts_without_connection)
{
	OE_EXPECT_EQ(r, start(), 0);
	book_and_surge(1);
	feed_md("x,BTC,1,9,false,sell,100,1");
	OE_EXPECT_EQ(r, stat("oe_md_frames"), 4u);
	OE_EXPECT_EQ(r, stat("oe_parse_drop_bad_side"), 1u);
	OE_EXPECT_EQ(r, stat("oe_triggers"), 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_not_running"), 1u);
	OE_EXPECT_EQ(r, oe_fake_tx_count(), 0u);
	oe_core_exit();
}

OE_KTEST(core_connect_and_fire_order)
{
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	OE_EXPECT_EQ(r, stat("oe_established"), 1u);
	u32 before = oe_fake_tx_count(); /* SYN + the handshake's ACK */
	book_and_surge(10);
	OE_EXPECT_EQ(r, oe_fake_tx_count(), before + 1);
	tcp::SegmentIn order;
	OE_EXPECT(r, tx_segment(before, order));
	OE_EXPECT_EQ(r, order.data_len, kOrderBytes);
	OE_EXPECT_EQ(r, order.seq, syn.seq + 1);
	OrderFields o;
	OE_EXPECT(r, decode_order(order.data, o));
	OE_EXPECT_EQ(r, o.side, 'B');
	OE_EXPECT_EQ(r, o.price, 101 * kt::kOne);
	OE_EXPECT_EQ(r, o.qty, 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 1u);
	OE_EXPECT_EQ(r, stat("tcp_orders_sent"), 1u);
	/* kill switch: counted, nothing sent */
	OE_EXPECT_EQ(r, oe_set_kill_switch(1), 0);
	OE_EXPECT_EQ(r, stat("oe_kill_switch"), 1u);
	feed_md(kt::row(g_row, 20, false, true, 100, 120000002));
	OE_EXPECT_EQ(r, stat("oe_orders_killed"), 1u);
	OE_EXPECT_EQ(r, oe_fake_tx_count(), before + 1);
	oe_core_exit();
}

OE_KTEST(core_reset_and_disconnect)
{
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	peer_sends(syn, 5001, tcp::RST | tcp::ACK); /* the exchange resets: back to Init */
	OE_EXPECT_EQ(r, oe_strategy_state(), 0u);
	OE_EXPECT_EQ(r, stat("oe_conn_lost"), 1u);
	/* connect again; this time disconnect while the SYN is outstanding */
	OE_EXPECT_EQ(r, oe_request_connect(), 0);
	oe_poll();
	OE_EXPECT_EQ(r, oe_strategy_state(), 1u);
	OE_EXPECT_EQ(r, oe_request_disconnect(), 0);
	oe_poll();
	OE_EXPECT_EQ(r, oe_strategy_state(), 0u);
	OE_EXPECT_EQ(r, stat("oe_disconnects"), 1u);
	oe_core_exit();
}

OE_KTEST(core_no_tx_buffer_counts)
{
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	oe_fake_set_ring_full(true);
	u32 before = oe_fake_tx_count();
	book_and_surge(30);
	OE_EXPECT_EQ(r, oe_fake_tx_count(), before);
	/* queued until a buffer frees: not sent until its frame reaches the doorbell */
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 0u);
	OE_EXPECT_EQ(r, stat("oe_orders_queued"), 1u);
	OE_EXPECT_EQ(r, stat("tcp_orders_queued"), 1u);
	oe_fake_set_ring_full(false);
	oe_fake_set_now(oe_fake_timer_deadline()); /* the TX retry (20 us), well within the TTL */
	oe_poll();
	OE_EXPECT_EQ(r, data_frames_since(before), 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 1u);
	OE_EXPECT_EQ(r, stat("tcp_orders_sent"), 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_expired"), 0u);
	oe_core_exit();
}

/* Held behind a closed window past its TTL: dropped and counted; the window opening later sends nothing. */
OE_KTEST(core_order_ttl_closed_window)
{
	OE_EXPECT_EQ(r, start_ttl(1000), 0); /* TTL 1 ms */
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn, 0));
	const u32 before = oe_fake_tx_count();
	oe_fake_set_now(5000000);
	book_and_surge(40);
	OE_EXPECT_EQ(r, stat("oe_orders_queued"), 1u);
	OE_EXPECT_EQ(r, oe_fake_timer_deadline(), 5000000u + 1000000u + 1u); /* armed for the expiry */
	oe_fake_set_now(5000000 + 1000000); /* exactly the TTL old: still allowed */
	oe_poll();
	OE_EXPECT_EQ(r, stat("oe_orders_expired"), 0u);
	oe_fake_set_now(5000000 + 1000001);
	oe_poll();
	OE_EXPECT_EQ(r, stat("oe_orders_expired"), 1u);
	OE_EXPECT_EQ(r, stat("tcp_orders_expired"), 1u);
	peer_sends(syn, 5001, tcp::ACK, 0, 65535); /* the window opens */
	OE_EXPECT_EQ(r, data_frames_since(before), 0u);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 0u);
	OE_EXPECT_EQ(r, stat("tcp_orders_sent"), 0u);
	/* a fresh order goes out at once */
	book_and_surge(50);
	OE_EXPECT_EQ(r, data_frames_since(before), 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 1u);
	oe_core_exit();
}

/* Queued, then the kill switch: purged at the core's next entry; the window opening sends nothing. */
OE_KTEST(core_kill_switch_purges_queued)
{
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn, 0));
	const u32 before = oe_fake_tx_count();
	book_and_surge(60);
	OE_EXPECT_EQ(r, stat("oe_orders_queued"), 1u);
	OE_EXPECT_EQ(r, oe_set_kill_switch(1), 0);
	peer_sends(syn, 5001, tcp::ACK, 0, 65535); /* the ACK that would have released it */
	OE_EXPECT_EQ(r, data_frames_since(before), 0u);
	OE_EXPECT_EQ(r, stat("oe_orders_purged"), 1u);
	OE_EXPECT_EQ(r, stat("tcp_orders_purged"), 1u);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 0u);
	oe_core_exit();
}

/* Queued, then a disconnect request: purged before the next segment is processed; the FIN follows
 * the last byte that reached the NIC. */
OE_KTEST(core_disconnect_purges_queued)
{
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn, 0));
	const u32 before = oe_fake_tx_count();
	book_and_surge(70);
	OE_EXPECT_EQ(r, oe_request_disconnect(), 0);
	peer_sends(syn, 5001, tcp::ACK, 0, 65535); /* arrives before the poll that would act on the request */
	OE_EXPECT_EQ(r, data_frames_since(before), 0u);
	OE_EXPECT_EQ(r, stat("oe_orders_purged"), 1u);
	tcp::SegmentIn fin;
	OE_EXPECT(r, tx_segment(oe_fake_tx_count() - 1, fin));
	OE_EXPECT(r, (fin.flags & tcp::FIN) != 0);
	OE_EXPECT_EQ(r, fin.seq, syn.seq + 1);
	oe_core_exit();
}

/* The core (and its Client) is rebuilt at every connect; on the same 4-tuple the new ISN still starts
 * above what the old incarnation sent (RFC 6528 state lives beside the core), even with the platform's
 * clock and random source replaying exactly. */
OE_KTEST(core_isn_survives_core_restart)
{
	oe_config c = test_config();
	c.local_port_be = bswap16(40300);
	OE_EXPECT_EQ(r, start_with(c), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn));
	book_and_surge(90);
	OE_EXPECT_EQ(r, stat("oe_orders_sent"), 1u);
	const u32 old_max = syn.seq + 1 + kOrderBytes;
	oe_core_exit(); /* a core restart, as the driver does at every connect: same clock, same seed */
	oe_fake_reset();
	OE_EXPECT_EQ(r, oe_core_init(&c), 0);
	tcp::SegmentIn syn2;
	OE_EXPECT(r, connect_established(syn2));
	OE_EXPECT_EQ(r, syn2.src_port, 40300);
	OE_EXPECT(r, tcp::seq_gt(syn2.seq, old_max + 0x10000));
	oe_core_exit();
}

/* The driver's entry (carrier loss): returns how many it dropped. */
OE_KTEST(core_purge_entry)
{
	oe_core_exit();
	OE_EXPECT_EQ(r, oe_purge_orders(OE_PURGE_CARRIER_LOSS), 0u); /* no core */
	OE_EXPECT_EQ(r, start(), 0);
	tcp::SegmentIn syn;
	OE_EXPECT(r, connect_established(syn, 0));
	const u32 before = oe_fake_tx_count();
	book_and_surge(80);
	feed_md(kt::row(g_row, 83, false, true, 100, 200000003)); /* a second order, queued behind it */
	OE_EXPECT_EQ(r, stat("oe_orders_queued"), 2u);
	OE_EXPECT_EQ(r, oe_purge_orders(OE_PURGE_CARRIER_LOSS), 2u);
	OE_EXPECT_EQ(r, oe_purge_orders(OE_PURGE_CARRIER_LOSS), 0u);
	OE_EXPECT_EQ(r, stat("oe_orders_purged"), 2u);
	peer_sends(syn, 5001, tcp::ACK, 0, 65535);
	OE_EXPECT_EQ(r, data_frames_since(before), 0u);
	OE_EXPECT_EQ(r, oe_strategy_state(), 2u); /* the session lives on; only the waiting orders went */
	oe_core_exit();
}

OE_KTEST_SUITE(strategy_core, core_init_errors, core_init_out_of_memory, core_defaults, core_stats_names, core_md_counts_without_connection,
	       core_connect_and_fire_order, core_reset_and_disconnect, core_no_tx_buffer_counts,
	       core_order_ttl_closed_window, core_kill_switch_purges_queued, core_disconnect_purges_queued,
	       core_purge_entry, core_isn_survives_core_restart);
