/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "utf8.h"

/* Length of the valid UTF-8 sequence at s that is no C1 control, or 0. */
static size_t utf8_printable_len(const unsigned char *s) {
        uint32_t cp;
        size_t n = utf8_sequence(s, SIZE_MAX, &cp);

        return n == 0 || (cp >= 0x80 && cp <= 0x9f) ? 0 : n;
}

/* The message as it may reach a terminal or a JSON string: control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 become \xNN, so a
 * unit cannot move the cursor or retitle the terminal of whoever runs
 * verify. Takes s. */
static char *escape_controls(char *s) {
        size_t len = strlen(s), extra = 0;
        char *out, *o;

        for (const unsigned char *p = (const unsigned char *) s; *p; ) {
                size_t n = *p >= 0x80 ? utf8_printable_len(p) : (*p < 0x20 || *p == 0x7f) ? 0 : 1;

                extra += n ? 0 : 3;
                p += n ?: 1;
        }
        if (extra == 0)
                return s;
        out = malloc(len + extra + 1);
        if (!out) {
                free(s);
                return NULL;
        }
        o = out;
        for (const unsigned char *p = (const unsigned char *) s; *p; ) {
                size_t n = *p >= 0x80 ? utf8_printable_len(p) : (*p < 0x20 || *p == 0x7f) ? 0 : 1;

                if (n == 0)
                        o += sprintf(o, "\\x%02x", *p++);
                else {
                        memcpy(o, p, n);
                        o += n;
                        p += n;
                }
        }
        *o = 0;
        free(s);
        return out;
}

char *unit_escape_message(const char *s) {
        char *c = strdup(s);

        return c ? escape_controls(c) : NULL;
}

/* Room for n entries and the NULL: 4, then the next power of two. A
 * function of n alone, so no capacity needs keeping. */
static size_t counted_room(size_t n) {
        size_t a = 4;

        while (a < n + 1)
                a *= 2;
        return a;
}

/* Append s to the NULL-terminated list *l of *n entries: amortized O(1),
 * where strv_push() walks the list (a unit with 40k warnings took 1.9 s). */
static int push_counted(char ***l, size_t *n, char *s) {
        if (!*l || counted_room(*n + 1) > counted_room(*n)) {
                char **c = realloc(*l, sizeof(char *) * counted_room(*n + 1));

                if (!c)
                        return -ENOMEM;
                *l = c;
        }
        (*l)[(*n)++] = s;
        (*l)[*n] = NULL;
        return 0;
}

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
        s = escape_controls(s);
        if (!s)
                return -ENOMEM;
        r = push_counted(&d->lines, &d->n_lines, s);
        if (r < 0) {
                free(s);
                return r;
        }
        r = error ? push_counted(&d->errors, &d->n_errors, s) : push_counted(&d->warnings, &d->n_warnings, s);
        if (r < 0) {
                d->lines[--d->n_lines] = NULL;
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
