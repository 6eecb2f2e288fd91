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
