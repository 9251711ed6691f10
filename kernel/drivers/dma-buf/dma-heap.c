// SPDX-License-Identifier: GPL-2.0
/*
 * DMA-BUF heaps core: one character device per heap and its ALLOC ioctl.
 *
 * This file owns the heap objects: their names, their char devices at
 * /dev/dma_heap/<name>, their sysfs attributes, their lifetime, and the
 * userspace ABI of <uapi/linux/dma-heap.h>. It knows nothing about where
 * memory comes from (heap types do that) nor how a dma-buf behaves once
 * exported (heaps/heap-buffer.c does that).
 *
 * Lifetime: a heap is a struct device. Its reference count is held by the
 * registry while the heap is registered, by each open file of its char
 * device, by each live buffer it exported and by each in-kernel user that
 * found it with dma_heap_find(). dma_heap_remove() takes the heap out of
 * the registry and off /dev; the memory goes when the last reference does.
 *
 * Copyright (C) 2011 Google, Inc.
 * Copyright (C) 2019 Linaro Ltd.
 */

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>
#include <uapi/linux/dma-heap.h>

#include "heaps/heap-internal.h"

#define DEVNAME "dma_heap"

#define NUM_HEAP_MINORS 128

/* Heap names become file names under /dev/dma_heap/ and sysfs. */
#define DMA_HEAP_NAME_MAX 64

/**
 * struct dma_heap - a heap instance, exposed as /dev/dma_heap/<name>
 * @name:	heap name; user ABI
 * @type_name:	name of the heap type, for sysfs
 * @ops:	the heap's ops
 * @priv:	the heap's private data
 * @size:	bytes of the region behind the heap, 0 if it has none
 * @fallback:	name of the heap to try when this one is out of memory
 * @fallback_heap: the registered heap named @fallback, or NULL; set and
 *		cleared under heap_list_lock, read under RCU
 * @owner:	module providing @ops
 * @pool:	the heap's page pool, or NULL
 * @exclusive:	only the release of one of its buffers makes room in the
 *		heap (see dma_heap_known_full())
 * @releases:	buffers of an exclusive heap released so far, and
 *		dma_heap_forget_full() calls
 * @full:	for an exclusive heap, the smallest request that failed for
 *		lack of memory and the @releases it failed at, or 0
 * @walkers:	allocations passing through the heap on a fallback chain
 * @walkers_gone: completed once @walkers was killed and has drained
 * @dev:	the heap's device; its refcount is the heap's
 * @cdev:	the heap's char device
 * @list:	entry in heap_list, under heap_list_lock
 * @removed:	set once dma_heap_remove() ran; no new allocations then
 * @used_bytes:	bytes in buffers this heap exported that are still alive
 * @buffers:	number of those buffers
 * @fallbacks:	allocations this heap passed on to its fallback
 */
struct dma_heap {
	const char *name;
	const char *type_name;
	const struct dma_heap_ops *ops;
	void *priv;
	u64 size;
	const char *fallback;
	struct dma_heap __rcu *fallback_heap;
	struct module *owner;
	struct dma_heap_pool *pool;
	bool exclusive;
	atomic64_t releases;
	atomic64_t full;
	struct percpu_ref walkers;
	struct completion walkers_gone;
	struct device dev;
	struct cdev cdev;
	struct list_head list;
	bool removed;
	atomic64_t used_bytes;
	atomic64_t buffers;
	atomic64_t fallbacks;
};

/*
 * heap_list_lock protects heap_list and the fallback_heap links, and
 * serializes registration.
 */
static LIST_HEAD(heap_list);
static DEFINE_MUTEX(heap_list_lock);
static dev_t dma_heap_devt;
static DEFINE_XARRAY_ALLOC(dma_heap_minors);

static struct dma_heap *dma_heap_find_locked(const char *name);

/*
 * A heap reference also pins the module that provides the heap's ops, so
 * that the ops are there when the reference is dropped.
 */
static bool dma_heap_get(struct dma_heap *heap)
{
	if (!try_module_get(heap->owner))
		return false;
	get_device(&heap->dev);
	return true;
}

static void dma_heap_put_ref(struct dma_heap *heap)
{
	struct module *owner = heap->owner;

	put_device(&heap->dev);
	module_put(owner);
}

static char *dma_heap_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dma_heap/%s", dev_name(dev));
}

static const struct class dma_heap_class = {
	.name = DEVNAME,
	.devnode = dma_heap_devnode,
};

static struct dma_heap *dev_to_heap(struct device *dev)
{
	return container_of(dev, struct dma_heap, dev);
}

/*
 * An exclusive heap (a carveout) gets memory back only when one of its
 * own buffers is released. A request that failed for lack of
 * memory therefore fails again, and so does any larger one, until the
 * next release (or dma_heap_forget_full(), when the heap type knows
 * better): the heap is not asked again meanwhile. A full carveout
 * then costs the allocations it passes to its fallback heap nothing, and
 * a fragmented one is not searched again for a range it does not have.
 *
 * @full packs the failed request's pages (low bits) with the count of
 * releases it failed at (high bits). The count is read before the heap is
 * asked and bumped after a release gave the memory back, so a release
 * the attempt may have missed always makes the mark stale.
 */
#define DMA_HEAP_FULL_PAGE_BITS	24
#define DMA_HEAP_FULL_PAGES	GENMASK_ULL(DMA_HEAP_FULL_PAGE_BITS - 1, 0)

static u64 dma_heap_full_mark(u64 releases, size_t len)
{
	return releases << DMA_HEAP_FULL_PAGE_BITS | len >> PAGE_SHIFT;
}

static bool dma_heap_known_full(struct dma_heap *heap, u64 releases,
				size_t len)
{
	u64 full = atomic64_read(&heap->full);
	u64 mark = dma_heap_full_mark(releases, len);

	/* A request of at most @len failed at this count of releases. */
	return (full >> DMA_HEAP_FULL_PAGE_BITS) ==
	       (mark >> DMA_HEAP_FULL_PAGE_BITS) &&
	       (full & DMA_HEAP_FULL_PAGES) &&
	       (full & DMA_HEAP_FULL_PAGES) <= (mark & DMA_HEAP_FULL_PAGES);
}

static void dma_heap_note_full(struct dma_heap *heap, u64 releases,
			       size_t len)
{
	/*
	 * Larger requests are not remembered; they are rare. Nor is a
	 * failure during which the count moved on: the heap may have room
	 * again, or said it was not full, and a request that read the
	 * count before must not be turned away on this mark.
	 */
	if (len >> PAGE_SHIFT > DMA_HEAP_FULL_PAGES ||
	    atomic64_read(&heap->releases) != releases ||
	    dma_heap_known_full(heap, releases, len))
		return;
	atomic64_set(&heap->full, dma_heap_full_mark(releases, len));
}

static struct dma_buf *dma_heap_allocate_one(struct dma_heap *heap,
					     size_t len, u32 fd_flags,
					     u64 heap_flags)
{
	struct dma_buf *dmabuf;
	u64 releases;

	if (READ_ONCE(heap->removed))
		return ERR_PTR(-ENODEV);
	if (!heap->exclusive)
		return heap->ops->allocate(heap, len, fd_flags, heap_flags);

	releases = atomic64_read_acquire(&heap->releases);
	if (dma_heap_known_full(heap, releases, len))
		return ERR_PTR(-ENOMEM);
	dmabuf = heap->ops->allocate(heap, len, fd_flags, heap_flags);
	if (dmabuf == ERR_PTR(-ENOMEM))
		dma_heap_note_full(heap, releases, len);
	return dmabuf;
}

/*
 * The next heap of a fallback chain, held in its @walkers; NULL at the
 * end of the chain or when the fallback heap is not there (not created
 * yet, disabled, or being removed).
 *
 * This is the allocation path of every heap that is full, taken by many
 * CPUs at once: the link is followed without a lock or a name lookup, and
 * the heap is held by a per-CPU count rather than its device's shared
 * refcount. dma_heap_remove() unlinks the heap, kills @walkers and waits
 * for it to drain before it drops the heap; the kill takes effect only
 * after a grace period, so a heap read here under RCU is still there.
 */
static struct dma_heap *dma_heap_next_in_chain(struct dma_heap *heap)
{
	struct dma_heap *next;

	rcu_read_lock();
	next = rcu_dereference(heap->fallback_heap);
	if (next && !percpu_ref_tryget_live_rcu(&next->walkers))
		next = NULL;
	rcu_read_unlock();

	return next;
}

/**
 * dma_heap_buffer_alloc - allocate a dma-buf from a heap
 * @heap:	heap to allocate from
 * @len:	size in bytes; rounded up to whole pages
 * @fd_flags:	flags for the dma-buf's file (DMA_HEAP_VALID_FD_FLAGS)
 * @heap_flags:	heap flags; none are defined, must be 0
 *
 * The same checks as the ALLOC ioctl apply, so a driver and a process get
 * the same answer for the same request. When @heap is out of memory the
 * allocation is tried on its fallback heap, and on along the chain, at
 * most DMA_HEAP_MAX_CHAIN heaps in all. A fallback heap that fails with
 * -ENODEV or -ENOENT (it is being removed, or its module unloaded) ends
 * the chain with -ENOMEM; other errors are final. The dma-buf's exporter
 * name is the heap that served it.
 *
 * Return: the new dma-buf, or an ERR_PTR(): -EINVAL for bad arguments,
 * -ENODEV if the heap was removed, -ENOMEM when memory ran out, -EINTR
 * when the caller was killed while a large buffer was being gathered;
 * any other error of the heap type or of dma_buf_export() as it is.
 */
struct dma_buf *dma_heap_buffer_alloc(struct dma_heap *heap, size_t len,
				      u32 fd_flags, u64 heap_flags)
{
	size_t aligned_len = PAGE_ALIGN(len);
	struct dma_heap *cur = heap, *next;
	struct dma_buf *dmabuf;
	unsigned int depth = 1;
	/* Whether @cur is held by this walk; a loop may lead back to @heap. */
	bool held = false;

	if (fd_flags & ~DMA_HEAP_VALID_FD_FLAGS)
		return ERR_PTR(-EINVAL);

	if (heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return ERR_PTR(-EINVAL);

	/* PAGE_ALIGN() of a length near SIZE_MAX wraps to 0. */
	if (!aligned_len)
		return ERR_PTR(-EINVAL);

	for (;;) {
		dmabuf = dma_heap_allocate_one(cur, aligned_len, fd_flags,
					       heap_flags);
		/*
		 * A fallback heap going away (removed, or its module being
		 * unloaded) ends the chain: the heap asked was full.
		 */
		if (held && (dmabuf == ERR_PTR(-ENODEV) ||
			     dmabuf == ERR_PTR(-ENOENT))) {
			dmabuf = ERR_PTR(-ENOMEM);
			break;
		}
		if (!IS_ERR(dmabuf) || PTR_ERR(dmabuf) != -ENOMEM ||
		    depth >= DMA_HEAP_MAX_CHAIN)
			break;

		next = dma_heap_next_in_chain(cur);
		if (!next)
			break;
		atomic64_inc(&cur->fallbacks);
		if (held)
			percpu_ref_put(&cur->walkers);
		cur = next;
		held = true;
		depth++;
	}

	if (held)
		percpu_ref_put(&cur->walkers);
	return dmabuf;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_alloc, DMA_BUF);

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

/**
 * dma_heap_fallback_count - allocations a heap passed to its fallback
 * @heap: the heap
 *
 * Return: how many allocations ran out of memory on @heap and were tried
 * on its fallback heap since @heap was created; a heap created again
 * (its type's module reloaded) starts from 0.
 */
u64 dma_heap_fallback_count(struct dma_heap *heap)
{
	return atomic64_read(&heap->fallbacks);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_fallback_count, DMA_BUF);

static int dma_heap_open(struct inode *inode, struct file *file)
{
	struct dma_heap *heap = container_of(inode->i_cdev, struct dma_heap,
					     cdev);

	if (!dma_heap_get(heap))
		return -ENODEV;
	file->private_data = heap;

	return nonseekable_open(inode, file);
}

static int dma_heap_release_file(struct inode *inode, struct file *file)
{
	struct dma_heap *heap = file->private_data;

	dma_heap_put_ref(heap);
	return 0;
}

/*
 * The size of the user's argument is taken from the ioctl number, as in
 * mainline: a binary built against an older (shorter) or newer (longer)
 * struct dma_heap_allocation_data keeps working. Missing fields read as
 * zero, extra fields are ignored and left untouched.
 */
static long dma_heap_ioctl_alloc(struct dma_heap *heap, unsigned int cmd,
				 void __user *uarg)
{
	struct dma_heap_allocation_data data = {};
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize = min(usize, sizeof(data));
	struct dma_buf *dmabuf;
	int fd;

	/*
	 * Without both directions, or without room for @fd, the caller
	 * could never learn the descriptor: refuse instead of leaking it.
	 */
	if (!(_IOC_DIR(cmd) & _IOC_READ) || !(_IOC_DIR(cmd) & _IOC_WRITE) ||
	    usize < offsetofend(struct dma_heap_allocation_data, fd))
		return -EINVAL;

	if (copy_from_user(&data, uarg, ksize))
		return -EFAULT;

	if (data.fd)
		return -EINVAL;

	/* A length size_t cannot hold must not be cut down to one it can. */
	if (data.len != (size_t)data.len)
		return -EINVAL;

	dmabuf = dma_heap_buffer_alloc(heap, data.len, data.fd_flags,
				       data.heap_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = get_unused_fd_flags(data.fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}

	data.fd = fd;
	if (copy_to_user(uarg, &data, ksize)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}

	fd_install(fd, dmabuf->file);
	return 0;
}

static long dma_heap_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct dma_heap *heap = file->private_data;

	if (_IOC_TYPE(cmd) != DMA_HEAP_IOC_MAGIC)
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(DMA_HEAP_IOCTL_ALLOC):
		return dma_heap_ioctl_alloc(heap, cmd, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dma_heap_fops = {
	.owner		= THIS_MODULE,
	.open		= dma_heap_open,
	.release	= dma_heap_release_file,
	.unlocked_ioctl	= dma_heap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/**
 * dma_heap_get_drvdata - get per-heap driver data
 * @heap: DMA-Heap to retrieve private data for
 *
 * Return: the per-heap data for the heap.
 */
void *dma_heap_get_drvdata(struct dma_heap *heap)
{
	return heap->priv;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_drvdata, DMA_BUF);

/**
 * dma_heap_get_name - get heap name
 * @heap: DMA-Heap to retrieve the name of
 *
 * Return: the heap's name; valid as long as a reference to it is held.
 */
const char *dma_heap_get_name(struct dma_heap *heap)
{
	return heap->name;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_name, DMA_BUF);

/**
 * dma_heap_get_dev - the struct device of a heap
 * @heap: the heap
 *
 * The class device behind /dev/dma_heap/<name> and its sysfs directory,
 * for dev_*() log messages and sysfs links. It is not a DMA device: map
 * buffers for the device that does the DMA.
 *
 * Return: the heap's device; valid as long as a reference to the heap is
 * held.
 */
struct device *dma_heap_get_dev(struct dma_heap *heap)
{
	return &heap->dev;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_dev, DMA_BUF);

/*
 * Live-buffer accounting. Every exported buffer holds a reference on its
 * heap so that the heap's ops and private data outlive the buffer.
 */
void dma_heap_charge(struct dma_heap *heap, size_t len)
{
	get_device(&heap->dev);
	atomic64_add(len, &heap->used_bytes);
	atomic64_inc(&heap->buffers);
}

void dma_heap_uncharge(struct dma_heap *heap, size_t len)
{
	atomic64_sub(len, &heap->used_bytes);
	atomic64_dec(&heap->buffers);
	/* The buffer's memory is back: see dma_heap_known_full(). */
	if (heap->exclusive)
		dma_heap_forget_full(heap);
	put_device(&heap->dev);
}

/**
 * dma_heap_forget_full - have an exclusive heap asked again
 * @heap:	the heap
 *
 * After a request to an exclusive heap failed with -ENOMEM, the core
 * fails any request at least as large without asking the heap, until one
 * of the heap's buffers is released (see &dma_heap_export_info.exclusive).
 * A heap type calls this when that would be wrong: before it fails with
 * -ENOMEM while its region had room (a kmalloc() of its own failed), and
 * after it gave memory back to its region other than by releasing a
 * buffer (an allocation undone half way). Any context.
 */
void dma_heap_forget_full(struct dma_heap *heap)
{
	/* Pairs with the acquire in dma_heap_allocate_one(). */
	atomic64_inc_return_release(&heap->releases);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_forget_full, DMA_BUF);

u64 dma_heap_used_bytes(struct dma_heap *heap)
{
	return atomic64_read(&heap->used_bytes);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_used_bytes);

u64 dma_heap_buffer_count(struct dma_heap *heap)
{
	return atomic64_read(&heap->buffers);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_buffer_count);

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_heap(dev)->type_name);
}
static DEVICE_ATTR_RO(type);

static ssize_t size_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_heap(dev)->size);
}
static DEVICE_ATTR_RO(size_bytes);

static ssize_t used_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dma_heap_used_bytes(dev_to_heap(dev)));
}
static DEVICE_ATTR_RO(used_bytes);

static ssize_t buffers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  dma_heap_buffer_count(dev_to_heap(dev)));
}
static DEVICE_ATTR_RO(buffers);

static ssize_t fallback_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_heap(dev)->fallback ?: "");
}
static DEVICE_ATTR_RO(fallback);

static ssize_t fallback_count_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  dma_heap_fallback_count(dev_to_heap(dev)));
}
static DEVICE_ATTR_RO(fallback_count);

/* Pool figures: a heap without a pool has no such files. */
static ssize_t dma_heap_pool_show(struct device *dev, char *buf,
				  size_t offset)
{
	struct dma_heap_pool_stats stats;

	dma_heap_pool_get_stats(dev_to_heap(dev)->pool, &stats);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&stats + offset));
}

#define DMA_HEAP_POOL_ATTR(_name, _field)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return dma_heap_pool_show(dev, buf,				\
			offsetof(struct dma_heap_pool_stats, _field));	\
}									\
static DEVICE_ATTR_RO(_name)

DMA_HEAP_POOL_ATTR(pool_bytes, pooled_bytes);
DMA_HEAP_POOL_ATTR(zeroing_bytes, zeroing_bytes);
DMA_HEAP_POOL_ATTR(pool_hits, hits);
DMA_HEAP_POOL_ATTR(pool_misses, misses);

static struct attribute *dma_heap_pool_attrs[] = {
	&dev_attr_pool_bytes.attr,
	&dev_attr_zeroing_bytes.attr,
	&dev_attr_pool_hits.attr,
	&dev_attr_pool_misses.attr,
	NULL
};

static umode_t dma_heap_pool_visible(struct kobject *kobj,
				     struct attribute *attr, int n)
{
	return dev_to_heap(kobj_to_dev(kobj))->pool ? attr->mode : 0;
}

static const struct attribute_group dma_heap_pool_group = {
	.attrs = dma_heap_pool_attrs,
	.is_visible = dma_heap_pool_visible,
};

static struct attribute *dma_heap_attrs[] = {
	&dev_attr_type.attr,
	&dev_attr_size_bytes.attr,
	&dev_attr_used_bytes.attr,
	&dev_attr_buffers.attr,
	&dev_attr_fallback.attr,
	&dev_attr_fallback_count.attr,
	NULL
};

static const struct attribute_group dma_heap_group = {
	.attrs = dma_heap_attrs,
};

static const struct attribute_group *dma_heap_groups[] = {
	&dma_heap_group,
	&dma_heap_pool_group,
	NULL
};

/* Runs once dma_heap_remove() killed @walkers and the last walk left. */
static void dma_heap_walkers_gone(struct percpu_ref *walkers)
{
	struct dma_heap *heap = container_of(walkers, struct dma_heap, walkers);

	complete(&heap->walkers_gone);
}

/* Runs when the last reference to a heap is dropped. */
static void dma_heap_dev_release(struct device *dev)
{
	struct dma_heap *heap = dev_to_heap(dev);

	if (heap->ops && heap->ops->release)
		heap->ops->release(heap);
	percpu_ref_exit(&heap->walkers);
	if (dev->devt)
		xa_erase(&dma_heap_minors, MINOR(dev->devt));
	kfree(heap->fallback);
	kfree(heap->name);
	kfree(heap);
}

static struct dma_heap *dma_heap_find_locked(const char *name)
{
	struct dma_heap *heap;

	lockdep_assert_held(&heap_list_lock);
	list_for_each_entry(heap, &heap_list, list)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

/* Point every heap that falls back to @name at @target, or at nothing. */
static void dma_heap_link_fallbacks(const char *name, struct dma_heap *target)
{
	struct dma_heap *heap;

	lockdep_assert_held(&heap_list_lock);
	list_for_each_entry(heap, &heap_list, list)
		if (heap->fallback && !strcmp(heap->fallback, name))
			rcu_assign_pointer(heap->fallback_heap, target);
}

/**
 * dma_heap_find - find a registered heap by name
 * @name: the heap's name, as in /dev/dma_heap/<name>
 *
 * The reference keeps the heap's memory and also pins the module of its
 * type, so the heap's ops stay callable until dma_heap_put(). A heap
 * removed meanwhile fails allocations with -ENODEV.
 *
 * Return: the heap with a reference held, to be dropped with
 * dma_heap_put(); or NULL if no heap of that name is registered.
 */
struct dma_heap *dma_heap_find(const char *name)
{
	struct dma_heap *heap;

	mutex_lock(&heap_list_lock);
	heap = dma_heap_find_locked(name);
	if (heap && !dma_heap_get(heap))
		heap = NULL;
	mutex_unlock(&heap_list_lock);

	return heap;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_find, DMA_BUF);

/**
 * dma_heap_put - drop a reference taken by dma_heap_find()
 * @heap: the heap
 */
void dma_heap_put(struct dma_heap *heap)
{
	dma_heap_put_ref(heap);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_put, DMA_BUF);

static bool dma_heap_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, DMA_HEAP_NAME_MAX);
	if (!len || len == DMA_HEAP_NAME_MAX)
		return false;
	/* The name becomes a path component under /dev and sysfs. */
	return !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/**
 * dma_heap_add - register a heap and create /dev/dma_heap/<name>
 * @exp_info: information needed to register this heap
 *
 * The name is checked and the heap listed under one lock, with the device
 * created in between, so two heaps registering the same name at once
 * cannot both get a device.
 *
 * Return: the new heap, or an ERR_PTR(): -EINVAL for a bad name or ops,
 * -EEXIST if the name is taken, -ENOSPC if all minors are in use,
 * -ENOMEM when memory ran out.
 */
struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info)
{
	struct dma_heap *heap;
	unsigned int minor;
	int ret;

	if (!dma_heap_name_valid(exp_info->name)) {
		pr_err("dma_heap: invalid heap name\n");
		return ERR_PTR(-EINVAL);
	}

	if (!exp_info->ops || !exp_info->ops->allocate) {
		pr_err("dma_heap: %s: heap has no allocate op\n",
		       exp_info->name);
		return ERR_PTR(-EINVAL);
	}

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return ERR_PTR(-ENOMEM);

	/* From here on, put_device() frees the heap. */
	device_initialize(&heap->dev);
	heap->dev.class = &dma_heap_class;
	heap->dev.groups = dma_heap_groups;
	heap->dev.release = dma_heap_dev_release;
	cdev_init(&heap->cdev, &dma_heap_fops);
	/*
	 * The char device holds the heap until the last open file lets go
	 * of it, after ->release: the module whose ops the heap's release
	 * calls must be held as long.
	 */
	heap->cdev.owner = exp_info->owner;
	heap->type_name = exp_info->type_name ?: "unknown";
	heap->priv = exp_info->priv;
	heap->size = exp_info->size;
	heap->owner = exp_info->owner;
	heap->pool = exp_info->pool;
	heap->exclusive = exp_info->exclusive;
	init_completion(&heap->walkers_gone);
	ret = percpu_ref_init(&heap->walkers, dma_heap_walkers_gone, 0,
			      GFP_KERNEL);
	if (ret)
		goto err_put;

	heap->name = kstrdup(exp_info->name, GFP_KERNEL);
	if (exp_info->fallback)
		heap->fallback = kstrdup(exp_info->fallback, GFP_KERNEL);
	if (!heap->name || (exp_info->fallback && !heap->fallback)) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = dev_set_name(&heap->dev, "%s", heap->name);
	if (ret)
		goto err_put;

	mutex_lock(&heap_list_lock);
	if (dma_heap_find_locked(heap->name)) {
		pr_err("dma_heap: %s: a heap of that name exists\n",
		       heap->name);
		ret = -EEXIST;
		goto err_unlock;
	}

	ret = xa_alloc(&dma_heap_minors, &minor, heap,
		       XA_LIMIT(0, NUM_HEAP_MINORS - 1), GFP_KERNEL);
	if (ret) {
		pr_err("dma_heap: %s: no free minor: %d\n", heap->name, ret);
		goto err_unlock;
	}
	heap->dev.devt = MKDEV(MAJOR(dma_heap_devt), minor);

	/* Opens can come as soon as the device exists. */
	heap->ops = exp_info->ops;
	ret = cdev_device_add(&heap->cdev, &heap->dev);
	if (ret) {
		pr_err("dma_heap: %s: cannot add device: %d\n",
		       heap->name, ret);
		goto err_unlock;
	}

	list_add_tail(&heap->list, &heap_list);
	/* Chains through this heap work whichever heap came up first. */
	if (heap->fallback)
		rcu_assign_pointer(heap->fallback_heap,
				   dma_heap_find_locked(heap->fallback));
	dma_heap_link_fallbacks(heap->name, heap);
	mutex_unlock(&heap_list_lock);

	return heap;

err_unlock:
	mutex_unlock(&heap_list_lock);
err_put:
	/* A heap that never came up must not call its owner's release. */
	heap->ops = NULL;
	put_device(&heap->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_add, DMA_BUF);

/**
 * dma_heap_remove - unregister a heap
 * @heap: a heap returned by dma_heap_add()
 *
 * Removes /dev/dma_heap/<name> and the heap from the registry at once.
 * Files already open and buffers already exported keep the heap alive;
 * allocations through them fail with -ENODEV. The heap's ops->release is
 * called after the last of them is gone.
 *
 * Heaps that fall back to this one stop doing so; they pick up a heap of
 * the same name registered later.
 */
void dma_heap_remove(struct dma_heap *heap)
{
	mutex_lock(&heap_list_lock);
	WRITE_ONCE(heap->removed, true);
	dma_heap_link_fallbacks(heap->name, NULL);
	RCU_INIT_POINTER(heap->fallback_heap, NULL);
	list_del(&heap->list);
	cdev_device_del(&heap->cdev, &heap->dev);
	mutex_unlock(&heap_list_lock);

	/* Allocations passing through on a fallback chain finish first. */
	percpu_ref_kill(&heap->walkers);
	wait_for_completion(&heap->walkers_gone);
	put_device(&heap->dev);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_remove, DMA_BUF);

/* For the type registry, which keeps its own ops in each heap. */
const struct dma_heap_ops *dma_heap_get_ops(struct dma_heap *heap)
{
	return heap->ops;
}

/* The heap's page pool, or NULL (for tests). */
struct dma_heap_pool *dma_heap_get_pool(struct dma_heap *heap)
{
	return heap->pool;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_get_pool);

/* For the shared exporter: the module to pin while a buffer lives. */
struct module *dma_heap_get_owner(struct dma_heap *heap)
{
	return heap->owner;
}

static int __init dma_heap_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&dma_heap_devt, 0, NUM_HEAP_MINORS, DEVNAME);
	if (ret)
		return ret;

	ret = class_register(&dma_heap_class);
	if (ret)
		unregister_chrdev_region(dma_heap_devt, NUM_HEAP_MINORS);
	return ret;
}
subsys_initcall(dma_heap_init);
