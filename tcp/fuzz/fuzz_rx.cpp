// libFuzzer target: the segment-receive path of tcp::Client in any state.
// The input picks a starting state, then drives a sequence of operations: raw bytes as an IP packet
// (exercises validation), well-formed segments with fuzzed header fields and payload (valid checksums,
// so they reach the state machine), time passing, orders, close/recv/connect. After every step the
// client's invariants must hold and the TX ring protocol (claim -> commit/cancel) must be kept.
#include <cstddef>
#include <cstdint>

#include "ktests/script_port.h"

using namespace oe;
using namespace oe::tcp;
using namespace oe::tcp::test;

namespace {

struct Input {
	const uint8_t *p;
	size_t n;
	bool empty() const { return n == 0; }
	uint8_t u8v() { return n ? (n--, *p++) : 0; }
	uint16_t u16v() { return uint16_t(u8v() | u8v() << 8); }
	uint32_t u32v() { return uint32_t(u16v()) | uint32_t(u16v()) << 16; }
};

uint32_t g_arms; /* continuations parked (connect/recv returned false) */

/* Every parked continuation fires exactly once: fired <= parked, and the one not yet fired is the one
 * the slot still holds. */
void check(World &w)
{
	if (!w.c.invariants_hold() || w.port().protocol_errors || w.port().claimed)
		__builtin_trap();
	if (w.rec.n > g_arms || g_arms - w.rec.n > 1 || (g_arms - w.rec.n == 1) != w.c.armed())
		__builtin_trap();
}

void park_connect(World &w) { g_arms += w.c.connect(w.k()) ? 0 : 1; }
void park_recv(World &w) { g_arms += w.c.recv(w.k()) ? 0 : 1; }

void start_in(World &w, uint8_t which)
{
	uint8_t o[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	switch (which % 9) {
	case 0: /* CLOSED, never connected */
		return;
	case 1:
		park_connect(w);
		return;
	default:
		break;
	}
	g_arms++; /* establish() parks a connect */
	if (!w.establish(which % 9 == 7 ? 0 : 65535))
		__builtin_trap(); /* the scripted handshake must always work */
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input in{ data, size };
	World &w = fresh_world();
	g_arms = 0;
	start_in(w, in.u8v());
	check(w);
	static uint8_t raw[1600], payload[1500];
	for (int ops = 0; ops < 64 && !in.empty(); ops++) {
		switch (in.u8v() % 8) {
		case 0: { /* arbitrary bytes as an IPv4 packet */
			const uint16_t len = uint16_t(in.u16v() % sizeof(raw));
			uint16_t i = 0;
			for (; i < len && !in.empty(); i++)
				raw[i] = in.u8v();
			w.c.on_segment(raw, i);
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
			w.peer(flags, seq, ack, payload, len, window, mss);
			break;
		}
		case 3:
			w.advance(uint64_t(in.u16v()) * 1000000);
			break;
		case 4: {
			const uint16_t len = uint16_t(in.u8v() % 200);
			w.c.send_order(payload, len);
			break;
		}
		case 5:
			w.c.close();
			break;
		case 6:
			park_recv(w);
			break;
		case 7:
			if (w.c.state() == State::Closed)
				park_connect(w);
			else
				w.port().ring_full = !w.port().ring_full;
			break;
		}
		check(w);
	}
	return 0;
}
