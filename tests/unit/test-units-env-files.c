/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EnvironmentFile= as read at start (unit_environment_files_read()): order
 * and precedence, '-' entries, glob patterns, the size bound, file types
 * refused before a read, and the messages naming file and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <unistd.h>

#include "units-test-util.h"

static void add_file(UnitConfig *u, const char *dir, const char *name, bool optional) {
        EnvironmentFile *f = realloc(u->environment_files, (u->n_environment_files + 1) * sizeof(*f));

        assert_non_null(f);
        u->environment_files = f;
        f = &u->environment_files[u->n_environment_files++];
        f->optional = optional;
        assert_true(asprintf(&f->path, "%s/%s", dir, name) >= 0);
}

static UnitConfig *unit(void) {
        UnitConfig *u = NULL;

        assert_int_equal(unit_config_new("web", &u), 0);
        return u;
}

static const char *get(char **env, const char *name) {
        size_t n = strlen(name);
        const char *v = NULL;

        STRV_FOREACH(e, env)
                if (strneq(*e, name, n) && (*e)[n] == '=') {
                        assert_null(v);         /* every name once */
                        v = *e + n + 1;
                }
        return v;
}

/* Files in order, later ones win; what *env had is overridden too. */
static void test_order(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = unit();
        char **env = NULL;
        CrlError e = {};

        scratch_write(dir, "a", "A=1\nB=from-a\n# comment\nexport C=\"quoted value\"\n");
        scratch_write(dir, "b", "B=from-b\nD='$HOME'\n");
        add_file(u, dir, "a", false);
        add_file(u, dir, "missing", true);
        add_file(u, dir, "b", false);
        assert_int_equal(strv_extend(&env, "A=before"), 0);
        assert_int_equal(unit_environment_files_read(u, &env, &e), 0);
        assert_false(crl_error_isset(&e));
        assert_string_equal(get(env, "A"), "1");
        assert_string_equal(get(env, "B"), "from-b");
        assert_string_equal(get(env, "C"), "quoted value");
        assert_string_equal(get(env, "D"), "$HOME");
        assert_int_equal(strv_length(env), 4);
        strv_free(env);
        unit_config_free(u);
        scratch_remove(dir);
}

static void expect_error(UnitConfig *u, int err, const char *dir, const char *want_after_dir) {
        char **env = NULL;
        CrlError e = {};
        char want[1024];

        (void) snprintf(want, sizeof(want), "EnvironmentFile=%s/%s", dir, want_after_dir);
        assert_int_equal(unit_environment_files_read(u, &env, &e), -err);
        assert_int_equal(e.error, err);
        assert_string_equal(e.message, want);
        strv_free(env);
}

static void test_required_missing(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = unit();

        add_file(u, dir, "nope", false);
        expect_error(u, ENOENT, dir, "nope: No such file or directory");
        unit_config_free(u);
        scratch_remove(dir);
}

/* A parse error names the line; with '-' the broken file is skipped whole. */
static void test_parse_error(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = unit();
        char **env = NULL;
        CrlError e = {};

        scratch_write(dir, "bad", "A=1\nB=\"open\n");
        add_file(u, dir, "bad", false);
        expect_error(u, EINVAL, dir, "bad: line 2: unterminated double quote");
        u->environment_files[0].optional = true;
        scratch_write(dir, "good", "G=1\n");
        add_file(u, dir, "good", false);
        assert_int_equal(unit_environment_files_read(u, &env, &e), 0);
        assert_string_equal(get(env, "G"), "1");
        strv_free(env);
        unit_config_free(u);
        scratch_remove(dir);
}

/* A FIFO is refused before it is opened for reading (that would block);
 * a directory too; a file over 1 MiB is refused. */
static void test_types_and_size(void **state) {
        char *dir = scratch_dir(), path[4096], *big;
        UnitConfig *u = unit();
        FILE *f;

        signal(SIGALRM, SIG_DFL);
        alarm(10);
        (void) snprintf(path, sizeof(path), "%s/fifo", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        add_file(u, dir, "fifo", false);
        expect_error(u, EBADFD, dir, "fifo: is a FIFO, not a regular file");
        alarm(0);
        free(u->environment_files[0].path);
        assert_true(asprintf(&u->environment_files[0].path, "%s", dir) >= 0);
        (void) snprintf(path, sizeof(path), "EnvironmentFile=%s: %s", dir, strerror(EISDIR));
        {
                char **env = NULL;
                CrlError e = {};

                assert_int_equal(unit_environment_files_read(u, &env, &e), -EISDIR);
                assert_string_equal(e.message, path);
        }
        (void) snprintf(path, sizeof(path), "%s/big", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        big = malloc(1024 * 1024 + 1);
        memset(big, '#', 1024 * 1024 + 1);
        assert_int_equal(fwrite(big, 1, 1024 * 1024 + 1, f), 1024 * 1024 + 1);
        assert_int_equal(fclose(f), 0);
        free(big);
        free(u->environment_files[0].path);
        u->environment_files[0].path = strdup(path);
        expect_error(u, EFBIG, dir, "big: larger than 1 MiB");
        unit_config_free(u);
        scratch_remove(dir);
}

/* A pattern: its matches in sorted order; none matching fails unless '-'. */
static void test_glob(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = unit();
        char **env = NULL;
        CrlError e = {};

        scratch_write(dir, "20.env", "X=20\nY=20\n");
        scratch_write(dir, "10.env", "X=10\nZ=10\n");
        scratch_write(dir, "other", "X=other\n");
        add_file(u, dir, "*.env", false);
        assert_int_equal(unit_environment_files_read(u, &env, &e), 0);
        assert_string_equal(get(env, "X"), "20");
        assert_string_equal(get(env, "Y"), "20");
        assert_string_equal(get(env, "Z"), "10");
        strv_free(env);
        env = NULL;
        add_file(u, dir, "none-*.env", false);
        expect_error(u, ENOENT, dir, "none-*.env: no file matches");
        u->environment_files[1].optional = true;
        assert_int_equal(unit_environment_files_read(u, &env, &e), 0);
        strv_free(env);
        env = NULL;
        /* A broken match is named after the pattern. */
        scratch_write(dir, "30.env", "bad name=1\n");
        {
                char want[1024];

                (void) snprintf(want, sizeof(want), "*.env: %s/30.env: line 1: \"bad name\" is not a valid variable "
                                "name (letters, digits and '_', not starting with a digit)", dir);
                expect_error(u, EINVAL, dir, want);
        }
        unit_config_free(u);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_required_missing),
                cmocka_unit_test(test_parse_error),
                cmocka_unit_test(test_types_and_size),
                cmocka_unit_test(test_glob),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
