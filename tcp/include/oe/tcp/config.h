/* SPDX-License-Identifier: GPL-2.0 */
/* Connection parameters, filled in process context before Client::init(). */
#pragma once
#include "oe/abi.h"
#include "oe/base.h"

namespace oe::tcp {

struct Config {
	/* addresses in host byte order; MACs as on the wire */
	u8 local_mac[6] = {}, remote_mac[6] = {};
	u32 local_ip = 0, remote_ip = 0;
	u16 local_port = 0; /* 0: a random port in 61000..65535 (above Linux's ephemeral range) per connect */
	u16 remote_port = 0;
	u8 tos = 0;
	u8 ttl = 64;
	u16 mss = 1460;         /* what we announce and the largest segment we send */
	u16 rcv_wnd = 65535;    /* advertised window (no window scaling: data is handed on at once) */
	/* RFC 6298 retransmission timer; the bounds are configurable (RFC: min 1 s; Linux uses 200 ms) */
	u64 rto_initial_ns = 1000000000ULL;
	u64 rto_min_ns = 200000000ULL;
	u64 rto_max_ns = 60000000000ULL;
	u32 syn_retries = 6;    /* SYN retransmissions before Event::Failed */
	u32 data_retries = 15;  /* RTO expiries in a row without progress before RST + Event::Failed */
	u64 close_timeout_ns = 5000000000ULL; /* FIN-WAIT/CLOSING/LAST-ACK: then RST and CLOSED */
	u64 time_wait_ns = 1000000000ULL;     /* TIME-WAIT: short, each connect picks a new port and ISN */
	u32 challenge_acks_per_sec = 10;      /* RFC 5961 §7 rate limit */
	/* Order time-to-live: an order not handed to the NIC within this many ns of its trigger time is
	 * dropped (tcp_orders_expired), never sent late. 0 = off. docs/tcp.md, "Order time-to-live". */
	u64 order_ttl_ns = 0;
	/* Stale limit: a retransmission (RTO go-back-N, fast retransmit, loss probe, persist octet) that
	 * would carry an order triggered more than this many ns ago is not sent: RST, Event::Failed,
	 * tcp_stale_aborts; its bytes are counted in doubt (tcp_bytes_unacked_at_loss). 0 = off.
	 * docs/tcp.md, "Order time-to-live". */
	u64 order_stale_ns = 0;
	/* RFC 8985 §7 tail-loss probe: PTO = max(2 SRTT, tlp_min_ns), at most one per episode */
	bool tlp = true;
	u64 tlp_min_ns = 2000000ULL;          /* 2 ms: Linux's TCP_TIMEOUT_MIN (2 jiffies at HZ=1000) */
	/* one reply to an unacceptable segment per interval (Linux tcp_invalid_ratelimit, 500 ms) */
	u64 invalid_ratelimit_ns = 500000000ULL;
};

/* Config from the driver's struct oe_config (network byte order there). */
OE_ALWAYS_INLINE Config config_from_abi(const oe_config &c)
{
	Config k;
	copy(k.local_mac, c.local_mac, 6);
	copy(k.remote_mac, c.remote_mac, 6);
	k.local_ip = bswap32(c.local_ip_be);
	k.remote_ip = bswap32(c.remote_ip_be);
	k.local_port = bswap16(c.local_port_be);
	k.remote_port = bswap16(c.remote_port_be);
	k.tos = c.tos;
	if (c.ttl)
		k.ttl = c.ttl;
	if (c.mss)
		k.mss = c.mss;
	k.order_ttl_ns = u64(c.order_ttl_us) * 1000;
	k.order_stale_ns = u64(c.order_stale_us) * 1000;
	return k;
}

} // namespace oe::tcp
