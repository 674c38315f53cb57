/* SPDX-License-Identifier: MIT */
/*
 * tests/host/capture.h - capturing kprintf output in host tests, to compare printed
 * tables and messages with the exact expected text.
 *
 * One capture at a time, into a static 8 KiB buffer; a write that does not fit is dropped
 * (the comparison then fails). Not reentrant, not for use from the sink itself.
 */
#ifndef MBHEAP_TESTS_HOST_CAPTURE_H
#define MBHEAP_TESTS_HOST_CAPTURE_H

/* Empties the capture buffer and routes kprintf output into it. */
void capture_begin(void);

/* Restores kprintf's default sink; returns the NUL-terminated text captured since
 * capture_begin (valid until the next capture_begin). */
const char *capture_end(void);

#endif
