// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the heaps' page pool: hits and misses, the size limit,
 * background prefill, the shrinker, and that a recycled block always
 * comes back zeroed.
 *
 * The pool gets its blocks from test ops that count what they hand out
 * and take back, so every test can tell where each block went.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-heap.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../heap-internal.h"
#include "clean-log.h"

/* What the test ops handed out and got back; @empty: have no memory. */
struct block_log {
	atomic_t allocated;
	atomic_t freed;
	bool empty;
};

static struct page *test_block_alloc(void *priv, unsigned int order)
{
	struct block_log *log = priv;
	struct page *page;

	if (log->empty)
		return NULL;
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_COMP, order);
	if (page)
		atomic_inc(&log->allocated);
	return page;
}

static void test_block_free(void *priv, struct page *page, unsigned int order)
{
	struct block_log *log = priv;

	__free_pages(page, order);
	atomic_inc(&log->freed);
}

static const struct dma_heap_pool_ops test_pool_ops = {
	.alloc = test_block_alloc,
	.free = test_block_free,
};

/* 64 KiB and 4 KiB blocks, as a heap would use them. */
static const unsigned int test_orders[] = { 4, 0 };

struct pool_ctx {
	struct block_log log;
	struct dma_heap_pool *pool;
};

static void pool_ctx_destroy(void *data)
{
	struct pool_ctx *ctx = data;

	dma_heap_pool_destroy(ctx->pool);
}

static struct pool_ctx *make_pool_of_kind(struct kunit *test,
					  size_t max_bytes, bool uncached)
{
	struct pool_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->pool = dma_heap_pool_create(test_orders, ARRAY_SIZE(test_orders),
					 max_bytes, &test_pool_ops, &ctx->log,
					 uncached);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pool_ctx_destroy,
							ctx), 0);
	return ctx;
}

static struct pool_ctx *make_pool(struct kunit *test, size_t max_bytes)
{
	return make_pool_of_kind(test, max_bytes, false);
}

static struct dma_heap_pool_stats stats_of(struct pool_ctx *ctx)
{
	struct dma_heap_pool_stats stats;

	dma_heap_pool_get_stats(ctx->pool, &stats);
	return stats;
}

static bool block_is_zero(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		void *vaddr = kmap_local_page(nth_page(page, i));
		bool zero = !memchr_inv(vaddr, 0, PAGE_SIZE);

		kunmap_local(vaddr);
		if (!zero)
			return false;
	}
	return true;
}

static void dirty_block(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		void *vaddr = kmap_local_page(nth_page(page, i));

		memset(vaddr, 0xa5, PAGE_SIZE);
		kunmap_local(vaddr);
	}
}

static void pool_misses_then_hits(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *first, *again;

	first = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 0);

	dma_heap_pool_free(ctx->pool, first, 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_64K);
	dma_heap_pool_wait_idle(ctx->pool);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, 0);

	again = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_EXPECT_PTR_EQ(test, again, first);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 0);
	/* Block sizes are kept apart: a 4 KiB request does not hit. */
	dma_heap_pool_free(ctx->pool, again, 4);
	dma_heap_pool_free(ctx->pool, dma_heap_pool_alloc(ctx->pool, 0), 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 0);
}

/* A block the heap's memory did not have either is not a miss. */
static void pool_miss_counts_only_blocks_got(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *page;

	ctx->log.empty = true;
	KUNIT_EXPECT_NULL(test, dma_heap_pool_alloc(ctx->pool, 4));
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses, 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 0);

	ctx->log.empty = false;
	page = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses, 1);
	dma_heap_pool_free(ctx->pool, page, 4);
}

/*
 * A pool of size 0 is the path of a heap declared without a pool: every
 * block goes straight to and from the ops, and no timer is ever set.
 */
static void pool_of_size_zero_passes_through(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, 0);
	struct page *page;

	page = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.allocated), 1);
	dma_heap_pool_free(ctx->pool, page, 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 0);
	KUNIT_EXPECT_FALSE(test, dma_heap_pool_zeroing_armed(ctx->pool));
}

/*
 * Stopping a pool (the first half of its destruction) leaves no zeroing
 * timer set, and a block freed after that goes straight back, setting
 * no timer: the timer is set only under the lock that the stop takes to
 * mark the pool dying, so no free can set it once the stop has begun.
 */
static void pool_stop_leaves_no_timer(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *kept, *late;

	kept = dma_heap_pool_alloc(ctx->pool, 0);
	late = dma_heap_pool_alloc(ctx->pool, 0);
	KUNIT_ASSERT_NOT_NULL(test, kept);
	KUNIT_ASSERT_NOT_NULL(test, late);
	/* Its timer may have fired by now, or not: both are fine. */
	dma_heap_pool_free(ctx->pool, kept, 0);

	dma_heap_pool_stop(ctx->pool);
	KUNIT_EXPECT_FALSE(test, dma_heap_pool_zeroing_armed(ctx->pool));
	dma_heap_pool_free(ctx->pool, late, 0);
	KUNIT_EXPECT_FALSE(test, dma_heap_pool_zeroing_armed(ctx->pool));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 1);
}

/*
 * A whole buffer given back at once: blocks are kept while the pool has
 * room and the rest go back to the heap's memory, none lost, and the
 * kept ones come back zeroed.
 */
static void pool_free_sgt_keeps_what_fits(struct kunit *test)
{
	static const unsigned int orders[] = { 4, 0, 0 };
	struct pool_ctx *ctx = make_pool(test, SZ_64K + SZ_4K);
	struct scatterlist *sg;
	struct sg_table sgt;
	struct page *page;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, ARRAY_SIZE(orders),
					     GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		page = dma_heap_pool_alloc(ctx->pool, orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, page);
		dirty_block(page, orders[i]);
		sg_set_page(sg, page, PAGE_SIZE << orders[i], 0);
	}

	dma_heap_pool_free_sgt(ctx->pool, &sgt);
	sg_free_table(&sgt);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_64K + SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 1);

	dma_heap_pool_wait_idle(ctx->pool);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, 0);
	for (i = 0; i < 2; i++) {
		page = dma_heap_pool_alloc(ctx->pool, orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_TRUE(test, block_is_zero(page, orders[i]));
		dma_heap_pool_free(ctx->pool, page, orders[i]);
	}
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 2);
}

/* Zeroed by the worker, or by the allocation that finds it dirty. */
static void pool_recycled_block_is_zeroed(struct kunit *test)
{
	bool wait = *(const bool *)test->param_value;
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *page;
	unsigned int round;

	for (round = 0; round < 16; round++) {
		page = dma_heap_pool_alloc(ctx->pool, 4);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_TRUE(test, block_is_zero(page, 4));
		dirty_block(page, 4);
		dma_heap_pool_free(ctx->pool, page, 4);
		if (wait)
			dma_heap_pool_wait_idle(ctx->pool);
	}
	/*
	 * Waiting, every round but the first is a hit. Not waiting, a round
	 * may find its block still in the worker's hands, and miss.
	 */
	if (wait)
		KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 15);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits + stats_of(ctx).misses, 16);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses,
			atomic_read(&ctx->log.allocated));
}

/*
 * The pool of an uncached heap cleans every block it hands out after it
 * last zeroed it, whichever path zeroed it: a new block from the ops, a
 * dirty block taken by the allocation, the worker's, the prefill's. A
 * cached heap's pool cleans nothing.
 */
static void pool_cleans_uncached_blocks_after_zeroing(struct kunit *test)
{
	bool uncached = *(const bool *)test->param_value;
	struct clean_log *log = clean_log_start(test);
	struct pool_ctx *ctx = make_pool_of_kind(test, SZ_1M, uncached);
	struct page *page;
	unsigned int round;

	dma_heap_pool_prefill(ctx->pool, SZ_64K);
	dma_heap_pool_wait_idle(ctx->pool);
	for (round = 0; round < 16; round++) {
		page = dma_heap_pool_alloc(ctx->pool, 4);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_EQ(test, clean_log_has(log, page, 16), uncached);
		dirty_block(page, 4);
		clean_log_forget(log, page, 16);
		dma_heap_pool_free(ctx->pool, page, 4);
		if (round % 2)
			dma_heap_pool_wait_idle(ctx->pool);
	}
	/* Pass-through, as a pool of size 0 is: cleaned all the same. */
	ctx = make_pool_of_kind(test, 0, uncached);
	page = dma_heap_pool_alloc(ctx->pool, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, clean_log_has(log, page, 1), uncached);
	dma_heap_pool_free(ctx->pool, page, 0);
	KUNIT_EXPECT_FALSE(test, log->overflow);
}

/* Poll until the background zeroing is done; false after @ms. */
static bool zeroed_within(struct pool_ctx *ctx, unsigned int ms)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(ms);

	while (stats_of(ctx).zeroing_bytes) {
		if (time_after(jiffies, timeout))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

/* Nobody waits or asks: the pool's own timer starts the zeroing. */
static void pool_zeroes_without_being_asked(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *page;

	page = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_ASSERT_NOT_NULL(test, page);
	dirty_block(page, 4);
	dma_heap_pool_free(ctx->pool, page, 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, SZ_64K);

	KUNIT_ASSERT_TRUE(test, zeroed_within(ctx, 2000));
	page = dma_heap_pool_alloc(ctx->pool, 4);
	KUNIT_EXPECT_TRUE(test, block_is_zero(page, 4));
	dma_heap_pool_free(ctx->pool, page, 4);
}

/* Wait by the clock: a sleep may last longer than asked. */
static void busy_wait_us(unsigned int us)
{
	ktime_t until = ktime_add_us(ktime_get(), us);

	while (ktime_before(ktime_get(), until))
		cpu_relax();
}

/*
 * Frees that keep coming, each well within the zeroing delay of the one
 * before, must not keep pushing the zeroing back: blocks freed early in
 * the stream are zeroed while it still runs. The frees are 100 us apart
 * by the clock (a sleep could last longer than the delay); the worker
 * gets the CPU at cond_resched(), even on one CPU without preemption.
 */
static void pool_steady_frees_do_not_postpone_zeroing(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *blocks[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blocks); i++) {
		blocks[i] = dma_heap_pool_alloc(ctx->pool, 0);
		KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
	}
	/* 12.8 ms in all: 25 zeroing delays, 3 ticks even at HZ=250. */
	for (i = 0; i < ARRAY_SIZE(blocks); i++) {
		dma_heap_pool_free(ctx->pool, blocks[i], 0);
		busy_wait_us(100);
		cond_resched();
	}
	KUNIT_EXPECT_LT(test, stats_of(ctx).zeroing_bytes,
			ARRAY_SIZE(blocks) * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, zeroed_within(ctx, 2000));
}

static const bool wait_cases[] = { true, false };

static void wait_desc(const bool *wait, char *desc)
{
	strscpy(desc, *wait ? "zeroed in the background" :
		"taken back at once", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(wait, wait_cases, wait_desc);

static void pool_keeps_at_most_its_size(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_128K);
	struct page *blocks[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		blocks[i] = dma_heap_pool_alloc(ctx->pool, 4);
	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		dma_heap_pool_free(ctx->pool, blocks[i], 4);

	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_128K);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 2);
}

static void pool_prefill_runs_in_background(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);

	dma_heap_pool_prefill(ctx->pool, SZ_512K);
	dma_heap_pool_wait_idle(ctx->pool);
	/* Filled with the largest blocks, already zeroed. */
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_512K);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.allocated), 8);

	dma_heap_pool_free(ctx->pool, dma_heap_pool_alloc(ctx->pool, 4), 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).misses, 0);
}

static void pool_prefill_stops_at_its_size(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_256K);

	dma_heap_pool_prefill(ctx->pool, SZ_1M);
	dma_heap_pool_wait_idle(ctx->pool);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_256K);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.allocated), 4);
}

static void shrinker_drains_the_pool(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct page *blocks[8];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		blocks[i] = dma_heap_pool_alloc(ctx->pool, i % 2 ? 4 : 0);
	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		dma_heap_pool_free(ctx->pool, blocks[i], i % 2 ? 4 : 0);
	dma_heap_pool_wait_idle(ctx->pool);
	KUNIT_ASSERT_EQ(test, stats_of(ctx).pooled_bytes, 4 * (SZ_64K + SZ_4K));

	/* Other pools may give pages too; ask for everything. */
	KUNIT_EXPECT_GE(test, dma_heap_pools_shrink(ULONG_MAX),
			4 * (SZ_64K + SZ_4K) / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 8);
}

static void pool_destroy_gives_everything_back(struct kunit *test)
{
	struct block_log log = {};
	struct dma_heap_pool *pool;

	pool = dma_heap_pool_create(test_orders, ARRAY_SIZE(test_orders),
				    SZ_1M, &test_pool_ops, &log, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	dma_heap_pool_prefill(pool, SZ_256K);
	dma_heap_pool_free(pool, dma_heap_pool_alloc(pool, 0), 0);
	dma_heap_pool_destroy(pool);

	KUNIT_EXPECT_EQ(test, atomic_read(&log.freed),
			atomic_read(&log.allocated));
}

static struct kunit_case dma_heap_pool_cases[] = {
	KUNIT_CASE(pool_misses_then_hits),
	KUNIT_CASE(pool_of_size_zero_passes_through),
	KUNIT_CASE(pool_stop_leaves_no_timer),
	KUNIT_CASE(pool_miss_counts_only_blocks_got),
	KUNIT_CASE(pool_free_sgt_keeps_what_fits),
	KUNIT_CASE_PARAM(pool_recycled_block_is_zeroed, wait_gen_params),
	KUNIT_CASE(pool_zeroes_without_being_asked),
	KUNIT_CASE_PARAM(pool_cleans_uncached_blocks_after_zeroing,
			 uncached_gen_params),
	KUNIT_CASE(pool_steady_frees_do_not_postpone_zeroing),
	KUNIT_CASE(pool_keeps_at_most_its_size),
	KUNIT_CASE(pool_prefill_runs_in_background),
	KUNIT_CASE(pool_prefill_stops_at_its_size),
	KUNIT_CASE(shrinker_drains_the_pool),
	KUNIT_CASE(pool_destroy_gives_everything_back),
	{}
};

static struct kunit_suite dma_heap_pool_suite = {
	.name = "dma-heap-pool",
	.test_cases = dma_heap_pool_cases,
};

kunit_test_suite(dma_heap_pool_suite);

MODULE_DESCRIPTION("KUnit tests for the DMA-BUF heaps page pool");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
