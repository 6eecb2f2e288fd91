/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "units-test-util.h"

static void test_absent(void **state) {
        UnitDiagnostics d = {};
        ManagerConfig *m = NULL;

        assert_int_equal(manager_config_load("/nonexistent/corrald.conf", &m, &d), 0);
        assert_null(m->path);
        assert_null(m->cgroup_root);
        assert_string_equal(m->runtime_directory, "/run/corral");
        assert_string_equal(m->log_directory, "/var/log/corral");
        assert_int_equal(m->log_max_bytes, 10 * 1024 * 1024);
        assert_int_equal(m->log_keep, 5);
        assert_null(m->admin_group);
        assert_false(m->unenforceable_limits_warn);
        assert_string_equal(m->bridge, "corral0");
        assert_int_equal(m->subnet_prefixlen, 24);
        assert_null(d.errors);
        manager_config_free(m);
}

static void test_every_key(void **state) {
        char *dir = scratch_dir(), path[4096], a[INET_ADDRSTRLEN];
        UnitDiagnostics d = {};
        ManagerConfig *m = NULL;

        scratch_write(dir, "corrald.conf",
                      "[Manager]\nCgroupRoot=/corral.slice\nRuntimeDirectory=/run/c\nLogDirectory=/var/log/c\n"
                      "LogMaxBytes=1M\nLogKeep=2\nAdminGroup=wheel\nUnenforceableLimits=warn\n"
                      "ServiceDirectoryRoot=/srv/root\n"
                      "[Network]\nBridge=br7\nSubnet=10.7.0.9/16\n");
        snprintf(path, sizeof(path), "%s/corrald.conf", dir);
        assert_int_equal(manager_config_load(path, &m, &d), 0);
        assert_null(d.errors);
        assert_null(d.warnings);
        assert_string_equal(m->path, path);
        assert_string_equal(m->cgroup_root, "/corral.slice");
        assert_string_equal(m->runtime_directory, "/run/c");
        assert_string_equal(m->log_directory, "/var/log/c");
        assert_int_equal(m->log_max_bytes, 1024 * 1024);
        assert_int_equal(m->log_keep, 2);
        assert_string_equal(m->admin_group, "wheel");
        assert_true(m->unenforceable_limits_warn);
        assert_string_equal(m->service_directory_root, "/srv/root");
        assert_string_equal(m->bridge, "br7");
        assert_string_equal(inet_ntop(AF_INET, &m->subnet, a, sizeof(a)), "10.7.0.0");
        assert_int_equal(m->subnet_prefixlen, 16);
        manager_config_free(m);
        scratch_remove(dir);
}

static void test_errors(void **state) {
        char *dir = scratch_dir(), path[4096];
        UnitDiagnostics d = {};
        ManagerConfig *m = NULL;

        scratch_write(dir, "corrald.conf",
                      "[Manager]\nLogDirectory=var/log\nUnenforceableLimits=ignore\nSubnet=10.0.0.0/8\n"
                      "[Network]\nSubnet=10.1.2.3/31\n[Other]\nX=1\n");
        snprintf(path, sizeof(path), "%s/corrald.conf", dir);
        assert_int_equal(manager_config_load(path, &m, &d), -EINVAL);
        assert_null(m);
        assert_int_equal(strv_length(d.errors), 3);
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "corrald.conf:2: LogDirectory: \"var/log\" is not an absolute path (start it with /)");
        assert_string_equal(strip_dir(d.errors[1], dir),
                            "corrald.conf:3: UnenforceableLimits: \"ignore\" is not a policy (use refuse or warn)");
        assert_string_equal(strip_dir(d.errors[2], dir),
                            "corrald.conf:6: Subnet: \"10.1.2.3/31\" leaves no room for services (use a prefix of /30 or shorter)");
        assert_int_equal(strv_length(d.warnings), 2);
        assert_string_equal(strip_dir(d.warnings[0], dir), "corrald.conf:4: Subnet: unknown key in [Manager], ignoring");
        assert_string_equal(strip_dir(d.warnings[1], dir), "corrald.conf:7: [Other]: unknown section, ignoring its keys");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* A NUL byte would end the text early and drop every later line. */
static void test_nul_byte(void **state) {
        static const char text[] = "[Manager]\nLogKeep=2\n\0\nAdminGroup=wheel\n";
        char *dir = scratch_dir(), path[4096];
        UnitDiagnostics d = {};
        ManagerConfig *m = NULL;
        FILE *f;

        snprintf(path, sizeof(path), "%s/corrald.conf", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(manager_config_load(path, &m, &d), -EINVAL);
        assert_null(m);
        assert_int_equal(strv_length(d.errors), 1);
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "corrald.conf:0: contains a NUL byte; a configuration file is text (is this the right file?)");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_absent),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_nul_byte),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
