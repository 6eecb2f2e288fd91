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

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
