/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RuntimeDirectory= & co., their modes, RuntimeDirectoryPreserve=,
 * LoadCredential= and SetCredential=: values and the unit model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "unit-value.h"
#include "units-test-util.h"

static void test_exec_directory(void **state) {
        static const struct { const char *in, *out; } ok[] = {
                { "foo", "foo" }, { "foo/bar", "foo/bar" }, { "foo//bar/", "foo/bar" }, { "./foo/./bar", "foo/bar" },
                { "redis-1", "redis-1" }, { "a.b", "a.b" },
        };
        static const char *const bad[] = { "/foo", "..", "foo/../bar", "foo/..", ".", "./", "foo:bar", "a\tb" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                char *p = NULL;

                assert_int_equal(parse_exec_directory(ok[i].in, &p, NULL), 0);
                assert_string_equal(p, ok[i].out);
                free(p);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CrlError e = {};
                char *p = NULL;

                if (parse_exec_directory(bad[i], &p, &e) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
                assert_null(p);
                assert_true(e.message[0]);
        }
}

static void test_mode_and_preserve(void **state) {
        mode_t m = 0;
        CrlError e = {};

        assert_int_equal(parse_mode("0700", &m, NULL), 0);
        assert_int_equal(m, 0700);
        assert_int_equal(parse_mode("2755", &m, NULL), 0);
        assert_int_equal(m, 02755);
        assert_int_equal(parse_mode("0800", &m, &e), -EINVAL);
        assert_string_equal(e.message, "\"0800\" is not an access mode (an octal number 0000-7777, e.g. 0755 or 0700)");
        assert_int_equal(parse_mode("17777", &m, NULL), -EINVAL);
        assert_int_equal(m, 02755);
        assert_int_equal(runtime_directory_preserve_from_string("restart", NULL), RUNTIME_DIRECTORY_PRESERVE_RESTART);
        assert_int_equal(runtime_directory_preserve_from_string("yes", NULL), RUNTIME_DIRECTORY_PRESERVE_YES);
        assert_int_equal(runtime_directory_preserve_from_string("false", NULL), RUNTIME_DIRECTORY_PRESERVE_NO);
        assert_int_equal(runtime_directory_preserve_from_string("later", NULL), -EINVAL);
}

static void test_credentials(void **state) {
        static const char *const bad_load[] = { ":/x", "a/b:/x", ".:/x", "..", "id:rel/path", "id:/a/../b", "x\001y" };
        UnitCredential c = {};
        CrlError e = {};

        assert_int_equal(parse_load_credential("key:/etc/key", &c, NULL), 0);
        assert_string_equal(c.id, "key");
        assert_string_equal(c.path, "/etc/key");
        free(c.id), free(c.path);
        assert_int_equal(parse_load_credential("tmpfiles.extra", &c, NULL), 0);
        assert_string_equal(c.path, "tmpfiles.extra");
        free(c.id), free(c.path);
        assert_int_equal(parse_load_credential("a:other", &c, NULL), 0);
        assert_string_equal(c.path, "other");
        free(c.id), free(c.path);
        for (size_t i = 0; i < ELEMENTSOF(bad_load); i++)
                if (parse_load_credential(bad_load[i], &c, NULL) != -EINVAL)
                        fail_msg("LoadCredential=%s accepted", bad_load[i]);
        assert_int_equal(parse_set_credential("user:nobody\\n", &c, NULL), 0);
        assert_string_equal(c.id, "user");
        assert_int_equal(c.size, 7);
        assert_memory_equal(c.data, "nobody\n", 7);
        free(c.id), free(c.data);
        assert_int_equal(parse_set_credential("bin:a\\x00b:c", &c, NULL), 0);
        assert_int_equal(c.size, 5);
        assert_memory_equal(c.data, "a\0b:c", 5);
        free(c.id), free(c.data);
        assert_int_equal(parse_set_credential("empty:", &c, NULL), 0);
        assert_int_equal(c.size, 0);
        free(c.id), free(c.data);
        assert_int_equal(parse_set_credential("novalue", &c, &e), -EINVAL);
        assert_string_equal(e.message, "\"novalue\" has no value (write ID:VALUE)");
        assert_int_equal(parse_set_credential("x:\\q", &c, NULL), -EINVAL);
        assert_int_equal(parse_set_credential("a/b:v", &c, NULL), -EINVAL);
}

static void test_unit_keys(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, "web.service",
                                  "[Service]\nExecStart=/bin/true\n"
                                  "RuntimeDirectory=web web/sub\nRuntimeDirectory=\"other\" web\n"
                                  "RuntimeDirectoryMode=0700\nRuntimeDirectoryPreserve=restart\n"
                                  "StateDirectory=aaa/bbb ccc\nStateDirectory=\nStateDirectory=%p\n"
                                  "CacheDirectory=c\nLogsDirectory=l\nLogsDirectoryMode=2750\n"
                                  "ConfigurationDirectory=conf\n"
                                  "LoadCredential=a:/etc/a\nLoadCredential=b\nLoadCredential=a:/etc/a2\n"
                                  "SetCredential=a:default\nSetCredential=x:1\nSetCredential=\nSetCredential=y:%n\n",
                                  &d);

        assert_int_equal(d.n_errors, 0);
        assert_non_null(u);
        assert_int_equal(strv_length(u->directories[EXEC_DIRECTORY_RUNTIME].paths), 3);
        assert_string_equal(u->directories[EXEC_DIRECTORY_RUNTIME].paths[2], "other");
        assert_int_equal(u->directories[EXEC_DIRECTORY_RUNTIME].mode, 0700);
        assert_int_equal(u->runtime_directory_preserve, RUNTIME_DIRECTORY_PRESERVE_RESTART);
        assert_int_equal(strv_length(u->directories[EXEC_DIRECTORY_STATE].paths), 1);
        assert_string_equal(u->directories[EXEC_DIRECTORY_STATE].paths[0], "web");
        assert_int_equal(u->directories[EXEC_DIRECTORY_STATE].mode, 0755);
        assert_int_equal(u->directories[EXEC_DIRECTORY_LOGS].mode, 02750);
        assert_string_equal(u->directories[EXEC_DIRECTORY_CONFIGURATION].paths[0], "conf");
        assert_int_equal(u->n_load_credentials, 2);
        assert_string_equal(u->load_credentials[0].path, "/etc/a2");
        assert_int_equal(u->n_set_credentials, 1);
        assert_string_equal(u->set_credentials[0].data, "web.service");
        assert_true(u->private_mounts);         /* credentials need a mount namespace */
        unit_config_free(u);
        unit_diagnostics_done(&d);

        d = (UnitDiagnostics) {};
        u = load_text(dir, "bad.service",
                      "[Service]\nExecStart=/bin/true\nStateDirectory=/var/lib/x\nCacheDirectory=a/../b\n"
                      "LogsDirectoryMode=999\nLoadCredential=id:relative/path\nSetCredential=a/b:x\n"
                      "PrivateMounts=no\n", &d);
        assert_null(u);
        assert_int_equal(d.n_errors, 5);
        assert_string_equal(strip_dir(d.errors[0], dir), "bad.service:3: StateDirectory: \"/var/lib/x\" is an absolute "
                            "path (give a name relative to the base directory, e.g. \"foo\" or \"foo/bar\")");
        assert_string_equal(strip_dir(d.errors[1], dir), "bad.service:4: CacheDirectory: \"a/../b\" contains \"..\" "
                            "(give a name below the base directory)");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_directory),
                cmocka_unit_test(test_mode_and_preserve),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_unit_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
