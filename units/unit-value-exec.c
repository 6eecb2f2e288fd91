/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Quoting, command lines, environment assignments and variable expansion. */
#include <ctype.h>
#include <limits.h>
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
                        int h = unhexchar(e[i]);

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

/* systemd's cunescape_one(): no "\;" (a lone "\;" in Exec*= is handled
 * before; "b\;" keeps its backslash, with a warning, as systemd). "\ " is a
 * space here, where systemd keeps it as written: specifier expansions are
 * escaped that way (unit-specifier.c), so it must read back as a space. */
static const char escape_from[] = "abfnrtv\\\"'s ", escape_to[] = "\a\b\f\n\r\t\v\\\"'  ";

const char *value_find_unknown_escape(const char *v, const char *from) {
        for (const char *c = from; (c = strchr(c, '\\')); ) {
                uint32_t x;
                int n;

                if (!c[1])
                        return NULL;
                /* a lone "\;" is the ";" argument of an Exec*= line */
                if (c[1] == ';' && (c == v || strchr(WHITESPACE, c[-1])) && (!c[2] || strchr(WHITESPACE, c[2]))) {
                        c += 2;
                        continue;
                }
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

int value_cunescape_binary(const char *v, char **ret, size_t *ret_n, CrlError *reterr) {
        _cleanup_(value_buf_done) Buf b = {};
        int r = value_buf_put(&b, "", 0);

        for (const char *s = v; r >= 0 && *s;) {
                char c = *s++;

                if (c != '\\')
                        r = value_buf_putc(&b, c);
                else if (strneq(s, "x00", 3) || strneq(s, "000", 3)) {
                        r = value_buf_putc(&b, 0);
                        s += 3;
                } else
                        r = unescape_one(&s, &b, 0, reterr);
        }
        if (r < 0)
                return r;
        *ret_n = b.n;
        *ret = TAKE_PTR(b.s);
        return 0;
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
        _cleanup_(strv_builder_done) StrvBuilder l = {};
        const char *p = v;
        int r;

        for (;;) {
                char *w = NULL;

                r = value_extract_word_full(&p, flags, &w, reterr);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = strv_builder_push(&l, w);
                if (r < 0) {
                        free(w);
                        return r;
                }
        }
        *ret = strv_builder_steal(&l);
        return *ret ? 0 : -ENOMEM;
}

int split_quoted(const char *v, char ***ret, CrlError *reterr) {
        return split_quoted_full(v, WORD_CUNESCAPE, ret, reterr);
}

/* ---- command lines ---- */

#define EXEC_PRIVILEGE_FLAGS \
        (EXEC_COMMAND_FULL_PRIVILEGES | EXEC_COMMAND_NO_USER_CHANGE | EXEC_COMMAND_AMBIENT_FALLBACK)

/* systemd's rules (config_parse_exec()): '-', '@' and ':' at most once each,
 * one of '+', '!' and '!!', in any order ("!-!" is "!!-"). Returns where the
 * prefixes end. */
static const char *exec_prefixes(const char *w, ExecCommandFlags *ret_flags, bool *ret_argv0) {
        ExecCommandFlags f = 0;
        bool argv0 = false;

        for (;; w++) {
                if (*w == '-' && !(f & EXEC_COMMAND_IGNORE_FAILURE))
                        f |= EXEC_COMMAND_IGNORE_FAILURE;
                else if (*w == '@' && !argv0)
                        argv0 = true;
                else if (*w == ':' && !(f & EXEC_COMMAND_NO_ENV_EXPAND))
                        f |= EXEC_COMMAND_NO_ENV_EXPAND;
                else if (*w == '+' && !(f & EXEC_PRIVILEGE_FLAGS))
                        f |= EXEC_COMMAND_FULL_PRIVILEGES;
                else if (*w == '!' && !(f & EXEC_PRIVILEGE_FLAGS))
                        f |= EXEC_COMMAND_NO_USER_CHANGE;
                else if (*w == '!' && (f & EXEC_PRIVILEGE_FLAGS) == EXEC_COMMAND_NO_USER_CHANGE)
                        f = (f & ~EXEC_COMMAND_NO_USER_CHANGE) | EXEC_COMMAND_AMBIENT_FALLBACK;
                else
                        break;
        }
        *ret_flags = f;
        *ret_argv0 = argv0;
        return w;
}

/* Where exec_prefixes() stopped at a prefix character of a path: say which
 * rule it broke. */
static int exec_prefix_error(const char *word, const char *rest, CrlError *reterr) {
        if (strchr("+!", *rest))
                return crl_error_set(reterr, EINVAL, "\"%s\": only one of the '+', '!' and '!!' prefixes may be given", word);
        return crl_error_set(reterr, EINVAL, "\"%s\": the '%c' prefix is given twice", word, *rest);
}

/* systemd's string_is_safe(): no control characters, quotes or backslashes. */
static bool exec_name_is_safe(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f || strchr("\"'\\", *s))
                        return false;
        return true;
}

/* systemd's path_is_valid() (absolute) and filename_is_valid() (a name to
 * look up in PATH): no "/", "." or ".." in a name; lengths. */
static int exec_path_check_valid(const char *path, CrlError *reterr) {
        size_t n, longest = 0;

        if (path[0] != '/' && (strchr(path, '/') || streq(path, ".") || streq(path, "..")))
                return crl_error_set(reterr, EINVAL, "\"%s\" is neither an absolute path nor a plain command name "
                                     "(e.g. /usr/bin/env or env)", path);
        for (const char *p = path; *p; p += n) {
                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n > longest)
                        longest = n;
        }
        if (strlen(path) >= PATH_MAX || longest > NAME_MAX)
                return crl_error_set(reterr, EINVAL, "command \"%.64s...\" is too long (at most %d bytes, %d per "
                                     "path component)", path, PATH_MAX - 1, NAME_MAX);
        return 0;
}

/* systemd's path_simplify(): "//" and "/./" go, ".." stays (it names the
 * same file as for the kernel; only the sandbox's paths refuse it). */
static char *exec_path_simplify(const char *path) {
        char *out = malloc(strlen(path) + 1);
        size_t n = 0, len;

        if (!out)
                return NULL;
        if (path[0] != '/')
                return strcpy(out, path);
        for (const char *p = path; *p; p += len) {
                p += strspn(p, "/");
                len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.'))
                        continue;
                out[n++] = '/';
                memcpy(out + n, p, len);
                n += len;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';
        return out;
}

/* The checks of config_parse_exec(), in its order and with its wording. */
static int exec_check_path(const char *path, char **ret, CrlError *reterr) {
        int r;

        if (*path == '\0')
                return crl_error_set(reterr, EINVAL, "empty path in command line (no command after the prefixes)");
        if (!exec_name_is_safe(path))
                return crl_error_set(reterr, EINVAL, "executable name contains special characters "
                                     "(quotes, backslashes or control characters): \"%s\"", path);
        if (path[strlen(path) - 1] == '/')
                return crl_error_set(reterr, EINVAL, "executable path specifies a directory: \"%s\"", path);
        r = exec_path_check_valid(path, reterr);
        if (r < 0)
                return r;
        *ret = exec_path_simplify(path);
        return *ret ? 0 : -ENOMEM;
}

/* A lone ";" separates commands (systemd); a lone "\;" is a literal ";"
 * argument. systemd looks at the raw text, so "\\;" and "\";\"" stay what
 * the quoting makes of them. */
static bool word_is(const char *p, const char *w) {
        size_t n = strlen(w);

        return strneq(p, w, n) && (p[n] == '\0' || strchr(WHITESPACE, p[n]));
}

/* The arguments from *p up to a lone ";" (consumed) or the end. */
static int exec_arguments(const char **p, StrvBuilder *argv, CrlError *reterr) {
        const char *q;
        int r;

        for (q = value_skip_ws(*p); *q; q = value_skip_ws(q)) {
                char *w = NULL;

                if (word_is(q, ";")) {
                        q++;
                        break;
                }
                if (word_is(q, "\\;")) {
                        q += 2;
                        r = strv_builder_extend(argv, ";");
                } else {
                        r = value_extract_word_full(&q, WORD_CUNESCAPE | WORD_RELAX, &w, reterr);
                        if (r > 0) {
                                r = strv_builder_push(argv, w);
                                if (r < 0)
                                        free(w);
                        }
                }
                if (r < 0)
                        return r;
        }
        *p = q;
        return 0;
}

/* One command from *p (not at a lone ";"), leaving *p after its ";". */
static int command_parse_one(const char **p, const char *line, ExecCommand *ret, CrlError *reterr) {
        _cleanup_(strv_builder_done) StrvBuilder argv = {};
        _cleanup_free_ char *first = NULL, *path = NULL;
        ExecCommandFlags flags;
        const char *cmd;
        bool argv0;
        int r;

        r = value_extract_word_full(p, WORD_CUNESCAPE | WORD_RELAX, &first, reterr);
        if (r < 0)
                return r;
        if (r == 0)
                return crl_error_set(reterr, EINVAL, "no command given");
        cmd = exec_prefixes(first, &flags, &argv0);
        /* "+!/bin/x": systemd takes "!/bin/x" as the command and refuses it;
         * "+!x" is the command "!x" looked up in PATH, there as here. */
        if (*cmd && strchr("-@:+!", *cmd) && strchr(cmd, '/'))
                return exec_prefix_error(first, cmd, reterr);
        r = exec_check_path(cmd, &path, reterr);
        if (r < 0)
                return r;
        /* Without '@', argv[0] is the command as written. */
        if (!argv0 && strv_builder_extend(&argv, cmd) < 0)
                return -ENOMEM;
        r = exec_arguments(p, &argv, reterr);
        if (r < 0)
                return r;
        if (argv.n == 0)
                return crl_error_set(reterr, EINVAL, "\"%s\": the '@' prefix needs argv[0] as the second word", line);
        ret->argv = strv_builder_steal(&argv);  /* never NULL: argv.n > 0 */
        ret->path = TAKE_PTR(path);
        ret->flags = flags;
        return 0;
}

int parse_command_line(const char *v, ExecCommand *ret, CrlError *reterr) {
        ExecCommand c = {};
        const char *p = v;
        int r;

        r = command_parse_one(&p, v, &c, reterr);
        if (r < 0)
                return r;
        if (*value_skip_ws(p)) {
                free(c.path);
                strv_free(c.argv);
                return crl_error_set(reterr, EINVAL, "\"%s\": several commands where one is expected", v);
        }
        ret->path = c.path;
        ret->argv = c.argv;
        ret->flags = c.flags;
        return 0;
}

int parse_command_lines(const char *v, ExecCommand **cmds, size_t *n, CrlError *reterr) {
        ExecCommand *add = NULL;
        size_t n_add = 0;
        const char *p = v;
        int r = 0;

        /* As systemd: empty commands between separators are skipped, and a
         * value of only ";" adds nothing (it is no reset either). */
        for (p = value_skip_ws(p); r >= 0 && *p; p = value_skip_ws(p)) {
                ExecCommand c = {}, *a;

                if (word_is(p, ";")) {
                        p++;
                        continue;
                }
                r = command_parse_one(&p, v, &c, reterr);
                if (r < 0)
                        break;
                a = realloc(add, sizeof(ExecCommand) * (n_add + 1));
                if (!a) {
                        free(c.path);
                        strv_free(c.argv);
                        r = -ENOMEM;
                        break;
                }
                add = a;
                add[n_add++] = c;
        }
        if (r >= 0 && n_add > 0) {
                ExecCommand *all = realloc(*cmds, sizeof(ExecCommand) * (*n + n_add));

                if (all) {
                        memcpy(all + *n, add, sizeof(ExecCommand) * n_add);
                        *cmds = all;
                        *n += n_add;
                        n_add = 0;
                } else
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < n_add; i++) {
                free(add[i].path);
                strv_free(add[i].argv);
        }
        free(add);
        return r;
}

/* ---- transient commands (RunTransient's argv) ---- */

int exec_command_from_argv(char *const *argv, ExecCommand *ret, CrlError *reterr) {
        _cleanup_free_ char *path = NULL;
        char **copy;
        int r;

        if (!argv || !argv[0])
                return crl_error_set(reterr, EINVAL, "no command given");
        /* A unit file would read these as prefixes ("-cmd" is "cmd" whose
         * failure is ignored); refused so the unit can be written as one. */
        if (strchr("-@:+!", argv[0][0]))
                return crl_error_set(reterr, EINVAL, "argv[0] \"%s\" starts with '%c', which an ExecStart= line "
                                     "reads as a prefix; give the command without it", argv[0], argv[0][0]);
        r = exec_check_path(argv[0], &path, reterr);
        if (r < 0)
                return r;
        copy = strv_copy(argv);
        if (!copy)
                return -ENOMEM;
        *ret = (ExecCommand) { .path = TAKE_PTR(path), .argv = copy };
        return 0;
}

/* One argument in double quotes, escaped as systemd's cescape() does
 * (named escapes, other bytes below 0x20 and from 0x7f on as octal), and
 * '%' doubled: the loader expands specifiers before it splits words. '$'
 * stays: the parser keeps it, and $VAR expansion at the start applies to
 * RunTransient's argv as to a written ExecStart= (no ':' prefix either). */
static int put_quoted_arg(Buf *b, const char *a) {
        static const char named_from[] = "\a\b\f\n\r\t\v\\\"", named_to[] = "abfnrtv\\\"";
        int r = value_buf_putc(b, '"');

        for (const unsigned char *c = (const unsigned char *) a; r >= 0 && *c; c++) {
                const char *k = strchr(named_from, (char) *c);
                char oct[5];

                if (k)
                        r = value_buf_put(b, (char[]) { '\\', named_to[k - named_from] }, 2);
                else if (*c < 0x20 || *c >= 0x7f) {
                        (void) snprintf(oct, sizeof(oct), "\\%03o", *c);
                        r = value_buf_put(b, oct, 4);
                } else if (*c == '%')
                        r = value_buf_put(b, "%%", 2);
                else
                        r = value_buf_putc(b, (char) *c);
        }
        return r < 0 ? r : value_buf_putc(b, '"');
}

int exec_command_format_argv(char *const *argv, char **ret) {
        _cleanup_(value_buf_done) Buf b = {};
        int r;

        if (!argv || !argv[0])
                return -EINVAL;
        /* systemd's form: "@PATH ARGV0 ARGV1...", PATH being argv[0]
         * (exec_command_from_argv() made sure it is a valid command). */
        r = value_buf_putc(&b, '@');
        if (r >= 0)
                r = put_quoted_arg(&b, argv[0]);
        for (size_t i = 0; r >= 0 && argv[i]; i++) {
                r = value_buf_putc(&b, ' ');
                if (r >= 0)
                        r = put_quoted_arg(&b, argv[i]);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b.s);
        return 0;
}
