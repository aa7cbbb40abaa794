// SPDX-License-Identifier: GPL-2.0
/*
 * AF_PACKET companion (tc ingress): AF_PACKET sees a copy of every frame before tc ingress, but the
 * kernel stack would still process them: it would answer our raw TCP connection's segments with a
 * RST (no socket owns that port) and run the UDP multicast path for nothing. Drop exactly the lab's
 * two flows here, after the packet socket has its copy; everything else goes on.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lab_maps.bpf.h"


SEC("tc")
int oe_tcdrop(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0;
	struct oe_lab_cfg *c = bpf_map_lookup_elem(&cfg, &zero);

	if (!c || (void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_OK;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) <= end && ip->daddr == c->group && udp->dest == c->md_port) {
			count(OE_STAT_MD);
			return TC_ACT_SHOT;
		}
	} else if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) <= end && ip->saddr == c->exch_ip && ip->daddr == c->local_ip &&
		    tcp->source == c->oe_port && c->local_port && tcp->dest == c->local_port) {
			count(OE_STAT_OE);
			return TC_ACT_SHOT;
		}
	}
	count(OE_STAT_PASS);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
