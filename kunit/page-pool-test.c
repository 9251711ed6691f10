// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the heaps' page pool: hits and misses, the size limit,
 * background prefill, the shrinker, buffers given back whole, when the
 * zeroing worker is woken, and that a recycled block always comes back
 * zeroed.
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
 * block goes straight to and from the ops, and no worker is ever woken.
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
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 0);
}

/* Blocks of 64 KiB that make up the worker's wake-up threshold, 1 MiB. */
#define WAKE_BLOCKS	16

/*
 * Stopping a pool (the first half of its destruction) right after a
 * megabyte was freed, with the kick that starts the worker pending,
 * leaves neither the kick nor the worker pending; and blocks freed after
 * that go straight back, waking nothing: the kick is queued only under
 * the lock that the stop takes to mark the pool dying.
 */
static void pool_stop_leaves_no_worker(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, 4 * SZ_1M);
	struct page *early[WAKE_BLOCKS], *late[WAKE_BLOCKS];
	unsigned int i;

	for (i = 0; i < WAKE_BLOCKS; i++) {
		early[i] = dma_heap_pool_alloc(ctx->pool, 4);
		late[i] = dma_heap_pool_alloc(ctx->pool, 4);
		KUNIT_ASSERT_NOT_NULL(test, early[i]);
		KUNIT_ASSERT_NOT_NULL(test, late[i]);
	}
	for (i = 0; i < WAKE_BLOCKS; i++)
		dma_heap_pool_free(ctx->pool, early[i], 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 1);

	dma_heap_pool_stop(ctx->pool);
	KUNIT_EXPECT_FALSE(test, dma_heap_pool_zeroing_pending(ctx->pool));
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, 0);
	for (i = 0; i < WAKE_BLOCKS; i++)
		dma_heap_pool_free(ctx->pool, late[i], 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 1);
	KUNIT_EXPECT_FALSE(test, dma_heap_pool_zeroing_pending(ctx->pool));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), WAKE_BLOCKS);
}

/* A test buffer: its blocks, and whether the pool released the batch. */
struct test_batch {
	struct dma_heap_pool_batch batch;
	struct sg_table sgt;
	int released;
};

static void test_batch_release(struct dma_heap_pool_batch *batch)
{
	struct test_batch *tb = container_of(batch, struct test_batch, batch);

	sg_free_table(&tb->sgt);
	tb->released++;
}

/* A batch of blocks of @orders from @ctx's pool, each filled with 0xa5. */
static void make_batch(struct kunit *test, struct pool_ctx *ctx,
		       struct test_batch *tb, const unsigned int *orders,
		       unsigned int nr)
{
	struct scatterlist *sg;
	struct page *page;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(&tb->sgt, nr, GFP_KERNEL), 0);
	tb->batch.sgt = &tb->sgt;
	tb->batch.nents = nr;
	tb->batch.bytes = 0;
	tb->batch.release = test_batch_release;
	tb->released = 0;
	for_each_sgtable_sg(&tb->sgt, sg, i) {
		page = dma_heap_pool_alloc(ctx->pool, orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, page);
		dirty_block(page, orders[i]);
		sg_set_page(sg, page, PAGE_SIZE << orders[i], 0);
		tb->batch.bytes += PAGE_SIZE << orders[i];
	}
}

/*
 * A whole buffer given back at once is kept whole while the pool has
 * room for it, and released once an allocation has split it; its blocks
 * come back zeroed. Of one that does not fit, what fits is kept and the
 * rest goes back to the heap's memory, none lost.
 */
static void pool_keeps_a_batch_whole(struct kunit *test)
{
	static const unsigned int orders[] = { 4, 0, 0 };
	struct pool_ctx *ctx = make_pool(test, SZ_64K + 3 * SZ_4K);
	struct test_batch kept, spilt;
	struct page *page;
	unsigned int i;

	make_batch(test, ctx, &kept, orders, ARRAY_SIZE(orders));
	make_batch(test, ctx, &spilt, orders, ARRAY_SIZE(orders));

	dma_heap_pool_free_batch(ctx->pool, &kept.batch);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_64K + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, SZ_64K + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, kept.released, 0);

	/* Only 4 KiB of room left: one page of the second is kept. */
	dma_heap_pool_free_batch(ctx->pool, &spilt.batch);
	KUNIT_EXPECT_EQ(test, spilt.released, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 2);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, SZ_64K + 3 * SZ_4K);

	/* Below the wake-up threshold: the allocation zeroes the block. */
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		page = dma_heap_pool_alloc(ctx->pool, orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_TRUE(test, block_is_zero(page, orders[i]));
		KUNIT_EXPECT_EQ(test, kept.released, 1);
		dma_heap_pool_free(ctx->pool, page, orders[i]);
	}
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, 3);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 2);
}

/* A buffer of one block is kept as that block; the batch goes at once. */
static void pool_keeps_a_one_block_batch_as_its_block(struct kunit *test)
{
	static const unsigned int orders[] = { 4 };
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct test_batch tb;
	struct page *page;

	make_batch(test, ctx, &tb, orders, ARRAY_SIZE(orders));
	page = sg_page(tb.sgt.sgl);
	dma_heap_pool_free_batch(ctx->pool, &tb.batch);
	KUNIT_EXPECT_EQ(test, tb.released, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, SZ_64K);

	KUNIT_EXPECT_PTR_EQ(test, dma_heap_pool_alloc(ctx->pool, 4), page);
	KUNIT_EXPECT_TRUE(test, block_is_zero(page, 4));
	dma_heap_pool_free(ctx->pool, page, 4);
}

/*
 * The shrinker takes a batch's blocks too, and the batch is released:
 * nothing it holds outlives memory pressure. A block of a size the pool
 * does not keep (order 1 here) goes back as the batch is split, and
 * counts as given back, or reclaim would see no progress from it.
 */
static void shrinker_splits_batches(struct kunit *test)
{
	static const unsigned int orders[] = { 4, 4, 1, 0 };
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct test_batch tb;

	make_batch(test, ctx, &tb, orders, ARRAY_SIZE(orders));
	dma_heap_pool_free_batch(ctx->pool, &tb.batch);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes,
			2 * SZ_64K + SZ_8K + SZ_4K);
	KUNIT_EXPECT_GE(test, dma_heap_pools_shrink(ULONG_MAX),
			(2 * SZ_64K + SZ_8K + SZ_4K) / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, tb.released, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 4);
}

/*
 * Only the first @nents entries of a batch are the pool's: a heap gives
 * the others back itself (the system heap's single pages).
 */
static void pool_takes_only_a_batch_s_blocks(struct kunit *test)
{
	static const unsigned int orders[] = { 4, 4, 0 };
	struct pool_ctx *ctx = make_pool(test, SZ_1M);
	struct test_batch tb;
	struct page *page;

	make_batch(test, ctx, &tb, orders, ARRAY_SIZE(orders));
	page = sg_page(sg_next(sg_next(tb.sgt.sgl)));
	tb.batch.nents = 2;
	tb.batch.bytes = 2 * SZ_64K;
	dma_heap_pool_free_batch(ctx->pool, &tb.batch);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 2 * SZ_64K);
	dma_heap_pool_wait_idle(ctx->pool);
	KUNIT_EXPECT_EQ(test, tb.released, 1);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).pooled_bytes, 2 * SZ_64K);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->log.freed), 0);
	dma_heap_pool_free(ctx->pool, page, 0);
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

/*
 * Nobody waits or asks: a megabyte freed wakes the worker once, and it
 * zeroes all of it; less than that wakes nothing and stays dirty.
 */
static void pool_zeroes_a_megabyte_without_being_asked(struct kunit *test)
{
	struct pool_ctx *ctx = make_pool(test, 2 * SZ_1M);
	struct page *blocks[WAKE_BLOCKS];
	unsigned int i;

	for (i = 0; i < WAKE_BLOCKS; i++) {
		blocks[i] = dma_heap_pool_alloc(ctx->pool, 4);
		KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
		dirty_block(blocks[i], 4);
	}
	for (i = 0; i < WAKE_BLOCKS - 1; i++)
		dma_heap_pool_free(ctx->pool, blocks[i], 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zeroing_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, SZ_1M - SZ_64K);

	dma_heap_pool_free(ctx->pool, blocks[i], 4);
	KUNIT_EXPECT_EQ(test, stats_of(ctx).zero_wakeups, 1);
	KUNIT_ASSERT_TRUE(test, zeroed_within(ctx, 2000));
	KUNIT_EXPECT_EQ(test, stats_of(ctx).dirty_bytes, 0);
	for (i = 0; i < WAKE_BLOCKS; i++) {
		blocks[i] = dma_heap_pool_alloc(ctx->pool, 4);
		KUNIT_EXPECT_TRUE(test, block_is_zero(blocks[i], 4));
	}
	KUNIT_EXPECT_EQ(test, stats_of(ctx).hits, WAKE_BLOCKS);
	for (i = 0; i < WAKE_BLOCKS; i++)
		dma_heap_pool_free(ctx->pool, blocks[i], 4);
}

/* Wait by the clock: a sleep may last longer than asked. */
static void busy_wait_us(unsigned int us)
{
	ktime_t until = ktime_add_us(ktime_get(), us);

	while (ktime_before(ktime_get(), until))
		cpu_relax();
}

/*
 * Frees that keep coming, spaced out, wake the worker once per megabyte
 * freed, not once per free: 4 MiB in single pages, 100 us apart by the
 * clock, wake it at least once and at most four times. The worker gets
 * the CPU at cond_resched(), even on one CPU without preemption.
 */
static void pool_spaced_frees_wake_once_per_megabyte(struct kunit *test)
{
	const unsigned int nr = 4 * SZ_1M / PAGE_SIZE;
	struct pool_ctx *ctx = make_pool(test, 4 * SZ_1M);
	struct page **blocks;
	unsigned int i;
	u64 wakeups;

	blocks = kunit_kcalloc(test, nr, sizeof(*blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	for (i = 0; i < nr; i++) {
		blocks[i] = dma_heap_pool_alloc(ctx->pool, 0);
		KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
	}
	for (i = 0; i < nr; i++) {
		dma_heap_pool_free(ctx->pool, blocks[i], 0);
		busy_wait_us(100);
		cond_resched();
	}
	wakeups = stats_of(ctx).zero_wakeups;
	KUNIT_EXPECT_GE(test, wakeups, 1);
	KUNIT_EXPECT_LE(test, wakeups, 4);
	/* What came after the last wake-up waits, less than its threshold. */
	KUNIT_EXPECT_TRUE(test, zeroed_within(ctx, 2000));
	KUNIT_EXPECT_LT(test, stats_of(ctx).dirty_bytes, SZ_1M);
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
	KUNIT_CASE(pool_stop_leaves_no_worker),
	KUNIT_CASE(pool_miss_counts_only_blocks_got),
	KUNIT_CASE(pool_keeps_a_batch_whole),
	KUNIT_CASE(pool_keeps_a_one_block_batch_as_its_block),
	KUNIT_CASE(shrinker_splits_batches),
	KUNIT_CASE(pool_takes_only_a_batch_s_blocks),
	KUNIT_CASE_PARAM(pool_recycled_block_is_zeroed, wait_gen_params),
	KUNIT_CASE(pool_zeroes_a_megabyte_without_being_asked),
	KUNIT_CASE_PARAM(pool_cleans_uncached_blocks_after_zeroing,
			 uncached_gen_params),
	KUNIT_CASE(pool_spaced_frees_wake_once_per_megabyte),
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
