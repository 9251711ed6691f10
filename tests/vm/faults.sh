#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocations under kernel fault injection, in the VM: "dma-heap-fuzz
# faults" fails a share of its own thread's slab and page allocations
# (failslab and fail_page_alloc in debugfs) while it allocates from every
# heap, and checks that each call gives a zeroed buffer or ENOMEM, and
# that nothing is left behind. It needs the debug kernel; on a kernel
# without fault injection it says so, and this script passes with no
# check run.
#
# The program prints one PASS:/FAIL: line per check itself. This script
# counts them, adds a FAIL for a run that crashed, printed no summary or
# whose exit status disagrees with its lines, and one for kernel errors
# logged meanwhile. Reports of failed allocations ("page allocation
# failure", "SLUB: Unable to allocate", "vmalloc_node_range for size")
# are what the kernel says when an allocation fails, injected or not:
# they are counted, not failed.
#
# Usage (in the VM): sh /tests/vm/faults.sh /bin/dma-heap-fuzz
# FAULTS_ARGS is passed on (e.g. "--calls 500 --percent 20 --seed 1").

PROG=${1:-dma-heap-fuzz}
OUT=/tmp/faults.$$
SUITE=faults
. "$(dirname "$0")/lib.sh"

finish()
{
	rm -f "$OUT"
	summary
	exit
}

if [ ! -x "$PROG" ] && ! command -v "$PROG" >/dev/null 2>&1; then
	fail faults "no program $PROG"
	finish
fi

# Only what the kernel logs from here on is ours to answer for. The
# last line marks the start: counting lines would miss new ones once the
# ring buffer is full and drops old ones.
log_last=$(dmesg | tail -n 1)

# No faults inside the vmalloc core's own bookkeeping: when both its
# preload and its GFP_NOWAIT allocation of an area record fail, 6.12
# WARNs in va_clip() by design (the carveout heap maps each new buffer
# to zero it). Everything else the heap path allocates stays a target.
# Needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER.
D=/sys/kernel/debug
vstart=$(awk '$3 == "alloc_vmap_area" { print $1; exit }' /proc/kallsyms)
vend=$(sort /proc/kallsyms |
	awk -v s="$vstart" '$1 != s && found { print $1; exit } $1 == s { found = 1 }')
reject() {
	for f in fail_page_alloc failslab; do
		[ -w "$D/$f/reject-start" ] || continue
		echo "$1" >"$D/$f/reject-start"
		echo "$2" >"$D/$f/reject-end"
	done
}
if [ -n "$vstart" ] && [ -n "$vend" ]; then
	reject "0x$vstart" "0x$vend"
fi

t0=$(date +%s)
# shellcheck disable=SC2086 # FAULTS_ARGS is a list of arguments
"$PROG" faults $FAULTS_ARGS >"$OUT" 2>&1
rc=$?
reject 0 0
cat "$OUT"
echo "# faults: exit status $rc after $(($(date +%s) - t0))s"

p=$(grep -c '^PASS: ' "$OUT")
f=$(grep -c '^FAIL: ' "$OUT")
npass=$((npass + p))
nfail=$((nfail + f))

if [ $rc -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] &&
   grep -q '^# faults: no fault injection in this kernel' "$OUT"; then
	finish
fi

# Status 1 is a failed check; anything else is a crash or a signal.
if [ $rc -gt 1 ]; then
	fail faults "exit status $rc: the program itself failed"
elif ! grep -q '^faults: calls=' "$OUT"; then
	fail faults "no summary line"
elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
	fail faults "exit status $rc without a FAIL line"
elif [ $rc -eq 0 ] && [ "$f" -ne 0 ]; then
	fail faults "exit status 0 despite $f FAIL lines"
fi

# Everything after the mark; everything if the mark has gone.
log=$(dmesg | awk -v last="$log_last" '
	seen { print; next }
	last != "" && $0 == last { seen = 1; next }
	{ all[n++] = $0 }
	END { if (!seen) for (i = 0; i < n; i++) print all[i] }')
n=$(echo "$log" |
	grep -cE 'page allocation failure|SLUB: Unable to allocate|vmalloc_node_range for size')
echo "# faults: $n allocation failure reports in the kernel log"
bad=$(echo "$log" | grep -E 'Oops|BUG:|WARNING:|Unable to handle|kernel BUG')
if [ -n "$bad" ]; then
	fail faults-kernel-log "$(echo "$bad" | head -n 1)"
else
	pass faults-kernel-log
fi

finish
