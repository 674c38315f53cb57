/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_check.c - the heap core's integrity checks and diagnostics: heap_check, the
 * statistics, the dump and the leak report, and the messages for misuse and corruption
 * (all off the hot paths of mm/heap.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/heap_goodfit.h"
#include "mm/heap_index.h"

/* x could be a list entry of h: a 16-aligned block address inside [base, sentinel), or
 * the list's head node. */
static bool link_ok(const struct heap *h, const blk_t *x)
{
    return x == list_end(h) || (A(x) >= h->base && A(x) < sentinel_addr(h) && !(A(x) & 15));
}

void heap_poison_verify(uintptr_t fb, size_t fbsize, uintptr_t from, uintptr_t to, const char *fn)
{
    /* fb's own header, links and footer are not poison */
    uintptr_t lo = MAX(from, fb + sizeof(blk_t)), hi = MIN(to, fb + fbsize - 8);
    for (uintptr_t x = lo; x < hi; x += 8) {
        uint64_t w = *(const uint64_t *)x;
        if (w == POISON64)
            continue;
        size_t k = 0;
        while (((const unsigned char *)x)[k] == HEAP_POISON)
            k++;
        panic("%s: use after free detected in block %p (offset %zu)", fn, (void *)(fb + HDR),
              (size_t)(x + k - (fb + HDR)));
    }
}

void heap_poison_verify_free(const blk_t *fb, size_t fbsize, uintptr_t from, uintptr_t to,
                             const char *fn)
{
    if (!(fb->sf & F_RELEASED)) {
        heap_poison_verify(A(fb), fbsize, from, to, fn);
        return;
    }
    /* not the range words, never the released pages (they are not there) */
    const struct rel_range *r = rel_range(fb);
    heap_poison_verify(A(fb), fbsize, MAX(from, A(fb) + REL_WORDS), MIN(to, r->lo), fn);
    heap_poison_verify(A(fb), fbsize, MAX(from, r->hi), to, fn);
}

void heap_bad_links(const struct heap *h, const blk_t *b, const char *fn)
{
    (void)h;
    panic("%s: use after free detected in block %p (free-list links overwritten: next %p, "
          "prev %p)",
          fn, (const void *)(A(b) + HDR), (const void *)b->next, (const void *)b->prev);
}

/* A walk found that x's next link and its target's prev link disagree: blame the block
 * whose links are the odd ones out (x when its next leads nowhere, or to a block whose
 * own prev link is consistent; else that block). */
void heap_bad_step(const struct heap *h, const blk_t *x, const char *fn)
{
    const blk_t *n = x->next;
    /* a link to something that is no free block's header is x's own fault */
    if (!link_ok(h, n) ||
        (n != list_end(h) && (!canary_ok(h, n) || (n->sf & F_MASK & ~F_RELEASED) != F_FREE)))
        heap_bad_links(h, x, fn);
    if (h->flags & HEAP_F_GOOD_FIT)
        gf_bad_links(h, x, fn);
    const blk_t *p = n->prev;
    if (link_ok(h, p) && p->next == n)
        heap_bad_links(h, x, fn);
    heap_bad_links(h, n, fn);
}

void heap_bad_free_block(const struct heap *h, const blk_t *b, const char *fn)
{
    (void)h;
    panic("%s: corrupted free block header at %p (size_flags %#zx, canary %#llx)", fn,
          (const void *)b, b->sf, (unsigned long long)b->canary);
}

void heap_verify_walk(const struct heap *h, const blk_t *b, const char *fn)
{
    if (!canary_ok(h, b) || (b->sf & (F_FREE | F_ABSORBED)) != F_FREE)
        heap_bad_free_block(h, b, fn);
    if (!link_ok(h, b->next) || !link_ok(h, b->prev) || b->next->prev != b || b->prev->next != b)
        heap_bad_links(h, b, fn);
}

void heap_verify_trailer(const struct heap *h, const blk_t *b, const char *fn)
{
    size_t size = bsize(b), room = payload_room(h, size);
    const uintptr_t *t = (const uintptr_t *)(A(b) + size - DEBUG_TRAILER);
    if (t[1] > room)
        panic("%s: debug trailer overwritten in block %p (requested size %zu, room %zu): a write "
              "past the block's end",
              fn, (const void *)(A(b) + HDR), (size_t)t[1], room);
    const unsigned char *c = (const unsigned char *)(A(b) + HDR);
    for (size_t i = t[1]; i < room; i++)
        if (c[i] != HEAP_POISON)
            panic("%s: buffer overflow detected in block %p (byte %zu written, %zu requested)", fn,
                  (const void *)c, i, (size_t)t[1]);
}

/* What handing back an already freed block p is: a double free for the functions that
 * free, a use after free for the others (realloc, usable_size). */
static const char *freed_block_misuse(const char *fn)
{
    return !strcmp(fn, "heap_free") || !strcmp(fn, "heap_dealloc") ? "double free of"
                                                                   : "use after free of";
}

/* p failed the canary test: find out (by walking the tiling) whether p is an interior
 * pointer or the start of a block whose header was overwritten, and panic. */
static noreturn void bad_block(const struct heap *h, const void *p, const char *fn)
{
    uintptr_t target = (uintptr_t)p - HDR, x = h->base, s = sentinel_addr(h);
    if ((h->flags & HEAP_F_DEBUG) && B(target)->sf == POISON64 && B(target)->canary == POISON64)
        panic("%s: %s %p (its header lies in poisoned free memory)", fn, freed_block_misuse(fn), p);
    while (x < s) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        if (!canary_ok(h, b) || size < MIN_BLOCK || size > s - x) {
            if (x == target)
                panic("%s: corrupted block header at %p (canary overwritten: size_flags %#zx, "
                      "canary %#llx)",
                      fn, p, b->sf, (unsigned long long)b->canary);
            panic("%s: heap corrupted: block header at %p overwritten (size_flags %#zx), "
                  "reached while checking %p",
                  fn, (void *)x, b->sf, p);
        }
        if (target < x + size)
            break;
        x += size;
    }
    panic("%s: invalid pointer %p (not a block start)", fn, p);
}

__attribute__((noinline, cold)) void heap_bad_pointer(const struct heap *h, const void *p,
                                                      const char *fn)
{
    uintptr_t a = (uintptr_t)p - HDR;
    if ((uintptr_t)p < h->base + HDR || (uintptr_t)p >= sentinel_addr(h))
        panic("%s: invalid pointer %p (outside the heap [%p, %p))", fn, p, (void *)h->base,
              (void *)h->end);
    if (a & 15)
        panic("%s: invalid pointer %p (not a block start)", fn, p);
    const blk_t *b = B(a);
    if (!canary_ok(h, b))
        bad_block(h, p, fn);
    panic("%s: %s %p (size %zu)", fn, freed_block_misuse(fn), p, bsize(b) - HDR);
}

void heap_bad_neighbour(const struct heap *h, const blk_t *nb, const void *p, const char *fn)
{
    (void)h;
    panic("%s: corrupted block header at %p (canary overwritten: size_flags %#zx), next to "
          "block %p",
          fn, (const void *)(A(nb) + HDR), nb->sf, p);
}

/* Free block b's released range is where it must be: whole pages between its range words
 * and its footer, and a release hook to have given them. Return: its bytes. */
static size_t check_released(const struct heap *h, const blk_t *b, size_t size)
{
    const struct rel_range *r = rel_range(b);
    uintptr_t top = (A(b) + size - 8) & ~(uintptr_t)(HEAP_PAGE - 1);
    if (!h->release || (r->lo | r->hi) & (HEAP_PAGE - 1) || r->lo < A(b) + REL_WORDS ||
        r->hi <= r->lo || r->hi > top)
        panic("heap_check: bad released range at %p (size %zu, released [%p, %p))", (void *)b, size,
              (void *)r->lo, (void *)r->hi);
    return r->hi - r->lo;
}

/*
 * Linear in the heap's blocks: one walk of the tiling checks every block and, since the
 * first-fit list is in address order, meets the list entries one by one as it goes: the
 * n-th free block of the tiling must be the n-th list entry. Then the index is checked
 * against the list (ix_check); under good fit, its lists against the tiling's count and
 * bytes of free blocks (gf_check).
 */
void heap_check(const struct heap *h)
{
    uintptr_t x = h->base, s = sentinel_addr(h);
    size_t used = 0, freeb = 0, nfree = 0, nused = 0, released = 0;
    bool prev_free = false, gf = h->flags & HEAP_F_GOOD_FIT;
    const blk_t *end = list_end(h), *le = h->list.next, *lp = end;
    while (x < s) {
        const blk_t *b = B(x);
        size_t sf = b->sf, size = sf & ~(size_t)F_MASK;
        if (!canary_ok(h, b))
            panic("heap_check: bad canary at %p (size_flags %#zx, canary %#llx)", (void *)x, sf,
                  (unsigned long long)b->canary);
        size_t ok_flags = F_FREE | F_PREV_FREE | ((sf & F_FREE) ? F_RELEASED : 0);
        if (size < MIN_BLOCK || size > s - x || (sf & F_MASK & ~ok_flags))
            panic("heap_check: bad block size at %p (size_flags %#zx, %zu bytes to the sentinel)",
                  (void *)x, sf, (size_t)(s - x));
        if (!!(sf & F_PREV_FREE) != prev_free)
            panic("heap_check: PREV_FREE bit wrong at %p (size_flags %#zx, previous block %s)",
                  (void *)x, sf, prev_free ? "free" : "allocated");
        if (sf & F_FREE) {
            if (prev_free)
                panic("heap_check: unmerged free neighbours at %p (size %zu)", (void *)x, size);
            if (*footer(x, size) != size)
                panic("heap_check: bad footer at %p (footer %zu, size %zu)", (void *)x,
                      *footer(x, size), size);
            if (!gf) {
                if (le != b)
                    panic("heap_check: free block not on the list in address order at %p (size "
                          "%zu; the list has %p there)",
                          (void *)x, size, (const void *)le);
                if (b->prev != lp)
                    panic("heap_check: broken back link at %p (prev %p, expected %p)", (void *)x,
                          (void *)b->prev, (const void *)lp);
                if (!link_ok(h, b->next))
                    panic("heap_check: list link outside the heap at %p (next %p)", (void *)x,
                          (void *)b->next);
                lp = b;
                le = b->next;
            }
            if (sf & F_RELEASED)
                released += check_released(h, b, size);
            if (h->flags & HEAP_F_DEBUG)
                heap_poison_verify_free(b, size, x + HDR, x + size, "heap_check");
            freeb += size;
            nfree++;
        } else {
            if (h->flags & HEAP_F_DEBUG)
                heap_verify_trailer(h, b, "heap_check");
            used += size;
            nused++;
        }
        prev_free = sf & F_FREE;
        x += size;
    }
    if (x != s)
        panic("heap_check: blocks do not tile the heap at %p (sentinel at %p)", (void *)x,
              (void *)s);
    const blk_t *sb = B(s);
    if (!canary_ok(h, sb) || bsize(sb) != 0 || (sb->sf & F_FREE) ||
        !!(sb->sf & F_PREV_FREE) != prev_free)
        panic("heap_check: bad end sentinel at %p (size_flags %#zx)", (void *)s, sb->sf);
    if (gf)
        gf_check(h, nfree, freeb);
    else if (le != end || h->list.prev != lp)
        panic("heap_check: the list does not end after the last free block at %p (next %p, "
              "list end's prev %p)",
              (const void *)lp, (const void *)le, (const void *)h->list.prev);

    if (h->indexed)
        ix_check(h);

    /* statistics */
    if (released != h->released)
        panic("heap_check: released bytes disagree (blocks hold %zu, the heap counts %zu)",
              released, h->released);
    if (h->fresh != UINTPTR_MAX && (!h->zeroed || h->fresh > s - 8 || h->fresh < h->base))
        panic("heap_check: bad fresh zone start %p (sentinel at %p)", (void *)h->fresh, (void *)s);
    if (used != h->bytes_used || nfree != h->free_blocks ||
        nused != h->total_allocs - h->total_frees || h->high_water < used ||
        used + freeb + HDR != h->end - h->base)
        panic("heap_check: statistics disagree at %p (used %zu/%zu, free blocks %zu/%zu, live "
              "%zu/%zu, high water %zu, size %zu)",
              (void *)h, used, h->bytes_used, nfree, h->free_blocks, nused,
              h->total_allocs - h->total_frees, h->high_water, (size_t)(h->end - h->base));
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->heap_size = h->end - h->base;
    out->bytes_used = h->bytes_used;
    out->bytes_free = out->heap_size - HDR - h->bytes_used;
    out->free_blocks = h->free_blocks;
    out->live_allocs = h->total_allocs - h->total_frees;
    out->high_water = h->high_water;
    out->grow_events = h->grow_events;
    out->total_allocs = h->total_allocs;
    out->total_frees = h->total_frees;
    out->bytes_released = h->released;
    out->release_events = h->release_events;
    out->reuse_events = h->reuse_events;
    const blk_t *end = list_end(h);
    if (h->flags & HEAP_F_GOOD_FIT) {
        out->largest_free = gf_largest(h);
        return;
    }
    if (h->indexed) {
        /* the index's root is the largest block but the tail */
        out->largest_free = h->index.level[h->index.top][0];
        if (h->list.prev != end)
            out->largest_free = MAX(out->largest_free, bsize(h->list.prev));
        return;
    }
    for (const blk_t *e = end->next; e != end; e = e->next)
        out->largest_free = MAX(out->largest_free, bsize(e));
}

void heap_dump(const struct heap *h)
{
    struct heap_stats st;
    heap_get_stats(h, &st);
    kprintf("heap %p: [%p, %p) %zu bytes, %zu used, %zu free in %zu blocks (largest %zu), "
            "%zu released\n",
            (const void *)h, (void *)h->base, (void *)h->end, st.heap_size, st.bytes_used,
            st.bytes_free, st.free_blocks, st.largest_free, st.bytes_released);
    for (uintptr_t x = h->base; x < sentinel_addr(h);) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        kprintf("  %p %10zu %s%s", (void *)(x + HDR), size, (b->sf & F_FREE) ? "free" : "used",
                canary_ok(h, b) ? "" : " BAD-CANARY");
        if ((b->sf & (F_FREE | F_RELEASED)) == (F_FREE | F_RELEASED) && canary_ok(h, b))
            kprintf(" released [%p, %p)", (void *)rel_range(b)->lo, (void *)rel_range(b)->hi);
        kprintf("\n");
        if (size < MIN_BLOCK || !canary_ok(h, b))
            break;
        x += size;
    }
}

size_t heap_leak_report(const struct heap *h)
{
    size_t n = 0;
    bool dbg = h->flags & HEAP_F_DEBUG;
    for (uintptr_t x = h->base; x < sentinel_addr(h);) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        if (size < MIN_BLOCK || !canary_ok(h, b)) {
            kprintf("heap: leak report stopped at corrupted header %p\n", (void *)x);
            break;
        }
        if (!(b->sf & F_FREE)) {
            n++;
            if (dbg) {
                const uintptr_t *t = (const uintptr_t *)(x + size - DEBUG_TRAILER);
                kprintf("heap: live block %p size %zu (requested %zu) from %p\n", (void *)(x + HDR),
                        payload_room(h, size), (size_t)t[1], (void *)t[0]);
            } else {
                kprintf("heap: live block %p size %zu\n", (void *)(x + HDR), payload_room(h, size));
            }
        }
        x += size;
    }
    kprintf("heap: %zu live block%s\n", n, n == 1 ? "" : "s");
    return n;
}
