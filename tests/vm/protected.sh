#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# protected.sh TOOL: every protected heap (sysfs protected_by set) hands
# out buffers that the CPU cannot map: the dma-heap tool allocates from
# it, checks that mmap() fails with EPERM and that DMA_BUF_IOCTL_SYNC
# succeeds doing nothing, and imports each buffer into vgem: a device
# maps what the CPU cannot. A protected heap is uncached, and keeps no
# pool.

TOOL=$1
SUITE=protected
. "$(dirname "$0")/lib.sh"

n=0
for sys in /sys/class/dma_heap/*; do
	h=${sys##*/}
	prot=$(cat "$sys/protected_by" 2>/dev/null)
	[ -n "$prot" ] || continue
	n=$((n + 1))
	if "$TOOL" alloc "$h" 1M --count 4 --quiet --import \
		>/tmp/protected.out 2>&1 &&
		grep -q 'imported=vgem result=ok$' /tmp/protected.out; then
		pass "$h-cpu-cannot-map-device-can ($prot)"
	else
		fail "$h-cpu-cannot-map-device-can" "$(tr '\n' '|' </tmp/protected.out)"
	fi
	if [ "$(cat "$sys/cached")" = 0 ]; then
		pass "$h-uncached"
	else
		fail "$h-uncached" "cached=$(cat "$sys/cached")"
	fi
	if [ ! -e "$sys/pool_bytes" ]; then
		pass "$h-no-pool"
	else
		fail "$h-no-pool" "pool_bytes=$(cat "$sys/pool_bytes")"
	fi
done
[ $n -gt 0 ] || echo "# protected: no protected heap in this tree"
summary
