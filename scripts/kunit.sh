#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of kunit/ and print one PASS/FAIL line per test
# case.
#
# The suites are built into the VM kernel (scripts/kernel.sh vm: its
# configuration includes kunit/.kunitconfig), so the kernel that the vm
# stages boot is the one tested here, and an edit rebuilds only what it
# touches. The project's VM boots it with kunit.enable=1: the suites run
# during boot, before init, and the kernel's own kunit.py parses their
# KTAP output from the console log (build/logs/kunit.log), as it does
# for the kernels it builds itself.
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
# mainline's heaps only (system, and linux,cma over a 64 MiB default
# area).
KUNIT_DTS=${KUNIT_DTS:-$TOP/dts/vm-no-heaps.dtso}
KUNIT_BOOTARGS=${KUNIT_BOOTARGS:-}

JSON=$BUILD/kunit.json
KLOG=$LOGDIR/kunit.log

"$TOP/scripts/kernel.sh" vm >&2
"$TOP/scripts/vm.sh" user >&2
rm -f "$JSON" "$KLOG"
# A VM that stops early (a crash in a suite) still leaves its log, and
# kunit.py reports the cases that did not finish.
DTS=$KUNIT_DTS BOOTARGS="kunit.enable=1 $KUNIT_BOOTARGS" \
	VM_TIMEOUT=${KUNIT_TIMEOUT:-${VM_TIMEOUT:-600}} \
	"$TOP/scripts/vm.sh" boot kunit "$KLOG" >&2 || true
[ -s "$KLOG" ] || die "kunit" "the VM left no console log" "$KLOG"

# kunit.py runs with the system python, which has what it imports.
KSRC=$(cat "$BUILD/linux/.dtheaps-src")
/usr/bin/python3 "$KSRC/tools/testing/kunit/kunit.py" parse \
	--json="$JSON" "$KLOG" >"$LOGDIR/kunit-parse.log" 2>&1 || true
[ -s "$JSON" ] || die "kunit" "kunit.py parse produced no results" \
	"$LOGDIR/kunit-parse.log"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' \
	"$LOGDIR/kunit-parse.log" >&2 || true

/usr/bin/python3 - "$JSON" <<'PY'
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
walk(data, "")
if not data.get("sub_groups"):
    print("FAIL: kunit: no test suite ran")
PY
