// SPDX-License-Identifier: GPL-2.0
/*
 * The chunk heap: buffers made of fixed-size, physically contiguous
 * chunks, each aligned to its size, from a reusable (CMA) region.
 *
 * For devices that need large contiguous blocks but not one contiguous
 * buffer (a DMA engine with a short descriptor list, a codec's reference
 * frames), chunks are easier to find than one contiguous buffer of the
 * full size, and every buffer has the same, predictable layout.
 *
 * Chunks come from and go back to the heap's pool, which the registry
 * makes from chunk_heap_pool_ops: with the node's "pool-size", freed
 * chunks are kept, zeroed in the background, for the next buffer, since
 * cma_alloc() may have to migrate pages out of the region first, which
 * is the slow part.
 *
 * Not for: one contiguous buffer (cma_heap.c), exporting (heap-buffer.c).
 */

#include <linux/cma.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

struct chunk_heap {
	struct cma *cma;
	size_t chunk_size;
	size_t region_size;
};

struct chunk_heap_buffer {
	struct dma_heap_buffer base;
	struct dma_heap_instance *inst;
};

static unsigned long chunk_pages(const struct chunk_heap *chunk_heap)
{
	return chunk_heap->chunk_size >> PAGE_SHIFT;
}

static unsigned int chunk_order(const struct chunk_heap *chunk_heap)
{
	return ilog2(chunk_pages(chunk_heap));
}

/* A zeroed chunk from the region, aligned to its size. */
static struct page *chunk_heap_cma_alloc(void *priv, unsigned int order)
{
	struct chunk_heap *chunk_heap = priv;
	struct page *page;

	page = cma_alloc(chunk_heap->cma, 1UL << order, order, true);
	if (page)
		dma_heap_clear_pages(page, 1UL << order);
	return page;
}

static void chunk_heap_cma_free(void *priv, struct page *page,
				unsigned int order)
{
	struct chunk_heap *chunk_heap = priv;

	cma_release(chunk_heap->cma, page, 1UL << order);
}

static const struct dma_heap_pool_ops chunk_heap_pool_ops = {
	.alloc = chunk_heap_cma_alloc,
	.free = chunk_heap_cma_free,
};

static unsigned int chunk_heap_pool_orders(void *priv, unsigned int *orders)
{
	orders[0] = chunk_order(priv);
	return 1;
}

/* Give back the first @nents chunks of @sgt. */
static void chunk_heap_free_chunks(struct dma_heap_instance *inst,
				   struct sg_table *sgt, unsigned int nents)
{
	unsigned int order = chunk_order(inst->priv);
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		if (i >= nents)
			break;
		dma_heap_pool_free(inst->pool, sg_page(sg), order);
	}
}

static void chunk_heap_release(struct dma_heap_buffer *buffer)
{
	struct chunk_heap_buffer *buf = container_of(buffer, typeof(*buf), base);

	chunk_heap_free_chunks(buf->inst, &buffer->sgt, buffer->sgt.orig_nents);
	dma_heap_buffer_free_sgt(buffer);
	kfree(buf);
}

static const struct dma_heap_buffer_ops chunk_heap_buffer_ops = {
	.release = chunk_heap_release,
};

/*
 * Fill every entry of @sgt with a zeroed chunk, the last one covering
 * only what is left of @len; returns how many chunks it got.
 */
static unsigned int chunk_heap_fill(struct dma_heap_instance *inst,
				    struct sg_table *sgt, size_t len)
{
	struct chunk_heap *chunk_heap = inst->priv;
	unsigned int order = chunk_order(chunk_heap);
	struct scatterlist *sg;
	struct page *page;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		if (fatal_signal_pending(current))
			return i;
		page = dma_heap_pool_alloc(inst->pool, order);
		if (!page)
			return i;
		sg_set_page(sg, page, min(len, chunk_heap->chunk_size), 0);
		len -= sg->length;
	}
	return i;
}

static struct dma_buf *chunk_heap_allocate(struct dma_heap *heap,
					   struct dma_heap_instance *inst,
					   unsigned long len, u32 fd_flags)
{
	struct chunk_heap *chunk_heap = inst->priv;
	unsigned int nents;
	struct chunk_heap_buffer *buf;
	unsigned int got;

	/*
	 * Whole chunks are taken, but the buffer is @len bytes like on any
	 * other heap: the last chunk's tail is neither mapped nor shared.
	 */
	if (len > chunk_heap->region_size)
		return ERR_PTR(-ENOMEM);
	nents = DIV_ROUND_UP(len, chunk_heap->chunk_size);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->inst = inst;

	if (dma_heap_buffer_alloc_sgt(&buf->base, nents)) {
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}

	got = chunk_heap_fill(inst, &buf->base.sgt, len);
	if (got < nents) {
		chunk_heap_free_chunks(inst, &buf->base.sgt, got);
		dma_heap_buffer_free_sgt(&buf->base);
		kfree(buf);
		return ERR_PTR(fatal_signal_pending(current) ? -EINTR : -ENOMEM);
	}

	dma_heap_buffer_init(&buf->base, heap, inst, &chunk_heap_buffer_ops, len);
	/* On failure the exporter has released the buffer. */
	return dma_heap_buffer_export(&buf->base, fd_flags);
}

static void *chunk_heap_create(const struct dma_heap_desc *desc)
{
	struct chunk_heap *chunk_heap;

	if (!desc->cma) {
		dma_heap_desc_err(desc, "memory-region",
				  "a chunk heap needs a reusable shared-dma-pool region");
		return ERR_PTR(-EINVAL);
	}
	if (!desc->chunk_size) {
		dma_heap_desc_err(desc, "chunk-size", "missing");
		return ERR_PTR(-EINVAL);
	}
	if (!is_power_of_2(desc->chunk_size) || desc->chunk_size < PAGE_SIZE) {
		dma_heap_desc_err(desc, "chunk-size",
				  "%u is not a power of two of at least %lu",
				  desc->chunk_size, PAGE_SIZE);
		return ERR_PTR(-EINVAL);
	}
	if (desc->chunk_size > cma_get_size(desc->cma)) {
		dma_heap_desc_err(desc, "chunk-size",
				  "%u is larger than the region (%lu bytes)",
				  desc->chunk_size, cma_get_size(desc->cma));
		return ERR_PTR(-EINVAL);
	}
	/* Chunks are aligned to their size: at least one must fit. */
	if (ALIGN(cma_get_base(desc->cma), desc->chunk_size) +
	    desc->chunk_size > cma_get_base(desc->cma) + cma_get_size(desc->cma)) {
		dma_heap_desc_err(desc, "chunk-size",
				  "no %u-byte chunk aligned to its size fits in the region",
				  desc->chunk_size);
		return ERR_PTR(-EINVAL);
	}
	if (desc->pool_size > cma_get_size(desc->cma)) {
		dma_heap_desc_err(desc, "pool-size",
				  "%u bytes is more than the region (%lu bytes)",
				  desc->pool_size, cma_get_size(desc->cma));
		return ERR_PTR(-EINVAL);
	}

	chunk_heap = kzalloc(sizeof(*chunk_heap), GFP_KERNEL);
	if (!chunk_heap)
		return ERR_PTR(-ENOMEM);
	chunk_heap->cma = desc->cma;
	chunk_heap->chunk_size = desc->chunk_size;
	chunk_heap->region_size = cma_get_size(desc->cma);
	return chunk_heap;
}

static void chunk_heap_destroy(void *priv)
{
	kfree(priv);
}

static struct dma_heap_type chunk_heap_type = {
	.name = "chunk",
	.compatible = "linux,dma-heap-chunk",
	.owner = THIS_MODULE,
	.create = chunk_heap_create,
	.destroy = chunk_heap_destroy,
	.allocate = chunk_heap_allocate,
	.pool_ops = &chunk_heap_pool_ops,
	.pool_orders = chunk_heap_pool_orders,
	.caching = DMA_HEAP_CACHED_OR_UNCACHED,
	.protectable = true,
};

static int __init chunk_heap_init(void)
{
	return dma_heap_type_register(&chunk_heap_type);
}
module_init(chunk_heap_init);
MODULE_DESCRIPTION("DMA-BUF heaps: chunk heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
