/* SPDX-License-Identifier: MIT */
/*
 * tests/common/abtraces.h - allocbench's five trace workloads generated in C: a port of
 * allocbench's abtrace.py, op for op identical to its T*.abt files (same splitmix64
 * generator). heap_bench replays them for speed and fragmentation, the equality test
 * (tests/host/test_heap_equal.c) to prove that the heap makes the same choice with its
 * index on and off and as a reference model.
 *
 * A generator appends to a zero-initialised struct trace whose `seed` the caller set:
 * allocbench uses seeds 42..46 for T1..T5 (T1 ignores its seed). It exits with status 2
 * when out of memory. The caller frees ops, free_ids and sizes.
 */
#ifndef MBHEAP_TESTS_COMMON_ABTRACES_H
#define MBHEAP_TESTS_COMMON_ABTRACES_H

#include <stddef.h>
#include <stdint.h>

enum { OP_ALLOC = 1, OP_FREE = 2, OP_REALLOC = 3 };

struct op {
    uint8_t op, align_log2;
    uint16_t reserved;
    uint32_t id;
    uint64_t size;
};

/* A trace being generated: ops[0..n) replay it; n_ids is the number of distinct block ids
 * (slots a replay needs); live and peak count requested bytes. */
struct trace {
    const char *name;
    uint64_t seed;
    struct op *ops;
    size_t n, cap;
    uint32_t n_ids;
    uint32_t *free_ids; /* LIFO, as abtrace's Trace */
    size_t n_free, free_cap;
    uint64_t *sizes; /* by id */
    size_t sizes_cap;
    uint64_t live, peak;
};

/* T1 blogos: blog_os's heap tests (a vector doubling, 2 x 102400 short-lived boxes). */
void abt_gen_t1(struct trace *t);
/* T2 random-steady: 10^6 ops keeping about 4096 live blocks of 8..512 bytes. */
void abt_gen_t2(struct trace *t);
/* T3 kernel-mix: 250000 allocations, power-law sizes 16 B..64 KiB, 2% 4 KiB-aligned and
 * 10% 64-aligned, lifetimes from 1 to 250000 ops. */
void abt_gen_t3(struct trace *t);
/* T4 fragmenter: 8 MiB of interleaved 32 B / 4 KiB blocks, the small ones freed, then
 * 8 MiB of 48 B / 8 KiB blocks, all freed in random order. */
void abt_gen_t4(struct trace *t);
/* T5 realloc-grow: 1000 vectors of 16 B doubled in random order to 64 KiB by realloc. */
void abt_gen_t5(struct trace *t);

#endif
