#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check-graft.py BOARD.dts QEMU.dts OUT.dts: another board's heaps on
the VM, for make check (scripts/check.sh).

Both trees are dtc's decompiles of DTBs. The board's /reserved-memory
and every top-level node that holds a "linux,dma-heaps" node are copied
into QEMU's tree as they are, phandles and all, so that the kernel finds
the same regions and heap nodes as on the board. Prints the RAM QEMU
must have, in MiB ("RAM_MB=N"), so that the board's RAM ends where it
ends on the board; QEMU's RAM starts at 1 GiB, and the board's regions
must lie above that. Exit status 2, with the reason on stdout, when the
board cannot be checked this way.
"""

import re
import sys

QEMU_RAM_BASE = 0x40000000
MIB = 1 << 20
# What QEMU can map on the 24 GiB machines this runs on, with room left.
MAX_VM_RAM = 16 << 30


def top_blocks(text):
    """The root's children: (name, text) in order."""
    out, depth, cur, name = [], 0, None, None
    for line in text.splitlines(keepends=True):
        s = line.strip()
        if s.endswith("{"):
            depth += 1
            if depth == 2:
                # The name is the last word: newer dtc puts labels first.
                cur, name = [], s[:-1].split()[-1]
        if depth >= 2:
            cur.append(line)
        if s == "};":
            if depth == 2:
                out.append((name, "".join(cur)))
            depth -= 1
    return out


def cells(text, prop):
    """The cells of the first line that sets @prop at that indentation."""
    m = re.search(r"^%s = <([^>]*)>;" % re.escape(prop), text, re.M)
    return [int(c, 16) for c in m.group(1).split()] if m else None


def ranges(block):
    """(base, end) of every 2+2-cell reg in the block."""
    out = []
    for m in re.finditer(r"^\s*reg = <([^>]*)>;", block, re.M):
        c = [int(x, 16) for x in m.group(1).split()]
        for i in range(0, len(c) - 3, 4):
            base = c[i] << 32 | c[i + 1]
            out.append((base, base + (c[i + 2] << 32 | c[i + 3])))
    return out


def stop(reason):
    print(reason)
    sys.exit(2)


def main():
    board = open(sys.argv[1]).read()
    qemu = open(sys.argv[2]).read()
    # The root's own properties are the lines of one tab.
    if cells(board, "\t#address-cells") != [2] or \
            cells(board, "\t#size-cells") != [2]:
        stop("the board's root does not have 2-cell addresses and sizes, "
             "as the VM's has")
    blocks = top_blocks(board)
    take = [(n, b) for n, b in blocks
            if n == "reserved-memory" or '"linux,dma-heaps"' in b]
    if not take:
        stop("the board's tree has no reserved-memory or heaps node")
    ram = [r for n, b in blocks if 'device_type = "memory";' in b
           for r in ranges(b)]
    if not ram:
        stop("the board's tree has no memory node")
    regions = [r for n, b in take if n == "reserved-memory"
               for r in ranges(b)]
    low = min([r[0] for r in ram + regions])
    if low < QEMU_RAM_BASE:
        stop("the board has RAM or a region at 0x%x, below the VM's RAM "
             "(0x%x)" % (low, QEMU_RAM_BASE))
    qemu_names = [n for n, _ in top_blocks(qemu)]
    for n, _ in take:
        if n in qemu_names:
            stop("QEMU's tree has a node %s already" % n)
    handles = re.compile(r"^\s*(?:linux,)?phandle = <(0x[0-9a-f]+)>", re.M)
    clash = set(handles.findall("".join(b for _, b in take))) & \
        set(handles.findall(qemu))
    if clash:
        stop("phandles %s are QEMU's too" % ", ".join(sorted(clash)))
    end = max(r[1] for r in ram)
    if end - QEMU_RAM_BASE > MAX_VM_RAM:
        stop("the board's RAM ends at 0x%x, above the %d GiB of RAM this "
             "VM can be given" % (end, MAX_VM_RAM >> 30))
    at = qemu.rstrip().rindex("};")
    with open(sys.argv[3], "w") as f:
        f.write(qemu[:at] + "".join(b for _, b in take) + qemu[at:])
    print("RAM_MB=%d" % ((end - QEMU_RAM_BASE + MIB - 1) // MIB))


if __name__ == "__main__":
    main()
