#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bad device tree corpus: every overlay in dts/invalid/ declares one
# broken heap next to valid ones, and says in its header what must come
# of it:
#
#   // dtc: reject       (optional) dtc itself refuses the file; nothing
#                        else is checked
#   // schema: reject    dt-validate, with our bindings, reports an error
#   // schema: accept    dt-validate reports nothing
#   // kernel: TEXT      a line of the VM's boot log contains TEXT
#   // heaps: A B ...    exactly these heaps are in /dev/dma_heap
#
# For each file (sorted) this compiles it with vm.sh's dtc flags, then
# runs make check on it (scripts/check.sh: dt-validate on QEMU's DTB, a
# boot of the VM in demo mode, one verdict per heap node) and checks the
# schema's verdict, that make check's verdicts match the header, the
# kernel's message, the heap list, that every expected heap allocated its
# 4 buffers of 1 MiB, and that the log has no oops, BUG, WARNING or panic. One PASS:/FAIL: line
# per check, in file order, and "# dt-invalid: N passed, M failed" last;
# the exit status is non-zero on any failure.
#
# The kernel (build/out/vm) and the VM's programs (build/user) must be
# built already. Everything this writes is under $BUILD/invalid: results
# and logs in dt-invalid/, and one build directory per VM slot (slot-N,
# with its own vm/ and logs/ and links to the shared build products), so
# build/vm is never touched.
#
# Settings: CORPUS (directory of overlays, default dts/invalid), JOBS (VMs
# at a time, default 2), BOOTARGS (added to the kernel command line),
# VM_TIMEOUT (seconds per boot, default 60).
set -uo pipefail

# KERNEL_REPORT; this script's own die() below replaces lib.sh's.
. "$(dirname "$0")/lib.sh"
SHARED=${BUILD:-$TOP/build}
SCRATCH=$SHARED/invalid
OUT=$SCRATCH/dt-invalid
SCHEMA=$OUT/processed-schema.json
CORPUS=${CORPUS:-$TOP/dts/invalid}
JOBS=${JOBS:-2}
VM_TIMEOUT=${VM_TIMEOUT:-60}
# As in scripts/vm.sh.
DTC_FLAGS="-@ -I dts -O dtb -i $TOP/dts -W no-avoid_unnecessary_addr_size"

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
die() { echo "FAILED [dt-invalid]: $*" >&2; exit 1; }

# setup: the kernel and programs are there, the slots exist, the schema
# is processed.
setup() {
	local d slot

	[ -f "$SHARED/out/vm/arch/arm64/boot/Image" ] ||
		die "no kernel in $SHARED/out/vm (scripts/kernel.sh vm builds it)"
	for d in dma-heap dmabuf-heap dma-heap-fuzz; do
		[ -x "$SHARED/user/$d" ] ||
			die "no $SHARED/user/$d (scripts/vm.sh user builds it)"
	done
	case "$JOBS" in
	[1-9] | [1-9][0-9]) ;;
	*)	die "JOBS must be a number from 1, not '$JOBS'" ;;
	esac

	mkdir -p "$OUT" || die "cannot create $OUT"
	for ((slot = 0; slot < JOBS; slot++)); do
		mkdir -p "$SCRATCH/slot-$slot" || die "cannot create a slot"
		for d in cache user out linux src; do
			[ -e "$SCRATCH/slot-$slot/$d" ] ||
				ln -sfn "../../$d" "$SCRATCH/slot-$slot/$d" ||
				die "cannot link $SCRATCH/slot-$slot/$d"
		done
	done

	# The processed schema, made as dt-check.sh makes it.
	dt-mk-schema -j -o "$SCHEMA" "$TOP/bindings" >"$OUT/dt-mk-schema.log" 2>&1 ||
		die "dt-mk-schema failed (see $OUT/dt-mk-schema.log)"
}

# header FILE KEY: the value of the first "// KEY: value" line.
header() {
	sed -n "s|^// $2:[[:space:]]*||p" "$1" | head -n1 | sed 's/[[:space:]]*$//'
}

# heap_list LOG: the names in the demo's "dma-heap list" table (NAME
# TYPE CACHED PROTECTED SIZE USED BUFFERS FALLBACK), sorted, one a line.
# Kernel messages on the console are skipped; any other line ends the
# table.
heap_list() {
	awk '/^### dma-heap list/ { on = 1; next }
	     !on || /^\[/ { next }
	     /^#/ { on = 0; next }
	     NF == 8 && $1 == "NAME" { next }
	     NF == 8 { print $1; next }
	     { on = 0 }' "$1" | LC_ALL=C sort
}

# words TEXT: its words, sorted, one a line.
# shellcheck disable=SC2086 # split into words on purpose
words() { printf '%s\n' $1 | LC_ALL=C sort; }

# oneline TEXT: the lines of TEXT joined by spaces.
oneline() { printf '%s' "$1" | tr '\n' ' '; }

# check_file FILE BUILDDIR: every check of one overlay, booting it with
# BUILD=BUILDDIR; prints the PASS/FAIL lines.
check_file() {
	local f=$1 build=$2 base id want_dtc want_schema want_kernel want_heaps
	local dtbo vlog blog clog got_schema got want h bad detail

	base=$(basename "$f" .dtso)
	id=invalid/$base
	dtbo=$OUT/$base.dtbo
	vlog=$OUT/$base.validate.log
	blog=$OUT/$base.boot.log
	clog=$OUT/$base.check

	want_dtc=$(header "$f" dtc)
	want_schema=$(header "$f" schema)
	want_kernel=$(header "$f" kernel)
	want_heaps=$(header "$f" heaps)

	# Compile exactly as vm.sh does: an error or any warning fails.
	# shellcheck disable=SC2086 # DTC_FLAGS is a list of words
	if dtc $DTC_FLAGS -o "$dtbo" "$f" >"$OUT/$base.dtc.log" 2>&1 &&
		[ ! -s "$OUT/$base.dtc.log" ]; then
		if [ "$want_dtc" = reject ]; then
			fail "$id" "dtc: compiles, but the header says dtc rejects it"
			return
		fi
	else
		if [ "$want_dtc" = reject ]; then
			pass "$id: dtc rejects it ($(grep -m1 -E 'ERROR|Warning' \
				"$OUT/$base.dtc.log" | sed 's/^[^ ]*: //'))"
		else
			fail "$id" "dtc: does not compile: $(head -n1 \
				"$OUT/$base.dtc.log") (see $OUT/$base.dtc.log)"
		fi
		return
	fi

	case "$want_schema" in
	accept | reject) ;;
	*)	fail "$id" "header: no '// schema: accept|reject' line"; return ;;
	esac
	if [ -z "$want_kernel" ] || [ -z "$want_heaps" ]; then
		fail "$id" "header: needs '// kernel: TEXT' and '// heaps: NAMES'"
		return
	fi

	# The rest is make check's: the overlay on QEMU's DTB through
	# dt-validate, then the boot, with one verdict line per heap node.
	# Its own status is not the verdict: these trees are bad on purpose.
	rm -f "$blog"
	CHECK_OUT=$OUT CHECK_SCHEMA=$SCHEMA BUILD=$build \
		BOOTARGS="${BOOTARGS:-}" VM_TIMEOUT=$VM_TIMEOUT \
		"$TOP/scripts/check.sh" "$f" >"$clog" 2>"$OUT/$base.check.log"
	if ! grep -q '^check: schema: ' "$clog"; then
		fail "$id" "make check: $(grep -m1 FAILED "$OUT/$base.check.log") (see $OUT/$base.check.log)"
		return
	fi
	if grep -q '^check: schema: no error$' "$clog"; then
		got_schema=accept
	else
		got_schema=reject
	fi
	if [ "$got_schema" != "$want_schema" ]; then
		detail=
		[ ! -s "$vlog" ] ||
			detail=": $(head -n1 "$vlog" | sed 's/^[^ ]*: //')"
		fail "$id" "schema: dt-validate ${got_schema}s it, expected $want_schema$detail (see $vlog)"
	elif [ "$got_schema" = reject ]; then
		pass "$id: schema rejects it ($(head -n1 "$vlog" |
			sed 's/^[^ ]*: //' | cut -c1-160))"
	else
		pass "$id: schema accepts it"
	fi
	[ -f "$blog" ] || { fail "$id" "boot: no log (see $OUT/$base.check.log)"; return; }

	# make check's verdicts agree with the header: exactly the heaps it
	# names become heaps, and a message about one heap node is in the
	# verdict of that node.
	want=$(words "$want_heaps")
	got=$(sed -n 's/^check: heap \([^ :]*\)[^:]*: becomes .*/\1/p' "$clog" | LC_ALL=C sort)
	if [ "$got" != "$want" ]; then
		fail "$id" "make check: heaps [$(oneline "$got")] become heaps, expected [$(oneline "$want")] (see $clog)"
	elif [[ $want_kernel == dma-heaps:\ /dma-heaps/* ]] &&
		! grep -qF -- "${want_kernel#dma-heaps: }" "$clog"; then
		fail "$id" "make check: no verdict says \"${want_kernel#dma-heaps: }\" (see $clog)"
	else
		pass "$id: make check gives the boot's verdict"
	fi

	if grep -qF -- "$want_kernel" "$blog"; then
		pass "$id: kernel says \"$want_kernel\""
	else
		fail "$id" "kernel: no log line contains \"$want_kernel\"; dma-heaps said: $(grep 'dma-heaps: ' "$blog" | sed 's/^\[[^]]*\] //' | paste -sd '|') (see $blog)"
	fi

	want=$(words "$want_heaps")
	got=$(heap_list "$blog")
	if [ "$got" = "$want" ]; then
		pass "$id: heaps are $(oneline "$want")"
	else
		fail "$id" "heaps: expected [$(oneline "$want")], got [$(oneline "$got")] (see $blog)"
	fi

	bad=
	for h in $want; do
		grep -qE "^summary: heap=$h size=1M count=4 .*result=ok\$" "$blog" ||
			bad="$bad $h"
	done
	if [ -z "$bad" ]; then
		pass "$id: 4 x 1M from every heap"
	else
		fail "$id" "allocations: failed or missing on:$bad (see $blog)"
	fi

	if grep -qE "$KERNEL_REPORT" "$blog"; then
		fail "$id" "kernel log: $(grep -m1 -E "$KERNEL_REPORT" "$blog") (see $blog)"
	else
		pass "$id: clean kernel log"
	fi
}

# run_slot N FILE...: check every JOBS-th file from the Nth, one at a
# time, in slot N's build directory; each file's lines go to its .result.
run_slot() {
	local slot=$1 i=0 f
	shift

	for f in "$@"; do
		if [ $((i++ % JOBS)) -eq "$slot" ]; then
			check_file "$f" "$SCRATCH/slot-$slot" \
				>"$OUT/$(basename "$f" .dtso).result"
		fi
	done
}

t0=$(date +%s)
setup
mapfile -t files < <(find "$CORPUS" -maxdepth 1 -name '*.dtso' | LC_ALL=C sort)
[ ${#files[@]} -gt 0 ] || die "no overlays in $CORPUS"

for f in "${files[@]}"; do
	rm -f "$OUT/$(basename "$f" .dtso).result"
done
for ((slot = 0; slot < JOBS; slot++)); do
	run_slot "$slot" "${files[@]}" &
done
wait

passed=0
failed=0
for f in "${files[@]}"; do
	result=$OUT/$(basename "$f" .dtso).result
	[ -s "$result" ] ||
		fail "invalid/$(basename "$f" .dtso)" "no result (see $OUT)" >"$result"
	cat "$result"
	passed=$((passed + $(grep -c '^PASS: ' "$result")))
	failed=$((failed + $(grep -c '^FAIL: ' "$result")))
done
echo "# dt-invalid: ${#files[@]} files in $(( $(date +%s) - t0 ))s, $JOBS at a time"
echo "# dt-invalid: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
