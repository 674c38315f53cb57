/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_heap_equal.c - proof of equality (issue 12, item 3): the heap with its
 * first-fit index, the same heap with the index off, and a reference model written only
 * here make the same decision on every operation.
 *
 * Every operation runs on three allocators side by side:
 *   (a) heap_init with index memory: first fits found through the index;
 *   (b) the same heap over a second arena with the index off (HEAP_F_NO_INDEX, or no
 *       index memory: each workload uses one of the two ways): it walks the list;
 *   (c) the model: the free memory as a sorted array of intervals [lo, hi) (offsets from
 *       the heap's base), and the rules that heap.h and the top of mm/heap.c state, over
 *       that array: 16-byte headers, sizes rounded up to 16 with a 48-byte minimum (and a
 *       16-byte trailer in debug mode); allocation takes the lowest interval in which the
 *       first aligned payload with a leading gap of 0 or at least 48 fits, the gap stays
 *       free, a remainder of 48 or more is returned; free merges with both neighbours;
 *       realloc shrinks in place (returning a tail of 48 or more, or any tail next to a free
 *       block), grows in place into a free successor or, as the last block, into new
 *       memory, and otherwise moves (first fit with the old block still live, then free).
 *       Growth asks for what the request lacks beyond a free tail, with the worst-case
 *       alignment gap (need + align + 32 when align > 16), rounded up to 4 KiB within the
 *       cap; the answer, cut to the cap and to a multiple of 16, extends the tail.
 * After every operation the test requires: the same block offset (or NULL) from all
 * three, the same usable size, for realloc the same in-place/move decision, the same calls
 * of the grow callback (end offset and size, in order; each side has its own callback
 * that answers by the same rule), and both heaps' free lists -- walked through struct
 * heap's list node, with every back link checked -- equal to the model's intervals, with
 * the same heap end. heap_check() runs on both heaps every CHECK_EVERY operations and at
 * the end (it also verifies the index against the list), and the statistics must agree
 * with the model.
 *
 * Workloads: the five allocbench traces (tests/common/abtraces.c) over the benchmark's
 * configuration (64 KiB initial heap, geometric growth), and 10^6 random operations
 * (sizes 0 to 1 MiB, alignments 1 to 4096, realloc, growth refused or cut at times,
 * exhaustion against the cap), plus shorter random runs in debug mode and with a small
 * cap.
 */
#define _GNU_SOURCE
#include "support.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mm/heap.h"
#include "tests/common/abtraces.h"
#include "tests/common/heap_index_mem.h"
#include "tests/common/splitmix64.h"

/* The block format as heap.h and mm/heap.c's top comment describe it. */
#define M_HDR 16u       /* block header */
#define M_MIN 48u       /* minimum block (and minimum alignment gap / remainder) */
#define M_TRAILER 16u   /* debug mode: trailer at the end of an allocated block */
#define M_FREE_BIT 1u   /* size_flags: the block is free */
#define M_FLAGS 15u     /* size_flags: flag bits */
#define M_GRANULE 4096u /* growth requests are rounded up to this */
#define NONE SIZE_MAX

#define CHECK_EVERY 4096 /* heap_check on both heaps (linear in the blocks) */
#define MAX_CALLS 16     /* grow calls one operation may make */

static const char *where; /* the workload and operation a failure is reported for */
static size_t op_no;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        char m_[400];                                                                              \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                     \
        fail_msg("%s, operation %zu: %s", where, op_no, m_);                                       \
    } while (0)

/* ---------------------------------------------------------------------------------- */
/* Growth: one rule, answered by each side's own callback                             */
/* ---------------------------------------------------------------------------------- */

enum grow_kind {
    GROW_GEOMETRIC, /* tests/bench/arena_heap.c's rule: max(64 KiB, heap / 8) */
    GROW_JITTER,    /* exact, more, more than the cap, not a multiple of 16, or refused */
};

struct grow_rule {
    enum grow_kind kind;
    size_t limit; /* the callback's memory ends here (an offset from the base) */
};

struct grow_call {
    size_t end, bytes;
};

struct grow_side {
    const struct grow_rule *rule;
    uintptr_t base;
    size_t k; /* calls so far */
    struct grow_call log[MAX_CALLS];
    size_t nlog; /* calls during the current operation */
};

/* The callback's answer to its k-th call: (end offset, bytes asked) -> bytes given. */
static size_t grow_answer(const struct grow_rule *r, size_t k, size_t end, size_t min)
{
    size_t room = r->limit > end ? r->limit - end : 0, want = min;
    if (r->kind == GROW_GEOMETRIC) {
        size_t step = end / 8 > 65536 ? (end / 8) & ~(size_t)4095 : 65536;
        want = min > step ? min : step;
        if (want > room)
            want = room & ~(size_t)4095;
        return want >= min ? want : 0;
    }
    if (k % 13 == 7)
        return 0; /* refused */
    if (k % 3 == 1)
        want = min < 65536 ? 65536 : min;
    if (k % 5 == 3)
        want += 1u << 20; /* maybe beyond the cap: the heap must use only what fits */
    if (k % 4 == 2)
        want += 8; /* not a multiple of 16 */
    if (want > room)
        want = min;
    return min <= room ? want : 0;
}

static void grow_record(struct grow_side *g, size_t end, size_t bytes)
{
    if (g->nlog == MAX_CALLS)
        FAIL("more than %d grow calls in one operation", MAX_CALLS);
    g->log[g->nlog++] = (struct grow_call){end, bytes};
}

static size_t grow_cb(void *ctx, uintptr_t end, size_t min_bytes)
{
    struct grow_side *g = ctx;
    grow_record(g, end - g->base, min_bytes);
    return grow_answer(g->rule, g->k++, end - g->base, min_bytes);
}

/* ---------------------------------------------------------------------------------- */
/* The reference model                                                                */
/* ---------------------------------------------------------------------------------- */

struct model {
    size_t *lo, *hi; /* free intervals, sorted, never adjacent */
    size_t n, cap;
    size_t end; /* the heap's size: its end sentinel is at end - 16 */
    size_t max_size;
    bool dbg, grows;
    size_t used; /* bytes in allocated blocks */
    struct grow_side grow;
};

static size_t m_need(const struct model *m, size_t size)
{
    size_t n = (size + M_HDR + 15) / 16 * 16 + (m->dbg ? M_TRAILER : 0);
    return n < M_MIN ? M_MIN : n;
}

static size_t m_room(const struct model *m, size_t bs)
{
    return bs - M_HDR - (m->dbg ? M_TRAILER : 0);
}

static bool m_align_ok(size_t align)
{
    return align && !(align & (align - 1)) && align <= HEAP_MAX_ALIGN;
}

/* Leading gap of the first aligned payload in a free block at off: 0 or at least M_MIN
 * (the heap's base is aligned to more than any alignment used here). */
static size_t m_gap(size_t off, size_t align)
{
    if (align <= 16)
        return 0;
    size_t pl = (off + M_HDR + align - 1) / align * align;
    while (pl - M_HDR - off != 0 && pl - M_HDR - off < M_MIN)
        pl += align;
    return pl - M_HDR - off;
}

static void m_insert_at(struct model *m, size_t i, size_t lo, size_t hi)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->lo = realloc(m->lo, m->cap * sizeof(size_t));
        m->hi = realloc(m->hi, m->cap * sizeof(size_t));
        assert_non_null(m->lo);
        assert_non_null(m->hi);
    }
    memmove(&m->lo[i + 1], &m->lo[i], (m->n - i) * sizeof(size_t));
    memmove(&m->hi[i + 1], &m->hi[i], (m->n - i) * sizeof(size_t));
    m->lo[i] = lo;
    m->hi[i] = hi;
    m->n++;
}

static void m_remove(struct model *m, size_t i)
{
    memmove(&m->lo[i], &m->lo[i + 1], (m->n - i - 1) * sizeof(size_t));
    memmove(&m->hi[i], &m->hi[i + 1], (m->n - i - 1) * sizeof(size_t));
    m->n--;
}

/* The first interval with lo >= off. */
static size_t m_lower_bound(const struct model *m, size_t off)
{
    size_t a = 0, b = m->n;
    while (a < b) {
        size_t c = (a + b) / 2;
        if (m->lo[c] < off)
            a = c + 1;
        else
            b = c;
    }
    return a;
}

/* The interval starting at off, or NONE. */
static size_t m_free_at(const struct model *m, size_t off)
{
    size_t i = m_lower_bound(m, off);
    return i < m->n && m->lo[i] == off ? i : NONE;
}

/* [lo, hi) becomes free: merged with the free intervals it touches. */
static void m_release(struct model *m, size_t lo, size_t hi)
{
    size_t i = m_lower_bound(m, lo);
    if ((i < m->n && m->lo[i] < hi) || (i > 0 && m->hi[i - 1] > lo))
        FAIL("model: [%zu, %zu) freed twice", lo, hi);
    bool left = i > 0 && m->hi[i - 1] == lo, right = i < m->n && m->lo[i] == hi;
    if (left && right) {
        m->hi[i - 1] = m->hi[i];
        m_remove(m, i);
    } else if (left) {
        m->hi[i - 1] = hi;
    } else if (right) {
        m->lo[i] = lo;
    } else {
        m_insert_at(m, i, lo, hi);
    }
}

static size_t m_tail_len(const struct model *m)
{
    return m->n && m->hi[m->n - 1] == m->end - M_HDR ? m->hi[m->n - 1] - m->lo[m->n - 1] : 0;
}

/* Grows the heap by at least add_min bytes; false when it cannot. */
static bool m_extend(struct model *m, size_t add_min)
{
    if (!m->grows || add_min == 0 || m->end >= m->max_size || add_min > m->max_size - m->end)
        return false;
    size_t room = m->max_size - m->end;
    size_t add = (add_min + M_GRANULE - 1) / M_GRANULE * M_GRANULE;
    if (add > room)
        add = room / 16 * 16;
    if (add < add_min)
        return false;
    grow_record(&m->grow, m->end, add);
    size_t got = grow_answer(m->grow.rule, m->grow.k++, m->end, add);
    got = (got > room ? room : got) / 16 * 16;
    if (!got)
        return false;
    m_release(m, m->end - M_HDR, m->end + got - M_HDR); /* the old sentinel and the new bytes */
    m->end += got;
    return true;
}

/* First fit for `size` bytes at `align`: the block's offset (its size in *bs), or NONE. */
static size_t m_alloc(struct model *m, size_t size, size_t align, size_t *bs)
{
    if (!m_align_ok(align) || size > HEAP_MAX_REQUEST)
        return NONE;
    size_t need = m_need(m, size), search = need + (align > 16 ? align + 32 : 0);
    for (;;) {
        for (size_t i = 0; i < m->n; i++) {
            size_t lo = m->lo[i], hi = m->hi[i], gap = m_gap(lo, align);
            if (gap + need > hi - lo)
                continue;
            size_t b = lo + gap, rem = hi - b - need;
            if (rem < M_MIN) {
                need += rem;
                rem = 0;
            }
            if (gap)
                m->hi[i] = b;
            else
                m_remove(m, i--);
            if (rem)
                m_insert_at(m, i + 1, b + need, hi);
            m->used += need;
            *bs = need;
            return b;
        }
        size_t t = m_tail_len(m);
        if (!m_extend(m, search > t ? search - t : M_GRANULE))
            return NONE;
    }
}

static void m_free(struct model *m, size_t off, size_t bs)
{
    m->used -= bs;
    m_release(m, off, off + bs);
}

enum re_kind { RE_FAIL, RE_IN_PLACE, RE_MOVED };
static const char *const re_name[] = {"failed", "in place", "moved"};

/* realloc of the block at *off (*bs bytes): updates both on success. */
static enum re_kind m_realloc(struct model *m, size_t *off, size_t *bs, size_t size, size_t align)
{
    if (!m_align_ok(align) || size > HEAP_MAX_REQUEST)
        return RE_FAIL;
    size_t a = *off, s = *bs, need = m_need(m, size);
    if ((a + M_HDR) % align == 0) {
        size_t nx = a + s, fi = m_free_at(m, nx), ns = fi == NONE ? 0 : m->hi[fi] - nx;
        if (need <= s) {
            if (s - need >= M_MIN || (s > need && fi != NONE)) {
                m_free(m, a + need, s - need);
                *bs = need;
            }
            return RE_IN_PLACE;
        }
        if (s + ns < need && nx + ns == m->end - M_HDR && m_extend(m, need - s - ns)) {
            fi = m_free_at(m, nx);
            ns = m->hi[fi] - nx;
        }
        if (s + ns >= need) {
            if (s + ns - need >= M_MIN) {
                m->lo[fi] = a + need;
            } else {
                need = s + ns;
                m_remove(m, fi);
            }
            m->used += need - s;
            *bs = need;
            return RE_IN_PLACE;
        }
    }
    size_t nbs, n = m_alloc(m, size, align, &nbs);
    if (n == NONE)
        return RE_FAIL;
    m_free(m, a, s);
    *off = n;
    *bs = nbs;
    return RE_MOVED;
}

/* ---------------------------------------------------------------------------------- */
/* The three side by side                                                             */
/* ---------------------------------------------------------------------------------- */

struct arena {
    unsigned char *base;
    size_t bytes, map_bytes;
    void *map;
};

/* Each heap gives memory back (heap_set_trim): its release and reuse calls, as offsets
 * from its base, folded into one hash, must be the other heap's (and the model, which
 * knows nothing of releases, shows that no decision depends on them). */
struct trim_side {
    uintptr_t base;
    uint64_t hash;
    size_t calls;
};

static void trim_log(struct trim_side *t, uint64_t kind, uintptr_t start, size_t bytes)
{
    t->hash =
        (t->hash ^ kind ^ ((start - t->base) << 2) ^ ((uint64_t)bytes << 40)) * 0x100000001b3ull;
    t->calls++;
}

static void trim_release(void *ctx, uintptr_t start, size_t bytes)
{
    trim_log(ctx, 1, start, bytes);
    if (madvise((void *)start, bytes, MADV_DONTNEED) != 0)
        FAIL("madvise(%p, %zu) failed", (void *)start, bytes);
}

static bool trim_reuse(void *ctx, uintptr_t start, size_t bytes)
{
    trim_log(ctx, 2, start, bytes);
    return true;
}

struct world {
    struct heap h[2]; /* [0] indexed, [1] index off */
    struct trim_side t[2];
    struct arena ar[2];
    struct grow_side g[2];
    struct model m;
    struct grow_rule rule;
};

/* One block as the three see it. */
struct slot {
    void *p[2];
    size_t off, bs, align;
    bool live;
};

static const char *const heap_name[2] = {"indexed heap", "heap without index"};

/* bytes of address space, aligned to 2 MiB (more than any alignment the tests use, so
 * that offsets from the base decide alignment alike in both heaps and the model) */
static void arena_map(struct arena *a, size_t bytes)
{
    a->bytes = bytes;
    a->map_bytes = bytes + (2u << 20);
    a->map = mmap(NULL, a->map_bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(a->map != MAP_FAILED);
    a->base =
        (unsigned char *)(((uintptr_t)a->map + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
}

/* no_index_flag: heap [1] gets index memory and HEAP_F_NO_INDEX (else no index memory). */
static void world_init(struct world *w, size_t init, size_t max_size, struct grow_rule rule,
                       unsigned flags, bool no_index_flag)
{
    memset(w, 0, sizeof(*w));
    w->rule = rule;
    for (int i = 0; i < 2; i++) {
        arena_map(&w->ar[i], rule.limit > max_size ? rule.limit : max_size);
        w->g[i] = (struct grow_side){.rule = &w->rule, .base = (uintptr_t)w->ar[i].base};
        const struct heap_index_mem *ix =
            i == 0 || no_index_flag ? test_heap_index_on(max_size, (unsigned)i) : NULL;
        unsigned f = flags | (i == 1 && no_index_flag ? HEAP_F_NO_INDEX : 0);
        assert_int_equal(
            heap_init(&w->h[i], w->ar[i].base, init, grow_cb, &w->g[i], max_size, f, ix), E_OK);
        w->t[i] = (struct trim_side){.base = (uintptr_t)w->ar[i].base};
        struct heap_trim trim = {trim_release, trim_reuse, &w->t[i], true};
        assert_int_equal(heap_set_trim(&w->h[i], &trim), E_OK);
    }
    assert_true(w->h[0].indexed);
    assert_false(w->h[1].indexed);
    w->m.end = init;
    w->m.max_size = max_size;
    w->m.dbg = flags & HEAP_F_DEBUG;
    w->m.grows = true;
    w->m.grow = (struct grow_side){.rule = &w->rule};
    m_insert_at(&w->m, 0, 0, init - M_HDR);
}

static void world_free(struct world *w)
{
    print_message("  (each heap made %zu release/reuse calls; %zu bytes released at the end)\n",
                  w->t[0].calls, w->h[0].released);
    for (int i = 0; i < 2; i++)
        munmap(w->ar[i].map, w->ar[i].map_bytes);
    free(w->m.lo);
    free(w->m.hi);
}

/* Each heap's free list, walked through its list node, is the model's interval array.
 * The walk is most of the test's time: the .asan build does not instrument it (the
 * sanitizers are there for the heap's code; this reads only what heap_check reads). */
__attribute__((no_sanitize("address", "undefined"))) static void
compare_free_lists(const struct world *w)
{
    const struct model *m = &w->m;
    for (int k = 0; k < 2; k++) {
        const struct heap *h = &w->h[k];
        const struct heap_block *head = &h->list, *prev = head, *x = h->list.next;
        size_t i = 0;
        for (; x != head; prev = x, x = x->next, i++) {
            size_t off = (uintptr_t)x - h->base, size = x->sf & ~(size_t)M_FLAGS;
            if (i >= m->n)
                FAIL("%s: free block %zu at offset %zu (size %zu) beyond the model's %zu",
                     heap_name[k], i, off, size, m->n);
            if (off != m->lo[i] || size != m->hi[i] - m->lo[i] || !(x->sf & M_FREE_BIT))
                FAIL("%s: free block %zu is [%zu, +%zu) (size_flags %#zx), model [%zu, %zu)",
                     heap_name[k], i, off, size, x->sf, m->lo[i], m->hi[i]);
            if (x->prev != prev)
                FAIL("%s: free block %zu at offset %zu: prev link does not point back",
                     heap_name[k], i, off);
        }
        if (i != m->n || h->list.prev != prev)
            FAIL("%s: %zu free blocks, model %zu (or a broken list end)", heap_name[k], i, m->n);
        if (h->end - h->base != m->end)
            FAIL("%s: heap size %zu, model %zu", heap_name[k], (size_t)(h->end - h->base), m->end);
    }
}

/* Both heaps' grow calls during this operation are the model's. */
static void compare_growth(struct world *w)
{
    const struct grow_side *mg = &w->m.grow;
    for (int k = 0; k < 2; k++) {
        const struct grow_side *g = &w->g[k];
        if (g->nlog != mg->nlog)
            FAIL("%s made %zu grow calls, model %zu", heap_name[k], g->nlog, mg->nlog);
        for (size_t i = 0; i < g->nlog; i++)
            if (g->log[i].end != mg->log[i].end || g->log[i].bytes != mg->log[i].bytes)
                FAIL("%s: grow call %zu (end %zu, %zu bytes), model (end %zu, %zu bytes)",
                     heap_name[k], i, g->log[i].end, g->log[i].bytes, mg->log[i].end,
                     mg->log[i].bytes);
        w->g[k].nlog = 0;
    }
    w->m.grow.nlog = 0;
}

/* A heap's answer p (payload or NULL) is the model's block at off (or NONE). */
/* p (the heap's answer) against the model's offset and block size; req is the size asked
 * for (SIZE_MAX: not known, a failed realloc's old block): in debug mode the usable size is
 * exactly the request (the bytes past it are checked poison). */
static void compare_block(const struct world *w, int k, const void *p, size_t off, size_t bs,
                          size_t req, const char *what)
{
    const struct heap *h = &w->h[k];
    if (off == NONE) {
        if (p)
            FAIL("%s: %s returned offset %zu, model NULL", heap_name[k], what,
                 (size_t)((uintptr_t)p - h->base - M_HDR));
        return;
    }
    if (!p)
        FAIL("%s: %s returned NULL, model offset %zu", heap_name[k], what, off);
    if ((uintptr_t)p - h->base - M_HDR != off)
        FAIL("%s: %s returned offset %zu, model %zu", heap_name[k], what,
             (size_t)((uintptr_t)p - h->base - M_HDR), off);
    size_t want = m_room(&w->m, bs);
    if (h->flags & HEAP_F_DEBUG) {
        if (req == SIZE_MAX)
            return;
        want = req;
    }
    if (heap_usable_size(h, p) != want)
        FAIL("%s: %s: usable size %zu, model %zu", heap_name[k], what, heap_usable_size(h, p),
             want);
}

static void after_op(struct world *w)
{
    compare_growth(w);
    if (w->t[0].calls != w->t[1].calls || w->t[0].hash != w->t[1].hash ||
        w->h[0].released != w->h[1].released)
        FAIL("release/reuse calls differ: %zu / %zu calls, %zu / %zu bytes released", w->t[0].calls,
             w->t[1].calls, w->h[0].released, w->h[1].released);
    compare_free_lists(w);
    if (op_no % CHECK_EVERY == 0) {
        for (int k = 0; k < 2; k++) {
            heap_check(&w->h[k]);
            struct heap_stats st;
            heap_get_stats(&w->h[k], &st);
            if (st.bytes_used != w->m.used || st.free_blocks != w->m.n)
                FAIL("%s: stats: %zu bytes used, %zu free blocks; model %zu, %zu", heap_name[k],
                     st.bytes_used, st.free_blocks, w->m.used, w->m.n);
        }
    }
}

static void do_alloc(struct world *w, struct slot *s, size_t size, size_t align)
{
    op_no++;
    size_t bs = 0, off = m_alloc(&w->m, size, align, &bs);
    for (int k = 0; k < 2; k++) {
        s->p[k] = heap_alloc(&w->h[k], size, align);
        compare_block(w, k, s->p[k], off, bs, size, "alloc");
    }
    *s = (struct slot){{s->p[0], s->p[1]}, off, bs, align, off != NONE};
    after_op(w);
}

static void do_free(struct world *w, struct slot *s)
{
    op_no++;
    m_free(&w->m, s->off, s->bs);
    for (int k = 0; k < 2; k++)
        heap_free(&w->h[k], s->p[k]);
    s->live = false;
    after_op(w);
}

static enum re_kind do_realloc(struct world *w, struct slot *s, size_t size, size_t align)
{
    op_no++;
    size_t off = s->off, bs = s->bs;
    enum re_kind r = m_realloc(&w->m, &off, &bs, size, align);
    for (int k = 0; k < 2; k++) {
        void *q = heap_realloc(&w->h[k], s->p[k], size, align);
        enum re_kind hr = !q ? RE_FAIL : q == s->p[k] ? RE_IN_PLACE : RE_MOVED;
        if (hr != r)
            FAIL("%s: realloc of offset %zu to %zu bytes (align %zu) %s, model %s", heap_name[k],
                 s->off, size, align, re_name[hr], re_name[r]);
        compare_block(w, k, q ? q : s->p[k], off, bs, q ? size : SIZE_MAX, "realloc");
        if (q)
            s->p[k] = q;
    }
    if (r != RE_FAIL) {
        s->off = off;
        s->bs = bs;
        s->align = align;
    }
    after_op(w);
    return r;
}

/* Frees what is left; both heaps and the model end as one free block. */
static void world_finish(struct world *w, struct slot *slots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (slots[i].live)
            do_free(w, &slots[i]);
    assert_int_equal(w->m.n, 1);
    assert_int_equal(w->m.used, 0);
    for (int k = 0; k < 2; k++)
        heap_check(&w->h[k]);
}

/* ---------------------------------------------------------------------------------- */
/* Workloads                                                                          */
/* ---------------------------------------------------------------------------------- */

static void (*const trace_gen[5])(struct trace *) = {abt_gen_t1, abt_gen_t2, abt_gen_t3, abt_gen_t4,
                                                     abt_gen_t5};
static const char *const trace_name[5] = {"T1-blogos", "T2-random-steady", "T3-kernel-mix",
                                          "T4-fragmenter", "T5-realloc-grow"};

/* Trace k (0..4) with allocbench's seed, as heap_bench replays it: the first 64 KiB, then
 * geometric growth over a 64 MiB arena (T5: 256 MiB). Returns the operations done. */
static size_t run_trace(int k, unsigned flags, bool no_index_flag)
{
    struct trace t = {.name = trace_name[k], .seed = 42 + (uint64_t)k};
    trace_gen[k](&t);
    size_t cap = (size_t)(k == 4 ? 256 : 64) << 20;
    struct world w;
    world_init(&w, 64u << 10, cap, (struct grow_rule){GROW_GEOMETRIC, cap}, flags, no_index_flag);
    struct slot *S = calloc(t.n_ids ? t.n_ids : 1, sizeof(*S));
    assert_non_null(S);
    where = trace_name[k];
    op_no = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct op *o = &t.ops[i];
        struct slot *s = &S[o->id];
        if (o->op == OP_ALLOC) {
            do_alloc(&w, s, o->size, (size_t)1 << o->align_log2);
            if (!s->live)
                FAIL("allocation of %llu bytes failed", (unsigned long long)o->size);
        } else if (o->op == OP_FREE) {
            do_free(&w, s);
        } else {
            do_realloc(&w, s, o->size, s->align);
        }
    }
    world_finish(&w, S, t.n_ids);
    size_t n = op_no;
    world_free(&w);
    free(S);
    free(t.ops);
    free(t.free_ids);
    free(t.sizes);
    return n;
}

/* The five allocation traces (tests/common/abtraces.h), each run on the three allocators:
 * every operation gets the same block, usable size and growth calls from all three. */
static void test_traces(void **state)
{
    (void)state;
    for (int k = 0; k < 5; k++) {
        size_t n = run_trace(k, 0, k & 1);
        print_message("%s: %zu operations equal\n", trace_name[k], n);
    }
}

static uint64_t rng;

static uint64_t next64(void)
{
    return splitmix64_next(&rng);
}

static size_t below(size_t n)
{
    return (size_t)(next64() % n);
}

/* 0 to 1 MiB, mostly small */
static size_t rand_size(void)
{
    size_t u = below(1000);
    if (u < 600)
        return below(257);
    if (u < 880)
        return below(4097);
    if (u < 985)
        return below(65537);
    return below((1u << 20) + 1);
}

/* 1 to 4096, mostly <= 16; now and then an invalid one (NULL, no growth) */
static size_t rand_align(void)
{
    size_t u = below(1000);
    if (u < 700)
        return (size_t)1 << below(5);
    if (u < 998)
        return (size_t)32 << below(8);
    return u == 998 ? 48 : HEAP_MAX_ALIGN * 2;
}

#define RAND_SLOTS 512

/* n random operations over RAND_SLOTS slots: alloc into an empty slot, else free or
 * realloc (shrinking, growing, now and then to another alignment). */
static void run_random(const char *name, size_t n, uint64_t seed, size_t init, size_t max_size,
                       size_t grow_limit, unsigned flags, bool no_index_flag, size_t *fails)
{
    static struct slot S[RAND_SLOTS];
    struct world w;
    world_init(&w, init, max_size, (struct grow_rule){GROW_JITTER, grow_limit}, flags,
               no_index_flag);
    memset(S, 0, sizeof(S));
    rng = seed;
    where = name;
    op_no = 0;
    *fails = 0;
    while (op_no < n) {
        struct slot *s = &S[below(RAND_SLOTS)];
        if (!s->live) {
            do_alloc(&w, s, rand_size(), rand_align());
            *fails += !s->live;
        } else if (below(100) < 45) {
            do_free(&w, s);
        } else {
            size_t size = below(4) == 0 ? below(m_room(&w.m, s->bs) + 1) : rand_size();
            size_t align = below(10) == 0 ? rand_align() : s->align;
            *fails += do_realloc(&w, s, size, align) == RE_FAIL;
        }
    }
    world_finish(&w, S, RAND_SLOTS);
    world_free(&w);
}

/* 10^6 random operations under a 16 MiB cap the live set reaches now and then: the three
 * agree on every one, failed allocations included (there must be some). */
static void test_random_million(void **state)
{
    (void)state;
    size_t fails;
    /* 16 MiB cap: the live set (512 slots) reaches it now and then */
    run_random("random", 1000000, 12, 4096, 16u << 20, 17u << 20, 0, true, &fails);
    print_message("random: 1000000 operations equal, %zu failed allocations\n", fails);
    assert_true(fails > 0);
}

/* The same in debug mode (trailers, poisoning; the index off through no index memory):
 * 10^5 operations on which the three agree. */
static void test_random_debug(void **state)
{
    (void)state;
    size_t fails;
    run_random("random debug", 100000, 13, 4096, 16u << 20, 17u << 20, HEAP_F_DEBUG, false, &fails);
    print_message("random debug: 100000 operations equal, %zu failed allocations\n", fails);
}

/* A 1 MiB cap whose grow callback gives out before it: more than 1000 failures, on each of
 * which the three agree. */
static void test_random_small_cap(void **state)
{
    (void)state;
    size_t fails;
    /* 1 MiB cap and a grow callback whose memory ends before it: exhaustion everywhere */
    run_random("random small cap", 200000, 14, 4096, 1u << 20, 768u << 10, 0, false, &fails);
    print_message("random small cap: 200000 operations equal, %zu failed allocations\n", fails);
    assert_true(fails > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traces),
        cmocka_unit_test(test_random_million),
        cmocka_unit_test(test_random_debug),
        cmocka_unit_test(test_random_small_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
