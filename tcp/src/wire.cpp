// SPDX-License-Identifier: GPL-2.0
/* Building and validating Ethernet/IPv4/TCP frames (not the fire path: see patch_order in wire.h). */
#include "oe/tcp/client.h"
#include "oe/tcp/wire.h"

namespace oe::tcp {

u16 internet_checksum(const u8 *p, u32 n) { return csum_finish(csum_add_bytes(0, p, n)); }

static void write_eth_ip(u8 *frame, const Endpoints &ep, u16 ip_total, u16 ip_id)
{
	copy(frame, ep.remote_mac, 6);
	copy(frame + 6, ep.local_mac, 6);
	put_be16(frame + 12, kEtherTypeIpv4);
	u8 *ip = frame + kOffIp;
	ip[0] = 0x45; /* version 4, 5 words */
	ip[1] = ep.tos;
	put_be16(ip + kIpTotLen, ip_total);
	put_be16(ip + kIpId, ip_id);
	put_be16(ip + kIpFrag, kIpDontFragment); /* DF: we size segments by MSS, never fragment */
	ip[kIpTtl] = ep.ttl;
	ip[kIpProto] = kProtoTcp;
	put_be16(ip + kIpCsum, 0);
	put_be32(ip + kIpSrc, ep.local_ip);
	put_be32(ip + kIpDst, ep.remote_ip);
	put_be16(ip + kIpCsum, internet_checksum(ip, kIpLen));
}

/* Pseudo-header (RFC 9293 §3.1) without the TCP length. */
static u64 pseudo_sum(const Endpoints &ep) { return csum_add32(csum_add32(kProtoTcp, ep.local_ip), ep.remote_ip); }

u16 build_segment(u8 *frame, u16 cap, const Endpoints &ep, const SegmentOut &s)
{
	const u16 opt = s.mss_option ? kSynOptLen : 0;
	const u16 tcp_len = u16(kTcpLen + opt + s.payload_len + s.payload2_len);
	const u32 frame_len = u32(kOffTcp) + tcp_len;
	const u16 wire_len = frame_len < kMinFrame ? kMinFrame : u16(frame_len);
	if (!frame || frame_len > 1514 || wire_len > cap)
		return 0;
	write_eth_ip(frame, ep, u16(kIpLen + tcp_len), s.ip_id);
	u8 *tcp = frame + kOffTcp;
	put_be16(tcp + kTcpSport, ep.local_port);
	put_be16(tcp + kTcpDport, ep.remote_port);
	put_be32(tcp + kTcpSeq, s.seq);
	put_be32(tcp + kTcpAck, s.ack);
	tcp[kTcpOff] = u8(((kTcpLen + opt) / 4) << 4);
	tcp[kTcpFlags] = s.flags;
	put_be16(tcp + kTcpWnd, s.window);
	put_be16(tcp + kTcpCsum, 0);
	put_be16(tcp + kTcpUrg, 0);
	u8 *p = tcp + kTcpLen;
	if (opt) { /* kind 2, length 4: Maximum Segment Size */
		p[0] = 2, p[1] = 4;
		put_be16(p + 2, s.mss_option);
		p += opt;
	}
	if (s.payload_len)
		copy(p, s.payload, s.payload_len);
	if (s.payload2_len)
		copy(p + s.payload_len, s.payload2, s.payload2_len);
	u64 sum = pseudo_sum(ep) + tcp_len;
	sum = csum_add_bytes(sum, tcp, tcp_len);
	put_be16(tcp + kTcpCsum, csum_finish(sum));
	if (wire_len > frame_len)
		fill(frame + frame_len, 0, wire_len - frame_len);
	return wire_len;
}

void build_order_template(OrderTemplate &t, const Endpoints &ep, u16 window)
{
	u8 *f = t.frame;
	write_eth_ip(f, ep, 0, 0);
	put_be16(f + kOffIp + kIpCsum, 0);
	t.ip_sum = csum_add_bytes(0, f + kOffIp, kIpLen); /* total length and id are zero here */
	u8 *tcp = f + kOffTcp;
	put_be16(tcp + kTcpSport, ep.local_port);
	put_be16(tcp + kTcpDport, ep.remote_port);
	put_be32(tcp + kTcpSeq, 0);
	put_be32(tcp + kTcpAck, 0);
	tcp[kTcpOff] = (kTcpLen / 4) << 4;
	tcp[kTcpFlags] = PSH | ACK;
	put_be16(tcp + kTcpWnd, window);
	put_be16(tcp + kTcpCsum, 0);
	put_be16(tcp + kTcpUrg, 0);
	t.tcp_sum = csum_add_bytes(pseudo_sum(ep), tcp, kTcpLen);
}

/* TCP options: only MSS is used; every option must be well formed (RFC 9293 §3.2). */
static bool parse_options(const u8 *p, u32 n, u16 &mss)
{
	mss = 0;
	for (u32 i = 0; i < n;) {
		const u8 kind = p[i];
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		const u8 len = p[i + 1];
		if (len < 2 || i + len > n)
			return false;
		if (kind == 2) {
			if (len != 4)
				return false;
			mss = get_be16(p + i + 2);
		}
		i += len; /* window scale, SACK, timestamps: never offered by us, so ignored (RFC 7323 §1.3) */
	}
	return true;
}

ParseError parse_segment(const u8 *ip, u16 len, SegmentIn &out)
{
	if (!ip || len < kIpLen)
		return ParseError::Truncated;
	if ((ip[0] >> 4) != 4)
		return ParseError::BadIpHeader;
	const u32 ihl = u32(ip[0] & 0x0f) * 4;
	const u32 total = get_be16(ip + kIpTotLen);
	if (ihl < kIpLen || total < ihl)
		return ParseError::BadIpHeader;
	if (total > len || ihl > len)
		return ParseError::Truncated; /* anything after total (Ethernet padding) is ignored */
	if (internet_checksum(ip, ihl) != 0)
		return ParseError::BadIpChecksum;
	if (get_be16(ip + kIpFrag) & 0x3fff)
		return ParseError::Fragment;
	if (ip[kIpProto] != kProtoTcp)
		return ParseError::NotTcp;
	const u8 *tcp = ip + ihl;
	const u32 tcp_len = total - ihl;
	if (tcp_len < kTcpLen)
		return ParseError::Truncated;
	const u32 off = u32(tcp[kTcpOff] >> 4) * 4;
	if (off < kTcpLen || off > tcp_len)
		return ParseError::BadTcpHeader;
	out.src_ip = get_be32(ip + kIpSrc);
	out.dst_ip = get_be32(ip + kIpDst);
	u64 sum = csum_add32(csum_add32(kProtoTcp, out.src_ip), out.dst_ip) + tcp_len;
	if (csum_fold(csum_add_bytes(sum, tcp, tcp_len)) != 0xffff)
		return ParseError::BadTcpChecksum;
	if (!parse_options(tcp + kTcpLen, off - kTcpLen, out.mss))
		return ParseError::BadOptions;
	out.src_port = get_be16(tcp + kTcpSport);
	out.dst_port = get_be16(tcp + kTcpDport);
	out.seq = get_be32(tcp + kTcpSeq);
	out.ack = get_be32(tcp + kTcpAck);
	out.flags = tcp[kTcpFlags] & 0x3f;
	out.window = get_be16(tcp + kTcpWnd);
	out.data = tcp + off;
	out.data_len = u16(tcp_len - off);
	return ParseError::None;
}

const char *state_name(State s)
{
	switch (s) {
	case State::Closed: return "CLOSED";
	case State::SynSent: return "SYN-SENT";
	case State::Established: return "ESTABLISHED";
	case State::FinWait1: return "FIN-WAIT-1";
	case State::FinWait2: return "FIN-WAIT-2";
	case State::Closing: return "CLOSING";
	case State::TimeWait: return "TIME-WAIT";
	case State::CloseWait: return "CLOSE-WAIT";
	case State::LastAck: return "LAST-ACK";
	}
	return "?";
}

} // namespace oe::tcp
