/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heap-util - helpers shared by the DMA-BUF heap tools
 *
 * tools/dma-heap, tools/dma-heap-fuzz and tools/dma-heap-bench all read
 * the sysfs attributes of the heaps, allocate dma-bufs, sync them and look
 * up fields of /proc/self/fdinfo.  This is the one implementation of those
 * helpers; every tool links heap-util.c in (see tools/lib/build.mk).
 *
 * Functions that can fail return 0 or a negative errno, except
 * hu_open_heap(), which behaves like open(2).
 */
#ifndef HEAP_UTIL_H
#define HEAP_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include <linux/types.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Where the heaps are: their device nodes and their class devices. */
#define HU_DEV_DIR	"/dev/dma_heap"
#define HU_SYSFS_DIR	"/sys/class/dma_heap"

/* Every tool's exit status for a bad command line. */
#define HU_EXIT_USAGE	2

__u64 hu_now_ns(void);

int __printf(3, 4) hu_usage_error(const char *prog, void (*usage)(FILE *f),
				  const char *fmt, ...);

int hu_read_file(const char *path, char *buf, size_t len);
int hu_write_file(const char *path, const char *text);
int hu_parse_u64(const char *str, int base, __u64 *val);

int hu_read_attr(const char *dir, const char *heap, const char *attr,
		 char *buf, size_t len);
int hu_read_attr_u64(const char *dir, const char *heap, const char *attr,
		     __u64 *val);

int hu_fdinfo_field(int fd, const char *key, char *val, size_t len);

int hu_open_heap(const char *dir, const char *name);
int hu_alloc(int heap_fd, __u64 len, __u32 fd_flags, int *fd);
int hu_buf_sync(int fd, __u64 flags);

#endif /* HEAP_UTIL_H */
