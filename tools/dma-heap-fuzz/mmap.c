// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz mmap: dma-buf mappings, used as a hostile process would
 *
 * "mmap" checks what a process can do with a dma-buf mapping: map past
 * the end, at odd offsets, grow it with mremap(), split it, share it
 * with a child, keep it after closing the descriptor. A mapping must
 * only ever show the buffer's own memory, and a buffer must always
 * arrive zeroed, whatever the buffer before it held.
 *
 * Each check gets a buffer of MMAP_PAGES pages from the heap under test
 * and prints "PASS: mmap-<heap>-<check>" or a FAIL line with why.
 *
 * Not for: the allocation ioctl's arguments and answers (alloc.c),
 * allocations made to fail inside the kernel (faults.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>

#include "fuzz.h"

#define MMAP_PAGES	3

/* The buffer under test for one heap. */
struct mctx {
	int heap;
	int heap_fd;
	int fd;
	size_t size;
	size_t npages;
	unsigned int seed;
};

/* One check: its name and, when it failed, why. */
struct check {
	char name[NAME_LEN + 32];
	char why[256];
};

static bool __printf(2, 3) flunk(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ck->why, sizeof(ck->why), fmt, ap);
	va_end(ap);
	return false;
}

/* Run @fn over @len bytes at @p (byte @base of the buffer). */
static bool mem_run(struct check *ck, void (*fn)(void *), unsigned char *p,
		    size_t len, size_t base, unsigned int seed,
		    const char *what)
{
	struct mem_op op = {
		.p = p, .len = len, .base = base, .seed = seed, .bad = len,
	};
	int sig;

	sig = guarded(fn, &op);
	if (sig)
		return flunk(ck, "%s: signal %d at buffer offset %zd", what,
			     sig, base + ((unsigned char *)guard_addr - p));
	if (op.bad < len)
		return flunk(ck, "%s: wrong byte at buffer offset %zu: 0x%02x",
			     what, base + op.bad, p[op.bad]);
	return true;
}

static bool check_pat(struct check *ck, unsigned char *p, size_t len,
		      size_t base, unsigned int seed, const char *what)
{
	return mem_run(ck, op_check, p, len, base, seed, what);
}

static bool fill_pat(struct check *ck, unsigned char *p, size_t len,
		     size_t base, unsigned int seed)
{
	return mem_run(ck, op_fill, p, len, base, seed, "write");
}

/* Nothing may be readable at @addr: it is past the buffer or unmapped. */
static bool check_unmapped(struct check *ck, void *addr, const char *what)
{
	if (probe_readable(addr))
		return flunk(ck, "%s is readable", what);
	return true;
}

static bool mm_size(struct mctx *m, struct check *ck)
{
	if (m->size != MMAP_PAGES * page_size)
		return flunk(ck, "dma-buf is %zu bytes, asked %zu (PAGE_ALIGN)",
			     m->size, MMAP_PAGES * page_size);
	return true;
}

/* Map it whole: zeroed, and keeps what is written. */
static bool mm_exact(struct mctx *m, struct check *ck)
{
	unsigned char *p;
	bool ok;

	p = map_buf(m->fd, m->size, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap of %zu bytes: %s", m->size,
			     strerror(errno));

	hu_buf_sync(m->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	ok = mem_run(ck, op_zero, p, m->size, 0, 0, "zero-filled") &&
	     fill_pat(ck, p, m->size, 0, m->seed);
	hu_buf_sync(m->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	if (ok) {
		hu_buf_sync(m->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		ok = check_pat(ck, p, m->size, 0, m->seed, "read back");
		hu_buf_sync(m->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	}
	munmap(p, m->size);
	return ok;
}

/* A mapping that fails, with @want (0: any errno). */
static bool must_not_map(struct check *ck, int fd, size_t len, __u64 off,
			 int want)
{
	long ret;
	int err;

	/* The raw syscall: off is unsigned there, up to 2^64 - page. */
	ret = syscall(SYS_mmap, NULL, len, PROT_READ, MAP_SHARED, fd, off);
	err = errno;
	if (ret != -1) {
		bool readable = probe_readable((char *)ret + len - 1);

		munmap((void *)ret, len);
		return flunk(ck, "mmap of %zu bytes at offset 0x%llx succeeded%s",
			     len, off, readable ? " and is readable" : "");
	}
	if (want && err != want)
		return flunk(ck, "mmap of %zu bytes at offset 0x%llx: %s, expected %s",
			     len, off, strerror(err), errno_name(want));
	return true;
}

static bool mm_beyond(struct mctx *m, struct check *ck)
{
	return must_not_map(ck, m->fd, m->size + page_size, 0, EINVAL);
}

static bool mm_offset(struct mctx *m, struct check *ck)
{
	size_t len = 2 * page_size;
	unsigned char *p;
	bool ok;

	p = map_buf(m->fd, len, page_size, PROT_READ);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap of 2 pages at page 1: %s",
			     strerror(errno));
	ok = check_pat(ck, p, len, page_size, m->seed, "pages 1-2");
	munmap(p, len);
	return ok;
}

static bool mm_offset_last(struct mctx *m, struct check *ck)
{
	size_t base = (m->npages - 1) * page_size;
	unsigned char *p;
	bool ok;

	p = map_buf(m->fd, page_size, base, PROT_READ);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap of the last page: %s", strerror(errno));
	ok = check_pat(ck, p, page_size, base, m->seed, "last page");
	munmap(p, page_size);
	return ok;
}

static bool mm_offset_end(struct mctx *m, struct check *ck)
{
	return must_not_map(ck, m->fd, page_size, m->size, EINVAL);
}

/* Offsets whose page number is near 2^52, the most an offset can give. */
static bool mm_offset_huge(struct mctx *m, struct check *ck)
{
	const __u64 top = ~0ULL & ~((__u64)page_size - 1);
	const __u64 offs[] = {
		top, top - m->size, top - page_size, BIT(63), BIT(63) - m->size,
		BIT(62), BIT(52), BIT(40),
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		if (!must_not_map(ck, m->fd, page_size, offs[i], 0) ||
		    !must_not_map(ck, m->fd, m->size, offs[i], 0))
			return false;
	}
	return true;
}

/*
 * Map the buffer with a hole of @extra bytes right after it, so that a
 * mapping that grows in place would have room to.
 */
static unsigned char *map_before_hole(int fd, size_t size, size_t extra)
{
	unsigned char *base, *p;

	base = mmap(NULL, size + extra, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	p = mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0);
	if (p == MAP_FAILED) {
		munmap(base, size + extra);
		return MAP_FAILED;
	}
	munmap(base + size, extra);
	return p;
}

static bool mm_mremap_grow(struct mctx *m, struct check *ck)
{
	size_t extra = 4 * page_size, len = m->size;
	unsigned char *p, *q;
	bool ok = true;

	p = map_before_hole(m->fd, len, extra);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap: %s", strerror(errno));

	q = mremap(p, len, len + page_size, 0);
	if (q != MAP_FAILED) {
		ok = flunk(ck, "mremap grew the mapping in place%s",
			   probe_readable(p + len) ?
			   ", and the page past the buffer is readable" : "");
		len += page_size;
	}
	if (ok) {
		q = mremap(p, len, len + page_size, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			ok = flunk(ck, "mremap(MREMAP_MAYMOVE) grew the mapping%s",
				   probe_readable(q + len) ?
				   ", and the page past the buffer is readable" :
				   "");
			p = q;
			len += page_size;
		}
	}
	ok = ok && check_unmapped(ck, p + len, "the page past the buffer") &&
	     check_pat(ck, p, len, 0, m->seed, "after mremap");
	munmap(p, len);
	return ok;
}

static bool mm_mremap_shrink(struct mctx *m, struct check *ck)
{
	size_t len = m->size, small = len - page_size;
	unsigned char *p, *q;
	bool ok;

	p = map_buf(m->fd, len, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap: %s", strerror(errno));
	q = mremap(p, len, small, 0);
	if (q == MAP_FAILED) {
		ok = flunk(ck, "mremap to %zu bytes: %s", small,
			   strerror(errno));
		munmap(p, len);
		return ok;
	}
	ok = check_pat(ck, q, small, 0, m->seed, "after shrinking") &&
	     check_unmapped(ck, q + small, "the page shrunk away");
	munmap(q, small);
	return ok;
}

static bool mm_munmap_middle(struct mctx *m, struct check *ck)
{
	size_t len = 3 * page_size;
	unsigned char *p;
	bool ok;

	p = map_buf(m->fd, len, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap: %s", strerror(errno));
	if (munmap(p + page_size, page_size)) {
		ok = flunk(ck, "munmap of the middle page: %s",
			   strerror(errno));
		munmap(p, len);
		return ok;
	}
	ok = check_pat(ck, p, page_size, 0, m->seed, "page 0") &&
	     check_pat(ck, p + 2 * page_size, page_size, 2 * page_size,
		       m->seed, "page 2") &&
	     check_unmapped(ck, p + page_size, "the unmapped middle page");
	munmap(p, page_size);
	munmap(p + 2 * page_size, page_size);
	return ok;
}

/* In the child: see the parent's data, then write page 1 anew. */
static int fork_child(struct mctx *m, unsigned char *p)
{
	struct check ck;

	hu_buf_sync(m->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	if (!check_pat(&ck, p, m->size, 0, m->seed, "child"))
		return 2;
	if (!fill_pat(&ck, p + page_size, page_size, page_size, m->seed + 1))
		return 3;
	hu_buf_sync(m->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	return 0;
}

static bool mm_fork(struct mctx *m, struct check *ck)
{
	unsigned char *p;
	int status;
	bool ok;
	pid_t pid;

	p = map_buf(m->fd, m->size, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return flunk(ck, "mmap: %s", strerror(errno));

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ok = flunk(ck, "fork: %s", strerror(errno));
		goto out;
	}
	if (!pid)
		_exit(fork_child(m, p));

	if (waitpid(pid, &status, 0) != pid) {
		ok = flunk(ck, "waitpid: %s", strerror(errno));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ok = flunk(ck, "child %s %d (2: parent's data wrong, 3: write faulted)",
			   WIFEXITED(status) ? "exited with" : "killed by signal",
			   WIFEXITED(status) ? WEXITSTATUS(status) :
			   WTERMSIG(status));
		goto out;
	}
	hu_buf_sync(m->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	ok = check_pat(ck, p + page_size, page_size, page_size, m->seed + 1,
		       "child's write seen by the parent");
	/* Put the parent's pattern back for the checks after this one. */
	fill_pat(ck, p + page_size, page_size, page_size, m->seed);
	hu_buf_sync(m->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
out:
	munmap(p, m->size);
	return ok;
}

/* Wait up to 2 s for a heap's figures to reach @used and @buffers. */
static bool wait_usage(int heap, __u64 used, __u64 buffers)
{
	__u64 u, b;
	int i;

	for (i = 0; i < 100; i++) {
		heap_usage(heap, &u, &b);
		if (u == used && b == buffers)
			return true;
		sleep_ms(20);
	}
	return false;
}

/*
 * A mapping holds its buffer: after close() it still works and the
 * buffer is still counted; munmap() of the last mapping frees it.
 */
static bool mm_after_close(struct mctx *m, struct check *ck)
{
	__u64 used0, buffers0, used1, buffers1, used2, buffers2;
	int fd = -1, ret, server;
	unsigned char *p;
	size_t size;
	bool ok;

	ret = hu_alloc(m->heap_fd, MMAP_PAGES * page_size,
			O_RDWR | O_CLOEXEC, &fd);
	if (ret)
		return flunk(ck, "alloc: %s", strerror(-ret));
	server = buf_server(fd);
	size = lseek(fd, 0, SEEK_END);
	if (server < 0) {
		close(fd);
		return flunk(ck, "no exp_name of a known heap in fdinfo");
	}
	p = map_buf(fd, size, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		ok = flunk(ck, "mmap: %s", strerror(errno));
		close(fd);
		return ok;
	}
	ok = fill_pat(ck, p, size, 0, m->seed + 2);
	heap_usage(server, &used1, &buffers1);
	close(fd);

	ok = ok && check_pat(ck, p, size, 0, m->seed + 2, "after close") &&
	     fill_pat(ck, p, size, 0, m->seed + 3) &&
	     check_pat(ck, p, size, 0, m->seed + 3, "written after close");
	heap_usage(server, &used2, &buffers2);
	if (ok && (used2 != used1 || buffers2 != buffers1))
		ok = flunk(ck, "%s: used_bytes %llu -> %llu, buffers %llu -> %llu while still mapped",
			   heaps[server].name, used1, used2, buffers1,
			   buffers2);
	munmap(p, size);

	used0 = used1 - size;
	buffers0 = buffers1 - 1;
	if (ok && !wait_usage(server, used0, buffers0)) {
		heap_usage(server, &used2, &buffers2);
		ok = flunk(ck, "%s: after munmap used_bytes %llu (want %llu), buffers %llu (want %llu)",
			   heaps[server].name, used2, used0, buffers2,
			   buffers0);
	}
	return ok;
}

/* One buffer: zeroed when it comes, dirtied before it goes. */
static bool reuse_once(struct mctx *m, struct check *ck, size_t len,
		       int round)
{
	struct mem_op op;
	unsigned char *p;
	int fd = -1, ret, sig;
	size_t size;
	bool ok = true;

	ret = hu_alloc(m->heap_fd, len, O_RDWR | O_CLOEXEC, &fd);
	if (ret)
		return flunk(ck, "round %d: alloc of %zu bytes: %s", round,
			     len, strerror(-ret));
	size = lseek(fd, 0, SEEK_END);
	p = map_buf(fd, size, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		ok = flunk(ck, "round %d: mmap: %s", round, strerror(errno));
		close(fd);
		return ok;
	}

	hu_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	op = (struct mem_op){ .p = p, .len = size };
	sig = guarded(op_zero, &op);
	if (sig)
		ok = flunk(ck, "round %d: signal %d reading", round, sig);
	else if (op.bad < size)
		ok = flunk(ck, "round %d, %zu bytes: byte %zu is 0x%02x: an earlier buffer's data",
			   round, len, op.bad, p[op.bad]);
	else
		guarded(op_dirty, &op);
	hu_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, size);
	close(fd);
	return ok;
}

static bool mm_reuse_zeroed(struct mctx *m, struct check *ck)
{
	const size_t lens[] = { MMAP_PAGES * page_size, 64 * KiB, MiB };
	size_t i;
	int round;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		for (round = 0; round < 4; round++)
			if (!reuse_once(m, ck, lens[i], round))
				return false;
	return true;
}

/* A read-only dma-buf maps read-only, and never becomes writable. */
static bool mm_rdonly(struct mctx *m, struct check *ck)
{
	unsigned char *p;
	size_t size;
	int fd = -1, ret;
	bool ok = true;

	ret = hu_alloc(m->heap_fd, MMAP_PAGES * page_size,
			O_RDONLY | O_CLOEXEC, &fd);
	if (ret)
		return flunk(ck, "alloc: %s", strerror(-ret));
	size = lseek(fd, 0, SEEK_END);

	p = map_buf(fd, size, 0, PROT_READ | PROT_WRITE);
	if (p != MAP_FAILED) {
		munmap(p, size);
		ok = flunk(ck, "a writable mapping of an O_RDONLY dma-buf worked");
	} else if (errno != EACCES) {
		ok = flunk(ck, "writable mapping: %s, expected EACCES",
			   strerror(errno));
	}

	p = map_buf(fd, size, 0, PROT_READ);
	if (p == MAP_FAILED) {
		ok = flunk(ck, "read-only mapping: %s", strerror(errno));
	} else {
		if (ok)
			ok = mem_run(ck, op_zero, p, size, 0, 0,
				     "zero-filled");
		if (ok && !mprotect(p, size, PROT_READ | PROT_WRITE))
			ok = flunk(ck, "mprotect(PROT_WRITE) of the read-only mapping worked");
		munmap(p, size);
	}
	close(fd);
	return ok;
}

struct mm_check {
	const char *name;
	bool (*fn)(struct mctx *m, struct check *ck);
};

static const struct mm_check mm_checks[] = {
	{ "size", mm_size },
	{ "exact", mm_exact },
	{ "beyond", mm_beyond },
	{ "offset", mm_offset },
	{ "offset-last", mm_offset_last },
	{ "offset-end", mm_offset_end },
	{ "offset-huge", mm_offset_huge },
	{ "mremap-grow", mm_mremap_grow },
	{ "mremap-shrink", mm_mremap_shrink },
	{ "munmap-middle", mm_munmap_middle },
	{ "fork", mm_fork },
	{ "after-close", mm_after_close },
	{ "reuse-zeroed", mm_reuse_zeroed },
	{ "rdonly", mm_rdonly },
};

static void mmap_heap(int heap)
{
	struct mctx m = {
		.heap = heap,
		.seed = heap * 16 + 1,
	};
	struct check ck;
	int ret, i;

	snapshot_heaps();
	snprintf(ck.name, sizeof(ck.name), "mmap-%s-alloc", heaps[heap].name);
	m.heap_fd = hu_open_heap(HU_DEV_DIR, heaps[heap].name);
	if (m.heap_fd < 0) {
		fail(ck.name, "open: %s", strerror(errno));
		return;
	}
	ret = hu_alloc(m.heap_fd, MMAP_PAGES * page_size, O_RDWR | O_CLOEXEC,
			&m.fd);
	if (ret) {
		fail(ck.name, "%zu bytes: %s", MMAP_PAGES * page_size,
		     strerror(-ret));
		close(m.heap_fd);
		return;
	}
	pass(ck.name);

	/* The bounds checks go by the dma-buf's own size. */
	m.size = lseek(m.fd, 0, SEEK_END);
	m.npages = m.size / page_size;

	for (i = 0; i < (int)ARRAY_SIZE(mm_checks); i++) {
		snprintf(ck.name, sizeof(ck.name), "mmap-%s-%s",
			 heaps[heap].name, mm_checks[i].name);
		ck.why[0] = '\0';
		if (mm_checks[i].fn(&m, &ck))
			pass(ck.name);
		else
			fail(ck.name, "%s", ck.why);
	}
	close(m.fd);
	close(m.heap_fd);

	/* Every heap: a fallback heap may have served some of them. */
	snprintf(ck.name, sizeof(ck.name), "mmap-%s-freed", heaps[heap].name);
	check_heaps_back(ck.name);
}

/* The "mmap" command. */
int mmap_main(void)
{
	double t0 = now_s();
	int i;

	for (i = 0; i < nheaps; i++)
		if (heaps[i].selected)
			mmap_heap(i);
	printf("# mmap: %d passed, %d failed in %.1f s\n", npass, nfail,
	       now_s() - t0);
	return nfail ? EXIT_FAIL : 0;
}

