// SPDX-License-Identifier: GPL-2.0
/*
 * The system heap: buffers made of pages from the buddy allocator.
 *
 * A buffer is built from the largest blocks the allocator gives quickly
 * (1 MiB, then 64 KiB, then single pages), because devices behind an
 * IOMMU map large blocks with fewer TLB entries. Large blocks are only
 * tried without reclaim: when memory is fragmented it is cheaper to fall
 * back to smaller blocks than to compact.
 *
 * Blocks of 64 KiB and 1 MiB come from and go back to the heap's pool,
 * which the registry makes from system_heap_pool_ops: with the node's
 * "pool-size", freed blocks are kept, zeroed, for the next buffer;
 * without, they go straight to and from the buddy allocator. Single
 * pages always do: a buffer smaller than 64 KiB takes nothing from the
 * pool and gives it nothing.
 *
 * Not for: how a buffer is exported or mapped (heap-buffer.c), how the
 * pool keeps and zeroes blocks (page-pool.c).
 *
 * Copyright (C) 2011 Google, Inc.
 * Copyright (C) 2019, 2020 Linaro Ltd.
 *
 * Portions based off of Andrew Davis' SRAM heap:
 * Copyright (C) 2019 Texas Instruments Incorporated - http://www.ti.com/
 *	Andrew F. Davis <afd@ti.com>
 */

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

/*
 * Pages are zeroed by the allocator, so no buffer shows old contents.
 * Single pages are tried hard (reclaim, shrinkers) but may fail: a
 * buffer too big for the memory left is -ENOMEM for the process that
 * asked, not the OOM killer taking some other process down, and not a
 * warning in the log that any process could trigger at will.
 */
#define SYSTEM_HEAP_LOW_ORDER_GFP	\
	(GFP_HIGHUSER | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
#define SYSTEM_HEAP_HIGH_ORDER_GFP	\
	((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY | \
	  __GFP_COMP) & ~__GFP_RECLAIM)

/* The smallest block but a page: 64 KiB with 4 KiB pages. */
#define SYSTEM_HEAP_SMALL_BLOCK_ORDER	4

/* Block sizes tried, largest first: 1 MiB, 64 KiB and one page. */
static const unsigned int system_heap_orders[] = {
	8, SYSTEM_HEAP_SMALL_BLOCK_ORDER, 0
};

/*
 * Block sizes the pool keeps: not single pages. The page allocator hands
 * those out from per-CPU lists, without a lock shared between CPUs, and
 * zeroing one costs less than keeping it would save; a stream of small
 * buffers from several threads would only contend on the pool's lock.
 */
static const unsigned int system_heap_pooled_orders[] = {
	8, SYSTEM_HEAP_SMALL_BLOCK_ORDER
};

/* Where blocks come from and go to; the registry puts a pool between. */
static struct page *system_heap_buddy_alloc(void *unused, unsigned int order)
{
	gfp_t gfp = order ? SYSTEM_HEAP_HIGH_ORDER_GFP : SYSTEM_HEAP_LOW_ORDER_GFP;

	return alloc_pages(gfp, order);
}

static void system_heap_buddy_free(void *unused, struct page *page,
				   unsigned int order)
{
	__free_pages(page, order);
}

static const struct dma_heap_pool_ops system_heap_pool_ops = {
	.alloc = system_heap_buddy_alloc,
	.free = system_heap_buddy_free,
};

static unsigned int system_heap_pool_orders(void *unused, unsigned int *orders)
{
	memcpy(orders, system_heap_pooled_orders,
	       sizeof(system_heap_pooled_orders));
	return ARRAY_SIZE(system_heap_pooled_orders);
}

/*
 * A single page, which the pool never keeps: straight from the page
 * allocator, as on every small buffer's path, without the pool's lookup
 * of its lists. Cleaned for an uncached heap, as the pool would.
 */
static struct page *system_heap_alloc_page(const struct dma_heap_instance *inst)
{
	struct page *page = system_heap_buddy_alloc(NULL, 0);

	if (page && inst->uncached && dma_heap_clean_pages(page, 1)) {
		__free_page(page);
		return NULL;
	}
	return page;
}

/*
 * Allocate the largest block that fits in @remaining bytes and is not
 * larger than @max_order, so that a request never ends with a block
 * bigger than what is left of it.
 */
static struct page *
system_heap_alloc_largest(const struct dma_heap_instance *inst,
			  unsigned long remaining, unsigned int max_order)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(system_heap_orders); i++) {
		unsigned int order = system_heap_orders[i];

		if (order > max_order || remaining < (PAGE_SIZE << order))
			continue;
		if (!order)
			return system_heap_alloc_page(inst);
		page = dma_heap_pool_alloc(inst->pool, order);
		if (page)
			return page;
	}
	return NULL;
}

static void system_heap_free_pages(struct dma_heap_pool *pool,
				   struct list_head *pages)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		if (compound_order(page))
			dma_heap_pool_free(pool, page, compound_order(page));
		else
			__free_page(page);
	}
}

/**
 * struct system_heap_buffer - a system heap buffer
 * @base:	the exporter's part
 * @batch:	how its pooled blocks go back to the pool, all at once
 * @pages_sg:	the first of its single pages, which are not pooled: the
 *		table's last @nr_pages entries, since blocks are collected
 *		largest first
 * @nr_pages:	how many single pages
 */
struct system_heap_buffer {
	struct dma_heap_buffer base;
	struct dma_heap_pool_batch batch;
	struct scatterlist *pages_sg;
	unsigned int nr_pages;
};

/* Give back @nr single pages, the entries of a table from @sgl on. */
static void system_heap_free_single(struct scatterlist *sgl, unsigned int nr)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgl, sg, nr, i)
		__free_page(sg_page(sg));
}

/* Its memory is given back: what is left of the buffer goes. */
static void system_heap_buffer_free(struct system_heap_buffer *buf)
{
	dma_heap_buffer_free_sgt(&buf->base);
	kfree(buf);
}

/* The pool has taken the blocks. */
static void system_heap_batch_release(struct dma_heap_pool_batch *batch)
{
	system_heap_buffer_free(container_of(batch, struct system_heap_buffer,
					     batch));
}

/*
 * The single pages go straight back to the page allocator (fewer than 16
 * unless memory was too fragmented for larger blocks), as they came. A
 * buffer of nothing else (any buffer under 64 KiB) is gone then; the
 * pooled blocks of any other go to the pool as one batch, with the buffer
 * that holds it, so the free takes the same time for any size, and the
 * sg_table and the buffer are freed later, by whoever splits the batch.
 */
static void system_heap_release(struct dma_heap_buffer *buffer)
{
	struct system_heap_buffer *buf = container_of(buffer, typeof(*buf),
						      base);
	struct dma_heap_instance *inst = buffer->priv;

	system_heap_free_single(buf->pages_sg, buf->nr_pages);
	if (buf->nr_pages == buffer->sgt.orig_nents) {
		system_heap_buffer_free(buf);
		return;
	}

	buf->batch.sgt = &buffer->sgt;
	buf->batch.nents = buffer->sgt.orig_nents - buf->nr_pages;
	buf->batch.bytes = buffer->len - ((size_t)buf->nr_pages << PAGE_SHIFT);
	buf->batch.release = system_heap_batch_release;
	dma_heap_pool_free_batch(inst->pool, &buf->batch);
}

/*
 * Memory held in dma-bufs is charged to no process (unless
 * dma_heap.mem_accounting is on), so when it runs out the OOM killer
 * cannot find who holds it and kills a bystander. A request that
 * would leave the system less than a 32nd of its memory
 * (what the kernel itself needs to go on) is therefore refused with
 * -ENOMEM up front; the heap's own pool counts as available, since the
 * request takes from it first, and free CMA memory does not, since only
 * movable pages may use it.
 */
static bool system_heap_may_take(struct dma_heap_pool *pool, unsigned long len)
{
	long reserve = totalram_pages() / 32, pages = len >> PAGE_SHIFT;
	long free = global_zone_page_state(NR_FREE_PAGES) -
		    global_zone_page_state(NR_FREE_CMA_PAGES);
	struct dma_heap_pool_stats stats = {};
	long avail;

	/* Plenty of free pages: no need to add up what could be reclaimed. */
	if (pages + 2 * reserve <= free)
		return true;

	avail = si_mem_available() - global_zone_page_state(NR_FREE_CMA_PAGES);

	dma_heap_pool_get_stats(pool, &stats);
	avail += stats.pooled_bytes >> PAGE_SHIFT;
	return pages <= avail - reserve;
}

static const struct dma_heap_buffer_ops system_heap_buffer_ops = {
	.release = system_heap_release,
};

/* Collect blocks for @len bytes on @pages; returns how many there are. */
static int system_heap_collect(const struct dma_heap_instance *inst,
			       unsigned long len, struct list_head *pages)
{
	unsigned int max_order = system_heap_orders[0];
	unsigned long remaining = len;
	struct page *page;
	int nents = 0;

	while (remaining) {
		/* A huge request can take long: let a killed task go. */
		if (fatal_signal_pending(current))
			return -EINTR;

		page = system_heap_alloc_largest(inst, remaining, max_order);
		if (!page)
			return -ENOMEM;

		list_add_tail(&page->lru, pages);
		remaining -= page_size(page);
		max_order = compound_order(page);
		nents++;
	}
	return nents;
}

/*
 * A buffer smaller than the smallest block is made of single pages, as
 * many as its size says: its table is made first and filled as they come,
 * without the list that a larger buffer collects its blocks on before it
 * knows how many there are. At 15 pages at most, it needs no check for
 * a killed task on the way.
 */
static bool system_heap_only_pages(unsigned long len)
{
	return len < (PAGE_SIZE << SYSTEM_HEAP_SMALL_BLOCK_ORDER);
}

static int system_heap_fill_small(struct system_heap_buffer *buf,
				  const struct dma_heap_instance *inst,
				  unsigned int nr_pages)
{
	struct sg_table *sgt = &buf->base.sgt;
	struct scatterlist *sg;
	struct page *page;
	unsigned int i;
	int ret;

	ret = dma_heap_buffer_alloc_sgt(&buf->base, nr_pages);
	if (ret)
		return ret;

	for_each_sgtable_sg(sgt, sg, i) {
		page = system_heap_alloc_page(inst);
		if (!page) {
			system_heap_free_single(sgt->sgl, i);
			dma_heap_buffer_free_sgt(&buf->base);
			return -ENOMEM;
		}
		sg_set_page(sg, page, PAGE_SIZE, 0);
	}
	buf->pages_sg = sgt->sgl;
	buf->nr_pages = nr_pages;
	return 0;
}

/* Fill @buf's table with the blocks on @pages, noting its single pages. */
static int system_heap_fill_sgt(struct system_heap_buffer *buf, int nents,
				struct list_head *pages)
{
	struct sg_table *sgt = &buf->base.sgt;
	struct scatterlist *sg;
	struct page *page, *next;
	int ret;

	ret = dma_heap_buffer_alloc_sgt(&buf->base, nents);
	if (ret)
		return ret;

	sg = sgt->sgl;
	list_for_each_entry_safe(page, next, pages, lru) {
		sg_set_page(sg, page, page_size(page), 0);
		if (!compound_order(page) && !buf->nr_pages++)
			buf->pages_sg = sg;
		sg = sg_next(sg);
		list_del(&page->lru);
	}
	return 0;
}

/* Give @buf the blocks of @len bytes, largest first; none on failure. */
static int system_heap_fill_large(struct system_heap_buffer *buf,
				  const struct dma_heap_instance *inst,
				  unsigned long len)
{
	LIST_HEAD(pages);
	int nents, ret;

	nents = system_heap_collect(inst, len, &pages);
	ret = nents < 0 ? nents : system_heap_fill_sgt(buf, nents, &pages);
	if (ret)
		system_heap_free_pages(inst->pool, &pages);
	return ret;
}

static struct dma_buf *system_heap_allocate(struct dma_heap *heap,
					    struct dma_heap_instance *inst,
					    unsigned long len, u32 fd_flags)
{
	struct system_heap_buffer *buf;
	struct dma_heap_buffer *buffer;
	int ret;

	if (!system_heap_may_take(inst->pool, len))
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buffer = &buf->base;

	if (system_heap_only_pages(len))
		ret = system_heap_fill_small(buf, inst, len >> PAGE_SHIFT);
	else
		ret = system_heap_fill_large(buf, inst, len);
	if (ret) {
		kfree(buf);
		return ERR_PTR(ret);
	}

	dma_heap_buffer_init(buffer, heap, inst, &system_heap_buffer_ops, len);
	buffer->priv = inst;
	/* On failure the exporter has released the buffer. */
	return dma_heap_buffer_export(buffer, fd_flags);
}

static void *system_heap_create(const struct dma_heap_desc *desc)
{
	if (desc->size) {
		dma_heap_desc_err(desc, "memory-region",
				  "the system heap takes memory from anywhere, not from a region");
		return ERR_PTR(-EINVAL);
	}
	return NULL;
}

static struct dma_heap_type system_heap_type = {
	.name = "system",
	.compatible = "linux,dma-heap-system",
	.owner = THIS_MODULE,
	.create = system_heap_create,
	.allocate = system_heap_allocate,
	.pool_ops = &system_heap_pool_ops,
	.pool_orders = system_heap_pool_orders,
	.caching = DMA_HEAP_CACHED_OR_UNCACHED,
	.protectable = true,
	/* The page allocator's memory: a memory cgroup can hold it. */
	.accountable = true,
};

static int __init system_heap_init(void)
{
	return dma_heap_type_register(&system_heap_type);
}
module_init(system_heap_init);

/*
 * Built as a module, the heap can go like any other type once no buffer,
 * open file or in-kernel user holds it; heaps that fall back to it stop
 * doing so until it is loaded again.
 */
static void __exit system_heap_exit(void)
{
	dma_heap_type_unregister(&system_heap_type);
}
module_exit(system_heap_exit);
MODULE_DESCRIPTION("DMA-BUF heaps: system heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
