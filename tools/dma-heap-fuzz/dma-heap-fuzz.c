// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-fuzz - hostile userspace against DMA-BUF heaps
 *
 *   dma-heap-fuzz fuzz [--calls N] [--seed S] [--heap NAME|all]
 *   dma-heap-fuzz mmap [--heap NAME|all]
 *   dma-heap-fuzz faults [--calls N] [--seed S] [--percent P] [--heap NAME|all]
 *
 * This file is the command line: the usage text, the options and main(),
 * which loads the heaps and runs one command.  The commands have a file
 * each, named after what they exercise:
 *
 *   alloc.c   "fuzz": random and edge-case DMA_HEAP_IOCTL_ALLOC calls,
 *             each checked against the ABI contract, while a second
 *             thread closes descriptors under them
 *   mmap.c    "mmap": bounds, offsets, mremap, munmap, fork and close of
 *             a dma-buf mapping, and zeroing of reused memory
 *   faults.c  "faults": allocations while the kernel's fault injection
 *             fails some of the calling thread's own allocations
 *   common.c  what they share (fuzz.h): the heap table and its
 *             accounting, PASS/FAIL lines, guarded memory access
 *
 * Every check prints one "PASS: <name>" or "FAIL: <name>: <why>" line,
 * and each command a summary line last; tests/vm/hostile.sh and
 * tests/vm/faults.sh read both.
 *
 * Exit status: 0 when every check passed, 1 on any failure, 2 on a bad
 * command line. Without arguments it prints its usage and exits 0, so
 * that running every program of a directory is harmless.
 *
 * Not for: any call or check itself; those are in the command's file.
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

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

int main(int argc, char **argv)
{
	struct options o = {
		.calls = 100000,
		.heap = "all",
		.percent = 10,
	};
	enum command cmd;
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
	o.seed = hu_now_ns() ^ (__u64)time(NULL) ^ ((__u64)getpid() << 32);
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
		return mmap_main();
	if (cmd == CMD_FAULTS)
		return faults_main(&o);
	return fuzz_main(&o);
}
