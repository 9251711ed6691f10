#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project as a patch series against the pristine 6.12 tree.
#
#   patches.sh [OUT]   write the series into OUT (default build/patches):
#                      git format-patch files with a cover letter, every
#                      patch signed off by the user's git identity
#   patches.sh plan    which file goes into which patch
#   patches.sh test    apply the series with git am to a fresh copy of
#                      the pristine tree, run checkpatch --strict on every
#                      patch and build after each; one PASS/FAIL line per
#                      check
#
# scripts/series/ says how: "rules" maps files to patches, "series" gives
# their order, one message file per patch, the cover letter and the
# MAINTAINERS section. scripts/patches.py applies them; scripts/kernel.sh
# says where each project directory goes in the tree ("kernel.sh map").
set -uo pipefail

. "$(dirname "$0")/lib.sh"

ARCH=arm64
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}

# For the test only: CI machines may have no git identity.
FALLBACK_NAME="dt-heaps series test"
FALLBACK_EMAIL="dt-heaps-test@example.org"

setup() {
	TOP=$TOP KSRC=$("$TOP/scripts/kernel.sh" ksrc) ||
		die "patches" "no kernel source"
	DTHEAPS_MAP=$("$TOP/scripts/kernel.sh" map) ||
		die "patches" "kernel.sh map failed"
	export TOP KSRC DTHEAPS_MAP
}

# identity [fallback]: the author of the series, from git config.
identity() {
	local name email
	name=$(git -C "$TOP" config user.name 2>/dev/null)
	email=$(git -C "$TOP" config user.email 2>/dev/null)
	if [ -z "$name" ] || [ -z "$email" ]; then
		if [ -z "${1:-}" ]; then
			die "patches" "no git identity to sign the patches off with: git config --global user.name 'Your Name'; git config --global user.email you@example.org"
		fi
		name=$FALLBACK_NAME
		email=$FALLBACK_EMAIL
		log "patches: no git identity; signing off as $name <$email>"
	fi
	export DTHEAPS_AUTHOR_NAME=$name DTHEAPS_AUTHOR_EMAIL=$email
}

# write_series OUT WORKDIR
write_series() {
	mkdir -p "$2"
	/usr/bin/python3 "$TOP/scripts/patches.py" write "$1" "$2"
}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

W=$BUILD/patch-test
TREE=$W/linux
OUT=$W/out

kmake() {
	CCACHE_BASEDIR=$W make -C "$TREE" O="$OUT" ARCH=$ARCH \
		CROSS_COMPILE="$CROSS_COMPILE" CC="ccache ${CROSS_COMPILE}gcc" \
		-j"$JOBS" "$@"
}

# The build config: every option of the project's heaps Kconfig files,
# then the VM's fragment and the KUnit one, so that every file of the
# series is compiled (an option the fragments set to m stays m).
fragment() {
	local k
	for k in $(awk '$2 ~ /\/Kconfig/ {print $3}' "$W/plan"); do
		sed -n 's/^\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/CONFIG_\2=y/p' \
			"$TOP/$k"
	done
	cat "$TOP/scripts/configs/vm.config" "$TOP/kunit/.kunitconfig"
}

# once: the last assignment of each option only, so that Kconfig has no
# override to warn about.
once() {
	awk '{ l[NR] = $0; s = $0; sub(/=.*/, "", s); if (s ~ /^CONFIG_/) last[s] = NR }
	     END { for (i = 1; i <= NR; i++) { s = l[i]; sub(/=.*/, "", s)
		   if (s !~ /^CONFIG_/ || last[s] == i) print l[i] } }'
}

# project_re: an extended regex matching the project's kernel paths,
# the objects and modules of its C files (modpost names those) and its
# Kconfig options (Kconfig's dependency warnings name those).
project_re() {
	{
		awk '{print $2; if (sub(/\.c$/, "", $2)) print $2 ".o\n" $2 ".ko"}' \
			"$W/plan" | sed 's/[.[\*^$()+?{|]/\\&/g'
		grep -oE '^CONFIG_[A-Za-z0-9_]+' "$W/fragment" | sort -u |
			grep -xFf <(fragment_own) | sed 's/^CONFIG_/\\b/; s/$/\\b/'
	} | paste -sd'|'
}

# fragment_own: the options the project's Kconfig files declare.
fragment_own() {
	awk '$2 ~ /\/Kconfig/ {print $3}' "$W/plan" | while read -r k; do
		sed -n 's/^\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/CONFIG_\2/p' "$TOP/$k"
	done
}

# build NAME: configure and build the Image; PASS/FAIL build:NAME.
build() {
	local name=$1 logf=$W/logs/build-$1.log warn

	if ! kmake KCONFIG_ALLCONFIG="$W/fragment" allnoconfig >"$logf" 2>&1 ||
		! kmake Image >>"$logf" 2>&1; then
		fail "build:$name" "$(grep -m1 -E 'error|Error' "$logf") (see $logf)"
		return 1
	fi
	warn=$(grep -E '(warning|WARNING)' "$logf" | grep -E "$PROJECT_RE" | head -n1)
	if [ -n "$warn" ]; then
		fail "build:$name" "warning: $warn (see $logf)"
		return 1
	fi
	pass "build:$name"
}

# checkpatch NAME PATCH: from the tree with the patch applied, so that
# the compatibles it uses are checked against the bindings. Its SPDX
# check runs scripts/spdxcheck.py with the first python3 on PATH, which
# must be the system's (python3-ply, python3-git); a check that could
# not run is a failure, not a pass.
checkpatch() {
	local name=$1 patch=$2 logf=$W/logs/checkpatch-$1.log

	(cd "$TREE" && PATH=$W/bin:$PATH ./scripts/checkpatch.pl --strict \
		"$patch") >"$logf" 2>&1
	if grep -qE '^Traceback|spdxcheck|command not found' "$logf"; then
		fail "checkpatch:$name" "checkpatch could not run all its checks: $(grep -m1 -E 'Error|error' "$logf") (see $logf)"
	elif grep -q '^total: 0 errors, 0 warnings, 0 checks' "$logf"; then
		pass "checkpatch:$name"
	else
		fail "checkpatch:$name" "$(grep -m1 -E '^(ERROR|WARNING|CHECK):' \
			"$logf") ($(grep -m1 '^total:' "$logf"); see $logf)"
	fi
}

# The tree after the last patch holds exactly the project's files, and
# the config every option of the fragment.
check_result() {
	local k f bad="" line

	while read -r _ k f; do
		cmp -s "$TREE/$k" "$TOP/$f" || bad="$bad $k"
	done <"$W/plan"
	if [ -z "$bad" ]; then
		pass "result-is-project"
	else
		fail "result-is-project" "differs from the project:$bad"
	fi

	bad=""
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		grep -qx "$line" "$OUT/.config" || bad="$bad $line"
	done <"$W/fragment"
	if [ -z "$bad" ]; then
		pass "config"
	else
		fail "config" "did not take:$bad (see $OUT/.config)"
	fi
}

run_test() {
	local t0 t p name note

	t0=$(date +%s)
	identity fallback
	"$TOP/scripts/deps.sh" >&2 || return 1
	rm -rf "$W"
	mkdir -p "$W/logs" "$W/bin"
	ln -s /usr/bin/python3 "$W/bin/python3"

	if ! write_series "$W/series" "$W/work" 2>"$W/logs/series.log"; then
		fail "series" "$(grep -m1 FAILED "$W/logs/series.log")"
		return 1
	fi
	set -- "$W"/series/0*.patch
	pass "series ($(($# - 1)) patches)"
	while IFS= read -r note; do
		fail "message:${note%%:*}" "${note#*: }"
	done <"$W/work/notes"
	/usr/bin/python3 "$TOP/scripts/patches.py" plan >"$W/plan" ||
		return 1

	t=$(date +%s)
	# -f: Debian's .gitignore ignores the whole top level.
	log "patches: copying $KSRC"
	cp -a "$KSRC/." "$TREE/" &&
		git -C "$TREE" init -q &&
		git -C "$TREE" add -A -f &&
		git -C "$TREE" -c user.name="$DTHEAPS_AUTHOR_NAME" \
			-c user.email="$DTHEAPS_AUTHOR_EMAIL" \
			commit -q -m "Linux (pristine $(basename "$KSRC"))" ||
		die "patches" "cannot set up a git tree in $TREE"
	log "patches: tree in $(( $(date +%s) - t ))s"

	# The fragment is made from the final Kconfig files; options that
	# do not exist yet are dropped by Kconfig in the early patches.
	fragment | once >"$W/fragment"
	PROJECT_RE=$(project_re)

	t=$(date +%s)
	build base || return 1
	log "patches: base build in $(( $(date +%s) - t ))s"

	for p in "$W"/series/*.patch; do
		name=$(basename "$p" .patch)
		case "$name" in 0000-*) continue ;; esac
		t=$(date +%s)
		if ! git -C "$TREE" -c user.name="$DTHEAPS_AUTHOR_NAME" \
			-c user.email="$DTHEAPS_AUTHOR_EMAIL" am -q "$p" \
			>"$W/logs/am-$name.log" 2>&1; then
			fail "apply:$name" "git am failed (see $W/logs/am-$name.log)"
			git -C "$TREE" am --abort >/dev/null 2>&1
			return 1
		fi
		pass "apply:$name"
		checkpatch "$name" "$p"
		build "$name"
		log "patches: $name in $(( $(date +%s) - t ))s"
	done

	check_result
	log "patches: test took $(( $(date +%s) - t0 ))s"
}

setup
case "${1:-}" in
test)
	run_test
	;;
plan)
	/usr/bin/python3 "$TOP/scripts/patches.py" plan
	;;
-h | --help)
	sed -n '4,17p' "$0"
	;;
*)
	identity
	out=${1:-$BUILD/patches}
	write_series "$out" "$BUILD/patches-work" || exit 1
	log "patches: $(ls "$out" | wc -l) files in $out"
	;;
esac
