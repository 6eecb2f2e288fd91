/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Specifiers and escapes as systemd 252 reads them (systemd.unit(5)
 * "Specifiers", src/core/unit-printf.c, src/basic/unit-name.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fileio.h"
#include "units-test-util.h"
#include "unit-load-internal.h"

static void dump(const UnitDiagnostics *d) {
        STRV_FOREACH(e, d->errors)
                fprintf(stderr, "error: %s\n", *e);
        STRV_FOREACH(w, d->warnings)
                fprintf(stderr, "warning: %s\n", *w);
}

/* The value of NAME in the unit's environment, or NULL. */
static const char *env_get(const UnitConfig *u, const char *name) {
        size_t n = strlen(name);

        STRV_FOREACH(e, u->environment)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

/* A 128-bit id from FILE as systemd formats it: 32 lowercase hex digits. */
static char *read_id128(const char *file) {
        char *line = NULL, *out;
        size_t k = 0;

        if (read_line_at(AT_FDCWD, file, &line) < 0)
                return NULL;
        out = calloc(1, 33);
        for (const char *c = line; *c && k < 32; c++)
                if (*c != '-')
                        out[k++] = *c;
        free(line);
        return out;
}

/* FIELD= of /etc/os-release, unquoted (our test machines quote simply). */
static char *os_release(const char *field) {
        _cleanup_free_ char *text = NULL;
        size_t n = strlen(field), size;

        if (read_file_at(AT_FDCWD, "/etc/os-release", &text, &size) < 0 &&
            read_file_at(AT_FDCWD, "/usr/lib/os-release", &text, &size) < 0)
                return NULL;
        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strneq(l, field, n) && l[n] == '=') {
                        char *v = l + n + 1, *end = v + strcspn(v, "\n");

                        if (*v == '"' || *v == '\'')
                                v++, end--;
                        return strndup(v, (size_t) (end - v));
                }
        return strdup("");
}

static void test_every_specifier(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;
        struct utsname un;
        char real[PATH_MAX], *slash;
        _cleanup_free_ char *m = read_id128("/etc/machine-id"), *b = read_id128("/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *o = os_release("ID"), *w = os_release("VERSION_ID");

        u = load_text(dir, "foo-bar.service",
                "[Service]\n"
                "ExecStart=/bin/true\n"
                "User=nobody\nGroup=nogroup\n"
                "Environment=n=%n N=%N p=%p P=%P i=%i I=%I j=%j J=%J f=%f\n"
                "Environment=t=%t S=%S C=%C L=%L E=%E T=%T V=%V d=%d\n"
                "Environment=h=%h s=%s u=%u U=%U g=%g G=%G\n"
                "Environment=H=%H l=%l q=%q m=%m b=%b v=%v a=%a\n"
                "Environment=o=%o w=%w W=%W B=%B M=%M A=%A\n"
                "Environment=y=%y Y=%Y pct=%%\n", &d);
        dump(&d);
        assert_non_null(u);
        assert_string_equal(env_get(u, "n"), "foo-bar.service");
        assert_string_equal(env_get(u, "N"), "foo-bar");
        assert_string_equal(env_get(u, "p"), "foo-bar");
        assert_string_equal(env_get(u, "P"), "foo/bar");
        assert_string_equal(env_get(u, "i"), "");
        assert_string_equal(env_get(u, "I"), "");
        assert_string_equal(env_get(u, "j"), "bar");
        assert_string_equal(env_get(u, "J"), "bar");
        assert_string_equal(env_get(u, "f"), "/foo/bar");
        assert_string_equal(env_get(u, "t"), "/run");
        assert_string_equal(env_get(u, "S"), "/var/lib");
        assert_string_equal(env_get(u, "C"), "/var/cache");
        assert_string_equal(env_get(u, "L"), "/var/log");
        assert_string_equal(env_get(u, "E"), "/etc");
        assert_string_equal(env_get(u, "T"), "/tmp");
        assert_string_equal(env_get(u, "V"), "/var/tmp");
        assert_string_equal(env_get(u, "d"), "/run/credentials/foo-bar.service");
        /* the manager's user, not User=/Group= (systemd >= 228; 252's
         * systemd-analyze verify prints root, 0, /root for this unit) */
        assert_string_equal(env_get(u, "h"), "/root");
        assert_string_equal(env_get(u, "s"), access("/bin/bash", F_OK) == 0 ? "/bin/bash" : "/bin/sh");
        assert_string_equal(env_get(u, "u"), "root");
        assert_string_equal(env_get(u, "U"), "0");
        assert_string_equal(env_get(u, "g"), "root");
        assert_string_equal(env_get(u, "G"), "0");
        assert_int_equal(uname(&un), 0);
        assert_string_equal(env_get(u, "H"), un.nodename);
        assert_true(strneq(env_get(u, "l"), un.nodename, strlen(env_get(u, "l"))));
        assert_null(strchr(env_get(u, "l"), '.'));
        assert_non_null(env_get(u, "q"));
        if (m)
                assert_string_equal(env_get(u, "m"), m);
        assert_non_null(b);
        assert_string_equal(env_get(u, "b"), b);
        assert_string_equal(env_get(u, "v"), un.release);
#if defined(__x86_64__)
        assert_string_equal(env_get(u, "a"), "x86-64");
#elif defined(__aarch64__)
        assert_string_equal(env_get(u, "a"), "arm64");
#endif
        assert_non_null(o);
        assert_string_equal(env_get(u, "o"), o);
        assert_string_equal(env_get(u, "w"), w);
        assert_non_null(env_get(u, "W"));
        assert_non_null(realpath(dir, real));
        strcat(real, "/foo-bar.service");
        assert_string_equal(env_get(u, "y"), real);
        slash = strrchr(real, '/');
        *slash = 0;
        assert_string_equal(env_get(u, "Y"), real);
        assert_string_equal(env_get(u, "pct"), "%");
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* An instance: %i as written, %I and %f unescaped (systemd's
 * unit_name_unescape() and unit_name_path_unescape()). */
static void test_instance_specifiers(void **state) {
        char *dir = scratch_dir();
        char *const dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(dir, "my-fsck@.service",
                      "[Unit]\nDescription=Check %I on %f\n"
                      "[Service]\nExecStart=/bin/fsck %f %i\n"
                      "Environment=i=%i I=%I j=%j J=%J p=%p P=%P N=%N n=%n\n");
        assert_int_equal(unit_load("my-fsck@dev-disk-by\\x2duuid-12", dirs, &u, &d), 0);
        dump(&d);
        assert_string_equal(u->description, "Check dev/disk/by-uuid/12 on /dev/disk/by-uuid/12");
        assert_string_equal(u->exec_start[0].argv[1], "/dev/disk/by-uuid/12");
        assert_string_equal(u->exec_start[0].argv[2], "dev-disk-by\\x2duuid-12");
        assert_string_equal(env_get(u, "i"), "dev-disk-by\\x2duuid-12");
        assert_string_equal(env_get(u, "I"), "dev/disk/by-uuid/12");
        assert_string_equal(env_get(u, "j"), "fsck");
        assert_string_equal(env_get(u, "J"), "fsck");
        assert_string_equal(env_get(u, "p"), "my-fsck");
        assert_string_equal(env_get(u, "P"), "my/fsck");
        assert_string_equal(env_get(u, "N"), "my-fsck@dev-disk-by\\x2duuid-12");
        assert_string_equal(env_get(u, "n"), "my-fsck@dev-disk-by\\x2duuid-12.service");
        unit_config_free(u);

        /* "-" alone is the root directory for %f. */
        assert_int_equal(unit_load("my-fsck@-", dirs, &u, &d), 0);
        assert_string_equal(u->exec_start[0].argv[1], "/");
        assert_string_equal(env_get(u, "I"), "/");
        unit_config_free(u);
        assert_null(d.errors);
        scratch_remove(dir);
}

/* A template checked as itself gets the instance "i", as systemd-analyze
 * verify does ("d@.service" is verified as "d@i.service"). */
static void test_template_as_itself(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "worker@.service",
                      "[Unit]\nDescription=Worker %I %f %j\nAfter=%i.device dev-%i.device %i.service\n"
                      "[Service]\nExecStart=/bin/w %i\nBindPaths=/srv/%i\nReadOnlyPaths=/srv/.%i\n"
                      "User=%i\n", &d);
        dump(&d);
        assert_non_null(u);
        assert_null(d.errors);
        assert_true(u->is_template);
        assert_null(u->instance);
        assert_string_equal(u->description, "Worker i /i worker");
        /* the devices are no services: one warning, with %i expanded */
        assert_int_equal(strv_length(d.warnings), 1);
        assert_non_null(strstr(d.warnings[0], ": After: i.device, dev-i.device are not services; corral ignores them"));
        assert_int_equal(strv_length(u->after), 1);
        assert_string_equal(u->after[0], "i");
        assert_string_equal(u->exec_start[0].argv[1], "i");
        assert_string_equal(u->bind_paths[0].source, "/srv/i");
        assert_string_equal(u->read_only_paths[0].path, "/srv/.i");
        assert_string_equal(u->user, "i");
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* A '%' that starts no specifier is kept (systemd's specifier_printf());
 * an unknown letter or digit is an error. */
static void test_percent_kept(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "p.service",
                      "[Unit]\nDescription=Uses 100%\n"
                      "[Service]\nExecStart=/bin/echo 50% %- %%i a%\nEnvironment=X=%/\n", &d);
        dump(&d);
        assert_non_null(u);
        assert_string_equal(u->description, "Uses 100%");
        assert_string_equal(u->exec_start[0].argv[1], "50%");
        assert_string_equal(u->exec_start[0].argv[2], "%-");
        assert_string_equal(u->exec_start[0].argv[3], "%i");
        assert_string_equal(u->exec_start[0].argv[4], "a%");
        assert_string_equal(env_get(u, "X"), "%/");
        unit_config_free(u);

        assert_null(load_text(dir, "z.service", "[Unit]\nDescription=100% %z sure\n[Service]\nExecStart=/bin/x %1\n", &d));
        assert_int_equal(strv_length(d.errors), 2);
        assert_string_equal(strip_dir(d.errors[0], dir),
                "z.service:2: Description: unknown specifier %z in \"100% %z sure\" "
                "(see systemd.unit(5) for the specifiers; write %% for a literal '%')");
        assert_string_equal(strip_dir(d.errors[1], dir),
                "z.service:4: ExecStart: unknown specifier %1 in \"/bin/x %1\" "
                "(see systemd.unit(5) for the specifiers; write %% for a literal '%')");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* Backslashes as systemd 252 reads them: unit names keep "\x2d" (a name of
 * its own), path lists only unquote ("\x2d" is "x2d", systemd's
 * EXTRACT_UNQUOTE without EXTRACT_CUNESCAPE), Exec and Environment lines
 * C-unescape. */
static void test_backslashes_per_key(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "b.service",
                      "[Unit]\nAfter=foo\\x2dbar.service dev-disk-by\\x2duuid-1.device\n"
                      "[Service]\nExecStart=/bin/echo a\\x2db\nEnvironment=A=a\\x2db\n"
                      "ReadOnlyPaths=/a\\x2db \"/c\\ d\"\nBindPaths=/s\\x2dt:/d\nTemporaryFileSystem=/t\\x2du\n", &d);
        dump(&d);
        assert_non_null(u);
        assert_int_equal(strv_length(u->after), 1);
        assert_string_equal(u->after[0], "foo\\x2dbar");
        assert_non_null(strstr(d.warnings[0], ": After: dev-disk-by\\x2duuid-1.device is not a service"));
        assert_string_equal(u->exec_start[0].argv[1], "a-b");
        assert_string_equal(env_get(u, "A"), "a-b");
        assert_string_equal(u->read_only_paths[0].path, "/ax2db");
        assert_string_equal(u->read_only_paths[1].path, "/c d");
        assert_string_equal(u->bind_paths[0].source, "/sx2dt");
        assert_string_equal(u->temporary_file_system[0].path, "/tx2du");
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* An unknown escape in a command line is kept as written with a warning
 * (systemd's extract_first_word_and_warn()); elsewhere it stays an error
 * (systemd ignores such an Environment= line). */
static void test_unknown_escapes(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "e.service",
                      "[Service]\nExecStart=/bin/echo a\\-b \\d \"x\\qy\" c\\\\d\n", &d);
        dump(&d);
        assert_non_null(u);
        assert_string_equal(u->exec_start[0].argv[1], "a\\-b");
        assert_string_equal(u->exec_start[0].argv[2], "\\d");
        assert_string_equal(u->exec_start[0].argv[3], "x\\qy");
        assert_string_equal(u->exec_start[0].argv[4], "c\\d");
        assert_null(d.errors);
        assert_int_equal(strv_length(d.warnings), 3);
        assert_string_equal(strip_dir(d.warnings[0], dir),
                "e.service:2: ExecStart: ignoring unknown escape sequence \"\\-\" "
                "(the backslash is kept as written; write \\\\ for a backslash)");
        assert_string_equal(strip_dir(d.warnings[1], dir),
                "e.service:2: ExecStart: ignoring unknown escape sequence \"\\d\" "
                "(the backslash is kept as written; write \\\\ for a backslash)");
        unit_config_free(u);
        unit_diagnostics_done(&d);

        assert_null(load_text(dir, "f.service", "[Service]\nExecStart=/bin/true\nEnvironment=A=a\\-b\n", &d));
        assert_int_equal(strv_length(d.errors), 1);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_unescape_rules(void **state) {
        static const struct { const char *in, *name, *path; } t[] = {
                { "foo\\x2dbar", "foo-bar", "/foo-bar" },
                { "dev-sda1", "dev/sda1", "/dev/sda1" },
                { "-", "/", "/" },
                { "a\\x20b", "a b", "/a b" },
                { "a--b", "a//b", NULL },               /* empty component */
                { "-a", "/a", NULL },                   /* leading slash */
                { "a-", "a/", NULL },
                { "a-.-b", "a/./b", NULL },
                { "a-..", "a/..", NULL },
                { "a\\d", NULL, NULL },               /* only \xNN */
                { "a\\x2", NULL, NULL },
                { "a\\x00", NULL, NULL },             /* would cut the string */
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char *x = NULL;
                int r = unit_name_unescape(t[i].in, &x);

                if (t[i].name) {
                        assert_int_equal(r, 0);
                        assert_string_equal(x, t[i].name);
                } else
                        assert_int_equal(r, -EINVAL);
                free(x);
                x = NULL;
                r = unit_name_path_unescape(t[i].in, &x);
                if (t[i].path) {
                        assert_int_equal(r, 0);
                        assert_string_equal(x, t[i].path);
                } else
                        assert_int_equal(r, -EINVAL);
                free(x);
        }
}

/* An expansion is read literally: escaped for words with quoting, refused
 * when it would split a unit reference. */
static void test_expansion_modes(void **state) {
        const Specifiers spec = { "w@a\\x20b\\x27c.service", "w@a\\x20b\\x27c", "w", "a\\x20b\\x27c", true, NULL };
        CrlError e = {};
        char *x = NULL;

        assert_int_equal(specifiers_expand("x=%I %i", &spec, SPECIFIER_RAW, &x, &e), 0);
        assert_string_equal(x, "x=a b'c a\\x20b\\x27c");
        free(x);
        assert_int_equal(specifiers_expand("x=%I %i", &spec, SPECIFIER_ESCAPE, &x, &e), 0);
        assert_string_equal(x, "x=a\\ b\\'c a\\\\x20b\\\\x27c");
        free(x);
        assert_int_equal(specifiers_expand("%I.device", &spec, SPECIFIER_ONE_WORD, &x, &e), -EINVAL);
        assert_string_equal(e.message, "%I expands to \"a b'c\", which holds a space");
        assert_int_equal(specifiers_expand("%y", &spec, SPECIFIER_RAW, &x, &e), -ENOENT);
        assert_int_equal(specifiers_expand("100% %", &spec, SPECIFIER_RAW, &x, &e), 0);
        assert_string_equal(x, "100% %");
        free(x);
}

static void test_spaces_in_instance(void **state) {
        char *dir = scratch_dir();
        char *const dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(dir, "s@.service", "[Service]\nExecStart=/bin/echo %I\nEnvironment=\"X=%I\"\n"
                                         "ReadOnlyPaths=/srv/%I\n");
        assert_int_equal(unit_load("s@a\\x20b", dirs, &u, &d), 0);
        dump(&d);
        assert_int_equal(strv_length(u->exec_start[0].argv), 2);
        assert_string_equal(u->exec_start[0].argv[1], "a b");
        assert_string_equal(env_get(u, "X"), "a b");
        assert_string_equal(u->read_only_paths[0].path, "/srv/a b");
        unit_config_free(u);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_specifier),
                cmocka_unit_test(test_instance_specifiers),
                cmocka_unit_test(test_template_as_itself),
                cmocka_unit_test(test_percent_kept),
                cmocka_unit_test(test_backslashes_per_key),
                cmocka_unit_test(test_unknown_escapes),
                cmocka_unit_test(test_unescape_rules),
                cmocka_unit_test(test_expansion_modes),
                cmocka_unit_test(test_spaces_in_instance),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
