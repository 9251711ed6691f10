#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh [vm|debug]: run the KUnit suites of kunit/ and print one
# PASS/FAIL line per test case.
#
# The suites are built into the VM kernel (scripts/kernel.sh vm: its
# configuration includes kunit/.kunitconfig), so the kernel that the vm
# stages boot is the one tested here, and an edit rebuilds only what it
# touches. The project's VM boots it with kunit.enable=1: the suites run
# during boot, before init, and the kernel's own kunit.py parses their
# KTAP output from the console log (build/logs/kunit.log), as it does
# for the kernels it builds itself.
#
# The debug kernel (scripts/kernel.sh debug: the VM kernel's
# configuration plus scripts/configs/debug.config) has them built in as
# well: "kunit.sh debug" runs them there, under KASAN and lockdep, with
# kobject releases delayed, and names its checks debug/... It boots
# with kmemleak off: with kobject releases delayed, the OF core keeps
# the nodes of every overlay a suite removes (a child's delayed release
# still holds its parent; "OF: ERROR: memory leak ... destroy cset
# entry"), and kmemleak would report them. The vm stages check
# kmemleak on the same kernel.
#
# Either way the console log is also read as the vm stages read theirs:
# an oops, BUG or WARNING fails the run, and so does a lost line. The
# log buffer is made larger than the debug kernel's whole boot log
# (about 400 KiB, most of it delayed-release messages), so that a
# console that falls behind cannot drop a result line.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

# How the KUnit run's VM boots: the overlay applied to QEMU's DTB, and
# the arguments added to the kernel command line. This is the one place
# to change them (e.g. KUNIT_BOOTARGS="swiotlb=force" for a case that
# needs bounce buffers; the environment may also set both).
#
# The suites apply overlays of their own (kunit/heaps-*.dtso, heap names
# kunit-*), build carveouts over memory they allocate and chunk and CMA
# heaps over the default CMA area: the overlay must declare no heap
# whose name they use, and a default CMA area. vm-no-heaps.dtso gives
# mainline 7.0's heaps only (system, default_cma_region and linux,cma over
# a 64 MiB default area, video@70000000 over a second reusable region),
# which one case checks.
KUNIT_DTS=${KUNIT_DTS:-$TOP/dts/vm-no-heaps.dtso}
KUNIT_BOOTARGS=${KUNIT_BOOTARGS:-}

KERNEL_NAME=${1:-vm}
case "$KERNEL_NAME" in
vm)	SUFFIX= PREFIX= ;;
debug)	SUFFIX=-debug PREFIX=debug/
	KUNIT_BOOTARGS="kmemleak=off $KUNIT_BOOTARGS" ;;
*)	die "kunit" "usage: kunit.sh [vm|debug]" ;;
esac
JSON=$BUILD/kunit$SUFFIX.json
KLOG=$LOGDIR/kunit$SUFFIX.log
PLOG=$LOGDIR/kunit$SUFFIX-parse.log
# What failed cases printed, for test.sh's closing summary.
FAILURES=$LOGDIR/kunit$SUFFIX-failures.txt

"$TOP/scripts/kernel.sh" "$KERNEL_NAME" >&2
"$TOP/scripts/vm.sh" user >&2
rm -f "$JSON" "$KLOG" "$FAILURES"
# A VM that stops early (a crash in a suite) still leaves its log, and
# kunit.py reports the cases that did not finish.
KERNEL=$BUILD/out/$KERNEL_NAME/arch/arm64/boot/Image \
	DTS=$KUNIT_DTS BOOTARGS="kunit.enable=1 log_buf_len=4M $KUNIT_BOOTARGS" \
	VM_TIMEOUT=${KUNIT_TIMEOUT:-${VM_TIMEOUT:-900}} \
	"$TOP/scripts/vm.sh" boot kunit "$KLOG" >&2 || true
[ -s "$KLOG" ] || die "kunit" "the VM left no console log" "$KLOG"

# kunit.py runs with the system python, which has what it imports.
KSRC=$(cat "$BUILD/linux/.dtheaps-src")
/usr/bin/python3 "$KSRC/tools/testing/kunit/kunit.py" parse \
	--json="$JSON" "$KLOG" >"$PLOG" 2>&1 || true
[ -s "$JSON" ] || die "kunit" "kunit.py parse produced no results" "$PLOG"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' \
	"$PLOG" >&2 || true

# Each failed expectation with the lines that explain it.
grep -E -A4 '(EXPECTATION|ASSERTION) FAILED' "$KLOG" |
	sed -E 's/^\[ *[0-9.]+\] *//' >"$FAILURES" || rm -f "$FAILURES"

# The kernel log's reports.
"$TOP/scripts/vm-results.sh" "$KLOG" | sed -E "s,^(PASS|FAIL): ,&$PREFIX,"

/usr/bin/python3 - "$JSON" "$PREFIX" <<'PY'
import json
import sys

# kunit.py's JSON: groups hold sub_groups (suites, parameterised cases)
# and test_cases (leaves, each with a status).
def walk(group, prefix):
    for sub in group.get("sub_groups", []):
        walk(sub, f"{prefix}{sub['name']}/")
    for case in group.get("test_cases", []):
        name = prefix + case["name"]
        status = case.get("status", "")
        if status == "PASS":
            print(f"PASS: {name}")
        elif status != "SKIP":
            print(f"FAIL: {name}: {status or 'no status'}")

with open(sys.argv[1]) as f:
    data = json.load(f)
walk(data, sys.argv[2])
if not data.get("sub_groups"):
    print(f"FAIL: {sys.argv[2]}kunit: no test suite ran")
PY
