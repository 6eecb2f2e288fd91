/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v;
        int r;

        v = strdup(value);
        if (!v)
                return -ENOMEM;
        r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **c;

        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_builder_push(StrvBuilder *b, char *value) {
        if (b->n == b->allocated) {
                size_t a = b->allocated ? b->allocated * 2 : 8;
                char **c;

                if (a > SIZE_MAX / sizeof(char *) - 1)
                        return -ENOMEM;
                c = realloc(b->l, sizeof(char *) * (a + 1));
                if (!c)
                        return -ENOMEM;
                b->l = c;
                b->allocated = a;
        }
        b->l[b->n++] = value;
        b->l[b->n] = NULL;
        return 0;
}

int strv_builder_extend(StrvBuilder *b, const char *value) {
        char *v = strdup(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = strv_builder_push(b, v);
        if (r < 0)
                free(v);
        return r;
}

char **strv_builder_steal(StrvBuilder *b) {
        char **l = b->l ?: calloc(1, sizeof(char *));

        *b = (StrvBuilder) {};
        return l;
}

void strv_builder_done(StrvBuilder *b) {
        strv_free(b->l);
        *b = (StrvBuilder) {};
}

static size_t str_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);    /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * UINT64_C(1099511628211);
        return (size_t) h;
}

/* The slot of s in an open-addressing table of strings, or the empty slot
 * where it belongs. */
static char **set_find(char **slots, size_t mask, const char *s) {
        for (size_t i = str_hash(s) & mask;; i = (i + 1) & mask)
                if (!slots[i] || streq(slots[i], s))
                        return &slots[i];
}

int strv_merge_unique(char ***l, char **add) {
        size_t n = strv_length(*l), n_add = strv_length(add), size = 16;
        _cleanup_free_ char **slots = NULL;
        char **c;

        while (size < (n + n_add) * 2)
                size *= 2;
        slots = calloc(size, sizeof(char *));
        c = slots ? realloc(*l, sizeof(char *) * (n + n_add + 1)) : NULL;
        if (!c) {
                strv_free(add);
                return -ENOMEM;
        }
        *l = c;
        for (size_t i = 0; i < n; i++)
                *set_find(slots, size - 1, c[i]) = c[i];
        for (size_t i = 0; i < n_add; i++) {
                char **slot = set_find(slots, size - 1, add[i]);

                if (*slot)
                        free(add[i]);
                else
                        *slot = c[n++] = add[i];
        }
        c[n] = NULL;
        free(add);
        return 0;
}

int strv_append_steal(char ***l, char **add) {
        size_t n = strv_length(*l), n_add = strv_length(add);
        char **c = realloc(*l, sizeof(char *) * (n + n_add + 1));

        if (!c) {
                strv_free(add);
                return -ENOMEM;
        }
        memcpy(c + n, add, sizeof(char *) * (n_add + 1));
        *l = c;
        free(add);
        return 0;
}
