/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps every lab BPF program carries (BPF side only; lab.h is the part userspace shares):
 * "cfg", the lab's flows as written by the loader, and "stats", per-CPU counters indexed by
 * OE_STAT_*. Each program object gets its own instance; the loaders find them by name.
 */
#ifndef OE_LAB_MAPS_BPF_H
#define OE_LAB_MAPS_BPF_H
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lab.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oe_lab_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OE_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);

	if (v)
		(*v)++;
}

#endif
