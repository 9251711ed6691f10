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

/* Why [@base, @base + @size) is not RAM with struct pages, or NULL. */
static const char *dma_heap_region_not_pages(phys_addr_t base,
					     phys_addr_t size,
					     phys_addr_t *bad)
{
	unsigned long pfn, end = PHYS_PFN(base + size);

	*bad = base;
	if (IS_ENABLED(CONFIG_ARCH_KEEP_MEMBLOCK) &&
	    !memblock_is_region_memory(base, size))
		return "is not RAM with struct pages (outside memory?)";
	for (pfn = PHYS_PFN(base); pfn < end; pfn++) {
		if (!pfn_valid(pfn)) {
			*bad = PFN_PHYS(pfn);
			return "is not RAM with struct pages (outside memory?)";
		}
	}
	return NULL;
}

/**
 * dma_heap_region_check - can a heap type use a physical range as it needs?
 * @base:	start of the range
 * @size:	its size in bytes
 * @need:	what the type does with the memory
 * @bad:	set to the first address that does not fit, on failure
 *
 * Heap types call this when a heap is created, so that a mistyped address
 * is refused by name instead of faulting at the first allocation.
 *
 * %DMA_HEAP_REGION_PAGES: buffers are handed to importers and to
 * userspace as pages, so the range must be RAM with struct pages (not
 * outside RAM, a mistyped address, a device's registers). Where the
 * kernel keeps its map of memory after boot, the range must also lie in
 * it: struct pages cover whole sections, also past the end of RAM in the
 * last one.
 *
 * %DMA_HEAP_REGION_IO: buffers are described by address only and mapped
 * as I/O memory (an on-chip SRAM), so the range must not be System RAM:
 * the kernel maps that cacheable in its linear map, and a second,
 * write-combined mapping of it would alias with different attributes.
 *
 * Return: NULL, or why the range does not fit, for the type's log line,
 * with @bad set.
 */
const char *dma_heap_region_check(phys_addr_t base, phys_addr_t size,
				  enum dma_heap_region_need need,
				  phys_addr_t *bad)
{
	*bad = base;
	if (!size || base + size < base)
		return "is empty or wraps around";
	if (need == DMA_HEAP_REGION_PAGES)
		return dma_heap_region_not_pages(base, size, bad);
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return "is RAM the kernel maps, not I/O memory";
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_region_check, DMA_BUF);
