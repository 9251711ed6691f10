#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kselftest.sh KSELFTEST: mainline's dmabuf-heaps kselftest, unchanged,
# over every heap the CPU may map.
#
# The kselftest maps and writes every buffer it allocates, from every heap
# in /dev/dma_heap. A protected heap refuses CPU mappings by design, so it
# runs with /dev/dma_heap showing the other heaps only: a tmpfs with their
# device nodes, mounted over it for the run. tests/vm/protected.sh checks
# the protected heaps instead (allocation, EPERM from mmap, import into
# vgem).

KSELFTEST=$1
DIR=/dev/dma_heap
VIEW=/tmp/kselftest-heaps

protected() {
	[ -n "$(cat "/sys/class/dma_heap/$1/protected_by" 2>/dev/null)" ]
}

skip=
for dev in "$DIR"/*; do
	[ -e "$dev" ] || continue
	protected "${dev##*/}" && skip="$skip ${dev##*/}"
done
if [ -z "$skip" ]; then
	exec "$KSELFTEST"
fi

echo "# kselftest: protected heaps left out (mmap refused):$skip"
mkdir -p "$VIEW"
mount -t tmpfs kselftest-heaps "$VIEW" || exit 1
for dev in "$DIR"/*; do
	protected "${dev##*/}" && continue
	cp -a "$dev" "$VIEW/" || exit 1
done
mount --bind "$VIEW" "$DIR" || exit 1
"$KSELFTEST"
rc=$?
umount "$DIR"
umount "$VIEW"
exit $rc
