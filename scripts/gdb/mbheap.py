"""scripts/gdb/mbheap.py - GDB helpers for mbheap (loaded by scripts/gdb/mbheap.gdb).

Commands (they read kernel memory through QEMU's GDB stub, so they work whenever the
CPU is stopped, even after a panic):
  mb-log              print the kernel log ring buffer (the last KLOG_SIZE bytes kprintf wrote)
  mb-heap [blocks]    the kernel heap: region, statistics, and with "blocks" every block
  mb-translate VADDR  walk the live page tables (CR3) for VADDR, level by level

They know the layouts documented in lib/kprintf.c (klog_buf, klog_head), mm/heap.c (the
block header: size_flags with FREE = bit 0, then a canary; a 16-byte end sentinel) and the
x86_64 page-table format; the direct map at 0xffff800000000000 reaches physical memory.
"""
import gdb

DIRECT_MAP = 0xFFFF800000000000
PTE_FLAGS = [(1 << 0, "P"), (1 << 1, "W"), (1 << 2, "U"), (1 << 7, "PS"), (1 << 63, "NX")]
ADDR_MASK = 0x000FFFFFFFFFF000


def read_u64(addr):
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(addr, 8)), "little")


class MbLog(gdb.Command):
    """Print the kernel log ring buffer (klog_buf / klog_head in lib/kprintf.c)."""

    def __init__(self):
        super().__init__("mb-log", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        buf = gdb.parse_and_eval("klog_buf")
        size = int(buf.type.sizeof)
        head = int(gdb.parse_and_eval("klog_head"))
        kept = min(head, size)
        start = head - kept
        data = bytes(gdb.selected_inferior().read_memory(int(buf.address), size))
        out = bytes(data[(start + i) % size] for i in range(kept))
        gdb.write(out.decode("utf-8", "replace"))
        if out and not out.endswith(b"\n"):
            gdb.write("\n")


class MbHeap(gdb.Command):
    """Show the kernel heap (mm/kheap.c's struct heap): mb-heap [blocks]."""

    HDR = 16
    FREE = 1
    FLAG_MASK = 15

    def __init__(self):
        super().__init__("mb-heap", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        h = gdb.parse_and_eval("'mm/kheap.c'::kheap")
        base, end = int(h["base"]), int(h["end"])
        if base == 0:
            gdb.write("mb-heap: the heap is not initialised yet\n")
            return
        gdb.write("heap [0x%x, 0x%x): %d bytes, cap %d, grew %d times, %d allocs / %d frees\n"
                  % (base, end, end - base, int(h["max_size"]), int(h["grow_events"]),
                     int(h["total_allocs"]), int(h["total_frees"])))
        show = arg.strip() == "blocks"
        used = free = nused = nfree = largest = 0
        addr, sentinel = base, end - self.HDR
        while addr < sentinel:
            sf = read_u64(addr)
            size = sf & ~self.FLAG_MASK
            if size < self.HDR or addr + size > sentinel:
                gdb.write("mb-heap: corrupted header at 0x%x (size_flags 0x%x): stop\n" % (addr, sf))
                return
            is_free = bool(sf & self.FREE)
            if is_free:
                free, nfree, largest = free + size, nfree + 1, max(largest, size)
            else:
                used, nused = used + size, nused + 1
            if show:
                gdb.write("  0x%x %8d %s\n" % (addr + self.HDR, size, "free" if is_free else "used"))
            addr += size
        gdb.write("heap: %d used blocks (%d bytes), %d free blocks (%d bytes), largest free %d\n"
                  % (nused, used, nfree, free, largest))


class MbTranslate(gdb.Command):
    """Walk the page tables of CR3 for a virtual address: mb-translate VADDR."""

    def __init__(self):
        super().__init__("mb-translate", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        va = int(gdb.parse_and_eval(arg)) & 0xFFFFFFFFFFFFFFFF
        table = int(gdb.parse_and_eval("$cr3")) & ADDR_MASK
        for level, name, shift in ((4, "PML4", 39), (3, "PDPT", 30), (2, "PD", 21), (1, "PT", 12)):
            index = (va >> shift) & 511
            entry = read_u64(DIRECT_MAP + table + index * 8)
            flags = " ".join(n for bit, n in PTE_FLAGS if entry & bit)
            gdb.write("  %-4s[%3d] = 0x%016x  %s\n" % (name, index, entry, flags))
            if not entry & 1:
                gdb.write("0x%x: not mapped\n" % va)
                return
            if level == 1 or (level in (2, 3) and entry & (1 << 7)):
                page = 1 << shift
                pa = (entry & ADDR_MASK & ~(page - 1)) | (va & (page - 1))
                gdb.write("0x%x -> phys 0x%x (%s page)\n"
                          % (va, pa, {12: "4 KiB", 21: "2 MiB", 30: "1 GiB"}[shift]))
                return
            table = entry & ADDR_MASK


MbLog()
MbHeap()
MbTranslate()
