// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers about memory that every layer of the heaps may use: clearing
 * pages, cleaning them out of the CPU caches for an uncached user, and
 * checking that a physical range is memory the kernel can hand out as
 * pages. They know nothing about heaps, pools or buffers.
 */

#include <linux/device.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <kunit/visibility.h>

#include "heap-internal.h"

/**
 * dma_heap_clear_pages - zero pages that have a kernel mapping
 * @page:	first page of a physically contiguous range
 * @count:	number of pages
 *
 * For memory from the buddy allocator or CMA. The pages are zeroed one at
 * a time through their (possibly temporary) kernel mapping, so highmem
 * works too.
 */
void dma_heap_clear_pages(struct page *page, unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		clear_highpage(nth_page(page, i));
		cond_resched();
	}
}
EXPORT_SYMBOL_NS_GPL(dma_heap_clear_pages, DMA_BUF);

/*
 * The caches are cleaned through the DMA API, the one interface every
 * architecture offers for it: mapping a range for a device that does not
 * snoop the CPU caches writes its dirty lines back. This device is the
 * heaps' own and is never registered: no IOMMU, no swiotlb pool and no
 * coherence, so the mapping neither moves nor bounces the memory, and it
 * reaches all of it.
 */
static u64 cache_dev_dma_mask = DMA_BIT_MASK(64);
static struct device cache_dev = {
	.init_name = "dma-heap-cache",
	.dma_mask = &cache_dev_dma_mask,
	.coherent_dma_mask = DMA_BIT_MASK(64),
};

#if IS_ENABLED(CONFIG_KUNIT)
static void (*clean_observer)(struct page *page, unsigned long count);

/*
 * For the KUnit suites: @observer is told of every range cleaned, from
 * whichever thread cleans it (a pool's zeroing worker among them), until
 * it is replaced; NULL stops it.
 */
void dma_heap_observe_cleans(void (*observer)(struct page *page,
					      unsigned long count))
{
	WRITE_ONCE(clean_observer, observer);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_observe_cleans);

static void observe_clean(struct page *page, unsigned long count)
{
	void (*observer)(struct page *page, unsigned long count);

	observer = READ_ONCE(clean_observer);
	if (observer)
		observer(page, count);
}
#else
static inline void observe_clean(struct page *page, unsigned long count) { }
#endif

/**
 * dma_heap_clean_pages - clean zeroed pages out of the CPU caches
 * @page:	first page of a physically contiguous range
 * @count:	number of pages
 *
 * For memory an uncached heap hands out, after it was zeroed (or written
 * in any other way) through a cacheable mapping: its dirty cache lines are
 * written back, so that none can later be written back over what a
 * device wrote. Clean lines may stay: the CPU can fetch them again
 * through the cacheable linear mapping at any moment anyway, by
 * speculation, as it can for the kernel's own write-combined DMA buffers
 * (dma_alloc_coherent() for a device that does not snoop), so dropping
 * them would buy nothing lasting; from now on the CPU uses the buffer
 * only through write-combined mappings. Writing back alone halves the
 * cost of an allocation that the pool cannot serve. Not for memory
 * without a linear mapping, which is never cached.
 *
 * Return: 0, or -ENOMEM if the range could not be mapped for the
 * cleaning, in which case it must not be handed out as uncached.
 */
int dma_heap_clean_pages(struct page *page, unsigned long count)
{
	size_t size = count << PAGE_SHIFT;
	dma_addr_t addr;

	addr = dma_map_page(&cache_dev, page, 0, size, DMA_TO_DEVICE);
	if (dma_mapping_error(&cache_dev, addr))
		return -ENOMEM;
	dma_unmap_page_attrs(&cache_dev, addr, size, DMA_TO_DEVICE,
			     DMA_ATTR_SKIP_CPU_SYNC);
	observe_clean(page, count);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_clean_pages, DMA_BUF);

/**
 * dma_heap_region_check - is a physical range RAM with struct pages?
 * @base:	start of the range
 * @size:	its size in bytes
 * @bad:	set to the first address that is not, on failure
 *
 * Buffers are handed to importers and to userspace as pages, and zeroed
 * before use: a range without struct pages (outside RAM, a mistyped
 * address, a device's registers) would fault on the first allocation, so
 * heap types refuse it when the heap is created. Where the kernel keeps
 * its map of memory after boot, the range must also lie in it: struct
 * pages cover whole sections, also past the end of RAM in the last one.
 *
 * Return: 0, or -EINVAL with @bad set.
 */
int dma_heap_region_check(phys_addr_t base, phys_addr_t size,
			  phys_addr_t *bad)
{
	unsigned long pfn, end = PHYS_PFN(base + size);

	if (!size || base + size < base ||
	    (IS_ENABLED(CONFIG_ARCH_KEEP_MEMBLOCK) &&
	     !memblock_is_region_memory(base, size))) {
		*bad = base;
		return -EINVAL;
	}
	for (pfn = PHYS_PFN(base); pfn < end; pfn++) {
		if (!pfn_valid(pfn)) {
			*bad = PFN_PHYS(pfn);
			return -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_region_check, DMA_BUF);
