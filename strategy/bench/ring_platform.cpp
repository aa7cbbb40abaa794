// SPDX-License-Identifier: GPL-2.0
/*
 * bench-warm's platform: see ring_platform.h. Compiled with the kernel's code generation like the
 * measured core objects; single-threaded (the bench drives the core from one pinned thread).
 */
#include "oe/base.h"
#include "ring_platform.h"

namespace {

constexpr u32 kBlocks = 64, kBlockSize = 2048, kDescs = 256;
constexpr u32 kDtypData = 0x00300000, kDcmdDext = 0x20000000, kDcmdIfcs = 0x02000000,
	      kDcmdEopRs = 0x09000000, kPaylenShift = 14;

struct AdvTxDesc { /* union e1000_adv_tx_desc, read format */
	u64 buffer_addr;
	u32 cmd_type_len;
	u32 olinfo_status;
};
struct TxBufferInfo { /* the fields igb's completeTx fills */
	const AdvTxDesc *next_to_watch;
	void *block;
	u64 time_stamp;
	u32 bytecount;
	u16 gso_segs;
	u16 protocol;
	u32 tx_flags;
	u32 type;
};
struct Block {
	TCPPacket pkt;
	u64 dma;
	u64 doorbell_tsc;
	u16 index;
	int busy;
};

OE_ALWAYS_INLINE u64 tsc_now()
{
	u32 lo, hi, aux;
	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
	return u64(hi) << 32 | lo;
}

alignas(64) u8 g_mem[kBlocks][kBlockSize];
alignas(64) AdvTxDesc g_desc[kDescs];
TxBufferInfo g_info[kDescs];
Block g_blocks[kBlocks];
u16 g_next_block, g_next_to_use, g_next_to_clean;
volatile u32 g_tail; /* the device register */
u64 g_tail_tsc;
u32 g_doorbells;
const Block *g_last;

alignas(64) u8 g_warm_mem[kBlockSize];
Block g_warm_block;
AdvTxDesc g_warm_desc;
TxBufferInfo g_warm_info;
u32 g_warm_frames;

u32 g_rng = 0x12345678;

bool g_seg_on;
u64 g_seg[RING_SEGS];

OE_ALWAYS_INLINE void write_desc(AdvTxDesc *d, const Block *b, u16 len)
{
	d->buffer_addr = b->dma;
	d->olinfo_status = u32(len) << kPaylenShift;
	d->cmd_type_len = kDtypData | kDcmdDext | kDcmdIfcs | kDcmdEopRs | len;
}

} // namespace

struct oe_tx_ring {
	bool warm;
	bool claimed;
};
static oe_tx_ring g_ring = { false, false }, g_warm_ring = { true, false };

namespace {
OE_ALWAYS_INLINE void seg_stamp(const oe_tx_ring *r, u32 which)
{
	if (OE_UNLIKELY(g_seg_on) && !r->warm)
		g_seg[which] = tsc_now();
}
} // namespace

extern "C" {

u64 ring_tail_tsc(void) { return g_tail_tsc; }
u32 ring_doorbells(void) { return g_doorbells; }
u32 ring_warm_frames(void) { return g_warm_frames; }
void ring_segments_enable(bool on) { g_seg_on = on; }
void ring_segments_arm(void) { g_seg[RING_SEG_CLOCK] = 0; }
void ring_segments(u64 out[RING_SEGS])
{
	for (u32 i = 0; i < RING_SEGS; i++)
		out[i] = g_seg[i];
}

const u8 *ring_last_frame(u16 *len)
{
	if (!g_last)
		return nullptr;
	*len = g_last->pkt.len;
	return g_last->pkt.data;
}

void ring_clean(void)
{
	while (g_next_to_clean != g_next_to_use) {
		TxBufferInfo *i = &g_info[g_next_to_clean];
		if (i->block)
			static_cast<Block *>(i->block)->busy = 0;
		i->block = nullptr;
		i->next_to_watch = nullptr;
		g_next_to_clean = u16((g_next_to_clean + 1) % kDescs);
	}
}

struct oe_tx_ring *oe_tx_ring_for(int cpu)
{
	if (!g_blocks[0].pkt.data) { /* first use: lay out the pool */
		for (u32 i = 0; i < kBlocks; i++) {
			g_blocks[i].pkt.data = g_mem[i];
			g_blocks[i].pkt.cap = 1514;
			g_blocks[i].dma = 0x100000000ull + u64(i) * kBlockSize;
			g_blocks[i].index = u16(i);
		}
		g_warm_block.pkt.data = g_warm_mem;
		g_warm_block.pkt.cap = 1514;
	}
	return cpu == OE_CPU_WARM ? &g_warm_ring : &g_ring;
}

bool prepareWrite(int, struct oe_tx_ring *r)
{
	if (!r || r->claimed)
		return false;
	seg_stamp(r, RING_SEG_PREPARE);
	r->claimed = true;
	return true;
}

struct TCPPacket *getPacketBuffer(struct oe_tx_ring *r)
{
	if (!r->claimed)
		return nullptr;
	Block *b = &g_blocks[g_next_block];
	const u32 unused = (g_next_to_clean + kDescs - g_next_to_use - 1) % kDescs;
	const bool full = __atomic_load_n(&b->busy, __ATOMIC_ACQUIRE) || unused < 2;
	if (OE_UNLIKELY(r->warm)) { /* the real next block: read and prefetched, not taken */
		__builtin_prefetch(b->pkt.data, 1);
		__builtin_prefetch(b->pkt.data + 64, 1);
		return &g_warm_block.pkt;
	}
	if (full) {
		r->claimed = false;
		return nullptr;
	}
	g_next_block = u16((g_next_block + 1) % kBlocks);
	seg_stamp(r, RING_SEG_BUFFER);
	return &b->pkt;
}

void cancelPrevWriteBuf(struct oe_tx_ring *r, struct TCPPacket *pkt)
{
	if (!r || !r->claimed)
		return;
	if (pkt && !r->warm) {
		const Block *b = reinterpret_cast<const Block *>(pkt);
		if ((b->index + 1) % kBlocks == g_next_block)
			g_next_block = b->index;
	}
	r->claimed = false;
}

void completeTx(struct oe_tx_ring *r, struct TCPPacket *pkt)
{
	if (!r || !r->claimed)
		return;
	seg_stamp(r, RING_SEG_COMPLETE);
	Block *b = reinterpret_cast<Block *>(pkt); /* pkt is the block's first member */
	const bool warm = r->warm;
	u16 i = g_next_to_use;
	/* warming runs the same stores into scratch copies of the slot; the real slot is prefetched */
	TxBufferInfo *info = warm ? &g_warm_info : &g_info[i];
	AdvTxDesc *d = warm ? &g_warm_desc : &g_desc[i];
	info->type = 1;
	info->block = b;
	info->bytecount = pkt->len;
	info->gso_segs = 1;
	info->protocol = 0;
	info->tx_flags = 0;
	write_desc(d, b, pkt->len);
	if (OE_UNLIKELY(warm)) { /* no busy mark, no ring index, no tail */
		__builtin_prefetch(&g_desc[i], 1);
		__builtin_prefetch(&g_info[i], 1);
		g_warm_frames++;
		r->claimed = false;
		return;
	}
	b->busy = 1;
	info->time_stamp = g_doorbells;
	i = u16((i + 1) % kDescs);
	oe::barrier(); /* smp_wmb: descriptor before next_to_watch */
	info->next_to_watch = d;
	g_next_to_use = i;
	asm volatile("sfence" ::: "memory"); /* wmb: frame and descriptor before the tail */
	g_tail = i;
	g_tail_tsc = tsc_now();
	b->doorbell_tsc = g_tail_tsc;
	g_doorbells++;
	g_last = b;
	r->claimed = false;
}

u64 oe_now_ns(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	const u64 tsc = u64(hi) << 32 | lo;
	if (OE_UNLIKELY(g_seg_on) && !g_seg[RING_SEG_CLOCK])
		g_seg[RING_SEG_CLOCK] = tsc;
	return tsc / 2; /* monotonic, roughly ns: only the TCP client's timers use it */
}
void oe_timer_arm(u64) {}
u32 oe_random_u32(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 17;
	g_rng ^= g_rng << 5;
	return g_rng;
}
void oe_log(const char *, u64, u64) {}

} // extern "C"
