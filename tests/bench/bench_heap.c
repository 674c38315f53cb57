/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/bench_heap.c - the heap benchmark: mm/heap.c beside glibc malloc.
 *
 * Generates in C the five allocbench workloads (T1 blogos, T2 random-steady, T3
 * kernel-mix, T4 fragmenter, T5 realloc-grow), op for op identical to allocbench's
 * abtrace.py (same splitmix64 generator, seeds 42..46), and replays each against a fresh
 * mbheap heap (over an mmap'd arena, grown through the callback) and against glibc,
 * interleaved in the same run: first fit with its index, first fit walking its list
 * (HEAP_F_NO_INDEX: the same choices, O(n) each), good fit (HEAP_F_GOOD_FIT) and glibc.
 * Prints ns/op for the four and first fit's ratio to glibc, peak live bytes, first fit's
 * footprint (highest block end - arena start) and fragmentation (footprint / peak live -
 * 1), good fit's fragmentation, failures, and the result of a checking replay that fills
 * every block with a pattern and verifies it before free/realloc.
 *
 *   heap_bench [--quick] [--repeats N] [--only T1,T3] [--compare-abt DIR]
 *   heap_bench --callgrind first-fit|list-walk|good-fit|glibc --only TN
 * --callgrind replays trace TN once through measured_replay() (for callgrind's
 * --toggle-collect; tests/bench/check_ir.py runs it) and prints its number of ops.
 * --compare-abt DIR checks the generated ops against allocbench's DIR/T*.abt files.
 * Exit status: 0, or 1 on any corruption, misalignment or failure (T5 is run with a
 * 256 MiB arena, like allocbench's T5@256M, so nothing may fail).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"
#include "tests/bench/arena_heap.h"
#include "tests/common/abtraces.h"

/* ---------------------------------------------------------------------------------- */
/* Traces (a port of abtrace.py: tests/common/abtraces.c)                             */
/* ---------------------------------------------------------------------------------- */

#define KiB 1024u
#define MiB (1024u * 1024u)

static const struct workload {
    const char *tag, *file, *name;
    void (*gen)(struct trace *);
    size_t arena;
} workloads[] = {
    {"T1", "T1_blogos.abt", "T1-blogos", abt_gen_t1, 64 * MiB},
    {"T2", "T2_random_steady.abt", "T2-random-steady", abt_gen_t2, 64 * MiB},
    {"T3", "T3_kernel_mix.abt", "T3-kernel-mix", abt_gen_t3, 64 * MiB},
    {"T4", "T4_fragmenter.abt", "T4-fragmenter", abt_gen_t4, 64 * MiB},
    {"T5", "T5_realloc_grow.abt", "T5-realloc-grow", abt_gen_t5, 256 * MiB},
};

/* 0 if the generated trace is op-for-op the allocbench file (missing file: -1). */
static int compare_abt(const struct trace *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char hdr[64];
    uint64_t n_ops = 0;
    int bad = fread(hdr, 1, 64, f) != 64;
    if (!bad)
        memcpy(&n_ops, hdr + 16, 8);
    bad = bad || n_ops != t->n;
    for (size_t i = 0; !bad && i < t->n; i++) {
        struct op o;
        bad = fread(&o, sizeof(o), 1, f) != 1 || memcmp(&o, &t->ops[i], sizeof(o)) != 0;
    }
    fclose(f);
    return bad;
}

/* ---------------------------------------------------------------------------------- */
/* Allocators                                                                         */
/* ---------------------------------------------------------------------------------- */

static uintptr_t arena_lo, arena_hi;

static void ff_init(void)
{
    if (arena_heap_init((void *)arena_lo, arena_hi - arena_lo, 0) != 0)
        abort();
}

static void list_init(void)
{
    if (arena_heap_init((void *)arena_lo, arena_hi - arena_lo, HEAP_F_NO_INDEX) != 0)
        abort();
}

static void gf_init(void)
{
    if (arena_heap_init((void *)arena_lo, arena_hi - arena_lo, HEAP_F_GOOD_FIT) != 0)
        abort();
}

/* glibc as allocbench's adapter uses it: posix_memalign only for align > 16 */
static void g_init(void) {}
static void *g_alloc(size_t s, size_t a)
{
    if (a <= 16)
        return malloc(s);
    void *p;
    return posix_memalign(&p, a, s) ? NULL : p;
}
static void g_free(void *p, size_t s, size_t a)
{
    (void)s;
    (void)a;
    free(p);
}
static void *g_realloc(void *p, size_t old, size_t ns, size_t a)
{
    if (a <= 16)
        return realloc(p, ns);
    void *q = g_alloc(ns, a);
    if (q) {
        memcpy(q, p, old < ns ? old : ns);
        free(p);
    }
    return q;
}

struct allocator {
    const char *name;
    void (*init)(void);
    void *(*alloc)(size_t, size_t);
    void (*free)(void *, size_t, size_t);
    void *(*realloc)(void *, size_t, size_t, size_t);
    bool arena;
};

/* first fit with its index (the default), first fit walking the list (the same choices:
 * the index's reason to be), good fit (the second policy), glibc */
static const struct allocator A_FF = {
    "first-fit", ff_init, arena_heap_alloc, arena_heap_free, arena_heap_realloc, true};
static const struct allocator A_LIST = {"list-walk",     list_init,          arena_heap_alloc,
                                        arena_heap_free, arena_heap_realloc, true};
static const struct allocator A_GF = {
    "good-fit", gf_init, arena_heap_alloc, arena_heap_free, arena_heap_realloc, true};
static const struct allocator A_GLIBC = {"glibc", g_init, g_alloc, g_free, g_realloc, false};

/* ---------------------------------------------------------------------------------- */
/* Replay                                                                             */
/* ---------------------------------------------------------------------------------- */

struct slot {
    unsigned char *p;
    uint64_t size;
    uint32_t align, gen;
};

struct result {
    uint64_t fails, corrupt, misaligned, peak_live, footprint;
};

static inline uint64_t pat_word(uint32_t id, uint32_t gen, size_t i)
{
    return ((uint64_t)gen << 32 | id) * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull;
}

static void pat_fill(const struct slot *s, uint32_t id, size_t from)
{
    for (size_t i = from; i < s->size; i++)
        s->p[i] = (unsigned char)(pat_word(id, s->gen, i >> 3) >> ((i & 7) * 8));
}

static int pat_ok(const struct slot *s, uint32_t id, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != (unsigned char)(pat_word(id, s->gen, i >> 3) >> ((i & 7) * 8)))
            return 0;
    return 1;
}

/* One replay. check: fill/verify every block and track peak live and footprint. */
static void replay(const struct allocator *A, const struct trace *t, struct slot *S, bool check,
                   struct result *res)
{
    uint64_t live = 0;
    memset(res, 0, sizeof(*res));
    for (size_t i = 0; i < t->n; i++) {
        const struct op *o = &t->ops[i];
        struct slot *s = &S[o->id];
        if (o->op == OP_ALLOC) {
            size_t align = (size_t)1 << o->align_log2;
            s->p = A->alloc(o->size, align);
            if (!s->p) {
                res->fails++;
                continue;
            }
            s->size = o->size;
            s->align = (uint32_t)align;
            if (check) {
                s->gen++;
                res->misaligned += ((uintptr_t)s->p & (align - 1)) != 0;
                pat_fill(s, o->id, 0);
                live += o->size;
            }
        } else if (o->op == OP_FREE) {
            if (!s->p)
                continue;
            if (check) {
                res->corrupt += !pat_ok(s, o->id, s->size);
                live -= s->size;
            }
            A->free(s->p, s->size, s->align);
            s->p = NULL;
        } else {
            if (!s->p)
                continue;
            if (check)
                res->corrupt += !pat_ok(s, o->id, s->size);
            unsigned char *q = A->realloc(s->p, s->size, o->size, s->align);
            if (!q) {
                res->fails++;
                continue;
            }
            uint64_t old = s->size;
            s->p = q;
            s->size = o->size;
            if (check) {
                res->corrupt += !pat_ok(s, o->id, old < o->size ? old : o->size);
                res->misaligned += ((uintptr_t)q & (s->align - 1)) != 0;
                pat_fill(s, o->id, old < o->size ? old : o->size);
                live = live - old + o->size;
            }
        }
        if (check) {
            res->peak_live = live > res->peak_live ? live : res->peak_live;
            if (A->arena && o->op != OP_FREE && s->p) {
                uint64_t end = (uintptr_t)s->p + s->size - arena_lo;
                res->footprint = end > res->footprint ? end : res->footprint;
            }
        }
    }
    for (uint32_t id = 0; id < t->n_ids; id++) /* the traces free everything; be safe */
        if (S[id].p) {
            A->free(S[id].p, S[id].size, S[id].align);
            S[id].p = NULL;
        }
    if (check && A->arena)
        arena_heap_check();
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The replay that --callgrind measures: callgrind collects inside this function only
 * (--toggle-collect=measured_replay), harness loop included, as allocbench does. */
__attribute__((noinline)) void measured_replay(const struct allocator *A, const struct trace *t,
                                               struct slot *S)
{
    struct result r;
    replay(A, t, S, false, &r);
}

/* ns per op of k fresh replays (init untimed) */
static double sample(const struct allocator *A, const struct trace *t, struct slot *S, int k)
{
    double total = 0;
    struct result r;
    for (int j = 0; j < k; j++) {
        A->init();
        double t0 = now_ns();
        replay(A, t, S, false, &r);
        total += now_ns() - t0;
    }
    return total / ((double)k * (double)t->n);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const struct allocator *allocator_named(const char *name)
{
    const struct allocator *all[] = {&A_FF, &A_LIST, &A_GF, &A_GLIBC};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

/* Median ns/op of `repeats` samples of allocator A, each of enough replays to last
 * min_sample_ms; *when interleaves it with the others (the caller alternates the order). */
static double median_ns(const struct allocator *A, const struct trace *t, struct slot *S,
                        int repeats, double min_sample_ms)
{
    A->init();
    double one = sample(A, t, S, 1) * (double)t->n;
    int k = one >= min_sample_ms * 1e6 ? 1 : (int)(min_sample_ms * 1e6 / (one + 1)) + 1;
    double v[64];
    for (int r = 0; r < repeats; r++)
        v[r] = sample(A, t, S, k);
    qsort(v, (size_t)repeats, sizeof(double), cmp_dbl);
    return v[repeats / 2];
}

int main(int argc, char **argv)
{
    int repeats = 5;
    double min_sample_ms = 100;
    const char *only = NULL, *abt_dir = NULL, *cg_alloc = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            repeats = 3;
            min_sample_ms = 20;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            repeats = repeats < 1 ? 1 : repeats > 64 ? 64 : repeats;
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--compare-abt") && i + 1 < argc) {
            abt_dir = argv[++i];
        } else if (!strcmp(argv[i], "--callgrind") && i + 1 < argc) {
            cg_alloc = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: %s [--quick] [--repeats N] [--only T1,T2] [--compare-abt DIR]\n"
                    "       %s --callgrind first-fit|list-walk|good-fit|glibc --only TN\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    const struct allocator *cg = cg_alloc ? allocator_named(cg_alloc) : NULL;
    if (cg_alloc && (!cg || !only)) {
        fprintf(
            stderr,
            "heap_bench: --callgrind needs first-fit, list-walk, good-fit or glibc, and --only\n");
        return 2;
    }
    size_t arena_size = 256 * MiB;
    void *ar = mmap(NULL, arena_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ar == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    arena_lo = (uintptr_t)ar;

    if (!cg) {
        printf("%-17s %8s %9s %9s %9s %9s %6s %10s %10s %6s %6s %5s %s\n", "trace", "ops",
               "first-fit", "list-walk", "good-fit", "glibc", "ff/gl", "peak_live", "footprint",
               "frag", "gf", "fail", "check");
        printf("%-17s %8s %9s %9s %9s %9s %6s %10s %10s %6s %6s %5s\n", "", "", "ns/op", "ns/op",
               "ns/op", "ns/op", "", "bytes", "bytes", "", "frag", "");
    }
    int rc = 0;
    for (size_t w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
        const struct workload *W = &workloads[w];
        if (only && !strstr(only, W->tag))
            continue;
        struct trace t = {.name = W->name, .seed = 42 + w};
        W->gen(&t);
        if (abt_dir) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", abt_dir, W->file);
            int c = compare_abt(&t, path);
            fprintf(stderr, "heap_bench: %s vs %s: %s\n", W->name, path,
                    c < 0 ? "no file"
                    : c   ? "DIFFERENT"
                          : "identical");
            rc |= c > 0;
        }
        arena_hi = arena_lo + W->arena;
        struct slot *S = calloc(t.n_ids ? t.n_ids : 1, sizeof(*S));
        if (cg) {
            /* one fresh replay for callgrind to count; ops= lets the caller divide */
            cg->init();
            measured_replay(cg, &t, S);
            printf("CALLGRIND trace=%s allocator=%s ops=%zu\n", W->tag, cg->name, t.n);
        } else {
            struct result chk, lchk, fchk, gchk;
            A_FF.init();
            replay(&A_FF, &t, S, true, &chk);
            A_LIST.init();
            replay(&A_LIST, &t, S, true, &lchk);
            A_GF.init();
            replay(&A_GF, &t, S, true, &fchk);
            replay(&A_GLIBC, &t, S, true, &gchk);
            /* interleaved: each allocator's samples alternate with the others' */
            const struct allocator *order[4] = {&A_FF, &A_LIST, &A_GF, &A_GLIBC};
            double ns[4] = {0, 0, 0, 0};
            for (int k = 0; k < 4; k++) {
                int a = (k + (int)w) % 4;
                ns[a] = median_ns(order[a], &t, S, repeats, min_sample_ms);
            }
            /* the same choices with and without the index: the same footprint */
            bool ok = !chk.corrupt && !chk.misaligned && !chk.fails && !gchk.corrupt &&
                      !gchk.misaligned && !lchk.corrupt && !lchk.fails &&
                      lchk.footprint == chk.footprint && !fchk.corrupt && !fchk.misaligned &&
                      !fchk.fails;
            printf("%-17s %8zu %9.2f %9.2f %9.2f %9.2f %6.2f %10llu %10llu %6.3f %6.3f %5llu %s\n",
                   W->name, t.n, ns[0], ns[1], ns[2], ns[3], ns[0] / ns[3],
                   (unsigned long long)chk.peak_live, (unsigned long long)chk.footprint,
                   chk.peak_live ? (double)chk.footprint / (double)chk.peak_live - 1 : 0.0,
                   fchk.peak_live ? (double)fchk.footprint / (double)fchk.peak_live - 1 : 0.0,
                   (unsigned long long)chk.fails, ok ? "ok" : "FAIL");
            rc |= !ok;
        }
        fflush(stdout);
        free(S);
        free(t.ops);
        free(t.free_ids);
        free(t.sizes);
    }
    return rc;
}
