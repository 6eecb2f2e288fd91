/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <string.h>

#include "unit-load-internal.h"

static const char *specifier_value(char c, const Specifiers *spec) {
        switch (c) {
        case 'n': return spec->full;
        case 'N': return spec->name;
        case 'p': return spec->prefix;
        case 'i': return spec->instance;
        case '%': return "%";
        default:  return NULL;
        }
}

int specifiers_expand(const char *s, const Specifiers *spec, char **ret, CrlError *reterr) {
        _cleanup_free_ char *out = NULL;
        size_t n = 0, alloc = strlen(s) + 1;

        out = malloc(alloc);
        if (!out)
                return -ENOMEM;
        for (const char *c = s; *c; c++) {
                const char *add = NULL;
                char one[2] = { *c, 0 };
                size_t len;

                if (*c != '%')
                        add = one;
                else if (!c[1])
                        return crl_error_set(reterr, EINVAL,
                                             "\"%s\" ends in a lone '%%' (write %%%% for a literal '%%')", s);
                /* "%  " would read as a specifier named by a blank or a control */
                else if (!isgraph((unsigned char) c[1]))
                        return crl_error_set(reterr, EINVAL,
                                             "\"%s\" has a lone '%%' (write %%%% for a literal '%%')", s);
                else if (!(add = specifier_value(*++c, spec)))
                        return crl_error_set(reterr, EINVAL,
                                             "unknown specifier %%%c in \"%s\" (use %%n, %%N, %%p, %%i, or %%%% for '%%')",
                                             *c, s);
                len = strlen(add ?: "");
                if (n + len + 1 > alloc) {
                        char *b;

                        alloc = (n + len + 1) * 2;
                        b = realloc(out, alloc);
                        if (!b)
                                return -ENOMEM;
                        out = b;
                }
                memcpy(out + n, add ?: "", len);
                n += len;
        }
        out[n] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}
