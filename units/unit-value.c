/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scalar value parsers: booleans, numbers, sizes, percentages, time spans. */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "unit-value-internal.h"
#include "utf8.h"

const char *value_skip_ws(const char *p) {
        return p + strspn(p, WHITESPACE);
}

char *value_strip_dup(const char *v) {
        const char *b = value_skip_ws(v);
        size_t n = strlen(b);

        while (n > 0 && strchr(WHITESPACE, b[n - 1]))
                n--;
        return strndup(b, n);
}

int value_parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*s - '0'), &v))
                        return -ERANGE;
        }
        *p = s;
        *ret = v;
        return 0;
}

/* Fractional digits after a '.', scaled to 10^18: ".5" -> 5e17. Digits past
 * the 18th are dropped (below any unit we multiply by). */
static void parse_fraction(const char **p, uint64_t *ret_frac) {
        const char *s = *p;
        uint64_t f = 0, scale = UINT64_C(100000000000000000);

        for (; isdigit((unsigned char) *s); s++) {
                f += (uint64_t) (*s - '0') * scale;
                scale /= 10;
        }
        *p = s;
        *ret_frac = f;
}

/* whole + frac/1e18, both times mult; false on overflow. */
static bool scale_number(uint64_t whole, uint64_t frac, uint64_t mult, uint64_t *ret) {
        unsigned __int128 v = (unsigned __int128) whole * mult +
                              (unsigned __int128) frac * mult / UINT64_C(1000000000000000000);

        if (v > UINT64_MAX)
                return false;
        *ret = (uint64_t) v;
        return true;
}

int value_path_simplify(const char *v, char **ret) {
        _cleanup_free_ char *out = malloc(strlen(v) + 2);
        size_t n = 0;

        if (!out)
                return -ENOMEM;
        if (v[0] == '/')
                out[n++] = '/';
        for (const char *p = v; *p;) {
                size_t len;

                p += strspn(p, "/");
                len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.')) {
                        p += len;
                        continue;
                }
                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                if (n > 0 && out[n - 1] != '/')
                        out[n++] = '/';
                memcpy(out + n, p, len);
                n += len;
                p += len;
        }
        out[n] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

const char *utf8_first_invalid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; ) {
                size_t n = utf8_sequence(p, SIZE_MAX, NULL);

                if (n == 0)
                        return (const char *) p;
                p += n;
        }
        return NULL;
}

bool utf8_is_valid(const char *s) {
        return !utf8_first_invalid(s);
}

int parse_boolean(const char *v, CrlError *reterr) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
        _cleanup_free_ char *s = value_strip_dup(v);

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return crl_error_set(reterr, EINVAL, "\"%s\" is not a boolean (use yes, no, true, false, on, off, 1 or 0)", v);
}

static int format_range_error(CrlError *reterr, const char *v, long min, long max) {
        if (min < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (%ld to %ld)", v, min, max);
        return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (%ld-%ld)", v, min, max);
}

int parse_int_range(const char *v, long min, long max, long *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        const char *p;
        bool negative = false;
        uint64_t u;
        int r;

        if (!s)
                return -ENOMEM;
        p = s;
        if (*p == '-' || *p == '+')
                negative = *p++ == '-';
        r = value_parse_digits(&p, &u);
        if (r == -EINVAL || (r == 0 && *p != '\0'))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a number (expected an integer from %ld to %ld)",
                                     v, min, max);
        if (r == -ERANGE || u > (uint64_t) LONG_MAX)
                return format_range_error(reterr, v, min, max);
        if ((negative ? -(long) u : (long) u) < min || (negative ? -(long) u : (long) u) > max)
                return format_range_error(reterr, v, min, max);
        *ret = negative ? -(long) u : (long) u;
        return 0;
}

int parse_umask(const char *v, int *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        unsigned long m = 0;
        size_t n;

        if (!s)
                return -ENOMEM;
        n = strlen(s);
        if (n == 0 || strspn(s, "01234567") != n)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an octal mode (e.g. 0022 or 077)", v);
        /* systemd's parse_mode() takes up to 07777; umask() uses only 0777. */
        for (const char *p = s; *p; p++) {
                m = m * 8 + (unsigned long) (*p - '0');
                if (m > 07777)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (0000-7777)", v);
        }
        *ret = (int) m;
        return 0;
}

/* ---- sizes ---- */

/* One "N[.F][ ]SUFFIX" component; suffix factor 1 when none. */
static int size_component(const char **p, uint64_t base, uint64_t *ret_value, uint64_t *ret_factor) {
        static const char suffixes[] = "BKMGTPE";
        uint64_t whole, frac = 0, factor = 1;
        const char *s = value_skip_ws(*p), *k;
        int r;

        if (*s == '-')
                return -ERANGE;
        r = value_parse_digits(&s, &whole);
        if (r < 0)
                return r;
        if (*s == '.') {
                s++;
                parse_fraction(&s, &frac);
        }
        s = value_skip_ws(s);
        if (*s != '\0' && (k = strchr(suffixes, *s))) {
                for (long i = 0; i < k - suffixes; i++)
                        factor *= base;
                s++;
        }
        if (!scale_number(whole, frac, factor, ret_value))
                return -ERANGE;
        *ret_factor = factor;
        *p = s;
        return 0;
}

int value_parse_size_base(const char *s, uint64_t base, uint64_t *ret) {
        uint64_t total = 0, last_factor = UINT64_MAX;
        const char *p = value_skip_ws(s);
        bool first = true;

        if (*p == '\0')
                return -EINVAL;
        while (*p != '\0') {
                uint64_t value, factor;
                int r;

                r = size_component(&p, base, &value, &factor);
                if (r < 0)
                        return r;
                /* Components must go from larger to smaller units: "4T 3G 3B". */
                if (!first && factor >= last_factor)
                        return -EINVAL;
                if (__builtin_add_overflow(total, value, &total))
                        return -ERANGE;
                last_factor = factor;
                first = false;
                p = value_skip_ws(p);
        }
        *ret = total;
        return 0;
}

#define PERMILLE "\xe2\x80\xb0"        /* U+2030 */
#define PERMYRIAD "\xe2\x80\xb1"       /* U+2031 */

/* As systemd's parse_permyriad(): "N%" with up to 2 decimals, "N‰" with up
 * to 1, "N‱" with none. */
static const struct {
        const char *sym;
        unsigned decimals;
        uint64_t bp;            /* basis points per unit */
} percent_kinds[] = {
        { "%", 2, 100 }, { PERMILLE, 1, 10 }, { PERMYRIAD, 0, 1 },
};

static bool endswith_percent(const char *s) {
        size_t n = strlen(s);

        for (size_t i = 0; i < ELEMENTSOF(percent_kinds); i++) {
                size_t k = strlen(percent_kinds[i].sym);

                if (n >= k && streq(s + n - k, percent_kinds[i].sym))
                        return true;
        }
        return false;
}

/* "N%", "N.NN%", "N.N‰", "N‱" -> basis points. -EINVAL syntax, -EDOM too
 * many decimals, -ERANGE above max_bp. */
static int percent_to_bp(const char *s, uint64_t max_bp, uint64_t *ret) {
        const char *p = s, *f = NULL;
        uint64_t whole, frac = 0, bp;
        size_t nfrac = 0, k;
        int r;

        r = value_parse_digits(&p, &whole);
        if (r == -EINVAL)
                return r;
        if (r == 0 && *p == '.') {
                f = ++p;
                nfrac = strspn(p, "0123456789");
                if (nfrac == 0)
                        return -EINVAL;
                p += nfrac;
        }
        for (k = 0; k < ELEMENTSOF(percent_kinds); k++)
                if (streq(p, percent_kinds[k].sym))
                        break;
        if (k >= ELEMENTSOF(percent_kinds))
                return -EINVAL;
        if (nfrac > percent_kinds[k].decimals)
                return -EDOM;
        for (size_t i = 0; i < percent_kinds[k].decimals; i++)
                frac = frac * 10 + (i < nfrac ? (uint64_t) (f[i] - '0') : 0);
        if (r == -ERANGE || __builtin_mul_overflow(whole, percent_kinds[k].bp, &bp) ||
            __builtin_add_overflow(bp, frac, &bp) || bp > max_bp)
                return -ERANGE;
        *ret = bp;
        return 0;
}

static int percent_error(CrlError *reterr, const char *v, int r, uint64_t max_bp) {
        if (r == -EDOM && endswith_percent(v) && strstr(v, PERMILLE))
                return crl_error_set(reterr, EINVAL, "\"%s\" has too many decimals (at most 1 for " PERMILLE
                                     ", e.g. 12.5" PERMILLE ")", v);
        if (r == -EDOM && strstr(v, PERMYRIAD))
                return crl_error_set(reterr, EINVAL, "\"%s\" has too many decimals (none for " PERMYRIAD
                                     ", e.g. 125" PERMYRIAD ")", v);
        if (r == -EDOM)
                return crl_error_set(reterr, EINVAL, "\"%s\" has too many decimals (at most 2, e.g. 12.25%%)", v);
        if (r == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is above the maximum, %" PRIu64 "%%", v, max_bp / 100);
        return crl_error_set(reterr, EINVAL, "\"%s\" is not a percentage (e.g. 20%% or 12.5%%)", v);
}

int parse_percent(const char *v, uint64_t *ret_basis_points, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        uint64_t bp;
        int r;

        if (!s)
                return -ENOMEM;
        /* CPUQuota= may exceed 100%; cap where systemd does (a 32-bit permyriad). */
        r = percent_to_bp(s, INT32_MAX / 100 * 100, &bp);
        if (r < 0)
                return percent_error(reterr, v, r, INT32_MAX / 100 * 100);
        *ret_basis_points = bp;
        return 0;
}

static const char *size_hint(bool allow_percent, bool allow_infinity) {
        if (allow_percent && allow_infinity)
                return "use K, M, G, T, a percentage, or infinity";
        if (allow_percent)
                return "use K, M, G, T, or a percentage";
        if (allow_infinity)
                return "use K, M, G, T, or infinity";
        return "use K, M, G or T";
}

static int parse_size_percent(const char *v, const char *s, ResourceLimit *ret, CrlError *reterr) {
        uint64_t bp;
        int r;

        r = percent_to_bp(s, 10000, &bp);
        if (r < 0)
                return percent_error(reterr, v, r, 10000);
        *ret = (ResourceLimit) { .kind = LIMIT_PERCENT, .value = bp };
        return 0;
}

int parse_size(const char *v, bool allow_percent, bool allow_infinity, ResourceLimit *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        uint64_t bytes;
        int r;

        if (!s)
                return -ENOMEM;
        if (streq(s, "infinity")) {
                if (!allow_infinity)
                        return crl_error_set(reterr, EINVAL, "\"infinity\" is not allowed here (%s)",
                                             size_hint(allow_percent, false));
                *ret = (ResourceLimit) { .kind = LIMIT_INFINITY, .value = UINT64_MAX };
                return 0;
        }
        if (endswith_percent(s)) {
                if (!allow_percent)
                        return crl_error_set(reterr, EINVAL, "\"%s\": a percentage is not allowed here (%s)",
                                             v, size_hint(false, allow_infinity));
                return parse_size_percent(v, s, ret, reterr);
        }
        if (s[0] == '\0')
                return crl_error_set(reterr, EINVAL, "empty value is not a size (%s)",
                                     size_hint(allow_percent, allow_infinity));
        r = value_parse_size_base(s, 1024, &bytes);
        if (r == -ERANGE && s[0] == '-')
                return crl_error_set(reterr, EINVAL, "\"%s\" is negative (a size is at least 0)", v);
        if (r == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is too large (at most 16E, i.e. 2^64-1 bytes)", v);
        if (r < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a size (%s)", v,
                                     size_hint(allow_percent, allow_infinity));
        *ret = (ResourceLimit) { .kind = LIMIT_VALUE, .value = bytes };
        return 0;
}

int parse_tasks_max(const char *v, ResourceLimit *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        const char *p;
        uint64_t n;
        int r;

        if (!s)
                return -ENOMEM;
        if (streq(s, "infinity")) {
                *ret = (ResourceLimit) { .kind = LIMIT_INFINITY, .value = UINT64_MAX };
                return 0;
        }
        if (endswith_percent(s)) {
                r = percent_to_bp(s, 10000, &n);
                if (r < 0)
                        return percent_error(reterr, v, r, 10000);
                if (n == 0)
                        return crl_error_set(reterr, EINVAL, "\"%s\" allows no task at all (use more than 0%%)", v);
                *ret = (ResourceLimit) { .kind = LIMIT_PERCENT, .value = n };
                return 0;
        }
        p = s;
        r = value_parse_digits(&p, &n);
        if (r == 0 && *p != '\0')
                r = -EINVAL;
        if (r == -ERANGE || (r == 0 && n == UINT64_MAX))
                return crl_error_set(reterr, EINVAL, "\"%s\" is too large (use infinity for no limit)", v);
        if (r < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a task count (use a number, a percentage, or infinity)", v);
        if (n == 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" allows no task at all (use 1 or more, or infinity)", v);
        *ret = (ResourceLimit) { .kind = LIMIT_VALUE, .value = n };
        return 0;
}

/* ---- time spans ---- */

static const struct {
        const char *name;
        usec_t usec;
} time_units[] = {
        { "us", 1 }, { "usec", 1 }, { "\xc2\xb5s", 1 }, { "\xce\xbcs", 1 },
        { "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "seconds", USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC },
        { "w", 604800 * USEC_PER_SEC }, { "week", 604800 * USEC_PER_SEC }, { "weeks", 604800 * USEC_PER_SEC },
        /* systemd: a month is 30.44 days, a year 365.25 days */
        { "M", 2629800 * USEC_PER_SEC }, { "month", 2629800 * USEC_PER_SEC }, { "months", 2629800 * USEC_PER_SEC },
        { "y", 31557600 * USEC_PER_SEC }, { "year", 31557600 * USEC_PER_SEC }, { "years", 31557600 * USEC_PER_SEC },
};

#define TIME_UNITS "use us, ms, s, min, h, d, w, M, y"

static bool is_unit_char(char c) {
        return isalpha((unsigned char) c) || (unsigned char) c >= 0x80;
}

/* -EINVAL syntax, -ENOENT unknown unit (its name in unit[]), -ERANGE overflow. */
static int time_component(const char **p, usec_t *ret, char unit[static 16]) {
        const char *s = value_skip_ws(*p);
        uint64_t whole, frac = 0, mult = USEC_PER_SEC;
        size_t n;
        int r;

        r = value_parse_digits(&s, &whole);
        if (r == -EINVAL && *s == '.' && isdigit((unsigned char) s[1])) {
                whole = 0;
                r = 0;
        }
        if (r < 0)
                return r;
        if (*s == '.') {
                s++;
                parse_fraction(&s, &frac);
        }
        s = value_skip_ws(s);
        for (n = 0; is_unit_char(s[n]); n++)
                ;
        if (n > 0) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(time_units); i++)
                        if (strlen(time_units[i].name) == n && strneq(time_units[i].name, s, n))
                                break;
                if (i >= ELEMENTSOF(time_units)) {
                        snprintf(unit, 16, "%.*s", (int) (n < 15 ? n : 15), s);
                        return -ENOENT;
                }
                mult = time_units[i].usec;
                s += n;
        } else if (*s != '\0' && !strchr(WHITESPACE, s[-1]))
                return -EINVAL;         /* "1.2.3s": a bare number must end the component */
        if (!scale_number(whole, frac, mult, ret))
                return -ERANGE;
        *p = s;
        return 0;
}

/* Unsigned span of s (no sign, "infinity" handled by callers). */
static int time_span_raw(const char *s, usec_t *ret, char unit[static 16]) {
        const char *p = value_skip_ws(s);
        usec_t total = 0;

        if (*p == '\0')
                return -EINVAL;
        while (*p != '\0') {
                usec_t u;
                int r;

                r = time_component(&p, &u, unit);
                if (r < 0)
                        return r;
                if (__builtin_add_overflow(total, u, &total))
                        return -ERANGE;
                p = value_skip_ws(p);
        }
        *ret = total;
        return 0;
}

/* SIGNED: TimeOffsetSec=, which has no infinity and half the range. */
static int time_span_error(CrlError *reterr, const char *v, int r, const char *unit, bool is_signed) {
        const char *inf = is_signed ? "" : ", or infinity";

        if (r == -ENOENT)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a time span: unknown unit \"%s\" (" TIME_UNITS "%s)",
                                     v, unit, inf);
        if (r == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is too large (at most about %s years%s)",
                                     v, is_signed ? "292277" : "584554", is_signed ? "" : "; or use infinity");
        return crl_error_set(reterr, EINVAL, "\"%s\" is not a time span (" TIME_UNITS "%s)", v, inf);
}

int parse_time_span(const char *v, usec_t *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        char unit[16] = "";
        usec_t u;
        int r;

        if (!s)
                return -ENOMEM;
        if (streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }
        if (s[0] == '-')
                return crl_error_set(reterr, EINVAL, "\"%s\" is negative (a time span is at least 0)", v);
        r = time_span_raw(s, &u, unit);
        if (r == 0 && u == USEC_INFINITY)
                r = -ERANGE;
        if (r < 0)
                return time_span_error(reterr, v, r, unit, false);
        *ret = u;
        return 0;
}

int parse_time_span_signed(const char *v, int64_t *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        char unit[16] = "";
        bool negative;
        usec_t u;
        int r;

        if (!s)
                return -ENOMEM;
        if (streq(s, "infinity") || streq(s, "-infinity"))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not allowed here (give a finite time span, e.g. -1h or 2d)", v);
        negative = s[0] == '-';
        if (negative && s[1] == '-')
                return time_span_error(reterr, v, -EINVAL, unit, true);
        r = time_span_raw(s + negative, &u, unit);
        if (r == 0 && u > (usec_t) INT64_MAX)
                r = -ERANGE;
        if (r < 0)
                return time_span_error(reterr, v, r, unit, true);
        *ret = negative ? -(int64_t) u : (int64_t) u;
        return 0;
}
