// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: always-on latency histograms. Each histogram has a single writer (the core_lock holder
 * for the *_to_doorbell ones, the order-entry TX queue's NAPI for doorbell_to_txdone) and lock-free
 * readers: /sys/kernel/debug/igb_oe/histogram (write anything to it to reset), ethtool -S
 * (igboe_ttt_*) and a dmesg summary at disconnect and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include "oe_priv.h"

static const char * const oe_hist_names[OE_HIST_COUNT] = {
	[OE_HIST_HOOK] = "hook_to_doorbell",
	[OE_HIST_NAPI] = "napi_to_doorbell",
	[OE_HIST_IRQ] = "irq_to_doorbell",
	[OE_HIST_TXDONE] = "doorbell_to_txdone",
};

/* any context, writers may be running: each writer clears its histogram at its next sample */
void oe_hist_reset(struct oe_adapter *oe)
{
	unsigned int i;

	for (i = 0; i < OE_HIST_COUNT; i++)
		oe_hist_request_reset(&oe->hist[i]);
}

void oe_hist_summary(struct oe_adapter *oe, const char *why)
{
	const struct oe_hist *h = &oe->hist[OE_HIST_HOOK];
	const struct oe_hist *napi = &oe->hist[OE_HIST_NAPI];
	const struct oe_hist *irq = &oe->hist[OE_HIST_IRQ];

	pr_info("tick-to-trade n=%llu p50=%llu p99=%llu max=%llu ns (hook->doorbell); napi->doorbell p50=%llu p99=%llu; irq->doorbell n=%llu p50=%llu p99=%llu (%s)\n",
		oe_hist_n(h), oe_hist_percentile(h, 500), oe_hist_percentile(h, 990),
		oe_hist_n(h) ? READ_ONCE(h->max) : 0, oe_hist_percentile(napi, 500), oe_hist_percentile(napi, 990),
		oe_hist_n(irq), oe_hist_percentile(irq, 500), oe_hist_percentile(irq, 990),
		why);
}

static int oe_hist_show(struct seq_file *m, void *unused)
{
	struct oe_adapter *oe = m->private;
	const struct oe_hist *h;
	unsigned int i, b;
	u64 n, c, lo, hi;

	for (i = 0; i < OE_HIST_COUNT; i++) {
		h = &oe->hist[i];
		n = oe_hist_n(h);
		seq_printf(m, "%s n=%llu mean=%llu p50=%llu p90=%llu p99=%llu p99.9=%llu max=%llu ns\n",
			   oe_hist_names[i], n, n ? div64_u64(READ_ONCE(h->sum), n) : 0,
			   oe_hist_percentile(h, 500), oe_hist_percentile(h, 900),
			   oe_hist_percentile(h, 990), oe_hist_percentile(h, 999),
			   n ? READ_ONCE(h->max) : 0);
		for (b = 0; n && b < OE_HIST_BUCKETS; b++) {
			c = READ_ONCE(h->bucket[b]);
			if (!c)
				continue;
			oe_hist_range(b, &lo, &hi);
			seq_printf(m, "  %llu-%llu %llu\n", lo, hi, c);
		}
	}
	return 0;
}

static int oe_hist_open(struct inode *inode, struct file *file)
{
	return single_open(file, oe_hist_show, inode->i_private);
}

static ssize_t oe_hist_write(struct file *file, const char __user *buf, size_t len,
			     loff_t *ppos)
{
	struct oe_adapter *oe = file_inode(file)->i_private;

	oe_hist_reset(oe);
	return len;
}

static const struct file_operations oe_hist_fops = {
	.owner = THIS_MODULE,
	.open = oe_hist_open,
	.read = seq_read,
	.write = oe_hist_write,
	.llseek = seq_lseek,
	.release = single_release,
};

void oe_debugfs_init(struct oe_adapter *oe)
{
	/* the same folder for igb_oe.ko and igb_oe_pad.ko (contract C3) */
	oe->debugfs = debugfs_create_dir("igb_oe", NULL);
	debugfs_create_file("histogram", 0644, oe->debugfs, oe, &oe_hist_fops);
}

void oe_debugfs_exit(struct oe_adapter *oe)
{
	debugfs_remove_recursive(oe->debugfs);
	oe->debugfs = NULL;
}
