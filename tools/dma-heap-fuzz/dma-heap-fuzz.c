// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz - hostile userspace against DMA-BUF heaps
 *
 *   dma-heap-fuzz fuzz [--calls N] [--seed S] [--heap NAME|all]
 *   dma-heap-fuzz mmap [--heap NAME|all]
 *   dma-heap-fuzz faults [--calls N] [--seed S] [--percent P] [--heap NAME|all]
 *
 * "fuzz" throws random and edge-case DMA_HEAP_IOCTL_ALLOC requests at the
 * heaps in /dev/dma_heap: bad lengths, flags, ioctl numbers, argument
 * sizes and argument pointers, while a second thread closes and reopens
 * the heap descriptors under it and closes the dma-bufs it returned. For
 * every call it works out from the ABI contract (below) which answers are
 * allowed, and counts every answer that is not. At the end nothing may be
 * left behind: no descriptor, no byte in any heap, no memory.
 *
 * "mmap" checks what a process can do with a dma-buf mapping: map past
 * the end, at odd offsets, grow it with mremap(), split it, share it
 * with a child, keep it after closing the descriptor. A mapping must
 * only ever show the buffer's own memory, and a buffer must always
 * arrive zeroed, whatever the buffer before it held.
 *
 * "faults" allocates with the kernel's fault injection (failslab and
 * fail_page_alloc in debugfs) failing P% of the calling thread's slab
 * and page allocations, so that the error paths of the core, the heaps,
 * their pools and the dma-buf export run. A call must give either a
 * zeroed buffer of the size asked for or ENOMEM (EINTR would do), and
 * afterwards nothing may be left: no descriptor, no byte in any heap,
 * and the next allocation must work. A kernel without fault injection
 * is not a failure: the command says so and exits 0.
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
 * Faults in memory that should not be mapped are caught (SIGSEGV and
 * SIGBUS handlers with sigsetjmp()), so a misbehaving kernel gives a FAIL
 * line and not a dead program.
 *
 * Exit status: 0 when every check passed, 1 on any failure, 2 on a bad
 * command line. Without arguments it prints its usage and exits 0, so
 * that running every program of a directory is harmless.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/types.h>

#include "heap-util.h"

#define PROG		"dma-heap-fuzz"

#define EXIT_FAIL	1
#define EXIT_USAGE	HU_EXIT_USAGE

#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define BIT(n)		(1ULL << (n))

#define KiB		1024ULL
#define MiB		(1024 * KiB)

/* DMA_HEAP_MAX_CHAIN in the kernel: a heap and at most 3 fallbacks. */
#define MAX_CHAIN	4
#define MAX_HEAPS	32
#define NAME_LEN	64
#define ATTR_LEN	64

/* offsetofend(struct dma_heap_allocation_data, fd): the shortest argument. */
#define ARG_MIN		12
#define ARG_LEN		sizeof(struct dma_heap_allocation_data)

/* A user address that is never user memory on arm64 (or x86-64). */
#define KERNEL_ADDR	((void *)0xffff800000001000UL)

struct heap {
	char name[NAME_LEN];
	__u64 size;		/* size_bytes: 0 for a heap without a region */
	__u64 used0;		/* used_bytes at the last snapshot */
	__u64 buffers0;		/* buffers at the last snapshot */
	int fallback;		/* index of the fallback heap, or -1 */
	bool selected;		/* named on the command line, or "all" */
};

static struct heap heaps[MAX_HEAPS];
static int nheaps;
static size_t page_size;

static int npass, nfail;

static void pass(const char *name)
{
	printf("PASS: %s\n", name);
	npass++;
}

static void __printf(2, 3) fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nfail++;
}

static double now_s(void)
{
	return hu_now_ns() / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The errno names this program expects to see; others print as numbers. */
static const char *errno_name(int err)
{
	switch (err) {
	case 0:		return "OK";
	case EPERM:	return "EPERM";
	case EINTR:	return "EINTR";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENFILE:	return "ENFILE";
	case EMFILE:	return "EMFILE";
	case ENOTTY:	return "ENOTTY";
	case ENOSPC:	return "ENOSPC";
	case EOVERFLOW:	return "EOVERFLOW";
	default:	return NULL;
	}
}

static void put_errno(char *buf, size_t len, int err)
{
	const char *name = errno_name(err);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "errno %d", err);
}

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

/*
 * splitmix64: small, fast, and every seed gives a usable sequence, so a
 * failing run is reproduced exactly from the seed it prints.
 */
static __u64 rng_next(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rng_below(__u64 *state, __u64 n)
{
	return n ? rng_next(state) % n : 0;
}

/* True with a probability of @n in 1000. */
static bool rng_permille(__u64 *state, unsigned int n)
{
	return rng_below(state, 1000) < n;
}

/* A field of /proc/meminfo in bytes, or -1. */
static long long meminfo(const char *key)
{
	char val[64];
	long long kb;

	if (hu_file_field("/proc/meminfo", key, val, sizeof(val)))
		return -1;
	kb = strtoll(val, NULL, 10);
	return kb < 0 ? -1 : kb * 1024;
}

/* Open descriptors of this process, not counting the one used to look. */
static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;
}

static int heap_index(const char *name)
{
	int i;

	for (i = 0; i < nheaps; i++)
		if (!strcmp(heaps[i].name, name))
			return i;
	return -1;
}

/*
 * Every heap in sysfs, whether it was selected or not: a fallback chain
 * may lead out of the selection, and accounting is checked everywhere.
 */
static int load_heaps(const char *select)
{
	char fb[MAX_HEAPS][NAME_LEN];
	struct hu_heaps list;
	char path[PATH_MAX];
	size_t n;
	int i;

	i = hu_list_heaps(HU_SYSFS_DIR, &list);
	if (i) {
		fprintf(stderr, PROG ": cannot open " HU_SYSFS_DIR ": %s\n",
			strerror(-i));
		return -1;
	}
	/* In name order, so heaps[] is sorted too. */
	for (n = 0; n < list.nr && nheaps < MAX_HEAPS; n++) {
		struct heap *h = &heaps[nheaps];

		if (strlen(list.names[n]) >= NAME_LEN)
			continue;
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", list.names[n]);
		hu_read_attr_u64(HU_SYSFS_DIR, h->name, "size_bytes", &h->size);
		nheaps++;
	}
	hu_free_heaps(&list);

	for (i = 0; i < nheaps; i++) {
		if (hu_read_attr(HU_SYSFS_DIR, heaps[i].name, "fallback", fb[i],
				 NAME_LEN))
			fb[i][0] = '\0';
	}
	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		h->fallback = fb[i][0] ? heap_index(fb[i]) : -1;
		snprintf(path, sizeof(path), HU_DEV_DIR "/%s", h->name);
		if (access(path, F_OK))
			continue;
		h->selected = !strcmp(select, "all") ||
			      !strcmp(select, h->name);
	}
	for (i = 0; i < nheaps; i++)
		if (heaps[i].selected)
			return 0;
	fprintf(stderr, PROG ": no heap %s in " HU_DEV_DIR "\n",
		strcmp(select, "all") ? select : "at all");
	return -1;
}

static void snapshot_heaps(void)
{
	int i;

	for (i = 0; i < nheaps; i++) {
		hu_read_attr_u64(HU_SYSFS_DIR, heaps[i].name, "used_bytes",
				 &heaps[i].used0);
		hu_read_attr_u64(HU_SYSFS_DIR, heaps[i].name, "buffers",
				 &heaps[i].buffers0);
	}
}

/* A heap's figures now; ~0 for one that cannot be read. */
static void heap_usage(int heap, __u64 *used, __u64 *buffers)
{
	*used = *buffers = ~0ULL;
	hu_read_attr_u64(HU_SYSFS_DIR, heaps[heap].name, "used_bytes", used);
	hu_read_attr_u64(HU_SYSFS_DIR, heaps[heap].name, "buffers", buffers);
}

/* Are the heap's figures back at the snapshot? */
static bool heap_settled(int heap, __u64 *used, __u64 *buffers)
{
	heap_usage(heap, used, buffers);
	return *used == heaps[heap].used0 && *buffers == heaps[heap].buffers0;
}

/* The first heap whose figures are not back at the snapshot, or -1. */
static int unsettled_heap(__u64 *used, __u64 *buffers)
{
	int i;

	for (i = 0; i < nheaps; i++)
		if (!heap_settled(i, used, buffers))
			return i;
	return -1;
}

/*
 * Buffers are freed when their last reference goes, which for a mapping
 * or a descriptor closed by another thread can lag a little behind the
 * close: give every heap up to @ms to get back to its snapshot.
 */
static bool wait_heaps_settled(unsigned int ms)
{
	__u64 used, buffers;
	unsigned int waited = 0;

	for (;;) {
		if (unsettled_heap(&used, &buffers) < 0)
			return true;
		if (waited >= ms)
			return false;
		sleep_ms(20);
		waited += 20;
	}
}

/*
 * Check @name: every heap back at its snapshot, within 5 s; the first
 * one that is not is named.
 */
static void check_heaps_back(const char *name)
{
	__u64 used, buffers;
	int i;

	wait_heaps_settled(5000);
	i = unsettled_heap(&used, &buffers);
	if (i < 0)
		pass(name);
	else
		fail(name, "%s: used_bytes %llu -> %llu, buffers %llu -> %llu",
		     heaps[i].name, heaps[i].used0, used, heaps[i].buffers0,
		     buffers);
}

/* Check @name: as many descriptors open as at the start; the difference. */
static int check_fds_back(const char *name, int fds_start)
{
	int fds_end = count_fds();

	if (fds_end == fds_start)
		pass(name);
	else
		fail(name, "%d fds open at start, %d at the end", fds_start,
		     fds_end);
	return fds_end - fds_start;
}

/* Memory that is free or only parked in a heap's page pool. */
static long long free_memory(void)
{
	long long memfree = meminfo("MemFree");
	__u64 pooled;
	int i;

	for (i = 0; i < nheaps; i++)
		if (!hu_read_attr_u64(HU_SYSFS_DIR, heaps[i].name, "pool_bytes",
				      &pooled))
			memfree += pooled;
	return memfree;
}

static void drop_caches(void)
{
	sync();
	/* Also runs every shrinker, the heap pools' included. */
	hu_drop_caches();
}

/*
 * Guarded memory access. Code that touches memory a misbehaving kernel
 * may have left unmapped (or mapped where nothing should be) runs under
 * guarded(); a SIGSEGV or SIGBUS then returns the signal number instead
 * of killing the program. Faults outside a guarded section are this
 * program's own bugs and kill it as usual.
 */
static sigjmp_buf guard_env;
static volatile sig_atomic_t guard_armed;
static void *volatile guard_addr;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!guard_armed) {
		/* Returning re-runs the access, which then kills us. */
		signal(sig, SIG_DFL);
		return;
	}
	guard_armed = 0;
	guard_addr = si->si_addr;
	siglongjmp(guard_env, sig);
}

static void install_guard(void)
{
	struct sigaction sa = {
		.sa_sigaction = guard_handler,
		.sa_flags = SA_SIGINFO,
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int guarded(void (*fn)(void *), void *arg)
{
	int sig;

	sig = sigsetjmp(guard_env, 1);
	if (sig)
		return sig;
	guard_armed = 1;
	fn(arg);
	guard_armed = 0;
	return 0;
}

/* One operation on @len bytes at @p, which is byte @base of a buffer. */
struct mem_op {
	unsigned char *p;
	size_t len;
	size_t base;
	unsigned int seed;
	size_t bad;		/* out: first wrong byte, or @len */
};

/* The test pattern: a page mapped at the wrong offset reads back wrong. */
static unsigned char pat(unsigned int seed, size_t off)
{
	__u32 x = (__u32)off * 2654435761U ^ (seed + 1) * 0x9e3779b9U;

	x ^= x >> 15;
	x ^= (__u32)(off >> 12) * 0x85ebca6bU;
	return x ^ (x >> 8) ^ (x >> 24);
}

static void op_fill(void *arg)
{
	struct mem_op *op = arg;
	size_t i;

	for (i = 0; i < op->len; i++)
		op->p[i] = pat(op->seed, op->base + i);
}

static void op_check(void *arg)
{
	struct mem_op *op = arg;
	size_t i;

	for (i = 0; i < op->len && op->p[i] == pat(op->seed, op->base + i);
	     i++)
		;
	op->bad = i;
}

static void op_zero(void *arg)
{
	struct mem_op *op = arg;

	op->bad = hu_find_nonzero(op->p, op->len);
}

static void op_dirty(void *arg)
{
	struct mem_op *op = arg;

	memset(op->p, 0xa5, op->len);
}

static void op_touch(void *arg)
{
	struct mem_op *op = arg;

	op->bad = *(volatile unsigned char *)op->p;
}

/* Is there anything readable at @addr? */
static bool probe_readable(void *addr)
{
	struct mem_op op = { .p = addr, .len = 1 };

	return !guarded(op_touch, &op);
}

static int buf_server(int fd)
{
	char name[NAME_LEN];

	if (hu_fdinfo_field(fd, "exp_name", name, sizeof(name)))
		return -1;
	return heap_index(name);
}

static __u64 page_align(__u64 len)
{
	return (len + page_size - 1) & ~((__u64)page_size - 1);
}

/* ------------------------------------------------------------------ */
/* fuzz                                                               */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* mmap                                                               */
/* ------------------------------------------------------------------ */

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

static void *map_buf(int fd, size_t len, off_t off, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
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

static int run_mmap(void)
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

/* ------------------------------------------------------------------ */
/* faults                                                             */
/* ------------------------------------------------------------------ */

#define FAULT_DIR	"/sys/kernel/debug"
/* This thread only: the process's other threads are not affected. */
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
/* Faults an injector may inject before it stops: never reached. */
#define FAULT_TIMES	"1000000"
/* The longest request: every heap of the VM holds it. */
#define FAULTS_LEN_MAX	(8 * MiB)
#define FAULTS_REPORTS	10
#define FAULTS_MSG_LEN	192

enum { FI_PAGE_ALLOC, FI_SLAB, NR_FI };

static const char * const fi_dir[NR_FI] = {
	"fail_page_alloc", "failslab",
};

/* One debugfs attribute of an injector and what it is set to. */
struct fi_setting {
	int fi;
	const char *attr;
	const char *value;	/* NULL: the --percent asked for */
};

/*
 * Set in this order and put back in the reverse one: the task filter
 * first and the probability last, so that no allocation of another task
 * can fail on the way there or back.
 */
static const struct fi_setting fi_settings[] = {
	{ FI_PAGE_ALLOC, "task-filter", "Y" },
	{ FI_PAGE_ALLOC, "verbose", "0" },
	{ FI_PAGE_ALLOC, "space", "0" },
	{ FI_PAGE_ALLOC, "interval", "1" },
	{ FI_PAGE_ALLOC, "times", FAULT_TIMES },
	{ FI_PAGE_ALLOC, "ignore-gfp-wait", "N" },
	{ FI_PAGE_ALLOC, "ignore-gfp-highmem", "N" },
	{ FI_PAGE_ALLOC, "min-order", "0" },
	{ FI_PAGE_ALLOC, "probability", NULL },
	{ FI_SLAB, "task-filter", "Y" },
	{ FI_SLAB, "verbose", "0" },
	{ FI_SLAB, "space", "0" },
	{ FI_SLAB, "interval", "1" },
	{ FI_SLAB, "times", FAULT_TIMES },
	{ FI_SLAB, "ignore-gfp-wait", "N" },
	{ FI_SLAB, "probability", NULL },
};

/* What the calls on one heap got. */
struct fault_stats {
	unsigned long calls;
	unsigned long ok;
	unsigned long fallbacks;	/* successes served by another heap */
	unsigned long enomem;
	unsigned long eintr;
	double secs;
};

struct faults {
	__u64 rng;
	unsigned long ncalls;
	unsigned int percent;

	int mif_fd;			/* MAKE_IT_FAIL, open for good */
	int heap_fd[MAX_HEAPS];
	int sel[MAX_HEAPS];		/* the heaps the calls go to */
	int nsel;
	char saved[ARRAY_SIZE(fi_settings)][ATTR_LEN];
	unsigned int nset;		/* settings changed, to put back */
	long times0[NR_FI], times1[NR_FI];

	struct fault_stats stats[MAX_HEAPS];
	unsigned long calls, failed;
	unsigned long bad_errno, bad_buf;
	unsigned int reported;
	char first_errno[FAULTS_MSG_LEN], first_buf[FAULTS_MSG_LEN];
};

static void fi_path(char *buf, size_t len, int fi, const char *attr)
{
	snprintf(buf, len, FAULT_DIR "/%s/%s", fi_dir[fi], attr);
}

static bool fi_present(void)
{
	char path[PATH_MAX];
	struct stat st;
	int fi;

	for (fi = 0; fi < NR_FI; fi++) {
		snprintf(path, sizeof(path), FAULT_DIR "/%s", fi_dir[fi]);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return false;
	}
	return true;
}

/* The injector's "times": how many more faults it may inject. */
static int fi_times(int fi, long *times)
{
	char path[PATH_MAX], buf[ATTR_LEN], *end;
	int ret;

	fi_path(path, sizeof(path), fi, "times");
	ret = hu_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*times = strtol(buf, &end, 10);
	return errno || end == buf || *end ? -EINVAL : 0;
}

/* Put back what fi_setup() changed, last change first. */
static void fi_restore(struct faults *f)
{
	char path[PATH_MAX];
	int ret;

	while (f->nset) {
		const struct fi_setting *s = &fi_settings[--f->nset];

		fi_path(path, sizeof(path), s->fi, s->attr);
		ret = hu_write_file(path, f->saved[f->nset]);
		if (ret)
			printf("# faults: cannot put %s back to '%s': %s\n",
			       path, f->saved[f->nset], strerror(-ret));
	}
}

static int fi_setup(struct faults *f, char *why, size_t len)
{
	char path[PATH_MAX], percent[16];
	const char *value;
	unsigned int i;
	int ret;

	snprintf(percent, sizeof(percent), "%u", f->percent);
	for (i = 0; i < ARRAY_SIZE(fi_settings); i++) {
		const struct fi_setting *s = &fi_settings[i];

		fi_path(path, sizeof(path), s->fi, s->attr);
		ret = hu_read_file(path, f->saved[i], sizeof(f->saved[i]));
		if (ret) {
			snprintf(why, len, "read %s: %s", path, strerror(-ret));
			return ret;
		}
		value = s->value ?: percent;
		ret = hu_write_file(path, value);
		if (ret) {
			snprintf(why, len, "write '%s' to %s: %s", value, path,
				 strerror(-ret));
			return ret;
		}
		f->nset = i + 1;
	}
	return 0;
}

/*
 * Faults on or off for this thread. The descriptor stays open: opening
 * the file with faults on could fail, and writing it allocates nothing.
 */
static int fault_switch(struct faults *f, bool on)
{
	if (write(f->mif_fd, on ? "1" : "0", 1) != 1)
		return -errno;
	return 0;
}

/*
 * Mostly the sizes heaps build buffers from: a page, a 64 KiB block, a
 * 1 MiB block and a page more, several blocks; some of any length.
 */
static __u64 faults_len(__u64 *rng)
{
	static const __u64 lens[] = {
		4 * KiB, 4 * KiB, 4 * KiB, 64 * KiB, 64 * KiB, 64 * KiB,
		MiB + 4 * KiB, MiB + 4 * KiB, 3 * MiB, FAULTS_LEN_MAX,
	};

	if (rng_permille(rng, 100))
		return 1 + rng_below(rng, FAULTS_LEN_MAX);
	return lens[rng_below(rng, ARRAY_SIZE(lens))];
}

static void __printf(3, 4) faults_report(struct faults *f, char *first,
					 const char *fmt, ...)
{
	char msg[FAULTS_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!first[0])
		snprintf(first, FAULTS_MSG_LEN, "%s", msg);
	if (f->reported++ < FAULTS_REPORTS)
		printf("# faults: %s\n", msg);
}

/*
 * A buffer a call with faults on gave: exactly the page-aligned size
 * asked for and zero-filled. It is dirtied before it goes, so that
 * memory that comes back unzeroed shows in a later buffer.
 */
static bool faults_check_buf(int fd, __u64 len, char *why, size_t n)
{
	__u64 size = page_align(len);
	struct mem_op op;
	struct stat st;
	unsigned char *p;
	bool ok = false;
	int sig;

	if (fstat(fd, &st)) {
		snprintf(why, n, "fstat: %s", strerror(errno));
		return false;
	}
	if ((__u64)st.st_size != size) {
		snprintf(why, n, "dma-buf is %lld bytes, expected %llu",
			 (long long)st.st_size, size);
		return false;
	}
	p = map_buf(fd, size, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		snprintf(why, n, "mmap: %s", strerror(errno));
		return false;
	}

	hu_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	op = (struct mem_op){ .p = p, .len = size };
	sig = guarded(op_zero, &op);
	if (sig)
		snprintf(why, n, "signal %d reading byte %zd", sig,
			 (unsigned char *)guard_addr - p);
	else if (op.bad < size)
		snprintf(why, n, "byte %zu is 0x%02x: not zeroed", op.bad,
			 p[op.bad]);
	else
		ok = !guarded(op_dirty, &op);
	hu_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, size);
	return ok;
}

/* One allocation with faults on; non-zero if faults cannot be switched. */
static int faults_call(struct faults *f, unsigned long n)
{
	int heap = f->sel[rng_below(&f->rng, f->nsel)];
	__u64 len = faults_len(&f->rng);
	struct fault_stats *fs = &f->stats[heap];
	char why[128], err[32];
	int ret, off, fd = -1, server;
	double t;

	t = now_s();
	ret = fault_switch(f, true);
	if (ret)
		return ret;
	ret = hu_alloc(f->heap_fd[heap], len, O_RDWR | O_CLOEXEC, &fd);
	off = fault_switch(f, false);
	if (off)
		return off;
	fs->secs += now_s() - t;
	fs->calls++;
	f->calls++;

	if (ret == -ENOMEM || ret == -EINTR) {
		fs->enomem += ret == -ENOMEM;
		fs->eintr += ret == -EINTR;
		f->failed++;
		return 0;
	}
	if (ret) {
		put_errno(err, sizeof(err), -ret);
		f->bad_errno++;
		faults_report(f, f->first_errno,
			      "call %lu: heap %s len %llu: %s (%s), expected ENOMEM",
			      n, heaps[heap].name, len, err, strerror(-ret));
		return 0;
	}

	fs->ok++;
	server = buf_server(fd);
	fs->fallbacks += server != heap;
	if (!faults_check_buf(fd, len, why, sizeof(why))) {
		f->bad_buf++;
		faults_report(f, f->first_buf,
			      "call %lu: heap %s len %llu (served by %s): %s",
			      n, heaps[heap].name, len,
			      server >= 0 ? heaps[server].name : "?", why);
	}
	close(fd);
	return 0;
}

static void faults_print_stats(const struct faults *f)
{
	const struct fault_stats *fs;
	int i;

	for (i = 0; i < f->nsel; i++) {
		fs = &f->stats[f->sel[i]];
		printf("# faults: heap %s: %lu calls, %lu succeeded (%lu served by a fallback heap), %lu ENOMEM, %lu EINTR, %.1f s in the ioctl\n",
		       heaps[f->sel[i]].name, fs->calls, fs->ok, fs->fallbacks,
		       fs->enomem, fs->eintr, fs->secs);
	}
	for (i = 0; i < NR_FI; i++)
		printf("# faults: %s: times %ld before, %ld after: %ld faults injected\n",
		       fi_dir[i], f->times0[i], f->times1[i],
		       f->times0[i] - f->times1[i]);
}

/* After the faults: one plain 1 MiB buffer from every heap. */
static void faults_next_alloc(const struct faults *f)
{
	char name[NAME_LEN + 32], why[128];
	int i, h, fd = -1, ret;

	for (i = 0; i < f->nsel; i++) {
		h = f->sel[i];
		snprintf(name, sizeof(name), "faults-next-alloc-%s",
			 heaps[h].name);
		ret = hu_alloc(f->heap_fd[h], MiB, O_RDWR | O_CLOEXEC, &fd);
		if (ret) {
			fail(name, "1 MiB: %s", strerror(-ret));
			continue;
		}
		if (faults_check_buf(fd, MiB, why, sizeof(why)))
			pass(name);
		else
			fail(name, "1 MiB: %s", why);
		close(fd);
	}
}

static void faults_close(struct faults *f)
{
	int i;

	for (i = 0; i < f->nsel; i++)
		close(f->heap_fd[f->sel[i]]);
	if (f->mif_fd >= 0)
		close(f->mif_fd);
}

static int faults_open(struct faults *f)
{
	int i;

	f->mif_fd = open(MAKE_IT_FAIL, O_WRONLY | O_CLOEXEC);
	if (f->mif_fd < 0) {
		fail("faults-setup", "open " MAKE_IT_FAIL ": %s",
		     strerror(errno));
		return -1;
	}
	for (i = 0; i < nheaps; i++) {
		if (!heaps[i].selected)
			continue;
		f->heap_fd[i] = hu_open_heap(HU_DEV_DIR, heaps[i].name);
		if (f->heap_fd[i] < 0) {
			fail("faults-setup", "open heap %s: %s",
			     heaps[i].name, strerror(errno));
			return -1;
		}
		f->sel[f->nsel++] = i;
	}
	return 0;
}

static int run_faults(struct faults *f, __u64 seed)
{
	long long free_start, free_end;
	long injected = 0;
	char why[PATH_MAX + 64];
	unsigned long i;
	int fds_start, fi, ret = 0;
	double t;

	f->rng = seed;
	if (faults_open(f))
		goto out;

	drop_caches();
	free_start = free_memory();
	snapshot_heaps();
	fds_start = count_fds();

	ret = fi_setup(f, why, sizeof(why));
	for (fi = 0; !ret && fi < NR_FI; fi++) {
		ret = fi_times(fi, &f->times0[fi]);
		if (ret)
			snprintf(why, sizeof(why), "read %s/times: %s",
				 fi_dir[fi], strerror(-ret));
	}
	if (ret) {
		fail("faults-setup", "%s", why);
		fi_restore(f);
		goto out;
	}

	printf("# faults: seed=%llu calls=%lu percent=%u heaps=%d\n", seed,
	       f->ncalls, f->percent, f->nsel);
	t = now_s();
	for (i = 0; i < f->ncalls && !ret; i++)
		ret = faults_call(f, i);
	t = now_s() - t;

	for (fi = 0; fi < NR_FI; fi++) {
		if (fi_times(fi, &f->times1[fi]))
			f->times1[fi] = f->times0[fi];
		injected += f->times0[fi] - f->times1[fi];
	}
	fi_restore(f);
	if (ret) {
		fail("faults-setup", "switching " MAKE_IT_FAIL ": %s",
		     strerror(-ret));
		goto out;
	}

	printf("# faults: %lu calls in %.1f s, %lu failed\n", f->calls, t,
	       f->failed);
	faults_print_stats(f);

	if (injected > 0)
		pass("faults-injected");
	else
		fail("faults-injected",
		     "no fault injected in %lu calls: nothing was tested",
		     f->calls);

	if (f->bad_errno)
		fail("faults-clean-errors", "%lu calls failed with another errno than ENOMEM; first: %s",
		     f->bad_errno, f->first_errno);
	else
		pass("faults-clean-errors");

	if (f->bad_buf)
		fail("faults-buffers-zeroed", "%lu bad buffers; first: %s",
		     f->bad_buf, f->first_buf);
	else
		pass("faults-buffers-zeroed");

	/* Nothing left behind: heap figures and descriptors as at the start. */
	check_heaps_back("faults-counters-back");
	check_fds_back("faults-fds-back", fds_start);
	faults_next_alloc(f);

	drop_caches();
	free_end = free_memory();
	printf("# faults: free memory (MemFree + pool_bytes) %lld KiB at start, %lld KiB at end (%+lld KiB)\n",
	       free_start / 1024, free_end / 1024,
	       (free_end - free_start) / 1024);
	printf("faults: calls=%lu injected=%ld failed_calls=%lu\n", f->calls,
	       injected, f->failed);
out:
	faults_close(f);
	return nfail ? EXIT_FAIL : 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " fuzz [--calls N] [--seed S] [--heap NAME|all]\n"
		"       " PROG " mmap [--heap NAME|all]\n"
		"       " PROG " faults [--calls N] [--seed S] [--percent P]\n"
		"                     [--heap NAME|all]\n"
		"\n"
		"  fuzz    random and edge-case DMA_HEAP_IOCTL_ALLOC calls\n"
		"          (default 100000) over the heaps in " HU_DEV_DIR ", with\n"
		"          another thread closing descriptors under them; every\n"
		"          answer is checked against the ABI contract, and\n"
		"          nothing may leak\n"
		"  mmap    mapping a dma-buf: bounds, offsets, mremap, munmap,\n"
		"          fork, close while mapped, zeroing of reused memory\n"
		"  faults  allocations (default 2000) while the kernel's fault\n"
		"          injection fails P%% (default 10) of this thread's slab\n"
		"          and page allocations: each gives a zeroed buffer or\n"
		"          ENOMEM, and nothing may be left behind. Needs a kernel\n"
		"          with FAILSLAB, FAIL_PAGE_ALLOC and debugfs; without\n"
		"          them it says so and exits 0\n"
		"\n"
		"Prints one PASS:/FAIL: line per check. Exit status: 0 all\n"
		"passed, 1 a check failed, 2 bad command line. Without a\n"
		"command: this text, exit status 0.\n");
}

enum command { CMD_FUZZ, CMD_MMAP, CMD_FAULTS };

struct options {
	unsigned long calls;
	__u64 seed;
	const char *heap;
	unsigned int percent;
};

/* "--name VALUE" or "--name=VALUE"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* One option at argv[*i]; returns 0, or an exit status after saying why. */
static int parse_option(int argc, char **argv, int *i, enum command cmd,
			struct options *o)
{
	bool calls = cmd != CMD_MMAP;
	const char *val;
	__u64 n;

	val = opt_value(argc, argv, i, "--heap");
	if (val) {
		o->heap = val;
		return 0;
	}
	val = calls ? opt_value(argc, argv, i, "--calls") : NULL;
	if (val) {
		if (hu_parse_u64(val, 0, &n) || !n || n > ULONG_MAX)
			return hu_usage_error(PROG, usage,
					      "bad --calls '%s'", val);
		o->calls = n;
		return 0;
	}
	val = calls ? opt_value(argc, argv, i, "--seed") : NULL;
	if (val) {
		if (hu_parse_u64(val, 0, &o->seed))
			return hu_usage_error(PROG, usage,
					      "bad --seed '%s'", val);
		return 0;
	}
	val = cmd == CMD_FAULTS ? opt_value(argc, argv, i, "--percent") : NULL;
	if (val) {
		if (hu_parse_u64(val, 0, &n) || !n || n > 100)
			return hu_usage_error(PROG, usage,
					      "bad --percent '%s'", val);
		o->percent = n;
		return 0;
	}
	return hu_usage_error(PROG, usage,
			      "unexpected argument '%s'", argv[*i]);
}

static int parse_options(int argc, char **argv, enum command cmd,
			 struct options *o)
{
	int i, ret;

	for (i = 0; i < argc; i++) {
		ret = parse_option(argc, argv, &i, cmd, o);
		if (ret)
			return ret;
	}
	return 0;
}

static int faults_main(const struct options *o)
{
	struct faults f = {
		.ncalls = o->calls,
		.percent = o->percent,
		.mif_fd = -1,
	};

	return run_faults(&f, o->seed);
}

int main(int argc, char **argv)
{
	struct options o = {
		.calls = 100000,
		.heap = "all",
		.percent = 10,
	};
	enum command cmd;
	struct fuzz *fz;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "fuzz"))
		cmd = CMD_FUZZ;
	else if (!strcmp(argv[1], "mmap"))
		cmd = CMD_MMAP;
	else if (!strcmp(argv[1], "faults"))
		cmd = CMD_FAULTS;
	else
		return hu_usage_error(PROG, usage,
				      "unknown command '%s'", argv[1]);
	if (cmd == CMD_FAULTS)
		o.calls = 2000;

	/* The VM may have no clock: boot time in ns varies more. */
	o.seed = (__u64)(now_s() * 1e9) ^ (__u64)time(NULL) ^
		 ((__u64)getpid() << 32);
	ret = parse_options(argc - 2, argv + 2, cmd, &o);
	if (ret)
		return ret;

	/* Not a failure: the kernel was built without it. */
	if (cmd == CMD_FAULTS && !fi_present()) {
		printf("# faults: no fault injection in this kernel\n");
		return 0;
	}

	page_size = sysconf(_SC_PAGESIZE);
	install_guard();
	if (load_heaps(o.heap))
		return EXIT_FAIL;

	if (cmd == CMD_MMAP)
		return run_mmap();
	if (cmd == CMD_FAULTS)
		return faults_main(&o);

	fz = calloc(1, sizeof(*fz));
	if (!fz)
		return EXIT_FAIL;
	fz->ncalls = o.calls;
	fz->select = o.heap;
	ret = run_fuzz(fz, o.seed);
	free(fz);
	return ret;
}
