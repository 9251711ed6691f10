/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMA-BUF heaps: interfaces between the core (dma-heap.c) and the shared
 * exporter (heap-buffer.c). Nothing here is for heap types or drivers;
 * they use <linux/dma-heap.h>.
 */

#ifndef _DMA_HEAP_INTERNAL_H
#define _DMA_HEAP_INTERNAL_H

#include <linux/types.h>

struct dma_heap;

void dma_heap_charge(struct dma_heap *heap, size_t len);
void dma_heap_uncharge(struct dma_heap *heap, size_t len);
u64 dma_heap_used_bytes(struct dma_heap *heap);
u64 dma_heap_buffer_count(struct dma_heap *heap);

#endif /* _DMA_HEAP_INTERNAL_H */
