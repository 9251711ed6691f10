// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers about memory that every layer of the heaps may use: clearing
 * pages, and checking that a physical range is memory the kernel can hand
 * out as pages. They know nothing about heaps, pools or buffers.
 */

#include <linux/dma-heap.h>
#include <linux/highmem.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>

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
