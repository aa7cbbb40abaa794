/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe RX classification of one Ethernet frame: market data (IPv4 UDP to the configured
 * group:port), an order-entry TCP segment (the armed 4-tuple), or anything else (igb's normal
 * path). Header-only and free of driver state so KUnit can feed it crafted frames
 * (driver/igb/ktests/oe_classify_kunit.c). Every length is checked against the frame.
 */
#ifndef OE_CLASSIFY_H
#define OE_CLASSIFY_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/types.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include "e1000_defines.h"

/* 82576 advanced RX descriptor status: IPv4 header checksum calculated (igb names no such bit) */
#define OE_RXD_STAT_IPCS	0x40

/* network byte order; written only while the core is stopped */
struct oe_rx_filter {
	__be32 md_group;
	__be16 md_port;
	__be32 md_source;	/* the exchange's MD source address: others take igb's path */
	bool tcp_armed;
	__be32 tcp_local_ip;
	__be32 tcp_remote_ip;
	__be16 tcp_local_port;
	__be16 tcp_remote_port;
};

enum oe_rx_class {
	OE_RX_PASS,	/* not ours: igb's normal path */
	OE_RX_MD,	/* *l4 = UDP payload, *len = its length */
	OE_RX_TCP,	/* *l4 = IPv4 header, *len = IPv4 total length */
	OE_RX_MD_FOREIGN, /* MD group:port from another source: igb's normal path */
};

/* why a frame that looked like ours was, or was not, taken (driver counters) */
enum oe_rx_note {
	OE_NOTE_NONE,
	OE_NOTE_VLAN,		/* tagged (VP): igb's path, as for any VLAN */
	OE_NOTE_FOREIGN_SRC,	/* MD from a source other than the exchange */
	OE_NOTE_CSUM_SW,	/* the NIC did not verify the checksums: verified here, good */
	OE_NOTE_CSUM_BAD,	/* a checksum is wrong: igb's path (the stack counts and drops it) */
};

static inline enum oe_rx_class oe_rx_classify(const struct oe_rx_filter *f, const void *frame,
					      unsigned int size, const void **l4, u16 *len)
{
	const struct ethhdr *eth = frame;
	const struct iphdr *iph;
	unsigned int ihl, tot;

	if (size < ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) ||
	    eth->h_proto != htons(ETH_P_IP))
		return OE_RX_PASS;
	iph = frame + ETH_HLEN;
	if (iph->version != 4 || iph->ihl < 5)
		return OE_RX_PASS;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (tot < ihl || tot > size - ETH_HLEN || ip_is_fragment(iph))
		return OE_RX_PASS;

	if (iph->protocol == IPPROTO_UDP) {
		const struct udphdr *uh = (const void *)iph + ihl;
		unsigned int ulen;

		if (iph->daddr != f->md_group || tot < ihl + sizeof(*uh) || uh->dest != f->md_port)
			return OE_RX_PASS;
		ulen = ntohs(uh->len);
		if (ulen < sizeof(*uh) || ulen > tot - ihl)
			return OE_RX_PASS;
		if (iph->saddr != f->md_source)
			return OE_RX_MD_FOREIGN;
		*l4 = uh + 1;
		*len = ulen - sizeof(*uh);
		return OE_RX_MD;
	}

	if (iph->protocol == IPPROTO_TCP) {
		const struct tcphdr *th = (const void *)iph + ihl;

		if (!READ_ONCE(f->tcp_armed) || tot < ihl + sizeof(*th) ||
		    iph->saddr != f->tcp_remote_ip || iph->daddr != f->tcp_local_ip ||
		    th->source != f->tcp_remote_port || th->dest != f->tcp_local_port)
			return OE_RX_PASS;
		*l4 = iph;
		*len = tot;
		return OE_RX_TCP;
	}
	return OE_RX_PASS;
}

enum oe_rx_csum {
	OE_CSUM_GOOD,		/* the NIC verified IPv4 and L4 checksums */
	OE_CSUM_UNVERIFIED,	/* the NIC did not (IXSM, RXCSUM off, bit not set) */
	OE_CSUM_BAD,		/* the NIC found an error */
};

/* the descriptor's checksum verdict, read as igb_rx_checksum reads it: IXSM = no verdict, RXCSUM
 * off = no verdict, TCPE/IPE = error, else the IPCS and TCPCS/UDPCS bits say what was checked
 */
static inline enum oe_rx_csum oe_rx_desc_csum(u32 staterr, bool rxcsum, u8 proto)
{
	u32 l4cs = proto == IPPROTO_UDP ? E1000_RXD_STAT_UDPCS : E1000_RXD_STAT_TCPCS;

	if ((staterr & E1000_RXD_STAT_IXSM) || !rxcsum)
		return OE_CSUM_UNVERIFIED;
	if (staterr & (E1000_RXDEXT_STATERR_TCPE | E1000_RXDEXT_STATERR_IPE))
		return OE_CSUM_BAD;
	if ((staterr & (OE_RXD_STAT_IPCS | l4cs)) == (OE_RXD_STAT_IPCS | l4cs))
		return OE_CSUM_GOOD;
	return OE_CSUM_UNVERIFIED;
}

/* software check of what the NIC did not verify: IPv4 header, then UDP (0 = none) or TCP */
static inline bool oe_rx_csum_ok(const struct iphdr *iph)
{
	unsigned int ihl = iph->ihl * 4, tot = ntohs(iph->tot_len), l4len;
	const void *l4 = (const void *)iph + ihl;

	if (ip_fast_csum(iph, iph->ihl))
		return false;
	if (iph->protocol == IPPROTO_UDP) {
		if (!((const struct udphdr *)l4)->check)
			return true;
		l4len = ntohs(((const struct udphdr *)l4)->len);
	} else {
		l4len = tot - ihl;
	}
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, l4len, iph->protocol,
				  csum_partial(l4, l4len, 0));
}

/* The hook's decision on one received frame: descriptor status (EOP, frame errors, VP, checksum
 * bits; rxcsum = NETIF_F_RXCSUM) and the frame. Tagged frames and frames with a bad checksum take
 * igb's path; a checksum the NIC did not verify is verified here.
 */
static inline enum oe_rx_class oe_rx_desc_classify(const struct oe_rx_filter *f, u32 staterr,
						   bool rxcsum, const void *frame,
						   unsigned int size, const void **l4, u16 *len,
						   enum oe_rx_note *note)
{
	const struct iphdr *iph = frame + ETH_HLEN;
	enum oe_rx_class c;

	*note = OE_NOTE_NONE;
	if (!(staterr & E1000_RXD_STAT_EOP) || (staterr & E1000_RXDEXT_ERR_FRAME_ERR_MASK))
		return OE_RX_PASS;
	if (staterr & E1000_RXD_STAT_VP) {
		*note = OE_NOTE_VLAN;
		return OE_RX_PASS;
	}
	c = oe_rx_classify(f, frame, size, l4, len);
	if (c == OE_RX_MD_FOREIGN)
		*note = OE_NOTE_FOREIGN_SRC;
	if (c != OE_RX_MD && c != OE_RX_TCP)
		return c;
	switch (oe_rx_desc_csum(staterr, rxcsum, iph->protocol)) {
	case OE_CSUM_GOOD:
		return c;
	case OE_CSUM_UNVERIFIED:
		if (oe_rx_csum_ok(iph)) {
			*note = OE_NOTE_CSUM_SW;
			return c;
		}
		fallthrough;
	default:
		*note = OE_NOTE_CSUM_BAD;
		return OE_RX_PASS;
	}
}

#endif /* OE_CLASSIFY_H */
