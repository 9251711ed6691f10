#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of the dma-heap tool: builds a native binary and checks
# everything that does not need a kernel with DMA-BUF heaps, i.e. the
# command line, the exit codes and the "list" table (against fake
# /dev/dma_heap and sysfs directories).
#
#	bash tools/dma-heap/tests/host-test.sh
#
# Prints one "PASS: <name>" or "FAIL: <name>: <why>" line per test and
# exits non-zero if any failed.  If the compiler can build with ASan and
# UBSan, the whole suite runs a second time against such a build.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")

npass=0
nfail=0

pass() { echo "PASS: $1"; npass=$((npass + 1)); }
fail() { echo "FAIL: $1: $2"; nfail=$((nfail + 1)); }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run ARGS...: run $BIN; sets $rc, output in $TMP/out and $TMP/err.
run()
{
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
}

first_err() { head -n 1 "$TMP/err"; }

# expect NAME RC [STDERR-REGEX]: check the last run.
expect()
{
	local name=$1 want=$2 msg=${3:-}

	if ((rc >= 128)); then
		fail "$name" "crashed (exit $rc): $(first_err)"
	elif ((rc != want)); then
		fail "$name" "exit $rc, expected $want: $(first_err)"
	elif ((want != 0)) && [[ ! -s $TMP/err ]]; then
		fail "$name" "no message on stderr"
	elif [[ -n $msg ]] && ! grep -Eq -- "$msg" "$TMP/err"; then
		fail "$name" "stderr does not match '$msg': $(first_err)"
	elif grep -q 'runtime error\|Sanitizer' "$TMP/err"; then
		fail "$name" "sanitizer: $(grep -m1 'runtime error\|Sanitizer' "$TMP/err")"
	else
		pass "$name"
	fi
}

# A fake heap directory: "system" has no fixed region; "reserved" and
# "carveout" have one; "stock" has no sysfs attributes at all, like a heap
# of a kernel without the dt-heaps extensions.  The device nodes are plain
# files, so the allocation ioctl fails with ENOTTY.
make_fakes()
{
	local dev=$TMP/dev sys=$TMP/sys

	mkdir -p "$dev" "$TMP/empty" "$sys"/{system,reserved,carveout}
	touch "$dev"/{system,reserved,carveout,stock}
	printf 'system\n' >"$sys/system/type"
	printf '1\n' >"$sys/system/cached"
	printf '0\n' >"$sys/system/size_bytes"
	printf '12288\n' >"$sys/system/used_bytes"
	printf '3\n' >"$sys/system/buffers"
	printf '\n' >"$sys/system/fallback"
	printf 'cma\n' >"$sys/reserved/type"
	printf 'maybe\n' >"$sys/reserved/cached"
	printf '67108864\n' >"$sys/reserved/size_bytes"
	printf '1610612736\n' >"$sys/reserved/used_bytes"
	printf '0\n' >"$sys/reserved/buffers"
	printf 'system\n' >"$sys/reserved/fallback"
	printf 'carveout\n' >"$sys/carveout/type"
	printf '0\n' >"$sys/carveout/cached"
	printf 'firmware\n' >"$sys/carveout/protected_by"
	printf '\n' >"$sys/system/protected_by"
	printf '1048575\n' >"$sys/carveout/size_bytes"
	printf 'junk\n' >"$sys/carveout/used_bytes"
	printf '1536\n' >"$sys/carveout/buffers"
}

test_usage()
{
	run
	expect "$1no-command" 2 '^Usage:'
	[[ -s $TMP/out ]] && fail "$1no-command-stdout" "usage went to stdout"

	for arg in --help -h help; do
		run "$arg"
		if ((rc == 0)) && grep -q '^Usage:' "$TMP/out"; then
			pass "$1help$arg"
		else
			fail "$1help$arg" "exit $rc, or no usage on stdout"
		fi
	done
	run alloc --help
	expect "$1alloc-help" 0

	run frobnicate
	expect "$1unknown-command" 2 "unknown command 'frobnicate'"
	run alloc
	expect "$1missing-name" 2 'missing NAME'
	run alloc system
	expect "$1missing-size" 2 'missing SIZE'
	run alloc system 4K extra
	expect "$1extra-arg" 2 "unexpected argument 'extra'"
	run alloc system 4K --bogus
	expect "$1unknown-flag" 2 "unknown option '--bogus'"
	run alloc system 4K -x
	expect "$1unknown-short-flag" 2 "unknown option '-x'"
	run alloc system 4K --count
	expect "$1count-no-value" 2 'needs a value'
	run list extra
	expect "$1list-extra-arg" 2 "unexpected argument 'extra'"
	run alloc ../etc/passwd 4K
	expect "$1heap-name-slash" 2 'invalid heap name'
	run alloc "" 4K
	expect "$1heap-name-empty" 2 'invalid heap name'
	# Longer than any file name: a bad argument, not a missing heap.
	run alloc "$(printf 'a%.0s' {1..300})" 4K
	expect "$1heap-name-too-long" 2 'invalid heap name'
}

test_sizes()
{
	local s

	for s in abc 1X "" -1 -4K 0 0K 1.5M 4KB 4KiB " 4K" "4K " +4K 0x10 \
		 K 99999999999999999999 9223372036854775808 8589934592G \
		 18446744073709551616; do
		run alloc no-such-heap "$s"
		expect "$1bad-size-[$s]" 2 "invalid size"
	done

	# Valid sizes get as far as opening the heap, which does not exist.
	for s in 1 4096 4k 4K 1m 1M 2g 2G 00004K 9223372036854775807 \
		 8589934591G; do
		run alloc no-such-heap "$s"
		expect "$1good-size-$s" 1 'no such heap'
	done

	for s in 0 100001 -1 x "" 1e3 " 1" 4K; do
		run alloc no-such-heap 4K --count "$s"
		expect "$1bad-count-[$s]" 2 'invalid count'
	done
	for s in "--count 1" "--count 100000" --count=8 --quiet -q \
		 "--quiet --count 3" --hold "--hold -q"; do
		# shellcheck disable=SC2086 # split on purpose
		run alloc no-such-heap 4K $s
		expect "$1good-opts-[$s]" 1 'no such heap'
	done
	run alloc --count 2 no-such-heap 4K
	expect "$1opts-first" 1 'no such heap'
	run alloc -- -weird 4K
	expect "$1double-dash" 1 "no such heap '-weird'"
}

test_devices()
{
	# Whatever the host has, this heap is not there.
	run alloc "no-such-heap-$$" 4K
	expect "$1unknown-heap" 1 "no such heap 'no-such-heap-$$'"

	DMA_HEAP_DEV=$TMP/empty run alloc system 4K
	expect "$1unknown-heap-empty-dir" 1 "no such heap 'system'"
	DMA_HEAP_DEV=$TMP/none run alloc system 4K
	expect "$1unknown-heap-no-dir" 1 'does not exist'

	# Not a heap: the ioctl fails, naming the buffer and the error.
	DMA_HEAP_DEV=$TMP/dev run alloc system 4K --count 2
	expect "$1alloc-ioctl-fails" 1 \
		"^dma-heap: buffer 0: allocating 4K from heap 'system' failed: Inappropriate ioctl"
	if ! grep -q '^summary: .*allocated=0 .*result=FAIL$' "$TMP/out"; then
		fail "$1alloc-ioctl-fails-summary" "$(cat "$TMP/out")"
	fi

	DMA_HEAP_DEV=$TMP/none run list
	expect "$1list-no-dir" 1 "$TMP/none does not exist"

	DMA_HEAP_DEV=$TMP/empty run list
	expect "$1list-empty" 0
	if [[ $(cat "$TMP/out") != "NAME  TYPE  CACHED  PROTECTED  SIZE  USED  BUFFERS  FALLBACK" ]]; then
		fail "$1list-empty-table" "$(cat "$TMP/out")"
	fi

	# A table that cannot be written is a failure, not an empty success.
	DMA_HEAP_DEV=$TMP/dev DMA_HEAP_SYSFS=$TMP/sys "$BIN" list \
		>/dev/full 2>"$TMP/err" </dev/null
	rc=$?
	expect "$1list-to-full-disk" 1 'writing the output'

	DMA_HEAP_DEV=$TMP/dev DMA_HEAP_SYSFS=$TMP/sys run list
	expect "$1list-fake" 0
	cat >"$TMP/want" <<-'EOF'
	NAME      TYPE      CACHED  PROTECTED  SIZE  USED  BUFFERS  FALLBACK
	carveout  carveout  no      firmware   1.0M     ?     1536  -
	reserved  cma       ?       -           64M  1.5G        0  system
	stock     -         -       -             -     -        -  -
	system    system    yes     -             -   12K        3  -
	EOF
	if diff -u "$TMP/want" "$TMP/out" >"$TMP/diff"; then
		pass "$1list-table"
	else
		fail "$1list-table" "$(tr '\n' '|' <"$TMP/diff")"
	fi
}

# Formatting of sizes, seen through the size column of "list".
test_format()
{
	local bytes want got

	mkdir -p "$TMP/fdev" "$TMP/fsys/h"
	touch "$TMP/fdev/h"
	while read -r bytes want; do
		echo "$bytes" >"$TMP/fsys/h/used_bytes"
		DMA_HEAP_DEV=$TMP/fdev DMA_HEAP_SYSFS=$TMP/fsys run list
		got=$(awk 'NR == 2 { print $6 }' "$TMP/out")
		if [[ $got == "$want" ]]; then
			pass "$1format-$bytes"
		else
			fail "$1format-$bytes" "'$got', expected '$want'"
		fi
	done <<-'EOF'
	0 0
	1023 1023
	1024 1K
	1536 1.5K
	4096 4K
	1048575 1.0M
	1048576 1M
	67108864 64M
	1610612736 1.5G
	1099511627776 1T
	9223372036854775807 8.0E
	18446744073709551615 16.0E
	18446744073709551616 ?
	EOF
}

# Odd argument lists must never kill the tool with a signal.
test_no_crash()
{
	local args bad=0

	while read -r args; do
		# shellcheck disable=SC2086 # split on purpose
		DMA_HEAP_DEV=$TMP/dev run $args
		if ((rc >= 128)) || grep -q 'runtime error\|Sanitizer' "$TMP/err"; then
			fail "$1no-crash" "'$args' gave exit $rc"
			bad=1
		fi
	done <<-'EOF'
	-
	--
	-- --
	alloc --
	alloc -- --
	alloc - -
	alloc system --count=
	alloc system --count=-5
	alloc system 4K --count 1 --count 99999999999999999999
	alloc system 1G --count 100000 --quiet
	alloc system 9223372036854775807 --count 100000
	alloc stock 1
	list --
	list -q
	ALLOC system 4K
	EOF
	((bad)) || pass "$1no-crash"
}

suite()
{
	BIN=$1
	test_usage "$2"
	test_sizes "$2"
	test_devices "$2"
	test_format "$2"
	test_no_crash "$2"
}

make_fakes

if make -s -C "$SRC" CROSS_COMPILE= O="$TMP/native" >"$TMP/build.log" 2>&1 &&
   [[ -x $TMP/native/dma-heap ]]; then
	pass build-native
	suite "$TMP/native/dma-heap" ""
else
	fail build-native "$(tail -n 5 "$TMP/build.log" | tr '\n' '|')"
fi

# The same again under the sanitizers, to catch memory errors that happen
# not to crash.  They need shared libraries, hence no -static.
SAN=("-fsanitize=address,undefined" -fno-sanitize-recover=all -g)
if echo 'int main(void){return 0;}' |
   gcc "${SAN[@]}" -x c -o "$TMP/san-probe" - >/dev/null 2>&1 &&
   "$TMP/san-probe" >/dev/null 2>&1; then
	if make -s -C "$SRC" CROSS_COMPILE= O="$TMP/asan" LDFLAGS= \
		EXTRA_CFLAGS="${SAN[*]}" >"$TMP/build.log" 2>&1; then
		pass build-asan
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
		suite "$TMP/asan/dma-heap" "asan-"
	else
		fail build-asan "$(tail -n 5 "$TMP/build.log" | tr '\n' '|')"
	fi
else
	echo "# sanitizers unavailable, skipping the ASan/UBSan run"
fi

echo "# host-test: $npass passed, $nfail failed"
((nfail == 0))
