// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: the order-entry TX path, the platform half of oe/abi.h's TX API, modelled on igb's XDP_TX
 * (igb_xmit_xdp_ring): the queue's xmit lock, one data descriptor per frame, tail write.
 *
 * Frames live in a pool of OE_TX_BLOCKS coherent DMA blocks allocated once (first connect) and
 * kept until the device goes away, so a block's address and the core's template_gen stay valid.
 * Blocks are taken in order, "the next block of the ring": a block is busy from completeTx until
 * igb_clean_tx_irq (or a ring reset) sees its descriptor done; if the next block is still busy
 * the ring is full and getPacketBuffer returns NULL. No allocation, no sleeping on the hot path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/netdevice.h>
#include <linux/prefetch.h>
#include <linux/slab.h>
#include "oe_priv.h"
#include "oe_trace.h"

int oe_tx_pool_alloc(struct oe_adapter *oe)
{
	struct device *dev = &oe->adapter->pdev->dev;
	struct oe_tx_ring *txr = &oe->txr;
	struct oe_block *blocks;
	dma_addr_t dma;
	void *mem;
	int i;

	txr->cap = min_t(u32, OE_TX_BLOCK_SIZE, READ_ONCE(oe->netdev->mtu) + ETH_HLEN);
	if (txr->blocks)
		return 0;
	blocks = kcalloc(OE_TX_BLOCKS, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	mem = dma_alloc_coherent(dev, OE_TX_BLOCKS * OE_TX_BLOCK_SIZE, &dma, GFP_KERNEL);
	if (!mem) {
		kfree(blocks);
		return -ENOMEM;
	}
	for (i = 0; i < OE_TX_BLOCKS; i++) {
		blocks[i].pkt.data = mem + i * OE_TX_BLOCK_SIZE;
		blocks[i].pkt.cap = txr->cap;
		blocks[i].dma = dma + i * OE_TX_BLOCK_SIZE;
		blocks[i].index = i;
	}
	txr->mem = mem;
	txr->mem_dma = dma;
	txr->next_block = 0;
	txr->blocks = blocks;
	return 0;
}

/* Device gone (after unregister_netdev): no descriptor refers to the pool any more. */
void oe_tx_pool_free(struct oe_adapter *oe)
{
	struct oe_tx_ring *txr = &oe->txr;

	if (!txr->blocks)
		return;
	dma_free_coherent(&oe->adapter->pdev->dev, OE_TX_BLOCKS * OE_TX_BLOCK_SIZE, txr->mem,
			  txr->mem_dma);
	kfree(txr->blocks);
	txr->blocks = NULL;
	txr->mem = NULL;
}

/* Core re-initialised (core stopped): cached templates belong to the old instance. */
void oe_tx_pool_reset(struct oe_adapter *oe)
{
	struct oe_tx_ring *txr = &oe->txr;
	int i;

	if (!txr->blocks)
		return;
	for (i = 0; i < OE_TX_BLOCKS; i++) {
		txr->blocks[i].pkt.template_gen = 0;
		txr->blocks[i].pkt.cap = txr->cap;
	}
}

/* Known work for sensitivity checks (contract C3): OE_FIRE_PAD_INSNS single-instruction no-ops on
 * the fire path (an MD frame's order, after the decision, before the doorbell). Built only into
 * igb_oe_pad.ko (make OE_FIRE_PAD_INSNS=N: build/pad/ wrappers, Kbuild); 0 in igb_oe.ko.
 */
#ifndef OE_FIRE_PAD_INSNS
#define OE_FIRE_PAD_INSNS 0
#endif

static __always_inline void oe_fire_pad(const struct oe_adapter *oe)
{
#if OE_FIRE_PAD_INSNS > 0
	if (oe->in_md)
		asm volatile(".rept " __stringify(OE_FIRE_PAD_INSNS) "\n\tnop\n\t.endr" ::: "memory");
#endif
}

static void oe_tx_release(struct oe_tx_ring *txr)
{
	txr->claimed = false;
	__netif_tx_unlock(txr->nq);
}

/* ---- platform API (oe/abi.h), NAPI context, core_lock held by the caller's caller ---- */

/* cpu == OE_CPU_WARM: the warm sink (oe_warm.c). Its calls below read the real ring (so its lines
 * are cached for the next real frame), write only the sink, and take no lock: the core's caller
 * holds core_lock and nothing of the ring changes.
 */
struct oe_tx_ring *oe_tx_ring_for(int cpu)
{
	struct oe_adapter *oe = READ_ONCE(oe_dev);

	if (unlikely(!oe))
		return NULL;
	return unlikely(cpu == OE_CPU_WARM) ? &oe->warm_txr : &oe->txr;
}

bool prepareWrite(int cpu, struct oe_tx_ring *txr)
{
	struct igb_adapter *adapter;
	struct oe_adapter *oe;
	struct igb_ring *ring;

	if (unlikely(!txr || txr->claimed))
		return false;
	oe = txr->oe;
	adapter = oe->adapter;
	ring = READ_ONCE(adapter->tx_ring[oe_txq_index(adapter)]);
	if (unlikely(txr->warm)) {
		if (!ring || !oe->txr.blocks)
			return false;
		txr->ring = ring;	/* read only */
		txr->claimed = true;
		return true;
	}
	if (unlikely(!txr->blocks))
		return false;
	if (unlikely(!ring || test_bit(__IGB_DOWN, &adapter->state) ||
		     !netif_carrier_ok(oe->netdev))) {
		oe_count(oe, tx_down);
		return false;
	}
	txr->nq = txring_txq(ring);
	/* the owner recorded is the CPU really holding it (NAPI: no migration) */
	__netif_tx_lock(txr->nq, smp_processor_id());
	txr->ring = ring;
	txr->claimed = true;
	return true;
}

/* NULL (ring full) also releases the claim; a later cancelPrevWriteBuf(ring, NULL) is harmless. */
struct TCPPacket *getPacketBuffer(struct oe_tx_ring *txr)
{
	struct oe_block *blk;

	if (unlikely(!txr || !txr->claimed))
		return NULL;
	if (unlikely(txr->warm)) {	/* the real next block: cached for writing, not taken */
		blk = &txr->oe->txr.blocks[txr->oe->txr.next_block];
		prefetchw(blk);
		prefetchw(blk->pkt.data);
		prefetchw(blk->pkt.data + L1_CACHE_BYTES);
		return &txr->oe->warm_block.pkt;
	}
	blk = &txr->blocks[txr->next_block];
	/* pairs with the release in oe_igb_tx_clean: the device is done reading the block */
	if (unlikely(smp_load_acquire(&blk->busy) ||
		     igb_desc_unused(txr->ring) < OE_TX_DESC_SLACK)) {
		oe_count(txr->oe, tx_busy);
		oe_tx_release(txr);
		return NULL;
	}
	txr->next_block = (txr->next_block + 1) & (OE_TX_BLOCKS - 1);
	return &blk->pkt;
}

void cancelPrevWriteBuf(struct oe_tx_ring *txr, struct TCPPacket *pkt)
{
	struct oe_block *blk;

	if (unlikely(!txr || !txr->claimed))
		return;
	if (unlikely(txr->warm)) {
		txr->claimed = false;
		return;
	}
	if (pkt) {
		blk = container_of(pkt, struct oe_block, pkt);
		if (((blk->index + 1) & (OE_TX_BLOCKS - 1)) == txr->next_block)
			txr->next_block = blk->index;
	}
	oe_tx_release(txr);
}

void completeTx(struct oe_tx_ring *txr, struct TCPPacket *pkt)
{
	union e1000_adv_tx_desc *tx_desc;
	struct igb_tx_buffer *tx_buffer;
	struct oe_adapter *oe;
	struct oe_block *blk;
	struct igb_ring *ring;
	u32 olinfo_status;
	u16 len, i;
	u64 now;

	if (unlikely(!txr || !txr->claimed))
		return;
	oe = txr->oe;
	if (unlikely(!pkt || !pkt->len || pkt->len > pkt->cap)) {
		if (!txr->warm)
			oe_count(oe, tx_bad_len);
		cancelPrevWriteBuf(txr, pkt);
		return;
	}
	blk = container_of(pkt, struct oe_block, pkt);
	ring = txr->ring;
	len = pkt->len;
	i = ring->next_to_use;
	/* a warm run writes the same fields with the same instructions into the sink's copies */
	tx_buffer = unlikely(txr->warm) ? &oe->warm_tx_buffer : &ring->tx_buffer_info[i];
	tx_desc = unlikely(txr->warm) ? &oe->warm_desc : IGB_TX_DESC(ring, i);

	tx_buffer->type = IGB_TYPE_OE;
	tx_buffer->oe_block = blk;
	tx_buffer->bytecount = len;
	tx_buffer->gso_segs = 1;
	tx_buffer->protocol = 0;
	tx_buffer->tx_flags = 0;
	dma_unmap_len_set(tx_buffer, len, 0);	/* the block stays mapped */

	olinfo_status = len << E1000_ADVTXD_PAYLEN_SHIFT;
	/* 82575 requires a unique index per ring */
	if (test_bit(IGB_RING_FLAG_TX_CTX_IDX, &ring->flags))
		olinfo_status |= ring->reg_idx << 4;
	tx_desc->read.buffer_addr = cpu_to_le64(blk->dma);
	tx_desc->read.olinfo_status = cpu_to_le32(olinfo_status);
	tx_desc->read.cmd_type_len = cpu_to_le32(E1000_ADVTXD_DTYP_DATA | E1000_ADVTXD_DCMD_DEXT |
						 E1000_ADVTXD_DCMD_IFCS | IGB_TXD_DCMD | len);
	if (unlikely(txr->warm)) {	/* no busy mark, no ring index, no tail, no counter */
		prefetchw(IGB_TX_DESC(ring, i));
		prefetchw(&ring->tx_buffer_info[i]);
		txr->claimed = false;
		return;
	}

	blk->busy = 1;
	blk->hook_ns = oe->in_md ? oe->md_hook_ns : 0;
	netdev_tx_sent_queue(txr->nq, len);
	/* the watchdog must not take an idle reserved queue for a hung one */
	txq_trans_cond_update(txr->nq);
	tx_buffer->time_stamp = jiffies;
	if (++i == ring->count)
		i = 0;

	/* 0 until stamped below: a completion that wins the race records no doorbell_to_txdone */
	blk->doorbell_ns = 0;
	/* descriptor, tx_buffer and block state before next_to_watch (igb_clean_tx_irq) */
	smp_wmb();
	tx_buffer->next_to_watch = tx_desc;
	ring->next_to_use = i;
	/* frame and descriptor visible to the device before the tail moves */
	wmb();
	oe_fire_pad(oe);
	/* the doorbell stamp (the stopwatch's, if armed) is read just before the tail write */
	now = oe_igb_tx_tail(ring, i, pkt->data, len, OE_SW_TX_OE);
	WRITE_ONCE(blk->doorbell_ns, now);

	oe_count(oe, doorbells);
	if (oe->in_md && !oe->md_doorbell_ns)
		oe->md_doorbell_ns = now;
	oe_tx_release(txr);
	trace_oe_doorbell(ring->queue_index, blk->index, len, blk->hook_ns, now);
}

/* igb_clean_tx_irq (sent, the TX queue's NAPI) or igb_clean_tx_ring (flushed, NAPI disabled) */
void oe_igb_tx_clean(struct igb_ring *tx_ring, struct igb_tx_buffer *tx_buffer, bool sent)
{
	struct igb_adapter *adapter = netdev_priv(tx_ring->netdev);
	struct oe_adapter *oe = READ_ONCE(adapter->oe);
	struct oe_block *blk = tx_buffer->oe_block;
	u64 now;

	tx_buffer->oe_block = NULL;
	tx_buffer->type = IGB_TYPE_SKB;
	tx_buffer->skb = NULL;
	if (!blk)
		return;
	if (oe && sent) {
		u64 doorbell_ns = READ_ONCE(blk->doorbell_ns);

		now = ktime_get_ns();
		oe_count(oe, tx_done);
		if (doorbell_ns && now >= doorbell_ns)
			oe_hist_add(&oe->hist[OE_HIST_TXDONE], now - doorbell_ns);
		trace_oe_tx_done(tx_ring->queue_index, blk->index, doorbell_ns, now);
	} else if (oe) {
		oe_count(oe, tx_flushed);
	}
	/* hardware is done reading the block */
	smp_store_release(&blk->busy, 0);
}
