/* SPDX-License-Identifier: MIT */
/*
 * lib/types.h - fixed-width scalars and the two address types.
 *
 * Physical and virtual addresses are different types: each is a struct with one
 * member, so passing one where the other is expected is a compile error. Convert
 * explicitly with pa()/va() and read the value with pa_val()/va_val(). This file
 * must stay freestanding: it is included by the kernel and by host unit tests.
 */
#ifndef MBHEAP_LIB_TYPES_H
#define MBHEAP_LIB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t addr;
} paddr_t;

typedef struct {
    uint64_t addr;
} vaddr_t;

static inline paddr_t pa(uint64_t a)
{
    return (paddr_t){a};
}
static inline vaddr_t va(uint64_t a)
{
    return (vaddr_t){a};
}
static inline uint64_t pa_val(paddr_t p)
{
    return p.addr;
}
static inline uint64_t va_val(vaddr_t v)
{
    return v.addr;
}
static inline vaddr_t va_from_ptr(const void *p)
{
    return (vaddr_t){(uint64_t)(uintptr_t)p};
}

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)
#define LARGE_PAGE_SIZE ((uint64_t)2 << 20)

#define KiB ((uint64_t)1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

/* True when x is a non-zero power of two. */
static inline bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Round down / up to a power-of-two alignment; align_up_checked returns false (and
 * leaves *out alone) when rounding up would pass UINT64_MAX. */
static inline uint64_t align_down(uint64_t x, uint64_t align)
{
    return x & ~(align - 1);
}
static inline bool align_up_checked(uint64_t x, uint64_t align, uint64_t *out)
{
    uint64_t t;
    if (__builtin_add_overflow(x, align - 1, &t))
        return false;
    *out = t & ~(align - 1);
    return true;
}
static inline bool is_aligned(uint64_t x, uint64_t align)
{
    return (x & (align - 1)) == 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
