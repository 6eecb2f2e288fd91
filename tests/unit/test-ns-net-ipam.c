/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns-net-internal.h"

static NsIpam ipam_new(const char *subnet, uint8_t prefixlen) {
        NsIpam i = { .prefixlen = prefixlen };

        assert_int_equal(inet_pton(AF_INET, subnet, &i.subnet), 1);
        return i;
}

static const char *acquire(NsIpam *i, const char *name, int expect) {
        static char buf[INET_ADDRSTRLEN];
        struct in_addr a = {};
        CrlError e = {};

        assert_int_equal(ns_ipam_acquire(i, name, NULL, 0, &a, &e), expect);
        if (expect < 0) {
                assert_int_equal(e.error, -expect);
                return e.message[0] ? "error" : NULL;
        }
        return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static int acquire_fixed(NsIpam *i, const char *name, const char *addr, uint8_t prefixlen, CrlError *e) {
        struct in_addr a, got = {};

        assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
        crl_error_clear(e);
        return ns_ipam_acquire(i, name, &a, prefixlen, &got, e);
}

static void test_auto_sequence_and_idempotent(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);

        assert_string_equal(acquire(&i, "web", 0), "10.89.0.2");
        assert_string_equal(acquire(&i, "db", 0), "10.89.0.3");
        assert_string_equal(acquire(&i, "web", 0), "10.89.0.2");
        assert_int_equal(i.n, 2);
        ns_ipam_done(&i);
}

static void test_restart_keeps_address(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);

        assert_string_equal(acquire(&i, "a", 0), "10.89.0.2");
        assert_int_equal(ns_ipam_release(&i, "a"), 1);
        assert_false(ns_ipam_find(&i, "a")->active);
        /* a new service does not take a's idle address while others are free */
        assert_string_equal(acquire(&i, "b", 0), "10.89.0.3");
        assert_string_equal(acquire(&i, "a", 0), "10.89.0.2");
        assert_true(ns_ipam_find(&i, "a")->active);
        assert_int_equal(ns_ipam_release(&i, "nobody"), 0);
        ns_ipam_done(&i);
}

static void test_small_subnet_full(void **state) {
        NsIpam i = ipam_new("10.99.0.0", 30);
        struct in_addr a;
        CrlError e = {};

        assert_string_equal(acquire(&i, "one", 0), "10.99.0.2");
        assert_int_equal(ns_ipam_acquire(&i, "two", NULL, 0, &a, &e), -ENOSPC);
        assert_non_null(strstr(e.message, "10.99.0.0/30 is full"));
        assert_non_null(strstr(e.message, "'one'"));
        assert_null(ns_ipam_find(&i, "two"));
        /* once one is stopped, its idle lease is reclaimed rather than failing */
        ns_ipam_release(&i, "one");
        assert_string_equal(acquire(&i, "two", 0), "10.99.0.2");
        assert_null(ns_ipam_find(&i, "one"));
        ns_ipam_done(&i);
}

static void test_no_room_at_all(void **state) {
        NsIpam i31 = ipam_new("10.99.0.0", 31), i32 = ipam_new("10.99.0.7", 32);
        struct in_addr a;
        CrlError e = {};

        assert_int_equal(ns_ipam_acquire(&i31, "x", NULL, 0, &a, &e), -ENOSPC);
        assert_non_null(strstr(e.message, "no address"));
        crl_error_clear(&e);
        assert_int_equal(ns_ipam_acquire(&i32, "x", NULL, 0, &a, &e), -ENOSPC);
}

static void test_fixed_address(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);
        CrlError e = {};

        assert_int_equal(acquire_fixed(&i, "web", "10.89.0.50", 24, &e), 0);
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.50", 24, &e), -EADDRINUSE);
        assert_non_null(strstr(e.message, "'web'"));
        assert_int_equal(acquire_fixed(&i, "db", "10.90.0.5", 24, &e), -EINVAL);
        assert_non_null(strstr(e.message, "not in the bridge's subnet 10.89.0.0/24"));
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.5", 16, &e), -EINVAL);
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.1", 24, &e), -EINVAL);
        assert_non_null(strstr(e.message, "gateway"));
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.0", 24, &e), -EINVAL);
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.255", 24, &e), -EINVAL);
        /* auto skips a fixed lease */
        assert_string_equal(acquire(&i, "db", 0), "10.89.0.2");
        /* a fixed address replaces the service's earlier auto lease */
        assert_int_equal(acquire_fixed(&i, "db", "10.89.0.60", 24, &e), 0);
        assert_int_equal(i.n, 2);
        /* an idle lease of another service is taken over */
        ns_ipam_release(&i, "web");
        assert_int_equal(acquire_fixed(&i, "new", "10.89.0.50", 24, &e), 0);
        assert_null(ns_ipam_find(&i, "web"));
        ns_ipam_done(&i);
}

static void test_parse_format_roundtrip(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);
        _cleanup_free_ char *text = NULL;
        static const char in[] =
                "# comment\n"
                "10.89.0.2 web active tcp:8080:80\n"
                "10.89.0.3 db idle\n"
                "garbage\n"
                "10.89.0.4 web active\n"         /* name twice: dropped */
                "10.89.0.3 other active\n"       /* address twice: dropped */
                "10.90.0.9 far active\n"         /* outside: dropped */
                "10.89.0.9 odd sleeping\n"       /* bad state: dropped */
                "300.1.1.1 bad active\n";

        assert_int_equal(ns_ipam_parse(&i, in), 0);
        assert_int_equal(i.n, 2);
        assert_string_equal(ns_ipam_find(&i, "web")->ports, "tcp:8080:80");
        assert_false(ns_ipam_find(&i, "db")->active);
        assert_int_equal(ns_ipam_format(&i, &text), 0);
        assert_non_null(strstr(text, "\n10.89.0.2 web active tcp:8080:80\n10.89.0.3 db idle\n"));
        ns_ipam_done(&i);
        i = ipam_new("10.89.0.0", 24);
        assert_int_equal(ns_ipam_parse(&i, text), 0);
        assert_int_equal(i.n, 2);
        assert_int_equal(ns_ipam_parse(&i, NULL), 0);
        ns_ipam_done(&i);
}

static void test_forget(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);

        acquire(&i, "a", 0);
        assert_int_equal(ns_ipam_forget(&i, "a"), 1);
        assert_int_equal(ns_ipam_forget(&i, "a"), 0);
        assert_int_equal(i.n, 0);
        ns_ipam_done(&i);
}

/* a bridge made by someone else: its own address is the gateway, anywhere
 * in the subnet, and never handed out */
static void test_foreign_gateway(void **state) {
        NsIpam i = ipam_new("192.168.7.0", 24), k = ipam_new("10.1.0.0", 30);
        CrlError e = {};

        inet_pton(AF_INET, "192.168.7.20", &i.gateway);
        assert_string_equal(acquire(&i, "a", 0), "192.168.7.1");
        assert_int_equal(acquire_fixed(&i, "b", "192.168.7.20", 24, &e), -EINVAL);
        assert_non_null(strstr(e.message, "gateway"));
        assert_int_equal(acquire_fixed(&i, "b", "192.168.7.2", 24, &e), 0);
        inet_pton(AF_INET, "10.1.0.2", &k.gateway);
        assert_string_equal(acquire(&k, "a", 0), "10.1.0.1");
        assert_string_equal(acquire(&k, "b", -ENOSPC), "error");
        ns_ipam_done(&i);
        ns_ipam_done(&k);
}

static void test_gateway(void **state) {
        NsIpam i = ipam_new("10.89.0.77", 24);
        struct in_addr g = ns_ipam_gateway(&i);
        char b[INET_ADDRSTRLEN];

        assert_string_equal(inet_ntop(AF_INET, &g, b, sizeof(b)), "10.89.0.1");
}

static void test_ports_format_parse(void **state) {
        static const PortForward p[] = {
                { IPPROTO_TCP, 8080, 80 },
                { IPPROTO_UDP, 53, 5353 },
        };
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ PortForward *back = NULL;
        PortForward *bad = NULL;
        size_t n = 0;

        assert_int_equal(ns_ports_format(p, 2, &s), 0);
        assert_string_equal(s, "tcp:8080:80,udp:53:5353");
        assert_int_equal(ns_ports_parse(s, &back, &n), 0);
        assert_int_equal(n, 2);
        assert_memory_equal(back, p, sizeof(p));
        assert_int_equal(ns_ports_parse("sctp:1:1", &bad, &n), -EINVAL);
        assert_int_equal(ns_ports_parse("tcp:0:1", &bad, &n), -EINVAL);
        assert_int_equal(ns_ports_parse("tcp:70000:1", &bad, &n), -EINVAL);
        assert_int_equal(ns_ports_parse("tcp:80", &bad, &n), -EINVAL);
        assert_int_equal(ns_ports_parse("", &bad, &n), 0);
        assert_int_equal(n, 0);
        free(bad);
}

static void test_ports_check(void **state) {
        NsIpam i = ipam_new("10.89.0.0", 24);
        static const PortForward p8080 = { IPPROTO_TCP, 8080, 80 }, u8080 = { IPPROTO_UDP, 8080, 80 };
        const PortForward twice[] = { u8080, u8080 };
        CrlError e = {};

        acquire(&i, "web", 0);
        assert_int_equal(ns_ipam_set_ports(&i, "web", &p8080, 1), 0);
        assert_int_equal(ns_ipam_ports_check(&i, "web", &p8080, 1, &e), 0);
        assert_int_equal(ns_ipam_ports_check(&i, "other", &u8080, 1, &e), 0);
        assert_int_equal(ns_ipam_ports_check(&i, "other", &p8080, 1, &e), -EADDRINUSE);
        assert_non_null(strstr(e.message, "tcp:8080"));
        assert_non_null(strstr(e.message, "'web'"));
        crl_error_clear(&e);
        assert_int_equal(ns_ipam_ports_check(&i, "other", twice, 2, &e), -EINVAL);
        /* a stopped service's ports are free again */
        ns_ipam_release(&i, "web");
        assert_null(ns_ipam_find(&i, "web")->ports);
        assert_int_equal(ns_ipam_ports_check(&i, "other", &p8080, 1, &e), 0);
        assert_int_equal(ns_ipam_set_ports(&i, "nobody", &p8080, 1), -ENOENT);
        ns_ipam_done(&i);
}

/* Random acquire/release/forget/restore sequences on a /28: no two active
 * leases ever share an address, every address is usable, and the state text
 * round-trips. */
static void test_never_twice(void **state) {
        NsIpam i = ipam_new("10.89.0.16", 28);
        unsigned seed = 1;

        for (int step = 0; step < 5000; step++) {
                char name[8];
                struct in_addr a;
                CrlError e = {};
                int op;

                seed = seed * 1103515245u + 12345u;
                snprintf(name, sizeof(name), "s%u", (seed >> 8) % 20);
                op = (seed >> 20) % 4;
                if (op <= 1) {
                        int r = ns_ipam_acquire(&i, name, NULL, 0, &a, &e);
                        assert_true(r == 0 || r == -ENOSPC);
                        if (r == 0)
                                assert_true(ntohl(a.s_addr) >= 0x0a590012 && ntohl(a.s_addr) <= 0x0a59001e);
                } else if (op == 2)
                        ns_ipam_release(&i, name);
                else
                        ns_ipam_forget(&i, name);
                for (size_t x = 0; x < i.n; x++)
                        for (size_t y = x + 1; y < i.n; y++) {
                                assert_int_not_equal(i.entries[x].addr.s_addr, i.entries[y].addr.s_addr);
                                assert_string_not_equal(i.entries[x].name, i.entries[y].name);
                        }
                if (step % 500 == 0) {
                        _cleanup_free_ char *text = NULL;
                        NsIpam j = ipam_new("10.89.0.16", 28);

                        assert_int_equal(ns_ipam_format(&i, &text), 0);
                        assert_int_equal(ns_ipam_parse(&j, text), 0);
                        assert_int_equal(j.n, i.n);
                        ns_ipam_done(&j);
                }
        }
        ns_ipam_done(&i);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_auto_sequence_and_idempotent),
                cmocka_unit_test(test_restart_keeps_address),
                cmocka_unit_test(test_small_subnet_full),
                cmocka_unit_test(test_no_room_at_all),
                cmocka_unit_test(test_fixed_address),
                cmocka_unit_test(test_parse_format_roundtrip),
                cmocka_unit_test(test_forget),
                cmocka_unit_test(test_gateway),
                cmocka_unit_test(test_foreign_gateway),
                cmocka_unit_test(test_ports_format_parse),
                cmocka_unit_test(test_ports_check),
                cmocka_unit_test(test_never_twice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
