// SPDX-License-Identifier: GPL-2.0
/*
 * The carveout heap: buffers from a static region set aside at boot for
 * one purpose (a camera, a display), so that they are there and fast to
 * get when that purpose needs them, however fragmented the rest of memory.
 *
 * The region is managed with a gen_pool of page granules; every buffer is
 * physically contiguous. A "no-map" region has no kernel linear mapping:
 * it is only ever mapped for the pages a buffer uses, at allocation (to
 * zero it) and when a user maps the buffer, never whole at probe. Such
 * memory is mapped write-combined, since nothing keeps CPU caches of it
 * coherent with devices.
 *
 * Not for: reusable (CMA) regions, exporting (heap-buffer.c).
 */

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

struct carveout_heap {
	struct gen_pool *pool;
	bool no_map;
};

struct carveout_heap_buffer {
	struct dma_heap_buffer base;
	struct carveout_heap *carveout;
	phys_addr_t paddr;
};

/* Zero a new buffer through a temporary mapping of just its pages. */
static int carveout_heap_zero(phys_addr_t paddr, size_t len, bool no_map)
{
	void *vaddr = memremap(paddr, len, no_map ? MEMREMAP_WC : MEMREMAP_WB);

	if (!vaddr)
		return -ENOMEM;
	memset(vaddr, 0, len);
	memunmap(vaddr);
	return 0;
}

static void carveout_heap_release(struct dma_heap_buffer *buffer)
{
	struct carveout_heap_buffer *buf =
		container_of(buffer, typeof(*buf), base);

	sg_free_table(&buffer->sgt);
	gen_pool_free(buf->carveout->pool, buf->paddr, buffer->len);
	kfree(buf);
}

static const struct dma_heap_buffer_ops carveout_heap_buffer_ops = {
	.release = carveout_heap_release,
};

static struct dma_buf *carveout_heap_allocate(struct dma_heap *heap,
					      unsigned long len, u32 fd_flags,
					      u64 heap_flags)
{
	struct carveout_heap *carveout = dma_heap_get_drvdata(heap);
	struct carveout_heap_buffer *buf;
	struct dma_buf *dmabuf;
	int ret = -ENOMEM;

	/*
	 * A full carveout is the common way into the fallback path: say so
	 * before searching the whole bitmap for a range that cannot exist.
	 */
	if (gen_pool_avail(carveout->pool) < len)
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);

	buf->paddr = gen_pool_alloc(carveout->pool, len);
	if (!buf->paddr)
		goto err_free;
	buf->carveout = carveout;

	ret = carveout_heap_zero(buf->paddr, len, carveout->no_map);
	if (ret)
		goto err_pool;

	ret = sg_alloc_table(&buf->base.sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_pool;
	sg_set_page(buf->base.sgt.sgl, pfn_to_page(PHYS_PFN(buf->paddr)), len, 0);

	dma_heap_buffer_init(&buf->base, heap, &carveout_heap_buffer_ops, len);
	buf->base.uncached = carveout->no_map;
	dmabuf = dma_heap_buffer_export(&buf->base, fd_flags);
	if (IS_ERR(dmabuf))
		carveout_heap_release(&buf->base);
	return dmabuf;

err_pool:
	gen_pool_free(carveout->pool, buf->paddr, len);
err_free:
	kfree(buf);
	return ERR_PTR(ret);
}

static void *carveout_heap_create(const struct dma_heap_desc *desc)
{
	struct carveout_heap *carveout;
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
	/* gen_pool_alloc() returns 0 for failure, so 0 cannot be a buffer. */
	if (!desc->base) {
		dma_heap_desc_err(desc, "memory-region",
				  "a region at physical address 0 is not supported");
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
	ret = gen_pool_add(carveout->pool, desc->base, desc->size,
			   NUMA_NO_NODE);
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
