/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMA-BUF heaps: what the framework's layers give the layers above them,
 * and their KUnit tests. Dependencies run one way, each layer only calling
 * the ones below it:
 *
 *   heap types      system, cma, carveout, chunk, sram, a vendor's own
 *   heap-of.c       device tree nodes -> struct dma_heap_desc
 *   heap-registry.c types, declarations, fallback chains, pools, sysfs
 *   heap-buffer.c   the one dma-buf exporter, live-buffer counts
 *   dma-heap.c      the core: names, char devices, ioctl, users
 *   page-pool.c, heap-pages.c   helpers that know no heap
 *
 * Nothing here is for heap types or drivers; they use <linux/dma-heap.h>.
 */

#ifndef _DMA_HEAP_INTERNAL_H
#define _DMA_HEAP_INTERNAL_H

#include <linux/dma-direction.h>
#include <linux/types.h>

struct dma_buf;
struct dma_heap;
struct dma_heap_buffer_counts;
struct dma_heap_buffer_stats;
struct dma_heap_ops;
struct notifier_block;
struct obj_cgroup;

/* The core, for the exporter and the registry. */
bool dma_heap_get(struct dma_heap *heap);
bool dma_heap_has_ops(struct dma_heap *heap, const struct dma_heap_ops *ops);
int dma_heap_name_notifier_register(struct notifier_block *nb);
bool dma_heap_name_in_use(const char *name);
/* dma_heap.mem_accounting, for the registry. */
extern bool dma_heap_mem_accounting;

/* The exporter, for the registry. */
void dma_heap_buffer_take_charge(struct dma_buf *dmabuf,
				 struct obj_cgroup *objcg, size_t charged);
int dma_heap_charge(size_t len, struct obj_cgroup **objcg);
void dma_heap_uncharge(struct obj_cgroup *objcg, size_t len);
int dma_heap_buffer_stats_init(struct dma_heap_buffer_stats *stats,
			       bool count_released);
void dma_heap_buffer_stats_exit(struct dma_heap_buffer_stats *stats);
void dma_heap_buffer_stats_read(struct dma_heap_buffer_stats *stats,
				struct dma_heap_buffer_counts *sum);

/* The exporter's DMA API calls, for tests (see dma_heap_dma_call()). */
enum dma_heap_dma_op {
	DMA_HEAP_DMA_MAP,
	DMA_HEAP_DMA_UNMAP,
	DMA_HEAP_DMA_SYNC_FOR_CPU,
	DMA_HEAP_DMA_SYNC_FOR_DEVICE,
};

struct device;
struct sg_table;
int dma_heap_dma_call(enum dma_heap_dma_op op, struct device *dev,
		      struct sg_table *sgt, enum dma_data_direction direction,
		      unsigned long attrs);
int dma_heap_dma_do(enum dma_heap_dma_op op, struct device *dev,
		    struct sg_table *sgt, enum dma_data_direction direction,
		    unsigned long attrs);

/* The device tree layer, for its tests. */
struct device_node;
int dma_heaps_of_declare(struct device_node *container);
u64 dma_heap_pool_limit(void);

/* The registry, for tests. */
struct dma_heap_pool *dma_heap_get_pool(struct dma_heap *heap);
u64 dma_heap_used_bytes(struct dma_heap *heap);
u64 dma_heap_buffer_count(struct dma_heap *heap);
void dma_heap_registry_flush(void);
bool dma_heap_protector_registered(const char *name);

/* The page pool, for tests. */
struct dma_heap_pool;
unsigned long dma_heap_pools_shrink(unsigned long nr_pages);
void dma_heap_pool_wait_idle(struct dma_heap_pool *pool);
bool dma_heap_pool_zeroing_pending(struct dma_heap_pool *pool);
void dma_heap_pool_stop(struct dma_heap_pool *pool);

/* The page helpers, for tests: told of every range cleaned. */
struct page;
void dma_heap_observe_cleans(void (*observer)(struct page *page,
					      unsigned long count));

#endif /* _DMA_HEAP_INTERNAL_H */
