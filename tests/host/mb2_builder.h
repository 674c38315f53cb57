/* SPDX-License-Identifier: MIT */
/*
 * tests/host/mb2_builder.h - a builder of multiboot2 information structures (MBIs) for
 * host tests: an 8-byte aligned buffer to which tags are appended one after another.
 *
 * It writes what it is told, valid or not (tests break structures on purpose); the only
 * check is that the buffer is large enough, which fails the running test if not.
 * Typical use: mbb_init, some mbb_* tags, mbb_end, then mb2_parse(b.buf, b.len, ...).
 */
#ifndef MBHEAP_TESTS_HOST_MB2_BUILDER_H
#define MBHEAP_TESTS_HOST_MB2_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define MBB_SIZE 8192

struct mbb {
    _Alignas(8) uint8_t buf[MBB_SIZE];
    size_t len; /* bytes used so far: the offset of the next tag */
};

/* A memory map entry: base, length and type (MB2_MEM_*, or any number). */
struct mbb_ent {
    uint64_t base, len;
    uint32_t type;
};

/* An ELF64 section header as mbb_elf writes it (sh_addralign is 16 << index). */
struct mbb_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
};

/* Stores v (host byte order) at buf + off; off is the caller's to keep in the buffer. */
void mbb_put32(struct mbb *b, size_t off, uint32_t v);

/* Zeroes the buffer and starts after the 8-byte header (total_size set by mbb_end). */
void mbb_init(struct mbb *b);

/* Appends a tag with the given body (body may be NULL when body_len is 0) and pads to the
 * next 8-byte boundary; returns the tag's offset. */
size_t mbb_tag(struct mbb *b, uint32_t type, const void *body, size_t body_len);

/* A string tag (cmdline, boot loader name) holding s and its NUL. */
size_t mbb_str(struct mbb *b, uint32_t type, const char *s);

/* A memory map tag with the given entry_size and entry_version header; the n entries are
 * written with a stride of entry_size, or 24 when entry_size is smaller. */
size_t mbb_mmap_raw(struct mbb *b, uint32_t entry_size, uint32_t version, const struct mbb_ent *e,
                    size_t n);

/* A valid memory map tag: entry_size 24, entry_version 0. */
size_t mbb_mmap(struct mbb *b, const struct mbb_ent *e, size_t n);

/* A module tag for [start, end) with string s. */
size_t mbb_module(struct mbb *b, uint32_t start, uint32_t end, const char *s);

/* A basic meminfo tag. */
size_t mbb_meminfo(struct mbb *b, uint32_t lower, uint32_t upper);

/* An ELF sections tag with the given num, entsize and shndx header; n headers from s are
 * written with a stride of entsize. */
size_t mbb_elf(struct mbb *b, uint32_t num, uint32_t entsize, uint32_t shndx,
               const struct mbb_shdr *s, size_t n);

/* A framebuffer tag; type 1 (RGB) gets GRUB's 6 bytes of colour info (all zero). */
size_t mbb_fb(struct mbb *b, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp,
              uint8_t type);

/* Appends the end tag and sets total_size to the length; returns the end tag's offset. */
size_t mbb_end(struct mbb *b);

#endif
