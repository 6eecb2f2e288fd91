/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

#include "macros.h"

/* A user-facing failure: the errno and a fixed-size message saying what,
 * where and why. Caller-owned; the first error set wins, so a low-level
 * function's precise message is not overwritten by a caller's vaguer one. */
typedef struct CrlError {
        int error;              /* positive errno, 0 when unset */
        char message[512];
} CrlError;

/* Fill *e (if non-NULL and still unset) and return -error, so a caller can
 * write `return crl_error_set(reterr, ENOENT, "...")`. */
int crl_error_set(CrlError *e, int error, const char *fmt, ...) _printf_(3, 4);
int crl_error_setv(CrlError *e, int error, const char *fmt, va_list ap) _printf_(3, 0);

/* Prefix an already-set message ("service 'web': " + message). */
void crl_error_prefix(CrlError *e, const char *fmt, ...) _printf_(2, 3);

static inline bool crl_error_isset(const CrlError *e) {
        return e && e->error != 0;
}

static inline void crl_error_clear(CrlError *e) {
        if (e) {
                e->error = 0;
                e->message[0] = 0;
        }
}
