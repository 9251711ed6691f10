// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz fuzz: DMA_HEAP_IOCTL_ALLOC against its contract
 *
 * "fuzz" throws random and edge-case DMA_HEAP_IOCTL_ALLOC requests at the
 * heaps in /dev/dma_heap: bad lengths, flags, ioctl numbers, argument
 * sizes and argument pointers, while a second thread closes and reopens
 * the heap descriptors under it and closes the dma-bufs it returned. For
 * every call it works out from the ABI contract (below) which answers are
 * allowed, and counts every answer that is not. At the end nothing may be
 * left behind: no descriptor, no byte in any heap, no memory.
 *
 * The contract checked, for a heap descriptor and DMA_HEAP_IOCTL_ALLOC:
 *   - an ioctl of another type or number: ENOTTY;
 *   - the ALLOC type and number without both direction bits, or with an
 *     argument size below offsetofend(fd) = 12: EINVAL;
 *   - an argument of any other size works: the kernel reads and writes
 *     back min(size, 24) bytes, missing fields read as zero and bytes
 *     past them are never touched;
 *   - an argument it cannot read or write back: EFAULT, with no
 *     descriptor and no buffer left behind;
 *   - fd != 0 on input, fd_flags outside O_CLOEXEC | O_ACCMODE,
 *     heap_flags != 0, len 0, or a len that wraps when page-aligned:
 *     EINVAL;
 *   - a len no heap of the fallback chain can hold: ENOMEM; a fallback
 *     heap may serve what a full heap cannot;
 *   - on success: a dma-buf of exactly PAGE_ALIGN(len) bytes, zero-filled,
 *     close-on-exec iff O_CLOEXEC was asked, with the access mode asked.
 *
 * Not for: what a process can do with a mapping beyond the zero check of
 * a new buffer (mmap.c), allocations made to fail inside the kernel
 * (faults.c), the command line (dma-heap-fuzz.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "fuzz.h"

#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* DMA_HEAP_MAX_CHAIN in the kernel: a heap and at most 3 fallbacks. */
#define MAX_CHAIN	4

/* offsetofend(struct dma_heap_allocation_data, fd): the shortest argument. */
#define ARG_MIN		12
#define ARG_LEN		sizeof(struct dma_heap_allocation_data)

/* A user address that is never user memory on arm64 (or x86-64). */
#define KERNEL_ADDR	((void *)0xffff800000001000UL)

#define SLOTS_PER_HEAP	2
#define MAX_SLOTS	(MAX_HEAPS * SLOTS_PER_HEAP)
/* dma-bufs handed to the closer thread: bounded, so heaps never fill. */
#define QUEUE_MAX	8
#define QUEUE_BUF_MAX	(1 * MiB)

/* Random lengths stay below this, so that a run is fast in an emulator. */
#define RANDOM_LEN_MAX	(4 * MiB)
/*
 * A heap must serve requests up to SURE_LEN when SLACK is free on top:
 * the slack covers what the closer thread holds (QUEUE_MAX buffers of up
 * to QUEUE_BUF_MAX) and chunk rounding.
 */
#define SURE_LEN	(8 * MiB)
#define SLACK		(16 * MiB)

/* The arena that holds ioctl arguments: read-write pages, then a hole. */
#define ARENA_PAGES	8
/* The window buffers are mapped into to check them. */
#define WIN_PAGES	16
/* Bytes of an argument image: the struct, then garbage. */
#define IMG_LEN		64
/* Bytes before the argument that are checked to stay untouched. */
#define PRE_LEN		16

#define MAX_REPORTS	20
#define MAX_REPORTS_KIND 5
#define MEMFREE_SLACK	(16 * MiB)

enum ptr_kind { PTR_VALID, PTR_CROSS, PTR_RDONLY, PTR_NULL, PTR_UNMAPPED,
	PTR_KERNEL, NR_PTR };

static const char * const ptr_name[NR_PTR] = {
	"valid", "cross", "rdonly", "null", "unmapped", "kernel",
};

enum mm_kind { MM_ERRNO, MM_FD, MM_CLOEXEC, MM_ACCMODE, MM_SIZE, MM_EXPNAME,
	MM_NOTZERO, MM_MAP, MM_ARG, NR_MM };

static const char * const mm_name[NR_MM] = {
	"errno", "fd", "cloexec", "accmode", "size", "exp_name", "not-zero",
	"map", "arg-memory",
};

/*
 * A heap descriptor shared with the closer thread. The closer changes
 * @fd only under fuzz.lock and bumps @gen each time, so a call that saw
 * the same @gen before and after went to the heap it was opened on.
 */
struct slot {
	int fd;
	int heap;
	unsigned long gen;
};

/* What the calls on one heap descriptor got, and how long they took. */
struct heap_stats {
	unsigned long calls;
	unsigned long ok;
	double secs;
	double max_secs;
};

/*
 * @rng makes the calls and nothing else, so that a seed always gives the
 * same sequence of calls, whatever the kernel answers; @aux_rng picks
 * what is done with the answers.
 */
struct fuzz {
	__u64 rng;
	__u64 aux_rng;
	unsigned long ncalls;
	const char *select;

	/* Argument memory, used by the main thread only. */
	unsigned char *arena;		/* ARENA_PAGES read-write pages */
	unsigned char *hole;		/* unmapped page right after them */
	unsigned char *ro;		/* one read-only page */
	unsigned char *win;		/* WIN_PAGES reserved, PROT_NONE */
	unsigned long relocations;

	/* What the heaps can be expected to give. */
	__u64 memtotal_pages;
	__u64 sure_len_anywhere;

	/* Shared with the closer thread, under @lock. */
	pthread_mutex_t lock;
	struct slot slot[MAX_SLOTS];
	int nslots;
	int queue[QUEUE_MAX];
	int nqueue;
	unsigned long cycles;
	unsigned long handed;
	int stop;
	__u64 closer_rng;

	/* Results. */
	struct heap_stats stats[MAX_HEAPS];
	unsigned long calls, successes, fallbacks, relaxed;
	unsigned long errnos[256];
	unsigned long mismatches;
	unsigned long mm[NR_MM];
	unsigned int reported, reported_kind[NR_MM];
};

/* One ALLOC call: what was asked, where, and on which descriptor. */
struct call {
	unsigned long n;
	int slot;
	int heap;
	int fd;
	unsigned int cmd;
	enum ptr_kind pk;
	unsigned char *ptr;
	size_t readable;	/* bytes the kernel can read at @ptr */
	size_t writable;	/* bytes it can write there */
	unsigned char img[IMG_LEN];	/* the argument and what follows */
	unsigned char *win;	/* checked memory around @ptr, or NULL */
	size_t win_len;
	unsigned char before[PRE_LEN + IMG_LEN];
};

/* The answers a call may get, worked out from the contract. */
struct expect {
	__u64 allowed;		/* BIT(errno), BIT(0) for success */
	__u64 servers;		/* heaps that may have served a success */
	struct dma_heap_allocation_data eff;	/* what the kernel reads */
	__u64 alen;		/* PAGE_ALIGN(eff.len) */
};

/* "OK|ENOMEM"-style list of the answers in an allowed-set mask. */
static void put_mask(char *buf, size_t len, __u64 mask)
{
	size_t n = 0;
	int err;

	buf[0] = '\0';
	for (err = 0; err < 64 && n < len; err++) {
		char name[32];

		if (!(mask & BIT(err)))
			continue;
		put_errno(name, sizeof(name), err);
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", name);
	}
}

static void __printf(4, 5) mismatch(struct fuzz *fz, const struct call *c,
				    enum mm_kind kind, const char *fmt, ...)
{
	struct dma_heap_allocation_data in;
	va_list ap;

	fz->mismatches++;
	fz->mm[kind]++;
	/* Show a few of each kind, so that one flood hides no other. */
	if (fz->reported >= MAX_REPORTS ||
	    fz->reported_kind[kind] >= MAX_REPORTS_KIND)
		return;
	fz->reported++;
	fz->reported_kind[kind]++;

	printf("# mismatch %u [%s]: call %lu heap=%s fd=%d cmd=0x%08x (dir=%u type=0x%02x nr=%u size=%u) arg=%s",
	       fz->reported, mm_name[kind], c->n,
	       c->heap >= 0 ? heaps[c->heap].name : "-", c->fd, c->cmd,
	       _IOC_DIR(c->cmd), _IOC_TYPE(c->cmd), _IOC_NR(c->cmd),
	       _IOC_SIZE(c->cmd), ptr_name[c->pk]);
	if (c->pk == PTR_CROSS)
		printf("(%zu bytes mapped)", c->readable);
	memcpy(&in, c->img, sizeof(in));
	printf(" len=0x%llx fd_in=%u fd_flags=0x%x heap_flags=0x%llx: ",
	       in.len, in.fd, in.fd_flags, in.heap_flags);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* --- argument memory ---------------------------------------------- */

/*
 * The hole after the arena must really be unmapped: something else (this
 * program's own mappings included) may have been placed there since.
 * Then the arena moves; the old one is simply left behind.
 */
static int arena_ensure_hole(struct fuzz *fz)
{
	size_t len = (ARENA_PAGES + 1) * page_size;
	unsigned char *p;

	if (fz->arena && msync(fz->hole, page_size, MS_ASYNC) &&
	    errno == ENOMEM)
		return 0;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	munmap(p + ARENA_PAGES * page_size, page_size);
	if (fz->arena)
		fz->relocations++;
	fz->arena = p;
	fz->hole = p + ARENA_PAGES * page_size;
	memset(p, 0xee, ARENA_PAGES * page_size);
	return 0;
}

/* The arena last: a mapping made after it could land in its hole. */
static int arena_init(struct fuzz *fz)
{
	fz->ro = mmap(NULL, page_size, PROT_READ,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz->win = mmap(NULL, WIN_PAGES * page_size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fz->ro == MAP_FAILED || fz->win == MAP_FAILED)
		return -errno;
	return arena_ensure_hole(fz);
}

static void arena_free(struct fuzz *fz)
{
	munmap(fz->arena, ARENA_PAGES * page_size);
	munmap(fz->ro, page_size);
	munmap(fz->win, WIN_PAGES * page_size);
}

/* Put the PROT_NONE reservation back over a buffer mapped in the window. */
static void win_reset(struct fuzz *fz)
{
	mmap(fz->win, WIN_PAGES * page_size, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/*
 * Write the argument image where the call points and remember the bytes
 * around it, so that any write outside the fields the kernel may set is
 * caught.
 */
static void place_arg(struct fuzz *fz, struct call *c)
{
	size_t off = rng_below(&fz->rng, 64), n;

	c->win = NULL;
	c->readable = c->writable = 0;

	switch (c->pk) {
	case PTR_VALID:
		c->ptr = fz->arena + PRE_LEN + off;
		c->readable = c->writable =
			fz->arena + ARENA_PAGES * page_size - c->ptr;
		break;
	case PTR_CROSS:
		/* The struct's first bytes mapped, the rest in the hole. */
		n = 1 + rng_below(&fz->rng, 40);
		c->ptr = fz->hole - n;
		c->readable = c->writable = n;
		break;
	case PTR_RDONLY:
		c->ptr = fz->ro + off;
		c->readable = page_size - off;
		break;
	case PTR_NULL:
		c->ptr = NULL;
		break;
	case PTR_UNMAPPED:
		c->ptr = fz->hole + off;
		break;
	default:
		c->ptr = KERNEL_ADDR;
		break;
	}
	if (!c->readable)
		return;

	n = MIN(c->readable, (size_t)IMG_LEN);
	if (c->pk == PTR_RDONLY) {
		mprotect(fz->ro, page_size, PROT_READ | PROT_WRITE);
		memcpy(c->ptr, c->img, n);
		mprotect(fz->ro, page_size, PROT_READ);
		c->win = c->ptr;
		c->win_len = n;
	} else {
		memcpy(c->ptr, c->img, n);
		c->win = c->ptr - PRE_LEN;
		c->win_len = PRE_LEN + n;
	}
	memcpy(c->before, c->win, c->win_len);
}

/*
 * After the call: the kernel may only have written the fd field of the
 * argument, and only on success. On a short or long argument struct the
 * bytes past min(size, 24) are another program's data.
 */
static void check_arg_memory(struct fuzz *fz, const struct call *c, int err,
			     int newfd)
{
	unsigned char want[PRE_LEN + IMG_LEN];
	size_t i, at = c->ptr - c->win;
	__u32 fd = newfd;

	if (!c->win)
		return;
	memcpy(want, c->before, c->win_len);
	if (!err && at + ARG_MIN <= c->win_len)
		memcpy(want + at + 8, &fd, sizeof(fd));
	for (i = 0; i < c->win_len && c->win[i] == want[i]; i++)
		;
	if (i < c->win_len)
		mismatch(fz, c, MM_ARG,
			 "byte %zd of the argument changed from 0x%02x to 0x%02x",
			 (ssize_t)i - (ssize_t)at, want[i], c->win[i]);
}

/* --- request generators ------------------------------------------- */

/*
 * ioctl types the VFS answers itself before the driver sees the call
 * (FIOCLEX, FIGETBSZ, FICLONE, FS_IOC_*...): a "wrong type" must not be
 * one of them, or the answer is the VFS's and not the heap's.
 */
static bool vfs_ioctl_type(unsigned int type)
{
	return type == 0x00 || type == 0x15 || type == 'T' || type == 'X' ||
	       type == 'f' || type == 0x94;
}

static unsigned int gen_arg_size(struct fuzz *fz)
{
	static const unsigned int sizes[] = {
		0, 1, 4, 8, 11, 12, 13, 15, 16, 17, 20, 23, 24, 25, 31, 32,
		40, 64, 128, 4095, 4096, _IOC_SIZEMASK,
	};

	if (rng_permille(&fz->rng, 300))
		return rng_below(&fz->rng, 4097);
	return sizes[rng_below(&fz->rng, ARRAY_SIZE(sizes))];
}

static unsigned int gen_cmd(struct fuzz *fz)
{
	unsigned int p = rng_below(&fz->rng, 1000), type, cmd;
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE,
	};

	if (p < 600)
		return DMA_HEAP_IOCTL_ALLOC;
	if (p < 820)
		return _IOC(_IOC_READ | _IOC_WRITE, DMA_HEAP_IOC_MAGIC, 0,
			    gen_arg_size(fz));
	if (p < 870)
		return _IOC(dirs[rng_below(&fz->rng, 3)], DMA_HEAP_IOC_MAGIC,
			    0, rng_permille(&fz->rng, 500) ?
			    ARG_LEN : gen_arg_size(fz));
	if (p < 920)
		return _IOC(rng_below(&fz->rng, 4), DMA_HEAP_IOC_MAGIC,
			    1 + rng_below(&fz->rng, 255),
			    rng_permille(&fz->rng, 500) ?
			    ARG_LEN : gen_arg_size(fz));
	if (p < 970) {
		do {
			type = rng_below(&fz->rng, 256);
		} while (type == DMA_HEAP_IOC_MAGIC || vfs_ioctl_type(type));
		return _IOC(_IOC_READ | _IOC_WRITE, type, 0, ARG_LEN);
	}
	do {
		cmd = rng_next(&fz->rng);
	} while (vfs_ioctl_type(_IOC_TYPE(cmd)));
	return cmd;
}

/* A length of some heap's region, or of all memory, give or take a page. */
static __u64 gen_region_len(struct fuzz *fz)
{
	const struct heap *h = &heaps[rng_below(&fz->rng, nheaps)];
	__u64 base = h->size ? h->size : fz->memtotal_pages * page_size;
	__u64 d = rng_below(&fz->rng, 3);

	/* All of memory can only be an over-ask: never try to get it. */
	if (!h->size)
		return base + 1 + d * page_size;
	return base - page_size + d * page_size + rng_below(&fz->rng, 2);
}

static __u64 gen_len(struct fuzz *fz)
{
	const __u64 pg = page_size, max = ~0ULL;
	unsigned int p = rng_below(&fz->rng, 10000);
	const __u64 edges[] = {
		1, pg - 1, pg, pg + 1, 2 * pg - 1, 2 * pg, 3 * pg,
		64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 128 * KiB,
	};
	const __u64 bigs[] = {
		MiB - 1, MiB, MiB + 1, 2 * MiB, RANDOM_LEN_MAX,
	};
	/* Every one of these is more than memory or wraps in PAGE_ALIGN. */
	const __u64 huge[] = {
		max, max - 1, max - pg + 2, max - pg + 1, max - pg,
		max - 2 * pg + 1, max - MiB, max - rng_below(&fz->rng, pg),
		BIT(63), BIT(63) - 1, BIT(63) + 1, BIT(63) - pg,
		BIT(62), BIT(52), BIT(48), BIT(44), BIT(40),
		BIT(40) + 1, rng_next(&fz->rng) | BIT(40),
		rng_next(&fz->rng) | BIT(63),
	};

	/*
	 * Under half of the lengths can be served: an allocation from a
	 * CMA area costs milliseconds in an emulator, an error next to
	 * nothing, and the errors are where the contract is subtle.
	 */
	if (p < 2500)
		return 1 + rng_below(&fz->rng, 64 * KiB);
	if (p < 3700)
		return edges[rng_below(&fz->rng, ARRAY_SIZE(edges))];
	if (p < 4200)
		return 64 * KiB + rng_below(&fz->rng, MiB - 64 * KiB);
	if (p < 4300)
		return bigs[rng_below(&fz->rng, ARRAY_SIZE(bigs))];
	if (p < 4350)
		return 1 + rng_below(&fz->rng, RANDOM_LEN_MAX);
	if (p < 4850)
		return 0;
	if (p < 9998)
		return huge[rng_below(&fz->rng, ARRAY_SIZE(huge))];
	return gen_region_len(fz);
}

static __u32 gen_fd_flags(struct fuzz *fz)
{
	static const __u32 accmodes[] = {
		O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_WRONLY, O_ACCMODE,
	};
	static const __u32 bad[] = {
		O_NONBLOCK, O_APPEND, O_CREAT, O_TRUNC, O_EXCL, O_DIRECT,
		O_SYNC, O_PATH, O_TMPFILE, O_NOFOLLOW, 0x80000000U,
	};
	__u32 flags = accmodes[rng_below(&fz->rng, ARRAY_SIZE(accmodes))];
	unsigned int bit;

	if (rng_permille(&fz->rng, 500))
		flags |= O_CLOEXEC;
	if (rng_permille(&fz->rng, 850))
		return flags;
	switch (rng_below(&fz->rng, 3)) {
	case 0:
		return flags | bad[rng_below(&fz->rng, ARRAY_SIZE(bad))];
	case 1:
		do {
			bit = rng_below(&fz->rng, 32);
		} while (BIT(bit) & DMA_HEAP_VALID_FD_FLAGS);
		return flags | BIT(bit);
	default:
		return rng_next(&fz->rng);
	}
}

static __u64 gen_heap_flags(struct fuzz *fz)
{
	if (rng_permille(&fz->rng, 900))
		return 0;
	switch (rng_below(&fz->rng, 3)) {
	case 0:
		return BIT(rng_below(&fz->rng, 64));
	case 1:
		return ~0ULL;
	default:
		return rng_next(&fz->rng) | 1;
	}
}

static __u32 gen_fd_field(struct fuzz *fz)
{
	static const __u32 fds[] = { 1, 2, 3, 0x7fffffff, 0x80000000U, ~0U };

	if (rng_permille(&fz->rng, 900))
		return 0;
	if (rng_permille(&fz->rng, 500))
		return fds[rng_below(&fz->rng, ARRAY_SIZE(fds))];
	return rng_next(&fz->rng) | 1;
}

static enum ptr_kind gen_ptr_kind(struct fuzz *fz)
{
	unsigned int p = rng_below(&fz->rng, 1000);

	if (p < 800)
		return PTR_VALID;
	if (p < 860)
		return PTR_CROSS;
	if (p < 900)
		return PTR_RDONLY;
	if (p < 940)
		return PTR_NULL;
	if (p < 970)
		return PTR_UNMAPPED;
	return PTR_KERNEL;
}

static void gen_call(struct fuzz *fz, struct call *c)
{
	struct dma_heap_allocation_data data = {
		.len = gen_len(fz),
		.fd = gen_fd_field(fz),
		.fd_flags = gen_fd_flags(fz),
		.heap_flags = gen_heap_flags(fz),
	};
	size_t i;

	c->cmd = gen_cmd(fz);
	c->pk = gen_ptr_kind(fz);
	memcpy(c->img, &data, sizeof(data));
	/* What follows the struct: a longer struct's fields, or garbage. */
	for (i = sizeof(data); i < IMG_LEN; i++)
		c->img[i] = rng_next(&fz->rng);
}

/* --- expected outcome --------------------------------------------- */

enum fit { FIT_NO, FIT_MAYBE, FIT_YES };

static enum fit heap_fit(const struct fuzz *fz, const struct heap *h,
			 __u64 alen)
{
	/* A heap without a region takes from all memory, up to all of it. */
	if (!h->size) {
		if (alen / page_size > fz->memtotal_pages)
			return FIT_NO;
		return alen <= fz->sure_len_anywhere ? FIT_YES : FIT_MAYBE;
	}
	if (alen > h->size)
		return FIT_NO;
	if (alen <= SURE_LEN && h->used0 + alen + SLACK <= h->size)
		return FIT_YES;
	return FIT_MAYBE;
}

/*
 * Walk the fallback chain as the kernel does: the first heap that can
 * serve does; a heap that is out of memory passes the request on.
 * Returns the heaps that may serve; *may_fail says whether ENOMEM is a
 * possible answer.
 */
static __u64 chain_servers(const struct fuzz *fz, int heap, __u64 alen,
			   bool *may_fail)
{
	__u64 servers = 0;
	int depth;

	*may_fail = true;
	for (depth = 0; heap >= 0 && depth < MAX_CHAIN; depth++) {
		enum fit fit = heap_fit(fz, &heaps[heap], alen);

		if (fit != FIT_NO)
			servers |= BIT(heap);
		if (fit == FIT_YES) {
			*may_fail = false;
			break;
		}
		heap = heaps[heap].fallback;
	}
	return servers;
}

/*
 * The contract, in the order the kernel applies it. @relaxed: the heap
 * descriptor was closed, and maybe reopened on another heap, while the
 * call ran, so EBADF is allowed too and any heap may have answered.
 */
static void expect_call(const struct fuzz *fz, const struct call *c,
			bool relaxed, struct expect *e)
{
	unsigned int dir = _IOC_DIR(c->cmd), size = _IOC_SIZE(c->cmd);
	size_t ksize = MIN((size_t)size, ARG_LEN);
	__u64 valid = DMA_HEAP_VALID_FD_FLAGS;
	bool may_fail;

	memset(e, 0, sizeof(*e));
	if (c->fd < 0) {
		e->allowed = BIT(EBADF);
		return;
	}
	if (relaxed)
		e->allowed |= BIT(EBADF);

	if (_IOC_TYPE(c->cmd) != DMA_HEAP_IOC_MAGIC ||
	    _IOC_NR(c->cmd) != _IOC_NR(DMA_HEAP_IOCTL_ALLOC)) {
		e->allowed |= BIT(ENOTTY);
		return;
	}
	if (dir != (_IOC_READ | _IOC_WRITE) || size < ARG_MIN) {
		e->allowed |= BIT(EINVAL);
		return;
	}
	if (c->readable < ksize) {
		e->allowed |= BIT(EFAULT);
		return;
	}

	/* Only the first min(size, 24) bytes count; the rest reads as 0. */
	memcpy(&e->eff, c->img, ksize);
	e->alen = page_align(e->eff.len);
	if (e->eff.fd || (e->eff.fd_flags & ~valid) || e->eff.heap_flags ||
	    !e->alen) {
		e->allowed |= BIT(EINVAL);
		return;
	}

	e->servers = chain_servers(fz, c->heap, e->alen, &may_fail);
	if (relaxed) {
		e->servers = ~0ULL;
		may_fail = true;
	}
	if (e->servers)
		e->allowed |= c->writable >= ksize ? BIT(0) : BIT(EFAULT);
	if (may_fail)
		e->allowed |= BIT(ENOMEM);
}

/* --- checks of a new dma-buf -------------------------------------- */

/*
 * Check @npages pages of the buffer from @pgoff for zeroes through a
 * shared mapping, then dirty them when the mapping is writable: memory
 * this buffer leaves behind must come back zeroed in the next one.
 */
static void check_zero_range(struct fuzz *fz, const struct call *c, int fd,
			     __u64 pgoff, size_t npages, int prot)
{
	size_t len = npages * page_size;
	struct mem_op op;
	void *p;
	int sig;

	p = mmap(fz->win, len, prot, MAP_SHARED | MAP_FIXED, fd,
		 pgoff * page_size);
	if (p == MAP_FAILED) {
		mismatch(fz, c, MM_MAP, "mmap of %zu bytes at page %llu failed: %s",
			 len, pgoff, strerror(errno));
		win_reset(fz);
		return;
	}

	hu_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	op = (struct mem_op){ .p = p, .len = len };
	sig = guarded(op_zero, &op);
	if (sig)
		mismatch(fz, c, MM_MAP, "signal %d reading page %llu + %zu",
			 sig, pgoff,
			 (size_t)((unsigned char *)guard_addr - (unsigned char *)p));
	else if (op.bad < len)
		mismatch(fz, c, MM_NOTZERO, "byte %llu is 0x%02x",
			 pgoff * page_size + op.bad, op.p[op.bad]);
	else if (prot & PROT_WRITE)
		guarded(op_dirty, &op);
	hu_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	win_reset(fz);
}

static void check_zero(struct fuzz *fz, const struct call *c, int fd,
		       __u64 size, __u32 accmode)
{
	size_t npages = size / page_size;
	int prot;

	/* Without read access there is nothing to map. */
	if (accmode == O_RDONLY)
		prot = PROT_READ;
	else if (accmode == O_RDWR)
		prot = PROT_READ | PROT_WRITE;
	else
		return;

	if (npages <= WIN_PAGES) {
		check_zero_range(fz, c, fd, 0, npages, prot);
		return;
	}
	check_zero_range(fz, c, fd, 0, 1, prot);
	check_zero_range(fz, c, fd, npages - 1, 1, prot);
	check_zero_range(fz, c, fd, 1 + rng_below(&fz->aux_rng, npages - 2), 1,
			 prot);
}

/*
 * Everything the contract says about a new dma-buf descriptor. Returns
 * false when @fd is not a dma-buf of ours at all (then it is not closed:
 * it may be one of our own descriptors, handed out a second time). A
 * success that should not have been is already a mismatch: its buffer is
 * only made sure of, to be closed.
 */
static bool check_new_buf(struct fuzz *fz, const struct call *c,
			  const struct expect *e, int fd)
{
	char exp_name[NAME_LEN], info_size[32] = "";
	int fdflags, flflags, server;
	__u32 want_acc = e->eff.fd_flags & O_ACCMODE;
	bool want_cloexec = e->eff.fd_flags & O_CLOEXEC;
	struct stat st;

	fdflags = fcntl(fd, F_GETFD);
	if (fdflags < 0) {
		mismatch(fz, c, MM_FD, "returned fd %d is not open", fd);
		return false;
	}
	if (hu_fdinfo_field(fd, "exp_name", exp_name, sizeof(exp_name))) {
		mismatch(fz, c, MM_FD, "returned fd %d is not a dma-buf", fd);
		return false;
	}
	if (!(e->allowed & BIT(0)))
		return true;

	if (!!(fdflags & FD_CLOEXEC) != want_cloexec)
		mismatch(fz, c, MM_CLOEXEC, "FD_CLOEXEC is %s, asked %s",
			 fdflags & FD_CLOEXEC ? "set" : "clear",
			 want_cloexec ? "set" : "clear");

	flflags = fcntl(fd, F_GETFL);
	if (flflags < 0 || (__u32)(flflags & O_ACCMODE) != want_acc)
		mismatch(fz, c, MM_ACCMODE, "access mode %d, asked %u",
			 flflags < 0 ? -1 : flflags & O_ACCMODE, want_acc);

	if (fstat(fd, &st))
		st.st_size = -1;
	if ((__u64)st.st_size != e->alen)
		mismatch(fz, c, MM_SIZE, "dma-buf is %lld bytes, expected %llu",
			 (long long)st.st_size, e->alen);
	else if (hu_fdinfo_field(fd, "size", info_size, sizeof(info_size)) ||
		 strtoull(info_size, NULL, 10) != e->alen)
		mismatch(fz, c, MM_SIZE, "fdinfo size '%s', expected %llu",
			 info_size, e->alen);

	server = heap_index(exp_name);
	fz->fallbacks += server != c->heap;
	if (server < 0 || !(e->servers & BIT(server)))
		mismatch(fz, c, MM_EXPNAME,
			 "served by '%s', not a heap of the fallback chain that could",
			 exp_name);

	if (st.st_size > 0)
		check_zero(fz, c, fd, st.st_size, want_acc);
	return true;
}

/* Close a checked buffer now, or leave it to the closer thread. */
static void dispose_buf(struct fuzz *fz, int fd)
{
	struct stat st;
	bool queued = false;

	if (!fstat(fd, &st) && (__u64)st.st_size <= QUEUE_BUF_MAX &&
	    rng_permille(&fz->aux_rng, 500)) {
		pthread_mutex_lock(&fz->lock);
		if (fz->nqueue < QUEUE_MAX) {
			fz->queue[fz->nqueue++] = fd;
			fz->handed++;
			queued = true;
		}
		pthread_mutex_unlock(&fz->lock);
	}
	if (!queued)
		close(fd);
}

/* --- the closer thread -------------------------------------------- */

static void spin(unsigned long n)
{
	volatile unsigned long i;

	for (i = 0; i < n; i++)
		;
}

/* Close one heap descriptor, leave it closed a moment, reopen it. */
static void closer_cycle(struct fuzz *fz)
{
	struct slot *s;
	int fd;

	pthread_mutex_lock(&fz->lock);
	s = &fz->slot[rng_below(&fz->closer_rng, fz->nslots)];
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->gen++;
	pthread_mutex_unlock(&fz->lock);

	/*
	 * Closed for a moment: calls that picked the old descriptor before
	 * now get EBADF, or whatever file the number is reused for.
	 */
	if (rng_permille(&fz->closer_rng, 500))
		spin(rng_below(&fz->closer_rng, 20000));
	else
		usleep(rng_below(&fz->closer_rng, 300));
	fd = hu_open_heap(HU_DEV_DIR, heaps[s->heap].name);

	pthread_mutex_lock(&fz->lock);
	s->fd = fd;
	s->gen++;
	fz->cycles++;
	pthread_mutex_unlock(&fz->lock);
}

static void closer_drain(struct fuzz *fz)
{
	int fds[QUEUE_MAX], n, i;

	pthread_mutex_lock(&fz->lock);
	n = fz->nqueue;
	memcpy(fds, fz->queue, n * sizeof(fds[0]));
	fz->nqueue = 0;
	pthread_mutex_unlock(&fz->lock);

	/* Outside the lock: closes race with the main thread's ioctls. */
	for (i = 0; i < n; i++)
		close(fds[i]);
}

static void *closer_main(void *arg)
{
	struct fuzz *fz = arg;

	while (!__atomic_load_n(&fz->stop, __ATOMIC_ACQUIRE)) {
		if (rng_permille(&fz->closer_rng, 500))
			closer_cycle(fz);
		closer_drain(fz);
		usleep(100 + rng_below(&fz->closer_rng, 400));
	}
	closer_drain(fz);
	return NULL;
}

/* --- the run ------------------------------------------------------- */

static int open_slots(struct fuzz *fz)
{
	int h, i;

	for (h = 0; h < nheaps; h++) {
		if (!heaps[h].selected)
			continue;
		for (i = 0; i < SLOTS_PER_HEAP; i++) {
			struct slot *s = &fz->slot[fz->nslots++];

			s->heap = h;
			s->fd = hu_open_heap(HU_DEV_DIR, heaps[h].name);
			if (s->fd < 0) {
				fprintf(stderr, PROG ": cannot open heap %s: %s\n",
					heaps[h].name, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static void close_slots(struct fuzz *fz)
{
	int i;

	for (i = 0; i < fz->nslots; i++)
		if (fz->slot[i].fd >= 0)
			close(fz->slot[i].fd);
}

static void one_call(struct fuzz *fz, unsigned long n)
{
	struct call c = { .n = n };
	struct heap_stats *hs;
	struct expect e;
	double t;
	unsigned long gen;
	char want[96], got[32];
	bool relaxed = false;
	int ret, err, newfd = -1;

	gen_call(fz, &c);
	if ((c.pk == PTR_CROSS || c.pk == PTR_UNMAPPED) &&
	    arena_ensure_hole(fz))
		c.pk = PTR_NULL;
	place_arg(fz, &c);

	c.slot = rng_below(&fz->rng, fz->nslots);
	pthread_mutex_lock(&fz->lock);
	c.fd = fz->slot[c.slot].fd;
	c.heap = fz->slot[c.slot].heap;
	gen = fz->slot[c.slot].gen;
	pthread_mutex_unlock(&fz->lock);

	t = now_s();
	ret = ioctl(c.fd, c.cmd, c.ptr);
	err = ret ? errno : 0;
	t = now_s() - t;

	pthread_mutex_lock(&fz->lock);
	relaxed = fz->slot[c.slot].gen != gen;
	pthread_mutex_unlock(&fz->lock);

	hs = &fz->stats[c.heap];
	hs->calls++;
	hs->ok += !err;
	hs->secs += t;
	if (t > hs->max_secs)
		hs->max_secs = t;
	fz->calls++;
	fz->relaxed += relaxed;
	fz->errnos[err < 256 ? err : 255]++;
	expect_call(fz, &c, relaxed && c.fd >= 0, &e);

	if (err >= 64 || !(e.allowed & BIT(err))) {
		put_mask(want, sizeof(want), e.allowed);
		put_errno(got, sizeof(got), err);
		mismatch(fz, &c, MM_ERRNO, "expected %s, got %s%s", want, got,
			 relaxed ? " (heap fd closed meanwhile)" : "");
	}

	if (!err) {
		fz->successes++;
		if (c.readable >= ARG_MIN) {
			memcpy(&newfd, c.ptr + 8, sizeof(newfd));
			if (check_new_buf(fz, &c, &e, newfd))
				dispose_buf(fz, newfd);
		}
		/* Otherwise the fd is lost to us: the leak check sees it. */
	}
	check_arg_memory(fz, &c, err, newfd);
}

static void print_errnos(const struct fuzz *fz)
{
	char name[32];
	int err;

	for (err = 0; err < 256; err++) {
		if (!fz->errnos[err])
			continue;
		put_errno(name, sizeof(name), err);
		printf("# fuzz: %-9s %lu\n", name, fz->errnos[err]);
	}
}

static void print_heap_stats(const struct fuzz *fz)
{
	const struct heap_stats *hs;
	int i;

	for (i = 0; i < nheaps; i++) {
		hs = &fz->stats[i];
		if (!hs->calls)
			continue;
		printf("# fuzz: heap %s: %lu calls, %lu succeeded, %.1f s in the ioctl (longest %.1f ms)\n",
		       heaps[i].name, hs->calls, hs->ok, hs->secs,
		       hs->max_secs * 1e3);
	}
}

static void print_mismatch_kinds(const struct fuzz *fz)
{
	int k;

	for (k = 0; k < NR_MM; k++)
		if (fz->mm[k])
			printf("# fuzz: mismatches of kind %s: %lu\n",
			       mm_name[k], fz->mm[k]);
}

/* Heap accounting back where it was: nothing leaked in any heap. */
static unsigned int check_heaps_freed(void)
{
	char name[NAME_LEN + 32];
	__u64 used, buffers;
	unsigned int bad = 0;
	int i;

	wait_heaps_settled(5000);
	for (i = 0; i < nheaps; i++) {
		const struct heap *h = &heaps[i];

		snprintf(name, sizeof(name), "fuzz-freed-%.*s", NAME_LEN - 1,
			 h->name);
		if (heap_settled(i, &used, &buffers)) {
			pass(name);
			continue;
		}
		fail(name, "used_bytes %llu -> %llu, buffers %llu -> %llu",
		     h->used0, used, h->buffers0, buffers);
		bad++;
	}
	return bad;
}

static bool check_memfree(long long start)
{
	long long end, delta;

	drop_caches();
	end = free_memory();
	delta = start - end;
	printf("# fuzz: free memory (MemFree + pool_bytes) %lld KiB at start, %lld KiB at end (%+lld KiB)\n",
	       start / 1024, end / 1024, -delta / 1024);
	if (start < 0 || end < 0) {
		fail("fuzz-memfree", "cannot read /proc/meminfo");
		return false;
	}
	if (delta > (long long)MEMFREE_SLACK) {
		fail("fuzz-memfree", "%lld KiB less free memory than at start",
		     delta / 1024);
		return false;
	}
	pass("fuzz-memfree");
	return true;
}

static int run_fuzz(struct fuzz *fz, __u64 seed)
{
	long long memtotal = meminfo("MemTotal");
	long long avail = meminfo("MemAvailable");
	int fds_start, leaked;
	long long free_start;
	unsigned int bad = 0;
	pthread_t closer;
	double t0, t;
	unsigned long i;

	fz->rng = seed;
	fz->aux_rng = seed ^ 0x2545f4914f6cdd1dULL;
	fz->closer_rng = seed ^ 0x5bd1e995ULL;
	fz->memtotal_pages = memtotal > 0 ? memtotal / page_size : ~0ULL;
	/* The system heap is expected to serve SURE_LEN only with room. */
	fz->sure_len_anywhere = avail > (long long)(16 * SURE_LEN) ?
				SURE_LEN : 0;
	pthread_mutex_init(&fz->lock, NULL);

	drop_caches();
	free_start = free_memory();
	snapshot_heaps();
	fds_start = count_fds();

	if (arena_init(fz) || open_slots(fz)) {
		fprintf(stderr, PROG ": setup failed\n");
		return EXIT_FAIL;
	}
	if (pthread_create(&closer, NULL, closer_main, fz)) {
		fprintf(stderr, PROG ": cannot start the closer thread\n");
		return EXIT_FAIL;
	}

	printf("# fuzz: seed=%llu calls=%lu heaps=%s\n", seed, fz->ncalls,
	       fz->select);
	t0 = now_s();
	for (i = 0; i < fz->ncalls; i++)
		one_call(fz, i);
	t = now_s() - t0;

	__atomic_store_n(&fz->stop, 1, __ATOMIC_RELEASE);
	pthread_join(closer, NULL);
	close_slots(fz);
	arena_free(fz);

	printf("# fuzz: %lu calls in %.1f s, %lu succeeded (%lu served by a fallback heap), %lu raced with a close (%lu heap fd cycles, %lu dma-bufs closed by the other thread, %lu arena moves)\n",
	       fz->calls, t, fz->successes, fz->fallbacks, fz->relaxed,
	       fz->cycles, fz->handed, fz->relocations);
	print_heap_stats(fz);
	print_errnos(fz);
	print_mismatch_kinds(fz);

	if (fz->mismatches)
		fail("fuzz-contract", "%lu mismatches in %lu calls",
		     fz->mismatches, fz->calls);
	else
		pass("fuzz-contract");

	leaked = check_fds_back("fuzz-fds", fds_start);

	bad += check_heaps_freed();
	if (!check_memfree(free_start))
		bad++;

	printf("fuzz: calls=%lu mismatches=%lu leaked_fds=%d\n", fz->calls,
	       fz->mismatches, leaked);
	return fz->mismatches || leaked || bad ? EXIT_FAIL : 0;
}

/* The "fuzz" command. */
int fuzz_main(const struct options *o)
{
	struct fuzz *fz;
	int ret;

	fz = calloc(1, sizeof(*fz));
	if (!fz)
		return EXIT_FAIL;
	fz->ncalls = o->calls;
	fz->select = o->heap;
	ret = run_fuzz(fz, o->seed);
	free(fz);
	return ret;
}
