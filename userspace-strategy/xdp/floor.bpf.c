// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: the least the guest can do between RX and TX. Every MD datagram (UDP to
 * cfg.group:cfg.md_port) is turned, in place in its RX buffer, into a UDP reply of exactly an
 * order's frame size (67 bytes) and sent back out of the same NIC with XDP_TX:
 *   Ethernet: dst = the MD frame's source MAC, src = cfg.local_mac
 *   IPv4:     cfg.local_ip -> the MD source (the exchange), TTL 64, fresh header checksum
 *   UDP:      cfg.md_port -> cfg.bounce_port, checksum 0 (allowed for IPv4)
 *   payload:  u64 little-endian MD sequence number (the row's local_timestamp), 17 zero bytes
 * Every MD packet is bounced (not only triggers): deciding "trigger" needs the book, which is the
 * strategy's work, not the floor's; the exchange runs with --bounce-all and matches by sequence.
 * Everything that is not MD is XDP_PASS (the order-entry TCP session stays with the kernel).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lab.h"

/* The sequence is the 4th CSV field; it starts within the first 96 bytes and has at most 20 digits. */
#define SCAN_MAX 96
#define SEQ_DIGITS_MAX 20

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oe_lab_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OE_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);
	if (v)
		(*v)++;
}

/* Offset of the first byte after the third comma of the payload, or -1. */
static __always_inline int seq_offset(const __u8 *p, const void *end)
{
	int commas = 0;
	for (int i = 0; i < SCAN_MAX; i++) {
		if ((const void *)(p + i + 1) > end)
			return -1;
		if (p[i] == ',' && ++commas == 3)
			return i + 1;
	}
	return -1;
}

SEC("xdp")
int oe_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 zero = 0;
	struct oe_lab_cfg *c = bpf_map_lookup_elem(&cfg, &zero);

	if (!c || (void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x3fff)) || ip->daddr != c->group ||
	    udp->dest != c->md_port) {
		count(OE_STAT_PASS);
		return XDP_PASS;
	}
	count(OE_STAT_MD);

	const __u8 *pl = (const __u8 *)(udp + 1);
	int off = seq_offset(pl, end);
	__u64 seq = 0;
	int digits = 0;
	if (off < 0 || off > SCAN_MAX)
		goto bad;
	for (int i = 0; i < SEQ_DIGITS_MAX; i++) {
		const __u8 *d = pl + off + i;
		if ((const void *)(d + 1) > end)
			goto bad;
		if (*d < '0' || *d > '9')
			break;
		seq = seq * 10 + (*d - '0');
		digits++;
	}
	if (!digits)
		goto bad;

	/* Remember what the reply needs from the request before the buffer is rewritten. */
	__u8 peer_mac[ETH_ALEN];
	__builtin_memcpy(peer_mac, eth->h_source, ETH_ALEN);
	__u32 peer_ip = ip->saddr;

	int delta = OE_ORDER_FRAME_LEN - (int)((long)end - (long)data);
	if (bpf_xdp_adjust_tail(ctx, delta))
		goto bad;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	udp = (void *)(ip + 1);
	__u8 *out = (__u8 *)(udp + 1);
	if ((void *)(out + OE_BOUNCE_PAYLOAD_LEN) > end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, peer_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, c->local_mac, ETH_ALEN);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(20 + 8 + OE_BOUNCE_PAYLOAD_LEN);
	ip->frag_off = bpf_htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->saddr = c->local_ip;
	ip->daddr = peer_ip;
	ip->check = 0;
	__u32 sum = 0;
	const __u16 *w = (const __u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
	udp->source = c->md_port;
	udp->dest = c->bounce_port;
	udp->len = bpf_htons(8 + OE_BOUNCE_PAYLOAD_LEN);
	udp->check = 0;
	__builtin_memset(out, 0, OE_BOUNCE_PAYLOAD_LEN);
	__builtin_memcpy(out, &seq, sizeof(seq)); /* x86 and BPF on x86: little-endian */
	return XDP_TX;
bad:
	count(OE_STAT_BAD_SEQ);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
