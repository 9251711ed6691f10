/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the KUnit suites: which ranges were cleaned out of the CPU caches
 * for uncached heaps, whatever thread cleaned them (a pool's zeroing
 * worker among them), as dma_heap_observe_cleans() reports them.
 */

#ifndef _DMA_HEAP_CLEAN_LOG_H
#define _DMA_HEAP_CLEAN_LOG_H

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

#include "../heap-internal.h"

#define CLEAN_LOG_RANGES	256

struct clean_log {
	unsigned int n;
	bool overflow;
	struct {
		unsigned long pfn;
		unsigned long count;
	} ranges[CLEAN_LOG_RANGES];
};

/* The running test's log; under clean_log_lock, as its entries are. */
static DEFINE_SPINLOCK(clean_log_lock);
static struct clean_log *clean_log_current;

static void clean_log_record(struct page *page, unsigned long count)
{
	struct clean_log *log;

	spin_lock(&clean_log_lock);
	log = clean_log_current;
	if (log && log->n < CLEAN_LOG_RANGES) {
		log->ranges[log->n].pfn = page_to_pfn(page);
		log->ranges[log->n].count = count;
		log->n++;
	} else if (log) {
		log->overflow = true;
	}
	spin_unlock(&clean_log_lock);
}

static void clean_log_stop(void *unused)
{
	dma_heap_observe_cleans(NULL);
	spin_lock(&clean_log_lock);
	clean_log_current = NULL;
	spin_unlock(&clean_log_lock);
}

/* Start logging the cleans for @test, until it ends. */
static struct clean_log *clean_log_start(struct kunit *test)
{
	struct clean_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, log);
	spin_lock(&clean_log_lock);
	clean_log_current = log;
	spin_unlock(&clean_log_lock);
	dma_heap_observe_cleans(clean_log_record);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, clean_log_stop,
							NULL), 0);
	return log;
}

/*
 * Forget the cleans of the @count pages from @page, as they are freed: a
 * page handed out again must have been cleaned after this. The other
 * entries stay, since a block cleaned earlier may wait in a pool's clean
 * list for any number of allocations before it is handed out.
 */
static void clean_log_forget(struct clean_log *log, struct page *page,
			     unsigned long count)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + count;
	unsigned int i, kept = 0;

	spin_lock(&clean_log_lock);
	for (i = 0; i < log->n; i++) {
		if (log->ranges[i].pfn < end &&
		    log->ranges[i].pfn + log->ranges[i].count > pfn)
			continue;
		log->ranges[kept++] = log->ranges[i];
	}
	log->n = kept;
	spin_unlock(&clean_log_lock);
}

/* Was every page of @count from @page cleaned since the last reset? */
static bool clean_log_has(struct clean_log *log, struct page *page,
			  unsigned long count)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + count, i;
	bool covered;

	spin_lock(&clean_log_lock);
	for (; pfn < end; pfn++) {
		covered = false;
		for (i = 0; i < log->n && !covered; i++)
			covered = pfn >= log->ranges[i].pfn &&
				  pfn < log->ranges[i].pfn + log->ranges[i].count;
		if (!covered)
			break;
	}
	spin_unlock(&clean_log_lock);
	return pfn == end;
}

/* The parameter of the tests that run for a cached and an uncached heap. */
static const bool cached_or_not[] = { false, true };

static void uncached_desc(const bool *uncached, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *uncached ? "uncached" : "cached");
}

KUNIT_ARRAY_PARAM(uncached, cached_or_not, uncached_desc);

#endif /* _DMA_HEAP_CLEAN_LOG_H */
