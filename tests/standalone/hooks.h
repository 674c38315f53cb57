/* SPDX-License-Identifier: MIT */
/*
 * tests/standalone/hooks.h - the host hooks a lifted part may need, over the C library, for
 * the tiny programs of tests/standalone (each defines only the hooks its part documents).
 *
 * HOOK_KPRINTF: kprintf() to stdout. HOOK_KSNPRINTF: ksnprintf() through vsnprintf.
 * HOOK_PANIC_AT: panic_at() prints "panic: file:line: message" and exits with status 3.
 * HOOK_PHYS_TO_VIRT: phys_to_virt() over hook_ram[] (physical address = offset).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#ifdef HOOK_KPRINTF
int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
#endif

#ifdef HOOK_KSNPRINTF
int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
#endif

#ifdef HOOK_PANIC_AT
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("panic: %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(3);
}
#endif

#ifdef HOOK_PHYS_TO_VIRT
#define HOOK_RAM_SIZE (4u << 20)
static _Alignas(4096) unsigned char hook_ram[HOOK_RAM_SIZE];
void *phys_to_virt(paddr_t p)
{
    if (pa_val(p) >= HOOK_RAM_SIZE) {
        printf("phys_to_virt: 0x%llx is outside the simulated RAM\n",
               (unsigned long long)pa_val(p));
        exit(1);
    }
    return hook_ram + pa_val(p);
}
#endif
