// SPDX-License-Identifier: GPL-2.0
/*
 * AF_XDP steering: the lab's two flows go to the XSK bound to this RX queue, everything else
 * (ARP, IGMP, ssh, other TCP) stays with the kernel:
 *   UDP  -> cfg.group:cfg.md_port                      (market data)
 *   TCP  cfg.exch_ip:cfg.oe_port -> cfg.local_ip[:local_port]   (our order-entry connection)
 * Only the first fragment-free IPv4 packets qualify; anything odd is passed to the kernel.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lab_maps.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");


SEC("xdp")
int oe_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0;
	struct oe_lab_cfg *c = bpf_map_lookup_elem(&cfg, &zero);

	if (!c || (void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    (ip->frag_off & bpf_htons(0x3fff)))
		goto pass;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end || ip->daddr != c->group || udp->dest != c->md_port)
			goto pass;
		count(OE_STAT_MD);
	} else if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > end || ip->saddr != c->exch_ip || ip->daddr != c->local_ip ||
		    tcp->source != c->oe_port || (c->local_port && tcp->dest != c->local_port))
			goto pass;
		count(OE_STAT_OE);
	} else {
		goto pass;
	}
	/* XDP_PASS as the fallback: with no socket on this queue the kernel still sees the packet */
	int rc = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (rc != XDP_REDIRECT)
		count(OE_STAT_REDIRECT_FAIL);
	return rc;
pass:
	count(OE_STAT_PASS);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
