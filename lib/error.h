/* SPDX-License-Identifier: MIT */
/*
 * lib/error.h - the project's one error enum.
 *
 * Recoverable conditions are returned as err_t (E_OK == 0). Broken invariants and
 * misuse panic instead (see lib/panic.h). The page mapper's errors mirror the x86_64
 * crate's MapToError: E_NOMEM (frame allocation failed), E_EXISTS (page already
 * mapped), E_HUGEPAGE (parent entry is a huge page).
 */
#ifndef MBHEAP_LIB_ERROR_H
#define MBHEAP_LIB_ERROR_H

typedef enum {
    E_OK = 0,
    E_NOMEM,    /* out of memory / frame allocation failed */
    E_INVAL,    /* invalid argument */
    E_EXISTS,   /* already exists (page already mapped, handler already installed) */
    E_HUGEPAGE, /* parent entry is a huge page */
    E_NOENT,    /* not found / not mapped */
    E_RANGE,    /* value out of range, arithmetic overflow */
    E_ALIGN,    /* misaligned address, size or structure */
    E_TRUNC,    /* structure truncated: a length runs past the end */
    E_FORMAT,   /* malformed structure: bad magic, bad field value */
    E_NOSPC,    /* a fixed-size table is full */
    E_ERR_COUNT
} err_t;

/**
 * err_name() - the name of @e's constant, for messages and logs.
 * @e: any value, in the enum or not.
 *
 * Context: any; pure, takes no lock.
 * Return: a static string, the constant's name ("E_NOMEM"); "E_?" for a value outside the
 * enum (E_ERR_COUNT included).
 */
const char *err_name(err_t e);
/**
 * err_str() - a short human description of @e.
 * @e: any value, in the enum or not.
 *
 * Context: any; pure, takes no lock.
 * Return: a static string ("out of memory" for E_NOMEM, "success" for E_OK); "unknown
 * error" for a value outside the enum (E_ERR_COUNT included).
 */
const char *err_str(err_t e);

#endif
