# SPDX-License-Identifier: MIT
"""scripts/gdb/mbheap.py - GDB helpers for the mbheap kernel's memory stack.

Load it into a GDB that has the kernel's symbols, from any directory:

    gdb build/mbheap.elf -x scripts/gdb/mbheap.py -ex 'target remote 127.0.0.1:1234'

(`cmake --build build --target debug` and build/gdbinit do this for you.) Commands, each
with `help <command>`:

    mb-heap [--heap=EXPR] [blocks | free | check | find ADDR]  the heap core's blocks
    mb-frames [PADDR]                                           the frame allocator
    mb-pt [VADDR]                                               the live page tables
    mb-mmap                                                     the normalised memory map
    mb-log                                                      the kernel log ring buffer

and pretty-printers for paddr_t, vaddr_t and struct heap_block (the heap's block header
and free-list links). Structures are read by name from the kernel's debug information:
field offsets, array lengths and the heap's layout constants (enum heap_layout in
mm/heap_internal.h: header and minimum block size, flag bits, the good-fit policy's flag,
the index's segment and fan-out shifts; enum heap_gf_policy in mm/heap_goodfit.h: the
good-fit size classes) come from DWARF, so the helpers follow the C code when it changes.
The heap's placement policy (first fit, the default, or good fit: heap_policy=good_fit)
is read from its flags at every command. What is copied here is the algorithm of a few
pure functions that the C code documents (the heap's canary, the debug trailer's layout,
the index's array lengths from mm/heap_index.c's level_entries(), good fit's size class
of a block from mm/heap_goodfit.h's gf_class_of()) and the x86_64 page-table format. The helpers only
read memory: they work whenever the CPU is stopped, after a panic too. Page tables are
read through QEMU's physical memory view (the gdbstub's PhyMemMode), or through the
kernel's direct map on a stub without it.
"""
import gdb
import gdb.printing

U64 = (1 << 64) - 1
PAGE = 4096
# kernel/direct_map.h: DIRECT_MAP_BASE (a macro, so not in DWARF); used only without PhyMemMode.
DIRECT_MAP = 0xFFFF800000000000
KERNEL_HEAP = "'kernel/kheap.c'::kheap"
KERNEL_PMM = "'kernel/kmem.c'::kpmm"
KERNEL_MAP = "'kernel/kmem.c'::kmap"
# Multiboot2 memory types (spec 3.6.8); anything else is reserved.
MB2_TYPES = {1: "available", 2: "reserved", 3: "ACPI reclaimable", 4: "ACPI NVS", 5: "bad RAM"}


# ---------------------------------------------------------------------------------------
# Reading memory and debug information
# ---------------------------------------------------------------------------------------

def inferior():
    return gdb.selected_inferior()


def read(addr, n):
    return bytes(inferior().read_memory(addr, n))


def le(data, off=0, size=8):
    return int.from_bytes(data[off:off + size], "little")


def value(expr, what):
    """The value of a C expression, or a clear error naming what is missing."""
    try:
        v = gdb.parse_and_eval(expr)
    except gdb.error as e:
        raise gdb.GdbError("%s: cannot evaluate %s (%s); are the kernel's symbols loaded?"
                           % (what, expr, e))
    try:
        if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            v = v.dereference()
        v.fetch_lazy()
    except gdb.MemoryError as e:
        raise gdb.GdbError("%s: cannot read %s (%s): the kernel's memory is not mapped yet; "
                           "stop later (e.g. hbreak kmain, continue)" % (what, expr, e))
    return v


def offsets(type_name):
    """Field name -> byte offset of a struct, from DWARF."""
    t = gdb.lookup_type(type_name).strip_typedefs()
    return {f.name: f.bitpos // 8 for f in t.fields()}


def enum_values(type_name):
    return {f.name: f.enumval for f in gdb.lookup_type(type_name).fields()}


def array_len(v):
    lo, hi = v.type.strip_typedefs().range()
    return hi - lo + 1


def parse_addr(arg, what):
    try:
        return int(gdb.parse_and_eval(arg)) & U64
    except gdb.error as e:
        raise gdb.GdbError("%s: cannot evaluate %r: %s" % (what, arg, e))


def human(n):
    """A byte count like the kernel's fmt_size() (lib/fmt_size.c): binary units, one decimal,
    rounded down ("512 B", "636.0 KiB", "125.8 MiB")."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    u = 0
    while u + 1 < len(units) and n >> (10 * (u + 1)):
        u += 1
    if u == 0:
        return "%d B" % n
    unit = 1 << (10 * u)
    return "%d.%d %s" % (n // unit, n % unit * 10 // unit, units[u])


class Window:
    """Reads of [lo, hi) in large cached chunks: a heap walk costs a few remote packets
    instead of one per block. Reads outside the window raise gdb.MemoryError."""

    CHUNK = 64 * 1024

    def __init__(self, lo, hi):
        self.lo, self.hi, self.cache = lo, hi, {}

    def read(self, addr, n):
        if addr < self.lo or addr + n > self.hi:
            raise gdb.MemoryError("0x%x is outside [0x%x, 0x%x)" % (addr, self.lo, self.hi))
        out = bytearray()
        while n:
            base = self.lo + (addr - self.lo) // self.CHUNK * self.CHUNK
            chunk = self.cache.get(base)
            if chunk is None:
                chunk = self.cache[base] = read(base, min(self.CHUNK, self.hi - base))
            take = min(n, base + len(chunk) - addr)
            out += chunk[addr - base:addr - base + take]
            addr, n = addr + take, n - take
        return bytes(out)

    def u64(self, addr):
        return le(self.read(addr, 8))


# ---------------------------------------------------------------------------------------
# The heap core (mm/heap.c)
# ---------------------------------------------------------------------------------------

class Block:
    __slots__ = ("addr", "sf", "canary", "size", "free", "prev_free", "canary_ok", "nxt", "prv")


class HeapError(Exception):
    """A broken invariant, described like heap_check()'s panic messages."""


class HeapView:
    """A struct heap and its region, read from the target."""

    def __init__(self, expr=KERNEL_HEAP):
        self.expr = expr
        self.h = value(expr, "mb-heap")
        if self.h.type.strip_typedefs().tag != "heap":
            raise gdb.GdbError("mb-heap: %s is a %s, not a struct heap or a pointer to one"
                               % (expr, self.h.type))
        if self.h.address is None:
            raise gdb.GdbError("mb-heap: %s is not in memory (the free list's head node is part "
                               "of the struct heap): name the variable or a pointer" % expr)
        L = enum_values("enum heap_layout")
        self.HDR, self.MIN_BLOCK = L["HDR"], L["MIN_BLOCK"]
        self.F_FREE, self.F_PREV_FREE, self.F_MASK = L["F_FREE"], L["F_PREV_FREE"], L["F_MASK"]
        # a free block whose middle pages went back through the release hook (mm/heap_trim.c)
        self.F_RELEASED = L.get("F_RELEASED", 0)
        self.DEBUG_TRAILER, self.POISON = L["DEBUG_TRAILER"], L["HEAP_POISON"]
        self.SEG_SHIFT, self.FAN_SHIFT = L["SEG_SHIFT"], L["FAN_SHIFT"]
        self.off = offsets("struct heap_block")
        self.links_end = gdb.lookup_type("struct heap_block").sizeof  # header + list links
        h = self.h
        self.base, self.end = int(h["base"]), int(h["end"])
        self.secret, self.flags = int(h["secret"]) & U64, int(h["flags"])
        self.debug = bool(self.flags & L["FLAG_DEBUG"])
        # a kernel from before good fit has no FLAG_GOOD_FIT: it is first fit
        self.good_fit = bool(self.flags & L.get("FLAG_GOOD_FIT", 0))
        self.policy = "good fit" if self.good_fit else "first fit"
        self.indexed = bool(h["indexed"])
        self.head = int(h["list"].address)  # the list's head node (not a block of the region)
        self.sentinel = self.end - self.HDR
        self.mem = Window(self.base, self.end)

    @property
    def initialised(self):
        return self.base != 0 and self.end > self.base

    def stat(self, name):
        return int(self.h[name])

    def has_field(self, name):
        return any(f.name == name for f in self.h.type.strip_typedefs().fields())

    def canary_of(self, addr, sf):
        return (self.secret ^ addr ^ (sf & ~self.F_PREV_FREE)) & U64

    def block(self, addr):
        data = self.mem.read(addr, self.links_end if addr + self.links_end <= self.end
                             else self.HDR)
        b = Block()
        b.addr, b.sf, b.canary = addr, le(data, self.off["sf"]), le(data, self.off["canary"])
        b.size = b.sf & ~self.F_MASK
        b.free = bool(b.sf & self.F_FREE)
        b.prev_free = bool(b.sf & self.F_PREV_FREE)
        b.canary_ok = b.canary == self.canary_of(addr, b.sf)
        whole = len(data) >= self.links_end
        b.nxt = le(data, self.off["next"]) if whole else 0
        b.prv = le(data, self.off["prev"]) if whole else 0
        return b

    def payload_room(self, size):
        return size - self.HDR - (self.DEBUG_TRAILER if self.debug else 0)

    def is_tail(self, addr, size):
        """The free block in front of the end sentinel: the index does not hold it."""
        return addr + size == self.sentinel

    def segment(self, addr):
        return (addr - self.base) >> self.SEG_SHIFT

    def link_ok(self, x):
        """x could be a list entry: a 16-aligned address in [base, sentinel), or the head."""
        return x == self.head or self.in_region(x)

    def in_region(self, x):
        """x could be a block of the region: a 16-aligned address in [base, sentinel)."""
        return self.base <= x < self.sentinel and not x % 16

    def most_entries(self):
        """More list entries than this cannot be: more than blocks fit in the region."""
        return (self.end - self.base) // self.MIN_BLOCK

    def blocks(self, lenient=False):
        """The blocks in address order; raises HeapError at the first one that breaks the
        tiling (bad canary or size), like heap_check(). lenient: a block whose canary is
        bad but whose size still fits is yielded too (b.canary_ok False), and the walk goes on."""
        x, prev_free = self.base, False
        other_flags = self.F_MASK & ~(self.F_FREE | self.F_PREV_FREE)  # ABSORBED: never a block
        while x < self.sentinel:
            b = self.block(x)
            flags = b.sf & other_flags
            if b.sf & self.F_FREE:
                flags &= ~self.F_RELEASED  # a free block may have released pages
            plausible = self.MIN_BLOCK <= b.size <= self.sentinel - x and not flags
            if not b.canary_ok and not (lenient and plausible):
                raise HeapError("bad canary at block 0x%x (payload 0x%x, size_flags 0x%x, canary "
                                "0x%x, expected 0x%x)" % (x, x + self.HDR, b.sf, b.canary,
                                                          self.canary_of(x, b.sf)))
            if not plausible:
                raise HeapError("bad block size at block 0x%x (size_flags 0x%x, %d bytes to the "
                                "sentinel)" % (x, b.sf, self.sentinel - x))
            if b.prev_free != prev_free and b.canary_ok:
                raise HeapError("PREV_FREE bit wrong at block 0x%x (size_flags 0x%x, previous block "
                                "%s)" % (x, b.sf, "free" if prev_free else "allocated"))
            yield b
            prev_free = b.free
            x += b.size

    def free_list(self):
        """The free list from list.next around to the head node, as Blocks; raises
        HeapError at the first link that cannot be an entry, that does not point back, or
        that goes down in address (the list is in address order)."""
        most = self.most_entries()
        prev, e, seen = self.head, int(self.h["list"]["next"]), 0
        while e != self.head:
            if not self.link_ok(e):
                raise HeapError("list link outside the heap at 0x%x (next 0x%x)" % (prev, e))
            if prev != self.head and e <= prev:
                raise HeapError("list not in address order at 0x%x (next 0x%x)" % (prev, e))
            b = self.block(e)
            if b.prv != prev:
                raise HeapError("broken back link at block 0x%x (prev 0x%x, expected 0x%x)"
                                % (e, b.prv, prev))
            yield b
            seen += 1
            if seen > most:
                raise HeapError("the list does not end (%d entries, more than blocks fit)" % seen)
            prev, e = e, b.nxt
        if int(self.h["list"]["prev"]) != prev:
            raise HeapError("the list does not end after the last free block at 0x%x (list end's "
                            "prev 0x%x)" % (prev, int(self.h["list"]["prev"])))

    def check(self):
        """heap_check() from outside, in its order: the tiling walk meets the list entry by
        entry (first fit), then the sentinel, the list's end, the index (first fit) or the
        size-class lists (good fit), the statistics. Returns (used blocks, free blocks,
        Index, GoodFit or None); raises HeapError naming the first broken thing."""
        used = freeb = nfree = nused = 0
        prev_free = False
        le_, lp = int(self.h["list"]["next"]), self.head  # the list entry due next, and before
        frees = []
        for b in self.blocks():
            if b.free:
                if prev_free:
                    raise HeapError("unmerged free neighbours at block 0x%x (size %d)"
                                    % (b.addr, b.size))
                foot = self.mem.u64(b.addr + b.size - 8)
                if foot != b.size:
                    raise HeapError("bad footer at block 0x%x (footer %d, size %d)"
                                    % (b.addr, foot, b.size))
                if not self.good_fit:  # good fit's lists are checked after the walk
                    if le_ != b.addr:
                        raise HeapError("free block not on the list in address order at block "
                                        "0x%x (size %d; the list has 0x%x there)"
                                        % (b.addr, b.size, le_))
                    if b.prv != lp:
                        raise HeapError("broken back link at block 0x%x (prev 0x%x, expected "
                                        "0x%x)" % (b.addr, b.prv, lp))
                    if not self.link_ok(b.nxt):
                        raise HeapError("list link outside the heap at block 0x%x (next 0x%x)"
                                        % (b.addr, b.nxt))
                    lp, le_ = b.addr, b.nxt
                if self.debug:  # poison between the links and the footer
                    lo, hi = b.addr + self.links_end, b.addr + b.size - 8
                    body = self.mem.read(lo, hi - lo)
                    bad = next((i for i, v in enumerate(body) if v != self.POISON), None)
                    if bad is not None:
                        raise HeapError("use after free detected in block 0x%x (payload 0x%x, "
                                        "offset %d, byte 0x%02x)" % (
                                            b.addr, b.addr + self.HDR,
                                            lo + bad - b.addr - self.HDR, body[bad]))
                frees.append((b.addr, b.size))
                freeb, nfree = freeb + b.size, nfree + 1
            else:
                if self.debug:  # the trailer is { caller, requested size }
                    req = self.mem.u64(b.addr + b.size - self.DEBUG_TRAILER + 8)
                    if req > self.payload_room(b.size):
                        raise HeapError("bad debug trailer at block 0x%x (requested %d, room %d)"
                                        % (b.addr, req, self.payload_room(b.size)))
                used, nused = used + b.size, nused + 1
            prev_free = b.free
        s = self.block(self.sentinel)
        if not s.canary_ok or s.size != 0 or s.free or s.prev_free != prev_free:
            raise HeapError("bad end sentinel at 0x%x (size_flags 0x%x)" % (self.sentinel, s.sf))
        gf = None
        if self.good_fit:
            gf = GoodFit(self)
            gf.check(frees)
        elif le_ != self.head or int(self.h["list"]["prev"]) != lp:
            raise HeapError("the list does not end after the last free block at 0x%x (next 0x%x, "
                            "list end's prev 0x%x)" % (lp, le_, int(self.h["list"]["prev"])))
        ix = None
        if self.indexed:
            ix = Index(self)
            ix.check([(a, n) for a, n in frees if not self.is_tail(a, n)])
        live = self.stat("total_allocs") - self.stat("total_frees")
        if (used != self.stat("bytes_used") or nfree != self.stat("free_blocks") or nused != live
                or self.stat("high_water") < used or used + freeb + self.HDR != self.end - self.base):
            raise HeapError("statistics disagree (used %d/%d, free blocks %d/%d, live %d/%d, high "
                            "water %d, size %d)" % (used, self.stat("bytes_used"), nfree,
                                                    self.stat("free_blocks"), nused, live,
                                                    self.stat("high_water"), self.end - self.base))
        return nused, nfree, ix, gf

    def find(self, addr):
        if not self.base <= addr < self.end:
            return "0x%x is not in the heap [0x%x, 0x%x)" % (addr, self.base, self.end)
        if addr >= self.sentinel:
            return "0x%x is in the end sentinel at 0x%x" % (addr, self.sentinel)
        for b in self.blocks(lenient=True):
            if b.addr <= addr < b.addr + b.size:
                state = ("free" if b.free else "used") + ("" if b.canary_ok else " (BAD canary)")
                if addr < b.addr + self.HDR:
                    return ("0x%x is in the header of %s block 0x%x (payload 0x%x, size %d)"
                            % (addr, state, b.addr, b.addr + self.HDR, b.size))
                return ("0x%x is in %s block 0x%x (payload 0x%x, offset %d of %d usable bytes)"
                        % (addr, state, b.addr, b.addr + self.HDR, addr - b.addr - self.HDR,
                           self.payload_room(b.size)))
        return "0x%x: no block found" % addr


class Index:
    """The first-fit index of a heap (struct heap_index, mm/heap_index.h): per segment of
    2^SEG_SHIFT bytes level[0][s] (the size of the largest free block starting there;
    0: none) and first[s] (its first free block), and above
    them a max tree of fan-out 2^FAN_SHIFT up to level[top]. The array lengths follow
    mm/heap_index.c's level_entries() (each level padded to whole nodes plus one spare)."""

    def __init__(self, hv):
        self.hv = hv
        x = hv.h["index"]
        self.nseg, self.ncommitted = int(x["nseg"]), int(x["ncommitted"])
        self.cap, self.top = int(x["cap"]), int(x["top"])
        self.nlevels = array_len(x["level"])
        self.level_addr = [int(x["level"][k]) for k in range(self.nlevels)]
        self.first_addr = int(x["first"])
        self.fan = 1 << hv.FAN_SHIFT
        self.entry = x["level"][0].type.target().sizeof
        self.first_entry = x["first"].type.target().sizeof
        self.bm_top = int(x["bm_top"])
        self.bm_addr = [int(x["nonempty"][k]) for k in range(self.bm_top + 1)]

    def entries(self, k):
        """Entries of level k (and, for k = 0, of first[]) in use for nseg segments."""
        shift = self.hv.FAN_SHIFT * k
        e = (self.nseg + (1 << shift) - 1) >> shift
        return (e + self.fan - 1) // self.fan * self.fan + self.fan

    def top_for(self, n):
        k = 0
        while k + 1 < self.nlevels and (1 << (self.hv.FAN_SHIFT * k)) < n:
            k += 1
        return k

    def segments_for(self, nbytes):
        return (nbytes + (1 << self.hv.SEG_SHIFT) - 1) >> self.hv.SEG_SHIFT

    @staticmethod
    def words(addr, n, size):
        data = read(addr, n * size)
        return [le(data, size * i, size) for i in range(n)]

    def level(self, k):
        return self.words(self.level_addr[k], self.entries(k), self.entry)

    def first(self):
        return self.words(self.first_addr, self.entries(0), self.first_entry)

    def seg_range(self, s):
        lo = self.hv.base + (s << self.hv.SEG_SHIFT)
        return "[0x%x, 0x%x)" % (lo, lo + (1 << self.hv.SEG_SHIFT))

    def check(self, frees):
        """mm/heap_index.c's ix_check: frees are the free blocks (address, size) in list
        order without the tail. Raises HeapError naming the first entry that disagrees."""
        hv = self.hv
        want = self.segments_for(hv.end - hv.base)
        if self.nseg != want or self.top != self.top_for(self.nseg):
            raise HeapError("index covers %d segments (top %d), the heap %d"
                            % (self.nseg, self.top, want))
        if not self.nseg <= self.ncommitted <= self.cap:
            raise HeapError("index has %d segments committed for %d in use (cap %d)"
                            % (self.ncommitted, self.nseg, self.cap))
        l0, first = self.level(0), self.first()

        def empty_up_to(lo, hi):
            for s in range(lo, hi):
                if l0[s] != 0:
                    raise HeapError("index entry of segment %d is %d, but no free block starts "
                                    "there (segment %s)" % (s, l0[s], self.seg_range(s)))

        next_seg, i = 0, 0
        while i < len(frees):
            addr, s = frees[i][0], hv.segment(frees[i][0])
            empty_up_to(next_seg, s)
            named = first[s] if l0[s] else 0
            if named != addr:
                raise HeapError("index names 0x%x as segment %d's first free block, the list 0x%x "
                                "(segment %s, first[%d] = 0x%x)"
                                % (named, s, addr, self.seg_range(s), s, first[s]))
            m = 0
            while i < len(frees) and hv.segment(frees[i][0]) == s:
                m = max(m, frees[i][1])
                i += 1
            if l0[s] != m:
                raise HeapError("index entry of segment %d is %d, its largest free block %d "
                                "bytes (segment %s)" % (s, l0[s], m, self.seg_range(s)))
            next_seg = s + 1
        empty_up_to(next_seg, len(l0))
        below = l0
        for k in range(1, self.top + 1):
            # nodes over real segments are the largest of their children, the rest are 0
            real = (self.nseg + (1 << (hv.FAN_SHIFT * k)) - 1) >> (hv.FAN_SHIFT * k)
            lk = self.level(k)
            for n, v in enumerate(lk):
                m = max(below[n * self.fan:(n + 1) * self.fan]) if n < real else 0
                if v != m:
                    raise HeapError("index node %d of level %d is %d, its children's largest %d"
                                    % (n, k, v, m))
            below = lk
        self.check_bitmap(l0)

    def bm_words(self, k):
        """Words of the nonempty bitmap's level k for nseg segments, with its spare word
        (mm/heap_index.c's bm_words())."""
        sh = 6 * (k + 1)
        return ((self.nseg + (1 << sh) - 1) >> sh) + 1

    def check_bitmap(self, l0):
        """The nonempty bitmap: a bit per segment with a non-zero level[0] entry, above it a
        bit per non-zero word of the level below (mm/heap_index.c's ix_check)."""
        below = l0
        for k in range(self.bm_top + 1):
            words = self.words(self.bm_addr[k], self.bm_words(k), 8)
            bits = len(l0) if k == 0 else self.bm_words(k - 1) - 1
            for i in range(len(words) * 64):
                want = 1 if i < bits and below[i] != 0 else 0
                if (words[i >> 6] >> (i & 63)) & 1 != want:
                    raise HeapError("bit %d of the index's nonempty bitmap level %d is %d, "
                                    "should be %d" % (i, k, 1 - want, want))
            below = words

    def describe(self):
        return ("%d segments of %d bytes (%d committed, cap %d), top level %d"
                % (self.nseg, 1 << self.hv.SEG_SHIFT, self.ncommitted, self.cap, self.top))


class GoodFit:
    """The good-fit policy's free lists (struct heap_goodfit in struct heap's `gf`,
    mm/heap_goodfit.h): lists[c] is the first free block of size class c (NULL-terminated
    lists through the blocks' next/prev links, the first entry's prev NULL), map[] has bit
    c set when lists[c] is not empty, top bit w when map[w] is not 0. The classes follow
    gf_class_of(): size / 16 below GF_SMALL_LIMIT, then 2^GF_SL_BITS per power of two."""

    def __init__(self, hv):
        self.hv = hv
        P = enum_values("enum heap_gf_policy")
        self.small, self.sl_bits = P["GF_SMALL_LIMIT"], P["GF_SL_BITS"]
        g = hv.h["gf"]
        self.nclasses, self.nwords = array_len(g["lists"]), array_len(g["map"])
        off, ptr = offsets("struct heap_goodfit"), g["lists"][0].type.sizeof
        word = g["map"][0].type.sizeof
        data = read(int(g.address), g.type.sizeof)  # one read: top, map[], lists[]
        self.top = le(data, off["top"], word)
        self.map = [le(data, off["map"] + word * w, word) for w in range(self.nwords)]
        self.heads = [le(data, off["lists"] + ptr * c, ptr) for c in range(self.nclasses)]

    def class_of(self, size):
        """mm/heap_goodfit.h's gf_class_of(size) (16 <= size < 2^40)."""
        if size < self.small:
            return size >> 4
        fl = size.bit_length() - 1
        # the classes of 2^fl start at 2^GF_SL_BITS * (fl - log2(GF_SMALL_LIMIT) + 1)
        return (size >> (fl - self.sl_bits)) + ((fl - self.small.bit_length() + 2) << self.sl_bits)

    def bit(self, c):
        return bool(self.map[c >> 6] >> (c & 63) & 1)

    def nonempty(self):
        return sum(1 for x in self.heads if x)

    def entry(self, c, prev, e):
        """The Block at e, an entry of class c's list reached from prev (0: e is the head);
        raises HeapError when e cannot be a block of the region."""
        if not self.hv.in_region(e):
            if prev:
                raise HeapError("list link outside the heap at block 0x%x (next 0x%x)" % (prev, e))
            raise HeapError("good-fit class %d's head lies outside the heap (0x%x)" % (c, e))
        return self.hv.block(e)

    def walk(self):
        """(class, Block) for every entry of the lists, class by class, each list from its
        head; raises HeapError at the first link that cannot be an entry or does not point
        back, or at a list that does not end."""
        most, seen = self.hv.most_entries(), 0
        for c, e in enumerate(self.heads):
            prev = 0
            while e:
                b = self.entry(c, prev, e)
                if b.prv != prev:
                    raise HeapError("broken back link at block 0x%x (prev 0x%x, expected 0x%x)"
                                    % (e, b.prv, prev))
                yield c, b
                seen += 1
                if seen > most:
                    raise HeapError("good-fit class %d's list does not end (%d entries, more "
                                    "than blocks fit)" % (c, seen))
                prev, e = e, b.nxt

    def check(self, frees):
        """mm/heap_goodfit.c's gf_check, in its order: for each class the bitmap bit (and,
        at each word, the top bit) against the list, then each entry of the list: inside
        the heap, a sound free block (canary, flags, size, footer) of that class, its back
        link; at most as many entries as the tiling has free blocks (a cycle otherwise).
        Then the lists must hold exactly the tiling's free blocks (frees: (address, size)
        in address order): else the first free block they lost is named."""
        hv, nfree = self.hv, len(frees)
        n = nbytes = 0
        listed = set()
        for c in range(self.nclasses):
            bit, head = self.bit(c), self.heads[c]
            if bit != bool(head):
                raise HeapError("good-fit bitmap says class %d is %s, its list is %s"
                                % (c, "not empty" if bit else "empty",
                                   "not empty" if head else "empty"))
            w = c >> 6
            if c & 63 == 0 and bool(self.top >> w & 1) != bool(self.map[w]):
                raise HeapError("good-fit top bitmap wrong for word %d (top 0x%x, word 0x%x)"
                                % (w, self.top, self.map[w]))
            prev, e, limit, left = 0, head, nfree + 1 - n, nfree + 1 - n
            while e:
                if left == 0:
                    raise HeapError("good-fit class %d's list holds more entries than there are "
                                    "free blocks (%d): a cycle" % (c, limit))
                left -= 1
                b = self.entry(c, prev, e)
                if (not b.canary_ok or b.sf & hv.F_MASK & ~hv.F_RELEASED != hv.F_FREE
                        or b.size < hv.MIN_BLOCK
                        or b.size > hv.sentinel - e or hv.mem.u64(e + b.size - 8) != b.size):
                    raise HeapError("good-fit class %d holds 0x%x, which is not a free block "
                                    "(size_flags 0x%x)" % (c, e, b.sf))
                if self.class_of(b.size) != c:
                    raise HeapError("free block 0x%x (size %d) is in good-fit class %d, not %d"
                                    % (e, b.size, c, self.class_of(b.size)))
                if b.prv != prev:
                    raise HeapError("broken back link at block 0x%x (prev 0x%x, expected 0x%x)"
                                    % (e, b.prv, prev))
                n, nbytes = n + 1, nbytes + b.size
                listed.add(e)
                prev, e = e, b.nxt
        free_bytes = sum(size for _, size in frees)
        if n == nfree and nbytes == free_bytes:
            return
        for addr, size in frees:
            if addr not in listed:
                raise HeapError("free block not on its good-fit list at block 0x%x (size %d, "
                                "class %d)" % (addr, size, self.class_of(size)))
        raise HeapError("the good-fit lists hold %d blocks of %d bytes, the heap has %d of %d"
                        % (n, nbytes, nfree, free_bytes))

    def describe(self):
        return "%d of %d size classes not empty" % (self.nonempty(), self.nclasses)


class MbHeap(gdb.Command):
    """Show the heap core's state: mb-heap [--heap=EXPR] [blocks | free | check | find ADDR]

mb-heap             the region, the placement policy (first fit or good fit), the totals
                    of a walk over the blocks (used and free bytes, block counts, largest
                    free block), the heap's own counters, and whether the first-fit index
                    is on (its segments and levels) or, under good fit, how many size
                    classes hold free blocks
mb-heap blocks      every block in address order: header address, payload address, size,
                    used/free, and whether its canary is intact
mb-heap free        first fit: the free list, in address order from list.next around to
                    the head node: each block with its size and the index segment it
                    starts in; the tail (the block before the end sentinel) is marked: the
                    index does not hold it. Good fit: each size class's list from its
                    head (gf.lists[c]), class by class: each block with its size and class
mb-heap check       the checks of heap_check(), from outside: tiling, canaries, PREV_FREE
                    bits, merging, footers; first fit: the list in address order with its
                    back links, the index against the list (each segment's level[0] entry
                    and first[] entry, every tree node the largest of its children, the
                    non-empty bitmap); good fit: the bitmap (gf.map, gf.top) against the
                    lists, every entry a free block of its class with its back link, the
                    lists holding exactly the free blocks; then the statistics, and poison
                    in debug mode (every free byte is read: slow on a large heap);
                    it names the first broken block, index entry or class
mb-heap find ADDR   which block holds ADDR (header or payload, offset into the payload)

--heap=EXPR picks another struct heap (an expression, without spaces, of type struct heap
or a pointer to one); the default is the kernel heap, kernel/kheap.c's kheap."""

    def __init__(self):
        super().__init__("mb-heap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = arg.split(None, 1)
        expr = KERNEL_HEAP
        if words and words[0].startswith("--heap="):
            expr = words[0][len("--heap="):]
            words = words[1].split(None, 1) if len(words) > 1 else []
        sub = words[0] if words else ""
        operand = words[1].strip() if len(words) > 1 else ""
        h = HeapView(expr)
        if not h.initialised:
            gdb.write("mb-heap: %s is not initialised yet\n" % expr)
            return
        try:
            if sub == "":
                self.summary(h)
            elif sub == "blocks":
                self.show_blocks(h)
            elif sub == "free":
                self.show_free(h)
            elif sub == "check":
                nused, nfree, ix, gf = h.check()
                if gf:
                    what = "the good-fit lists (%s) and the statistics agree" % gf.describe()
                elif ix:
                    what = ("the address-ordered list, the index (%d segments, top level %d) and "
                            "the statistics agree" % (ix.nseg, ix.top))
                else:
                    what = ("the address-ordered list and the statistics agree (the index is "
                            "off: first fits walk the list)")
                gdb.write("mb-heap check: ok: %d blocks (%d used, %d free), %s\n"
                          % (nused + nfree, nused, nfree, what))
            elif sub == "find" and operand:
                gdb.write(h.find(parse_addr(operand, "mb-heap find")) + "\n")
            else:
                raise gdb.GdbError("usage: mb-heap [--heap=EXPR] [blocks | free | check | find ADDR]")
        except HeapError as e:
            gdb.write("mb-heap %s: FAILED: %s\n" % (sub or "walk", e))
        except gdb.MemoryError as e:
            gdb.write("mb-heap %s: FAILED: cannot read heap memory: %s\n" % (sub or "walk", e))

    @staticmethod
    def summary(h):
        gdb.write("heap %s: [0x%x, 0x%x) %d bytes, cap %d%s, %s, grew %d times\n"
                  % (h.expr, h.base, h.end, h.end - h.base, h.stat("max_size"),
                     ", debug mode" if h.debug else "", h.policy, h.stat("grow_events")))
        used = free = nused = nfree = largest = 0
        for b in h.blocks():
            if b.free:
                free, nfree, largest = free + b.size, nfree + 1, max(largest, b.size)
            else:
                used, nused = used + b.size, nused + 1
        gdb.write("blocks: %d (%d used, %d free), used %d bytes, free %d bytes, largest free %d\n"
                  % (nused + nfree, nused, nfree, used, free, largest))
        gdb.write("counters: %d allocs, %d frees, %d live, high water %d bytes\n"
                  % (h.stat("total_allocs"), h.stat("total_frees"),
                     h.stat("total_allocs") - h.stat("total_frees"), h.stat("high_water")))
        if h.has_field("released"):
            gdb.write("given back: %d bytes released (not resident), %d releases, %d reuses\n"
                      % (h.stat("released"), h.stat("release_events"), h.stat("reuse_events")))
        if h.good_fit:
            gdb.write("good fit: %s (lists at 0x%x); no first-fit index\n"
                      % (GoodFit(h).describe(), int(h.h["gf"]["lists"].address)))
        elif h.indexed:
            ix = Index(h)
            root = int(h.h["index"]["level"][ix.top][0])
            gdb.write("index: on, %s, first[] at 0x%x; largest indexed block %d bytes\n"
                      % (ix.describe(), ix.first_addr, root))
        else:
            gdb.write("index: off: first fits walk the list\n")

    @staticmethod
    def show_blocks(h):
        gdb.write("%-18s %-18s %10s  %-4s  %s\n" % ("block", "payload", "size", "", "canary"))
        n = bad = 0
        for b in h.blocks(lenient=True):
            gdb.write("0x%-16x 0x%-16x %10d  %-4s  %s\n"
                      % (b.addr, b.addr + h.HDR, b.size, "free" if b.free else "used",
                         "ok" if b.canary_ok else "BAD"))
            n, bad = n + 1, bad + (not b.canary_ok)
        gdb.write("%d blocks%s, end sentinel at 0x%x\n"
                  % (n, ", %d with a BAD canary (see mb-heap check)" % bad if bad else "",
                     h.sentinel))

    @staticmethod
    def show_free(h):
        if h.good_fit:
            MbHeap.show_gf_free(h)
            return
        gdb.write("free list of %s in address order (index %s; segments of %d bytes)\n"
                  % (h.expr, "on" if h.indexed else "off", 1 << h.SEG_SHIFT))
        gdb.write("%-18s %-18s %10s  %7s\n" % ("block", "payload", "size", "segment"))
        n = total = 0
        tail = None
        for b in h.free_list():
            notes = [] if b.canary_ok else ["BAD canary"]
            if not b.free:
                notes.append("NOT FREE (size_flags 0x%x)" % b.sf)
            if h.is_tail(b.addr, b.size):
                tail = b
                notes.append("tail" + (" (not in the index)" if h.indexed else ""))
            gdb.write("0x%-16x 0x%-16x %10d  %7d%s\n"
                      % (b.addr, b.addr + h.HDR, b.size, h.segment(b.addr),
                         "  " + ", ".join(notes) if notes else ""))
            n, total = n + 1, total + b.size
        gdb.write("%d free blocks on the list, %d bytes%s\n"
                  % (n, total, "; %d in the index, the tail is not" % (n - 1)
                     if h.indexed and tail else ""))

    @staticmethod
    def show_gf_free(h):
        gf = GoodFit(h)
        gdb.write("free lists of %s by good-fit size class (%s), each from its head\n"
                  % (h.expr, gf.describe()))
        gdb.write("%-18s %-18s %10s  %5s\n" % ("block", "payload", "size", "class"))
        n = total = 0
        classes = set()
        for c, b in gf.walk():
            notes = [] if b.canary_ok else ["BAD canary"]
            if not b.free:
                notes.append("NOT FREE (size_flags 0x%x)" % b.sf)
            elif gf.class_of(b.size) != c:
                notes.append("WRONG CLASS (its size is class %d's)" % gf.class_of(b.size))
            if h.is_tail(b.addr, b.size):
                notes.append("tail")
            gdb.write("0x%-16x 0x%-16x %10d  %5d%s\n"
                      % (b.addr, b.addr + h.HDR, b.size, c,
                         "  " + ", ".join(notes) if notes else ""))
            n, total = n + 1, total + b.size
            classes.add(c)
        gdb.write("%d free blocks on the lists, %d bytes, in %d classes\n"
                  % (n, total, len(classes)))


# ---------------------------------------------------------------------------------------
# The frame allocator (mm/pmm.c) and the memory map (mm/memmap.c)
# ---------------------------------------------------------------------------------------

# The printed names of enum memmap_resv, as memmap_resv_name() (mm/memmap.h) has them,
# by enumerator (GDB names an enum value by its enumerator).
RESV_NAMES = {
    "MEMMAP_RESV_LOW_1M": "first 1 MiB (BIOS, real mode)",
    "MEMMAP_RESV_KERNEL_IMAGE": "kernel image",
    "MEMMAP_RESV_BOOT_TABLES": "boot page tables",
    "MEMMAP_RESV_MB2_INFO": "multiboot2 info",
    "MEMMAP_RESV_BOOT_MODULE": "boot module",
    "MEMMAP_RESV_PMM_METADATA": "frame allocator metadata",
}


def map_ranges(m):
    """The ranges of a struct memmap: (start, end, type, reservation name or None)."""
    out = []
    for i in range(int(m["n"])):
        r = m["r"][i]
        resv = r["resv"]
        reason = None if int(resv) == 0 else RESV_NAMES.get(str(resv), "unknown %d" % int(resv))
        out.append((int(r["start"]), int(r["end"]), int(r["type"]), reason))
    return out


def range_name(rtype, reason):
    if reason:
        return "reserved: " + reason
    return MB2_TYPES.get(rtype, "reserved (type %d)" % rtype)


class MbFrames(gdb.Command):
    """Show the frame allocator: mb-frames [PADDR]

mb-frames           frame totals as pmm_stats() computes them (total usable, free, used,
                    reserved in the span), the bitmap's count of frames handed out, the
                    free stack and the cursor
mb-frames PADDR     whether the 4 KiB frame holding PADDR is free, used or reserved, and
                    why (the memory map range and its reservation reason)"""

    def __init__(self):
        super().__init__("mb-frames", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = value(KERNEL_PMM, "mb-frames")
        base, limit = int(p["base"]), int(p["limit"])
        if limit <= base:
            gdb.write("mb-frames: the frame allocator is not initialised yet\n")
            return
        total, used = int(p["total"]), int(p["used"])
        span = (limit - base) // PAGE
        if not arg.strip():
            gdb.write("frames (4 KiB): total %d (%s), free %d, used %d, reserved %d\n"
                      % (total, human(total * PAGE), total - used, used, span - total))
            marked = sum(bin(x).count("1") for x in self.bitmap(p, base, limit))
            gdb.write("span [0x%x, 0x%x): %d frames; bitmap: %d handed out%s\n"
                      % (base, limit, span, marked, "" if marked == used else
                         " (DISAGREES with used = %d)" % used))
            cr = int(p["cursor_range"])
            gdb.write("free stack: %d frame(s); cursor at 0x%x (usable range %d of %d)\n"
                      % (int(p["stack_top"]), int(p["cursor"]), cr + 1, int(p["nusable"])))
            return
        addr = parse_addr(arg, "mb-frames")
        gdb.write("0x%x (frame 0x%x): %s\n" % (addr, addr & ~(PAGE - 1), self.explain(p, addr)))

    @staticmethod
    def bitmap(p, base, limit):
        nbytes = ((limit - base) // PAGE + 63) // 64 * 8
        return read(int(p["bitmap"]), nbytes)

    @staticmethod
    def on_stack(p, frame):
        n = int(p["stack_top"])
        if n == 0:
            return False
        data = read(int(p["stack"]), 4 * n)
        idx = (frame - int(p["base"])) // PAGE
        return any(le(data, 4 * i, 4) == idx for i in range(n))

    def explain(self, p, addr):
        frame = addr & ~(PAGE - 1)
        base, limit = int(p["base"]), int(p["limit"])
        rng = next((r for r in map_ranges(p["map"]) if r[0] <= addr < r[1]), None)
        if frame < int(p["meta_end"]) and frame >= int(p["meta"]):
            return "reserved: frame allocator metadata (never handed out)"
        handed_out = False
        if base <= frame < limit:
            bit = (frame - base) // PAGE
            # one byte of the bitmap (uint64_t words, little-endian: bit i is in byte i / 8)
            handed_out = bool(read(int(p["bitmap"]) + bit // 8, 1)[0] >> (bit % 8) & 1)
        if rng is None:
            return "not RAM: in no range of the memory map (a hole)"
        start, end, rtype, reason = rng
        where = "[0x%x, 0x%x) %s" % (start, end, range_name(rtype, reason))
        if rtype != 1:
            return "reserved by the firmware: %s" % where
        if reason is None:
            if handed_out:
                return "used: handed out (usable range %s)" % where
            if self.on_stack(p, frame):
                return "free: on the free stack (freed earlier; usable range %s)" % where
            usable = [(int(p["usable"][i]["start"]), int(p["usable"][i]["end"]))
                      for i in range(int(p["nusable"]))]
            cr, cursor = int(p["cursor_range"]), int(p["cursor"])
            idx = next((i for i, (s, e) in enumerate(usable) if s <= frame < e), None)
            if idx is not None and (idx > cr or (idx == cr and frame >= cursor)):
                return "free: never handed out (at or above the cursor 0x%x; usable range %s)" % (
                    cursor, where)
            return ("LOST: below the cursor, not handed out and not on the free stack "
                    "(usable range %s)" % where)
        if handed_out:
            return "used: handed out after pmm_release() gave it back (%s)" % where
        if self.on_stack(p, frame):
            return "free: released by pmm_release() from the kernel reservation (%s)" % where
        return "reserved: %s (kernel reservation)" % reason


class MbMmap(gdb.Command):
    """Show the normalised physical memory map with reservation reasons: mb-mmap

One line per range of kernel/kmem.c's kmap (sorted, non-overlapping): start, end (exclusive),
size, and the multiboot2 type or the reason the kernel reserved it, then the totals."""

    def __init__(self):
        super().__init__("mb-mmap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        ranges = map_ranges(value(KERNEL_MAP, "mb-mmap"))
        if not ranges:
            gdb.write("mb-mmap: the memory map is empty (not set up yet)\n")
            return
        usable = fw = kern = 0
        for start, end, rtype, reason in ranges:
            gdb.write("  0x%016x  0x%016x  %10s  %s\n"
                      % (start, end, human(end - start), range_name(rtype, reason)))
            if rtype != 1:
                fw += end - start
            elif reason:
                kern += end - start
            else:
                usable += end - start
        gdb.write("%d ranges: usable %s, firmware-reserved %s, kernel-reserved %s\n"
                  % (len(ranges), human(usable), human(fw), human(kern)))


# ---------------------------------------------------------------------------------------
# Page tables (x86_64, 4 levels)
# ---------------------------------------------------------------------------------------

ADDR_MASK = 0x000FFFFFFFFFF000
P, W, U, PWT, PCD, A, D, PS, G, NX = (1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6,
                                      1 << 7, 1 << 8, 1 << 63)
FLAG_NAMES = [(P, "P"), (W, "W"), (U, "U"), (PWT, "PWT"), (PCD, "PCD"), (A, "A"), (D, "D"),
              (PS, "PS"), (G, "G"), (NX, "NX")]
LEVELS = (("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12))
PAGE_NAMES = {12: "4 KiB", 21: "2 MiB", 30: "1 GiB"}


class PhysMem:
    """Physical memory of the guest: QEMU's gdbstub PhyMemMode when it has it (works
    before paging, and for tables the direct map does not reach), else the kernel's
    direct map. A context manager: the stub is switched back to virtual addresses on exit."""

    def __enter__(self):
        self.qemu = False
        try:
            out = gdb.execute("maint packet Qqemu.PhyMemMode:1", to_string=True)
            self.qemu = '"OK"' in out
        except gdb.error:
            pass
        self.flush()
        self.how = "QEMU physical memory" if self.qemu else "the direct map at 0x%x" % DIRECT_MAP
        return self

    def __exit__(self, *exc):
        if self.qemu:
            gdb.execute("maint packet Qqemu.PhyMemMode:0", to_string=True)
        self.flush()
        return False

    @staticmethod
    def flush():
        try:
            gdb.execute("maint flush dcache", to_string=True)
        except gdb.error:
            pass

    def read(self, pa, n):
        return read(pa if self.qemu else DIRECT_MAP + pa, n)

    def table(self, pa):
        data = self.read(pa, PAGE)
        return [le(data, 8 * i) for i in range(512)]


def flag_str(entry):
    return " ".join(n for bit, n in FLAG_NAMES if entry & bit)


def canonical(va):
    return va | (U64 ^ ((1 << 48) - 1)) if va & (1 << 47) else va


def perms(w, u, nx, g):
    return "r%s%s %s%s" % ("w" if w else "-", "-" if nx else "x", "user" if u else "kern",
                           " global" if g else "")


class MbPt(gdb.Command):
    """Walk the live page tables (from CR3): mb-pt [VADDR]

mb-pt VADDR   the four levels for VADDR: each entry's index, address, raw value and
              decoded flags (P W U PWT PCD A D PS G NX), then the physical address and page
              size, or the level where the walk stops
mb-pt         the whole address space as merged ranges: virtual range, size, effective
              permissions (r/w/x, user or kernel, global), page sizes, and the physical
              range when it is contiguous

Tables are read through QEMU's physical memory view (gdbstub PhyMemMode)."""

    def __init__(self):
        super().__init__("mb-pt", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        # the argument may read memory: evaluate it before switching to physical addresses
        va = parse_addr(arg, "mb-pt") if arg.strip() else None
        cr0, cr4 = int(gdb.parse_and_eval("$cr0")), int(gdb.parse_and_eval("$cr4"))
        efer = int(gdb.parse_and_eval("$efer"))
        if not cr0 & (1 << 31):
            gdb.write("mb-pt: paging is off (CR0.PG = 0): virtual = physical\n")
            return
        if not efer & (1 << 10) or cr4 & (1 << 12):
            gdb.write("mb-pt: not 4-level long-mode paging (EFER 0x%x, CR4 0x%x): not decoded\n"
                      % (efer, cr4))
            return
        cr3 = int(gdb.parse_and_eval("$cr3")) & ADDR_MASK
        with PhysMem() as phys:
            if va is not None:
                self.walk_one(phys, cr3, va)
            else:
                self.dump(phys, cr3)

    @staticmethod
    def walk_one(phys, cr3, va):
        if canonical(va & ((1 << 48) - 1)) != va:
            gdb.write("0x%x is not canonical (bits 63..47 differ): never mapped\n" % va)
            return
        gdb.write("mb-pt 0x%x: CR3 0x%x, tables read through %s\n" % (va, cr3, phys.how))
        table, w, u, nx = cr3, True, True, False
        for name, shift in LEVELS:
            index = (va >> shift) & 511
            entry = le(phys.read(table + 8 * index, 8))
            gdb.write("  %-4s[%3d] @0x%-10x = 0x%016x  %s\n"
                      % (name, index, table + 8 * index, entry, flag_str(entry)))
            if not entry & P:
                gdb.write("0x%x: not mapped (%s entry %d not present)\n" % (va, name, index))
                return
            w, u, nx = w and bool(entry & W), u and bool(entry & U), nx or bool(entry & NX)
            if shift == 12 or (shift in (21, 30) and entry & PS):
                size = 1 << shift
                frame = entry & ADDR_MASK & ~(size - 1)
                gdb.write("0x%x -> phys 0x%x (%s page at 0x%x, %s)\n"
                          % (va, frame | (va & (size - 1)), PAGE_NAMES[shift], frame,
                             perms(w, u, nx, entry & G)))
                return
            table = entry & ADDR_MASK

    @staticmethod
    def dump(phys, cr3):
        gdb.write("mb-pt: CR3 0x%x, tables read through %s\n" % (cr3, phys.how))
        runs = []  # [va_start, va_end, perms, pa_start, pa_end or None, set of sizes]

        def leaf(va, size, pa, p):
            r = runs[-1] if runs else None
            if r and r[1] == va and r[2] == p:
                r[1] = va + size
                r[4] = pa + size if r[4] == pa else None
                r[5].add(size)
            else:
                runs.append([va, va + size, p, pa, pa + size, {size}])

        def walk(table, level, va, w, u, nx):
            shift = LEVELS[level][1]
            for i, entry in enumerate(phys.table(table)):
                if not entry & P:
                    continue
                v = canonical(va | (i << shift)) if level == 0 else va | (i << shift)
                ew, eu, enx = w and bool(entry & W), u and bool(entry & U), nx or bool(entry & NX)
                if shift == 12 or (shift in (21, 30) and entry & PS):
                    size = 1 << shift
                    leaf(v, size, entry & ADDR_MASK & ~(size - 1), perms(ew, eu, enx, entry & G))
                else:
                    walk(entry & ADDR_MASK, level + 1, v, ew, eu, enx)

        walk(cr3, 0, 0, True, True, False)
        gdb.write("%-18s %-18s %10s  %-16s %-14s %s\n"
                  % ("start", "end", "size", "access", "pages", "physical"))
        for va, end, p, pa, pa_end, sizes in runs:
            pages = "+".join(PAGE_NAMES[s.bit_length() - 1] for s in sorted(sizes))
            where = "0x%x-0x%x" % (pa, pa_end) if pa_end is not None else "not contiguous"
            gdb.write("0x%016x 0x%016x %10s  %-16s %-14s %s\n"
                      % (va, end, human(end - va), p, pages, where))
        gdb.write("%d mapped ranges\n" % len(runs))


# ---------------------------------------------------------------------------------------
# The kernel log (lib/kprintf.c)
# ---------------------------------------------------------------------------------------

class MbLog(gdb.Command):
    """Print the kernel log: mb-log

The last KLOG_SIZE bytes kprintf wrote (lib/kprintf.c's ring buffer klog_buf, with
klog_head counting every byte ever written), oldest first: what the console showed,
even when the serial output is lost, e.g. after a panic."""

    def __init__(self):
        super().__init__("mb-log", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        buf = value("klog_buf", "mb-log")
        size = int(buf.type.sizeof)
        head = int(gdb.parse_and_eval("klog_head"))
        kept = min(head, size)
        data = read(int(buf.address), size)
        start = (head - kept) % size  # the oldest byte kept
        out = (data[start:] + data[:start])[:kept]
        text = out.decode("utf-8", "replace")
        gdb.write(text if text.endswith("\n") or not text else text + "\n")


# ---------------------------------------------------------------------------------------
# Pretty-printers
# ---------------------------------------------------------------------------------------

class AddrPrinter:
    def __init__(self, val, prefix):
        self.val, self.prefix = val, prefix

    def to_string(self):
        return "%s 0x%x" % (self.prefix, int(self.val["addr"]) & U64)


class BlockPrinter:
    """struct heap_block: the size, the flags and whether the canary matches the kernel
    heap's secret; a free block also shows its list links (naming the list's head node,
    struct heap's `list`, where a link is it; under good fit, where a link is NULL: the
    end of its class's list, or its first entry). The head node itself shows as
    {list head, next <lowest free block>, prev <highest>}, or, under good fit, which does
    not use it, as {list head, unused: good fit keeps size-class lists}."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            h = HeapView()
        except (gdb.error, gdb.GdbError):
            h = None
        addr = int(self.val.address) if self.val.address is not None else None
        nxt, prv = int(self.val["next"]) & U64, int(self.val["prev"]) & U64

        gf = h is not None and h.good_fit

        def link(x, null_means=""):
            if gf:
                return "0x%x%s" % (x, " (%s)" % null_means if x == 0 else "")
            return "0x%x%s" % (x, " (list head)" if h is not None and x == h.head else "")

        if h is not None and addr == h.head:
            if gf:
                return "{list head, unused: good fit keeps size-class lists}"
            return "{list head, next %s, prev %s}" % (link(nxt), link(prv))
        sf = int(self.val["sf"]) & U64
        L = enum_values("enum heap_layout")
        free = sf & L["F_FREE"]
        parts = ["size %d" % (sf & ~L["F_MASK"]), "free" if free else "used"]
        if sf & L["F_PREV_FREE"]:
            parts.append("prev free")
        if sf & L["F_ABSORBED"]:
            parts.append("absorbed by a merge")
        if h is not None and addr is not None and h.base <= addr < h.end:
            ok = int(self.val["canary"]) & U64 == h.canary_of(addr, sf)
            parts.append("canary ok" if ok else "canary BAD")
        if free:
            parts.append("next %s, prev %s" % (link(nxt, "end of its class's list"),
                                               link(prv, "first of its class")))
        return "{%s}" % ", ".join(parts)


def lookup_printer(val):
    t = val.type.unqualified()
    name = t.name or ""
    if name == "paddr_t":
        return AddrPrinter(val, "pa")
    if name == "vaddr_t":
        return AddrPrinter(val, "va")
    s = t.strip_typedefs()
    if s.code == gdb.TYPE_CODE_STRUCT and s.tag == "heap_block":
        return BlockPrinter(val)
    return None


def session_settings():
    """What a kernel debugging session wants: no pager stops (batch runs, long dumps),
    structs printed one field per line, Intel syntax like the NASM trampoline. The kernel
    is an x86_64 ELF that starts in 32-bit mode: keep GDB's architecture i386:x86-64 (never
    `set architecture i386`) and use hardware breakpoints (hbreak) until the kernel's
    higher-half mapping exists."""
    for setting in ("pagination off", "confirm off", "print pretty on",
                    "disassembly-flavor intel"):
        gdb.execute("set " + setting)


session_settings()
for cmd in (MbHeap, MbFrames, MbMmap, MbPt, MbLog):
    cmd()
gdb.pretty_printers = [p for p in gdb.pretty_printers
                       if getattr(p, "__name__", "") != "lookup_printer"]
gdb.pretty_printers.append(lookup_printer)
