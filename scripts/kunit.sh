#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of kunit/ with the kernel's own kunit.py, in an
# arm64 QEMU, and print one PASS/FAIL line per test case.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
OUT=$BUILD/out/kunit
JSON=$BUILD/kunit.json
KLOG=$LOGDIR/kunit.log

"$TOP/scripts/kernel.sh" tree >&2
mkdir -p "$BUILD/out"
rm -f "$JSON"
# kunit.py runs with the system python, which has what it imports.
(cd "$BUILD/linux" && /usr/bin/python3 tools/testing/kunit/kunit.py run \
	--arch=arm64 --cross_compile=aarch64-linux-gnu- \
	--kunitconfig="$TOP/kunit/.kunitconfig" --build_dir="$OUT" \
	--jobs="$(nproc)" --make_options "CC=ccache aarch64-linux-gnu-gcc" \
	--timeout "${KUNIT_TIMEOUT:-300}" --json="$JSON") >"$KLOG" 2>&1 || true

[ -s "$JSON" ] || die "kunit" "kunit.py produced no results" "$KLOG"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' "$KLOG" >&2 || true

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
