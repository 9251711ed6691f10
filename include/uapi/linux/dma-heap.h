/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace ABI of DMA-BUF heaps.
 *
 * This is the user-visible contract: every heap is a character device at
 * /dev/dma_heap/<name> that answers one ioctl, DMA_HEAP_IOCTL_ALLOC. The
 * layout and numbers below are fixed by mainline Linux; binaries built
 * against mainline's header must work unchanged, so nothing here may move.
 *
 * Copyright (C) 2011 Google, Inc.
 * Copyright (C) 2019 Linaro Ltd.
 */
#ifndef _UAPI_LINUX_DMABUF_POOL_H
#define _UAPI_LINUX_DMABUF_POOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: DMA-BUF heaps userspace API
 *
 * Open /dev/dma_heap/<name> and issue DMA_HEAP_IOCTL_ALLOC; the returned
 * file descriptor is a dma-buf that can be mmap()ed, synced with
 * DMA_BUF_IOCTL_SYNC and shared with devices.
 */

/* File descriptor flags accepted for the returned dma-buf. */
#define DMA_HEAP_VALID_FD_FLAGS (O_CLOEXEC | O_ACCMODE)

/* No heap flags are defined: heap attributes live in heap names. */
#define DMA_HEAP_VALID_HEAP_FLAGS (0ULL)

/**
 * struct dma_heap_allocation_data - argument of DMA_HEAP_IOCTL_ALLOC
 * @len:	requested size in bytes, rounded up to whole pages
 * @fd:		out: the dma-buf file descriptor; must be 0 on input
 * @fd_flags:	flags for the new file descriptor (DMA_HEAP_VALID_FD_FLAGS)
 * @heap_flags:	per-heap flags; must be 0 (DMA_HEAP_VALID_HEAP_FLAGS)
 */
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOC_MAGIC		'H'

/**
 * DOC: DMA_HEAP_IOCTL_ALLOC - allocate a dma-buf from a heap
 *
 * Takes a struct dma_heap_allocation_data and returns it with @fd set to
 * a new dma-buf of at least @len bytes, zero-filled.
 */
#define DMA_HEAP_IOCTL_ALLOC	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0,\
				      struct dma_heap_allocation_data)

#endif /* _UAPI_LINUX_DMABUF_POOL_H */
