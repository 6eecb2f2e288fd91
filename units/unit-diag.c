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
        /* Line 0: about the file as a whole (it cannot be read, is masked,
         * ...), or a key missing from a file without its section. */
        if (isempty(file))
                r = asprintf(&s, "%s", "");
        else
                r = asprintf(&s, "%s:%u: ", file, line);
        if (r < 0)
                return -ENOMEM;
        where = s;
        if (asprintf(&s, "%s%s%s%s", where, key ?: "", key ? ": " : "", msg) < 0)
                return -ENOMEM;
        r = strv_push(&d->lines, s);
        if (r < 0) {
                free(s);
                return r;
        }
        r = strv_push(error ? &d->errors : &d->warnings, s);
        if (r < 0) {
                d->lines[strv_length(d->lines) - 1] = NULL;
                free(s);
        }
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

typedef struct DiagKey {
        size_t rank;            /* index of the file in files, or SIZE_MAX */
        unsigned long line;
        size_t index;           /* stable tie-break */
        char *text;
} DiagKey;

static int compare_diag(const void *a, const void *b) {
        const DiagKey *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return (x->index > y->index) - (x->index < y->index);
}

static DiagKey diag_key(char *text, size_t index, char *const *files) {
        DiagKey k = { SIZE_MAX, 0, index, text };
        size_t best = 0;

        for (size_t i = 0; files && files[i]; i++) {
                size_t n = strlen(files[i]);

                if (n > best && strneq(text, files[i], n) && text[n] == ':') {
                        best = n;
                        k.rank = i;
                        k.line = strtoul(text + n + 1, NULL, 10);
                }
        }
        return k;
}

static int sort_from(char **list, size_t from, char *const *files) {
        size_t n = strv_length(list);
        DiagKey *keys;

        if (n <= from + 1)
                return 0;
        keys = calloc(n - from, sizeof(DiagKey));
        if (!keys)
                return -ENOMEM;
        for (size_t i = from; i < n; i++)
                keys[i - from] = diag_key(list[i], i, files);
        qsort(keys, n - from, sizeof(DiagKey), compare_diag);
        for (size_t i = from; i < n; i++)
                list[i] = keys[i - from].text;
        free(keys);
        return 0;
}

int diag_sort(UnitDiagnostics *d, size_t errors_from, size_t warnings_from, char *const *files) {
        int r;

        if (!d)
                return 0;
        r = sort_from(d->errors, errors_from, files);
        if (r >= 0)
                r = sort_from(d->warnings, warnings_from, files);
        if (r >= 0)
                r = sort_from(d->lines, errors_from + warnings_from, files);
        return r;
}
