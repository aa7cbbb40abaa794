// SPDX-License-Identifier: GPL-2.0
/*
 * The test platform behind oe/fake_platform.h. Single-threaded by design: tests drive the core
 * from one context, so there is no locking; prepareWrite/completeTx still enforce the claim
 * protocol (claim -> one buffer -> complete or cancel) and count violations as failures.
 */
#include "oe/base.h"
#include "oe/fake_platform.h"

namespace {

struct FakeRing {
	oe::u8 blocks[OE_FAKE_TX_BLOCKS][OE_FAKE_TX_BLOCK_SIZE];
	TCPPacket pkts[OE_FAKE_TX_BLOCKS];
	oe::u16 done_len[OE_FAKE_TX_BLOCKS];
	oe::u32 next_to_use, completed, cancelled;
	bool claimed, full, outstanding;
};

FakeRing ring;
oe::u64 now_ns, timer_deadline;
oe::u32 rng_state = 1, log_count;
const char *log_last = "";

} // namespace

struct oe_tx_ring {
	int unused;
};
static oe_tx_ring the_ring;

/* The warm sink (oe_tx_ring_for(OE_CPU_WARM)): one scratch block and one scratch "descriptor"; it
 * shares nothing with the ring above, so a warm run that reached the real ring would show there. */
namespace {
struct WarmSink {
	oe::u8 block[OE_FAKE_TX_BLOCK_SIZE];
	TCPPacket pkt;
	oe::u16 desc_len; /* what completeTx would have put in the descriptor */
	oe::u32 frames;
	bool claimed, outstanding;
};
WarmSink warm;
} // namespace
static oe_tx_ring the_warm_ring;

extern "C" {

void oe_fake_reset(void)
{
	oe::fill(&ring, 0, sizeof(ring));
	for (oe::u32 i = 0; i < OE_FAKE_TX_BLOCKS; i++) {
		ring.pkts[i].data = ring.blocks[i];
		ring.pkts[i].cap = OE_FAKE_TX_BLOCK_SIZE;
	}
	oe::fill(&warm, 0, sizeof(warm));
	warm.pkt.data = warm.block;
	warm.pkt.cap = OE_FAKE_TX_BLOCK_SIZE;
	now_ns = timer_deadline = 0;
	rng_state = 1;
	log_count = 0;
	log_last = "";
}

void oe_fake_set_now(u64 ns) { now_ns = ns; }
u64 oe_fake_timer_deadline(void) { return timer_deadline; }
void oe_fake_set_ring_full(bool full) { ring.full = full; }
u32 oe_fake_tx_count(void) { return ring.completed; }
u32 oe_fake_tx_cancelled(void) { return ring.cancelled; }
u32 oe_fake_log_count(void) { return log_count; }
const char *oe_fake_log_last(void) { return log_last; }

const u8 *oe_fake_tx_frame(u32 i, u16 *len)
{
	if (i >= ring.completed || ring.completed - i > OE_FAKE_TX_BLOCKS)
		return nullptr;
	oe::u32 b = i % OE_FAKE_TX_BLOCKS;
	*len = ring.done_len[b];
	return ring.blocks[b];
}

u32 oe_fake_warm_frames(void) { return warm.frames; }

const u8 *oe_fake_warm_frame(u16 *len)
{
	*len = warm.desc_len;
	return warm.frames ? warm.block : nullptr;
}

struct oe_tx_ring *oe_tx_ring_for(int cpu) { return cpu == OE_CPU_WARM ? &the_warm_ring : &the_ring; }

bool prepareWrite(int, struct oe_tx_ring *r)
{
	if (r == &the_warm_ring) {
		if (warm.claimed || !warm.pkt.data)
			return false;
		warm.claimed = true;
		return true;
	}
	if (ring.full || ring.claimed || !ring.pkts[0].data)
		return false;
	ring.claimed = true;
	return true;
}

struct TCPPacket *getPacketBuffer(struct oe_tx_ring *r)
{
	if (r == &the_warm_ring) {
		if (!warm.claimed || warm.outstanding)
			return nullptr;
		warm.outstanding = true;
		return &warm.pkt;
	}
	if (!ring.claimed || ring.outstanding)
		return nullptr;
	ring.outstanding = true;
	return &ring.pkts[ring.next_to_use % OE_FAKE_TX_BLOCKS];
}

void cancelPrevWriteBuf(struct oe_tx_ring *r, struct TCPPacket *)
{
	if (r == &the_warm_ring) {
		warm.outstanding = warm.claimed = false;
		return;
	}
	ring.outstanding = ring.claimed = false;
	ring.cancelled++;
}

void completeTx(struct oe_tx_ring *r, struct TCPPacket *pkt)
{
	if (r == &the_warm_ring) {
		warm.desc_len = pkt->len;
		warm.frames++;
		warm.outstanding = warm.claimed = false;
		return;
	}
	oe::u32 b = ring.next_to_use % OE_FAKE_TX_BLOCKS;
	ring.done_len[b] = pkt->len;
	ring.next_to_use++;
	ring.completed++;
	ring.outstanding = ring.claimed = false;
}

u64 oe_now_ns(void) { return now_ns; }
void oe_timer_arm(u64 expires_ns) { timer_deadline = expires_ns; }

u32 oe_random_u32(void)
{
	/* xorshift32: deterministic, so a failing case replays exactly */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

void oe_log(const char *event, u64, u64)
{
	log_count++;
	log_last = event;
}

void oe_warn_once(const char *what, u64)
{
	log_count++;
	log_last = what;
}

} // extern "C"
