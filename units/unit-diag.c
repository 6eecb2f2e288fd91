/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-load-internal.h"

int diag_addv(UnitDiagnostics *d, bool error, const char *file, unsigned line,
              const char *key, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL, *where = NULL;
        char *s;
        int r;

        if (!d)
                return 0;
        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        msg = s;
        if (isempty(file))
                r = asprintf(&s, "%s", "");
        else if (line > 0)
                r = asprintf(&s, "%s:%u: ", file, line);
        else
                r = asprintf(&s, "%s: ", file);
        if (r < 0)
                return -ENOMEM;
        where = s;
        if (asprintf(&s, "%s%s%s%s", where, key ?: "", key ? ": " : "", msg) < 0)
                return -ENOMEM;
        r = strv_push(error ? &d->errors : &d->warnings, s);
        if (r < 0)
                free(s);
        return r;
}

int diag_add(UnitDiagnostics *d, bool error, const char *file, unsigned line,
             const char *key, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_addv(d, error, file, line, key, fmt, ap);
        va_end(ap);
        return r;
}
