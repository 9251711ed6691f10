#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark: the stock 6.12 kernel (the pristine tree, the same config)
# and the project's kernel, booted in turn in the same VM, run the same
# tools/dma-heap-bench; scripts/bench-report.py sets their figures side by
# side and checks them against the targets.
#
#   bench.sh      build what changed, boot both kernels, report
#
# The kernels take turns, stock first, for BENCH_ROUNDS rounds; each
# figure is the best of its kernel's rounds, so that a burst of other work
# on the host during one boot does not decide a ratio.
#
# Results in build/bench/: stock-N.log and project-N.log (console logs of
# round N), results.txt (tables and one "TARGET ..." line per target),
# results.svg (the same at a glance). Exit status non-zero when a target
# is missed or a kernel could not be built or booted.
#
# Settings: DTS (default dts/vm.dtso), BENCH_ROUNDS (default 4), BENCH_ARGS
# (one word handed to the program in the VM, e.g. --quick), VM_TIMEOUT,
# JOBS.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

OUT=$BUILD/bench
STOCK_OUT=$BUILD/out/stock
PROJECT_OUT=$BUILD/out/vm
IMAGE=arch/arm64/boot/Image
ROUNDS=${BENCH_ROUNDS:-4}
export CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}

build_bench() {
	make -C "$TOP/tools/dma-heap-bench" O="$BUILD/user" \
		>"$LOGDIR/user-bench.log" 2>&1 ||
		die "user" "building tools/dma-heap-bench failed" \
			"$LOGDIR/user-bench.log"
}

# The VM is emulated: whatever else runs on the host during one kernel's
# boot slows that kernel's figures and not the other's. How much CPU time
# others took during each boot goes on record: the host's busy time minus
# the VM's own (the children of this script, once waited for).
host_ticks() {
	local a
	read -ra a </proc/stat	# cpu user nice system idle iowait irq softirq steal
	echo $((a[1] + a[2] + a[3] + a[6] + a[7] + a[8]))
}

own_ticks() {
	local s
	read -ra s <"/proc/$$/stat"	# cutime and cstime: fields 16 and 17
	echo $((s[15] + s[16]))
}

NOTES=()
# note_load NAME T0 HOST0 OWN0: after a boot that began at T0 (seconds).
note_load() {
	local secs=$(($(date +%s) - $2)) other cpus

	[ "$secs" -gt 0 ] || secs=1
	other=$(($(host_ticks) - $3 - ($(own_ticks) - $4)))
	# Hundredths of a CPU taken by others, on average over the boot.
	other=$((other * 100 / $(getconf CLK_TCK) / secs))
	[ "$other" -ge 0 ] || other=0
	cpus=$(printf '%d.%02d' $((other / 100)) $((other % 100)))
	NOTES+=(--note "host: $(nproc) CPUs; other work took $cpus CPUs during the $1 run")
	[ "$other" -le 10 ] ||
		log "bench: other work took $cpus CPUs during the $1 run: its figures are noisy"
	return 0
}

# boot_bench NAME IMAGE: one kernel in bench mode. Everything but the
# kernel is the same for both: overlay, machine, memory allocated up
# front (-mem-prealloc, so that no guest page fault waits on the host),
# and the command line: memory accounting on (the bench runs in the root
# cgroup, charged for nothing, but for its accounting phase; stock has no
# such parameter and ignores it).
boot_bench() {
	local t0 host0 own0 rc=0

	t0=$(date +%s) host0=$(host_ticks) own0=$(own_ticks)
	KERNEL=$2 DTS=${DTS:-$TOP/dts/vm.dtso} EXTRA= QEMU_EXTRA=-mem-prealloc \
		BOOTARGS="dma_heap.mem_accounting=1${BENCH_ARGS:+ DTHEAPS_BENCH_ARGS=$BENCH_ARGS}" \
		"$TOP/scripts/vm.sh" boot bench "$OUT/$1.log" || rc=$?
	note_load "$1" "$t0" "$host0" "$own0"
	return $rc
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "bench" "BENCH_ROUNDS=$ROUNDS: not a count"
mkdir -p "$OUT"
# Stale logs must never be reported as this run's.
rm -f "$OUT"/*.log "$OUT"/results.txt "$OUT"/results.svg

stage deps "$TOP/scripts/deps.sh"
stage kernel "$TOP/scripts/kernel.sh" vm "$PROJECT_OUT"
stage kernel-stock "$TOP/scripts/kernel.sh" stock "$STOCK_OUT"
stage user "$TOP/scripts/vm.sh" user
stage user-bench build_bench

# A kernel that does not finish still leaves a log: the report says what
# is missing from it, and the run fails either way.
failed=0
logs=()
for round in $(seq "$ROUNDS"); do
	stage "boot-stock-$round" boot_bench "stock-$round" \
		"$STOCK_OUT/$IMAGE" || failed=1
	stage "boot-project-$round" boot_bench "project-$round" \
		"$PROJECT_OUT/$IMAGE" || failed=1
	logs+=(--stock "$OUT/stock-$round.log" --project "$OUT/project-$round.log")
done

rc=0
/usr/bin/python3 "$TOP/scripts/bench-report.py" --out "$OUT" \
	--note "VM: scripts/vm.sh's machine, -mem-prealloc, $(basename "${DTS:-vm.dtso}")" \
	"${NOTES[@]}" "${logs[@]}" || rc=$?
[ -f "$OUT/results.txt" ] || die "report" "bench-report.py wrote no results"
cat "$OUT/results.txt"
log "console logs: $OUT/*.log; chart: $OUT/results.svg"

[ $failed -eq 0 ] || die "bench" "a kernel did not finish its run (see $OUT)"
[ $rc -eq 0 ] || die "bench" "targets missed (see $OUT/results.txt)"
