/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/vga.c - the VGA text buffer at physical 0xb8000, light grey on black.
 *
 * Reached through phys_to_virt(): the boot tables and the kernel's own tables both
 * map it in the direct map. The hardware cursor follows the text.
 */
#include "arch/x86_64/vga.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "lib/phys.h"

#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x07

static volatile uint16_t *vga_buf;
static unsigned vga_row, vga_col;
static bool vga_on;

static void vga_move_cursor(void)
{
    uint16_t pos = (uint16_t)(vga_row * VGA_COLS + vga_col);
    outb(0x3d4, 0x0f);
    outb(0x3d5, (uint8_t)pos);
    outb(0x3d4, 0x0e);
    outb(0x3d5, (uint8_t)(pos >> 8));
}

static void vga_clear_row(unsigned row)
{
    for (unsigned c = 0; c < VGA_COLS; c++)
        vga_buf[row * VGA_COLS + c] = (uint16_t)(VGA_ATTR << 8 | ' ');
}

void vga_init(void)
{
    vga_buf = phys_to_virt(pa(0xb8000));
    for (unsigned r = 0; r < VGA_ROWS; r++)
        vga_clear_row(r);
    vga_row = vga_col = 0;
    vga_on = true;
    vga_move_cursor();
}

static void vga_newline(void)
{
    vga_col = 0;
    if (++vga_row < VGA_ROWS)
        return;
    for (unsigned i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        vga_buf[i] = vga_buf[i + VGA_COLS];
    vga_row = VGA_ROWS - 1;
    vga_clear_row(vga_row);
}

void vga_write(const char *s, size_t n)
{
    if (!vga_on)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            vga_newline();
        } else if (c == '\r') {
            vga_col = 0;
        } else if (c == '\t') {
            do {
                vga_buf[vga_row * VGA_COLS + vga_col] = (uint16_t)(VGA_ATTR << 8 | ' ');
                if (++vga_col == VGA_COLS)
                    vga_newline();
            } while (vga_col % 8);
        } else if (c == '\b') {
            if (vga_col)
                vga_col--;
        } else {
            vga_buf[vga_row * VGA_COLS + vga_col] = (uint16_t)(VGA_ATTR << 8 | (uint8_t)c);
            if (++vga_col == VGA_COLS)
                vga_newline();
        }
    }
    vga_move_cursor();
}
