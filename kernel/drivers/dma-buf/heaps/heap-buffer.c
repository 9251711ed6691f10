// SPDX-License-Identifier: GPL-2.0
/*
 * The dma-buf exporter shared by every heap type.
 *
 * A heap type's job ends at "here is some zeroed memory, described by an
 * sg_table". What a dma-buf must then do for its importers and for the
 * CPU (attach, map for a device, sync around CPU access, mmap to
 * userspace, vmap for the kernel, release) is the same for all of them and
 * lives here, once. Heap types never implement struct dma_buf_ops.
 *
 * It also keeps a heap's live-buffer counts, where the heap's instance
 * has them (&dma_heap_instance.stats), and holds the heap as a user for
 * as long as a buffer lives.
 *
 * Not for: allocating or zeroing memory, pooling, fallback.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iommu-dma.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "heap-internal.h"

/**
 * struct dma_heap_attachment - one importer of a buffer
 * @dev:	the importing device
 * @sgt:	the importer's own copy of the buffer's table, which
 *		dma_map_sgtable() fills with its DMA addresses
 * @list:	entry in dma_heap_buffer.attachments
 * @mapped:	true while @sgt is mapped for @dev
 */
struct dma_heap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head list;
	bool mapped;
};

static int dma_heap_copy_sgt(struct sg_table *to, const struct sg_table *from)
{
	struct scatterlist *dst, *src;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(to, from->orig_nents, GFP_KERNEL);
	if (ret)
		return ret;

	dst = to->sgl;
	for_each_sgtable_sg(from, src, i) {
		sg_set_page(dst, sg_page(src), src->length, src->offset);
		dst = sg_next(dst);
	}
	return 0;
}

static int dma_heap_buffer_attach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attachment)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct dma_heap_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	ret = dma_heap_copy_sgt(&a->sgt, &buffer->sgt);
	if (ret) {
		kfree(a);
		return ret;
	}

	a->dev = attachment->dev;
	attachment->priv = a;

	mutex_lock(&buffer->lock);
	list_add(&a->list, &buffer->attachments);
	mutex_unlock(&buffer->lock);

	return 0;
}

static void dma_heap_buffer_detach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attachment)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct dma_heap_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	list_del(&a->list);
	mutex_unlock(&buffer->lock);

	sg_free_table(&a->sgt);
	kfree(a);
}

/* The DMA API call @op, for an importer's mapping @sgt. */
VISIBLE_IF_KUNIT int dma_heap_dma_do(enum dma_heap_dma_op op,
				     struct device *dev, struct sg_table *sgt,
				     enum dma_data_direction direction,
				     unsigned long attrs)
{
	switch (op) {
	case DMA_HEAP_DMA_MAP:
		return dma_map_sgtable(dev, sgt, direction, attrs);
	case DMA_HEAP_DMA_UNMAP:
		dma_unmap_sgtable(dev, sgt, direction, attrs);
		break;
	case DMA_HEAP_DMA_SYNC_FOR_CPU:
		dma_sync_sgtable_for_cpu(dev, sgt, direction);
		break;
	case DMA_HEAP_DMA_SYNC_FOR_DEVICE:
		dma_sync_sgtable_for_device(dev, sgt, direction);
		break;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_dma_do);

/*
 * Every DMA API call the exporter makes for an importer's mapping goes
 * through here, so that the KUnit suites see what it asked for each
 * buffer (a static stub: a test replaces this for its own thread only,
 * and calls dma_heap_dma_do() itself).
 */
VISIBLE_IF_KUNIT int dma_heap_dma_call(enum dma_heap_dma_op op,
				       struct device *dev,
				       struct sg_table *sgt,
				       enum dma_data_direction direction,
				       unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_heap_dma_call, op, dev, sgt, direction,
				   attrs);
	return dma_heap_dma_do(op, dev, sgt, direction, attrs);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_dma_call);

/*
 * An uncached buffer is never in the CPU caches (every CPU mapping of it
 * is write-combined, and it was cleaned once when zeroed), so there is
 * nothing to clean or invalidate; memory without a linear mapping has
 * none to do it through either.
 */
static unsigned long dma_heap_buffer_dma_attrs(struct dma_heap_buffer *buffer)
{
	return buffer->uncached ? DMA_ATTR_SKIP_CPU_SYNC : 0;
}

/*
 * Memory without a linear mapping is mapped for a device in place, by its
 * address. dma_map_sgtable() could bounce it through swiotlb (a device
 * with a small DMA mask, swiotlb=force, a confidential VM), and a bounce
 * copies through the linear mapping this memory does not have: the kernel
 * would fault. Behind an IOMMU, dma_map_resource() maps it without a
 * bounce; without one, the device uses the address it sees the memory at
 * (its dma-ranges applied), if it can reach it in place. Otherwise the
 * mapping fails. I/O memory (@is_ram false: no struct pages, such as an
 * SRAM below the start of RAM) is not held to the checks that only RAM
 * must pass.
 */
static dma_addr_t dma_heap_map_in_place(struct device *dev, phys_addr_t phys,
					size_t len,
					enum dma_data_direction direction,
					bool is_ram)
{
	dma_addr_t addr;

	if (device_iommu_mapped(dev))
		return dma_map_resource(dev, phys, len, direction,
					DMA_ATTR_SKIP_CPU_SYNC);
	if (force_dma_unencrypted(dev))
		return DMA_MAPPING_ERROR;
	addr = phys_to_dma(dev, phys);
	return dma_capable(dev, addr, len, is_ram) ? addr : DMA_MAPPING_ERROR;
}

/* Undo what the first @count entries' dma_heap_map_by_address() did. */
static void dma_heap_unmap_in_place(struct device *dev,
				    const struct dma_heap_buffer *buffer,
				    struct sg_table *sgt, unsigned int count,
				    enum dma_data_direction direction)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!device_iommu_mapped(dev))
		return;
	for_each_sgtable_sg(sgt, sg, i) {
		if (i >= count)
			break;
		dma_unmap_resource(dev, sg_dma_address(sg), sg_dma_len(sg),
				   direction, DMA_ATTR_SKIP_CPU_SYNC);
	}
}

/*
 * Where the entry @sg of a buffer's table, or of a copy of it, starts:
 * @offset bytes into the buffer. Memory without struct pages has no page
 * in its one entry, only the buffer's address.
 */
static phys_addr_t dma_heap_entry_phys(const struct dma_heap_buffer *buffer,
				       struct scatterlist *sg, size_t offset)
{
	return buffer->no_pages ? buffer->phys + offset : sg_phys(sg);
}

static int dma_heap_map_by_address(struct device *dev,
				   const struct dma_heap_buffer *buffer,
				   struct sg_table *sgt,
				   enum dma_data_direction direction)
{
	struct scatterlist *sg;
	size_t offset = 0;
	dma_addr_t addr;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		phys_addr_t phys = dma_heap_entry_phys(buffer, sg, offset);

		addr = dma_heap_map_in_place(dev, phys, sg->length, direction,
					     !buffer->no_pages);
		offset += sg->length;
		if (addr == DMA_MAPPING_ERROR) {
			dma_heap_unmap_in_place(dev, buffer, sgt, i, direction);
			return -EIO;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
	}
	sgt->nents = sgt->orig_nents;
	return 0;
}

/*
 * Whether a device mapping is of the buffer's own pages. Mapped directly
 * (no IOMMU translating, as in an identity domain too), an entry in place
 * gets its own address as the device sees it; any other address is a
 * swiotlb bounce buffer (a device with a small DMA mask, swiotlb=force, a
 * confidential VM). An IOMMU's addresses, or those of a bus's own DMA
 * ops, say nothing of that.
 */
static bool dma_heap_mapped_in_place(struct device *dev, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	if (use_dma_iommu(dev) || get_dma_ops(dev))
		return true;
	for_each_sgtable_dma_sg(sgt, sg, i)
		if (dma_to_phys(dev, sg_dma_address(sg)) != sg_phys(sg))
			return false;
	return true;
}

/*
 * The DMA API's mapping of a buffer with a linear mapping. An uncached
 * buffer must not be bounced: the CPU writes it around the caches, and a
 * bounce copies through the cached linear mapping, at map and unmap time
 * only, which the buffer's mappings skip (DMA_ATTR_SKIP_CPU_SYNC), so the
 * device would read stale data and its writes would be lost. Such a
 * mapping is undone and refused; without swiotlb, the device could not
 * reach the memory at all.
 */
static int dma_heap_map_linear(struct device *dev,
			       struct dma_heap_buffer *buffer,
			       struct sg_table *sgt,
			       enum dma_data_direction direction)
{
	unsigned long attrs = dma_heap_buffer_dma_attrs(buffer);
	int ret;

	ret = dma_heap_dma_call(DMA_HEAP_DMA_MAP, dev, sgt, direction, attrs);
	if (ret || !buffer->uncached || dma_heap_mapped_in_place(dev, sgt))
		return ret;

	dma_heap_dma_call(DMA_HEAP_DMA_UNMAP, dev, sgt, direction, attrs);
	dev_warn_once(dev, "dma-heap: an uncached buffer of %s cannot be bounced through swiotlb\n",
		      dma_heap_get_name(buffer->heap));
	return -EIO;
}

static struct sg_table *
dma_heap_buffer_map(struct dma_buf_attachment *attachment,
		    enum dma_data_direction direction)
{
	struct dma_heap_buffer *buffer = attachment->dmabuf->priv;
	struct dma_heap_attachment *a = attachment->priv;
	int ret;

	if (buffer->no_linear_map)
		ret = dma_heap_map_by_address(attachment->dev, buffer, &a->sgt,
					      direction);
	else
		ret = dma_heap_map_linear(attachment->dev, buffer, &a->sgt,
					  direction);
	if (ret)
		return ERR_PTR(ret);

	/* Under the lock that dma_heap_buffer_sync() walks mappings with. */
	mutex_lock(&buffer->lock);
	a->mapped = true;
	mutex_unlock(&buffer->lock);
	return &a->sgt;
}

static void dma_heap_buffer_unmap(struct dma_buf_attachment *attachment,
				  struct sg_table *sgt,
				  enum dma_data_direction direction)
{
	struct dma_heap_buffer *buffer = attachment->dmabuf->priv;
	struct dma_heap_attachment *a = attachment->priv;

	/* No sync may use the mapping once it is being torn down. */
	mutex_lock(&buffer->lock);
	a->mapped = false;
	mutex_unlock(&buffer->lock);
	if (buffer->no_linear_map)
		dma_heap_unmap_in_place(attachment->dev, buffer, sgt,
					sgt->orig_nents, direction);
	else
		dma_heap_dma_call(DMA_HEAP_DMA_UNMAP, attachment->dev, sgt,
				  direction, dma_heap_buffer_dma_attrs(buffer));
}

/*
 * Hand the buffer to the CPU (@to_cpu) or back to the devices: the
 * kernel mapping, if any, and every importer's mapping are synced.
 */
static int dma_heap_buffer_sync(struct dma_buf *dmabuf,
				enum dma_data_direction direction, bool to_cpu)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct dma_heap_attachment *a;

	/* Nothing is cached; and there is no linear mapping to sync. */
	if (buffer->uncached || buffer->no_linear_map)
		return 0;

	mutex_lock(&buffer->lock);
	if (buffer->vmap_cnt && to_cpu)
		invalidate_kernel_vmap_range(buffer->vaddr, buffer->len);
	else if (buffer->vmap_cnt)
		flush_kernel_vmap_range(buffer->vaddr, buffer->len);

	list_for_each_entry(a, &buffer->attachments, list) {
		if (!a->mapped)
			continue;
		dma_heap_dma_call(to_cpu ? DMA_HEAP_DMA_SYNC_FOR_CPU :
				  DMA_HEAP_DMA_SYNC_FOR_DEVICE, a->dev, &a->sgt,
				  direction, 0);
	}
	mutex_unlock(&buffer->lock);

	return 0;
}

static int dma_heap_buffer_begin_cpu(struct dma_buf *dmabuf,
				     enum dma_data_direction direction)
{
	return dma_heap_buffer_sync(dmabuf, direction, true);
}

static int dma_heap_buffer_end_cpu(struct dma_buf *dmabuf,
				   enum dma_data_direction direction)
{
	return dma_heap_buffer_sync(dmabuf, direction, false);
}

/*
 * Map the buffer's memory straight into the VMA, pages or I/O memory
 * alike. remap_pfn_range() marks the VMA VM_PFNMAP | VM_DONTEXPAND, so
 * mremap() cannot grow it past what is mapped here and no fault handler
 * ever has to pick a page: a mapping can only ever show this buffer's own
 * memory.
 */
static int dma_heap_buffer_mmap(struct dma_buf *dmabuf,
				struct vm_area_struct *vma)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	unsigned long skip, addr, pfn, len;
	struct scatterlist *sg;
	size_t offset = 0;
	unsigned int i;
	int ret;

	/* Memory the CPU must not reach is never mapped for it. */
	if (buffer->protector)
		return -EPERM;
	skip = vma->vm_pgoff << PAGE_SHIFT;
	addr = vma->vm_start;
	if (vma->vm_pgoff > (buffer->len >> PAGE_SHIFT) ||
	    vma_pages(vma) > (buffer->len >> PAGE_SHIFT) - vma->vm_pgoff)
		return -EINVAL;

	if (buffer->uncached)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	for_each_sgtable_sg(&buffer->sgt, sg, i) {
		len = sg->length;
		pfn = PHYS_PFN(dma_heap_entry_phys(buffer, sg, offset));
		offset += len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		pfn += skip >> PAGE_SHIFT;
		len = min(len - skip, vma->vm_end - addr);
		skip = 0;

		/* I/O memory is never encrypted, in a confidential guest too. */
		if (buffer->no_pages)
			ret = io_remap_pfn_range(vma, addr, pfn, len,
						 vma->vm_page_prot);
		else
			ret = remap_pfn_range(vma, addr, pfn, len,
					      vma->vm_page_prot);
		if (ret)
			return ret;
		addr += len;
		if (addr >= vma->vm_end)
			break;
	}
	return 0;
}

static void *dma_heap_buffer_vmap_pages(struct dma_heap_buffer *buffer)
{
	unsigned int npages = buffer->len >> PAGE_SHIFT;
	struct sg_page_iter iter;
	struct page **pages;
	unsigned int n = 0;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	for_each_sgtable_page(&buffer->sgt, &iter, 0) {
		if (WARN_ON_ONCE(n >= npages))
			break;
		pages[n++] = sg_page_iter_page(&iter);
	}
	/* A table shorter than the buffer: a mapping of part would overrun. */
	if (WARN_ON_ONCE(n != npages)) {
		kvfree(pages);
		return ERR_PTR(-EINVAL);
	}

	vaddr = vmap(pages, n, VM_MAP, buffer->uncached ?
		     pgprot_writecombine(PAGE_KERNEL) : PAGE_KERNEL);
	kvfree(pages);

	return vaddr ?: ERR_PTR(-ENOMEM);
}

static int dma_heap_buffer_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	void *vaddr;
	int ret = 0;

	/* I/O memory: the type's own mapping of it, for as long as it lives. */
	if (buffer->no_pages) {
		if (!buffer->io_vaddr)
			return -EINVAL;
		mutex_lock(&buffer->lock);
		buffer->vmap_cnt++;
		mutex_unlock(&buffer->lock);
		iosys_map_set_vaddr_iomem(map, buffer->io_vaddr);
		return 0;
	}

	mutex_lock(&buffer->lock);
	if (!buffer->vmap_cnt) {
		vaddr = dma_heap_buffer_vmap_pages(buffer);
		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto out;
		}
		buffer->vaddr = vaddr;
	}
	buffer->vmap_cnt++;
	iosys_map_set_vaddr(map, buffer->vaddr);
out:
	mutex_unlock(&buffer->lock);
	return ret;
}

static void dma_heap_buffer_vunmap(struct dma_buf *dmabuf,
				   struct iosys_map *map)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;

	mutex_lock(&buffer->lock);
	if (!--buffer->vmap_cnt && !buffer->no_pages) {
		vunmap(buffer->vaddr);
		buffer->vaddr = NULL;
	}
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

/*
 * A protected heap's buffer is protected after its memory was zeroed and
 * before anyone can reach it, and given back after its last user, before
 * its type frees the memory.
 */
static int dma_heap_buffer_protect(struct dma_heap_buffer *buffer)
{
	struct dma_heap_protector *prot = buffer->protector;
	int ret;

	if (!prot)
		return 0;
	/* Protectors work on pages; I/O memory has none to hand them. */
	if (WARN_ON_ONCE(buffer->no_pages))
		return -EINVAL;
	/* Its module stays while the memory is protected: it gives it back. */
	if (!try_module_get(prot->owner))
		return -ENODEV;
	ret = prot->protect(prot, &buffer->sgt);
	if (ret)
		module_put(prot->owner);
	buffer->protected = !ret;
	return ret;
}

/* 0 once the memory is back in the normal world, cleared; else an errno. */
static int dma_heap_buffer_unprotect(struct dma_heap_buffer *buffer)
{
	int ret;

	if (!buffer->protected)
		return 0;
	ret = buffer->protector->unprotect(buffer->protector, &buffer->sgt);
	if (ret) {
		pr_err("dma-heaps: %s: %s could not give back %zu bytes of protected memory (%d); they are leaked\n",
		       dma_heap_get_name(buffer->heap), buffer->protector->name,
		       buffer->len, ret);
		return ret;
	}
	buffer->protected = false;
	module_put(buffer->protector->owner);
	return 0;
}

/* Count a buffer in (@sign 1) or out (-1) of @stats, on this CPU. */
static void dma_heap_count_live(struct dma_heap_buffer_stats *stats,
				size_t len, int sign)
{
	this_cpu_add(stats->live->bytes, sign * (s64)len);
	this_cpu_add(stats->live->buffers, sign);
}

static void dma_heap_buffer_release(struct dma_buf *dmabuf)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	/* The type may free @buffer in its release: keep what is needed. */
	struct dma_heap_buffer_stats *stats = buffer->stats;
	struct dma_heap *heap = buffer->heap;
	size_t len = buffer->len;

	/* Importers are gone by now; a leftover kernel mapping is a bug. */
	if (WARN_ON(buffer->vmap_cnt) && !buffer->no_pages)
		vunmap(buffer->vaddr);

	/*
	 * The charge ends with the buffer, even if its memory cannot come
	 * back: the cgroup could never free it, and would be short of it for
	 * good (an export that fails leaks it uncharged too).
	 */
	dma_heap_uncharge(buffer->objcg, buffer->charged);
	/*
	 * Memory that stays protected is never handed out again: the buffer
	 * keeps it, and the heap, for good. Nothing counts it as released.
	 */
	if (dma_heap_buffer_unprotect(buffer))
		return;
	buffer->ops->release(buffer);
	if (stats) {
		dma_heap_count_live(stats, len, -1);
		/* The memory is back: pairs with the registry's acquire. */
		if (stats->count_released)
			atomic64_inc_return_release(&stats->released);
	}
	/* The heap's counts and ops outlive the buffer until here. */
	dma_heap_put(heap);
}

static const struct dma_buf_ops dma_heap_buffer_ops = {
	.attach = dma_heap_buffer_attach,
	.detach = dma_heap_buffer_detach,
	.map_dma_buf = dma_heap_buffer_map,
	.unmap_dma_buf = dma_heap_buffer_unmap,
	.begin_cpu_access = dma_heap_buffer_begin_cpu,
	.end_cpu_access = dma_heap_buffer_end_cpu,
	.mmap = dma_heap_buffer_mmap,
	.vmap = dma_heap_buffer_vmap,
	.vunmap = dma_heap_buffer_vunmap,
	.release = dma_heap_buffer_release,
};

/*
 * A protected heap's buffers: no kernel mapping at all (the dma-buf core
 * answers vmap with -EINVAL, as for any exporter without one), mmap
 * refused with -EPERM, CPU-access syncs with nothing to do.
 */
static const struct dma_buf_ops dma_heap_protected_buffer_ops = {
	.attach = dma_heap_buffer_attach,
	.detach = dma_heap_buffer_detach,
	.map_dma_buf = dma_heap_buffer_map,
	.unmap_dma_buf = dma_heap_buffer_unmap,
	.mmap = dma_heap_buffer_mmap,
	.release = dma_heap_buffer_release,
};

/**
 * dma_heap_buffer_alloc_sgt - give a buffer its table of @nents entries
 * @buffer:	the buffer; its @sgt must be empty
 * @nents:	how many blocks the buffer's memory is made of
 *
 * A buffer of one block (any CMA, carveout or SRAM buffer, and a small
 * system-heap one) has its entry in @buffer->first_sg, with no allocation
 * and none to free: that is one kmalloc() and one kfree() fewer on the
 * path of every small buffer. Larger tables are sg_alloc_table()'s.
 *
 * Return: 0, or -ENOMEM (-EINVAL for no entries).
 */
int dma_heap_buffer_alloc_sgt(struct dma_heap_buffer *buffer,
			      unsigned int nents)
{
	struct sg_table *sgt = &buffer->sgt;

	if (nents != 1)
		return sg_alloc_table(sgt, nents, GFP_KERNEL);

	sg_init_table(&buffer->first_sg, 1);
	sgt->sgl = &buffer->first_sg;
	sgt->orig_nents = 1;
	sgt->nents = 1;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_alloc_sgt, DMA_BUF);

/*
 * An entry's length is 32-bit: the longest range one entry can say, and
 * the entries a longer one is cut into, a power of two that keeps each
 * entry's start as aligned as the range's.
 */
#define DMA_HEAP_ONE_ENTRY_MAX	(UINT_MAX & PAGE_MASK)
#define DMA_HEAP_ENTRY_LEN	SZ_2G

/**
 * dma_heap_buffer_alloc_range_sgt - give a buffer the table of one range
 * @buffer:	the buffer; its @sgt must be empty
 * @page:	the range's first page, or NULL for memory without struct
 *		pages (its entries then carry only lengths; the buffer's
 *		@phys says where the range starts)
 * @len:	the range's length in bytes, a multiple of PAGE_SIZE
 *
 * For a heap whose buffers are one contiguous range (CMA, carveout,
 * SRAM). A scatterlist entry's length is 32-bit, so a range of 4 GiB or
 * more (a large CMA area or carveout) is cut into entries of 2 GiB, the
 * last one shorter; one entry would say a few pages and leave the rest
 * unmapped for devices, userspace and the kernel. Any shorter range is
 * one entry, in the buffer itself (dma_heap_buffer_alloc_sgt()). Freed
 * by dma_heap_buffer_free_sgt().
 *
 * Return: 0, or -ENOMEM (-EINVAL for an empty range).
 */
int dma_heap_buffer_alloc_range_sgt(struct dma_heap_buffer *buffer,
				    struct page *page, size_t len)
{
	size_t offset = 0, step = DMA_HEAP_ENTRY_LEN;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	if (!len)
		return -EINVAL;
	if (len <= DMA_HEAP_ONE_ENTRY_MAX)
		step = len;
	ret = dma_heap_buffer_alloc_sgt(buffer, DIV_ROUND_UP(len, step));
	if (ret)
		return ret;

	for_each_sgtable_sg(&buffer->sgt, sg, i) {
		size_t part = min(len - offset, step);

		sg_set_page(sg, page ? nth_page(page, offset >> PAGE_SHIFT) :
			    NULL, part, 0);
		offset += part;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_alloc_range_sgt, DMA_BUF);

/**
 * dma_heap_buffer_free_sgt - free what dma_heap_buffer_alloc_sgt() gave
 * @buffer:	the buffer
 *
 * Leaves @buffer->sgt empty; does nothing to an empty one.
 */
void dma_heap_buffer_free_sgt(struct dma_heap_buffer *buffer)
{
	struct sg_table *sgt = &buffer->sgt;

	if (sgt->sgl == &buffer->first_sg)
		memset(sgt, 0, sizeof(*sgt));
	else
		sg_free_table(sgt);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_free_sgt, DMA_BUF);

/**
 * dma_heap_buffer_init - prepare a buffer for dma_heap_buffer_export()
 * @buffer:	the buffer, usually embedded in a heap type's own struct
 * @heap:	the heap that serves the allocation
 * @inst:	that heap's instance, as the type's allocate op got it: an
 *		uncached heap makes an uncached buffer
 * @ops:	the heap type's buffer ops; @ops->release is required
 * @len:	size in bytes, a multiple of PAGE_SIZE
 *
 * Leaves @buffer->sgt and @buffer->priv to the caller. The memory of an
 * uncached buffer must have been cleaned out of the CPU caches after it
 * was zeroed (dma_heap_clean_pages()), unless it has no linear mapping.
 */
void dma_heap_buffer_init(struct dma_heap_buffer *buffer,
			  struct dma_heap *heap,
			  const struct dma_heap_instance *inst,
			  const struct dma_heap_buffer_ops *ops, size_t len)
{
	buffer->heap = heap;
	buffer->ops = ops;
	buffer->len = len;
	mutex_init(&buffer->lock);
	INIT_LIST_HEAD(&buffer->attachments);
	buffer->vmap_cnt = 0;
	buffer->vaddr = NULL;
	buffer->uncached = inst->uncached;
	buffer->no_linear_map = false;
	buffer->no_pages = false;
	buffer->phys = 0;
	buffer->io_vaddr = NULL;
	buffer->protector = inst->protector;
	buffer->protected = false;
	buffer->stats = inst->stats;
	buffer->objcg = NULL;
	buffer->charged = 0;
	/*
	 * The CPU neither caches nor maps protected memory: devices map it
	 * by address, never bounced through swiotlb, which would copy it.
	 */
	if (buffer->protector) {
		buffer->uncached = true;
		buffer->no_linear_map = true;
	}
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_init, DMA_BUF);

/**
 * dma_heap_buffer_export - wrap a heap buffer in a dma-buf
 * @buffer:	a buffer set up by dma_heap_buffer_init() whose sgt
 *		describes zeroed memory of exactly @buffer->len bytes
 * @fd_flags:	flags for the dma-buf's file
 *
 * The buffer is the exporter's from here on: @buffer->ops->release runs
 * when the dma-buf is freed, or before this returns an error. A protected
 * heap's buffer is protected before the dma-buf exists; memory that its
 * protector could not give back after a failed export is never released
 * (it is leaked, and the heap is held for good).
 *
 * Return: the dma-buf, or an ERR_PTR(): -ENODEV when the module providing
 * the heap is being unloaded, the protector's error, or an error of
 * dma_buf_export().
 */
struct dma_buf *dma_heap_buffer_export(struct dma_heap_buffer *buffer,
				       u32 fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_heap *heap = buffer->heap;
	struct dma_buf *dmabuf;
	int ret;

	exp_info.exp_name = dma_heap_get_name(buffer->heap);
	exp_info.ops = buffer->protector ? &dma_heap_protected_buffer_ops :
					   &dma_heap_buffer_ops;
	exp_info.size = buffer->len;
	exp_info.flags = fd_flags;
	exp_info.priv = buffer;

	/* A user of the heap, and so of its type's module, while it lives. */
	if (!dma_heap_get(heap)) {
		buffer->ops->release(buffer);
		return ERR_PTR(-ENODEV);
	}
	ret = dma_heap_buffer_protect(buffer);
	if (ret) {
		dmabuf = ERR_PTR(ret);
		goto err_release;
	}
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf) && dma_heap_buffer_unprotect(buffer))
		return dmabuf;	/* leaked, and the heap with it */
	if (!IS_ERR(dmabuf)) {
		/* Counted out by dma_heap_buffer_release(), and only there. */
		if (buffer->stats)
			dma_heap_count_live(buffer->stats, buffer->len, 1);
		return dmabuf;
	}

err_release:
	/* @buffer is the type's from here: @heap is what is left to put. */
	buffer->ops->release(buffer);
	dma_heap_put(heap);
	return dmabuf;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_export, DMA_BUF);

#ifdef CONFIG_MEMCG
/*
 * The memcg byte counts are 32-bit in places (its per-CPU stock): a
 * buffer of 4 GiB or more is charged and uncharged a gigabyte at a time.
 */
#define DMA_HEAP_CHARGE_STEP	SZ_1G

static void dma_heap_uncharge_bytes(struct obj_cgroup *objcg, size_t len)
{
	size_t step;

	for (; len; len -= step) {
		step = min_t(size_t, len, DMA_HEAP_CHARGE_STEP);
		obj_cgroup_uncharge(objcg, step);
	}
}

/*
 * dma_heap.mem_accounting, for the registry: a buffer of an accountable
 * heap is charged as a whole to the memory cgroup of the task allocating
 * it, before its memory is gathered, and uncharged at its release,
 * whoever holds it then. One charge per buffer, not per page: its pages
 * may come from a pool, where they belong to no cgroup, and a 32 MiB
 * buffer costs one charge as a 4 KiB one does, on allocation and on
 * release. The charge may reclaim inside the cgroup but never calls the
 * OOM killer: at its limit the allocation fails, and no process dies.
 *
 * A request for more than the system's memory is refused before any
 * charge: no heap could gather it, and a cgroup without a limit would
 * take it a gigabyte at a time, some 4 billion charges (and as many
 * uncharges) for a length near 2^62, a task that could not be killed
 * for minutes.
 *
 * 0 with *@objcg the cgroup charged, or NULL when there is none to charge
 * (the root cgroup, a kernel thread); -ENOMEM at the cgroup's limit, or
 * for more bytes than the system has memory.
 */
int dma_heap_charge(size_t len, struct obj_cgroup **objcg)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	size_t done, step;
	struct obj_cgroup *cg;

	*objcg = NULL;
	if (len >> PAGE_SHIFT > totalram_pages())
		return -ENOMEM;
	if (!memcg_kmem_online())
		return 0;
	cg = get_obj_cgroup_from_current();
	if (!cg)
		return 0;
	for (done = 0; done < len; done += step) {
		step = min_t(size_t, len - done, DMA_HEAP_CHARGE_STEP);
		if (obj_cgroup_charge(cg, gfp, step)) {
			dma_heap_uncharge_bytes(cg, done);
			obj_cgroup_put(cg);
			return -ENOMEM;
		}
	}
	*objcg = cg;
	return 0;
}

void dma_heap_uncharge(struct obj_cgroup *objcg, size_t len)
{
	if (!objcg)
		return;
	dma_heap_uncharge_bytes(objcg, len);
	obj_cgroup_put(objcg);
}
#else
int dma_heap_charge(size_t len, struct obj_cgroup **objcg)
{
	*objcg = NULL;
	return 0;
}

void dma_heap_uncharge(struct obj_cgroup *objcg, size_t len) { }
#endif

/*
 * Have a buffer just exported from this file's dma_heap_buffer_export()
 * uncharge @objcg at its release: a charge of dma_heap_charge() of
 * @charged bytes, made for it. For the registry, which charges.
 */
void dma_heap_buffer_take_charge(struct dma_buf *dmabuf,
				 struct obj_cgroup *objcg, size_t charged)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;

	if (WARN_ON_ONCE((dmabuf->ops != &dma_heap_buffer_ops &&
			  dmabuf->ops != &dma_heap_protected_buffer_ops) ||
			 buffer->objcg)) {
		dma_heap_uncharge(objcg, charged);
		return;
	}
	buffer->objcg = objcg;
	buffer->charged = charged;
}

/*
 * Set up @stats for a heap. @count_released: the heap's allocations look
 * at @stats->released; other heaps do not pay for it at every free.
 */
int dma_heap_buffer_stats_init(struct dma_heap_buffer_stats *stats,
			       bool count_released)
{
	stats->live = alloc_percpu(struct dma_heap_buffer_counts);
	if (!stats->live)
		return -ENOMEM;
	atomic64_set(&stats->released, 0);
	stats->count_released = count_released;
	return 0;
}

void dma_heap_buffer_stats_exit(struct dma_heap_buffer_stats *stats)
{
	free_percpu(stats->live);
	stats->live = NULL;
}

/*
 * The live bytes and buffers of @stats, summed over every CPU. A buffer
 * freed on one CPU while the sum passes another may be counted out and
 * not in: a sum below 0 is 0.
 */
void dma_heap_buffer_stats_read(struct dma_heap_buffer_stats *stats,
				struct dma_heap_buffer_counts *sum)
{
	struct dma_heap_buffer_counts *c;
	int cpu;

	sum->bytes = 0;
	sum->buffers = 0;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(stats->live, cpu);
		sum->bytes += READ_ONCE(c->bytes);
		sum->buffers += READ_ONCE(c->buffers);
	}
	sum->bytes = max(sum->bytes, 0LL);
	sum->buffers = max(sum->buffers, 0LL);
}

/**
 * dma_heap_bufferfd_alloc - allocate a dma-buf and install a descriptor
 * @heap:	heap to allocate from
 * @len:	size in bytes; rounded up to whole pages
 * @fd_flags:	flags for the dma-buf's file and descriptor
 * @heap_flags:	heap flags; none are defined, must be 0
 *
 * For drivers that hand the buffer to the calling process through an
 * ioctl of their own. The descriptor is live in the caller's table on
 * return; a driver that may still fail afterwards should use
 * dma_heap_buffer_alloc() and install the descriptor itself, as the
 * heap's own ALLOC ioctl does.
 *
 * Return: the new descriptor, or a negative errno as for
 * dma_heap_buffer_alloc(), or -EMFILE when the table is full.
 */
int dma_heap_bufferfd_alloc(struct dma_heap *heap, size_t len,
			    u32 fd_flags, u64 heap_flags)
{
	struct dma_buf *dmabuf;
	int fd;

	dmabuf = dma_heap_buffer_alloc(heap, len, fd_flags, heap_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = dma_buf_fd(dmabuf, fd_flags);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_bufferfd_alloc, DMA_BUF);

/**
 * dma_heap_buffer_free - drop a driver's reference to a heap's dma-buf
 * @dmabuf:	a dma-buf from dma_heap_buffer_alloc()
 *
 * The buffer's memory goes back to its heap once every other user (a
 * descriptor, an importer) has let go as well.
 */
void dma_heap_buffer_free(struct dma_buf *dmabuf)
{
	dma_buf_put(dmabuf);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_free, DMA_BUF);
