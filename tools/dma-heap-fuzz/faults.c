// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz faults: allocations under the kernel's fault injection
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
 * Not for: hostile arguments to the allocation ioctl (alloc.c), or what
 * a mapping of a buffer may do (mmap.c): every call here is a valid one,
 * and only the kernel's own allocations fail.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>

#include "fuzz.h"

#define ATTR_LEN	64

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

/* Both injectors in debugfs: without them "faults" has nothing to run. */
bool fi_present(void)
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
	if (off) {
		if (!ret)
			close(fd);
		return off;
	}
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

/* The "faults" command. */
int faults_main(const struct options *o)
{
	struct faults f = {
		.ncalls = o->calls,
		.percent = o->percent,
		.mif_fd = -1,
	};

	return run_faults(&f, o->seed);
}
