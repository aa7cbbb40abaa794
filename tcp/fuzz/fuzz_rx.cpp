// libFuzzer target: the segment-receive path of tcp::Client in any state, and what it sends back.
// The input picks a starting state (peer and client ISNs optionally just below 2^32: our ISN through
// World::aim_isn, the production RFC 6528 computation with chosen inputs), then drives a
// sequence of operations:
//   - raw bytes as an IP packet (validation),
//   - well-formed segments with fuzzed header fields and payload (valid checksums: the state machine),
//   - crafted segments that also pass both checksums but carry IP options and real TCP options
//     (timestamps, SACK-permitted, SACK blocks, window scale, MSS) or malformed ones (bad lengths,
//     data offset past the segment, total length off, fragments, wrong addresses),
//   - time passing, orders, close/recv/connect (also a reconnect from TIME-WAIT), TX ring full/free.
// Odd-length inputs run with Config::order_stale_ns = 300 ms (a resend of an older order resets).
// After every step: the client's invariants hold, the TX ring protocol (claim -> commit/cancel) is
// kept, every parked continuation fires exactly once, and every frame the client sent is checked:
// valid checksums, payload inside [SND.UNA, SND.UNA + max(SND.WND, 1)) (one probe octet into a zero
// window), RSTs carry the sequence number RFC 9293 prescribes (SEG.ACK, or 0 with ACK SEG.SEQ+SEG.LEN,
// or SND.MAX when we abort), no RST answers a RST, at most two control frames per incoming segment,
// and replies to unacceptable segments stay within the rate limits over the whole input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "ktests/script_port.h"

using namespace oe;
using namespace oe::tcp;
using namespace oe::tcp::test;

/* a failed check names itself, then traps (libFuzzer keeps the input) */
#define FUZZ_CHECK(cond, why)                                                    \
	do {                                                                     \
		if (!(cond)) {                                                   \
			std::fprintf(stderr, "fuzz check failed: %s\n", why);   \
			__builtin_trap();                                        \
		}                                                                \
	} while (0)

namespace {

struct Input {
	const uint8_t *p;
	size_t n;
	bool empty() const { return n == 0; }
	uint8_t u8v() { return n ? (n--, *p++) : 0; }
	uint16_t u16v() { return uint16_t(u8v() | u8v() << 8); }
	uint32_t u32v() { return uint32_t(u16v()) | uint32_t(u16v()) << 16; }
};

/* FUZZ_TRACE=1 ./tcp-fuzz crash-file: every segment in and frame out, to read a failure */
const bool g_trace = std::getenv("FUZZ_TRACE") != nullptr;

uint32_t g_arms; /* continuations parked (connect/recv returned Parked) */

/* What the current step put on the wire, judged frame by frame as it is committed. */
struct Watch {
	World *w = nullptr;
	bool seg_op = false;   /* the step delivers one segment (else: time, close, orders, ...) */
	bool in_valid = false; /* that segment parsed: in holds it */
	SegmentIn in{};
	uint32_t control = 0;  /* frames without payload in this step */
	const char *bad = nullptr; /* the first broken rule among our frames */
} g_watch;

void watch_frame(void *, const u8 *f, u16 len)
{
	Watch &x = g_watch;
	TestClient &c = x.w->c;
	SegmentIn s;
	if (len < kMinFrame || parse_segment(f + kOffIp, u16(len - kOffIp), s) != ParseError::None) {
		x.bad = "a frame we sent does not parse";
		return;
	}
	if (!s.data_len)
		x.control++;
	if (g_trace)
		std::fprintf(stderr, "  out: flags %02x seq %u ack %u len %u wnd %u state %s\n", s.flags, s.seq, s.ack,
			     s.data_len, s.window, state_name(c.state()));
	if (s.data_len) { /* inside the peer's window (a lone probe octet may enter a zero window) */
		const uint32_t wnd = c.snd_wnd() ? c.snd_wnd() : 1;
		if (seq_lt(s.seq, c.snd_una()) || seq_gt(s.seq + s.data_len, c.snd_una() + wnd))
			x.bad = "data outside [SND.UNA, SND.UNA + SND.WND)";
	}
	if (s.flags & RST) {
		bool ok = s.seq == c.snd_nxt() || s.seq == c.snd_max(); /* our abort */
		if (x.seg_op && x.in_valid) {
			const SegmentIn &in = x.in;
			if (in.flags & RST)
				ok = false; /* a RST is never answered */
			else if (in.flags & ACK)
				ok = ok || s.seq == in.ack;
			else
				ok = ok || (s.seq == 0 && (s.flags & ACK) && s.ack == in.seq + in.seg_len());
		}
		if (!ok)
			x.bad = "RST with a sequence number RFC 9293 does not prescribe, or answering a RST";
	}
}

/* Replies to unacceptable segments over the whole input: one per invalid_ratelimit_ns plus the
 * challenge ACKs (challenge_acks_per_sec per started second). */
uint64_t g_t0, g_bad_replies;

uint64_t bad_segments(const TestClient &c)
{
	const Stats &st = c.stats();
	return st[StatOutOfWindow] + st[StatAckInvalid] + st[StatOutOfOrder] + st[StatRstIgnored] +
	       st[StatChallengeAcks] + st[StatRepliesLimited];
}

/* Every parked continuation fires exactly once: fired <= parked, and the one not yet fired is the one
 * the slot still holds. */
void check(World &w)
{
	FUZZ_CHECK(w.c.invariants_hold(), "client invariants");
	FUZZ_CHECK(!w.port().protocol_errors && !w.port().claimed, "TX ring claim protocol");
	FUZZ_CHECK(!g_watch.bad, g_watch.bad);
	FUZZ_CHECK(w.rec.n <= g_arms && g_arms - w.rec.n <= 1 && (g_arms - w.rec.n == 1) == w.c.armed(),
		   "every parked continuation fires exactly once");
	FUZZ_CHECK(!w.c.stats()[StatContEmptyFires], "a fire found the slot empty");
	const uint64_t elapsed = w.port().now - g_t0;
	const Config &cfg = w.c.config();
	const uint64_t limit = 1 + elapsed / cfg.invalid_ratelimit_ns + cfg.challenge_acks_per_sec * (elapsed / 1000000000ULL + 2);
	FUZZ_CHECK(g_bad_replies <= limit, "replies to unacceptable segments over the rate limit");
}

void park_connect(World &w) { g_arms += w.c.connect(w.k()) == ConnectResult::Parked ? 1 : 0; }
void park_recv(World &w) { g_arms += w.c.recv(w.k()) == RecvResult::Parked ? 1 : 0; }

/* A new incarnation of the same 4-tuple (fixed local port) starts above everything the old one
 * sent, also when that sequence space wrapped past 2^32 (RFC 9293 §3.4.1). */
void reconnect_from_time_wait(World &w)
{
	const uint32_t old_max = w.c.snd_max();
	const bool same_tuple = w.c.config().local_port != 0;
	park_connect(w);
	if (same_tuple && w.c.state() == State::SynSent)
		FUZZ_CHECK(seq_gt(w.c.iss(), old_max), "a reconnect from TIME-WAIT starts below the old sequence space");
}

/* A sequence number near where the connection is, or anywhere. */
uint32_t pick_seq(Input &in, uint32_t near)
{
	switch (in.u8v() % 4) {
	case 0: return in.u32v();
	case 1: return near + uint32_t(int32_t(int8_t(in.u8v())));
	default: return near + uint32_t(int32_t(int16_t(in.u16v())));
	}
}

/* An IPv4 + TCP packet at ip[] that passes both checksums unless the input asks otherwise, with IP
 * options and TCP options from the input. Returns the length handed to on_segment(). */
uint16_t craft(Input &in, World &w, uint8_t *ip, uint16_t cap)
{
	const uint8_t shape = in.u8v();
	const uint32_t ip_opt = (shape & 1) ? 4u * (in.u8v() % 11) : 0; /* IHL 5..15 */
	uint8_t *tcp = ip + 20 + ip_opt;
	/* TCP options */
	uint8_t opt[40];
	uint32_t on = 0;
	const uint8_t nopts = in.u8v() % 8;
	for (uint8_t i = 0; i < nopts && on < 40; i++) {
		const uint8_t room = uint8_t(40 - on);
		switch (in.u8v() % 9) {
		case 0: if (room >= 4) { opt[on] = 2, opt[on + 1] = 4, put_be16(opt + on + 2, in.u16v()); on += 4; } break;
		case 1: if (room >= 3) { opt[on] = 3, opt[on + 1] = 3, opt[on + 2] = in.u8v() % 16; on += 3; } break;
		case 2: if (room >= 2) { opt[on] = 4, opt[on + 1] = 2; on += 2; } break;
		case 3: if (room >= 10) { opt[on] = 8, opt[on + 1] = 10, put_be32(opt + on + 2, in.u32v()), put_be32(opt + on + 6, in.u32v()); on += 10; } break;
		case 4: { /* SACK blocks around SND.UNA */
			const uint8_t k = uint8_t(1 + in.u8v() % 4);
			if (room >= 2 + 8 * k) {
				opt[on] = 5, opt[on + 1] = uint8_t(2 + 8 * k);
				for (uint8_t b = 0; b < k; b++) {
					put_be32(opt + on + 2 + 8 * b, pick_seq(in, w.c.snd_una()));
					put_be32(opt + on + 6 + 8 * b, pick_seq(in, w.c.snd_nxt()));
				}
				on += 2 + 8 * k;
			}
			break;
		}
		case 5: opt[on++] = 1; break; /* NOP */
		case 6: opt[on++] = 0; break; /* EOL (what follows is padding) */
		default: /* malformed: any kind, any length byte (0, 1, past the end...) */
			if (room >= 2) { opt[on] = in.u8v(), opt[on + 1] = in.u8v(); on += 2; }
			break;
		}
	}
	while (on % 4)
		opt[on++] = (shape & 2) ? 0 : 1;
	const uint16_t plen = uint16_t(in.u8v() * 3 % 600);
	const uint32_t tcp_len = 20 + on + plen;
	const uint32_t total = 20 + ip_opt + tcp_len;
	if (total > cap)
		return 0;
	/* IP header */
	ip[0] = uint8_t(0x40 | (5 + ip_opt / 4));
	ip[1] = in.u8v();
	put_be16(ip + kIpTotLen, uint16_t(total));
	put_be16(ip + kIpId, in.u16v());
	put_be16(ip + kIpFrag, (shape & 4) ? in.u16v() : kIpDontFragment);
	ip[kIpTtl] = 64;
	ip[kIpProto] = (shape & 8) && (in.u8v() & 1) ? in.u8v() : kProtoTcp;
	put_be32(ip + kIpSrc, (shape & 16) && (in.u8v() & 1) ? in.u32v() : kPeerIp);
	put_be32(ip + kIpDst, kClientIp);
	for (uint32_t i = 0; i < ip_opt; i++) /* NOP, EOL, record-route, or anything */
		ip[20 + i] = (in.u8v() & 1) ? 1 : in.u8v();
	/* TCP header */
	put_be16(tcp + kTcpSport, kPeerPort);
	put_be16(tcp + kTcpDport, w.c.endpoints().local_port);
	put_be32(tcp + kTcpSeq, pick_seq(in, w.c.rcv_nxt()));
	put_be32(tcp + kTcpAck, pick_seq(in, w.c.snd_una()));
	uint8_t doff = uint8_t((20 + on) / 4);
	if (shape & 32) /* malformed: data offset below 5 or past the segment */
		doff = in.u8v() & 15;
	tcp[kTcpOff] = uint8_t(doff << 4);
	tcp[kTcpFlags] = in.u8v() & 0x3f;
	put_be16(tcp + kTcpWnd, in.u16v());
	put_be16(tcp + kTcpUrg, 0);
	copy(tcp + 20, opt, on);
	for (uint32_t i = 0; i < plen; i++)
		tcp[20 + on + i] = uint8_t(i);
	/* checksums last: the segment is valid as far as the checksums can tell */
	put_be16(ip + kIpCsum, 0);
	put_be16(ip + kIpCsum, internet_checksum(ip, 20 + ip_opt));
	put_be16(tcp + kTcpCsum, 0);
	u64 sum = csum_add32(csum_add32(kProtoTcp, get_be32(ip + kIpSrc)), get_be32(ip + kIpDst)) + tcp_len;
	put_be16(tcp + kTcpCsum, csum_finish(csum_add_bytes(sum, tcp, tcp_len)));
	if (shape & 64) /* total length disagrees with the bytes handed over (truncated or padded) */
		return uint16_t(total + int8_t(in.u8v()) < 0 ? 0 : min_of<uint32_t>(total + int8_t(in.u8v()), cap));
	return uint16_t(total);
}

void start_in(World &w, Input &in)
{
	const uint8_t which = in.u8v();
	uint32_t aimed = 0;
	if (which & 0x80) { /* ISNs near the 2^32 wrap: the peer's and ours (a fixed local port, so a
			     * reconnect from TIME-WAIT reuses the 4-tuple: RFC 9293 §3.4.1) */
		w.peer_iss = 0xffffffffu - in.u8v() * 64u;
		aimed = 0xffffffffu - in.u16v() % 4096u;
		w.aim_isn(aimed, uint16_t(Client<ScriptPort, RecordK>::kAutoPortLo + in.u16v() % 4536u), in.u32v(), in.u32v());
	}
	uint8_t o[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	switch (which % 9) {
	case 0: /* CLOSED, never connected */
		return;
	case 1:
		park_connect(w);
		FUZZ_CHECK(!aimed || w.c.iss() == aimed, "our ISN is where the fuzzer aimed it");
		return;
	default:
		break;
	}
	g_arms++; /* establish() parks a connect */
	if (!w.establish(which % 9 == 7 ? 0 : 65535))
		FUZZ_CHECK(false, "the scripted handshake must always work");
	FUZZ_CHECK(!aimed || w.c.iss() == aimed, "our ISN is where the fuzzer aimed it");
	park_recv(w);
	switch (which % 9) {
	case 3: /* orders in flight */
	case 7: /* queued behind a zero window */
		for (int i = 0; i < 20; i++)
			w.c.send_order(o, 13);
		break;
	case 4: /* FIN-WAIT-1 */
		w.c.send_order(o, 13);
		w.c.close();
		break;
	case 5: { /* FIN-WAIT-2 */
		w.c.close();
		w.peer(ACK, w.peer_nxt, w.c.snd_nxt());
		break;
	}
	case 6: /* LAST-ACK */
		w.peer(FIN | ACK, w.peer_nxt, w.c.snd_nxt());
		w.peer_nxt++;
		break;
	case 8: /* TIME-WAIT */
		w.c.close();
		w.peer(ACK, w.peer_nxt, w.c.snd_nxt());
		w.peer(FIN | ACK, w.peer_nxt, w.c.snd_nxt());
		w.peer_nxt++;
		break;
	}
}

/* Deliver one segment (ip[0..len)) with the watch set up for it. */
void deliver(World &w, const uint8_t *ip, uint16_t len)
{
	g_watch.seg_op = true;
	g_watch.in_valid = parse_segment(ip, len, g_watch.in) == ParseError::None;
	if (g_trace)
		std::fprintf(stderr, "in: valid %d flags %02x seq %u ack %u len %u (rcv_nxt %u snd_una %u) state %s\n",
			     g_watch.in_valid, g_watch.in.flags, g_watch.in.seq, g_watch.in.ack, g_watch.in.data_len,
			     w.c.rcv_nxt(), w.c.snd_una(), state_name(w.c.state()));
	const uint64_t bad0 = bad_segments(w.c);
	w.c.on_segment(ip, len);
	if (bad_segments(w.c) != bad0)
		g_bad_replies += g_watch.control; /* this segment was unacceptable: what we sent answers it */
	FUZZ_CHECK(g_watch.control <= 2, "more than two control frames for one segment");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input in{ data, size };
	World &w = fresh_world();
	if (size & 1) { /* odd-length inputs run with the stale limit on (its resets, mid-recovery too) */
		Config c = w.c.config();
		c.order_stale_ns = 300000000ULL;
		w.c.init(c);
	}
	g_arms = 0;
	g_watch = Watch{};
	g_watch.w = &w;
	start_in(w, in);
	w.port().on_commit = watch_frame;
	g_t0 = w.port().now;
	g_bad_replies = 0;
	check(w);
	static uint8_t raw[1600], payload[1500];
	for (int ops = 0; ops < 64 && !in.empty(); ops++) {
		g_watch.seg_op = g_watch.in_valid = false;
		g_watch.control = 0;
		switch (in.u8v() % 10) {
		case 0: { /* arbitrary bytes as an IPv4 packet */
			const uint16_t len = uint16_t(in.u16v() % sizeof(raw));
			uint16_t i = 0;
			for (; i < len && !in.empty(); i++)
				raw[i] = in.u8v();
			deliver(w, raw, i);
			break;
		}
		case 1:
		case 2: { /* a well-formed segment near the connection's sequence space */
			const uint8_t flags = in.u8v() & 0x3f;
			const uint32_t seq = w.c.rcv_nxt() + uint32_t(int32_t(int16_t(in.u16v())));
			const uint32_t ack = in.u8v() & 1 ? w.c.snd_una() + uint32_t(int32_t(int16_t(in.u16v())))
							 : in.u32v();
			const uint16_t window = in.u16v();
			const uint16_t mss = (flags & SYN) ? in.u16v() : 0;
			const uint16_t len = uint16_t(in.u8v() * 4 % 1400);
			for (uint16_t i = 0; i < len; i++)
				payload[i] = uint8_t(i);
			g_watch.seg_op = true;
			g_watch.in_valid = true;
			g_watch.in = SegmentIn{};
			g_watch.in.seq = seq, g_watch.in.ack = ack, g_watch.in.flags = flags, g_watch.in.data_len = len;
			if (g_trace)
				std::fprintf(stderr, "in: peer flags %02x seq %u ack %u len %u (rcv_nxt %u snd_una %u) state %s\n",
					     flags, seq, ack, len, w.c.rcv_nxt(), w.c.snd_una(), state_name(w.c.state()));
			const uint64_t bad0 = bad_segments(w.c);
			w.peer(flags, seq, ack, payload, len, window, mss);
			if (bad_segments(w.c) != bad0)
				g_bad_replies += g_watch.control;
			FUZZ_CHECK(g_watch.control <= 2, "more than two control frames for one segment");
			break;
		}
		case 3:
		case 4: { /* crafted: IP options, real or malformed TCP options, both checksums valid */
			const uint16_t n = craft(in, w, raw, sizeof(raw));
			deliver(w, raw, n);
			break;
		}
		case 5:
			w.advance(uint64_t(in.u16v()) * (in.u8v() & 1 ? 1000 : 1000000));
			break;
		case 6: {
			const uint16_t len = uint16_t(in.u8v() % 200);
			w.c.send_order(payload, len);
			break;
		}
		case 7:
			if (in.u8v() & 1)
				w.c.close();
			else
				park_recv(w);
			break;
		case 8:
			if (w.c.state() == State::Closed)
				park_connect(w);
			else if (w.c.state() == State::TimeWait && (in.u8v() & 1))
				reconnect_from_time_wait(w);
			else
				w.port().ring_full = !w.port().ring_full;
			break;
		case 9:
			park_recv(w);
			break;
		}
		check(w);
	}
	w.port().on_commit = nullptr;
	return 0;
}
