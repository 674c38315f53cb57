/* SPDX-License-Identifier: MIT */
/*
 * mm/vmm.c - the 4-level page-table walker (see mm/vmm.h for the contracts).
 *
 * How it works
 *  - Levels are numbered 4 (PML4) down to 1 (PT); each table is one 4 KiB frame of 512
 *    64-bit entries reached through phys_to_virt(). A vaddr's index at level L is bits
 *    [12 + 9(L-1), 20 + 9(L-1)]. A leaf is a PT entry (4 KiB), or a PD/PDPT entry with
 *    VMM_HUGE (2 MiB / 1 GiB); a PML4 entry is never a leaf.
 *  - Mapping runs in three phases so that a failure never leaves a half-built tree:
 *    (1) walk the existing tables to the leaf slot, failing with E_HUGEPAGE/E_EXISTS
 *    before anything changes and counting the missing tables; (2) allocate and zero all
 *    missing tables at once, giving them all back on E_NOMEM; (3) link them and write
 *    the leaf, which cannot fail. Upper-level entries are PRESENT|WRITABLE (+USER for a
 *    user leaf); NX is only ever set on leaves, so it is decided per page.
 *  - Unmapping clears the leaf, then clears the parent entry of every table that became
 *    all-zero (bottom-up, never the PML4), then flushes the page once (invlpg also drops
 *    the paging-structure caches), and only then frees those tables, so that no CPU can
 *    walk a freed table that has been reused.
 *  - Every change to a present leaf or a present parent entry calls ops->flush; a leaf
 *    going from not-present to present does not (the TLB caches no not-present entries).
 */
#include "mm/vmm.h"

#include "lib/phys.h"
#include "lib/string.h"

#define ENTRIES 512
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51..12: a table's or 4 KiB frame's address */
#define ADDR_MASK_2M 0x000fffffffe00000ull
#define ADDR_MASK_1G 0x000fffffc0000000ull
#define FLAG_MASK (0x1ffull | VMM_NX) /* bits 8..0 and 63 */
#define PARENT_FLAGS (VMM_PRESENT | VMM_WRITABLE)

typedef uint64_t pte_t;

static pte_t *table_at(uint64_t phys)
{
    return phys_to_virt(pa(phys));
}

static unsigned pt_index(uint64_t v, int level)
{
    return (unsigned)(v >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t level_size(int level)
{
    return PAGE_SIZE << (9 * (level - 1));
}

static void flush(const struct vmm_space *s, uint64_t v)
{
    if (s->ops->flush)
        s->ops->flush(s->ctx, va(v));
}

/* v with bits 63..48 copied from bit 47. */
static uint64_t sign_extend48(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16);
}

/* True when present entry e at `level` maps memory itself: a PT entry, or a PD/PDPT
 * entry with VMM_HUGE. */
static bool is_leaf(pte_t e, int level)
{
    return level == 1 || (level < 4 && (e & VMM_HUGE));
}

/* The frame a leaf entry at `level` maps. */
static uint64_t leaf_frame(pte_t e, int level)
{
    return e & (level == 3 ? ADDR_MASK_1G : level == 2 ? ADDR_MASK_2M : ADDR_MASK);
}

/* A leaf entry's flag bits as vmm_translate reports them (VMM_HUGE only on huge leaves). */
static uint64_t leaf_flags(pte_t e, int level)
{
    return e & FLAG_MASK & (level == 1 ? ~VMM_HUGE : ~0ull);
}

bool vmm_is_canonical(vaddr_t v)
{
    return sign_extend48(va_val(v)) == va_val(v);
}

/* Checks the arguments of a map/protect at leaf level `leaf` (1: 4 KiB, 2: 2 MiB). */
static bool leaf_args_ok(uint64_t v, uint64_t frame, uint64_t flags, int leaf)
{
    uint64_t size = level_size(leaf);
    uint64_t allowed = VMM_LEAF_FLAGS | (leaf > 1 ? VMM_HUGE : 0);
    return vmm_is_canonical(va(v)) && is_aligned(v, size) && is_aligned(frame, size) &&
           (frame & ~ADDR_MASK) == 0 && (flags & ~allowed) == 0;
}

err_t vmm_space_init(struct vmm_space *s, const struct vmm_ops *ops, void *ctx)
{
    paddr_t t;
    err_t e = ops->alloc_frame(ctx, &t);
    if (e != E_OK)
        return e;
    memset(phys_to_virt(t), 0, PAGE_SIZE);
    s->pml4 = t;
    s->ops = ops;
    s->ctx = ctx;
    return E_OK;
}

/* Frees the tables below table t at level `level` (t itself included). */
static void destroy_table(const struct vmm_space *s, uint64_t t, int level)
{
    if (level > 1) {
        const pte_t *tab = table_at(t);
        for (unsigned i = 0; i < ENTRIES; i++) {
            if ((tab[i] & VMM_PRESENT) && !is_leaf(tab[i], level))
                destroy_table(s, tab[i] & ADDR_MASK, level - 1);
        }
    }
    s->ops->free_frame(s->ctx, pa(t));
}

void vmm_space_destroy(struct vmm_space *s)
{
    destroy_table(s, pa_val(s->pml4), 4);
    s->pml4 = pa(0);
}

/*
 * Walks from the PML4 towards the leaf slot at level `leaf`, filling path[L] with the
 * table at level L. Returns the level of the first missing table's parent entry (> leaf),
 * or `leaf` when every table down to the leaf's exists. E_HUGEPAGE via *err when a huge
 * page sits above the leaf level.
 */
static int walk(const struct vmm_space *s, uint64_t v, int leaf, pte_t *path[5], err_t *err)
{
    path[4] = table_at(pa_val(s->pml4));
    *err = E_OK;
    for (int level = 4; level > leaf; level--) {
        pte_t e = path[level][pt_index(v, level)];
        if (!(e & VMM_PRESENT))
            return level;
        if (is_leaf(e, level)) {
            *err = E_HUGEPAGE;
            return level;
        }
        path[level - 1] = table_at(e & ADDR_MASK);
    }
    return leaf;
}

/* Adds the parent flags a leaf with `flags` needs to path's entries above `leaf`; true
 * when an existing entry changed (the caller flushes). */
static bool upgrade_parents(pte_t *path[5], uint64_t v, int leaf, uint64_t flags)
{
    uint64_t need = PARENT_FLAGS | (flags & VMM_USER);
    bool changed = false;
    for (int level = 4; level > leaf; level--) {
        pte_t *e = &path[level][pt_index(v, level)];
        if ((*e & need) != need) {
            *e |= need;
            changed = true;
        }
    }
    return changed;
}

static err_t map_leaf(struct vmm_space *s, uint64_t v, uint64_t frame, uint64_t flags, int leaf)
{
    if (!leaf_args_ok(v, frame, flags, leaf))
        return E_INVAL;
    pte_t *path[5];
    err_t err;

    /* Phase 1: find the slot; fail before changing anything. */
    int missing_at = walk(s, v, leaf, path, &err);
    if (err != E_OK)
        return err;
    if (missing_at == leaf && (path[leaf][pt_index(v, leaf)] & VMM_PRESENT))
        return E_EXISTS;

    /* Phase 2: allocate and zero the missing tables (levels missing_at-1 .. leaf). */
    int nnew = missing_at - leaf;
    paddr_t fresh[3];
    for (int i = 0; i < nnew; i++) {
        if (s->ops->alloc_frame(s->ctx, &fresh[i]) != E_OK) {
            while (i-- > 0)
                s->ops->free_frame(s->ctx, fresh[i]);
            return E_NOMEM;
        }
        memset(phys_to_virt(fresh[i]), 0, PAGE_SIZE);
    }

    /* Phase 3: link the new tables, then write the leaf. */
    uint64_t parent = PARENT_FLAGS | (flags & VMM_USER);
    bool changed = upgrade_parents(path, v, missing_at, flags);
    for (int level = missing_at, i = 0; level > leaf; level--, i++) {
        path[level][pt_index(v, level)] = pa_val(fresh[i]) | parent;
        path[level - 1] = phys_to_virt(fresh[i]);
    }
    path[leaf][pt_index(v, leaf)] = frame | flags | VMM_PRESENT | (leaf > 1 ? VMM_HUGE : 0);
    if (changed)
        flush(s, v);
    return E_OK;
}

err_t vmm_map(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags)
{
    return map_leaf(s, va_val(page), pa_val(frame), flags, 1);
}

err_t vmm_map_2m(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags)
{
    return map_leaf(s, va_val(page), pa_val(frame), flags, 2);
}

/* Finds the present leaf at level `leaf` for v; E_NOENT / E_HUGEPAGE otherwise. */
static err_t find_leaf(const struct vmm_space *s, uint64_t v, int leaf, pte_t *path[5])
{
    if (!vmm_is_canonical(va(v)) || !is_aligned(v, level_size(leaf)))
        return E_INVAL;
    err_t err;
    if (walk(s, v, leaf, path, &err) != leaf)
        return err != E_OK ? err : E_NOENT;
    pte_t e = path[leaf][pt_index(v, leaf)];
    if (!(e & VMM_PRESENT))
        return E_NOENT;
    if (leaf > 1 && !(e & VMM_HUGE))
        return E_NOENT; /* a page table, not a huge page */
    return E_OK;
}

/* True when all 512 entries of t are zero. The neighbours of `hint` (the entry just
 * cleared) are looked at first: sequential unmapping then answers in O(1). */
static bool table_empty(const pte_t *t, unsigned hint)
{
    if (t[(hint + 1) % ENTRIES] || t[(hint - 1) % ENTRIES])
        return false;
    for (unsigned i = 0; i < ENTRIES; i += 8) {
        pte_t any =
            t[i] | t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] | t[i + 6] | t[i + 7];
        if (any)
            return false;
    }
    return true;
}

static err_t unmap_leaf(struct vmm_space *s, uint64_t v, int leaf, paddr_t *frame_out)
{
    pte_t *path[5];
    err_t err = find_leaf(s, v, leaf, path);
    if (err != E_OK)
        return err;
    pte_t *slot = &path[leaf][pt_index(v, leaf)];
    if (frame_out)
        *frame_out = pa(leaf_frame(*slot, leaf));
    *slot = 0;

    /* Unlink the tables that became empty, bottom-up; never the PML4. */
    uint64_t dead[3];
    int ndead = 0;
    for (int level = leaf; level < 4 && table_empty(path[level], pt_index(v, level)); level++) {
        pte_t *e = &path[level + 1][pt_index(v, level + 1)];
        dead[ndead++] = *e & ADDR_MASK;
        *e = 0;
    }
    flush(s, v);
    for (int i = 0; i < ndead; i++)
        s->ops->free_frame(s->ctx, pa(dead[i]));
    return E_OK;
}

err_t vmm_unmap(struct vmm_space *s, vaddr_t page, paddr_t *frame_out)
{
    return unmap_leaf(s, va_val(page), 1, frame_out);
}

err_t vmm_unmap_2m(struct vmm_space *s, vaddr_t page, paddr_t *frame_out)
{
    return unmap_leaf(s, va_val(page), 2, frame_out);
}

static err_t protect_leaf(struct vmm_space *s, uint64_t v, int leaf, uint64_t flags)
{
    if (!leaf_args_ok(v, 0, flags, leaf))
        return E_INVAL;
    pte_t *path[5];
    err_t err = find_leaf(s, v, leaf, path);
    if (err != E_OK)
        return err;
    pte_t *slot = &path[leaf][pt_index(v, leaf)];
    pte_t keep = ADDR_MASK | VMM_ACCESSED | VMM_DIRTY | (leaf > 1 ? VMM_HUGE : 0);
    pte_t next = (*slot & keep) | flags | VMM_PRESENT;
    bool changed = upgrade_parents(path, v, leaf, flags);
    if (next != *slot) {
        *slot = next;
        changed = true;
    }
    if (changed)
        flush(s, v);
    return E_OK;
}

err_t vmm_protect(struct vmm_space *s, vaddr_t page, uint64_t flags)
{
    return protect_leaf(s, va_val(page), 1, flags);
}

err_t vmm_translate(const struct vmm_space *s, vaddr_t addr, paddr_t *out, uint64_t *flags_out)
{
    uint64_t v = va_val(addr);
    if (!vmm_is_canonical(addr))
        return E_INVAL;
    const pte_t *t = table_at(pa_val(s->pml4));
    for (int level = 4; level >= 1; level--) {
        pte_t e = t[pt_index(v, level)];
        if (!(e & VMM_PRESENT))
            return E_NOENT;
        if (is_leaf(e, level)) {
            if (out)
                *out = pa(leaf_frame(e, level) | (v & (level_size(level) - 1)));
            if (flags_out)
                *flags_out = leaf_flags(e, level);
            return E_OK;
        }
        t = table_at(e & ADDR_MASK);
    }
    return E_NOENT; /* not reached */
}

static void walk_table(const struct vmm_space *s, const pte_t *t, int level, uint64_t base,
                       vmm_walk_fn fn, void *arg)
{
    for (unsigned i = 0; i < ENTRIES; i++) {
        pte_t e = t[i];
        if (!(e & VMM_PRESENT))
            continue;
        uint64_t v = base + (uint64_t)i * level_size(level);
        if (level == 4)
            v = sign_extend48(v);
        if (is_leaf(e, level)) {
            fn(arg, va(v), pa(leaf_frame(e, level)), level_size(level), leaf_flags(e, level));
        } else {
            walk_table(s, table_at(e & ADDR_MASK), level - 1, v, fn, arg);
        }
    }
}

void vmm_walk(const struct vmm_space *s, vmm_walk_fn fn, void *arg)
{
    walk_table(s, table_at(pa_val(s->pml4)), 4, 0, fn, arg);
}

static void visit_tables(const struct vmm_space *s, uint64_t t, int level, vmm_table_fn fn,
                         void *arg)
{
    fn(arg, pa(t), level);
    if (level == 1)
        return;
    const pte_t *e = table_at(t);
    for (unsigned i = 0; i < ENTRIES; i++) {
        if ((e[i] & VMM_PRESENT) && !is_leaf(e[i], level))
            visit_tables(s, e[i] & ADDR_MASK, level - 1, fn, arg);
    }
}

void vmm_walk_tables(const struct vmm_space *s, vmm_table_fn fn, void *arg)
{
    visit_tables(s, pa_val(s->pml4), 4, fn, arg);
}
