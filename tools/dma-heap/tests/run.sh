#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the dma-heap tool against the running kernel's heaps.  Runs in
# the VM's busybox initramfs, so this is plain POSIX sh:
#
#	sh /tests/dma-heap/run.sh /bin/dma-heap
#
# Every test prints one line, "PASS: <name>" or "FAIL: <name>: <why>", and
# the exit status is non-zero if any test failed.  The tool itself checks
# that every buffer it gets is zero-filled and holds what it writes; these
# tests check that it succeeds (or fails) when it should.
#
# DMA_HEAP_DEV and DMA_HEAP_SYSFS (read by the tool as well) replace
# /dev/dma_heap and /sys/class/dma_heap, to try the script on fakes.

TOOL=${1:-dma-heap}
DEV=${DMA_HEAP_DEV:-/dev/dma_heap}
SYS=${DMA_HEAP_SYSFS:-/sys/class/dma_heap}

npass=0
nfail=0

pass()
{
	echo "PASS: $1"
	npass=$((npass + 1))
}

fail()
{
	echo "FAIL: $1: $2"
	nfail=$((nfail + 1))
}

finish()
{
	echo "# dma-heap: $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ] && exit 0
	exit 1
}

TMP=${TMPDIR:-/tmp}/dma-heap-test.$$
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
if ! mkdir -p "$TMP"; then
	fail setup "cannot create $TMP"
	finish
fi

# run ARGS...: run the tool; sets $rc, output in $TMP/out and $TMP/err.
run()
{
	"$TOOL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# First line of the last run's stderr, to explain a failure.
first_err()
{
	_line=
	read -r _line <"$TMP/err"
	echo "${_line:-no message}"
}

# attr HEAP NAME: contents of a sysfs attribute; empty if it is absent.
attr()
{
	_val=
	[ -r "$SYS/$1/$2" ] && read -r _val <"$SYS/$1/$2"
	echo "$_val"
}

is_number()
{
	case "$1" in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}

# chain HEAP: the heap and the heaps it may fall back to, in order.
chain()
{
	_chain=$1
	_heap=$1
	_hops=0
	while [ "$_hops" -lt 8 ]; do
		_heap=$(attr "$_heap" fallback)
		[ -n "$_heap" ] || break
		_chain="$_chain $_heap"
		_hops=$((_hops + 1))
	done
	echo "$_chain"
}

# must_fail NAME WANT: the last run failed cleanly with exit status WANT.
must_fail()
{
	if [ "$rc" -ge 128 ]; then
		fail "$1" "crashed (exit $rc)"
	elif [ "$rc" -ne "$2" ]; then
		fail "$1" "exit $rc, expected $2"
	elif [ ! -s "$TMP/err" ]; then
		fail "$1" "no message on stderr"
	else
		pass "$1"
	fi
}

# alloc_ok NAME HEAP COUNT: the last run allocated and checked COUNT
# buffers, all served by HEAP or one of its fallbacks.
alloc_ok()
{
	if [ "$rc" -ne 0 ]; then
		fail "$1" "exit $rc: $(first_err)"
		return
	fi
	if ! grep -q ' result=ok$' "$TMP/out"; then
		fail "$1" "no 'result=ok' summary"
		return
	fi
	_n=$(grep -c '^buffer [0-9]*: .* check=ok$' "$TMP/out")
	if [ "$_n" != "$3" ]; then
		fail "$1" "$_n of $3 buffers reported ok"
		return
	fi
	# Without /proc the tool cannot tell who exported a buffer.
	if [ -d /proc/self/fdinfo ]; then
		_ok=" $(chain "$2") "
		sed -n 's/^buffer .* exporter=\([^ ]*\) .*/\1/p' "$TMP/out" \
			>"$TMP/exp"
		while read -r _exp; do
			case "$_ok" in
			*" $_exp "*) ;;
			*)
				fail "$1" "buffer exported by '$_exp', not by any of:${_ok% }"
				return
				;;
			esac
		done <"$TMP/exp"
	fi
	pass "$1"
}

# alloc_fails NAME: the last run failed to allocate, and said so.
alloc_fails()
{
	if [ "$rc" -ge 128 ]; then
		fail "$1" "crashed (exit $rc)"
	elif [ "$rc" -ne 1 ]; then
		fail "$1" "exit $rc, expected 1: the heap is too small"
	elif ! grep -q '^dma-heap: buffer [0-9]*: .*failed' "$TMP/err"; then
		fail "$1" "no message naming the failed buffer: $(first_err)"
	else
		pass "$1"
	fi
}

# too_big HEAP BYTES: true if HEAP can never hold BYTES: it has a fixed
# region smaller than that and nothing to fall back to.
too_big()
{
	_size=$(attr "$1" size_bytes)
	is_number "$_size" && [ "$_size" -gt 0 ] && [ "$_size" -lt "$2" ] &&
		[ -z "$(attr "$1" fallback)" ]
}

# try_alloc NAME HEAP SIZE BYTES COUNT: allocate and check the outcome.
try_alloc()
{
	run alloc "$2" "$3" --count "$5"
	if too_big "$2" $(($4 * $5)); then
		alloc_fails "$1"
	else
		alloc_ok "$1" "$2" "$5"
	fi
}

# --- the tool and the heaps ----------------------------------------------

run --help
if [ "$rc" -ne 0 ] || ! grep -q '^Usage:' "$TMP/out"; then
	fail help "'$TOOL --help' gave exit $rc and no usage: $(first_err)"
	finish
fi
pass help

heaps=
for path in "$DEV"/*; do
	[ -e "$path" ] && heaps="$heaps ${path##*/}"
done
if [ -z "$heaps" ]; then
	fail heaps-present "no heaps in $DEV"
	finish
fi
pass heaps-present

run list
if [ "$rc" -ne 0 ]; then
	fail list "exit $rc: $(first_err)"
else
	pass list
fi

# The table has a row for every heap, in name order, with its type.
want=$(for h in $heaps; do echo "$h"; done | LC_ALL=C sort)
got=$(awk 'NR > 1 { print $1 }' "$TMP/out")
if [ "$got" = "$want" ]; then
	pass list-sorted
else
	fail list-sorted "rows are '$(echo "$got" | tr '\n' ' ')', expected '$(echo "$want" | tr '\n' ' ')'"
fi

for h in $heaps; do
	type=$(awk -v h="$h" '$1 == h { print $2 }' "$TMP/out")
	sysfs_type=$(attr "$h" type)
	if [ -z "$type" ]; then
		fail "list-$h" "no row for $h"
	elif [ "$type" = "-" ]; then
		fail "list-$h" "no type (missing $SYS/$h/type?)"
	elif [ -n "$sysfs_type" ] && [ "$type" != "$sysfs_type" ]; then
		fail "list-$h" "type '$type', sysfs says '$sysfs_type'"
	else
		pass "list-$h"
	fi
done

# Counters before any allocation, to compare with at the end.
for h in $heaps; do
	echo "$(attr "$h" used_bytes) $(attr "$h" buffers)" >"$TMP/before.$h"
done

# --- allocations -------------------------------------------------------

for h in $heaps; do
	for size in 4K:4096 1M:1048576 16M:16777216; do
		try_alloc "alloc-${size%%:*}-$h" "$h" "${size%%:*}" \
			  "${size#*:}" 1
	done
	try_alloc "alloc-count8-$h" "$h" 64K 65536 8
done

# Drive each small fixed-region heap past its size: without a fallback the
# allocation must fail cleanly, with one the fallback must take the rest.
for h in $heaps; do
	size=$(attr "$h" size_bytes)
	used=$(attr "$h" used_bytes)
	fb=$(attr "$h" fallback)
	is_number "$size" || continue
	# Bigger regions would take too long to fill in an emulated VM.
	if [ "$size" -lt 262144 ] || [ "$size" -gt 33554432 ]; then
		continue
	fi
	[ "${used:-0}" = 0 ] || continue

	# Chunks are a multiple of 64K, so whole pages at any page size.
	chunk=$((size / 4 / 65536 * 65536))
	count=$((size / chunk + 1))
	run alloc "$h" "$chunk" --count "$count"
	if [ -z "$fb" ]; then
		alloc_fails "exhaust-$h"
		continue
	fi
	fb_size=$(attr "$fb" size_bytes)
	# A fixed-size fallback may be full as well; promise nothing then.
	[ "${fb_size:-0}" = 0 ] || continue
	if [ "$rc" -eq 0 ] && [ -d /proc/self/fdinfo ] &&
	   ! sed -n 's/^buffer .* exporter=\([^ ]*\) .*/\1/p' "$TMP/out" |
	   grep -qvxF "$h"; then
		fail "exhaust-$h" "$h served all $count x $chunk bytes in a $size byte region"
	else
		alloc_ok "exhaust-$h" "$h" "$count"
	fi
done

# --- command line --------------------------------------------------------

# Size arguments are tried on the system heap, or else on the first one.
any=${heaps# }
any=${any%% *}
for h in $heaps; do
	[ "$h" = system ] && any=$h
done

for arg in 8192:8K 8k:8K 8K:8K 1m:1M 1M:1M 4097:4.0K; do
	run alloc "$any" "${arg%%:*}" --quiet
	name="size-${arg%%:*}"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc: $(first_err)"
	elif ! grep -q "^summary: .* size=${arg#*:} " "$TMP/out"; then
		fail "$name" "summary does not say size=${arg#*:}"
	else
		pass "$name"
	fi
done

for arg in abc 1X -1 0 1.5M 4KB 99999999999999999999 9223372036854775808; do
	run alloc "$any" "$arg"
	must_fail "bad-size-$arg" 2
done
run alloc "$any" ""
must_fail bad-size-empty 2

for arg in 0 100001 x; do
	run alloc "$any" 4K --count "$arg"
	must_fail "bad-count-$arg" 2
done

run alloc "no-such-heap-$$" 4K
must_fail unknown-heap 1
run frobnicate
must_fail unknown-command 2
run
must_fail no-command 2
run alloc
must_fail missing-name 2
run alloc "$any"
must_fail missing-size 2
run alloc "$any" 4K --bogus
must_fail unknown-flag 2
run list extra
must_fail list-extra-arg 2

# --- counters ------------------------------------------------------------

# All buffers are closed now, so each heap must be back where it started.
# Freeing may lag behind close() a little; give it a few seconds.
for h in $heaps; do
	read -r before <"$TMP/before.$h"
	if [ -z "$(attr "$h" used_bytes)$(attr "$h" buffers)" ]; then
		pass "counters-$h"	# a heap without counters has nothing to leak
		continue
	fi
	tries=0
	while :; do
		now="$(attr "$h" used_bytes) $(attr "$h" buffers)"
		if [ "$now" = "$before" ] || [ "$tries" -ge 5 ]; then
			break
		fi
		tries=$((tries + 1))
		sleep 1
	done
	if [ "$now" = "$before" ]; then
		pass "counters-$h"
	else
		fail "counters-$h" "used_bytes/buffers '$now', was '$before'"
	fi
done

finish
