// SPDX-License-Identifier: GPL-2.0
/*
 * heap-util - helpers shared by the DMA-BUF heap tools
 *
 * The list of heaps, sysfs attributes, fields of /proc files, the heap
 * allocation ioctl, DMA_BUF_IOCTL_SYNC and the zero check of a mapped
 * buffer, for tools/dma-heap, tools/dma-heap-fuzz and
 * tools/dma-heap-bench.  See heap-util.h.
 *
 * Not for: what one tool alone does, or its output.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

/* Only the VM's tools need them, and a host may lack them (build.mk). */
#ifdef HU_HAVE_DRM
#include <drm/drm.h>
#endif

#include "heap-util.h"

/* Room for one numeric sysfs attribute. */
#define HU_ATTR_LEN	64

/**
 * hu_usage_error() - say what is wrong with a command line, then its usage
 * @prog: the tool's name, the start of the message
 * @usage: prints the tool's usage text to the stream it is given
 * @fmt: what is wrong, without a trailing newline
 *
 * Everything goes to stderr, so that a script capturing a tool's output
 * does not mistake the help text for results.
 *
 * Return: HU_EXIT_USAGE, for the tool to exit with.
 */
int hu_usage_error(const char *prog, void (*usage)(FILE *f),
		   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	usage(stderr);
	return HU_EXIT_USAGE;
}

/**
 * hu_now_ns() - CLOCK_MONOTONIC in nanoseconds
 *
 * Return: the time, for measuring intervals.
 */
__u64 hu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/**
 * hu_read_file() - read a small text file, such as a sysfs attribute
 * @path: file to read
 * @buf: out: contents, NUL-terminated, trailing whitespace removed
 * @len: size of @buf; longer contents are truncated
 *
 * Return: 0 or a negative errno (-ENOENT when the file is absent).
 */
int hu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);

	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return 0;
}

/**
 * hu_write_file() - write a string to a file in one write(2)
 * @path: file to write, such as a sysctl or a debugfs knob
 * @text: what to write
 *
 * Return: 0, a negative errno, or -EIO when the write was short.
 */
int hu_write_file(const char *path, const char *text)
{
	ssize_t n, len = strlen(text);
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/**
 * hu_parse_u64() - parse a whole string as an unsigned number
 * @str: the string; it must start with a digit (no sign, no blank)
 * @base: as for strtoull(): 10 for sysfs attributes, 0 to also take
 *        "0x" hexadecimal and "0" octal
 * @val: out: the number
 *
 * Return: 0, or -EINVAL when @str is not a number or does not fit.
 */
int hu_parse_u64(const char *str, int base, __u64 *val)
{
	char *end;

	if (!isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	*val = strtoull(str, &end, base);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/**
 * hu_drop_caches() - drop the page cache and run every shrinker
 *
 * The heaps' page pools have shrinkers too, so this also empties them
 * as far as they let go.  Dirty pages are not written back first: call
 * sync(2) before, if that matters.
 *
 * Return: 0 or a negative errno from hu_write_file().
 */
int hu_drop_caches(void)
{
	return hu_write_file(HU_DROP_CACHES, "3");
}

static int hu_cmp_name(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/**
 * hu_list_heaps() - the heaps in a directory, in name order
 * @dir: HU_DEV_DIR for the heaps that can be opened, HU_SYSFS_DIR for
 *       the class devices and their attributes, or a stand-in for tests
 * @heaps: out: the names, every entry of @dir that does not start with
 *         a dot; to be freed with hu_free_heaps(), also when empty
 *
 * Return: 0, -ENOMEM, or the negative errno of opendir() (-ENOENT when
 * @dir does not exist: a kernel without DMA-BUF heaps).
 */
int hu_list_heaps(const char *dir, struct hu_heaps *heaps)
{
	size_t alloc = 0;
	struct dirent *de;
	char **tmp;
	int ret = 0;
	DIR *d;

	heaps->names = NULL;
	heaps->nr = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (heaps->nr == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			tmp = realloc(heaps->names, alloc * sizeof(*tmp));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			heaps->names = tmp;
		}
		heaps->names[heaps->nr] = strdup(de->d_name);
		if (!heaps->names[heaps->nr]) {
			ret = -ENOMEM;
			break;
		}
		heaps->nr++;
	}
	closedir(d);

	if (ret) {
		hu_free_heaps(heaps);
		return ret;
	}
	if (heaps->nr)
		qsort(heaps->names, heaps->nr, sizeof(*heaps->names),
		      hu_cmp_name);
	return 0;
}

/**
 * hu_free_heaps() - free what hu_list_heaps() gave
 * @heaps: the list; left empty
 */
void hu_free_heaps(struct hu_heaps *heaps)
{
	while (heaps->nr)
		free(heaps->names[--heaps->nr]);
	free(heaps->names);
	heaps->names = NULL;
}

/**
 * hu_heap_name_ok() - can @name be a heap, a file of the heap directory?
 * @name: a heap name from the command line
 *
 * Return: false for an empty name, one with a '/', "." and "..", which
 * would open something else than a heap, and one too long to be a file
 * name at all.
 */
bool hu_heap_name_ok(const char *name)
{
	return *name && strlen(name) <= NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/**
 * hu_read_attr() - read a sysfs attribute of a heap
 * @dir: the heaps' class directory, normally HU_SYSFS_DIR
 * @heap: heap name
 * @attr: attribute name
 * @buf: out: its value; see hu_read_file()
 * @len: size of @buf
 *
 * Return: 0 or a negative errno; -ENOENT when the heap has no such
 * attribute (a kernel without the dt-heaps extensions).
 */
int hu_read_attr(const char *dir, const char *heap, const char *attr,
		 char *buf, size_t len)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s/%s", dir, heap, attr);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return hu_read_file(path, buf, len);
}

/**
 * hu_read_attr_u64() - read a numeric sysfs attribute of a heap
 * @dir: the heaps' class directory, normally HU_SYSFS_DIR
 * @heap: heap name
 * @attr: attribute name
 * @val: out: its value, a decimal number
 *
 * Return: 0, a negative errno from hu_read_attr(), or -EINVAL when the
 * value is not a number.
 */
int hu_read_attr_u64(const char *dir, const char *heap, const char *attr,
		     __u64 *val)
{
	char buf[HU_ATTR_LEN];
	int ret;

	ret = hu_read_attr(dir, heap, attr, buf, sizeof(buf));
	if (ret)
		return ret;
	return hu_parse_u64(buf, 10, val);
}

/**
 * hu_file_field() - look up one "key: value" line of a file
 * @path: the file, such as /proc/meminfo or /proc/self/fdinfo/<fd>
 * @key: field name without the colon, e.g. "MemFree" or "exp_name"
 * @val: out: the value, leading blanks and the newline removed
 * @len: size of @val; a longer value is truncated
 *
 * Return: 0, -ENOENT when there is no such field, or a negative errno.
 */
int hu_file_field(const char *path, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	char line[256];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;

	while (fgets(line, sizeof(line), f)) {
		char *p = line + klen + 1;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(val, len, "%s", p);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/**
 * hu_fdinfo_field() - look up one field of /proc/self/fdinfo/@fd
 * @fd: the descriptor, typically a dma-buf
 * @key: field name without the colon, e.g. "exp_name" or "size"
 * @val: out: the value; see hu_file_field()
 * @len: size of @val
 *
 * A dma-buf shows its size and the name of its exporter there; heaps
 * name their dma-bufs after themselves, so "exp_name" tells which heap
 * really served a buffer when the one asked fell back to another.
 *
 * Return: 0, -ENOENT when there is no such field, or a negative errno.
 */
int hu_fdinfo_field(int fd, const char *key, char *val, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return hu_file_field(path, key, val, len);
}

/**
 * hu_buf_exporter() - the heap that served a dma-buf, for printing
 * @fd: the dma-buf
 * @name: out: its "exp_name" in fdinfo, or "?" when it has none
 * @len: size of @name
 */
void hu_buf_exporter(int fd, char *name, size_t len)
{
	if (hu_fdinfo_field(fd, "exp_name", name, len) || !*name)
		snprintf(name, len, "?");
}

/**
 * hu_open_heap() - open the device node of a heap
 * @dir: the heaps' device directory, normally HU_DEV_DIR
 * @name: heap name
 *
 * Return: a read-only, close-on-exec descriptor, or -1 with errno set
 * (ENAMETOOLONG when the path does not fit).
 */
int hu_open_heap(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_CLOEXEC);
}

/**
 * hu_alloc() - allocate one dma-buf with DMA_HEAP_IOCTL_ALLOC
 * @heap_fd: open heap device
 * @len: requested size in bytes
 * @fd_flags: flags of the new descriptor, e.g. O_RDWR | O_CLOEXEC
 * @fd: out: the dma-buf, or -1 on failure
 *
 * No heap flags are passed.
 *
 * Return: 0 or a negative errno.
 */
int hu_alloc(int heap_fd, __u64 len, __u32 fd_flags, int *fd)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = fd_flags,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		*fd = -1;
		return -errno;
	}
	*fd = data.fd;
	return 0;
}

/**
 * hu_buf_sync() - DMA_BUF_IOCTL_SYNC on a dma-buf
 * @fd: the dma-buf
 * @flags: DMA_BUF_SYNC_START or DMA_BUF_SYNC_END, with the access
 *
 * The ioctl is restarted if a signal or a fence wait interrupts it.
 *
 * Return: 0 or a negative errno.
 */
int hu_buf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int ret;

	do {
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret < 0 ? -errno : 0;
}

/**
 * hu_find_nonzero() - the first byte of a mapped buffer that is not zero
 * @mem: the memory, 8-byte aligned (a mapping is)
 * @len: its size
 *
 * Word by word, then byte by byte from the first non-zero word on.  The
 * caller brackets the read with hu_buf_sync(); a fault in the memory is
 * the caller's to catch.
 *
 * Return: the offset of that byte, or @len when all are zero.
 */
size_t hu_find_nonzero(const void *mem, size_t len)
{
	const unsigned char *byte = mem;
	const __u64 *word = mem;
	size_t i, nwords = len / 8;

	for (i = 0; i < nwords && !word[i]; i++)
		;
	for (i *= 8; i < len && !byte[i]; i++)
		;
	return i;
}

#ifdef HU_HAVE_DRM
/* vgem, found by its name among the DRM devices. */
int hu_vgem_open(void)
{
	char path[32], name[16];
	struct drm_version ver;
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&ver, 0, sizeof(ver));
		memset(name, 0, sizeof(name));
		ver.name = name;
		ver.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &ver) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

int hu_vgem_import(int vgem, int buf_fd, __u32 *handle)
{
	struct drm_prime_handle args = { .fd = buf_fd };

	if (ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args))
		return -errno;
	*handle = args.handle;
	return 0;
}

void hu_vgem_close(int vgem, __u32 handle)
{
	struct drm_gem_close args = { .handle = handle };

	ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &args);
}
#else
int hu_vgem_open(void)
{
	errno = ENOTSUP;
	return -1;
}

int hu_vgem_import(int vgem, int buf_fd, __u32 *handle)
{
	(void)vgem;
	(void)buf_fd;
	(void)handle;
	return -ENOTSUP;
}

void hu_vgem_close(int vgem, __u32 handle)
{
	(void)vgem;
	(void)handle;
}
#endif
