// SPDX-License-Identifier: GPL-2.0
/*
 * DMA-BUF heaps core: what mainline's core owns. The heap objects, their
 * names (the one registry and rule), their char devices, their users and
 * the ABI of <uapi/linux/dma-heap.h>. Memory, exported buffers, fallback,
 * pools and figures live in heaps/ (which brings its own sysfs groups).
 *
 * Users of a heap: its registration, each open file, each live buffer and
 * each dma_heap_find(). The last one runs ops->release at once, before
 * the module providing it is let go; the device's refcount only keeps
 * struct dma_heap, so a delayed kobject release runs no heap code.
 *
 * Copyright (C) 2011 Google, Inc.
 * Copyright (C) 2019 Linaro Ltd.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/dma-heap.h>

#include "heaps/heap-internal.h"

#define DEVNAME "dma_heap"

#define NUM_HEAP_MINORS 128

/**
 * struct dma_heap - a heap instance, exposed as /dev/dma_heap/<name>
 * @name:	heap name; user ABI
 * @ops:	the heap's ops
 * @priv:	the heap's private data
 * @owner:	module providing @ops; held by every user
 * @users:	registration, open files, live buffers, dma_heap_find(); all
 *		of them together hold one reference to @dev
 * @removed:	set once dma_heap_remove() ran; no new allocations then
 * @dev:	the heap's device; its refcount keeps this struct
 * @cdev:	the heap's char device
 * @list:	entry in heap_list, under heap_list_lock
 */
struct dma_heap {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
	struct module *owner;
	refcount_t users;
	bool removed;
	struct device dev;
	struct cdev cdev;
	struct list_head list;
};

/*
 * Mainline's switch (since 7.0), under its name: dma_heap.mem_accounting=1
 * on the command line charges the memory of buffers to the memory cgroup
 * of the task that allocates them, for heaps whose memory a cgroup can
 * hold (see &dma_heap_type.accountable). Off by default, as there.
 *
 * Unlike mainline's, it may also be switched at run time (root only), e.g.
 * once userspace has set its cgroups up: each buffer keeps the cgroup it
 * was charged to, or none, and is uncharged by that alone, so a switch
 * under live buffers never unbalances a cgroup. A switch applies to the
 * allocations that start after it.
 */
bool dma_heap_mem_accounting __read_mostly;
module_param_named(mem_accounting, dma_heap_mem_accounting, bool, 0644);
MODULE_PARM_DESC(mem_accounting,
		 "Charge heap buffers to the allocating task's memory cgroup (default: off)");

/* heap_list_lock protects heap_list: the names of the registered heaps. */
static LIST_HEAD(heap_list);
static DEFINE_MUTEX(heap_list_lock);
static dev_t dma_heap_devt;
static DEFINE_XARRAY_ALLOC(dma_heap_minors);
/* Told of every name dma_heap_remove() frees; see the registry. */
static BLOCKING_NOTIFIER_HEAD(dma_heap_name_freed);

/*
 * A declaration may have found its name taken by a heap that a driver
 * registered on its own: the registry learns here when the name is free,
 * since the core does not call the layers above it.
 */
int dma_heap_name_notifier_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&dma_heap_name_freed, nb);
}

/*
 * One more user, who also holds the module that provides the ops. Fails
 * once the heap's last user is gone, or its module is going away: a
 * buffer made then (through a fallback walk) would outlive that code.
 */
bool dma_heap_get(struct dma_heap *heap)
{
	if (!try_module_get(heap->owner))
		return false;
	if (refcount_inc_not_zero(&heap->users))
		return true;
	module_put(heap->owner);
	return false;
}

/**
 * dma_heap_put - drop a reference taken by dma_heap_find()
 * @heap: the heap
 *
 * The last user runs the heap's ops->release, then lets its module go.
 */
void dma_heap_put(struct dma_heap *heap)
{
	struct module *owner = heap->owner;

	might_sleep();
	if (refcount_dec_and_test(&heap->users)) {
		if (heap->ops->release)
			heap->ops->release(heap);
		put_device(&heap->dev);
	}
	module_put(owner);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_put, DMA_BUF);

static char *dma_heap_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dma_heap/%s", dev_name(dev));
}

static const struct class dma_heap_class = {
	.name = DEVNAME,
	.devnode = dma_heap_devnode,
};

/**
 * dma_heap_buffer_alloc - allocate a dma-buf from a heap
 * @heap:	heap to allocate from
 * @len:	size in bytes; rounded up to whole pages
 * @fd_flags:	flags for the dma-buf's file (DMA_HEAP_VALID_FD_FLAGS)
 * @heap_flags:	heap flags; none are defined, must be 0
 *
 * The same checks as the ALLOC ioctl, so a driver and a process get the
 * same answer. A declared heap with a fallback tries it when full.
 *
 * Return: the new dma-buf, or an ERR_PTR(): -EINVAL for bad arguments,
 * -ENODEV if the heap was removed, -ENOMEM when memory ran out, -EINTR
 * when the caller was killed while a large buffer was being gathered;
 * any other error of the heap as it is.
 */
struct dma_buf *dma_heap_buffer_alloc(struct dma_heap *heap, size_t len,
				      u32 fd_flags, u64 heap_flags)
{
	size_t aligned_len = PAGE_ALIGN(len);

	/* PAGE_ALIGN() of a length near SIZE_MAX wraps to 0. */
	if ((fd_flags & ~DMA_HEAP_VALID_FD_FLAGS) || !aligned_len ||
	    (heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS))
		return ERR_PTR(-EINVAL);

	if (READ_ONCE(heap->removed))
		return ERR_PTR(-ENODEV);

	return heap->ops->allocate(heap, aligned_len, fd_flags, heap_flags);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_buffer_alloc, DMA_BUF);

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
	dma_heap_put(file->private_data);
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
	/* Any size of the argument: see dma_heap_ioctl_alloc(). */
	if (_IOC_TYPE(cmd) != DMA_HEAP_IOC_MAGIC ||
	    _IOC_NR(cmd) != _IOC_NR(DMA_HEAP_IOCTL_ALLOC))
		return -ENOTTY;

	return dma_heap_ioctl_alloc(file->private_data, cmd,
				    (void __user *)arg);
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
 * Return: the heap's name; valid as long as a reference to it is held.
 */
const char *dma_heap_get_name(struct dma_heap *heap)
{
	return heap->name;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_name, DMA_BUF);

/**
 * dma_heap_get_dev - the class device behind /dev/dma_heap/<name>
 * @heap: the heap
 * Return: the device (its drvdata is the heap's; not a DMA device), valid
 * as long as a reference to the heap is held.
 */
struct device *dma_heap_get_dev(struct dma_heap *heap)
{
	return &heap->dev;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_dev, DMA_BUF);

/* For the registry: is @heap one it made? */
bool dma_heap_has_ops(struct dma_heap *heap, const struct dma_heap_ops *ops)
{
	return heap->ops == ops;
}

/* Runs when the last reference to the heap's device is dropped. */
static void dma_heap_dev_release(struct device *dev)
{
	struct dma_heap *heap = container_of(dev, struct dma_heap, dev);

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

/* Whether a registered heap has @name; for the registry, which waits. */
bool dma_heap_name_in_use(const char *name)
{
	bool in_use;

	mutex_lock(&heap_list_lock);
	in_use = dma_heap_find_locked(name);
	mutex_unlock(&heap_list_lock);
	return in_use;
}

static struct dma_heap *dma_heap_alloc(const struct dma_heap_export_info *info)
{
	struct dma_heap *heap = kzalloc(sizeof(*heap), GFP_KERNEL);

	if (!heap)
		return NULL;

	/* From here on, put_device() frees the heap. */
	device_initialize(&heap->dev);
	heap->dev.class = &dma_heap_class;
	heap->dev.groups = info->groups;
	heap->dev.release = dma_heap_dev_release;
	dev_set_drvdata(&heap->dev, info->priv);
	cdev_init(&heap->cdev, &dma_heap_fops);
	/* An open file holds the heap until after ->release: see fput. */
	heap->cdev.owner = info->owner;
	heap->priv = info->priv;
	heap->owner = info->owner;
	refcount_set(&heap->users, 1);
	heap->name = kstrdup(info->name, GFP_KERNEL);
	if (!heap->name || dev_set_name(&heap->dev, "%s", heap->name)) {
		put_device(&heap->dev);
		return NULL;
	}
	return heap;
}

/**
 * dma_heap_add - register a heap and create /dev/dma_heap/<name>
 * @exp_info: information needed to register this heap
 *
 * The name is checked and the heap listed under one lock, with the device
 * created in between, so two heaps registering the same name at once
 * cannot both get a device.
 *
 * Return: the new heap, or an ERR_PTR(): -EINVAL for a name that breaks
 * dma_heap_name_valid()'s rule or missing ops, -EEXIST if the name is
 * taken, -ENOSPC if all minors are in use, -ENOMEM.
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

	heap = dma_heap_alloc(exp_info);
	if (!heap)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&heap_list_lock);
	ret = -EEXIST;
	if (dma_heap_find_locked(heap->name))
		goto err_unlock;

	ret = xa_alloc(&dma_heap_minors, &minor, heap,
		       XA_LIMIT(0, NUM_HEAP_MINORS - 1), GFP_KERNEL);
	/* xa_alloc() says -EBUSY when the range is full. */
	if (ret == -EBUSY)
		ret = -ENOSPC;
	if (ret)
		goto err_unlock;
	heap->dev.devt = MKDEV(MAJOR(dma_heap_devt), minor);

	/* Opens can come as soon as the device exists. */
	heap->ops = exp_info->ops;
	ret = cdev_device_add(&heap->cdev, &heap->dev);
	if (ret) {
		xa_erase(&dma_heap_minors, minor);
		goto err_unlock;
	}

	list_add_tail(&heap->list, &heap_list);
	mutex_unlock(&heap_list_lock);

	return heap;

err_unlock:
	mutex_unlock(&heap_list_lock);
	pr_err("dma_heap: %s: cannot register: %d\n", heap->name, ret);
	/* A heap that never came up must not call its owner's release. */
	put_device(&heap->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_add, DMA_BUF);

/**
 * dma_heap_remove - unregister a heap
 * @heap: a heap returned by dma_heap_add()
 *
 * Removes /dev/dma_heap/<name> and the heap's name at once, and tells the
 * registry the name is free. Open files and live buffers keep the heap;
 * allocations through them fail with -ENODEV. The heap's ops->release
 * runs when the last of them goes, or before this returns if there is
 * none.
 */
void dma_heap_remove(struct dma_heap *heap)
{
	mutex_lock(&heap_list_lock);
	WRITE_ONCE(heap->removed, true);
	list_del(&heap->list);
	cdev_device_del(&heap->cdev, &heap->dev);
	/* Free for a new heap at once, not when a delayed release runs. */
	xa_erase(&dma_heap_minors, MINOR(heap->dev.devt));
	mutex_unlock(&heap_list_lock);
	blocking_notifier_call_chain(&dma_heap_name_freed, 0, heap);

	/* Drop the registration's user, which holds no module reference. */
	__module_get(heap->owner);
	dma_heap_put(heap);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_remove, DMA_BUF);

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
