/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe stopwatch: the record it keeps per stamped frame and how it recognises those frames.
 * Header-only and free of driver state so KUnit can feed it crafted frames
 * (driver/igb/ktests/oe_stopwatch_kunit.c). The driver side is oe_stopwatch.c; the host joins the
 * records to the exchange's triggers (scripts/stopwatch.py, docs/driver.md "Stopwatch").
 *
 * Stamped frames, the same for every consumer of the NIC (in-driver, XDP, AF_XDP, sockets):
 *   RX  a market-data datagram (IPv4 UDP to md_group:md_port): its MD sequence number (the 4th CSV
 *       field, local_timestamp) with the MSI-X (or poll) entry, NAPI entry and descriptor stamps;
 *   TX  a frame that carries an order: IPv4 to the exchange, TCP to tcp_port with payload (id = the
 *       segment's sequence number, so the host finds the order's bytes in the stream) or UDP to
 *       udp_port with >= 8 bytes of payload (the XDP_TX floor's bounce: id = its u64 LE MD seq).
 */
#ifndef OE_STOPWATCH_H
#define OE_STOPWATCH_H

#include <linux/if_ether.h>
#include <linux/string.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/types.h>
#include <linux/udp.h>
#include "oe_classify.h"
#include "oe_compat.h"	/* <linux/unaligned.h> (6.12) or <asm/unaligned.h> (6.1) */

enum oe_sw_type {
	OE_SW_RX_MSIX = 1,	/* t[0] = the MSI-X entry that started the poll */
	OE_SW_RX_POLL,		/* no interrupt (busy poll, re-poll, kick): t[0] = t[1], the poll */
	OE_SW_TX_TCP,
	OE_SW_TX_UDP,
};

struct oe_sw_rec {
	u64 id;		/* RX: MD seq (0: unreadable); TX: TCP sequence number / bounce MD seq */
	u64 t[3];	/* RX: irq (or poll) entry, NAPI entry, descriptor; TX: tail write */
	u16 len;	/* TX: payload bytes */
	u16 port;	/* TX: source port (tells connections apart) */
	u16 queue;	/* RX or TX queue index */
	u8 type;	/* enum oe_sw_type */
	u8 path;	/* TX: enum oe_sw_tx_path (skb, xdp, oe) */
};

/* network byte order; written only while the stopwatch is disarmed */
struct oe_sw_filter {
	struct oe_rx_filter md;	/* md_group, md_port, md_source; tcp_armed stays false */
	__be32 exchange_ip;
	__be16 tcp_port;	/* 0: no TCP order flow */
	__be16 udp_port;	/* 0: no bounce flow */
};

/* The filter an arm command describes. Market data is taken from md_source like the order-entry
 * hook takes it (oe_classify.h); 0 = the exchange's address, where the lab's exchange publishes.
 */
static inline void oe_sw_filter_init(struct oe_sw_filter *f, __be32 md_group, __be16 md_port,
				     __be32 md_source, __be32 exchange_ip, __be16 tcp_port,
				     __be16 udp_port)
{
	memset(f, 0, sizeof(*f));
	f->md.md_group = md_group;
	f->md.md_port = md_port;
	f->md.md_source = md_source ? md_source : exchange_ip;
	f->exchange_ip = exchange_ip;
	f->tcp_port = tcp_port;
	f->udp_port = udp_port;
}

/* MD sequence number: the digits of the 4th comma-separated field; 0 if there is none. */
static inline u64 oe_sw_md_seq(const u8 *p, unsigned int len)
{
	unsigned int i = 0, commas = 0, digits = 0;
	u64 v = 0;

	for (; i < len && commas < 3; i++)
		commas += p[i] == ',';
	for (; i < len && p[i] != ','; i++) {
		if (p[i] < '0' || p[i] > '9' || ++digits > 19)
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return i < len ? v : 0;
}

/* RX: a market-data datagram? *seq = its MD seq (0 if unreadable). */
static inline bool oe_sw_md_frame(const struct oe_sw_filter *f, const void *frame,
				  unsigned int size, u64 *seq)
{
	const void *payload;
	u16 len;

	if (oe_rx_classify(&f->md, frame, size, &payload, &len) != OE_RX_MD)
		return false;
	*seq = oe_sw_md_seq(payload, len);
	return true;
}

/* TX: does this frame (its first size bytes: headers must be there) carry an order? */
static inline bool oe_sw_order_frame(const struct oe_sw_filter *f, const void *frame,
				     unsigned int size, struct oe_sw_rec *r)
{
	const struct ethhdr *eth = frame;
	const struct iphdr *iph = frame + ETH_HLEN;
	unsigned int ihl, tot;

	if (size < ETH_HLEN + sizeof(*iph) + sizeof(struct udphdr) ||
	    eth->h_proto != htons(ETH_P_IP) || iph->version != 4 || iph->ihl < 5 ||
	    iph->daddr != f->exchange_ip || ip_is_fragment(iph))
		return false;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (tot < ihl)
		return false;

	if (iph->protocol == IPPROTO_TCP && f->tcp_port) {
		const struct tcphdr *th = (const void *)iph + ihl;
		unsigned int hdr;

		if (ETH_HLEN + ihl + sizeof(*th) > size || th->dest != f->tcp_port)
			return false;
		hdr = ihl + th->doff * 4;
		if (th->doff < 5 || tot <= hdr)
			return false;		/* no payload: SYN, ACK, FIN */
		r->type = OE_SW_TX_TCP;
		r->id = ntohl(th->seq);
		r->len = tot - hdr;
		r->port = ntohs(th->source);
		return true;
	}
	if (iph->protocol == IPPROTO_UDP && f->udp_port) {
		const struct udphdr *uh = (const void *)iph + ihl;

		if (ETH_HLEN + ihl + sizeof(*uh) + 8 > size || uh->dest != f->udp_port ||
		    ntohs(uh->len) < sizeof(*uh) + 8)
			return false;
		r->type = OE_SW_TX_UDP;
		r->id = get_unaligned_le64(uh + 1);
		r->len = ntohs(uh->len) - sizeof(*uh);
		r->port = ntohs(uh->source);
		return true;
	}
	return false;
}

/* The most of a frame oe_sw_order_frame reads: Ethernet, IPv4 with options, the TCP header without
 * options (UDP: its header and the 8-byte MD seq, 2 bytes less).
 */
#define OE_SW_ORDER_HDR_MAX	(ETH_HLEN + 60 + sizeof(struct tcphdr))

/* TX, skb path: the same test on an skb whose headers may sit in page fragments. AF_PACKET's
 * PACKET_TX_RING (tpacket_snd) puts only the link-layer header in the linear part and the rest of
 * the ring slot in a fragment, so skb->data alone does not show the IP and TCP headers.
 */
static inline bool oe_sw_order_skb(const struct oe_sw_filter *f, const struct sk_buff *skb,
				   struct oe_sw_rec *r)
{
	u8 buf[OE_SW_ORDER_HDR_MAX];
	unsigned int n = min_t(unsigned int, skb->len, sizeof(buf));
	const void *h = skb_header_pointer(skb, 0, n, buf);	/* no copy when linear */

	return h && oe_sw_order_frame(f, h, n, r);
}

#endif /* OE_STOPWATCH_H */
