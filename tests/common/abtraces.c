/* SPDX-License-Identifier: MIT */
/* tests/common/abtraces.c - allocbench's trace generators; see abtraces.h. */
#include "tests/common/abtraces.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/common/splitmix64.h"

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "abtraces: out of memory\n");
        exit(2);
    }
    return p;
}

static void emit(struct trace *t, uint8_t op, uint8_t al, uint32_t id, uint64_t size)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 65536;
        t->ops = xrealloc(t->ops, t->cap * sizeof(*t->ops));
    }
    t->ops[t->n++] = (struct op){op, al, 0, id, size};
}

static uint32_t t_alloc(struct trace *t, uint64_t size, uint64_t align)
{
    uint32_t id;
    if (t->n_free) {
        id = t->free_ids[--t->n_free];
    } else {
        id = t->n_ids++;
        if (id >= t->sizes_cap) {
            t->sizes_cap = t->sizes_cap ? t->sizes_cap * 2 : 4096;
            t->sizes = xrealloc(t->sizes, t->sizes_cap * sizeof(*t->sizes));
        }
    }
    emit(t, OP_ALLOC, (uint8_t)__builtin_ctzll(align), id, size);
    t->sizes[id] = size;
    t->live += size;
    t->peak = t->live > t->peak ? t->live : t->peak;
    return id;
}

static void t_free(struct trace *t, uint32_t id)
{
    emit(t, OP_FREE, 0, id, 0);
    t->live -= t->sizes[id];
    if (t->n_free == t->free_cap) {
        t->free_cap = t->free_cap ? t->free_cap * 2 : 4096;
        t->free_ids = xrealloc(t->free_ids, t->free_cap * sizeof(*t->free_ids));
    }
    t->free_ids[t->n_free++] = id;
}

static void t_realloc(struct trace *t, uint32_t id, uint64_t size)
{
    emit(t, OP_REALLOC, 0, id, size);
    t->live += size - t->sizes[id];
    t->sizes[id] = size;
    t->peak = t->live > t->peak ? t->live : t->peak;
}

struct rng {
    uint64_t s;
};

static uint64_t next64(struct rng *r)
{
    return splitmix64_next(&r->s);
}
static uint64_t below(struct rng *r, uint64_t n)
{
    return next64(r) % n;
}
static uint64_t randint(struct rng *r, uint64_t lo, uint64_t hi)
{
    return lo + below(r, hi - lo + 1);
}
static double uniform(struct rng *r)
{
    return (double)(next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static void shuffle(struct rng *r, uint32_t *a, size_t n)
{
    for (size_t i = n - 1; i > 0 && n > 1; i--) {
        size_t j = below(r, i + 1);
        uint32_t x = a[i];
        a[i] = a[j];
        a[j] = x;
    }
}

struct idvec {
    uint32_t *v;
    size_t n, cap;
};

static void push(struct idvec *v, uint32_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = x;
}

#define KiB 1024u
#define MiB (1024u * 1024u)

void abt_gen_t1(struct trace *t)
{
    const size_t heap_size = 100 * KiB;
    uint32_t a = t_alloc(t, 4, 4), b = t_alloc(t, 4, 4);
    t_free(t, b);
    t_free(t, a);
    uint64_t cap = 0;
    uint32_t v = 0;
    for (uint64_t n = 0; n < 1000; n++) {
        if (n == cap) {
            if (cap == 0) {
                cap = 4;
                v = t_alloc(t, cap * 8, 8);
            } else {
                cap *= 2;
                t_realloc(t, v, cap * 8);
            }
        }
    }
    t_free(t, v);
    for (size_t i = 0; i < heap_size; i++)
        t_free(t, t_alloc(t, 8, 8));
    uint32_t ll = t_alloc(t, 4, 4);
    for (size_t i = 0; i < heap_size; i++)
        t_free(t, t_alloc(t, 8, 8));
    t_free(t, ll);
}

void abt_gen_t2(struct trace *t)
{
    struct rng r = {t->seed};
    const size_t n_ops = 1000000, target = 4096, band = 64, n_alloc = n_ops / 2;
    struct idvec live = {0};
    size_t allocs = 0;
#define T2_ALLOC() (push(&live, t_alloc(t, randint(&r, 8, 512), 8)), allocs++)
#define T2_FREE()                                                                                  \
    do {                                                                                           \
        size_t k = below(&r, live.n);                                                              \
        uint32_t x = live.v[k];                                                                    \
        live.v[k] = live.v[live.n - 1];                                                            \
        live.v[live.n - 1] = x;                                                                    \
        t_free(t, live.v[--live.n]);                                                               \
    } while (0)
    while (allocs < (target < n_alloc ? target : n_alloc))
        T2_ALLOC();
    while (allocs < n_alloc) {
        int go;
        if (live.n <= target - band)
            go = 1;
        else if (live.n >= target + band)
            go = 0;
        else
            go = below(&r, 2) == 0;
        if (go)
            T2_ALLOC();
        else
            T2_FREE();
    }
    while (live.n)
        T2_FREE();
    free(live.v);
}

static uint64_t t3_size(struct rng *r)
{
    double u = uniform(r), lo, hi;
    if (u < 0.87)
        lo = 16, hi = 256;
    else if (u < 0.99)
        lo = 1 * KiB, hi = 4 * KiB;
    else
        lo = 16 * KiB, hi = 64 * KiB;
    double a = 1.0 - 1.5;
    double x = pow(pow(lo, a) + uniform(r) * (pow(hi, a) - pow(lo, a)), 1.0 / a);
    int64_t v = (int64_t)x;
    if (v > (int64_t)hi)
        v = (int64_t)hi;
    if (v < (int64_t)lo)
        v = (int64_t)lo;
    return (uint64_t)v;
}

struct due {
    uint64_t when, seq;
    uint32_t id;
};

static int due_less(const struct due *a, const struct due *b)
{
    return a->when != b->when ? a->when < b->when : a->seq < b->seq;
}

void abt_gen_t3(struct trace *t)
{
    struct rng r = {t->seed};
    const size_t n_alloc = 500000 / 2;
    struct due *hp = xrealloc(NULL, (n_alloc + 1) * sizeof(*hp));
    size_t hn = 0, allocs = 0;
    uint64_t seq = 0;
    while (allocs < n_alloc || hn) {
        if (hn && (hp[0].when <= t->n || allocs >= n_alloc)) {
            t_free(t, hp[0].id);
            hp[0] = hp[--hn]; /* sift down */
            for (size_t i = 0;;) {
                size_t l = 2 * i + 1, m = i;
                if (l < hn && due_less(&hp[l], &hp[m]))
                    m = l;
                if (l + 1 < hn && due_less(&hp[l + 1], &hp[m]))
                    m = l + 1;
                if (m == i)
                    break;
                struct due x = hp[i];
                hp[i] = hp[m];
                hp[m] = x;
                i = m;
            }
            continue;
        }
        uint64_t size = t3_size(&r);
        double u = uniform(&r);
        uint64_t align = u < 0.02 ? 4096 : u < 0.12 ? 64 : 8;
        u = uniform(&r);
        uint64_t life;
        if (u < 0.70)
            life = randint(&r, 1, 100);
        else if (u < 0.95)
            life = randint(&r, 100, 10000);
        else
            life = randint(&r, 10000, 250000);
        uint32_t id = t_alloc(t, size, align);
        allocs++;
        seq++;
        size_t i = hn++; /* sift up */
        hp[i] = (struct due){t->n + life, seq, id};
        while (i && due_less(&hp[i], &hp[(i - 1) / 2])) {
            struct due x = hp[i];
            hp[i] = hp[(i - 1) / 2];
            hp[(i - 1) / 2] = x;
            i = (i - 1) / 2;
        }
    }
    free(hp);
}

void abt_gen_t4(struct trace *t)
{
    struct rng r = {t->seed};
    const uint64_t target = 8 * MiB;
    struct idvec smalls = {0}, others = {0};
    while (t->live < target) {
        push(&smalls, t_alloc(t, 32, 8));
        push(&others, t_alloc(t, 4096, 8));
    }
    for (size_t i = 0; i < smalls.n; i++)
        t_free(t, smalls.v[i]);
    uint64_t base = t->live;
    while (t->live - base < target) {
        push(&others, t_alloc(t, 48, 8));
        push(&others, t_alloc(t, 8 * KiB, 8));
    }
    shuffle(&r, others.v, others.n);
    for (size_t i = 0; i < others.n; i++)
        t_free(t, others.v[i]);
    free(smalls.v);
    free(others.v);
}

void abt_gen_t5(struct trace *t)
{
    struct rng r = {t->seed};
    enum { N_VEC = 1000 };
    uint32_t vecs[N_VEC], order[N_VEC];
    for (int i = 0; i < N_VEC; i++)
        vecs[i] = t_alloc(t, 16, 8);
    for (uint64_t size = 16; size < 64 * KiB;) {
        size *= 2;
        memcpy(order, vecs, sizeof(order));
        shuffle(&r, order, N_VEC);
        for (int i = 0; i < N_VEC; i++)
            t_realloc(t, order[i], size);
    }
    shuffle(&r, vecs, N_VEC);
    for (int i = 0; i < N_VEC; i++)
        t_free(t, vecs[i]);
}
