/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oe/fake_platform.h — a complete, deterministic implementation of abi.h's platform API for tests:
 * a 64-block TX ring that captures frames, a settable clock, the one timer's deadline, seeded
 * random. Freestanding (kunit/fake_platform.cpp): linked into oe_kunit.ko and into host test
 * binaries, so the same test cases drive the real core binding (oe_core.cpp) in both.
 */
#ifndef OE_FAKE_PLATFORM_H
#define OE_FAKE_PLATFORM_H
#include "oe/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OE_FAKE_TX_BLOCKS 64
#define OE_FAKE_TX_BLOCK_SIZE 2048

void oe_fake_reset(void);                 /* empty ring, clock 0, no timer, seed 1 */
void oe_fake_set_now(u64 ns);
u64 oe_fake_timer_deadline(void);         /* 0 = not armed */
void oe_fake_set_ring_full(bool full);    /* prepareWrite() fails while set */
u32 oe_fake_tx_count(void);               /* frames completed (doorbells) since reset */
u32 oe_fake_tx_cancelled(void);           /* cancelPrevWriteBuf calls since reset */
const u8 *oe_fake_tx_frame(u32 i, u16 *len); /* i-th completed frame (i < count, last 64 kept) */
u32 oe_fake_warm_frames(void);            /* frames completed on the warm sink (oe_warm) since reset */
const u8 *oe_fake_warm_frame(u16 *len);   /* the last one (NULL if none) */
u32 oe_fake_log_count(void);
const char *oe_fake_log_last(void);       /* last oe_log event name */

#ifdef __cplusplus
}
#endif
#endif
