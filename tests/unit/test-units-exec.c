/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exec*= command lines (prefixes, paths, ";") and the cost of long values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strv.h"
#include "unit-value.h"
#include "units-test-util.h"

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void assert_strv(char **l, const char *const *want) {
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

static void exec_command_done(ExecCommand *c) {
        free(c->path);
        strv_free(c->argv);
        *c = (ExecCommand) {};
}

static double now_s(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ---- linear time in the size of a value ---- */

/* The inputs: 520k arguments took 53 s (the argv grew by one realloc
 * and one strv_length() per word). Linear, this is well under a second even
 * under ASan; 10 s only guards against the quadratic growth coming back. */
#define N_ARGS 520000
#define N_ASSIGNMENTS 115000

static void test_many_arguments(void **state) {
        size_t size = strlen("/bin/echo") + N_ARGS * 2 + 1;
        char *line = malloc(size), *p = line;
        ExecCommand c = {};
        CrlError e = {};
        double t;

        assert_non_null(line);
        p += sprintf(p, "/bin/echo");
        for (size_t i = 0; i < N_ARGS; i++)
                p += sprintf(p, " %c", (char) ('a' + i % 26));
        t = now_s();
        assert_int_equal(parse_command_line(line, &c, &e), 0);
        t = now_s() - t;
        assert_int_equal(strv_length(c.argv), N_ARGS + 1);
        assert_int_equal(c.argv[N_ARGS][0], 'a' + (N_ARGS - 1) % 26);
        assert_strv(c.argv + N_ARGS - 2, W("x", "y", "z"));
        print_message("%d arguments parsed in %.3f s\n", N_ARGS, t);
        assert_true(t < 10);
        exec_command_done(&c);
        free(line);
}

/* 115k distinct assignments on one Environment= line took 31 s (each one
 * searched the whole list for an earlier assignment of its name). */
static void test_many_assignments(void **state) {
        char *line = malloc(N_ASSIGNMENTS * 16), *p = line;
        _cleanup_strv_free_ char **env = NULL;
        CrlError e = {};
        double t;

        assert_non_null(line);
        for (size_t i = 0; i < N_ASSIGNMENTS; i++)
                p += sprintf(p, "%sV%zu=%zu", i ? " " : "", i, i);
        /* and the first name again: it replaces the first entry in place */
        p += sprintf(p, " V0=last");
        t = now_s();
        assert_int_equal(parse_environment(line, &env, &e), 0);
        t = now_s() - t;
        assert_int_equal(strv_length(env), N_ASSIGNMENTS);
        assert_string_equal(env[0], "V0=last");
        assert_string_equal(env[N_ASSIGNMENTS - 1], "V114999=114999");
        print_message("%d assignments parsed in %.3f s\n", N_ASSIGNMENTS, t);
        assert_true(t < 10);

        /* The same again replaces every entry and adds none. */
        t = now_s();
        assert_int_equal(parse_environment(line, &env, &e), 0);
        t = now_s() - t;
        assert_int_equal(strv_length(env), N_ASSIGNMENTS);
        assert_true(t < 10);
        free(line);
}

/* The string list keys over lines, files and resets: entries are collected
 * per file and moved into the unit once at its end, unit references without
 * duplicates, with the meaning of one append per line. */
static void test_list_keys(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        scratch_write(dir, "l.service.d/a.conf", "[Unit]\nAfter=a e.service\nRequires=\nRequires=y\n"
                      "Documentation=man:b\n[Service]\nSupplementaryGroups=g3\n");
        u = load_text(dir, "l.service", "[Unit]\nAfter=a b\nAfter=b c.service a\nRequires=x\n"
                      "Wants=w\nWants=\nJoinsNamespaceOf=\nDocumentation=man:a\n"
                      "[Service]\nExecStart=/bin/true\nSupplementaryGroups=g1\nSupplementaryGroups=g2 g1\n", &d);
        assert_non_null(u);
        assert_strv(u->after, W("a", "b", "c", "e"));
        assert_strv(u->requires, W("y"));
        assert_null(u->wants);          /* reset: no list at all, not an empty one */
        assert_null(u->joins_namespace_of);
        assert_strv(u->documentation, W("man:a", "man:b"));
        assert_strv(u->supplementary_groups, W("g1", "g2", "g1", "g3"));
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* One After= line of 60k names took 17 s, a Documentation= line of 60k URIs
 * 2.5 s, a SupplementaryGroups= line of 100k names 5.6 s, a unit with 40k
 * warnings 1.9 s (each name or diagnostic walked the whole list). */
static void test_long_lists_and_many_diagnostics(void **state) {
        char *dir = scratch_dir(), *text = malloc(1 << 20), *p;
        UnitDiagnostics d = {};
        UnitConfig *u;
        double t;

        /* each file under the 1 MiB limit */
        assert_non_null(text);
        p = text + sprintf(text, "[Service]\nSupplementaryGroups=");
        for (size_t i = 0; i < 100000; i++)
                p += sprintf(p, "g%zu ", i);
        scratch_write(dir, "l.service.d/a.conf", text);
        p = text + sprintf(text, "[Unit]\n");
        for (size_t i = 0; i < 30000; i++)
                p += sprintf(p, "Wants=w%zu\nUnknown%zu=1\n", i % 20000, i);
        scratch_write(dir, "l.service.d/b.conf", text);
        p = text + sprintf(text, "[Unit]\nAfter=");
        for (size_t i = 0; i < 60000; i++)
                p += sprintf(p, "u%zu ", i);
        p += sprintf(p, "\nDocumentation=");
        for (size_t i = 0; i < 50000; i++)
                p += sprintf(p, "man:x%zu ", i);
        p += sprintf(p, "\n[Service]\nExecStart=/bin/true\n");
        t = now_s();
        u = load_text(dir, "l.service", text, &d);
        t = now_s() - t;
        assert_non_null(u);
        assert_int_equal(strv_length(u->after), 60000);
        assert_string_equal(u->after[59999], "u59999");
        assert_int_equal(strv_length(u->wants), 20000);
        assert_int_equal(strv_length(u->documentation), 50000);
        assert_int_equal(strv_length(u->supplementary_groups), 100000);
        assert_int_equal(strv_length(d.warnings), 30000);
        assert_int_equal(d.n_warnings, 30000);
        assert_int_equal(d.n_lines, 30000);
        assert_int_equal(d.n_errors, 0);
        assert_string_equal(strip_dir(d.lines[29999], dir),
                            "l.service.d/b.conf:60001: Unknown29999: unknown key in [Unit], ignoring");
        print_message("long lists and 30000 warnings loaded in %.3f s\n", t);
        assert_true(t < 10);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        free(text);
        scratch_remove(dir);
}

/* An EnvironmentFile= of 115k lines: the same merge. */
static void test_many_file_assignments(void **state) {
        char *text = malloc(N_ASSIGNMENTS * 16), *p = text;
        _cleanup_strv_free_ char **env = NULL;
        CrlError e = {};
        double t;

        assert_non_null(text);
        for (size_t i = 0; i < N_ASSIGNMENTS; i++)
                p += sprintf(p, "V%zu=%zu\n", i, i);
        t = now_s();
        assert_int_equal(parse_environment_file_text(text, &env, &e), 0);
        t = now_s() - t;
        assert_int_equal(strv_length(env), N_ASSIGNMENTS);
        print_message("%d file lines parsed in %.3f s\n", N_ASSIGNMENTS, t);
        assert_true(t < 10);
        free(text);
}

/* Environment= over lines, files and resets: one merge per file, with the
 * meaning of one per line (first position, last value; a reset clears what
 * came before, in this file and earlier ones). 45k lines took 16 s, 40k 15 s. */
static void test_environment_lines(void **state) {
        char *dir = scratch_dir(), *text = malloc(40000 * 32), *p = text;
        UnitDiagnostics d = {};
        UnitConfig *u;
        double t;

        scratch_write(dir, "e.service.d/a.conf", "[Service]\nEnvironment=D=9 E=1\nEnvironment=C=4\n");
        u = load_text(dir, "e.service", "[Service]\nExecStart=/bin/true\nEnvironment=A=1 B=2\n"
                      "Environment=A=3\nEnvironment=\nEnvironment=C=1 D=2 C=3\nEnvironment=F=1\n", &d);
        assert_non_null(u);
        assert_strv(u->environment, W("C=4", "D=9", "F=1", "E=1"));
        unit_config_free(u);
        unit_diagnostics_done(&d);

        /* a reset in the drop-in clears the main file's */
        scratch_write(dir, "e.service.d/a.conf", "[Service]\nEnvironment=X=1\nEnvironment=\nEnvironment=Y=2\n");
        u = load_text(dir, "e.service", "[Service]\nExecStart=/bin/true\nEnvironment=A=1\n", &d);
        assert_non_null(u);
        assert_strv(u->environment, W("Y=2"));
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_write(dir, "e.service.d/a.conf", "");

        /* a bad line changes nothing */
        u = load_text(dir, "e.service", "[Service]\nExecStart=/bin/true\nEnvironment=A=1\nEnvironment=B=1 2X=3\n", &d);
        assert_null(u);
        assert_int_equal(strv_length(d.errors), 1);
        unit_diagnostics_done(&d);

        p += sprintf(p, "[Service]\nExecStart=/bin/true\n");
        for (size_t i = 0; i < 40000; i++)
                p += sprintf(p, "Environment=E%zu=%zu\n", i % 35000, i);
        t = now_s();
        u = load_text(dir, "e.service", text, &d);
        t = now_s() - t;
        assert_non_null(u);
        assert_int_equal(strv_length(u->environment), 35000);
        assert_string_equal(u->environment[0], "E0=35000");
        assert_string_equal(u->environment[34999], "E34999=34999");
        print_message("40000 Environment= lines loaded in %.3f s\n", t);
        assert_true(t < 10);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        free(text);
        scratch_remove(dir);
}

/* ---- prefixes ---- */

#define IGN EXEC_COMMAND_IGNORE_FAILURE
#define NOENV EXEC_COMMAND_NO_ENV_EXPAND
#define FULL EXEC_COMMAND_FULL_PRIVILEGES
#define NOUSER EXEC_COMMAND_NO_USER_CHANGE
#define AMB EXEC_COMMAND_AMBIENT_FALLBACK

static void test_prefixes(void **state) {
        const struct { const char *in, *path; ExecCommandFlags flags; const char *const *argv; } t[] = {
                /* the units that made this matter */
                { "+/usr/bin/pg_backupcluster 15 main", "/usr/bin/pg_backupcluster", FULL,
                  W("/usr/bin/pg_backupcluster", "15", "main") },
                { "!!/lib/systemd/systemd-networkd", "/lib/systemd/systemd-networkd", AMB,
                  W("/lib/systemd/systemd-networkd") },
                /* each alone */
                { "-/bin/x", "/bin/x", IGN, W("/bin/x") },
                { "@/bin/x y", "/bin/x", 0, W("y") },
                { ":/bin/x $A", "/bin/x", NOENV, W("/bin/x", "$A") },
                { "+/bin/x", "/bin/x", FULL, W("/bin/x") },
                { "!/bin/x", "/bin/x", NOUSER, W("/bin/x") },
                /* combinations, any order */
                { "-+/bin/x", "/bin/x", IGN | FULL, W("/bin/x") },
                { "+-/bin/x", "/bin/x", IGN | FULL, W("/bin/x") },
                { ":-@+/bin/x y", "/bin/x", NOENV | IGN | FULL, W("y") },
                { "!!:/bin/x", "/bin/x", AMB | NOENV, W("/bin/x") },
                { "@!!-:/bin/x y z", "/bin/x", AMB | IGN | NOENV, W("y", "z") },
                { "-!/bin/x", "/bin/x", IGN | NOUSER, W("/bin/x") },
                /* systemd counts '!'s, so a '!' after another prefix still makes "!!" */
                { "!-!/bin/x", "/bin/x", AMB | IGN, W("/bin/x") },
                { "!:!@/bin/x y", "/bin/x", AMB | NOENV, W("y") },
                /* a prefix on a plain name, looked up in PATH */
                { "+env A=1", "env", FULL, W("env", "A=1") },
                /* without a '/', what does not fit as a prefix is the name (systemd) */
                { "+!", "!", FULL, W("!") },
                { "--x", "-x", IGN, W("-x") },
                { "!!!x", "!x", AMB, W("!x") },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ExecCommand c = {};
                CrlError e = {};

                if (parse_command_line(t[i].in, &c, &e) != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_string_equal(c.path, t[i].path);
                if (c.flags != t[i].flags)
                        fail_msg("\"%s\": flags %#x, expected %#x", t[i].in, c.flags, t[i].flags);
                assert_strv(c.argv, t[i].argv);
                exec_command_done(&c);
        }
}

/* Refused as systemd refuses them (it stops reading prefixes at the first
 * one that does not fit and then finds no absolute path). */
static void test_prefixes_refused(void **state) {
        static const struct { const char *in, *err; } t[] = {
                { "+!/bin/x", "\"+!/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "!+/bin/x", "\"!+/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "+!!/bin/x", "\"+!!/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "!!+/bin/x", "\"!!+/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "!!!/bin/x", "\"!!!/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "++/bin/x", "\"++/bin/x\": only one of the '+', '!' and '!!' prefixes may be given" },
                { "--/bin/x", "\"--/bin/x\": the '-' prefix is given twice" },
                { "@@/bin/x a b", "\"@@/bin/x\": the '@' prefix is given twice" },
                { "::/bin/x", "\"::/bin/x\": the ':' prefix is given twice" },
                { "-:-/bin/x", "\"-:-/bin/x\": the '-' prefix is given twice" },
                { "-", "empty path in command line (no command after the prefixes)" },
                { "@/bin/x", "\"@/bin/x\": the '@' prefix needs argv[0] as the second word" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ExecCommand c = {};
                CrlError e = {};
                int r = parse_command_line(t[i].in, &c, &e);

                if (r != -EINVAL)
                        fail_msg("\"%s\": expected -EINVAL, got %d", t[i].in, r);
                if (!streq(e.message, t[i].err))
                        fail_msg("\"%s\":\n  got:      %s\n  expected: %s", t[i].in, e.message, t[i].err);
                assert_null(c.path);
                assert_null(c.argv);
        }
}

/* ':' leaves $VAR alone when the command is run; without it they expand. */
static void test_no_env_expand(void **state) {
        static char *env[] = { "A=x y", NULL };
        _cleanup_strv_free_ char **out = NULL, **out2 = NULL;
        ExecCommand c = {};
        CrlError e = {};

        assert_int_equal(parse_command_line(":/bin/echo $A ${A} $$A", &c, &e), 0);
        assert_int_equal(unit_exec_expand(&c, env, &out), 0);
        assert_strv(out, W("/bin/echo", "$A", "${A}", "$$A"));
        c.flags &= ~EXEC_COMMAND_NO_ENV_EXPAND;
        assert_int_equal(unit_exec_expand(&c, env, &out2), 0);
        assert_strv(out2, W("/bin/echo", "x", "y", "x y", "$A"));
        exec_command_done(&c);
}

/* ---- paths ---- */

static void test_paths(void **state) {
        /* path after simplification (systemd's path_simplify(): ".." kept), argv[0] as written */
        static const struct { const char *in, *path, *argv0; } t[] = {
                { "/bin/../bin/true", "/bin/../bin/true", "/bin/../bin/true" },
                { "//usr/./bin//env", "/usr/bin/env", "//usr/./bin//env" },
                { "/bin/.", "/bin", "/bin/." },
                { "/..", "/..", "/.." },
                { "env", "env", "env" },
                { "\"/opt/my app/run\"", "/opt/my app/run", "/opt/my app/run" },
                { "...", "...", "..." },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ExecCommand c = {};
                CrlError e = {};

                if (parse_command_line(t[i].in, &c, &e) != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_string_equal(c.path, t[i].path);
                assert_string_equal(c.argv[0], t[i].argv0);
                exec_command_done(&c);
        }

        /* systemd's refusals, in its order and words */
        char long_name[300], long_path[4200];
        memset(long_name, 'a', 256);
        long_name[0] = '/';
        long_name[257] = '\0';
        long_name[256] = 'a';
        for (size_t i = 0; i < 4100; i += 2)
                memcpy(long_path + i, "/a", 2);
        long_path[4100] = '\0';
        const struct { const char *in, *err; } bad[] = {
                { "/usr/bin/", "executable path specifies a directory: \"/usr/bin/\"" },
                { "/", "executable path specifies a directory: \"/\"" },
                { "-/usr/bin/ x", "executable path specifies a directory: \"/usr/bin/\"" },
                { "/bin/a\\x22b", "executable name contains special characters (quotes, backslashes or control "
                                  "characters): \"/bin/a\"b\"" },
                { "\"/bin/a\\\\b\"", NULL },
                { "/bin/a\\tb", NULL },
                { "bin/x", "\"bin/x\" is neither an absolute path nor a plain command name (e.g. /usr/bin/env or env)" },
                { "..", "\"..\" is neither an absolute path nor a plain command name (e.g. /usr/bin/env or env)" },
                { ".", NULL },
                { "./x", NULL },
                { long_name, NULL },
                { long_name + 1, NULL },
                { long_path, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ExecCommand c = {};
                CrlError e = {};
                int r = parse_command_line(bad[i].in, &c, &e);

                if (r != -EINVAL)
                        fail_msg("\"%.40s\": expected -EINVAL, got %d", bad[i].in, r);
                if (bad[i].err && !streq(e.message, bad[i].err))
                        fail_msg("\"%s\":\n  got:      %s\n  expected: %s", bad[i].in, e.message, bad[i].err);
                assert_null(c.path);
        }
        long_name[256] = '\0';  /* 255 bytes: the limit */
        ExecCommand c = {};
        CrlError e = {};
        assert_int_equal(parse_command_line(long_name, &c, &e), 0);
        exec_command_done(&c);
}

/* ---- ";" and "\;" ---- */

static void test_semicolons(void **state) {
        const struct { const char *in; const char *const *argv; } t[] = {
                { "/usr/bin/find . -exec rm {} \\;", W("/usr/bin/find", ".", "-exec", "rm", "{}", ";") },
                { "/bin/echo \\; x", W("/bin/echo", ";", "x") },
                { "/bin/echo a;b", W("/bin/echo", "a;b") },
                { "/bin/echo ';'", W("/bin/echo", ";") },
                { "/bin/echo \";\"", W("/bin/echo", ";") },
                { "/bin/echo \\\\;", W("/bin/echo", "\\;") },
                { "/bin/echo x;", W("/bin/echo", "x;") },
                /* not a lone "\;": an unknown escape, kept (systemd's cunescape has no ';') */
                { "/bin/echo b\\;", W("/bin/echo", "b\\;") },
                { "/bin/echo \\;b", W("/bin/echo", "\\;b") },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ExecCommand c = {};
                CrlError e = {};

                if (parse_command_line(t[i].in, &c, &e) != 0)
                        fail_msg("\"%s\": %s", t[i].in, e.message);
                assert_strv(c.argv, t[i].argv);
                exec_command_done(&c);
        }

        /* the loader warns for "b\;" (as systemd's extract_first_word_and_warn()),
         * not for the lone "\;" */
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, "s.service", "[Service]\nExecStart=/bin/echo b\\; \\; c\n", &d);

        assert_non_null(u);
        assert_strv(u->exec_start[0].argv, W("/bin/echo", "b\\;", ";", "c"));
        assert_int_equal(strv_length(d.warnings), 1);
        assert_string_equal(strip_dir(d.warnings[0], dir),
                            "s.service:2: ExecStart: ignoring unknown escape sequence \"\\;\" "
                            "(the backslash is kept as written; write \\\\ for a backslash)");
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void commands_free(ExecCommand *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                exec_command_done(&c[i]);
        free(c);
}

/* systemd's several commands on one line: "a ; b", empty ones skipped. */
static void test_command_lines(void **state) {
        ExecCommand *c = NULL;
        size_t n = 0;
        CrlError e = {};

        assert_int_equal(parse_command_lines("/bin/a 1 ; -/bin/b \\; ; ; :/bin/c $X ;", &c, &n, &e), 0);
        assert_int_equal(n, 3);
        assert_strv(c[0].argv, W("/bin/a", "1"));
        assert_int_equal(c[0].flags, 0);
        assert_strv(c[1].argv, W("/bin/b", ";"));
        assert_int_equal(c[1].flags, IGN);
        assert_strv(c[2].argv, W("/bin/c", "$X"));
        assert_int_equal(c[2].flags, NOENV);

        /* appended to what is there */
        assert_int_equal(parse_command_lines("; /bin/d", &c, &n, &e), 0);
        assert_int_equal(n, 4);
        assert_string_equal(c[3].path, "/bin/d");
        /* only separators: nothing, as in systemd (not a reset) */
        assert_int_equal(parse_command_lines(";", &c, &n, &e), 0);
        assert_int_equal(n, 4);

        /* one bad command refuses the whole line: nothing appended */
        assert_int_equal(parse_command_lines("/bin/e ; bin/f", &c, &n, &e), -EINVAL);
        assert_string_equal(e.message, "\"bin/f\" is neither an absolute path nor a plain command name "
                            "(e.g. /usr/bin/env or env)");
        assert_int_equal(n, 4);
        crl_error_clear(&e);
        assert_int_equal(parse_command_lines("/bin/e ; @/bin/f", &c, &n, &e), -EINVAL);
        assert_int_equal(n, 4);
        commands_free(c, n);

        ExecCommand one = {};
        assert_int_equal(parse_command_line("/bin/a ; /bin/b", &one, &e), -EINVAL);
        assert_null(one.path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_many_arguments),
                cmocka_unit_test(test_many_assignments),
                cmocka_unit_test(test_many_file_assignments),
                cmocka_unit_test(test_environment_lines),
                cmocka_unit_test(test_list_keys),
                cmocka_unit_test(test_long_lists_and_many_diagnostics),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_prefixes_refused),
                cmocka_unit_test(test_no_env_expand),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_semicolons),
                cmocka_unit_test(test_command_lines),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
