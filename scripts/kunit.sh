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
KLOG=$LOGDIR/kunit$SUFFIX.log
# What kunit.py made of it: $OUT.ktap, $OUT-parse.log, $OUT.json.
OUT=$LOGDIR/kunit$SUFFIX
# What failed cases printed, for test.sh's closing summary.
FAILURES=$LOGDIR/kunit$SUFFIX-failures.txt

# ktap_cases LOG PREFIX OUT: one PASS/FAIL line per case of the KTAP
# output in the console log LOG, each name after PREFIX. OUT names the
# files it leaves: OUT.ktap (the KTAP lines), OUT-parse.log (kunit.py's
# report) and OUT.json.
ktap_cases() {
	local klog=$1 prefix=$2 out=$3 ksrc

	# The KTAP lines alone. The console interleaves them with what the
	# rest of the kernel prints meanwhile (on the debug kernel, a delayed
	# kobject release every few lines), and kunit.py reads a foreign line
	# between a subtest's "KTAP version" and its "# Subtest:" header as
	# the end of the header: the subtest's cases are then numbered as its
	# parent's, and every later case of the suite is an ERROR. KUnit
	# indents what it prints below the top level by four spaces a level;
	# at the top level it prints version, plan, result and "#" lines.
	# Those are kept; a backtrace's lines (indented by one space) and
	# everything else the kernel prints are not. KUnit's own unindented
	# lines (the text of a *_MSG expectation, executor errors) are
	# dropped too: they explain a failure that the case's result line
	# gives anyway, and the failures file takes them from the whole log.
	sed -E -n '/^(\[ *[0-9]+\.[0-9]+\] )?((    )+[^ ]|KTAP version |TAP version |ok |not ok |1\.\.|# )/p' \
		"$klog" >"$out.ktap"

	# kunit.py runs with the system python, which has what it imports.
	ksrc=$(cat "$BUILD/linux/.dtheaps-src")
	rm -f "$out.json"
	/usr/bin/python3 "$ksrc/tools/testing/kunit/kunit.py" parse \
		--json="$out.json" "$out.ktap" >"$out-parse.log" 2>&1 || true
	[ -s "$out.json" ] ||
		die "kunit" "kunit.py parse produced no results" "$out-parse.log"

	/usr/bin/python3 - "$out.json" "$prefix" <<'PY'
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
}

"$TOP/scripts/kernel.sh" "$KERNEL_NAME" >&2
"$TOP/scripts/vm.sh" user >&2

# The parsing first, on a console log written to break it: KTAP with a
# foreign line at every place one can land, a parameterised case, a
# failure with its explanation and a skipped case.
ktap_cases "$TOP/tests/kunit/interleaved.log" "" "$BUILD/kunit-parser" \
	>"$BUILD/kunit-parser.txt"
if diff -u "$TOP/tests/kunit/interleaved.expected" "$BUILD/kunit-parser.txt" \
	>"$LOGDIR/kunit-parser.diff"; then
	echo "PASS: ${PREFIX}kunit-parser/interleaved-console"
else
	echo "FAIL: ${PREFIX}kunit-parser/interleaved-console: see $LOGDIR/kunit-parser.diff"
fi

rm -f "$KLOG" "$FAILURES"
# A VM that stops early (a crash in a suite) still leaves its log, and
# kunit.py reports the cases that did not finish.
KERNEL=$BUILD/out/$KERNEL_NAME/arch/arm64/boot/Image \
	DTS=$KUNIT_DTS BOOTARGS="kunit.enable=1 log_buf_len=4M $KUNIT_BOOTARGS" \
	VM_TIMEOUT=${KUNIT_TIMEOUT:-${VM_TIMEOUT:-900}} \
	"$TOP/scripts/vm.sh" boot kunit "$KLOG" >&2 || true
[ -s "$KLOG" ] || die "kunit" "the VM left no console log" "$KLOG"

ktap_cases "$KLOG" "$PREFIX" "$OUT" >"$OUT.txt"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' \
	"$OUT-parse.log" >&2 || true

# Each failed expectation with the lines that explain it.
grep -E -A4 '(EXPECTATION|ASSERTION) FAILED' "$KLOG" |
	sed -E 's/^\[ *[0-9.]+\] *//' >"$FAILURES" || rm -f "$FAILURES"

# The kernel log's reports, then the cases'.
"$TOP/scripts/vm-results.sh" "$KLOG" | sed -E "s,^(PASS|FAIL): ,&$PREFIX,"
cat "$OUT.txt"
