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
 * be destroyed under them, so the heap gives its memory back to the pool
 * first, when the bus says the driver is about to go, and is removed;
 * live buffers keep their SRAM, and the heap's own pool and mapping,
 * until the last is freed. The heap comes back when this module is loaded
 * again.
 *
 * It is also the example of a heap type in a loadable module: its heaps
 * appear when the module registers the type, and live buffers and open
 * heap files keep the module loaded.
 *
 * Not for: taking buffers out of the pool (heap-gen-pool.c), exporting
 * (heap-buffer.c), SRAM a driver uses for itself (the SRAM driver).
 */

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
 * @sram_dev:	the SRAM driver's device, held
 * @sram_pool:	the SRAM driver's pool, until the heap gives @claim back
 * @claim:	the range the heap took out of @sram_pool, in its addresses
 * @claim_size:	its size
 * @gone:	the SRAM driver went away: no more allocations
 * @origin:	the heap's node, for log lines
 * @withdraw:	removes the heap from the registry after the SRAM went
 * @list:	entry in sram_heaps while the heap holds its claim
 */
struct sram_heap {
	struct kref ref;
	struct gen_pool *pool;
	void __iomem *base;
	phys_addr_t phys;
	size_t size;
	struct device *sram_dev;
	struct gen_pool *sram_pool;
	unsigned long claim;
	size_t claim_size;
	bool gone;
	const char *origin;
	struct work_struct withdraw;
	struct list_head list;
};

static struct dma_heap_type sram_heap_type;

/* Protects sram_heaps, and every heap's @sram_pool, against an unbind. */
static DEFINE_MUTEX(sram_heap_lock);
static LIST_HEAD(sram_heaps);
static struct workqueue_struct *sram_heap_wq;

static void sram_heap_free(struct kref *ref)
{
	struct sram_heap *sh = container_of(ref, struct sram_heap, ref);

	put_device(sh->sram_dev);
	kfree_const(sh->origin);
	kfree(sh);
}

/* Give the claimed range back to the SRAM driver; sram_heap_lock held. */
static bool sram_heap_give_back(struct sram_heap *sh)
{
	lockdep_assert_held(&sram_heap_lock);
	if (!sh->sram_pool)
		return false;
	gen_pool_free(sh->sram_pool, sh->claim, sh->claim_size);
	sh->sram_pool = NULL;
	list_del_init(&sh->list);
	return true;
}

static void sram_heap_withdraw(struct work_struct *work)
{
	struct sram_heap *sh = container_of(work, struct sram_heap, withdraw);

	dma_heap_withdraw(&sram_heap_type, sh);
	kref_put(&sh->ref, sram_heap_free);
}

/*
 * @sh's SRAM driver is about to be unbound, and its pool destroyed:
 * gen_pool_destroy() would BUG() on the range the heap still holds.
 * sram_heap_lock held, and the device lock: the registry may take the
 * device lock with its own held (sram_heap_create()), so the heap is
 * removed from a work item, not from here.
 */
static void sram_heap_sram_going(struct sram_heap *sh)
{
	size_t live = gen_pool_size(sh->pool) - gen_pool_avail(sh->pool);

	sram_heap_give_back(sh);
	WRITE_ONCE(sh->gone, true);
	pr_notice("dma-heaps: %s: sram: %s is going away; removing the heap, whose live buffers (%zu bytes) keep their SRAM until freed\n",
		  sh->origin, dev_name(sh->sram_dev), live);
	kref_get(&sh->ref);
	queue_work(sram_heap_wq, &sh->withdraw);
}

/* Before a driver leaves a platform device: is it an SRAM of a heap? */
static int sram_heap_bus_event(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct sram_heap *sh, *tmp;

	if (action != BUS_NOTIFY_UNBIND_DRIVER)
		return NOTIFY_DONE;
	mutex_lock(&sram_heap_lock);
	list_for_each_entry_safe(sh, tmp, &sram_heaps, list)
		if (sh->sram_dev == data)
			sram_heap_sram_going(sh);
	mutex_unlock(&sram_heap_lock);
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

/* The SRAM, or the SRAM it is a partition of, is mapped uncached only. */
static bool sram_heap_wc_forbidden(struct device_node *sram)
{
	struct device_node *parent = of_get_parent(sram);
	bool forbidden = of_property_read_bool(sram, "no-memory-wc") ||
			 (parent && of_property_read_bool(parent,
							  "no-memory-wc"));

	of_node_put(parent);
	return forbidden;
}

/*
 * Take all of the SRAM pool's memory; sh->sram_dev locked, so that the
 * pool cannot go while it is taken. NULL, or why it cannot be taken.
 */
static const char *sram_heap_claim(struct sram_heap *sh,
				   const struct dma_heap_desc *desc)
{
	struct device_node *np = to_of_node(desc->node);
	struct gen_pool *pool = of_gen_pool_get(np, "sram", 0);
	phys_addr_t start, end;

	if (!pool)
		return "has no SRAM pool (no mmio-sram, no \"pool\", or unbound)";
	sh->claim_size = gen_pool_avail(pool);
	sh->claim = gen_pool_alloc(pool, sh->claim_size);
	if (!sh->claim)
		return "is not one free range: give the heap a partition of its own";
	start = gen_pool_virt_to_phys(pool, sh->claim);
	end = round_down(start + sh->claim_size, PAGE_SIZE);
	sh->sram_pool = pool;
	if (start == (phys_addr_t)-1)
		return "has no physical address";
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

/* Undo sram_heap_claim() and sram_heap_setup(), the SRAM device locked. */
static void sram_heap_undo(struct sram_heap *sh)
{
	if (sh->pool)
		gen_pool_destroy(sh->pool);
	if (sh->base)
		iounmap(sh->base);
	mutex_lock(&sram_heap_lock);
	sram_heap_give_back(sh);
	mutex_unlock(&sram_heap_lock);
}

/*
 * From here, an unbind of the SRAM driver gives the claim back before the
 * driver goes (sram_heap_bus_event()). sram_heap_lock held.
 */
static void sram_heap_watch(struct sram_heap *sh)
{
	lockdep_assert_held(&sram_heap_lock);
	list_add_tail(&sh->list, &sram_heaps);
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
	INIT_WORK(&sh->withdraw, sram_heap_withdraw);
	INIT_LIST_HEAD(&sh->list);
	sh->sram_dev = sram_dev;
	return sh;
}

/* Take the SRAM of @sram_dev for a heap, with the device locked. */
static void *sram_heap_take(const struct dma_heap_desc *desc,
			    struct device_node *sram, struct device *sram_dev)
{
	struct sram_heap *sh = sram_heap_alloc(desc, sram_dev);
	const char *why;
	phys_addr_t at;

	if (!sh) {
		put_device(sram_dev);
		return ERR_PTR(-ENOMEM);
	}
	/* The pool stays until the heap watches for an unbind. */
	device_lock(sram_dev);
	why = sram_heap_claim(sh, desc);
	at = sh->phys;
	if (!why)
		why = sram_heap_setup(sh);
	if (why) {
		sram_heap_undo(sh);
	} else {
		mutex_lock(&sram_heap_lock);
		sram_heap_watch(sh);
		mutex_unlock(&sram_heap_lock);
	}
	device_unlock(sram_dev);
	if (!why)
		return sh;

	if (at)
		dma_heap_desc_err(desc, "sram", "%pOF at %pa %s", sram, &at,
				  why);
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
	if (sram_heap_wc_forbidden(sram)) {
		dma_heap_desc_err(desc, "sram",
				  "%pOF is marked no-memory-wc, and the heap maps SRAM write-combined",
				  sram);
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

	mutex_lock(&sram_heap_lock);
	sram_heap_give_back(sh);
	mutex_unlock(&sram_heap_lock);
	gen_pool_destroy(sh->pool);
	iounmap(sh->base);
	kref_put(&sh->ref, sram_heap_free);
}

static struct dma_buf *sram_heap_allocate(struct dma_heap *heap,
					  struct dma_heap_instance *inst,
					  unsigned long len, u32 fd_flags)
{
	struct sram_heap *sh = inst->priv;

	if (READ_ONCE(sh->gone))
		return ERR_PTR(-ENODEV);
	return dma_heap_gen_pool_allocate(heap, inst, sh->pool, len, fd_flags,
					  DMA_HEAP_GEN_POOL_IO);
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
	dma_heap_type_unregister(&sram_heap_type);
	bus_unregister_notifier(&platform_bus_type, &sram_heap_bus_nb);
	/* Removals still queued find no heap now, and drop their references. */
	destroy_workqueue(sram_heap_wq);
}
module_exit(sram_heap_exit);
MODULE_DESCRIPTION("DMA-BUF heaps: SRAM heap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
