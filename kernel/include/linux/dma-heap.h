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
#include <linux/string.h>
#include <linux/types.h>

struct cma;
struct dma_buf;
struct dma_heap;
struct fwnode_handle;
struct gen_pool;
struct module;
struct obj_cgroup;
struct page;
struct attribute_group;

/* Most heaps in one fallback chain: a heap and three fallbacks. */
#define DMA_HEAP_MAX_CHAIN	4

/* Heap names, with their NUL: see dma_heap_name_valid(). */
#define DMA_HEAP_NAME_MAX	64

/**
 * struct dma_heap_ops - ops to operate on a given heap
 * @allocate:	allocate a dma-buf of @len bytes (already page aligned and
 *		validated by the core) and return it, or an ERR_PTR()
 * @release:	optional; called once the heap is removed and its last
 *		user (open file, live buffer, in-kernel user) is gone,
 *		before the module providing it is let go, so that the
 *		heap's private data can be freed safely
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
 * @priv:	heap exporter private data; also the drvdata of the heap's
 *		device, for @groups
 * @owner:	optional module that provides @ops; held by every user
 * @groups:	optional sysfs attribute groups of the heap's device
 */
struct dma_heap_export_info {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
	struct module *owner;
	const struct attribute_group **groups;
};

void *dma_heap_get_drvdata(struct dma_heap *heap);

const char *dma_heap_get_name(struct dma_heap *heap);

struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info);

void dma_heap_remove(struct dma_heap *heap);

struct dma_heap *dma_heap_find(const char *name);

void dma_heap_put(struct dma_heap *heap);

struct dma_buf *dma_heap_buffer_alloc(struct dma_heap *heap, size_t len,
				      u32 fd_flags, u64 heap_flags);

int dma_heap_bufferfd_alloc(struct dma_heap *heap, size_t len,
			    u32 fd_flags, u64 heap_flags);

void dma_heap_buffer_free(struct dma_buf *dmabuf);

struct device *dma_heap_get_dev(struct dma_heap *heap);

/* An ASCII lowercase letter or a digit. */
static inline bool dma_heap_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/**
 * dma_heap_name_valid - the rule every heap name follows
 * @name: a name, or NULL
 *
 * A name becomes a file under /dev/dma_heap and a sysfs directory, and
 * programs open it by name: 1 to 63 characters, a lowercase letter or
 * digit first, then lowercase letters, digits and "-_.,@+", all ASCII
 * (the kernel's islower() also takes Latin-1 letters, which are not
 * UTF-8 on their own). That takes every name mainline creates
 * ("system", "default_cma_region", "reserved", "video@42000000",
 * "protected,secure-video") and refuses path separators, spaces,
 * uppercase, bytes past ASCII and dot files.
 *
 * The core applies it to every heap it registers, whoever declares it;
 * the device tree layer to node names, to say which node is at fault.
 *
 * Return: true if @name may be a heap name.
 */
static inline bool dma_heap_name_valid(const char *name)
{
	const char *c;

	if (!name || !dma_heap_name_char(*name))
		return false;
	if (strnlen(name, DMA_HEAP_NAME_MAX) == DMA_HEAP_NAME_MAX)
		return false;
	for (c = name; *c; c++)
		if (!dma_heap_name_char(*c) && !strchr("-_.,@+", *c))
			return false;
	return true;
}

/**
 * struct dma_heap_desc - a heap as declared, before it exists
 * @name:	heap name (the DT node name)
 * @compatible:	heap type compatible, e.g. "linux,dma-heap-carveout"
 * @origin:	where the heap was declared, for log messages (DT path)
 * @fallback:	name of the fallback heap, or NULL
 * @base:	physical base of the heap's memory region
 * @size:	size of the region in bytes; 0 when the heap has none
 * @no_map:	the region has no kernel linear mapping
 * @uncached:	the heap's buffers are for devices that do not snoop the CPU
 *		caches, so the CPU never caches them (the "dma-noncoherent"
 *		property; always so for a no-map region, which has no
 *		cacheable mapping)
 * @protected_by: name of the protector that keeps the heap's buffers out
 *		of the CPU's reach (the "protected-by" property), or NULL for
 *		a heap whose buffers the CPU may map
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
	bool uncached;
	const char *protected_by;
	struct cma *cma;
	u32 chunk_size;
	u32 pool_size;
	u32 pool_prefill;
	struct fwnode_handle *node;
};

struct dma_heap_buffer_stats;
struct dma_heap_pool;
struct dma_heap_pool_ops;

/**
 * struct dma_heap_instance - one heap of a type, as the type's ops see it
 * @priv:	what the type's create op returned
 * @pool:	the heap's page pool when the type has &dma_heap_type.pool_ops,
 *		else NULL. It keeps up to the declaration's pool size; with
 *		none it hands every block straight to and from the pool ops.
 * @uncached:	the heap's buffers are never cached by the CPU: the type
 *		passes this on with dma_heap_buffer_init(), and cleans
 *		memory it zeroed through a cacheable mapping with
 *		dma_heap_clean_pages() (the pool does so for its blocks)
 * @protector:	the protector of a protected heap, else NULL: the exporter
 *		has it protect each buffer before export and give it back
 *		after its last user (dma_heap_buffer_init() passes it on);
 *		a protected heap is uncached and keeps no pool
 * @stats:	the heap's live buffers, kept by the registry: the exporter
 *		counts each buffer in once exported and out once released
 *		(dma_heap_buffer_init() passes them on), or NULL
 */
struct dma_heap_instance {
	void *priv;
	struct dma_heap_pool *pool;
	bool uncached;
	struct dma_heap_protector *protector;
	struct dma_heap_buffer_stats *stats;
};

/**
 * struct dma_heap_protector - keeps buffers' memory out of the CPU's reach
 * @name:	the name a declaration selects it by ("protected-by")
 * @owner:	module providing it (THIS_MODULE); held while any memory it
 *		protected is not given back
 * @no_map_only: it protects only memory the kernel never maps (a no-map
 *		region), and a heap over other memory is refused
 * @mapped_only: it protects only memory in the kernel's linear map, and a
 *		heap over a no-map region is refused
 * @stays_protected: the memory is behind its firewall for good, between
 *		buffers too (firmware set it up at boot): the kernel never
 *		writes it, not even to zero a new buffer, since the firewall
 *		would fault the write. Clearing what one protected user
 *		leaves for the next is the firewall owner's job. Only with
 *		@no_map_only.
 * @protect:	make the memory of @sgt unreachable by the CPU (the normal
 *		world), before the buffer's first user. The memory is zeroed
 *		and cleaned out of the CPU caches already, unless
 *		@stays_protected. 0, or an errno with nothing left
 *		protected: the allocation then fails.
 * @unprotect:	after the buffer's last user: clear the memory of @sgt and
 *		give it back to the normal world, where the heap's type then
 *		frees it (memory that @stays_protected has nothing to give
 *		back). 0, or an errno when the memory could not be given
 *		back: it is then leaked with its heap, never handed out
 *		again.
 * @list:	private to the registry
 *
 * A protected heap's buffers are never mapped for the CPU: mmap fails with
 * -EPERM and vmap with -EINVAL (the exporter has none), CPU-access syncs
 * do nothing and succeed, and devices map them by physical address without
 * cache maintenance. Unregistering a protector from its module's exit is
 * safe against allocations in flight: the removal of its heaps waits for
 * them to end, and any that comes later fails. What makes the memory
 * unreachable is the protector's: a firewall that firmware set up
 * at boot, the kernel's own page tables, a TEE or a hypervisor that
 * reassigns the pages. Registered with dma_heap_protector_register(); a
 * heap that names one waits until it is.
 */
struct dma_heap_protector {
	const char *name;
	struct module *owner;
	bool no_map_only;
	bool mapped_only;
	bool stays_protected;
	int (*protect)(struct dma_heap_protector *prot, struct sg_table *sgt);
	int (*unprotect)(struct dma_heap_protector *prot,
			 struct sg_table *sgt);

	struct list_head list;
};

int dma_heap_protector_register(struct dma_heap_protector *prot);
void dma_heap_protector_unregister(struct dma_heap_protector *prot);

/**
 * enum dma_heap_caching - which buffers a heap type can make
 * @DMA_HEAP_CACHED_ONLY: cached ones; a declaration asking for uncached
 *		buffers is refused (the default)
 * @DMA_HEAP_CACHED_OR_UNCACHED: either, as the declaration says
 * @DMA_HEAP_UNCACHED_ONLY: uncached ones, whatever the declaration says
 *		(memory that has no cacheable mapping, such as SRAM)
 */
enum dma_heap_caching {
	DMA_HEAP_CACHED_ONLY,
	DMA_HEAP_CACHED_OR_UNCACHED,
	DMA_HEAP_UNCACHED_ONLY,
};

/**
 * struct dma_heap_type - a kind of heap, instantiated from declarations
 * @name:	short type name, shown in sysfs ("carveout")
 * @compatible:	the compatible string of the nodes this type serves
 * @owner:	module providing the type (THIS_MODULE)
 * @create:	check @desc against what the type needs and set up the
 *		heap's private data; return it (NULL is fine) or an
 *		ERR_PTR(). Reasons for refusing are logged with
 *		dma_heap_desc_err().
 * @destroy:	optional; free what @create returned. Runs when the heap
 *		is removed and its last buffer and user are gone, before
 *		the type's module is let go, or at once if the heap could
 *		not be registered after @create succeeded.
 * @allocate:	allocate a buffer of @len bytes (page aligned) from the heap
 *		@heap, whose private data and pool are @inst, and export it
 *		with dma_heap_buffer_export(); -ENOMEM means out of memory
 *		and lets the registry try a fallback heap, any other error
 *		is final
 * @size:	optional; the bytes of memory behind the heap, for types
 *		whose memory is not a region of the declaration (shown in
 *		sysfs as size_bytes instead of &dma_heap_desc.size)
 * @pool_ops:	optional; where the heap's blocks come from, zeroed, and go
 *		back to. The registry then makes each heap a pool of the
 *		@pool_orders block sizes, keeping up to the declaration's
 *		pool size, and prefills it; its argument is @create's result.
 * @pool_orders: with @pool_ops: fill @orders (at most
 *		DMA_HEAP_POOL_MAX_ORDERS page orders, largest first) for the
 *		heap whose private data is @priv; return how many. Blocks of
 *		other orders pass through the pool to and from @pool_ops
 * @caching:	whether the type's heaps can be uncached
 * @protectable: the type's heaps may be protected ("protected-by"): its
 *		buffers' memory is zeroed before export and not touched by
 *		the type again until its buffer release, and it keeps no
 *		kernel mapping of it, so that a protector can take it out of
 *		the CPU's reach in between. Its @caching must allow uncached
 *		buffers, unless all its memory is no-map: the CPU must not
 *		cache protected memory
 * @exclusive:	the heaps' memory is their own: nothing but the release of
 *		one of their buffers makes room. A request that failed with
 *		-ENOMEM then fails again at once, without asking the type,
 *		and so does any larger one, until a buffer is released or
 *		the type calls dma_heap_forget_full(). Not for memory that
 *		other users share or that can come back by itself (the buddy
 *		allocator, a CMA area).
 * @accountable: the heaps' memory is memory a memory cgroup can hold (the
 *		page allocator's): with dma_heap.mem_accounting, each buffer
 *		is charged to the memory cgroup of the task that allocates
 *		it until it is released, and a cgroup at its limit gets
 *		-ENOMEM. Not for memory set aside at boot (a region).
 * @list:	private to the registry
 */
struct dma_heap_type {
	const char *name;
	const char *compatible;
	struct module *owner;
	void *(*create)(const struct dma_heap_desc *desc);
	void (*destroy)(void *priv);
	struct dma_buf *(*allocate)(struct dma_heap *heap,
				    struct dma_heap_instance *inst,
				    unsigned long len, u32 fd_flags);
	u64 (*size)(void *priv);
	const struct dma_heap_pool_ops *pool_ops;
	unsigned int (*pool_orders)(void *priv, unsigned int *orders);
	enum dma_heap_caching caching;
	bool protectable;
	bool exclusive;
	bool accountable;

	struct list_head list;
};

int dma_heap_type_register(struct dma_heap_type *type);
void dma_heap_type_unregister(struct dma_heap_type *type);
bool dma_heap_withdraw(const struct dma_heap_type *type, void *priv);
void dma_heap_type_rescan(const struct dma_heap_type *type);

int dma_heap_declare(const struct dma_heap_desc *desc);
void dma_heap_undeclare(const char *name);

__printf(3, 4)
void dma_heap_desc_err(const struct dma_heap_desc *desc, const char *prop,
		       const char *fmt, ...);

void dma_heap_forget_full(struct dma_heap *heap);

u64 dma_heap_fallback_count(struct dma_heap *heap);

/**
 * struct dma_heap_buffer_counts - one CPU's share of a heap's live buffers
 * @bytes:	bytes counted in on this CPU, less those counted out on it
 * @buffers:	the same for buffers
 *
 * A buffer is counted in on the CPU that allocates it and out on the CPU
 * that frees it, so only the sum over all CPUs means anything.
 */
struct dma_heap_buffer_counts {
	s64 bytes;
	s64 buffers;
};

/**
 * struct dma_heap_buffer_stats - the live buffers of one heap
 * @live:	bytes and buffers exported and not yet released, per CPU:
 *		a stream of buffers from many threads shares no cache line
 *		(dma_heap_buffer_stats_read() adds them up)
 * @released:	with @count_released, bumped after each release gave its
 *		memory back (and by dma_heap_forget_full()): a request that
 *		failed before a change of it may succeed after
 * @count_released: whether the heap's allocations look at @released
 *
 * Kept by whoever registered the heap (the registry, for declared heaps)
 * and updated by the exporter for each buffer of an instance with @stats.
 */
struct dma_heap_buffer_stats {
	struct dma_heap_buffer_counts __percpu *live;
	atomic64_t released;
	bool count_released;
};

struct dma_heap_buffer;

/**
 * struct dma_heap_buffer_ops - what a heap type does for its buffers
 * @release:	give the backing memory described by @buffer->sgt back to
 *		where it came from and free @buffer, now or later (a page
 *		pool may keep it until it has split its blocks): the
 *		exporter does not touch @buffer again. Called once, when
 *		the last reference to the dma-buf is dropped and no
 *		importer holds a mapping any more.
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
 *		(dma_heap_buffer_alloc_sgt() gives it its entries)
 * @first_sg:	the table's entry when it has only one, which needs no
 *		allocation (see dma_heap_buffer_alloc_sgt())
 * @priv:	heap type private data
 * @uncached:	the buffer is never cached by the CPU (an uncached heap,
 *		or memory without a cacheable mapping): CPU mappings are
 *		write-combined, and neither device mappings nor CPU access
 *		do cache maintenance
 * @no_linear_map: the kernel has no linear mapping of the memory (a no-map
 *		region, SRAM): devices map it by physical address, which
 *		never bounces it through swiotlb, since a bounce would copy
 *		through the linear mapping
 * @no_pages:	the memory has no struct pages (an on-chip SRAM): it is
 *		one contiguous range at @phys, and @sgt has a single entry
 *		with no page, which importers get filled with DMA addresses
 *		only. Such a buffer is also @uncached and @no_linear_map
 * @phys:	the physical address of a @no_pages buffer
 * @io_vaddr:	a kernel mapping of a @no_pages buffer as I/O memory, which
 *		the type keeps for the buffer's lifetime, for vmap; NULL
 *		if it has none (vmap then fails)
 * @protector:	the protector of a protected heap's buffer, else NULL: the
 *		buffer is never mapped for the CPU
 * @protected:	@protector protected the memory and has not given it back
 * @stats:	the heap's live-buffer counts, or NULL
 * @objcg:	the memory cgroup charged for the buffer (see
 *		&dma_heap_type.accountable), or NULL
 * @charged:	the bytes @objcg was charged
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
	struct scatterlist first_sg;
	void *priv;
	bool uncached;
	bool no_linear_map;
	bool no_pages;
	bool protected;
	/* Under @lock; here, where it fills the bools' word. */
	unsigned int vmap_cnt;
	phys_addr_t phys;
	void __iomem *io_vaddr;
	struct dma_heap_protector *protector;
	struct dma_heap_buffer_stats *stats;
	struct obj_cgroup *objcg;
	size_t charged;

	struct mutex lock;		/* see @lock above */
	struct list_head attachments;
	void *vaddr;
};

void dma_heap_buffer_init(struct dma_heap_buffer *buffer,
			  struct dma_heap *heap,
			  const struct dma_heap_instance *inst,
			  const struct dma_heap_buffer_ops *ops, size_t len);

struct dma_buf *dma_heap_buffer_export(struct dma_heap_buffer *buffer,
				       u32 fd_flags);
int dma_heap_buffer_alloc_sgt(struct dma_heap_buffer *buffer,
			      unsigned int nents);
int dma_heap_buffer_alloc_range_sgt(struct dma_heap_buffer *buffer,
				    struct page *page, size_t len);
void dma_heap_buffer_free_sgt(struct dma_heap_buffer *buffer);

void dma_heap_clear_pages(struct page *page, unsigned long count);
int dma_heap_clean_pages(struct page *page, unsigned long count);

/**
 * enum dma_heap_region_need - what a heap type does with its memory
 * @DMA_HEAP_REGION_PAGES:	hands it out as struct pages
 * @DMA_HEAP_REGION_IO:		hands it out by address, maps it as I/O
 *				memory; it has no struct pages
 */
enum dma_heap_region_need {
	DMA_HEAP_REGION_PAGES,
	DMA_HEAP_REGION_IO,
};

const char *dma_heap_region_check(phys_addr_t base, phys_addr_t size,
				  enum dma_heap_region_need need,
				  phys_addr_t *bad);

/**
 * enum dma_heap_gen_pool_memory - what a gen_pool's memory is to the kernel
 * @DMA_HEAP_GEN_POOL_MAPPED:	RAM in the kernel's linear map; the pool's
 *				addresses are physical ones
 * @DMA_HEAP_GEN_POOL_NO_MAP:	RAM with struct pages but no linear map (a
 *				no-map region); addresses are physical
 * @DMA_HEAP_GEN_POOL_IO:	memory without struct pages (an on-chip
 *				SRAM); the pool's addresses are a kernel
 *				I/O mapping of it that lives as long as
 *				the pool
 */
enum dma_heap_gen_pool_memory {
	DMA_HEAP_GEN_POOL_MAPPED,
	DMA_HEAP_GEN_POOL_NO_MAP,
	DMA_HEAP_GEN_POOL_IO,
};

struct dma_buf *dma_heap_gen_pool_allocate(struct dma_heap *heap,
					   const struct dma_heap_instance *inst,
					   struct gen_pool *pool,
					   unsigned long len, u32 fd_flags,
					   enum dma_heap_gen_pool_memory memory);

#define DMA_HEAP_POOL_MAX_ORDERS	4

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
 * struct dma_heap_pool_batch - a buffer's blocks, given back in one go
 * @node:	the pool's, while it keeps the batch
 * @sgt:	the table that holds the blocks
 * @nents:	the blocks are its first @nents entries, each one whole
 *		block from dma_heap_pool_alloc(), of get_order(length) order
 * @bytes:	their total size
 * @release:	frees @sgt and whatever holds the batch, once the pool has
 *		taken the blocks out; called without the pool's lock, in
 *		process context but possibly from memory reclaim (the
 *		shrinker): it must neither allocate memory nor sleep
 *
 * A heap type embeds one in its buffer, so that giving a buffer back to
 * the pool allocates nothing and takes the same time for any size.
 */
struct dma_heap_pool_batch {
	struct list_head node;
	struct sg_table *sgt;
	unsigned int nents;
	size_t bytes;
	void (*release)(struct dma_heap_pool_batch *batch);
};

/**
 * struct dma_heap_pool_stats - a pool's figures, for sysfs
 * @pooled_bytes:	bytes kept in the pool, zeroed or not
 * @dirty_bytes:	bytes freed into the pool and not zeroed yet
 * @zeroing_bytes:	of those, bytes the zeroing worker was woken for
 *			and has not zeroed yet; 0 while it sleeps
 * @hits:		blocks handed out from the pool
 * @misses:		blocks that had to come from the heap's memory
 * @zero_wakeups:	times the zeroing worker was woken
 */
struct dma_heap_pool_stats {
	u64 pooled_bytes;
	u64 dirty_bytes;
	u64 zeroing_bytes;
	u64 hits;
	u64 misses;
	u64 zero_wakeups;
};

struct dma_heap_pool *dma_heap_pool_create(const unsigned int *orders,
					   unsigned int nr_orders,
					   size_t max_bytes,
					   const struct dma_heap_pool_ops *ops,
					   void *priv, bool uncached);
void dma_heap_pool_destroy(struct dma_heap_pool *pool);
struct page *dma_heap_pool_alloc(struct dma_heap_pool *pool,
				 unsigned int order);
void dma_heap_pool_free(struct dma_heap_pool *pool, struct page *page,
			unsigned int order);
void dma_heap_pool_free_batch(struct dma_heap_pool *pool,
			      struct dma_heap_pool_batch *batch);
void dma_heap_pool_prefill(struct dma_heap_pool *pool, size_t bytes);
void dma_heap_pool_get_stats(struct dma_heap_pool *pool,
			     struct dma_heap_pool_stats *stats);

#endif /* _DMA_HEAPS_H */
