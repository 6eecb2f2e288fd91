/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup BPF keys: DevicePolicy=, DeviceAllow=, IPAddressAllow=,
 * IPAddressDeny=, their messages and what PrivateDevices=/ProtectClock=
 * add to them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "unit-value.h"
#include "units-test-util.h"

static void test_device_allow_values(void **state) {
        DeviceAllow d = {};
        CrlError e = {};

        assert_int_equal(parse_device_allow("/dev/null r", &d, &e), 0);
        assert_string_equal(d.path, "/dev/null");
        assert_int_equal(d.access, DEVICE_ACCESS_READ);
        free(d.path);
        assert_int_equal(parse_device_allow("char-pts", &d, &e), 0);
        assert_int_equal(d.access, DEVICE_ACCESS_ALL);
        free(d.path);
        assert_int_equal(parse_device_allow("block-loop  mw", &d, &e), 0);
        assert_int_equal(d.access, DEVICE_ACCESS_MKNOD | DEVICE_ACCESS_WRITE);
        free(d.path);

        assert_int_equal(parse_device_allow("/dev/null rx", &d, &e), -EINVAL);
        assert_string_equal(e.message, "\"rx\" are not device rights (use letters of r, w, m)");
        e = (CrlError) {};
        assert_int_equal(parse_device_allow("/etc/passwd r", &d, &e), -EINVAL);
        assert_string_equal(e.message, "\"/etc/passwd\" is not a device node path below /dev/, char-NAME or block-NAME");
        e = (CrlError) {};
        assert_int_equal(parse_device_allow("/dev/../etc/x", &d, &e), -EINVAL);
        e = (CrlError) {};
        assert_int_equal(parse_device_allow("/dev//null", &d, &e), -EINVAL);
        e = (CrlError) {};
        assert_int_equal(parse_device_allow("char-", &d, &e), -EINVAL);
        e = (CrlError) {};
        assert_int_equal(parse_device_allow("/dev/null r w", &d, &e), -EINVAL);
}

static void test_ip_prefixes(void **state) {
        IPPrefix *p = NULL;
        size_t n = 0;
        CrlError e = {};
        uint8_t a[16];

        assert_int_equal(parse_ip_prefixes("10.1.2.3/8 192.168.0.1 ::1 fe80::1/10", &p, &n, &e), 0);
        assert_int_equal(n, 4);
        assert_int_equal(p[0].family, AF_INET);
        assert_int_equal(p[0].prefixlen, 8);
        assert_memory_equal(p[0].addr, "\x0a\0\0\0", 4);       /* host bits cleared */
        assert_int_equal(p[1].prefixlen, 32);
        assert_int_equal(p[2].family, AF_INET6);
        assert_int_equal(p[2].prefixlen, 128);
        assert_int_equal(inet_pton(AF_INET6, "fe80::", a), 1);
        assert_memory_equal(p[3].addr, a, 16);
        assert_int_equal(p[3].prefixlen, 10);
        /* duplicates are merged, words append */
        assert_int_equal(parse_ip_prefixes("10.0.0.0/8 localhost", &p, &n, &e), 0);
        assert_int_equal(n, 5);         /* ::1 was there already */
        assert_int_equal(p[4].prefixlen, 8);
        assert_memory_equal(p[4].addr, "\x7f\0\0\0", 4);
        free(p);
        p = NULL;
        n = 0;

        assert_int_equal(parse_ip_prefixes("any link-local multicast", &p, &n, &e), 0);
        assert_int_equal(n, 6);
        assert_int_equal(p[0].prefixlen, 0);
        assert_int_equal(p[1].prefixlen, 0);
        assert_int_equal(p[2].prefixlen, 16);
        assert_int_equal(p[3].prefixlen, 64);
        assert_int_equal(p[4].prefixlen, 4);
        assert_int_equal(p[5].prefixlen, 8);

        /* a bad word: nothing appended */
        assert_int_equal(parse_ip_prefixes("10.0.0.1 10.0.0.0/33", &p, &n, &e), -EINVAL);
        assert_string_equal(e.message, "\"10.0.0.0/33\" has a bad prefix length (0..32)");
        assert_int_equal(n, 6);
        e = (CrlError) {};
        assert_int_equal(parse_ip_prefixes("example.org", &p, &n, &e), -EINVAL);
        assert_string_equal(e.message, "\"example.org\" is not an address prefix (ADDRESS[/LEN], any, "
                            "localhost, link-local or multicast)");
        e = (CrlError) {};
        assert_int_equal(parse_ip_prefixes("::/-1", &p, &n, &e), -EINVAL);
        e = (CrlError) {};
        assert_int_equal(parse_ip_prefixes("1.2.3.4/", &p, &n, &e), -EINVAL);
        free(p);
}

static UnitConfig *load(const char *text, UnitDiagnostics *d, char **ret_dir) {
        *ret_dir = scratch_dir();
        return load_text(*ret_dir, "b.service", text, d);
}

static void test_keys(void **state) {
        UnitDiagnostics d = {};
        char *dir;
        UnitConfig *u = load("[Service]\nExecStart=/bin/a\nDevicePolicy=strict\nDeviceAllow=/dev/null r\n"
                             "DeviceAllow=char-pts rw\nIPAddressDeny=any\nIPAddressAllow=10.0.0.0/8\n"
                             "IPAddressAllow=\nIPAddressAllow=localhost\n", &d, &dir);

        assert_non_null(u);
        assert_null(d.errors);
        assert_null(d.warnings);
        assert_int_equal(u->resources.device_policy, DEVICE_POLICY_STRICT);
        assert_int_equal(u->resources.n_device_allow, 2);
        assert_false(u->resources.device_implied);
        assert_int_equal(u->resources.n_ip_address_deny, 2);
        assert_int_equal(u->resources.n_ip_address_allow, 2);    /* the empty one reset 10/8 */
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_messages(void **state) {
        UnitDiagnostics d = {};
        char *dir;
        UnitConfig *u = load("[Service]\nExecStart=/bin/a\nDevicePolicy=open\nDeviceAllow=/dev/null q\n"
                             "IPAddressDeny=10.0.0.300\nDeviceAllow=/dev/corral-no-such-node rw\n", &d, &dir);

        assert_null(u);
        assert_int_equal(strv_length(d.errors), 3);
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "b.service:3: DevicePolicy: \"open\" is not a device policy (use auto, closed or strict)");
        assert_string_equal(strip_dir(d.errors[1], dir),
                            "b.service:4: DeviceAllow: \"q\" are not device rights (use letters of r, w, m)");
        assert_string_equal(strip_dir(d.errors[2], dir),
                            "b.service:5: IPAddressDeny: \"10.0.0.300\" is not an address prefix (ADDRESS[/LEN], any, "
                            "localhost, link-local or multicast)");
        assert_int_equal(strv_length(d.warnings), 1);
        assert_string_equal(strip_dir(d.warnings[0], dir),
                            "b.service:6: DeviceAllow: \"/dev/corral-no-such-node\" does not exist on this host "
                            "(No such file or directory); the entry allows nothing, ignoring");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_implied(void **state) {
        UnitDiagnostics d = {};
        char *dir;
        UnitConfig *u;

        /* PrivateDevices=yes: closed, implied; ProtectClock= adds char-rtc r */
        u = load("[Service]\nExecStart=/bin/a\nPrivateDevices=yes\nProtectClock=yes\n", &d, &dir);
        assert_non_null(u);
        assert_int_equal(u->resources.device_policy, DEVICE_POLICY_CLOSED);
        assert_true(u->resources.device_implied);
        assert_int_equal(u->resources.n_device_allow, 1);
        assert_string_equal(u->resources.device_allow[0].path, "char-rtc");
        assert_int_equal(u->resources.device_allow[0].access, DEVICE_ACCESS_READ);
        unit_config_free(u);
        scratch_remove(dir);

        /* ProtectClock= alone makes no device program */
        u = load("[Service]\nExecStart=/bin/a\nProtectClock=yes\n", &d, &dir);
        assert_non_null(u);
        assert_false(resource_config_wants_devices(&u->resources));
        unit_config_free(u);
        scratch_remove(dir);

        /* a policy written keeps its word: strict stays strict */
        u = load("[Service]\nExecStart=/bin/a\nPrivateDevices=yes\nDevicePolicy=strict\n", &d, &dir);
        assert_non_null(u);
        assert_int_equal(u->resources.device_policy, DEVICE_POLICY_STRICT);
        assert_false(u->resources.device_implied);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_allow_values),
                cmocka_unit_test(test_ip_prefixes),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_implied),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
