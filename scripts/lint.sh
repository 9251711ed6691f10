#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own quality gates over the project's kernel files, one
# PASS/FAIL line each:
#
#   checkpatch/FILE   scripts/checkpatch.pl --strict: no error, warning
#                     or check
#   kernel-doc/FILE   scripts/kernel-doc -none -Wall: no warning
#   sparse-w1         drivers/dma-buf/ built with W=1 and sparse (C=2),
#                     every project option on: no warning in a project
#                     file
#
# The tools are the pristine tree's (KSRC), as a reviewer would run them.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

"$TOP/scripts/kernel.sh" tree >&2 || exit 1
KSRC=$(cat "$BUILD/linux/.dtheaps-src")

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

# Kernel sources of the project: what goes into the tree.
kernel_files() {
	(cd "$TOP" && find kernel include/uapi kunit -type f \
		\( -name '*.[ch]' -o -name Kconfig -o -name Makefile \) | sort)
}

check_checkpatch() {
	local f out
	for f in $(kernel_files); do
		out=$(cd "$TOP" && perl "$KSRC/scripts/checkpatch.pl" --strict \
			--no-tree --terse --show-types -f "$f" 2>&1)
		if echo "$out" | grep -qE '^[^:]+:[0-9]+: (ERROR|WARNING|CHECK):'; then
			fail "checkpatch/$f" "$(echo "$out" | grep -m1 -E '(ERROR|WARNING|CHECK):')"
			echo "$out" >&2
		else
			pass "checkpatch/$f"
		fi
	done
}

check_kernel_doc() {
	local f out
	for f in $(kernel_files | grep -E '\.[ch]$'); do
		out=$(cd "$TOP" && perl "$KSRC/scripts/kernel-doc" -none -Wall "$f" 2>&1)
		if [ -n "$out" ]; then
			fail "kernel-doc/$f" "$(echo "$out" | head -n1)"
			echo "$out" >&2
		else
			pass "kernel-doc/$f"
		fi
	done
}

# Warnings are kept only for the project's files: W=1 also flags a few
# lines in the tree's own headers that the project does not touch.
check_sparse_w1() {
	local logf=$LOGDIR/kernel-lint.log ours

	if ! "$TOP/scripts/kernel.sh" lint >"$logf" 2>&1; then
		fail "sparse-w1" "build failed (see $logf)"
		return
	fi
	ours=$(grep -E '(warning|error):' "$logf" |
		grep -E 'drivers/dma-buf/(dma-heap\.c|heaps/)|include/(uapi/)?linux/dma-heap\.h')
	if [ -n "$ours" ]; then
		fail "sparse-w1" "$(echo "$ours" | head -n1) (see $logf)"
		echo "$ours" >&2
	else
		pass "sparse-w1"
	fi
}

check_checkpatch
check_kernel_doc
check_sparse_w1
