/* SPDX-License-Identifier: MIT */
/*
 * mm/multiboot2.h - the multiboot2 boot information structure (MBI), validated and
 * copied out.
 *
 * mb2_parse() checks the whole structure once (header, every tag's framing, the fields
 * of each tag it knows) and fills a struct mb2_info of plain aligned values. After a
 * successful parse every accessor below only reads inside [mbi, mbi + total_size), and
 * every multi-byte field is copied out with memcpy: nothing here hands out a pointer to
 * a packed structure. Strings are handed out as pointers into the MBI (they were checked
 * to be NUL-terminated inside their tag).
 *
 * Must not: allocate, include anything outside lib/ and mm/ headers, know where the
 * MBI lives physically (the caller does), or decide policy about the memory map (that
 * is mm/memmap.c).
 *
 * Layouts are those GRUB 2 writes (grub/include/multiboot2.h). Where the specification
 * text and GRUB differ, GRUB wins: the ELF-sections tag has u32 num/entsize/shndx with
 * the headers at offset 20 (the spec text shows u16 fields).
 */
#ifndef MBHEAP_MM_MULTIBOOT2_H
#define MBHEAP_MM_MULTIBOOT2_H

#include "lib/error.h"
#include "lib/types.h"

/* EAX at kernel entry when a multiboot2 loader started us. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Tag types (spec 3.6). */
enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_BOOTLOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_VBE = 7,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_APM = 10,
    MB2_TAG_EFI32 = 11,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_SMBIOS = 13,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_NETWORK = 16,
    MB2_TAG_EFI_MMAP = 17,
    MB2_TAG_EFI_BS = 18,
    MB2_TAG_EFI32_IH = 19,
    MB2_TAG_EFI64_IH = 20,
    MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* Minimum sizes (header included) of the tags mb2_parse() checks. */
#define MB2_MMAP_ENTRY_MIN 24u       /* u64 base, u64 length, u32 type, u32 reserved */
#define MB2_MODULE_MIN_SIZE 17u      /* u32 mod_start, u32 mod_end, at least the NUL */
#define MB2_MEMINFO_SIZE 16u         /* u32 mem_lower, u32 mem_upper */
#define MB2_MMAP_HDR_SIZE 16u        /* u32 entry_size, u32 entry_version */
#define MB2_ELF_HDR_SIZE 20u         /* u32 num, u32 entsize, u32 shndx */
#define MB2_ELF64_SHDR_SIZE 64u      /* sizeof(Elf64_Shdr) */
#define MB2_FRAMEBUFFER_MIN_SIZE 31u /* addr, pitch, width, height, bpp, type, reserved */
#define MB2_ACPI_OLD_MIN_SIZE 28u    /* header + 20-byte ACPI 1.0 RSDP */
#define MB2_ACPI_NEW_MIN_SIZE 44u    /* header + 36-byte ACPI 2.0 XSDP */

/* tag_type of an error that is not about a tag (the fixed header, the pointer). */
#define MB2_NO_TAG 0xffffffffu

/*
 * Why mb2_parse() failed. `what` is a static string ("tag runs past total_size");
 * `value` is the offending field's value when has_value is set ("memory map entry_size
 * < 24" with value 20). offset is from the start of the MBI.
 */
struct mb2_error {
    uint32_t offset;
    uint32_t tag_type; /* MB2_NO_TAG when not about a tag */
    const char *what;
    uint64_t value;
    bool has_value;
};

struct mb2_framebuffer {
    uint64_t addr; /* physical */
    uint32_t pitch, width, height;
    uint8_t bpp;
    uint8_t type; /* 0 indexed, 1 direct RGB, 2 EGA text */
};

/*
 * What mb2_parse() found. Absent string tags are NULL, absent counted things have count
 * 0, absent fixed tags have their `has_` flag false. The raw pointers point into the
 * MBI, which must stay mapped and unchanged while the info is used; read their contents
 * only through the accessors.
 */
struct mb2_info {
    const uint8_t *base; /* the MBI itself */
    uint32_t total_size; /* bytes at base, all of them validated */

    const char *cmdline;         /* NULL if absent */
    const char *bootloader_name; /* NULL if absent */

    bool has_meminfo;
    uint32_t mem_lower_kib, mem_upper_kib;

    const uint8_t *mmap; /* first raw entry; NULL when there is no memory map tag */
    uint32_t mmap_entry_size;
    size_t mmap_count;

    size_t module_count;
    uint32_t module_first; /* offset of the first module tag (0 if none) */

    bool has_elf_sections;
    uint32_t elf_num, elf_entsize, elf_shndx;
    const uint8_t *elf_sections; /* first raw section header */

    bool has_framebuffer;
    struct mb2_framebuffer fb;

    /* The boot loader ran under UEFI: it passed the EFI system table (tag 11 or 12). */
    bool has_efi_system_table;
    uint64_t efi_system_table; /* its physical address */

    const uint8_t *rsdp_v1; /* ACPI 1.0 RSDP bytes, NULL if absent */
    size_t rsdp_v1_len;
    const uint8_t *rsdp_v2; /* ACPI 2.0+ XSDP bytes, NULL if absent */
    size_t rsdp_v2_len;
};

/* Multiboot2 memory map entry types (spec 3.6.8). Anything else is reserved. */
enum {
    MB2_MEM_AVAILABLE = 1,
    MB2_MEM_RESERVED = 2,
    MB2_MEM_ACPI_RECLAIMABLE = 3,
    MB2_MEM_NVS = 4,
    MB2_MEM_BADRAM = 5,
};

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type; /* MB2_MEM_*; anything else means reserved */
};

struct mb2_module {
    uint32_t start, end; /* physical, [start, end) */
    const char *string;  /* NUL-terminated, inside the MBI */
};

/* The fields of an ELF64 section header the kernel uses. */
struct mb2_elf_section {
    uint32_t name; /* offset into the section-name string table (section shndx) */
    uint32_t type;
    uint64_t flags;
    uint64_t addr; /* where GRUB loaded it (physical for a higher-half kernel's sections) */
    uint64_t offset;
    uint64_t size;
    uint64_t addralign;
};

/**
 * mb2_parse() - validate the MBI at @mbi and fill *@out.
 * @mbi: the MBI, 8-byte aligned.
 * @avail: how many bytes at @mbi the caller allows reading (the kernel: total_size after a
 *         sanity check; tests: the buffer size).
 * @out: filled on success, zeroed on any failure but a NULL argument.
 * @err: where a failure is described, or NULL; on success it is reset (what NULL, tag_type
 *       MB2_NO_TAG).
 *
 * Never reads outside [@mbi, @mbi + min(@avail, total_size)).
 *
 * Checks: @mbi 8-byte aligned (E_ALIGN); 8 <= @avail, 16 <= total_size <= @avail (E_TRUNC);
 * reserved header field 0 (E_FORMAT); each tag: header and body inside total_size
 * (E_TRUNC), size >= 8 (E_FORMAT); an end tag {0, 8} ends the structure exactly at
 * total_size (E_TRUNC when missing, E_FORMAT when not last or wrongly sized); the tags it
 * reads (command line, boot loader name, module, basic meminfo, memory map, ELF sections,
 * framebuffer, EFI32/EFI64 system table, ACPI old/new RSDP): too small for their fields
 * -> E_TRUNC, bad field values or strings without a NUL inside the tag -> E_FORMAT; a
 * second tag of one of those types, modules excepted -> E_FORMAT. Every other tag type is
 * skipped, checked only for its framing.
 *
 * Context: any; takes no lock and keeps no state (the kernel calls it once at boot, in
 * boot/kmain.c); reads only @mbi, writes only *@out and *@err.
 * Return: E_OK on success; on failure the code above, with *@err filled (when @err is not
 * NULL) and *@out zeroed; E_INVAL for a NULL @mbi or @out (*@out, if any, untouched).
 */
err_t mb2_parse(const void *mbi, size_t avail, struct mb2_info *out, struct mb2_error *err);

/**
 * mb2_error_format() - format an mb2_parse() failure as one line.
 * @e: the description mb2_parse() filled.
 * @code: the code mb2_parse() returned.
 * @buf: where the text goes (NUL-terminated when @n > 0).
 * @n: the size of @buf.
 *
 * E.g. "mb2_parse: E_TRUNC at offset 0x58 (tag 6, memory map): tag runs past total_size
 * (got 4096)". An error not about a tag (MB2_NO_TAG) prints no "(tag ...)"; without @e's
 * what, @code's err_str() text stands in; without a value there is no "(got ...)"; a
 * value of 0x10000 or more is printed in hex.
 *
 * Context: any; pure, takes no lock.
 * Return: the length the full text has (snprintf semantics: a return >= @n means it was cut).
 */
int mb2_error_format(const struct mb2_error *e, err_t code, char *buf, size_t n);

/**
 * mb2_tag_name() - the name of a multiboot2 tag type.
 * @type: any value.
 *
 * Context: any; pure, takes no lock.
 * Return: a static string ("memory map", ...) for the types 0..21 the specification
 * defines; "unknown" for any other.
 */
const char *mb2_tag_name(uint32_t type);

/**
 * mb2_mem_type_name() - the name of a memory-map entry type.
 * @type: any value.
 *
 * Context: any; pure, takes no lock.
 * Return: a static string ("available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad
 * RAM") for MB2_MEM_*; NULL for a type the specification does not define (which the kernel
 * treats as reserved).
 */
const char *mb2_mem_type_name(uint32_t type);

/**
 * mb2_mmap_entry() - copy out memory-map entry @i, in the loader's order.
 * @info: filled by a successful mb2_parse(); its MBI still mapped and unchanged.
 * @i: the entry's index.
 * @out: the entry, written only when it exists.
 *
 * Context: any; takes no lock, reads only *@info and the MBI it points into.
 * Return: true with *@out filled; false when @info has no memory map or @i >=
 * @info->mmap_count.
 */
bool mb2_mmap_entry(const struct mb2_info *info, size_t i, struct mb2_mmap_entry *out);

/**
 * mb2_module() - copy out module @i, in tag order.
 * @info: filled by a successful mb2_parse(); its MBI still mapped and unchanged.
 * @i: the module's index.
 * @out: the module, written only when it exists; its string points into the MBI.
 *
 * Walks the tags from the first module tag (O(tags) per call).
 *
 * Context: any; takes no lock, reads only *@info and the MBI it points into.
 * Return: true with *@out filled; false when @i >= @info->module_count.
 */
bool mb2_module(const struct mb2_info *info, size_t i, struct mb2_module *out);

/**
 * mb2_elf_section() - copy out the fields of ELF64 section header @i the kernel uses.
 * @info: filled by a successful mb2_parse(); its MBI still mapped and unchanged.
 * @i: the section header's index.
 * @out: the fields (struct mb2_elf_section), written only when the header exists.
 *
 * Context: any; takes no lock, reads only *@info and the MBI it points into.
 * Return: true with *@out filled; false when @info has no ELF-sections tag or @i >=
 * @info->elf_num.
 */
bool mb2_elf_section(const struct mb2_info *info, size_t i, struct mb2_elf_section *out);

/**
 * mb2_print_mmap() - print the firmware memory map exactly as the loader gave it.
 * @info: filled by a successful mb2_parse(); its MBI still mapped and unchanged.
 *
 * A table via kprintf, unsorted and unclipped: a line with the number of entries and their
 * size, the column headings, then per entry its index, base, exclusive end ("(empty)" for
 * length 0, "(wraps past 2^64)"), human size and type name ("type N (reserved)" for an
 * undefined type); or a line saying there is no memory map tag.
 *
 * Context: not in an interrupt handler (kprintf and its log ring take no lock: output would
 * interleave with the interrupted code's); takes no lock.
 */
void mb2_print_mmap(const struct mb2_info *info);

#endif
