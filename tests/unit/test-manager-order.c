/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start order by After= and the cycle messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager-order.h"
#include "strv.h"

static size_t pos(const size_t *order, size_t n, size_t i) {
        for (size_t k = 0; k < n; k++)
                if (order[k] == i)
                        return k;
        return SIZE_MAX;
}

static void test_chain(void **state) {
        char *names[] = { "c", "b", "a", "d", NULL };
        char *c_after[] = { "b", NULL }, *b_after[] = { "a", "network.target", NULL };
        char **after[] = { c_after, b_after, NULL, NULL };
        bool in_cycle[4];
        size_t *order, n;
        char **cycles;

        assert_int_equal(mgr_order_units(4, names, after, &order, &n, in_cycle, &cycles), 0);
        assert_int_equal(n, 4);
        assert_null(cycles);
        assert_true(pos(order, n, 2) < pos(order, n, 1));
        assert_true(pos(order, n, 1) < pos(order, n, 0));
        assert_false(in_cycle[0] || in_cycle[1] || in_cycle[2] || in_cycle[3]);
        free(order);
}

static void test_cycle(void **state) {
        char *names[] = { "a", "b", "c", "x", "y", NULL };
        char *a_after[] = { "b", NULL }, *b_after[] = { "c", NULL }, *c_after[] = { "a", NULL };
        char *x_after[] = { "a", NULL }, *y_after[] = { "y", NULL };
        char **after[] = { a_after, b_after, c_after, x_after, y_after };
        bool in_cycle[5];
        size_t *order, n;
        char **cycles;

        assert_int_equal(mgr_order_units(5, names, after, &order, &n, in_cycle, &cycles), 0);
        assert_int_equal(strv_length(cycles), 2);
        assert_string_equal(cycles[0], "a -> b -> c -> a");
        assert_string_equal(cycles[1], "y -> y");
        assert_true(in_cycle[0] && in_cycle[1] && in_cycle[2] && in_cycle[4]);
        /* x is after a unit on the cycle, not on it: it stays, in order. */
        assert_false(in_cycle[3]);
        assert_int_equal(n, 1);
        assert_int_equal(order[0], 3);
        free(order);
        strv_free(cycles);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_chain),
                cmocka_unit_test(test_cycle),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
