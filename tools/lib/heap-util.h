/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heap-util - helpers shared by the DMA-BUF heap tools
 *
 * tools/dma-heap, tools/dma-heap-fuzz and tools/dma-heap-bench all list
 * the heaps, read their sysfs attributes, allocate dma-bufs, sync them,
 * check them for zeroes and look up fields of /proc files such as
 * /proc/self/fdinfo.  This is the one implementation of those helpers;
 * every tool links heap-util.c in (see tools/lib/build.mk).
 *
 * Not for: anything only one tool does (its checks, its output format),
 * or that decides a tool's verdict: these helpers report, the tools judge.
 *
 * Functions that can fail return 0 or a negative errno, except
 * hu_open_heap(), which behaves like open(2).
 */
#ifndef HEAP_UTIL_H
#define HEAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/types.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Where the heaps are: their device nodes and their class devices. */
#define HU_DEV_DIR	"/dev/dma_heap"
#define HU_SYSFS_DIR	"/sys/class/dma_heap"

/* Writing "3" drops the page cache and runs every shrinker. */
#define HU_DROP_CACHES	"/proc/sys/vm/drop_caches"

/* Every tool's exit status for a bad command line. */
#define HU_EXIT_USAGE	2

__u64 hu_now_ns(void);

int __printf(3, 4) hu_usage_error(const char *prog, void (*usage)(FILE *f),
				  const char *fmt, ...);

int hu_read_file(const char *path, char *buf, size_t len);
int hu_write_file(const char *path, const char *text);
int hu_file_field(const char *path, const char *key, char *val, size_t len);
int hu_parse_u64(const char *str, int base, __u64 *val);
int hu_drop_caches(void);

/* The names in a heap directory, sorted; see hu_list_heaps(). */
struct hu_heaps {
	char **names;
	size_t nr;
};

int hu_list_heaps(const char *dir, struct hu_heaps *heaps);
void hu_free_heaps(struct hu_heaps *heaps);
bool hu_heap_name_ok(const char *name);

int hu_read_attr(const char *dir, const char *heap, const char *attr,
		 char *buf, size_t len);
int hu_read_attr_u64(const char *dir, const char *heap, const char *attr,
		     __u64 *val);

int hu_fdinfo_field(int fd, const char *key, char *val, size_t len);
void hu_buf_exporter(int fd, char *name, size_t len);

int hu_open_heap(const char *dir, const char *name);
int hu_alloc(int heap_fd, __u64 len, __u32 fd_flags, int *fd);
int hu_buf_sync(int fd, __u64 flags);
size_t hu_find_nonzero(const void *mem, size_t len);

/*
 * vgem, the VM's DMA importer: importing a dma-buf into it attaches the
 * buffer and maps it for a device (dma_buf_attach() and
 * dma_buf_map_attachment()), closing the import unmaps and detaches.
 * A tool built without the DRM uapi headers (a host build) has no vgem:
 * hu_vgem_open() fails with ENOTSUP.
 */
int hu_vgem_open(void);
int hu_vgem_import(int vgem, int buf_fd, __u32 *handle);
void hu_vgem_close(int vgem, __u32 handle);

#endif /* HEAP_UTIL_H */
