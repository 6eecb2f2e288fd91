/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl's formatters (ctl-format.c): sizes, time spans and time stamps
 * as list, status and top print them, and when colour is used. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static void expect_bytes(uint64_t bytes, const char *want) {
        char buf[CTL_FORMAT_BYTES_MAX];

        assert_string_equal(ctl_format_bytes(buf, bytes), want);
}

static void test_bytes(void **state) {
        expect_bytes(0, "0B");
        expect_bytes(512, "512B");
        expect_bytes(1023, "1023B");
        expect_bytes(1024, "1.0K");
        expect_bytes(1536, "1.5K");
        expect_bytes(12897485, "12.3M");                 /* the spec's example */
        expect_bytes(64ULL << 20, "64.0M");
        expect_bytes(1536ULL << 20, "1.5G");
        expect_bytes(99ULL << 10, "99.0K");
        expect_bytes(100ULL << 10, "100K");             /* no decimal from 100 on */
        expect_bytes(1023ULL << 10, "1023K");
        expect_bytes(UINT64_MAX, "-");                  /* unlimited / unknown */
        expect_bytes(UINT64_MAX - 1, "16.0E");
}

/* Rounding must not print a number the next unit would show: 99.97K is
 * not "100.0K", 1023.9K is not "1024K". */
static void test_bytes_rounding(void **state) {
        expect_bytes(102370, "100K");                   /* 99.97K */
        expect_bytes(1048575, "1.0M");                  /* 1 byte under 1M */
        expect_bytes((1ULL << 30) - 1, "1.0G");
        expect_bytes(1047961, "1023K");                 /* 1023.4K stays K */
}

static void test_bytes_fit(void **state) {
        char buf[CTL_FORMAT_BYTES_MAX];

        /* Every value fits the column list and top give it (6). */
        for (uint64_t v = 1; v < UINT64_MAX / 3; v = v * 3 + 1)
                assert_true(strlen(ctl_format_bytes(buf, v)) <= 6);
}

static void expect_timespan(uint64_t usec, const char *want) {
        char buf[CTL_FORMAT_TIMESPAN_MAX];

        assert_string_equal(ctl_format_timespan(buf, usec), want);
}

#define MS 1000ULL
#define SEC (1000 * MS)
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static void test_timespan(void **state) {
        expect_timespan(0, "0");
        expect_timespan(1, "1us");
        expect_timespan(999, "999us");
        expect_timespan(1500, "1ms");                   /* below a second one unit */
        expect_timespan(850 * MS, "850ms");
        expect_timespan(SEC, "1s");
        expect_timespan(SEC + 200 * MS, "1s 200ms");
        expect_timespan(MINUTE, "1min");
        expect_timespan(3 * MINUTE + 12 * SEC + 5 * MS, "3min 12s");
        expect_timespan(HOUR + 2 * MINUTE + 3 * SEC, "1h 2min");
        expect_timespan(2 * DAY + 3 * HOUR, "2d 3h");
        expect_timespan(HOUR + 3 * SEC, "1h");          /* never "1h 0min 3s" */
        expect_timespan(7 * DAY, "1w");
}

static void test_timespan_large(void **state) {
        char buf[CTL_FORMAT_TIMESPAN_MAX];

        assert_string_equal(ctl_format_timespan(buf, 31557600ULL * SEC), "1y");
        assert_string_equal(ctl_format_timespan(buf, 31557600ULL * SEC + 2629800ULL * SEC), "1y 1month");
        /* The largest value: 584554 years and less than a month. */
        assert_string_equal(ctl_format_timespan(buf, UINT64_MAX), "584542y");
}

static void test_timestamp(void **state) {
        char buf[CTL_FORMAT_TIMESTAMP_MAX];

        assert_string_equal(ctl_format_timestamp(buf, 0), "n/a");
        assert_string_equal(ctl_format_timestamp(buf, 1796523558123456ULL), "Sun 2026-12-06 02:19:18 UTC");
        assert_string_equal(ctl_format_timestamp(buf, 1000000ULL), "Thu 1970-01-01 00:00:01 UTC");
}

/* A terminal to test colour on: the slave side of a new pty (its master
 * stays open, or the slave is hung up and no longer a terminal). */
static int open_pty(int *ret_master) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        *ret_master = master;
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
                return -1;
        return open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static void test_color(void **state) {
        int fds[2], master, tty = open_pty(&master);

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        unsetenv("NO_COLOR");
        setenv("TERM", "xterm", 1);
        assert_false(ctl_use_color(fds[1]));            /* not a terminal */
        if (tty < 0) {
                if (master >= 0)
                        close(master);
                close(fds[0]);
                close(fds[1]);
                skip();
        }
        assert_true(ctl_use_color(tty));
        setenv("NO_COLOR", "1", 1);
        assert_false(ctl_use_color(tty));
        /* no-color.org: only a NO_COLOR that is set and not empty counts. */
        setenv("NO_COLOR", "", 1);
        assert_true(ctl_use_color(tty));
        unsetenv("NO_COLOR");
        setenv("TERM", "dumb", 1);
        assert_false(ctl_use_color(tty));
        close(tty);
        close(master);
        close(fds[0]);
        close(fds[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bytes),
                cmocka_unit_test(test_bytes_rounding),
                cmocka_unit_test(test_bytes_fit),
                cmocka_unit_test(test_timespan),
                cmocka_unit_test(test_timespan_large),
                cmocka_unit_test(test_timestamp),
                cmocka_unit_test(test_color),
        };

        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
