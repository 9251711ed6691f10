#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fallback in the VM, for every heap that has a fixed region and a
# fallback heap: fill the heap with 1 MiB buffers, hold them, and ask for
# one more. That one must be served by the fallback heap (the exporter
# name in /proc/<pid>/fdinfo says which heap served it), the heap's
# fallback_count must go up by one, and once everything is freed both
# heaps must be back to the bytes they had in use before. Both heaps are
# cached, or both uncached.
#
# Usage (in the VM): sh fallback.sh /bin/dma-heap

TOOL=${1:-dma-heap}
SYS=/sys/class/dma_heap
SUITE=fallback
. "$(dirname "$0")/lib.sh"
attr() { cat "$SYS/$1/$2" 2>/dev/null; }

tested=0
for dir in "$SYS"/*; do
	heap=${dir##*/}
	size=$(attr "$heap" size_bytes)
	fb=$(attr "$heap" fallback)
	[ -n "$fb" ] && [ "${size:-0}" -gt 0 ] || continue
	if [ "$(attr "$heap" used_bytes)" != 0 ]; then
		fail "fallback-$heap" "heap not empty at start"
		continue
	fi
	tested=$((tested + 1))

	# A cached heap falls back to a cached one, uncached to uncached.
	if [ "$(attr "$heap" cached)" = "$(attr "$fb" cached)" ]; then
		pass "fallback-kind-$heap"
	else
		fail "fallback-kind-$heap" "cached=$(attr "$heap" cached), $fb cached=$(attr "$fb" cached)"
	fi

	count=$((size / 1048576 + 1))
	before=$(attr "$heap" fallback_count)
	fb_used=$(attr "$fb" used_bytes)
	out=$("$TOOL" alloc "$heap" 1M --count "$count" 2>&1)
	rc=$?
	last=$(echo "$out" | grep "^buffer $((count - 1)):")
	first=$(echo "$out" | grep "^buffer 0:")

	if [ $rc -ne 0 ]; then
		fail "fallback-$heap" "alloc of $count x 1M failed: $(echo "$out" | tail -n1)"
	elif ! echo "$first" | grep -q "exporter=$heap "; then
		fail "fallback-$heap" "first buffer not from $heap: $first"
	elif ! echo "$last" | grep -q "exporter=$fb "; then
		fail "fallback-$heap" "buffer past the end not from $fb: $last"
	else
		pass "fallback-$heap-to-$fb"
	fi

	after=$(attr "$heap" fallback_count)
	if [ "$after" -eq $((before + 1)) ]; then
		pass "fallback-count-$heap"
	else
		fail "fallback-count-$heap" "fallback_count went from $before to $after"
	fi

	if [ "$(attr "$heap" used_bytes)" = 0 ] &&
		[ "$(attr "$fb" used_bytes)" = "$fb_used" ]; then
		pass "fallback-freed-$heap"
	else
		fail "fallback-freed-$heap" "used_bytes not back to where they were"
	fi
done

if [ $tested -eq 0 ]; then
	echo "# no heap with a region and a fallback in this device tree"
fi
summary
