// SPDX-License-Identifier: GPL-2.0
/*
 * The CMA heap: each buffer is one physically contiguous block from a
 * CMA area, either a reusable region of its own or the default area.
 *
 * Contiguous memory is what devices without an IOMMU need. CMA lends the
 * region to movable pages while no buffer uses it, so it costs nothing
 * when idle; the price is that an allocation may have to migrate pages
 * out first.
 *
 * Not for: fixed-size chunks (chunk_heap.c), static regions
 * (carveout_heap.c), exporting (heap-buffer.c).
 *
 * Copyright (C) 2012, 2019, 2020 Linaro Ltd.
 * Author: <benjamin.gaignard@linaro.org> for ST-Ericsson.
 *
 * Also utilizing parts of Andrew Davis' SRAM heap:
 * Copyright (C) 2019 Texas Instruments Incorporated - http://www.ti.com/
 *	Andrew F. Davis <afd@ti.com>
 */

#include <linux/cma.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

struct cma_heap_buffer {
	struct dma_heap_buffer base;
	struct cma *cma;
	struct page *pages;
	unsigned long count;
};

static void cma_heap_release(struct dma_heap_buffer *buffer)
{
	struct cma_heap_buffer *buf = container_of(buffer, typeof(*buf), base);

	dma_heap_buffer_free_sgt(buffer);
	cma_release(buf->cma, buf->pages, buf->count);
	kfree(buf);
}

static const struct dma_heap_buffer_ops cma_heap_buffer_ops = {
	.release = cma_heap_release,
};

static struct dma_buf *cma_heap_allocate(struct dma_heap *heap,
					 struct dma_heap_instance *inst,
					 unsigned long len, u32 fd_flags)
{
	struct cma *cma = inst->priv;
	unsigned long count = len >> PAGE_SHIFT;
	unsigned int align = min_t(unsigned int, get_order(len),
				   CONFIG_CMA_ALIGNMENT);
	struct cma_heap_buffer *buf;
	int ret = -ENOMEM;

	if (len > cma_get_size(cma))
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);

	buf->pages = cma_alloc(cma, count, align, true);
	if (!buf->pages)
		goto err_free;
	buf->cma = cma;
	buf->count = count;
	dma_heap_clear_pages(buf->pages, count);
	if (inst->uncached && dma_heap_clean_pages(buf->pages, count))
		goto err_release;

	ret = dma_heap_buffer_alloc_range_sgt(&buf->base, buf->pages, len);
	if (ret)
		goto err_release;

	dma_heap_buffer_init(&buf->base, heap, inst, &cma_heap_buffer_ops, len);
	/* On failure the exporter has released the buffer. */
	return dma_heap_buffer_export(&buf->base, fd_flags);

err_release:
	cma_release(cma, buf->pages, count);
err_free:
	kfree(buf);
	return ERR_PTR(ret);
}

static void *cma_heap_create(const struct dma_heap_desc *desc)
{
	if (desc->size && !desc->cma) {
		dma_heap_desc_err(desc, "memory-region",
				  "not a reusable shared-dma-pool region");
		return ERR_PTR(-EINVAL);
	}
	if (desc->cma)
		return desc->cma;

	if (!dev_get_cma_area(NULL)) {
		dma_heap_desc_err(desc, "memory-region",
				  "none given and there is no default CMA area");
		return ERR_PTR(-ENODEV);
	}
	return dev_get_cma_area(NULL);
}

static struct dma_heap_type cma_heap_type = {
	.name = "cma",
	.compatible = "linux,dma-heap-cma",
	.owner = THIS_MODULE,
	.create = cma_heap_create,
	.allocate = cma_heap_allocate,
	.caching = DMA_HEAP_CACHED_OR_UNCACHED,
	.protectable = true,
};

static int __init cma_heap_init(void)
{
	return dma_heap_type_register(&cma_heap_type);
}
module_init(cma_heap_init);
MODULE_DESCRIPTION("DMA-BUF heaps: CMA heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
