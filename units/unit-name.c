/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "unit.h"

#define UNIT_NAME_MAX 64
#define UNIT_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

/* spec §1: 1-64 characters from [A-Za-z0-9_.-] plus at most one '@', not
 * starting with '.' or '-'; "worker@" is a template, "worker@3" an instance.
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
