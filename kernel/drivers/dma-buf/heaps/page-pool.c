// SPDX-License-Identifier: GPL-2.0
/*
 * The page pool of DMA-BUF heaps: freed blocks kept for the next buffer.
 *
 * Why: camera and video stacks allocate tens of megabytes at a time, and
 * most of that time is spent zeroing. A freed block is therefore kept in
 * its heap's pool, zeroed in the background by a worker, and handed out
 * again without touching the allocator or the memory.
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
#include <linux/hrtimer.h>
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
 * How long freed blocks wait before the background zeroing starts. A
 * free never wakes a thread itself, a burst of frees wakes the worker
 * once, and a buffer freed and allocated again at once (a camera's frame
 * loop) takes its blocks back before the worker wakes instead of racing
 * it for them. The delay has a timer of its own rather than a delayed
 * work: a jiffy-based "2 ms" is 4 to 8 ms at HZ=250, and freed memory
 * should not sit dirty that long when a burst of allocations may follow.
 */
#define DMA_HEAP_POOL_ZERO_DELAY_NS	(500 * NSEC_PER_USEC)
#define DMA_HEAP_POOL_ZERO_SLACK_NS	(250 * NSEC_PER_USEC)

/* Bit of dma_heap_pool.zero_flags: the zeroing timer is set. */
#define DMA_HEAP_POOL_ZERO_ARMED	0

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
 * @max_bytes:	most bytes kept (clean, dirty and being zeroed)
 * @pooled_bytes: bytes kept now
 * @zeroing_bytes: bytes freed and not zeroed yet (dirty or in the worker)
 * @hits:	blocks handed out from the pool
 * @misses:	blocks the pool did not have and got from the heap's memory
 * @dying:	set by dma_heap_pool_destroy(), under @lock: keep nothing
 *		more, and never set @zero_timer again
 * @uncached:	the heap's buffers are uncached: blocks are cleaned out of
 *		the CPU caches after zeroing
 * @ops:	where the memory comes from and goes back to
 * @priv:	argument of @ops
 * @zero_timer:	starts @zero_work a moment after the first dirty block
 *		is freed, so that a burst of frees wakes it once
 * @zero_flags:	DMA_HEAP_POOL_ZERO_ARMED while @zero_timer is set
 * @zero_work:	zeroes dirty blocks
 * @prefill_work: fills the pool up to @prefill_bytes
 * @prefill_bytes: how much to prefill
 * @node:	entry in dma_heap_pools, for the shrinker
 */
struct dma_heap_pool {
	spinlock_t lock;		/* see @lock above */
	struct dma_heap_pool_list lists[DMA_HEAP_POOL_MAX_ORDERS];
	unsigned int nr_lists;
	size_t max_bytes;
	size_t pooled_bytes;
	size_t zeroing_bytes;
	atomic64_t hits;
	atomic64_t misses;
	bool dying;
	bool uncached;
	const struct dma_heap_pool_ops *ops;
	void *priv;
	struct hrtimer zero_timer;
	unsigned long zero_flags;
	struct work_struct zero_work;
	struct work_struct prefill_work;
	size_t prefill_bytes;
	struct list_head node;
};

/*
 * dma_heap_pools_lock protects dma_heap_pools. Reclaim only ever tries
 * it, and nothing allocates memory while holding it, so the shrinker
 * cannot deadlock against a pool being created or destroyed.
 */
static LIST_HEAD(dma_heap_pools);
static DEFINE_MUTEX(dma_heap_pools_lock);
static struct shrinker *dma_heap_pool_shrinker;

/* Pages kept by all pools, for the shrinker's count without a lock. */
static atomic_long_t dma_heap_pooled_pages = ATOMIC_LONG_INIT(0);

/* Change a pool's kept bytes; called with the pool's lock held. */
static void pool_account(struct dma_heap_pool *pool, long bytes)
{
	lockdep_assert_held(&pool->lock);
	pool->pooled_bytes += bytes;
	atomic_long_add(bytes >> PAGE_SHIFT, &dma_heap_pooled_pages);
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

/**
 * dma_heap_pool_alloc - get a zeroed block
 * @pool:	the heap's pool
 * @order:	block size, one of the orders the pool was created with
 *
 * A clean block if there is one; else a dirty one, zeroed here; else a
 * new block from the heap's memory.
 *
 * Return: the block, or NULL if the heap's memory has none.
 */
struct page *dma_heap_pool_alloc(struct dma_heap_pool *pool,
				 unsigned int order)
{
	struct dma_heap_pool_list *pl = pool_list(pool, order);
	size_t size = block_bytes(order);
	bool dirty = false;
	struct page *page;

	if (WARN_ON_ONCE(!pl))
		return NULL;
	if (!pool->max_bytes)
		return pool_new_block(pool, order);

	spin_lock(&pool->lock);
	page = take_block(&pl->clean);
	if (!page) {
		page = take_block(&pl->dirty);
		dirty = !!page;
		if (dirty)
			pool->zeroing_bytes -= size;
	}
	if (page)
		pool_account(pool, -(long)size);
	spin_unlock(&pool->lock);

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
	atomic64_inc(&pool->hits);
	return page;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_alloc, DMA_BUF);

/*
 * Keep a freed block for zeroing if the pool has room; called with the
 * pool's lock held. The caller adds the kept bytes to the global count.
 */
static bool pool_keep_dirty(struct dma_heap_pool *pool, struct page *page,
			    unsigned int order)
{
	struct dma_heap_pool_list *pl = pool_list(pool, order);
	size_t size = block_bytes(order);

	lockdep_assert_held(&pool->lock);
	if (!pl || pool->dying || pool->pooled_bytes + size > pool->max_bytes)
		return false;

	list_add_tail(&page->lru, &pl->dirty);
	pool->pooled_bytes += size;
	pool->zeroing_bytes += size;
	return true;
}

/*
 * After blocks were kept: count them, and have them zeroed in a moment.
 * The timer is set by the first free of a burst only; later ones must
 * not push it back, or a steady stream of frees would keep the worker
 * from ever starting. Called with the pool's lock held, which
 * dma_heap_pool_destroy() takes to set @dying before it cancels the
 * timer: no free can set the timer of a pool being destroyed.
 */
static void pool_kept(struct dma_heap_pool *pool, size_t bytes)
{
	lockdep_assert_held(&pool->lock);
	if (!bytes || pool->dying)
		return;
	atomic_long_add(bytes >> PAGE_SHIFT, &dma_heap_pooled_pages);
	if (!test_and_set_bit(DMA_HEAP_POOL_ZERO_ARMED, &pool->zero_flags))
		hrtimer_start_range_ns(&pool->zero_timer,
				       ns_to_ktime(DMA_HEAP_POOL_ZERO_DELAY_NS),
				       DMA_HEAP_POOL_ZERO_SLACK_NS,
				       HRTIMER_MODE_REL);
}

/*
 * Hand the zeroing to a worker once the timer is no longer set. The bit
 * is cleared first, so a block freed from here on sets the timer again
 * instead of being left for a worker that has already looked.
 */
static void pool_start_zeroing(struct dma_heap_pool *pool)
{
	clear_bit(DMA_HEAP_POOL_ZERO_ARMED, &pool->zero_flags);
	queue_work(system_unbound_wq, &pool->zero_work);
}

/* Runs in interrupt context. */
static enum hrtimer_restart dma_heap_pool_zero_timer(struct hrtimer *timer)
{
	pool_start_zeroing(container_of(timer, struct dma_heap_pool,
					zero_timer));
	return HRTIMER_NORESTART;
}

/**
 * dma_heap_pool_free - give a block back
 * @pool:	the heap's pool
 * @page:	a block from dma_heap_pool_alloc()
 * @order:	its order
 *
 * Kept, to be zeroed in the background, while the pool has room; freed
 * to the heap's memory otherwise. Never sleeps.
 */
void dma_heap_pool_free(struct dma_heap_pool *pool, struct page *page,
			unsigned int order)
{
	bool keep;

	if (!pool->max_bytes) {
		pool->ops->free(pool->priv, page, order);
		return;
	}

	spin_lock(&pool->lock);
	keep = pool_keep_dirty(pool, page, order);
	if (keep)
		pool_kept(pool, block_bytes(order));
	spin_unlock(&pool->lock);

	if (!keep)
		pool->ops->free(pool->priv, page, order);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_free, DMA_BUF);

/**
 * dma_heap_pool_free_sgt - give back every block of a buffer
 * @pool:	the heap's pool
 * @sgt:	the buffer's table; each entry one whole block from
 *		dma_heap_pool_alloc(), of get_order(length) order
 *
 * The same as dma_heap_pool_free() on each block, under one lock: a
 * buffer of many blocks is freed in about the time of one. Blocks past
 * the first that does not fit are freed to the heap's memory. Does not
 * free @sgt itself. Sleeps only if the pool's ops->free does.
 */
void dma_heap_pool_free_sgt(struct dma_heap_pool *pool, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i, order;
	size_t kept = 0;

	spin_lock(&pool->lock);
	for_each_sgtable_sg(sgt, sg, i) {
		order = get_order(sg->length);
		/* Counted as a whole block: it must be one. */
		if (WARN_ON_ONCE(sg->length != block_bytes(order)) ||
		    !pool_keep_dirty(pool, sg_page(sg), order))
			break;
		kept += block_bytes(order);
	}
	pool_kept(pool, kept);
	spin_unlock(&pool->lock);

	for (; i < sgt->orig_nents; i++, sg = sg_next(sg))
		pool->ops->free(pool->priv, sg_page(sg), get_order(sg->length));
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_free_sgt, DMA_BUF);

/* Take the next dirty block, largest first; it stays counted as zeroing. */
static struct page *take_dirty(struct dma_heap_pool *pool,
			       unsigned int *order)
{
	struct page *page = NULL;
	unsigned int i;

	spin_lock(&pool->lock);
	for (i = 0; i < pool->nr_lists && !page; i++) {
		page = take_block(&pool->lists[i].dirty);
		*order = pool->lists[i].order;
	}
	spin_unlock(&pool->lock);
	return page;
}

static void dma_heap_pool_zero_work(struct work_struct *work)
{
	struct dma_heap_pool *pool = container_of(work, struct dma_heap_pool,
						  zero_work);
	unsigned int order;
	struct page *page;

	while ((page = take_dirty(pool, &order))) {
		int ret = pool_zero_block(pool, page, order);

		spin_lock(&pool->lock);
		if (!ret)
			list_add(&page->lru, &pool_list(pool, order)->clean);
		else
			pool_account(pool, -(long)block_bytes(order));
		pool->zeroing_bytes -= block_bytes(order);
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
	keep = !pool->dying && pool->pooled_bytes + size <= pool->max_bytes;
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
	stats->zeroing_bytes = pool->zeroing_bytes;
	spin_unlock(&pool->lock);
	stats->hits = atomic64_read(&pool->hits);
	stats->misses = atomic64_read(&pool->misses);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_get_stats, DMA_BUF);

/*
 * Move up to @nr_pages worth of blocks from the pool to @out, dirty ones
 * first; returns the pages moved. Blocks the worker holds are skipped.
 */
static unsigned long pool_drain(struct dma_heap_pool *pool,
				unsigned long nr_pages, struct list_head *out)
{
	unsigned long moved = 0;
	struct dma_heap_pool_list *pl;
	struct list_head *head;
	struct page *page;
	unsigned int i, pass;

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
					pool->zeroing_bytes -= block_bytes(pl->order);
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
	long pages = atomic_long_read(&dma_heap_pooled_pages);

	return pages > 0 ? pages : SHRINK_EMPTY;
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
 * Wait until the pool's background work is done (for tests); zeroing
 * that is still waiting for its timer starts at once.
 */
void dma_heap_pool_wait_idle(struct dma_heap_pool *pool)
{
	flush_work(&pool->prefill_work);
	if (hrtimer_cancel(&pool->zero_timer))
		pool_start_zeroing(pool);
	flush_work(&pool->zero_work);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_wait_idle);

/* Whether the zeroing timer is set (for tests). */
bool dma_heap_pool_zeroing_armed(struct dma_heap_pool *pool)
{
	return hrtimer_active(&pool->zero_timer);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_zeroing_armed);

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
	atomic64_set(&pool->hits, 0);
	atomic64_set(&pool->misses, 0);
	hrtimer_init(&pool->zero_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	pool->zero_timer.function = dma_heap_pool_zero_timer;
	INIT_WORK(&pool->zero_work, dma_heap_pool_zero_work);
	INIT_WORK(&pool->prefill_work, dma_heap_pool_prefill_work);

	mutex_lock(&dma_heap_pools_lock);
	list_add_tail(&pool->node, &dma_heap_pools);
	mutex_unlock(&dma_heap_pools_lock);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_pool_create, DMA_BUF);

/*
 * Keep nothing more and stop the background work: the first half of
 * dma_heap_pool_destroy(), apart for tests. @dying is set under the lock
 * that every free takes to keep a block and set the timer, so once this
 * returns no free sets the timer again.
 */
void dma_heap_pool_stop(struct dma_heap_pool *pool)
{
	spin_lock(&pool->lock);
	pool->dying = true;
	spin_unlock(&pool->lock);

	mutex_lock(&dma_heap_pools_lock);
	list_del_init(&pool->node);
	mutex_unlock(&dma_heap_pools_lock);

	cancel_work_sync(&pool->prefill_work);
	hrtimer_cancel(&pool->zero_timer);
	cancel_work_sync(&pool->zero_work);
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
