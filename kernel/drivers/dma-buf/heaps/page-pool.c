// SPDX-License-Identifier: GPL-2.0
/*
 * The page pool of DMA-BUF heaps: freed blocks kept for the next buffer.
 *
 * Why: camera and video stacks allocate tens of megabytes at a time, and
 * most of that time is spent zeroing. A freed block is therefore kept in
 * its heap's pool, zeroed in the background by a worker, and handed out
 * again without touching the allocator or the memory.
 *
 * What a free costs: the same for any size, and less than giving the
 * pages back to the page allocator. A buffer's blocks reach the pool as
 * one batch, its sg_table, split into blocks later by whoever needs them
 * (the worker, an allocation, the shrinker). A free wakes the worker only
 * once a megabyte is waiting for it (see DMA_HEAP_POOL_ZERO_BATCH), so
 * small buffers freed one by one wake nobody: their blocks wait, dirty,
 * for the next allocation, which zeroes just the block it takes, as the
 * page allocator's __GFP_ZERO would have.
 *
 * What it never does: hand out a block that still holds a previous
 * user's data. A block is on the "clean" list only once zeroed; a block
 * taken from the "dirty" list (freed, not yet zeroed) is zeroed by the
 * allocation that takes it. And it never keeps memory the system needs:
 * one shrinker drains every pool under pressure, dirty blocks first
 * since they cost nothing to drop.
 *
 * A pool of size 0 keeps nothing: it hands every block straight to and
 * from its ops, so a heap type calls the same functions with or without
 * a pool, and the registry makes one for every heap whose type can pool.
 *
 * The pool of an uncached heap also cleans each block out of the CPU
 * caches once it is zeroed: blocks reach it zeroed from its ops or get
 * zeroed in it, both through cacheable mappings, and all of them pass
 * through pool_new_block() or pool_zero_block(), which clean.
 *
 * Not for: choosing block sizes (the heap type does), exporting. It
 * knows no heap: only its ops and heap-pages.c's page helpers.
 */

#include <linux/bitops.h>
#include <linux/dma-heap.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swap.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "heap-internal.h"

/*
 * Dirty bytes that wake the zeroing worker. Waking a thread costs a few
 * microseconds (an IPI, a context switch); zeroing a megabyte costs tens
 * of them at any memory speed, so a wake-up per megabyte is a small share
 * of the work it starts, and a stream of small frees causes one wake-up
 * per megabyte freed, not one per free. Below it, nothing is woken and
 * nothing is timed: the blocks wait for an allocation, which zeroes the
 * one it takes. A buffer of a megabyte or more wakes the worker at once,
 * so its blocks are clean when a buffer of its size is asked for again.
 */
#define DMA_HEAP_POOL_ZERO_BATCH	SZ_1M

/**
 * struct dma_heap_pool_list - pooled blocks of one size
 * @order:	blocks of 2^@order pages
 * @clean:	zeroed blocks, ready to be handed out
 * @dirty:	freed blocks waiting for the zeroing worker
 */
struct dma_heap_pool_list {
	unsigned int order;
	struct list_head clean;
	struct list_head dirty;
};

/**
 * struct dma_heap_pool - the pool of one heap
 * @lock:	protects the lists and the byte counts
 * @lists:	one list pair per block size, largest first
 * @nr_lists:	number of block sizes
 * @batches:	buffers given back whole (struct dma_heap_pool_batch), not
 *		split into blocks yet; their blocks are dirty
 * @max_bytes:	most bytes kept (clean, dirty and being zeroed)
 * @pooled_bytes: bytes kept now
 * @dirty_bytes: bytes freed and not zeroed yet: in @batches, on the dirty
 *		lists, being split, or in the worker's hands
 * @hits:	blocks taken from the pool to be handed out; under @lock
 * @misses:	blocks the pool did not have and got from the heap's memory
 * @zero_wakeups: times a free woke @zero_work
 * @dying:	set by dma_heap_pool_stop(), under @lock: keep nothing
 *		more, and never queue @zero_kick again
 * @zero_queued: @zero_work is queued or running, and zeroes every dirty
 *		block before it stops; under @lock
 * @uncached:	the heap's buffers are uncached: blocks are cleaned out of
 *		the CPU caches after zeroing
 * @ops:	where the memory comes from and goes back to
 * @priv:	argument of @ops
 * @zero_kick:	queues @zero_work from the next timer tick, so that the
 *		free that wakes it pays neither a wake-up nor a timer
 * @zero_work:	zeroes dirty blocks
 * @prefill_work: fills the pool up to @prefill_bytes
 * @prefill_bytes: how much to prefill
 * @node:	entry in dma_heap_pools, for the shrinker
 */
struct dma_heap_pool {
	spinlock_t lock;		/* see @lock above */
	struct dma_heap_pool_list lists[DMA_HEAP_POOL_MAX_ORDERS];
	unsigned int nr_lists;
	struct list_head batches;
	size_t max_bytes;
	size_t pooled_bytes;
	size_t dirty_bytes;
	u64 hits;
	atomic64_t misses;
	u64 zero_wakeups;
	bool dying;
	bool zero_queued;
	bool uncached;
	const struct dma_heap_pool_ops *ops;
	void *priv;
	struct irq_work zero_kick;
	struct work_struct zero_work;
	struct work_struct prefill_work;
	size_t prefill_bytes;
	struct list_head node;
};

/*
 * dma_heap_pools_lock protects changes to dma_heap_pools. The shrinker's
 * scan only ever tries it, and nothing allocates memory while holding
 * it, so reclaim cannot deadlock against a pool being created or
 * destroyed; its count walks the list under RCU.
 */
static LIST_HEAD(dma_heap_pools);
static DEFINE_MUTEX(dma_heap_pools_lock);
static struct shrinker *dma_heap_pool_shrinker;

/*
 * Change a pool's kept bytes; called with the pool's lock held. Written
 * once, for the shrinker's count and dma_heap_pool_alloc()'s look at an
 * empty pool, which read it without the lock.
 */
static void pool_account(struct dma_heap_pool *pool, long bytes)
{
	lockdep_assert_held(&pool->lock);
	WRITE_ONCE(pool->pooled_bytes, pool->pooled_bytes + bytes);
}

static size_t block_bytes(unsigned int order)
{
	return PAGE_SIZE << order;
}

static struct dma_heap_pool_list *pool_list(struct dma_heap_pool *pool,
					    unsigned int order)
{
	unsigned int i;

	for (i = 0; i < pool->nr_lists; i++)
		if (pool->lists[i].order == order)
			return &pool->lists[i];
	return NULL;
}

/* Take one block off @head; the caller fixes the counts. */
static struct page *take_block(struct list_head *head)
{
	struct page *page = list_first_entry_or_null(head, struct page, lru);

	if (page)
		list_del(&page->lru);
	return page;
}

/*
 * A zeroed block from the heap's memory, cleaned out of the CPU caches
 * for an uncached heap; NULL if there is none or it could not be cleaned.
 */
static struct page *pool_new_block(struct dma_heap_pool *pool,
				   unsigned int order)
{
	struct page *page = pool->ops->alloc(pool->priv, order);

	if (page && pool->uncached &&
	    dma_heap_clean_pages(page, 1UL << order)) {
		pool->ops->free(pool->priv, page, order);
		return NULL;
	}
	return page;
}

/* Zero a freed block, and clean it for an uncached heap. */
static int pool_zero_block(struct dma_heap_pool *pool, struct page *page,
			   unsigned int order)
{
	dma_heap_clear_pages(page, 1UL << order);
	return pool->uncached ? dma_heap_clean_pages(page, 1UL << order) : 0;
}

/*
 * Have the worker zero every dirty block, unless it is already at it or
 * the pool is being destroyed; called with the pool's lock held, which
 * dma_heap_pool_stop() takes to set @dying before it waits for the kick
 * and cancels the work, so no work is queued on a pool being destroyed.
 *
 * The worker is woken from the next tick of this CPU (a lazy irq_work),
 * not from here: waking a thread on another CPU means an IPI, which the
 * freeing thread would wait for, while a lazy irq_work is an entry on a
 * per-CPU list. A tick is 1 to 10 ms; the blocks are not needed sooner,
 * and an allocation that needs one sooner zeroes it itself.
 */
static void pool_wake_zeroing(struct dma_heap_pool *pool)
{
	lockdep_assert_held(&pool->lock);
	if (pool->zero_queued || pool->dying)
		return;
	pool->zero_queued = true;
	pool->zero_wakeups++;
	irq_work_queue(&pool->zero_kick);
}

/*
 * Runs from the next timer tick of the CPU that queued it (an interrupt
 * of its own if that CPU's tick was stopped; the irq_work thread on
 * PREEMPT_RT).
 */
static void dma_heap_pool_zero_kick(struct irq_work *kick)
{
	struct dma_heap_pool *pool = container_of(kick, struct dma_heap_pool,
						  zero_kick);

	queue_work(system_unbound_wq, &pool->zero_work);
}

/*
 * After @bytes of dirty blocks were kept: count them, and wake the worker
 * if a megabyte or more now waits. Called with the pool's lock held.
 */
static void pool_kept_dirty(struct dma_heap_pool *pool, size_t bytes)
{
	pool_account(pool, bytes);
	pool->dirty_bytes += bytes;
	if (pool->dirty_bytes >= DMA_HEAP_POOL_ZERO_BATCH)
		pool_wake_zeroing(pool);
}

/*
 * Whether @bytes more fit; called with the pool's lock held. The room is
 * a difference: the sum of a large buffer and what is kept could wrap
 * with a 32-bit size_t. @pooled_bytes is past @max_bytes only after a
 * heap miscounted a batch (see pool_split_batch()).
 */
static bool pool_has_room(struct dma_heap_pool *pool, size_t bytes)
{
	lockdep_assert_held(&pool->lock);
	return !pool->dying && pool->pooled_bytes <= pool->max_bytes &&
	       bytes <= pool->max_bytes - pool->pooled_bytes;
}

/* The first batch not split yet, off the list; NULL if none. */
static struct dma_heap_pool_batch *pool_pop_batch(struct dma_heap_pool *pool)
{
	struct dma_heap_pool_batch *batch;

	lockdep_assert_held(&pool->lock);
	batch = list_first_entry_or_null(&pool->batches,
					 struct dma_heap_pool_batch, node);
	if (batch)
		list_del(&batch->node);
	return batch;
}

static struct dma_heap_pool_batch *pool_take_batch(struct dma_heap_pool *pool)
{
	struct dma_heap_pool_batch *batch;

	spin_lock(&pool->lock);
	batch = pool_pop_batch(pool);
	spin_unlock(&pool->lock);
	return batch;
}

/*
 * Put the blocks of a batch taken off the pool's list on its dirty lists,
 * and release the batch; returns the pages it gave back to the heap's
 * memory instead. The blocks are sorted by size without the lock, then
 * added under it in one go: a buffer of many blocks does not hold the
 * lock for long. A block of a size the pool does not keep goes back to
 * the heap's memory. The batch was counted at its word (@batch->bytes);
 * what it really holds is counted here.
 *
 * While the batch was off the list, the worker may have found nothing to
 * do and stopped: if a megabyte is dirty now, it is woken again.
 */
static unsigned long pool_split_batch(struct dma_heap_pool *pool,
				      struct dma_heap_pool_batch *batch)
{
	struct list_head sorted[DMA_HEAP_POOL_MAX_ORDERS];
	size_t kept = 0, not_kept = 0;
	struct scatterlist *sg;
	unsigned int i, j, order;
	long wrong;

	for (j = 0; j < pool->nr_lists; j++)
		INIT_LIST_HEAD(&sorted[j]);
	for_each_sg(batch->sgt->sgl, sg, batch->nents, i) {
		order = get_order(sg->length);
		for (j = 0; j < pool->nr_lists; j++)
			if (pool->lists[j].order == order)
				break;
		/* Counted as a whole block: it must be one. */
		WARN_ON_ONCE(sg->length != block_bytes(order));
		if (j == pool->nr_lists) {
			not_kept += block_bytes(order);
			pool->ops->free(pool->priv, sg_page(sg), order);
			continue;
		}
		kept += block_bytes(order);
		list_add_tail(&sg_page(sg)->lru, &sorted[j]);
	}
	wrong = (long)batch->bytes - (long)(kept + not_kept);
	WARN_ON_ONCE(wrong);

	spin_lock(&pool->lock);
	for (j = 0; j < pool->nr_lists; j++)
		list_splice_tail(&sorted[j], &pool->lists[j].dirty);
	pool_account(pool, -(long)not_kept - wrong);
	pool->dirty_bytes -= not_kept + wrong;
	if (pool->dirty_bytes >= DMA_HEAP_POOL_ZERO_BATCH)
		pool_wake_zeroing(pool);
	spin_unlock(&pool->lock);

	batch->release(batch);
	return not_kept >> PAGE_SHIFT;
}

/*
 * Take a block of @pl: a clean one if there is one, else a dirty one
 * (@dirty set), which the caller must zero. NULL if @pl has none, with
 * @batch set to a batch to split first if there is one: a miss takes
 * the lock once.
 */
static struct page *pool_take(struct dma_heap_pool *pool,
			      struct dma_heap_pool_list *pl, bool *dirty,
			      struct dma_heap_pool_batch **batch)
{
	size_t size = block_bytes(pl->order);
	struct page *page;

	spin_lock(&pool->lock);
	page = take_block(&pl->clean);
	*dirty = !page;
	if (!page) {
		page = take_block(&pl->dirty);
		if (page)
			pool->dirty_bytes -= size;
	}
	if (page) {
		pool_account(pool, -(long)size);
		pool->hits++;
	}
	*batch = page ? NULL : pool_pop_batch(pool);
	spin_unlock(&pool->lock);
	return page;
}

/**
 * dma_heap_pool_alloc - get a zeroed block
 * @pool:	the heap's pool
 * @order:	block size; an order the pool was not created with passes
 *		straight through to its ops, as with a pool of size 0
 *
 * A clean block if there is one; else a dirty one, zeroed here, splitting
 * buffers given back whole until one has a block of this size; else a new
 * block from the heap's memory.
 *
 * Return: the block, or NULL if the heap's memory has none.
 */
struct page *dma_heap_pool_alloc(struct dma_heap_pool *pool,
				 unsigned int order)
{
	struct dma_heap_pool_list *pl = pool_list(pool, order);
	struct dma_heap_pool_batch *batch;
	struct page *page = NULL;
	bool dirty;

	if (!pool->max_bytes || !pl)
		return pool_new_block(pool, order);

	/*
	 * An empty pool is not locked: allocations from it (after a drain,
	 * or of a size nobody frees) go to the heap's memory as directly as
	 * without a pool. A block kept meanwhile is missed, as it would be
	 * had it come a moment later.
	 */
	if (READ_ONCE(pool->pooled_bytes)) {
		while (!(page = pool_take(pool, pl, &dirty, &batch)) && batch)
			pool_split_batch(pool, batch);
	}

	if (!page) {
		/* A miss is a block the heap's memory gave instead. */
		page = pool_new_block(pool, order);
		if (page)
			atomic64_inc(&pool->misses);
		return page;
	}

	if (dirty && pool_zero_block(pool, page, order)) {
		pool->ops->free(pool->priv, page, order);
		return NULL;
	}
	return page;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_alloc, DMA_BUF);

/**
 * dma_heap_pool_free - give a block back
 * @pool:	the heap's pool
 * @page:	a block from dma_heap_pool_alloc()
 * @order:	its order
 *
 * Kept, dirty, while the pool has room; freed to the heap's memory
 * otherwise. Never sleeps.
 */
void dma_heap_pool_free(struct dma_heap_pool *pool, struct page *page,
			unsigned int order)
{
	struct dma_heap_pool_list *pl = pool_list(pool, order);
	size_t size = block_bytes(order);
	bool keep = false;

	if (pool->max_bytes && pl) {
		spin_lock(&pool->lock);
		keep = pool_has_room(pool, size);
		if (keep) {
			list_add_tail(&page->lru, &pl->dirty);
			pool_kept_dirty(pool, size);
		}
		spin_unlock(&pool->lock);
	}
	if (!keep)
		pool->ops->free(pool->priv, page, order);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_free, DMA_BUF);

/*
 * Give back the blocks of @batch one by one: each is kept while the pool
 * has room, and goes to the heap's memory otherwise. Then release it.
 */
static void pool_free_batch_blocks(struct dma_heap_pool *pool,
				   struct dma_heap_pool_batch *batch)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(batch->sgt->sgl, sg, batch->nents, i)
		dma_heap_pool_free(pool, sg_page(sg), get_order(sg->length));
	batch->release(batch);
}

/**
 * dma_heap_pool_free_batch - give back every block of a buffer at once
 * @pool:	the heap's pool
 * @batch:	the buffer's blocks: the first @batch->nents entries of
 *		@batch->sgt, each one whole block from dma_heap_pool_alloc()
 *		of get_order(length) order, @batch->bytes their total
 *
 * The pool keeps the whole batch if it has room for it, in the same time
 * for any number of blocks: the batch is split into blocks later, by the
 * worker or by the allocation that needs one, and released then. A pool
 * without room for all of it keeps what fits, block by block, and gives
 * the rest back to the heap's memory, as the page allocator would take
 * it. A batch of one block (or none) is kept as that block, and released
 * at once.
 *
 * Context: process context; calls @batch->release, and sleeps only if
 * the pool's ops->free does.
 */
void dma_heap_pool_free_batch(struct dma_heap_pool *pool,
			      struct dma_heap_pool_batch *batch)
{
	bool keep;

	/*
	 * A batch counted as no bytes would leave the pool looking empty to
	 * allocations (see dma_heap_pool_alloc()) and to the shrinker, with
	 * its blocks never split: the heap miscounted it, so it is split now.
	 */
	if (batch->nents <= 1 || WARN_ON_ONCE(!batch->bytes)) {
		pool_free_batch_blocks(pool, batch);
		return;
	}

	spin_lock(&pool->lock);
	keep = pool->max_bytes && pool_has_room(pool, batch->bytes);
	if (keep) {
		list_add_tail(&batch->node, &pool->batches);
		pool_kept_dirty(pool, batch->bytes);
	}
	spin_unlock(&pool->lock);

	if (!keep)
		pool_free_batch_blocks(pool, batch);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_free_batch, DMA_BUF);

/*
 * The next dirty block for the worker, largest first, after splitting
 * every batch; it stays counted as dirty. NULL when there is nothing left
 * to zero, in which case the worker is no longer queued: a free from here
 * on wakes it again, once enough is dirty. NULL too once the pool is
 * dying: what is left is freed, not zeroed, and its destruction does not
 * wait for the worker to zero the whole pool first.
 */
static struct page *pool_next_dirty(struct dma_heap_pool *pool,
				    unsigned int *order)
{
	struct dma_heap_pool_batch *batch;
	struct page *page;
	unsigned int i;

	for (;;) {
		while ((batch = pool_take_batch(pool)))
			pool_split_batch(pool, batch);

		page = NULL;
		spin_lock(&pool->lock);
		for (i = 0; i < pool->nr_lists && !page && !pool->dying; i++) {
			page = take_block(&pool->lists[i].dirty);
			*order = pool->lists[i].order;
		}
		/* Else a batch came while the lock was not held: split it. */
		if (page || pool->dying || list_empty(&pool->batches)) {
			pool->zero_queued = !!page;
			spin_unlock(&pool->lock);
			return page;
		}
		spin_unlock(&pool->lock);
	}
}

static void dma_heap_pool_zero_work(struct work_struct *work)
{
	struct dma_heap_pool *pool = container_of(work, struct dma_heap_pool,
						  zero_work);
	unsigned int order;
	struct page *page;
	int ret;

	while ((page = pool_next_dirty(pool, &order))) {
		ret = pool_zero_block(pool, page, order);

		spin_lock(&pool->lock);
		if (!ret)
			list_add(&page->lru, &pool_list(pool, order)->clean);
		else
			pool_account(pool, -(long)block_bytes(order));
		pool->dirty_bytes -= block_bytes(order);
		spin_unlock(&pool->lock);
		if (ret)
			pool->ops->free(pool->priv, page, order);
	}
}

/* Add a block that is zeroed already, if the pool has room for it. */
static bool pool_add_clean(struct dma_heap_pool *pool, struct page *page,
			   unsigned int order)
{
	size_t size = block_bytes(order);
	bool keep;

	spin_lock(&pool->lock);
	keep = pool_has_room(pool, size);
	if (keep) {
		list_add_tail(&page->lru, &pool_list(pool, order)->clean);
		pool_account(pool, size);
	}
	spin_unlock(&pool->lock);
	return keep;
}

/* Fill with blocks of the largest size: boot-time prefill, off any path. */
static void dma_heap_pool_prefill_work(struct work_struct *work)
{
	struct dma_heap_pool *pool = container_of(work, struct dma_heap_pool,
						  prefill_work);
	unsigned int order = pool->lists[0].order;
	size_t filled = 0;
	struct page *page;

	while (filled < pool->prefill_bytes) {
		page = pool_new_block(pool, order);
		if (!page)
			break;
		if (!pool_add_clean(pool, page, order)) {
			pool->ops->free(pool->priv, page, order);
			break;
		}
		filled += block_bytes(order);
		cond_resched();
	}
}

/**
 * dma_heap_pool_prefill - fill a pool in the background
 * @pool:	the pool
 * @bytes:	how much to fill, at most the pool's size
 *
 * Returns at once; the filling runs on a workqueue, so boot does not
 * wait for it, and stops early if memory runs short.
 */
void dma_heap_pool_prefill(struct dma_heap_pool *pool, size_t bytes)
{
	pool->prefill_bytes = min(bytes, pool->max_bytes);
	if (pool->prefill_bytes)
		queue_work(system_unbound_wq, &pool->prefill_work);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_prefill, DMA_BUF);

/**
 * dma_heap_pool_get_stats - what a pool holds and how it served
 * @pool:	the pool
 * @stats:	filled in
 */
void dma_heap_pool_get_stats(struct dma_heap_pool *pool,
			     struct dma_heap_pool_stats *stats)
{
	spin_lock(&pool->lock);
	stats->pooled_bytes = pool->pooled_bytes;
	stats->dirty_bytes = pool->dirty_bytes;
	stats->zeroing_bytes = pool->zero_queued ? pool->dirty_bytes : 0;
	stats->zero_wakeups = pool->zero_wakeups;
	stats->hits = pool->hits;
	spin_unlock(&pool->lock);
	stats->misses = atomic64_read(&pool->misses);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_get_stats, DMA_BUF);

/*
 * Move up to @nr_pages worth of blocks from the pool to @out, dirty ones
 * first, after splitting every batch; returns the pages moved, and those
 * the splitting gave back at once. Blocks the worker holds are skipped.
 */
static unsigned long pool_drain(struct dma_heap_pool *pool,
				unsigned long nr_pages, struct list_head *out)
{
	struct dma_heap_pool_batch *batch;
	unsigned long moved = 0;
	struct dma_heap_pool_list *pl;
	struct list_head *head;
	struct page *page;
	unsigned int i, pass;

	while ((batch = pool_take_batch(pool)))
		moved += pool_split_batch(pool, batch);

	spin_lock(&pool->lock);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < pool->nr_lists; i++) {
			pl = &pool->lists[i];
			head = pass ? &pl->clean : &pl->dirty;
			while (moved < nr_pages && (page = take_block(head))) {
				/* The order travels in page->private. */
				set_page_private(page, pl->order);
				list_add(&page->lru, out);
				pool_account(pool, -(long)block_bytes(pl->order));
				if (!pass)
					pool->dirty_bytes -= block_bytes(pl->order);
				moved += 1UL << pl->order;
			}
		}
	}
	spin_unlock(&pool->lock);
	return moved;
}

static void pool_free_list(struct dma_heap_pool *pool, struct list_head *list)
{
	struct page *page, *next;
	unsigned int order;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		order = page_private(page);
		set_page_private(page, 0);
		pool->ops->free(pool->priv, page, order);
	}
}

static unsigned long dma_heap_pool_count(struct shrinker *shrinker,
					 struct shrink_control *sc)
{
	struct dma_heap_pool *pool;
	unsigned long pages = 0;

	/* Without the list's lock, which another reclaimer may hold. */
	rcu_read_lock();
	list_for_each_entry_rcu(pool, &dma_heap_pools, node)
		pages += READ_ONCE(pool->pooled_bytes) >> PAGE_SHIFT;
	rcu_read_unlock();
	return pages ?: SHRINK_EMPTY;
}

/*
 * Give back up to @nr_pages pooled pages, pool after pool; returns how
 * many went. Reclaim must not wait for a pool being set up or torn down,
 * so a busy list lock means "nothing now".
 */
unsigned long dma_heap_pools_shrink(unsigned long nr_pages)
{
	struct dma_heap_pool *pool;
	unsigned long freed = 0;
	LIST_HEAD(blocks);

	if (!mutex_trylock(&dma_heap_pools_lock))
		return 0;
	list_for_each_entry(pool, &dma_heap_pools, node) {
		freed += pool_drain(pool, nr_pages - freed, &blocks);
		pool_free_list(pool, &blocks);
		if (freed >= nr_pages)
			break;
	}
	mutex_unlock(&dma_heap_pools_lock);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pools_shrink);

/*
 * The pages go back to the page allocator, not through the LRU: reclaim
 * is told of them, as for slab pages, or an allocation in direct reclaim
 * sees no progress and may call the OOM killer although the pools just
 * gave back what it needs.
 */
static unsigned long dma_heap_pool_scan(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	unsigned long freed = dma_heap_pools_shrink(sc->nr_to_scan);

	mm_account_reclaimed_pages(freed);
	return freed ?: SHRINK_STOP;
}

/*
 * Wait until the pool's background work is done (for tests): dirty
 * blocks, however few, are zeroed now, by the worker queued from here
 * rather than at the next tick. Not counted as a wake-up.
 */
void dma_heap_pool_wait_idle(struct dma_heap_pool *pool)
{
	bool zero;

	flush_work(&pool->prefill_work);
	spin_lock(&pool->lock);
	zero = pool->dirty_bytes && !pool->dying;
	if (zero)
		pool->zero_queued = true;
	spin_unlock(&pool->lock);
	if (zero)
		queue_work(system_unbound_wq, &pool->zero_work);
	flush_work(&pool->zero_work);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_wait_idle);

/* Whether the kick or the worker is pending or running (for tests). */
bool dma_heap_pool_zeroing_pending(struct dma_heap_pool *pool)
{
	return irq_work_is_busy(&pool->zero_kick) ||
	       work_busy(&pool->zero_work);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_zeroing_pending);

/* One shrinker for every pool, set up before any heap type registers. */
static int __init dma_heap_pool_init(void)
{
	dma_heap_pool_shrinker = shrinker_alloc(0, "dma-heap-pool");
	if (!dma_heap_pool_shrinker)
		return -ENOMEM;
	dma_heap_pool_shrinker->count_objects = dma_heap_pool_count;
	dma_heap_pool_shrinker->scan_objects = dma_heap_pool_scan;
	shrinker_register(dma_heap_pool_shrinker);
	return 0;
}
subsys_initcall(dma_heap_pool_init);

/**
 * dma_heap_pool_create - a pool for one heap
 * @orders:	the block sizes the heap uses, as page orders, largest first
 * @nr_orders:	how many, at most 4
 * @max_bytes:	most bytes the pool keeps; 0: keep nothing, pass every
 *		block straight to and from @ops
 * @ops:	where blocks come from (zeroed) and go back to
 * @priv:	argument of @ops
 * @uncached:	the heap's buffers are uncached: every block is cleaned out
 *		of the CPU caches after it is zeroed, before it is handed
 *		out (dma_heap_clean_pages())
 *
 * Return: the pool, or an ERR_PTR(): -EINVAL for no or too many orders,
 * -ENODEV when the pools' shrinker could not be set up at boot, -ENOMEM.
 */
struct dma_heap_pool *dma_heap_pool_create(const unsigned int *orders,
					   unsigned int nr_orders,
					   size_t max_bytes,
					   const struct dma_heap_pool_ops *ops,
					   void *priv, bool uncached)
{
	struct dma_heap_pool *pool;
	unsigned int i;

	if (!nr_orders || nr_orders > DMA_HEAP_POOL_MAX_ORDERS)
		return ERR_PTR(-EINVAL);
	/* Without its shrinker a pool could hold memory the system needs. */
	if (!dma_heap_pool_shrinker)
		return ERR_PTR(-ENODEV);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);

	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->batches);
	for (i = 0; i < nr_orders; i++) {
		pool->lists[i].order = orders[i];
		INIT_LIST_HEAD(&pool->lists[i].clean);
		INIT_LIST_HEAD(&pool->lists[i].dirty);
	}
	pool->nr_lists = nr_orders;
	pool->max_bytes = max_bytes;
	pool->ops = ops;
	pool->priv = priv;
	pool->uncached = uncached;
	atomic64_set(&pool->misses, 0);
	pool->zero_kick = IRQ_WORK_INIT_LAZY(dma_heap_pool_zero_kick);
	INIT_WORK(&pool->zero_work, dma_heap_pool_zero_work);
	INIT_WORK(&pool->prefill_work, dma_heap_pool_prefill_work);

	mutex_lock(&dma_heap_pools_lock);
	list_add_tail_rcu(&pool->node, &dma_heap_pools);
	mutex_unlock(&dma_heap_pools_lock);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_create, DMA_BUF);

/*
 * Keep nothing more and stop the background work: the first half of
 * dma_heap_pool_destroy(), apart for tests. @dying is set under the lock
 * that every free takes to keep a block and queue the kick, so once this
 * returns no free queues it again, and neither the kick nor the worker
 * is pending. The pool leaves the shrinker's list, and no count reads it
 * any more, before it can be freed.
 */
void dma_heap_pool_stop(struct dma_heap_pool *pool)
{
	spin_lock(&pool->lock);
	pool->dying = true;
	spin_unlock(&pool->lock);

	mutex_lock(&dma_heap_pools_lock);
	list_del_rcu(&pool->node);
	mutex_unlock(&dma_heap_pools_lock);
	synchronize_rcu();

	cancel_work_sync(&pool->prefill_work);
	irq_work_sync(&pool->zero_kick);
	cancel_work_sync(&pool->zero_work);
	spin_lock(&pool->lock);
	pool->zero_queued = false;
	spin_unlock(&pool->lock);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_stop);

/**
 * dma_heap_pool_destroy - free a pool and every block it keeps
 * @pool: the pool; no block of it may be in use any more
 */
void dma_heap_pool_destroy(struct dma_heap_pool *pool)
{
	LIST_HEAD(blocks);

	if (!pool->dying)
		dma_heap_pool_stop(pool);
	pool_drain(pool, ULONG_MAX, &blocks);
	pool_free_list(pool, &blocks);
	kfree(pool);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_destroy, DMA_BUF);
