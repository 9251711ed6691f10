#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel source and builds.
#
#   kernel.sh tree            lay the project's files over a copy of the tree
#   kernel.sh vm [OUT]        build the VM kernel Image (project tree)
#   kernel.sh debug [OUT]     the same with KASAN, kmemleak, lockdep and
#                             fault injection
#   kernel.sh modules [OUT]   the VM kernel with every heap type that can
#                             be a module built as one (configs/modules.config)
#   kernel.sh stock OUT       build the same config from the pristine tree
#   kernel.sh headers         install the pristine tree's uapi headers
#   kernel.sh lint [OUT]      compile the project's directories with W=1
#                             and sparse (C=1); the log is printed
#   kernel.sh map             print overlay_map: project dir, kernel dir
#   kernel.sh ksrc            print the pristine tree's path
#
# The pristine tree (KSRC, default: Debian's linux-source-6.12 unpacked
# under build/src) is never written to. The work tree is a hard-linked
# copy; overlaid files are written by rsync, which replaces files instead
# of writing through the link, so the pristine copy stays untouched.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

ARCH=arm64
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
JOBS=${JOBS:-$(nproc)}
WORK=$BUILD/linux
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}

default_ksrc() {
	local tarball=/usr/src/linux-source-6.12.tar.xz
	local dir=$BUILD/src/linux-source-6.12

	if [ ! -f "$dir/Makefile" ]; then
		[ -f "$tarball" ] || die "source" "$tarball missing; run scripts/deps.sh"
		log "source: unpacking $tarball"
		rm -rf "$dir"
		mkdir -p "$BUILD/src"
		tar -C "$BUILD/src" -xf "$tarball" ||
			die "source" "cannot unpack $tarball"
	fi
	echo "$dir"
}

KSRC=${KSRC:-$(default_ksrc)}
KSRC=$(cd "$KSRC" && pwd)
[ -f "$KSRC/Makefile" ] || die "source" "KSRC=$KSRC is not a kernel tree"

# Project paths and where they go in the kernel tree. The patch series
# (scripts/patches.sh) reads this too, through "kernel.sh map".
overlay_map() {
	echo "kernel/ ./"
	echo "include/uapi/ include/uapi/"
	echo "kunit/ drivers/dma-buf/heaps/tests/"
	echo "bindings/dma-heap/ Documentation/devicetree/bindings/dma-heap/"
	echo "Documentation/ Documentation/"
}

overlay_files() {
	local from to
	overlay_map | while read -r from to; do
		(cd "$TOP/$from" && find . -type f ! -name '.kunitconfig' |
			sed "s|^\./|$to|; s|^\./||")
	done | sort
}

prepare_tree() {
	local stamp=$WORK/.dtheaps-src old new f from to

	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$KSRC" ]; then
		log "tree: copying $KSRC"
		rm -rf "$WORK"
		cp -al "$KSRC" "$WORK" 2>/dev/null || cp -a "$KSRC" "$WORK"
		echo "$KSRC" >"$stamp"
	fi

	# Files the project no longer has go back to their pristine state.
	old=$WORK/.dtheaps-manifest
	new=$(overlay_files)
	if [ -f "$old" ]; then
		comm -23 "$old" <(echo "$new") | while read -r f; do
			rm -f "$WORK/$f"
			[ ! -f "$KSRC/$f" ] || cp -a "$KSRC/$f" "$WORK/$f"
		done
	fi

	overlay_map | while read -r from to; do
		mkdir -p "$WORK/$to"
		rsync -rlt --exclude=.kunitconfig "$TOP/$from" "$WORK/$to"
	done
	echo "$new" >"$old"
}

kmake() {
	make -C "$WORK" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" "$@"
}

# kconfig_defines SRC SYMBOL: some Kconfig file of the tree declares SYMBOL.
kconfig_defines() {
	grep -rqE --include='Kconfig*' \
		"^[[:space:]]*(menu)?config[[:space:]]+$2[[:space:]]*\$" "$1"
}

# Every line of the fragment must survive Kconfig's dependency checks:
# a silently dropped option would make the VM test something else.
# check_config OUT FRAGMENT [SRC]: with SRC, lines whose symbol SRC's
# Kconfig does not know are skipped: the pristine tree lacks the
# project's own options, and the stock build must still get the rest.
check_config() {
	local out=$1 frag=$2 src=${3:-} line sym missing=0

	while read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qx "$line" "$out/.config" && continue
		sym=${line%%=*}
		if [ -n "$src" ] && ! kconfig_defines "$src" "${sym#CONFIG_}"; then
			log "config: $line: not in this tree's Kconfig, skipped"
			continue
		fi
		log "config: $line did not take"
		missing=1
	done <"$frag"
	[ $missing -eq 0 ] || die "config" "options missing from $out/.config"
}

# configure SRC OUT FRAGMENT...: allnoconfig plus fragments, only when the
# fragments changed, so an unchanged config never triggers a rebuild.
configure() {
	local src=$1 out=$2 frag
	shift 2
	mkdir -p "$out"
	cat "$@" >"$out/fragment.new"
	if ! cmp -s "$out/fragment.new" "$out/fragment" || [ ! -f "$out/.config" ]; then
		make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
			KCONFIG_ALLCONFIG="$out/fragment.new" allnoconfig \
			>"$LOGDIR/config.log" 2>&1 ||
			die "config" "allnoconfig failed" "$LOGDIR/config.log"
		mv "$out/fragment.new" "$out/fragment"
	fi
	check_config "$out" "$out/fragment" "${SKIP_UNKNOWN_CONFIG:+$src}"
}

# override_fragment BASE OVERRIDE: BASE without the options OVERRIDE sets,
# then OVERRIDE, so that every line of the result can take.
override_fragment() {
	grep -vE "^($(grep -oE '^CONFIG_[A-Za-z0-9_]+' "$2" | paste -sd'|'))=" "$1"
	cat "$2"
}

# build_image SRC OUT LOG FRAGMENT...: the Image and, when the config has
# modules, the modules, installed (stripped) under OUT/modules-install for
# the VM's initramfs. Any compiler or modpost warning about the project's
# files fails the build.
build_image() {
	local src=$1 out=$2 logf=$3 targets=Image
	shift 3
	configure "$src" "$out" "$@"
	grep -q '^CONFIG_MODULES=y' "$out/.config" && targets="Image modules"
	make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" $targets >"$logf" 2>&1 ||
		die "kernel" "build failed in $out" "$logf"
	grep -E ' warning: |WARNING: modpost' "$logf" | grep -E 'dma-buf|dma-heap' &&
		die "kernel" "compiler warnings in the project's files" "$logf"
	rm -rf "$out/modules-install"
	if [ "$targets" != Image ]; then
		make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
			INSTALL_MOD_PATH="$out/modules-install" INSTALL_MOD_STRIP=1 \
			modules_install >>"$logf" 2>&1 ||
			die "kernel" "modules_install failed in $out" "$logf"
	fi
	return 0
}

case "${1:-}" in
tree)
	prepare_tree
	;;
vm)
	prepare_tree
	build_image "$WORK" "${2:-$BUILD/out/vm}" "$LOGDIR/kernel-vm.log" \
		"$TOP/scripts/configs/vm.config" ${CONFIG_EXTRA:-}
	;;
debug)
	prepare_tree
	build_image "$WORK" "${2:-$BUILD/out/debug}" "$LOGDIR/kernel-debug.log" \
		"$TOP/scripts/configs/vm.config" "$TOP/scripts/configs/debug.config"
	;;
modules)
	prepare_tree
	out=${2:-$BUILD/out/modules}
	mkdir -p "$out"
	override_fragment "$TOP/scripts/configs/vm.config" \
		"$TOP/scripts/configs/modules.config" >"$out/modules.fragment"
	build_image "$WORK" "$out" "$LOGDIR/kernel-modules.log" \
		"$out/modules.fragment"
	# What must have come out as modules did.
	for m in $(sed -n 's/^CONFIG_\(.*\)=m$/\1/p' \
		"$TOP/scripts/configs/modules.config"); do
		f=$(sed -n "s/^obj-\$(CONFIG_$m)[[:space:]]*+= *\(.*\)\.o$/\1/p" \
			"$TOP/kernel/drivers/dma-buf/heaps/Makefile")
		[ -n "$f" ] && [ -f "$out/drivers/dma-buf/heaps/$f.ko" ] ||
			die "kernel" "CONFIG_$m=m built no module ${f:-?}.ko" \
				"$LOGDIR/kernel-modules.log"
		log "modules: drivers/dma-buf/heaps/$f.ko"
	done
	;;
stock)
	SKIP_UNKNOWN_CONFIG=1
	# make -C runs in the source tree: a relative OUT must not land there.
	mkdir -p "${2:?output dir}"
	build_image "$KSRC" "$(cd "$2" && pwd)" "$LOGDIR/kernel-stock.log" \
		"$TOP/scripts/configs/vm.config"
	;;
lint)
	# Every option of the project on, KUnit tests included, so that
	# every project file is compiled and checked.
	out=${2:-$BUILD/out/lint}
	prepare_tree
	configure "$WORK" "$out" "$TOP/scripts/configs/vm.config" \
		"$TOP/kunit/.kunitconfig"
	make -C "$WORK" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" prepare \
		>"$LOGDIR/kernel-lint-prepare.log" 2>&1 ||
		die "lint" "make prepare failed" "$LOGDIR/kernel-lint-prepare.log"
	# C=2: sparse checks every file, compiled this time or not.
	make -C "$WORK" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" W=1 C=2 \
		drivers/dma-buf/ 2>&1 ||
		die "lint" "W=1 C=2 build of drivers/dma-buf/ failed"
	;;
map)
	overlay_map
	;;
ksrc)
	echo "$KSRC"
	;;
headers)
	out=$BUILD/out/headers-stock
	if [ ! -f "$out/include/linux/dma-heap.h" ]; then
		make -C "$KSRC" O="$BUILD/out/headers-obj" ARCH=$ARCH \
			INSTALL_HDR_PATH="$out" headers_install \
			>"$LOGDIR/headers.log" 2>&1 ||
			die "headers" "headers_install failed" "$LOGDIR/headers.log"
	fi
	echo "$out"
	;;
*)
	die "kernel" "usage: kernel.sh tree|vm [OUT]|debug [OUT]|modules [OUT]|stock OUT|headers|lint [OUT]|map|ksrc"
	;;
esac
