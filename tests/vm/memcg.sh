#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Memory charged to its owner (dma_heap.mem_accounting): a process in a
# memory cgroup limited to 64 MiB allocates 1 MiB buffers from the system
# heap and holds them.
#
# With accounting on, the allocation fails with ENOMEM before the limit is
# crossed, nothing is OOM-killed, memory.current rises by what is held and
# falls back once the buffers are freed. With accounting off (the default,
# as in mainline) the same run holds all its buffers and memory.current
# does not see them. memory.current before, during and after is printed.
# Then the switch is turned the other way under live buffers, and the
# group still ends where it began.
#
# Usage (in the VM): sh memcg.sh /bin/dma-heap

TOOL=${1:-dma-heap}
SUITE=memcg
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup
GROUP=$CG/dtheaps-memcg
PARAM=/sys/module/dma_heap/parameters/mem_accounting
HEAP=system
LIMIT_MB=64
COUNT=96
MB=1048576
FIFO=/tmp/memcg-hold
OUT=/tmp/memcg-out

setup() {
	mkdir -p "$CG"
	grep -q " $CG cgroup2 " /proc/mounts ||
		mount -t cgroup2 none "$CG" || return 1
	echo +memory >"$CG/cgroup.subtree_control" || return 1
	rmdir "$GROUP" 2>/dev/null
	mkdir "$GROUP" && echo $((LIMIT_MB * MB)) >"$GROUP/memory.max"
}

oom_kills() {
	awk '$1 == "oom_kill" { print $2 }' "$GROUP/memory.events"
}

if [ ! -r "$PARAM" ] || ! setup; then
	fail setup "no cgroup2 memory controller or no $PARAM"
	summary
	exit
fi
acct=$(cat "$PARAM")
echo "# memcg: dma_heap.mem_accounting=$acct, memory.max=${LIMIT_MB}M, $COUNT x 1M from $HEAP"
global_ooms=$(dmesg | grep -c 'invoked oom-killer')

# hold COUNT [FLIP]: a process of the group allocates COUNT x 1M and
# holds them; with FLIP, dma_heap.mem_accounting is switched the other way
# while they are held, and back after. Sets before, during, after (the
# group's memory.current) and held (buffers held; empty if it never held).
hold() {
	rm -f "$FIFO" "$OUT"
	mkfifo "$FIFO"
	before=$(cat "$GROUP/memory.current")
	# The shell joins the group, then becomes the tool: the group holds
	# nothing else. The tool holds its buffers until the FIFO is closed.
	sh -c "echo \$\$ >$GROUP/cgroup.procs && exec $TOOL alloc $HEAP 1M --count $1 --quiet --hold" \
		<"$FIFO" >"$OUT" 2>&1 &
	pid=$!
	exec 3>"$FIFO"
	i=0
	while ! grep -q '^holding' "$OUT" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	during=$(cat "$GROUP/memory.current")
	held=$(sed -n 's/^holding \([0-9]*\) buffer.*/\1/p' "$OUT")
	[ -z "$2" ] || flip
	exec 3>&-
	wait $pid
	after=$(cat "$GROUP/memory.current")
	[ -z "$2" ] || flip
	sed 's/^/# memcg: tool: /' "$OUT"
	echo "# memcg: memory.current before=$before during=$during after=$after (bytes); held=${held:-?} buffers"
}

# Turn the switch the other way; flipped= says whether it took.
flip() {
	if [ "$(cat "$PARAM")" = Y ]; then to=N; else to=Y; fi
	echo $to >"$PARAM"
	[ "$(cat "$PARAM")" = $to ] || flipped=no
}

hold $COUNT
if [ -z "$held" ]; then
	fail hold "the tool never held its buffers"
elif [ "$acct" = Y ]; then
	if [ "$held" -lt $LIMIT_MB ] && grep -q 'Cannot allocate memory' "$OUT"; then
		pass "limit-gives-enomem: $held of $COUNT held, then ENOMEM"
	else
		fail limit-gives-enomem "$held of $COUNT held at a ${LIMIT_MB}M limit"
	fi
	if [ "$during" -ge $(((held - 1) * MB)) ]; then
		pass "charged-while-held: memory.current $during"
	else
		fail charged-while-held "memory.current $during for $held MiB held"
	fi
	# What the exited process leaves charged is kernel objects, not MiBs.
	if [ "$after" -le $((before + 4 * MB)) ]; then
		pass "uncharged-after-free: memory.current $after"
	else
		fail uncharged-after-free "memory.current $after, $before before"
	fi
else
	if [ "$held" -eq $COUNT ]; then
		pass "no-limit-when-off: all $COUNT held"
	else
		fail no-limit-when-off "$held of $COUNT held"
	fi
	if [ "$during" -lt $((16 * MB)) ]; then
		pass "uncharged-when-off: memory.current $during"
	else
		fail uncharged-when-off "memory.current $during with accounting off"
	fi
fi

# Switched at run time under live buffers: each buffer is uncharged by
# what it was charged, so the group ends where it began either way (an
# uncharge of what was never charged would also WARN on the console).
flipped=yes
hold 16 flip
if [ "$flipped" != yes ]; then
	fail "switched-while-held" "$PARAM could not be switched at run time"
elif [ "$held" != 16 ]; then
	fail "switched-while-held" "$held of 16 held"
elif [ "$acct" = Y ] && [ "$during" -lt $((15 * MB)) ]; then
	fail "switched-while-held" "memory.current $during for 16 MiB held"
elif [ "$after" -gt $((before + 4 * MB)) ]; then
	fail "switched-while-held" "memory.current $after, $before before"
else
	pass "switched-while-held: memory.current $before, $during, $after"
fi

# A length no system has, from a group with no limit of its own (the
# charge must not take it a gigabyte at a time, unkillable for minutes):
# ENOMEM, and at once. Whether accounting is on or off, the same answer.
FREE_GROUP=$CG/dtheaps-nolimit
mkdir -p "$FREE_GROUP"
t0=$(date +%s)
sh -c "echo \$\$ >$FREE_GROUP/cgroup.procs && exec $TOOL alloc $HEAP 4294967295G --quiet" \
	>"$OUT" 2>&1
rc=$?
t=$(($(date +%s) - t0))
if [ $rc -ne 0 ] && grep -q 'Cannot allocate memory' "$OUT" && [ $t -le 10 ]; then
	pass "huge-len-enomem-at-once: ${t}s"
else
	fail huge-len-enomem-at-once "exit $rc after ${t}s: $(head -n 1 "$OUT")"
fi
rmdir "$FREE_GROUP" 2>/dev/null

if [ "$(oom_kills)" = 0 ] &&
   [ "$(dmesg | grep -c 'invoked oom-killer')" = "$global_ooms" ]; then
	pass "nothing-oom-killed"
else
	fail nothing-oom-killed "oom_kill=$(oom_kills) in the group; see dmesg"
fi

rm -f "$FIFO" "$OUT"
rmdir "$GROUP" 2>/dev/null
summary
