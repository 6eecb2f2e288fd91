/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Environment= assignments, EnvironmentFile= contents, $VAR expansion. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-value-internal.h"

/* [A-Za-z_][A-Za-z0-9_]*, n bytes of s. */
static bool env_name_valid_n(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isascii(s[i]) || (!isalnum((unsigned char) s[i]) && s[i] != '_'))
                        return false;
        return true;
}

bool env_name_is_valid(const char *s) {
        return env_name_valid_n(s, strlen(s));
}

/* The value of name (n bytes) in env, the last assignment winning; NULL when unset. */
static const char *env_get_n(char *const *env, const char *name, size_t n) {
        const char *found = NULL;

        STRV_FOREACH(e, env)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        found = *e + n + 1;
        return found;
}

/* An index of the names in a strv of "K=V", open addressing: merging n
 * assignments costs O(n), where searching the list for each was O(n²)
 * (115k assignments on one line took 31 s). */
typedef struct EnvIndex {
        size_t *slots;          /* position + 1 in the list; 0 = empty */
        size_t mask;
} EnvIndex;

static size_t env_name_len(const char *assignment) {
        return strcspn(assignment, "=");
}

static size_t env_hash(const char *s, size_t n) {
        uint64_t h = UINT64_C(14695981039346656037);    /* FNV-1a */

        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t) s[i]) * UINT64_C(1099511628211);
        return (size_t) h;
}

static int env_index_init(EnvIndex *x, size_t entries) {
        size_t size = 16;

        while (size < entries * 2)
                size *= 2;
        x->slots = calloc(size, sizeof(size_t));
        x->mask = size - 1;
        return x->slots ? 0 : -ENOMEM;
}

/* The slot of the name of a in list, or the empty slot where it belongs. */
static size_t *env_index_find(const EnvIndex *x, char *const *list, const char *a) {
        size_t n = env_name_len(a);

        for (size_t i = env_hash(a, n) & x->mask;; i = (i + 1) & x->mask) {
                const char *e = x->slots[i] ? list[x->slots[i] - 1] : NULL;

                if (!e || (env_name_len(e) == n && strneq(e, a, n)))
                        return &x->slots[i];
        }
}

/* Move every entry of add (owned, always consumed) into *env: a name already
 * there (or earlier in add) is replaced in place, the last value winning. */
int environment_merge(char ***env, char **add) {
        size_t n = strv_length(*env), n_add = strv_length(add);
        _cleanup_free_ size_t *slots = NULL;
        EnvIndex x = {};
        char **l;
        int r;

        r = env_index_init(&x, n + n_add);
        slots = x.slots;
        l = r < 0 ? NULL : realloc(*env, sizeof(char *) * (n + n_add + 1));
        if (!l) {
                strv_free(add);
                return -ENOMEM;
        }
        *env = l;
        for (size_t i = 0; i < n; i++)
                *env_index_find(&x, l, l[i]) = i + 1;   /* the list's names are distinct */
        for (size_t i = 0; i < n_add; i++) {
                size_t *slot = env_index_find(&x, l, add[i]);

                if (*slot) {
                        free(l[*slot - 1]);
                        l[*slot - 1] = add[i];
                } else {
                        l[n] = add[i];
                        *slot = ++n;
                }
        }
        l[n] = NULL;
        free(add);
        return 0;
}

int parse_environment_words(const char *v, char ***ret, CrlError *reterr) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = split_quoted(v, &words, reterr);
        if (r < 0)
                return r;
        if (strv_length(words) == 0)
                return crl_error_set(reterr, EINVAL, "no assignment given (use KEY=VALUE)");
        STRV_FOREACH(w, words) {
                const char *eq = strchr(*w, '=');

                if (!eq)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is not an assignment (use KEY=VALUE)", *w);
                if (!env_name_valid_n(*w, (size_t) (eq - *w)))
                        return crl_error_set(reterr, EINVAL, "\"%.*s\" is not a valid variable name "
                                             "(letters, digits and '_', not starting with a digit)",
                                             (int) (eq - *w), *w);
        }
        *ret = TAKE_PTR(words);
        return 0;
}

int parse_environment(const char *v, char ***env, CrlError *reterr) {
        char **words = NULL;
        int r;

        r = parse_environment_words(v, &words, reterr);
        if (r < 0)
                return r;
        return environment_merge(env, words);
}

/* ---- EnvironmentFile= ---- */

typedef struct EnvFileState {
        const char *p;
        unsigned line;
        Buf value;
        size_t keep;            /* bytes of value that trailing-space trimming must keep */
        CrlError *reterr;
} EnvFileState;

/* '…': literal up to the closing quote. */
static int env_single_quoted(EnvFileState *st) {
        unsigned start = st->line;

        for (;;) {
                char c = *st->p++;

                if (c == '\0')
                        return crl_error_set(st->reterr, EINVAL, "line %u: unterminated single quote", start);
                if (c == '\'')
                        break;
                st->line += c == '\n';
                if (value_buf_putc(&st->value, c) < 0)
                        return -ENOMEM;
        }
        st->keep = st->value.n;
        return 0;
}

/* "…": backslash escapes only \" \\ \` \$ and a newline, as a shell does. */
static int env_double_quoted(EnvFileState *st) {
        unsigned start = st->line;

        for (;;) {
                char c = *st->p++;
                int r = 0;

                if (c == '\0' || (c == '\\' && *st->p == '\0'))
                        return crl_error_set(st->reterr, EINVAL, "line %u: unterminated double quote", start);
                if (c == '"')
                        break;
                st->line += c == '\n';
                if (c == '\\') {
                        c = *st->p++;
                        if (c == '\n') {
                                st->line++;
                                continue;
                        }
                        if (!strchr("\"\\`$", c))
                                r = value_buf_putc(&st->value, '\\');
                }
                if (r < 0 || value_buf_putc(&st->value, c) < 0)
                        return -ENOMEM;
        }
        st->keep = st->value.n;
        return 0;
}

/* The value after '=' up to an unescaped newline; quoted parts may be mixed
 * with unquoted ones; unquoted trailing whitespace is dropped. */
static int env_value(EnvFileState *st) {
        st->p += strspn(st->p, " \t");
        while (*st->p != '\0' && *st->p != '\n') {
                char c = *st->p++;
                int r;

                if (c == '\'')
                        r = env_single_quoted(st);
                else if (c == '"')
                        r = env_double_quoted(st);
                else if (c == '\\') {
                        c = *st->p;
                        if (c == '\0')
                                break;
                        st->p++;
                        if (c == '\n') {
                                st->line++;
                                continue;
                        }
                        r = value_buf_putc(&st->value, c);
                        st->keep = st->value.n;
                } else {
                        r = value_buf_putc(&st->value, c);
                        if (!strchr(WHITESPACE, c))
                                st->keep = st->value.n;
                }
                if (r < 0)
                        return r;
        }
        if (st->value.s)
                st->value.s[st->keep] = '\0';
        return 0;
}

static int env_file_assignment(EnvFileState *st, StrvBuilder *add) {
        const char *key = st->p, *eq;
        size_t n;
        char *a;
        int r;

        if (strneq(key, "export", 6) && (key[6] == ' ' || key[6] == '\t'))
                key += 6 + strspn(key + 6, " \t");
        n = strcspn(key, "=\n");
        eq = key + n;
        while (n > 0 && strchr(" \t\r", key[n - 1]))
                n--;
        /* A line without '=' is skipped, as systemd's parser does. */
        if (*eq != '=') {
                st->p = eq;
                return 0;
        }
        if (!env_name_valid_n(key, n))
                return crl_error_set(st->reterr, EINVAL, "line %u: \"%.*s\" is not a valid variable name "
                                     "(letters, digits and '_', not starting with a digit)", st->line, (int) n, key);
        st->p = eq + 1;
        value_buf_done(&st->value);
        st->keep = 0;
        r = env_value(st);
        if (r < 0)
                return r;
        if (asprintf(&a, "%.*s=%s", (int) n, key, st->value.s ?: "") < 0)
                return -ENOMEM;
        r = strv_builder_push(add, a);
        if (r < 0)
                free(a);
        return r;
}

int parse_environment_file_text(const char *text, char ***env, CrlError *reterr) {
        _cleanup_(strv_builder_done) StrvBuilder add = {};
        EnvFileState st = { .p = text, .line = 1, .reterr = reterr };
        char **l;
        int r = 0;

        while (r >= 0 && *st.p != '\0') {
                st.p += strspn(st.p, " \t\r");
                if (*st.p == '#' || *st.p == ';')
                        st.p += strcspn(st.p, "\n");
                else if (*st.p != '\n' && *st.p != '\0')
                        r = env_file_assignment(&st, &add);
                if (r >= 0 && *st.p == '\n') {
                        st.p++;
                        st.line++;
                }
        }
        value_buf_done(&st.value);
        if (r < 0)
                return r;
        l = strv_builder_steal(&add);
        return l ? environment_merge(env, l) : -ENOMEM;
}

/* ---- $VAR expansion ---- */

/* Length of the variable reference at s (which starts with '$'), with its
 * name in name and n; 0 when s is not a reference. */
static size_t var_ref(const char *s, const char **name, size_t *n) {
        if (s[1] == '{') {
                const char *end = strchr(s + 2, '}');

                if (!end || !env_name_valid_n(s + 2, (size_t) (end - s - 2)))
                        return 0;
                *name = s + 2;
                *n = (size_t) (end - s - 2);
                return *n + 3;
        }
        if (isdigit((unsigned char) s[1]))
                return 0;
        for (*n = 0; isascii(s[1 + *n]) && (isalnum((unsigned char) s[1 + *n]) || s[1 + *n] == '_'); (*n)++)
                ;
        *name = s + 1;
        return *n > 0 ? *n + 1 : 0;
}

static int expand_full(const char *s, char *const *env, bool braceless, char **ret) {
        _cleanup_(value_buf_done) Buf b = {};

        if (value_buf_put(&b, "", 0) < 0)
                return -ENOMEM;
        for (const char *p = s; *p; ) {
                const char *name, *val;
                size_t n, len;
                int r;

                if (p[0] == '$' && p[1] == '$') {
                        r = value_buf_putc(&b, '$');
                        p += 2;
                } else if (p[0] == '$' && (braceless || p[1] == '{') && (len = var_ref(p, &name, &n)) > 0) {
                        val = env_get_n(env, name, n);
                        r = val ? value_buf_put(&b, val, strlen(val)) : 0;
                        p += len;
                } else
                        r = value_buf_putc(&b, *p++);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(b.s);
        return 0;
}

int expand_variables(const char *s, char *const *env, char **ret) {
        return expand_full(s, env, true, ret);
}

/* A whole-word $VAR becomes several words, split at whitespace with quotes
 * honoured (systemd); when the value's quoting is broken, plain whitespace. */
static int split_value(const char *val, StrvBuilder *out) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;
        int r;

        r = split_quoted(val, &words, NULL);
        if (r >= 0) {
                STRV_FOREACH(w, words)
                        if (strv_builder_extend(out, *w) < 0)
                                return -ENOMEM;
                return 0;
        }
        if (r != -EINVAL)
                return r;
        copy = strdup(val);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, WHITESPACE, &save); w; w = strtok_r(NULL, WHITESPACE, &save))
                if (strv_builder_extend(out, w) < 0)
                        return -ENOMEM;
        return 0;
}

static int expand_word(const char *a, char *const *env, StrvBuilder *out) {
        char *x = NULL;
        int r;

        if (a[0] == '$' && env_name_is_valid(a + 1)) {
                const char *val = env_get_n(env, a + 1, strlen(a + 1));

                /* unset: the word disappears */
                return val ? split_value(val, out) : 0;
        }
        /* inside a word only ${VAR}, as systemd: "--port=$PORT" stays literal */
        r = expand_full(a, env, false, &x);
        if (r < 0)
                return r;
        r = strv_builder_push(out, x);
        if (r < 0)
                free(x);
        return r;
}

int unit_exec_expand(const ExecCommand *cmd, char *const *env, char ***ret_argv) {
        _cleanup_(strv_builder_done) StrvBuilder out = {};
        int r;

        if (cmd->flags & EXEC_COMMAND_NO_ENV_EXPAND) {
                *ret_argv = strv_copy(cmd->argv);
                return *ret_argv ? 0 : -ENOMEM;
        }
        STRV_FOREACH(a, cmd->argv) {
                r = expand_word(*a, env, &out);
                if (r < 0)
                        return r;
        }
        *ret_argv = strv_builder_steal(&out);
        return *ret_argv ? 0 : -ENOMEM;
}

void unit_environment_unset(char *const *unset, char **env) {
        char **w = env;

        if (!env || !unset)
                return;
        for (char **e = env; *e; e++) {
                bool drop = false;

                STRV_FOREACH(x, unset) {
                        size_t n = strcspn(*x, "=");

                        if ((*x)[n] ? streq(*e, *x) : strneq(*e, *x, n) && (*e)[n] == '=')
                                drop = true;
                }
                if (drop)
                        free(*e);
                else
                        *w++ = *e;
        }
        *w = NULL;
}
