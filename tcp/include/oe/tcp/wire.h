/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wire format of the order-entry connection: Ethernet II + IPv4 (no options) + TCP.
 * Checksums are the Internet checksum (RFC 1071): a one's complement sum of 16-bit big-endian words.
 * Frames are built in software with full checksums (no NIC offload), so what the host tests see on the
 * TAP is exactly what the NIC would put on the wire.
 */
#pragma once
#include "oe/base.h"
#include "oe/tcp/seq.h"

namespace oe::tcp {

/* Frame layout (offsets from the start of the Ethernet frame). */
constexpr u16 kEthLen = 14, kIpLen = 20, kTcpLen = 20;
constexpr u16 kOffIp = kEthLen, kOffTcp = kEthLen + kIpLen, kOffPayload = kEthLen + kIpLen + kTcpLen;
constexpr u16 kHdrLen = kOffPayload;      /* 54: a segment without options or data */
constexpr u16 kMinFrame = 60;             /* Ethernet minimum without FCS: short frames are zero-padded */
constexpr u16 kSynOptLen = 4;             /* our SYN carries exactly one option: MSS */
/* IPv4 header fields (offsets from the IP header). */
constexpr u16 kIpTotLen = 2, kIpId = 4, kIpFrag = 6, kIpTtl = 8, kIpProto = 9, kIpCsum = 10, kIpSrc = 12, kIpDst = 16;
/* TCP header fields (offsets from the TCP header). */
constexpr u16 kTcpSport = 0, kTcpDport = 2, kTcpSeq = 4, kTcpAck = 8, kTcpOff = 12, kTcpFlags = 13, kTcpWnd = 14,
	      kTcpCsum = 16, kTcpUrg = 18;
constexpr u8 kProtoTcp = 6;
constexpr u16 kEtherTypeIpv4 = 0x0800;
constexpr u16 kIpDontFragment = 0x4000;

enum Flag : u8 { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20 };

/* ---- Internet checksum ------------------------------------------------------------------------- */

/* Sum of the 16-bit big-endian words of p[0..n) (odd tail padded with a zero byte), added to sum. */
OE_ALWAYS_INLINE u64 csum_add_bytes(u64 sum, const u8 *p, u32 n)
{
	while (n >= 2) {
		sum += u32(p[0]) << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n)
		sum += u32(p[0]) << 8;
	return sum;
}
/* Both halves of a 32-bit field, as two 16-bit words. */
OE_ALWAYS_INLINE u64 csum_add32(u64 sum, u32 v) { return sum + (v >> 16) + (v & 0xffff); }
/* End-around carry down to 16 bits (fixed number of steps: no data-dependent loop). */
OE_ALWAYS_INLINE u16 csum_fold(u64 sum)
{
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	u32 s = u32(sum);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return u16(s);
}
/* The value written into a checksum field. */
OE_ALWAYS_INLINE u16 csum_finish(u64 sum) { return u16(~csum_fold(sum)); }

/* Checksum of a whole buffer (used by tests and by frame validation: a valid header sums to 0). */
u16 internet_checksum(const u8 *p, u32 n);

/* ---- building and parsing segments (tcp/src/wire.cpp) ------------------------------------------ */

/* The fixed part of every frame we send: addresses in host byte order. */
struct Endpoints {
	u8 local_mac[6], remote_mac[6];
	u32 local_ip, remote_ip;
	u16 local_port, remote_port;
	u8 tos, ttl;
};

/* The per-segment part. Payload may come in two pieces (the send ring wraps). */
struct SegmentOut {
	u32 seq, ack;
	u16 window;
	u16 ip_id;
	u8 flags;
	u16 mss_option; /* non-zero: append the MSS option (SYN only) */
	const u8 *payload;
	u16 payload_len;
	const u8 *payload2;
	u16 payload2_len;
};

/* Write a complete frame into frame[0..cap); returns its length (>= kMinFrame) or 0 if cap is too small. */
u16 build_segment(u8 *frame, u16 cap, const Endpoints &ep, const SegmentOut &s);

/* A received segment after validation; data points into the caller's buffer. */
struct SegmentIn {
	u32 src_ip, dst_ip;
	u16 src_port, dst_port;
	u32 seq, ack;
	u16 window;
	u8 flags;
	u16 mss;       /* MSS option value, 0 if absent */
	const u8 *data;
	u16 data_len;
	/* sequence space the segment occupies: data + SYN + FIN */
	OE_ALWAYS_INLINE u32 seg_len() const { return u32(data_len) + ((flags & SYN) ? 1 : 0) + ((flags & FIN) ? 1 : 0); }
};

enum class ParseError : u8 {
	None,
	Truncated,     /* shorter than its headers claim */
	BadIpHeader,   /* version, IHL, total length */
	BadIpChecksum,
	Fragment,      /* MF or a fragment offset: we never reassemble */
	NotTcp,
	BadTcpHeader,  /* data offset */
	BadTcpChecksum,
	BadOptions,    /* an option runs past the header or has an impossible length */
};

/* Validate everything (lengths, both checksums, options) of the IPv4 packet at ip[0..len). */
ParseError parse_segment(const u8 *ip, u16 len, SegmentIn &out);

/* ---- the pre-built order frame (RFC 1624 patching) ---------------------------------------------- */

/*
 * At connect time the whole PSH|ACK frame is built once with its variable fields (IP total length,
 * IP id, seq, ack) set to zero, and the one's complement sums of the constant parts are kept. At fire
 * time only the variable fields and the payload are written, and each checksum becomes
 *     HC' = ~(C + m')          (RFC 1624 eqn. 3 with m = 0: the template holds zeros)
 * where C is the kept sum of the constant words and m' the sum of the new words. The constant part
 * of the frame in a TX buffer is copied once per buffer (TCPPacket::template_gen tells which
 * template a buffer holds).
 */
struct OrderTemplate {
	u8 frame[kHdrLen];
	u64 ip_sum;  /* constant words of the IP header */
	u64 tcp_sum; /* pseudo-header addresses + protocol, ports, offset/flags, window */
};

void build_order_template(OrderTemplate &t, const Endpoints &ep, u16 window);

/* Patch an order into frame (which already holds t.frame's bytes). Returns the frame length. */
OE_ALWAYS_INLINE u16 patch_order(u8 *frame, const OrderTemplate &t, u32 seq, u32 ack, u16 ip_id,
				 const u8 *payload, u16 len)
{
	u8 *ip = frame + kOffIp, *tcp = frame + kOffTcp;
	const u16 ip_total = u16(kIpLen + kTcpLen + len);
	put_be16(ip + kIpTotLen, ip_total);
	put_be16(ip + kIpId, ip_id);
	put_be16(ip + kIpCsum, csum_finish(t.ip_sum + ip_total + ip_id));
	put_be32(tcp + kTcpSeq, seq);
	put_be32(tcp + kTcpAck, ack);
	copy(frame + kOffPayload, payload, len);
	u64 sum = t.tcp_sum + u16(kTcpLen + len); /* pseudo-header TCP length */
	sum = csum_add32(sum, seq);
	sum = csum_add32(sum, ack);
	sum = csum_add_bytes(sum, payload, len);
	put_be16(tcp + kTcpCsum, csum_finish(sum));
	u16 flen = u16(kOffPayload + len);
	if (OE_UNLIKELY(flen < kMinFrame)) {
		fill(frame + flen, 0, kMinFrame - flen);
		flen = kMinFrame;
	}
	return flen;
}

} // namespace oe::tcp
