// SPDX-License-Identifier: GPL-2.0
/*
 * heap-util - helpers shared by the DMA-BUF heap tools
 *
 * Sysfs attributes, fdinfo fields, the heap allocation ioctl and
 * DMA_BUF_IOCTL_SYNC, for tools/dma-heap, tools/dma-heap-fuzz and
 * tools/dma-heap-bench.  See heap-util.h.
 */

#include <ctype.h>
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
 * hu_fdinfo_field() - look up one field of /proc/self/fdinfo/@fd
 * @fd: the descriptor, typically a dma-buf
 * @key: field name without the colon, e.g. "exp_name" or "size"
 * @val: out: the value, leading blanks and the newline removed
 * @len: size of @val; a longer value is truncated
 *
 * A dma-buf shows its size and the name of its exporter there; heaps
 * name their dma-bufs after themselves, so "exp_name" tells which heap
 * really served a buffer when the one asked fell back to another.
 *
 * Return: 0, -ENOENT when there is no such field, or a negative errno.
 */
int hu_fdinfo_field(int fd, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	char path[64], line[256];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
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
