/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"
#include "utf8.h"

/* Pure string code: no sd-bus calls, so the unit test links it alone. */

static bool label_char_plain(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int hex_value(char c) {
        /* Lowercase only: one spelling per name, so one object per service. */
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -EINVAL;
}

int bus_label_escape(const char *name, char **ret) {
        static const char hex[] = "0123456789abcdef";
        char *r, *t;

        if (isempty(name))
                return -EINVAL;
        r = malloc(strlen(name) * 3 + 1);
        if (!r)
                return -ENOMEM;
        t = r;
        for (const char *f = name; *f; f++) {
                unsigned char c = (unsigned char) *f;

                if (label_char_plain(*f)) {
                        *t++ = *f;
                        continue;
                }
                *t++ = '_';
                *t++ = hex[c >> 4];
                *t++ = hex[c & 15];
        }
        *t = 0;
        *ret = r;
        return 0;
}

int bus_label_unescape(const char *label, char **ret) {
        _cleanup_free_ char *r = NULL;
        char *t;

        if (isempty(label))
                return -EINVAL;
        r = malloc(strlen(label) + 1);
        if (!r)
                return -ENOMEM;
        t = r;
        for (const char *f = label; *f; f++) {
                int hi, lo;

                if (label_char_plain(*f)) {
                        *t++ = *f;
                        continue;
                }
                if (*f != '_')
                        return -EINVAL;
                hi = hex_value(f[1]);
                lo = hi < 0 ? -EINVAL : hex_value(f[2]);
                if (lo < 0)
                        return -EINVAL;
                /* A NUL or a byte that needs no escape has no canonical
                 * label: refuse rather than alias another service. */
                if ((hi << 4 | lo) == 0 || label_char_plain((char) (hi << 4 | lo)))
                        return -EINVAL;
                *t++ = (char) (hi << 4 | lo);
                f += 2;
        }
        *t = 0;
        *ret = TAKE_PTR(r);
        return 0;
}

int bus_service_object_path(const char *name, char **ret) {
        _cleanup_free_ char *label = NULL;
        char *p;
        int r;

        r = bus_label_escape(name, &label);
        if (r < 0)
                return r;
        if (asprintf(&p, BUS_SERVICE_PREFIX "/%s", label) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The length of the UTF-8 sequence at s when sd-bus would accept it (no
 * overlong forms, surrogates, noncharacters or code points past U+10FFFF),
 * else 0. */
static size_t utf8_valid_len(const unsigned char *s) {
        uint32_t c;
        size_t n = utf8_sequence(s, SIZE_MAX, &c);

        /* D-Bus also refuses the noncharacters. */
        if (n > 1 && ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe))
                return 0;
        return n;
}

bool bus_utf8_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_valid_len(p);

                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

char *bus_utf8_sanitize(const char *s) {
        char *r = strdup(s), *t = r;

        if (!r)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_valid_len(p);

                if (n == 0) {
                        *t++ = '?';
                        p++;
                        continue;
                }
                memcpy(t, p, n);
                t += n;
                p += n;
        }
        *t = 0;
        return r;
}

size_t bus_utf8_prefix(const char *s, size_t max) {
        size_t n = strnlen(s, max);

        /* Back off over continuation bytes to the start of the cut sequence. */
        if (s[n] != 0)
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        return n;
}
