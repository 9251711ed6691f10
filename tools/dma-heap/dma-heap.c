// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap - list DMA-BUF heaps and exercise them from userspace
 *
 *   dma-heap list
 *   dma-heap alloc NAME SIZE [--count N] [--quiet] [--hold] [--import]
 *
 * "list" prints every heap in /dev/dma_heap together with the attributes
 * its class device exports in /sys/class/dma_heap/<name>/.  "alloc" takes
 * N buffers from one heap, holds them all at once (so a heap can be driven
 * to exhaustion), and checks that every buffer arrives zero-filled and
 * keeps what is written to it through the dma-buf mmap and sync interface;
 * for a protected heap, that the CPU cannot map the buffers instead. With
 * --import, each buffer is also imported into vgem, which maps it for a
 * device, as a display or codec driver would.
 *
 * Exit status: 0 on success, 1 when an allocation or check fails, 2 on a
 * usage error.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/types.h>

#include "heap-util.h"

#define PROG		"dma-heap"

#define EXIT_FAIL	1
#define EXIT_USAGE	HU_EXIT_USAGE

#define MAX_COUNT	100000
/* Sizes are handed to mmap() and lseek(), so they must fit in an off_t. */
#define MAX_SIZE	0x7fffffffffffffffULL

/* Room for one sysfs attribute value or one formatted table cell. */
#define ATTR_LEN	64

/* Overridable so the tool can be tested against fake directories. */
static const char *dev_dir = HU_DEV_DIR;
static const char *sysfs_dir = HU_SYSFS_DIR;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " list\n"
		"       " PROG " alloc NAME SIZE [--count N] [--quiet] [--hold]\n"
		"                [--import]\n"
		"       " PROG " --help\n"
		"\n"
		"Commands:\n"
		"  list   show the heaps in " HU_DEV_DIR ": type, size of\n"
		"         the fixed region, bytes and buffers in use, and\n"
		"         the fallback heap\n"
		"  alloc  allocate N buffers of SIZE from heap NAME, all\n"
		"         held at once; check that each is zero-filled and\n"
		"         keeps a written pattern, then free them\n"
		"\n"
		"Options for alloc:\n"
		"  --count N, --count=N  number of buffers, 1..%d (default 1)\n"
		"  -q, --quiet           print no line per buffer, only\n"
		"                        the summary (and --hold's line)\n"
		"  --hold                after the checks, keep the buffers\n"
		"                        until standard input ends\n"
		"  --import              import each buffer into vgem (map it\n"
		"                        for a device), then drop the import\n"
		"\n"
		"SIZE is a byte count, optionally followed by K, M or G\n"
		"(powers of 1024, either case), e.g. 4096, 4K, 1m, 2G.\n"
		"\n"
		"Exit status: 0 success, 1 allocation or check failure (or\n"
		"output that could not be written), 2 bad command line.\n"
		"\n"
		"DMA_HEAP_DEV and DMA_HEAP_SYSFS in the environment replace\n"
		HU_DEV_DIR " and " HU_SYSFS_DIR " (for testing).\n",
		MAX_COUNT);
}

/**
 * fmt_size() - format a byte count for humans
 * @bytes: the value
 * @buf: output buffer
 * @len: size of @buf
 *
 * Exact multiples of a unit print as integers ("4K", "64M"); anything else
 * gets one decimal ("1.5G", and "1.0M" for a value just short of 1M), so an
 * integer is never a rounded value.  Values below 1K print as plain bytes.
 *
 * Return: @buf.
 */
static char *fmt_size(__u64 bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int i = 0;
	__u64 unit = 1024, whole, tenths;

	if (bytes < unit) {
		snprintf(buf, len, "%llu", bytes);
		return buf;
	}
	while (units[i + 1] && bytes >= unit << 10) {
		unit <<= 10;
		i++;
	}
	whole = bytes / unit;
	/* (bytes % unit) * 10 cannot overflow: unit is at most 2^60. */
	tenths = ((bytes % unit) * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (whole == 1024 && units[i + 1]) {
		whole = 1;
		i++;
	}
	if (bytes % unit)
		snprintf(buf, len, "%llu.%llu%c", whole, tenths, units[i]);
	else
		snprintf(buf, len, "%llu%c", whole, units[i]);
	return buf;
}

/**
 * parse_size() - parse a SIZE argument
 * @str: decimal digits with an optional K, M or G suffix
 * @size: out: the size in bytes
 *
 * Only digits are accepted before the suffix: strtoull() would silently
 * take "-1", " 1" and "+1", which must be rejected here.
 *
 * Return: 0, -EINVAL for malformed input, -ERANGE for a size above
 * MAX_SIZE, or -EDOM for zero.
 */
static int parse_size(const char *str, __u64 *size)
{
	const char *p = str;
	unsigned int shift;
	__u64 val = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int digit = *p - '0';

		if (val > (MAX_SIZE - digit) / 10)
			return -ERANGE;
		val = val * 10 + digit;
	}

	switch (*p) {
	case '\0':
		shift = 0;
		break;
	case 'k':
	case 'K':
		shift = 10;
		p++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		p++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		p++;
		break;
	default:
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (val > MAX_SIZE >> shift)
		return -ERANGE;
	if (!val)
		return -EDOM;

	*size = val << shift;
	return 0;
}

/* Parse a buffer count: plain decimal digits, 1..MAX_COUNT. */
static int parse_count(const char *str, unsigned int *count)
{
	unsigned int val = 0;
	const char *p;

	if (!*str)
		return -EINVAL;
	for (p = str; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		val = val * 10 + (*p - '0');
		if (val > MAX_COUNT)
			return -ERANGE;
	}
	if (!val)
		return -ERANGE;

	*count = val;
	return 0;
}

/*
 * Table cells for the list command.  A missing attribute (a heap from a
 * kernel that does not export it) is shown as "-", an unreadable or
 * malformed one as "?": the table is for looking, not for failing.
 */
static void cell_string(const char *heap, const char *attr, char *cell)
{
	int ret = hu_read_attr(sysfs_dir, heap, attr, cell, ATTR_LEN);

	if (ret == -ENOENT || (!ret && !*cell))
		snprintf(cell, ATTR_LEN, "-");
	else if (ret)
		snprintf(cell, ATTR_LEN, "?");
}

/* "cached": whether the heap's buffers are cached by the CPU. */
static void cell_cached(const char *heap, char *cell)
{
	cell_string(heap, "cached", cell);
	if (!strcmp(cell, "1"))
		snprintf(cell, ATTR_LEN, "yes");
	else if (!strcmp(cell, "0"))
		snprintf(cell, ATTR_LEN, "no");
	else if (strcmp(cell, "-"))
		snprintf(cell, ATTR_LEN, "?");
}

static void cell_number(const char *heap, const char *attr, bool bytes,
			bool zero_is_none, char *cell)
{
	char raw[ATTR_LEN];
	__u64 val;
	int ret;

	ret = hu_read_attr(sysfs_dir, heap, attr, raw, sizeof(raw));
	if (ret == -ENOENT)
		snprintf(cell, ATTR_LEN, "-");
	else if (ret || hu_parse_u64(raw, 10, &val))
		snprintf(cell, ATTR_LEN, "?");
	else if (!val && zero_is_none)
		snprintf(cell, ATTR_LEN, "-");
	else if (bytes)
		fmt_size(val, cell, ATTR_LEN);
	else
		snprintf(cell, ATTR_LEN, "%llu", val);
}

enum { COL_NAME, COL_TYPE, COL_CACHED, COL_PROTECTED, COL_SIZE, COL_USED,
	COL_BUFFERS, COL_FALLBACK, NR_COLS };

static const char * const col_title[NR_COLS] = {
	"NAME", "TYPE", "CACHED", "PROTECTED", "SIZE", "USED", "BUFFERS",
	"FALLBACK",
};

/* Numbers are right-aligned so that their magnitudes line up. */
static const bool col_right[NR_COLS] = {
	[COL_SIZE] = true, [COL_USED] = true, [COL_BUFFERS] = true,
};

struct heap_row {
	const char *name;
	char cell[NR_COLS][ATTR_LEN];
};

static void fill_row(struct heap_row *row)
{
	snprintf(row->cell[COL_NAME], ATTR_LEN, "%s", row->name);
	cell_string(row->name, "type", row->cell[COL_TYPE]);
	cell_cached(row->name, row->cell[COL_CACHED]);
	/* The protector's name; "-" for a heap the CPU may map. */
	cell_string(row->name, "protected_by", row->cell[COL_PROTECTED]);
	cell_number(row->name, "size_bytes", true, true, row->cell[COL_SIZE]);
	cell_number(row->name, "used_bytes", true, false, row->cell[COL_USED]);
	cell_number(row->name, "buffers", false, false,
		    row->cell[COL_BUFFERS]);
	cell_string(row->name, "fallback", row->cell[COL_FALLBACK]);
}

static void print_row(const char * const *cells, const int *width)
{
	int c;

	for (c = 0; c < NR_COLS; c++) {
		const char *sep = c ? "  " : "";

		if (col_right[c])
			printf("%s%*s", sep, width[c], cells[c]);
		else if (c == NR_COLS - 1)
			printf("%s%s", sep, cells[c]);	/* no trailing blanks */
		else
			printf("%s%-*s", sep, width[c], cells[c]);
	}
	putchar('\n');
}

static void print_table(struct heap_row *rows, size_t nr)
{
	const char *cells[NR_COLS];
	int width[NR_COLS];
	size_t r;
	int c;

	for (c = 0; c < NR_COLS; c++)
		width[c] = strlen(col_title[c]);
	for (r = 0; r < nr; r++) {
		for (c = 0; c < NR_COLS; c++) {
			int w = strlen(rows[r].cell[c]);

			if (w > width[c])
				width[c] = w;
		}
	}

	print_row(col_title, width);
	for (r = 0; r < nr; r++) {
		for (c = 0; c < NR_COLS; c++)
			cells[c] = rows[r].cell[c];
		print_row(cells, width);
	}
}

static void complain_no_dev_dir(void)
{
	fprintf(stderr, PROG ": %s does not exist: no DMA-BUF heaps here\n",
		dev_dir);
	fprintf(stderr, PROG ": (is CONFIG_DMABUF_HEAPS enabled?)\n");
}

static int cmd_list(int argc, char **argv)
{
	struct hu_heaps heaps;
	struct heap_row *rows;
	size_t i;
	int ret;

	if (argc > 0)
		return hu_usage_error(PROG, usage,
				      "list: unexpected argument '%s'",
				      argv[0]);

	ret = hu_list_heaps(dev_dir, &heaps);
	if (ret == -ENOENT)
		complain_no_dev_dir();
	else if (ret == -ENOMEM)
		fprintf(stderr, PROG ": out of memory\n");
	else if (ret)
		fprintf(stderr, PROG ": cannot open %s: %s\n", dev_dir,
			strerror(-ret));
	if (ret)
		return EXIT_FAIL;

	/* One more row than heaps: calloc(0) may give NULL. */
	rows = calloc(heaps.nr + 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, PROG ": out of memory\n");
		hu_free_heaps(&heaps);
		return EXIT_FAIL;
	}
	for (i = 0; i < heaps.nr; i++) {
		rows[i].name = heaps.names[i];
		fill_row(&rows[i]);
	}
	print_table(rows, heaps.nr);
	if (!heaps.nr)
		fprintf(stderr, PROG ": no heaps in %s\n", dev_dir);

	free(rows);
	hu_free_heaps(&heaps);
	return 0;
}

/* One allocated dma-buf of the alloc command. */
struct buffer {
	int fd;
	__u64 size;		/* real size of the dma-buf */
	__u64 alloc_us;		/* time DMA_HEAP_IOCTL_ALLOC took */
};

/*
 * Holding N buffers at once needs N descriptors, far more than the usual
 * soft limit of 1024.  Raise the limit as far as we are allowed; if that
 * is not far enough, the allocation that hits EMFILE says so.
 */
static void raise_fd_limit(unsigned int count)
{
	rlim_t want = (rlim_t)count + 16;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit both = { .rlim_cur = want, .rlim_max = want };

		/* Only root may raise the hard limit. */
		if (!setrlimit(RLIMIT_NOFILE, &both))
			return;
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/**
 * alloc_one() - allocate one dma-buf and time the ioctl
 * @heap_fd: open heap device
 * @len: requested size
 * @buf: out: the new buffer
 *
 * Return: 0 or a negative errno.
 */
static int alloc_one(int heap_fd, __u64 len, struct buffer *buf)
{
	__u64 start, end;
	off_t size;
	int ret;

	start = hu_now_ns();
	ret = hu_alloc(heap_fd, len, O_RDWR | O_CLOEXEC, &buf->fd);
	if (ret)
		return ret;
	end = hu_now_ns();

	buf->alloc_us = (end - start) / 1000;

	/*
	 * The heap rounds @len up to whole pages.  Check the buffer's real
	 * size (a dma-buf reports it through SEEK_END) so that the tail
	 * past @len is checked for zeroes as well.
	 */
	size = lseek(buf->fd, 0, SEEK_END);
	buf->size = size > 0 ? (__u64)size : len;
	return 0;
}

/*
 * The test pattern mixes the buffer index and the offset, so a page that
 * is mapped at the wrong offset reads back wrong, and a page shared with
 * an earlier live buffer fails the zero check with that buffer's pattern.
 * Odd multipliers keep neighbouring words distinct.
 */
static __u64 pattern(unsigned int idx, __u64 off)
{
	return (off * 0x9e3779b97f4a7c15ULL) ^
	       ((idx + 1ULL) * 0xc2b2ae3d27d4eb4fULL);
}

/* Byte @off of the pattern, for a tail shorter than a word. */
static unsigned char pattern_byte(unsigned int idx, __u64 off)
{
	return pattern(idx, off & ~7ULL) >> (8 * (off & 7));
}

static void write_pattern(unsigned char *map, __u64 size, unsigned int idx)
{
	__u64 *word = (__u64 *)map;
	__u64 i, nwords = size / 8;

	for (i = 0; i < nwords; i++)
		word[i] = pattern(idx, i * 8);
	for (i = nwords * 8; i < size; i++)
		map[i] = pattern_byte(idx, i);
}

/* Return the offset of the first byte that differs, or @size if none. */
static __u64 check_pattern(const unsigned char *map, __u64 size,
			   unsigned int idx)
{
	const __u64 *word = (const __u64 *)map;
	__u64 i, nwords = size / 8;

	for (i = 0; i < nwords && word[i] == pattern(idx, i * 8); i++)
		;
	for (i *= 8; i < size && map[i] == pattern_byte(idx, i); i++)
		;
	return i;
}

static int sync_failed(unsigned int idx, const char *what, int err)
{
	fprintf(stderr, PROG ": buffer %u: DMA_BUF_IOCTL_SYNC (%s) failed: %s\n",
		idx, what, strerror(-err));
	return -1;
}

/**
 * check_buffer() - check that a buffer is zeroed and holds what is written
 * @buf: the buffer
 * @idx: its index, which also seeds the pattern
 *
 * All CPU access happens between SYNC_START and SYNC_END, as the dma-buf
 * ABI requires: on non-coherent systems anything else may see stale cache
 * lines, and a heap that forgot to flush its zeroing would go unnoticed.
 *
 * Return: 0, or -1 after printing what went wrong.
 */
static int check_buffer(const struct buffer *buf, unsigned int idx)
{
	unsigned char *map;
	int ret, err;
	__u64 off;

	map = mmap(NULL, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   buf->fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, PROG ": buffer %u: mmap of %llu bytes failed: %s\n",
			idx, buf->size, strerror(errno));
		return -1;
	}

	ret = hu_buf_sync(buf->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	if (ret) {
		sync_failed(idx, "start rw", ret);
		goto out;
	}
	off = hu_find_nonzero(map, buf->size);
	if (off < buf->size) {
		fprintf(stderr,
			PROG ": buffer %u: not zero-filled at offset %llu (0x%llx): 0x%02x\n",
			idx, off, off, map[off]);
		hu_buf_sync(buf->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		ret = -1;
		goto out;
	}
	write_pattern(map, buf->size, idx);
	ret = hu_buf_sync(buf->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	if (ret) {
		sync_failed(idx, "end rw", ret);
		goto out;
	}

	ret = hu_buf_sync(buf->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (ret) {
		sync_failed(idx, "start read", ret);
		goto out;
	}
	off = check_pattern(map, buf->size, idx);
	if (off < buf->size) {
		fprintf(stderr,
			PROG ": buffer %u: bad data at %llu (0x%llx): read 0x%02x, wrote 0x%02x\n",
			idx, off, off, map[off], pattern_byte(idx, off));
		ret = -1;
	}
	err = hu_buf_sync(buf->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	if (err && !ret)
		ret = sync_failed(idx, "end read", err);

out:
	munmap(map, buf->size);
	return ret ? -1 : 0;
}

/**
 * check_protected_buffer() - check that the CPU cannot map a buffer
 * @buf: a buffer of a protected heap
 * @idx: its index
 *
 * The kernel never maps a protected heap's buffers for the CPU: mmap()
 * fails with EPERM, and DMA_BUF_IOCTL_SYNC does nothing and succeeds.
 *
 * Return: 0, or -1 after printing what went wrong.
 */
static int check_protected_buffer(const struct buffer *buf, unsigned int idx)
{
	void *map;
	int ret;

	map = mmap(NULL, buf->size, PROT_READ, MAP_SHARED, buf->fd, 0);
	if (map != MAP_FAILED) {
		munmap(map, buf->size);
		fprintf(stderr, PROG ": buffer %u: a protected buffer was mapped\n",
			idx);
		return -1;
	}
	if (errno != EPERM) {
		fprintf(stderr, PROG ": buffer %u: mmap of a protected buffer failed with %s, not EPERM\n",
			idx, strerror(errno));
		return -1;
	}
	ret = hu_buf_sync(buf->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	if (ret)
		return sync_failed(idx, "start rw", ret);
	ret = hu_buf_sync(buf->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	if (ret)
		return sync_failed(idx, "end rw", ret);
	return 0;
}

struct alloc_args {
	const char *heap;
	__u64 size;
	unsigned int count;
	bool quiet;
	bool hold;
	bool import;
};

/*
 * Parse "NAME SIZE [--count N] [--quiet] [--hold] [--import]", options in
 * any position.
 * "-1" and the like are taken as values, so that a negative size is
 * reported as a bad size rather than as an unknown option.
 */
static int parse_alloc_args(int argc, char **argv, struct alloc_args *args)
{
	const char *pos[2], *count_str = NULL;
	bool options = true;
	int i, npos = 0, ret;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (options && !strcmp(arg, "--")) {
			options = false;
		} else if (options && !strcmp(arg, "--count")) {
			if (++i == argc)
				return hu_usage_error(PROG, usage,
						      "alloc: %s needs a value",
						      arg);
			count_str = argv[i];
		} else if (options && !strncmp(arg, "--count=", 8)) {
			count_str = arg + 8;
		} else if (options && (!strcmp(arg, "--quiet") ||
				       !strcmp(arg, "-q"))) {
			args->quiet = true;
		} else if (options && !strcmp(arg, "--hold")) {
			args->hold = true;
		} else if (options && !strcmp(arg, "--import")) {
			args->import = true;
		} else if (options && arg[0] == '-' && arg[1] &&
			   !isdigit((unsigned char)arg[1])) {
			return hu_usage_error(PROG, usage,
					      "alloc: unknown option '%s'",
					      arg);
		} else if (npos < 2) {
			pos[npos++] = arg;
		} else {
			return hu_usage_error(PROG, usage,
					      "alloc: unexpected argument '%s'",
					      arg);
		}
	}
	if (npos < 2)
		return hu_usage_error(PROG, usage,
				      "alloc: missing %s",
				      npos ? "SIZE" : "NAME");

	args->heap = pos[0];
	if (!hu_heap_name_ok(args->heap)) {
		fprintf(stderr, PROG ": invalid heap name '%s'\n", args->heap);
		return EXIT_USAGE;
	}

	ret = parse_size(pos[1], &args->size);
	if (ret) {
		fprintf(stderr, PROG ": invalid size '%s': %s\n", pos[1],
			ret == -ERANGE ? "too large (limit 2^63 - 1 bytes)" :
			ret == -EDOM ? "must be greater than zero" :
			"expected digits and an optional K, M or G suffix");
		return EXIT_USAGE;
	}

	args->count = 1;
	if (count_str && parse_count(count_str, &args->count)) {
		fprintf(stderr, PROG ": invalid count '%s': expected a number from 1 to %d\n",
			count_str, MAX_COUNT);
		return EXIT_USAGE;
	}
	return 0;
}

/* Open /dev/dma_heap/<name>, explaining a missing heap. */
static int open_heap(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int n, fd;

	/* The path, for the messages: hu_open_heap() builds its own. */
	n = snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, PROG ": no such heap '%s': name too long\n",
			name);
		return -1;
	}

	fd = hu_open_heap(dev_dir, name);
	if (fd >= 0)
		return fd;

	if (errno != ENOENT) {
		fprintf(stderr, PROG ": cannot open heap '%s' (%s): %s\n",
			name, path, strerror(errno));
		return -1;
	}
	fprintf(stderr, PROG ": no such heap '%s' (%s: %s)\n", name, path,
		strerror(ENOENT));
	if (stat(dev_dir, &st))
		complain_no_dev_dir();
	else
		fprintf(stderr, PROG ": '" PROG " list' shows the heaps there are\n");
	return -1;
}

/**
 * alloc_all() - allocate the buffers, stopping at the first failure
 * @heap_fd: open heap device
 * @args: what to allocate
 * @bufs: out: the buffers
 *
 * Return: the number of buffers allocated; fewer than @args->count means
 * the next one failed, which has been reported.
 */
static unsigned int alloc_all(int heap_fd, const struct alloc_args *args,
			      struct buffer *bufs)
{
	char size_str[ATTR_LEN];
	unsigned int i;
	int ret;

	for (i = 0; i < args->count; i++) {
		ret = alloc_one(heap_fd, args->size, &bufs[i]);
		if (ret) {
			fprintf(stderr,
				PROG ": buffer %u: allocating %s from heap '%s' failed: %s\n",
				i, fmt_size(args->size, size_str,
					    sizeof(size_str)),
				args->heap, strerror(-ret));
			break;
		}
	}
	return i;
}

/*
 * Keep the buffers (their fds stay open) until standard input ends, so
 * that a test can look at the system while they live: a heap's sysfs
 * figures, or a heap-type module that must refuse to unload.
 */
static void hold_until_eof(unsigned int nr)
{
	char buf[256];
	ssize_t n;

	printf("holding %u buffer(s) until the end of standard input\n", nr);
	fflush(stdout);
	do {
		n = read(STDIN_FILENO, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

/*
 * Import the buffer into vgem and drop the import again: the exporter
 * maps it for a device and unmaps it. 0, or -1 after saying why.
 */
static int import_buffer(int vgem, const struct buffer *buf, unsigned int idx)
{
	__u32 handle;
	int ret;

	ret = hu_vgem_import(vgem, buf->fd, &handle);
	if (ret) {
		fprintf(stderr, PROG ": buffer %u: import into vgem failed: %s\n",
			idx, strerror(-ret));
		return -1;
	}
	hu_vgem_close(vgem, handle);
	return 0;
}

/* vgem, for --import; -1 after saying why it is not there. */
static int open_importer(void)
{
	int vgem = hu_vgem_open();

	if (vgem < 0)
		fprintf(stderr, PROG ": --import: no vgem device: %s\n",
			strerror(errno));
	return vgem;
}

static int cmd_alloc(int argc, char **argv)
{
	struct alloc_args args = { 0 };
	char size_str[ATTR_LEN], exp[ATTR_LEN], protector[ATTR_LEN];
	unsigned int i, nr, bad = 0;
	__u64 start, alloc_us = 0;
	struct buffer *bufs;
	int heap_fd, ret, vgem = -1;
	bool ok, protected;

	ret = parse_alloc_args(argc, argv, &args);
	if (ret)
		return ret;

	bufs = calloc(args.count, sizeof(*bufs));
	if (!bufs) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_FAIL;
	}
	raise_fd_limit(args.count);

	heap_fd = open_heap(args.heap);
	if (heap_fd >= 0 && args.import) {
		vgem = open_importer();
		if (vgem < 0)
			close(heap_fd);
	}
	if (heap_fd < 0 || (args.import && vgem < 0)) {
		free(bufs);
		return EXIT_FAIL;
	}

	/* A protected heap falls back only to heaps of its protector. */
	protected = !hu_read_attr(sysfs_dir, args.heap, "protected_by",
				  protector, sizeof(protector)) && *protector;

	start = hu_now_ns();
	nr = alloc_all(heap_fd, &args, bufs);
	/* The buffers alone keep what they need, held or not. */
	close(heap_fd);

	/*
	 * Check even the buffers of a failed run: which heap served them is
	 * exactly what one wants to know after exhausting a heap.
	 */
	for (i = 0; i < nr; i++) {
		alloc_us += bufs[i].alloc_us;
		hu_buf_exporter(bufs[i].fd, exp, sizeof(exp));
		ret = protected ? check_protected_buffer(&bufs[i], i) :
				  check_buffer(&bufs[i], i);
		if (!ret && vgem >= 0)
			ret = import_buffer(vgem, &bufs[i], i);
		if (ret)
			bad++;
		if (!args.quiet)
			printf("buffer %u: size=%s alloc_us=%llu exporter=%s check=%s\n",
			       i, fmt_size(bufs[i].size, size_str,
					   sizeof(size_str)),
			       bufs[i].alloc_us, exp, ret ? "FAIL" : "ok");
	}

	if (args.hold)
		hold_until_eof(nr);
	for (i = 0; i < nr; i++)
		close(bufs[i].fd);
	free(bufs);
	if (vgem >= 0)
		close(vgem);

	ok = nr == args.count && !bad;
	printf("summary: heap=%s size=%s count=%u allocated=%u failed=%u",
	       args.heap, fmt_size(args.size, size_str, sizeof(size_str)),
	       args.count, nr, bad);
	printf(" alloc_us=%llu total_us=%llu%s result=%s\n", alloc_us,
	       (hu_now_ns() - start) / 1000,
	       args.import ? " imported=vgem" : "", ok ? "ok" : "FAIL");

	return ok ? 0 : EXIT_FAIL;
}

static const char *env_or(const char *name, const char *def)
{
	const char *val = getenv(name);

	return val && *val ? val : def;
}

/*
 * What a command printed reaches its reader, or the command fails: a
 * table or a summary lost to a full disk or a closed pipe must not look
 * like success to a script.
 */
static int flush_stdout(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the output: %s\n", PROG,
			strerror(errno));
		return ret ? ret : EXIT_FAIL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i;

	dev_dir = env_or("DMA_HEAP_DEV", HU_DEV_DIR);
	sysfs_dir = env_or("DMA_HEAP_SYSFS", HU_SYSFS_DIR);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}

	/* --help anywhere wins, so "dma-heap alloc --help" works too. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	}

	cmd = argv[1];
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return flush_stdout(0);
	}
	if (!strcmp(cmd, "list"))
		return flush_stdout(cmd_list(argc - 2, argv + 2));
	if (!strcmp(cmd, "alloc"))
		return flush_stdout(cmd_alloc(argc - 2, argv + 2));

	return hu_usage_error(PROG, usage, "unknown command '%s'", cmd);
}
