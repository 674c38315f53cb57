/* SPDX-License-Identifier: MIT */
/*
 * mm/multiboot2.c - parsing the multiboot2 boot information structure.
 *
 * Owns: validating the MBI and copying its fields out (mm/multiboot2.h). It must not
 * allocate, keep state between calls, or interpret the memory map (mm/memmap.c does).
 *
 * How it works. The MBI is an 8-byte header {u32 total_size, u32 reserved} followed by
 * tags {u32 type, u32 size, body}, each starting at the next 8-byte boundary after the
 * previous one, ended by the tag {0, 8}. mb2_parse() walks the tags once. Offsets are
 * kept in uint64_t and every tag is checked against total_size before any of its bytes
 * are read, so a size such as 0xfffffff8 cannot wrap the walk. Each field is read with
 * rd32()/rd64(), i.e. memcpy into a local: tags are only guaranteed 8-byte aligned, and
 * nothing here assumes more than that of the data inside them. The accessors re-walk the
 * already validated tags (modules) or index the validated raw arrays (memory map, ELF
 * sections), so they need no checks beyond the index.
 */
#include "mm/multiboot2.h"

#include "lib/fmt_size.h"
#include "lib/kprintf.h"
#include "lib/string.h"

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t align8(uint64_t x)
{
    return (x + 7) & ~(uint64_t)7;
}

static err_t fail(struct mb2_error *err, err_t code, uint64_t offset, uint32_t tag,
                  const char *what)
{
    err->offset = (uint32_t)offset;
    err->tag_type = tag;
    err->what = what;
    err->value = 0;
    err->has_value = false;
    return code;
}

static err_t fail_v(struct mb2_error *err, err_t code, uint64_t offset, uint32_t tag,
                    const char *what, uint64_t value)
{
    fail(err, code, offset, tag, what);
    err->value = value;
    err->has_value = true;
    return code;
}

/* Returns the string at tag + at if it has a NUL before tag + size, else NULL. */
static const char *tag_string(const uint8_t *tag, uint32_t size, uint32_t at)
{
    if (size <= at)
        return NULL;
    const char *s = (const char *)tag + at;
    if (strnlen(s, size - at) == size - at)
        return NULL;
    return s;
}

/* Per-parse state: which single-instance tags were seen already. */
struct parse_state {
    struct mb2_info *info;
    struct mb2_error *err;
    uint64_t off;  /* offset of the current tag */
    uint32_t seen; /* bit per tag type < 32 */
};

static err_t once(struct parse_state *st, uint32_t type)
{
    if (st->seen & (1u << type))
        return fail(st->err, E_FORMAT, st->off, type, "duplicate tag");
    st->seen |= 1u << type;
    return E_OK;
}

static err_t check_mmap(struct parse_state *st, const uint8_t *tag, uint32_t size)
{
    struct mb2_error *err = st->err;
    if (size < MB2_MMAP_HDR_SIZE)
        return fail_v(err, E_TRUNC, st->off, MB2_TAG_MMAP, "memory map tag size < 16", size);
    uint32_t entry_size = rd32(tag + 8);
    uint32_t version = rd32(tag + 12);
    if (entry_size < MB2_MMAP_ENTRY_MIN)
        return fail_v(err, E_FORMAT, st->off, MB2_TAG_MMAP, "memory map entry_size < 24",
                      entry_size);
    if (entry_size % 8 != 0)
        return fail_v(err, E_FORMAT, st->off, MB2_TAG_MMAP,
                      "memory map entry_size not a multiple of 8", entry_size);
    if (version != 0)
        return fail_v(err, E_FORMAT, st->off, MB2_TAG_MMAP, "memory map entry_version != 0",
                      version);
    if ((size - MB2_MMAP_HDR_SIZE) % entry_size != 0)
        return fail_v(err, E_TRUNC, st->off, MB2_TAG_MMAP, "memory map ends inside an entry", size);
    st->info->mmap = tag + MB2_MMAP_HDR_SIZE;
    st->info->mmap_entry_size = entry_size;
    st->info->mmap_count = (size - MB2_MMAP_HDR_SIZE) / entry_size;
    return E_OK;
}

static err_t check_module(struct parse_state *st, const uint8_t *tag, uint32_t size)
{
    struct mb2_error *err = st->err;
    if (size < MB2_MODULE_MIN_SIZE)
        return fail_v(err, E_TRUNC, st->off, MB2_TAG_MODULE, "module tag size < 17", size);
    uint32_t start = rd32(tag + 8), end = rd32(tag + 12);
    if (start > end)
        return fail_v(err, E_FORMAT, st->off, MB2_TAG_MODULE, "module mod_start > mod_end", start);
    if (tag_string(tag, size, 16) == NULL)
        return fail(err, E_FORMAT, st->off, MB2_TAG_MODULE, "module string not NUL-terminated");
    if (st->info->module_count++ == 0)
        st->info->module_first = (uint32_t)st->off;
    return E_OK;
}

static err_t check_elf(struct parse_state *st, const uint8_t *tag, uint32_t size)
{
    struct mb2_error *err = st->err;
    const uint32_t t = MB2_TAG_ELF_SECTIONS;
    if (size < MB2_ELF_HDR_SIZE)
        return fail_v(err, E_TRUNC, st->off, t, "ELF sections tag size < 20", size);
    uint32_t num = rd32(tag + 8), entsize = rd32(tag + 12), shndx = rd32(tag + 16);
    if (entsize < MB2_ELF64_SHDR_SIZE)
        return fail_v(err, E_FORMAT, st->off, t, "ELF sections entsize < 64 (not ELF64)", entsize);
    if ((uint64_t)num * entsize > size - MB2_ELF_HDR_SIZE)
        return fail_v(err, E_TRUNC, st->off, t, "ELF section headers run past the tag", num);
    /* shndx names the section-name string table; 0 (SHN_UNDEF) is all an empty table
     * can have. */
    if (num == 0 ? shndx != 0 : shndx >= num)
        return fail_v(err, E_FORMAT, st->off, t, "ELF sections shndx >= num", shndx);
    st->info->has_elf_sections = true;
    st->info->elf_num = num;
    st->info->elf_entsize = entsize;
    st->info->elf_shndx = shndx;
    st->info->elf_sections = tag + MB2_ELF_HDR_SIZE;
    return E_OK;
}

/* Checks one tag other than the end tag; records what it provides in st->info. */
static err_t check_tag(struct parse_state *st, const uint8_t *tag, uint32_t type, uint32_t size)
{
    struct mb2_info *info = st->info;
    struct mb2_error *err = st->err;
    err_t e;

    switch (type) {
    case MB2_TAG_CMDLINE:
    case MB2_TAG_BOOTLOADER_NAME: {
        if ((e = once(st, type)) != E_OK)
            return e;
        const char *s = tag_string(tag, size, 8);
        if (s == NULL)
            return fail(err, E_FORMAT, st->off, type,
                        type == MB2_TAG_CMDLINE ? "cmdline not NUL-terminated"
                                                : "boot loader name not NUL-terminated");
        if (type == MB2_TAG_CMDLINE)
            info->cmdline = s;
        else
            info->bootloader_name = s;
        return E_OK;
    }
    case MB2_TAG_MODULE: return check_module(st, tag, size);
    case MB2_TAG_BASIC_MEMINFO:
        if ((e = once(st, type)) != E_OK)
            return e;
        if (size < MB2_MEMINFO_SIZE)
            return fail_v(err, E_TRUNC, st->off, type, "basic meminfo tag size < 16", size);
        info->has_meminfo = true;
        info->mem_lower_kib = rd32(tag + 8);
        info->mem_upper_kib = rd32(tag + 12);
        return E_OK;
    case MB2_TAG_MMAP:
        if ((e = once(st, type)) != E_OK)
            return e;
        return check_mmap(st, tag, size);
    case MB2_TAG_ELF_SECTIONS:
        if ((e = once(st, type)) != E_OK)
            return e;
        return check_elf(st, tag, size);
    case MB2_TAG_FRAMEBUFFER:
        if ((e = once(st, type)) != E_OK)
            return e;
        if (size < MB2_FRAMEBUFFER_MIN_SIZE)
            return fail_v(err, E_TRUNC, st->off, type, "framebuffer tag size < 31", size);
        info->has_framebuffer = true;
        info->fb.addr = rd64(tag + 8);
        info->fb.pitch = rd32(tag + 16);
        info->fb.width = rd32(tag + 20);
        info->fb.height = rd32(tag + 24);
        info->fb.bpp = tag[28];
        info->fb.type = tag[29];
        return E_OK;
    case MB2_TAG_EFI32:
    case MB2_TAG_EFI64:
        if ((e = once(st, type)) != E_OK)
            return e;
        if (size < (type == MB2_TAG_EFI32 ? 12u : 16u))
            return fail_v(err, E_TRUNC, st->off, type,
                          type == MB2_TAG_EFI32 ? "EFI32 system table tag size < 12"
                                                : "EFI64 system table tag size < 16",
                          size);
        info->has_efi_system_table = true;
        info->efi_system_table = type == MB2_TAG_EFI32 ? rd32(tag + 8) : rd64(tag + 8);
        return E_OK;
    case MB2_TAG_ACPI_OLD:
        if ((e = once(st, type)) != E_OK)
            return e;
        if (size < MB2_ACPI_OLD_MIN_SIZE)
            return fail_v(err, E_TRUNC, st->off, type, "ACPI old RSDP tag size < 28", size);
        info->rsdp_v1 = tag + 8;
        info->rsdp_v1_len = size - 8;
        return E_OK;
    case MB2_TAG_ACPI_NEW:
        if ((e = once(st, type)) != E_OK)
            return e;
        if (size < MB2_ACPI_NEW_MIN_SIZE)
            return fail_v(err, E_TRUNC, st->off, type, "ACPI new RSDP tag size < 44", size);
        info->rsdp_v2 = tag + 8;
        info->rsdp_v2_len = size - 8;
        return E_OK;
    default: return E_OK; /* not ours to understand: skipped */
    }
}

err_t mb2_parse(const void *mbi, size_t avail, struct mb2_info *out, struct mb2_error *err)
{
    struct mb2_error scratch_err;
    if (err == NULL)
        err = &scratch_err;
    fail(err, E_OK, 0, MB2_NO_TAG, NULL);
    if (out == NULL || mbi == NULL)
        return fail(err, E_INVAL, 0, MB2_NO_TAG, "NULL argument");
    memset(out, 0, sizeof(*out));
    if ((uintptr_t)mbi % 8 != 0)
        return fail_v(err, E_ALIGN, 0, MB2_NO_TAG, "mbi not 8-byte aligned", (uintptr_t)mbi);
    if (avail < 8)
        return fail_v(err, E_TRUNC, 0, MB2_NO_TAG, "fewer than 8 bytes available", avail);

    const uint8_t *p = mbi;
    uint32_t total = rd32(p);
    if (total < 16)
        return fail_v(err, E_TRUNC, 0, MB2_NO_TAG, "total_size < 16", total);
    if (total > avail)
        return fail_v(err, E_TRUNC, 0, MB2_NO_TAG, "total_size larger than the bytes available",
                      total);
    /* The spec says the OS should ignore this field; GRUB always writes 0, and anything
     * else here means the pointer is not to an MBI at all. */
    uint32_t reserved = rd32(p + 4);
    if (reserved != 0)
        return fail_v(err, E_FORMAT, 4, MB2_NO_TAG, "reserved header field not 0", reserved);

    struct mb2_info info = {.base = p, .total_size = total};
    struct parse_state st = {.info = &info, .err = err, .off = 8};
    for (;;) {
        uint64_t off = st.off; /* always a multiple of 8: tags are aligned by construction */
        if (off >= total)
            return fail(err, E_TRUNC, off, MB2_NO_TAG, "missing end tag");
        if (off + 8 > total)
            return fail(err, E_TRUNC, off, MB2_NO_TAG, "tag header runs past total_size");
        uint32_t type = rd32(p + off);
        uint32_t size = rd32(p + off + 4);
        if (size < 8)
            return fail_v(err, E_FORMAT, off, type, "tag size < 8", size);
        if (off + size > total)
            return fail_v(err, E_TRUNC, off, type, "tag runs past total_size", size);
        if (type == MB2_TAG_END) {
            if (size != 8)
                return fail_v(err, E_FORMAT, off, type, "end tag size != 8", size);
            if (off + 8 != total)
                return fail_v(err, E_FORMAT, off, type, "bytes after the end tag",
                              total - (off + 8));
            break;
        }
        err_t e = check_tag(&st, p + off, type, size);
        if (e != E_OK)
            return e;
        st.off = align8(off + size);
    }
    *out = info;
    fail(err, E_OK, 0, MB2_NO_TAG, NULL);
    return E_OK;
}

int mb2_error_format(const struct mb2_error *e, err_t code, char *buf, size_t n)
{
    char where[64];
    char val[32] = "";
    if (e->tag_type == MB2_NO_TAG)
        ksnprintf(where, sizeof(where), "at offset 0x%x", e->offset);
    else
        ksnprintf(where, sizeof(where), "at offset 0x%x (tag %u, %s)", e->offset, e->tag_type,
                  mb2_tag_name(e->tag_type));
    if (e->has_value)
        ksnprintf(val, sizeof(val), e->value < 0x10000 ? " (got %llu)" : " (got 0x%llx)",
                  (unsigned long long)e->value);
    return ksnprintf(buf, n, "mb2_parse: %s %s: %s%s", err_name(code), where,
                     e->what ? e->what : err_str(code), val);
}

const char *mb2_tag_name(uint32_t type)
{
    static const char *const names[] = {
        [MB2_TAG_END] = "end",
        [MB2_TAG_CMDLINE] = "command line",
        [MB2_TAG_BOOTLOADER_NAME] = "boot loader name",
        [MB2_TAG_MODULE] = "module",
        [MB2_TAG_BASIC_MEMINFO] = "basic meminfo",
        [MB2_TAG_BOOTDEV] = "BIOS boot device",
        [MB2_TAG_MMAP] = "memory map",
        [MB2_TAG_VBE] = "VBE info",
        [MB2_TAG_FRAMEBUFFER] = "framebuffer",
        [MB2_TAG_ELF_SECTIONS] = "ELF sections",
        [MB2_TAG_APM] = "APM table",
        [MB2_TAG_EFI32] = "EFI32 system table",
        [MB2_TAG_EFI64] = "EFI64 system table",
        [MB2_TAG_SMBIOS] = "SMBIOS",
        [MB2_TAG_ACPI_OLD] = "ACPI old RSDP",
        [MB2_TAG_ACPI_NEW] = "ACPI new RSDP",
        [MB2_TAG_NETWORK] = "networking",
        [MB2_TAG_EFI_MMAP] = "EFI memory map",
        [MB2_TAG_EFI_BS] = "EFI boot services not terminated",
        [MB2_TAG_EFI32_IH] = "EFI32 image handle",
        [MB2_TAG_EFI64_IH] = "EFI64 image handle",
        [MB2_TAG_LOAD_BASE_ADDR] = "image load base address",
    };
    if (type < ARRAY_SIZE(names) && names[type])
        return names[type];
    return "unknown";
}

const char *mb2_mem_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE: return "available";
    case MB2_MEM_RESERVED: return "reserved";
    case MB2_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case MB2_MEM_NVS: return "ACPI NVS";
    case MB2_MEM_BADRAM: return "bad RAM";
    default: return NULL;
    }
}

bool mb2_mmap_entry(const struct mb2_info *info, size_t i, struct mb2_mmap_entry *out)
{
    if (info->mmap == NULL || i >= info->mmap_count)
        return false;
    const uint8_t *e = info->mmap + i * info->mmap_entry_size;
    out->base = rd64(e);
    out->length = rd64(e + 8);
    out->type = rd32(e + 16);
    return true;
}

bool mb2_module(const struct mb2_info *info, size_t i, struct mb2_module *out)
{
    if (i >= info->module_count)
        return false;
    /* The walk was validated by mb2_parse(): every tag fits and the end tag is there. */
    uint64_t off = info->module_first;
    for (;;) {
        const uint8_t *tag = info->base + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);
        if (type == MB2_TAG_END)
            return false; /* not reached for a valid info */
        if (type == MB2_TAG_MODULE && i-- == 0) {
            out->start = rd32(tag + 8);
            out->end = rd32(tag + 12);
            out->string = (const char *)tag + 16;
            return true;
        }
        off = align8(off + size);
    }
}

bool mb2_elf_section(const struct mb2_info *info, size_t i, struct mb2_elf_section *out)
{
    if (!info->has_elf_sections || i >= info->elf_num)
        return false;
    const uint8_t *sh = info->elf_sections + i * info->elf_entsize;
    out->name = rd32(sh);
    out->type = rd32(sh + 4);
    out->flags = rd64(sh + 8);
    out->addr = rd64(sh + 16);
    out->offset = rd64(sh + 24);
    out->size = rd64(sh + 32);
    out->addralign = rd64(sh + 48);
    return true;
}

void mb2_print_mmap(const struct mb2_info *info)
{
    if (info->mmap == NULL) {
        kprintf("multiboot2: no memory map tag\n");
        return;
    }
    kprintf("multiboot2 memory map as given by the loader: %zu entries of %u bytes\n",
            info->mmap_count, info->mmap_entry_size);
    kprintf("  %3s  %-18s  %-18s  %10s  %s\n", "#", "base", "end (exclusive)", "size", "type");
    for (size_t i = 0; i < info->mmap_count; i++) {
        struct mb2_mmap_entry e;
        if (!mb2_mmap_entry(info, i, &e))
            break; /* not reached: i < mmap_count */
        char size[24], end[24];
        fmt_size(e.length, size, sizeof(size));
        uint64_t last;
        if (e.length == 0)
            ksnprintf(end, sizeof(end), "(empty)");
        else if (__builtin_add_overflow(e.base, e.length, &last))
            ksnprintf(end, sizeof(end), "(wraps past 2^64)");
        else
            ksnprintf(end, sizeof(end), "0x%016llx", (unsigned long long)last);
        const char *name = mb2_mem_type_name(e.type);
        if (name)
            kprintf("  %3zu  0x%016llx  %-18s  %10s  %s\n", i, (unsigned long long)e.base, end,
                    size, name);
        else
            kprintf("  %3zu  0x%016llx  %-18s  %10s  type %u (reserved)\n", i,
                    (unsigned long long)e.base, end, size, e.type);
    }
}
