// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: the least the guest can do between RX and TX. Every MD datagram (UDP to
 * cfg.group:cfg.md_port) is turned, in place in its RX buffer, into a UDP reply of exactly an
 * order's frame size (67 bytes) and sent back out of the same NIC with XDP_TX:
 *   Ethernet: dst = the MD frame's source MAC, src = cfg.local_mac
 *   IPv4:     cfg.local_ip -> the MD source (the exchange), TTL 64, fresh header checksum
 *   UDP:      cfg.md_port -> cfg.bounce_port, checksum 0 (allowed for IPv4)
 *   payload:  u64 little-endian MD sequence number (the row's local_timestamp), 17 zero bytes
 * Every incremental MD packet is bounced (not only triggers): deciding "trigger" needs the book,
 * which is the strategy's work, not the floor's; the exchange runs with --bounce-all and matches by
 * sequence. Snapshot rows (is_snapshot "true") are not bounced: no strategy can trade on them and
 * the exchange accepts orders only once the snapshot is over (TRANSMIT).
 * Everything that is not MD is XDP_PASS (the order-entry TCP session stays with the kernel).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lab_maps.bpf.h"

/* The sequence is the 4th CSV field, within the payload's first SCAN_MAX bytes, at most 20 digits. */
#define SEQ_DIGITS_MAX 20


/*
 * The MD sequence number: the digits of the 4th CSV field, scanned in place. The scan's state lives
 * in a per-CPU map value, not in registers: the verifier does not track map memory, so every path
 * through an iteration reaches the next one in the same abstract state and is pruned (with the state
 * in registers, each (commas, digits) combination is a separate state and the walk exceeds the
 * 1M-instruction limit; a bpf_loop() callback fares no better on kernels that iterate callbacks).
 */
#define SCAN_MAX 128

struct scan {
	__u64 commas, digits, v, bad, snapshot;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scan);
} scratch SEC(".maps");

static __always_inline int parse_seq(const __u8 *p, const void *end, __u64 *seq, int *snapshot)
{
	__u32 zero = 0;
	volatile struct scan *s = bpf_map_lookup_elem(&scratch, &zero); /* volatile: never cached in registers */
	if (!s)
		return -1;
	s->commas = s->digits = s->v = s->bad = s->snapshot = 0;
	for (int i = 0; i < SCAN_MAX; i++) {
		if ((const void *)(p + i + 1) > end)
			break;
		__u8 ch = p[i];
		if (ch == ',') {
			if (++s->commas == 4) { /* is_snapshot follows: "true" or "false" */
				if ((const void *)(p + i + 2) <= end)
					s->snapshot = p[i + 1] == 't';
				break;
			}
			continue;
		}
		if (s->commas != 3)
			continue;
		if (ch < '0' || ch > '9') {
			s->bad = 1;
			break;
		}
		s->v = s->v * 10 + (ch - '0');
		s->digits++;
	}
	if (s->commas < 4 || !s->digits || s->digits > SEQ_DIGITS_MAX || s->bad)
		return -1;
	*seq = s->v;
	*snapshot = (int)s->snapshot;
	return 0;
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

	__u64 seq = 0;
	int snapshot = 0;
	if (parse_seq((const __u8 *)(udp + 1), end, &seq, &snapshot))
		goto bad;
	if (snapshot) { /* no strategy trades on the snapshot: the exchange takes orders only after it */
		count(OE_STAT_SNAPSHOT);
		return XDP_PASS;
	}

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
