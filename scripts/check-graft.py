#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check-graft.py BOARD.dts QEMU.dts OUT.dts: another board's heaps on
the VM, for make check (scripts/check.sh).

Both trees are dtc's decompiles of DTBs. The board's /reserved-memory
and every top-level node that holds a "linux,dma-heaps" node are copied
into QEMU's tree, phandles and all, so that the kernel finds the same
regions and heap nodes as on the board. QEMU's RAM starts at 1 GiB:

- a board whose RAM starts lower, or which has regions (or windows
  where the kernel places them, alloc-ranges) in the first 256 MiB of
  the VM's RAM (where QEMU loads the kernel, the initramfs
  and the DTB), has its regions moved up by whole GiBs, until they lie
  in the VM's RAM and clear of those. A move by a multiple of 1 GiB
  keeps every overlap and every alignment a heap can ask for, so the
  kernel's verdicts are the board's; only the addresses it prints are
  higher by the move;
- a board with 1-cell addresses or sizes has its regions' cells written
  out as 2-cell ones, as the VM's root has.

Prints "RAM_MB=N MOVE=M": the RAM QEMU must have, in MiB, so that the
board's RAM ends where it ends on the board (moved), and the move in
GiB. Exit status 2, with the reason on stdout, when the board cannot be
checked this way.
"""

import re
import sys

QEMU_RAM_BASE = 0x40000000
GIB = 1 << 30
MIB = 1 << 20
# What QEMU can map on the 24 GiB machines this runs on, with room left.
MAX_VM_RAM = 16 << 30
# The start of the VM's RAM, where QEMU loads the kernel, the initramfs
# and the DTB.
LOADED_HEAD = 256 * MIB
# A region's properties in address cells, and in size cells.
ADDRESS_PROPS = ("reg", "alloc-ranges")
SIZE_PROPS = ("size", "alignment")


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


def number(c):
    """The number that big-endian cells @c make."""
    v = 0
    for x in c:
        v = v << 32 | x
    return v


def entries(c, ac, sc):
    """(base, size) of every address+size entry of the cells @c."""
    step = ac + sc
    return [(number(c[i:i + ac]), number(c[i + ac:i + step]))
            for i in range(0, len(c) - step + 1, step)]


def two_cells(v):
    return "0x%x 0x%x" % (v >> 32, v & 0xffffffff)


def ranges(block, ac, sc, prop="reg"):
    """(base, end) of every entry of @prop in the block."""
    out = []
    for m in re.finditer(r"^\s*%s = <([^>]*)>;" % re.escape(prop), block,
                         re.M):
        c = [int(x, 16) for x in m.group(1).split()]
        out += [(b, b + s) for b, s in entries(c, ac, sc)]
    return out


def stop(reason):
    print(reason)
    sys.exit(2)


def rewrite_regions(block, ac, sc, move):
    """
    The reserved-memory @block with its own cells 2 and 2, and every
    region's addresses moved up by @move, in 2-cell addresses and sizes.
    """
    def prop(m):
        name, c = m.group(2), [int(x, 16) for x in m.group(3).split()]
        if name in ADDRESS_PROPS:
            text = " ".join("%s %s" % (two_cells(b + move), two_cells(s))
                            for b, s in entries(c, ac, sc))
        else:
            text = two_cells(number(c))
        return "%s%s = <%s>;" % (m.group(1), name, text)

    props = "|".join(re.escape(p) for p in ADDRESS_PROPS + SIZE_PROPS)
    block = re.sub(r"^(\s+)(%s) = <([^>]*)>;" % props, prop, block,
                   flags=re.M)
    return re.sub(r"^(\t\t#(?:address|size)-cells = )<[^>]*>;",
                  r"\1<0x02>;", block, flags=re.M)


def main():
    board = open(sys.argv[1]).read()
    qemu = open(sys.argv[2]).read()
    # The root's own properties are the lines of one tab.
    root_ac = cells(board, "\t#address-cells") or [2]
    root_sc = cells(board, "\t#size-cells") or [1]
    ac, sc = root_ac[0], root_sc[0]
    if ac not in (1, 2) or sc not in (1, 2):
        stop("the board's root has %d-cell addresses and %d-cell sizes; "
             "the VM reads 1 or 2" % (ac, sc))
    blocks = top_blocks(board)
    take = [(n, b) for n, b in blocks
            if n == "reserved-memory" or '"linux,dma-heaps"' in b]
    if not take:
        stop("the board's tree has no reserved-memory or heaps node")
    ram = [r for n, b in blocks if 'device_type = "memory";' in b
           for r in ranges(b, ac, sc)]
    if not ram:
        stop("the board's tree has no memory node")
    # The regions' cells are reserved-memory's own, which the kernel
    # reads only if they are the root's (a node without them it ignores,
    # on the board as on the VM).
    rm_cells = {n: ((cells(b, "\t\t#address-cells") or [ac])[0],
                    (cells(b, "\t\t#size-cells") or [sc])[0])
                for n, b in take if n == "reserved-memory"}
    if any(c != (ac, sc) for c in rm_cells.values()):
        stop("the board's reserved-memory has cells other than the root's, "
             "and its kernel ignores it")
    if any(re.search(r"^\t\tranges = <", b, re.M)
           for n, b in take if n in rm_cells):
        stop("the board's reserved-memory translates addresses (ranges "
             "with entries), which the VM's cannot")
    regions = [r for n, b in take if n in rm_cells
               for r in ranges(b, ac, sc)]
    windows = [r for n, b in take if n in rm_cells
               for r in ranges(b, ac, sc, "alloc-ranges")]
    # Where the board's RAM and regions must start on the VM: the RAM in
    # QEMU's; the regions also clear of where QEMU puts the kernel, the
    # initramfs and the DTB, which a region there would collide with.
    need = QEMU_RAM_BASE - min(r[0] for r in ram)
    if regions + windows:
        need = max(need, QEMU_RAM_BASE + LOADED_HEAD -
                   min(r[0] for r in regions + windows))
    move = (need + GIB - 1) // GIB * GIB if need > 0 else 0
    qemu_names = [n for n, _ in top_blocks(qemu)]
    for n, _ in take:
        if n in qemu_names:
            stop("QEMU's tree has a node %s already" % n)
    handles = re.compile(r"^\s*(?:linux,)?phandle = <(0x[0-9a-f]+)>", re.M)
    clash = set(handles.findall("".join(b for _, b in take))) & \
        set(handles.findall(qemu))
    if clash:
        stop("phandles %s are QEMU's too" % ", ".join(sorted(clash)))
    end = max(r[1] for r in ram) + move
    if end - QEMU_RAM_BASE > MAX_VM_RAM:
        stop("the board's RAM ends at 0x%x, above the %d GiB of RAM this "
             "VM can be given" % (end - move, MAX_VM_RAM >> 30))
    if move or (ac, sc) != (2, 2):
        take = [(n, rewrite_regions(b, ac, sc, move)
                 if n in rm_cells else b) for n, b in take]
    at = qemu.rstrip().rindex("};")
    with open(sys.argv[3], "w") as f:
        f.write(qemu[:at] + "".join(b for _, b in take) + qemu[at:])
    print("RAM_MB=%d MOVE=%d" % ((end - QEMU_RAM_BASE + MIB - 1) // MIB,
                                 move // GIB))


if __name__ == "__main__":
    main()
