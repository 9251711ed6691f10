#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything that runs in, or goes into, the arm64 VM.
#
#   vm.sh user               build the userspace programs for the VM
#   vm.sh dtb [DTS]          QEMU's own DTB with the heap overlay applied
#   vm.sh boot MODE LOG      boot with an initramfs in MODE
#                            (demo|test|bench|kunit|shell)
#
# Settings: DTS (overlay, default dts/vm.dtso), EXTRA (programs or scripts
# to run in the VM after MODE), KERNEL (Image), MODULES (the kernel's
# modules_install directory, default: modules-install of KERNEL's build),
# VM_TIMEOUT (seconds).
set -euo pipefail

. "$(dirname "$0")/lib.sh"

CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
USER_OUT=$BUILD/user
VM_OUT=$BUILD/vm
DTS=${DTS:-$TOP/dts/vm.dtso}
KERNEL=${KERNEL:-$BUILD/out/vm/arch/arm64/boot/Image}
MODULES=${MODULES:-$(dirname "$KERNEL")/../../../modules-install}
VM_TIMEOUT=${VM_TIMEOUT:-600}
# The VM's shape. The DTB is dumped from QEMU with these same settings.
# The kernel uses 1 GiB of the RAM (mem=1G); the last 128 MiB, a memory
# section of their own, with no struct pages, are where dts/vm.dtso
# emulates an on-chip SRAM.
#
# make check on another board's tree (scripts/check.sh) boots a DTB of
# its own (VM_DTB) with the board's RAM: VM_RAM_MB for QEMU, and
# VM_KERNEL_MEM empty so that the kernel uses all of it.
VM_RAM_MB=${VM_RAM_MB:-1152}
VM_KERNEL_MEM=${VM_KERNEL_MEM-1G}
QEMU_MACHINE=(-M virt -cpu cortex-a57 -smp 2 -m "$VM_RAM_MB" -nic none)
mkdir -p "$USER_OUT" "$VM_OUT"

# An overlay of the root node has to restate the root's cell sizes, which
# dtc, not seeing the base tree, calls unnecessary. That one check is off;
# every other warning fails the build.
DTC_FLAGS="-@ -I dts -O dtb -i $TOP/dts -W no-avoid_unnecessary_addr_size"

build_user() {
	local hdr ksrc tool

	: >"$LOGDIR/user.log"
	for tool in dma-heap dma-heap-fuzz; do
		make -C "$TOP/tools/$tool" O="$USER_OUT" \
			CROSS_COMPILE="$CROSS_COMPILE" >>"$LOGDIR/user.log" 2>&1 ||
			die "user" "building tools/$tool failed" "$LOGDIR/user.log"
	done

	# Mainline's kselftest, against mainline's own uapi headers: this is
	# the "binary built against mainline works unchanged" check.
	hdr=$("$TOP/scripts/kernel.sh" headers)
	ksrc=$(cat "$BUILD/linux/.dtheaps-src")
	"${CROSS_COMPILE}gcc" -static -O2 -Wall -I"$hdr/include" \
		-o "$USER_OUT/dmabuf-heap" \
		"$ksrc/tools/testing/selftests/dmabuf-heaps/dmabuf-heap.c" \
		>>"$LOGDIR/user.log" 2>&1 ||
		die "user" "building the dmabuf-heaps kselftest failed" \
			"$LOGDIR/user.log"
}

# build_dtb DTS OUT: the DTB QEMU generates for this machine, with DTS
# applied as an overlay, so memory size and devices always match the VM.
build_dtb() {
	local dts=$1 out=$2 base=$VM_OUT/qemu-virt.dtb name
	name=$(basename "${dts%.*}")

	[ -f "$dts" ] || die "dtb" "no such overlay: $dts"
	qemu-system-aarch64 "${QEMU_MACHINE[@]}" \
		-machine dumpdtb="$base" -display none \
		>"$LOGDIR/dumpdtb.log" 2>&1 ||
		die "dtb" "qemu could not dump its DTB" "$LOGDIR/dumpdtb.log"

	dtc $DTC_FLAGS -o "$VM_OUT/$name.dtbo" "$dts" \
		>"$LOGDIR/dtc-$name.log" 2>&1 ||
		die "dtb" "$dts does not compile" "$LOGDIR/dtc-$name.log"
	[ ! -s "$LOGDIR/dtc-$name.log" ] ||
		die "dtb" "dtc warnings in $dts" "$LOGDIR/dtc-$name.log"

	fdtoverlay -i "$base" -o "$out" "$VM_OUT/$name.dtbo" \
		>"$LOGDIR/fdtoverlay-$name.log" 2>&1 ||
		die "dtb" "cannot apply $dts to QEMU's DTB" \
			"$LOGDIR/fdtoverlay-$name.log"
}

build_initramfs() {
	local out=$1 root=$VM_OUT/root prog

	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,extra,tests/dma-heap,tests/vm}
	install -m 0755 "$CACHE/busybox-arm64" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	install -m 0755 "$TOP/scripts/vm/init" "$root/init"
	install -m 0755 "$USER_OUT/dma-heap" "$USER_OUT/dmabuf-heap" \
		"$USER_OUT/dma-heap-fuzz" "$root/bin/"
	# Built by scripts/bench.sh only.
	[ ! -f "$USER_OUT/dma-heap-bench" ] ||
		install -m 0755 "$USER_OUT/dma-heap-bench" "$root/bin/"
	install -m 0644 "$TOP/tools/dma-heap/tests/run.sh" "$root/tests/dma-heap/"
	install -m 0644 "$TOP"/tests/vm/*.sh "$root/tests/vm/"
	# The kernel's modules, flat in /lib/modules, for insmod by path.
	mkdir -p "$root/lib/modules"
	if [ -d "$MODULES" ]; then
		find "$MODULES" -name '*.ko' -exec install -m 0644 {} \
			"$root/lib/modules/" \;
	fi
	for prog in ${EXTRA:-}; do
		[ -f "$prog" ] || die "initramfs" "EXTRA program not found: $prog"
		install -m 0755 "$prog" "$root/extra/"
	done
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet |
		gzip -1) >"$out" || die "initramfs" "cpio failed"
}

# boot MODE LOG: boot the VM and wait for it to power off. Non-zero when
# it did not reach the end of its script within VM_TIMEOUT seconds.
# The VM kernel has the KUnit suites built in: they run during boot only
# when BOOTARGS says kunit.enable=1 (scripts/kunit.sh), which overrides
# the kunit.enable=0 given here.
boot() {
	local mode=$1 logf=$2 dtb=$VM_OUT/vm.dtb initrd=$VM_OUT/initramfs.cpio.gz
	local rc=0 qemu_args

	[ -f "$KERNEL" ] || die "boot" "no kernel at $KERNEL"
	if [ -n "${VM_DTB:-}" ]; then
		dtb=$VM_DTB
	else
		build_dtb "$DTS" "$dtb"
	fi
	build_initramfs "$initrd"

	qemu_args=("${QEMU_MACHINE[@]}" -kernel "$KERNEL" -initrd "$initrd"
		-dtb "$dtb" -no-reboot -nographic ${QEMU_EXTRA:-}
		-append "console=ttyAMA0 panic=-1 ${VM_KERNEL_MEM:+mem=$VM_KERNEL_MEM }kunit.enable=0 DTHEAPS_MODE=$mode ${BOOTARGS:-}")
	if [ "$mode" = shell ]; then
		qemu-system-aarch64 "${qemu_args[@]}"
		return
	fi
	timeout --foreground -k 5 "$VM_TIMEOUT" \
		qemu-system-aarch64 "${qemu_args[@]}" </dev/null >"$logf" 2>&1 || rc=$?
	tr -d '\r' <"$logf" >"$logf.tmp" && mv "$logf.tmp" "$logf"
	if [ $rc -eq 124 ]; then
		die "boot" "VM did not finish within ${VM_TIMEOUT}s" "$logf"
	fi
	grep -q '^DTHEAPS-DONE' "$logf" ||
		die "boot" "VM stopped before the end of its script (rc $rc)" "$logf"
}

case "${1:-}" in
user)	build_user ;;
dtb)	build_dtb "${2:-$DTS}" "$VM_OUT/vm.dtb"; echo "$VM_OUT/vm.dtb" ;;
boot)	boot "${2:?mode}" "${3:-$LOGDIR/vm-$2.log}" ;;
*)	die "vm" "usage: vm.sh user|dtb [DTS]|boot MODE [LOG]" ;;
esac
