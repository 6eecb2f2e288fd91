/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the unit-value*.c files; not part of the units/ API. */

#include <stdint.h>

#include "unit-value.h"

#define WHITESPACE " \t\n\r"

const char *value_skip_ws(const char *p);
/* A copy of v without leading and trailing whitespace; NULL on ENOMEM. */
char *value_strip_dup(const char *v);

/* Decimal digits at *p into *ret, advancing *p. -EINVAL when no digit,
 * -ERANGE on overflow. */
int value_parse_digits(const char **p, uint64_t *ret);

/* One word from *p with systemd's quoting and C escapes ("…", '…', \n \xNN…).
 * Returns 1 and a word, 0 at the end of the input, -EINVAL (reterr) or
 * -ENOMEM. */
int value_extract_word(const char **p, char **ret, CrlError *reterr);
int value_extract_word_full(const char **p, WordFlags flags, char **ret, CrlError *reterr);

/* v with systemd's C escapes undone, a NUL byte allowed (\\x00, \\000):
 * *ret holds *ret_n bytes plus a terminating NUL. */
int value_cunescape_binary(const char *v, char **ret, size_t *ret_n, CrlError *reterr);

/* The one path walk: v with empty and "." components dropped ("//", "/./",
 * a leading "./", a trailing "/"), absolute when v is: "/a//./b/" -> "/a/b",
 * "./a/b/" -> "a/b", "/" and "/." -> "/", "." and "" -> "". A ".." component
 * is refused with -EINVAL and no message (the caller names the value). */
int value_path_simplify(const char *v, char **ret);

/* An absolute path with "//", "/./" and a trailing "/" removed; ".." is
 * refused. what names the value in messages ("path", "source"). */
int value_path_normalize(const char *v, const char *what, char **ret, CrlError *reterr);

/* "N" with K M G T (base 1000 or 1024), fractions and several components as
 * systemd's parse_size(). -EINVAL on syntax, -ERANGE on overflow/negative. */
int value_parse_size_base(const char *s, uint64_t base, uint64_t *ret);

/* A growable NUL-terminated string (s is NULL until the first put). */
typedef struct Buf {
        char *s;
        size_t n, size;
} Buf;

int value_buf_put(Buf *b, const char *s, size_t n);
int value_buf_putc(Buf *b, char c);
void value_buf_done(Buf *b);

/* [A-Za-z_][A-Za-z0-9_]* */
bool env_name_is_valid(const char *s);
