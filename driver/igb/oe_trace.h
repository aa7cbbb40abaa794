/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igb_oe tracepoints (trace-cmd record -e igb_oe, perf record -e 'igb_oe:*',
 * bpftrace -e 'tracepoint:igb_oe:oe_trigger { @[args->doorbell_ns - args->hook_ns] = count(); }').
 * All times are ktime_get_ns() (CLOCK_MONOTONIC). irq_ns is 0 when the NAPI poll was not started by
 * an MSI-X interrupt (re-poll, busy poll, timer kick). Emitted after the doorbell, never before it.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM igb_oe

#if !defined(_OE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _OE_TRACE_H

#include <linux/tracepoint.h>

/* a market-data datagram went through handleMDPacket; doorbell_ns != 0 if it produced an order */
TRACE_EVENT(oe_md_frame,
	TP_PROTO(u16 len, u64 irq_ns, u64 napi_ns, u64 hook_ns, u64 doorbell_ns),
	TP_ARGS(len, irq_ns, napi_ns, hook_ns, doorbell_ns),
	TP_STRUCT__entry(
		__field(u16, len)
		__field(u64, irq_ns)
		__field(u64, napi_ns)
		__field(u64, hook_ns)
		__field(u64, doorbell_ns)
	),
	TP_fast_assign(
		__entry->len = len;
		__entry->irq_ns = irq_ns;
		__entry->napi_ns = napi_ns;
		__entry->hook_ns = hook_ns;
		__entry->doorbell_ns = doorbell_ns;
	),
	TP_printk("len=%u irq_ns=%llu napi_ns=%llu hook_ns=%llu doorbell_ns=%llu",
		  __entry->len, __entry->irq_ns, __entry->napi_ns, __entry->hook_ns,
		  __entry->doorbell_ns)
);

/* the trigger fired: an MD datagram rang the order doorbell */
TRACE_EVENT(oe_trigger,
	TP_PROTO(u64 irq_ns, u64 napi_ns, u64 hook_ns, u64 doorbell_ns),
	TP_ARGS(irq_ns, napi_ns, hook_ns, doorbell_ns),
	TP_STRUCT__entry(
		__field(u64, irq_ns)
		__field(u64, napi_ns)
		__field(u64, hook_ns)
		__field(u64, doorbell_ns)
	),
	TP_fast_assign(
		__entry->irq_ns = irq_ns;
		__entry->napi_ns = napi_ns;
		__entry->hook_ns = hook_ns;
		__entry->doorbell_ns = doorbell_ns;
	),
	TP_printk("hook_to_doorbell=%llu napi_to_doorbell=%llu irq_to_doorbell=%llu",
		  __entry->doorbell_ns - __entry->hook_ns,
		  __entry->doorbell_ns - __entry->napi_ns,
		  __entry->irq_ns ? __entry->doorbell_ns - __entry->irq_ns : 0)
);

/* completeTx wrote a descriptor and the tail register (orders, SYN, ACK, FIN) */
TRACE_EVENT(oe_doorbell,
	TP_PROTO(u16 queue, u16 block, u16 len, u64 hook_ns, u64 doorbell_ns),
	TP_ARGS(queue, block, len, hook_ns, doorbell_ns),
	TP_STRUCT__entry(
		__field(u16, queue)
		__field(u16, block)
		__field(u16, len)
		__field(u64, hook_ns)
		__field(u64, doorbell_ns)
	),
	TP_fast_assign(
		__entry->queue = queue;
		__entry->block = block;
		__entry->len = len;
		__entry->hook_ns = hook_ns;
		__entry->doorbell_ns = doorbell_ns;
	),
	TP_printk("queue=%u block=%u len=%u hook_ns=%llu doorbell_ns=%llu",
		  __entry->queue, __entry->block, __entry->len, __entry->hook_ns,
		  __entry->doorbell_ns)
);

/* igb_clean_tx_irq saw an order-entry descriptor done */
TRACE_EVENT(oe_tx_done,
	TP_PROTO(u16 queue, u16 block, u64 doorbell_ns, u64 done_ns),
	TP_ARGS(queue, block, doorbell_ns, done_ns),
	TP_STRUCT__entry(
		__field(u16, queue)
		__field(u16, block)
		__field(u64, doorbell_ns)
		__field(u64, done_ns)
	),
	TP_fast_assign(
		__entry->queue = queue;
		__entry->block = block;
		__entry->doorbell_ns = doorbell_ns;
		__entry->done_ns = done_ns;
	),
	TP_printk("queue=%u block=%u doorbell_ns=%llu done_ns=%llu doorbell_to_done=%llu",
		  __entry->queue, __entry->block, __entry->doorbell_ns, __entry->done_ns,
		  __entry->done_ns - __entry->doorbell_ns)
);

#endif /* _OE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE oe_trace
#include <trace/define_trace.h>
