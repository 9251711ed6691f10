// SPDX-License-Identifier: GPL-2.0
/*
 * The SRAM heap: buffers from an on-chip SRAM, for devices that must
 * reach their buffers with the latency and bandwidth only SRAM gives (a
 * display's line buffers, a DSP's working set, an always-on sensor hub).
 *
 * The SRAM is an "mmio-sram" node, managed by the generic SRAM driver
 * (drivers/misc/sram.c), which turns it, or each of its partitions marked
 * "pool", into a gen_pool. A heap node names that node or partition with
 * its "sram" property. When the heap is created it takes all of that
 * pool's memory at once, so no other user of the pool can be handed what
 * its buffers hold, and manages it with a gen_pool of its own, through
 * the shared gen_pool code.
 *
 * SRAM is I/O memory: it has no struct pages and is not in the kernel's
 * linear map. Buffers are described by address (importers get DMA
 * addresses only), mapped write-combined to userspace by PFN, and to the
 * kernel through the heap's own write-combined I/O mapping. RAM that the
 * kernel maps is refused.
 *
 * The SRAM driver can be unbound while buffers live. Its pool would then
 * be destroyed under them, so the heap watches the platform bus. Before
 * the driver goes, the heap stops allocating, gives its memory back to
 * the pool and is withdrawn; live buffers keep their SRAM, and the heap's
 * own pool and mapping, until the last is freed. Whether the SRAM keeps
 * its clock and power meanwhile is the SRAM driver's business: on
 * hardware that gates it, devices and mappings of those buffers reach
 * nothing until it is bound again. When the driver is bound again, the
 * removed heap takes the new pool's memory while its buffers live, so
 * nothing else is handed what they hold; once they are freed, or at once
 * if there are none, the heap is created again.
 *
 * Lock order: the registry's lock (held around create), the SRAM
 * device's lock, sram_heap_lock, a heap's @using. The bus events come
 * with the device lock held and never take the registry's: what needs it
 * runs from sram_heap_wq.
 *
 * It is also the example of a heap type in a loadable module: its heaps
 * appear when the module registers the type, and live buffers and open
 * heap files keep the module loaded.
 *
 * Not for: taking buffers out of the pool (heap-gen-pool.c), exporting
 * (heap-buffer.c), SRAM a driver uses for itself (the SRAM driver).
 */

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_platform.h>
#include <linux/platform_device.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/**
 * struct sram_heap - one SRAM heap
 * @ref:	one reference for the heap, one for @withdraw while it is
 *		queued
 * @pool:	the heap's own pool over @base
 * @base:	the heap's write-combined I/O mapping of its SRAM
 * @phys:	where that SRAM is
 * @size:	how much of it, in whole pages
 * @node:	the heap's node, to find the SRAM's pool again
 * @sram_dev:	the SRAM's device, held; replaced if the device is made
 *		anew (an overlay applied again)
 * @sram_node:	that device's node, which stays the same
 * @sram_pool:	the SRAM driver's pool while the heap holds @claim in it
 * @claim:	the range the heap took out of @sram_pool, in its addresses
 * @claim_size:	its size
 * @using:	held for reading by allocations, for writing to stop them
 * @gone:	the SRAM driver went away: no more allocations, ever
 * @origin:	the heap's node's name, for log lines
 * @withdraw:	removes the heap from the registry after the SRAM went
 * @list:	entry in sram_heaps, from creation to destruction
 */
struct sram_heap {
	struct kref ref;
	struct gen_pool *pool;
	void __iomem *base;
	phys_addr_t phys;
	size_t size;
	struct device_node *node;
	struct device *sram_dev;
	struct device_node *sram_node;
	struct gen_pool *sram_pool;
	unsigned long claim;
	size_t claim_size;
	struct rw_semaphore using;
	bool gone;
	const char *origin;
	struct work_struct withdraw;
	struct list_head list;
};

static struct dma_heap_type sram_heap_type;

/* Protects sram_heaps, and every heap's @sram_pool and @claim. */
static DEFINE_MUTEX(sram_heap_lock);
static LIST_HEAD(sram_heaps);
static struct workqueue_struct *sram_heap_wq;

static void sram_heap_free(struct kref *ref)
{
	struct sram_heap *sh = container_of(ref, struct sram_heap, ref);

	put_device(sh->sram_dev);
	of_node_put(sh->sram_node);
	of_node_put(sh->node);
	kfree_const(sh->origin);
	kfree(sh);
}

/*
 * Take all of the free memory of the SRAM's pool, as one range. The
 * SRAM device is locked, so that the pool cannot go meanwhile, and
 * sram_heap_lock held. NULL, or why it cannot be taken.
 */
static const char *sram_heap_claim(struct sram_heap *sh)
{
	struct gen_pool *pool = of_gen_pool_get(sh->node, "sram", 0);

	lockdep_assert_held(&sram_heap_lock);
	if (!pool)
		return "has no SRAM pool (no mmio-sram, no \"pool\", or unbound)";
	sh->claim_size = gen_pool_avail(pool);
	sh->claim = gen_pool_alloc(pool, sh->claim_size);
	if (!sh->claim)
		return "is not one free range: give the heap a partition of its own";
	sh->sram_pool = pool;
	return NULL;
}

/* Give the claimed range back to the SRAM driver; sram_heap_lock held. */
static bool sram_heap_give_back(struct sram_heap *sh)
{
	lockdep_assert_held(&sram_heap_lock);
	if (!sh->sram_pool)
		return false;
	gen_pool_free(sh->sram_pool, sh->claim, sh->claim_size);
	sh->sram_pool = NULL;
	return true;
}

static void sram_heap_withdraw(struct work_struct *work)
{
	struct sram_heap *sh = container_of(work, struct sram_heap, withdraw);

	dma_heap_withdraw(&sram_heap_type, sh);
	kref_put(&sh->ref, sram_heap_free);
}

/* An SRAM came (back), or a removed heap let go of one: create heaps. */
static void sram_heap_rescan(struct work_struct *work)
{
	dma_heap_type_rescan(&sram_heap_type);
}

static DECLARE_WORK(sram_heap_rescan_work, sram_heap_rescan);

/*
 * Clear what is free in a chunk of a heap's own pool: what freed buffers
 * left there goes back to the SRAM driver's other users otherwise. Live
 * buffers are not touched.
 */
static void sram_heap_clear_free(struct gen_pool *pool,
				 struct gen_pool_chunk *chunk, void *data)
{
	int order = pool->min_alloc_order;
	unsigned long nbits = (chunk->end_addr - chunk->start_addr + 1) >> order;
	unsigned long start = 0, end;

	for (;;) {
		start = find_next_zero_bit(chunk->bits, nbits, start);
		if (start >= nbits)
			break;
		end = find_next_bit(chunk->bits, nbits, start);
		memset_io((void __iomem *)(chunk->start_addr + (start << order)),
			  0, (end - start) << order);
		start = end;
	}
}

/*
 * @sh's SRAM driver is about to be unbound, and its pool destroyed:
 * gen_pool_destroy() would BUG() on the range the heap holds. Allocations
 * stop first, so none writes to SRAM that is going.
 */
static void sram_heap_sram_going(struct sram_heap *sh)
{
	size_t live = gen_pool_size(sh->pool) - gen_pool_avail(sh->pool);
	bool was_gone;

	down_write(&sh->using);
	was_gone = sh->gone;
	sh->gone = true;
	if (sh->sram_pool)
		gen_pool_for_each_chunk(sh->pool, sram_heap_clear_free, NULL);
	sram_heap_give_back(sh);
	up_write(&sh->using);
	if (was_gone)
		return;
	pr_notice("dma-heaps: %s: sram: %s is going away; removing the heap, whose live buffers (%zu bytes) keep their SRAM until freed\n",
		  sh->origin, dev_name(sh->sram_dev), live);
	kref_get(&sh->ref);
	queue_work(sram_heap_wq, &sh->withdraw);
}

/*
 * @sh's SRAM driver is bound again, after @sh was removed. Its buffers
 * still use the SRAM: take the new pool's memory, so that no one else is
 * handed it, until they are freed.
 */
static void sram_heap_sram_back(struct sram_heap *sh)
{
	const char *why = sram_heap_claim(sh);
	phys_addr_t start;

	if (!why) {
		/* It must be the same SRAM, all of what the buffers use. */
		start = gen_pool_virt_to_phys(sh->sram_pool, sh->claim);
		if (start == (phys_addr_t)-1 || start > sh->phys ||
		    start + sh->claim_size < sh->phys + sh->size) {
			sram_heap_give_back(sh);
			why = "no longer covers the heap's range";
		}
	}
	if (why)
		pr_warn("dma-heaps: %s: sram: %s is back, but its memory %s; the removed heap's live buffers may share it\n",
			sh->origin, dev_name(sh->sram_dev), why);
	else
		pr_notice("dma-heaps: %s: sram: %s is back; the heap returns once the removed heap's live buffers are freed\n",
			  sh->origin, dev_name(sh->sram_dev));
}

/*
 * The SRAM driver (the generic one, "sram") binds or is about to unbind.
 * The device lock is held: what takes the registry's lock is queued.
 */
static int sram_heap_bus_event(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct device *dev = data;
	bool removed_heap = false;
	struct sram_heap *sh;

	if ((action != BUS_NOTIFY_UNBIND_DRIVER &&
	     action != BUS_NOTIFY_BOUND_DRIVER) ||
	    !dev->driver || strcmp(dev->driver->name, "sram"))
		return NOTIFY_DONE;

	mutex_lock(&sram_heap_lock);
	list_for_each_entry(sh, &sram_heaps, list) {
		if (!dev->of_node || dev->of_node != sh->sram_node)
			continue;
		/* The same SRAM, as a new device: follow it. */
		if (sh->sram_dev != dev) {
			put_device(sh->sram_dev);
			sh->sram_dev = get_device(dev);
		}
		if (action == BUS_NOTIFY_UNBIND_DRIVER) {
			sram_heap_sram_going(sh);
		} else if (sh->gone && !sh->sram_pool) {
			sram_heap_sram_back(sh);
			removed_heap = true;
		}
	}
	mutex_unlock(&sram_heap_lock);
	if (action == BUS_NOTIFY_BOUND_DRIVER && !removed_heap)
		queue_work(sram_heap_wq, &sram_heap_rescan_work);
	return NOTIFY_OK;
}

static struct notifier_block sram_heap_bus_nb = {
	.notifier_call = sram_heap_bus_event,
};

/* The device of the mmio-sram node that @sram is, or is a partition of. */
static struct device *sram_heap_find_device(struct device_node *sram)
{
	struct platform_device *pdev = of_find_device_by_node(sram);
	struct device_node *parent;

	if (!pdev) {
		parent = of_get_parent(sram);
		pdev = of_find_device_by_node(parent);
		of_node_put(parent);
	}
	return pdev ? &pdev->dev : NULL;
}

/*
 * SRAM is I/O memory: RAM the kernel maps cannot stand in for it. (The
 * SRAM driver cannot claim such a range either; this says why.)
 */
static bool sram_heap_is_ram(const struct dma_heap_desc *desc,
			     struct device_node *sram)
{
	struct resource res;
	const char *why;
	phys_addr_t at;

	if (of_address_to_resource(sram, 0, &res))
		return false;
	why = dma_heap_region_check(res.start, resource_size(&res),
				    DMA_HEAP_REGION_IO, &at);
	if (why)
		dma_heap_desc_err(desc, "sram", "%pOF at %pa %s", sram, &at,
				  why);
	return why;
}

/*
 * Why the SRAM's own node rules the heap out, or NULL. A partition the
 * SRAM driver exports through sysfs or runs code from is not memory to
 * hand to applications, and an SRAM mapped uncached only cannot be mapped
 * write-combined as the heap does.
 */
static const char *sram_heap_node_unfit(struct device_node *sram)
{
	struct device_node *parent = of_get_parent(sram);
	bool no_wc = of_property_read_bool(sram, "no-memory-wc") ||
		     (parent && of_property_read_bool(parent, "no-memory-wc"));

	of_node_put(parent);
	if (no_wc)
		return "is marked no-memory-wc, and the heap maps SRAM write-combined";
	if (of_property_read_bool(sram, "export"))
		return "is exported to userspace by the SRAM driver itself";
	if (of_property_read_bool(sram, "protect-exec"))
		return "holds code the kernel runs (protect-exec)";
	return NULL;
}

/* Where the claimed range's whole pages are. NULL, or why it has none. */
static const char *sram_heap_place(struct sram_heap *sh)
{
	phys_addr_t start = gen_pool_virt_to_phys(sh->sram_pool, sh->claim);
	phys_addr_t end;

	if (start == (phys_addr_t)-1)
		return "has no physical address";
	end = round_down(start + sh->claim_size, PAGE_SIZE);
	sh->phys = PAGE_ALIGN(start);
	if (end <= sh->phys)
		return "is smaller than a page";
	sh->size = end - sh->phys;
	return NULL;
}

/* Map the claimed SRAM and manage it. NULL, or why it cannot be. */
static const char *sram_heap_setup(struct sram_heap *sh)
{
	sh->base = ioremap_wc(sh->phys, sh->size);
	if (!sh->base)
		return "cannot be mapped";
	sh->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!sh->pool ||
	    gen_pool_add_virt(sh->pool, (unsigned long)sh->base, sh->phys,
			      sh->size, NUMA_NO_NODE))
		return "out of memory";
	return NULL;
}

/* Undo sram_heap_claim() and sram_heap_setup(); sram_heap_lock held. */
static void sram_heap_undo(struct sram_heap *sh)
{
	if (sh->pool)
		gen_pool_destroy(sh->pool);
	if (sh->base)
		iounmap(sh->base);
	sram_heap_give_back(sh);
}

static struct sram_heap *sram_heap_alloc(const struct dma_heap_desc *desc,
					 struct device *sram_dev)
{
	struct sram_heap *sh = kzalloc(sizeof(*sh), GFP_KERNEL);

	if (!sh)
		return NULL;
	sh->origin = kstrdup_const(desc->origin, GFP_KERNEL);
	if (!sh->origin) {
		kfree(sh);
		return NULL;
	}
	kref_init(&sh->ref);
	init_rwsem(&sh->using);
	INIT_WORK(&sh->withdraw, sram_heap_withdraw);
	INIT_LIST_HEAD(&sh->list);
	sh->node = of_node_get(to_of_node(desc->node));
	sh->sram_dev = sram_dev;
	sh->sram_node = of_node_get(sram_dev->of_node);
	return sh;
}

/*
 * Take the SRAM of @sram_dev for a heap. With the device locked, so that
 * the pool stays until the heap is on sram_heaps, where an unbind finds
 * it.
 */
static void *sram_heap_take(const struct dma_heap_desc *desc,
			    struct device_node *sram, struct device *sram_dev)
{
	struct sram_heap *sh = sram_heap_alloc(desc, sram_dev);
	const char *why;

	if (!sh) {
		put_device(sram_dev);
		return ERR_PTR(-ENOMEM);
	}
	device_lock(sram_dev);
	mutex_lock(&sram_heap_lock);
	/* Only the SRAM driver's unbind is watched for. */
	if (sram_dev->driver && strcmp(sram_dev->driver->name, "sram"))
		why = "belongs to another driver than the SRAM driver";
	else
		why = sram_heap_claim(sh);
	if (!why)
		why = sram_heap_place(sh);
	if (!why)
		why = sram_heap_setup(sh);
	if (why)
		sram_heap_undo(sh);
	else
		list_add_tail(&sh->list, &sram_heaps);
	mutex_unlock(&sram_heap_lock);
	device_unlock(sram_dev);
	if (!why)
		return sh;

	if (sh->size)
		dma_heap_desc_err(desc, "sram", "%pOF at %pa %s", sram,
				  &sh->phys, why);
	else
		dma_heap_desc_err(desc, "sram", "%pOF %s", sram, why);
	kref_put(&sh->ref, sram_heap_free);
	return ERR_PTR(-EINVAL);
}

static void *sram_heap_create(const struct dma_heap_desc *desc)
{
	struct device_node *np = to_of_node(desc->node);
	struct device *sram_dev;
	struct device_node *sram;
	const char *why;
	void *heap;

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
	why = sram_heap_node_unfit(sram);
	if (why) {
		dma_heap_desc_err(desc, "sram", "%pOF %s", sram, why);
		of_node_put(sram);
		return ERR_PTR(-EINVAL);
	}
	if (sram_heap_is_ram(desc, sram)) {
		of_node_put(sram);
		return ERR_PTR(-EINVAL);
	}
	sram_dev = sram_heap_find_device(sram);
	if (!sram_dev) {
		dma_heap_desc_err(desc, "sram", "%pOF is not a device", sram);
		of_node_put(sram);
		return ERR_PTR(-ENODEV);
	}
	heap = sram_heap_take(desc, sram, sram_dev);
	of_node_put(sram);
	return heap;
}

/* The heap's last user is gone: its buffers are all freed. */
static void sram_heap_destroy(void *priv)
{
	struct sram_heap *sh = priv;
	bool was_held;

	mutex_lock(&sram_heap_lock);
	list_del(&sh->list);
	/* What the last buffers held goes back to the SRAM driver cleared. */
	was_held = sh->sram_pool;
	if (was_held)
		memset_io(sh->base, 0, sh->size);
	sram_heap_give_back(sh);
	mutex_unlock(&sram_heap_lock);
	/* A removed heap let go of a bound SRAM: its heap can come back. */
	if (sh->gone && READ_ONCE(sh->sram_dev->driver))
		queue_work(sram_heap_wq, &sram_heap_rescan_work);
	gen_pool_destroy(sh->pool);
	iounmap(sh->base);
	kref_put(&sh->ref, sram_heap_free);
}

static struct dma_buf *sram_heap_allocate(struct dma_heap *heap,
					  struct dma_heap_instance *inst,
					  unsigned long len, u32 fd_flags)
{
	struct sram_heap *sh = inst->priv;
	struct dma_buf *dmabuf;

	/* Nothing writes to SRAM whose driver is going. */
	down_read(&sh->using);
	if (sh->gone)
		dmabuf = ERR_PTR(-ENOMEM);
	else
		dmabuf = dma_heap_gen_pool_allocate(heap, inst, sh->pool, len,
						    fd_flags,
						    DMA_HEAP_GEN_POOL_IO);
	up_read(&sh->using);
	return dmabuf;
}

static u64 sram_heap_size(void *priv)
{
	struct sram_heap *sh = priv;

	return sh->size;
}

static struct dma_heap_type sram_heap_type = {
	.name = "sram",
	.compatible = "linux,dma-heap-sram",
	.owner = THIS_MODULE,
	.create = sram_heap_create,
	.destroy = sram_heap_destroy,
	.allocate = sram_heap_allocate,
	.size = sram_heap_size,
	/* SRAM has no struct pages and no cacheable mapping. */
	.caching = DMA_HEAP_UNCACHED_ONLY,
};

static int __init sram_heap_init(void)
{
	int ret;

	sram_heap_wq = alloc_workqueue("sram_heap", 0, 0);
	if (!sram_heap_wq)
		return -ENOMEM;
	ret = bus_register_notifier(&platform_bus_type, &sram_heap_bus_nb);
	if (ret)
		goto err_wq;
	ret = dma_heap_type_register(&sram_heap_type);
	if (ret)
		goto err_nb;
	return 0;

err_nb:
	bus_unregister_notifier(&platform_bus_type, &sram_heap_bus_nb);
err_wq:
	destroy_workqueue(sram_heap_wq);
	return ret;
}
module_init(sram_heap_init);

static void __exit sram_heap_exit(void)
{
	/* The heaps go first: until then, an unbind must be seen. */
	dma_heap_type_unregister(&sram_heap_type);
	bus_unregister_notifier(&platform_bus_type, &sram_heap_bus_nb);
	/*
	 * Work still queued finds no heap and no type now: removals drop
	 * their references, a rescan does nothing.
	 */
	destroy_workqueue(sram_heap_wq);
}
module_exit(sram_heap_exit);
MODULE_DESCRIPTION("DMA-BUF heaps: SRAM heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
