/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "error.h"

int crl_error_setv(CrlError *e, int error, const char *fmt, va_list ap) {
        if (error < 0)
                error = -error;
        if (error == 0)
                error = EIO;
        if (e && e->error == 0) {
                e->error = error;
                (void) vsnprintf(e->message, sizeof(e->message), fmt, ap);
        }
        return -error;
}

int crl_error_set(CrlError *e, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = crl_error_setv(e, error, fmt, ap);
        va_end(ap);
        return r;
}

void crl_error_prefix(CrlError *e, const char *fmt, ...) {
        char prefix[256], old[sizeof(e->message)];
        va_list ap;

        if (!crl_error_isset(e))
                return;
        va_start(ap, fmt);
        (void) vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->message, sizeof(old));
        (void) snprintf(e->message, sizeof(e->message), "%s%s", prefix, old);
}
