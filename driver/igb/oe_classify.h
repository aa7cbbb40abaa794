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
#include <net/ip.h>

/* network byte order; written only while the core is stopped */
struct oe_rx_filter {
	__be32 md_group;
	__be16 md_port;
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

#endif /* OE_CLASSIFY_H */
