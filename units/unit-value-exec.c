/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Quoting, command lines, environment assignments and variable expansion. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-value-internal.h"

int value_buf_put(Buf *b, const char *s, size_t n) {
        if (b->n + n + 1 > b->size) {
                size_t size = (b->n + n + 1) * 2;
                char *c = realloc(b->s, size);

                if (!c)
                        return -ENOMEM;
                b->s = c;
                b->size = size;
        }
        memcpy(b->s + b->n, s, n);
        b->n += n;
        b->s[b->n] = '\0';
        return 0;
}

int value_buf_putc(Buf *b, char c) {
        return value_buf_put(b, &c, 1);
}

void value_buf_done(Buf *b) {
        free(b->s);
        *b = (Buf) {};
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int buf_put_utf8(Buf *b, uint32_t c) {
        char u[4];
        size_t n;

        if (c < 0x80) {
                u[0] = (char) c;
                n = 1;
        } else if (c < 0x800) {
                u[0] = (char) (0xc0 | (c >> 6));
                u[1] = (char) (0x80 | (c & 0x3f));
                n = 2;
        } else if (c < 0x10000) {
                u[0] = (char) (0xe0 | (c >> 12));
                u[1] = (char) (0x80 | ((c >> 6) & 0x3f));
                u[2] = (char) (0x80 | (c & 0x3f));
                n = 3;
        } else {
                u[0] = (char) (0xf0 | (c >> 18));
                u[1] = (char) (0x80 | ((c >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((c >> 6) & 0x3f));
                u[3] = (char) (0x80 | (c & 0x3f));
                n = 4;
        }
        return value_buf_put(b, u, n);
}

/* \xNN, \NNN (octal), \uXXXX, \UXXXXXXXX at e (after the backslash):
 * returns the length consumed, or -EINVAL. */
static int numeric_escape(const char *e, uint32_t *ret) {
        int digits = *e == 'x' ? 2 : *e == 'u' ? 4 : *e == 'U' ? 8 : 0;
        uint32_t c = 0;

        if (digits > 0) {
                for (int i = 1; i <= digits; i++) {
                        int h = hexval(e[i]);

                        if (h < 0)
                                return -EINVAL;
                        c = c * 16 + (uint32_t) h;
                }
                if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                        return -EINVAL;
                *ret = c;
                return digits + 1;
        }
        for (int i = 0; i < 3; i++) {
                if (e[i] < '0' || e[i] > '7')
                        return -EINVAL;
                c = c * 8 + (uint32_t) (e[i] - '0');
        }
        if (c == 0 || c > 0377)
                return -EINVAL;
        *ret = c;
        return 3;
}

static const char escape_from[] = "abfnrtv\\\"'s; ", escape_to[] = "\a\b\f\n\r\t\v\\\"' ; ";

const char *value_find_unknown_escape(const char *v) {
        for (const char *c = v; (c = strchr(c, '\\')); ) {
                uint32_t x;
                int n;

                if (!c[1])
                        return NULL;
                n = strchr(escape_from, c[1]) ? 1 : numeric_escape(c + 1, &x);
                if (n < 0)
                        return c;
                c += 1 + n;
        }
        return NULL;
}

/* One escape after a backslash at *p; advances *p. With WORD_RELAX an
 * unknown one is kept as written. */
static int unescape_one(const char **p, Buf *b, WordFlags flags, CrlError *reterr) {
        const char *e = *p, *k;
        uint32_t c;
        int n;

        if (*e == '\0')
                return crl_error_set(reterr, EINVAL, "a trailing backslash escapes nothing");
        k = strchr(escape_from, *e);
        if (k) {
                *p = e + 1;
                return value_buf_putc(b, escape_to[k - escape_from]);
        }
        n = numeric_escape(e, &c);
        if (n < 0 && (flags & WORD_RELAX)) {
                *p = e + 1;
                return value_buf_put(b, e - 1, 2);
        }
        if (n < 0)
                return crl_error_set(reterr, EINVAL, "\"\\%.4s\" is not a valid escape sequence "
                                     "(use \\\\ for a backslash; \\xNN, \\NNN and \\uXXXX must not be 0)", e);
        *p = e + n;
        /* \xNN and octal escapes are bytes; \u and \U are code points. */
        if (*e == 'u' || *e == 'U')
                return buf_put_utf8(b, c);
        return value_buf_putc(b, (char) c);
}

int value_extract_word_full(const char **p, WordFlags flags, char **ret, CrlError *reterr) {
        const char *s = value_skip_ws(*p), *start = s;
        _cleanup_(value_buf_done) Buf b = {};
        char quote = 0;
        int r;

        if (*s == '\0') {
                *p = s;
                return 0;
        }
        r = value_buf_put(&b, "", 0);         /* "" is a word too */
        while (*s != '\0' && (quote || !strchr(WHITESPACE, *s))) {
                char c = *s++;

                if (c == '\\' && !(flags & WORD_CUNESCAPE))
                        /* systemd's EXTRACT_UNQUOTE alone: the next character as it is */
                        r = *s ? value_buf_putc(&b, *s++)
                               : crl_error_set(reterr, EINVAL, "a trailing backslash escapes nothing");
                else if (c == '\\')
                        r = unescape_one(&s, &b, flags, reterr);
                else if (quote && c == quote)
                        quote = 0;
                else if (!quote && (c == '"' || c == '\''))
                        quote = c;
                else
                        r = value_buf_putc(&b, c);
                if (r < 0)
                        return r;
        }
        if (quote)
                return crl_error_set(reterr, EINVAL, "unterminated %s quote in \"%s\"",
                                     quote == '"' ? "double" : "single", start);
        *p = s;
        *ret = TAKE_PTR(b.s);
        return 1;
}

int value_extract_word(const char **p, char **ret, CrlError *reterr) {
        return value_extract_word_full(p, WORD_CUNESCAPE, ret, reterr);
}

int split_quoted_full(const char *v, WordFlags flags, char ***ret, CrlError *reterr) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        const char *p = v;
        int r;

        if (!l)
                return -ENOMEM;
        for (;;) {
                char *w = NULL;

                r = value_extract_word_full(&p, flags, &w, reterr);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = strv_push(&l, w);
                if (r < 0) {
                        free(w);
                        return r;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int split_quoted(const char *v, char ***ret, CrlError *reterr) {
        return split_quoted_full(v, WORD_CUNESCAPE, ret, reterr);
}

/* ---- command lines ---- */

static int strv_prepend(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char **c;
        char *d;

        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c)
                return -ENOMEM;
        c[n] = NULL;
        *l = c;
        d = strdup(s);
        if (!d)
                return -ENOMEM;
        memmove(c + 1, c, sizeof(char *) * (n + 1));
        c[0] = d;
        return 0;
}

static int exec_prefixes(const char *word, bool *ignore, bool *argv0, const char **ret_rest, CrlError *reterr) {
        const char *p = word;

        for (; *p && strchr("-@+!:|", *p); p++) {
                bool *flag = *p == '-' ? ignore : *p == '@' ? argv0 : NULL;

                if (!flag) {
                        const char *what = p[0] == '!' && p[1] == '!' ? "!!" : (char[]) { *p, 0 };

                        return crl_error_set(reterr, EINVAL, "\"%s\": the '%s' prefix is not supported (supported: '-', '@')",
                                             word, what);
                }
                if (*flag)
                        return crl_error_set(reterr, EINVAL, "\"%s\": the '%c' prefix is given twice", word, *p);
                *flag = true;
        }
        *ret_rest = p;
        return 0;
}

static int exec_check_path(const char *word, const char *path, char **ret, CrlError *reterr) {
        if (*path == '\0')
                return crl_error_set(reterr, EINVAL, "\"%s\": no command after the prefix", word);
        if (path[0] == '/')
                return value_path_normalize(path, "command", ret, reterr);
        if (strchr(path, '/'))
                return crl_error_set(reterr, EINVAL, "\"%s\" is neither an absolute path nor a plain command name "
                                     "(e.g. /usr/bin/env or env)", path);
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

/* A bare ";" separates commands in systemd; corral wants one per line. */
static bool next_word_is_semicolon(const char *p) {
        p = value_skip_ws(p);
        return p[0] == ';' && (p[1] == '\0' || strchr(WHITESPACE, p[1]));
}

int parse_command_line(const char *v, ExecCommand *ret, CrlError *reterr) {
        _cleanup_free_ char *first = NULL, *path = NULL;
        _cleanup_strv_free_ char **rest = NULL;
        bool ignore = false, argv0 = false;
        const char *p = v, *cmd = NULL;
        int r;

        r = value_extract_word_full(&p, WORD_CUNESCAPE | WORD_RELAX, &first, reterr);
        if (r < 0)
                return r;
        if (r == 0)
                return crl_error_set(reterr, EINVAL, "no command given");
        r = exec_prefixes(first, &ignore, &argv0, &cmd, reterr);
        if (r < 0)
                return r;
        r = exec_check_path(first, cmd, &path, reterr);
        if (r < 0)
                return r;
        for (const char *q = p; *value_skip_ws(q); ) {
                char *w = NULL;

                if (next_word_is_semicolon(q))
                        return crl_error_set(reterr, EINVAL, "\"%s\": several commands on one line are not supported "
                                             "(use one Exec line each; write \\; for a literal ';')", v);
                r = value_extract_word_full(&q, WORD_CUNESCAPE | WORD_RELAX, &w, reterr);
                if (r < 0)
                        return r;
                if (strv_push(&rest, w) < 0) {
                        free(w);
                        return -ENOMEM;
                }
        }
        if (argv0 && strv_length(rest) == 0)
                return crl_error_set(reterr, EINVAL, "\"%s\": the '@' prefix needs argv[0] as the second word", v);
        /* Without '@', argv[0] is the command as written. */
        if (!argv0 && strv_prepend(&rest, cmd) < 0)
                return -ENOMEM;
        ret->path = TAKE_PTR(path);
        ret->argv = TAKE_PTR(rest);
        ret->ignore_failure = ignore;
        return 0;
}
