/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver's record: what the parent accepts (exactly one whole,
 * consistent record) and what it refuses, and that a record carries the
 * resolver's error as ns_creds_resolve() set it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ns-creds-wire.h"

static NsCredsWire w;   /* 21 KiB: not on the stack */

static void encode_user(void) {
        gid_t groups[] = { 100, 4, 27 };
        NsCreds c = {
                .set_ids = true, .uid = 1000, .gid = 100, .set_groups = true,
                .groups = groups, .n_groups = 3,
                .user_name = (char *) "alice", .home = (char *) "/home/alice", .shell = (char *) "/bin/sh",
        };

        ns_creds_wire_encode(&w, 0, &c, NULL);
}

static void test_roundtrip(void **state) {
        NsCreds *c = NULL;
        CrlError e = {};

        encode_user();
        assert_int_equal(ns_creds_wire_decode(&w, sizeof(w), &c, &e), 0);
        assert_false(crl_error_isset(&e));
        assert_true(c->set_ids && c->set_groups);
        assert_int_equal(c->uid, 1000);
        assert_int_equal(c->gid, 100);
        assert_int_equal(c->n_groups, 3);
        assert_int_equal(c->groups[0], 100);
        assert_int_equal(c->groups[2], 27);
        assert_string_equal(c->user_name, "alice");
        assert_string_equal(c->home, "/home/alice");
        assert_string_equal(c->shell, "/bin/sh");
        c = ns_creds_free(c);

        /* No passwd entry (no User=, or a number without one): no strings. */
        ns_creds_wire_encode(&w, 0, &(NsCreds) { .set_ids = true, .uid = 4242, .gid = 4242, .set_groups = true }, NULL);
        assert_int_equal(ns_creds_wire_decode(&w, sizeof(w), &c, &e), 0);
        assert_null(c->user_name);
        assert_null(c->home);
        assert_int_equal(c->n_groups, 0);
        assert_null(c->groups);
        assert_int_equal(c->uid, 4242);
        ns_creds_free(c);
}

static void test_error(void **state) {
        CrlError in = {}, out = {};
        NsCreds *c = NULL;

        (void) crl_error_set(&in, ESRCH, "step 'uid': User='%s': no such user", "x");
        ns_creds_wire_encode(&w, -ESRCH, NULL, &in);
        assert_int_equal(ns_creds_wire_decode(&w, sizeof(w), &c, &out), -ESRCH);
        assert_null(c);
        assert_int_equal(out.error, ESRCH);
        assert_string_equal(out.message, "step 'uid': User='x': no such user");

        /* Without a message (ENOMEM): the errno alone, reterr untouched, as in-process. */
        out = (CrlError) {};
        ns_creds_wire_encode(&w, -ENOMEM, NULL, &(CrlError) {});
        assert_int_equal(ns_creds_wire_decode(&w, sizeof(w), &c, &out), -ENOMEM);
        assert_false(crl_error_isset(&out));
}

/* Each defect alone makes the record refused, with nothing allocated. */
static void test_refused(void **state) {
        static char buf[sizeof(NsCredsWire) + 1];
        NsCreds *c = NULL;
        CrlError e = {};

        encode_user();
        memcpy(buf, &w, sizeof(w));
        assert_int_equal(ns_creds_wire_decode(buf, 0, &c, &e), -EBADMSG);
        assert_int_equal(ns_creds_wire_decode(buf, sizeof(w) - 1, &c, &e), -EBADMSG);
        assert_int_equal(ns_creds_wire_decode(buf, sizeof(w) + 1, &c, &e), -EBADMSG);
        /* unaligned, but whole: fine */
        memcpy(buf + 1, &w, sizeof(w));
        assert_int_equal(ns_creds_wire_decode(buf + 1, sizeof(w), &c, &e), 0);
        c = ns_creds_free(c);

#define REFUSED(mutation)                                                               \
        do {                                                                            \
                encode_user();                                                          \
                mutation;                                                               \
                assert_int_equal(ns_creds_wire_decode(&w, sizeof(w), &c, &e), -EBADMSG); \
                assert_null(c);                                                         \
                assert_false(crl_error_isset(&e));                                      \
        } while (0)

        REFUSED(w.magic ^= 1);
        REFUSED(w.n_groups = NS_CREDS_GROUPS_MAX + 1);
        REFUSED(w.n_groups = UINT32_MAX);
        REFUSED(w.set_ids = 2);
        REFUSED(w.has_user = 2);
        REFUSED(w.reserved = 1);
        REFUSED(w.name_len = 4);                        /* "alic" then no NUL */
        REFUSED(w.name_len = 6);                        /* past the NUL */
        REFUSED(w.shell_len = NS_CREDS_STRINGS_SIZE);   /* beyond the strings */
        REFUSED(w.name_len = UINT32_MAX);
        REFUSED(w.has_user = 0);                        /* lengths without a user */
        REFUSED(w.strings[2] = 0);                      /* a NUL inside the name */
        REFUSED(w.error = -1);
        REFUSED(w.error = 100000);
        REFUSED((w.error = EIO, memset(w.message, 'x', sizeof(w.message))));   /* no NUL */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_error),
                cmocka_unit_test(test_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
