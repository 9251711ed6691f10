// SPDX-License-Identifier: GPL-2.0
/*
 * The carveout heap: buffers from a static region set aside at boot for
 * one purpose (a camera, a display), so that they are there and fast to
 * get when that purpose needs them, however fragmented the rest of memory.
 *
 * The region is managed with a gen_pool of page granules; every buffer is
 * physically contiguous and comes from the shared gen_pool code
 * (heap-gen-pool.c). A "no-map" region has no kernel linear mapping: it
 * is only ever mapped for the pages a buffer uses, at allocation (to zero
 * it) and when a user maps the buffer, never whole at probe. Such memory
 * is mapped write-combined, since nothing keeps CPU caches of it coherent
 * with devices.
 *
 * Not for: reusable (CMA) regions, taking buffers out of the pool
 * (heap-gen-pool.c), exporting (heap-buffer.c).
 */

#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/module.h>
#include <linux/slab.h>

struct carveout_heap {
	struct gen_pool *pool;
	bool no_map;
};

static struct dma_buf *carveout_heap_allocate(struct dma_heap *heap,
					      struct dma_heap_instance *inst,
					      unsigned long len, u32 fd_flags)
{
	struct carveout_heap *carveout = inst->priv;

	return dma_heap_gen_pool_allocate(heap, inst, carveout->pool, len,
					  fd_flags, carveout->no_map ?
					  DMA_HEAP_GEN_POOL_NO_MAP :
					  DMA_HEAP_GEN_POOL_MAPPED);
}

static void *carveout_heap_create(const struct dma_heap_desc *desc)
{
	struct carveout_heap *carveout;
	const char *why;
	phys_addr_t bad;
	int ret;

	if (!desc->size) {
		dma_heap_desc_err(desc, "memory-region",
				  "a carveout needs a static region");
		return ERR_PTR(-EINVAL);
	}
	if (desc->cma) {
		dma_heap_desc_err(desc, "memory-region",
				  "region is reusable; a carveout needs a static one");
		return ERR_PTR(-EINVAL);
	}
	/* A mistyped address must not fault at the first allocation. */
	why = dma_heap_region_check(desc->base, desc->size,
				    DMA_HEAP_REGION_PAGES, &bad);
	if (why) {
		dma_heap_desc_err(desc, "memory-region", "%pa %s", &bad, why);
		return ERR_PTR(-EINVAL);
	}

	carveout = kzalloc(sizeof(*carveout), GFP_KERNEL);
	if (!carveout)
		return ERR_PTR(-ENOMEM);

	carveout->no_map = desc->no_map;
	carveout->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!carveout->pool) {
		ret = -ENOMEM;
		goto err_free;
	}
	/*
	 * The pool hands out cookies from PAGE_SIZE on, which
	 * gen_pool_virt_to_phys() turns into physical addresses: never 0
	 * (gen_pool_alloc()'s "none"), and an unsigned long even where
	 * physical addresses are wider (ARM LPAE).
	 */
	ret = gen_pool_add_virt(carveout->pool, PAGE_SIZE, desc->base,
				desc->size, NUMA_NO_NODE);
	if (ret)
		goto err_pool;
	return carveout;

err_pool:
	gen_pool_destroy(carveout->pool);
err_free:
	kfree(carveout);
	return ERR_PTR(ret);
}

static void carveout_heap_destroy(void *priv)
{
	struct carveout_heap *carveout = priv;

	gen_pool_destroy(carveout->pool);
	kfree(carveout);
}

static struct dma_heap_type carveout_heap_type = {
	.name = "carveout",
	.compatible = "linux,dma-heap-carveout",
	.owner = THIS_MODULE,
	.create = carveout_heap_create,
	.destroy = carveout_heap_destroy,
	.allocate = carveout_heap_allocate,
	.caching = DMA_HEAP_CACHED_OR_UNCACHED,
	.protectable = true,
	/* The region's gen_pool is the heap's alone. */
	.exclusive = true,
};

static int __init carveout_heap_init(void)
{
	return dma_heap_type_register(&carveout_heap_type);
}
module_init(carveout_heap_init);

static void __exit carveout_heap_exit(void)
{
	dma_heap_type_unregister(&carveout_heap_type);
}
module_exit(carveout_heap_exit);
MODULE_DESCRIPTION("DMA-BUF heaps: carveout heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
