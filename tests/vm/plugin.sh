#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A heap type from a module loaded after boot: the SRAM heap
# (sram_heap.ko), whose heap "sram" dts/vm.dtso declares. The heap must
# be absent until the module loads, appear with its sysfs attributes when
# it does, serve buffers (the dma-heap tool, and mainline's kselftest,
# which runs over every heap, this one included), keep the module loaded
# while a buffer lives (rmmod refused), let it go once the buffer is
# freed (the heap disappears), and come back when the module is loaded
# again. The SRAM is memory the kernel has no struct pages for: the
# buffers are imported into vgem by address, mapped and read back. The
# SRAM driver is then unbound under a live buffer: the heap goes, the
# buffer stays usable until freed, nothing warns, and the heap is back
# once the driver is bound again and the buffer freed. The module is
# unloaded at the end, so later suites see the heaps they saw before.
# Without a heap "sram" in the device tree (the defaults VM) there is
# nothing to test.
#
# Usage (in the VM): sh plugin.sh /bin/dma-heap [/bin/dmabuf-heap]

TOOL=${1:-dma-heap}
KSELFTEST=${2:-/bin/dmabuf-heap}
MOD=sram_heap
HEAP=sram
KO=/lib/modules/$MOD.ko
DEV=/dev/dma_heap/$HEAP
SYS=/sys/class/dma_heap/$HEAP
FIFO=/tmp/plugin-hold
SRAM_DRV=/sys/bus/platform/drivers/sram
SRAM_ADDR=80000000
SUITE=plugin
. "$(dirname "$0")/lib.sh"
loaded() { grep -q "^$MOD " /proc/modules; }
refcnt() { cat "/sys/module/$MOD/refcnt" 2>/dev/null; }

# hold_buffer SIZE: a buffer of the heap, held by a dma-heap process in
# the background ($holder) until release_buffer; false if it got none.
hold_buffer() {
	rm -f "$FIFO"
	mkfifo "$FIFO"
	"$TOOL" alloc "$HEAP" "$1" --hold <"$FIFO" >/tmp/plugin-hold.out 2>&1 &
	holder=$!
	exec 3>"$FIFO"
	wait_for 'grep -q "^holding" /tmp/plugin-hold.out'
}

# release_buffer CHECK: let the holder go; CHECK passes if it exited 0.
release_buffer() {
	exec 3>&-
	if wait "$holder"; then
		pass "$1"
	else
		fail "$1" "dma-heap exited $?: $(tail -n1 /tmp/plugin-hold.out)"
	fi
	rm -f "$FIFO" /tmp/plugin-hold.out
}

# The SRAM's device, as the platform bus names it.
sram_dev() {
	for d in "$SRAM_DRV/$SRAM_ADDR".*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
}

# The kernel's lines since the dmesg line count $1 that contain $2.
said_since() { dmesg | tail -n +"$(($1 + 1))" | grep "$2"; }

# The SRAM driver is unbound under a live buffer, and bound again before
# it is freed: the heap goes at once, and comes back only once the
# buffer is freed, so that the new heap never hands out what it holds.
unbind_with_live_buffer() {
	dev=$(sram_dev)
	if [ -z "$dev" ]; then
		fail "sram-bound" "no $SRAM_ADDR.* in $SRAM_DRV"
		return
	fi
	if ! hold_buffer 1M; then
		fail "unbind-buffer-held" "$(cat /tmp/plugin-hold.out)"
		release_buffer "unbind-holder-exits"
		return
	fi
	lines=$(dmesg | wc -l)
	echo "$dev" >"$SRAM_DRV/unbind"
	# shellcheck disable=SC2016 # evaluated by wait_for
	if wait_for '[ ! -e "$DEV" ]' && [ -z "$(sram_dev)" ]; then
		pass "unbind-removes-heap: $dev unbound, $DEV gone"
	else
		fail "unbind-removes-heap" "$DEV: $(ls -l "$DEV" 2>&1)"
	fi
	said=$(said_since "$lines" "is going away")
	if echo "$said" | grep -q "live buffers (1048576 bytes) keep their SRAM"; then
		pass "unbind-logged: ${said#*] }"
	else
		fail "unbind-logged" "no line naming the live buffer: '$said'"
	fi

	echo "$dev" >"$SRAM_DRV/bind"
	sleep 0.5
	said=$(said_since "$lines" "is back")
	if [ -n "$(sram_dev)" ] && [ ! -e "$DEV" ] &&
		echo "$said" | grep -q "returns once"; then
		pass "rebind-waits-for-live-buffer: ${said#*] }"
	else
		fail "rebind-waits-for-live-buffer" "$DEV: $(ls -l "$DEV" 2>&1); '$said'"
	fi

	release_buffer "buffer-freed-after-unbind"
	# shellcheck disable=SC2016 # evaluated by wait_for
	if wait_for '[ -c "$DEV" ]' &&
		out=$("$TOOL" alloc "$HEAP" 1M --count 2 --quiet 2>&1); then
		pass "heap-back-after-free"
	else
		fail "heap-back-after-free" "$DEV: $(ls -l "$DEV" 2>&1) $out"
	fi
	trouble=$(said_since "$lines" "" | grep -E "WARNING|BUG|Oops|Unable to handle|heap disabled")
	if [ -z "$trouble" ]; then
		pass "unbind-rebind-clean-log"
	else
		fail "unbind-rebind-clean-log" "$trouble"
	fi
}

# wait_for COND: up to 5 s for the shell condition COND to hold.
wait_for() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -le 50 ] || return 1
		sleep 0.1
	done
}

finish() {
	loaded && rmmod "$MOD" 2>/dev/null
	summary
	exit
}

# Other overlays (vm-no-heaps.dtso) declare no such heap: nothing to test.
if [ ! -d "/proc/device-tree/dma-heaps/$HEAP" ]; then
	echo "# plugin: the device tree declares no heap '$HEAP'; skipped"
	exit 0
fi

if [ ! -f "$KO" ]; then
	fail "module-present" "$KO not in the initramfs"
	finish
fi

# 1. Declared in the device tree, but no type serves it yet.
if loaded; then
	fail "absent-before-load" "$MOD is loaded already"
elif [ -e "$DEV" ] || [ -e "$SYS" ]; then
	fail "absent-before-load" "$DEV exists before $MOD is loaded"
else
	pass "absent-before-load"
fi

# 2. Loading the type creates the declared heap.
if ! out=$(insmod "$KO" 2>&1); then
	fail "insmod" "$out"
	finish
fi
pass "insmod"
if [ -c "$DEV" ] && [ "$(cat "$SYS/type" 2>/dev/null)" = sram ]; then
	pass "heap-appears: $DEV, type $(cat "$SYS/type"), size_bytes $(cat "$SYS/size_bytes")"
else
	fail "heap-appears" "$DEV: $(ls -l "$DEV" 2>&1), type '$(cat "$SYS/type" 2>&1)'"
fi
if [ "$(cat "$SYS/size_bytes" 2>/dev/null)" = $((48 << 20)) ]; then
	pass "size-bytes"
else
	fail "size-bytes" "expected $((48 << 20)), got '$(cat "$SYS/size_bytes" 2>&1)'"
fi

# The SRAM is outside the RAM the kernel knows, so it has no struct pages.
ram=$(grep "System RAM" /proc/iomem | tr '\n' ' ')
if grep -q "^$SRAM_ADDR-.*sram" /proc/iomem &&
	! grep "System RAM" /proc/iomem | grep -q "^ *$SRAM_ADDR-"; then
	pass "sram-outside-system-ram: $ram"
else
	fail "sram-outside-system-ram" "$(grep -i -e sram -e "System RAM" /proc/iomem | tr '\n' ' ')"
fi

# 3. Allocations: zeroed, served by this heap, written and read back, and
# mapped for a device (vgem) by address.
if out=$("$TOOL" alloc "$HEAP" 1M --count 4 --import 2>&1) &&
	[ "$(echo "$out" | grep -c "exporter=$HEAP check=ok")" -eq 4 ]; then
	pass "alloc-1M-x4"
else
	fail "alloc-1M-x4" "$(echo "$out" | tail -n2 | tr '\n' ' ')"
fi
if out=$("$TOOL" alloc "$HEAP" 4K --count 64 --quiet 2>&1); then
	pass "alloc-4K-x64"
else
	fail "alloc-4K-x64" "$(echo "$out" | tail -n1)"
fi
# More than the SRAM holds, no fallback: ENOMEM, nothing left behind.
out=$("$TOOL" alloc "$HEAP" 64M 2>&1)
if [ $? -eq 1 ] && echo "$out" | grep -q "Cannot allocate memory"; then
	pass "alloc-too-large-enomem"
else
	fail "alloc-too-large-enomem" "$(echo "$out" | tail -n1)"
fi
if [ "$(cat "$SYS/used_bytes")" = 0 ] && [ "$(cat "$SYS/buffers")" = 0 ]; then
	pass "all-freed"
else
	fail "all-freed" "used_bytes $(cat "$SYS/used_bytes"), buffers $(cat "$SYS/buffers")"
fi

# 4. Mainline's kselftest has no heap option: it runs over every heap the
# CPU may map (kselftest.sh), now including this one (its TAP lines are
# this suite's).
if [ -x "$KSELFTEST" ]; then
	if sh "$(dirname "$0")/kselftest.sh" "$KSELFTEST"; then
		pass "kselftest-with-$HEAP"
	else
		fail "kselftest-with-$HEAP" "exited $?"
	fi
fi

# 5. A live buffer keeps the module: rmmod is refused.
if hold_buffer 64K; then
	pass "buffer-held: refcnt $(refcnt), buffers $(cat "$SYS/buffers")"
	out=$(rmmod "$MOD" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && loaded && [ -c "$DEV" ]; then
		pass "rmmod-refused-while-buffer-lives: $out"
	else
		fail "rmmod-refused-while-buffer-lives" "rmmod exited $rc ($out)"
	fi
else
	fail "buffer-held" "$(cat /tmp/plugin-hold.out)"
fi
release_buffer "held-buffer-checked"

# 6. Once the buffer is freed the module unloads and takes its heap.
if ! loaded; then
	fail "rmmod-after-free" "$MOD was unloaded while its buffer lived"
	finish
fi
# The last reference may go with the holder's exit, a moment later.
# shellcheck disable=SC2016 # evaluated by wait_for
wait_for '[ "$(refcnt)" = 0 ]'
if out=$(rmmod "$MOD" 2>&1) && ! loaded; then
	pass "rmmod-after-free"
else
	fail "rmmod-after-free" "$out (refcnt $(refcnt))"
fi
if [ ! -e "$DEV" ] && [ ! -e "$SYS" ]; then
	pass "heap-gone-after-rmmod"
else
	fail "heap-gone-after-rmmod" "$DEV or $SYS still there"
fi

# 7. Loading it again brings the heap back, working.
if out=$(insmod "$KO" 2>&1) && [ -c "$DEV" ]; then
	pass "reinsmod-heap-back"
else
	fail "reinsmod-heap-back" "$out; $(ls /dev/dma_heap | tr '\n' ' ')"
fi
if out=$("$TOOL" alloc "$HEAP" 1M --count 2 --quiet 2>&1); then
	pass "alloc-after-reinsmod"
else
	fail "alloc-after-reinsmod" "$(echo "$out" | tail -n1)"
fi

# 8. The SRAM driver is unbound under a live buffer and bound again: the
# heap goes at once and comes back once the buffer is freed.
unbind_with_live_buffer
if out=$(rmmod "$MOD" 2>&1) && [ ! -e "$DEV" ]; then
	pass "rmmod-again"
else
	fail "rmmod-again" "$out"
fi

finish
