#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Set the figures of two runs of tools/dma-heap-bench side by side, the
# stock kernel's and the project's, and check them against the targets.
#
#   bench-report.py [--out DIR] [--note TEXT]... --stock LOG [--stock LOG]...
#                   --project LOG [--project LOG]...
#
# Reads the "BENCH <key> <value>" lines of the console logs, one log per
# boot. With several rounds of each kernel, each figure is the best of its
# rounds (lowest latency, highest bandwidth or rate): the VM is emulated,
# and whatever else the host runs only ever slows a round down. Counts of
# the pool's wake-ups are the most that any round caused. Writes
# DIR/results.txt (tables, then one "TARGET <name>: <ratio> (need <bound>)
# PASS|MISS" line per target) and DIR/results.svg (a chart of the same).
# Exit status: 0 when every target is met, 1 when one is missed or not
# measured, 2 on bad arguments.
#
# Ratios: speedup = stock / project for latencies (above 1: the project
# is faster); project / stock for throughput; throughput / memset for how
# close allocation comes to the speed of zeroing memory in that VM.
# The frees' targets set each free against the floor of its own boot (the
# close of a one-page udmabuf: the dma-buf core's cost and a minimal
# release; see sample_free() in tools/dma-heap-bench): the boots of one
# run differ by up to 9% on that path, more than the heaps do. A target
# that compares the kernels also shows its figure's range over every
# pairing of one stock boot with one project boot, and says when the
# bound lies inside it.
# Standard library only: it runs on a bare Debian.

import argparse
import math
import os
import re
import sys
from xml.sax.saxutils import escape

HEAP = "system"
SIZES = ["4K", "64K", "1M", "8M", "32M"]
TP_SIZES = ["1M", "8M", "32M"]
OPS_SIZES = ["4K", "64K"]	# allocate+free cycles per second
OPS_THREADS = ["1t", "2t"]

# The targets, as ratios measured in one run. Edit here.
#   (name, what, sizes, op, bound)
# what: "speedup:<metric>"  stock p50 / project p50 of <metric>
#       "slowdown:<metric>" project p50 / stock p50 of <metric>; of the
#                           free, each over the floor of its boot
#       "flat:<metric>"     project p50 at <size> / project p50 at 4K
#       "tp"                project / stock throughput
#       "ops-<threads>"     project / stock allocate+free cycles per second
# Small buffers must cost no more than on stock: a graphics stack
# allocates them by the thousand. The free of any size hands its memory
# to the pool at once, so it takes about as long as the free of 4K.
TARGETS = [
    ("warm_alloc_speedup", "speedup:alloc_warm", ["1M"], ">=", 10.0),
    ("warm_alloc_speedup", "speedup:alloc_warm", ["8M", "32M"], ">=", 20.0),
    ("cold_alloc_slowdown", "slowdown:alloc_cold", ["4K", "64K"], "<=", 1.05),
    ("cold_alloc_slowdown", "slowdown:alloc_cold", ["1M", "8M", "32M"], "<=",
     1.10),
    ("free_slowdown", "slowdown:free", ["4K", "64K", "1M"], "<=", 1.0),
    ("free_flat", "flat:free", ["32M"], "<=", 1.5),
    ("throughput_vs_stock", "tp", TP_SIZES, ">=", 0.95),
    ("small_cycles_vs_stock", "ops-1t", OPS_SIZES, ">=", 1.0),
    ("small_cycles_vs_stock", "ops-2t", OPS_SIZES, ">=", 1.0),
]
FALLBACK_BOUND = 1.05		# fallback path / fallback heap directly

# The free's floor: a one-page udmabuf, closed in the free's passes.
FLOOR_KEY = "free_us_p50.udmabuf.4K"

# Memory accounting (project kernel): allocation from a cgroup of its own
# with dma_heap.mem_accounting switched on / off, in one boot.
ACCT_SIZES = ["4K", "1M", "32M"]
ACCT_TARGETS = [	# name, metric, sizes, bound
    ("accounting_slowdown", "alloc_cold", ["1M", "32M"], 1.05),
    ("accounting_slowdown", "alloc_warm", ["1M", "32M"], 1.05),
]

# The device side: stock's system heap, the project's, and the project's
# uncached twin, mapped for vgem (an importer that does not snoop).
UNCACHED = HEAP + "-uncached"
DEV_SIZES = ["1M", "8M", "32M"]
DEVICE_TARGETS = [	# name, how, sizes, op, bound
    ("uncached_map_unmap_speedup", "uncached_speedup:map+unmap",
     ["8M", "32M"], ">=", 10.0),
    ("uncached_sync_speedup", "uncached_speedup:sync", ["8M", "32M"], ">=",
     10.0),
    ("cached_map_unmap_slowdown", "cached_slowdown:map+unmap", DEV_SIZES,
     "<=", 1.05),
    ("cached_sync_slowdown", "cached_slowdown:sync", DEV_SIZES, "<=", 1.05),
    ("uncached_alloc_warm_vs_cached", "uncached_alloc:paired_alloc_warm",
     DEV_SIZES, "<=", 1.10),
    ("uncached_alloc_cold_vs_cached", "uncached_alloc:paired_alloc_cold",
     DEV_SIZES, "<=", 1.10),
]


class Log:
    """The figures, errors and notes of one console log: one boot."""

    def __init__(self, path):
        self.path = path
        self.fig = {}
        self.errors = []
        self.dmesg = []
        self.kernel = "?"
        finished = False
        if not os.path.exists(path):
            self.errors.append("no log at %s" % path)
            return
        with open(path, errors="replace") as f:
            for line in f:
                finished |= self.parse(line.rstrip("\n"))
        if not finished:
            self.errors.append("the benchmark did not finish in %s" % path)

    def parse(self, line):
        m = re.match(r"BENCH (\S+) (.*)$", line)
        if m and m.group(1) == "error":
            self.errors.append(m.group(2))
        elif m:
            try:
                self.fig[m.group(1)] = float(m.group(2))
            except ValueError:
                self.errors.append("unreadable line: " + line)
        elif line.startswith("# kernel: "):
            self.kernel = line[len("# kernel: "):]
        elif line.startswith("# dmesg: "):
            self.dmesg.append(line[len("# dmesg: "):])
        elif line.startswith("# latencies") and "--quick" in line:
            self.errors.append("run with --quick: too few samples to go by")
        return line.startswith("DTHEAPS-RESULT bench ")


class Run:
    """Every round of one kernel; get() is the best round's figure."""

    def __init__(self, label, paths, logs=None):
        self.label = label
        self.logs = logs if logs is not None else [Log(p) for p in paths]
        self.paths = ", ".join(paths)
        self.kernel = next((l.kernel for l in self.logs if l.kernel != "?"),
                           "?")
        self.errors = [e for l in self.logs for e in l.errors]
        self.dmesg = [d for l in self.logs for d in l.dmesg]
        self.keys = set(k for l in self.logs for k in l.fig)

    def boots(self):
        """Each round on its own, as a run of one boot."""
        return [Run(self.label, [l.path], [l]) for l in self.logs]

    def rounds(self, key):
        return [l.fig[key] for l in self.logs if key in l.fig]

    def get(self, key):
        vals = self.rounds(key)
        if not vals:
            return None
        # Rates: the highest. Counts of wake-ups are not a speed that
        # the host can only lower: the most any round caused.
        if "_gbps" in key or key.startswith(("ops_per_s.", "zero_wakeups.")):
            return max(vals)
        return min(vals)


def over_floor(run, size):
    """The free of @size over the floor of the same boot, best round."""
    key = "free_us_p50.%s.%s" % (HEAP, size)
    vals = [l.fig[key] / l.fig[FLOOR_KEY] for l in run.logs
            if key in l.fig and l.fig.get(FLOOR_KEY, 0) > 0]
    return min(vals) if vals else None


def ratio(num, den):
    if num is None or den is None or den <= 0:
        return None
    return num / den


def fnum(v, prec=1):
    return "-" if v is None else "%.*f" % (prec, v)


def fratio(v):
    if v is None:
        return "-"
    return "%.1fx" % v if v >= 10 else "%.2fx" % v


def table(title, head, rows):
    """A text table: first column left-aligned, the others right."""
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(cells):
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(out).rstrip()

    return [title, line(head)] + [line(r) for r in rows] + [""]


def latency_table(stock, proj, metric, title):
    head = ["size", "stock p50", "project p50", "speedup",
            "stock p99", "project p99", "speedup"]
    rows = []
    for size in SIZES:
        row = [size]
        for pct in ("p50", "p99"):
            key = "%s_us_%s.%s.%s" % (metric, pct, HEAP, size)
            s, p = stock.get(key), proj.get(key)
            row += [fnum(s), fnum(p), fratio(ratio(s, p))]
        rows.append(row)
    return table(title, head, rows)


def floor_table(stock, proj):
    head = ["size", "stock", "project", "project/stock"]
    rows = [["floor, us", fnum(stock.get(FLOOR_KEY), 2),
             fnum(proj.get(FLOOR_KEY), 2),
             fratio(ratio(proj.get(FLOOR_KEY), stock.get(FLOOR_KEY)))]]
    for size in SIZES:
        s, p = over_floor(stock, size), over_floor(proj, size)
        rows.append([size, fnum(s, 3), fnum(p, 3), fnum(ratio(p, s), 3)])
    return table("Free over the floor of its boot, heap %s: the free's p50 "
                 "/ the close of a one-page udmabuf (the dma-buf core's cost "
                 "and a minimal release) in the same passes, best round; "
                 "the frees' targets" % HEAP, head, rows)


def throughput_table(stock, proj):
    head = ["size", "stock", "project", "project/stock",
            "stock/memset", "project/memset"]
    rows = []
    for size in TP_SIZES:
        key = "throughput_gbps.%s.%s" % (HEAP, size)
        s, p = stock.get(key), proj.get(key)
        ms = stock.get("memset_gbps." + size)
        mp = proj.get("memset_gbps." + size)
        rows.append([size, fnum(s, 2), fnum(p, 2), fratio(ratio(p, s)),
                     fratio(ratio(s, ms)), fratio(ratio(p, mp))])
    return table("Sustained allocate+free, heap %s (GB/s; memset: the "
                 "memset bandwidth of that size in the same VM)" % HEAP,
                 head, rows)


def ops_key(size, threads):
    return "ops_per_s.%s.%s.%s" % (HEAP, size, threads)


def cycles_table(stock, proj):
    head = ["size", "threads", "stock", "project", "project/stock"]
    rows = []
    for size in OPS_SIZES:
        for threads in OPS_THREADS:
            s, p = stock.get(ops_key(size, threads)), \
                proj.get(ops_key(size, threads))
            rows.append([size, threads[:-1], fnum(s, 0), fnum(p, 0),
                         fratio(ratio(p, s))])
    return table("Small buffers, sustained: allocate+free cycles per second "
                 "of heap %s, summed over the threads" % HEAP, head, rows)


def wakeups_table(proj):
    """How often frees woke the pool's zeroing worker."""
    rows = []
    for kind, how in (("burst", "back to back"), ("spaced", "2 ms apart")):
        for key in sorted(k for k in proj.keys
                          if k.startswith("zero_wakeups.%s.%s." %
                                          (kind, HEAP))):
            size, n = key.split(".")[3:5]
            rows.append([size, kind, how, n, fnum(proj.get(key), 0)])
    if not rows:
        return ["Wake-ups of the pool's zeroing worker: not measured", ""]
    return table("Background work of frees, heap %s (project kernel): "
                 "wake-ups of the pool's zeroing worker (the most of any "
                 "round); the pool sets no timer" % HEAP,
                 ["buffer", "frees", "how", "count", "wake-ups"], rows)


def acct_p50(proj, kind, metric, size):
    """kind: rootcg, uncharged or charged (see bench_accounting())."""
    return proj.get("%s_%s_us_p50.%s.%s" % (kind, metric, HEAP, size))


def accounting_table(proj):
    rows = []
    for metric in ("alloc_cold", "alloc_warm"):
        for size in ACCT_SIZES:
            root, off, on = (acct_p50(proj, k, metric, size)
                             for k in ("rootcg", "uncharged", "charged"))
            rows.append([metric, size, fnum(root), fnum(off), fnum(on),
                         fratio(ratio(on, off)), fratio(ratio(off, root))])
    return table("Memory accounting, project kernel, heap %s, p50 us: "
                 "allocation from a cgroup of its own with "
                 "dma_heap.mem_accounting switched off, then on (charged); "
                 "and, apart, what being in a cgroup costs with accounting "
                 "off (the kernel charges the dma-buf's file, dentry and "
                 "inode; the dma-buf core's cost, stock's too) against the "
                 "root cgroup" % HEAP,
                 ["figure", "size", "root cgroup", "cgroup, off",
                  "cgroup, on", "on/off", "off/root"], rows)


def accounting_targets(proj):
    out = []
    for name, metric, sizes, bound in ACCT_TARGETS:
        for size in sizes:
            v = ratio(acct_p50(proj, "charged", metric, size),
                      acct_p50(proj, "uncharged", metric, size))
            out.append(Target("%s.%s.%s" % (name, metric, size), v, "<=",
                              bound, None, size))
    return out


def memset_table(stock, proj):
    head = ["size", "stock VM us", "GB/s", "project VM us", "GB/s"]
    rows = []
    for size in SIZES:
        rows.append([size, fnum(stock.get("memset_us." + size), 1),
                     fnum(stock.get("memset_gbps." + size), 2),
                     fnum(proj.get("memset_us." + size), 1),
                     fnum(proj.get("memset_gbps." + size), 2)])
    return table("memset of a pre-faulted buffer (the physical limit of "
                 "zeroing)", head, rows)


def pair_rows(metrics, sizes, first, second):
    """Rows of metric, size, first, second and second/first."""
    rows = []
    for metric in metrics:
        for size in sizes:
            a, b = first(metric, size), second(metric, size)
            rows.append([metric, size, fnum(a), fnum(b), fratio(ratio(b, a))])
    return rows


def dev_p50(run, metric, heap, size):
    """p50 of a device metric; "map+unmap" is the sum of the two."""
    total = 0.0
    for m in metric.split("+"):
        v = run.get("%s_us_p50.%s.%s" % (m, heap, size))
        if v is None:
            return None
        total += v
    return total


def device_table(stock, proj):
    head = ["figure", "size", "stock", "project", "uncached",
            "stock/uncached", "project/stock"]
    rows = []
    for metric in ("map", "unmap", "map+unmap", "sync"):
        for size in DEV_SIZES:
            s = dev_p50(stock, metric, HEAP, size)
            p = dev_p50(proj, metric, HEAP, size)
            u = dev_p50(proj, metric, UNCACHED, size)
            rows.append([metric, size, fnum(s), fnum(p), fnum(u),
                         fratio(ratio(s, u)), fratio(ratio(p, s))])
    for size in DEV_SIZES:
        key = "cpu_write_gbps.%s.%s"
        s, p = stock.get(key % (HEAP, size)), proj.get(key % (HEAP, size))
        u = proj.get(key % (UNCACHED, size))
        rows.append(["cpu write GB/s", size, fnum(s, 2), fnum(p, 2),
                     fnum(u, 2), fratio(ratio(s, u)), fratio(ratio(p, s))])
    out = table("Device side, through vgem (does not snoop the CPU caches): "
                "p50 us of importing (map), closing the import (unmap) and "
                "a DMA_BUF_IOCTL_SYNC start+end pair with the import in "
                "place; stock = stock %s, project = the project's %s, "
                "uncached = the project's %s" % (HEAP, HEAP, UNCACHED),
                head, rows)
    rows = pair_rows(("paired_alloc_cold", "paired_alloc_warm"), DEV_SIZES,
                     lambda m, sz: dev_p50(proj, m, HEAP, sz),
                     lambda m, sz: dev_p50(proj, m, UNCACHED, sz))
    out += table("Allocation, project kernel: %s against %s (p50 us; the "
                 "uncached heap cleans what it hands out; each size of the two "
                 "timed one after the other)" % (UNCACHED, HEAP),
                 ["figure", "size", HEAP, UNCACHED, "uncached/cached"], rows)
    return out


def clean_share(stock, proj, size):
    """What the one-time clean alone adds to a cold allocation at @size,
    as a share of the cached heap's cold allocation.

    A cold uncached allocation does what a cached one does and then cleans
    the buffer out of the CPU caches once, through the DMA API: the same
    clean that stock's map of a cached buffer for vgem does on every
    import. Stock's import less the uncached heap's (which does no cache
    maintenance: the import's fixed cost) is what that clean costs in this
    run: an estimate, from other timings of the same run, of the part of
    the slowdown no implementation of the clean can remove.
    """
    cold = dev_p50(proj, "paired_alloc_cold", HEAP, size)
    stock_map = dev_p50(stock, "map", HEAP, size)
    plain_map = dev_p50(proj, "map", UNCACHED, size)
    if None in (cold, stock_map, plain_map) or not cold:
        return None
    return max(stock_map - plain_map, 0.0) / cold


def device_value(kind, metric, size, stock, proj):
    """The figure of a target of DEVICE_TARGETS in one run."""
    if kind == "uncached_speedup":
        return ratio(dev_p50(stock, metric, HEAP, size),
                     dev_p50(proj, metric, UNCACHED, size))
    if kind == "cached_slowdown":
        return ratio(dev_p50(proj, metric, HEAP, size),
                     dev_p50(stock, metric, HEAP, size))
    return ratio(dev_p50(proj, metric, UNCACHED, size),
                 dev_p50(proj, metric, HEAP, size))


def device_targets(stock, proj):
    out = []
    for name, how, sizes, op, bound in DEVICE_TARGETS:
        kind, _, metric = how.partition(":")
        for size in sizes:
            def value(s, p):
                return device_value(kind, metric, size, s, p)
            # The uncached/cached pairs are timed in one boot.
            pairs = None
            if kind != "uncached_alloc":
                pairs = boot_pairs(value, stock, proj)
            clean = None
            if metric == "paired_alloc_cold":
                clean = clean_share(stock, proj, size)
            out.append(Target("%s.%s" % (name, size),
                              value(stock, proj), op, bound, None, size,
                              clean=clean, pairs=pairs))
    return out


def fallback_heaps(run):
    heaps = set()
    for key in run.keys:
        m = re.match(r"fallback_us_p50\.([^.]+)\.", key)
        if m:
            heaps.add(m.group(1))
    return sorted(heaps)


def fallback_ratios(proj, heap):
    """via / direct of each round: the two were measured interleaved, so
    only figures of the same round are compared."""
    out = []
    for l in proj.logs:
        r = ratio(l.fig.get("fallback_us_p50.%s.1M" % heap),
                  l.fig.get("fallback_direct_us_p50.%s.1M" % heap))
        if r is not None:
            out.append(r)
    return out


def median(vals):
    if not vals:
        return None
    vals = sorted(vals)
    n = len(vals)
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


def fallback_table(proj):
    head = ["heap", "round", "via heap p50", "direct p50", "via/direct",
            "via p99", "direct p99"]
    rows = []
    for heap in fallback_heaps(proj):
        for i, l in enumerate(proj.logs):
            g = lambda k: l.fig.get("%s.%s.1M" % (k, heap))
            via, direct = g("fallback_us_p50"), g("fallback_direct_us_p50")
            r = ratio(via, direct)
            rows.append([heap, str(i + 1), fnum(via), fnum(direct),
                         "-" if r is None else "%.3f" % r,
                         fnum(g("fallback_us_p99")),
                         fnum(g("fallback_direct_us_p99"))])
    if not rows:
        return ["Fallback (project kernel): not measured", ""]
    return table("Fallback (project kernel, us, 1M): a full heap passing "
                 "allocations to its fallback heap, vs the fallback heap "
                 "directly; target: median of the rounds' ratios",
                 head, rows)


class Target:
    def __init__(self, name, value, op, bound, group, size, ceiling=None,
                 clean=None, raw=None, pairs=None):
        self.name = name
        self.value = value
        self.op = op
        self.bound = bound
        self.group = group	# chart series, or None
        self.size = size
        self.ceiling = ceiling	# best speedup any heap could reach, or None
        self.clean = clean	# what the DMA API's clean alone adds, or None
        self.raw = raw		# the same of the p50s, when value is not
        self.pairs = pairs	# (lowest, highest) over pairs of boots
        if value is None:
            self.ok = False
        elif op == ">=":
            self.ok = value >= bound
        else:
            self.ok = value <= bound

    def line(self):
        val = "not measured" if self.value is None else "%.3f" % self.value
        line = "TARGET %s: %s (need %s %.2f) %s" % (
            self.name, val, self.op, self.bound,
            "PASS" if self.ok else "MISS")
        if self.ceiling is not None and not self.ok:
            line += " (reachable: at most %.2fx%s)" % (
                self.ceiling,
                ", below the target" if self.ceiling < self.bound else "")
        if self.raw is not None:
            line += " (over each boot's dma-buf floor; of the p50s: %.3f)" % (
                self.raw)
        if self.clean is not None and not self.ok:
            line += " (the DMA API's clean of this size alone: +%.2fx)" % (
                self.clean)
        if self.pairs is not None:
            line += " (boot pairs: %.3f to %.3f%s)" % (
                self.pairs[0], self.pairs[1],
                "; the bound is inside them" if self.undecided() else "")
        return line

    def undecided(self):
        """Whether some pairing of one stock boot with one project boot
        meets the bound and another misses it: then which side of it the
        best-of-rounds figure falls on is the boots' as much as the
        code's."""
        if self.pairs is None:
            return False
        lo, hi = self.pairs
        if self.op == ">=":
            return lo < self.bound <= hi
        return lo <= self.bound < hi


def p50(run, metric, size):
    return run.get("%s_us_p50.%s.%s" % (metric, HEAP, size))


def speedup_ceiling(stock, metric, size):
    """The best speedup any heap could show for @metric at @size.

    Stock's 4K figure is the cost of creating (or closing) a dma-buf with
    one page in it: the ioctl, dma_buf_export(), the file and the fd, or
    their teardown. Every heap pays that in the dma-buf core and the VFS,
    so a heap that took no time at all for its memory would still be at
    most stock(size) / stock(4K) faster.
    """
    return ratio(p50(stock, metric, size), p50(stock, metric, SIZES[0]))


def target_value(kind, metric, size, stock, proj):
    """The figure of a target of TARGETS in one run (@metric holds the
    threads of an "ops" kind); a free's is over the floor of its boot."""
    if kind == "slowdown" and metric == "free":
        return ratio(over_floor(proj, size), over_floor(stock, size))
    if kind == "speedup":
        return ratio(p50(stock, metric, size), p50(proj, metric, size))
    if kind == "slowdown":
        return ratio(p50(proj, metric, size), p50(stock, metric, size))
    if kind == "flat":
        return ratio(p50(proj, metric, size), p50(proj, metric, SIZES[0]))
    if kind == "ops":
        return ratio(proj.get(ops_key(size, metric)),
                     stock.get(ops_key(size, metric)))
    key = "throughput_gbps.%s.%s" % (HEAP, size)
    return ratio(proj.get(key), stock.get(key))


def boot_pairs(value, stock, proj):
    """The lowest and highest of value(stock boot, project boot) over
    every pairing of one boot of each kernel; None unless some kernel
    ran more than once. The best-of-rounds figure compares each kernel's
    best boot; this says how far the boots of the run scatter it."""
    vals = [value(s, p) for s in stock.boots() for p in proj.boots()]
    vals = [v for v in vals if v is not None]
    if len(vals) < 2:
        return None
    return min(vals), max(vals)


def check_targets(stock, proj):
    out = []
    for name, what, sizes, op, bound in TARGETS:
        kind, _, metric = what.partition(":")
        if kind.startswith("ops-"):
            kind, metric = "ops", kind[len("ops-"):]
        for size in sizes:
            def value(s, p):
                return target_value(kind, metric, size, s, p)
            v = value(stock, proj)
            ceiling = raw = pairs = None
            if kind != "flat":
                pairs = boot_pairs(value, stock, proj)
            if kind == "slowdown" and metric == "free":
                raw = ratio(p50(proj, metric, size), p50(stock, metric, size))
            elif kind == "speedup":
                ceiling = speedup_ceiling(stock, metric, size)
            if kind == "ops":
                out.append(Target("%s.%s.%s" % (name, size, metric), v, op,
                                  bound, None, size, pairs=pairs))
                continue
            # The chart draws speedups over stock, not flatness.
            group = None if kind == "flat" else metric or "tp"
            out.append(Target("%s.%s" % (name, size), v, op, bound,
                              group, size, ceiling, raw=raw, pairs=pairs))
    heaps = fallback_heaps(proj)
    for heap in heaps:
        v = median(fallback_ratios(proj, heap))
        out.append(Target("fallback_vs_direct." + heap, v, "<=",
                          FALLBACK_BOUND, None, None))
    if not heaps:
        out.append(Target("fallback_vs_direct", None, "<=", FALLBACK_BOUND,
                          None, None))
    return out + device_targets(stock, proj) + accounting_targets(proj)


def problems(run):
    lines = ["%s: %s" % (run.label, e) for e in run.errors]
    if run.logs and not run.rounds(FLOOR_KEY):
        lines.append("%s: no round measured the floor (%s): the frees' "
                     "targets are not measured" % (run.label, FLOOR_KEY))
    lines += ["%s: kernel log: %s" % (run.label, d) for d in run.dmesg]
    return lines


# The VM's own speed in each boot: a userspace memset at the VM's fast
# speed (the fastest of the bench's passes), which no kernel change
# reaches. Boots of either kernel still differ by a few percent at it; a
# ratio of two boots that ran at different speeds is theirs as much as
# the code's.
SPEED_KEY = "memset_gbps.1M"
SPEED_SPREAD = 1.10


def speed_notes(stock, proj):
    s, p = stock.rounds(SPEED_KEY), proj.rounds(SPEED_KEY)
    if not s or not p:
        return []
    lines = ["VM speed, memset of 1M in each boot (GB/s): stock %s; "
             "project %s" % (", ".join("%.2f" % v for v in s),
                             ", ".join("%.2f" % v for v in p))]
    spread = max(max(s), max(p)) / min(max(s), max(p))
    if spread > SPEED_SPREAD:
        lines.append("VM speed: the two kernels' fastest boots ran memset "
                     "%.2fx apart: this run's ratios are the boots' as much "
                     "as the code's" % spread)
    return lines


def write_text(path, stock, proj, targets, notes):
    out = ["dt-heaps benchmark: the project's kernel against stock 6.12, "
           "booted in turn in the same VM",
           "stock:   %s  (%s)" % (stock.kernel, stock.paths),
           "project: %s  (%s)" % (proj.kernel, proj.paths)]
    out += notes
    out += ["Latencies in microseconds; speedup = stock / project; "
            "GB = 10^9 bytes.",
            "Rounds: %d stock, %d project; each figure is the best of its "
            "kernel's rounds; within a round, a p50 but the fallback's is "
            "that of the VM's fast speed, which the VM switches to and "
            "from by itself (see fast_p50() in tools/dma-heap-bench)." %
            (len(stock.logs), len(proj.logs)), ""]
    out += latency_table(stock, proj, "alloc_cold",
                         "Allocation with the pool drained, heap %s" % HEAP)
    out += latency_table(stock, proj, "alloc_warm",
                         "Allocation right after a free of the same size "
                         "(pool warm), heap %s" % HEAP)
    out += latency_table(stock, proj, "free",
                         "Free (close of a buffer, after the same pause at "
                         "every size), heap %s" % HEAP)
    out += floor_table(stock, proj)
    out += throughput_table(stock, proj)
    out += cycles_table(stock, proj)
    out += wakeups_table(proj)
    out += memset_table(stock, proj)
    out += fallback_table(proj)
    out += device_table(stock, proj)
    out += accounting_table(proj)
    probs = problems(stock) + problems(proj)
    if probs:
        out += ["Problems:"] + ["  " + p for p in probs] + [""]
    met = sum(t.ok for t in targets)
    out += ["Targets: %d of %d met" % (met, len(targets))]
    out += [t.line() for t in targets]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---- the chart ----

SERIES = [			# metric, legend, colour
    ("alloc_cold", "alloc, pool cold", "#7f9cc9"),
    ("alloc_warm", "alloc, pool warm", "#e8833a"),
    ("free", "free, over its floor", "#4fa88a"),
]
TP_SERIES = [			# legend, colour
    ("stock", "#a0a0a0"),
    ("project", "#3b6fb6"),
    ("memset limit", "#ffffff"),
]
PASS_COLOUR = "#1a7f37"
MISS_COLOUR = "#c62828"


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, tag, text=None, **attrs):
        a = " ".join('%s="%s"' % (k.rstrip("_").replace("_", "-"),
                                  escape(str(v)))
                     for k, v in attrs.items())
        if text is None:
            self.parts.append("<%s %s/>" % (tag, a))
        else:
            self.parts.append("<%s %s>%s</%s>" % (tag, a, escape(text), tag))

    def text(self, x, y, s, size=12, anchor="start", **kw):
        self.add("text", s, x="%.1f" % x, y="%.1f" % y, font_size=size,
                 text_anchor=anchor, **kw)

    def line(self, x1, y1, x2, y2, stroke="#000", width=1, **kw):
        self.add("line", x1="%.1f" % x1, y1="%.1f" % y1, x2="%.1f" % x2,
                 y2="%.1f" % y2, stroke=stroke, stroke_width=width, **kw)

    def rect(self, x, y, w, h, fill, **kw):
        self.add("rect", x="%.1f" % x, y="%.1f" % y, width="%.1f" % w,
                 height="%.1f" % max(h, 0), fill=fill, **kw)

    def render(self, width, height):
        head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
                'height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, '
                'Arial, sans-serif">' % (width, height, width, height))
        return "\n".join([head, '<rect width="100%" height="100%" '
                          'fill="#ffffff"/>'] + self.parts + ["</svg>"]) + "\n"


def log_ticks(lo, hi):
    ticks = []
    for e in range(int(math.floor(math.log10(lo))),
                   int(math.ceil(math.log10(hi))) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                ticks.append(v)
    return ticks


def tick_label(v):
    return ("%g" % v) + "x"


def speedup_panel(svg, x0, y0, w, h, stock, proj, targets):
    """Grouped bars of stock/project per size, log scale, from 1x."""
    vals = {}
    for metric, _, _ in SERIES:
        for size in SIZES:
            vals[metric, size] = ratio(p50(stock, metric, size),
                                       p50(proj, metric, size))
            # The free as its targets judge it, where the floor was taken.
            if metric == "free":
                vals[metric, size] = ratio(over_floor(stock, size),
                                           over_floor(proj, size)) or \
                    vals[metric, size]
    want = {(t.group, t.size): t for t in targets if t.group}
    # The target of "cold" is a bound on the slowdown: as a speedup, 1/bound.
    bound = {}
    for key, t in want.items():
        bound[key] = 1 / t.bound if t.op == "<=" else t.bound
    known = [v for v in vals.values() if v] + list(bound.values())
    lo = min([0.5] + [v / 1.5 for v in known])
    hi = max([50.0] + [v * 1.6 for v in known])
    ly0, ly1 = math.log10(lo), math.log10(hi)

    def y(v):
        return y0 + h - (math.log10(v) - ly0) / (ly1 - ly0) * h

    svg.text(x0, y0 - 30, "Speedup over stock 6.12, heap %s (median "
             "latency, stock / project; log scale)" % HEAP, 15,
             font_weight="bold")
    for t in log_ticks(lo, hi):
        svg.line(x0, y(t), x0 + w, y(t), "#dddddd" if t != 1 else "#555555",
                 1 if t != 1 else 1.5)
        svg.text(x0 - 6, y(t) + 4, tick_label(t), 11, "end", fill="#444")
    svg.text(x0 + w + 4, y(1) + 4, "= stock", 11, fill="#555")
    svg.line(x0, y0, x0, y0 + h, "#555555")

    group_w = w / len(SIZES)
    bar_w = group_w * 0.8 / len(SERIES)
    for i, size in enumerate(SIZES):
        gx = x0 + i * group_w + group_w * 0.1
        svg.text(x0 + (i + 0.5) * group_w, y0 + h + 18, size, 13, "middle",
                 font_weight="bold")
        for j, (metric, _, colour) in enumerate(SERIES):
            bx = gx + j * bar_w
            v = vals[metric, size]
            t = want.get((metric, size))
            if v is None:
                svg.text(bx + bar_w / 2, y(1) - 4, "n/a", 10, "middle",
                         fill="#888")
            else:
                top, bot = sorted((y(v), y(1)))
                svg.rect(bx + 1, top, bar_w - 2, bot - top, colour,
                         stroke=MISS_COLOUR if t and not t.ok else "none",
                         stroke_width=2)
                label_y = top - 4 if v >= 1 else bot + 12
                if t and v < 1 and abs(label_y - 4 - y(bound[metric, size])) < 8:
                    label_y = y(bound[metric, size]) + 14
                svg.text(bx + bar_w / 2, label_y, fratio(v), 10, "middle",
                         fill=MISS_COLOUR if t and not t.ok else "#222")
            if t:
                ty = y(bound[metric, size])
                svg.line(bx - 1, ty, bx + bar_w + 1, ty, "#000", 2.5,
                         stroke_dasharray="5,2")

    lx = x0
    for metric, name, colour in SERIES:
        svg.rect(lx, y0 + h + 32, 14, 14, colour)
        svg.text(lx + 19, y0 + h + 44, name, 12)
        lx += 150
    svg.line(lx, y0 + h + 39, lx + 22, y0 + h + 39, "#000", 2.5,
             stroke_dasharray="5,2")
    svg.text(lx + 27, y0 + h + 44, "target", 12)
    svg.rect(lx + 90, y0 + h + 32, 14, 14, "#ffffff", stroke=MISS_COLOUR,
             stroke_width=2)
    svg.text(lx + 109, y0 + h + 44, "target missed", 12)


def throughput_panel(svg, x0, y0, w, h, stock, proj, targets):
    """Bars of GB/s per size: stock, project and the memset limit."""
    want = {t.size: t for t in targets if t.group == "tp"}
    vals = {}
    for size in TP_SIZES:
        key = "throughput_gbps.%s.%s" % (HEAP, size)
        vals[size] = [stock.get(key), proj.get(key),
                      proj.get("memset_gbps." + size)]
    known = [v for vs in vals.values() for v in vs if v]
    hi = max(known + [0.1]) * 1.2

    def y(v):
        return y0 + h - v / hi * h

    svg.text(x0, y0 - 30, "Sustained alloc+free (GB/s)", 15,
             font_weight="bold")
    step = 10 ** math.floor(math.log10(hi / 2))
    for m in (1, 2, 5, 10):
        if hi / (step * m) <= 6:
            step *= m
            break
    t = 0.0
    while t <= hi:
        svg.line(x0, y(t), x0 + w, y(t), "#dddddd" if t else "#555555")
        svg.text(x0 - 6, y(t) + 4, "%g" % t, 11, "end", fill="#444")
        t += step
    group_w = w / len(TP_SIZES)
    bar_w = group_w * 0.8 / len(TP_SERIES)
    for i, size in enumerate(TP_SIZES):
        gx = x0 + i * group_w + group_w * 0.1
        t = want.get(size)
        missed = t is not None and not t.ok
        svg.text(x0 + (i + 0.5) * group_w, y0 + h + 18, size, 13, "middle",
                 font_weight="bold")
        svg.text(x0 + (i + 0.5) * group_w, y0 + h + 32, "%s stock" %
                 fratio(ratio(vals[size][1], vals[size][0])), 10, "middle",
                 fill=MISS_COLOUR if missed else "#222")
        for j, (_, colour) in enumerate(TP_SERIES):
            v = vals[size][j]
            bx = gx + j * bar_w
            if v is None:
                svg.text(bx + bar_w / 2, y(0) - 4, "n/a", 10, "middle",
                         fill="#888")
                continue
            bad = missed and j == 1
            svg.rect(bx + 1, y(v), bar_w - 2, y(0) - y(v), colour,
                     stroke=MISS_COLOUR if bad else "#555555",
                     stroke_width=2 if bad else 1)
            svg.text(bx + bar_w / 2, y(v) - 4, "%.2f" % v if v < 10 else
                     "%.0f" % v, 10, "middle")
    ly = y0 + h + 42
    for j, (name, colour) in enumerate(TP_SERIES):
        svg.rect(x0 + j * 95, ly, 14, 14, colour, stroke="#555555")
        svg.text(x0 + j * 95 + 19, ly + 12, name, 12)


def write_svg(path, stock, proj, targets, notes):
    width = 1200
    svg = Svg()
    svg.text(width / 2, 30, "dt-heaps: project kernel vs stock 6.12, same "
             "VM", 20, "middle", font_weight="bold")
    rounds = len(stock.logs)
    if len(proj.logs) != rounds:
        rounds = "%d and %d" % (len(stock.logs), len(proj.logs))
    svg.text(width / 2, 50, "stock: %s   project: %s   each figure the best "
             "of %s rounds" % (stock.kernel.split()[0],
                               proj.kernel.split()[0], rounds), 11,
             "middle", fill="#555")
    speedup_panel(svg, 70, 110, 700, 380, stock, proj, targets)
    throughput_panel(svg, 850, 110, 320, 380, stock, proj, targets)

    y = 585
    met = sum(t.ok for t in targets)
    svg.text(30, y, "Targets: %d of %d met" % (met, len(targets)), 15,
             font_weight="bold", fill=PASS_COLOUR if met == len(targets)
             else MISS_COLOUR)
    cols, col_w, row_h = 3, 390, 18
    rows = (len(targets) + cols - 1) // cols
    for i, t in enumerate(targets):
        tx = 30 + (i // rows) * col_w
        ty = y + 22 + (i % rows) * row_h
        # Near 1, two decimals would hide a miss: 1.001 is not 1.00.
        val = "n/a" if t.value is None else (
            "%.3fx" % t.value if t.value < 10 else fratio(t.value))
        svg.text(tx, ty, "PASS" if t.ok else "MISS", 12, font_weight="bold",
                 fill=PASS_COLOUR if t.ok else MISS_COLOUR)
        svg.text(tx + 44, ty, "%s  %s (need %s %g)" % (t.name, val, t.op,
                                                        t.bound), 12)
    height = y + 22 + rows * row_h + 10
    probs = len(problems(stock) + problems(proj))
    if probs:
        svg.text(30, height + 4, "Problems reported: %d (see results.txt)"
                 % probs, 12, fill=MISS_COLOUR)
        height += 20
    for note in notes:
        svg.text(30, height + 4, note, 11, fill="#555")
        height += 16
    with open(path, "w") as f:
        f.write(svg.render(width, height))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=".", help="directory for the results")
    ap.add_argument("--note", action="append", default=[],
                    help="a line for the head of results.txt")
    ap.add_argument("--stock", action="append", required=True,
                    metavar="LOG", help="a console log of the stock kernel")
    ap.add_argument("--project", action="append", required=True,
                    metavar="LOG", help="a console log of the project's")
    args = ap.parse_args()

    stock = Run("stock", args.stock)
    proj = Run("project", args.project)
    targets = check_targets(stock, proj)
    notes = args.note + speed_notes(stock, proj)
    os.makedirs(args.out, exist_ok=True)
    write_text(os.path.join(args.out, "results.txt"), stock, proj, targets,
               notes)
    write_svg(os.path.join(args.out, "results.svg"), stock, proj, targets,
              notes)
    return 0 if all(t.ok for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
