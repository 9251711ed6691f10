// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: heap types, declared heaps, and what a heap made from a
 * declaration has beyond the core's char device.
 *
 * Heaps are declared (by the device tree layer, or as the defaults when
 * the device tree declares none) and types are registered (by built-in
 * code or by modules), in either order. A declared heap is created as
 * soon as both it and its type are known, so a node whose type comes
 * from a module loaded after boot gets its heap when the module loads.
 * Unregistering a type removes its heaps; buffers still alive keep what
 * they use, and they pin the type's module.
 *
 * For each heap it creates, the registry owns what only it knows: the
 * type's private data and the page pool it makes from the type's
 * declaration, the fallback chain and the "exclusive heap known full"
 * cache that the chain consults, the live-buffer counts, and the sysfs
 * files that show all of it. The core only sees a heap whose allocate
 * op is the registry's and whose attribute groups are the registry's.
 *
 * Not for: parsing the device tree (heap-of.c), allocating (the types),
 * exporting (heap-buffer.c), names (the core has the one name registry).
 */

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/percpu-refcount.h>
#include <linux/printk.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "heap-internal.h"

/**
 * struct registered_heap - a heap the registry made from a declaration
 * @inst:	what the type's ops see: its private data and pool
 * @heap:	the core's heap, set once dma_heap_add() returned it and
 *		before the heap is linked into any chain
 * @type:	the heap's type; its module is held while @heap has users
 * @name:	the heap's name, for the fallback links
 * @fallback:	name of the heap to try when this one is out of memory
 * @next:	the created heap named @fallback, or NULL; set and cleared
 *		under registry_lock, read under RCU
 * @base:	start of the heap's region, for exclusive types
 * @region_size: size of that region, 0 if none
 * @size:	bytes of memory behind the heap, for sysfs
 * @pooled:	the declaration gave the heap a pool size
 * @removed:	set once the heap is being removed; no new allocations
 * @walkers:	allocations on the heap: asked first, or reached on a
 *		fallback chain
 * @walkers_gone: completed once @walkers was killed and has drained
 * @full:	for an exclusive heap, the smallest request that failed for
 *		lack of memory and the @stats.released it failed at, or 0
 * @fallbacks:	allocations this heap passed on to its fallback
 * @stats:	the heap's live buffers, counted by the exporter
 * @node:	entry in created_heaps, then in retired_heaps
 * @removal:	entry in a list of heaps being removed, local to the caller
 */
struct registered_heap {
	struct dma_heap_instance inst;
	struct dma_heap *heap;
	const struct dma_heap_type *type;
	const char *name;
	const char *fallback;
	struct registered_heap __rcu *next;
	phys_addr_t base;
	phys_addr_t region_size;
	u64 size;
	bool pooled;
	bool removed;
	struct percpu_ref walkers;
	struct completion walkers_gone;
	atomic64_t full;
	atomic64_t fallbacks;
	struct dma_heap_buffer_stats stats;
	struct list_head node;
	struct list_head removal;
};

/**
 * struct dma_heap_decl - a declared heap
 * @desc:	the declaration, with its strings owned by this struct
 * @rh:		the heap once created, NULL while its type is missing, its
 *		memory is still in use by a removed heap, or after
 *		creation failed
 * @waiting:	not created because a removed heap's buffers still use
 *		its memory, or its name or every minor was taken; retried
 *		when a heap goes
 * @list:	entry in dma_heap_decls
 */
struct dma_heap_decl {
	struct dma_heap_desc desc;
	struct registered_heap *rh;
	bool waiting;
	struct list_head list;
};

/*
 * registry_lock protects the types, the declarations, created_heaps and
 * the fallback links. It is never held while waiting for an allocation.
 */
static DEFINE_MUTEX(registry_lock);
static LIST_HEAD(dma_heap_types);
static LIST_HEAD(dma_heap_protectors);
static LIST_HEAD(dma_heap_decls);
static LIST_HEAD(created_heaps);

/*
 * Heaps removed whose last user has not gone yet: their memory is still
 * in buffers. retired_lock, not registry_lock, since the last user may go
 * anywhere (an fput, a removal in progress).
 */
static LIST_HEAD(retired_heaps);
static DEFINE_SPINLOCK(retired_lock);

static void dma_heap_retry_waiting(struct work_struct *work);
static DECLARE_WORK(retry_work, dma_heap_retry_waiting);

/*
 * Heaps unlinked and not yet removed from the core: a type's module must
 * not go while one of them may still call into it, so unregistering a
 * type waits for all of them, including those an undeclare started.
 */
static atomic_t removals = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(removals_done);

static const struct dma_heap_ops registry_heap_ops;

/**
 * dma_heap_desc_err - log why a declared heap is disabled
 * @desc:	the heap's declaration
 * @prop:	the device tree property at fault, or NULL
 * @fmt:	the reason
 *
 * One line naming the node, the property and the reason, so that a
 * vendor reading the boot log knows what to fix.
 */
void dma_heap_desc_err(const struct dma_heap_desc *desc, const char *prop,
		       const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("dma-heaps: %s: %s%s%pV; heap disabled\n",
	       desc->origin ?: desc->name, prop ?: "", prop ? ": " : "", &vaf);
	va_end(args);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_desc_err, DMA_BUF);

/* The registry's data of a heap it made, or NULL for any other heap. */
static struct registered_heap *to_registered(struct dma_heap *heap)
{
	if (!dma_heap_has_ops(heap, &registry_heap_ops))
		return NULL;
	return dma_heap_get_drvdata(heap);
}

/*
 * An exclusive heap (a carveout) gets memory back only when one of its
 * own buffers is released. A request that failed for lack of memory
 * therefore fails again, and so does any larger one, until the next
 * release (or dma_heap_forget_full(), when the type knows better): the
 * heap is not asked again meanwhile. A full carveout then costs the
 * allocations it passes to its fallback heap nothing.
 *
 * @full packs the failed request's pages (low bits) with the count of
 * releases it failed at (high bits). The count is read before the heap is
 * asked and bumped after a release gave the memory back, so a release
 * the attempt may have missed always makes the mark stale.
 */
#define FULL_PAGE_BITS	24
#define FULL_PAGES	GENMASK_ULL(FULL_PAGE_BITS - 1, 0)

static u64 full_mark(u64 released, size_t len)
{
	return released << FULL_PAGE_BITS | len >> PAGE_SHIFT;
}

static bool known_full(struct registered_heap *rh, u64 released, size_t len)
{
	u64 full = atomic64_read(&rh->full);
	u64 mark;

	/* Larger than note_full() remembers: ask the heap. */
	if (len >> PAGE_SHIFT > FULL_PAGES)
		return false;
	mark = full_mark(released, len);
	/* A request of at most @len failed at this count of releases. */
	return (full >> FULL_PAGE_BITS) == (mark >> FULL_PAGE_BITS) &&
	       (full & FULL_PAGES) && (full & FULL_PAGES) <= (mark & FULL_PAGES);
}

static void note_full(struct registered_heap *rh, u64 released, size_t len)
{
	/*
	 * Larger requests are not remembered; they are rare. Nor is a
	 * failure during which the count moved on: the heap may have room
	 * again, or said it was not full.
	 */
	if (len >> PAGE_SHIFT > FULL_PAGES ||
	    atomic64_read(&rh->stats.released) != released ||
	    known_full(rh, released, len))
		return;
	atomic64_set(&rh->full, full_mark(released, len));
}

/**
 * dma_heap_forget_full - have an exclusive heap asked again
 * @heap:	the heap, as passed to the type's allocate op
 *
 * After a request to an exclusive heap failed with -ENOMEM, the registry
 * fails any request at least as large without asking the type, until one
 * of the heap's buffers is released (see &dma_heap_type.exclusive). A
 * type calls this when that would be wrong: before it fails with -ENOMEM
 * while its region had room (a kmalloc() of its own failed), and after it
 * gave memory back to its region other than by releasing a buffer (an
 * allocation undone half way). Any context.
 */
void dma_heap_forget_full(struct dma_heap *heap)
{
	struct registered_heap *rh = to_registered(heap);

	/* Pairs with the acquire in registry_allocate_one(). */
	if (rh)
		atomic64_inc_return_release(&rh->stats.released);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_forget_full, DMA_BUF);

static struct dma_buf *registry_allocate_one(struct dma_heap *heap,
					     struct registered_heap *rh,
					     size_t len, u32 fd_flags)
{
	struct obj_cgroup *objcg = NULL;
	struct dma_buf *dmabuf;
	u64 released = 0;

	if (READ_ONCE(rh->removed))
		return ERR_PTR(-ENODEV);

	if (rh->type->exclusive) {
		released = atomic64_read_acquire(&rh->stats.released);
		if (known_full(rh, released, len))
			return ERR_PTR(-ENOMEM);
	}
	/*
	 * Charged first: a cgroup at its limit gathers no memory at all, and
	 * is not served by a fallback heap either (-EDQUOT ends the walk).
	 */
	if (rh->type->accountable && READ_ONCE(dma_heap_mem_accounting) &&
	    dma_heap_charge(len, &objcg))
		return ERR_PTR(-EDQUOT);
	dmabuf = rh->type->allocate(heap, &rh->inst, len, fd_flags);
	if (!IS_ERR(dmabuf)) {
		if (objcg)
			dma_heap_buffer_take_charge(dmabuf, objcg, len);
		return dmabuf;
	}
	dma_heap_uncharge(objcg, len);
	if (rh->type->exclusive && PTR_ERR(dmabuf) == -ENOMEM)
		note_full(rh, released, len);
	return dmabuf;
}

/*
 * The next heap of a fallback chain, held in its @walkers; NULL at the
 * end of the chain or when the fallback heap is not there (not created
 * yet, disabled, or being removed).
 *
 * This is the allocation path of every heap that is full, taken by many
 * CPUs at once: the link is followed without a lock or a name lookup, and
 * the heap is held by a per-CPU count rather than a shared refcount.
 * Removal unlinks the heap, kills @walkers and waits for it to drain,
 * without registry_lock, before it removes the heap; the kill takes
 * effect only after a grace period, so a heap read here under RCU is
 * still there.
 */
static struct registered_heap *next_in_chain(struct registered_heap *rh)
{
	struct registered_heap *next;

	rcu_read_lock();
	next = rcu_dereference(rh->next);
	if (next && !percpu_ref_tryget_live_rcu(&next->walkers))
		next = NULL;
	rcu_read_unlock();

	return next;
}

/*
 * The allocate op of every heap the registry made: the heap asked, then
 * its fallback chain while heaps are out of memory, at most
 * DMA_HEAP_MAX_CHAIN heaps in all. A fallback heap that fails with
 * -ENODEV or -ENOENT (it is being removed, or its module unloaded) ends
 * the chain with -ENOMEM: the heap asked was full. Other errors are final,
 * among them a memory cgroup at its limit (-ENOMEM to the caller).
 * The dma-buf's exporter name is the heap that served it.
 */
static struct dma_buf *registry_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	struct registered_heap *cur = dma_heap_get_drvdata(heap), *next;
	unsigned int depth = 1;
	struct dma_buf *dmabuf;

	/*
	 * The heap asked is held in its @walkers as much as the fallback
	 * heaps: its removal waits for the allocation to end, and with it
	 * any use of the heap's protector, whose module may go once the
	 * heap is removed. The caller's reference keeps @cur itself.
	 */
	if (!percpu_ref_tryget_live(&cur->walkers))
		return ERR_PTR(-ENODEV);
	for (;;) {
		/* @heap, not cur->heap: an open may come before that is set. */
		dmabuf = registry_allocate_one(depth > 1 ? cur->heap : heap,
					       cur, len, fd_flags);
		if (depth > 1 && (dmabuf == ERR_PTR(-ENODEV) ||
				  dmabuf == ERR_PTR(-ENOENT))) {
			dmabuf = ERR_PTR(-ENOMEM);
			break;
		}
		if (!IS_ERR(dmabuf) || PTR_ERR(dmabuf) != -ENOMEM ||
		    depth >= DMA_HEAP_MAX_CHAIN)
			break;

		next = next_in_chain(cur);
		if (!next)
			break;
		atomic64_inc(&cur->fallbacks);
		percpu_ref_put(&cur->walkers);
		cur = next;
		depth++;
	}

	percpu_ref_put(&cur->walkers);
	/* The allocating task's memory cgroup is at its limit. */
	if (dmabuf == ERR_PTR(-EDQUOT))
		dmabuf = ERR_PTR(-ENOMEM);
	return dmabuf;
}

static void registered_heap_teardown(struct registered_heap *rh);
static void registered_heap_free(struct registered_heap *rh);

/*
 * The heap's last user is gone (see dma_heap_put()): free the pool and
 * the type's data now, while the type's module is still held, and only
 * then let a declaration waiting for the heap's memory build over it.
 */
static void registry_release(struct dma_heap *heap)
{
	struct registered_heap *rh = dma_heap_get_drvdata(heap);
	bool had_region = rh->region_size;

	registered_heap_teardown(rh);
	spin_lock(&retired_lock);
	list_del(&rh->node);
	spin_unlock(&retired_lock);
	registered_heap_free(rh);
	if (had_region)
		schedule_work(&retry_work);
}

static const struct dma_heap_ops registry_heap_ops = {
	.allocate = registry_allocate,
	.release = registry_release,
};

/* Runs once removal killed @walkers and the last walk left. */
static void walkers_gone(struct percpu_ref *walkers)
{
	struct registered_heap *rh = container_of(walkers, typeof(*rh),
						  walkers);

	complete(&rh->walkers_gone);
}

static struct registered_heap *created_heap(const char *name)
{
	struct registered_heap *rh;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(rh, &created_heaps, node)
		if (!strcmp(rh->name, name))
			return rh;
	return NULL;
}

/*
 * @target, if @rh may fall back to it: a buffer asked of a cached heap
 * must not come out uncached, or the reverse, and protected memory stays
 * with heaps of its protector: neither an unprotected buffer where a
 * protected one was asked for, nor the reverse. The device tree layer
 * refuses such chains already; this holds for every declaration.
 */
static const char *heap_kind(const struct registered_heap *rh)
{
	if (rh->inst.protector)
		return rh->inst.protector->name;
	return rh->inst.uncached ? "uncached" : "cached";
}

static struct registered_heap *fallback_of_kind(struct registered_heap *rh,
						struct registered_heap *target)
{
	if (!target || (target->inst.uncached == rh->inst.uncached &&
			target->inst.protector == rh->inst.protector))
		return target;
	pr_err("dma-heaps: %s: fallback-heap: %s is %s%s and %s is %s%s; not falling back\n",
	       rh->name, rh->name, rh->inst.protector ? "protected by " : "",
	       heap_kind(rh), target->name,
	       target->inst.protector ? "protected by " : "",
	       heap_kind(target));
	return NULL;
}

/* Point every heap that falls back to @name at @target, or at nothing. */
static void link_fallbacks(const char *name, struct registered_heap *target)
{
	struct registered_heap *rh;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(rh, &created_heaps, node)
		if (rh->fallback && !strcmp(rh->fallback, name))
			rcu_assign_pointer(rh->next,
					   fallback_of_kind(rh, target));
}

/*
 * Whether the memory of @desc is still used by buffers of a removed heap
 * of an exclusive type: a second allocator over it would hand out what
 * those buffers hold.
 */
static bool region_in_use(const struct dma_heap_desc *desc)
{
	struct registered_heap *rh;
	bool busy = false;

	spin_lock(&retired_lock);
	list_for_each_entry(rh, &retired_heaps, node)
		if (rh->region_size && desc->base < rh->base + rh->region_size &&
		    rh->base < desc->base + desc->size)
			busy = true;
	spin_unlock(&retired_lock);
	return busy;
}

/*
 * The declaration whose heap, created and of an exclusive type, has memory
 * that @desc overlaps, or NULL. The parser checks the regions of one heaps
 * node; this catches those of two (an SoC's and a board's), and of a
 * driver's dma_heap_declare(). A heap of the same name is left to the
 * core, whose "name is taken" says more, and waits for the name.
 * registry_lock held.
 */
static const struct dma_heap_decl *region_taken(const struct dma_heap_desc *desc)
{
	const struct dma_heap_decl *decl;
	const struct registered_heap *rh;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		rh = decl->rh;
		if (rh && rh->region_size && strcmp(decl->desc.name, desc->name) &&
		    desc->base < rh->base + rh->region_size &&
		    rh->base < desc->base + desc->size)
			return decl;
	}
	return NULL;
}

/* Unlink a created heap; registry_lock held. No allocation starts on it. */
static void unlink_heap(struct registered_heap *rh)
{
	lockdep_assert_held(&registry_lock);
	WRITE_ONCE(rh->removed, true);
	link_fallbacks(rh->name, NULL);
	RCU_INIT_POINTER(rh->next, NULL);
	spin_lock(&retired_lock);
	list_move_tail(&rh->node, &retired_heaps);
	spin_unlock(&retired_lock);
	atomic_inc(&removals);
}

/*
 * Finish removing an unlinked heap, without registry_lock: allocations on
 * it, whether it was asked first or reached on a fallback chain, end
 * first, then the core removes the heap, whose last user frees it.
 */
static void finish_removal(struct registered_heap *rh)
{
	percpu_ref_kill(&rh->walkers);
	wait_for_completion(&rh->walkers_gone);
	/* Frees the name, for a declaration that found it taken: see below. */
	dma_heap_remove(rh->heap);
	if (atomic_dec_and_test(&removals))
		wake_up_all(&removals_done);
}

/* Unlink @decl's heap onto @gone, for finish_removals(); registry_lock held. */
static void retire_heap(struct dma_heap_decl *decl, struct list_head *gone)
{
	unlink_heap(decl->rh);
	list_add_tail(&decl->rh->removal, gone);
	decl->rh = NULL;
}

/* Finish removing the heaps on @gone, and every removal in flight. */
static void finish_removals(struct list_head *gone)
{
	struct registered_heap *rh, *tmp;

	list_for_each_entry_safe(rh, tmp, gone, removal)
		finish_removal(rh);
	wait_event(removals_done, !atomic_read(&removals));
}

/* Sysfs: what the registry knows of each heap it made. */
static struct registered_heap *dev_to_registered(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_registered(dev)->type->name);
}
static DEVICE_ATTR_RO(type);

static ssize_t cached_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", !dev_to_registered(dev)->inst.uncached);
}
static DEVICE_ATTR_RO(cached);

static ssize_t protected_by_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct dma_heap_protector *prot = dev_to_registered(dev)->inst.protector;

	return sysfs_emit(buf, "%s\n", prot ? prot->name : "");
}
static DEVICE_ATTR_RO(protected_by);

static ssize_t size_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_registered(dev)->size);
}
static DEVICE_ATTR_RO(size_bytes);

/* The live buffers of @rh, added up over the CPUs. */
static struct dma_heap_buffer_counts live_buffers(struct registered_heap *rh)
{
	struct dma_heap_buffer_counts sum;

	dma_heap_buffer_stats_read(&rh->stats, &sum);
	return sum;
}

static ssize_t used_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  live_buffers(dev_to_registered(dev)).bytes);
}
static DEVICE_ATTR_RO(used_bytes);

static ssize_t buffers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  live_buffers(dev_to_registered(dev)).buffers);
}
static DEVICE_ATTR_RO(buffers);

static ssize_t fallback_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_registered(dev)->fallback ?: "");
}
static DEVICE_ATTR_RO(fallback);

static ssize_t fallback_count_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&dev_to_registered(dev)->fallbacks));
}
static DEVICE_ATTR_RO(fallback_count);

static struct attribute *registered_heap_attrs[] = {
	&dev_attr_type.attr,
	&dev_attr_cached.attr,
	&dev_attr_protected_by.attr,
	&dev_attr_size_bytes.attr,
	&dev_attr_used_bytes.attr,
	&dev_attr_buffers.attr,
	&dev_attr_fallback.attr,
	&dev_attr_fallback_count.attr,
	NULL
};

static const struct attribute_group registered_heap_group = {
	.attrs = registered_heap_attrs,
};

/* Pool figures: only a heap declared with a pool size has these files. */
static ssize_t pool_show(struct device *dev, char *buf, size_t offset)
{
	struct dma_heap_pool_stats stats;

	dma_heap_pool_get_stats(dev_to_registered(dev)->inst.pool, &stats);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&stats + offset));
}

#define POOL_ATTR(_name, _field)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return pool_show(dev, buf,					\
			 offsetof(struct dma_heap_pool_stats, _field));	\
}									\
static DEVICE_ATTR_RO(_name)

POOL_ATTR(pool_bytes, pooled_bytes);
POOL_ATTR(zeroing_bytes, zeroing_bytes);
POOL_ATTR(pool_hits, hits);
POOL_ATTR(pool_misses, misses);
POOL_ATTR(pool_dirty_bytes, dirty_bytes);
POOL_ATTR(pool_zero_wakeups, zero_wakeups);

static struct attribute *pool_attrs[] = {
	&dev_attr_pool_bytes.attr,
	&dev_attr_zeroing_bytes.attr,
	&dev_attr_pool_hits.attr,
	&dev_attr_pool_misses.attr,
	&dev_attr_pool_dirty_bytes.attr,
	&dev_attr_pool_zero_wakeups.attr,
	NULL
};

static umode_t pool_visible(struct kobject *kobj, struct attribute *attr,
			    int n)
{
	return dev_to_registered(kobj_to_dev(kobj))->pooled ? attr->mode : 0;
}

static const struct attribute_group pool_group = {
	.attrs = pool_attrs,
	.is_visible = pool_visible,
};

static const struct attribute_group *registered_heap_groups[] = {
	&registered_heap_group,
	&pool_group,
	NULL
};

/**
 * dma_heap_fallback_count - allocations a heap passed to its fallback
 * @heap: the heap
 *
 * Return: how many allocations ran out of memory on @heap and were tried
 * on its fallback heap since @heap was created (0 for a heap the registry
 * did not make); a heap created again starts from 0.
 */
u64 dma_heap_fallback_count(struct dma_heap *heap)
{
	struct registered_heap *rh = to_registered(heap);

	return rh ? atomic64_read(&rh->fallbacks) : 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_fallback_count, DMA_BUF);

/* For tests: the live-buffer counts and the pool of a heap. */
u64 dma_heap_used_bytes(struct dma_heap *heap)
{
	struct registered_heap *rh = to_registered(heap);

	return rh ? live_buffers(rh).bytes : 0;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_used_bytes);

u64 dma_heap_buffer_count(struct dma_heap *heap)
{
	struct registered_heap *rh = to_registered(heap);

	return rh ? live_buffers(rh).buffers : 0;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_buffer_count);

struct dma_heap_pool *dma_heap_get_pool(struct dma_heap *heap)
{
	struct registered_heap *rh = to_registered(heap);

	return rh && rh->pooled ? rh->inst.pool : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_get_pool);

static struct registered_heap *registered_heap_alloc(struct dma_heap_decl *decl,
						     const struct dma_heap_type *type,
						     struct dma_heap_protector *prot)
{
	const struct dma_heap_desc *desc = &decl->desc;
	struct registered_heap *rh = kzalloc(sizeof(*rh), GFP_KERNEL);

	if (!rh)
		return NULL;
	rh->type = type;
	rh->name = kstrdup_const(desc->name, GFP_KERNEL);
	rh->fallback = desc->fallback ? kstrdup_const(desc->fallback,
						      GFP_KERNEL) : NULL;
	if (type->exclusive) {
		rh->base = desc->base;
		rh->region_size = desc->size;
	}
	rh->size = desc->size;
	rh->pooled = desc->pool_size;
	rh->inst.uncached = desc->uncached ||
			    type->caching == DMA_HEAP_UNCACHED_ONLY;
	rh->inst.protector = prot;
	rh->inst.stats = &rh->stats;
	/* The CPU never caches a protected heap's memory. */
	if (prot)
		rh->inst.uncached = true;
	init_completion(&rh->walkers_gone);
	INIT_LIST_HEAD(&rh->node);
	if (!rh->name || (desc->fallback && !rh->fallback) ||
	    dma_heap_buffer_stats_init(&rh->stats, type->exclusive))
		goto err;
	if (percpu_ref_init(&rh->walkers, walkers_gone, 0, GFP_KERNEL)) {
		dma_heap_buffer_stats_exit(&rh->stats);
		goto err;
	}
	return rh;

err:
	kfree_const(rh->fallback);
	kfree_const(rh->name);
	kfree(rh);
	return NULL;
}

/* Give back the pool and the type's data: all that calls the type. */
static void registered_heap_teardown(struct registered_heap *rh)
{
	if (rh->inst.pool)
		dma_heap_pool_destroy(rh->inst.pool);
	rh->inst.pool = NULL;
	if (rh->type->destroy && !IS_ERR(rh->inst.priv))
		rh->type->destroy(rh->inst.priv);
	rh->inst.priv = ERR_PTR(-ENODEV);
}

static void registered_heap_free(struct registered_heap *rh)
{
	registered_heap_teardown(rh);
	percpu_ref_exit(&rh->walkers);
	dma_heap_buffer_stats_exit(&rh->stats);
	kfree_const(rh->fallback);
	kfree_const(rh->name);
	kfree(rh);
}

/* The pool the type declares, sized by the declaration; 0 passes through. */
static int create_pool(struct registered_heap *rh,
		       const struct dma_heap_desc *desc)
{
	const struct dma_heap_type *type = rh->type;
	unsigned int orders[DMA_HEAP_POOL_MAX_ORDERS], n;
	struct dma_heap_pool *pool;

	if (!type->pool_ops) {
		if (desc->pool_size)
			pr_notice("dma-heaps: %s: pool-size: %s heaps keep no pool; ignored\n",
				  desc->origin, type->name);
		rh->pooled = false;
		return 0;
	}

	n = type->pool_orders(rh->inst.priv, orders);
	pool = dma_heap_pool_create(orders, n, desc->pool_size,
				    type->pool_ops, rh->inst.priv,
				    rh->inst.uncached);
	if (IS_ERR(pool)) {
		dma_heap_desc_err(desc, "pool-size", "cannot create the pool: %pe",
				  pool);
		return PTR_ERR(pool);
	}
	rh->inst.pool = pool;
	dma_heap_pool_prefill(pool, desc->pool_prefill);
	return 0;
}

static struct dma_heap_protector *dma_heap_protector_find(const char *name)
{
	struct dma_heap_protector *prot;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(prot, &dma_heap_protectors, list)
		if (!strcmp(prot->name, name))
			return prot;
	return NULL;
}

/*
 * Whether a heap of @type declared by @desc can be created now, as far as
 * protection goes: false when its protector is not registered yet (the
 * declaration waits for it) or cannot serve it (refused, with a line
 * naming the node); @prot is then the heap's protector, or NULL.
 */
static bool protector_fits(const struct dma_heap_desc *desc,
			   const struct dma_heap_type *type,
			   struct dma_heap_protector **prot)
{
	*prot = NULL;
	if (!desc->protected_by)
		return true;
	*prot = dma_heap_protector_find(desc->protected_by);
	if (!*prot)
		return false;
	if (!type->protectable)
		dma_heap_desc_err(desc, "protected-by",
				  "%s heaps cannot be protected", type->name);
	else if (type->caching == DMA_HEAP_CACHED_ONLY && !desc->no_map)
		dma_heap_desc_err(desc, "protected-by",
				  "%s heaps make cached buffers only, and the CPU must not cache protected memory",
				  type->name);
	else if ((*prot)->no_map_only && !desc->no_map)
		dma_heap_desc_err(desc, "protected-by",
				  "%s protects no-map regions only",
				  (*prot)->name);
	else if ((*prot)->mapped_only && desc->no_map)
		dma_heap_desc_err(desc, "protected-by",
				  "%s protects memory in the kernel's linear map only, and the region is no-map",
				  (*prot)->name);
	else if (desc->pool_size)
		dma_heap_desc_err(desc, "pool-size",
				  "a protected heap keeps no pool: its memory goes back cleared when freed");
	else
		return true;
	return false;
}

static void dma_heap_decl_create(struct dma_heap_decl *decl,
				 const struct dma_heap_type *type)
{
	const struct dma_heap_desc *desc = &decl->desc;
	const struct dma_heap_decl *other;
	struct dma_heap_protector *prot;
	struct dma_heap_export_info info = {
		.name = desc->name,
		.ops = &registry_heap_ops,
		.owner = type->owner,
		.groups = registered_heap_groups,
	};
	struct registered_heap *rh;
	struct dma_heap *heap;

	lockdep_assert_held(&registry_lock);
	if (!protector_fits(desc, type, &prot))
		return;
	/*
	 * A no-map region is uncached by nature, whatever its type says:
	 * only a declaration that asks for it is refused.
	 */
	if (desc->uncached && !desc->no_map &&
	    type->caching == DMA_HEAP_CACHED_ONLY) {
		dma_heap_desc_err(desc, "dma-noncoherent",
				  "%s heaps cannot make uncached buffers",
				  type->name);
		return;
	}
	decl->waiting = type->exclusive && desc->size && region_in_use(desc);
	if (decl->waiting) {
		pr_notice("dma-heaps: %s: memory-region: still used by buffers of a removed heap; the heap appears once they are freed\n",
			  desc->origin);
		return;
	}
	other = type->exclusive && desc->size ? region_taken(desc) : NULL;
	if (other) {
		dma_heap_desc_err(desc, "memory-region",
				  "overlaps the region of %s",
				  other->desc.origin);
		return;
	}

	rh = registered_heap_alloc(decl, type, prot);
	if (!rh) {
		dma_heap_desc_err(desc, NULL, "out of memory");
		return;
	}
	rh->inst.priv = type->create(desc);
	if (IS_ERR(rh->inst.priv) || create_pool(rh, desc)) {
		registered_heap_free(rh);
		return;
	}
	if (type->size)
		rh->size = type->size(rh->inst.priv);

	info.priv = rh;
	heap = dma_heap_add(&info);
	if (IS_ERR(heap)) {
		/*
		 * A heap going away may still hold the name, or a minor: try
		 * again when one goes (see dma_heap_name_freed()).
		 */
		decl->waiting = heap == ERR_PTR(-EEXIST) ||
				heap == ERR_PTR(-ENOSPC);
		if (heap == ERR_PTR(-EEXIST))
			dma_heap_desc_err(desc, NULL, "heap name %s is taken",
					  desc->name);
		else
			dma_heap_desc_err(desc, NULL, "cannot register heap: %pe",
					  heap);
		registered_heap_free(rh);
		return;
	}
	rh->heap = heap;
	list_add_tail(&rh->node, &created_heaps);
	/* Chains through this heap work whichever heap came up first. */
	if (rh->fallback)
		rcu_assign_pointer(rh->next,
				   fallback_of_kind(rh, created_heap(rh->fallback)));
	link_fallbacks(rh->name, rh);
	decl->rh = rh;
}

static void dma_heap_decl_free(struct dma_heap_decl *decl)
{
	kfree_const(decl->desc.name);
	kfree_const(decl->desc.compatible);
	kfree_const(decl->desc.origin);
	kfree_const(decl->desc.fallback);
	kfree_const(decl->desc.protected_by);
	fwnode_handle_put(decl->desc.node);
	kfree(decl);
}

static struct dma_heap_decl *dma_heap_decl_alloc(const struct dma_heap_desc *desc)
{
	struct dma_heap_decl *decl = kzalloc(sizeof(*decl), GFP_KERNEL);

	if (!decl)
		return NULL;

	decl->desc = *desc;
	decl->desc.name = kstrdup_const(desc->name, GFP_KERNEL);
	decl->desc.compatible = kstrdup_const(desc->compatible, GFP_KERNEL);
	decl->desc.origin = kstrdup_const(desc->origin ?: desc->name,
					  GFP_KERNEL);
	decl->desc.fallback = desc->fallback ?
			      kstrdup_const(desc->fallback, GFP_KERNEL) : NULL;
	decl->desc.protected_by = desc->protected_by ?
				  kstrdup_const(desc->protected_by, GFP_KERNEL) :
				  NULL;
	decl->desc.node = fwnode_handle_get(desc->node);
	if (!decl->desc.name || !decl->desc.compatible || !decl->desc.origin ||
	    (desc->fallback && !decl->desc.fallback) ||
	    (desc->protected_by && !decl->desc.protected_by)) {
		dma_heap_decl_free(decl);
		return NULL;
	}
	return decl;
}

static struct dma_heap_type *dma_heap_type_find(const char *compatible)
{
	struct dma_heap_type *type;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(type, &dma_heap_types, list)
		if (!strcmp(type->compatible, compatible))
			return type;
	return NULL;
}

/**
 * dma_heap_declare - declare a heap, to be created when its type exists
 * @desc: what the heap is; copied, so it may be freed after the call
 *
 * If the type is registered the heap is created now, else when the type
 * registers. A heap its type refuses, or whose name the core refuses (see
 * dma_heap_name_valid(); the core is the one registry of names), stays
 * declared but absent, with a log line. A heap of an exclusive type over
 * memory that buffers of a removed heap still use is created once they
 * are freed.
 *
 * Return: 0, -EINVAL without a name or compatible, -ENOMEM.
 */
int dma_heap_declare(const struct dma_heap_desc *desc)
{
	struct dma_heap_type *type;
	struct dma_heap_decl *decl;

	if (!desc->name || !desc->compatible)
		return -EINVAL;

	decl = dma_heap_decl_alloc(desc);
	if (!decl)
		return -ENOMEM;

	mutex_lock(&registry_lock);
	list_add_tail(&decl->list, &dma_heap_decls);
	type = dma_heap_type_find(desc->compatible);
	if (type)
		dma_heap_decl_create(decl, type);
	mutex_unlock(&registry_lock);

	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_declare, DMA_BUF);

/**
 * dma_heap_undeclare - withdraw declarations and remove their heaps
 * @name: the heaps' name
 *
 * Every declaration of that name goes. Allocations passing through the
 * heaps on fallback chains finish first; buffers still alive keep their
 * heap's memory until freed.
 */
void dma_heap_undeclare(const char *name)
{
	struct dma_heap_decl *decl, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&registry_lock);
	list_for_each_entry_safe(decl, tmp, &dma_heap_decls, list) {
		if (strcmp(decl->desc.name, name))
			continue;
		list_move(&decl->list, &gone);
		if (decl->rh)
			unlink_heap(decl->rh);
	}
	mutex_unlock(&registry_lock);

	list_for_each_entry_safe(decl, tmp, &gone, list) {
		if (decl->rh)
			finish_removal(decl->rh);
		dma_heap_decl_free(decl);
	}
}
EXPORT_SYMBOL_NS_GPL(dma_heap_undeclare, DMA_BUF);

/*
 * Create the heap of every declaration of @type that has none and is not
 * waiting for a removed heap's memory; registry_lock held.
 */
static void create_missing_heaps(const struct dma_heap_type *type)
{
	struct dma_heap_decl *decl;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list)
		if (!decl->rh && !decl->waiting &&
		    !strcmp(decl->desc.compatible, type->compatible))
			dma_heap_decl_create(decl, type);
}

/**
 * dma_heap_withdraw - remove a heap whose memory went away
 * @type:	the heap's type
 * @priv:	what @type's create op returned for the heap
 *
 * For a type whose memory belongs to a device that can go away, as the
 * SRAM heap's SRAM does when its driver is unbound: the heap disappears
 * as if its type had unregistered. Allocations passing through it on a
 * fallback chain finish first; buffers still alive keep its memory, and
 * the type's destroy op runs after the last of them. The declaration
 * stays, so the heap comes back when the type registers again.
 *
 * Return: true if the heap was there to remove, false if it was gone
 * already (its type is unregistering, or it was withdrawn before).
 */
bool dma_heap_withdraw(const struct dma_heap_type *type, void *priv)
{
	struct registered_heap *rh = NULL;
	struct dma_heap_decl *decl;

	mutex_lock(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (!decl->rh || decl->rh->type != type ||
		    decl->rh->inst.priv != priv)
			continue;
		rh = decl->rh;
		unlink_heap(rh);
		decl->rh = NULL;
		break;
	}
	mutex_unlock(&registry_lock);

	if (rh)
		finish_removal(rh);
	return rh;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_withdraw, DMA_BUF);

/**
 * dma_heap_type_rescan - try the declarations of a type without a heap
 * @type:	the type
 *
 * For a type whose memory comes and goes with a device: when the device
 * is there again (its driver bound, after a heap was refused or
 * withdrawn), every declaration of @type that has no heap is created
 * once more, as when the type registered. Nothing happens if @type is not
 * registered. The caller must not hold a lock that @type's create takes.
 */
void dma_heap_type_rescan(const struct dma_heap_type *type)
{
	mutex_lock(&registry_lock);
	if (dma_heap_type_find(type->compatible) == type)
		create_missing_heaps(type);
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_type_rescan, DMA_BUF);

/*
 * Whether what @decl waits for is still in its way: its name in use, or
 * its memory in buffers of a removed heap. Then it is not tried again,
 * and logs nothing again. registry_lock held.
 */
static bool decl_still_waits(const struct dma_heap_decl *decl)
{
	return dma_heap_name_in_use(decl->desc.name) ||
	       (decl->desc.size && region_in_use(&decl->desc));
}

/*
 * Declarations that waited for a removed heap's memory, or for their
 * name: try again.
 */
static void dma_heap_retry_waiting(struct work_struct *work)
{
	struct dma_heap_type *type;
	struct dma_heap_decl *decl;

	mutex_lock(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (!decl->waiting || decl_still_waits(decl))
			continue;
		type = dma_heap_type_find(decl->desc.compatible);
		if (type)
			dma_heap_decl_create(decl, type);
	}
	mutex_unlock(&registry_lock);
}

/*
 * A heap's name is free (dma_heap_remove(), of any heap: the registry's
 * own, or one a driver registered with dma_heap_add()).
 */
static int dma_heap_name_freed(struct notifier_block *nb, unsigned long action,
			       void *heap)
{
	schedule_work(&retry_work);
	return NOTIFY_OK;
}

static struct notifier_block name_freed_nb = {
	.notifier_call = dma_heap_name_freed,
};

static int __init dma_heap_registry_init(void)
{
	return dma_heap_name_notifier_register(&name_freed_nb);
}
subsys_initcall(dma_heap_registry_init);

/* Wait for the registry's background work (for tests). */
void dma_heap_registry_flush(void)
{
	flush_work(&retry_work);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_registry_flush);

/**
 * dma_heap_type_register - make a heap type available
 * @type: the type; it must stay valid until dma_heap_type_unregister()
 *
 * Creates every declared heap of this type at once.
 *
 * Return: 0, -EINVAL for an incomplete type, -EEXIST if a type with the
 * same compatible is registered.
 */
int dma_heap_type_register(struct dma_heap_type *type)
{
	if (!type->name || !type->compatible || !type->create ||
	    !type->allocate || (type->pool_ops && !type->pool_orders))
		return -EINVAL;

	mutex_lock(&registry_lock);
	if (dma_heap_type_find(type->compatible)) {
		mutex_unlock(&registry_lock);
		pr_err("dma-heaps: heap type %s is registered already\n",
		       type->compatible);
		return -EEXIST;
	}
	list_add_tail(&type->list, &dma_heap_types);
	create_missing_heaps(type);
	mutex_unlock(&registry_lock);

	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_type_register, DMA_BUF);

/**
 * dma_heap_type_unregister - withdraw a heap type and remove its heaps
 * @type: a registered type
 *
 * The declarations stay, so the heaps come back if the type registers
 * again. Buffers still alive keep their heap's memory until freed.
 */
void dma_heap_type_unregister(struct dma_heap_type *type)
{
	struct dma_heap_decl *decl;
	LIST_HEAD(gone);

	mutex_lock(&registry_lock);
	list_del(&type->list);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (strcmp(decl->desc.compatible, type->compatible))
			continue;
		decl->waiting = false;
		if (decl->rh)
			retire_heap(decl, &gone);
	}
	mutex_unlock(&registry_lock);

	finish_removals(&gone);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_type_unregister, DMA_BUF);

/* For tests: is a protector of that name registered? */
bool dma_heap_protector_registered(const char *name)
{
	bool found;

	mutex_lock(&registry_lock);
	found = dma_heap_protector_find(name);
	mutex_unlock(&registry_lock);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_protector_registered);

/**
 * dma_heap_protector_register - make a protector available to heaps
 * @prot: the protector; it must stay valid until
 *	  dma_heap_protector_unregister()
 *
 * Creates every declared heap that names it and whose type is
 * registered.
 *
 * Return: 0, -EINVAL for an incomplete or contradictory protector (one
 * whose memory stays protected must protect no-map memory only), -EEXIST
 * if one of the same name is registered.
 */
int dma_heap_protector_register(struct dma_heap_protector *prot)
{
	struct dma_heap_type *type;
	struct dma_heap_decl *decl;

	if (!prot->name || !prot->protect || !prot->unprotect ||
	    (prot->no_map_only && prot->mapped_only) ||
	    (prot->stays_protected && !prot->no_map_only))
		return -EINVAL;

	mutex_lock(&registry_lock);
	if (dma_heap_protector_find(prot->name)) {
		mutex_unlock(&registry_lock);
		pr_err("dma-heaps: protector %s is registered already\n",
		       prot->name);
		return -EEXIST;
	}
	list_add_tail(&prot->list, &dma_heap_protectors);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (decl->rh || !decl->desc.protected_by ||
		    strcmp(decl->desc.protected_by, prot->name))
			continue;
		type = dma_heap_type_find(decl->desc.compatible);
		if (type)
			dma_heap_decl_create(decl, type);
	}
	mutex_unlock(&registry_lock);

	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_protector_register, DMA_BUF);

/**
 * dma_heap_protector_unregister - withdraw a protector and its heaps
 * @prot: a registered protector
 *
 * Its heaps are removed; their declarations stay, so the heaps come back
 * if it registers again. Buffers still alive keep their memory protected
 * until freed, and keep the protector's module loaded until then.
 */
void dma_heap_protector_unregister(struct dma_heap_protector *prot)
{
	struct dma_heap_decl *decl;
	LIST_HEAD(gone);

	mutex_lock(&registry_lock);
	list_del(&prot->list);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (!decl->rh || decl->rh->inst.protector != prot)
			continue;
		retire_heap(decl, &gone);
	}
	mutex_unlock(&registry_lock);

	finish_removals(&gone);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_protector_unregister, DMA_BUF);

/* Heaps declared for types that never came: say so once boot is over. */
static int __init dma_heap_report_missing_types(void)
{
	struct dma_heap_decl *decl;

	mutex_lock(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (decl->rh)
			continue;
		if (!dma_heap_type_find(decl->desc.compatible))
			pr_warn("dma-heaps: %s: compatible: no heap type %s registered (yet); the heap appears if a module provides it\n",
				decl->desc.origin, decl->desc.compatible);
		else if (decl->desc.protected_by &&
			 !dma_heap_protector_find(decl->desc.protected_by))
			pr_warn("dma-heaps: %s: protected-by: no protector %s registered (yet); the heap appears if a module provides it\n",
				decl->desc.origin, decl->desc.protected_by);
	}
	mutex_unlock(&registry_lock);
	return 0;
}
late_initcall_sync(dma_heap_report_missing_types);
