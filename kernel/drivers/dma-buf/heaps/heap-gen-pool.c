// SPDX-License-Identifier: GPL-2.0
/*
 * Contiguous buffers from a gen_pool, for every heap type whose memory is
 * a fixed range managed with lib/genalloc.c: the carveout heap over a
 * reserved-memory region, the SRAM heap over the pool of an on-chip SRAM,
 * or a vendor's own.
 *
 * Such a type only decides where its pool comes from. Taking a buffer
 * out of the pool, zeroing it through a mapping of just its pages,
 * describing it to the shared exporter and giving it back when the last
 * user is gone are the same for all of them, and are done here.
 *
 * Not for: setting pools up (the types do), exporting (heap-buffer.c).
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

/**
 * struct dma_heap_gen_pool_buffer - a buffer taken from a gen_pool
 * @base:	the shared exporter's part
 * @pool:	the pool the buffer goes back to
 * @addr:	the buffer's address in @pool
 */
struct dma_heap_gen_pool_buffer {
	struct dma_heap_buffer base;
	struct gen_pool *pool;
	unsigned long addr;
};

/*
 * Zero a new buffer. I/O memory is zeroed through the pool's own mapping
 * of it, and memory with struct pages through a temporary mapping of just
 * the buffer: a write-combined one for memory without a linear mapping,
 * which is then in no CPU cache; else a cacheable one, cleaned out of the
 * caches afterwards for an uncached buffer.
 */
static int dma_heap_gen_pool_zero(unsigned long addr, phys_addr_t paddr,
				  size_t len,
				  enum dma_heap_gen_pool_memory memory,
				  bool uncached)
{
	void *vaddr;

	if (memory == DMA_HEAP_GEN_POOL_IO) {
		memset_io((void __iomem *)addr, 0, len);
		/* The zeroes reach the SRAM before a device is told of it. */
		wmb();
		return 0;
	}
	vaddr = memremap(paddr, len, memory == DMA_HEAP_GEN_POOL_NO_MAP ?
			 MEMREMAP_WC : MEMREMAP_WB);
	if (!vaddr)
		return -ENOMEM;
	memset(vaddr, 0, len);
	memunmap(vaddr);
	if (uncached && memory == DMA_HEAP_GEN_POOL_MAPPED)
		return dma_heap_clean_pages(pfn_to_page(PHYS_PFN(paddr)),
					    len >> PAGE_SHIFT);
	return 0;
}

/* Its pages, or none if it is I/O memory: then its address says where. */
static struct page *dma_heap_gen_pool_page(phys_addr_t paddr,
					   enum dma_heap_gen_pool_memory memory)
{
	return memory == DMA_HEAP_GEN_POOL_IO ? NULL :
	       pfn_to_page(PHYS_PFN(paddr));
}

/* Describe the buffer: by its pages, or by its address if it has none. */
static void dma_heap_gen_pool_describe(struct dma_heap_gen_pool_buffer *buf,
				       phys_addr_t paddr,
				       enum dma_heap_gen_pool_memory memory)
{
	struct dma_heap_buffer *base = &buf->base;

	if (memory != DMA_HEAP_GEN_POOL_IO) {
		base->no_linear_map |= memory == DMA_HEAP_GEN_POOL_NO_MAP;
	} else {
		base->no_pages = true;
		base->phys = paddr;
		base->io_vaddr = (void __iomem *)buf->addr;
		base->no_linear_map = true;
	}
	base->uncached |= memory != DMA_HEAP_GEN_POOL_MAPPED;
}

static void dma_heap_gen_pool_release(struct dma_heap_buffer *buffer)
{
	struct dma_heap_gen_pool_buffer *buf =
		container_of(buffer, typeof(*buf), base);

	dma_heap_buffer_free_sgt(buffer);
	gen_pool_free(buf->pool, buf->addr, buffer->len);
	kfree(buf);
}

static const struct dma_heap_buffer_ops dma_heap_gen_pool_buffer_ops = {
	.release = dma_heap_gen_pool_release,
};

/**
 * dma_heap_gen_pool_allocate - a zeroed, contiguous buffer from a gen_pool
 * @heap:	the heap that serves the allocation
 * @inst:	that heap's instance: an uncached heap makes uncached buffers
 * @pool:	the pool; every chunk of it must carry its physical address
 *		(added with gen_pool_add_virt())
 * @len:	size in bytes, a multiple of PAGE_SIZE
 * @fd_flags:	flags for the dma-buf's file
 * @memory:	what the pool's memory is. Unless it is RAM in the linear
 *		map, the buffer is uncached whatever @inst says, it is
 *		zeroed through a write-combined mapping, and devices map it
 *		by physical address. I/O memory has no struct pages: the
 *		buffer is described by its address, and the pool's
 *		addresses serve as its kernel mapping
 *
 * The buffer is zeroed, except for a protected heap whose protector keeps
 * the memory behind its firewall for good (@stays_protected): the kernel
 * never writes that. It starts on a page boundary whatever the pool's
 * granule, so that it can be mapped to userspace page by page. It goes back to @pool
 * when its dma-buf is released; the caller keeps @pool alive until then.
 *
 * Return: the dma-buf, ERR_PTR(-ENOMEM) when @pool has no range of @len
 * bytes free (which lets the core try a fallback heap), or another
 * ERR_PTR(). A failure for another reason, -ENOMEM from kmalloc() among
 * them, calls dma_heap_forget_full(): it does not mark @heap full.
 */
struct dma_buf *dma_heap_gen_pool_allocate(struct dma_heap *heap,
					   const struct dma_heap_instance *inst,
					   struct gen_pool *pool,
					   unsigned long len, u32 fd_flags,
					   enum dma_heap_gen_pool_memory memory)
{
	struct genpool_data_align align = { .align = PAGE_SIZE };
	struct dma_heap_gen_pool_buffer *buf;
	struct dma_buf *dmabuf;
	phys_addr_t paddr;
	int ret = -ENOMEM;

	/*
	 * A full pool is the common way into the fallback path: say so
	 * before searching the whole bitmap for a range that cannot exist.
	 */
	if (gen_pool_avail(pool) < len)
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		goto err_not_full;

	buf->pool = pool;
	buf->addr = gen_pool_alloc_algo(pool, len, gen_pool_first_fit_align,
					&align);
	if (!buf->addr) {
		/* No free range that large: the one -ENOMEM that means full. */
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}
	paddr = gen_pool_virt_to_phys(pool, buf->addr);
	if (WARN_ON_ONCE(paddr == (phys_addr_t)-1 || !PAGE_ALIGNED(paddr))) {
		ret = -EINVAL;
		goto err_pool;
	}

	/* No-map memory behind a firewall for good is its owner's to clear. */
	if (memory != DMA_HEAP_GEN_POOL_NO_MAP || !inst->protector ||
	    !inst->protector->stays_protected) {
		ret = dma_heap_gen_pool_zero(buf->addr, paddr, len, memory,
					     inst->uncached);
		if (ret)
			goto err_pool;
	}

	ret = dma_heap_buffer_alloc_range_sgt(&buf->base,
					      dma_heap_gen_pool_page(paddr, memory),
					      len);
	if (ret)
		goto err_pool;
	dma_heap_buffer_init(&buf->base, heap, inst,
			     &dma_heap_gen_pool_buffer_ops, len);
	dma_heap_gen_pool_describe(buf, paddr, memory);
	dmabuf = dma_heap_buffer_export(&buf->base, fd_flags);
	if (!IS_ERR(dmabuf))
		return dmabuf;
	/* The exporter has released the buffer, and its range. */
	ret = PTR_ERR(dmabuf);
	goto err_not_full;

err_pool:
	gen_pool_free(pool, buf->addr, len);
	kfree(buf);
err_not_full:
	/*
	 * The pool had room, or has it back: for an exclusive heap, this
	 * failure must not stop the core from asking the heap again.
	 */
	dma_heap_forget_full(heap);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_gen_pool_allocate, DMA_BUF);
