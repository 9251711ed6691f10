// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of heap types and of declared heaps.
 *
 * Heaps are declared (by the device tree layer, or as the defaults when
 * the device tree declares none) and types are registered (by built-in
 * code or by modules), in either order. A declared heap is created as
 * soon as both it and its type are known, so a node whose type comes
 * from a module loaded after boot gets its heap when the module loads.
 * Unregistering a type removes its heaps; buffers still alive keep what
 * they use (see dma_heap_remove()), and they pin the type's module.
 *
 * Not for: parsing the device tree (heap-of.c), allocating (the types).
 */

#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "heap-internal.h"

/**
 * struct dma_heap_decl - a declared heap
 * @desc:	the declaration, with its strings owned by this struct
 * @heap:	the heap once created, NULL while its type is missing or
 *		after creation failed
 * @list:	entry in dma_heap_decls
 */
struct dma_heap_decl {
	struct dma_heap_desc desc;
	struct dma_heap *heap;
	struct list_head list;
};

/* registry_lock protects both lists and every decl's @heap. */
static DEFINE_MUTEX(registry_lock);
static LIST_HEAD(dma_heap_types);
static LIST_HEAD(dma_heap_decls);

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

static void dma_heap_type_release(struct dma_heap *heap)
{
	const struct dma_heap_type *type;

	type = container_of(dma_heap_get_ops(heap), struct dma_heap_type,
			    heap_ops);
	if (type->destroy)
		type->destroy(dma_heap_get_drvdata(heap));
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

static void dma_heap_decl_create(struct dma_heap_decl *decl,
				 struct dma_heap_type *type)
{
	const struct dma_heap_desc *desc = &decl->desc;
	struct dma_heap_export_info info = {
		.name = desc->name,
		.ops = &type->heap_ops,
		.type_name = type->name,
		.size = desc->size,
		.fallback = desc->fallback,
		.owner = type->owner,
		.exclusive = type->exclusive,
	};
	struct dma_heap *heap;
	void *priv;

	lockdep_assert_held(&registry_lock);
	priv = type->create(desc);
	if (IS_ERR(priv))
		return;

	info.priv = priv;
	info.pool = type->pool ? type->pool(priv) : NULL;
	if (type->size)
		info.size = type->size(priv);
	if (desc->pool_size && !info.pool)
		pr_notice("dma-heaps: %s: pool-size: %s heaps keep no pool; ignored\n",
			  desc->origin, type->name);
	heap = dma_heap_add(&info);
	if (IS_ERR(heap)) {
		dma_heap_desc_err(desc, NULL, "cannot register heap: %pe",
				  heap);
		if (type->destroy)
			type->destroy(priv);
		return;
	}
	decl->heap = heap;
}

static void dma_heap_decl_free(struct dma_heap_decl *decl)
{
	kfree_const(decl->desc.name);
	kfree_const(decl->desc.compatible);
	kfree_const(decl->desc.origin);
	kfree_const(decl->desc.fallback);
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
	decl->desc.node = fwnode_handle_get(desc->node);
	if (!decl->desc.name || !decl->desc.compatible || !decl->desc.origin ||
	    (desc->fallback && !decl->desc.fallback)) {
		dma_heap_decl_free(decl);
		return NULL;
	}
	return decl;
}

/**
 * dma_heap_declare - declare a heap, to be created when its type exists
 * @desc: what the heap is; copied, so it may be freed after the call
 *
 * If the type is registered the heap is created now, else when the type
 * registers. A heap its type refuses stays declared but absent.
 *
 * Return: 0, -EINVAL without a name or compatible, -EEXIST if a heap of
 * that name is declared already, -ENOMEM.
 */
int dma_heap_declare(const struct dma_heap_desc *desc)
{
	struct dma_heap_decl *decl, *d;
	struct dma_heap_type *type;

	if (!desc->name || !desc->compatible)
		return -EINVAL;

	decl = dma_heap_decl_alloc(desc);
	if (!decl)
		return -ENOMEM;

	mutex_lock(&registry_lock);
	list_for_each_entry(d, &dma_heap_decls, list) {
		if (!strcmp(d->desc.name, desc->name)) {
			mutex_unlock(&registry_lock);
			dma_heap_desc_err(desc, NULL, "heap name %s is taken",
					  desc->name);
			dma_heap_decl_free(decl);
			return -EEXIST;
		}
	}
	list_add_tail(&decl->list, &dma_heap_decls);
	type = dma_heap_type_find(desc->compatible);
	if (type)
		dma_heap_decl_create(decl, type);
	mutex_unlock(&registry_lock);

	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_declare, DMA_BUF);

/**
 * dma_heap_undeclare - withdraw a declaration and remove its heap
 * @name: the heap's name
 */
void dma_heap_undeclare(const char *name)
{
	struct dma_heap_decl *decl;

	mutex_lock(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (strcmp(decl->desc.name, name))
			continue;
		list_del(&decl->list);
		if (decl->heap)
			dma_heap_remove(decl->heap);
		dma_heap_decl_free(decl);
		break;
	}
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_undeclare, DMA_BUF);

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
	struct dma_heap_decl *decl;

	if (!type->name || !type->compatible || !type->create ||
	    !type->allocate)
		return -EINVAL;

	type->heap_ops.allocate = type->allocate;
	type->heap_ops.release = dma_heap_type_release;

	mutex_lock(&registry_lock);
	if (dma_heap_type_find(type->compatible)) {
		mutex_unlock(&registry_lock);
		pr_err("dma-heaps: heap type %s is registered already\n",
		       type->compatible);
		return -EEXIST;
	}
	list_add_tail(&type->list, &dma_heap_types);
	list_for_each_entry(decl, &dma_heap_decls, list)
		if (!decl->heap && !strcmp(decl->desc.compatible,
					   type->compatible))
			dma_heap_decl_create(decl, type);
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

	mutex_lock(&registry_lock);
	list_del(&type->list);
	list_for_each_entry(decl, &dma_heap_decls, list) {
		if (!decl->heap ||
		    strcmp(decl->desc.compatible, type->compatible))
			continue;
		dma_heap_remove(decl->heap);
		decl->heap = NULL;
	}
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_NS_GPL(dma_heap_type_unregister, DMA_BUF);

/* Heaps declared for types that never came: say so once boot is over. */
static int __init dma_heap_report_missing_types(void)
{
	struct dma_heap_decl *decl;

	mutex_lock(&registry_lock);
	list_for_each_entry(decl, &dma_heap_decls, list)
		if (!decl->heap && !dma_heap_type_find(decl->desc.compatible))
			pr_warn("dma-heaps: %s: compatible: no heap type %s registered (yet); the heap appears if a module provides it\n",
				decl->desc.origin, decl->desc.compatible);
	mutex_unlock(&registry_lock);
	return 0;
}
late_initcall_sync(dma_heap_report_missing_types);
