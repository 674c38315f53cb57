/* SPDX-License-Identifier: MIT */
/*
 * kernel/kmem.c - boot-time memory setup: memory map, frame allocator, kernel page tables.
 *
 * 1. The firmware map (multiboot2 tag) is normalised (mm/memmap.c), then the kernel
 *    reserves what must never be handed out: the first 1 MiB, the kernel image, the boot
 *    page tables (until step 4), the multiboot2 information, the modules, and the frame
 *    allocator's own bitmap (placed below 4 GiB, where the boot tables' direct map reaches).
 * 2. The frame allocator (mm/pmm.c) starts over the usable rest. Its first frames are the
 *    lowest ones, so the page tables built next stay inside the boot direct map.
 * 3. The kernel's own tables (mm/vmm.c):
 *      direct map   DIRECT_MAP_BASE + every RAM range (available, ACPI, and the first
 *                   1 MiB for VGA/BIOS data), RW NX, 2 MiB pages where aligned;
 *      kernel       KERNEL_VMA + image, per ELF section from the multiboot2 ELF-sections
 *                   tag: text R X, rodata R NX, data/bss RW NX; the kernel stack's guard
 *                   page is left unmapped;
 *      nothing else: page 0 and the boot identity map are gone.
 *    Every leaf is checked for W^X before CR3 is switched.
 * 4. The boot page tables are given back to the frame allocator.
 */
#include "kernel/kmem.h"

#include "arch/x86_64/cpu.h"
#include "kernel/direct_map.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/spinlock.h"

/* ELF section header flags. */
#define SHF_WRITE 0x1u
#define SHF_ALLOC 0x2u
#define SHF_EXECINSTR 0x4u

extern char kernel_phys_start[], kernel_phys_end[];
extern char boot_tables_start[], boot_tables_end[];
extern char kernel_stack_guard[];

static struct memmap kmap;
static struct pmm kpmm;
static struct vmm_space kspace;
static bool kspace_live; /* CR3 points at kspace: changes must be flushed */
/* kpmm_lock guards kpmm, kvmm_lock guards kspace's tables. Order: kvmm_lock, then
 * kpmm_lock (the page mapper takes table frames with its own lock held); the kernel heap's
 * lock comes before both (its growth maps pages). */
static struct spinlock kpmm_lock = SPINLOCK_INIT("pmm");
static struct spinlock kvmm_lock = SPINLOCK_INIT("vmm");

const struct memmap *kmem_map(void)
{
    return &kmap;
}

paddr_t kmem_pml4(void)
{
    return kspace.pml4;
}

err_t kmem_frame_alloc(paddr_t *out)
{
    irq_flags_t f = spin_lock_irqsave(&kpmm_lock);
    err_t e = pmm_alloc(&kpmm, out);
    spin_unlock_irqrestore(&kpmm_lock, f);
    return e;
}

void kmem_frame_free(paddr_t frame)
{
    irq_flags_t f = spin_lock_irqsave(&kpmm_lock);
    pmm_free(&kpmm, frame);
    spin_unlock_irqrestore(&kpmm_lock, f);
}

void kmem_frame_stats(struct pmm_stats *out)
{
    irq_flags_t f = spin_lock_irqsave(&kpmm_lock);
    pmm_stats(&kpmm, out);
    spin_unlock_irqrestore(&kpmm_lock, f);
}

err_t kmem_map_page(vaddr_t page, paddr_t frame, uint64_t flags)
{
    irq_flags_t f = spin_lock_irqsave(&kvmm_lock);
    err_t e = vmm_map(&kspace, page, frame, flags);
    spin_unlock_irqrestore(&kvmm_lock, f);
    return e;
}

err_t kmem_unmap_page(vaddr_t page, paddr_t *frame_out)
{
    irq_flags_t f = spin_lock_irqsave(&kvmm_lock);
    err_t e = vmm_unmap(&kspace, page, frame_out);
    spin_unlock_irqrestore(&kvmm_lock, f);
    return e;
}

err_t kmem_translate(vaddr_t addr, paddr_t *out, uint64_t *flags_out)
{
    irq_flags_t f = spin_lock_irqsave(&kvmm_lock);
    err_t e = vmm_translate(&kspace, addr, out, flags_out);
    spin_unlock_irqrestore(&kvmm_lock, f);
    return e;
}

/* kspace's table frames and its low-half (heap and test) 4 KiB leaves, counted for
 * kmem_census; every one of them must be a frame the pmm handed out. */
static void census_table(void *arg, paddr_t table, int level)
{
    struct kmem_census *c = arg;
    if (!pmm_is_allocated(&kpmm, table))
        panic("kmem_census: level-%d page table at 0x%lx is not an allocated frame", level,
              pa_val(table));
    c->tables++;
}

static void census_leaf(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags)
{
    (void)flags;
    struct kmem_census *c = arg;
    if (va_val(page) >= DIRECT_MAP_BASE)
        return; /* the direct map and the kernel image map frames the pmm does not own */
    if (size != PAGE_SIZE || !pmm_is_allocated(&kpmm, frame))
        panic("kmem_census: 0x%lx maps 0x%lx (%lu bytes), not an allocated 4 KiB frame",
              va_val(page), pa_val(frame), size);
    c->mapped++;
}

void kmem_census(struct kmem_census *out)
{
    irq_flags_t fv = spin_lock_irqsave(&kvmm_lock);
    irq_flags_t fp = spin_lock_irqsave(&kpmm_lock);
    pmm_check(&kpmm);
    struct pmm_stats st;
    pmm_stats(&kpmm, &st);
    *out = (struct kmem_census){0, 0, st.used};
    vmm_walk_tables(&kspace, census_table, out);
    vmm_walk(&kspace, census_leaf, out);
    spin_unlock_irqrestore(&kpmm_lock, fp);
    spin_unlock_irqrestore(&kvmm_lock, fv);
}

/* The page mapper's table frames (called with kvmm_lock held). */
static err_t frame_alloc(void *ctx, paddr_t *out)
{
    (void)ctx;
    return kmem_frame_alloc(out);
}

static void frame_free(void *ctx, paddr_t frame)
{
    (void)ctx;
    kmem_frame_free(frame);
}

static void tlb_flush(void *ctx, vaddr_t page)
{
    (void)ctx;
    if (kspace_live)
        invlpg(page);
}

static const struct vmm_ops kernel_vmm_ops = {frame_alloc, frame_free, tlb_flush};

/* Low symbols (the boot sections) are physical; higher-half ones are KERNEL_VMA-based. */
static uint64_t image_phys(const void *sym)
{
    uint64_t a = (uint64_t)(uintptr_t)sym;
    return a >= KERNEL_VMA ? a - KERNEL_VMA : a;
}

static void reserve(uint64_t start, uint64_t end, enum memmap_resv kind)
{
    err_t e = memmap_reserve(&kmap, start, end, kind);
    if (e != E_OK)
        panic("kmem_init: cannot reserve [0x%lx, 0x%lx) for %s: %s", start, end,
              memmap_resv_name(kind), err_name(e));
}

/* Builds kmap with the kernel's reservations; returns where the pmm metadata goes. */
static paddr_t memmap_setup(const struct mb2_info *mb2, uint32_t mbi_pa)
{
    err_t e = memmap_from_mb2(&kmap, mb2);
    if (e == E_OK)
        e = memmap_normalize(&kmap);
    if (e != E_OK)
        panic("kmem_init: unusable memory map from the boot loader: %s", err_name(e));

    reserve(0, 1 * MiB, MEMMAP_RESV_LOW_1M);
    reserve(image_phys(kernel_phys_start), image_phys(boot_tables_start), MEMMAP_RESV_KERNEL_IMAGE);
    reserve(image_phys(boot_tables_start), image_phys(boot_tables_end), MEMMAP_RESV_BOOT_TABLES);
    reserve(image_phys(boot_tables_end), image_phys(kernel_phys_end), MEMMAP_RESV_KERNEL_IMAGE);
    reserve(mbi_pa, (uint64_t)mbi_pa + mb2->total_size, MEMMAP_RESV_MB2_INFO);
    struct mb2_module mod;
    for (size_t i = 0; mb2_module(mb2, i, &mod); i++)
        reserve(mod.start, mod.end, MEMMAP_RESV_BOOT_MODULE);

    uint64_t meta = pmm_metadata_size(&kmap), at;
    if (meta == 0)
        panic("kmem_init: the memory map has no usable RAM");
    if (!memmap_find_free(&kmap, meta, PAGE_SIZE, 4 * GiB, &at))
        panic("kmem_init: no room below 4 GiB for the frame allocator's %lu bytes of metadata",
              meta);
    reserve(at, at + meta, MEMMAP_RESV_PMM_METADATA);
    return pa(at);
}

/* Direct-maps [start, end) (page-aligned), 2 MiB pages where the range allows. */
static void map_direct(uint64_t start, uint64_t end)
{
    const uint64_t flags = VMM_WRITABLE | VMM_NX;
    for (uint64_t a = start; a < end;) {
        vaddr_t v = va(DIRECT_MAP_BASE + a);
        err_t e;
        uint64_t step;
        if (is_aligned(a, LARGE_PAGE_SIZE) && end - a >= LARGE_PAGE_SIZE) {
            e = vmm_map_2m(&kspace, v, pa(a), flags);
            step = LARGE_PAGE_SIZE;
        } else {
            e = vmm_map(&kspace, v, pa(a), flags);
            step = PAGE_SIZE;
        }
        if (e != E_OK)
            panic("kmem_init: direct map of 0x%lx failed: %s", a, err_name(e));
        a += step;
    }
}

static bool is_ram(const struct memmap_range *r)
{
    return r->type == MB2_MEM_AVAILABLE || r->type == MB2_MEM_ACPI_RECLAIMABLE ||
           r->type == MB2_MEM_NVS;
}

/* Adjacent RAM ranges are mapped as one run: the kernel's reservations split the map into
 * many ranges (kernel image, multiboot2 info, metadata), and those boundaries must not
 * break the 2 MiB pages of the RAM around them. */
static void map_all_ram(void)
{
    uint64_t mapped_to = 1 * MiB; /* the first 1 MiB (VGA text buffer, BIOS data) */
    map_direct(0, mapped_to);
    uint64_t run_start = mapped_to, run_end = mapped_to;
    for (size_t i = 0; i < kmap.n; i++) {
        const struct memmap_range *r = &kmap.r[i];
        if (!is_ram(r))
            continue;
        uint64_t s = MAX(align_down(r->start, PAGE_SIZE), run_end), e;
        if (!align_up_checked(r->end, PAGE_SIZE, &e))
            e = align_down(r->end, PAGE_SIZE);
        if (s >= e)
            continue;
        if (s != run_end) { /* a hole: map the run so far, start a new one */
            map_direct(run_start, run_end);
            run_start = s;
        }
        run_end = e;
    }
    map_direct(run_start, run_end);
}

/* Maps one kernel page; sections sharing a page must agree on its permissions. */
static void map_kernel_page(uint64_t v, uint64_t flags, const char *what)
{
    err_t e = vmm_map(&kspace, va(v), pa(v - KERNEL_VMA), flags);
    if (e == E_EXISTS) {
        uint64_t old;
        vmm_translate(&kspace, va(v), NULL, &old);
        if ((old & (VMM_WRITABLE | VMM_NX)) == (flags & (VMM_WRITABLE | VMM_NX)))
            return;
        panic("kmem_init: kernel page 0x%lx (%s) shared by sections with different "
              "permissions (0x%lx vs 0x%lx)",
              v, what, old, flags);
    }
    if (e != E_OK)
        panic("kmem_init: mapping kernel page 0x%lx (%s) failed: %s", v, what, err_name(e));
}

static void map_kernel_sections(const struct mb2_info *mb2)
{
    if (!mb2->has_elf_sections)
        panic("kmem_init: the boot loader gave no ELF-sections tag: cannot apply W^X");
    uint64_t guard = (uint64_t)(uintptr_t)kernel_stack_guard;
    unsigned mapped = 0;
    struct mb2_elf_section s;
    for (size_t i = 0; mb2_elf_section(mb2, i, &s); i++) {
        if (!(s.flags & SHF_ALLOC) || s.size == 0 || s.addr < KERNEL_VMA)
            continue; /* not loaded, or a low boot section (dropped with the identity map) */
        uint64_t flags, end;
        const char *what;
        if (s.flags & SHF_EXECINSTR) {
            flags = 0, what = "text R X";
            if (s.flags & SHF_WRITE)
                panic("kmem_init: ELF section %zu at 0x%lx is writable and executable", i, s.addr);
        } else if (s.flags & SHF_WRITE) {
            flags = VMM_WRITABLE | VMM_NX, what = "data RW";
        } else {
            flags = VMM_NX, what = "rodata R";
        }
        if (__builtin_add_overflow(s.addr, s.size, &end) || !align_up_checked(end, PAGE_SIZE, &end))
            panic("kmem_init: ELF section %zu at 0x%lx size 0x%lx overflows", i, s.addr, s.size);
        for (uint64_t v = align_down(s.addr, PAGE_SIZE); v < end; v += PAGE_SIZE) {
            if (v == guard)
                continue; /* the kernel stack's guard page: never mapped */
            map_kernel_page(v, flags, what);
        }
        mapped++;
    }
    if (mapped == 0)
        panic("kmem_init: the ELF-sections tag names no higher-half section");
}

struct wx_check {
    uint64_t leaves, bad;
};

static void wx_leaf(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags)
{
    (void)frame, (void)size;
    struct wx_check *c = arg;
    c->leaves++;
    if ((flags & VMM_WRITABLE) && !(flags & VMM_NX)) {
        kprintf("kmem_init: W^X violated at 0x%lx (flags 0x%lx)\n", va_val(page), flags);
        c->bad++;
    }
}

static void switch_to_kernel_tables(void)
{
    struct wx_check c = {0, 0};
    vmm_walk(&kspace, wx_leaf, &c);
    if (c.bad)
        panic("kmem_init: %lu of %lu mappings are both writable and executable", c.bad, c.leaves);
    write_cr3(pa_val(kspace.pml4));
    kspace_live = true;
}

/* The boot page tables are dead once CR3 points at the kernel's: hand them to the frame
 * allocator and drop their reservation from the map. Returns the number of frames. */
static uint64_t release_boot_tables(void)
{
    uint64_t n = 0;
    for (uint64_t a = image_phys(boot_tables_start); a < image_phys(boot_tables_end);
         a += PAGE_SIZE, n++)
        pmm_release(&kpmm, pa(a));
    for (size_t i = 0; i < kmap.n; i++) {
        if (kmap.r[i].resv == MEMMAP_RESV_BOOT_TABLES)
            kmap.r[i].resv = MEMMAP_RESV_NONE;
    }
    err_t e = memmap_normalize(&kmap); /* merges with usable neighbours, if any */
    if (e != E_OK)
        panic("kmem_init: memmap_normalize after releasing the boot tables: %s", err_name(e));
    return n;
}

void kmem_init(const struct mb2_info *mb2, uint32_t mbi_pa, uint64_t fail_after)
{
    paddr_t metadata = memmap_setup(mb2, mbi_pa);
    kprintf("\nphysical memory map (normalised, with the kernel's reservations):\n");
    memmap_print(&kmap);

    err_t e = pmm_init(&kpmm, &kmap, metadata);
    if (e != E_OK)
        panic("kmem_init: pmm_init failed: %s", err_name(e));
    struct pmm_stats st;
    pmm_stats(&kpmm, &st);
    kprintf("[ok] frame allocator: %lu frames (%lu MiB) usable, %lu reserved in between\n",
            st.total, st.total * PAGE_SIZE / MiB, st.reserved);

    e = vmm_space_init(&kspace, &kernel_vmm_ops, NULL);
    if (e != E_OK)
        panic("kmem_init: no frame for the kernel's PML4: %s", err_name(e));
    map_all_ram();
    map_kernel_sections(mb2);
    switch_to_kernel_tables();

    uint64_t released = release_boot_tables();
    pmm_stats(&kpmm, &st);
    kprintf("[ok] kernel page tables at 0x%lx: direct map at 0x%lx, kernel W^X, stack guard "
            "page at 0x%lx, no identity map; %lu boot table frames given back; %lu frames free\n",
            pa_val(kspace.pml4), (uint64_t)DIRECT_MAP_BASE, (uint64_t)(uintptr_t)kernel_stack_guard,
            released, st.free);
    irq_flags_t f = spin_lock_irqsave(&kpmm_lock);
    pmm_fail_after(&kpmm, fail_after);
    spin_unlock_irqrestore(&kpmm_lock, f);
}
