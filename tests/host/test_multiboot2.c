/* SPDX-License-Identifier: MIT */
/*
 * Host tests for mm/multiboot2.c: valid BIOS- and UEFI-like structures, and each way the
 * header, the tag framing and each known tag can be broken. Structures are built by the
 * small builder in mb2_builder.h (struct mbb), which appends 8-byte aligned tags.
 */
#include "support.h"

#include <stdlib.h>

#include "capture.h"
#include "mb2_builder.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

static err_t parse(struct mbb *b, struct mb2_info *info, struct mb2_error *err)
{
    return mb2_parse(b->buf, b->len, info, err);
}

/* Appends the end tag to b and parses it into info, which must succeed. */
static void end_and_parse(struct mbb *b, struct mb2_info *info)
{
    mbb_end(b);
    assert_int_equal(parse(b, info, NULL), E_OK);
}

/* Expects failure with the given code, offset, tag and message. */
#define EXPECT_FAIL(b, code, off, tag, text)                                                       \
    do {                                                                                           \
        struct mb2_info info_;                                                                     \
        struct mb2_error err_;                                                                     \
        memset(&info_, 0x5a, sizeof(info_));                                                       \
        assert_int_equal(parse(b, &info_, &err_), code);                                           \
        assert_int_equal(err_.offset, off);                                                        \
        assert_int_equal(err_.tag_type, tag);                                                      \
        assert_non_null(err_.what);                                                                \
        assert_string_equal(err_.what, text);                                                      \
        assert_null(info_.base); /* zeroed on failure */                                           \
        assert_int_equal(info_.mmap_count, 0);                                                     \
    } while (0)

static const struct mbb_ent bios_map[] = {
    {0x0, 0x9fc00, 1},        {0x9fc00, 0x400, 2},     {0xf0000, 0x10000, 2},
    {0x100000, 0x7ee0000, 1}, {0x7fe0000, 0x20000, 2}, {0xfffc0000, 0x40000, 2},
};

static const struct mbb_ent uefi_map[] = {
    {0x0, 0xa0000, 1},
    {0x100000, 0x700000, 1},
    {0x800000, 0x8000, 4},
    {0x808000, 0x8000, 1},
    {0x810000, 0xf0000, 4},
    {0x900000, 0x6b00000, 1},
    {0x7400000, 0x20000, 3},
    {0x7420000, 0xa00000, 1},
    {0x7e20000, 0x1000, 20},
    {0x7e21000, 0x1df000, 2},
    {0xffc00000, 0x400000, 2},
    {0x100000000, 0x40000000, 1},
    {0xfd00000000, 0x300000000, 2},
};

/* ---- valid structures ----------------------------------------------------------- */

static void test_bios_like(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "test=boot.println heap_max=4M");
    mbb_str(&b, MB2_TAG_BOOTLOADER_NAME, "GRUB 2.06");
    mbb_module(&b, 0x200000, 0x201234, "/boot/initrd.img arg");
    mbb_meminfo(&b, 639, 129920);
    uint32_t bootdev[3] = {0x80, 0xffffffff, 0xffffffff};
    mbb_tag(&b, MB2_TAG_BOOTDEV, bootdev, sizeof(bootdev));
    size_t mmap_off = mbb_mmap(&b, bios_map, ARRAY_SIZE(bios_map));
    mbb_fb(&b, 0xb8000, 160, 80, 25, 16, 2);
    const struct mbb_shdr sh[4] = {
        {0, 0, 0, 0, 0, 0},
        {1, 1, 6, 0xffffffff80100000, 0x1000, 0x5000},
        {7, 8, 3, 0xffffffff80200000, 0x7000, 0x12000},
        {12, 3, 0, 0, 0x8000, 0x40},
    };
    mbb_elf(&b, 4, 64, 3, sh, 4);
    uint8_t rsdp[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    mbb_tag(&b, MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
    mbb_end(&b);

    struct mb2_info info;
    struct mb2_error err;
    assert_int_equal(parse(&b, &info, &err), E_OK);
    assert_null(err.what);
    assert_ptr_equal(info.base, b.buf);
    assert_int_equal(info.total_size, b.len);
    assert_string_equal(info.cmdline, "test=boot.println heap_max=4M");
    assert_string_equal(info.bootloader_name, "GRUB 2.06");
    assert_true(info.has_meminfo);
    assert_int_equal(info.mem_lower_kib, 639);
    assert_int_equal(info.mem_upper_kib, 129920);

    assert_ptr_equal(info.mmap, b.buf + mmap_off + 16);
    assert_int_equal(info.mmap_entry_size, 24);
    assert_int_equal(info.mmap_count, ARRAY_SIZE(bios_map));
    for (size_t i = 0; i < ARRAY_SIZE(bios_map); i++) {
        struct mb2_mmap_entry e;
        assert_true(mb2_mmap_entry(&info, i, &e));
        assert_int_equal(e.base, bios_map[i].base);
        assert_int_equal(e.length, bios_map[i].len);
        assert_int_equal(e.type, bios_map[i].type);
    }
    struct mb2_mmap_entry e;
    assert_false(mb2_mmap_entry(&info, ARRAY_SIZE(bios_map), &e));

    assert_int_equal(info.module_count, 1);
    struct mb2_module mod;
    assert_true(mb2_module(&info, 0, &mod));
    assert_int_equal(mod.start, 0x200000);
    assert_int_equal(mod.end, 0x201234);
    assert_string_equal(mod.string, "/boot/initrd.img arg");
    assert_false(mb2_module(&info, 1, &mod));

    assert_true(info.has_framebuffer);
    assert_int_equal(info.fb.addr, 0xb8000);
    assert_int_equal(info.fb.pitch, 160);
    assert_int_equal(info.fb.width, 80);
    assert_int_equal(info.fb.height, 25);
    assert_int_equal(info.fb.bpp, 16);
    assert_int_equal(info.fb.type, 2);

    assert_true(info.has_elf_sections);
    assert_int_equal(info.elf_num, 4);
    assert_int_equal(info.elf_entsize, 64);
    assert_int_equal(info.elf_shndx, 3);
    for (size_t i = 0; i < 4; i++) {
        struct mb2_elf_section s;
        assert_true(mb2_elf_section(&info, i, &s));
        assert_int_equal(s.name, sh[i].name);
        assert_int_equal(s.type, sh[i].type);
        assert_int_equal(s.flags, sh[i].flags);
        assert_int_equal(s.addr, sh[i].addr);
        assert_int_equal(s.offset, sh[i].offset);
        assert_int_equal(s.size, sh[i].size);
        assert_int_equal(s.addralign, 16u << i);
    }
    struct mb2_elf_section s;
    assert_false(mb2_elf_section(&info, 4, &s));

    assert_non_null(info.rsdp_v1);
    assert_int_equal(info.rsdp_v1_len, 20);
    assert_memory_equal(info.rsdp_v1, "RSD PTR ", 8);
    assert_null(info.rsdp_v2);
    assert_false(info.has_efi_system_table); /* a BIOS boot */
}

static void test_uefi_like(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_BOOTLOADER_NAME, "GRUB 2.06-13+deb12u1");
    mbb_module(&b, 0x7000000, 0x7000000, "empty");
    uint64_t st = 0x7fe9e018;
    mbb_tag(&b, MB2_TAG_EFI64, &st, 8);
    mbb_mmap(&b, uefi_map, ARRAY_SIZE(uefi_map));
    mbb_module(&b, 0x7100000, 0x7180000, "");
    mbb_fb(&b, 0x80000000, 3200, 800, 600, 32, 1);
    uint8_t xsdp[36] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    mbb_tag(&b, MB2_TAG_ACPI_NEW, xsdp, sizeof(xsdp));
    uint8_t efi_mmap[8 + 3 * 48] = {48, 0, 0, 0, 1};
    mbb_tag(&b, MB2_TAG_EFI_MMAP, efi_mmap, sizeof(efi_mmap));
    mbb_tag(&b, MB2_TAG_EFI64_IH, &st, 8);
    uint32_t load_base = 0x200000;
    mbb_tag(&b, MB2_TAG_LOAD_BASE_ADDR, &load_base, 4);

    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_null(info.cmdline);
    assert_string_equal(info.bootloader_name, "GRUB 2.06-13+deb12u1");
    assert_false(info.has_meminfo);
    assert_false(info.has_elf_sections);
    assert_null(info.rsdp_v1);
    assert_non_null(info.rsdp_v2);
    assert_int_equal(info.rsdp_v2_len, 36);
    assert_true(info.has_efi_system_table);
    assert_int_equal(info.efi_system_table, 0x7fe9e018);
    assert_true(info.has_framebuffer);
    assert_int_equal(info.fb.addr, 0x80000000);
    assert_int_equal(info.fb.bpp, 32);
    assert_int_equal(info.fb.type, 1);

    assert_int_equal(info.mmap_count, ARRAY_SIZE(uefi_map));
    for (size_t i = 0; i < ARRAY_SIZE(uefi_map); i++) {
        struct mb2_mmap_entry e;
        assert_true(mb2_mmap_entry(&info, i, &e));
        assert_int_equal(e.base, uefi_map[i].base);
        assert_int_equal(e.length, uefi_map[i].len);
        assert_int_equal(e.type, uefi_map[i].type);
    }
    assert_int_equal(info.module_count, 2);
    struct mb2_module mod;
    assert_true(mb2_module(&info, 0, &mod));
    assert_int_equal(mod.start, 0x7000000);
    assert_int_equal(mod.end, 0x7000000);
    assert_string_equal(mod.string, "empty");
    assert_true(mb2_module(&info, 1, &mod));
    assert_int_equal(mod.start, 0x7100000);
    assert_int_equal(mod.end, 0x7180000);
    assert_string_equal(mod.string, "");
    assert_false(mb2_module(&info, 2, &mod));
}

/* entry_size larger than 24 (allowed by the spec): the stride is entry_size. */
static void test_mmap_larger_entries(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_mmap_raw(&b, 40, 0, bios_map, 3);
    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_int_equal(info.mmap_entry_size, 40);
    assert_int_equal(info.mmap_count, 3);
    struct mb2_mmap_entry e;
    assert_true(mb2_mmap_entry(&info, 2, &e));
    assert_int_equal(e.base, 0xf0000);
    assert_int_equal(e.length, 0x10000);
    assert_int_equal(e.type, 2);
}

/* The smallest valid MBI: header + end tag. Nothing present, accessors say no. */
static void test_minimal(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_end(&b);
    assert_int_equal(b.len, 16);
    struct mb2_info info;
    assert_int_equal(parse(&b, &info, NULL), E_OK);
    assert_null(info.mmap);
    assert_int_equal(info.mmap_count, 0);
    assert_int_equal(info.module_count, 0);
    struct mb2_mmap_entry e;
    struct mb2_module m;
    struct mb2_elf_section s;
    assert_false(mb2_mmap_entry(&info, 0, &e));
    assert_false(mb2_module(&info, 0, &m));
    assert_false(mb2_elf_section(&info, 0, &s));
}

static void test_unknown_tags_skipped(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    uint8_t junk[37];
    memset(junk, 0xee, sizeof(junk));
    mbb_tag(&b, 0x1234, junk, 5); /* size 13: the next tag is at the next 8-byte boundary */
    mbb_tag(&b, 22, junk, 0);
    mbb_str(&b, MB2_TAG_CMDLINE, "x");
    mbb_tag(&b, 0xffffffff, junk, sizeof(junk));
    mbb_mmap(&b, bios_map, 2);
    mbb_tag(&b, MB2_TAG_SMBIOS, junk, 3);
    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_string_equal(info.cmdline, "x");
    assert_int_equal(info.mmap_count, 2);
}

/* ---- header errors --------------------------------------------------------------- */

static void test_header_errors(void **state)
{
    (void)state;
    struct mbb b;
    struct mb2_info info;
    struct mb2_error err;
    mbb_init(&b);
    mbb_end(&b);

    assert_int_equal(mb2_parse(NULL, 16, &info, &err), E_INVAL);
    assert_int_equal(mb2_parse(b.buf, 16, NULL, &err), E_INVAL);

    /* misaligned: the same bytes at buf + 4 */
    memmove(b.buf + 4, b.buf, 16);
    assert_int_equal(mb2_parse(b.buf + 4, 16, &info, &err), E_ALIGN);
    assert_string_equal(err.what, "mbi not 8-byte aligned");
    assert_int_equal(err.tag_type, MB2_NO_TAG);
    mbb_init(&b);
    mbb_end(&b);

    assert_int_equal(mb2_parse(b.buf, 7, &info, &err), E_TRUNC);
    assert_string_equal(err.what, "fewer than 8 bytes available");
    assert_int_equal(err.value, 7);

    assert_int_equal(mb2_parse(b.buf, 15, &info, &err), E_TRUNC); /* total_size 16 > 15 */
    assert_string_equal(err.what, "total_size larger than the bytes available");
    assert_int_equal(err.value, 16);

    mbb_put32(&b, 0, 8);
    assert_int_equal(mb2_parse(b.buf, 16, &info, &err), E_TRUNC);
    assert_string_equal(err.what, "total_size < 16");
    assert_int_equal(err.value, 8);
    mbb_put32(&b, 0, 0);
    assert_int_equal(mb2_parse(b.buf, 16, &info, &err), E_TRUNC);

    mbb_put32(&b, 0, 16);
    mbb_put32(&b, 4, 1);
    assert_int_equal(mb2_parse(b.buf, 16, &info, &err), E_FORMAT);
    assert_string_equal(err.what, "reserved header field not 0");
    assert_int_equal(err.offset, 4);
    mbb_put32(&b, 4, 0);
    assert_int_equal(mb2_parse(b.buf, 16, &info, &err), E_OK);
}

/* total_size cut short at several points of a real structure. */
static void test_truncated_total_size(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "abc");                      /* 8..20, next at 24 */
    size_t mm = mbb_mmap(&b, bios_map, ARRAY_SIZE(bios_map)); /* 24..24+160 */
    size_t end = mbb_end(&b);

    mbb_put32(&b, 0, (uint32_t)(mm + 100)); /* inside the memory map tag */
    EXPECT_FAIL(&b, E_TRUNC, mm, MB2_TAG_MMAP, "tag runs past total_size");
    mbb_put32(&b, 0, (uint32_t)(mm + 4)); /* inside its header */
    EXPECT_FAIL(&b, E_TRUNC, mm, MB2_NO_TAG, "tag header runs past total_size");
    mbb_put32(&b, 0, (uint32_t)end); /* right before the end tag */
    EXPECT_FAIL(&b, E_TRUNC, end, MB2_NO_TAG, "missing end tag");
    mbb_put32(&b, 0, (uint32_t)(end + 4));
    EXPECT_FAIL(&b, E_TRUNC, end, MB2_NO_TAG, "tag header runs past total_size");
    mbb_put32(&b, 0, (uint32_t)(end + 8));
    struct mb2_info info;
    assert_int_equal(parse(&b, &info, NULL), E_OK);
}

/* Every prefix of a valid structure, with total_size and avail set to the prefix
 * length and the bytes in an exactly sized heap block: fails cleanly (ASan would catch
 * a read past it) except for the full length. */
static void test_every_prefix(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "console=ttyS0");
    mbb_module(&b, 0x300000, 0x301000, "mod");
    mbb_mmap(&b, uefi_map, ARRAY_SIZE(uefi_map));
    const struct mbb_shdr sh[2] = {{0, 0, 0, 0, 0, 0}, {1, 3, 0, 0, 0x100, 0x10}};
    mbb_elf(&b, 2, 64, 1, sh, 2);
    mbb_end(&b);
    for (size_t len = 0; len <= b.len; len++) {
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, b.buf, len);
        if (len >= 4)
            memcpy(p, &(uint32_t){(uint32_t)len}, 4);
        struct mb2_info info;
        struct mb2_error err;
        err_t e = mb2_parse(p, len, &info, &err);
        if (len == b.len) {
            assert_int_equal(e, E_OK);
            assert_int_equal(info.mmap_count, ARRAY_SIZE(uefi_map));
        } else {
            assert_true(e == E_TRUNC || e == E_FORMAT);
            assert_non_null(err.what);
        }
        free(p);
    }
}

/* ---- tag framing ----------------------------------------------------------------- */

static void test_tag_size_too_small(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    size_t t = mbb_str(&b, MB2_TAG_CMDLINE, "abc");
    mbb_end(&b);
    for (uint32_t sz = 0; sz < 8; sz++) {
        mbb_put32(&b, t + 4, sz);
        EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_CMDLINE, "tag size < 8");
    }
}

static void test_tag_size_overflow(void **state)
{
    (void)state;
    const uint32_t sizes[] = {0xfffffff8, 0xffffffff, 0x80000000, 4096};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct mbb b;
        mbb_init(&b);
        mbb_str(&b, MB2_TAG_CMDLINE, "abc");
        size_t t = mbb_tag(&b, 0x77, NULL, 0);
        mbb_end(&b);
        mbb_put32(&b, t + 4, sizes[i]);
        EXPECT_FAIL(&b, E_TRUNC, t, 0x77, "tag runs past total_size");
        struct mb2_error err;
        struct mb2_info info;
        parse(&b, &info, &err);
        assert_true(err.has_value);
        assert_int_equal(err.value, sizes[i]);
    }
}

static void test_end_tag(void **state)
{
    (void)state;
    struct mbb b;

    /* wrong size */
    mbb_init(&b);
    size_t end = mbb_tag(&b, MB2_TAG_END, "\0\0\0\0\0\0\0", 8);
    mbb_put32(&b, 0, (uint32_t)b.len);
    EXPECT_FAIL(&b, E_FORMAT, end, MB2_TAG_END, "end tag size != 8");

    /* not last: a tag after it */
    mbb_init(&b);
    end = mbb_tag(&b, MB2_TAG_END, NULL, 0);
    mbb_str(&b, MB2_TAG_CMDLINE, "after");
    mbb_put32(&b, 0, (uint32_t)b.len);
    EXPECT_FAIL(&b, E_FORMAT, end, MB2_TAG_END, "bytes after the end tag");

    /* not last: padding after it */
    mbb_init(&b);
    end = mbb_end(&b);
    mbb_put32(&b, 0, (uint32_t)b.len + 8);
    b.len += 8;
    EXPECT_FAIL(&b, E_FORMAT, end, MB2_TAG_END, "bytes after the end tag");

    /* absent: the last tag ends exactly at total_size */
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "1234567"); /* 16 bytes */
    mbb_put32(&b, 0, (uint32_t)b.len);
    EXPECT_FAIL(&b, E_TRUNC, 24, MB2_NO_TAG, "missing end tag");

    /* absent: total_size not a multiple of 8 and the last tag's padding reaches past it */
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "123"); /* size 12 */
    mbb_put32(&b, 0, 20);
    b.len = 20;
    EXPECT_FAIL(&b, E_TRUNC, 24, MB2_NO_TAG, "missing end tag");
}

static void test_duplicate_tags(void **state)
{
    (void)state;
    const uint32_t once[] = {MB2_TAG_CMDLINE, MB2_TAG_BOOTLOADER_NAME, MB2_TAG_MMAP,
                             MB2_TAG_BASIC_MEMINFO};
    for (size_t i = 0; i < ARRAY_SIZE(once); i++) {
        struct mbb b;
        mbb_init(&b);
        for (int k = 0; k < 2; k++) {
            size_t t = 0;
            if (once[i] == MB2_TAG_MMAP)
                t = mbb_mmap(&b, bios_map, 1);
            else if (once[i] == MB2_TAG_BASIC_MEMINFO)
                t = mbb_meminfo(&b, 1, 2);
            else
                t = mbb_str(&b, once[i], "s");
            if (k == 1) {
                mbb_end(&b);
                EXPECT_FAIL(&b, E_FORMAT, t, once[i], "duplicate tag");
            }
        }
    }
}

/* ---- per-tag checks -------------------------------------------------------------- */

static void test_mmap_bad_entry_size(void **state)
{
    (void)state;
    const struct {
        uint32_t es;
        const char *what;
    } cases[] = {
        {0, "memory map entry_size < 24"},
        {20, "memory map entry_size < 24"},
        {23, "memory map entry_size < 24"},
        {25, "memory map entry_size not a multiple of 8"},
        {28, "memory map entry_size not a multiple of 8"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct mbb b;
        mbb_init(&b);
        size_t t = mbb_mmap_raw(&b, cases[i].es, 0, bios_map, 2);
        mbb_end(&b);
        EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_MMAP, cases[i].what);
        struct mb2_error err;
        struct mb2_info info;
        parse(&b, &info, &err);
        assert_int_equal(err.value, cases[i].es);
    }
}

static void test_mmap_bad_version_and_size(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    size_t t = mbb_mmap_raw(&b, 24, 1, bios_map, 2);
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_MMAP, "memory map entry_version != 0");

    /* size - 16 not a multiple of entry_size: the tag ends 8 bytes into entry 2 */
    mbb_init(&b);
    t = mbb_mmap(&b, bios_map, 3);
    mbb_put32(&b, t + 4, 16 + 2 * 24 + 8);
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_MMAP, "memory map ends inside an entry");

    /* tag too small for entry_size / entry_version */
    mbb_init(&b);
    t = mbb_tag(&b, MB2_TAG_MMAP, "\x18\0\0\0", 4);
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_MMAP, "memory map tag size < 16");

    /* no entries at all is valid */
    mbb_init(&b);
    mbb_mmap(&b, bios_map, 0);
    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_non_null(info.mmap);
    assert_int_equal(info.mmap_count, 0);
}

static void test_strings_without_nul(void **state)
{
    (void)state;
    struct mbb b;

    mbb_init(&b);
    size_t t = mbb_tag(&b, MB2_TAG_CMDLINE, "abcdefgh", 8); /* the NUL would be at +16 */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_CMDLINE, "cmdline not NUL-terminated");

    mbb_init(&b);
    t = mbb_tag(&b, MB2_TAG_CMDLINE, NULL, 0); /* no room for even the NUL */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_CMDLINE, "cmdline not NUL-terminated");

    mbb_init(&b);
    t = mbb_tag(&b, MB2_TAG_BOOTLOADER_NAME, "GRUB", 4); /* padding after it is 0 */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_BOOTLOADER_NAME, "boot loader name not NUL-terminated");

    mbb_init(&b);
    t = mbb_module(&b, 0x1000, 0x2000, "name");
    mbb_put32(&b, t + 4, 16 + 4); /* cut the NUL off */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_MODULE, "module string not NUL-terminated");

    /* an empty string is fine */
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "");
    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_string_equal(info.cmdline, "");
}

static void test_module_errors(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_module(&b, 0x1000, 0x2000, "ok");
    size_t t = mbb_module(&b, 0x3001, 0x3000, "backwards");
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_MODULE, "module mod_start > mod_end");

    mbb_init(&b);
    uint32_t body[2] = {0x1000, 0x2000};
    t = mbb_tag(&b, MB2_TAG_MODULE, body, 8); /* size 16: no string at all */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_MODULE, "module tag size < 17");
}

static void test_elf_errors(void **state)
{
    (void)state;
    const struct mbb_shdr sh[3] = {{0}, {1, 1, 6, 0x100000, 0x1000, 0x100}, {9, 3, 0, 0, 0, 8}};
    struct mbb b;

    mbb_init(&b);
    size_t t = mbb_elf(&b, 3, 40, 2, sh, 0); /* ELF32-sized entries */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_ELF_SECTIONS, "ELF sections entsize < 64 (not ELF64)");

    mbb_init(&b);
    t = mbb_elf(&b, 3, 64, 3, sh, 3);
    mbb_end(&b);
    EXPECT_FAIL(&b, E_FORMAT, t, MB2_TAG_ELF_SECTIONS, "ELF sections shndx >= num");

    mbb_init(&b);
    t = mbb_elf(&b, 4, 64, 2, sh, 3); /* claims one header more than the tag holds */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_ELF_SECTIONS, "ELF section headers run past the tag");

    mbb_init(&b);
    t = mbb_elf(&b, 0xffffffff, 0xffffffff, 0, sh, 0); /* num * entsize needs 64 bits */
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_ELF_SECTIONS, "ELF section headers run past the tag");

    mbb_init(&b);
    t = mbb_tag(&b, MB2_TAG_ELF_SECTIONS, "\0\0\0\0\0\0\0\0", 8);
    mbb_end(&b);
    EXPECT_FAIL(&b, E_TRUNC, t, MB2_TAG_ELF_SECTIONS, "ELF sections tag size < 20");

    /* no sections, shndx 0: valid and empty */
    mbb_init(&b);
    mbb_elf(&b, 0, 64, 0, sh, 0);
    struct mb2_info info;
    end_and_parse(&b, &info);
    assert_true(info.has_elf_sections);
    struct mb2_elf_section s;
    assert_false(mb2_elf_section(&info, 0, &s));

    /* entsize 72 (larger than Elf64_Shdr): the stride is entsize */
    mbb_init(&b);
    mbb_elf(&b, 3, 72, 2, sh, 3);
    end_and_parse(&b, &info);
    assert_true(mb2_elf_section(&info, 2, &s));
    assert_int_equal(s.name, 9);
    assert_int_equal(s.type, 3);
    assert_int_equal(s.size, 8);
}

static void test_fixed_tag_min_sizes(void **state)
{
    (void)state;
    const struct {
        uint32_t type, size;
        const char *what;
    } cases[] = {
        {MB2_TAG_BASIC_MEMINFO, 15, "basic meminfo tag size < 16"},
        {MB2_TAG_FRAMEBUFFER, 30, "framebuffer tag size < 31"},
        {MB2_TAG_ACPI_OLD, 27, "ACPI old RSDP tag size < 28"},
        {MB2_TAG_ACPI_NEW, 43, "ACPI new RSDP tag size < 44"},
        {MB2_TAG_EFI32, 11, "EFI32 system table tag size < 12"},
        {MB2_TAG_EFI64, 15, "EFI64 system table tag size < 16"},
    };
    uint8_t body[64] = {0};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct mbb b;
        mbb_init(&b);
        size_t t = mbb_tag(&b, cases[i].type, body, cases[i].size - 8);
        mbb_end(&b);
        EXPECT_FAIL(&b, E_TRUNC, t, cases[i].type, cases[i].what);
        /* the minimum itself is enough */
        mbb_init(&b);
        mbb_tag(&b, cases[i].type, body, cases[i].size - 7);
        struct mb2_info info;
        end_and_parse(&b, &info);
    }
}

/* ---- reporting ------------------------------------------------------------------- */

static void test_error_format(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    mbb_str(&b, MB2_TAG_CMDLINE, "0123456789abcdef0123456789abcdef0123456789abcdef01234567890a");
    size_t t = mbb_mmap(&b, bios_map, 2);
    assert_int_equal(t, 0x50);
    mbb_put32(&b, t + 4, 4096);
    mbb_end(&b);
    struct mb2_info info;
    struct mb2_error err;
    err_t e = parse(&b, &info, &err);
    assert_int_equal(e, E_TRUNC);
    char buf[160];
    int n = mb2_error_format(&err, e, buf, sizeof(buf));
    assert_string_equal(buf, "mb2_parse: E_TRUNC at offset 0x50 (tag 6, memory map): tag runs "
                             "past total_size (got 4096)");
    assert_int_equal(n, (int)strlen(buf));

    mbb_put32(&b, 0, 8);
    e = parse(&b, &info, &err);
    mb2_error_format(&err, e, buf, sizeof(buf));
    assert_string_equal(buf, "mb2_parse: E_TRUNC at offset 0x0: total_size < 16 (got 8)");

    mbb_put32(&b, 0, (uint32_t)b.len);
    mbb_put32(&b, t + 4, 0xfffffff8);
    e = parse(&b, &info, &err);
    mb2_error_format(&err, e, buf, sizeof(buf));
    assert_string_equal(buf, "mb2_parse: E_TRUNC at offset 0x50 (tag 6, memory map): tag runs "
                             "past total_size (got 0xfffffff8)");

    /* truncation of the output buffer */
    n = mb2_error_format(&err, e, buf, 10);
    assert_string_equal(buf, "mb2_parse");
    assert_true(n > 10);

    assert_string_equal(mb2_tag_name(9), "ELF sections");
    assert_string_equal(mb2_tag_name(1000), "unknown");
    assert_string_equal(mb2_mem_type_name(4), "ACPI NVS");
    assert_null(mb2_mem_type_name(20));
    assert_null(mb2_mem_type_name(0));
}

static void test_print_mmap(void **state)
{
    (void)state;
    struct mbb b;
    mbb_init(&b);
    const struct mbb_ent map[] = {
        {0x100000000, 0x40000000, 1},
        {0x7e20000, 0x1000, 20},
        {0x9fc00, 0x400, 2},
        {0x5000, 0, 1},
        {0xfffffffffffff000, 0x2000, 5},
    };
    mbb_mmap(&b, map, ARRAY_SIZE(map));
    struct mb2_info info;
    end_and_parse(&b, &info);
    capture_begin();
    mb2_print_mmap(&info);
    const char *out = capture_end();
    const char *expect =
        "multiboot2 memory map as given by the loader: 5 entries of 24 bytes\n"
        "    #  base                end (exclusive)           size  type\n"
        "    0  0x0000000100000000  0x0000000140000000     1.0 GiB  available\n"
        "    1  0x0000000007e20000  0x0000000007e21000     4.0 KiB  type 20 (reserved)\n"
        "    2  0x000000000009fc00  0x00000000000a0000     1.0 KiB  reserved\n"
        "    3  0x0000000000005000  (empty)                    0 B  available\n"
        "    4  0xfffffffffffff000  (wraps past 2^64)      8.0 KiB  bad RAM\n";
    assert_string_equal(out, expect);

    struct mbb none;
    mbb_init(&none);
    end_and_parse(&none, &info);
    capture_begin();
    mb2_print_mmap(&info);
    out = capture_end();
    assert_string_equal(out, "multiboot2: no memory map tag\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bios_like),
        cmocka_unit_test(test_uefi_like),
        cmocka_unit_test(test_mmap_larger_entries),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_unknown_tags_skipped),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_truncated_total_size),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_tag_size_too_small),
        cmocka_unit_test(test_tag_size_overflow),
        cmocka_unit_test(test_end_tag),
        cmocka_unit_test(test_duplicate_tags),
        cmocka_unit_test(test_mmap_bad_entry_size),
        cmocka_unit_test(test_mmap_bad_version_and_size),
        cmocka_unit_test(test_strings_without_nul),
        cmocka_unit_test(test_module_errors),
        cmocka_unit_test(test_elf_errors),
        cmocka_unit_test(test_fixed_tag_min_sizes),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_print_mmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
