/* SPDX-License-Identifier: MIT */
/*
 * Host tests for mm/multiboot2.c: valid BIOS- and UEFI-like structures, and each way the
 * header, the tag framing and each known tag can be broken. Structures are built by the
 * small builder in mb2_builder.h (struct mbb), which appends 8-byte aligned tags.
 *
 * Each test opens with a diagram of the structure it builds (byte offsets in decimal on top,
 * the tags below; "mmap (6)" is a memory map tag of six entries) and a sentence of what it
 * expects.
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

/*
 *   0       8        48      72      112      128      152       312 344      624   656  664
 *   |header |cmdline |loader |module |meminfo |bootdev |mmap (6) |fb |ELF (4) |RSDP |end |
 * a BIOS boot's tags, each read back as written: the two strings, meminfo, the six map
 * entries (from 168), the module, the text-mode framebuffer, four ELF section headers and the
 * ACPI 1.0 RSDP; and there is no EFI system table.
 */
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

/*
 *   0       8       40      64     80         408     432
 *   |header |loader |module |EFI64 |mmap (13) |module |
 *   432 472     520       680     696        712  720
 *   |fb |RSDPv2 |EFI mmap |EFI IH |load base |end |
 * a UEFI boot's tags, with some the parser skips (EFI memory map, image handle, load base):
 * the EFI64 system table, the ACPI 2.0 RSDP, the RGB framebuffer, 13 map entries and both
 * modules (the first empty) read back; no cmdline, meminfo, ELF sections or ACPI 1.0 RSDP.
 */
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

/*
 *   0       8         24       64       104      144  152
 *   |header |mmap hdr |entry 0 |entry 1 |entry 2 |end |
 * entry_size 40, larger than 24 (allowed by the spec): the stride is entry_size, so entry 2
 * (at 104) is the third BIOS entry (f0000, 10000 bytes, reserved).
 */
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

/*
 *   0       8    16
 *   |header |end |
 * the smallest valid MBI, header and end tag: it parses, nothing is present, and every
 * accessor says no.
 */
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

/*
 *   0       8       24  32       48          96        160     176  184
 *   |header |0x1234 |22 |cmdline |0xffffffff |mmap (2) |SMBIOS |end |
 * tags of unknown types (0x1234 of size 13, 22 of size 8, 0xffffffff) and one the parser
 * does not read (SMBIOS) are skipped, each to the next 8-byte boundary: the cmdline and the
 * memory map between them are found.
 */
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

/*
 *   0           4         8    16
 *   |total_size |reserved |end |
 * header faults fail with their code and message: a NULL buffer or info (E_INVAL), a buffer
 * not 8-byte aligned (E_ALIGN), fewer than 8 bytes or than total_size available, total_size
 * below 16 (E_TRUNC), reserved not 0 (E_FORMAT); put right again, it parses.
 */
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

/*
 *   0       8        24                                              184       192
 *   |header |cmdline |mmap (6)                                       |end      |
 *                     ^28                          ^124              ^184 ^188 ^192
 * total_size cut to 124 (inside the memory map), 28 (inside its header), 184 (before the end
 * tag) or 188 (inside it) fails with E_TRUNC at the tag it cuts into (24, 184) and the right
 * message; the whole 192 bytes parse.
 */
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

/*
 *   0       8        32      56         384      536  544
 *   |header |cmdline |module |mmap (13) |ELF (2) |end |
 * every prefix of it (0 to 543 bytes), total_size (where it has room) and avail set to its
 * length, in a heap block of exactly that size, fails cleanly (E_TRUNC or E_FORMAT, with a
 * message; ASan would catch a read past the block); the full 544 bytes parse.
 */
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

/*
 *   0       8              24   32
 *   |header |cmdline "abc" |end |
 *            size 0..7
 * a tag size below 8, the size of the tag header itself, fails with E_FORMAT "tag size < 8"
 * at the tag.
 */
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

/*
 *   0       8        24    32   40
 *   |header |cmdline |0x77 |end |
 *                    size 4096, 0x80000000, 0xfffffff8, 0xffffffff
 * a size of tag 0x77 running past total_size, however large, fails with E_TRUNC at the tag,
 * with the size as the error's value.
 */
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

/*
 *   0       8             24                       (a) the end tag of size 16
 *   |header |end, size 16 |
 *   0       8    16       32                       (b) a tag after the end tag
 *   |header |end |cmdline |
 *   0       8    16            24                  (c) 8 bytes after the end tag
 *   |header |end |8 zero bytes |
 *   0       8        24                            (d) total_size 24: no end tag
 *   |header |cmdline |
 *   0       8        20                            (e) total_size 20: its padding is past it
 *   |header |cmdline |
 * an end tag of a size other than 8 or not last fails with E_FORMAT at it (a to c); no end
 * tag within total_size fails with E_TRUNC "missing end tag" at 24, also where total_size
 * (20) is not a multiple of 8 (d, e).
 */
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

/*
 *   0       8  t        ...
 *   |header |X |X again |end
 * a second tag X (cmdline, boot loader name, memory map, basic meminfo: each allowed once)
 * fails with E_FORMAT "duplicate tag" at the second one, t.
 */
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

/*
 *   0       8                               72 or 80
 *   |header |mmap: entry_size es, 2 entries |end
 * an entry_size below 24 (0, 20, 23) or not a multiple of 8 (25, 28) fails with E_FORMAT at
 * the tag, the entry_size as the value.
 */
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

/*
 *   0       8                           72   80            (a) entry_version 1
 *   |header |mmap, version 1, 2 entries |end |
 *   0       8         24       48       72   80  96   104  (b) entry 2 cut
 *   |header |mmap hdr |entry 0 |entry 1 |entry 2 |end |
 *           |------ tag size 72 -------------|
 *   0       8              20 24   32                      (c) no entry_size, version
 *   |header |mmap, size 12 |  |end |
 *   0       8         24   32                              (d) no entries
 *   |header |mmap hdr |end |
 * entry_version 1 fails with E_FORMAT; a size that ends inside an entry, or leaves no room
 * for entry_size and entry_version, with E_TRUNC; a tag with no entries is valid.
 */
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

/*
 *   0       8                 24   32                  (a) size 16, no NUL in it
 *   |header |cmdline abcdefgh |end |
 *   0       8        16   24                           (b) size 8, no room for one
 *   |header |cmdline |end |
 *   0       8            20       24   32              (c) size 12: zero padding
 *   |header |loader GRUB |0 0 0 0 |end |
 *   0       8                      28   32   40        (d) size cut to 20
 *   |header |module 1000-2000 name |NUL |end |
 * a string whose NUL is not inside its own tag fails with E_FORMAT naming the tag, even where
 * the byte after the tag is 0 (a: the end tag, c: padding); an empty string (size 9) parses.
 */
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

/*
 *   0       8                      32                            64   72
 *   |header |module 1000-2000 "ok" |module 3001-3000 "backwards" |end |
 *   0       8                24   32               (no string at all)
 *   |header |module, size 16 |end |
 * a module whose mod_start lies above its mod_end fails with E_FORMAT, and one with no room
 * for a string (size < 17) with E_TRUNC.
 */
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

/*
 *   0       8        16                   28      92      156     220 224  232
 *   |header |tag hdr |num, entsize, shndx |shdr 0 |shdr 1 |shdr 2 |   |end |
 * ELF sections tags (above: 3 headers of entsize 64) whose entsize is below 64 (ELF32), whose
 * shndx is not below num, whose num * entsize runs past the tag (num 4 with 3 written, or
 * 0xffffffff * 0xffffffff) or whose size is below 20 fail; num 0 is valid and empty, and
 * entsize 72 is the stride.
 */
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

/*
 *   0       8                              8 + size, rounded up
 *   |header |tag of size min - 1, then min |end
 * each fixed-size tag one byte below its minimum (meminfo 16, framebuffer 31, ACPI old 28 and
 * new 44, EFI32 12, EFI64 16) fails with E_TRUNC and its message; at the minimum it parses.
 */
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

/*
 *   0       8                        80        144  152
 *   |header |cmdline (60 characters) |mmap (2) |end |
 *                                    size 4096, then 0xfffffff8
 * mb2_error_format prints the code, the offset (80 = 0x50), the tag's number and name, the
 * message and the value (in hex when large); with total_size 8 there is no tag to name; the
 * text is cut to the buffer; tag and memory type names are looked up.
 */
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

/*
 *   5000      9fc00 a0000    7e20000 7e21000    100000000 140000000    fffffffffffff000
 *   |         |RS   |        |20     |          |RAM      |            |BAD, past 2^64
 *   ^ RAM, length 0
 * the entries of one memory map tag printed as the loader gave them, in tag order (not
 * sorted), one line each: base, end, size, type name ("type 20 (reserved)" for an undefined
 * type), with "(empty)" and "(wraps past 2^64)" where no end can be shown; with no tag, one
 * line says so.
 */
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
