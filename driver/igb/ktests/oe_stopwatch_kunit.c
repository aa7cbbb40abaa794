// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "igb_oe_stopwatch": what the stopwatch stamps (driver/igb/oe_stopwatch.h: the MD
 * sequence number, market-data frames, frames that carry an order) and when anything is stamped at
 * all (driver/igb/oe_igb.h: the irq / NAPI stamps and the TX tail write cost nothing on an adapter
 * without an armed session or stopwatch; an interrupt landing as a poll starts cannot start that
 * poll's stopwatch after the poll; an skb's headers are found in its fragments). Built into oe_kunit.ko with -I driver/igb -I build/igb.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include "igb.h"
#include "oe_stopwatch.h"

/* oe_stamp_key: igb_oe.ko defines it in oe_stamp.c; in oe_kunit.ko ktests/oe_tx_kunit.c does */

#define GROUP	htonl(0xefff0001)	/* 239.255.0.1 */
#define MDPORT	htons(12345)
#define GUEST	htonl(0xc0a86402)	/* 192.168.100.2 */
#define EXCH	htonl(0xc0a86401)	/* 192.168.100.1 */

static struct oe_sw_filter oe_test_sw;

static const char oe_test_row[] =
	"bitmex,XBTUSD,1700000000005275,1700000000006161,false,ask,60000,71783681";

/* Ethernet + IPv4 + UDP or TCP (doff 5) + payload of plen bytes (copied from payload) */
static unsigned int oe_test_frame(u8 *b, u8 proto, __be32 saddr, __be32 daddr, __be16 dport,
				  const void *payload, unsigned int plen)
{
	struct ethhdr *eth = (void *)b;
	struct iphdr *iph = (void *)(eth + 1);
	unsigned int l4 = proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);

	memset(b, 0, ETH_HLEN + sizeof(*iph) + l4);
	eth->h_proto = htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->tot_len = htons(sizeof(*iph) + l4 + plen);
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(iph + 1);

		uh->source = htons(12345);
		uh->dest = dport;
		uh->len = htons(sizeof(*uh) + plen);
	} else {
		struct tcphdr *th = (void *)(iph + 1);

		th->source = htons(50000);
		th->dest = dport;
		th->seq = htonl(0xfffffff0);
		th->doff = 5;
	}
	memcpy(b + ETH_HLEN + sizeof(*iph) + l4, payload, plen);
	return ETH_HLEN + sizeof(*iph) + l4 + plen;
}

/* what "arm md=239.255.0.1:12345 exchange=192.168.100.1 tcp=9012 udp=9013" sets up */
static int oe_sw_test_init(struct kunit *test)
{
	oe_sw_filter_init(&oe_test_sw, GROUP, MDPORT, 0, EXCH, htons(9012), htons(9013));
	return 0;
}

static void oe_sw_seq_parse(struct kunit *test)
{
	static const char snap[] = "bitmex,XBTUSD,1700000000000000,42,true,bid,59999.5,1000";

	KUNIT_EXPECT_EQ(test, oe_sw_md_seq(oe_test_row, strlen(oe_test_row)), 1700000000006161ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq(snap, strlen(snap)), 42ULL);
	/* the field must end with a comma inside the payload, digits only, at most 19 of them */
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq(oe_test_row, 47), 0ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq("a,b,c,12x4,e", 12), 0ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq("a,b,c", 5), 0ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq("a,b,c,12345678901234567890,e", 28), 0ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq("a,b,c,1234567890123456789,e", 27),
			1234567890123456789ULL);
	KUNIT_EXPECT_EQ(test, oe_sw_md_seq("", 0), 0ULL);
}

static void oe_sw_md_frames(struct kunit *test)
{
	u8 b[160];
	unsigned int n;
	u64 seq = 0;

	n = oe_test_frame(b, IPPROTO_UDP, EXCH, GROUP, MDPORT, oe_test_row, strlen(oe_test_row));
	KUNIT_EXPECT_TRUE(test, oe_sw_md_frame(&oe_test_sw, b, n, &seq));
	KUNIT_EXPECT_EQ(test, seq, 1700000000006161ULL);
	/* another port, another group, a TCP segment, a truncated frame: not market data */
	n = oe_test_frame(b, IPPROTO_UDP, EXCH, GROUP, htons(12346), oe_test_row, 20);
	KUNIT_EXPECT_FALSE(test, oe_sw_md_frame(&oe_test_sw, b, n, &seq));
	/* MD from another source than the exchange's is not the feed (the hook's rule too) */
	n = oe_test_frame(b, IPPROTO_UDP, GUEST, GROUP, MDPORT, oe_test_row, strlen(oe_test_row));
	KUNIT_EXPECT_FALSE(test, oe_sw_md_frame(&oe_test_sw, b, n, &seq));
	n = oe_test_frame(b, IPPROTO_UDP, EXCH, htonl(0xefff0002), MDPORT, oe_test_row, 20);
	KUNIT_EXPECT_FALSE(test, oe_sw_md_frame(&oe_test_sw, b, n, &seq));
	n = oe_test_frame(b, IPPROTO_TCP, EXCH, GROUP, MDPORT, oe_test_row, 20);
	KUNIT_EXPECT_FALSE(test, oe_sw_md_frame(&oe_test_sw, b, n, &seq));
	n = oe_test_frame(b, IPPROTO_UDP, EXCH, GROUP, MDPORT, oe_test_row, 20);
	KUNIT_EXPECT_FALSE(test, oe_sw_md_frame(&oe_test_sw, b, 40, &seq));
}

static void oe_sw_order_frames(struct kunit *test)
{
	static const u8 order[13] = { 1, 0, 0, 0, 0x80, 0x50, 0xd9, 0xfe, 0x74, 0x05, 0, 0, 'B' };
	struct oe_sw_filter tcp_only = oe_test_sw;
	u8 bounce[25] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08 };
	struct oe_sw_rec r = {};
	unsigned int n;
	u8 b[160];

	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(9012), order, sizeof(order));
	KUNIT_ASSERT_TRUE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));
	KUNIT_EXPECT_EQ(test, r.type, (u8)OE_SW_TX_TCP);
	KUNIT_EXPECT_EQ(test, r.id, 0xfffffff0ULL);
	KUNIT_EXPECT_EQ(test, r.len, (u16)13);
	KUNIT_EXPECT_EQ(test, r.port, (u16)50000);
	/* headers only in the linear part (payload in fragments, e.g. SEND_ZC): still an order */
	KUNIT_EXPECT_TRUE(test, oe_sw_order_frame(&oe_test_sw, b, n - sizeof(order), &r));
	/* SYN / ACK / FIN: no payload */
	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(9012), order, 0);
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));
	/* another destination or port */
	n = oe_test_frame(b, IPPROTO_TCP, GUEST, GUEST, htons(9012), order, sizeof(order));
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));
	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(22), order, sizeof(order));
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));

	/* the floor's bounce: its first 8 payload bytes are the MD seq, little-endian */
	n = oe_test_frame(b, IPPROTO_UDP, GUEST, EXCH, htons(9013), bounce, sizeof(bounce));
	KUNIT_ASSERT_TRUE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));
	KUNIT_EXPECT_EQ(test, r.type, (u8)OE_SW_TX_UDP);
	KUNIT_EXPECT_EQ(test, r.id, 0x0877665544332211ULL);
	KUNIT_EXPECT_EQ(test, r.len, (u16)sizeof(bounce));
	n = oe_test_frame(b, IPPROTO_UDP, GUEST, EXCH, htons(9013), bounce, 7);
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, b, n, &r));
	tcp_only.udp_port = 0;
	n = oe_test_frame(b, IPPROTO_UDP, GUEST, EXCH, htons(9013), bounce, sizeof(bounce));
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&tcp_only, b, n, &r));
	/* runt */
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, b, 30, &r));
}

struct oe_test_nic {
	struct igb_adapter *adapter;
	struct igb_q_vector *q;
	struct igb_ring *ring;
	u32 tail;
};

static void oe_test_nic_init(struct kunit *test, struct oe_test_nic *nic)
{
	nic->adapter = kunit_kzalloc(test, sizeof(*nic->adapter), GFP_KERNEL);
	nic->q = kunit_kzalloc(test, struct_size(nic->q, ring, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, nic->adapter);
	KUNIT_ASSERT_NOT_NULL(test, nic->q);
	nic->q->adapter = nic->adapter;
	nic->ring = &nic->q->ring[0];
	nic->ring->q_vector = nic->q;
	/* a memory word stands in for the tail register */
	nic->ring->tail = (u8 __iomem __force *)&nic->tail;
}

/*
 * Issue 15: igb_msix_ring and igb_poll read the clock on every interrupt and poll of every igb_oe
 * adapter. Now nothing is stamped unless the static key is on AND this adapter stamps.
 */
static void oe_sw_stamps_gated(struct kunit *test)
{
	struct oe_test_nic nic;

	oe_test_nic_init(test, &nic);
	KUNIT_ASSERT_FALSE(test, static_key_enabled(&oe_stamp_key));

	/* key off: an adapter without a session or stopwatch pays nothing */
	oe_igb_irq_stamp(nic.q);
	oe_igb_napi_stamp(nic.q);
	KUNIT_EXPECT_EQ(test, nic.q->oe_irq_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, nic.q->oe_napi_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, oe_igb_tx_tail(nic.ring, 17, NULL, 0, OE_SW_TX_SKB), 0ULL);
	KUNIT_EXPECT_EQ(test, nic.tail, 17U);

	/* key on (another adapter stamps), this one does not: still nothing */
	static_branch_enable(&oe_stamp_key);
	oe_igb_irq_stamp(nic.q);
	oe_igb_napi_stamp(nic.q);
	KUNIT_EXPECT_EQ(test, nic.q->oe_irq_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, nic.q->oe_napi_ns, 0ULL);

	/* this adapter's session is armed: the interrupt's stamp becomes the poll's */
	nic.adapter->oe_stamp = OE_STAMP_SESSION;
	oe_igb_irq_stamp(nic.q);
	KUNIT_EXPECT_NE(test, nic.q->oe_irq_ns, 0ULL);
	oe_igb_napi_stamp(nic.q);
	KUNIT_EXPECT_NE(test, nic.q->oe_poll_irq_ns, 0ULL);
	KUNIT_EXPECT_GE(test, nic.q->oe_napi_ns, nic.q->oe_poll_irq_ns);
	KUNIT_EXPECT_EQ(test, nic.q->oe_irq_ns, 0ULL);
	/* a poll no interrupt started (busy poll, re-poll) has no irq stamp */
	oe_igb_napi_stamp(nic.q);
	KUNIT_EXPECT_EQ(test, nic.q->oe_poll_irq_ns, 0ULL);
	/* a session alone does not turn the stopwatch's TX stamps on */
	KUNIT_EXPECT_EQ(test, oe_igb_tx_tail(nic.ring, 18, NULL, 0, OE_SW_TX_SKB), 0ULL);
	KUNIT_EXPECT_EQ(test, nic.tail, 18U);
	static_branch_disable(&oe_stamp_key);
}

/* An skb laid out like AF_PACKET's PACKET_TX_RING builds it (tpacket_snd): the Ethernet header
 * in the linear part, the rest of the frame in a page fragment.
 */
static struct sk_buff *oe_test_frag_skb(struct kunit *test, const u8 *frame, unsigned int n)
{
	struct sk_buff *skb = alloc_skb(ETH_HLEN, GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_NOT_NULL(test, page);
	skb_put_data(skb, frame, ETH_HLEN);
	memcpy(page_address(page), frame + ETH_HLEN, n - ETH_HLEN);
	skb_fill_page_desc(skb, 0, page, 0, n - ETH_HLEN);
	skb->len += n - ETH_HLEN;
	skb->data_len += n - ETH_HLEN;
	skb->truesize += PAGE_SIZE;
	return skb;
}

/*
 * Issue 10: packet-busy (AF_PACKET, PACKET_TX_RING) had no guest sample in bench-lab (0 of 58):
 * igb_tx_map handed the stopwatch skb->data with skb_headlen() = 14 bytes, no IP header, so none
 * of its orders was stamped. oe_sw_order_skb reads the headers from the fragment.
 */
static void oe_sw_order_skb_frags(struct kunit *test)
{
	static const u8 order[13] = { 1, 0, 0, 0, 0x80, 0x50, 0xd9, 0xfe, 0x74, 0x05, 0, 0, 'B' };
	u8 bounce[25] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08 };
	struct oe_sw_rec r = {};
	struct sk_buff *skb;
	unsigned int n;
	u8 b[160];

	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(9012), order, sizeof(order));
	skb = oe_test_frag_skb(test, b, n);
	KUNIT_EXPECT_EQ(test, skb_headlen(skb), (unsigned int)ETH_HLEN);
	/* the linear part alone: not even an IP header (what the skb path used to look at) */
	KUNIT_EXPECT_FALSE(test, oe_sw_order_frame(&oe_test_sw, skb->data, skb_headlen(skb), &r));
	KUNIT_ASSERT_TRUE(test, oe_sw_order_skb(&oe_test_sw, skb, &r));
	KUNIT_EXPECT_EQ(test, r.type, (u8)OE_SW_TX_TCP);
	KUNIT_EXPECT_EQ(test, r.id, 0xfffffff0ULL);
	KUNIT_EXPECT_EQ(test, r.len, (u16)13);
	KUNIT_EXPECT_EQ(test, r.port, (u16)50000);
	kfree_skb(skb);

	/* a pure ACK in fragments is still no order */
	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(9012), order, 0);
	skb = oe_test_frag_skb(test, b, n);
	KUNIT_EXPECT_FALSE(test, oe_sw_order_skb(&oe_test_sw, skb, &r));
	kfree_skb(skb);

	n = oe_test_frame(b, IPPROTO_UDP, GUEST, EXCH, htons(9013), bounce, sizeof(bounce));
	skb = oe_test_frag_skb(test, b, n);
	KUNIT_ASSERT_TRUE(test, oe_sw_order_skb(&oe_test_sw, skb, &r));
	KUNIT_EXPECT_EQ(test, r.id, 0x0877665544332211ULL);
	kfree_skb(skb);

	/* a linear skb (sockets, AF_PACKET send()) as before; a runt skb is no order */
	n = oe_test_frame(b, IPPROTO_TCP, GUEST, EXCH, htons(9012), order, sizeof(order));
	skb = alloc_skb(n, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, b, n);
	KUNIT_EXPECT_TRUE(test, oe_sw_order_skb(&oe_test_sw, skb, &r));
	skb_trim(skb, 30);
	KUNIT_EXPECT_FALSE(test, oe_sw_order_skb(&oe_test_sw, skb, &r));
	kfree_skb(skb);
}

/* the poll's clock read, during which an MSI-X for this vector lands and stamps itself */
static struct igb_q_vector *oe_test_race_q;

static u64 oe_test_clock_irq_lands(void)
{
	WRITE_ONCE(oe_test_race_q->oe_irq_ns, 2001);
	return 2000;
}

/*
 * Issue 10: the floor lost 2 of 13,690 samples in one bench-lab run: both records of one poll had
 * irq 275793503849 > NAPI 275792792555 (the join rejects such a record). igb_poll read the clock,
 * then took the interrupt stamp, so an MSI-X landing in between started the poll's stopwatch
 * ~0.7 ms after the poll (a descheduled vCPU under TCG) and was lost for the next poll.
 */
static void oe_sw_napi_stamp_irq_race(struct kunit *test)
{
	struct oe_test_nic nic;

	oe_test_nic_init(test, &nic);
	oe_test_race_q = nic.q;

	nic.q->oe_irq_ns = 1000;	/* the MSI-X that scheduled this poll */
	__oe_igb_napi_stamp(nic.q, oe_test_clock_irq_lands);
	KUNIT_EXPECT_EQ(test, nic.q->oe_napi_ns, 2000ULL);
	KUNIT_EXPECT_EQ(test, nic.q->oe_poll_irq_ns, 1000ULL);
	KUNIT_EXPECT_LE(test, nic.q->oe_poll_irq_ns, nic.q->oe_napi_ns);
	/* the late interrupt starts the next poll's stopwatch */
	KUNIT_EXPECT_EQ(test, nic.q->oe_irq_ns, 2001ULL);

	/* a poll no interrupt started (busy poll) stays a poll when one lands as it starts */
	nic.q->oe_irq_ns = 0;
	__oe_igb_napi_stamp(nic.q, oe_test_clock_irq_lands);
	KUNIT_EXPECT_EQ(test, nic.q->oe_poll_irq_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, nic.q->oe_irq_ns, 2001ULL);
}

static struct kunit_case oe_sw_cases[] = {
	KUNIT_CASE(oe_sw_seq_parse),
	KUNIT_CASE(oe_sw_md_frames),
	KUNIT_CASE(oe_sw_order_frames),
	KUNIT_CASE(oe_sw_stamps_gated),
	KUNIT_CASE(oe_sw_order_skb_frags),
	KUNIT_CASE(oe_sw_napi_stamp_irq_race),
	{}
};

static struct kunit_suite oe_sw_suite = {
	.name = "igb_oe_stopwatch",
	.init = oe_sw_test_init,
	.test_cases = oe_sw_cases,
};

kunit_test_suite(oe_sw_suite);
