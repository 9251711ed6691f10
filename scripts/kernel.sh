#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel source and builds.
#
#   kernel.sh tree            lay the project's files over a copy of the tree
#   kernel.sh vm [OUT]        build the VM kernel Image (project tree): the
#                             KUnit suites of kunit/ are built in, and run
#                             only when the command line says kunit.enable=1
#   kernel.sh debug [OUT]     the VM kernel with KASAN, kmemleak, lockdep,
#                             delayed kobject releases and fault injection
#   kernel.sh modules [OUT]   the VM kernel with every heap type that can
#                             be a module built as one (configs/modules.config)
#   kernel.sh stock OUT       build the same config from the pristine tree
#   kernel.sh headers         install the pristine tree's uapi headers
#   kernel.sh lint [OUT]      compile the project's directories with W=1
#                             and sparse (C=2); the log is printed
#   kernel.sh map             print overlay_map: project dir, kernel dir
#   kernel.sh ksrc            print the pristine tree's path
#   kernel.sh fragment NAME   print the config fragment of vm, modules or
#                             debug
#
# One configuration serves most stages: the VM kernel (scripts/configs/
# vm.config plus kunit/.kunitconfig) is what the vm, vm_defaults,
# dt_invalid and kunit stages boot. The modular and the lint builds start
# from a copy of its object directory ("seeding"), so that they compile
# only what their configuration or flags change; only the debug kernel,
# whose sanitizers change every object, is built from nothing.
#
# Object directories are direct subdirectories of the work tree
# (build/linux/out-NAME, reached through the symlink build/out/NAME): Kbuild
# then names the source tree "..", so no absolute path gets into a
# compiler command line, and ccache serves the same object to any tree
# laid out alike (the patch series' tree, scripts/patches.sh).
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

# outdir NAME: the object directory of build NAME, created, with the
# symlink build/out/NAME to it (see above); prints its real path.
outdir() {
	local real=$WORK/out-$1 link=$BUILD/out/$1

	mkdir -p "$real" "$BUILD/out"
	if [ ! -L "$link" ] || [ "$(readlink "$link")" != "$real" ]; then
		# An object directory of the old layout, or a stale link.
		rm -rf "$link"
		ln -s "$real" "$link"
	fi
	echo "$real"
}

# out_arg NAME [OUT]: OUT if one was given (other than build/out/NAME),
# else NAME's object directory.
out_arg() {
	if [ -n "${2:-}" ] && [ "$2" != "$BUILD/out/$1" ]; then
		mkdir -p "$2"
		(cd "$2" && pwd)
	else
		outdir "$1"
	fi
}

# seed FROM TO: TO becomes a copy of the object directory FROM, so that
# a build in TO compiles only what its configuration or flags change
# (Kbuild compares every object's command line and dependencies, the
# configuration options included, as in any incremental build).
seed() {
	log "kernel: seeding $2 from $1"
	mkdir -p "$2"
	rsync -a --delete --exclude=/modules-install \
		--exclude=/.dtheaps-built "$1/" "$2/" ||
		die "kernel" "cannot copy $1 to $2"
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
			# A new modification time: the pristine file is not the
			# one the objects were built from.
			[ ! -f "$KSRC/$f" ] || cp "$KSRC/$f" "$WORK/$f"
		done
	fi

	overlay_map | while read -r from to; do
		mkdir -p "$WORK/$to"
		rsync -rlt --exclude=.kunitconfig "$TOP/$from" "$WORK/$to"
	done
	# Written whole or not at all: the debug kernel's build, in the
	# background (scripts/test.sh), may read it at the same time.
	echo "$new" >"$old.$$" && mv "$old.$$" "$old"
}

kmake() {
	make -C "$WORK" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$TOP/scripts/ccache-cc ${CROSS_COMPILE}gcc" -j"$JOBS" "$@"
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

# merge_fragments FRAGMENT...: the fragments' lines, an option set again
# by a later fragment ("CONFIG_X=..." or "# CONFIG_X is not set") only
# with its last value, so that every line of the result can take.
merge_fragments() {
	awk '
	function sym(l, s) {
		if (match(l, /^CONFIG_[A-Za-z0-9_]+=/))
			return substr(l, 1, RLENGTH - 1)
		if (match(l, /^# CONFIG_[A-Za-z0-9_]+ is not set/)) {
			s = substr(l, 3)
			sub(/ .*/, "", s)
			return s
		}
		return ""
	}
	{ line[NR] = $0; s = sym($0); if (s != "") last[s] = NR }
	END {
		for (i = 1; i <= NR; i++) {
			s = sym(line[i])
			if (s == "" || last[s] == i)
				print line[i]
		}
	}' "$@"
}

# fragment NAME: the configuration of build NAME, from its fragments.
# The VM kernel has the KUnit suites built in (kunit/.kunitconfig; VM
# options win where both set one); the modular kernel is the VM kernel
# with scripts/configs/modules.config over it; the debug kernel is the
# VM kernel with the sanitizers (scripts/configs/debug.config), so that
# the KUnit suites run there too, with kobject releases delayed.
fragment() {
	case "$1" in
	vm)	merge_fragments "$TOP/kunit/.kunitconfig" \
			"$TOP/scripts/configs/vm.config" ${CONFIG_EXTRA:-} ;;
	modules) merge_fragments "$TOP/kunit/.kunitconfig" \
			"$TOP/scripts/configs/vm.config" \
			"$TOP/scripts/configs/modules.config" ;;
	debug)	merge_fragments "$TOP/kunit/.kunitconfig" \
			"$TOP/scripts/configs/vm.config" \
			"$TOP/scripts/configs/debug.config" ;;
	*)	die "config" "no configuration named $1" ;;
	esac
}

# configure SRC OUT FRAGMENT...: allnoconfig plus fragments, only when the
# fragments changed, so an unchanged config never triggers a rebuild.
configure() {
	local src=$1 out=$2 frag
	shift 2
	mkdir -p "$out"
	merge_fragments "$@" >"$out/fragment.new"
	if ! cmp -s "$out/fragment.new" "$out/fragment" || [ ! -f "$out/.config" ]; then
		make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
			KCONFIG_ALLCONFIG="$out/fragment.new" allnoconfig \
			>"$LOGDIR/config.log" 2>&1 ||
			die "config" "allnoconfig failed" "$LOGDIR/config.log"
		mv "$out/fragment.new" "$out/fragment"
	fi
	check_config "$out" "$out/fragment" "${SKIP_UNKNOWN_CONFIG:+$src}"
}

# build_image SRC OUT LOG FRAGMENT...: the Image and, when the config has
# modules, the modules, installed (stripped) under OUT/modules-install for
# the VM's initramfs. Any compiler or modpost warning about the project's
# files fails the build.
build_image() {
	local src=$1 out=$2 logf=$3 targets=Image stamp=$2/.dtheaps-built
	shift 3
	configure "$src" "$out" "$@"
	if up_to_date "$src" "$out"; then
		log "kernel: $out is up to date"
		return 0
	fi
	rm -f "$stamp"
	grep -q '^CONFIG_MODULES=y' "$out/.config" && targets="Image modules"
	make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$TOP/scripts/ccache-cc ${CROSS_COMPILE}gcc" -j"$JOBS" $targets >"$logf" 2>&1 ||
		die "kernel" "build failed in $out" "$logf"
	if grep -E ' warning: |WARNING: modpost' "$logf" | grep -E 'dma-buf|dma-heap'; then
		# Compiled again next time, so that the warnings are seen again
		# (ccache replays them) rather than the objects taken as good.
		find "$out/drivers/dma-buf" -name '*.o' -delete 2>/dev/null
		die "kernel" "compiler warnings in the project's files" "$logf"
	fi
	rm -rf "$out/modules-install"
	if [ "$targets" != Image ]; then
		make -C "$src" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
			INSTALL_MOD_PATH="$out/modules-install" INSTALL_MOD_STRIP=1 \
			modules_install >>"$logf" 2>&1 ||
			die "kernel" "modules_install failed in $out" "$logf"
	fi
	touch "$stamp"
	return 0
}

# up_to_date SRC OUT: the last build in OUT succeeded and no file of SRC
# changed since (configure kept the configuration): a build would have
# nothing to do, and Kbuild takes some seconds to find that out. The
# project's files are laid over the work tree by rsync, which writes
# only the files that changed, and Kbuild itself decides by the same
# modification times.
up_to_date() {
	local src=$1 out=$2 stamp=$2/.dtheaps-built

	[ -f "$stamp" ] && [ -f "$out/arch/arm64/boot/Image" ] &&
		[ ! "$out/.config" -nt "$stamp" ] &&
		[ -z "$(find "$src" -path "$src/out-*" -prune -o -type f \
			! -name ".dtheaps-*" \
			-newer "$stamp" -print -quit)" ]
}

case "${1:-}" in
tree)
	prepare_tree
	;;
vm)
	prepare_tree
	out=$(out_arg vm "${2:-}")
	fragment vm >"$out/vm.fragment"
	build_image "$WORK" "$out" "$LOGDIR/kernel-vm.log" "$out/vm.fragment"
	;;
debug)
	prepare_tree
	out=$(out_arg debug "${2:-}")
	fragment debug >"$out/debug.fragment"
	build_image "$WORK" "$out" "$LOGDIR/kernel-debug.log" \
		"$out/debug.fragment"
	;;
modules)
	# The VM kernel first: a new object directory starts as a copy of
	# its, and the modular build then compiles only what the heap types
	# as modules change, and links.
	"$0" vm
	out=$(out_arg modules "${2:-}")
	[ -f "$out/.config" ] || seed "$(outdir vm)" "$out"
	fragment modules >"$out/modules.fragment"
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
	out=$(cd "$2" && pwd)
	# The VM kernel's configuration, so that both kernels differ only
	# in the project's code.
	fragment vm >"$out/vm.fragment"
	build_image "$KSRC" "$out" "$LOGDIR/kernel-stock.log" "$out/vm.fragment"
	;;
lint)
	# Every option of the project on, KUnit tests included, so that
	# every project file is compiled and checked: the VM kernel's
	# configuration. A new object directory starts as a copy of the
	# VM kernel's when that is built, so that nothing needs preparing.
	# drivers/dma-buf/ is compiled again every time, so that every
	# W=1 warning is seen (ccache replays the warnings of a file it
	# has compiled before).
	prepare_tree
	out=$(out_arg lint "${2:-}")
	vm=$(outdir vm)
	if [ ! -f "$out/.config" ] && [ -f "$vm/vmlinux" ] &&
		cmp -s <(fragment vm) "$vm/fragment"; then
		seed "$vm" "$out"
	fi
	fragment vm >"$out/vm.fragment"
	rm -rf "$out/drivers/dma-buf"
	configure "$WORK" "$out" "$out/vm.fragment"
	make -C "$WORK" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$TOP/scripts/ccache-cc ${CROSS_COMPILE}gcc" -j"$JOBS" prepare \
		>"$LOGDIR/kernel-lint-prepare.log" 2>&1 ||
		die "lint" "make prepare failed" "$LOGDIR/kernel-lint-prepare.log"
	# C=2: sparse checks every file, compiled this time or not.
	make -C "$WORK" O="$out" ARCH=$ARCH CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$TOP/scripts/ccache-cc ${CROSS_COMPILE}gcc" -j"$JOBS" W=1 C=2 \
		drivers/dma-buf/ 2>&1 ||
		die "lint" "W=1 C=2 build of drivers/dma-buf/ failed"
	;;
fragment)
	fragment "${2:?name}"
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
	die "kernel" "usage: kernel.sh tree|vm [OUT]|debug [OUT]|modules [OUT]|stock OUT|headers|lint [OUT]|map|ksrc|fragment NAME"
	;;
esac
