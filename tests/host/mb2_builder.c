/* SPDX-License-Identifier: MIT */
/*
 * tests/host/mb2_builder.c - the multiboot2 structure builder; see mb2_builder.h.
 *
 * Every tag goes through mbb_tag, which writes the 8-byte tag header, copies the body and
 * rounds the length up to 8; the other mbb_* assemble a tag body in a local buffer first.
 */
#include "support.h"

#include "mb2_builder.h"
#include "mm/multiboot2.h"

void mbb_put32(struct mbb *b, size_t off, uint32_t v)
{
    memcpy(b->buf + off, &v, 4);
}

void mbb_init(struct mbb *b)
{
    memset(b->buf, 0, sizeof(b->buf));
    b->len = 8;
}

size_t mbb_tag(struct mbb *b, uint32_t type, const void *body, size_t body_len)
{
    size_t off = b->len;
    assert_true(off + 8 + body_len <= sizeof(b->buf));
    mbb_put32(b, off, type);
    mbb_put32(b, off + 4, (uint32_t)(8 + body_len));
    if (body_len)
        memcpy(b->buf + off + 8, body, body_len);
    b->len = (off + 8 + body_len + 7) & ~(size_t)7;
    return off;
}

size_t mbb_str(struct mbb *b, uint32_t type, const char *s)
{
    return mbb_tag(b, type, s, strlen(s) + 1);
}

size_t mbb_mmap_raw(struct mbb *b, uint32_t entry_size, uint32_t version, const struct mbb_ent *e,
                    size_t n)
{
    uint8_t body[MBB_SIZE] = {0};
    memcpy(body, &entry_size, 4);
    memcpy(body + 4, &version, 4);
    size_t stride = entry_size >= 24 ? entry_size : 24;
    assert_true(8 + n * stride <= sizeof(body));
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = body + 8 + i * stride;
        memcpy(p, &e[i].base, 8);
        memcpy(p + 8, &e[i].len, 8);
        memcpy(p + 16, &e[i].type, 4);
    }
    return mbb_tag(b, MB2_TAG_MMAP, body, 8 + n * stride);
}

size_t mbb_mmap(struct mbb *b, const struct mbb_ent *e, size_t n)
{
    return mbb_mmap_raw(b, 24, 0, e, n);
}

size_t mbb_module(struct mbb *b, uint32_t start, uint32_t end, const char *s)
{
    uint8_t body[256];
    memcpy(body, &start, 4);
    memcpy(body + 4, &end, 4);
    size_t sl = strlen(s) + 1;
    memcpy(body + 8, s, sl);
    return mbb_tag(b, MB2_TAG_MODULE, body, 8 + sl);
}

size_t mbb_meminfo(struct mbb *b, uint32_t lower, uint32_t upper)
{
    uint32_t body[2] = {lower, upper};
    return mbb_tag(b, MB2_TAG_BASIC_MEMINFO, body, sizeof(body));
}

size_t mbb_elf(struct mbb *b, uint32_t num, uint32_t entsize, uint32_t shndx,
               const struct mbb_shdr *s, size_t n)
{
    uint8_t body[1024] = {0};
    memcpy(body, &num, 4);
    memcpy(body + 4, &entsize, 4);
    memcpy(body + 8, &shndx, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = body + 12 + i * entsize;
        uint64_t align = 16 << i;
        memcpy(p, &s[i].name, 4);
        memcpy(p + 4, &s[i].type, 4);
        memcpy(p + 8, &s[i].flags, 8);
        memcpy(p + 16, &s[i].addr, 8);
        memcpy(p + 24, &s[i].offset, 8);
        memcpy(p + 32, &s[i].size, 8);
        memcpy(p + 48, &align, 8);
    }
    return mbb_tag(b, MB2_TAG_ELF_SECTIONS, body, 12 + n * entsize);
}

size_t mbb_fb(struct mbb *b, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp,
              uint8_t type)
{
    uint8_t body[30] = {0}; /* GRUB: 24 common bytes after the header + 6 bytes RGB info */
    memcpy(body, &addr, 8);
    memcpy(body + 8, &pitch, 4);
    memcpy(body + 12, &w, 4);
    memcpy(body + 16, &h, 4);
    body[20] = bpp;
    body[21] = type;
    return mbb_tag(b, MB2_TAG_FRAMEBUFFER, body, type == 1 ? 30 : 24);
}

size_t mbb_end(struct mbb *b)
{
    size_t off = mbb_tag(b, MB2_TAG_END, NULL, 0);
    mbb_put32(b, 0, (uint32_t)b->len);
    return off;
}
