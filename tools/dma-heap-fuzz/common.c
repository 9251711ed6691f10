// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz: what the commands share
 *
 * The table of heaps (every heap in sysfs, its region, its fallback, and
 * a snapshot of its used_bytes and buffers that a command checks it gets
 * back to), the PASS/FAIL lines, the errno names, /proc/meminfo and the
 * process's descriptors, and guarded memory access: code that touches
 * memory a misbehaving kernel may have left unmapped (or mapped where
 * nothing should be) runs under guarded(), and a SIGSEGV or SIGBUS there
 * gives a FAIL line and not a dead program.
 *
 * Not for: any one command's calls or checks (alloc.c, mmap.c,
 * faults.c), the command line (dma-heap-fuzz.c), or helpers the other
 * tools use too (../lib/heap-util.c).
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"

struct heap heaps[MAX_HEAPS];
int nheaps;
size_t page_size;

int npass, nfail;

void pass(const char *name)
{
	printf("PASS: %s\n", name);
	npass++;
}

void __printf(2, 3) fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nfail++;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The errno names this program expects to see; others print as numbers. */
const char *errno_name(int err)
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

void put_errno(char *buf, size_t len, int err)
{
	const char *name = errno_name(err);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "errno %d", err);
}

/* A field of /proc/meminfo in bytes, or -1. */
long long meminfo(const char *key)
{
	char val[64];
	long long kb;

	if (hu_file_field("/proc/meminfo", key, val, sizeof(val)))
		return -1;
	kb = strtoll(val, NULL, 10);
	return kb < 0 ? -1 : kb * 1024;
}

/* Open descriptors of this process, not counting the one used to look. */
int count_fds(void)
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

int heap_index(const char *name)
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
int load_heaps(const char *select)
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
		/* fb[i] holds the fallback; path is free for a moment. */
		heaps[i].protected = !hu_read_attr(HU_SYSFS_DIR, heaps[i].name,
						   "protected_by", path,
						   sizeof(path)) && *path;
	}
	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		h->fallback = fb[i][0] ? heap_index(fb[i]) : -1;
		snprintf(path, sizeof(path), HU_DEV_DIR "/%s", h->name);
		if (access(path, F_OK))
			continue;
		h->selected = !strcmp(select, "all") ||
			      !strcmp(select, h->name);
		/*
		 * Every check here maps the buffers. Protected heaps fall
		 * back only to protected ones, so leaving them out leaves
		 * no chain half-tested; tests/vm/protected.sh checks them.
		 */
		if (h->selected && h->protected) {
			printf("# %s: protected, the CPU cannot map its buffers; left out\n",
			       h->name);
			h->selected = false;
		}
	}
	for (i = 0; i < nheaps; i++)
		if (heaps[i].selected)
			return 0;
	fprintf(stderr, PROG ": no heap %s in " HU_DEV_DIR "\n",
		strcmp(select, "all") ? select : "at all");
	return -1;
}

void snapshot_heaps(void)
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
void heap_usage(int heap, __u64 *used, __u64 *buffers)
{
	*used = *buffers = ~0ULL;
	hu_read_attr_u64(HU_SYSFS_DIR, heaps[heap].name, "used_bytes", used);
	hu_read_attr_u64(HU_SYSFS_DIR, heaps[heap].name, "buffers", buffers);
}

/* Are the heap's figures back at the snapshot? */
bool heap_settled(int heap, __u64 *used, __u64 *buffers)
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
bool wait_heaps_settled(unsigned int ms)
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
void check_heaps_back(const char *name)
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
int check_fds_back(const char *name, int fds_start)
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
long long free_memory(void)
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

void drop_caches(void)
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
void *volatile guard_addr;

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

void install_guard(void)
{
	struct sigaction sa = {
		.sa_sigaction = guard_handler,
		.sa_flags = SA_SIGINFO,
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

int guarded(void (*fn)(void *), void *arg)
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

/* The test pattern: a page mapped at the wrong offset reads back wrong. */
static unsigned char pat(unsigned int seed, size_t off)
{
	__u32 x = (__u32)off * 2654435761U ^ (seed + 1) * 0x9e3779b9U;

	x ^= x >> 15;
	x ^= (__u32)(off >> 12) * 0x85ebca6bU;
	return x ^ (x >> 8) ^ (x >> 24);
}

void op_fill(void *arg)
{
	struct mem_op *op = arg;
	size_t i;

	for (i = 0; i < op->len; i++)
		op->p[i] = pat(op->seed, op->base + i);
}

void op_check(void *arg)
{
	struct mem_op *op = arg;
	size_t i;

	for (i = 0; i < op->len && op->p[i] == pat(op->seed, op->base + i);
	     i++)
		;
	op->bad = i;
}

void op_zero(void *arg)
{
	struct mem_op *op = arg;

	op->bad = hu_find_nonzero(op->p, op->len);
}

void op_dirty(void *arg)
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
bool probe_readable(void *addr)
{
	struct mem_op op = { .p = addr, .len = 1 };

	return !guarded(op_touch, &op);
}

int buf_server(int fd)
{
	char name[NAME_LEN];

	if (hu_fdinfo_field(fd, "exp_name", name, sizeof(name)))
		return -1;
	return heap_index(name);
}

void *map_buf(int fd, size_t len, off_t off, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
}
