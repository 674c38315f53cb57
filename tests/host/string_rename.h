/* SPDX-License-Identifier: MIT */
/*
 * tests/host/string_rename.h - forced into the host build of lib/string.c only, so that
 * our mem and str functions can be tested beside libc's without a symbol clash.
 */
#define memcpy kstr_memcpy
#define memmove kstr_memmove
#define memset kstr_memset
#define memcmp kstr_memcmp
#define strlen kstr_strlen
#define strnlen kstr_strnlen
#define strcmp kstr_strcmp
#define strncmp kstr_strncmp
#define strchr kstr_strchr
#define strstr kstr_strstr
