/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit-load-internal.h"

#define UNIT_NAME_MAX 64
/* systemd's unit name characters: a backslash starts an escape ("\x2d"), so
 * "foo\x2dbar" is a name of its own, not "foo-bar". */
#define UNIT_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:\\"

/* spec §1: 1-64 characters from [A-Za-z0-9_.-] and, as systemd, ':' and backslash,
 * plus at most one '@', not starting with '.' or '-'; "worker@" is a
 * template, "worker@3" an instance.
 * The instance is never "." or "..": %i goes into paths, where it would
 * mean the directory itself or its parent (systemd allows both). */
static bool unit_name_valid_n(const char *s, size_t n) {
        const char *at;
        size_t ni;

        if (n == 0 || n > UNIT_NAME_MAX || s[0] == '.' || s[0] == '-' || s[0] == '@')
                return false;
        at = memchr(s, '@', n);
        if (at && memchr(at + 1, '@', n - (size_t) (at - s) - 1))
                return false;
        ni = at ? n - (size_t) (at - s) - 1 : 0;
        if ((ni == 1 || ni == 2) && strneq(at + 1, "..", ni))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '@' && !strchr(UNIT_NAME_CHARS, s[i]))
                        return false;
        return true;
}

int unit_name_normalize(const char *name, char **ret) {
        size_t n;

        if (!name)
                return -EINVAL;
        n = strlen(name);
        if (n > 8 && streq(name + n - 8, ".service"))
                n -= 8;
        if (!unit_name_valid_n(name, n))
                return -EINVAL;
        if (ret) {
                char *s = strndup(name, n);

                if (!s)
                        return -ENOMEM;
                *ret = s;
        }
        return 0;
}

/* systemd's unit_name_unescape(): "-" is "/", "\xNN" the byte NN; any other
 * backslash is an error, and so is "\x00" (it would cut the string). */
int unit_name_unescape(const char *s, char **ret) {
        char *out = malloc(strlen(s) + 1), *t = out;

        if (!out)
                return -ENOMEM;
        for (; *s; s++) {
                if (*s == '-')
                        *t++ = '/';
                else if (*s != '\\')
                        *t++ = *s;
                else if (s[1] == 'x' && unhexchar(s[2]) >= 0 && unhexchar(s[3]) >= 0 &&
                         (unhexchar(s[2]) | unhexchar(s[3])) != 0) {
                        *t++ = (char) (unhexchar(s[2]) << 4 | unhexchar(s[3]));
                        s += 3;
                } else {
                        free(out);
                        return -EINVAL;
                }
        }
        *t = 0;
        *ret = out;
        return 0;
}

/* systemd's unit_name_path_unescape() (%f): "-" is "/", anything else is
 * unescaped and must be a relative normalized path, returned with a
 * leading '/'. */
int unit_name_path_unescape(const char *s, char **ret) {
        _cleanup_free_ char *w = NULL;
        char *p;
        int r;

        if (!*s)
                return -EINVAL;
        if (streq(s, "-")) {
                p = strdup("/");
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        r = unit_name_unescape(s, &w);
        if (r < 0)
                return r;
        for (const char *c = w; ; ) {
                size_t n = strcspn(c, "/");

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && strneq(c, "..", 2)))
                        return -EINVAL;
                if (!c[n])
                        break;
                c += n + 1;
        }
        if (asprintf(&p, "/%s", w) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}
