/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMA-BUF heaps: interfaces between the core (dma-heap.c), the shared
 * exporter (heap-buffer.c), the type registry (heap-types.c), the device
 * tree layer (heap-of.c), the page pool (page-pool.c) and their KUnit
 * tests. Nothing here is for heap types or drivers; they use
 * <linux/dma-heap.h>.
 */

#ifndef _DMA_HEAP_INTERNAL_H
#define _DMA_HEAP_INTERNAL_H

#include <linux/types.h>

struct dma_heap;
struct dma_heap_ops;
struct module;

void dma_heap_charge(struct dma_heap *heap, size_t len);
void dma_heap_uncharge(struct dma_heap *heap, size_t len);
u64 dma_heap_used_bytes(struct dma_heap *heap);
u64 dma_heap_buffer_count(struct dma_heap *heap);
const struct dma_heap_ops *dma_heap_get_ops(struct dma_heap *heap);
struct module *dma_heap_get_owner(struct dma_heap *heap);

struct device_node;
int dma_heaps_of_declare(struct device_node *container);

struct dma_heap_pool;
unsigned long dma_heap_pools_shrink(unsigned long nr_pages);
void dma_heap_pool_wait_idle(struct dma_heap_pool *pool);
struct dma_heap_pool *dma_heap_get_pool(struct dma_heap *heap);

#endif /* _DMA_HEAP_INTERNAL_H */
