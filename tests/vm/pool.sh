#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The system heap's page pool in the VM:
#  - one process fills buffers with a pattern and frees them; another
#    allocates the same memory back from the pool and must see only
#    zeros (the tool checks every byte of every buffer it gets);
#  - under memory pressure the pool gives its memory back (its size in
#    sysfs drops) and nothing is OOM-killed.
#
# Usage (in the VM): sh pool.sh /bin/dma-heap

TOOL=${1:-dma-heap}
HEAP=system
S=/sys/class/dma_heap/$HEAP
SUITE=pool
. "$(dirname "$0")/lib.sh"
finish() {
	summary
	exit
}

# Wait until the last process's buffers are released (a process that
# exits leaves its last fput to a worker) and zeroed (bounded).
settle() {
	i=0
	while { [ "$(cat $S/buffers)" != 0 ] ||
		[ "$(cat $S/zeroing_bytes)" != 0 ]; } && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 * 1024 }' /proc/meminfo; }

if [ ! -r $S/pool_bytes ]; then
	echo "# $HEAP has no pool in this device tree"
	finish
fi

# 1. Recycled memory reaches the next process zeroed.
"$TOOL" alloc $HEAP 1M --count 16 --quiet >/dev/null
settle
hits=$(cat $S/pool_hits)
if "$TOOL" alloc $HEAP 1M --count 16 --quiet >/tmp/pool.out 2>&1; then
	got=$(($(cat $S/pool_hits) - hits))
	if [ $got -ge 16 ]; then
		pass "recycled-pages-are-zeroed"
	else
		fail "recycled-pages-are-zeroed" "only $got pool hits: not recycled"
	fi
else
	fail "recycled-pages-are-zeroed" "$(tail -n1 /tmp/pool.out)"
fi

# The same with no time for the background worker: the allocation
# zeroes dirty blocks itself.
"$TOOL" alloc $HEAP 8M --count 2 --quiet >/dev/null &&
	"$TOOL" alloc $HEAP 8M --count 2 --quiet >/tmp/pool.out 2>&1
if [ $? -eq 0 ]; then
	pass "dirty-pages-zeroed-on-allocation"
else
	fail "dirty-pages-zeroed-on-allocation" "$(tail -n1 /tmp/pool.out)"
fi

# 2. Memory pressure shrinks the pool, without an OOM kill.
log_last=$(dmesg | tail -n 1)
"$TOOL" alloc $HEAP 1M --count 32 --quiet >/dev/null
settle
before=$(cat $S/pool_bytes)
free=$(meminfo MemFree)
# Fill tmpfs (whose pages cannot be reclaimed) to 8 MiB short of free
# memory, then a MiB at a time until the pool gives memory back: the
# pool is the only sizeable thing left to reclaim, so that is soon
# below the kernel's watermarks. At most free memory plus the pool and
# 64 MiB of slack (reclaim may first find a few MiB elsewhere, and the
# shrinker is asked in proportion to what it holds): by then a pool that
# does not shrink has made the system run out.
mkdir -p /mnt/fill
mount -t tmpfs -o size=100% tmpfs /mnt/fill
mib=$(( (free - 8388608) / 1048576 ))
dd if=/dev/zero of=/mnt/fill/hog bs=1M count=$mib 2>/dev/null
limit=$((mib + 8 + 64 + before / 1048576))
while [ "$(cat $S/pool_bytes)" -ge "$before" ] && [ $mib -lt $limit ]; do
	dd if=/dev/zero of=/mnt/fill/hog bs=1M count=1 seek=$mib \
		conv=notrunc 2>/dev/null
	mib=$((mib + 1))
done
after=$(cat $S/pool_bytes)
rm -f /mnt/fill/hog
umount /mnt/fill

if [ "$after" -lt "$before" ]; then
	pass "pool-shrinks-under-pressure ($before -> $after bytes)"
else
	fail "pool-shrinks-under-pressure" "pool stayed at $after bytes"
fi
new_log() { dmesg | awk -v last="$log_last" 'seen { print } $0 == last { seen = 1 }'; }
if new_log | grep -q -i -e 'invoked oom-killer' -e 'Killed process'; then
	fail "no-oom-kill" "$(new_log | grep -i -m1 -e oom -e 'Killed process')"
else
	pass "no-oom-kill"
fi
finish
