/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crl_dlopen_syms(): every function found, or nothing kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "dl-util.h"
#include "macros.h"

static void test_found(void **state) {
        size_t (*len)(const char *) = NULL;
        int (*cmp)(const char *, const char *) = NULL;
        const CrlDlSym syms[] = { { "strlen", (void **) &len }, { "strcmp", (void **) &cmp } };
        CrlError e = {};
        void *dl = NULL;

        assert_int_equal(crl_dlopen_syms("libc.so.6", syms, ELEMENTSOF(syms), &dl, &e), 0);
        assert_non_null(dl);
        assert_int_equal(len("corral"), 6);
        assert_int_equal(cmp("a", "a"), 0);
        assert_int_equal(dlclose(dl), 0);
}

static void test_missing_function(void **state) {
        size_t (*len)(const char *) = NULL;
        void (*none)(void) = NULL;
        const CrlDlSym syms[] = { { "strlen", (void **) &len }, { "corral_no_such_function", (void **) &none } };
        CrlError e = {};
        void *dl = (void *) 1;

        assert_int_equal(crl_dlopen_syms("libc.so.6", syms, ELEMENTSOF(syms), &dl, &e), -ELIBBAD);
        assert_null(dl);
        assert_null(len);       /* the one found is not kept either */
        assert_null(none);
        assert_string_equal(e.message, "libc.so.6 lacks a function corral uses");
}

static void test_missing_library(void **state) {
        size_t (*len)(const char *) = (size_t (*)(const char *)) strlen;
        const CrlDlSym syms[] = { { "strlen", (void **) &len } };
        CrlError e = {};
        void *dl = (void *) 1;

        assert_int_equal(crl_dlopen_syms("libcorral-no-such.so.0", syms, ELEMENTSOF(syms), &dl, &e), -ELIBACC);
        assert_null(dl);
        assert_null(len);
        assert_non_null(strstr(e.message, "cannot load libcorral-no-such.so.0: "));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_found),
                cmocka_unit_test(test_missing_function),
                cmocka_unit_test(test_missing_library),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
