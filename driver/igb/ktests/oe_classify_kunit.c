// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "igb_oe_classify": the RX classifier of driver/igb/oe_classify.h on crafted frames
 * (market data, order-entry TCP, and every malformed or foreign shape that must take igb's normal
 * path). Plain C, no driver state; built into oe_kunit.ko with -I driver/igb.
 */
#include <kunit/test.h>
#include <linux/etherdevice.h>
#include <linux/string.h>
#include <net/checksum.h>
#include "oe_classify.h"

#define GROUP	htonl(0xefff0001)	/* 239.255.0.1 */
#define MDPORT	htons(12345)
#define LOCAL	htonl(0xc0a86402)	/* 192.168.100.2 */
#define REMOTE	htonl(0xc0a86401)	/* 192.168.100.1 */
#define LPORT	htons(50000)
#define RPORT	htons(9012)

static const struct oe_rx_filter oe_test_filter = {
	.md_group = GROUP,
	.md_port = MDPORT,
	.md_source = REMOTE,
	.tcp_armed = true,
	.tcp_local_ip = LOCAL,
	.tcp_remote_ip = REMOTE,
	.tcp_local_port = LPORT,
	.tcp_remote_port = RPORT,
};

struct oe_test_frame {
	u8 b[128];
	unsigned int size;
};

/* Ethernet + IPv4 (ihl words) + UDP/TCP header + payload; returns the IPv4 header */
static struct iphdr *oe_test_build(struct oe_test_frame *fr, u8 proto, unsigned int ihl,
				   __be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
				   const char *payload)
{
	unsigned int plen = strlen(payload);
	unsigned int l4 = proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);
	struct ethhdr *eth = (struct ethhdr *)fr->b;
	struct iphdr *iph = (struct iphdr *)(fr->b + ETH_HLEN);
	u8 *l4h = (u8 *)iph + ihl * 4;

	memset(fr, 0, sizeof(*fr));
	eth->h_proto = htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = ihl;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->tot_len = htons(ihl * 4 + l4 + plen);
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4h;

		uh->source = sport;
		uh->dest = dport;
		uh->len = htons(l4 + plen);
	} else {
		struct tcphdr *th = (struct tcphdr *)l4h;

		th->source = sport;
		th->dest = dport;
		th->doff = 5;
	}
	memcpy(l4h + l4, payload, plen);
	fr->size = max_t(unsigned int, ETH_HLEN + ihl * 4 + l4 + plen, 60); /* padded like the wire */
	return iph;
}

static enum oe_rx_class oe_test_classify(struct oe_test_frame *fr, const void **l4, u16 *len)
{
	return oe_rx_classify(&oe_test_filter, fr->b, fr->size, l4, len);
}

static void oe_classify_md(struct kunit *test)
{
	struct oe_test_frame fr;
	const void *l4 = NULL;
	u16 len = 0;

	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "x,BTC,1,2,false,bid,100,1");
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, len, 25);
	KUNIT_EXPECT_PTR_EQ(test, l4, (const void *)(fr.b + ETH_HLEN + 20 + 8));
	KUNIT_EXPECT_EQ(test, memcmp(l4, "x,BTC", 5), 0);

	/* IP options move the payload */
	oe_test_build(&fr, IPPROTO_UDP, 6, REMOTE, GROUP, htons(40000), MDPORT, "abc");
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, len, 3);
	KUNIT_EXPECT_PTR_EQ(test, l4, (const void *)(fr.b + ETH_HLEN + 24 + 8));

	/* an empty datagram is still market data (the core counts it as short) */
	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "");
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, len, 0);
}

static void oe_classify_md_foreign(struct kunit *test)
{
	struct oe_test_frame fr;
	struct iphdr *iph;
	const void *l4;
	u16 len;

	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, htonl(0xefff0002), htons(40000), MDPORT, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS); /* other group */
	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), htons(12346), "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS); /* other port */
	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, LOCAL, htons(40000), MDPORT, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS); /* unicast */
	oe_test_build(&fr, IPPROTO_ICMP, 5, REMOTE, GROUP, 0, 0, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);

	iph = oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "a");
	((struct ethhdr *)fr.b)->h_proto = htons(ETH_P_8021Q);
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS); /* VLAN tagged */
	((struct ethhdr *)fr.b)->h_proto = htons(ETH_P_IP);
	iph->version = 6;
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
}

static void oe_classify_malformed(struct kunit *test)
{
	struct oe_test_frame fr;
	struct udphdr *uh;
	struct iphdr *iph;
	const void *l4;
	u16 len;

	iph = oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "payload");
	uh = (struct udphdr *)(iph + 1);

	iph->ihl = 4;
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->ihl = 15; /* options past tot_len */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->ihl = 5;

	iph->frag_off = htons(IP_MF);
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->frag_off = htons(8);
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->frag_off = htons(IP_DF);
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);

	iph->tot_len = htons(fr.size - ETH_HLEN + 1); /* longer than the frame */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->tot_len = htons(20 + 4); /* UDP header cut */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	iph->tot_len = htons(20 + 8 + 7);

	uh->len = htons(8 + 8); /* UDP length past the IP payload */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	uh->len = htons(7);
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	uh->len = htons(8 + 3); /* shorter than the IP payload: trust UDP */
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, len, 3);

	fr.size = ETH_HLEN + 20 + 7; /* runt */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
}

static void oe_classify_tcp(struct kunit *test)
{
	struct oe_rx_filter unarmed = oe_test_filter;
	struct oe_test_frame fr;
	struct iphdr *iph;
	const void *l4;
	u16 len;

	iph = oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, RPORT, LPORT, "");
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_TCP);
	KUNIT_EXPECT_PTR_EQ(test, l4, (const void *)iph);
	KUNIT_EXPECT_EQ(test, len, 40); /* tot_len, not the padded frame */

	oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, RPORT, LPORT, "order-ack");
	KUNIT_ASSERT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_TCP);
	KUNIT_EXPECT_EQ(test, len, 49);

	unarmed.tcp_armed = false;
	KUNIT_EXPECT_EQ(test, oe_rx_classify(&unarmed, fr.b, fr.size, &l4, &len), OE_RX_PASS);

	oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, htons(22), LPORT, "");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, RPORT, htons(50001), "");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	oe_test_build(&fr, IPPROTO_TCP, 5, htonl(0xc0a86409), LOCAL, RPORT, LPORT, "");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
	oe_test_build(&fr, IPPROTO_TCP, 5, LOCAL, REMOTE, LPORT, RPORT, "");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS); /* our own direction */

	iph = oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, RPORT, LPORT, "");
	iph->tot_len = htons(20 + 12); /* TCP header cut */
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_PASS);
}

/* MD group:port from anyone but the exchange: igb's path, reported as foreign */
static void oe_classify_md_source(struct kunit *test)
{
	struct oe_test_frame fr;
	const void *l4;
	u16 len;

	oe_test_build(&fr, IPPROTO_UDP, 5, htonl(0xc0a86409), GROUP, htons(40000), MDPORT, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD_FOREIGN);
	oe_test_build(&fr, IPPROTO_UDP, 5, LOCAL, GROUP, htons(40000), MDPORT, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD_FOREIGN);
	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "a");
	KUNIT_EXPECT_EQ(test, oe_test_classify(&fr, &l4, &len), OE_RX_MD);
}

/* valid IPv4 and UDP/TCP checksums, as a sender computes them */
static void oe_test_checksum(struct iphdr *iph)
{
	unsigned int ihl = iph->ihl * 4, l4len;
	void *l4 = (u8 *)iph + ihl;
	__sum16 *check;

	if (iph->protocol == IPPROTO_UDP) {
		check = &((struct udphdr *)l4)->check;
		l4len = ntohs(((struct udphdr *)l4)->len);
	} else {
		check = &((struct tcphdr *)l4)->check;
		l4len = ntohs(iph->tot_len) - ihl;
	}
	*check = 0;
	*check = csum_tcpudp_magic(iph->saddr, iph->daddr, l4len, iph->protocol,
				   csum_partial(l4, l4len, 0));
	if (!*check)
		*check = CSUM_MANGLED_0;
	ip_send_check(iph);
}

#define EOP	E1000_RXD_STAT_EOP
#define HW_UDP	(E1000_RXD_STAT_EOP | OE_RXD_STAT_IPCS | E1000_RXD_STAT_UDPCS)
#define HW_TCP	(E1000_RXD_STAT_EOP | OE_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS)

static enum oe_rx_class oe_test_desc(struct oe_test_frame *fr, u32 staterr, bool rxcsum,
				     enum oe_rx_note *note)
{
	const void *l4;
	u16 len;

	return oe_rx_desc_classify(&oe_test_filter, staterr, rxcsum, fr->b, fr->size, &l4, &len,
				   note);
}

/* the descriptor: EOP, frame errors, VP (VLAN stripped into the descriptor) */
static void oe_classify_desc_status(struct kunit *test)
{
	struct oe_test_frame fr;
	enum oe_rx_note note;

	oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "x,BTC,1");
	/* checksums deliberately wrong: the NIC said it verified them, that is trusted */
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP, true, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_NONE);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXD_STAT_VP, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_VLAN);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP & ~EOP, true, &note), OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXDEXT_STATERR_RXE, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXDEXT_STATERR_CE, true, &note),
			OE_RX_PASS);
	/* a foreign source never reaches the checksum stage */
	oe_test_build(&fr, IPPROTO_UDP, 5, LOCAL, GROUP, htons(40000), MDPORT, "x");
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP, true, &note), OE_RX_MD_FOREIGN);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_FOREIGN_SRC);
}

/* checksum bits read like igb_rx_checksum: errors -> stack; no verdict -> verified in software */
static void oe_classify_desc_checksum(struct kunit *test)
{
	struct oe_test_frame fr;
	enum oe_rx_note note;
	struct iphdr *iph;
	struct udphdr *uh;

	iph = oe_test_build(&fr, IPPROTO_UDP, 5, REMOTE, GROUP, htons(40000), MDPORT, "x,BTC,1");
	uh = (struct udphdr *)(iph + 1);
	/* NIC errors: never the core, even if the frame looks fine */
	oe_test_checksum(iph);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXDEXT_STATERR_TCPE, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_BAD);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXDEXT_STATERR_IPE, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_BAD);

	/* no verdict (IXSM, RXCSUM off, or the calculated bits missing): good sums pass ... */
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXD_STAT_IXSM, true, &note),
			OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP, false, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP | OE_RXD_STAT_IPCS, true, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP | E1000_RXD_STAT_UDPCS, true, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);
	/* TCPCS does not vouch for a UDP datagram */
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_TCP, true, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);

	/* ... bad ones go to the stack: a flipped payload byte, then a broken IP header */
	fr.b[ETH_HLEN + 20 + 8] ^= 1;
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP, true, &note), OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_BAD);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP | E1000_RXD_STAT_IXSM, true, &note),
			OE_RX_PASS);
	fr.b[ETH_HLEN + 20 + 8] ^= 1;
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP, true, &note), OE_RX_MD);
	iph->ttl--;
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP, true, &note), OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_BAD);
	/* UDP checksum 0 = none (IPv4): only the header is checked */
	ip_send_check(iph);
	uh->check = 0;
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, EOP, true, &note), OE_RX_MD);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);

	/* TCP the same way */
	iph = oe_test_build(&fr, IPPROTO_TCP, 5, REMOTE, LOCAL, RPORT, LPORT, "order-ack");
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_TCP, true, &note), OE_RX_TCP);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_NONE);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP, true, &note), OE_RX_PASS); /* sum wrong */
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_BAD);
	oe_test_checksum(iph);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_UDP, true, &note), OE_RX_TCP);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_CSUM_SW);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_TCP | E1000_RXDEXT_STATERR_TCPE, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, oe_test_desc(&fr, HW_TCP | E1000_RXD_STAT_VP, true, &note),
			OE_RX_PASS);
	KUNIT_EXPECT_EQ(test, note, OE_NOTE_VLAN);
}

static struct kunit_case oe_classify_cases[] = {
	KUNIT_CASE(oe_classify_md),
	KUNIT_CASE(oe_classify_md_foreign),
	KUNIT_CASE(oe_classify_malformed),
	KUNIT_CASE(oe_classify_tcp),
	KUNIT_CASE(oe_classify_md_source),
	KUNIT_CASE(oe_classify_desc_status),
	KUNIT_CASE(oe_classify_desc_checksum),
	{}
};

static struct kunit_suite oe_classify_suite = {
	.name = "igb_oe_classify",
	.test_cases = oe_classify_cases,
};

kunit_test_suite(oe_classify_suite);
