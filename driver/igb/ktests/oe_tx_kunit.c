// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "igb_oe_tx": driver/igb/oe_tx.c itself (compiled into this file, its platform symbols
 * renamed so they do not meet oe_kunit.ko's fake platform) on an igb TX ring in memory: a net_device
 * with its real queues and xmit locks, an igb_ring whose descriptors, buffer info and tail register
 * are plain memory. Cases: the block ring wraps (blocks and descriptor indices), a full ring (no free
 * block, too few descriptors) returns NULL and releases the claim, cancel reverts the block just
 * taken and nothing else, a ring reset (igb_clean_tx_ring) flushes every posted block, a down
 * link or ring refuses the claim, and the warm sink touches nothing of the ring.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/etherdevice.h>
#include <linux/slab.h>

/* oe_tx.c's exported names, renamed (the fake platform of oe_kunit.ko has the real ones) */
#define oe_tx_ring_for		oe_test_tx_ring_for
#define prepareWrite		oe_test_prepareWrite
#define getPacketBuffer		oe_test_getPacketBuffer
#define cancelPrevWriteBuf	oe_test_cancelPrevWriteBuf
#define completeTx		oe_test_completeTx
#define oe_igb_tx_clean		oe_test_igb_tx_clean
#define oe_tx_pool_alloc	oe_test_tx_pool_alloc
#define oe_tx_pool_free		oe_test_tx_pool_free
#define oe_tx_pool_reset	oe_test_tx_pool_reset
#define oe_dev			oe_test_dev
#define oe_txq_index		oe_test_txq_index
/* no tracepoints here (they belong to igb_oe.ko) */
#define _OE_TRACE_H
#define trace_oe_doorbell(...)	do { } while (0)
#define trace_oe_tx_done(...)	do { } while (0)

#include "../oe_tx.c"

struct oe_adapter *oe_test_dev;

#ifdef OE_STAMP_SESSION
/* the stopwatch's stamps (oe_igb.h, oe_stamp.c in igb_oe.ko): the key stays off here, so the TX
 * tail write is the plain one; these are only what the inline helpers link against
 */
DEFINE_STATIC_KEY_FALSE(oe_stamp_key);

u64 oe_sw_tx_tail(struct igb_ring *ring, u32 tail, const void *frame, unsigned int size,
		  enum oe_sw_tx_path path)
{
	writel(tail, ring->tail);
	return 0;
}

u64 oe_sw_tx_tail_skb(struct igb_ring *ring, u32 tail, const struct sk_buff *skb)
{
	writel(tail, ring->tail);
	return 0;
}
#endif

unsigned int oe_test_txq_index(struct igb_adapter *adapter)
{
	return adapter->num_tx_queues - 1;
}

#define OE_TEST_DESCS 256

struct oe_tx_fixture {
	struct net_device *netdev;
	struct igb_adapter *adapter;
	struct oe_adapter *oe;
	struct igb_ring *ring;
	struct igb_q_vector *q_vector;
	u32 tail;
};

static void oe_tx_ring_setup(struct oe_tx_fixture *f, u16 count)
{
	struct igb_ring *ring = f->ring;

	kfree(ring->desc);
	kfree(ring->tx_buffer_info);
	ring->count = count;
	ring->desc = kcalloc(count, sizeof(union e1000_adv_tx_desc), GFP_KERNEL);
	ring->tx_buffer_info = kcalloc(count, sizeof(struct igb_tx_buffer), GFP_KERNEL);
	ring->next_to_use = ring->next_to_clean = 0;
}

static int oe_tx_test_init(struct kunit *test)
{
	struct oe_tx_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct oe_tx_ring *txr;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->netdev = alloc_etherdev_mqs(sizeof(struct igb_adapter), 2, 2);
	KUNIT_ASSERT_NOT_NULL(test, f->netdev);
	netif_carrier_on(f->netdev);
	f->adapter = netdev_priv(f->netdev);
	f->adapter->netdev = f->netdev;
	f->adapter->num_tx_queues = 2;
	f->ring = kzalloc(sizeof(*f->ring), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->ring);
	f->ring->netdev = f->netdev;
	f->ring->queue_index = 1;
	f->ring->tail = (void __iomem *)&f->tail;
	f->q_vector = kzalloc(sizeof(*f->q_vector), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->q_vector);
	f->q_vector->adapter = f->adapter;
	f->ring->q_vector = f->q_vector;
	f->adapter->tx_ring[1] = f->ring;
	oe_tx_ring_setup(f, OE_TEST_DESCS);

	f->oe = kzalloc(sizeof(*f->oe), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->oe);
	f->oe->adapter = f->adapter;
	f->oe->netdev = f->netdev;
	f->oe->ctr = oe_ctr_alloc();
	KUNIT_ASSERT_NOT_NULL(test, (void __force *)f->oe->ctr);
	f->adapter->oe = f->oe;
	/* the pool oe_tx_pool_alloc builds, in ordinary memory (the DMA address is never used) */
	txr = &f->oe->txr;
	txr->oe = f->oe;
	txr->cap = 1514;
	txr->mem = kzalloc(OE_TX_BLOCKS * OE_TX_BLOCK_SIZE, GFP_KERNEL);
	txr->blocks = kcalloc(OE_TX_BLOCKS, sizeof(*txr->blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, txr->mem);
	KUNIT_ASSERT_NOT_NULL(test, txr->blocks);
	for (i = 0; i < OE_TX_BLOCKS; i++) {
		txr->blocks[i].pkt.data = txr->mem + i * OE_TX_BLOCK_SIZE;
		txr->blocks[i].pkt.cap = txr->cap;
		txr->blocks[i].dma = 0x10000000 + i * OE_TX_BLOCK_SIZE;
		txr->blocks[i].index = i;
	}
	oe_test_dev = f->oe;
	test->priv = f;
	return 0;
}

static void oe_tx_test_exit(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;

	oe_test_dev = NULL;
	kfree(f->oe->txr.blocks);
	kfree(f->oe->txr.mem);
	free_percpu(f->oe->ctr);
	kfree(f->oe);
	kfree(f->ring->desc);
	kfree(f->ring->tx_buffer_info);
	kfree(f->ring);
	kfree(f->q_vector);
	free_netdev(f->netdev);
}

static u64 oe_test_ctr(struct oe_tx_fixture *f, enum oe_ctr_id id)
{
	return oe_ctr_read(f->oe->ctr, id);
}

/* one frame the way the core sends it, in NAPI context (BHs off); NULL if the ring refused */
static struct TCPPacket *oe_test_send(struct oe_tx_fixture *f, u16 len)
{
	struct oe_tx_ring *txr = oe_test_tx_ring_for(0);
	struct TCPPacket *pkt = NULL;

	local_bh_disable();
	if (prepareWrite(0, txr)) {
		pkt = getPacketBuffer(txr);
		if (pkt) {
			memset(pkt->data, 0xab, len);
			pkt->len = len;
			completeTx(txr, pkt);
		}
	}
	local_bh_enable();
	return pkt;
}

/* igb_clean_tx_irq for the oldest posted descriptor: DD seen, the block handed back */
static void oe_test_clean_one(struct oe_tx_fixture *f, bool sent)
{
	struct igb_ring *ring = f->ring;
	struct igb_tx_buffer *tb = &ring->tx_buffer_info[ring->next_to_clean];

	local_bh_disable();
	if (tb->type == IGB_TYPE_OE)
		oe_igb_tx_clean(ring, tb, sent);
	tb->next_to_watch = NULL;
	local_bh_enable();
	if (++ring->next_to_clean == ring->count)
		ring->next_to_clean = 0;
}

static bool oe_test_claim_free(struct oe_tx_fixture *f)
{
	struct netdev_queue *nq = netdev_get_tx_queue(f->netdev, 1);

	return !f->oe->txr.claimed && !spin_is_locked(&nq->_xmit_lock);
}

/* blocks are taken in order and wrap at OE_TX_BLOCKS; descriptors wrap at the ring size */
static void oe_tx_block_ring_wraps(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	union e1000_adv_tx_desc *d;
	struct oe_block *blk;
	struct TCPPacket *pkt;
	int i;

	oe_tx_ring_setup(f, 16);
	for (i = 0; i < OE_TX_BLOCKS + 5; i++) {
		u16 at = f->ring->next_to_use;

		pkt = oe_test_send(f, 60 + i);
		KUNIT_ASSERT_NOT_NULL(test, pkt);
		blk = container_of(pkt, struct oe_block, pkt);
		KUNIT_EXPECT_EQ(test, blk->index, i % OE_TX_BLOCKS);
		/* the descriptor: the block's DMA address, the length, EOP|RS, and the doorbell */
		d = IGB_TX_DESC(f->ring, at);
		KUNIT_EXPECT_EQ(test, le64_to_cpu(d->read.buffer_addr), (u64)blk->dma);
		KUNIT_EXPECT_EQ(test, le32_to_cpu(d->read.cmd_type_len) & 0xffff, 60u + i);
		KUNIT_EXPECT_TRUE(test, le32_to_cpu(d->read.cmd_type_len) & E1000_TXD_CMD_EOP);
		KUNIT_EXPECT_EQ(test, le32_to_cpu(d->read.olinfo_status) >> E1000_ADVTXD_PAYLEN_SHIFT,
				60u + i);
		KUNIT_EXPECT_EQ(test, f->ring->next_to_use, (at + 1) % 16);
		KUNIT_EXPECT_EQ(test, f->tail, (u32)f->ring->next_to_use);
		KUNIT_EXPECT_PTR_EQ(test, f->ring->tx_buffer_info[at].oe_block, blk);
		KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
		oe_test_clean_one(f, true);
		KUNIT_EXPECT_EQ(test, READ_ONCE(blk->busy), 0);
	}
	KUNIT_EXPECT_EQ(test, f->oe->txr.next_block, 5);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_doorbells), (u64)OE_TX_BLOCKS + 5);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_done), (u64)OE_TX_BLOCKS + 5);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_busy), 0ULL);
}

/* every block in flight: the next frame is refused, the claim released; one completion frees one */
static void oe_tx_ring_full(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	int i;

	for (i = 0; i < OE_TX_BLOCKS; i++)
		KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_busy), 1ULL);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
	KUNIT_EXPECT_EQ(test, f->ring->next_to_use, OE_TX_BLOCKS); /* nothing posted */
	oe_test_clean_one(f, true);
	KUNIT_EXPECT_NOT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_busy), 2ULL);

	/* the descriptor ring full before the blocks: OE_TX_DESC_SLACK are kept back */
	oe_tx_test_exit(test);
	oe_tx_test_init(test);
	f = test->priv;
	oe_tx_ring_setup(f, 8);
	for (i = 0; i < 8 - OE_TX_DESC_SLACK; i++)
		KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_NULL(test, oe_test_send(f, 100));
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_busy), 1ULL);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
	/* the refusal did not consume a block */
	KUNIT_EXPECT_EQ(test, f->oe->txr.next_block, 8 - OE_TX_DESC_SLACK);
}

/* cancel gives back exactly the block just taken and releases the claim */
static void oe_tx_cancel_reverts(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	struct oe_tx_ring *txr = &f->oe->txr;
	struct TCPPacket *a, *b, *c;

	KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 80));	/* block 0 posted */
	local_bh_disable();
	KUNIT_ASSERT_TRUE(test, prepareWrite(0, txr));
	a = getPacketBuffer(txr);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, txr->next_block, 2);
	cancelPrevWriteBuf(txr, a);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, txr->next_block, 1);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
	KUNIT_EXPECT_EQ(test, f->ring->next_to_use, 1);	/* no descriptor for a cancelled frame */

	/* the next frame reuses the cancelled block */
	b = oe_test_send(f, 80);
	KUNIT_EXPECT_PTR_EQ(test, b, a);

	/* a stale pointer (not the block just taken) reverts nothing; NULL only releases */
	local_bh_disable();
	KUNIT_ASSERT_TRUE(test, prepareWrite(0, txr));
	c = getPacketBuffer(txr);
	KUNIT_ASSERT_NOT_NULL(test, c);
	cancelPrevWriteBuf(txr, b);
	KUNIT_EXPECT_EQ(test, txr->next_block, 3);
	KUNIT_ASSERT_TRUE(test, prepareWrite(0, txr));
	cancelPrevWriteBuf(txr, NULL);
	local_bh_enable();
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));

	/* a bad length from the core is refused like a cancel */
	local_bh_disable();
	KUNIT_ASSERT_TRUE(test, prepareWrite(0, txr));
	c = getPacketBuffer(txr);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->len = c->cap + 1;
	completeTx(txr, c);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_bad_len), 1ULL);
	KUNIT_EXPECT_EQ(test, txr->next_block, 3);
	KUNIT_EXPECT_EQ(test, f->ring->next_to_use, 2);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
}

/* a ring reset (igb_clean_tx_ring: ethtool -G/-L, ifdown) flushes every posted block */
static void oe_tx_flush_on_ring_reset(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	struct oe_tx_ring *txr = &f->oe->txr;
	int i;

	for (i = 0; i < OE_TX_BLOCKS; i++)
		KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 64));
	KUNIT_EXPECT_NULL(test, oe_test_send(f, 64));
	/* igb_clean_tx_ring walks next_to_clean..next_to_use */
	while (f->ring->next_to_clean != f->ring->next_to_use)
		oe_test_clean_one(f, false);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_flushed), (u64)OE_TX_BLOCKS);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_done), 0ULL);
	for (i = 0; i < OE_TX_BLOCKS; i++) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(txr->blocks[i].busy), 0);
		KUNIT_EXPECT_EQ(test, f->ring->tx_buffer_info[i].type, IGB_TYPE_SKB);
		KUNIT_EXPECT_NULL(test, f->ring->tx_buffer_info[i].oe_block);
	}
	/* the ring comes back (igb_configure_tx_ring zeroes the indices): blocks are reusable */
	f->ring->next_to_use = f->ring->next_to_clean = 0;
	KUNIT_EXPECT_NOT_NULL(test, oe_test_send(f, 64));
	/* a core restart forgets the templates of the old instance */
	txr->blocks[5].pkt.template_gen = 7;
	oe_test_tx_pool_reset(f->oe);
	KUNIT_EXPECT_EQ(test, txr->blocks[5].pkt.template_gen, 0u);
}

/* link or ring down: no claim (the core retries later), counted */
static void oe_tx_down_refuses(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	struct oe_tx_ring *txr = &f->oe->txr;

	netif_carrier_off(f->netdev);
	local_bh_disable();
	KUNIT_EXPECT_FALSE(test, prepareWrite(0, txr));
	local_bh_enable();
	netif_carrier_on(f->netdev);
	set_bit(__IGB_DOWN, &f->adapter->state);
	local_bh_disable();
	KUNIT_EXPECT_FALSE(test, prepareWrite(0, txr));
	local_bh_enable();
	clear_bit(__IGB_DOWN, &f->adapter->state);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_down), 2ULL);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
	/* a claim is exclusive: a second prepareWrite while claimed is refused */
	local_bh_disable();
	KUNIT_ASSERT_TRUE(test, prepareWrite(0, txr));
	KUNIT_EXPECT_FALSE(test, prepareWrite(0, txr));
	cancelPrevWriteBuf(txr, NULL);
	local_bh_enable();
	KUNIT_EXPECT_NOT_NULL(test, oe_test_send(f, 64));
}

/* the warm sink (oe_warm.c, docs/strategy.md "Warming"): the same calls prepare a frame and its
 * descriptor in scratch memory; the ring's indices, tail, descriptors, blocks, xmit lock and
 * counters stay as they were, and the next real frame gets the descriptor the warm one had
 */
static void oe_tx_warm_sink_touches_nothing(struct kunit *test)
{
	struct oe_tx_fixture *f = test->priv;
	struct oe_tx_ring *warm = &f->oe->warm_txr;
	union e1000_adv_tx_desc *d;
	struct TCPPacket *pkt;
	u16 ntu, next_block;
	u32 tail;

	warm->oe = f->oe;
	warm->warm = true;
	f->oe->warm_block.pkt.data = f->oe->warm_frame;
	f->oe->warm_block.pkt.cap = OE_TX_BLOCK_SIZE;
	KUNIT_EXPECT_PTR_EQ(test, oe_test_tx_ring_for(OE_CPU_WARM), warm);
	KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 80));	/* one real frame first */
	ntu = f->ring->next_to_use;
	tail = f->tail;
	next_block = f->oe->txr.next_block;

	local_bh_disable();
	KUNIT_ASSERT_TRUE(test, prepareWrite(OE_CPU_WARM, warm));
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));	/* no xmit lock, no real claim */
	pkt = getPacketBuffer(warm);
	KUNIT_ASSERT_PTR_EQ(test, pkt, &f->oe->warm_block.pkt);
	memset(pkt->data, 0xcd, 90);
	pkt->len = 90;
	completeTx(warm, pkt);
	local_bh_enable();

	KUNIT_EXPECT_FALSE(test, warm->claimed);
	KUNIT_EXPECT_TRUE(test, oe_test_claim_free(f));
	KUNIT_EXPECT_EQ(test, f->ring->next_to_use, ntu);
	KUNIT_EXPECT_EQ(test, f->tail, tail);
	KUNIT_EXPECT_EQ(test, f->oe->txr.next_block, next_block);
	KUNIT_EXPECT_EQ(test, READ_ONCE(f->oe->txr.blocks[next_block].busy), 0);
	KUNIT_EXPECT_NULL(test, f->ring->tx_buffer_info[ntu].oe_block);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(IGB_TX_DESC(f->ring, ntu)->read.cmd_type_len), 0u);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_doorbells), 1ULL);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_tx_busy), 0ULL);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f->oe->warm_desc.read.cmd_type_len) & 0xffff, 90u);
	KUNIT_EXPECT_PTR_EQ(test, f->oe->warm_tx_buffer.oe_block, &f->oe->warm_block);

	/* the real frame after it: same descriptor fields, in the ring, and the doorbell */
	KUNIT_ASSERT_NOT_NULL(test, oe_test_send(f, 90));
	d = IGB_TX_DESC(f->ring, ntu);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(d->read.cmd_type_len), le32_to_cpu(f->oe->warm_desc.read.cmd_type_len));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(d->read.olinfo_status), le32_to_cpu(f->oe->warm_desc.read.olinfo_status));
	KUNIT_EXPECT_EQ(test, f->ring->next_to_use, (ntu + 1) % OE_TEST_DESCS);
	KUNIT_EXPECT_EQ(test, f->tail, (u32)f->ring->next_to_use);
	KUNIT_EXPECT_EQ(test, oe_test_ctr(f, OE_CTR_doorbells), 2ULL);
}

static struct kunit_case oe_tx_cases[] = {
	KUNIT_CASE(oe_tx_block_ring_wraps),
	KUNIT_CASE(oe_tx_ring_full),
	KUNIT_CASE(oe_tx_cancel_reverts),
	KUNIT_CASE(oe_tx_flush_on_ring_reset),
	KUNIT_CASE(oe_tx_down_refuses),
	KUNIT_CASE(oe_tx_warm_sink_touches_nothing),
	{}
};

static struct kunit_suite oe_tx_suite = {
	.name = "igb_oe_tx",
	.init = oe_tx_test_init,
	.exit = oe_tx_test_exit,
	.test_cases = oe_tx_cases,
};

kunit_test_suite(oe_tx_suite);
