/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service-log.h"

static void stamp(const char *tz, time_t sec, long nsec, char out[static SVC_LOG_TIMESTAMP_MAX]) {
        struct timespec ts = { .tv_sec = sec, .tv_nsec = nsec };

        setenv("TZ", tz, 1);
        tzset();
        assert_int_equal(svc_log_format_timestamp(&ts, out), 33);
}

static void test_timestamp_utc(void **state) {
        char s[SVC_LOG_TIMESTAMP_MAX];

        stamp("UTC0", 1796472000, 123456789, s);        /* 2026-12-05 12:00:00 UTC */
        assert_string_equal(s, "2026-12-05T12:00:00.123456+00:00 ");
        stamp("UTC0", 0, 0, s);
        assert_string_equal(s, "1970-01-01T00:00:00.000000+00:00 ");
        stamp("UTC0", 1796472000, 999999999, s);        /* truncated, never rounded up to .1000000 */
        assert_string_equal(s, "2026-12-05T12:00:00.999999+00:00 ");
}

static void test_timestamp_offsets(void **state) {
        char s[SVC_LOG_TIMESTAMP_MAX];

        /* POSIX TZ: "XXX-5:30" is 5h30 east of UTC. */
        stamp("IST-5:30", 1796472000, 1000, s);
        assert_string_equal(s, "2026-12-05T17:30:00.000001+05:30 ");
        stamp("NST3:30", 1796472000, 0, s);
        assert_string_equal(s, "2026-12-05T08:30:00.000000-03:30 ");
        stamp("EST5", 1796472000, 0, s);
        assert_string_equal(s, "2026-12-05T07:00:00.000000-05:00 ");
}

static void test_timestamp_bad(void **state) {
        char s[SVC_LOG_TIMESTAMP_MAX];
        struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000000 };

        setenv("TZ", "UTC0", 1);
        tzset();
        assert_int_equal(svc_log_format_timestamp(&ts, s), -EINVAL);
        ts = (struct timespec) { .tv_sec = (time_t) 1 << 40 };    /* year > 9999 */
        assert_int_equal(svc_log_format_timestamp(&ts, s), -EINVAL);
}

static void test_next_line(void **state) {
        size_t n;

        assert_int_equal(svc_log_next_line("abc\ndef", 7, 100, false, &n), 4);
        assert_int_equal(n, 3);
        assert_int_equal(svc_log_next_line("\n", 1, 100, false, &n), 1);     /* empty line */
        assert_int_equal(n, 0);
        /* a partial line waits ... */
        assert_int_equal(svc_log_next_line("def", 3, 100, false, &n), 0);
        assert_int_equal(svc_log_next_line("", 0, 100, true, &n), 0);
        /* ... until EOF flushes it */
        assert_int_equal(svc_log_next_line("def", 3, 100, true, &n), 3);
        assert_int_equal(n, 3);
}

static void test_next_line_split(void **state) {
        size_t n;

        /* longer than the bound: cut at it, the rest is the next line */
        assert_int_equal(svc_log_next_line("abcdefg\n", 8, 4, false, &n), 4);
        assert_int_equal(n, 4);
        assert_int_equal(svc_log_next_line("efg\n", 4, 4, false, &n), 4);
        assert_int_equal(n, 3);
        /* exactly the bound plus its newline: one line, no empty one after */
        assert_int_equal(svc_log_next_line("abcd\n", 5, 4, false, &n), 5);
        assert_int_equal(n, 4);
        /* exactly the bound, newline not seen yet: wait for one more byte */
        assert_int_equal(svc_log_next_line("abcd", 4, 4, false, &n), 0);
        assert_int_equal(svc_log_next_line("abcde", 5, 4, false, &n), 4);
        assert_int_equal(n, 4);
        assert_int_equal(svc_log_next_line("abcd", 4, 4, true, &n), 4);
}

static void test_next_line_default_bound(void **state) {
        size_t len = SVC_LOG_LINE_MAX + 1, n;
        char *buf = malloc(len);

        assert_non_null(buf);
        memset(buf, 'x', len);
        assert_int_equal(svc_log_next_line(buf, len, SVC_LOG_LINE_MAX, false, &n), 64 * 1024);
        assert_int_equal(n, 64 * 1024);
        free(buf);
}

static void test_file_name(void **state) {
        char s[NAME_MAX + 1], tiny[8];

        assert_int_equal(svc_log_file_name("web", 0, s, sizeof(s)), 7);
        assert_string_equal(s, "web.log");
        assert_int_equal(svc_log_file_name("worker@3", 5, s, sizeof(s)), 14);
        assert_string_equal(s, "worker@3.log.5");
        assert_int_equal(svc_log_file_name("web", 1000, s, sizeof(s)), 12);
        assert_string_equal(s, "web.log.1000");
        assert_int_equal(svc_log_file_name("web", 0, tiny, sizeof(tiny)), 7);
        assert_int_equal(svc_log_file_name("web", 1, tiny, sizeof(tiny)), -ENAMETOOLONG);
}

static void test_must_rotate(void **state) {
        assert_false(svc_log_must_rotate(0, 100, 10));           /* empty file: the line goes in */
        assert_false(svc_log_must_rotate(90, 10, 100));          /* exactly full */
        assert_true(svc_log_must_rotate(91, 10, 100));
        assert_true(svc_log_must_rotate(1, 200, 100));
        assert_false(svc_log_must_rotate(UINT64_MAX / 2, 10, 0));       /* 0: never */
}

static SvcLogHandoff handoff(const char *name, unsigned keep) {
        SvcLogHandoff h = { .magic = SVC_LOG_HANDOFF_MAGIC, .keep = keep, .max_bytes = 1 << 20 };

        memcpy(h.name, name, strlen(name));     /* the rest stays NUL */
        return h;
}

static void test_handoff_check(void **state) {
        SvcLogHandoff h = handoff("web@1", 5), long_name;

        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), 0);
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h) - 1), -EBADMSG);
        h.magic++;
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), -EBADMSG);
        h = handoff("", 5);
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), -EINVAL);
        h = handoff("a/b", 5);
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), -EINVAL);
        h = handoff("..", 5);
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), -EINVAL);
        h = handoff(".", 5);
        assert_int_equal(svc_log_handoff_check(&h, sizeof(h)), -EINVAL);
        /* 250 bytes: NAME.log fits NAME_MAX, NAME.log.5 does not */
        long_name = handoff("", 0);
        memset(long_name.name, 'x', 250);
        assert_int_equal(svc_log_handoff_check(&long_name, sizeof(long_name)), 0);
        long_name.keep = 5;
        assert_int_equal(svc_log_handoff_check(&long_name, sizeof(long_name)), -EINVAL);
        /* no NUL in the name field */
        memset(long_name.name, 'x', sizeof(long_name.name));
        long_name.keep = 0;
        assert_int_equal(svc_log_handoff_check(&long_name, sizeof(long_name)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timestamp_utc),
                cmocka_unit_test(test_timestamp_offsets),
                cmocka_unit_test(test_timestamp_bad),
                cmocka_unit_test(test_next_line),
                cmocka_unit_test(test_next_line_split),
                cmocka_unit_test(test_next_line_default_bound),
                cmocka_unit_test(test_file_name),
                cmocka_unit_test(test_must_rotate),
                cmocka_unit_test(test_handoff_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
