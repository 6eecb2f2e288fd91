/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Object path labels of services (spec §4): every byte outside [A-Za-z0-9]
 * as _XX, lowercase hex; the way back accepts only that one spelling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bus-internal.h"

static void expect_escape(const char *name, const char *label) {
        char *got = NULL, *back = NULL;

        assert_int_equal(bus_label_escape(name, &got), 0);
        assert_string_equal(got, label);
        assert_int_equal(bus_label_unescape(got, &back), 0);
        assert_string_equal(back, name);
        free(got);
        free(back);
}

static void test_escape(void **state) {
        expect_escape("web", "web");
        expect_escape("web-1", "web_2d1");              /* the spec's example */
        expect_escape("worker@3", "worker_403");
        expect_escape("a.b_c", "a_2eb_5fc");
        expect_escape("_", "_5f");
        /* Unlike systemd's bus_label_escape(), a leading digit stays: the
         * spec escapes only bytes outside [A-Za-z0-9]. */
        expect_escape("3web", "3web");
        expect_escape("ABCxyz019", "ABCxyz019");
        expect_escape("\xc3\xa9t\xc3\xa9", "_c3_a9t_c3_a9"); /* bytes, not characters */
        expect_escape("\x7f\x01", "_7f_01");
}

static void test_escape_empty(void **state) {
        char *got = NULL;

        assert_int_equal(bus_label_escape("", &got), -EINVAL);
        assert_int_equal(bus_label_escape(NULL, &got), -EINVAL);
        assert_null(got);
}

static void test_escape_longest_name(void **state) {
        char name[65], *got = NULL;

        memset(name, '-', 64);
        name[64] = 0;
        assert_int_equal(bus_label_escape(name, &got), 0);
        assert_int_equal(strlen(got), 192);
        free(got);
}

static void test_unescape_refuses(void **state) {
        static const char *const bad[] = {
                "", "web_2D1" /* uppercase hex */, "web_2", "web_", "web_zz", "web_g0",
                "web_41" /* 'A' needs no escape: two paths for one service */,
                "web_30" /* '0' likewise */, "_00" /* NUL */, "a-b", "a/b", "a.b", "a b",
        };
        char *got = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(bus_label_unescape(bad[i], &got), -EINVAL);
                assert_null(got);
        }
}

static void test_object_path(void **state) {
        char *p = NULL;

        assert_int_equal(bus_service_object_path("web-1", &p), 0);
        assert_string_equal(p, "/org/corral1/service/web_2d1");
        free(p);
        p = NULL;
        assert_int_equal(bus_service_object_path("", &p), -EINVAL);
        assert_null(p);
}

static void expect_sanitized(const char *in, const char *out) {
        char *got = bus_utf8_sanitize(in);

        assert_non_null(got);
        assert_string_equal(got, out);
        assert_true(bus_utf8_valid(got));
        assert_int_equal(bus_utf8_valid(in), streq(in, out));
        free(got);
}

static void test_utf8(void **state) {
        expect_sanitized("", "");
        expect_sanitized("plain", "plain");
        expect_sanitized("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        expect_sanitized("caf\xe9", "caf?");                   /* Latin-1 */
        expect_sanitized("\xc3", "?");                          /* cut sequence */
        expect_sanitized("\xe2\x82", "??");
        expect_sanitized("\xc0\xaf", "??");                     /* overlong '/' */
        expect_sanitized("\xe0\x80\xaf", "???");
        expect_sanitized("\xed\xa0\x80", "???");                /* surrogate U+D800 */
        expect_sanitized("\xf4\x90\x80\x80", "????");           /* U+110000 */
        expect_sanitized("\xef\xbf\xbe", "???");                /* noncharacter U+FFFE */
        expect_sanitized("\xff\xfe", "??");
        expect_sanitized("a\x80" "b", "a?b");                      /* stray continuation */
}

static void test_utf8_prefix(void **state) {
        assert_int_equal(bus_utf8_prefix("abc", 80), 3);
        assert_int_equal(bus_utf8_prefix("abcdef", 3), 3);
        /* "a" + "é" (2 bytes): a cut at 2 would split the é. */
        assert_int_equal(bus_utf8_prefix("a\xc3\xa9z", 2), 1);
        assert_int_equal(bus_utf8_prefix("a\xc3\xa9z", 3), 3);
        assert_int_equal(bus_utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 5), 3);
        assert_int_equal(bus_utf8_prefix("", 5), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_escape_empty),
                cmocka_unit_test(test_escape_longest_name),
                cmocka_unit_test(test_unescape_refuses),
                cmocka_unit_test(test_object_path),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_utf8_prefix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
