// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-bench - time DMA-BUF heap allocation from userspace
 *
 *   dma-heap-bench [--heap NAME] [--quick] [--only PHASE[,PHASE...]]
 *
 * Runs in the VM, the same way on the stock kernel and on the project's,
 * so that scripts/bench-report.py can set the two side by side.  Every
 * figure is one line "BENCH <key> <value>": latencies in microseconds,
 * bandwidths in GB/s (GB = 10^9 bytes).  Lines starting with '#' are for
 * people.  A figure that could not be measured is never printed; a line
 * "BENCH error <what>: <why>" says so, and the run goes on.
 *
 * For each size of bench_sizes[]:
 *   memset_us.<size>, memset_gbps.<size>
 *	memset() of a pre-faulted buffer: how fast this VM zeroes memory,
 *	the limit for any heap that must hand out zeroed memory (p50 of
 *	the fastest of PASSES passes)
 *   alloc_cold_us_{p50,p99}.<heap>.<size>
 *	DMA_HEAP_IOCTL_ALLOC right after the heap's pool was drained (p50:
 *	at the VM's fast speed, for this and every latency below but the
 *	fallback's; see fast_p50())
 *   alloc_warm_us_{p50,p99}.<heap>.<size>
 *	DMA_HEAP_IOCTL_ALLOC right after a buffer of the same size was freed
 *	and the pool's background zeroing finished; the pause before it is
 *	the same on both kernels (see warm_pause_us())
 *   free_us_{p50,p99}.<heap>.<size>
 *	close() of a buffer, which drops its last reference, after the same
 *	pause at every size, with the pool's background zeroing done
 *   free_us_{p50,p99}.udmabuf.4K   (where the kernel has /dev/udmabuf)
 *	the same for a one-page udmabuf, the reference ("floor") that every
 *	heap's free is set against (see sample_free())
 *   throughput_gbps.<heap>.<size>   (1M and up)
 *	allocate and close back to back for a fixed time
 *   ops_per_s.<heap>.<size>.<threads>t   (4K and 64K; 1 and 2 threads)
 *	allocate+close cycles per second in each of <threads> threads at
 *	once, summed: the fastest of PASSES runs of 0.1 s
 *   zero_wakeups.{burst,spaced}.<heap>.<size>.<n>   (project kernel only)
 *	how many times <n> frees of held 4K or 64K buffers woke the pool's
 *	zeroing worker, closed back to back or 2 ms apart
 * and, for every heap with a fixed region and a fallback heap, with that
 * heap full and both paths equally warm:
 *   fallback_us_{p50,p99}.<heap>.1M         through the full heap
 *   fallback_direct_us_{p50,p99}.<heap>.1M  from its fallback heap directly
 * and the device side, for the heap and for "<heap>-uncached" if there is
 * one, at 1M, 8M and 32M, through vgem, an importer that does not snoop
 * the CPU caches (so a cached buffer gets its cache maintenance):
 *   map_us_{p50,p99}.<heap>.<size>     import into vgem: attach and map
 *   unmap_us_{p50,p99}.<heap>.<size>   close of the import: unmap, detach
 *   sync_us_{p50,p99}.<heap>.<size>    DMA_BUF_IOCTL_SYNC start and end,
 *					with vgem's mapping in place
 *   cpu_write_gbps.<heap>.<size>       memset() into the buffer's mmap
 * and, at those sizes, the allocation of "<heap>-uncached" and of the
 * heap itself, each size of one timed just before the same of the other:
 *   paired_alloc_{cold,warm}_us_{p50,p99}.<heap or twin>.<size>
 *
 * Every sysfs attribute of the project's kernel is optional: the stock
 * kernel has none of them, and gets the same procedure without the waits
 * and checks they allow.
 *
 * Every pause before a timed call is busy and of the same length on both
 * kernels.  In the emulated VM, a vCPU that sleeps or stays in userspace
 * for a while comes back into the kernel slowly, and the longer the
 * pause the slower: on stock 6.12, a 4K allocation took 14us after a
 * 1 ms busy pause, 38us after a 1 ms sleep, 25us after 4 ms busy and 93us
 * after 16 ms busy.  A pause that differed between the kernels would
 * decide the ratios of the small sizes by itself.
 *
 * And every timed call follows an untimed allocation and close of 4K
 * (warm_up()), on both kernels alike.  The emulator's software TLB is
 * small and slow to refill: whatever ran on this vCPU during the pause
 * (the pool's zeroing worker, drop_caches) evicts the kernel's paths
 * from it, and a 4K allocation or close right after spends 10 to 30us
 * refilling it, which a hardware TLB does in well under a microsecond.
 * Before a cold allocation, whose pool was just drained, the warm-up is
 * an allocation of the same size instead, held until the timed one is
 * done, so that the pool stays drained (sample_cold()): a 4K warm-up
 * left the paths of larger buffers cold, and in one boot the project's
 * cold 64K allocation took 11% longer than a copy of stock's allocate
 * path built into the same kernel after it, and 4% after a held 64K
 * one.  The close of 64K or more takes paths a 4K close does not
 * (the project's pool, stock's zone lock for blocks its per-CPU lists do
 * not hold), so a timed close of such a buffer also follows a close of
 * 64K: without it, the project's frees of 64K to 32M took 2.5us more
 * once its 4K buffers stopped going through the pool, and its free of
 * 32M went from 1.45x to 2.1x its free of 4K in this VM.
 *
 * And the bench stays on the CPU it started on (each thread of the
 * cycles phase on a CPU of its own), on both kernels alike. Moved to the
 * other vCPU, as the scheduler may do when a worker wakes on its own, a
 * thread finds none of its paths in that vCPU's software TLB: in one
 * boot, the close of a 1M buffer, which the pool's zeroing worker
 * follows, took 12 to 15us unpinned and 7 to 8.6us pinned; of a 4K
 * buffer, which nothing follows, 5 to 12us unpinned and 5 to 8.4 pinned.
 *
 * And the emulated VM runs at two speeds, 1.6x to 1.9x apart, switching
 * between them on its own every 0.1 to 2 s, on either kernel: in one
 * boot of stock, a memset() of 64K took 7us for runs of 0.3 to 1 s, then
 * 13us for up to 2 s; in others a getppid() took 0.9 or 1.5us. A latency
 * figure taken in one go is decided by how much of it fell on the slow
 * speed. So the allocation, free and device latencies, the memsets and
 * the cycles are taken in passes (PASSES, DEVICE_PASSES), each a share
 * of every figure of the phase in turn, so that every figure meets both
 * speeds. A latency's p50 is then that of the VM's fast speed: the 10th
 * percentile of the medians of its samples in groups of five in a row,
 * which mostly fall within one speed (fast_p50(); its p99 is of every
 * sample); a memset is its fastest pass, a cycles rate its fastest run.
 * Four runs of the cold 64K allocation in one boot gave 25.4 to 42.9us
 * as the fastest of 5 passes and 25.9 to 28.9us of 20.
 *
 * Exit status: 0 when every figure was measured, 1 when some failed,
 * 2 on a usage error.
 */

#define _GNU_SOURCE	/* sched_getcpu(), CPU_SET() */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#include "heap-util.h"

#define PROG		"dma-heap-bench"

#define EXIT_FAIL	1
#define EXIT_USAGE	HU_EXIT_USAGE

#define SZ_1M		0x100000ULL
#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL

/* Room for one sysfs attribute value, a heap name or a key. */
#define ATTR_LEN	64
#define KEY_LEN		128

/*
 * How long the pool's zeroing worker may take to catch up before a
 * sample is given up: 32 MiB at a pessimistic 100 MB/s, with margin.
 */
#define IDLE_TIMEOUT_NS	(2000 * NSEC_PER_MSEC)
#define IDLE_POLL_US	200
/* Busy pause before every timed call, on both kernels alike. */
#define SETTLE_US	1000
/*
 * Before a warm sample, also the time the pool's worker needs to start
 * (the next timer tick, 4 ms at the VM kernel's HZ=250, and a wakeup)
 * and to zero the buffer freed just before at this VM's memset speed,
 * twice over.
 */
#define WARM_START_US	4500
#define WARM_ZERO_FACTOR	2
/* drop_caches rounds before a pool that will not empty is given up. */
#define DRAIN_TRIES	10

/* memset: samples, and at least this many bytes per timed sample. */
#define MEMSET_SAMPLES	15
#define MEMSET_BYTES	(4 * SZ_1M)

/* Frees counted for the pool's wake-ups, and the gap between spaced ones. */
#define FREES_COUNTED	1000
#define FREES_SPACED_US	2000

/* Small-buffer cycles: sizes and thread counts. */
#define OPS_THREADS	2

/*
 * Latency series, memsets and cycle runs are taken in this many passes
 * spread over the phase (see run_series()). A latency is then read off
 * groups of FAST_GROUP samples in a row (see fast_p50()).
 */
#define PASSES		20
#define FAST_GROUP	5
#define FAST_PERCENTILE	10

/* Throughput: untimed warm-up, then the timed run (--quick: / 10). */
#define TP_WARMUP_NS	(250 * NSEC_PER_MSEC)
#define TP_RUN_NS	(2000 * NSEC_PER_MSEC)

/* Fallback: buffer size, interleaved samples, and slack when filling. */
#define FB_SIZE		SZ_1M
#define FB_SIZE_NAME	"1M"
#define FB_SAMPLES	300
#define FB_FILL_SLACK	16

/**
 * struct bench_size - one buffer size under test
 * @name:	its name in keys
 * @bytes:	the size
 * @samples:	latency samples per phase; fewer for large sizes, which
 *		take longest in an emulated VM, but at least 100 so that
 *		p99 is not simply the largest sample
 * @throughput:	also measure sustained throughput at this size
 */
struct bench_size {
	const char *name;
	__u64 bytes;
	unsigned int samples;
	bool throughput;
};

static const struct bench_size bench_sizes[] = {
	{ "4K",  4 * 1024,     1000, false },
	{ "64K", 64 * 1024,    1000, false },
	{ "1M",  1 * SZ_1M,     500, true },
	{ "8M",  8 * SZ_1M,     200, true },
	{ "32M", 32 * SZ_1M,    100, true },
};

#define NR_SIZES	ARRAY_SIZE(bench_sizes)

enum {
	PHASE_MEMSET = 1 << 0,
	PHASE_COLD = 1 << 1,
	PHASE_WARM = 1 << 2,
	PHASE_THROUGHPUT = 1 << 3,
	PHASE_FALLBACK = 1 << 4,
	PHASE_DEVICE = 1 << 5,
	PHASE_FREE = 1 << 6,
	PHASE_CYCLES = 1 << 7,
	PHASE_WAKEUPS = 1 << 8,
	PHASE_ACCOUNTING = 1 << 9,
	PHASE_ALL = (1 << 10) - 1,
};

static const char * const phase_names[] = {
	"memset", "cold", "warm", "throughput", "fallback", "device", "free",
	"cycles", "wakeups", "accounting",
};

static struct {
	const char *heap;
	unsigned int div;	/* divides sample counts and run times */
	unsigned int phases;
} opt = {
	.heap = "system",
	.div = 1,
	.phases = PHASE_ALL,
};

/* Failures so far: any makes the exit status 1. */
static unsigned int nr_errors;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--heap NAME] [--quick] [--only PHASE[,PHASE...]]\n"
		"\n"
		"Times allocation, free and throughput of heap NAME (default\n"
		"system) at 4K, 64K, 1M, 8M and 32M, memset bandwidth at the\n"
		"same sizes, and the fallback path of every heap with a fixed\n"
		"region and a fallback heap.  One figure a line:\n"
		"  BENCH <key> <value>   (microseconds, or GB/s)\n"
		"  BENCH error <what>: <why>\n"
		"\n"
		"  --heap NAME  the heap to time (default system)\n"
		"  --quick      a tenth of the samples and run time, for trying\n"
		"               the program out; not for figures\n"
		"  --only LIST, --only=LIST\n"
		"               run only these of memset, cold, warm, throughput,\n"
		"               fallback, device, free, cycles, wakeups,\n"
		"               accounting\n"
		"               (comma-separated)\n");
}

/* ---- output ---- */

/* One figure: "BENCH <key> <value>". */
static void __printf(2, 3) figure(double val, const char *fmt, ...)
{
	char key[KEY_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	printf("BENCH %s %.3f\n", key, val);
}

/* A figure that was not measured, and why. */
static void __printf(1, 2) bench_error(const char *fmt, ...)
{
	va_list ap;

	printf("BENCH error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nr_errors++;
}

/* ---- time ---- */

static double ns_to_us(__u64 ns)
{
	return (double)ns / NSEC_PER_USEC;
}

/* ---- statistics ---- */

struct stats {
	double p50;
	double p99;
	double min;
	double max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sorts @v.  The median of an even count is the mean of the middle two;
 * p99 is the nearest rank: the smallest sample that at least 99% of the
 * samples do not exceed (with fewer than 100 samples, the largest).
 */
static void stats_of(double *v, unsigned int n, struct stats *st)
{
	qsort(v, n, sizeof(*v), cmp_double);
	st->p50 = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st->p99 = v[(99 * n + 99) / 100 - 1];
	st->min = v[0];
	st->max = v[n - 1];
}

/*
 * The p50 at the VM's fast speed (see the top): the samples at @v, in the
 * order taken, are cut into groups of FAST_GROUP in a row, which mostly
 * fall within one speed, and the result is the FAST_PERCENTILE-th
 * percentile of the groups' medians. The same group size and percentile
 * at every size and for every figure make it the same statistic for all:
 * the lowest of a number of medians would sit lower the more of them
 * there were. Fewer than FAST_GROUP samples: their median.
 */
static double fast_p50(const double *v, unsigned int n)
{
	unsigned int groups = n / FAST_GROUP, g;
	double group[FAST_GROUP], *medians, p50;
	struct stats st;

	if (!groups) {
		memcpy(group, v, n * sizeof(*group));
		stats_of(group, n, &st);
		return st.p50;
	}
	medians = malloc(groups * sizeof(*medians));
	if (!medians) {
		bench_error("%s: out of memory", __func__);
		return -1;
	}
	for (g = 0; g < groups; g++) {
		memcpy(group, v + g * FAST_GROUP, sizeof(group));
		stats_of(group, FAST_GROUP, &st);
		medians[g] = st.p50;
	}
	qsort(medians, groups, sizeof(*medians), cmp_double);
	p50 = medians[(groups - 1) * FAST_PERCENTILE / 100];
	free(medians);
	return p50;
}

static unsigned int nr_samples(const struct bench_size *sz)
{
	unsigned int n = sz->samples / opt.div;

	return n < 5 ? 5 : n;
}

/* ---- heaps and buffers ---- */

/* Allocate and time the ioctl: microseconds in @us. */
static int timed_alloc(int heap_fd, __u64 len, int *buf_fd, double *us)
{
	__u64 t0, t1;
	int ret;

	t0 = hu_now_ns();
	ret = hu_alloc(heap_fd, len, O_RDWR | O_CLOEXEC, buf_fd);
	t1 = hu_now_ns();
	*us = ns_to_us(t1 - t0);
	return ret;
}

/*
 * The same, after an untimed allocation of the same path, held until the
 * timed one is done (see the top): a cold or fallback sample's warm-up,
 * which must leave the heap as it found it for the timed call.
 */
static int timed_alloc_after_held(int heap_fd, __u64 len, int *buf_fd,
				  double *us)
{
	int warm_fd, ret;

	ret = hu_alloc(heap_fd, len, O_RDWR | O_CLOEXEC, &warm_fd);
	if (ret)
		return ret;
	ret = timed_alloc(heap_fd, len, buf_fd, us);
	close(warm_fd);
	return ret;
}

/*
 * One untimed allocation and close of @bytes, to bring their paths back
 * into the emulator's TLB before a timed call (see the top).
 */
static int warm_up_size(int heap_fd, size_t bytes)
{
	int fd, ret;

	ret = hu_alloc(heap_fd, bytes, O_RDWR | O_CLOEXEC, &fd);
	if (!ret)
		close(fd);
	return ret;
}

static int warm_up(int heap_fd)
{
	return warm_up_size(heap_fd, 4096);
}

/* Before a timed close of @sz: its paths of 64K and more too. */
static int warm_up_close(int heap_fd, const struct bench_size *sz)
{
	return warm_up(heap_fd) ?:
	       (sz->bytes >= 65536 ? warm_up_size(heap_fd, 65536) : 0);
}

/* Close a dma-buf and return the microseconds it took. */
static double timed_close(int fd)
{
	__u64 t0, t1;

	t0 = hu_now_ns();
	close(fd);
	t1 = hu_now_ns();
	return ns_to_us(t1 - t0);
}

/* One allocation and free, untimed: leaves the size in the pool, if any. */
static int alloc_free(int heap_fd, __u64 len)
{
	int fd, ret;

	ret = hu_alloc(heap_fd, len, O_RDWR | O_CLOEXEC, &fd);
	if (!ret)
		close(fd);
	return ret;
}

/*
 * The floor, a reference for every free: udmabuf, a dma-buf exporter of
 * the kernel's own, made to hand out one page of a memfd. Closing one
 * costs what the dma-buf core and the VFS take to release any dma-buf,
 * plus a minimal release (a page unpinned, a few frees), about what a
 * heap's release of one page does: the same code on both kernels.
 */
#define UDMABUF_DEV	"/dev/udmabuf"
#define FLOOR_NAME	"udmabuf"

static int udmabuf_fd = -1, udmabuf_memfd = -1;
static size_t udmabuf_size;

static void floor_close(void)
{
	if (udmabuf_memfd >= 0)
		close(udmabuf_memfd);
	if (udmabuf_fd >= 0)
		close(udmabuf_fd);
	udmabuf_memfd = -1;
	udmabuf_fd = -1;
}

/*
 * Return 0 when the floor can be measured. Without udmabuf in the kernel,
 * say so and return -ENOENT; when it is there but unusable, that is an
 * error of the run.
 */
static int floor_open(void)
{
	const char *step = "memfd_create";
	int ret;

	udmabuf_fd = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (udmabuf_fd < 0) {
		ret = -errno;
		printf("# no " UDMABUF_DEV " (%s): the frees' floor is not measured\n",
		       strerror(-ret));
		return ret;
	}
	/* udmabuf takes only a memfd that can no longer shrink. */
	udmabuf_size = sysconf(_SC_PAGESIZE);
	udmabuf_memfd = memfd_create(PROG, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (udmabuf_memfd >= 0) {
		step = "ftruncate";
		if (!ftruncate(udmabuf_memfd, udmabuf_size)) {
			step = "F_SEAL_SHRINK";
			if (!fcntl(udmabuf_memfd, F_ADD_SEALS, F_SEAL_SHRINK))
				return 0;
		}
	}
	ret = -errno;
	bench_error("free.%s: %s: %s", FLOOR_NAME, step, strerror(-ret));
	floor_close();
	return ret;
}

/* A dma-buf of the memfd's page from udmabuf at @dev_fd. */
static int floor_alloc(int dev_fd, int *fd)
{
	struct udmabuf_create create = {
		.memfd = udmabuf_memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = udmabuf_size,
	};

	*fd = ioctl(dev_fd, UDMABUF_CREATE, &create);
	return *fd < 0 ? -errno : 0;
}

/* ---- pauses and pool state ---- */

/*
 * Wait @us microseconds without letting the CPU idle (see the top), but
 * yielding it: a worker the kernel woke on this CPU (the pool's zeroing)
 * runs at once instead of at the next tick.
 */
static void busy_pause(unsigned int us)
{
	__u64 end = hu_now_ns() + us * NSEC_PER_USEC;

	while (hu_now_ns() < end)
		sched_yield();
}

/* The CPU the bench started on; the cycles threads take the next ones. */
static int home_cpu = -1;

/*
 * Keep the calling thread on CPU @nth after home_cpu (see the top); where
 * that cannot be done, the figures are taken unpinned, and the log says so.
 */
static void pin_thread(unsigned int nth)
{
	long nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (home_cpu < 0 || nr_cpus < 1)
		return;
	CPU_ZERO(&set);
	CPU_SET((home_cpu + nth) % nr_cpus, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# cannot stay on CPU %ld: %s; figures unpinned\n",
		       (home_cpu + nth) % nr_cpus, strerror(errno));
}

/*
 * Pause @us, then wait on for as long as the pool's background zeroing
 * is still busy, so that the worker neither competes for a CPU nor
 * leaves the blocks it was woken for to the timed allocation. Less than
 * a megabyte of freed memory does not wake it, and stays for the
 * allocation to zero, as on a real system.  A kernel without the
 * attribute (stock) gets the pause only.  Return 1 when the
 * pool was still busy after the pause, 0 when it was not, -ETIMEDOUT
 * when it never finished.
 */
static int pause_until_idle(const char *heap, unsigned int us)
{
	__u64 zeroing, start;
	int late = 0;

	busy_pause(us);
	start = hu_now_ns();
	while (!hu_read_attr_u64(HU_SYSFS_DIR, heap, "zeroing_bytes",
				  &zeroing) && zeroing) {
		if (hu_now_ns() - start > IDLE_TIMEOUT_NS)
			return -ETIMEDOUT;
		late = 1;
		busy_pause(IDLE_POLL_US);
	}
	return late;
}

static int wait_idle(const char *heap)
{
	int ret = pause_until_idle(heap, SETTLE_US);

	return ret < 0 ? ret : 0;
}

/*
 * Empty the heap's pool through its shrinker, as memory pressure would.
 * Return 0 when the pool is empty or the kernel has none, -EBUSY when it
 * still holds memory, or the error of writing drop_caches.
 */
static int drain_pool(const char *heap, __u64 *left)
{
	int i, ret;

	*left = 0;
	for (i = 0; i < DRAIN_TRIES; i++) {
		ret = hu_drop_caches();
		if (ret)
			return ret;
		if (hu_read_attr_u64(HU_SYSFS_DIR, heap, "pool_bytes", left) ||
		    !*left)
			return 0;
		/* Blocks in the zeroing worker go once it lets go of them. */
		busy_pause(SETTLE_US);
	}
	return -EBUSY;
}

/* Pool hits and misses, to show whether "warm" and "cold" were so. */
struct pool_counts {
	__u64 hits;
	__u64 misses;
	bool valid;
};

static void pool_counts(const char *heap, struct pool_counts *pc)
{
	pc->valid = !hu_read_attr_u64(HU_SYSFS_DIR, heap, "pool_hits",
				      &pc->hits) &&
		    !hu_read_attr_u64(HU_SYSFS_DIR, heap, "pool_misses",
				      &pc->misses);
}

/* ---- memset: the physical limit ---- */

/* This VM's memset speed in bytes per microsecond, once known. */
static double zero_bytes_per_us;

/* Keep the compiler from dropping a memset() whose result is not read. */
static inline void escape(void *p)
{
	asm volatile("" : : "r"(p) : "memory");
}

/* The p50 of MEMSET_SAMPLES memsets of @bytes of @buf, in microseconds. */
static double memset_p50(char *buf, __u64 bytes)
{
	unsigned int reps, i, r;
	double us[MEMSET_SAMPLES];
	struct stats st;
	__u64 t0, t1;

	/* Small sizes are repeated so that one sample outlasts the clock. */
	reps = bytes >= MEMSET_BYTES ? 1 : MEMSET_BYTES / bytes;
	for (i = 0; i < MEMSET_SAMPLES; i++) {
		t0 = hu_now_ns();
		for (r = 0; r < reps; r++) {
			memset(buf, 0, bytes);
			escape(buf);
		}
		t1 = hu_now_ns();
		us[i] = ns_to_us(t1 - t0) / reps;
	}
	stats_of(us, MEMSET_SAMPLES, &st);
	return st.p50;
}

/*
 * The memset speed of the @nr sizes at @sizes: the p50 of the fastest of
 * PASSES passes, each size in turn in each pass, as for the heap's own
 * figures (see run_series()). The speed that sets the pause before warm
 * samples is the median pass's instead, of the largest size: a pause
 * for the fast speed alone would leave the pool's worker behind at the
 * slow one, and the project's kernel waiting longer than stock.
 */
static void bench_memset(const struct bench_size *sizes, unsigned int nr)
{
	double pass_us[NR_SIZES][PASSES];
	char *bufs[NR_SIZES] = {};
	unsigned int pass, i;
	double us;

	for (i = 0; i < nr; i++) {
		bufs[i] = mmap(NULL, sizes[i].bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bufs[i] == MAP_FAILED) {
			bench_error("memset.%s: mmap: %s", sizes[i].name,
				    strerror(errno));
			bufs[i] = NULL;
			continue;
		}
		/* Fault every page in: the kernel's zeroing is not timed. */
		memset(bufs[i], 1, sizes[i].bytes);
		escape(bufs[i]);
	}
	for (pass = 0; pass < PASSES; pass++)
		for (i = 0; i < nr; i++)
			if (bufs[i])
				pass_us[i][pass] = memset_p50(bufs[i],
							      sizes[i].bytes);
	for (i = 0; i < nr; i++) {
		if (!bufs[i])
			continue;
		munmap(bufs[i], sizes[i].bytes);
		qsort(pass_us[i], PASSES, sizeof(double), cmp_double);
		if (sizes[i].bytes >= MEMSET_BYTES)
			zero_bytes_per_us = sizes[i].bytes /
					    pass_us[i][PASSES / 2];
		us = pass_us[i][0];
		printf("# memset %s: %.1fus, %.2f GB/s (median pass %.1fus)\n",
		       sizes[i].name, us, sizes[i].bytes / (us * 1000),
		       pass_us[i][PASSES / 2]);
		figure(us, "memset_us.%s", sizes[i].name);
		figure(sizes[i].bytes / (us * 1000), "memset_gbps.%s",
		       sizes[i].name);
	}
}

/*
 * This VM's memset speed: from the memset phase, which is run for the
 * first size that sets it if it was left out (--only).
 */
static double zero_rate(void)
{
	unsigned int i;

	for (i = 0; i < NR_SIZES && zero_bytes_per_us <= 0; i++)
		if (bench_sizes[i].bytes >= MEMSET_BYTES)
			bench_memset(&bench_sizes[i], 1);
	/* No figure: 1 MB/s, pauses too long but never too short. */
	return zero_bytes_per_us > 0 ? zero_bytes_per_us : 1;
}

/*
 * The pause before a warm sample of @sz: the same on both kernels, and
 * long enough for the pool's worker to have zeroed what was just freed,
 * so that the project's kernel is never timed after a longer pause than
 * stock's (which has nothing to wait for).
 */
static unsigned int warm_pause_us(const struct bench_size *sz)
{
	return SETTLE_US + WARM_START_US +
	       WARM_ZERO_FACTOR * (unsigned int)(sz->bytes / zero_rate());
}

/* ---- allocation latency ---- */

/*
 * The samples of one latency figure, taken in slices over the passes of
 * a phase (see run_series()).
 */
enum series_kind { SERIES_COLD, SERIES_WARM, SERIES_FREE, SERIES_FLOOR };

struct series {
	enum series_kind kind;
	int heap_fd;
	const char *heap;
	const struct bench_size *sz;
	char what[32];		/* the figure's name, e.g. "alloc_cold" */
	double *us;		/* nr_samples(sz) of them once all are taken */
	unsigned int taken;
	unsigned int late;	/* warm samples that waited for the zeroing */
	struct pool_counts before;	/* the pool's, before a pass's samples */
	__u64 hits, misses;	/* the pool's, during the samples */
	bool counted;		/* the kernel counts them (not stock) */
	bool failed;
};

/*
 * Cold: every sample starts from an empty pool. Its warm-up is an
 * allocation of the same size, from the same empty pool, held until the
 * timed one is done: it takes the whole path the timed one takes, and
 * leaves the pool empty for it. The pool is drained again at the end.
 * Returns 0, or -1 once the reason is reported.
 */
static int sample_cold(struct series *s, double *us, unsigned int n)
{
	unsigned int i;
	__u64 left;
	int ret, fd;

	for (i = 0; i < n; i++) {
		ret = drain_pool(s->heap, &left);
		if (ret == -EBUSY) {
			bench_error("%s.%s.%s: pool still holds %llu bytes after drop_caches",
				    s->what, s->heap, s->sz->name, left);
			return -1;
		} else if (ret) {
			bench_error("%s.%s.%s: writing " HU_DROP_CACHES ": %s",
				    s->what, s->heap, s->sz->name,
				    strerror(-ret));
			return -1;
		}
		if (wait_idle(s->heap)) {
			bench_error("%s.%s.%s: pool zeroing did not finish",
				    s->what, s->heap, s->sz->name);
			return -1;
		}
		ret = timed_alloc_after_held(s->heap_fd, s->sz->bytes, &fd,
					     &us[i]);
		if (ret) {
			bench_error("%s.%s.%s: ALLOC: %s", s->what, s->heap,
				    s->sz->name, strerror(-ret));
			return -1;
		}
		close(fd);
	}
	/*
	 * Both buffers went to the pool: drained again, so that the next
	 * share of a series (a warm one, whose free needs room) finds the
	 * pool as this one did, not full of twice the largest size.
	 */
	ret = drain_pool(s->heap, &left);
	if (ret && ret != -EBUSY) {
		bench_error("%s.%s.%s: writing " HU_DROP_CACHES ": %s",
			    s->what, s->heap, s->sz->name, strerror(-ret));
		return -1;
	}
	return 0;
}

/*
 * Warm: every sample follows the free of a buffer of the same size, with
 * the pool's zeroing done.
 */
static int sample_warm(struct series *s, double *us, unsigned int n)
{
	unsigned int i, pause = warm_pause_us(s->sz);
	__u64 pooled;
	int ret, fd;

	ret = alloc_free(s->heap_fd, s->sz->bytes);
	if (ret) {
		bench_error("%s.%s.%s: ALLOC: %s", s->what, s->heap,
			    s->sz->name, strerror(-ret));
		return -1;
	}
	if (!wait_idle(s->heap) && !s->taken &&
	    !hu_read_attr_u64(HU_SYSFS_DIR, s->heap, "pool_bytes", &pooled) &&
	    pooled < s->sz->bytes)
		printf("# %s %s %s: the pool holds only %llu bytes\n",
		       s->what, s->heap, s->sz->name, pooled);
	pool_counts(s->heap, &s->before);

	for (i = 0; i < n; i++) {
		ret = pause_until_idle(s->heap, pause);
		if (ret < 0) {
			bench_error("%s.%s.%s: pool zeroing did not finish",
				    s->what, s->heap, s->sz->name);
			return -1;
		}
		s->late += ret;
		ret = warm_up(s->heap_fd) ?:
		      timed_alloc(s->heap_fd, s->sz->bytes, &fd, &us[i]);
		if (ret) {
			bench_error("%s.%s.%s: ALLOC: %s", s->what, s->heap,
				    s->sz->name, strerror(-ret));
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* The buffer a free sample of @s closes. */
static int free_sample_alloc(const struct series *s, int *fd)
{
	if (s->kind == SERIES_FLOOR)
		return floor_alloc(s->heap_fd, fd);
	return hu_alloc(s->heap_fd, s->sz->bytes, O_RDWR | O_CLOEXEC, fd);
}

/* Before a timed close of @s: an untimed one of the same path. */
static int free_sample_warm_up(const struct series *s)
{
	int fd, ret;

	if (s->kind != SERIES_FLOOR)
		return warm_up_close(s->heap_fd, s->sz);
	ret = floor_alloc(s->heap_fd, &fd);
	if (!ret)
		close(fd);
	return ret;
}

/*
 * Free: every sample closes a buffer after the same pause at every size
 * and on both kernels, with the pool's zeroing of the buffer before done,
 * and after the warm-up (see the top). On the warm phase's pauses, which
 * grow with the size, and without the warm-up, a 4K free would look four
 * times as fast as a 32M one for those reasons alone.
 *
 * The floor (SERIES_FLOOR) closes a one-page udmabuf the same way, right
 * after the 4K free in every pass, after the same wait for the heap's
 * pool: it is what releasing a dma-buf costs in this boot. Boots differ
 * in how fast that path runs: over the eight boots of one run, a 4K
 * free's p50 ranged from 4.66 to 5.09us on either kernel. And the
 * project's boots ran it 0.4% to 2.3% slower than stock's in three runs,
 * though none of its code runs there. bench-report.py sets each free
 * against the floor of its own boot, so that the ratio is the heaps'
 * and not the boots'.
 */
static int sample_free(struct series *s, double *us, unsigned int n)
{
	unsigned int i;
	int ret, fd;

	for (i = 0; i < n; i++) {
		ret = free_sample_alloc(s, &fd);
		if (ret) {
			bench_error("%s.%s.%s: ALLOC: %s", s->what, s->heap,
				    s->sz->name, strerror(-ret));
			return -1;
		}
		if (pause_until_idle(opt.heap, 0) < 0) {
			bench_error("%s.%s.%s: pool zeroing did not finish",
				    s->what, s->heap, s->sz->name);
			close(fd);
			return -1;
		}
		busy_pause(SETTLE_US);
		ret = free_sample_warm_up(s);
		if (ret) {
			bench_error("%s.%s.%s: warm-up ALLOC: %s", s->what,
				    s->heap, s->sz->name, strerror(-ret));
			close(fd);
			return -1;
		}
		us[i] = timed_close(fd);
	}
	return 0;
}

static void series_init(struct series *s, enum series_kind kind,
			int heap_fd, const char *heap,
			const struct bench_size *sz, const char *what)
{
	*s = (struct series){ .kind = kind, .heap_fd = heap_fd, .heap = heap,
			      .sz = sz };
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->us = calloc(nr_samples(sz), sizeof(*s->us));
	if (!s->us) {
		bench_error("%s.%s.%s: out of memory", what, heap, sz->name);
		s->failed = true;
	}
}

/* The samples of pass @pass of @passes: a share of the whole. */
static void series_pass(struct series *s, unsigned int pass,
			unsigned int passes)
{
	unsigned int n = nr_samples(s->sz);
	unsigned int end = n * (pass + 1) / passes;
	double *us = s->us + s->taken;
	struct pool_counts after;
	int ret;

	if (s->failed || end <= s->taken)
		return;
	/* A warm series counts from after its untimed first allocation. */
	if (s->kind != SERIES_WARM)
		pool_counts(s->heap, &s->before);
	switch (s->kind) {
	case SERIES_COLD:
		ret = sample_cold(s, us, end - s->taken);
		break;
	case SERIES_WARM:
		ret = sample_warm(s, us, end - s->taken);
		break;
	default:
		ret = sample_free(s, us, end - s->taken);
		break;
	}
	if (ret) {
		s->failed = true;
		return;
	}
	pool_counts(s->heap, &after);
	if (s->before.valid && after.valid) {
		s->counted = true;
		s->hits += after.hits - s->before.hits;
		s->misses += after.misses - s->before.misses;
	}
	s->taken = end;
}

static void report_late(const struct series *s)
{
	printf("# %s %s %s: pause %uus; %u of %u samples waited longer for the pool's zeroing\n",
	       s->what, s->heap, s->sz->name, warm_pause_us(s->sz), s->late,
	       s->taken);
}

/*
 * The figures of @s: p50 at the VM's fast speed (fast_p50()), p99 over
 * every sample.
 */
static void series_report(struct series *s)
{
	struct stats st;
	double fast;

	if (!s->failed && s->taken) {
		fast = fast_p50(s->us, s->taken);
		stats_of(s->us, s->taken, &st);
		printf("# %s %s %s: n=%u in %u passes, p50 at the fast speed %.1fus\n",
		       s->what, s->heap, s->sz->name, s->taken, PASSES, fast);
		printf("# %s %s %s: all: p50=%.1fus p99=%.1fus min=%.1fus max=%.1fus\n",
		       s->what, s->heap, s->sz->name, st.p50, st.p99, st.min,
		       st.max);
		if (fast >= 0)
			figure(fast, "%s_us_p50.%s.%s", s->what, s->heap,
			       s->sz->name);
		figure(st.p99, "%s_us_p99.%s.%s", s->what, s->heap,
		       s->sz->name);
		if (s->counted && s->kind != SERIES_FREE)
			printf("# %s %s %s: pool blocks hit +%llu, missed +%llu\n",
			       s->what, s->heap, s->sz->name, s->hits,
			       s->misses);
		if (s->kind == SERIES_WARM)
			report_late(s);
	}
	free(s->us);
	s->us = NULL;
}

/*
 * Take the samples of @nr series in PASSES passes, each pass a share of
 * every series in turn, and report them. The emulated VM runs at two
 * speeds, 1.6x to 1.9x apart, and switches between them every 0.1 to 2 s
 * for reasons of its own (see the top); a series taken in one go would
 * have its p50 decided by the share of the slow speed during it. Spread
 * over the passes, each series has passes at the fast speed, and the
 * series taken together meet the same speeds.
 */
static void run_series(struct series *s, unsigned int nr)
{
	unsigned int pass, i;

	for (pass = 0; pass < PASSES; pass++)
		for (i = 0; i < nr; i++)
			series_pass(&s[i], pass, PASSES);
	for (i = 0; i < nr; i++)
		series_report(&s[i]);
}

/* ---- sustained throughput ---- */

/*
 * Allocate and free for @ns; return the bytes allocated (< 0: -errno).
 * @slowest: the longest allocate+free, which shows a stall that the
 * average hides.
 */
static long long alloc_loop(int heap_fd, __u64 len, __u64 ns,
			    __u64 *slowest)
{
	__u64 start = hu_now_ns(), t0 = start, t1;
	long long bytes = 0;
	int ret;

	*slowest = 0;
	do {
		ret = alloc_free(heap_fd, len);
		if (ret)
			return ret;
		bytes += len;
		t1 = hu_now_ns();
		if (t1 - t0 > *slowest)
			*slowest = t1 - t0;
		t0 = t1;
	} while (t1 - start < ns);
	return bytes;
}

/*
 * No waiting between allocations: the pool's worker has to keep up, or
 * the allocations have to zero for themselves, as under a real load.
 */
static void bench_throughput(int heap_fd, const struct bench_size *sz)
{
	__u64 t0, elapsed = 0, slowest;
	long long bytes;
	double gbps;

	wait_idle(opt.heap);
	bytes = alloc_loop(heap_fd, sz->bytes, TP_WARMUP_NS / opt.div,
			   &slowest);
	if (bytes >= 0) {
		t0 = hu_now_ns();
		bytes = alloc_loop(heap_fd, sz->bytes, TP_RUN_NS / opt.div,
				   &slowest);
		elapsed = hu_now_ns() - t0;
	}
	if (bytes < 0) {
		bench_error("throughput.%s.%s: ALLOC: %s", opt.heap, sz->name,
			    strerror((int)-bytes));
		return;
	}

	gbps = (double)bytes / elapsed;		/* bytes per ns is GB/s */
	printf("# throughput %s %s: %llu buffers in %.2fs, %.2f GB/s, slowest %.1fus\n",
	       opt.heap, sz->name, (unsigned long long)(bytes / sz->bytes),
	       elapsed / 1e9, gbps, ns_to_us(slowest));
	figure(gbps, "throughput_gbps.%s.%s", opt.heap, sz->name);
}

/* ---- small buffers, sustained ---- */

struct cycles_arg {
	int heap_fd;
	unsigned int nth;	/* the thread's CPU, after home_cpu */
	__u64 len;
	__u64 ns;
	long long cycles;	/* < 0: -errno */
};

static void *cycles_thread(void *data)
{
	struct cycles_arg *arg = data;
	__u64 slowest;
	long long bytes;

	pin_thread(arg->nth);
	bytes = alloc_loop(arg->heap_fd, arg->len, arg->ns, &slowest);
	arg->cycles = bytes < 0 ? bytes : bytes / (long long)arg->len;
	return NULL;
}

/*
 * Allocate+close cycles per second of @sz in @threads threads at once
 * for @ns, summed; < 0 once the reason is reported.
 */
static double cycles_rate(int heap_fd, const struct bench_size *sz,
			  unsigned int threads, __u64 ns)
{
	struct cycles_arg args[OPS_THREADS];
	pthread_t tids[OPS_THREADS];
	long long total = 0;
	unsigned int i, started;
	__u64 t0, elapsed;

	wait_idle(opt.heap);
	for (i = 0; i < threads; i++)
		args[i] = (struct cycles_arg){ heap_fd, i, sz->bytes, ns, 0 };
	t0 = hu_now_ns();
	for (started = 0; started < threads; started++)
		if (pthread_create(&tids[started], NULL, cycles_thread,
				   &args[started]))
			break;
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	elapsed = hu_now_ns() - t0;
	if (started < threads) {
		bench_error("cycles.%s.%s.%ut: cannot start a thread",
			    opt.heap, sz->name, threads);
		return -1;
	}
	for (i = 0; i < threads; i++) {
		if (args[i].cycles < 0) {
			bench_error("cycles.%s.%s.%ut: ALLOC: %s", opt.heap,
				    sz->name, threads,
				    strerror((int)-args[i].cycles));
			return -1;
		}
		total += args[i].cycles;
	}
	return total / (elapsed / 1e9);
}

/*
 * Allocate+close cycles per second of the small sizes, in one thread
 * and in OPS_THREADS at once: how a graphics stack's stream of small
 * buffers fares. The pool's blocks go round without waiting for its
 * worker. Each run is cut into PASSES, taken in turn with the other
 * runs', and the figure is its fastest pass, for the reason that
 * run_series() gives.
 */
static void bench_cycles(int heap_fd)
{
	static const unsigned int threads[] = { 1, OPS_THREADS };
	double best[NR_SIZES][ARRAY_SIZE(threads)] = {};
	__u64 ns = TP_RUN_NS / opt.div / PASSES;
	unsigned int pass, i, t;
	double rate;

	for (pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < NR_SIZES; i++) {
			for (t = 0; t < ARRAY_SIZE(threads); t++) {
				if (bench_sizes[i].throughput || best[i][t] < 0)
					continue;
				rate = cycles_rate(heap_fd, &bench_sizes[i],
						   threads[t], ns);
				if (rate < 0 || rate > best[i][t])
					best[i][t] = rate;
			}
		}
	}
	for (i = 0; i < NR_SIZES; i++) {
		for (t = 0; t < ARRAY_SIZE(threads); t++) {
			if (bench_sizes[i].throughput || best[i][t] < 0)
				continue;
			printf("# cycles %s %s, %u threads: fastest of %u passes of %.2fs\n",
			       opt.heap, bench_sizes[i].name, threads[t],
			       PASSES, ns / 1e9);
			figure(best[i][t], "ops_per_s.%s.%s.%ut", opt.heap,
			       bench_sizes[i].name, threads[t]);
		}
	}
}

/* ---- the pool's background work per free ---- */

static int read_wakeups(__u64 *wakeups)
{
	return hu_read_attr_u64(HU_SYSFS_DIR, opt.heap, "pool_zero_wakeups",
				wakeups);
}

/*
 * Hold FREES_COUNTED buffers of @sz, then close them back to back or
 * @gap_us apart, and report how often that woke the pool's worker.
 */
static void count_wakeups(int heap_fd, const struct bench_size *sz,
			  const char *kind, unsigned int gap_us)
{
	unsigned int i, n = FREES_COUNTED / opt.div;
	__u64 before, after;
	int *fds, ret = 0;

	fds = calloc(n, sizeof(*fds));
	if (!fds) {
		bench_error("wakeups.%s: out of memory", kind);
		return;
	}
	for (i = 0; i < n && !ret; i++)
		ret = hu_alloc(heap_fd, sz->bytes, O_RDWR | O_CLOEXEC, &fds[i]);
	if (ret) {
		bench_error("wakeups.%s.%s: ALLOC: %s", kind, sz->name,
			    strerror(-ret));
		n = i - 1;
	} else if (wait_idle(opt.heap) || read_wakeups(&before)) {
		ret = -EIO;
	}
	for (i = 0; i < n; i++) {
		close(fds[i]);
		if (gap_us)
			busy_pause(gap_us);
	}
	free(fds);
	if (ret) {
		if (ret == -EIO)
			bench_error("wakeups.%s.%s: pool counters unreadable",
				    kind, sz->name);
		return;
	}
	if (wait_idle(opt.heap) || read_wakeups(&after)) {
		bench_error("wakeups.%s.%s: pool counters unreadable", kind,
			    sz->name);
		return;
	}
	printf("# wakeups %s %s: %u frees of %s woke the zeroing %llu times\n",
	       opt.heap, kind, n, sz->name, after - before);
	figure(after - before, "zero_wakeups.%s.%s.%s.%u", kind, opt.heap,
	       sz->name, n);
}

static void bench_wakeups(int heap_fd)
{
	unsigned int i;
	__u64 wakeups;

	if (read_wakeups(&wakeups)) {
		printf("# wakeups %s: no pool counters on this kernel\n",
		       opt.heap);
		return;
	}

	for (i = 0; i < NR_SIZES; i++) {
		if (bench_sizes[i].throughput)
			continue;
		count_wakeups(heap_fd, &bench_sizes[i], "burst", 0);
		count_wakeups(heap_fd, &bench_sizes[i], "spaced",
			      FREES_SPACED_US);
	}
}

/* ---- fallback ---- */

/*
 * Fill @heap with 1 MiB buffers until one comes from elsewhere, and keep
 * the ones it served.  Return how many, or -1 if it never fell back.
 */
static int fill_heap(int heap_fd, const char *heap, int *held, int max)
{
	char exp[ATTR_LEN];
	int n, fd, ret;

	for (n = 0; n < max; n++) {
		ret = hu_alloc(heap_fd, FB_SIZE, O_RDWR | O_CLOEXEC, &fd);
		if (ret) {
			bench_error("fallback.%s: filling: ALLOC: %s", heap,
				    strerror(-ret));
			break;
		}
		hu_buf_exporter(fd, exp, sizeof(exp));
		if (strcmp(exp, heap)) {
			close(fd);
			return n;
		}
		held[n] = fd;
	}
	if (n == max)
		bench_error("fallback.%s: still served by itself after %d buffers",
			    heap, max);
	while (n--)
		close(held[n]);
	return -1;
}

/*
 * One sample: a 1 MiB allocation from @from after the pool of @fb (which
 * serves it either way) finished zeroing.  @from is the full heap or
 * @fb itself; the buffer must come from @fb in both cases.  Like a cold
 * sample, it follows an allocation of the same path, held until it is
 * done (see the top): the path through the full heap touches more of the
 * kernel than the direct one, and without it the difference was the
 * emulator's TLB refills as much as the walk (camera: 1.04x to 1.06x of
 * the direct path in five runs, against 1.01x to 1.02x before the 4K
 * buffers' path stopped sharing the pool's).
 */
static double fallback_sample(int from_fd, const char *from, const char *fb)
{
	char exp[ATTR_LEN];
	int fd, ret;
	double us;

	if (wait_idle(fb)) {
		bench_error("fallback.%s: pool zeroing of %s did not finish",
			    from, fb);
		return -1;
	}
	ret = timed_alloc_after_held(from_fd, FB_SIZE, &fd, &us);
	if (ret) {
		bench_error("fallback.%s: ALLOC: %s", from, strerror(-ret));
		return -1;
	}
	hu_buf_exporter(fd, exp, sizeof(exp));
	close(fd);
	if (strcmp(exp, fb)) {
		bench_error("fallback.%s: buffer served by %s, not %s", from,
			    exp, fb);
		return -1;
	}
	return us;
}

/*
 * Samples alternate between the two paths, in ABBA order, so that
 * neither always runs first after a rest: the ratio of the medians is
 * the cost of the fallback path itself.
 */
static int fallback_samples(const char *heap, const char *fb, int heap_fd,
			    int fb_fd, double *via, double *direct,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		bool via_first = !(i & 1);

		if (via_first)
			via[i] = fallback_sample(heap_fd, heap, fb);
		direct[i] = fallback_sample(fb_fd, fb, fb);
		if (!via_first)
			via[i] = fallback_sample(heap_fd, heap, fb);
		if (via[i] < 0 || direct[i] < 0)
			return -1;
	}
	return 0;
}

static void report_fallback(const char *heap, const char *fb, double *via,
			    double *direct, unsigned int n)
{
	struct stats sv, sd;

	stats_of(via, n, &sv);
	stats_of(direct, n, &sd);
	printf("# fallback %s -> %s %s: via %s p50=%.1fus p99=%.1fus, direct p50=%.1fus p99=%.1fus\n",
	       heap, fb, FB_SIZE_NAME, heap, sv.p50, sv.p99, sd.p50, sd.p99);
	figure(sv.p50, "fallback_us_p50.%s.%s", heap, FB_SIZE_NAME);
	figure(sv.p99, "fallback_us_p99.%s.%s", heap, FB_SIZE_NAME);
	figure(sd.p50, "fallback_direct_us_p50.%s.%s", heap, FB_SIZE_NAME);
	figure(sd.p99, "fallback_direct_us_p99.%s.%s", heap, FB_SIZE_NAME);
}

static void bench_fallback(const char *heap, const char *fb, __u64 size)
{
	unsigned int n = FB_SAMPLES / opt.div;
	int heap_fd = -1, fb_fd = -1, *held = NULL, nheld = -1, max;
	double *via = NULL, *direct = NULL;

	heap_fd = hu_open_heap(HU_DEV_DIR, heap);
	fb_fd = hu_open_heap(HU_DEV_DIR, fb);
	if (heap_fd < 0 || fb_fd < 0) {
		bench_error("fallback.%s: cannot open %s or %s: %s", heap, heap,
			    fb, strerror(errno));
		goto out;
	}
	max = size / FB_SIZE + FB_FILL_SLACK;
	held = calloc(max, sizeof(*held));
	via = calloc(n, sizeof(*via));
	direct = calloc(n, sizeof(*direct));
	if (!held || !via || !direct) {
		bench_error("fallback.%s: out of memory", heap);
		goto out;
	}

	nheld = fill_heap(heap_fd, heap, held, max);
	if (nheld < 0)
		goto out;
	printf("# fallback %s: full after %d buffers of %s\n", heap, nheld,
	       FB_SIZE_NAME);

	/* Both paths start from the same warm fallback heap. */
	if (alloc_free(fb_fd, FB_SIZE)) {
		bench_error("fallback.%s: ALLOC from %s failed", heap, fb);
		goto out;
	}
	if (!fallback_samples(heap, fb, heap_fd, fb_fd, via, direct, n))
		report_fallback(heap, fb, via, direct, n);
out:
	while (nheld > 0)
		close(held[--nheld]);
	free(held);
	free(via);
	free(direct);
	if (heap_fd >= 0)
		close(heap_fd);
	if (fb_fd >= 0)
		close(fb_fd);
}

/* Every heap with a fixed region and a fallback, in name order. */
static void bench_fallbacks(void)
{
	unsigned int tested = 0;
	struct hu_heaps heaps;
	char fb[ATTR_LEN];
	const char *name;
	__u64 size;
	size_t i;
	int ret;

	ret = hu_list_heaps(HU_SYSFS_DIR, &heaps);
	if (ret) {
		bench_error("fallback: cannot open " HU_SYSFS_DIR ": %s",
			    strerror(-ret));
		return;
	}

	for (i = 0; i < heaps.nr; i++) {
		name = heaps.names[i];
		if (hu_read_attr(HU_SYSFS_DIR, name, "fallback", fb,
				 sizeof(fb)) || !*fb ||
		    hu_read_attr_u64(HU_SYSFS_DIR, name, "size_bytes",
				     &size) || !size)
			continue;
		bench_fallback(name, fb, size);
		tested++;
	}
	if (!tested)
		printf("# fallback: no heap with a fixed region and a fallback heap\n");
	hu_free_heaps(&heaps);
}

/* ---- the device side ---- */

/*
 * Samples of each device-side figure, in passes (see bench_device()),
 * and of the CPU write bandwidth.
 */
#define DEVICE_SAMPLES	100
#define DEVICE_PASSES	10
#define WRITE_SAMPLES	5
#define UNCACHED_SUFFIX	"-uncached"

static int sync_pair(int buf_fd)
{
	struct dma_buf_sync sync = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	};

	if (ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync))
		return -errno;
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	return ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

/* Map and unmap for vgem @n times; -errno on failure. */
static int time_map_unmap(int vgem, int buf_fd, double *map, double *unmap,
			  unsigned int n)
{
	__u64 t0, t1, t2;
	unsigned int i;
	__u32 handle = 0;
	int ret;

	for (i = 0; i < n; i++) {
		busy_pause(SETTLE_US);
		t0 = hu_now_ns();
		ret = hu_vgem_import(vgem, buf_fd, &handle);
		t1 = hu_now_ns();
		if (ret)
			return ret;
		hu_vgem_close(vgem, handle);
		t2 = hu_now_ns();
		map[i] = ns_to_us(t1 - t0);
		unmap[i] = ns_to_us(t2 - t1);
	}
	return 0;
}

/* @n sync pairs with vgem's mapping in place: what a frame loop does. */
static int time_sync(int vgem, int buf_fd, double *us, unsigned int n)
{
	unsigned int i;
	__u32 handle = 0;
	__u64 t0;
	int ret;

	ret = hu_vgem_import(vgem, buf_fd, &handle);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		busy_pause(SETTLE_US);
		t0 = hu_now_ns();
		ret = sync_pair(buf_fd);
		us[i] = ns_to_us(hu_now_ns() - t0);
	}
	hu_vgem_close(vgem, handle);
	return ret;
}

/* memset() through the buffer's mmap: what write-combining costs. */
static void cpu_write(int buf_fd, const struct bench_size *sz)
{
	double us[WRITE_SAMPLES];
	struct stats st;
	unsigned int i;
	__u64 t0;
	char *map;

	map = mmap(NULL, sz->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		   buf_fd, 0);
	if (map == MAP_FAILED) {
		bench_error("cpu_write.%s.%s: mmap: %s", opt.heap, sz->name,
			    strerror(errno));
		return;
	}
	memset(map, 1, sz->bytes);	/* every page mapped first */
	for (i = 0; i < WRITE_SAMPLES; i++) {
		t0 = hu_now_ns();
		memset(map, i, sz->bytes);
		escape(map);
		us[i] = ns_to_us(hu_now_ns() - t0);
	}
	munmap(map, sz->bytes);
	stats_of(us, WRITE_SAMPLES, &st);
	printf("# cpu_write %s %s: %.2f GB/s\n", opt.heap, sz->name,
	       sz->bytes / (st.p50 * 1000));
	figure(sz->bytes / (st.p50 * 1000), "cpu_write_gbps.%s.%s", opt.heap,
	       sz->name);
}

/* The device-side samples of one buffer, taken in passes. */
struct dev_series {
	const struct bench_size *sz;
	int buf_fd;
	double map[DEVICE_SAMPLES], unmap[DEVICE_SAMPLES];
	double sync[DEVICE_SAMPLES];
	unsigned int taken;
	bool failed;
};

static void dev_series_pass(int vgem, struct dev_series *d,
			    unsigned int pass, unsigned int n)
{
	unsigned int end = n * (pass + 1) / DEVICE_PASSES, k = end - d->taken;
	int ret;

	if (d->failed || !k)
		return;
	ret = time_map_unmap(vgem, d->buf_fd, d->map + d->taken,
			     d->unmap + d->taken, k) ?:
	      time_sync(vgem, d->buf_fd, d->sync + d->taken, k);
	if (ret) {
		bench_error("device.%s.%s: %s", opt.heap, d->sz->name,
			    strerror(-ret));
		d->failed = true;
		return;
	}
	d->taken = end;
}

static void dev_series_report(struct dev_series *d)
{
	static const char * const names[] = { "map", "unmap", "sync" };
	double *samples[] = { d->map, d->unmap, d->sync };
	struct stats st;
	unsigned int i;
	double fast;

	if (d->failed || !d->taken)
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		fast = fast_p50(samples[i], d->taken);
		stats_of(samples[i], d->taken, &st);
		printf("# %s %s %s: n=%u in %u passes, p50 at the fast speed %.1fus\n",
		       names[i], opt.heap, d->sz->name, d->taken,
		       DEVICE_PASSES, fast);
		if (fast >= 0)
			figure(fast, "%s_us_p50.%s.%s", names[i], opt.heap,
			       d->sz->name);
		figure(st.p99, "%s_us_p99.%s.%s", names[i], opt.heap,
		       d->sz->name);
	}
}

/*
 * The device-side figures of the heap under test, at 1M and up: one
 * buffer of each size, imported and synced in DEVICE_PASSES passes, each
 * size in turn in each pass, for the reason run_series() gives.
 */
static void bench_device(int vgem)
{
	unsigned int n = DEVICE_SAMPLES / opt.div, i, pass, nr = 0;
	struct dev_series *d;
	int heap_fd, ret;
	double us;

	if (n < DEVICE_PASSES)
		n = DEVICE_PASSES;
	d = calloc(NR_SIZES, sizeof(*d));
	heap_fd = hu_open_heap(HU_DEV_DIR, opt.heap);
	if (!d || heap_fd < 0) {
		bench_error("device: cannot open " HU_DEV_DIR "/%s: %s",
			    opt.heap, d ? strerror(errno) : "out of memory");
		goto out;
	}
	wait_idle(opt.heap);
	for (i = 0; i < NR_SIZES; i++) {
		if (!bench_sizes[i].throughput)
			continue;
		d[nr].sz = &bench_sizes[i];
		ret = timed_alloc(heap_fd, bench_sizes[i].bytes,
				  &d[nr].buf_fd, &us);
		if (ret) {
			bench_error("device.%s.%s: alloc: %s", opt.heap,
				    bench_sizes[i].name, strerror(-ret));
			continue;
		}
		nr++;
	}
	for (pass = 0; pass < DEVICE_PASSES; pass++)
		for (i = 0; i < nr; i++)
			dev_series_pass(vgem, &d[i], pass, n);
	for (i = 0; i < nr; i++) {
		dev_series_report(&d[i]);
		cpu_write(d[i].buf_fd, d[i].sz);
		close(d[i].buf_fd);
	}
out:
	if (heap_fd >= 0)
		close(heap_fd);
	free(d);
}

/*
 * The allocation of "<heap>-uncached" at 1M and up, cold and warm, to
 * set against the heap's own: the one-time cache clean must stay cheap.
 * The heap itself is timed again here, each pass of each size just
 * before its twin's, so that both are measured in the same state of the
 * VM: from the
 * allocation phases, after everything the device phase did since, the
 * same warm allocation differs by a third from run to run.
 */
static void bench_uncached_alloc(const char *heap, const char *twin)
{
	struct series s[4 * NR_SIZES];
	int heap_fd, twin_fd;
	unsigned int i, nr = 0;

	heap_fd = hu_open_heap(HU_DEV_DIR, heap);
	twin_fd = hu_open_heap(HU_DEV_DIR, twin);
	if (heap_fd < 0 || twin_fd < 0) {
		bench_error("uncached_alloc: cannot open %s or %s", heap, twin);
		goto out;
	}
	wait_idle(heap);
	wait_idle(twin);
	for (i = 0; i < NR_SIZES; i++) {
		const struct bench_size *sz = &bench_sizes[i];

		if (!sz->throughput)
			continue;
		series_init(&s[nr++], SERIES_COLD, heap_fd, heap, sz,
			    "paired_alloc_cold");
		series_init(&s[nr++], SERIES_COLD, twin_fd, twin, sz,
			    "paired_alloc_cold");
		series_init(&s[nr++], SERIES_WARM, heap_fd, heap, sz,
			    "paired_alloc_warm");
		series_init(&s[nr++], SERIES_WARM, twin_fd, twin, sz,
			    "paired_alloc_warm");
	}
	run_series(s, nr);
out:
	if (heap_fd >= 0)
		close(heap_fd);
	if (twin_fd >= 0)
		close(twin_fd);
}

/* The heap, then its uncached twin if the kernel has one. */
static void bench_devices(void)
{
	const char *heap = opt.heap;
	char twin[ATTR_LEN];
	int vgem, fd;

	vgem = hu_vgem_open();
	if (vgem < 0) {
		bench_error("device: no vgem device in /dev/dri");
		return;
	}
	bench_device(vgem);

	/* A cut name could open some other heap as the twin. */
	if (snprintf(twin, sizeof(twin), "%s" UNCACHED_SUFFIX, heap) >=
	    (int)sizeof(twin)) {
		bench_error("device: heap name %s too long for its twin", heap);
		close(vgem);
		return;
	}
	fd = hu_open_heap(HU_DEV_DIR, twin);
	if (fd >= 0) {
		close(fd);
		opt.heap = twin;
		bench_device(vgem);
		opt.heap = heap;
		bench_uncached_alloc(heap, twin);
	} else {
		printf("# device: no heap %s\n", twin);
	}
	close(vgem);
}

/* ---- memory accounting ---- */

#define CGROUP_DIR		"/sys/fs/cgroup"
#define BENCH_CGROUP		CGROUP_DIR "/dtheaps-bench"
#define ACCOUNTING_PARAM	"/sys/module/dma_heap/parameters/mem_accounting"

/* Move this process into the cgroup at @dir: 0 or a negative errno. */
static int join_cgroup(const char *dir)
{
	char path[PATH_MAX], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	return hu_write_file(path, pid);
}

/* cgroup2 at CGROUP_DIR, with the memory controller, and BENCH_CGROUP. */
static int make_bench_cgroup(void)
{
	struct statfs st;
	int ret;

	mkdir(CGROUP_DIR, 0755);
	if ((statfs(CGROUP_DIR, &st) || st.f_type != CGROUP2_SUPER_MAGIC) &&
	    mount("none", CGROUP_DIR, "cgroup2", 0, NULL))
		return -errno;
	ret = hu_write_file(CGROUP_DIR "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	if (mkdir(BENCH_CGROUP, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The cgroup and the switch of one accounting figure. */
struct acct_config {
	const char *dir;
	bool on;
	const char *what;
};

static const struct acct_config acct_configs[] = {
	{ CGROUP_DIR, false, "rootcg" },
	{ BENCH_CGROUP, false, "uncharged" },
	{ BENCH_CGROUP, true, "charged" },
};

/* Move into @cfg's cgroup and switch accounting as it says: 0 or -1. */
static int enter_acct_config(const struct acct_config *cfg)
{
	int ret = join_cgroup(cfg->dir);

	if (ret) {
		bench_error("accounting: joining %s: %s", cfg->dir,
			    strerror(-ret));
		return -1;
	}
	ret = hu_write_file(ACCOUNTING_PARAM, cfg->on ? "Y" : "N");
	if (ret) {
		bench_error("accounting: switching %s: %s", ACCOUNTING_PARAM,
			    strerror(-ret));
		return -1;
	}
	return 0;
}

/*
 * Allocation with memory accounting on against off, in one boot, from
 * one cgroup of its own (no limit): dma_heap.mem_accounting is switched
 * between the two, each size timed cold and warm off, then on. Stock has
 * no such parameter and skips this.
 *   uncharged_alloc_{cold,warm}_us_{p50,p99}.<heap>.<size>
 *   charged_alloc_{cold,warm}_us_{p50,p99}.<heap>.<size>
 * A process in a cgroup other than the root also has the dma-buf's file,
 * dentry and inode charged by the kernel, accounting or not: that cost,
 * the dma-buf core's and the same on stock, is timed apart, as the root
 * cgroup's allocation (charged for nothing) against the one off:
 *   rootcg_alloc_{cold,warm}_us_{p50,p99}.<heap>.<size>
 */
static void bench_accounting(int heap_fd)
{
	static const char * const sizes[] = { "4K", "1M", "32M" };
	struct series s[2 * ARRAY_SIZE(sizes) * ARRAY_SIZE(acct_configs)];
	unsigned int i, j, c, pass, nr = 0;
	char was[8], what[32];
	int ret, failed = 0;

	if (hu_read_file(ACCOUNTING_PARAM, was, sizeof(was))) {
		printf("# accounting: no dma_heap.mem_accounting: skipped\n");
		return;
	}
	ret = make_bench_cgroup();
	if (ret) {
		bench_error("accounting: no memory cgroup %s: %s", BENCH_CGROUP,
			    strerror(-ret));
		return;
	}
	/* Cold then warm, of each size, in each configuration. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < NR_SIZES; j++)
			if (!strcmp(bench_sizes[j].name, sizes[i]))
				break;
		if (j == NR_SIZES)
			continue;
		for (c = 0; c < ARRAY_SIZE(acct_configs); c++) {
			snprintf(what, sizeof(what), "%s_alloc_cold",
				 acct_configs[c].what);
			series_init(&s[nr++], SERIES_COLD, heap_fd, opt.heap,
				    &bench_sizes[j], what);
			snprintf(what, sizeof(what), "%s_alloc_warm",
				 acct_configs[c].what);
			series_init(&s[nr++], SERIES_WARM, heap_fd, opt.heap,
				    &bench_sizes[j], what);
		}
	}
	/* In passes, as run_series() does, switching before each pair. */
	for (pass = 0; pass < PASSES && !failed; pass++) {
		for (i = 0; i < nr && !failed; i += 2) {
			c = i / 2 % ARRAY_SIZE(acct_configs);
			failed = enter_acct_config(&acct_configs[c]);
			if (failed)
				break;
			series_pass(&s[i], pass, PASSES);
			series_pass(&s[i + 1], pass, PASSES);
		}
	}
	/* A figure is of every pass, or none (the reason is reported). */
	for (i = 0; i < nr; i++) {
		s[i].failed |= failed;
		series_report(&s[i]);
	}
	join_cgroup(CGROUP_DIR);
	rmdir(BENCH_CGROUP);
	hu_write_file(ACCOUNTING_PARAM, was[0] == 'Y' ? "Y" : "N");
}

/* ---- setup ---- */

static const char * const heap_attrs[] = {
	"type", "cached", "size_bytes", "used_bytes", "buffers", "fallback",
	"fallback_count", "pool_bytes", "zeroing_bytes", "pool_hits",
	"pool_misses",
};

/* What the kernel says about each heap, for the record, in name order. */
static void describe_heaps(void)
{
	struct hu_heaps heaps;
	char val[ATTR_LEN];
	unsigned int i;
	size_t h;

	if (hu_list_heaps(HU_DEV_DIR, &heaps))
		return;
	for (h = 0; h < heaps.nr; h++) {
		printf("# heap %s:", heaps.names[h]);
		for (i = 0; i < ARRAY_SIZE(heap_attrs); i++)
			if (!hu_read_attr(HU_SYSFS_DIR, heaps.names[h],
					  heap_attrs[i], val, sizeof(val)))
				printf(" %s=%s", heap_attrs[i], val);
		putchar('\n');
	}
	hu_free_heaps(&heaps);
}

#define NR_PHASES	ARRAY_SIZE(phase_names)

/* "cold,warm" to a mask of phases; 0 for an unknown name. */
static unsigned int parse_phases(const char *list)
{
	char *copy = strdup(list), *name, *save;
	unsigned int mask = 0, i;

	for (name = copy ? strtok_r(copy, ",", &save) : NULL; name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_PHASES && strcmp(name, phase_names[i]); i++)
			;
		if (i == NR_PHASES) {
			mask = 0;
			break;
		}
		mask |= 1U << i;
	}
	free(copy);
	return mask;
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			opt.heap = argv[++i];
		} else if (!strncmp(argv[i], "--heap=", 7)) {
			/* --heap=NAME: one word for the kernel command line */
			opt.heap = argv[i] + 7;
		} else if (!strncmp(argv[i], "--only=", 7) ||
			   (!strcmp(argv[i], "--only") && i + 1 < argc)) {
			/* --only=LIST: one word for the kernel command line */
			const char *list = argv[i][6] ? argv[i] + 7 : argv[++i];

			opt.phases = parse_phases(list);
			if (!opt.phases)
				return hu_usage_error(PROG, usage,
						      "bad phase list '%s'",
						      list);
		} else if (!strcmp(argv[i], "--quick")) {
			opt.div = 10;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else {
			return hu_usage_error(PROG, usage, "bad argument '%s'",
					      argv[i]);
		}
	}
	if (!hu_heap_name_ok(opt.heap))
		return hu_usage_error(PROG, usage, "invalid heap name '%s'",
				      opt.heap);
	return 0;
}

/* Latency and throughput of the heap under test. */
static void bench_heap(void)
{
	struct series s[3 * NR_SIZES + 1];
	unsigned int i, nr = 0;
	bool floor;
	int heap_fd;

	heap_fd = hu_open_heap(HU_DEV_DIR, opt.heap);
	if (heap_fd < 0) {
		bench_error("heap %s: cannot open " HU_DEV_DIR "/%s: %s",
			    opt.heap, opt.heap, strerror(errno));
		return;
	}
	/* The boot-time prefill of the pool runs in the background. */
	wait_idle(opt.heap);

	for (i = 0; i < NR_SIZES && (opt.phases & PHASE_COLD); i++)
		series_init(&s[nr++], SERIES_COLD, heap_fd, opt.heap,
			    &bench_sizes[i], "alloc_cold");
	for (i = 0; i < NR_SIZES && (opt.phases & PHASE_WARM); i++)
		series_init(&s[nr++], SERIES_WARM, heap_fd, opt.heap,
			    &bench_sizes[i], "alloc_warm");
	/* The floor right after the 4K free, which it is set against. */
	floor = (opt.phases & PHASE_FREE) && !floor_open();
	for (i = 0; i < NR_SIZES && (opt.phases & PHASE_FREE); i++) {
		series_init(&s[nr++], SERIES_FREE, heap_fd, opt.heap,
			    &bench_sizes[i], "free");
		if (!i && floor)
			series_init(&s[nr++], SERIES_FLOOR, udmabuf_fd,
				    FLOOR_NAME, &bench_sizes[0], "free");
	}
	run_series(s, nr);
	floor_close();
	for (i = 0; i < NR_SIZES && (opt.phases & PHASE_THROUGHPUT); i++)
		if (bench_sizes[i].throughput)
			bench_throughput(heap_fd, &bench_sizes[i]);
	if (opt.phases & PHASE_CYCLES)
		bench_cycles(heap_fd);
	if (opt.phases & PHASE_WAKEUPS)
		bench_wakeups(heap_fd);
	if (opt.phases & PHASE_ACCOUNTING)
		bench_accounting(heap_fd);
	close(heap_fd);
}

int main(int argc, char **argv)
{
	__u64 start = hu_now_ns();
	struct utsname uts;
	int ret;

	ret = parse_args(argc, argv);
	if (ret)
		return ret;
	/* The console is shared with the kernel: whole lines only. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	home_cpu = sched_getcpu();
	pin_thread(0);

	if (!uname(&uts))
		printf("# kernel: %s %s\n", uts.release, uts.version);
	printf("# latencies in microseconds, bandwidths in GB/s (10^9 bytes/s)%s\n",
	       opt.div > 1 ? "; --quick: not for figures" : "");
	describe_heaps();

	if (opt.phases & PHASE_MEMSET)
		bench_memset(bench_sizes, NR_SIZES);
	if (opt.phases & (PHASE_COLD | PHASE_WARM | PHASE_THROUGHPUT |
			  PHASE_FREE | PHASE_CYCLES | PHASE_WAKEUPS |
			  PHASE_ACCOUNTING))
		bench_heap();
	if (opt.phases & PHASE_FALLBACK)
		bench_fallbacks();
	if (opt.phases & PHASE_DEVICE)
		bench_devices();

	printf("# done in %.1fs, %u errors\n", (hu_now_ns() - start) / 1e9,
	       nr_errors);
	return nr_errors ? EXIT_FAIL : 0;
}
