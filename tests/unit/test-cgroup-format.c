/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-format.h"

static void test_percent(void **state) {
        assert_int_equal(cg_percent_of(1000, 2000), 200);              /* 20% */
        assert_int_equal(cg_percent_of(1000, 1250), 125);              /* 12.5% */
        assert_int_equal(cg_percent_of(4194304, 10000), 4194304);      /* 100% */
        assert_int_equal(cg_percent_of(999, 1), 0);                    /* rounds down */
        /* no overflow on huge totals */
        assert_true(cg_percent_of(UINT64_MAX, 5000) == UINT64_MAX / 2);
        assert_true(cg_percent_of(UINT64_MAX, 20000) == UINT64_MAX);   /* capped */
}

static void test_limit(void **state) {
        char buf[32];
        ResourceLimit v = { LIMIT_VALUE, 33554432 }, p = { LIMIT_PERCENT, 5000 },
                      inf = { LIMIT_INFINITY, 0 }, unset = { LIMIT_UNSET, 0 };

        assert_int_equal(cg_format_limit(&v, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "33554432");
        assert_int_equal(cg_format_limit(&p, 8ULL << 30, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "4294967296");
        assert_int_equal(cg_format_limit(&inf, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "max");
        assert_int_equal(cg_format_limit(&unset, 0, buf, sizeof(buf)), -EINVAL);
}

static void test_cpu_max(void **state) {
        char buf[64];

        cg_format_cpu_max(200000, 100000, buf, sizeof(buf));           /* 20% */
        assert_string_equal(buf, "20000 100000");
        cg_format_cpu_max(1500000, 100000, buf, sizeof(buf));          /* 150% */
        assert_string_equal(buf, "150000 100000");
        cg_format_cpu_max(200000, 0, buf, sizeof(buf));                /* default period */
        assert_string_equal(buf, "20000 100000");
        cg_format_cpu_max(500000, 10000, buf, sizeof(buf));            /* 50% of 10ms */
        assert_string_equal(buf, "5000 10000");
        cg_format_cpu_max(10000, 10000, buf, sizeof(buf));             /* 1%: 100us < 1ms floor */
        assert_string_equal(buf, "1000 10000");
        cg_format_cpu_max(200000, 100, buf, sizeof(buf));              /* period clamped up to 1ms */
        assert_string_equal(buf, "1000 1000");
        cg_format_cpu_max(200000, 5 * USEC_PER_SEC, buf, sizeof(buf)); /* and down to 1s */
        assert_string_equal(buf, "200000 1000000");
        cg_format_cpu_max(USEC_INFINITY, 100000, buf, sizeof(buf));
        assert_string_equal(buf, "max 100000");
}

/* issue 10 #11: now + timeout must not wrap into the past. */
static void test_deadline(void **state) {
        assert_true(cg_deadline_usec(100, 0) == 100);                  /* 0: look once */
        assert_true(cg_deadline_usec(100, 5) == 105);
        assert_true(cg_deadline_usec(100, USEC_INFINITY) == USEC_INFINITY);
        assert_true(cg_deadline_usec(100, USEC_INFINITY - 1) == USEC_INFINITY);   /* saturates */
        assert_true(cg_deadline_usec(100, USEC_INFINITY - 100) == USEC_INFINITY);
        assert_true(cg_deadline_usec(100, USEC_INFINITY - 101) == USEC_INFINITY - 1);
        assert_true(cg_deadline_usec(USEC_INFINITY - 1, 1) == USEC_INFINITY);
        assert_true(cg_deadline_usec(0, 0) == 0);

        assert_true(cg_left_usec(100, 105) == 5);
        assert_true(cg_left_usec(105, 105) == 0);
        assert_true(cg_left_usec(200, 105) == 0);                      /* passed: 0, not a wrap */
        assert_true(cg_left_usec(200, USEC_INFINITY) == USEC_INFINITY);

        assert_int_equal(cg_poll_timeout_msec(USEC_INFINITY), -1);
        assert_int_equal(cg_poll_timeout_msec(0), 0);
        assert_int_equal(cg_poll_timeout_msec(1), 1);                  /* rounded up, never early */
        assert_int_equal(cg_poll_timeout_msec(1000), 1);
        assert_int_equal(cg_poll_timeout_msec(1001), 2);
        assert_int_equal(cg_poll_timeout_msec((usec_t) INT_MAX * 1000 - 1), INT_MAX);
        assert_int_equal(cg_poll_timeout_msec(USEC_INFINITY - 1), INT_MAX);  /* capped, not negative */
}

/* cgroup.procs: a malformed line is refused, never read as 0 or -1. */
static void test_parse_pids(void **state) {
        pid_t *p = NULL;
        size_t n = 9;

        assert_int_equal(cg_parse_pids("", &p, &n), 0);
        assert_null(p);
        assert_int_equal(n, 0);
        assert_int_equal(cg_parse_pids("12\n345\n", &p, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(p[0], 12);
        assert_int_equal(p[1], 345);
        free(p);
        assert_int_equal(cg_parse_pids("7", &p, &n), 0);          /* no final newline */
        assert_int_equal(n, 1);
        free(p);
        p = NULL;
        assert_int_equal(cg_parse_pids("0\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("-1\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("2147483648\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("99999999999999999999999\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("12 13\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("12\n\n13\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids("+12\n", &p, &n), -EINVAL);
        assert_int_equal(cg_parse_pids(" 12\n", &p, &n), -EINVAL);
        assert_null(p);
        {
                char big[7 * 100 + 1] = "";

                for (int i = 1; i <= 100; i++)
                        (void) snprintf(big + strlen(big), sizeof(big) - strlen(big), "%d\n", 100000 + i);
                assert_int_equal(cg_parse_pids(big, &p, &n), 0);
                assert_int_equal(n, 100);
                assert_int_equal(p[99], 100100);
                free(p);
        }
}

static void test_io_max(void **state) {
        char buf[128];
        CgIOMax d = { makedev(8, 0), 1048576, UINT64_MAX, UINT64_MAX, 100 };

        cg_format_io_max(&d, buf, sizeof(buf));
        assert_string_equal(buf, "8:0 rbps=1048576 wbps=max riops=max wiops=100");
        d = (CgIOMax) { makedev(259, 3), UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
        cg_format_io_max(&d, buf, sizeof(buf));
        assert_string_equal(buf, "259:3 rbps=max wbps=max riops=max wiops=max");
}

static void test_parse_u64_or_max(void **state) {
        uint64_t v = 7;

        assert_int_equal(cg_parse_u64_or_max("max\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(cg_parse_u64_or_max("33554432\n", &v), 0);
        assert_int_equal(v, 33554432);
        assert_int_equal(cg_parse_u64_or_max("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(cg_parse_u64_or_max("maxi\n", &v), -EINVAL);
        assert_int_equal(cg_parse_u64_or_max("12k\n", &v), -EINVAL);
        assert_int_equal(cg_parse_u64_or_max("", &v), -EINVAL);
}

static void test_parse_keyed(void **state) {
        static const char events[] = "low 0\nhigh 3\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n";
        uint64_t v = 0;

        assert_int_equal(cg_parse_keyed(events, "oom", &v), 0);
        assert_int_equal(v, 2);                 /* not oom_kill's or oom_group_kill's */
        assert_int_equal(cg_parse_keyed(events, "oom_kill", &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(cg_parse_keyed(events, "max", &v), 0);
        assert_int_equal(v, 17);
        assert_int_equal(cg_parse_keyed(events, "kill", &v), -ENOENT);
        assert_int_equal(cg_parse_keyed("usage_usec 123456\nuser_usec 100\n", "usage_usec", &v), 0);
        assert_int_equal(v, 123456);
        assert_int_equal(cg_parse_keyed("populated x\n", "populated", &v), -EINVAL);
}

static void test_parse_cpu_max(void **state) {
        uint64_t v = 0;

        assert_int_equal(cg_parse_cpu_max("20000 100000\n", &v), 0);
        assert_int_equal(v, 200000);
        assert_int_equal(cg_parse_cpu_max("max 100000\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(cg_parse_cpu_max("5000 10000", &v), 0);
        assert_int_equal(v, 500000);
        assert_int_equal(cg_parse_cpu_max("5000\n", &v), -EINVAL);
        assert_int_equal(cg_parse_cpu_max("5000 0\n", &v), -EINVAL);
}

static void test_parse_io_stat(void **state) {
        static const char io[] =
                "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
                "259:0 rbytes=24 wbytes=76 rios=3 wios=4 dbytes=5 dios=6\n";
        uint64_t r, w;

        assert_int_equal(cg_parse_io_stat(io, &r, &w), 0);
        assert_int_equal(r, 1024);
        assert_int_equal(w, 2076);
        assert_int_equal(cg_parse_io_stat("", &r, &w), 0);
        assert_int_equal(r, 0);
        assert_int_equal(w, 0);
}

static void test_parse_pressure(void **state) {
        double d = 0;

        assert_int_equal(cg_parse_pressure("some avg10=12.50 avg60=1.00 avg300=0.00 total=123\n"
                                           "full avg10=3.00 avg60=0.00 avg300=0.00 total=5\n", &d), 0);
        assert_true(d > 12.49 && d < 12.51);
        assert_int_equal(cg_parse_pressure("full avg10=1.00\n", &d), -ENOENT);
        assert_int_equal(cg_parse_pressure("some total=3\n", &d), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_percent),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_cpu_max),
                cmocka_unit_test(test_io_max),
                cmocka_unit_test(test_parse_u64_or_max),
                cmocka_unit_test(test_parse_keyed),
                cmocka_unit_test(test_parse_cpu_max),
                cmocka_unit_test(test_parse_io_stat),
                cmocka_unit_test(test_parse_pressure),
                cmocka_unit_test(test_deadline),
                cmocka_unit_test(test_parse_pids),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
