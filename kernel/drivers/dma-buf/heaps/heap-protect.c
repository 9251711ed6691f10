// SPDX-License-Identifier: GPL-2.0
/*
 * The protectors every kernel has: what keeps a protected heap's buffers
 * out of the CPU's reach, selected by a heap's "protected-by" property.
 *
 * "firmware": memory that firmware put behind a firewall at boot, which
 * the kernel never maps (a no-map region). There is nothing to call: the
 * protection is the firewall's, and what this protector adds is the
 * exporter's guarantee that no CPU mapping of a buffer is ever made. The
 * memory stays behind the firewall between buffers, so unprotect has
 * nothing to give back, and the kernel never writes it: a non-secure
 * write would fault or be dropped by the firewall. Clearing what one
 * secure user leaves for the next is the secure side's job, as it is for
 * every firewall that firmware owns.
 *
 * "linear-map": any memory in the kernel's linear map, taken out of it for
 * the buffer's lifetime, as secretmem does for its pages: no kernel
 * address reaches the memory while a device owns it, and a stray kernel
 * access faults instead of reading or corrupting it. It needs a linear
 * map of pages (rodata=full on arm64); without one it is not registered,
 * and heaps that name it wait, with a log line. It is also the example
 * for a protector that does real work: a TEE, a hypervisor or FF-A
 * assigns the pages to another world in the same two calls.
 *
 * Not for: when to protect (heap-buffer.c), which heaps may be protected
 * (heap-registry.c).
 */

#include <linux/dma-heap.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/set_memory.h>
#include <asm/tlbflush.h>

static int firmware_protect(struct dma_heap_protector *prot,
			    struct sg_table *sgt)
{
	return 0;
}

static struct dma_heap_protector firmware_protector = {
	.name = "firmware",
	.owner = THIS_MODULE,
	.no_map_only = true,
	.stays_protected = true,
	.protect = firmware_protect,
	.unprotect = firmware_protect,
};

#ifdef CONFIG_ARCH_HAS_SET_DIRECT_MAP
/* Put back the linear map of the first @count pages of @sg; 0 or errno. */
static int linear_map_restore(struct scatterlist *sg, unsigned long count)
{
	struct page *page = sg_page(sg);
	unsigned long i;
	int ret = 0;

	for (i = 0; i < count; i++)
		ret = set_direct_map_default_noflush(nth_page(page, i)) ?: ret;
	return ret;
}

/*
 * Take the pages out of the linear map, then flush the TLB of their
 * range, so that no CPU still reaches them through a cached entry.
 */
static int linear_map_remove(struct scatterlist *sg)
{
	unsigned long count = sg->length >> PAGE_SHIFT, i;
	struct page *page = sg_page(sg);
	unsigned long start = (unsigned long)page_address(page);
	int ret;

	for (i = 0; i < count; i++) {
		ret = set_direct_map_invalid_noflush(nth_page(page, i));
		if (ret) {
			linear_map_restore(sg, i);
			return ret;
		}
	}
	flush_tlb_kernel_range(start, start + sg->length);
	return 0;
}

static int linear_map_unprotect(struct dma_heap_protector *prot,
				struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret = 0;

	/* A page not back in the map stays out of use, and so does the rest. */
	for_each_sgtable_sg(sgt, sg, i)
		ret = linear_map_restore(sg, sg->length >> PAGE_SHIFT) ?: ret;
	if (ret)
		return ret;
	/* Cleared before the kernel or another user may read it. */
	for_each_sgtable_sg(sgt, sg, i)
		dma_heap_clear_pages(sg_page(sg), sg->length >> PAGE_SHIFT);
	return 0;
}

static int linear_map_protect(struct dma_heap_protector *prot,
			      struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i, done;
	int ret;

	for_each_sgtable_sg(sgt, sg, i) {
		ret = linear_map_remove(sg);
		if (ret)
			goto undo;
	}
	return 0;

undo:
	/* Best effort: a page that stays out of the map is only unusable. */
	done = i;
	for_each_sgtable_sg(sgt, sg, i) {
		if (i >= done)
			break;
		linear_map_restore(sg, sg->length >> PAGE_SHIFT);
	}
	return ret;
}

static struct dma_heap_protector linear_map_protector = {
	.name = "linear-map",
	.owner = THIS_MODULE,
	.mapped_only = true,
	.protect = linear_map_protect,
	.unprotect = linear_map_unprotect,
};

static void __init register_linear_map_protector(void)
{
	if (!can_set_direct_map()) {
		pr_info("dma-heaps: linear-map protector unavailable: the linear map is not mapped by pages (rodata=full)\n");
		return;
	}
	dma_heap_protector_register(&linear_map_protector);
}
#else
static inline void register_linear_map_protector(void) { }
#endif

static int __init dma_heap_protectors_init(void)
{
	dma_heap_protector_register(&firmware_protector);
	register_linear_map_protector();
	return 0;
}

/* Before the device tree declares its heaps (fs_initcall). */
subsys_initcall(dma_heap_protectors_init);
