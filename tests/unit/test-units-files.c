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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_unit_file),
                cmocka_unit_test(test_fifo_dropin),
                cmocka_unit_test(test_socket_and_device),
                cmocka_unit_test(test_fifo_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
