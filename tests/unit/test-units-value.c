/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "unit-value-internal.h"

#define K UINT64_C(1024)
#define M (K * K)
#define G (M * K)
#define T (G * K)
#define E (T * K * K)
#define SEC USEC_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* Every table entry that expects failure must leave ret untouched and set a
 * message; this checks the message when the table gives one. */
static void check_error(int r, const CrlError *e, const char *input, const char *message) {
        if (r != -EINVAL)
                fail_msg("\"%s\": expected -EINVAL, got %d", input, r);
        assert_int_equal(e->error, EINVAL);
        assert_true(e->message[0] != '\0');
        if (message && !streq(e->message, message))
                fail_msg("\"%s\": message\n  got:      %s\n  expected: %s", input, e->message, message);
}

/* ---- booleans and integers ---- */

static void test_boolean(void **state) {
        static const struct { const char *in; int out; } t[] = {
                { "yes", 1 }, { "YES", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 }, { "y", 1 }, { " t ", 1 },
                { "no", 0 }, { "False", 0 }, { "off", 0 }, { "0", 0 }, { "n", 0 }, { "f", 0 },
                { "", -EINVAL }, { "2", -EINVAL }, { "yess", -EINVAL }, { "maybe", -EINVAL }, { "y es", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                int r = parse_boolean(t[i].in, &e);

                if (t[i].out < 0)
                        check_error(r, &e, t[i].in, NULL);
                else if (r != t[i].out)
                        fail_msg("\"%s\": got %d", t[i].in, r);
        }
        CrlError e = {};
        check_error(parse_boolean("maybe", &e), &e, "maybe",
                    "\"maybe\" is not a boolean (use yes, no, true, false, on, off, 1 or 0)");
        assert_int_equal(parse_boolean("x", NULL), -EINVAL);
}

static void test_int_range(void **state) {
        static const struct { const char *in; long min, max, out; const char *err; } t[] = {
                { "1", 1, 65535, 1, NULL },
                { "65535", 1, 65535, 65535, NULL },
                { " 42 ", 1, 65535, 42, NULL },
                { "+7", 1, 65535, 7, NULL },
                { "-20", -20, 19, -20, NULL },
                { "19", -20, 19, 19, NULL },
                { "0", -1000, 1000, 0, NULL },
                { "70000", 1, 65535, 0, "\"70000\" is out of range (1-65535)" },
                { "0", 1, 65535, 0, "\"0\" is out of range (1-65535)" },
                { "65536", 1, 65535, 0, "\"65536\" is out of range (1-65535)" },
                { "-21", -20, 19, 0, "\"-21\" is out of range (-20 to 19)" },
                { "20", -20, 19, 0, "\"20\" is out of range (-20 to 19)" },
                { "99999999999999999999", 1, 10, 0, "\"99999999999999999999\" is out of range (1-10)" },
                { "12a", 1, 100, 0, "\"12a\" is not a number (expected an integer from 1 to 100)" },
                { "", 1, 100, 0, "\"\" is not a number (expected an integer from 1 to 100)" },
                { "-", 1, 100, 0, NULL },
                { "1.5", 1, 100, 0, NULL },
                { "0x10", 1, 100, 0, NULL },
                { "1 2", 1, 100, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                long out = 12345;
                int r = parse_int_range(t[i].in, t[i].min, t[i].max, &out, &e);

                if (t[i].err || r < 0) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_int_equal(out, 12345);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(out, t[i].out);
                }
        }
}

static void test_umask(void **state) {
        static const struct { const char *in; int out; } t[] = {
                { "0022", 022 }, { "022", 022 }, { "77", 077 }, { "0", 0 }, { "0777", 0777 }, { "00777", 0777 },
                { "1000", 01000 }, { "07777", 07777 }, /* systemd's parse_mode() */
                { "10000", -1 }, { "0778", -1 }, { "08", -1 }, { "", -1 }, { "-1", -1 }, { "0o22", -1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                int out = -5, r = parse_umask(t[i].in, &out, &e);

                if (t[i].out < 0) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_int_equal(out, -5);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(out, t[i].out);
                }
        }
        CrlError e = {};
        int out;
        check_error(parse_umask("10000", &out, &e), &e, "10000", "\"10000\" is out of range (0000-7777)");
        crl_error_clear(&e);
        check_error(parse_umask("u=rwx", &out, &e), &e, "u=rwx", "\"u=rwx\" is not an octal mode (e.g. 0022 or 077)");
}

/* ---- sizes and percentages ---- */

typedef struct SizeCase {
        const char *in;
        bool pct, inf;
        int r;
        LimitKind kind;
        uint64_t value;
        const char *err;
} SizeCase;

static const SizeCase size_cases[] = {
        { "0", false, false, 0, LIMIT_VALUE, 0, NULL },
        { "1", false, false, 0, LIMIT_VALUE, 1, NULL },
        { "1024", false, false, 0, LIMIT_VALUE, 1024, NULL },
        { "1K", false, false, 0, LIMIT_VALUE, K, NULL },
        { "512M", false, false, 0, LIMIT_VALUE, 512 * M, NULL },
        { "2G", false, false, 0, LIMIT_VALUE, 2 * G, NULL },
        { "3T", false, false, 0, LIMIT_VALUE, 3 * T, NULL },
        { "1P", false, false, 0, LIMIT_VALUE, T * K, NULL },
        { "1E", false, false, 0, LIMIT_VALUE, E, NULL },
        { "15E", false, false, 0, LIMIT_VALUE, 15 * E, NULL },
        { "5B", false, false, 0, LIMIT_VALUE, 5, NULL },
        { "1.5G", false, false, 0, LIMIT_VALUE, G + G / 2, NULL },
        { "3.5 K", false, false, 0, LIMIT_VALUE, 3 * K + 512, NULL },
        { "3. K", false, false, 0, LIMIT_VALUE, 3 * K, NULL },
        { "0.5K", false, false, 0, LIMIT_VALUE, 512, NULL },
        { "111.4", false, false, 0, LIMIT_VALUE, 111, NULL },      /* fractional bytes truncate, as systemd */
        { " 4 M 11.5K", false, false, 0, LIMIT_VALUE, 4 * M + 11 * K + 512, NULL },
        { "4T3G3B", false, false, 0, LIMIT_VALUE, 4 * T + 3 * G + 3, NULL },
        { "1G 512M", false, false, 0, LIMIT_VALUE, G + 512 * M, NULL },
        { "18446744073709551615", false, false, 0, LIMIT_VALUE, UINT64_MAX, NULL },
        { "18446744073709551616", false, false, -EINVAL, 0, 0,
          "\"18446744073709551616\" is too large (at most 16E, i.e. 2^64-1 bytes)" },
        { "16E", false, false, -EINVAL, 0, 0, "\"16E\" is too large (at most 16E, i.e. 2^64-1 bytes)" },
        { "1024E", false, false, -EINVAL, 0, 0, NULL },
        { "15E 1024P", false, false, -EINVAL, 0, 0, NULL },
        { "-1", false, false, -EINVAL, 0, 0, "\"-1\" is negative (a size is at least 0)" },
        { "-1K", true, true, -EINVAL, 0, 0, NULL },
        { "3B3G", false, false, -EINVAL, 0, 0, NULL },      /* units must decrease */
        { "12P12P", false, false, -EINVAL, 0, 0, NULL },
        { "1 2", false, false, -EINVAL, 0, 0, NULL },
        { "12X", true, true, -EINVAL, 0, 0, "\"12X\" is not a size (use K, M, G, T, a percentage, or infinity)" },
        { "12X", false, true, -EINVAL, 0, 0, "\"12X\" is not a size (use K, M, G, T, or infinity)" },
        { "12X", false, false, -EINVAL, 0, 0, "\"12X\" is not a size (use K, M, G or T)" },
        { "1k", false, false, -EINVAL, 0, 0, NULL },        /* case-sensitive, as systemd */
        { "1KB", false, false, -EINVAL, 0, 0, NULL },
        { "1KiB", false, false, -EINVAL, 0, 0, NULL },
        { "12.5e3", false, false, -EINVAL, 0, 0, NULL },
        { "K", false, false, -EINVAL, 0, 0, NULL },
        { ".5K", false, false, -EINVAL, 0, 0, NULL },
        { "0x10", false, false, -EINVAL, 0, 0, NULL },
        { "", true, true, -EINVAL, 0, 0, "empty value is not a size (use K, M, G, T, a percentage, or infinity)" },
        { "  ", false, false, -EINVAL, 0, 0, NULL },
        { "infinity", true, true, 0, LIMIT_INFINITY, UINT64_MAX, NULL },
        { " infinity ", false, true, 0, LIMIT_INFINITY, UINT64_MAX, NULL },
        { "infinity", true, false, -EINVAL, 0, 0, "\"infinity\" is not allowed here (use K, M, G, T, or a percentage)" },
        { "Infinity", true, true, -EINVAL, 0, 0, NULL },
        { "50%", true, true, 0, LIMIT_PERCENT, 5000, NULL },
        { "0%", true, false, 0, LIMIT_PERCENT, 0, NULL },
        { "100%", true, false, 0, LIMIT_PERCENT, 10000, NULL },
        { "12.5%", true, false, 0, LIMIT_PERCENT, 1250, NULL },
        { "12.34%", true, false, 0, LIMIT_PERCENT, 1234, NULL },
        { "100.01%", true, false, -EINVAL, 0, 0, "\"100.01%\" is above the maximum, 100%" },
        { "150%", true, true, -EINVAL, 0, 0, "\"150%\" is above the maximum, 100%" },
        { "12.345%", true, false, -EINVAL, 0, 0, "\"12.345%\" has too many decimals (at most 2, e.g. 12.25%)" },
        { "50%", false, true, -EINVAL, 0, 0, "\"50%\": a percentage is not allowed here (use K, M, G, T, or infinity)" },
        { "%", true, false, -EINVAL, 0, 0, "\"%\" is not a percentage (e.g. 20% or 12.5%)" },
        { "5 %", true, false, -EINVAL, 0, 0, NULL },
        { "-5%", true, false, -EINVAL, 0, 0, NULL },
        { "5%%", true, false, -EINVAL, 0, 0, NULL },
};

static void test_size(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(size_cases); i++) {
                const SizeCase *c = &size_cases[i];
                ResourceLimit l = { .kind = LIMIT_UNSET, .value = 42 };
                CrlError e = {};
                int r = parse_size(c->in, c->pct, c->inf, &l, &e);

                if (c->r < 0) {
                        check_error(r, &e, c->in, c->err);
                        assert_int_equal(l.kind, LIMIT_UNSET);
                        assert_int_equal(l.value, 42);
                        continue;
                }
                if (r != 0)
                        fail_msg("\"%s\": %d %s", c->in, r, e.message);
                assert_int_equal(l.kind, c->kind);
                if (l.value != c->value)
                        fail_msg("\"%s\": got %" PRIu64 ", expected %" PRIu64, c->in, l.value, c->value);
        }
}

static void test_percent(void **state) {
        static const struct { const char *in; int64_t bp; const char *err; } t[] = {
                { "20%", 2000, NULL }, { "150%", 15000, NULL }, { "12.5%", 1250, NULL }, { "0%", 0, NULL },
                { "0.01%", 1, NULL }, { " 400% ", 40000, NULL }, { "21474836%", 2147483600, NULL },
                { "21474837%", -1, "\"21474837%\" is above the maximum, 21474836%" },
                { "99999999999999999999%", -1, NULL },
                { "20", -1, "\"20\" is not a percentage (e.g. 20% or 12.5%)" },
                { "12.%", -1, NULL }, { ".5%", -1, NULL }, { "1.234%", -1, NULL }, { "", -1, NULL },
                { "-5%", -1, NULL }, { "20 %", -1, NULL }, { "20%x", -1, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                uint64_t bp = 7;
                int r = parse_percent(t[i].in, &bp, &e);

                if (t[i].bp < 0) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_int_equal(bp, 7);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(bp, t[i].bp);
                }
        }
}

static void test_tasks_max(void **state) {
        static const struct { const char *in; LimitKind kind; uint64_t v; const char *err; } t[] = {
                { "1", LIMIT_VALUE, 1, NULL },
                { "4096", LIMIT_VALUE, 4096, NULL },
                { "18446744073709551614", LIMIT_VALUE, UINT64_MAX - 1, NULL },
                { "50%", LIMIT_PERCENT, 5000, NULL },
                { "100%", LIMIT_PERCENT, 10000, NULL },
                { "infinity", LIMIT_INFINITY, UINT64_MAX, NULL },
                { "0", LIMIT_UNSET, 0, "\"0\" allows no task at all (use 1 or more, or infinity)" },
                { "0%", LIMIT_UNSET, 0, NULL },
                { "101%", LIMIT_UNSET, 0, NULL },
                { "18446744073709551615", LIMIT_UNSET, 0, "\"18446744073709551615\" is too large (use infinity for no limit)" },
                { "18446744073709551616", LIMIT_UNSET, 0, NULL },
                { "1K", LIMIT_UNSET, 0, "\"1K\" is not a task count (use a number, a percentage, or infinity)" },
                { "-1", LIMIT_UNSET, 0, NULL },
                { "", LIMIT_UNSET, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ResourceLimit l = { .kind = LIMIT_UNSET, .value = 9 };
                CrlError e = {};
                int r = parse_tasks_max(t[i].in, &l, &e);

                if (t[i].kind == LIMIT_UNSET) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_int_equal(l.value, 9);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(l.kind, t[i].kind);
                        assert_true(l.value == t[i].v);
                }
        }
}

/* ---- time spans ---- */

static void test_time_span(void **state) {
        static const struct { const char *in; usec_t out; const char *err; } t[] = {
                { "0", 0, NULL },
                { "10", 10 * SEC, NULL },
                { "10s", 10 * SEC, NULL },
                { "100ms", 100 * USEC_PER_MSEC, NULL },
                { "5us", 5, NULL },
                { "5usec", 5, NULL },
                { "5\xc2\xb5s", 5, NULL },
                { "1min", MIN, NULL },
                { "2m", 2 * MIN, NULL },
                { "1h", HOUR, NULL },
                { "1hr", HOUR, NULL },
                { "2 hours", 2 * HOUR, NULL },
                { "1d", 24 * HOUR, NULL },
                { "1w", 7 * 24 * HOUR, NULL },
                { "1M", 2629800 * SEC, NULL },
                { "1y", 31557600 * SEC, NULL },
                { "1min 30s", 90 * SEC, NULL },
                { "1min30s", 90 * SEC, NULL },
                { " 1h 2min 3s 4ms 5us ", HOUR + 2 * MIN + 3 * SEC + 4000 + 5, NULL },
                { "1.5h", HOUR + 30 * MIN, NULL },
                { "0.5", SEC / 2, NULL },
                { ".5s", SEC / 2, NULL },
                { "1.0000001s", SEC, NULL },
                { "5 s", 5 * SEC, NULL },
                { "1s 1s", 2 * SEC, NULL },
                { "infinity", USEC_INFINITY, NULL },
                { "18446744073709551614us", UINT64_MAX - 1, NULL },
                { "18446744073709551615us", 0, "\"18446744073709551615us\" is too large (at most about 584554 years; or use infinity)" },
                { "18446744073709551616", 0, NULL },
                { "584555y", 0, NULL },
                { "18446744073709551614us 1us", 0, NULL },
                { "5x", 0, "\"5x\" is not a time span: unknown unit \"x\" (use us, ms, s, min, h, d, w, M, y, or infinity)" },
                { "5 fortnights", 0, "\"5 fortnights\" is not a time span: unknown unit \"fortnights\" (use us, ms, s, min, h, d, w, M, y, or infinity)" },
                { "-5s", 0, "\"-5s\" is negative (a time span is at least 0)" },
                { "", 0, "\"\" is not a time span (use us, ms, s, min, h, d, w, M, y, or infinity)" },
                { "s", 0, NULL },
                { "1min -5s", 0, NULL },
                { "1.2.3s", 0, NULL },
                { "5S", 0, NULL },
                { "0x10s", 0, NULL },
                { "INFINITY", 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                usec_t u = 77;
                int r = parse_time_span(t[i].in, &u, &e);

                if (t[i].err || (t[i].out == 0 && !streq(t[i].in, "0"))) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_int_equal(u, 77);
                } else {
                        if (r != 0)
                                fail_msg("\"%s\": %s", t[i].in, e.message);
                        if (u != t[i].out)
                                fail_msg("\"%s\": got %" PRIu64 ", expected %" PRIu64, t[i].in, u, t[i].out);
                }
        }
}

static void test_time_span_signed(void **state) {
        static const struct { const char *in; int64_t out; bool ok; } t[] = {
                { "0", 0, true }, { "-0", 0, true }, { "5s", 5 * (int64_t) SEC, true },
                { "-1h", -(int64_t) HOUR, true }, { " -1min 30s ", -90 * (int64_t) SEC, true },
                { "9223372036854775807us", INT64_MAX, true }, { "-9223372036854775807us", -INT64_MAX, true },
                { "9223372036854775808us", 0, false }, { "--5s", 0, false }, { "- ", 0, false },
                { "infinity", 0, false }, { "-infinity", 0, false }, { "+5s", 0, false }, { "5q", 0, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                int64_t v = 3;
                int r = parse_time_span_signed(t[i].in, &v, &e);

                if (!t[i].ok) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_int_equal(v, 3);
                } else {
                        assert_int_equal(r, 0);
                        assert_true(v == t[i].out);
                }
        }
        CrlError e = {};
        int64_t v;
        check_error(parse_time_span_signed("infinity", &v, &e), &e, "infinity",
                    "\"infinity\" is not allowed here (give a finite time span, e.g. -1h or 2d)");
}

/* ---- CPU sets, signals, exit statuses ---- */

static void test_cpu_set(void **state) {
        static const struct { const char *in, *out, *err; } t[] = {
                { "0-3,5", "0-3,5", NULL },
                { "0 1 2", "0-2", NULL },
                { "1-3 7", "1-3,7", NULL },
                { "5,3,4,0", "0,3-5", NULL },
                { "0-3,2-6", "0-6", NULL },
                { " 7 , 7 ", "7", NULL },
                { "0", "0", NULL },
                { "8191", "8191", NULL },
                { "0,2,4", "0,2,4", NULL },
                { "8192", NULL, "\"8192\" is out of range (CPU numbers are 0-8191)" },
                { "3-1", NULL, "\"3-1\" is not a valid range (it ends before it starts)" },
                { "a", NULL, "\"a\" is not a CPU number or range (e.g. 0-3,5)" },
                { "", NULL, "empty CPU list (use numbers and ranges, e.g. 0-3,5)" },
                { " , ", NULL, NULL },
                { "1-", NULL, NULL }, { "-1", NULL, NULL }, { "1-2-3", NULL, NULL },
                { "99999999999999999999", NULL, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                char *s = NULL;
                int r = parse_cpu_set(t[i].in, &s, &e);

                if (!t[i].out) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_null(s);
                } else {
                        assert_int_equal(r, 0);
                        assert_string_equal(s, t[i].out);
                        free(s);
                }
        }
}

static void test_signal(void **state) {
        static const struct { const char *in; int sig; } t[] = {
                { "SIGTERM", SIGTERM }, { "TERM", SIGTERM }, { "15", SIGTERM }, { "SIGKILL", SIGKILL },
                { "HUP", SIGHUP }, { " SIGUSR1 ", SIGUSR1 }, { "SIGRTMIN", 0 }, { "SIGRTMIN+3", 3 },
                { "RTMAX-1", -1 }, { "1", SIGHUP },
                { "sigterm", -100 }, { "SIGFOO", -100 }, { "0", -100 }, { "65", -100 }, { "", -100 },
                { "SIGRTMIN+99", -100 }, { "SIGRTMIN-1", -100 }, { "SIGRTMIN+", -100 }, { "SIGSIGTERM", -100 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                int sig = -5, r = parse_signal(t[i].in, &sig, &e);

                if (t[i].sig == -100) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_int_equal(sig, -5);
                        continue;
                }
                assert_int_equal(r, 0);
                if (strstr(t[i].in, "RTMIN"))
                        assert_int_equal(sig, SIGRTMIN + t[i].sig);
                else if (strstr(t[i].in, "RTMAX"))
                        assert_int_equal(sig, SIGRTMAX + t[i].sig);
                else
                        assert_int_equal(sig, t[i].sig);
        }
        CrlError e = {};
        int sig;
        check_error(parse_signal("SIGFOO", &sig, &e), &e, "SIGFOO",
                    "\"SIGFOO\" is not a signal (e.g. SIGTERM, TERM, 15 or SIGRTMIN+3)");
}

static void test_exit_status(void **state) {
        int *codes = NULL, *sigs = NULL;
        size_t nc = 0, ns = 0;
        CrlError e = {};

        assert_int_equal(parse_exit_status_list("0 75 SIGUSR1 255 TERM", &codes, &nc, &sigs, &ns, &e), 0);
        assert_int_equal(nc, 3);
        assert_int_equal(codes[0], 0);
        assert_int_equal(codes[1], 75);
        assert_int_equal(codes[2], 255);
        assert_int_equal(ns, 2);
        assert_int_equal(sigs[0], SIGUSR1);
        assert_int_equal(sigs[1], SIGTERM);
        /* appends */
        assert_int_equal(parse_exit_status_list("3", &codes, &nc, &sigs, &ns, &e), 0);
        assert_int_equal(nc, 4);
        assert_int_equal(codes[3], 3);
        /* failure leaves the lists alone */
        assert_int_equal(parse_exit_status_list("4 256", &codes, &nc, &sigs, &ns, &e), -EINVAL);
        assert_string_equal(e.message, "\"256\" is out of range (exit codes are 0-255)");
        assert_int_equal(nc, 4);
        crl_error_clear(&e);
        assert_int_equal(parse_exit_status_list("SIGFOO", &codes, &nc, &sigs, &ns, &e), -EINVAL);
        assert_string_equal(e.message, "\"SIGFOO\" is neither an exit code (0-255 or a name such as DATAERR) nor a signal name (e.g. SIGUSR1)");
        crl_error_clear(&e);
        assert_int_equal(parse_exit_status_list("  ", &codes, &nc, &sigs, &ns, &e), -EINVAL);
        crl_error_clear(&e);
        assert_int_equal(parse_exit_status_list("-1", &codes, &nc, &sigs, &ns, &e), -EINVAL);
        assert_int_equal(nc, 4);
        assert_int_equal(ns, 2);
        free(codes);
        free(sigs);
}

/* ---- rlimits, names, capabilities, outputs ---- */

static void test_rlimit(void **state) {
        static const struct { const char *in; rlim_t soft, hard; bool ok; bool size; } t[] = {
                { "1024", 1024, 1024, true, false },
                { "1024:4096", 1024, 4096, true, false },
                { "0", 0, 0, true, false },
                { "infinity", RLIM_INFINITY, RLIM_INFINITY, true, false },
                { "1024:infinity", 1024, RLIM_INFINITY, true, false },
                { "18446744073709551614", UINT64_MAX - 1, UINT64_MAX - 1, true, false },
                { "18446744073709551615", 0, 0, false, false },
                { "4096:1024", 0, 0, false, false },
                { "infinity:1", 0, 0, false, false },
                { "1K", 0, 0, false, false },
                { "", 0, 0, false, false },
                { ":5", 0, 0, false, false },
                { "5:", 0, 0, false, false },
                { "1:2:3", 0, 0, false, false },
                { "-1", 0, 0, false, false },
                { "1M", M, M, true, true },
                { "1K:1G", K, G, true, true },
                { "infinity", RLIM_INFINITY, RLIM_INFINITY, true, true },
                { "1X", 0, 0, false, true },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct rlimit rl = { 1, 2 };
                CrlError e = {};
                int r = t[i].size ? parse_rlimit_size(t[i].in, &rl, &e) : parse_rlimit(t[i].in, &rl, &e);

                if (!t[i].ok) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_true(rl.rlim_cur == 1 && rl.rlim_max == 2);
                } else {
                        assert_int_equal(r, 0);
                        assert_true(rl.rlim_cur == t[i].soft);
                        assert_true(rl.rlim_max == t[i].hard);
                }
        }
        struct rlimit rl;
        CrlError e = {};
        check_error(parse_rlimit("4096:1024", &rl, &e), &e, "4096:1024", "\"4096:1024\": the soft limit is above the hard limit");
        crl_error_clear(&e);
        check_error(parse_rlimit("lots", &rl, &e), &e, "lots", "\"lots\" is not a limit (use a number, SOFT:HARD, or infinity)");
}

static void test_user_name(void **state) {
        static const char *const good[] = {
                "root", "_apt", "www-data", "a", "A1", "user_1", "0", "1000", "4294967294",
                "abcdefghijklmnopqrstuvwxyz01234",
                /* systemd's relaxed check (test-units-compat.c has the rest) */
                "1abc", "-x", "a b", "a.b", "a@b", "abcdefghijklmnopqrstuvwxyz012345", "user$", "\xc3\xa9t\xc3\xa9",
        };
        static const char *const bad[] = {
                "", "4294967295", "65535", "99999999999999999999", "a:b", "a/b", ".", "..",
        };
        CrlError e = {};

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (parse_user_or_group_name(good[i], NULL) != 0)
                        fail_msg("\"%s\" should be valid", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                crl_error_clear(&e);
                check_error(parse_user_or_group_name(bad[i], &e), &e, bad[i], NULL);
        }
        crl_error_clear(&e);
        check_error(parse_user_or_group_name("9/abc", &e), &e, "9/abc",
                    "\"9/abc\" is not a valid user or group name (no ':', '/', control characters or surrounding "
                    "spaces, not \".\", \"..\" or all digits; or a numeric id 0-4294967294 other than 65535)");
}

static void test_capabilities(void **state) {
        static const struct { const char *in; uint64_t out; bool ok; } t[] = {
                { "CAP_NET_ADMIN", UINT64_C(1) << 12, true },
                { "CAP_NET_ADMIN cap_sys_time", (UINT64_C(1) << 12) | (UINT64_C(1) << 25), true },
                { "cap_chown", 1, true },
                { "CAP_CHECKPOINT_RESTORE", UINT64_C(1) << 40, true },
                { "12", UINT64_C(1) << 12, true },
                { "~", (UINT64_C(1) << 41) - 1, true },
                { "~CAP_CHOWN", ((UINT64_C(1) << 41) - 1) & ~UINT64_C(1), true },
                { " CAP_KILL   CAP_KILL ", UINT64_C(1) << 5, true },
                { "NET_ADMIN", 0, false }, { "CAP_FOO", 0, false }, { "41", 0, false }, { "", 0, false },
                { "CAP_KILL,CAP_CHOWN", 0, false }, { "~~CAP_KILL", 0, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                uint64_t set = 99;
                CrlError e = {};
                int r = parse_capability_set(t[i].in, &set, &e);

                if (!t[i].ok) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_int_equal(set, 99);
                } else {
                        assert_int_equal(r, 0);
                        assert_true(set == t[i].out);
                }
        }
        assert_string_equal(capability_to_name(12), "net_admin");
        assert_null(capability_to_name(41));
        CrlError e = {};
        uint64_t set;
        check_error(parse_capability_set("CAP_FOO", &set, &e), &e, "CAP_FOO",
                    "\"CAP_FOO\" is not a capability (e.g. CAP_NET_ADMIN; see capabilities(7))");
}

static void test_output(void **state) {
        static const struct { const char *in; OutputKind kind; const char *path; } t[] = {
                { "log", OUTPUT_LOG, NULL }, { "journal", OUTPUT_JOURNAL, NULL }, { "null", OUTPUT_NULL, NULL },
                { "inherit", OUTPUT_INHERIT, NULL }, { "file:/var/log/x.log", OUTPUT_FILE, "/var/log/x.log" },
                { "truncate:/tmp/x", OUTPUT_FILE, "/tmp/x" }, { "append:/tmp//y/", OUTPUT_APPEND, "/tmp/y" },
                { "kmsg", _OUTPUT_KIND_INVALID, NULL }, { "tty", _OUTPUT_KIND_INVALID, NULL },
                { "file:", _OUTPUT_KIND_INVALID, NULL }, { "file:x.log", _OUTPUT_KIND_INVALID, NULL },
                { "append:/a/../b", _OUTPUT_KIND_INVALID, NULL }, { "Log", _OUTPUT_KIND_INVALID, NULL },
                { "", _OUTPUT_KIND_INVALID, NULL },
        };
        OutputSpec o = {};

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                CrlError e = {};
                int r = parse_output_spec(t[i].in, &o, &e);

                if (t[i].kind == _OUTPUT_KIND_INVALID) {
                        check_error(r, &e, t[i].in, NULL);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_int_equal(o.kind, t[i].kind);
                if (t[i].path)
                        assert_string_equal(o.path, t[i].path);
                else
                        assert_null(o.path);
        }
        free(o.path);
        CrlError e = {};
        check_error(parse_output_spec("kmsg", &o, &e), &e, "kmsg",
                    "\"kmsg\" is not supported (use log, journal, null, inherit, file:PATH, or append:PATH)");
        crl_error_clear(&e);
        check_error(parse_output_spec("file:x", &o, &e), &e, "file:x", "path \"x\" is not an absolute path");
}

static void test_enums(void **state) {
        CrlError e = {};

        assert_int_equal(service_type_from_string("simple", &e), SERVICE_SIMPLE);
        assert_int_equal(service_type_from_string("oneshot", &e), SERVICE_ONESHOT);
        assert_int_equal(service_type_from_string(" notify ", &e), SERVICE_NOTIFY);
        assert_int_equal(service_type_from_string("forking", &e), -EINVAL);
        assert_string_equal(e.message, "\"forking\" is not supported by corral (use simple, exec, notify or oneshot)");
        crl_error_clear(&e);
        assert_int_equal(service_type_from_string("bogus", &e), -EINVAL);
        assert_string_equal(e.message, "\"bogus\" is not a service type (use simple, exec, notify or oneshot)");
        assert_int_equal(service_type_from_string("Simple", NULL), -EINVAL);

        assert_int_equal(restart_policy_from_string("no", NULL), RESTART_NO);
        assert_int_equal(restart_policy_from_string("on-abnormal", NULL), RESTART_ON_ABNORMAL);
        assert_int_equal(restart_policy_from_string("always", NULL), RESTART_ALWAYS);
        assert_int_equal(restart_policy_from_string("yes", NULL), -EINVAL);
        assert_int_equal(restart_policy_from_string("on-watchdog", NULL), -EINVAL);
        assert_int_equal(oom_policy_from_string("kill", NULL), OOM_KILL);
        assert_int_equal(oom_policy_from_string("stop", NULL), OOM_STOP);
        assert_int_equal(oom_policy_from_string("", NULL), -EINVAL);

        assert_int_equal(private_users_from_string("yes", NULL), PRIVATE_USERS_SELF);
        assert_int_equal(private_users_from_string("true", NULL), PRIVATE_USERS_SELF);
        assert_int_equal(private_users_from_string("false", NULL), PRIVATE_USERS_NO);
        assert_int_equal(private_users_from_string("pick", NULL), PRIVATE_USERS_PICK);
        assert_int_equal(private_users_from_string("identity", NULL), PRIVATE_USERS_IDENTITY);
        assert_int_equal(private_users_from_string("managed", NULL), -EINVAL);
        assert_int_equal(protect_control_groups_from_string("yes", NULL), PROTECT_CGROUPS_YES);
        assert_int_equal(protect_control_groups_from_string("on", NULL), PROTECT_CGROUPS_YES);
        assert_int_equal(protect_control_groups_from_string("0", NULL), PROTECT_CGROUPS_NO);
        assert_int_equal(protect_control_groups_from_string("strict", NULL), PROTECT_CGROUPS_STRICT);
        assert_int_equal(protect_control_groups_from_string("private", NULL), PROTECT_CGROUPS_PRIVATE);
        assert_int_equal(protect_system_from_string("full", NULL), PROTECT_SYSTEM_FULL);
        assert_int_equal(protect_system_from_string("true", NULL), PROTECT_SYSTEM_YES);
        assert_int_equal(protect_system_from_string("off", NULL), PROTECT_SYSTEM_NO);
        assert_int_equal(protect_home_from_string("read-only", NULL), PROTECT_HOME_READ_ONLY);
        assert_int_equal(protect_home_from_string("tmpfs", NULL), PROTECT_HOME_TMPFS);
        assert_int_equal(protect_home_from_string("1", NULL), PROTECT_HOME_YES);
        crl_error_clear(&e);
        assert_int_equal(protect_home_from_string("readonly", &e), -EINVAL);
        assert_string_equal(e.message, "\"readonly\" is not a ProtectHome= mode (use no, yes, read-only or tmpfs)");
        assert_int_equal(protect_proc_from_string("ptraceable", NULL), PROTECT_PROC_PTRACEABLE);
        assert_int_equal(protect_proc_from_string("default", NULL), PROTECT_PROC_DEFAULT);
        crl_error_clear(&e);
        assert_int_equal(protect_proc_from_string("yes", &e), -EINVAL);       /* systemd takes no boolean */
        assert_string_equal(e.message,
                            "\"yes\" is not a ProtectProc= mode (use default, noaccess, invisible or ptraceable)");
        assert_int_equal(proc_subset_from_string("pid", NULL), PROC_SUBSET_PID);
        crl_error_clear(&e);
        assert_int_equal(proc_subset_from_string("pids", &e), -EINVAL);
        assert_string_equal(e.message, "\"pids\" is not a ProcSubset= mode (use all or pid)");

        assert_string_equal(service_type_to_string(SERVICE_EXEC), "exec");
        assert_string_equal(restart_policy_to_string(RESTART_ON_FAILURE), "on-failure");
        assert_string_equal(oom_policy_to_string(OOM_CONTINUE), "continue");
        assert_string_equal(private_users_to_string(PRIVATE_USERS_SELF), "self");
        assert_string_equal(protect_control_groups_to_string(PROTECT_CGROUPS_STRICT), "strict");
        assert_string_equal(protect_system_to_string(PROTECT_SYSTEM_STRICT), "strict");
        assert_string_equal(protect_home_to_string(PROTECT_HOME_READ_ONLY), "read-only");
        assert_string_equal(protect_proc_to_string(PROTECT_PROC_NOACCESS), "noaccess");
        assert_string_equal(proc_subset_to_string(PROC_SUBSET_ALL), "all");
        assert_null(service_type_to_string(_SERVICE_TYPE_MAX));
        assert_null(protect_home_to_string(_PROTECT_HOME_INVALID));
}

/* ---- quoting and command lines ---- */

static void assert_strv(char **l, const char *const *want) {
        size_t n = 0;

        for (; want[n]; n++) {
                if (!l[n])
                        fail_msg("word %zu missing, expected \"%s\"", n, want[n]);
                assert_string_equal(l[n], want[n]);
        }
        assert_null(l[n]);
}

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void test_split_quoted(void **state) {
        const struct { const char *in; const char *const *out; } t[] = {
                { "a b  c", W("a", "b", "c") },
                { "  \"a b\" 'c d' ", W("a b", "c d") },
                { "a\"b c\"d", W("ab cd") },
                { "\"\" x", W("", "x") },
                { "\"it's\" 'say \"hi\"'", W("it's", "say \"hi\"") },
                { "a\\ b", W("a b") },
                { "\\n\\t\\\\\\\"\\'", W("\n\t\\\"'") },
                { "\\x41\\101\\u00e9\\U0001F600", W("AA\xc3\xa9\xf0\x9f\x98\x80") },
                { "'\\x41'", W("A") },     /* systemd unescapes in single quotes too */
                { "\\s", W(" ") },
                { "$VAR ${X}", W("$VAR", "${X}") },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_strv_free_ char **l = NULL;
                CrlError e = {};

                if (split_quoted(t[i].in, &l, &e) != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_strv(l, t[i].out);
        }

        _cleanup_strv_free_ char **empty = NULL;
        assert_int_equal(split_quoted("   ", &empty, NULL), 0);
        assert_non_null(empty);
        assert_null(empty[0]);

        static const struct { const char *in, *err; } bad[] = {
                { "\"abc", "unterminated double quote in \"\"abc\"" },
                { "x 'abc", "unterminated single quote in \"'abc\"" },
                { "a\\", "a trailing backslash escapes nothing" },
                { "\\q", "\"\\q\" is not a valid escape sequence (use \\\\ for a backslash; \\xNN, \\NNN and \\uXXXX must not be 0)" },
                { "\\x00", NULL }, { "\\xZZ", NULL }, { "\\000", NULL }, { "\\u12", NULL }, { "\\ud800", NULL },
                { "\\U00110000", NULL },
                /* not in systemd's cunescape_one(): Environment=A=\; is refused */
                { "A=\\;", "\"\\;\" is not a valid escape sequence (use \\\\ for a backslash; \\xNN, \\NNN and \\uXXXX must not be 0)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char **l = NULL;
                CrlError e = {};

                check_error(split_quoted(bad[i].in, &l, &e), &e, bad[i].in, bad[i].err);
                assert_null(l);
        }
}

static void exec_command_done(ExecCommand *c) {
        free(c->path);
        strv_free(c->argv);
        *c = (ExecCommand) {};
}

static void test_command_line(void **state) {
        const struct { const char *in, *path; bool ignore; const char *const *argv; } t[] = {
                { "/bin/echo hello world", "/bin/echo", false, W("/bin/echo", "hello", "world") },
                { "-/bin/false", "/bin/false", true, W("/bin/false") },
                { "@/bin/busybox sh -c 'echo hi'", "/bin/busybox", false, W("sh", "-c", "echo hi") },
                { "-@/bin/busybox ls", "/bin/busybox", true, W("ls") },
                { "@-/bin/busybox ls", "/bin/busybox", true, W("ls") },
                { "echo \"a b\" $HOME ${X}", "echo", false, W("echo", "a b", "$HOME", "${X}") },
                { "  //usr/./bin/env  A=1 ", "/usr/bin/env", false, W("//usr/./bin/env", "A=1") },
                { "\"/opt/my app/run\" --flag", "/opt/my app/run", false, W("/opt/my app/run", "--flag") },
                { "/bin/echo \\;", "/bin/echo", false, W("/bin/echo", ";") },
                { "/bin/echo a;b", "/bin/echo", false, W("/bin/echo", "a;b") },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ExecCommand c = { .line = 7 };
                CrlError e = {};
                int r = parse_command_line(t[i].in, &c, &e);

                if (r != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_string_equal(c.path, t[i].path);
                assert_int_equal(c.flags, t[i].ignore ? EXEC_COMMAND_IGNORE_FAILURE : 0);
                assert_int_equal(c.line, 7);
                assert_strv(c.argv, t[i].argv);
                exec_command_done(&c);
        }

        static const struct { const char *in, *err; } bad[] = {
                { "--/bin/x", "\"--/bin/x\": the '-' prefix is given twice" },
                { "-", "empty path in command line (no command after the prefixes)" },
                { "- /bin/x", "empty path in command line (no command after the prefixes)" },
                { "@/bin/x", "\"@/bin/x\": the '@' prefix needs argv[0] as the second word" },
                { "bin/x", "\"bin/x\" is neither an absolute path nor a plain command name (e.g. /usr/bin/env or env)" },
                { "", "no command given" },
                { "   ", "no command given" },
                { "/bin/a ; /bin/b", "\"/bin/a ; /bin/b\": several commands where one is expected" },
                { "/bin/echo 'x", "unterminated single quote in \"'x\"" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ExecCommand c = {};
                CrlError e = {};

                check_error(parse_command_line(bad[i].in, &c, &e), &e, bad[i].in, bad[i].err);
                assert_null(c.path);
                assert_null(c.argv);
        }
}

/* ---- environment ---- */

static void test_environment(void **state) {
        _cleanup_strv_free_ char **env = NULL;
        CrlError e = {};

        assert_int_equal(parse_environment("A=1 B=2", &env, &e), 0);
        assert_int_equal(parse_environment("\"VAR1=word1 word2\" VAR2=word3 \"VAR3=$word 5 6\"", &env, &e), 0);
        assert_int_equal(parse_environment("A=replaced EMPTY=", &env, &e), 0);
        assert_int_equal(parse_environment("_x9=a=b", &env, &e), 0);
        assert_strv(env, W("A=replaced", "B=2", "VAR1=word1 word2", "VAR2=word3", "VAR3=$word 5 6", "EMPTY=", "_x9=a=b"));

        static const struct { const char *in, *err; } bad[] = {
                { "A", "\"A\" is not an assignment (use KEY=VALUE)" },
                { "1A=x", "\"1A\" is not a valid variable name (letters, digits and '_', not starting with a digit)" },
                { "=x", NULL }, { "A-B=x", NULL }, { "A=1 B", NULL }, { "", "no assignment given (use KEY=VALUE)" },
                { "\"A=1", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                crl_error_clear(&e);
                check_error(parse_environment(bad[i].in, &env, &e), &e, bad[i].in, bad[i].err);
        }
        /* failures changed nothing */
        assert_int_equal(strv_length(env), 7);
}

static void test_environment_file(void **state) {
        static const char text[] =
                "# comment\n"
                "; another\n"
                "\n"
                "A=1\n"
                "  B = spaced value  \n"
                "export C=exported\n"
                "D='single $X \\n \"q\"'\n"
                "E=\"double \\\"q\\\" \\$HOME \\\\ \\n\"\n"
                "F=multi\\\n"
                "line\n"
                "G=\"two\n"
                "lines\"\n"
                "H=\n"
                "I=a\\ \n"
                "J=x # not a comment\n"
                "A=2\n"
                "K='a'b\"c\"\n"
                "export=no\n";
        _cleanup_strv_free_ char **env = NULL;
        CrlError e = {};

        assert_int_equal(parse_environment_file_text(text, &env, &e), 0);
        assert_strv(env, W("A=2", "B=spaced value", "C=exported", "D=single $X \\n \"q\"",
                           "E=double \"q\" $HOME \\ \\n", "F=multiline", "G=two\nlines", "H=", "I=a ",
                           "J=x # not a comment", "K=abc", "export=no"));

        assert_int_equal(parse_environment_file_text("", &env, &e), 0);
        assert_int_equal(parse_environment_file_text("Z=last", &env, &e), 0);
        assert_string_equal(env[strv_length(env) - 1], "Z=last");

        static const struct { const char *in, *err; } bad[] = {
                { "A=1\n\n1X=2\n", "line 3: \"1X\" is not a valid variable name (letters, digits and '_', not starting with a digit)" },
                { "A=1\nB=\"open\nC=2\n", "line 2: unterminated double quote" },
                { "A='open", "line 1: unterminated single quote" },
                { "=x", NULL }, { "A B=1", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                size_t n = strv_length(env);

                crl_error_clear(&e);
                check_error(parse_environment_file_text(bad[i].in, &env, &e), &e, bad[i].in, bad[i].err);
                assert_int_equal(strv_length(env), n);
        }
}

static void test_expand_variables(void **state) {
        static char *env[] = { "HOME=/root", "X=1", "X=2", "SP=a  b", "E=", NULL };
        static const struct { const char *in, *out; } t[] = {
                { "$HOME/x", "/root/x" }, { "${HOME}x", "/rootx" }, { "$X", "2" }, { "$$HOME", "$HOME" },
                { "$UNSET-", "-" }, { "${UNSET}", "" }, { "a$", "a$" }, { "$1", "$1" }, { "${bad-name}", "${bad-name}" },
                { "${HOME", "${HOME" }, { "plain", "plain" }, { "", "" }, { "$SP", "a  b" }, { "$HOME$X", "/root2" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(expand_variables(t[i].in, env, &s), 0);
                assert_string_equal(s, t[i].out);
        }
}

static void test_unit_exec_expand(void **state) {
        static char *env[] = { "ARGS=-a  \"b c\" d", "ONE=x y", "EMPTY=", "BAD=\"oops", NULL };
        static char *argv[] = { "/bin/x", "$ARGS", "${ARGS}", "--opt=${ONE}", "--lit=$ONE", "$UNSET", "$EMPTY", "$$ARGS",
                                "$BAD", "a$$b", "${UNSET}", NULL };
        ExecCommand c = { .path = "/bin/x", .argv = argv };
        _cleanup_strv_free_ char **out = NULL;

        assert_int_equal(unit_exec_expand(&c, env, &out), 0);
        assert_strv(out, W("/bin/x", "-a", "b c", "d", "-a  \"b c\" d", "--opt=x y", "--lit=$ONE", "$ARGS", "\"oops",
                           "a$b", ""));
}

/* ---- network, devices, paths ---- */

static void test_ipv4(void **state) {
        struct in_addr a = {};
        uint8_t len = 99;
        CrlError e = {};

        assert_int_equal(parse_ipv4_address("10.89.0.5", &a, &e), 0);
        assert_int_equal(ntohl(a.s_addr), 0x0a590005);
        assert_int_equal(parse_ipv4_cidr("10.89.0.5/24", &a, &len, &e), 0);
        assert_int_equal(len, 24);
        assert_int_equal(parse_ipv4_cidr("0.0.0.0/0", &a, &len, &e), 0);
        assert_int_equal(len, 0);
        assert_int_equal(parse_ipv4_cidr("255.255.255.255/32", &a, &len, &e), 0);
        assert_int_equal(len, 32);

        static const char *const bad_addr[] = { "10.89.0.256", "10.89.0", "010.1.1.1", "1.2.3.4 ", "::1", "", "a.b.c.d", "1.2.3.4/24" };
        for (size_t i = 0; i < ELEMENTSOF(bad_addr); i++) {
                crl_error_clear(&e);
                check_error(parse_ipv4_address(bad_addr[i], &a, &e), &e, bad_addr[i], NULL);
        }
        static const char *const bad_cidr[] = { "10.0.0.1/33", "10.0.0.1", "10.0.0.1/", "10.0.0.1/-1", "10.0.0.1/2x", "10.0.0/8", "/8" };
        for (size_t i = 0; i < ELEMENTSOF(bad_cidr); i++) {
                len = 99;
                crl_error_clear(&e);
                check_error(parse_ipv4_cidr(bad_cidr[i], &a, &len, &e), &e, bad_cidr[i], NULL);
                assert_int_equal(len, 99);
        }
        crl_error_clear(&e);
        check_error(parse_ipv4_cidr("10.0.0.1/33", &a, &len, &e), &e, "",
                    "\"10.0.0.1/33\": the prefix length must be a number from 0 to 32");
        crl_error_clear(&e);
        check_error(parse_ipv4_cidr("10.0.0.1", &a, &len, &e), &e, "", "\"10.0.0.1\" has no prefix length (e.g. 10.89.0.5/24)");
        crl_error_clear(&e);
        check_error(parse_ipv4_address("10.89.0.256", &a, &e), &e, "", "\"10.89.0.256\" is not an IPv4 address (e.g. 10.89.0.5)");
}

static void test_port_forward(void **state) {
        static const struct { const char *in; int proto; uint16_t host, svc; const char *err; } t[] = {
                { "80", IPPROTO_TCP, 80, 80, NULL },
                { "8080:80", IPPROTO_TCP, 8080, 80, NULL },
                { "tcp:1", IPPROTO_TCP, 1, 1, NULL },
                { "udp:53:5353", IPPROTO_UDP, 53, 5353, NULL },
                { "65535:65535", IPPROTO_TCP, 65535, 65535, NULL },
                { "70000", 0, 0, 0, "\"70000\" is out of range (1-65535)" },
                { "0", 0, 0, 0, "\"0\" is out of range (1-65535)" },
                { "80:65536", 0, 0, 0, "\"65536\" is out of range (1-65535)" },
                { "sctp:80", 0, 0, 0, "\"sctp:80\": \"sctp\" is not a protocol (use tcp or udp)" },
                { "http", 0, 0, 0, "\"http\" is not a port number (1-65535)" },
                { "", 0, 0, 0, NULL }, { "80:", 0, 0, 0, NULL }, { ":80", 0, 0, 0, NULL }, { "1:2:3", 0, 0, 0, NULL },
                { "TCP:80", 0, 0, 0, NULL }, { "tcp:", 0, 0, 0, NULL }, { "99999999999999999999", 0, 0, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                PortForward pf = { .protocol = -1 };
                CrlError e = {};
                int r = parse_port_forward(t[i].in, &pf, &e);

                if (t[i].proto == 0) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_int_equal(pf.protocol, -1);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(pf.protocol, t[i].proto);
                        assert_int_equal(pf.host_port, t[i].host);
                        assert_int_equal(pf.service_port, t[i].svc);
                }
        }
}

static void test_io_device_value(void **state) {
        static const struct { const char *in; IOValueKind kind; const char *path; uint64_t v; const char *err; } t[] = {
                { "/dev/sda 200", IO_VALUE_WEIGHT, "/dev/sda", 200, NULL },
                { "/dev/sda 1", IO_VALUE_WEIGHT, "/dev/sda", 1, NULL },
                { "/dev/sda 10000", IO_VALUE_WEIGHT, "/dev/sda", 10000, NULL },
                { "/var/lib  10M", IO_VALUE_BYTES, "/var/lib", 10000000, NULL },
                { "/dev/sda 1.5K", IO_VALUE_BYTES, "/dev/sda", 1500, NULL },
                { "/dev/sda infinity", IO_VALUE_BYTES, "/dev/sda", UINT64_MAX, NULL },
                { "/dev/nvme0n1 1000", IO_VALUE_IOPS, "/dev/nvme0n1", 1000, NULL },
                { "/dev/nvme0n1 2K", IO_VALUE_IOPS, "/dev/nvme0n1", 2000, NULL },
                { "\"/mnt/my disk\" 5", IO_VALUE_IOPS, "/mnt/my disk", 5, NULL },
                { "/dev/sda 0", IO_VALUE_WEIGHT, NULL, 0, "\"0\" is out of range (1-10000)" },
                { "/dev/sda 10001", IO_VALUE_WEIGHT, NULL, 0, "\"10001\" is out of range (1-10000)" },
                { "/dev/sda 0", IO_VALUE_BYTES, NULL, 0, "\"0\" is not allowed: the limit must be above 0" },
                { "/dev/sda 12X", IO_VALUE_BYTES, NULL, 0,
                  "\"12X\" is not a bandwidth (use a number with K, M, G, T (base 1000), or infinity)" },
                { "/dev/sda", IO_VALUE_BYTES, NULL, 0, "\"/dev/sda\": no value after the path (use PATH VALUE, e.g. /dev/sda 10M)" },
                { "sda 5", IO_VALUE_IOPS, NULL, 0, "device path \"sda\" is not an absolute path" },
                { "", IO_VALUE_IOPS, NULL, 0, "no device given (use PATH VALUE, e.g. /dev/sda 10M)" },
                { "/dev/sda 20E", IO_VALUE_BYTES, NULL, 0, NULL },
                { "/dev/sda 5 6", IO_VALUE_IOPS, NULL, 0, NULL },
                { "/dev/sda -5", IO_VALUE_IOPS, NULL, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                IODeviceValue d = { .value = 3 };
                CrlError e = {};
                int r = parse_io_device_value(t[i].in, t[i].kind, &d, &e);

                if (!t[i].path) {
                        check_error(r, &e, t[i].in, t[i].err);
                        assert_null(d.path);
                        assert_int_equal(d.value, 3);
                        continue;
                }
                if (r != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_string_equal(d.path, t[i].path);
                assert_true(d.value == t[i].v);
                free(d.path);
        }
}

/* The one component walk under value_path_normalize() and
 * parse_exec_directory(): its edge cases, with nothing written on refusal. */
static void test_path_simplify(void **state) {
        static const struct { const char *in, *out; } t[] = {
                { "/", "/" }, { "//", "/" }, { "/.", "/" }, { "/./", "/" }, { "/a", "/a" }, { "/a/", "/a" },
                { "/a//b", "/a/b" }, { "//a/./b/.", "/a/b" }, { "/a/.b/..c/...", "/a/.b/..c/..." },
                { "", "" }, { ".", "" }, { "./", "" }, { "a", "a" }, { "a/", "a" }, { "./a//./b//", "a/b" },
                { "a.b/c", "a.b/c" },
                { "..", NULL }, { "/..", NULL }, { "/../a", NULL }, { "/a/..", NULL }, { "/a/../", NULL },
                { "a/../b", NULL }, { "a//../b", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char *out = NULL;
                int r = value_path_simplify(t[i].in, &out);

                if (!t[i].out) {
                        if (r != -EINVAL || out)
                                fail_msg("\"%s\": expected -EINVAL and nothing, got %d '%s'", t[i].in, r, out ?: "");
                        continue;
                }
                if (r != 0 || !out || strcmp(out, t[i].out) != 0)
                        fail_msg("\"%s\": expected '%s', got %d '%s'", t[i].in, t[i].out, r, out ?: "");
                free(out);
        }
}

static void test_paths(void **state) {
        static const struct { const char *in; bool opt; const char *path; } t[] = {
                { "/var/lib", false, "/var/lib" }, { "-/var/lib/", true, "/var/lib" }, { "/", false, "/" },
                { "//a//./b/.", false, "/a/b" }, { "-/", true, "/" },
                { "var", false, NULL }, { "", false, NULL }, { "-", false, NULL }, { "/a/../b", false, NULL },
                { "+/a", false, NULL }, { "--/a", false, NULL }, { "/..", false, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                PathSpec p = {};
                CrlError e = {};
                int r = parse_path_spec(t[i].in, &p, &e);

                if (!t[i].path) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_null(p.path);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(p.path, t[i].path);
                assert_int_equal(p.ignore_missing, t[i].opt);
                free(p.path);
        }
        PathSpec p;
        CrlError e = {};
        check_error(parse_path_spec("+/a", &p, &e), &e, "+/a", "\"+/a\": the '+' prefix is not supported (supported: '-')");
        crl_error_clear(&e);
        check_error(parse_path_spec("/a/../b", &p, &e), &e, "", "path \"/a/../b\" contains \"..\" (give a normalized absolute path)");
}

static void test_bind_path(void **state) {
        static const struct { const char *in; const char *src, *dst; bool opt, rec; } t[] = {
                { "/srv", "/srv", "/srv", false, true },
                { "/srv:/data", "/srv", "/data", false, true },
                { "-/srv/:/data:norbind", "/srv", "/data", true, false },
                { "/srv:/data:rbind", "/srv", "/data", false, true },
                { "/a:", NULL, NULL, false, false }, { "srv", NULL, NULL, false, false },
                { "/a:b", NULL, NULL, false, false }, { "/a:/b:ro", NULL, NULL, false, false },
                { "/a:/b:rbind:x", NULL, NULL, false, false }, { "", NULL, NULL, false, false },
                { ":/b", NULL, NULL, false, false }, { "/a:/b:", NULL, NULL, false, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                BindMount b = {};
                CrlError e = {};
                int r = parse_bind_path(t[i].in, true, &b, &e);

                if (!t[i].src) {
                        check_error(r, &e, t[i].in, NULL);
                        assert_null(b.source);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(b.source, t[i].src);
                assert_string_equal(b.destination, t[i].dst);
                assert_true(b.read_only);
                assert_int_equal(b.ignore_missing, t[i].opt);
                assert_int_equal(b.recursive, t[i].rec);
                free(b.source);
                free(b.destination);
        }
        BindMount b;
        CrlError e = {};
        check_error(parse_bind_path("/a:/b:ro", false, &b, &e), &e, "",
                    "\"/a:/b:ro\": \"ro\" is not a bind option (use rbind or norbind)");
        crl_error_clear(&e);
        check_error(parse_bind_path("/a:b", false, &b, &e), &e, "", "destination \"b\" is not an absolute path");
}

static void test_tmpfs(void **state) {
        TmpfsMount m = {};
        CrlError e = {};

        assert_int_equal(parse_tmpfs_spec("/run/x", &m, &e), 0);
        assert_string_equal(m.path, "/run/x");
        assert_null(m.options);
        free(m.path);
        assert_int_equal(parse_tmpfs_spec("/run/x/:size=10M,mode=0755", &m, &e), 0);
        assert_string_equal(m.path, "/run/x");
        assert_string_equal(m.options, "size=10M,mode=0755");
        free(m.path);
        free(m.options);
        m = (TmpfsMount) {};
        check_error(parse_tmpfs_spec("/run/x:", &m, &e), &e, "",
                    "\"/run/x:\": empty mount options after ':' (e.g. /run/x:size=10M,mode=0755)");
        crl_error_clear(&e);
        check_error(parse_tmpfs_spec("run:size=1M", &m, &e), &e, "", "path \"run\" is not an absolute path");
        assert_null(m.path);
}

static void test_unit_name(void **state) {
        static const struct { const char *in, *out; } t[] = {
                { "web", "web" }, { "web.service", "web" }, { "worker@", "worker@" }, { "worker@.service", "worker@" },
                { "worker@3", "worker@3" }, { "worker@3.service", "worker@3" }, { "a_b.c-d", "a_b.c-d" },
                { "x", "x" }, { "1", "1" }, { "w@a.b-c_d", "w@a.b-c_d" },
                { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
                { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.service", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
                { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
                { "", NULL }, { ".service", NULL }, { ".web", NULL }, { "-web", NULL }, { "@3", NULL },
                { "a@b@c", NULL }, { "web service", NULL }, { "web/x", NULL }, { "wéb", NULL },
                { "web.socket", "web.socket" },
                /* systemd's characters: ':' and the backslash of an escape */
                { "a:b", "a:b" }, { "foo\\x2dbar", "foo\\x2dbar" }, { "w@dev-disk-by\\x2duuid-1", "w@dev-disk-by\\x2duuid-1" },
                /* an instance that is a path's "." or ".." (stricter than systemd) */
                { "w@.", NULL }, { "w@..", NULL }, { "w@..service", NULL }, { "w@...service", NULL },
                { "w@...", "w@..." }, { "w@.a", "w@.a" }, { "w@a..", "w@a.." },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char *s = NULL;
                int r = unit_name_normalize(t[i].in, &s);

                if (!t[i].out) {
                        if (r != -EINVAL)
                                fail_msg("\"%s\" should be invalid", t[i].in);
                        assert_null(s);
                        continue;
                }
                if (r != 0)
                        fail_msg("\"%s\" should be valid", t[i].in);
                assert_string_equal(s, t[i].out);
                free(s);
        }
        assert_int_equal(unit_name_normalize("web", NULL), 0);
        assert_int_equal(unit_name_normalize(NULL, NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_boolean),
                cmocka_unit_test(test_int_range),
                cmocka_unit_test(test_umask),
                cmocka_unit_test(test_size),
                cmocka_unit_test(test_percent),
                cmocka_unit_test(test_tasks_max),
                cmocka_unit_test(test_time_span),
                cmocka_unit_test(test_time_span_signed),
                cmocka_unit_test(test_cpu_set),
                cmocka_unit_test(test_signal),
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_rlimit),
                cmocka_unit_test(test_user_name),
                cmocka_unit_test(test_capabilities),
                cmocka_unit_test(test_output),
                cmocka_unit_test(test_enums),
                cmocka_unit_test(test_split_quoted),
                cmocka_unit_test(test_command_line),
                cmocka_unit_test(test_environment),
                cmocka_unit_test(test_environment_file),
                cmocka_unit_test(test_expand_variables),
                cmocka_unit_test(test_unit_exec_expand),
                cmocka_unit_test(test_ipv4),
                cmocka_unit_test(test_port_forward),
                cmocka_unit_test(test_io_device_value),
                cmocka_unit_test(test_path_simplify),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_bind_path),
                cmocka_unit_test(test_tmpfs),
                cmocka_unit_test(test_unit_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
