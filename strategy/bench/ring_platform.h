/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench-warm platform (ring_platform.cpp): abi.h's platform API over a TX ring shaped like the
 * driver's (driver/igb/oe_tx.c): 64 blocks of 2 KiB, a 256-entry ring of 16-byte advanced data
 * descriptors with their tx_buffer_info, a tail register; plus the warm sink (a scratch block and a
 * scratch descriptor, no tail). completeTx reads the TSC right after the tail write: "frame ready and
 * descriptor written"; with ring_segments_enable it also stamps the TX calls in between.
 */
#ifndef OE_RING_PLATFORM_H
#define OE_RING_PLATFORM_H
#include "oe/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

u64 ring_tail_tsc(void);                 /* TSC read just after the last tail write */
u32 ring_doorbells(void);                /* tail writes so far */
u32 ring_warm_frames(void);              /* descriptors prepared in the warm sink */
const u8 *ring_last_frame(u16 *len);     /* the frame of the last tail write */
void ring_clean(void);                   /* the device sent everything posted: free the blocks */
/* Segments of the last real frame (off unless enabled; each stamp is one rdtscp): TSC at the first
 * oe_now_ns() since ring_segments_arm() (the core reads the clock once, at the decision to fire), at
 * the entry of prepareWrite, the return of getPacketBuffer and the entry of completeTx; the tail is
 * ring_tail_tsc(). Warm-sink calls are not stamped. */
enum { RING_SEG_CLOCK, RING_SEG_PREPARE, RING_SEG_BUFFER, RING_SEG_COMPLETE, RING_SEGS };
void ring_segments_enable(bool on);
void ring_segments_arm(void);
void ring_segments(u64 out[RING_SEGS]);

#ifdef __cplusplus
}
#endif
#endif
