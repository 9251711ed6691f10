/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMA-BUF heaps: the in-kernel interface.
 *
 * Three audiences use this header:
 *  - heap drivers written for mainline, through dma_heap_add() and the
 *    struct dma_heap_ops allocate hook, which keep their mainline shape;
 *  - heap types of this framework, which produce backing memory and hand
 *    it to the one shared dma-buf exporter (struct dma_heap_buffer);
 *  - drivers that allocate from a heap by name without going through
 *    userspace (dma_heap_find() and dma_heap_buffer_alloc()).
 *
 * It does not describe the device tree: heaps declared there are turned
 * into plain descriptions before any heap code sees them.
 *
 * Copyright (C) 2011 Google, Inc.
 * Copyright (C) 2019 Linaro Ltd.
 */

#ifndef _DMA_HEAPS_H
#define _DMA_HEAPS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct cma;
struct dma_buf;
struct dma_heap;
struct fwnode_handle;
struct gen_pool;
struct module;
struct page;

/* Most heaps in one fallback chain: a heap and three fallbacks. */
#define DMA_HEAP_MAX_CHAIN	4

/**
 * struct dma_heap_ops - ops to operate on a given heap
 * @allocate:	allocate a dma-buf of @len bytes (already page aligned and
 *		validated by the core) and return it, or an ERR_PTR(). An
 *		-ENOMEM return means "out of memory", which lets the core try
 *		a fallback heap; any other error is final.
 * @release:	optional; called once the heap is removed and its last
 *		reference (open file, live buffer, in-kernel user) is gone,
 *		so that the heap's private data can be freed safely.
 */
struct dma_heap_ops {
	struct dma_buf *(*allocate)(struct dma_heap *heap,
				    unsigned long len,
				    u32 fd_flags,
				    u64 heap_flags);
	void (*release)(struct dma_heap *heap);
};

/**
 * struct dma_heap_export_info - information needed to export a new heap
 * @name:	heap name, used for /dev/dma_heap/<name>; it is user ABI
 * @ops:	ops struct for this heap
 * @priv:	heap exporter private data
 * @type_name:	optional name of the heap's type ("system", "carveout"...),
 *		shown in sysfs; "unknown" when NULL
 * @size:	optional size in bytes of the memory region behind the heap;
 *		0 for heaps that have no fixed region
 * @fallback:	optional name of the heap to try when this one is out of
 *		memory
 * @owner:	optional module that provides @ops; held while the heap's
 *		device is open, found, or has live buffers
 * @pool:	optional page pool of the heap, whose figures sysfs shows
 * @exclusive:	the heap's memory is its own: nothing but the release of
 *		one of its buffers makes room in it. A request that failed
 *		with -ENOMEM then fails again at once, without asking the
 *		heap, and so does any larger one, until a buffer is released
 *		or the heap calls dma_heap_forget_full().
 */
struct dma_heap_export_info {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
	const char *type_name;
	u64 size;
	const char *fallback;
	struct module *owner;
	struct dma_heap_pool *pool;
	bool exclusive;
};

void *dma_heap_get_drvdata(struct dma_heap *heap);

const char *dma_heap_get_name(struct dma_heap *heap);

struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info);

void dma_heap_forget_full(struct dma_heap *heap);

void dma_heap_remove(struct dma_heap *heap);

struct dma_heap *dma_heap_find(const char *name);

void dma_heap_put(struct dma_heap *heap);

struct dma_buf *dma_heap_buffer_alloc(struct dma_heap *heap, size_t len,
				      u32 fd_flags, u64 heap_flags);

int dma_heap_bufferfd_alloc(struct dma_heap *heap, size_t len,
			    u32 fd_flags, u64 heap_flags);

void dma_heap_buffer_free(struct dma_buf *dmabuf);

struct device *dma_heap_get_dev(struct dma_heap *heap);

/**
 * struct dma_heap_desc - a heap as declared, before it exists
 * @name:	heap name (the DT node name)
 * @compatible:	heap type compatible, e.g. "linux,dma-heap-carveout"
 * @origin:	where the heap was declared, for log messages (DT path)
 * @fallback:	name of the fallback heap, or NULL
 * @base:	physical base of the heap's memory region
 * @size:	size of the region in bytes; 0 when the heap has none
 * @no_map:	the region has no kernel linear mapping
 * @cma:	the region's CMA area when it is reusable, else NULL
 * @chunk_size:	bytes per chunk, for heap types that allocate in chunks
 * @pool_size:	most bytes the heap may keep pooled
 * @pool_prefill: bytes of pool to fill at boot
 * @node:	the firmware node that declared the heap, or NULL
 *
 * The device tree layer fills this in from a node; heap types get it in
 * their create op. The properties every heap type shares are parsed
 * already, and types never read them again. @node is there for a type
 * whose memory is described by properties of its own (the SRAM heap's
 * phandle to an SRAM); the registry holds a reference on it while the
 * heap is declared.
 */
struct dma_heap_desc {
	const char *name;
	const char *compatible;
	const char *origin;
	const char *fallback;
	phys_addr_t base;
	phys_addr_t size;
	bool no_map;
	struct cma *cma;
	u32 chunk_size;
	u32 pool_size;
	u32 pool_prefill;
	struct fwnode_handle *node;
};

/**
 * struct dma_heap_type - a kind of heap, instantiated from declarations
 * @name:	short type name, shown in sysfs ("carveout")
 * @compatible:	the compatible string of the nodes this type serves
 * @owner:	module providing the type (THIS_MODULE)
 * @create:	check @desc against what the type needs and set up the
 *		heap's private data; return it or an ERR_PTR(). Reasons for
 *		refusing are logged with dma_heap_desc_err().
 * @destroy:	free what @create returned; runs after the heap's last
 *		buffer is gone, or at once if the heap could not be
 *		registered after @create succeeded
 * @allocate:	as &dma_heap_ops.allocate
 * @pool:	optional; the page pool that @create set up in its private
 *		data, so that sysfs shows its figures
 * @size:	optional; the bytes of memory behind the heap, for types
 *		whose memory is not a region of the declaration (shown in
 *		sysfs as size_bytes instead of &dma_heap_desc.size)
 * @exclusive:	the heaps' memory is their own, as
 *		&dma_heap_export_info.exclusive; not for memory that other
 *		users share or that can come back by itself (the buddy
 *		allocator, a CMA area)
 * @heap_ops:	private to the registry
 * @list:	private to the registry
 */
struct dma_heap_type {
	const char *name;
	const char *compatible;
	struct module *owner;
	void *(*create)(const struct dma_heap_desc *desc);
	void (*destroy)(void *priv);
	struct dma_buf *(*allocate)(struct dma_heap *heap, unsigned long len,
				    u32 fd_flags, u64 heap_flags);
	struct dma_heap_pool *(*pool)(void *priv);
	u64 (*size)(void *priv);
	bool exclusive;

	struct dma_heap_ops heap_ops;
	struct list_head list;
};

int dma_heap_type_register(struct dma_heap_type *type);
void dma_heap_type_unregister(struct dma_heap_type *type);

int dma_heap_declare(const struct dma_heap_desc *desc);
void dma_heap_undeclare(const char *name);

__printf(3, 4)
void dma_heap_desc_err(const struct dma_heap_desc *desc, const char *prop,
		       const char *fmt, ...);

u64 dma_heap_fallback_count(struct dma_heap *heap);

struct dma_heap_buffer;

/**
 * struct dma_heap_buffer_ops - what a heap type does for its buffers
 * @release:	give the backing memory described by @buffer->sgt back to
 *		where it came from and free @buffer. Called once, when the
 *		last reference to the dma-buf is dropped and no importer
 *		holds a mapping any more.
 */
struct dma_heap_buffer_ops {
	void (*release)(struct dma_heap_buffer *buffer);
};

/**
 * struct dma_heap_buffer - a heap allocation behind one dma-buf
 * @heap:	the heap that served the allocation (named in exp_name)
 * @ops:	the heap type's buffer ops
 * @len:	size in bytes, a multiple of PAGE_SIZE
 * @sgt:	the backing memory, filled in by the heap type before export
 * @priv:	heap type private data
 * @uncached:	the memory has no cacheable kernel mapping (a no-map
 *		region): CPU mappings are write-combined and no cache
 *		maintenance is done for devices
 * @lock:	protects @attachments, @vmap_cnt and @vaddr
 * @attachments: list of struct dma_heap_attachment, one per importer
 * @vmap_cnt:	number of kernel mappings handed out through vmap
 * @vaddr:	the kernel mapping while @vmap_cnt is non-zero
 *
 * A heap type embeds or allocates this, fills in @sgt with memory that is
 * already zeroed, and calls dma_heap_buffer_export(). Everything else a
 * dma-buf must do (attach, map, CPU access sync, mmap, vmap) is done once,
 * by the shared exporter, for every heap type.
 */
struct dma_heap_buffer {
	struct dma_heap *heap;
	const struct dma_heap_buffer_ops *ops;
	size_t len;
	struct sg_table sgt;
	void *priv;
	bool uncached;

	struct mutex lock;		/* see @lock above */
	struct list_head attachments;
	unsigned int vmap_cnt;
	void *vaddr;
};

void dma_heap_buffer_init(struct dma_heap_buffer *buffer,
			  struct dma_heap *heap,
			  const struct dma_heap_buffer_ops *ops, size_t len);

struct dma_buf *dma_heap_buffer_export(struct dma_heap_buffer *buffer,
				       u32 fd_flags);

void dma_heap_clear_pages(struct page *page, unsigned long count);

struct dma_buf *dma_heap_gen_pool_allocate(struct dma_heap *heap,
					   struct gen_pool *pool,
					   unsigned long len, u32 fd_flags,
					   bool uncached);

struct dma_heap_pool;

/**
 * struct dma_heap_pool_ops - where a pool's blocks come from
 * @alloc:	get a zeroed block of 2^@order pages, or NULL
 * @free:	give a block back
 */
struct dma_heap_pool_ops {
	struct page *(*alloc)(void *priv, unsigned int order);
	void (*free)(void *priv, struct page *page, unsigned int order);
};

/**
 * struct dma_heap_pool_stats - a pool's figures, for sysfs
 * @pooled_bytes:	bytes kept in the pool, zeroed or not
 * @zeroing_bytes:	bytes freed into the pool and not zeroed yet
 * @hits:		blocks handed out from the pool
 * @misses:		blocks that had to come from the heap's memory
 */
struct dma_heap_pool_stats {
	u64 pooled_bytes;
	u64 zeroing_bytes;
	u64 hits;
	u64 misses;
};

struct dma_heap_pool *dma_heap_pool_create(const unsigned int *orders,
					   unsigned int nr_orders,
					   size_t max_bytes,
					   const struct dma_heap_pool_ops *ops,
					   void *priv);
void dma_heap_pool_destroy(struct dma_heap_pool *pool);
struct page *dma_heap_pool_alloc(struct dma_heap_pool *pool,
				 unsigned int order);
void dma_heap_pool_free(struct dma_heap_pool *pool, struct page *page,
			unsigned int order);
void dma_heap_pool_free_sgt(struct dma_heap_pool *pool, struct sg_table *sgt);
void dma_heap_pool_prefill(struct dma_heap_pool *pool, size_t bytes);
void dma_heap_pool_get_stats(struct dma_heap_pool *pool,
			     struct dma_heap_pool_stats *stats);

#endif /* _DMA_HEAPS_H */
