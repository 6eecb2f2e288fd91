/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ns-net-internal.h"
#include "ns-net.h"

static void test_ifname_short(void **state) {
        char n[IFNAMSIZ];

        ns_net_ifname("web", 0, n);
        assert_string_equal(n, "vc-web");
        ns_net_ifname("exactly12chr", 0, n);    /* 3 + 12 = 15: still fits */
        assert_string_equal(n, "vc-exactly12chr");
}

static void test_ifname_long_unique(void **state) {
        char a[IFNAMSIZ], b[IFNAMSIZ], a1[IFNAMSIZ], again[IFNAMSIZ];

        ns_net_ifname("worker-pool@instance-1", 0, a);
        ns_net_ifname("worker-pool@instance-2", 0, b);
        ns_net_ifname("worker-pool@instance-1", 1, a1);
        ns_net_ifname("worker-pool@instance-1", 0, again);
        assert_int_equal(strlen(a), IFNAMSIZ - 1);
        assert_int_equal(strncmp(a, "vc-worker-", 10), 0);
        assert_string_not_equal(a, b);
        assert_string_not_equal(a, a1);
        assert_string_equal(a, again);  /* stable: a restarted corrald finds it */
        /* a short name that collided retries in the hashed form */
        ns_net_ifname("web", 1, a);
        assert_int_equal(strlen(a), strlen("vc-web-") + 5);
        assert_int_equal(strncmp(a, "vc-web-", 7), 0);
}

static NsIpam sample(void) {
        NsIpam i = { .prefixlen = 24 };

        inet_pton(AF_INET, "10.89.0.0", &i.subnet);
        assert_int_equal(ns_ipam_parse(&i,
                "10.89.0.2 web active tcp:8080:80,udp:5353:53\n"
                "10.89.0.3 db active\n"
                "10.89.0.4 old idle\n"), 0);
        return i;
}

static void test_nft_script(void **state) {
        NsIpam i = sample(), j = { .prefixlen = 24 };
        NsNftBridge br[] = { { "corral0", &i, true }, { "br1", &j, false } };
        _cleanup_free_ char *s = NULL;

        assert_int_equal(inet_pton(AF_INET, "192.168.7.0", &j.subnet), 1);
        assert_int_equal(ns_ipam_parse(&j, "192.168.7.20 lan active tcp:9000:9000\n"), 0);
        assert_int_equal(ns_nft_script(br, 2, &s), 0);
        /* replaces only its own table, atomically */
        assert_int_equal(strncmp(s, "table inet corral {}\ndelete table inet corral\ntable inet corral {\n", 64), 0);
        assert_non_null(strstr(s, "meta l4proto tcp th dport 8080 dnat ip to 10.89.0.2:80 comment \"web\""));
        assert_non_null(strstr(s, "meta l4proto udp th dport 5353 dnat ip to 10.89.0.2:53"));
        assert_non_null(strstr(s, "ip saddr 10.89.0.0/24 ip daddr != 10.89.0.0/24 masquerade"));
        assert_non_null(strstr(s, "oifname \"corral0\" ip saddr 127.0.0.0/8 masquerade"));
        assert_non_null(strstr(s, "type nat hook output"));
        assert_null(strstr(s, "10.89.0.4"));
        assert_null(strstr(s, "ip filter"));
        /* a second bridge: its ports and its own masquerade */
        assert_non_null(strstr(s, "th dport 9000 dnat ip to 192.168.7.20:9000 comment \"lan\""));
        assert_non_null(strstr(s, "ip saddr 192.168.7.0/24 ip daddr != 192.168.7.0/24 masquerade"));
        assert_non_null(strstr(s, "oifname \"br1\" ip saddr 127.0.0.0/8 masquerade"));
        /* the guard: no packet from a bridge reaches 127.0.0.0/8 unless a
         * Port= rule rewrote it; corrald's bridge takes only its subnet as
         * source, another bridge no loopback source */
        assert_non_null(strstr(s, "type filter hook prerouting priority filter"));
        assert_non_null(strstr(s, "iifname \"corral0\" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop"));
        assert_non_null(strstr(s, "iifname \"br1\" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop"));
        assert_non_null(strstr(s, "iifname \"corral0\" ip saddr != 10.89.0.0/24 drop"));
        assert_null(strstr(s, "iifname \"br1\" ip saddr !="));
        assert_non_null(strstr(s, "iifname \"br1\" ip saddr 127.0.0.0/8 drop"));
        /* from elsewhere, corrald's subnet only gets replies and Port= */
        assert_non_null(strstr(s, "iifname != { \"corral0\", \"br1\" } ip daddr 10.89.0.0/24 ct direction reply accept\n"
                                  "    iifname != { \"corral0\", \"br1\" } ip daddr 10.89.0.0/24 ct status dnat accept\n"
                                  "    iifname != { \"corral0\", \"br1\" } ip daddr 10.89.0.0/24 drop\n"));
        assert_null(strstr(s, "ip daddr 192.168.7.0/24 drop"));
        /* no other table is ever named */
        for (const char *p = strstr(s, "table "); p; p = strstr(p + 1, "table "))
                assert_true(strncmp(p, "table inet corral", 17) == 0 && strchr(" \n", p[17]));
        ns_ipam_done(&i);
        ns_ipam_done(&j);
        assert_string_equal(ns_nft_script_delete(), "table inet corral {}\ndelete table inet corral\n");
}

static void test_nft_script_ports(void **state) {
        NsIpam i = sample();
        NsNftBridge br[] = { { "corral0", &i, true } };
        _cleanup_free_ char *s = NULL;

        assert_int_equal(ns_nft_script_ports(br, 1, &s), 0);
        assert_string_equal(s,
                "flush chain inet corral ports\n"
                "table inet corral {\n"
                "  chain ports {\n"
                "    meta l4proto tcp th dport 8080 dnat ip to 10.89.0.2:80 comment \"web\"\n"
                "    meta l4proto udp th dport 5353 dnat ip to 10.89.0.2:53 comment \"web\"\n"
                "  }\n"
                "}\n");
        ns_ipam_done(&i);
}

static void test_hosts_text(void **state) {
        NsIpam i = sample();
        _cleanup_free_ char *s = NULL;

        assert_int_equal(ns_hosts_text(&i, "db", &s), 0);
        assert_non_null(strstr(s, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                                  "10.89.0.3\tdb\n10.89.0.2\tweb\n"));
        assert_null(strstr(s, "old"));
        ns_ipam_done(&i);
}

static void test_resolv_filters_loopback(void **state) {
        _cleanup_free_ char *s = NULL, *w = NULL;

        assert_int_equal(ns_resolv_text("search example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
                                         "nameserver ::1\noptions edns0\n", NULL, &s, &w), 0);
        assert_null(w);
        assert_non_null(strstr(s, "search example.org\nnameserver 192.0.2.53\noptions edns0\n"));
        assert_null(strstr(s, "127.0.0.53"));
        assert_null(strstr(s, "::1"));
}

static void test_resolv_fallback(void **state) {
        _cleanup_free_ char *s = NULL, *w = NULL;

        assert_int_equal(ns_resolv_text("nameserver 127.0.0.53\nsearch lan\n",
                                        "nameserver 198.51.100.1\nnameserver 2001:db8::1\nsearch ignored\n", &s, &w), 0);
        assert_null(w);
        assert_non_null(strstr(s, "nameserver 198.51.100.1\nnameserver 2001:db8::1\n"));
        assert_non_null(strstr(s, "search lan\n"));
        assert_null(strstr(s, "ignored"));
}

static void test_resolv_none_warns(void **state) {
        _cleanup_free_ char *s = NULL, *w = NULL, *s2 = NULL, *w2 = NULL;

        assert_int_equal(ns_resolv_text("nameserver 127.0.0.53\n", NULL, &s, &w), 0);
        assert_non_null(w);
        assert_non_null(strstr(w, "127.0.0.53"));
        assert_null(strstr(s, "nameserver"));
        assert_int_equal(ns_resolv_text(NULL, NULL, &s2, &w2), 0);
        assert_non_null(strstr(w2, "none configured"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ifname_short),
                cmocka_unit_test(test_ifname_long_unique),
                cmocka_unit_test(test_nft_script),
                cmocka_unit_test(test_nft_script_ports),
                cmocka_unit_test(test_hosts_text),
                cmocka_unit_test(test_resolv_filters_loopback),
                cmocka_unit_test(test_resolv_fallback),
                cmocka_unit_test(test_resolv_none_warns),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
