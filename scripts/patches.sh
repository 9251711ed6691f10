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
# How the test builds: the pristine tree with the series' configuration
# first (build:base: Image, modules), then after each patch what the
# patch can change (build:NAME: the directories of the files it touches
# and of every object that depends on a header it touches, modules
# included, no warning in a project file; and the patch's
# drivers/dma-buf/ linked against the rest of the kernel, below), and
# the whole kernel once more after the last (build:final). The object
# directory lies inside the tree as the VM kernel's does (scripts/
# kernel.sh), and starts as a copy of the VM kernel's when that was
# built from the same pristine tree (see setup_tree). A full build
# after a patch, which walks the whole tree and links the kernel three
# times, takes 15 to 30 seconds on two CPUs even when one file changed;
# instead, link() checks what the linker would resolve.
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
# A direct subdirectory of the tree: Kbuild then names the source "..",
# and the objects ccache holds for the VM kernel serve this tree too.
OUT=$TREE/out

kmake() {
	make -C "$TREE" O="$OUT" ARCH=$ARCH \
		CROSS_COMPILE="$CROSS_COMPILE" CC="$TOP/scripts/ccache-cc ${CROSS_COMPILE}gcc" \
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

# build NAME TARGET...: configure (unless SAME_CONFIG is set: the Kconfig
# files did not change), then build TARGETs; PASS/FAIL build:NAME, unless
# NOPASS is set (then only the failures).
build() {
	local name=$1 logf=$W/logs/build-$1.log warn
	shift

	: >"$logf"
	if { [ -z "${SAME_CONFIG:-}" ] &&
		! kmake KCONFIG_ALLCONFIG="$W/fragment" allnoconfig >>"$logf" 2>&1; } ||
		! kmake "$@" >>"$logf" 2>&1; then
		fail "build:$name" "$(grep -m1 -E 'error|Error' "$logf") (see $logf)"
		return 1
	fi
	warn=$(grep -E '(warning|WARNING)' "$logf" | grep -E "$PROJECT_RE" | head -n1)
	if [ -n "$warn" ]; then
		fail "build:$name" "warning: $warn (see $logf)"
		return 1
	fi
	[ -n "${NOPASS:-}" ] || pass "build:$name"
}

# touched PATCH...: the tree paths the patches change, one a line.
touched() {
	sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' "$@" | sort -u
}

# targets PATCH: what to build after PATCH: the directory of every
# source, Makefile or Kconfig file it touches, and of every object whose
# dependencies (Kbuild's .cmd files) name a header it touches.
targets() {
	local f

	for f in $(touched "$1"); do
		case "$f" in
		*.c | *.S | */Makefile | */Kbuild | */Kconfig*)
			echo "$(dirname "$f")/"
			;;
		*.h | *.dtso | *.dts | *.dtsi)
			grep -rlF --include='.*.cmd' -e "../$f" "$OUT" |
				sed "s|^$OUT/||; s|/[^/]*\$|/|"
			;;
		esac
	done | LC_ALL=C sort -u |
		# A directory whose parent is built already is built with it.
		awk '{ for (p in seen) if (index($0, p) == 1) next; seen[$0]; print }' |
		while read -r f; do [ ! -d "$TREE/$f" ] || echo "$f"; done
}

# symbols OBJECT...: "T name" for each symbol the objects define
# globally ("W name" when weak), "U name" for each they need (a weak
# reference needs nothing).
symbols() {
	"${CROSS_COMPILE}nm" -g "$@" 2>/dev/null |
		awk 'NF == 2 && $1 == "U" { print "U", $2; next }
		     NF == 3 && $2 ~ /^[wWvV]$/ { print "W", $3; next }
		     NF == 3 { print "T", $3 }' | LC_ALL=C sort -u
}

# defined SYMBOLS: the names SYMBOLS (symbols' lines) defines, weakly or not.
defined() { sed -n 's/^[TW] //p' <<<"$1" | LC_ALL=C sort -u; }

# builtin DIR: the objects linked into vmlinux from DIR (its built-in.a,
# a thin archive, lists them).
builtin() {
	(cd "$OUT" && "${CROSS_COMPILE}ar" t "$1/built-in.a" 2>/dev/null)
}

# link_base: after a full build, what the rest of the kernel offers
# drivers/dma-buf/ and what it needs from it. $W/link/rest: the symbols
# vmlinux defines (the linker script's included) that drivers/dma-buf/
# does not; rest-strong: those defined by an object, not weakly;
# needed: symbols objects outside drivers/dma-buf/ need and it defines.
link_base() {
	local dmabuf rest_objs

	mkdir -p "$W/link"
	dmabuf=$( (cd "$OUT" && symbols $(builtin drivers/dma-buf)))
	"${CROSS_COMPILE}nm" -g --defined-only "$OUT/vmlinux" |
		awk '{ print $3 }' | LC_ALL=C sort -u |
		LC_ALL=C comm -23 - <(defined "$dmabuf") >"$W/link/rest"
	rest_objs=$( (cd "$OUT" && "${CROSS_COMPILE}ar" t vmlinux.a) |
		LC_ALL=C sort | LC_ALL=C comm -23 - <(builtin drivers/dma-buf |
		LC_ALL=C sort))
	(cd "$OUT" && symbols $rest_objs) >"$W/link/rest-symbols"
	sed -n 's/^T //p' "$W/link/rest-symbols" >"$W/link/rest-strong"
	sed -n 's/^U //p' "$W/link/rest-symbols" |
		LC_ALL=C comm -12 - <(defined "$dmabuf") >"$W/link/needed"
}

# link NAME: would drivers/dma-buf/ as built now link into the kernel
# last linked in full? Each symbol its objects leave undefined is
# defined by them or by the rest of the kernel; none of their global
# symbols is also defined in the rest; every symbol the rest needs from
# drivers/dma-buf/ is still there. A patch whose configuration adds
# objects elsewhere (a Kconfig select) can look unresolved here: then
# the whole kernel is linked, and that decides.
link() {
	local name=$1 syms undef dup lost why=

	syms=$( (cd "$OUT" && symbols $(builtin drivers/dma-buf)))
	undef=$(sed -n 's/^U //p' <<<"$syms" |
		LC_ALL=C comm -23 - <(defined "$syms") |
		LC_ALL=C comm -23 - "$W/link/rest")
	dup=$(sed -n 's/^T //p' <<<"$syms" |
		LC_ALL=C comm -12 - "$W/link/rest-strong")
	lost=$(LC_ALL=C comm -23 "$W/link/needed" <(defined "$syms"))
	[ -z "$undef" ] || why="undefined: $(echo $undef)"
	[ -z "$dup" ] || why="$why defined twice: $(echo $dup)"
	[ -z "$lost" ] || why="$why gone but used: $(echo $lost)"
	[ -n "$why" ] || return 0
	log "patches: $name: $why; linking the whole kernel to be sure"
	NOPASS=1 build "$name" Image modules || return 1
	link_base
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

# setup_tree: a fresh copy of the pristine tree in $TREE, a git
# repository whose one commit is that tree, and its object directory.
#
# The copy is made of hard links: git am replaces each file it changes
# (it removes it and writes a new one) and the build writes in $OUT
# only, so nothing is written through them; the files the series
# changes are copied outright, so that they are newer than any object.
# The commit holds what git am and checkpatch read from git: the files
# the series changes, include/ (checkpatch's CamelCase list) and
# LICENSES/ (its SPDX check); the rest of the tree is there, untracked,
# as Debian's .gitignore ignores the whole top level anyway (hence -f).
#
# $OUT starts as a copy of the VM kernel's objects (scripts/kernel.sh)
# when those come from the same pristine tree: every file whose content
# differs from what they were built from is one the series changes, so
# Kbuild rebuilds what depends on it, and what the configuration
# changes, and nothing else.
setup_tree() {
	local f files changed=() vm=$BUILD/out/vm

	log "patches: copying $KSRC"
	mkdir -p "$TREE"
	cp -al "$KSRC/." "$TREE/" 2>/dev/null || cp -a "$KSRC/." "$TREE/" ||
		die "patches" "cannot copy $KSRC"
	files=$(touched "$W"/series/*.patch)
	[ -n "$files" ] || die "patches" "the series changes no file"
	for f in $files; do
		[ -f "$KSRC/$f" ] || continue
		rm -f "$TREE/$f"
		cp "$KSRC/$f" "$TREE/$f" || die "patches" "cannot copy $f"
		changed+=("$f")
	done
	git -C "$TREE" init -q &&
		git -C "$TREE" add -f -- LICENSES include "${changed[@]}" &&
		git -C "$TREE" -c user.name="$DTHEAPS_AUTHOR_NAME" \
			-c user.email="$DTHEAPS_AUTHOR_EMAIL" \
			commit -q -m "Linux (pristine $(basename "$KSRC"))" ||
		die "patches" "cannot set up a git tree in $TREE"

	if [ -f "$vm/vmlinux" ] &&
		[ "$(cat "$BUILD/linux/.dtheaps-src" 2>/dev/null)" = "$KSRC" ]; then
		log "patches: objects from $vm"
		rsync -a --exclude=/modules-install "$vm/" "$OUT/" ||
			die "patches" "cannot copy $vm"
	fi
}

run_test() {
	local t0 t p name note cpid same

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
	setup_tree
	log "patches: tree in $(( $(date +%s) - t ))s"

	# The fragment is made from the final Kconfig files; options that
	# do not exist yet are dropped by Kconfig in the early patches.
	fragment | once >"$W/fragment"
	PROJECT_RE=$(project_re)

	t=$(date +%s)
	build base Image modules || return 1
	link_base
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
		# checkpatch and the build both read the tree as the patch
		# left it; they run side by side (a small build leaves a CPU
		# idle most of the time), their lines in this order.
		checkpatch "$name" "$p" >"$W/logs/checkpatch-$name.result" &
		cpid=$!
		same=
		touched "$p" | grep -q '/Kconfig' || same=1
		# shellcheck disable=SC2046 # a list of directories
		{ SAME_CONFIG=$same NOPASS=1 build "$name" drivers/dma-buf/ \
			$(targets "$p") && link "$name" && pass "build:$name"
		} >"$W/logs/build-$name.result"
		wait $cpid
		cat "$W/logs/checkpatch-$name.result" "$W/logs/build-$name.result"
		log "patches: $name in $(( $(date +%s) - t ))s"
	done

	t=$(date +%s)
	build final Image modules
	log "patches: final build in $(( $(date +%s) - t ))s"

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
