/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit files as files: what is refused by file type before it is read
 * (FIFOs, sockets, devices), masked units, aliases, dangling and looping
 * links, and how diagnostics are placed and escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "units-test-util.h"

/* A read that blocks would hang the test forever: end it instead. */
static void arm_watchdog(void) {
        signal(SIGALRM, SIG_DFL);
        alarm(10);
}

static char *path_in(const char *dir, const char *name) {
        char *p;

        assert_true(asprintf(&p, "%s/%s", dir, name) >= 0);
        return p;
}

/* The only diagnostic of D is an error equal to WANT (after DIR/). */
static void assert_one_error(const UnitDiagnostics *d, const char *dir, const char *want) {
        assert_non_null(d->errors);
        assert_string_equal(strip_dir(d->errors[0], dir), want);
        assert_null(d->errors[1]);
}

static void test_fifo_unit_file(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "fifo.service");
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        arm_watchdog();
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(unit_load_file(p, &u, &d), -EBADFD);
        assert_null(u);
        assert_one_error(&d, dir, "fifo.service:0: is a FIFO, not a regular file; refusing to read it");
        alarm(0);
        unit_diagnostics_done(&d);
        free(p);
        scratch_remove(dir);
}

static void test_fifo_dropin(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "web.service.d/a.conf");
        char *main_path = path_in(dir, "web.service"), *dropins;
        char *dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        arm_watchdog();
        scratch_write(dir, "web.service", "[Service]\nExecStart=/bin/true\n");
        dropins = path_in(dir, "web.service.d");
        assert_int_equal(mkdir(dropins, 0755), 0);
        free(dropins);
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(unit_load_file(main_path, &u, &d), -EINVAL);
        assert_one_error(&d, dir, "web.service.d/a.conf:0: is a FIFO, not a regular file; refusing to read it");
        unit_diagnostics_done(&d);
        d = (UnitDiagnostics) {};

        /* The same through the units directories, as corrald loads it. */
        assert_int_equal(unit_load("web", dirs, &u, &d), -EINVAL);
        assert_one_error(&d, dir, "web.service.d/a.conf:0: is a FIFO, not a regular file; refusing to read it");
        alarm(0);
        unit_diagnostics_done(&d);
        free(p);
        free(main_path);
        scratch_remove(dir);
}

static void test_socket_and_device(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "sock.service");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;
        int fd;

        arm_watchdog();
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(unit_load_file(p, &u, &d), -EBADFD);
        assert_one_error(&d, dir, "sock.service:0: is a socket, not a regular file; refusing to read it");
        unit_diagnostics_done(&d);
        close(fd);

        /* A character device other than /dev/null (which masks). */
        d = (UnitDiagnostics) {};
        free(p);
        p = path_in(dir, "zero.service");
        assert_int_equal(symlink("/dev/zero", p), 0);
        assert_int_equal(unit_load_file(p, &u, &d), -EBADFD);
        assert_one_error(&d, dir, "zero.service:0: is a character device, not a regular file; refusing to read it");
        alarm(0);
        unit_diagnostics_done(&d);
        free(p);
        scratch_remove(dir);
}

static void test_fifo_config(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "corrald.conf");
        UnitDiagnostics d = {};
        ManagerConfig *m = NULL;

        arm_watchdog();
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(manager_config_load(p, &m, &d), -EBADFD);
        assert_null(m);
        assert_one_error(&d, dir, "corrald.conf:0: is a FIFO, not a regular file; refusing to read it");
        alarm(0);
        unit_diagnostics_done(&d);
        free(p);
        scratch_remove(dir);
}

static void link_in(const char *dir, const char *target, const char *name) {
        char *p = path_in(dir, name);

        assert_int_equal(symlink(target, p), 0);
        free(p);
}

static const UnitFileEntry *entry(const UnitFileEntry *list, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(list[i].name, name) && !list[i].shadowed)
                        return &list[i];
        fail_msg("no entry %s", name);
        return NULL;
}

/* One dir as /lib/systemd/system has it: aliases, masks, broken links. */
static void test_dir_entries(void **state) {
        char *dir = scratch_dir(), *fifo = path_in(dir, "fifo.service");
        char *dirs[] = { dir, NULL };
        UnitFileEntry *list;
        char **names = NULL;
        size_t n;

        scratch_write(dir, "web.service", "[Service]\nExecStart=/bin/true\n");
        scratch_write(dir, "worker@.service", "[Service]\nExecStart=/bin/true %i\n");
        scratch_write(dir, "empty.service", "");
        link_in(dir, "web.service", "alias.service");
        link_in(dir, "alias.service", "alias2.service");        /* a chain: still web */
        link_in(dir, "worker@.service", "worker@1.service");    /* the instance itself */
        link_in(dir, "worker@.service", "other@.service");      /* a template's alias */
        link_in(dir, "/dev/null", "masked.service");
        link_in(dir, "nowhere.service", "dangling.service");
        link_in(dir, "loop2.service", "loop1.service");
        link_in(dir, "loop1.service", "loop2.service");
        link_in(dir, "web.service", "bad name.service");
        assert_int_equal(mkfifo(fifo, 0600), 0);

        assert_int_equal(unit_dirs_scan(dirs, &list, &n), 0);
        assert_int_equal(n, 13);
        assert_int_equal(entry(list, n, "web")->kind, UNIT_FILE_UNIT);
        assert_int_equal(entry(list, n, "alias")->kind, UNIT_FILE_ALIAS);
        assert_string_equal(entry(list, n, "alias")->target, "web");
        assert_int_equal(entry(list, n, "alias2")->kind, UNIT_FILE_ALIAS);
        assert_string_equal(entry(list, n, "alias2")->target, "web");
        assert_int_equal(entry(list, n, "worker@1")->kind, UNIT_FILE_UNIT);
        assert_int_equal(entry(list, n, "other@")->kind, UNIT_FILE_ALIAS);
        assert_string_equal(entry(list, n, "other@")->target, "worker@");
        assert_int_equal(entry(list, n, "masked")->kind, UNIT_FILE_MASKED);
        assert_int_equal(entry(list, n, "empty")->kind, UNIT_FILE_MASKED);
        assert_int_equal(entry(list, n, "dangling")->kind, UNIT_FILE_DANGLING);
        assert_int_equal(entry(list, n, "dangling")->error, ENOENT);
        assert_int_equal(entry(list, n, "loop1")->kind, UNIT_FILE_LOOP);
        assert_int_equal(entry(list, n, "loop2")->kind, UNIT_FILE_LOOP);
        assert_int_equal(entry(list, n, "fifo")->kind, UNIT_FILE_NOT_REGULAR);
        assert_int_equal(entry(list, n, "fifo")->mode, S_IFIFO);
        assert_int_equal(entry(list, n, "bad name")->kind, UNIT_FILE_BAD_NAME);
        unit_file_entries_free(list, n);

        /* The services: one per unit, whatever its number of names. */
        assert_int_equal(unit_list_names(dirs, &names), 0);
        assert_int_equal(strv_length(names), 3);
        assert_string_equal(names[0], "web");
        assert_string_equal(names[1], "worker@");
        assert_string_equal(names[2], "worker@1");
        strv_free(names);
        free(fifo);
        scratch_remove(dir);
}

/* A mask in a later dir hides the unit of an earlier one (systemd's
 * /etc/systemd/system/x.service -> /dev/null), for listing and loading. */
static void test_mask_hides_earlier_dir(void **state) {
        char *d1 = scratch_dir(), *d2 = scratch_dir();
        char *dirs[] = { d1, d2, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;
        char **names = NULL;

        scratch_write(d1, "web.service", "[Service]\nExecStart=/bin/true\n");
        link_in(d2, "/dev/null", "web.service");
        assert_int_equal(unit_list_names(dirs, &names), 0);
        assert_null(names);
        assert_int_equal(unit_load("web", dirs, &u, &d), -ERFKILL);
        assert_null(u);
        assert_one_error(&d, d2, "web.service:0: is masked (a link to /dev/null or an empty file), not loading it");
        unit_diagnostics_done(&d);
        scratch_remove(d1);
        scratch_remove(d2);
}

static void test_masked_file_and_dropin(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "m.service");
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        link_in(dir, "/dev/null", "m.service");
        assert_int_equal(unit_load_file(p, &u, &d), -ERFKILL);
        assert_one_error(&d, dir, "m.service:0: is masked (a link to /dev/null or an empty file), not loading it");
        unit_diagnostics_done(&d);
        free(p);

        /* A masked drop-in is nothing: it only hides one of its name. */
        d = (UnitDiagnostics) {};
        p = path_in(dir, "web.service");
        scratch_write(dir, "web.service", "[Service]\nExecStart=/bin/true\n");
        scratch_write(dir, "web.service.d/a.conf", "");
        link_in(dir, "/dev/null", "web.service.d/b.conf");
        assert_int_equal(unit_load_file(p, &u, &d), 0);
        assert_null(d.errors);
        assert_null(d.warnings);
        unit_config_free(u);
        free(p);
        scratch_remove(dir);
}

/* An unreadable drop-in directory says why, and the unit is not loaded
 * without it (it may hold the unit's confinement). */
static void test_unreadable_dropin_dir(void **state) {
        char *dir = scratch_dir(), *p = path_in(dir, "web.service");
        char *dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(dir, "web.service", "[Service]\nExecStart=/bin/true\n");
        link_in(dir, "web.service.d", "web.service.d");
        assert_int_equal(unit_load("web", dirs, &u, &d), -EINVAL);
        assert_null(u);
        assert_one_error(&d, dir, "web.service.d:0: cannot read the drop-in directory: Too many levels of symbolic links");
        unit_diagnostics_done(&d);
        d = (UnitDiagnostics) {};
        assert_int_equal(unit_load_file(p, &u, &d), -EINVAL);
        assert_one_error(&d, dir, "web.service.d:0: cannot read the drop-in directory: Too many levels of symbolic links");
        unit_diagnostics_done(&d);
        free(p);
        scratch_remove(dir);
}

/* Errors and warnings together, in line order (what verify prints). */
static void test_diagnostics_in_line_order(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;
        static const char *const want[] = {
                "o.service:2: Description: assignment outside of any section, ignoring",
                "o.service:4: Nice: \"40\" is out of range (-20 to 19)",
                "o.service:5: Bogus: unknown key in [Service], ignoring",
                "o.service:6: Nice: \"50\" is out of range (-20 to 19)",
                "o.service.d/a.conf:2: Bogus: unknown key in [Service], ignoring",
                "o.service.d/a.conf:3: Nice: \"60\" is out of range (-20 to 19)",
        };

        scratch_write(dir, "o.service.d/a.conf", "[Service]\nBogus=1\nNice=60\n");
        u = load_text(dir, "o.service", "\nDescription=x\n[Service]\nNice=40\nBogus=1\nNice=50\nExecStart=/bin/true\n", &d);
        assert_null(u);
        assert_int_equal(strv_length(d.lines), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(strip_dir(d.lines[i], dir), want[i]);
        assert_int_equal(strv_length(d.errors), 3);
        assert_int_equal(strv_length(d.warnings), 3);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* DIR/FILE's diagnostics, errors and warnings in line order, against WANT. */
static void assert_lines(const char *text, const char *const *want, size_t n) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "t.service", text, &d);
        for (size_t i = 0; d.lines && d.lines[i]; i++)
                fprintf(stderr, "got: %s\n", d.lines[i]);
        assert_int_equal(strv_length(d.lines), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(strip_dir(d.lines[i], dir), want[i]);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_wording(void **state) {
        static const char *const want[] = {
                "t.service:3: CPUQuota: \"50000000%\" is above the maximum, 21474836%",
                "t.service:4: MemoryMax: \"150%\" is above the maximum, 100%",
                "t.service:5: TimeOffsetSec: \"5 parsecs\" is not a time span: unknown unit \"parsecs\" "
                "(use us, ms, s, min, h, d, w, M, y)",
                "t.service:6: TimeOffsetSec: \"-99999999999999999999\" is too large (at most about 292277 years)",
                "t.service:7: TimeoutStopSec: \"5 parsecs\" is not a time span: unknown unit \"parsecs\" "
                "(use us, ms, s, min, h, d, w, M, y, or infinity)",
        };

        assert_lines("[Service]\nExecStart=/bin/true\nCPUQuota=50000000%\nMemoryMax=150%\n"
                     "TimeOffsetSec=5 parsecs\nTimeOffsetSec=-99999999999999999999\nTimeoutStopSec=5 parsecs\n",
                     want, ELEMENTSOF(want));
}

/* Control characters in names and values never reach the terminal raw:
 * ESC, BEL, DEL, C1 controls and bytes that are no UTF-8 are \xNN. */
static void test_control_chars_escaped(void **state) {
        static const char *const want[] = {
                "t.service:2: Nice: \"\\x1b[2J\" is not a number (expected an integer from -20 to 19)",
                "t.service:3: Bo\\x07gus: unknown key in [Service], ignoring",
                "t.service:4: Description: belongs in [Unit], not [Service], ignoring",
                "t.service:5: Nice: \"\\x7f\\xc2\\x9b\" is not a number (expected an integer from -20 to 19)",
                "t.service:6: Nice: \"\xc3\xa9\" is not a number (expected an integer from -20 to 19)",
        };

        assert_lines("[Service]\nNice=\x1b[2J\nBo\x07gus=1\nDescription=\x1b]0;owned\x07\n"
                     "Nice=\x7f\xc2\x9b\nNice=\xc3\xa9\nExecStart=/bin/true\n", want, ELEMENTSOF(want));
}

/* A '%' before a space or a control character is no "unknown specifier %
 * " but kept as written, as systemd's specifier_printf() keeps a '%' that
 * starts no specifier; the value then reaches the model unchanged. */
static void test_lone_percent(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_text(dir, "t.service", "[Unit]\nDescription=50% off\nDescription=50%\x1b\n"
                      "[Service]\nExecStart=/bin/true\n", &d);
        assert_non_null(u);
        assert_null(d.lines);
        assert_string_equal(u->description, "50%\x1b");
        unit_config_free(u);
        u = load_text(dir, "t.service", "[Unit]\nDescription=50% off\n[Service]\nExecStart=/bin/true\n", &d);
        assert_non_null(u);
        assert_null(d.lines);
        assert_string_equal(u->description, "50% off");
        unit_config_free(u);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_unit_file),
                cmocka_unit_test(test_fifo_dropin),
                cmocka_unit_test(test_socket_and_device),
                cmocka_unit_test(test_fifo_config),
                cmocka_unit_test(test_dir_entries),
                cmocka_unit_test(test_mask_hides_earlier_dir),
                cmocka_unit_test(test_masked_file_and_dropin),
                cmocka_unit_test(test_unreadable_dropin_dir),
                cmocka_unit_test(test_diagnostics_in_line_order),
                cmocka_unit_test(test_wording),
                cmocka_unit_test(test_control_chars_escaped),
                cmocka_unit_test(test_lone_percent),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
