/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macros.h"

/* NULL-terminated string vectors; a NULL strv is the empty list. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
/* Append a copy of value; -ENOMEM on failure, l unchanged. */
int strv_extend(char ***l, const char *value);
/* Append value itself, taking ownership on success only. */
int strv_push(char ***l, char *value);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Move every entry of add (owned, always consumed, even on -ENOMEM) to the
 * end of *l unless *l or an earlier entry of add has it already; a hash set,
 * so O(|*l| + |add|) where strv_contains() per entry is quadratic. */
int strv_merge_unique(char ***l, char **add);
/* Move every entry of add (owned, always consumed) to the end of *l. */
int strv_append_steal(char ***l, char **add);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)

/* A strv under construction: appends are amortized O(1), where strv_push()
 * walks the list (strv_length()) and reallocs on every call. l is always
 * NULL or NULL-terminated. */
typedef struct StrvBuilder {
        char **l;
        size_t n, allocated;    /* entries, and slots excluding the NULL */
} StrvBuilder;

/* Append value itself, taking ownership on success only. */
int strv_builder_push(StrvBuilder *b, char *value);
/* Append a copy of value. */
int strv_builder_extend(StrvBuilder *b, const char *value);
/* The list (an empty one when nothing was added; NULL on ENOMEM); b is reset. */
char **strv_builder_steal(StrvBuilder *b);
void strv_builder_done(StrvBuilder *b);
