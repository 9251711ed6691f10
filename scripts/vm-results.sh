#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-results.sh LOG: turn a VM console log into PASS/FAIL lines.
#
# Suites are framed by "DTHEAPS-BEGIN name" and "DTHEAPS-RESULT name rc".
# Inside, TAP lines ("ok N desc", "not ok N desc") and the project's
# "PASS: x" / "FAIL: x: why" lines are both understood. A suite that
# exits non-zero without reporting a failure is a failure of its own,
# and so is any kernel oops, BUG or WARNING on the console.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

logf=${1:?log}
awk '
/^DTHEAPS-BEGIN / { suite = $2; nfail = 0; next }
/^DTHEAPS-RESULT / {
	if ($3 != 0 && nfail == 0)
		printf "FAIL: %s: exited %s\n", $2, $3
	suite = ""; next
}
suite == "" { next }
/^ok [0-9]+ / {
	sub(/^ok [0-9]+ /, ""); gsub(/ +$/, "")
	printf "PASS: %s/%s\n", suite, $0; next
}
/^not ok [0-9]+ / {
	sub(/^not ok [0-9]+ /, ""); nfail++
	printf "FAIL: %s/%s: not ok\n", suite, $0; next
}
/^PASS: / { sub(/^PASS: /, ""); printf "PASS: %s/%s\n", suite, $0; next }
/^FAIL: / { sub(/^FAIL: /, ""); nfail++; printf "FAIL: %s/%s\n", suite, $0; next }
' "$logf"

# Kernel reports anywhere in the log fail the run, printed with their
# backtrace.
if grep -qE "$KERNEL_REPORT" "$logf"; then
	echo "FAIL: kernel-log: kernel reported a problem:" \
		"$(grep -m1 -E "$KERNEL_REPORT" "$logf")"
	grep -E -A30 "$KERNEL_REPORT" "$logf" | head -80 >&2
else
	echo "PASS: kernel-log: no oops, BUG, WARNING or leak report"
fi

# A console that fell behind the kernel's log buffer loses lines, and
# with them results: say so, rather than let a parser guess.
if grep -qE 'printk messages dropped' "$logf"; then
	echo "FAIL: kernel-log: console lost lines:" \
		"$(grep -m1 -E 'printk messages dropped' "$logf")"
else
	echo "PASS: kernel-log: console complete"
fi
