// SPDX-License-Identifier: GPL-2.0
/*
 * The SRAM heap: buffers from an on-chip SRAM, for devices that must
 * reach their buffers with the latency and bandwidth only SRAM gives (a
 * display's line buffers, a DSP's working set, an always-on sensor hub).
 *
 * The SRAM is an "mmio-sram" node, managed by the generic SRAM driver
 * (drivers/misc/sram.c), which turns it, or each of its partitions marked
 * "pool", into a gen_pool. A heap node names that node or partition with
 * its "sram" property; this type finds the pool with of_gen_pool_get()
 * and takes every buffer from it through the shared gen_pool code, as one
 * physically contiguous, page-aligned range. Nothing keeps CPU caches of
 * SRAM coherent with devices, so buffers are mapped write-combined.
 *
 * Buffers are handed to importers and userspace as pages, so only SRAM
 * that Linux has struct pages for can back a heap; a heap over SRAM
 * outside system RAM is refused when it is created. The SRAM driver owns
 * the pool: its device must stay bound while the heap exists.
 *
 * It is also the example of a heap type in a loadable module: its heaps
 * appear when the module registers the type, and live buffers and open
 * heap files keep the module loaded.
 *
 * Not for: taking buffers out of the pool (heap-gen-pool.c), exporting
 * (heap-buffer.c), SRAM a driver uses for itself (the SRAM driver).
 */

#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>

static void sram_heap_check_chunk(struct gen_pool *pool,
				  struct gen_pool_chunk *chunk, void *data)
{
	phys_addr_t *missing = data;
	phys_addr_t size = chunk->end_addr - chunk->start_addr + 1;

	if (*missing != (phys_addr_t)-1)
		return;
	/* A chunk added without its physical address has no pages either. */
	if (chunk->phys_addr == (phys_addr_t)-1)
		*missing = 0;
	else
		dma_heap_region_check(chunk->phys_addr, size, missing);
}

/* Why @pool cannot back a heap, or NULL if it can. */
static const char *sram_heap_pool_unusable(struct gen_pool *pool,
					   phys_addr_t *where)
{
	*where = (phys_addr_t)-1;
	if (gen_pool_size(pool) < PAGE_SIZE)
		return "smaller than a page";
	gen_pool_for_each_chunk(pool, sram_heap_check_chunk, where);
	if (*where != (phys_addr_t)-1)
		return "has no struct pages (not RAM the kernel knows)";
	return NULL;
}

static void *sram_heap_create(const struct dma_heap_desc *desc)
{
	struct device_node *np = to_of_node(desc->node);
	struct device_node *sram;
	struct gen_pool *pool;
	const char *why;
	phys_addr_t at;

	if (!np) {
		dma_heap_desc_err(desc, "sram",
				  "an SRAM heap is declared by a device tree node");
		return ERR_PTR(-EINVAL);
	}
	if (desc->size) {
		dma_heap_desc_err(desc, "memory-region",
				  "an SRAM heap takes its memory from \"sram\", not a region");
		return ERR_PTR(-EINVAL);
	}
	sram = of_parse_phandle(np, "sram", 0);
	if (!sram) {
		dma_heap_desc_err(desc, "sram",
				  "missing, or does not point at a node");
		return ERR_PTR(-EINVAL);
	}

	pool = of_gen_pool_get(np, "sram", 0);
	if (!pool) {
		dma_heap_desc_err(desc, "sram",
				  "%pOF has no SRAM pool (not an mmio-sram node or a partition with \"pool\", or its driver is not bound)",
				  sram);
		of_node_put(sram);
		return ERR_PTR(-ENODEV);
	}

	why = sram_heap_pool_unusable(pool, &at);
	if (why) {
		dma_heap_desc_err(desc, "sram", "%pOF %s at %pa", sram, why,
				  &at);
		of_node_put(sram);
		return ERR_PTR(-EINVAL);
	}
	of_node_put(sram);
	return pool;
}

static struct dma_buf *sram_heap_allocate(struct dma_heap *heap,
					  struct dma_heap_instance *inst,
					  unsigned long len, u32 fd_flags)
{
	return dma_heap_gen_pool_allocate(heap, inst, inst->priv, len,
					  fd_flags, true);
}

static u64 sram_heap_size(void *priv)
{
	return gen_pool_size(priv);
}

/* The pool belongs to the SRAM driver: there is nothing to destroy. */
static struct dma_heap_type sram_heap_type = {
	.name = "sram",
	.compatible = "linux,dma-heap-sram",
	.owner = THIS_MODULE,
	.create = sram_heap_create,
	.allocate = sram_heap_allocate,
	.size = sram_heap_size,
	/* SRAM has no struct pages and no cacheable mapping. */
	.caching = DMA_HEAP_UNCACHED_ONLY,
};

static int __init sram_heap_init(void)
{
	return dma_heap_type_register(&sram_heap_type);
}
module_init(sram_heap_init);

static void __exit sram_heap_exit(void)
{
	dma_heap_type_unregister(&sram_heap_type);
}
module_exit(sram_heap_exit);
MODULE_DESCRIPTION("DMA-BUF heaps: SRAM heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
