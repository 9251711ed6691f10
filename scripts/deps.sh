#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build, the VM and the tests need, from Debian's archive.
# Packages that are already present are skipped so a re-run costs nothing.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

PKGS=(
	build-essential flex bison bc libssl-dev libelf-dev cpio kmod rsync
	xz-utils ccache sparse python3 python3-yaml python3-docutils python3-sphinx
	python3-ply python3-git git
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-arm device-tree-compiler dt-schema
	linux-source-6.12
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ ${#missing[@]} -gt 0 ]; then
	log "deps: installing ${missing[*]}"
	$SUDO apt-get update >"$LOGDIR/apt-update.log" 2>&1 ||
		die "deps" "apt-get update failed" "$LOGDIR/apt-update.log"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
		--no-install-recommends "${missing[@]}" >"$LOGDIR/apt-install.log" 2>&1 ||
		die "deps" "apt-get install failed" "$LOGDIR/apt-install.log"
fi

# An arm64 busybox for the VM's initramfs: Debian ships it only as an
# arm64 package, so fetch the .deb and unpack the one binary from it.
BUSYBOX="$CACHE/busybox-arm64"
if [ ! -x "$BUSYBOX" ]; then
	log "deps: fetching busybox-static:arm64"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64
		$SUDO apt-get update >"$LOGDIR/apt-update.log" 2>&1 ||
			die "deps" "apt-get update failed" "$LOGDIR/apt-update.log"
	fi
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download busybox-static:arm64) \
		>"$LOGDIR/busybox.log" 2>&1 ||
		die "deps" "cannot download busybox-static:arm64" "$LOGDIR/busybox.log"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
	install -m 0755 "$tmp/x/bin/busybox" "$BUSYBOX"
	rm -rf "$tmp"
fi
exit 0
