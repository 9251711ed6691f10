# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the build, VM and test scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=$BUILD/cache
LOGDIR=$BUILD/logs
mkdir -p "$CACHE" "$LOGDIR"

log() { printf '%s\n' "$*" >&2; }

# What in a kernel log is a report of a kernel problem, for grep -E:
# oopses, BUG and WARNING (KASAN, lockdep and atomic-sleep reports are
# among them), panics, and kmemleak's unreferenced objects. Every script
# that reads a VM's console for them uses this one.
KERNEL_REPORT='(Oops|BUG:|WARNING:|Kernel panic|unreferenced object|kmemleak: .* new suspected)'

# die STAGE MESSAGE [LOGFILE]: one line naming the stage and where to look.
die() {
	if [ -n "${3:-}" ]; then
		printf 'FAILED [%s]: %s (see %s)\n' "$1" "$2" "$3" >&2
		tail -n 20 "$3" >&2 || true
	else
		printf 'FAILED [%s]: %s\n' "$1" "$2" >&2
	fi
	exit 1
}

# stage NAME CMD...: run a stage and print how long it took.
stage() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	log "== $name"
	"$@"
	rc=$?
	log "== $name: $(( $(date +%s) - t0 ))s"
	return $rc
}
