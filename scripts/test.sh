#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every check of the project, in stages. Each check prints one line,
# "PASS: stage/name" or "FAIL: stage/name: why"; each stage prints its
# duration; the last line is "N passed, N failed". Exit status is
# non-zero when anything failed. A stage that cannot run at all (build
# failure, VM that does not boot) counts as one failed check naming its
# log, and the other stages still run.
#
#   test.sh [STAGE...]    stages: bindings docs dts host kernel lint
#                         modules kunit patches vm vm_defaults check dt_invalid
#                         vm_debug (default: all)
#
# The kernel stage builds the VM kernel, with the KUnit suites built in
# (scripts/kernel.sh); every later stage that needs it (lint, modules,
# kunit, patches, the vm stages) reuses it, so the first of them pays
# for it when a stage runs alone. Each stage's duration is listed again
# in the closing summary.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

RESULTS=$LOGDIR/results.txt
: >"$RESULTS"

record() {
	printf '%s\n' "$1" | tee -a "$RESULTS"
}

# run_stage NAME FUNC: run FUNC, turning its result lines into records.
run_stage() {
	local name=$1 func=$2 t0 rc
	t0=$(date +%s)
	log "== $name"
	"$func" >"$LOGDIR/stage-$name.txt" 2>"$LOGDIR/stage-$name.err"
	rc=$?
	record_stage "$name" $rc "$t0"
}

# record_stage NAME RC T0: the records of stage NAME, which exited with
# RC, from its output; its time since T0.
record_stage() {
	local name=$1 rc=$2 t0=$3 out=$LOGDIR/stage-$1.txt line
	while IFS= read -r line; do
		case "$line" in
		PASS:\ * | FAIL:\ *) record "${line%%: *}: $name/${line#*: }" ;;
		esac
	done <"$out"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
		record "FAIL: $name: stage failed (rc $rc): $(grep -m1 '^FAILED' \
			"$LOGDIR/stage-$name.err" || tail -n1 "$LOGDIR/stage-$name.err")"
	fi
	STAGE_TIMES+=("$name $(( $(date +%s) - t0 ))")
	log "== $name: $(( $(date +%s) - t0 ))s"
}

# at_lowest_priority CMD...: CMD at nice 19, in a session of its own,
# which the scheduler's autogroups (on in most distributions' kernels)
# would otherwise weigh against this one as equals whatever the nice
# value of its processes: the group's own nice value is set as well. A
# process group of its own, too, so that an interrupted run can stop it.
at_lowest_priority() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	setsid nice -n 19 bash -c '
		[ ! -w /proc/self/autogroup ] || echo 19 >/proc/self/autogroup
		"$@"' _ "$@"
}

STAGE_TIMES=()

stage_bindings() { "$TOP/scripts/dt-check.sh" bindings; }
# sysfs ABI entries, kernel-doc directives and the rst pages.
stage_docs() { "$TOP/scripts/docs-check.sh"; }
stage_dts() { "$TOP/scripts/dt-check.sh" dts; }
# The dma-heap tool's arguments, and how the benchmark's report reads
# logs and judges its targets.
stage_host() {
	local rc=0
	"$TOP/tools/dma-heap/tests/host-test.sh" || rc=1
	/usr/bin/python3 "$TOP/tools/dma-heap-bench/tests/report-test.py" || rc=1
	return $rc
}
# The VM kernel: the kernel of the vm, vm_defaults, dt_invalid and kunit
# stages, and the start of the modules and lint builds. No compiler or
# modpost warning in a project file.
stage_kernel() {
	"$TOP/scripts/kernel.sh" vm >&2 || return 1
	echo "PASS: vm-image"
}
# The KUnit suites, built into the VM kernel, run in the VM at boot.
stage_kunit() { "$TOP/scripts/kunit.sh"; }
# The heap types that can be modules built as modules (system, carveout
# and the SRAM plugin; cma and chunk need cma_alloc(), which 6.12 does not
# export): Image and modules, no compiler or modpost warning in the
# project's files, every =m option a .ko. The vm stages build them in.
stage_modules() {
	"$TOP/scripts/kernel.sh" modules >&2 || return 1
	echo "PASS: image-and-modules"
}

# The patch series: git am onto a fresh copy of the pristine tree,
# checkpatch --strict and an arm64 build after every patch.
stage_patches() { "$TOP/scripts/patches.sh" test; }

# checkpatch --strict, kernel-doc -Wall, W=1 and sparse on the project's
# kernel files.
stage_lint() { "$TOP/scripts/lint.sh"; }

# vm_suites NAME DTS EXPECTED [KERNEL [BOOTARGS]]: boot the VM on DTS and run every
# in-VM suite: mainline's kselftest (TAP) and the project's own tests
# (PASS/FAIL lines), read back from the console log. EXPECTED lists the
# heaps that must exist, separated by ':'. KERNEL: vm (default) or debug.
vm_suites() {
	local logf=$LOGDIR/vm-$1.log kernel=${4:-vm}

	"$TOP/scripts/kernel.sh" "$kernel" >&2 || return 1
	"$TOP/scripts/vm.sh" user >&2 || return 1
	KERNEL=$BUILD/out/$kernel/arch/arm64/boot/Image DTS=$2 \
		BOOTARGS="DTHEAPS_EXPECT=$3 ${5:-}" \
		"$TOP/scripts/vm.sh" boot test "$logf" >&2 || return 1
	"$TOP/scripts/vm-results.sh" "$logf"
}

# The default overlay: every heap type, fallback chains, pools; memory
# accounting on (dma_heap.mem_accounting): the suites run in the root
# cgroup, charged for nothing, except tests/vm/memcg.sh, whose process
# is in a cgroup of its own with a limit.
stage_vm() {
	vm_suites test "$TOP/dts/vm.dtso" camera:cma:protected,secure-camera:protected,secure-video:system:system-uncached:video \
		vm dma_heap.mem_accounting=1
}

# No heap node at all: exactly newest mainline's heaps and names, and
# its default of memory accounting off (tests/vm/memcg.sh checks that
# buffers are then charged to no cgroup).
stage_vm_defaults() {
	vm_suites defaults "$TOP/dts/vm-no-heaps.dtso" default_cma_region:linux,cma:system:video@70000000
}

# make check on vendors' trees outside the project (tests/check/*.dtso):
# each is copied to a directory of its own with its "// bindings:" files
# and its "// base:" board (compiled with -@), and every "// verdict:"
# line of its header must be a line of make check's output, which must
# fail, since each has a refused heap; no line may hold the text of an
# "// absent:" line.
check_one() {
	local f=$1 dir out line rc=0 id base bindings=() b
	id=$(basename "$f" .dtso)

	dir=$(mktemp -d) || return 1
	cp "$f" "$dir/"
	for b in $(sed -n 's|^// bindings: ||p' "$f"); do
		cp "$TOP/$b" "$dir/" && bindings+=("$dir/$(basename "$b")")
	done
	base=$(sed -n 's|^// base: ||p' "$f")
	if [ -n "$base" ] && ! dtc -q -@ -I dts -O dtb -o "$dir/base.dtb" "$TOP/$base"; then
		echo "FAIL: $id: $base does not compile"
		rm -rf "$dir"
		return 1
	fi
	out=$(make -s -C "$TOP" check DTS="$dir/$(basename "$f")" \
		BINDINGS="${bindings[*]}" BASE="${base:+$dir/base.dtb}" 2>/dev/null)
	if [ $? -eq 2 ]; then
		echo "PASS: $id: fails for a refused heap"
	else
		echo "FAIL: $id: exit status is not make's error for a refused heap"
		rc=1
	fi
	if [ "$(grep -c '^// verdict: ' "$f")" -lt 4 ]; then
		echo "FAIL: $id: its header lists no verdicts"
		rc=1
	fi
	while read -r line; do
		if grep -qxF -- "$line" <<<"$out"; then
			echo "PASS: $id: ${line#check: }"
		else
			echo "FAIL: $id: no line \"$line\" in: $(paste -sd '|' <<<"$out")"
			rc=1
		fi
	done < <(sed -n 's|^// verdict: ||p' "$f")
	# "// absent: TEXT": no line of the output may hold TEXT.
	while read -r line; do
		if grep -qF -- "$line" <<<"$out"; then
			echo "FAIL: $id: a line holds \"$line\""
			rc=1
		else
			echo "PASS: $id: no \"$line\""
		fi
	done < <(sed -n 's|^// absent: ||p' "$f")
	rm -rf "$dir"
	return $rc
}

stage_check() {
	local f rc=0

	"$TOP/scripts/kernel.sh" vm >&2 || return 1
	"$TOP/scripts/vm.sh" user >&2 || return 1
	for f in "$TOP"/tests/check/*.dtso; do
		check_one "$f" || rc=1
	done
	return $rc
}

# The bad device trees of dts/invalid/: each rejected by the schema or
# by the kernel with its message, while the good heaps beside it work.
# When vm_debug runs too, this stage runs beside it (start_tail_stage).
stage_dt_invalid() {
	"$TOP/scripts/kernel.sh" vm >&2 || return 1
	"$TOP/scripts/vm.sh" user >&2 || return 1
	"$TOP/scripts/dt-invalid.sh"
}

# The debug kernel shares no object with the others: its sanitizers
# change every one. When vm_debug runs after other stages, the debug
# kernel is built from the start, in the background at the lowest CPU
# priority, on the CPU time the other stages leave idle (one-threaded
# tools, a VM running one program, the serial parts of a build) without
# slowing them; vm_debug waits for it, and builds what is left, or
# reports the failure, as when it runs alone.
DEBUG_BUILD_PID=
start_debug_build() {
	local logf=$LOGDIR/kernel-debug-background.log

	# The work tree first, in the foreground: every build shares it.
	"$TOP/scripts/kernel.sh" tree >"$logf" 2>&1 || return 0
	# shellcheck disable=SC2016 # expanded by the inner shell
	at_lowest_priority bash -c '
		t0=$(date +%s); "$1" debug; rc=$?
		echo $(( $(date +%s) - t0 )) >"$2"; exit $rc' _ \
		"$TOP/scripts/kernel.sh" "$LOGDIR/kernel-debug-background.time" \
		>>"$logf" 2>&1 &
	DEBUG_BUILD_PID=$!
	trap stop_background EXIT
	log "== debug kernel: building in the background (see $logf)"
}
stop_background() {
	local pid
	for pid in $DEBUG_BUILD_PID $TAIL_PID; do
		kill -TERM -- "-$pid" 2>/dev/null
	done
}

# The bad device trees' boots are a stage that neither waits for the
# debug kernel nor is waited for, and is not disturbed by a slower CPU:
# when vm_debug runs too, it starts them as soon as the debug kernel is
# built, at the lowest priority, on the CPU time its VM leaves idle
# (about one of two CPUs, for minutes, at the end of the run when nothing
# else is left to use it), instead of taking that CPU from the debug
# build earlier. Their records come after vm_debug's. The kernel and the
# VM's programs they boot are built by then.
TAIL_STAGE=dt_invalid
TAIL_PID=
TAIL_T0=
start_tail_stage() {
	TAIL_T0=$(date +%s)
	log "== $TAIL_STAGE: in the background, beside vm_debug"
	at_lowest_priority "$TOP/scripts/dt-invalid.sh" \
		>"$LOGDIR/stage-$TAIL_STAGE.txt" \
		2>"$LOGDIR/stage-$TAIL_STAGE.err" &
	TAIL_PID=$!
}
finish_tail_stage() {
	local rc=0
	[ -n "$TAIL_PID" ] || return 0
	wait "$TAIL_PID" || rc=$?
	TAIL_PID=
	record_stage "$TAIL_STAGE" $rc "$TAIL_T0"
}

# The default overlay again, on the debug kernel: KASAN, kmemleak,
# lockdep, delayed kobject releases and fault injection; any report
# fails the stage.
stage_vm_debug() {
	if [ -n "$DEBUG_BUILD_PID" ]; then
		wait "$DEBUG_BUILD_PID"
		DEBUG_BUILD_PID=
	fi
	[ -z "$DEFER_TAIL" ] || start_tail_stage
	local rc=0

	# The 100,000-call fuzz runs in the vm stage; under KASAN a fifth
	# of it covers the same paths in a quarter of the time.
	vm_suites debug "$TOP/dts/vm.dtso" camera:cma:protected,secure-camera:protected,secure-video:system:system-uncached:video debug \
		"HOSTILE_CALLS=20000 dma_heap.mem_accounting=1" || rc=1
	# The KUnit suites again, where kobject releases are delayed and
	# KASAN watches them.
	"$TOP/scripts/kunit.sh" debug || rc=1
	return $rc
}

STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(bindings docs dts host kernel lint modules kunit patches vm vm_defaults check dt_invalid vm_debug)

T0=$(date +%s)
"$TOP/scripts/deps.sh" || exit 1
STAGE_TIMES+=("deps $(( $(date +%s) - T0 ))")
rm -f "$LOGDIR/kernel-debug-background.time" "$LOGDIR"/kunit*-failures.txt
DEFER_TAIL=
case " ${STAGES[*]} " in
" vm_debug ") ;;
*" vm_debug "*)
	start_debug_build
	case " ${STAGES[*]} " in *" $TAIL_STAGE "*) DEFER_TAIL=1 ;; esac
	;;
esac
for s in "${STAGES[@]}"; do
	declare -F "stage_$s" >/dev/null || die "test" "unknown stage $s"
	[ "$s" = "$TAIL_STAGE" ] && [ -n "$DEFER_TAIL" ] && continue
	run_stage "$s" "stage_$s"
done
finish_tail_stage

# The reliability figures of this run, from the logs of the stages that
# produced them; a stage that did not run shows "-".
summary() {
	local vm=$LOGDIR/vm-test.log dbg=$LOGDIR/vm-debug.log f v

	figure() {
		v=$(grep -h -m1 -oE "$2" $3 2>/dev/null | head -n1)
		printf '  %-22s %s\n' "$1" "${v:--}"
	}
	log ""
	log "Summary:"
	{
		figure "bad device trees" "[0-9]+ files in [0-9]+s" \
			"$LOGDIR/stage-dt_invalid.txt"
		figure "bad DT checks" "[0-9]+ passed, [0-9]+ failed" \
			"$LOGDIR/stage-dt_invalid.txt"
		figure "fuzz (vm)" "calls=[0-9]+ mismatches=[0-9]+ leaked_fds=[0-9]+" "$vm"
		figure "fuzz (debug kernel)" "calls=[0-9]+ mismatches=[0-9]+ leaked_fds=[0-9]+" "$dbg"
		figure "faults injected" "calls=[0-9]+ injected=[0-9]+ failed_calls=[0-9]+" "$dbg"
		f=$dbg
		if [ -f "$f" ]; then
			v=$(grep -cE "$KERNEL_REPORT" "$f")
			printf '  %-22s %s\n' "sanitizer reports" "$v (KASAN, lockdep, kmemleak, WARN)"
		fi
		figure "memory returned" "free\+pooled [0-9]+ KiB before, [0-9]+ KiB after \([-0-9]+ KiB short\)" "$vm"
	} >&2
}
[ ! -f "$LOGDIR/stage-dt_invalid.txt" ] && [ ! -f "$LOGDIR/vm-test.log" ] || summary

# How long each stage took, and the whole run.
stage_times() {
	local st total=$(( $(date +%s) - T0 ))

	log ""
	log "Stage times:"
	for st in "${STAGE_TIMES[@]}"; do
		printf '  %-22s %5ss\n' "${st% *}" "${st##* }" >&2
	done
	[ ! -f "$LOGDIR/kernel-debug-background.time" ] ||
		printf '  %-22s %5ss (alongside the stages before vm_debug)\n' \
			"debug kernel build" \
			"$(cat "$LOGDIR/kernel-debug-background.time")" >&2
	printf '  %-22s %5ss (%dm %02ds)\n' total "$total" \
		$((total / 60)) $((total % 60)) >&2
}
stage_times

npass=$(grep -c '^PASS: ' "$RESULTS")
nfail=$(grep -c '^FAIL: ' "$RESULTS")
if [ "$nfail" -gt 0 ]; then
	log ""
	log "Failed checks:"
	grep '^FAIL: ' "$RESULTS" >&2
	for f in "$LOGDIR"/kunit*-failures.txt; do
		[ -s "$f" ] || continue
		log ""
		log "What the failed KUnit cases printed (${f##*/}):"
		head -n 40 "$f" >&2
	done
fi
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
