/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The units of tests/units/man, written from the examples and rules of
 * systemd.service(5), systemd.unit(5), systemd.exec(5) and systemd.syntax(7)
 * of systemd 252: each value is the one the man page documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "unit.h"

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void assert_strv(char *const *l, const char *const *want) {
        size_t n = 0;

        for (; want[n]; n++) {
                if (!l || !l[n])
                        fail_msg("list ends at %zu, expected \"%s\"", n, want[n]);
                if (!streq(l[n], want[n]))
                        fail_msg("[%zu]: \"%s\", expected \"%s\"", n, l[n], want[n]);
        }
        if (l && l[n])
                fail_msg("extra entry [%zu]: \"%s\"", n, l[n]);
}

/* tests/units/man/NAME, loaded as verify does; it must have no diagnostic. */
static UnitConfig *load_man(const char *name) {
        char path[4096];
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        snprintf(path, sizeof(path), "%s/tests/units/man/%s", CORRAL_SOURCE_DIR, name);
        (void) unit_load_file(path, &u, &d);
        STRV_FOREACH(l, d.lines)
                print_message("%s\n", *l);
        assert_null(d.lines);
        assert_non_null(u);
        return u;
}

/* argv of cmd after $VAR expansion with the unit's environment. */
static void assert_expanded(const UnitConfig *u, const ExecCommand *cmd, const char *const *want) {
        char **argv = NULL;

        assert_int_equal(unit_exec_expand(cmd, u->environment, &argv), 0);
        assert_strv(argv, want);
        strv_free(argv);
}

static void test_command_lines(void **state) {
        UnitConfig *u = load_man("command-lines.service");
        const ExecCommand *s = u->exec_start, *pre = u->exec_start_pre, *post = u->exec_start_post;

        assert_int_equal(u->n_exec_start, 5);
        /* "execute /bin/echo with four arguments: "one", "two", "two", and "two two"" */
        assert_string_equal(s[0].path, "echo");
        assert_expanded(u, &s[0], W("echo", "one", "two", "two", "two two"));
        assert_strv(s[1].argv, W("sh", "-c", "dmesg | tac"));
        /* "execute echo two times, each time with one argument: "one" and "two two"" */
        assert_strv(s[2].argv, W("echo", "one"));
        assert_strv(s[3].argv, W("echo", "two two"));
        /* "execute echo with five arguments: "/", ">/dev/null", "&", ";", and "ls"" */
        assert_strv(s[4].argv, W("echo", "/", ">/dev/null", "&", ";", "ls"));
        assert_int_equal(s[4].line, 13);        /* a continued line is where it starts */

        /* systemd.service(5) table 1, "Special executable prefixes" */
        assert_int_equal(u->n_exec_start_pre, 3);
        assert_int_equal(pre[0].flags, EXEC_COMMAND_IGNORE_FAILURE);
        assert_string_equal(pre[1].path, "/bin/sleep");        /* "@": the second word is argv[0] */
        assert_strv(pre[1].argv, W("sleeper", "1"));
        assert_int_equal(pre[2].flags, EXEC_COMMAND_NO_ENV_EXPAND);
        assert_expanded(u, &pre[2], W("/bin/echo", "$ONE"));  /* ":": no expansion */
        assert_int_equal(u->n_exec_start_post, 4);
        assert_int_equal(post[0].flags, EXEC_COMMAND_FULL_PRIVILEGES);
        assert_int_equal(post[1].flags, EXEC_COMMAND_NO_USER_CHANGE);
        assert_int_equal(post[2].flags, EXEC_COMMAND_AMBIENT_FALLBACK);
        assert_int_equal(post[3].flags, EXEC_COMMAND_IGNORE_FAILURE | EXEC_COMMAND_NO_ENV_EXPAND);
        assert_string_equal(post[3].path, "/bin/echo");
        assert_expanded(u, &post[3], W("argv0", "$$literal"));
        unit_config_free(u);
}

/* "the first time with arguments "'one'", "'two two' too", "", and the
 * second time with arguments "one", "two two", "too"". The first "'one'" is
 * a mistake of the man page: systemd removes the quotes of ONE='one' (as
 * everywhere in a word), so ${ONE} is "one" (systemd/systemd#42442, fixed
 * by #42753; checked on systemd 257). We follow systemd, not the typo. */
static void test_variables(void **state) {
        UnitConfig *u = load_man("variables.service");

        assert_strv(u->environment, W("ONE=one", "TWO='two two' too", "THREE="));
        assert_expanded(u, &u->exec_start[0], W("/bin/echo", "one", "'two two' too", ""));
        assert_expanded(u, &u->exec_start[1], W("/bin/echo", "one", "two two", "too"));
        unit_config_free(u);
}

static void test_syntax(void **state) {
        UnitConfig *u = load_man("syntax.service");

        /* the backslash becomes a space, the indentation stays */
        assert_string_equal(u->description, "value 2         value 2 continued");
        assert_strv(u->exec_start[0].argv, W("/bin/echo", "value", "3", "value", "3", "continued"));
        assert_strv(u->environment, W("VAR1=word1 word2", "VAR2=word3", "VAR3=$word 5 6", "CONT=a     b",
                                      "ESC=\a\b\f\n\r\t\v\\\"' AA\xc3\xa9\xf0\x9f\x98\x80"));
        unit_config_free(u);
}

static void test_specifiers(void **state) {
        char dir[4096], *dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        snprintf(dir, sizeof(dir), "%s/tests/units/man", CORRAL_SOURCE_DIR);
        assert_int_equal(unit_load("man-web@srv-www\\x2ddata", dirs, &u, &d), 0);
        assert_null(d.lines);
        assert_string_equal(u->description, "man-web at 100% for srv/www-data");
        assert_strv(u->after, W("web-db"));
        assert_strv(u->exec_start[0].argv,
                    W("/bin/echo", "man-web@srv-www\\x2ddata.service", "man-web@srv-www\\x2ddata",
                      "man-web", "man/web", "srv-www\\x2ddata", "srv/www-data", "web", "web",
                      "/srv/www-data", "%"));
        assert_string_equal(u->read_write_paths[0].path, "/srv/www-data");
        unit_config_free(u);
}

static void test_resets(void **state) {
        UnitConfig *u = load_man("resets.service");

        assert_strv(u->after, W("c"));
        assert_int_equal(u->n_exec_start, 1);
        assert_string_equal(u->exec_start[0].path, "/bin/override");
        assert_strv(u->environment, W("B=2"));
        assert_int_equal(u->n_read_only_paths, 1);
        assert_string_equal(u->read_only_paths[0].path, "/b");
        assert_null(u->supplementary_groups);
        unit_config_free(u);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_command_lines),
                cmocka_unit_test(test_variables),
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_specifiers),
                cmocka_unit_test(test_resets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
