#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Memory pressure from several processes at once: each allocates large
# buffer sets from every heap, holds them, frees them, again and again,
# for a bounded time, so that the heaps (and their fallbacks) run out
# of memory again and again. Afterwards every heap's usage must be back
# to zero, free memory back to its baseline within a tolerance once the
# pools are drained, and no process may have been OOM-killed or have
# died of anything but a clean allocation failure.
#
# Usage (in the VM): sh pressure.sh /bin/dma-heap [SECONDS] [PROCS]

TOOL=${1:-dma-heap}
SECS=${2:-12}
PROCS=${3:-4}
SYS=/sys/class/dma_heap
TOLERANCE_KB=32768
SUITE=pressure
. "$(dirname "$0")/lib.sh"
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
pooled_kb() {
	t=0
	for f in "$SYS"/*/pool_bytes; do
		[ -r "$f" ] && t=$((t + $(cat "$f") / 1024))
	done
	echo $t
}

# Free memory as the system sees it: what is free plus what the pools
# would give back.
baseline() {
	echo 3 >/proc/sys/vm/drop_caches
	echo $(($(kb MemFree) + $(pooled_kb)))
}

worker() {
	end=$(($(date +%s) + SECS))
	n=0
	crashed=0
	while [ "$(date +%s)" -lt "$end" ]; do
		for heap in $(ls /dev/dma_heap); do
			# 128 x 4M is more than any heap of the VM holds.
			"$TOOL" alloc "$heap" 4M --count 128 --quiet >/dev/null 2>&1
			rc=$?
			[ $rc -le 1 ] || crashed=$((crashed + 1))
			n=$((n + 1))
		done
	done
	echo "$n $crashed" >/tmp/pressure.$1
}

# Only what the kernel logs from here on is this test's.
log_last=$(dmesg | tail -n 1)
new_log() { dmesg | awk -v last="$log_last" 'seen { print } $0 == last { seen = 1 }'; }
start_kb=$(baseline)
i=0
while [ $i -lt "$PROCS" ]; do
	worker $i &
	i=$((i + 1))
done
wait

runs=0
crashed=0
i=0
while [ $i -lt "$PROCS" ]; do
	read -r n c </tmp/pressure.$i
	runs=$((runs + n))
	crashed=$((crashed + c))
	rm -f /tmp/pressure.$i
	i=$((i + 1))
done
echo "# pressure: $PROCS processes, ${SECS}s, $runs allocation runs"

if [ "$crashed" -eq 0 ]; then
	pass "pressure-clean-failures ($runs runs)"
else
	fail "pressure-clean-failures" "$crashed runs died of a signal"
fi

# Deferred frees settle within a moment; usage must then be zero.
sleep 1
busy=
for d in "$SYS"/*; do
	[ "$(cat "$d/used_bytes")" = 0 ] && [ "$(cat "$d/buffers")" = 0 ] ||
		busy="$busy ${d##*/}"
done
if [ -z "$busy" ]; then
	pass "pressure-heaps-empty"
else
	fail "pressure-heaps-empty" "still in use:$busy"
fi

# Freed memory reaches the free lists in steps (per-CPU page lists,
# deferred frees of exiting processes): look again for a few seconds.
tries=0
while :; do
	end_kb=$(baseline)
	lost=$((start_kb - end_kb))
	tries=$((tries + 1))
	[ "$lost" -gt "$TOLERANCE_KB" ] && [ $tries -lt 6 ] || break
	sleep 1
done
echo "# pressure: memory returned: free+pooled ${start_kb} KiB before, ${end_kb} KiB after (${lost} KiB short)"
if [ "$lost" -le "$TOLERANCE_KB" ]; then
	pass "pressure-memory-returned (${lost} KiB short, tolerance ${TOLERANCE_KB})"
else
	fail "pressure-memory-returned" "${lost} KiB short of the baseline"
fi

if [ "$(pooled_kb)" -eq 0 ]; then
	pass "pressure-pools-drained"
else
	fail "pressure-pools-drained" "$(pooled_kb) KiB still pooled after drop_caches"
fi

if new_log | grep -q -i -e 'invoked oom-killer' -e 'Killed process'; then
	fail "pressure-no-oom-kill" "$(new_log | grep -i -m1 -e oom-killer -e 'Killed process')"
else
	pass "pressure-no-oom-kill"
fi

summary
