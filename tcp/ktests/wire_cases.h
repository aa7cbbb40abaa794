/* SPDX-License-Identifier: GPL-2.0 */
/* tcp_wire: checksum vectors, the order template against a frame built from scratch, parsing. */
#pragma once /* included once, by tcp_ktests.cpp */
#include "oe/ktest.h"
#include "script_port.h"


namespace {

Endpoints test_endpoints()
{
	Endpoints ep{};
	const u8 lm[6] = { 0x02, 0, 0, 0, 0, 0x02 }, rm[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	copy(ep.local_mac, lm, 6);
	copy(ep.remote_mac, rm, 6);
	ep.local_ip = kClientIp, ep.remote_ip = kPeerIp;
	ep.local_port = 50123, ep.remote_port = kPeerPort;
	ep.tos = 0x10, ep.ttl = 64;
	return ep;
}

u32 lcg(u32 &x) { return x = x * 1664525u + 1013904223u; }

u8 g_a[1600], g_b[1600];

} // namespace

/* RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 -> checksum 220d. */
OE_KTEST(checksum_rfc1071_vector)
{
	const u8 d[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	OE_EXPECT_EQ(r, csum_fold(csum_add_bytes(0, d, 8)), 0xddf2);
	OE_EXPECT_EQ(r, internet_checksum(d, 8), 0x220d);
}

/* A real IPv4 header (checksum b861): summing it including the checksum gives 0. */
OE_KTEST(checksum_ipv4_header_vector)
{
	u8 h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		     0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	OE_EXPECT_EQ(r, internet_checksum(h, 20), 0xb861);
	put_be16(h + 10, 0xb861);
	OE_EXPECT_EQ(r, internet_checksum(h, 20), 0);
}

OE_KTEST(checksum_odd_length_pads_zero)
{
	const u8 d[3] = { 0x12, 0x34, 0x56 };
	OE_EXPECT_EQ(r, csum_fold(csum_add_bytes(0, d, 3)), 0x1234 + 0x5600);
}

/* The fold handles long carries: 0xffff words summed many times. */
OE_KTEST(checksum_fold_carries)
{
	u64 s = 0;
	for (int i = 0; i < 100000; i++)
		s += 0xffff;
	OE_EXPECT_EQ(r, csum_fold(s), 0xffff);
	OE_EXPECT_EQ(r, csum_fold(0x1fffeULL), 0xffff);
	OE_EXPECT_EQ(r, csum_fold(0), 0);
}

/* The core promise of the fire path: patching the template gives byte-for-byte the frame that
 * build_segment() makes from scratch, for any seq/ack/id/payload (odd lengths, wraps, short frames). */
OE_KTEST(template_patch_equals_scratch)
{
	const Endpoints ep = test_endpoints();
	OrderTemplate t;
	build_order_template(t, ep, 65535);
	u8 payload[200];
	u32 x = 7;
	for (int i = 0; i < 2000; i++) {
		const u32 seq = lcg(x), ack = lcg(x);
		const u16 id = u16(lcg(x));
		const u16 len = u16(1 + lcg(x) % 200);
		for (u16 j = 0; j < len; j++)
			payload[j] = u8(lcg(x) >> 24);
		copy(g_a, t.frame, kHdrLen);
		const u16 la = patch_order(g_a, t, seq, ack, id, payload, len);
		SegmentOut s{};
		s.seq = seq, s.ack = ack, s.window = 65535, s.ip_id = id, s.flags = PSH | ACK;
		s.payload = payload, s.payload_len = len;
		const u16 lb = build_segment(g_b, sizeof(g_b), ep, s);
		OE_EXPECT_EQ(r, la, lb);
		OE_EXPECT_EQ(r, __builtin_memcmp(g_a, g_b, la), 0);
	}
}

/* A buffer that held an earlier order is patched in place (only the variable fields change). */
OE_KTEST(template_repatch_over_previous_order)
{
	const Endpoints ep = test_endpoints();
	OrderTemplate t;
	build_order_template(t, ep, 4000);
	const u8 o1[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 }, o2[13] = { 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'S' };
	copy(g_a, t.frame, kHdrLen);
	patch_order(g_a, t, 0xfffffff0, 0x10, 0xffff, o1, 13);
	const u16 la = patch_order(g_a, t, 0xfffffffd, 0x11, 0, o2, 13);
	SegmentOut s{};
	s.seq = 0xfffffffd, s.ack = 0x11, s.window = 4000, s.ip_id = 0, s.flags = PSH | ACK, s.payload = o2, s.payload_len = 13;
	const u16 lb = build_segment(g_b, sizeof(g_b), ep, s);
	OE_EXPECT_EQ(r, la, lb);
	OE_EXPECT_EQ(r, __builtin_memcmp(g_a, g_b, la), 0);
}

OE_KTEST(built_frame_has_df_ttl_tos_and_valid_checksums)
{
	const Endpoints ep = test_endpoints();
	SegmentOut s{};
	s.seq = 1, s.ack = 2, s.window = 100, s.ip_id = 0x1234, s.flags = SYN, s.mss_option = 1460;
	const u16 n = build_segment(g_a, sizeof(g_a), ep, s);
	OE_EXPECT_EQ(r, n, kMinFrame);
	const u8 *ip = g_a + kOffIp;
	OE_EXPECT_EQ(r, get_be16(g_a + 12), kEtherTypeIpv4);
	OE_EXPECT_EQ(r, get_be16(ip + kIpFrag), kIpDontFragment);
	OE_EXPECT_EQ(r, ip[kIpTtl], 64);
	OE_EXPECT_EQ(r, ip[1], 0x10);
	OE_EXPECT_EQ(r, get_be16(ip + kIpId), 0x1234);
	OE_EXPECT_EQ(r, internet_checksum(ip, kIpLen), 0);
	SegmentIn in;
	OE_EXPECT(r, parse_segment(ip, u16(n - kOffIp), in) == ParseError::None);
	OE_EXPECT_EQ(r, in.mss, 1460);
	OE_EXPECT_EQ(r, in.flags, SYN);
	OE_EXPECT_EQ(r, in.src_port, 50123);
	OE_EXPECT_EQ(r, g_a[58], 0); /* padding to 60 bytes is zero */
}

OE_KTEST(parse_rejects_damage)
{
	const Endpoints ep = test_endpoints();
	const u8 data[5] = { 'h', 'e', 'l', 'l', 'o' };
	SegmentOut s{};
	s.seq = 100, s.ack = 200, s.window = 100, s.flags = PSH | ACK, s.payload = data, s.payload_len = 5;
	build_segment(g_a, sizeof(g_a), ep, s);
	u8 *ip = g_a + kOffIp;
	const u16 len = kIpLen + kTcpLen + 5;
	SegmentIn in;
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::None);
	OE_EXPECT_EQ(r, in.data_len, 5);
	OE_EXPECT(r, parse_segment(ip, len - 1, in) == ParseError::Truncated);
	OE_EXPECT(r, parse_segment(ip, 10, in) == ParseError::Truncated);
	ip[kOffPayload - kOffIp] ^= 1; /* a payload bit */
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::BadTcpChecksum);
	ip[kOffPayload - kOffIp] ^= 1;
	ip[kIpTtl] ^= 1;
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::BadIpChecksum);
	ip[kIpTtl] ^= 1;
	ip[0] = 0x65;
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::BadIpHeader);
	ip[0] = 0x45;
	ip[kIpLen + kTcpOff] = 0x40; /* data offset 16 bytes < 20 */
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::BadTcpHeader);
}

OE_KTEST(parse_rejects_fragments_and_bad_options)
{
	const Endpoints ep = test_endpoints();
	SegmentOut s{};
	s.seq = 1, s.flags = SYN, s.mss_option = 1000;
	build_segment(g_a, sizeof(g_a), ep, s);
	u8 *ip = g_a + kOffIp;
	const u16 len = kIpLen + kTcpLen + kSynOptLen;
	SegmentIn in;
	/* MSS option claiming length 6 runs past the header */
	u8 *opt = ip + kIpLen + kTcpLen;
	opt[1] = 6;
	u8 *tcp = ip + kIpLen;
	put_be16(tcp + kTcpCsum, 0);
	u64 sum = csum_add32(csum_add32(kProtoTcp, kClientIp), kPeerIp) + (kTcpLen + kSynOptLen);
	put_be16(tcp + kTcpCsum, csum_finish(csum_add_bytes(sum, tcp, kTcpLen + kSynOptLen)));
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::BadOptions);
	/* a fragment (MF set) is never ours to reassemble */
	put_be16(ip + kIpFrag, 0x2000);
	put_be16(ip + kIpCsum, 0);
	put_be16(ip + kIpCsum, internet_checksum(ip, kIpLen));
	OE_EXPECT(r, parse_segment(ip, len, in) == ParseError::Fragment);
}

OE_KTEST(ring_wraps_and_views)
{
	static SendRing<64> ring;
	ring.clear();
	u8 d[40];
	for (int i = 0; i < 40; i++)
		d[i] = u8(i);
	const u32 base = 0xffffffe0; /* sequence numbers wrap while the ring wraps */
	ring.append(base, d, 40);
	ring.consume(30);
	ring.append(base + 40, d, 40);
	OE_EXPECT_EQ(r, ring.used(), 50u);
	const u8 *a, *b;
	u16 al, bl;
	ring.view(base + 40, 40, a, al, b, bl);
	OE_EXPECT_EQ(r, u32(al + bl), 40u);
	for (u16 i = 0; i < 40; i++)
		OE_EXPECT_EQ(r, (i < al ? a[i] : b[i - al]), u8(i));
}

OE_KTEST(seq_compare_wraps)
{
	OE_EXPECT(r, seq_lt(0xfffffff0, 0x10));
	OE_EXPECT(r, seq_gt(0x10, 0xfffffff0));
	OE_EXPECT(r, seq_in(0, 0xffffff00, 0x100));
	OE_EXPECT(r, !seq_in(0x100, 0xffffff00, 0x100));
}

OE_KTEST_SUITE(tcp_wire, checksum_rfc1071_vector, checksum_ipv4_header_vector, checksum_odd_length_pads_zero,
	       checksum_fold_carries, template_patch_equals_scratch, template_repatch_over_previous_order,
	       built_frame_has_df_ttl_tos_and_valid_checksums, parse_rejects_damage,
	       parse_rejects_fragments_and_bad_options, ring_wraps_and_views, seq_compare_wraps);
