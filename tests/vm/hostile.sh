#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hostile userspace against every heap, in the VM. dma-heap-fuzz first
# throws random and malformed DMA_HEAP_IOCTL_ALLOC calls at the heaps
# while another thread closes descriptors under them, and checks every
# answer against the ABI contract and that nothing leaked (descriptors,
# heap bytes, memory); then it tries to reach memory past a buffer
# through mmap, mremap, munmap and fork.
#
# The program prints one PASS:/FAIL: line per check itself. This script
# counts them, adds a FAIL for a run that crashed or whose exit status
# disagrees with its lines, and one for kernel warnings logged meanwhile.
#
# Usage (in the VM): sh /tests/vm/hostile.sh /bin/dma-heap-fuzz
# HOSTILE_CALLS overrides the number of fuzz calls (default 100000).

PROG=${1:-dma-heap-fuzz}
CALLS=${HOSTILE_CALLS:-100000}
OUT=/tmp/hostile.$$
SUITE=hostile
. "$(dirname "$0")/lib.sh"

# run NAME SUMMARY ARGS...: run the program with ARGS, show its output,
# and count its PASS/FAIL lines. SUMMARY is a pattern of the line it
# prints last; without it the run did not get to the end.
run()
{
	name=$1
	summary=$2
	shift 2

	t0=$(date +%s)
	"$PROG" "$@" >"$OUT" 2>&1
	rc=$?
	cat "$OUT"
	echo "# $name: exit status $rc after $(($(date +%s) - t0))s"

	p=$(grep -c '^PASS: ' "$OUT")
	f=$(grep -c '^FAIL: ' "$OUT")
	npass=$((npass + p))
	nfail=$((nfail + f))

	# Status 1 is a failed check; anything else is a crash or a signal.
	if [ $rc -gt 1 ]; then
		fail "$name" "exit status $rc: the program itself failed"
	elif ! grep -q "$summary" "$OUT"; then
		fail "$name" "no summary line"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$name" "exit status $rc without a FAIL line"
	elif [ $rc -eq 0 ] && [ "$f" -ne 0 ]; then
		fail "$name" "exit status 0 despite $f FAIL lines"
	fi
	rm -f "$OUT"
}

if [ ! -x "$PROG" ] && ! command -v "$PROG" >/dev/null 2>&1; then
	fail hostile "no program $PROG"
	summary
	exit 1
fi

# Only what the kernel logs from here on is ours to answer for.
log_start=$(dmesg | wc -l)

run fuzz '^fuzz: calls=' fuzz --calls "$CALLS"
run mmap '^# mmap: ' mmap

bad=$(dmesg | tail -n +$((log_start + 1)) |
	grep -E 'Oops|BUG:|WARNING:|Call trace:|Unable to handle')
if [ -n "$bad" ]; then
	fail hostile-kernel-log "$(echo "$bad" | head -n 1)"
else
	pass hostile-kernel-log
fi

summary
