// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe stopwatch: one stopwatch for every path through this NIC. While armed it records, per CPU
 * and without locks or atomics:
 *   RX  every market-data frame: MD seq, the MSI-X entry that started the poll (or the poll itself
 *       when no interrupt did: busy polling), NAPI poll entry, RX descriptor seen (patches 0006,
 *       0009; before the order-entry hook, XDP and any skb);
 *   TX  every frame that carries an order, whoever wrote it (igb_tx_map, igb_xmit_xdp_ring,
 *       completeTx): the stamp right before its tail write (patch 0010, oe_tx.c). An skb's headers
 *       are read wherever they are (linear part or fragments: oe_sw_order_skb).
 * Values are ktime_get_ns() (CLOCK_MONOTONIC): guest time, 1 ns = 1 instruction under icount.
 * The host joins the records to the exchange's triggers (scripts/stopwatch.py).
 *
 * /sys/kernel/debug/igb_oe/stopwatch:
 *   write "arm md=239.255.0.1:12345 exchange=192.168.100.1 tcp=9012 udp=9013 [src=IP] [records=N]"
 *         (src: the MD source address, default the exchange's)
 *         "off"
 *   read  "# stopwatch armed=.. cpus=.. records=.. dropped=.. armed_ns=.." then one line a record:
 *         R cpu queue seq irq_ns msix|poll napi_ns rx_ns
 *         T cpu queue skb|xdp|oe tcp|udp id len port doorbell_ns
 * Arming and disarming run with RTNL; a disarm waits for every CPU to leave its hook, so the rings
 * are read (and reset at the next arm) with no writer running.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/inet.h>
#include <linux/percpu.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "oe_priv.h"

#define OE_SW_DEFAULT_RECORDS	65536
#define OE_SW_MAX_RECORDS	(1 << 22)

static struct oe_sw_rec *oe_sw_slot(struct oe_sw *sw)
{
	struct oe_sw_ring *r = this_cpu_ptr(sw->rings);

	if (unlikely(r->head >= r->cap)) {
		WRITE_ONCE(r->dropped, r->dropped + 1);
		return NULL;
	}
	return &r->rec[r->head];
}

static void oe_sw_commit(struct oe_sw *sw)
{
	struct oe_sw_ring *r = this_cpu_ptr(sw->rings);

	/* the record before the count: pairs with the acquire in oe_sw_seq_start */
	smp_store_release(&r->head, r->head + 1);
}

/* NAPI, OE_STAMP_SW set on this adapter */
void oe_sw_rx(struct igb_q_vector *q_vector, const void *data, unsigned int size)
{
	struct oe_adapter *oe = READ_ONCE(q_vector->adapter->oe);
	struct oe_sw_rec *r;
	u64 seq, now, irq;

	if (unlikely(!oe) || !oe_sw_md_frame(&oe->sw.filter, data, size, &seq)) {
		q_vector->oe_rx_ns = 0;
		return;
	}
	now = ktime_get_ns();
	q_vector->oe_rx_ns = now;	/* the in-driver hook reuses it (oe_rx.c) */
	r = oe_sw_slot(&oe->sw);
	if (!r)
		return;
	irq = q_vector->oe_poll_irq_ns;
	r->id = seq;
	r->t[0] = irq ? irq : q_vector->oe_napi_ns;
	r->t[1] = q_vector->oe_napi_ns;
	r->t[2] = now;
	r->type = irq ? OE_SW_RX_MSIX : OE_SW_RX_POLL;
	r->path = 0;
	r->len = 0;
	r->port = 0;
	r->queue = q_vector->rx.ring ? q_vector->rx.ring->queue_index : 0;
	oe_sw_commit(&oe->sw);
}

/* A TX tail write with OE_STAMP_SW set; order: the frame's record if it carries an order (its
 * headers were read before the write: after it the device may complete the frame and another CPU
 * free it). The stamp is read before the write too: the TX interrupt the device raises may run on
 * this CPU before the next instruction (oe_igb_tx_tail). Returns the doorbell stamp, 0 if the
 * frame carries no order; our own ring's frames are always stamped (completeTx needs each).
 */
static u64 oe_sw_tx_doorbell(struct oe_adapter *oe, struct igb_ring *ring, u32 tail,
			     struct oe_sw_rec *order, enum oe_sw_tx_path path)
{
	u64 now = order || path == OE_SW_TX_OE ? ktime_get_ns() : 0;
	struct oe_sw_rec *r;

	writel(tail, ring->tail);
	if (!order)
		return now;
	r = oe_sw_slot(&oe->sw);
	if (!r)
		return now;
	order->t[0] = now;
	order->t[1] = 0;
	order->t[2] = 0;
	order->path = path;
	order->queue = ring->queue_index;
	*r = *order;
	oe_sw_commit(&oe->sw);
	return now;
}

/* netpoll may transmit with interrupts off inside another writer of this CPU's ring: not stamped */
u64 oe_sw_tx_tail(struct igb_ring *ring, u32 tail, const void *frame, unsigned int size,
		  enum oe_sw_tx_path path)
{
	struct oe_adapter *oe = READ_ONCE(ring->q_vector->adapter->oe);
	struct oe_sw_rec rec;
	bool order = oe && !irqs_disabled() && oe_sw_order_frame(&oe->sw.filter, frame, size, &rec);

	return oe_sw_tx_doorbell(oe, ring, tail, order ? &rec : NULL, path);
}

/* igb_tx_map: the headers may be in fragments (AF_PACKET's TX ring), oe_sw_order_skb reads them */
u64 oe_sw_tx_tail_skb(struct igb_ring *ring, u32 tail, const struct sk_buff *skb)
{
	struct oe_adapter *oe = READ_ONCE(ring->q_vector->adapter->oe);
	struct oe_sw_rec rec;
	bool order = oe && !irqs_disabled() && oe_sw_order_skb(&oe->sw.filter, skb, &rec);

	return oe_sw_tx_doorbell(oe, ring, tail, order ? &rec : NULL, OE_SW_TX_SKB);
}

/* ---- arming (RTNL) ---- */

static void oe_sw_free_rings(struct oe_sw *sw)
{
	int cpu;

	if (!sw->rings)
		return;
	for_each_possible_cpu(cpu)
		vfree(per_cpu_ptr(sw->rings, cpu)->rec);
	free_percpu(sw->rings);
	sw->rings = NULL;
}

static int oe_sw_alloc_rings(struct oe_sw *sw, u32 cap)
{
	int cpu;

	if (sw->rings && sw->cap == cap)
		return 0;
	oe_sw_free_rings(sw);
	sw->rings = alloc_percpu(struct oe_sw_ring);
	if (!sw->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct oe_sw_ring *r = per_cpu_ptr(sw->rings, cpu);

		r->rec = vmalloc_array(cap, sizeof(*r->rec));
		if (!r->rec) {
			oe_sw_free_rings(sw);
			return -ENOMEM;
		}
		r->cap = cap;
	}
	sw->cap = cap;
	return 0;
}

static void oe_sw_disarm(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	if (!oe->sw.armed)
		return;
	oe->sw.armed = false;
	oe_stamp_update(oe);	/* waits for every CPU to leave its hook */
}

static int oe_sw_parse_endpoint(const char *s, __be32 *ip, __be16 *port)
{
	const char *colon = strchr(s, ':');
	u16 p = 0;

	if (in4_pton(s, colon ? colon - s : -1, (u8 *)ip, -1, NULL) != 1)
		return -EINVAL;
	if (port) {
		if (!colon || kstrtou16(colon + 1, 10, &p) || !p)
			return -EINVAL;
		*port = htons(p);
	}
	return 0;
}

static int oe_sw_arm(struct oe_adapter *oe, char *args)
{
	__be32 group = 0, source = 0, exchange = 0;
	__be16 md_port = 0, tcp = 0, udp = 0;
	u32 cap = OE_SW_DEFAULT_RECORDS;
	struct oe_sw_filter f;
	char *tok, *val;
	u16 port;
	int cpu, err;

	while ((tok = strsep(&args, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = 0;
		if (!strcmp(tok, "md"))
			err = oe_sw_parse_endpoint(val, &group, &md_port);
		else if (!strcmp(tok, "exchange"))
			err = oe_sw_parse_endpoint(val, &exchange, NULL);
		else if (!strcmp(tok, "src"))
			err = oe_sw_parse_endpoint(val, &source, NULL);
		else if (!strcmp(tok, "tcp") || !strcmp(tok, "udp")) {
			err = kstrtou16(val, 10, &port);
			if (tok[0] == 't')
				tcp = htons(port);
			else
				udp = htons(port);
		} else if (!strcmp(tok, "records"))
			err = kstrtou32(val, 10, &cap) ?: (cap && cap <= OE_SW_MAX_RECORDS ? 0 : -ERANGE);
		else
			err = -EINVAL;
		if (err)
			return err;
	}
	if (!ipv4_is_multicast(group) || !exchange || (!tcp && !udp))
		return -EINVAL;
	oe_sw_filter_init(&f, group, md_port, source, exchange, tcp, udp);

	oe_sw_disarm(oe);
	err = oe_sw_alloc_rings(&oe->sw, cap);
	if (err)
		return err;
	for_each_possible_cpu(cpu) {
		struct oe_sw_ring *r = per_cpu_ptr(oe->sw.rings, cpu);

		r->head = 0;
		r->dropped = 0;
	}
	oe->sw.filter = f;
	oe->sw.armed_ns = ktime_get_ns();
	oe->sw.armed = true;
	oe_stamp_update(oe);
	return 0;
}

void oe_sw_exit(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	oe_sw_disarm(oe);
	oe_sw_free_rings(&oe->sw);
}

/* ---- debugfs ---- */

struct oe_sw_pos {
	int cpu;
	u32 i;
};

static void *oe_sw_seek(struct oe_adapter *oe, loff_t pos, struct oe_sw_pos *p)
{
	int cpu;

	if (!oe->sw.rings)
		return NULL;
	for_each_possible_cpu(cpu) {
		u32 n = smp_load_acquire(&per_cpu_ptr(oe->sw.rings, cpu)->head);

		if (pos < n) {
			p->cpu = cpu;
			p->i = pos;
			return p;
		}
		pos -= n;
	}
	return NULL;
}

/* position 0 is the header line, record k is position k + 1 */
static void *oe_sw_seq_start(struct seq_file *m, loff_t *pos)
{
	struct oe_adapter *oe = m->private;
	struct oe_sw_pos *p;

	rtnl_lock();	/* no arm or free while reading; released in stop */
	if (*pos == 0)
		return SEQ_START_TOKEN;
	p = kmalloc(sizeof(*p), GFP_KERNEL);
	if (p && !oe_sw_seek(oe, *pos - 1, p)) {
		kfree(p);
		p = NULL;
	}
	return p;
}

static void *oe_sw_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct oe_adapter *oe = m->private;
	struct oe_sw_pos *p = v;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		p = kmalloc(sizeof(*p), GFP_KERNEL);
		if (!p)
			return NULL;
	}
	if (oe_sw_seek(oe, *pos - 1, p))
		return p;
	kfree(p);
	return NULL;
}

static void oe_sw_seq_stop(struct seq_file *m, void *v)
{
	if (v != SEQ_START_TOKEN)
		kfree(v);
	rtnl_unlock();
}

static int oe_sw_seq_show(struct seq_file *m, void *v)
{
	static const char * const paths[] = { "skb", "xdp", "oe" };
	struct oe_adapter *oe = m->private;
	const struct oe_sw_rec *r;
	struct oe_sw_pos *p = v;
	u64 dropped = 0;
	int cpu;

	if (v == SEQ_START_TOKEN) {
		if (oe->sw.rings)
			for_each_possible_cpu(cpu)
				dropped += READ_ONCE(per_cpu_ptr(oe->sw.rings, cpu)->dropped);
		seq_printf(m, "# stopwatch armed=%d cpus=%u records=%u dropped=%llu armed_ns=%llu md=%pI4:%u exchange=%pI4 tcp=%u udp=%u\n",
			   oe->sw.armed, num_possible_cpus(), oe->sw.cap, dropped, oe->sw.armed_ns,
			   &oe->sw.filter.md.md_group, ntohs(oe->sw.filter.md.md_port),
			   &oe->sw.filter.exchange_ip, ntohs(oe->sw.filter.tcp_port),
			   ntohs(oe->sw.filter.udp_port));
		return 0;
	}
	r = &per_cpu_ptr(oe->sw.rings, p->cpu)->rec[p->i];
	if (r->type == OE_SW_RX_MSIX || r->type == OE_SW_RX_POLL)
		seq_printf(m, "R %d %u %llu %llu %s %llu %llu\n", p->cpu, r->queue, r->id, r->t[0],
			   r->type == OE_SW_RX_MSIX ? "msix" : "poll", r->t[1], r->t[2]);
	else
		seq_printf(m, "T %d %u %s %s %llu %u %u %llu\n", p->cpu, r->queue,
			   r->path < ARRAY_SIZE(paths) ? paths[r->path] : "?",
			   r->type == OE_SW_TX_TCP ? "tcp" : "udp", r->id, r->len, r->port, r->t[0]);
	return 0;
}

static const struct seq_operations oe_sw_seq_ops = {
	.start = oe_sw_seq_start,
	.next = oe_sw_seq_next,
	.stop = oe_sw_seq_stop,
	.show = oe_sw_seq_show,
};

static int oe_sw_open(struct inode *inode, struct file *file)
{
	int err = seq_open(file, &oe_sw_seq_ops);

	if (!err)
		((struct seq_file *)file->private_data)->private = inode->i_private;
	return err;
}

static ssize_t oe_sw_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct oe_adapter *oe = file_inode(file)->i_private;
	char buf[160];
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	rtnl_lock();
	if (READ_ONCE(oe->dying))
		err = -ENODEV;
	else if (!strncmp(buf, "arm", 3) && (!buf[3] || isspace(buf[3])))
		err = oe_sw_arm(oe, buf + 3);
	else if (!strncmp(buf, "off", 3) && (!buf[3] || isspace(buf[3]))) {
		oe_sw_disarm(oe);
		err = 0;
	} else {
		err = -EINVAL;
	}
	rtnl_unlock();
	return err ?: len;
}

static const struct file_operations oe_sw_fops = {
	.owner = THIS_MODULE,
	.open = oe_sw_open,
	.read = seq_read,
	.write = oe_sw_write,
	.llseek = seq_lseek,
	.release = seq_release,
};

void oe_sw_debugfs_init(struct oe_adapter *oe)
{
	debugfs_create_file("stopwatch", 0644, oe->debugfs, oe, &oe_sw_fops);
}
