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

/**
 * pa() - make a physical address from its value.
 * @a: the address.
 *
 * Context: any; pure, takes no lock.
 * Return: @a as a paddr_t.
 */
static inline paddr_t pa(uint64_t a)
{
    return (paddr_t){a};
}
/**
 * va() - make a virtual address from its value.
 * @a: the address (not checked for canonical form).
 *
 * Context: any; pure, takes no lock.
 * Return: @a as a vaddr_t.
 */
static inline vaddr_t va(uint64_t a)
{
    return (vaddr_t){a};
}
/**
 * pa_val() - the value of a physical address.
 * @p: the address.
 *
 * Context: any; pure, takes no lock.
 * Return: @p's value.
 */
static inline uint64_t pa_val(paddr_t p)
{
    return p.addr;
}
/**
 * va_val() - the value of a virtual address.
 * @v: the address.
 *
 * Context: any; pure, takes no lock.
 * Return: @v's value.
 */
static inline uint64_t va_val(vaddr_t v)
{
    return v.addr;
}
/**
 * va_from_ptr() - the virtual address of a pointer.
 * @p: the pointer.
 *
 * Context: any; pure, takes no lock.
 * Return: @p's address as a vaddr_t.
 */
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

/**
 * is_pow2() - tell whether @x is a non-zero power of two.
 * @x: the value.
 *
 * Context: any; pure, takes no lock.
 * Return: true when @x is a power of two (1 included); false for 0 and any other value.
 */
static inline bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/*
 * Rounding to an alignment, and testing for one. The alignment must be a power of two;
 * it is not checked (any other value gives a meaningless result).
 */

/**
 * align_down() - round @x down to a multiple of @align.
 * @x: the value.
 * @align: a power of two.
 *
 * Context: any; pure, takes no lock.
 * Return: the largest multiple of @align that is <= @x.
 */
static inline uint64_t align_down(uint64_t x, uint64_t align)
{
    return x & ~(align - 1);
}
/**
 * align_up_checked() - round @x up to a multiple of @align, unless that overflows.
 * @x: the value.
 * @align: a power of two.
 * @out: receives the rounded value; left alone on overflow.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: true with the smallest multiple of @align that is >= @x in *@out; false (and
 * *@out left alone) when rounding up would pass UINT64_MAX.
 */
static inline bool align_up_checked(uint64_t x, uint64_t align, uint64_t *out)
{
    uint64_t t;
    if (__builtin_add_overflow(x, align - 1, &t))
        return false;
    *out = t & ~(align - 1);
    return true;
}
/**
 * is_aligned() - tell whether @x is a multiple of @align.
 * @x: the value.
 * @align: a power of two.
 *
 * Context: any; pure, takes no lock.
 * Return: true when @x is a multiple of @align (0 always is), false otherwise.
 */
static inline bool is_aligned(uint64_t x, uint64_t align)
{
    return (x & (align - 1)) == 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
