/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A transient unit written as a unit file (unit_transient_text()) reads
 * back as the unit RunTransient made: the argv exactly, whatever it holds,
 * and every property in its section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "units-test-util.h"

static void dump(const UnitDiagnostics *d) {
        STRV_FOREACH(e, d->errors)
                fprintf(stderr, "error: %s\n", *e);
        STRV_FOREACH(w, d->warnings)
                fprintf(stderr, "warning: %s\n", *w);
}

/* from_properties(NAME, argv, props) and the file of unit_transient_text():
 * both load, without diagnostics; the file's unit in *ret_file. */
static void round_trip(char *const *argv, char *const *props, UnitConfig **ret_props, UnitConfig **ret_file) {
        _cleanup_free_ char *text = NULL;
        UnitDiagnostics d = {};
        char *dir = scratch_dir();

        assert_int_equal(unit_config_from_properties("t", argv, props, ret_props, &d), 0);
        assert_int_equal(unit_transient_text("t", argv, props, &text), 0);
        *ret_file = load_text(dir, "t.service", text, &d);
        if (!*ret_file || d.errors || d.warnings) {
                fprintf(stderr, "%s", text);
                dump(&d);
        }
        assert_non_null(*ret_file);
        assert_null(d.errors);
        assert_null(d.warnings);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void assert_same_exec(const UnitConfig *a, const UnitConfig *b, char *const *argv) {
        assert_int_equal(a->n_exec_start, 1);
        assert_int_equal(b->n_exec_start, 1);
        assert_string_equal(a->exec_start[0].path, b->exec_start[0].path);
        assert_int_equal(a->exec_start[0].flags, b->exec_start[0].flags);
        assert_int_equal(strv_length(b->exec_start[0].argv), strv_length(argv));
        for (size_t i = 0; argv[i]; i++) {
                assert_string_equal(a->exec_start[0].argv[i], argv[i]);
                assert_string_equal(b->exec_start[0].argv[i], argv[i]);
        }
}

static void test_nasty_argv(void **state) {
        char *const argv[] = {
                "/bin/sh", "-c", "echo \"$1\" '$2' ${HOME} $$; exit 5", "a b", "", " ", "\"", "'", "\\", "\\;",
                ";", "\\\\\"'", "%n %i %% %", "100%", "tab\there", "new\nline", "cr\rx", "bell\a\x01\x7f",
                "caf\xc3\xa9 \xe2\x82\xac", "\xff\xfe", "#not a comment", "end\\", "@x", "-y", "--", "$HOME",
                "${A}b", "x=y z", NULL,
        };
        UnitConfig *p = NULL, *f = NULL;

        round_trip(argv, NULL, &p, &f);
        assert_same_exec(p, f, argv);
        unit_config_free(p);
        unit_config_free(f);
}

static void test_argv0(void **state) {
        char *const plain[] = { "sleep", "1", NULL }, *const odd[] = { "/usr//bin/./env", "%%", NULL };
        char *const dollar[] = { "/opt/a$b%c/run", NULL };
        UnitConfig *p = NULL, *f = NULL;

        round_trip(plain, NULL, &p, &f);
        assert_same_exec(p, f, plain);
        unit_config_free(p);
        unit_config_free(f);
        round_trip(odd, NULL, &p, &f);
        assert_same_exec(p, f, odd);
        assert_string_equal(f->exec_start[0].path, "/usr/bin/env");
        unit_config_free(p);
        unit_config_free(f);
        round_trip(dollar, NULL, &p, &f);
        assert_same_exec(p, f, dollar);
        unit_config_free(p);
        unit_config_free(f);
}

/* What no ExecStart= line can say is refused before anything exists. */
static void test_argv0_refused(void **state) {
        char *const bad[][2] = { { "-sleep", NULL }, { "./x", NULL }, { "a\"b", NULL }, { "/bin/", NULL },
                                 { "x\\y", NULL }, { "@sleep", NULL } };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(unit_config_from_properties("t", bad[i], NULL, &u, &d), -EINVAL);
                assert_null(u);
                assert_non_null(d.errors);
                assert_non_null(strstr(d.errors[0], "ExecStart: "));
                unit_diagnostics_done(&d);
        }
}

static void test_properties(void **state) {
        char *const argv[] = { "/bin/true", NULL };
        char *const props[] = {
                "MemoryMax=64M", "Description= a \"quoted\" 100% %n ", "Environment=A=1 \"B=two words\"",
                "Environment=C=$A\\\\", "VirtualEthernet=yes", "After=x", "TimeoutStopSec=7",
                "ExecStartPre=-/bin/echo \"pre %%\"", "StartLimitBurst=3", "Type=exec", "WorkingDirectory=/tmp",
                "Port=8080:80", NULL,
        };
        UnitConfig *p = NULL, *f = NULL;

        round_trip(argv, props, &p, &f);
        assert_same_exec(p, f, argv);
        assert_int_equal(f->resources.memory_max.value, 64 * 1024 * 1024);
        assert_string_equal(p->description, "a \"quoted\" 100% t.service");
        assert_string_equal(f->description, p->description);
        assert_int_equal(strv_length(f->environment), 3);
        for (size_t i = 0; i < 3; i++)
                assert_string_equal(f->environment[i], p->environment[i]);
        assert_string_equal(f->environment[2], "C=$A\\");
        assert_true(f->network.virtual_ethernet);
        assert_string_equal(f->after[0], "x");
        assert_int_equal(f->timeout_stop_usec, 7 * 1000000);
        assert_int_equal(f->n_exec_start_pre, 1);
        assert_string_equal(f->exec_start_pre[0].argv[1], "pre %");
        assert_int_equal(f->exec_start_pre[0].flags, p->exec_start_pre[0].flags);
        assert_int_equal(f->start_limit_burst, 3);
        assert_int_equal(f->network.n_ports, p->network.n_ports);
        unit_config_free(p);
        unit_config_free(f);
}

/* A property replacing the argv's command (ExecStart= resets, then one
 * more) reads back in that order. */
static void test_exec_start_reset(void **state) {
        char *const argv[] = { "/bin/false", NULL };
        char *const props[] = { "ExecStart=", "ExecStart=/bin/echo \"x y\"", NULL };
        UnitConfig *p = NULL, *f = NULL;

        round_trip(argv, props, &p, &f);
        assert_int_equal(f->n_exec_start, 1);
        assert_string_equal(f->exec_start[0].argv[1], "x y");
        assert_string_equal(p->exec_start[0].argv[1], "x y");
        unit_config_free(p);
        unit_config_free(f);
}

/* A value is what a unit file line makes of it; one no line can carry is
 * refused. */
static void test_property_lines(void **state) {
        char *const argv[] = { "/bin/true", NULL };
        char *const trimmed[] = { "Description=\t x y \t", NULL };
        char *const bad[][2] = { { "Description=a\\", NULL }, { "Description=a\rUser=root", NULL },
                                 { "Description=a\nb", NULL }, { "Description=\\\\\\", NULL } };
        char *const even[] = { "Description=a\\\\", NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL, *f = NULL;
        char *text = NULL;

        round_trip(argv, trimmed, &u, &f);
        assert_string_equal(u->description, "x y");
        assert_string_equal(f->description, "x y");
        unit_config_free(u);
        unit_config_free(f);
        round_trip(argv, even, &u, &f);
        assert_string_equal(f->description, "a\\\\");
        unit_config_free(u);
        unit_config_free(f);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                u = NULL;
                assert_int_equal(unit_config_from_properties("t", argv, bad[i], &u, &d), -EINVAL);
                assert_null(u);
                assert_non_null(strstr(d.errors[0], "Description: "));
                unit_diagnostics_done(&d);
                assert_int_equal(unit_transient_text("t", argv, bad[i], &text), -EINVAL);
                assert_null(text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nasty_argv),
                cmocka_unit_test(test_argv0),
                cmocka_unit_test(test_argv0_refused),
                cmocka_unit_test(test_properties),
                cmocka_unit_test(test_exec_start_reset),
                cmocka_unit_test(test_property_lines),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
