#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh DTS: what a device tree overlay of heaps would give, before any
# device boots it (make check DTS=board.dtso [BASE=board.dtb]
# [BINDINGS="vendor.yaml dir/"]).
#
#   1. dtc compiles DTS with the VM's flags, without a warning;
#   2. dt-schema: DTS applied to BASE (default: QEMU's DTB, as the VM gets
#      it) validates against the project's bindings and BINDINGS (the
#      vendor's own binding files or directories);
#   3. the kernel's own checks: the VM kernel boots on the overlay, so
#      every heap node goes through the parser, the registry and its
#      heap type exactly as on a device, and one verdict
#      line per heap node says what came of it:
#
#        check: heap camera: becomes /dev/dma_heap/camera (carveout, uncached, ...)
#        check: heap cam2: refused: /dma-heaps/cam2: memory-region: overlaps ...
#        check: heap foo: waits for its type: ... no heap type acme,foo registered (yet) ...
#
#      With BASE, the overlay is for another board: its reserved-memory
#      and heaps nodes are grafted onto QEMU's tree as they are, and QEMU
#      gets RAM from 0x40000000 up to where the board's ends, so that the
#      kernel judges the same regions against the same end of memory
#      (scripts/check-graft.py). A board whose RAM starts below
#      0x40000000 has its regions moved up by whole GiBs, which keeps
#      every overlap and alignment; 1-cell addresses and sizes are
#      written out as 2-cell ones. A board that cannot be put on the VM
#      (RAM ending, once moved, more than 16 GiB above 0x40000000; a
#      reserved-memory the kernel would not read) gets verdicts that say
#      so, and only the schema is checked. Devices of the board (an
#      SRAM) are not there: their heaps are refused.
#
# The last line is "check: N heaps, M refused, W waiting for their type,
# schema ok|errors"; the exit status is 0 when the schema passed, the
# boot logged no kernel report (oops, BUG, WARNING: KERNEL_REPORT in
# lib.sh), and no heap node was refused (one whose type is a module the
# VM kernel lacks waits: the tree's checks passed, the type's own are not
# known).
# Outputs (merged DTB, validation and boot logs) are under build/check/.
# BUILD may name another build directory for the boot (dt-invalid.sh's
# slots); the boot log is then $OUT/NAME.boot.log either way.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

DTS=${1:-${DTS:-}}
BASE=${BASE:-}
BINDINGS=${BINDINGS:-}
OUT=${CHECK_OUT:-$BUILD/check}
VM_TIMEOUT=${VM_TIMEOUT:-60}
# As in scripts/vm.sh.
DTC_FLAGS="-@ -I dts -O dtb -i $TOP/dts -W no-avoid_unnecessary_addr_size"

[ -n "$DTS" ] || die "check" "usage: make check DTS=overlay.dtso [BASE=board.dtb] [BINDINGS=...]"
[ -f "$DTS" ] || die "check" "$DTS: no such file"
[ -z "$BASE" ] || [ -f "$BASE" ] || die "check" "BASE=$BASE: no such file"
mkdir -p "$OUT" || die "check" "cannot create $OUT"

name=$(basename "$DTS" .dtso)
name=${name%.dts}
dtbo=$OUT/$name.dtbo
dtb=$OUT/$name.dtb
vlog=$OUT/$name.validate.log
blog=$OUT/$name.boot.log

# shellcheck disable=SC2086 # DTC_FLAGS is a list of words
if ! dtc $DTC_FLAGS -o "$dtbo" "$DTS" >"$OUT/$name.dtc.log" 2>&1 ||
	[ -s "$OUT/$name.dtc.log" ]; then
	sed 's/^/check: dtc: /' "$OUT/$name.dtc.log"
	echo "check: dtc refuses $DTS: nothing else checked"
	exit 1
fi

# The merged tree: on the VM's base as vm.sh builds it, or on BASE.
if [ -z "$BASE" ]; then
	"$TOP/scripts/vm.sh" dtb "$DTS" >/dev/null 2>"$OUT/$name.dtb.log" ||
		die "check" "cannot apply $DTS to QEMU's DTB" "$OUT/$name.dtb.log"
	cp "$BUILD/vm/vm.dtb" "$dtb"
	# QEMU's own dynamic-sysbus node has no binding anywhere.
	fdtput -r "$dtb" /platform-bus@c000000 2>/dev/null
elif ! fdtoverlay -i "$BASE" -o "$dtb" "$dtbo" >"$OUT/$name.dtb.log" 2>&1; then
	sed 's/^/check: fdtoverlay: /' "$OUT/$name.dtb.log"
	echo "check: $DTS does not apply to $BASE (built with -@?): nothing else checked"
	exit 1
fi

# CHECK_SCHEMA: a processed schema made already (dt-invalid.sh's).
schema_json=${CHECK_SCHEMA:-$OUT/schema.json}
if [ -z "${CHECK_SCHEMA:-}" ]; then
	# shellcheck disable=SC2086 # BINDINGS is a list of paths
	dt-mk-schema -j -o "$schema_json" "$TOP/bindings" $BINDINGS \
		>"$OUT/dt-mk-schema.log" 2>&1 ||
		die "check" "dt-mk-schema failed" "$OUT/dt-mk-schema.log"
fi
dt-validate -s "$schema_json" "$dtb" >"$vlog" 2>&1
if [ -s "$vlog" ]; then
	schema=errors
	sed 's/^/check: schema: /' "$vlog"
else
	schema=ok
	echo "check: schema: no error"
fi

# The heap nodes of the merged tree, by path: the children of every node
# compatible with "linux,dma-heaps", as the kernel finds them.
heap_nodes() {
	dtc -q -I dtb -O dts "$1" 2>/dev/null | awk '
	/ \{$/ {
		# The name is the last word: newer dtc puts labels first.
		d++
		nm[d] = $(NF - 1)
		if (d > 1 && hp[d - 1]) {
			p = ""
			for (i = 2; i <= d; i++)
				p = p "/" nm[i]
			print p
		}
		hp[d] = 0
		next
	}
	/^[[:space:]]*\};$/ { d--; next }
	/^[[:space:]]*compatible = / && /"linux,dma-heaps"/ { hp[d] = 1 }'
}
mapfile -t nodes < <(heap_nodes "$dtb")

# Another board: its regions and heap nodes, grafted onto QEMU's tree,
# and QEMU given RAM up to where the board's ends (scripts/check-graft.py).
# The VM's own shape, whatever the environment says, unless BASE changes it.
boot_env=(VM_DTB= VM_RAM_MB=1152 VM_KERNEL_MEM=1G)
if [ -n "$BASE" ]; then
	printf '/dts-v1/;\n/plugin/;\n&{/} {\n};\n' >"$OUT/empty.dtso"
	graft=$(
		VM_RAM_MB=1152 "$TOP/scripts/vm.sh" dtb "$OUT/empty.dtso" >/dev/null &&
		dtc -q -I dtb -O dts "$BUILD/vm/qemu-virt.dtb" >"$OUT/qemu.dts" &&
		dtc -q -I dtb -O dts "$dtb" >"$OUT/$name.board.dts" &&
		/usr/bin/python3 "$TOP/scripts/check-graft.py" \
			"$OUT/$name.board.dts" "$OUT/qemu.dts" "$OUT/$name.vm.dts"
	)
	rc=$?
	# 2: the board cannot be put on the VM, and the graft says why.
	[ $rc -eq 0 ] || [ $rc -eq 2 ] ||
		die "check" "putting the board's nodes on the VM failed (status $rc)"
	if [[ ! $graft =~ ^RAM_MB=([0-9]+)\ MOVE=([0-9]+)$ ]]; then
		[ -n "$graft" ] || graft="the board's tree could not be put on the VM"
		for path in "${nodes[@]}"; do
			echo "check: heap ${path##*/}: not checked by the kernel: $graft"
		done
		echo "check: ${#nodes[@]} heaps, kernel checks not run, schema $schema"
		[ "$schema" = ok ]
		exit
	fi
	dtc -q -I dts -O dtb -o "$OUT/$name.vm.dtb" "$OUT/$name.vm.dts" ||
		die "check" "the board's nodes on QEMU's tree do not compile"
	ram_mb=${BASH_REMATCH[1]} move=${BASH_REMATCH[2]}
	boot_env=(VM_DTB="$OUT/$name.vm.dtb" "VM_RAM_MB=$ram_mb"
		VM_KERNEL_MEM=)
	echo "check: kernel: the board's regions and heap nodes on the VM, with $ram_mb MiB of RAM from 0x40000000"
	[ "$move" = 0 ] ||
		echo "check: kernel: the board's regions moved up by $move GiB, onto the VM's RAM and clear of its kernel (overlaps and alignments kept; addresses in the kernel's lines are $move GiB higher)"
fi

rm -f "$blog"
env "${boot_env[@]}" DTS="$DTS" BOOTARGS="${BOOTARGS:-}" \
	VM_TIMEOUT="$VM_TIMEOUT" \
	"$TOP/scripts/vm.sh" boot demo "$blog" >/dev/null 2>"$OUT/$name.vm.log"
# No verdict from a boot that did not reach the heap list, and none that
# hides a crash or a warning on the way.
grep -q '^### dma-heap list' "$blog" 2>/dev/null ||
	die "check" "the VM did not boot to the heap list (see $blog)" "$OUT/$name.vm.log"
crash=$(grep -m1 -E "$KERNEL_REPORT" "$blog")
[ -z "$crash" ] || echo "check: kernel log: $crash (see $blog)"

# The demo's "dma-heap list" table: NAME TYPE CACHED PROTECTED SIZE USED
# BUFFERS FALLBACK, one line per heap; kernel messages are skipped.
heap_row() {
	awk -v h="$1" '/^### dma-heap list/ { on = 1; next }
	     !on || /^\[/ { next }
	     /^#/ { on = 0; next }
	     NF == 8 && $1 == h { print; exit }' "$blog"
}

# heap_names: every heap of the table.
heap_names() {
	awk '/^### dma-heap list/ { on = 1; next }
	     !on || /^\[/ { next }
	     /^#/ { on = 0; next }
	     NF == 8 && $1 != "NAME" { print $1 }' "$blog"
}

# describe TYPE CACHED PROTECTED SIZE USED BUFFERS FALLBACK: one phrase.
describe() {
	local what=$1

	[ "$2" = yes ] && what="$what, cached" || what="$what, uncached"
	[ "$4" = - ] && what="$what, no fixed size" || what="$what, $4"
	[ "$3" = - ] || what="$what, protected by $3"
	[ "$7" = - ] || what="$what, falls back to $7"
	echo "$what"
}

# messages PATH: what the kernel logged about the node at PATH, joined.
messages() {
	sed 's|^\[[^]]*\] ||' "$blog" | grep -F "dma-heaps: $1: " |
		sed 's|^dma-heaps: ||' | paste -sd '|'
}

refused=0 waiting=0 disabled=0
for path in "${nodes[@]}"; do
	n=${path##*/}
	# The node's path too when the name alone could be another node's.
	[ "$path" = "/dma-heaps/$n" ] || n="$n ($path)"
	# A node the tree itself disables is no heap, and no fault.
	case $(fdtget "$dtb" "$path" status 2>/dev/null || echo okay) in
	okay | ok) ;;
	*)	echo "check: heap $n: disabled by its status property"
		disabled=$((disabled + 1))
		continue ;;
	esac
	why=$(messages "$path")
	row=$(heap_row "${path##*/}")
	# Up, unless the heap of that name is another node's: the kernel then
	# said why this one is disabled. Other messages are notes.
	if [ -n "$row" ] && ! grep -q 'heap disabled' <<<"$why"; then
		# shellcheck disable=SC2086 # the row's columns, less the name
		echo "check: heap $n: becomes /dev/dma_heap/${path##*/} ($(describe ${row#* }))${why:+; note: $why}"
		continue
	fi
	# Declared, and waiting for a module to register its type: the
	# tree's checks passed, the type's own are not known yet.
	if [ -n "$why" ] && ! tr '|' '\n' <<<"$why" | grep -qv 'registered (yet)'; then
		echo "check: heap $n: waits for its type: $why"
		waiting=$((waiting + 1))
		continue
	fi
	refused=$((refused + 1))
	if [ -n "$why" ]; then
		echo "check: heap $n: refused: $why"
	else
		echo "check: heap $n: not created, and the kernel said nothing of it (see $blog)"
	fi
done
# No heap node: mainline's heaps, named by the kernel, and a verdict for
# each region it could not offer.
if [ ${#nodes[@]} -eq 0 ]; then
	echo "check: no dma-heaps node: the kernel offers newest mainline's heaps"
	for n in $(heap_names); do
		row=$(heap_row "$n")
		# shellcheck disable=SC2086 # the row's columns, less the name
		echo "check: heap $n: becomes /dev/dma_heap/$n ($(describe ${row#* }))"
	done
	sed -n 's|^\[[^]]*\] ||; s|^dma-heaps: \(/reserved-memory/[^:]*\): \(.*\)|check: region \1: refused: \2|p' "$blog"
	refused=$(grep -c 'dma-heaps: /reserved-memory/' "$blog")
	mapfile -t nodes < <(heap_names)
fi
echo "check: $((${#nodes[@]} - disabled)) heaps, $refused refused, $waiting waiting for their type, schema $schema"
[ "$schema" = ok ] && [ "$refused" -eq 0 ] && [ -z "$crash" ]
