/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what the parts of dma-heap-fuzz share
 *
 * The table of heaps that main() loads and every command checks the
 * heaps' accounting against, the PASS/FAIL lines and their counts,
 * guarded memory access and the memory operations run under it, the
 * random numbers, and each command's entry point.  common.c has the
 * code; dma-heap-fuzz.c says which file holds what.
 *
 * Not for: what one command alone uses (its types, limits and checks
 * stay in its file), or what the other tools need too (that is
 * ../lib/heap-util.h, included here).
 */
#ifndef DMA_HEAP_FUZZ_H
#define DMA_HEAP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <linux/types.h>

#include "heap-util.h"

#define PROG		"dma-heap-fuzz"

#define EXIT_FAIL	1
#define EXIT_USAGE	HU_EXIT_USAGE

#define BIT(n)		(1ULL << (n))

#define KiB		1024ULL
#define MiB		(1024 * KiB)

#define MAX_HEAPS	32
#define NAME_LEN	64

struct heap {
	char name[NAME_LEN];
	__u64 size;		/* size_bytes: 0 for a heap without a region */
	__u64 used0;		/* used_bytes at the last snapshot */
	__u64 buffers0;		/* buffers at the last snapshot */
	int fallback;		/* index of the fallback heap, or -1 */
	bool selected;		/* named on the command line, or "all" */
	bool protected;		/* protected_by set: the CPU cannot map it */
};

/* Every heap in sysfs, in name order; see load_heaps(). */
extern struct heap heaps[MAX_HEAPS];
extern int nheaps;
extern size_t page_size;

/* PASS: and FAIL: lines printed so far. */
extern int npass, nfail;

/* The command line, for the commands that take options. */
struct options {
	unsigned long calls;
	__u64 seed;
	const char *heap;
	unsigned int percent;
};

/* One operation on @len bytes at @p, which is byte @base of a buffer. */
struct mem_op {
	unsigned char *p;
	size_t len;
	size_t base;
	unsigned int seed;
	size_t bad;		/* out: first wrong byte, or @len */
};

/* Where the last guarded() section faulted. */
extern void *volatile guard_addr;

/* common.c: results */
void pass(const char *name);
void __printf(2, 3) fail(const char *name, const char *fmt, ...);
const char *errno_name(int err);
void put_errno(char *buf, size_t len, int err);

/* common.c: the heaps and the process */
int load_heaps(const char *select);
int heap_index(const char *name);
void snapshot_heaps(void);
void heap_usage(int heap, __u64 *used, __u64 *buffers);
bool heap_settled(int heap, __u64 *used, __u64 *buffers);
bool wait_heaps_settled(unsigned int ms);
void check_heaps_back(const char *name);
int check_fds_back(const char *name, int fds_start);
int buf_server(int fd);
long long meminfo(const char *key);
long long free_memory(void);
void drop_caches(void);
int count_fds(void);
void sleep_ms(unsigned int ms);

/* common.c: memory that may fault */
void install_guard(void);
int guarded(void (*fn)(void *), void *arg);
void op_fill(void *arg);
void op_check(void *arg);
void op_zero(void *arg);
void op_dirty(void *arg);
bool probe_readable(void *addr);
void *map_buf(int fd, size_t len, off_t off, int prot);

static inline double now_s(void)
{
	return hu_now_ns() / 1e9;
}

static inline __u64 page_align(__u64 len)
{
	return (len + page_size - 1) & ~((__u64)page_size - 1);
}

/*
 * splitmix64: small, fast, and every seed gives a usable sequence, so a
 * failing run is reproduced exactly from the seed it prints.
 */
static inline __u64 rng_next(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline __u64 rng_below(__u64 *state, __u64 n)
{
	return n ? rng_next(state) % n : 0;
}

/* True with a probability of @n in 1000. */
static inline bool rng_permille(__u64 *state, unsigned int n)
{
	return rng_below(state, 1000) < n;
}

/* The commands, run by main() once the heaps are loaded. */
int fuzz_main(const struct options *o);
int mmap_main(void);
bool fi_present(void);
int faults_main(const struct options *o);

#endif /* DMA_HEAP_FUZZ_H */
