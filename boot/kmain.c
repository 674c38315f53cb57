/* SPDX-License-Identifier: MIT */
/*
 * boot/kmain.c - the C entry point: the one place that knows the boot order.
 *
 *   console -> GDT/TSS/IDT -> multiboot2 info -> command line -> memory map
 *   -> frame allocator -> the kernel's own page tables -> heap -> demo or one test
 *
 * Each completed stage prints one line. With no test selected the demo prints what the
 * boot loader told us and exits QEMU (when the isa-debug-exit device is there) or halts
 * with interrupts off, leaving the output on screen.
 */
#include <stdint.h>

#include "arch/x86_64/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/qemu.h"
#include "boot/options.h"
#include "kernel/direct_map.h"
#include "kernel/kheap.h"
#include "kernel/kmem.h"
#include "kernel/ktest.h"
#include "lib/alloc.h"
#include "lib/collections/kbox.h"
#include "lib/collections/kstring.h"
#include "lib/collections/kvec.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mbheap_layout.h" /* MBHEAP_FW_CFG_CMDLINE */
#include "mm/multiboot2.h"

/* The framebuffer tag's type for the VGA text mode. */
#define MB2_FB_EGA_TEXT 2
#define MBI_MAX_SIZE (1024 * 1024) /* far more than any boot loader produces */
#define FW_CMDLINE_MAX 4096        /* the fw_cfg part's buffer, its NUL included */

/* magic: the boot loader's EAX, which the trampoline has checked (a wrong one never gets
 * here); passed on for debuggers (gdb.break_kmain reads it). */
void kmain(uint32_t magic, uint32_t mbi_pa);

static struct mb2_info mb2;
static struct boot_options opts;
static char fw_cmdline[FW_CMDLINE_MAX];
static bool fw_cmdline_used;

/* Parses the multiboot2 information structure at physical address mbi_pa. */
static void boot_info_init(uint32_t mbi_pa)
{
    const void *mbi = phys_to_virt(pa(mbi_pa));
    uint32_t total_size;
    memcpy(&total_size, mbi, sizeof(total_size));
    if (total_size > MBI_MAX_SIZE)
        panic("kmain: multiboot2 information at 0x%x claims %u bytes (more than %u)", mbi_pa,
              total_size, MBI_MAX_SIZE);
    struct mb2_error e;
    err_t err = mb2_parse(mbi, total_size, &mb2, &e);
    if (err != E_OK) {
        char why[160];
        mb2_error_format(&e, err, why, sizeof(why));
        panic("kmain: bad multiboot2 information at 0x%x: %s", mbi_pa, why);
    }
    kprintf("[ok] multiboot2 information at 0x%x, %u bytes\n", mbi_pa, mb2.total_size);
    /* A VGA text screen exists when the boot loader reports an EGA text framebuffer, or,
     * without a framebuffer tag, when it booted through the BIOS: under UEFI (EFI system
     * table tag) there is no text mode and 0xb8000 is not a screen. */
    bool text = mb2.has_framebuffer ? mb2.fb.type == MB2_FB_EGA_TEXT : !mb2.has_efi_system_table;
    if (text) {
        console_enable_vga();
        kprintf("[ok] console: COM1 and the VGA text screen\n");
    } else if (mb2.has_framebuffer)
        kprintf("[ok] console: COM1 only (graphics framebuffer %ux%u, no text screen)\n",
                mb2.fb.width, mb2.fb.height);
    else
        kprintf("[ok] console: COM1 only (UEFI boot: no VGA text screen)\n");
}

/*
 * The command line: the multiboot2 one, then QEMU's fw_cfg file. GRUB's is parsed where it
 * lies (mb2_parse checked that it ends with a NUL inside its tag), so it is read whole
 * whatever its length. The fw_cfg part is refused as a whole, with the reason, when it
 * does not fit its buffer or holds a NUL before its end: it is never cut into a different
 * line.
 */
static void cmdline_init(void)
{
    options_defaults(&opts);
    options_parse(&opts, mb2.cmdline);
    long n = qemu_fw_cfg_read_file(MBHEAP_FW_CFG_CMDLINE, fw_cmdline, sizeof(fw_cmdline));
    if (n < 0)
        return;
    size_t len = (size_t)n, nul;
    if (len >= sizeof(fw_cmdline)) {
        kprintf("kmain: fw_cfg %s ignored: %zu bytes, more than the %zu it may hold\n",
                MBHEAP_FW_CFG_CMDLINE, len, sizeof(fw_cmdline) - 1);
        return;
    }
    if (cmdline_check_bytes(fw_cmdline, &len, &nul) != E_OK) {
        kprintf("kmain: fw_cfg %s ignored: a NUL byte at offset %zu of its %zu bytes (the "
                "words after it would be lost)\n",
                MBHEAP_FW_CFG_CMDLINE, nul, len);
        return;
    }
    fw_cmdline[len] = '\0';
    fw_cmdline_used = true;
    options_parse(&opts, fw_cmdline);
}

/* Maps the kernel heap and makes it the global allocator (unless allocator=dummy). */
static void heap_setup(void)
{
    if (opts.dummy_allocator) {
        alloc_set_global(&dummy_allocator);
        kprintf("[ok] global allocator: %s (allocator=dummy: every allocation fails)\n",
                alloc_global()->name);
        return;
    }
    bool debug = MBHEAP_DEBUG_BUILD || opts.heap_debug;
    struct pmm_stats before, after;
    kmem_frame_stats(&before);
    bool no_index = opts.heap_no_index && !opts.heap_good_fit;
    if (opts.heap_no_index && opts.heap_good_fit)
        kprintf("options: ignoring heap_index=off (the first-fit index does not exist under "
                "heap_policy=good_fit)\n");
    err_t e =
        kheap_init(opts.heap_max, (debug ? HEAP_F_DEBUG : 0) | (no_index ? HEAP_F_NO_INDEX : 0) |
                                      (opts.heap_good_fit ? HEAP_F_GOOD_FIT : 0));
    if (e != E_OK) {
        /* kheap_init promises to undo its work: every frame it took must be back. */
        kmem_frame_stats(&after);
        if (after.used != before.used)
            panic("kheap_init: failed with %s and kept %ld frames (%lu in use before, %lu after)",
                  err_name(e), (long)(after.used - before.used), before.used, after.used);
        kprintf("kmain: heap mapping failed after giving back its frames (%lu frames in use, "
                "as before)\n",
                after.used);
        panic("heap initialization failed: %s (%s)", err_name(e), err_str(e));
    }
    if (opts.heap_no_trim && kheap_set_trim(false) != E_OK)
        panic("heap_setup: heap_trim=off refused");
    alloc_set_global(kheap_allocator());
    idt_set_fault_describer(kheap_describe_fault); /* a fault on a released page says so */
    struct heap_stats hs;
    kheap_stats(&hs);
    kprintf("[ok] heap at 0x%lx: %zu KiB mapped (grows to %zu KiB), %zu bytes free; global "
            "allocator: %s%s%s\n",
            (uint64_t)kheap_start(), hs.heap_size / 1024, kheap_max() / 1024, hs.bytes_free,
            alloc_global()->name,
            !debug            ? ""
            : opts.heap_debug ? " (debug: poisoning on)"
                              : " (debug: poisoning on: Debug build)",
            no_index ? " (heap_index=off: first fits by walking the list)" : "");
    if (opts.heap_no_trim)
        kprintf("[ok] heap_trim=off: the heap keeps every page it maps\n");
}

static void print_heap_stats(const char *when)
{
    struct heap_stats hs;
    kheap_stats(&hs);
    kprintf("  heap %-22s %7zu used %7zu free %3zu free blocks %4zu live, largest free %zu, "
            "high water %zu, grew %zu times\n",
            when, hs.bytes_used, hs.bytes_free, hs.free_blocks, hs.live_allocs, hs.largest_free,
            hs.high_water, hs.grow_events);
}

/* blog_os's heap examples, in C: a box, a growing vector, a string; then all freed. */
static void heap_demo(void)
{
    kprintf("\nheap demo (blog_os's examples through the global allocator):\n");
    print_heap_stats("at start:");
    int *answer = KBOX_NEW(int, 41);
    *answer += 1;
    struct kvec v = KVEC_INIT(uint64_t);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 1000; i++)
        kvec_push(&v, &i);
    for (size_t i = 0; i < kvec_len(&v); i++)
        sum += KVEC_AT(&v, uint64_t, i);
    struct kstring str = KSTRING_INIT;
    kstring_appendf(&str, "box at %p holds %d; vec of %zu u64 (capacity %zu) sums to %lu",
                    (void *)answer, *answer, kvec_len(&v), kvec_capacity(&v), sum);
    kprintf("  %s\n", kstring_c_str(&str));
    print_heap_stats("with them live:");
    kstring_drop(&str);
    kvec_drop(&v);
    KBOX_DROP(answer);
    kheap_check();
    print_heap_stats("after freeing all:");
}

static void demo(void)
{
    kprintf("\nboot loader: %s\n", mb2.bootloader_name ? mb2.bootloader_name : "(not given)");
    kprintf("command line: \"");
    if (mb2.cmdline)
        options_print_escaped(mb2.cmdline, strlen(mb2.cmdline));
    kprintf("\" from GRUB");
    if (fw_cmdline_used) {
        kprintf(", \"");
        options_print_escaped(fw_cmdline, strlen(fw_cmdline));
        kprintf("\" from fw_cfg %s", MBHEAP_FW_CFG_CMDLINE);
    }
    kprintf("\n");
    if (mb2.has_meminfo)
        kprintf("basic meminfo: %u KiB lower, %u KiB upper\n", mb2.mem_lower_kib,
                mb2.mem_upper_kib);
    kprintf("modules: %zu, ELF sections: %u, ACPI RSDP: %s\n", mb2.module_count, mb2.elf_num,
            mb2.rsdp_v2   ? "v2"
            : mb2.rsdp_v1 ? "v1"
                          : "none");
    if (mb2.has_framebuffer)
        kprintf("framebuffer: %ux%u, %u bpp, type %u (%s) at 0x%lx\n", mb2.fb.width, mb2.fb.height,
                mb2.fb.bpp, mb2.fb.type, mb2.fb.type == MB2_FB_EGA_TEXT ? "EGA text" : "graphics",
                mb2.fb.addr);
    else
        kprintf("framebuffer: none reported\n");
    kprintf("\nmemory map from the boot loader (raw):\n");
    mb2_print_mmap(&mb2);
    if (alloc_global() == kheap_allocator())
        heap_demo();
    kprintf("\nmbheap: demo done\n");
}

void kmain(uint32_t magic, uint32_t mbi_pa)
{
    console_init();
    /* The build type in parentheses keeps the line within the 80 columns of the screen. */
    kprintf("mbheap: a small x86_64 kernel with a well-tested memory stack (%s)\n",
            MBHEAP_BUILD_TYPE[0] ? MBHEAP_BUILD_TYPE : "no build type");
    (void)magic; /* boot/boot32.asm refused anything but MB2_BOOTLOADER_MAGIC */
    gdt_init();
    idt_init();
    kprintf(
        "[ok] GDT, TSS (IST stacks for #DF, NMI, #MC), IDT (32 exceptions, 16 PIC IRQs masked)\n");
    boot_info_init(mbi_pa);
    cmdline_init();

    /* A selected test is armed before memory setup, so that a should-panic test can
     * expect a panic of the boot stages below (heap.init_fails). */
    const struct ktest *t = NULL;
    if (opts.test[0]) {
        t = ktest_find(opts.test);
        if (!t) {
            ktest_list();
            panic("kmain: no in-kernel test named '%s'", opts.test);
        }
        ktest_arm(t);
    }
    kmem_init(&mb2, mbi_pa, opts.pmm_fail_after);
    heap_setup();

    if (t)
        ktest_run(t);
    demo();
    qemu_exit(QEMU_EXIT_SUCCESS);
    /* No exit device (a plain `qemu-system-x86_64 -cdrom`): leave the output on screen. */
    cpu_halt_forever();
}
