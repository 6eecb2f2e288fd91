/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fileio.h"
#include "runtime-state.h"
#include "strv.h"

/* Each test gets a fresh directory (its fd in *state). */
static int setup_dir(void **state) {
        char tmpl[] = "/tmp/test-runtime-state.XXXXXX";
        int *fd = malloc(sizeof(int));

        assert_non_null(mkdtemp(tmpl));
        *fd = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(*fd >= 0);
        *state = fd;
        return 0;
}

static int teardown_dir(void **state) {
        int *fd = *state;
        char cmd[PATH_MAX + 64], link[64], path[PATH_MAX] = "";
        ssize_t n;

        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", *fd);
        n = readlink(link, path, sizeof(path) - 1);
        if (n > 0 && strncmp(path, "/tmp/test-runtime-state.", 24) == 0) {
                path[n] = 0;
                (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
                assert_int_equal(system(cmd), 0);
        }
        close(*fd);
        free(fd);
        return 0;
}

static void write_text(int dir_fd, const char *name, const char *text) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

static RuntimeState odd_state(void) {
        return (RuntimeState) {
                .name = (char *) "web",
                .main_pid = INT_MAX,
                .main_start_time = UINT64_MAX,
                .init_pid = 1,
                .init_start_time = 0,
                .cgroup_path = (char *) "/corral/web.service",
                .ip_address = (char *) "",
                .unit_path = (char *) "/etc/corral/a b\nc\\d\te\x01=x.service",
                .notify_socket = (char *) "/run/corral/notify/web",
                .log_path = (char *) "\\n is not a newline",
                .logger_pid = 4194304,
                .logger_start_time = 12345,
                .n_restarts = UINT_MAX,
                .active_enter_usec = 1764931200000000ULL,
                .namespaces = ULONG_MAX,
                .sub_state = (char *) "running",
        };
}

static void test_round_trip(void **state) {
        int dir_fd = **(int **) state;
        RuntimeState in = odd_state(), out = {};
        CrlError err = {};
        _cleanup_free_ char *text = NULL;

        assert_int_equal(runtime_state_write(dir_fd, &in, &err), 0);
        assert_int_equal(runtime_state_read(dir_fd, "web", &out, &err), 0);
        assert_string_equal(out.name, "web");
        assert_int_equal(out.main_pid, INT_MAX);
        assert_true(out.main_start_time == UINT64_MAX);
        assert_int_equal(out.init_pid, 1);
        assert_string_equal(out.cgroup_path, in.cgroup_path);
        assert_string_equal(out.ip_address, "");
        assert_string_equal(out.unit_path, in.unit_path);
        assert_string_equal(out.log_path, in.log_path);
        assert_int_equal(out.logger_pid, 4194304);
        assert_true(out.n_restarts == UINT_MAX);
        assert_true(out.active_enter_usec == 1764931200000000ULL);
        assert_true(out.namespaces == ULONG_MAX);
        assert_string_equal(out.sub_state, "running");
        runtime_state_done(&out);
        assert_null(out.name);

        /* One line per key: the newline in the value is escaped. */
        assert_int_equal(read_file_at(dir_fd, "web", &text, NULL), 0);
        assert_non_null(strstr(text, "\nUNIT_PATH=/etc/corral/a b\\nc\\\\d\\te\\x01=x.service\n"));
        assert_non_null(strstr(text, "\nMAIN_START_TIME=18446744073709551615\n"));
        /* No temp file left behind. */
        assert_true(faccessat(dir_fd, ".web.tmp", F_OK, 0) < 0 && errno == ENOENT);
}

static void test_null_strings_and_rewrite(void **state) {
        int dir_fd = **(int **) state;
        RuntimeState in = { .name = (char *) "db", .main_pid = 7 }, out = {};
        CrlError err = {};
        struct stat before, after;

        assert_int_equal(runtime_state_write(dir_fd, &in, &err), 0);
        assert_int_equal(fstatat(dir_fd, "db", &before, 0), 0);
        in.main_pid = 8;
        assert_int_equal(runtime_state_write(dir_fd, &in, &err), 0);
        assert_int_equal(fstatat(dir_fd, "db", &after, 0), 0);
        /* Replaced by rename, not rewritten in place. */
        assert_true(before.st_ino != after.st_ino);
        assert_int_equal(runtime_state_read(dir_fd, "db", &out, &err), 0);
        assert_int_equal(out.main_pid, 8);
        assert_string_equal(out.cgroup_path, "");
        assert_string_equal(out.notify_socket, "");
        assert_string_equal(out.sub_state, "");
        runtime_state_done(&out);
}

static void test_unknown_keys_and_missing(void **state) {
        int dir_fd = **(int **) state;
        RuntimeState out = {};
        CrlError err = {};

        write_text(dir_fd, "api",
                   "# a comment\n"
                   "\n"
                   "FUTURE_KEY=whatever \\q odd\n"
                   "MAIN_PID=42\n"
                   "lowercase=1\n"
                   "MAIN_PID=43\n");
        assert_int_equal(runtime_state_read(dir_fd, "api", &out, &err), 0);
        assert_string_equal(out.name, "api");
        assert_int_equal(out.main_pid, 43);
        assert_int_equal(out.n_restarts, 0);
        assert_string_equal(out.unit_path, "");
        runtime_state_done(&out);
}

static void test_malformed(void **state) {
        static const struct { const char *text, *message; } t[] = {
                { "MAIN_PID=12x\n", "bad:1: MAIN_PID=: not a decimal number" },
                { "\nMAIN_PID=-1\n", "bad:2: MAIN_PID=: not a decimal number" },
                { "MAIN_PID=+1\n", "bad:1: MAIN_PID=: not a decimal number" },
                { "MAIN_PID= 1\n", "bad:1: MAIN_PID=: not a decimal number" },
                { "MAIN_PID=\n", "bad:1: MAIN_PID=: not a decimal number" },
                { "MAIN_PID=2147483648\n", "bad:1: MAIN_PID=: number out of range" },
                { "N_RESTARTS=4294967296\n", "bad:1: N_RESTARTS=: number out of range" },
                { "MAIN_START_TIME=18446744073709551616\n", "bad:1: MAIN_START_TIME=: number out of range" },
                { "MAIN_START_TIME=99999999999999999999999\n", "bad:1: MAIN_START_TIME=: number out of range" },
                { "# x\nno equals sign\n", "bad:2: not KEY=VALUE" },
                { "UNIT_PATH=a\\qb\n", "bad:1: UNIT_PATH=: bad escape in value" },
                { "UNIT_PATH=a\\x0\n", "bad:1: UNIT_PATH=: bad escape in value" },
                { "UNIT_PATH=a\\x00b\n", "bad:1: UNIT_PATH=: \\x00 (a NUL byte) in value" },
                { "UNIT_PATH=trailing\\\n", "bad:1: UNIT_PATH=: bad escape in value" },
                { "MAIN_PID=1\nSUB_STATE=runn", "bad:2: no newline at end (truncated?)" },
                { "NAME=other\n", "bad: NAME=other does not match the file name" },
        };
        int dir_fd = **(int **) state;

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                RuntimeState out = { .main_pid = -5 };
                CrlError err = {};
                const char *msg;

                write_text(dir_fd, "bad", t[i].text);
                assert_int_equal(runtime_state_read(dir_fd, "bad", &out, &err), -EINVAL);
                /* ret untouched on failure */
                assert_int_equal(out.main_pid, -5);
                assert_null(out.name);
                /* "/tmp/test-runtime-state.XXXX/bad:1: ..." */
                msg = strstr(err.message, "/bad");
                if (!msg || strncmp(err.message, "/tmp/test-runtime-state.", 24) != 0 ||
                    strcmp(msg + 1, t[i].message) != 0)
                        fail_msg("%s: got '%s', expected '.../%s'", t[i].text, err.message, t[i].message);
        }
}

static void test_names_list_remove(void **state) {
        int dir_fd = **(int **) state;
        _cleanup_strv_free_ char **names = NULL;
        RuntimeState s = { .name = (char *) "b" }, out = {};
        CrlError err = {};

        assert_int_equal(runtime_state_list(dir_fd, &names), 0);
        assert_non_null(names);
        assert_null(names[0]);
        names = strv_free(names);

        assert_int_equal(runtime_state_write(dir_fd, &s, &err), 0);
        s.name = (char *) "a";
        assert_int_equal(runtime_state_write(dir_fd, &s, &err), 0);
        write_text(dir_fd, ".c.tmp", "MAIN_PID=1\n");           /* a crash mid-write */
        assert_int_equal(mkdirat(dir_fd, "d", 0755), 0);        /* not a record */
        assert_int_equal(runtime_state_list(dir_fd, &names), 2);
        assert_string_equal(names[0], "a");
        assert_string_equal(names[1], "b");
        assert_null(names[2]);

        for (const char *const *bad = (const char *const[]) { "", ".x", "a/b", "..", NULL }; *bad; bad++) {
                crl_error_clear(&err);
                s.name = (char *) *bad;
                assert_int_equal(runtime_state_write(dir_fd, &s, &err), -EINVAL);
                assert_non_null(strstr(err.message, "invalid name"));
                assert_int_equal(runtime_state_read(dir_fd, *bad, &out, &err), -EINVAL);
                assert_int_equal(runtime_state_remove(dir_fd, *bad), -EINVAL);
        }
        crl_error_clear(&err);
        assert_int_equal(runtime_state_read(dir_fd, "zz", &out, &err), -ENOENT);
        assert_non_null(strstr(err.message, "/zz: No such file or directory"));

        write_text(dir_fd, ".a.tmp", "x");
        assert_int_equal(runtime_state_remove(dir_fd, "a"), 0);
        assert_true(faccessat(dir_fd, "a", F_OK, 0) < 0 && errno == ENOENT);
        assert_true(faccessat(dir_fd, ".a.tmp", F_OK, 0) < 0 && errno == ENOENT);
        assert_int_equal(runtime_state_remove(dir_fd, "a"), 0);         /* already gone */
}

/* ---- processes ---- */

static pid_t spawn_paused(int *ret_ready_fd) {
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;

                close(p[1]);
                /* The parent writes once to rename us, closes to end us. */
                if (read(p[0], &c, 1) == 1)
                        (void) prctl(PR_SET_NAME, "x) 1 2 (3 4) ");
                while (read(p[0], &c, 1) > 0)
                        ;
                _exit(0);
        }
        close(p[0]);
        *ret_ready_fd = p[1];
        return pid;
}

/* A status record: a fresh inode each create (the old holder's writes
 * stay in the old one), no temp file left, read-write; open refuses what
 * is not a regular file; the list of the directory names it. */
static void test_status_record(void **state) {
        int dir = *(int *) *state, fd1 = -1, fd2 = -1, fd = -1;
        struct stat st1, st2;
        _cleanup_strv_free_ char **names = NULL;
        char buf[16] = "";

        assert_int_equal(status_record_open(dir, "web", &fd), -ENOENT);
        assert_int_equal(status_record_create(dir, "../x", &fd1), -EINVAL);
        assert_int_equal(status_record_create(dir, ".hidden", &fd1), -EINVAL);
        assert_int_equal(status_record_create(dir, "web", &fd1), 0);
        assert_true(fcntl(fd1, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(pwrite(fd1, "old\n", 4, 0), 4);
        assert_int_equal(status_record_create(dir, "web", &fd2), 0);
        assert_int_equal(fstat(fd1, &st1), 0);
        assert_int_equal(fstat(fd2, &st2), 0);
        assert_true(st1.st_ino != st2.st_ino);
        assert_int_equal(st2.st_size, 0);
        assert_int_equal(pwrite(fd1, "late\n", 5, 0), 5);  /* an earlier run's init */
        assert_int_equal(status_record_open(dir, "web", &fd), 0);
        assert_int_equal(pread(fd, buf, sizeof(buf), 0), 0);
        assert_int_equal(write(fd, "x", 1), -1);       /* read-only */
        close(fd);
        assert_int_equal(faccessat(dir, ".web.tmp", F_OK, 0), -1);
        assert_int_equal(runtime_state_list(dir, &names), 1);
        assert_string_equal(names[0], "web");
        assert_int_equal(mkfifoat(dir, "fifo", 0600), 0);
        assert_int_equal(status_record_open(dir, "fifo", &fd), -EBADFD);
        assert_int_equal(symlinkat("web", dir, "link"), 0);
        assert_int_equal(status_record_open(dir, "link", &fd), -ELOOP);
        assert_int_equal(status_record_remove(dir, "web"), 0);
        assert_int_equal(status_record_remove(dir, "web"), 0);
        assert_int_equal(status_record_open(dir, "web", &fd), -ENOENT);
        close(fd1);
        close(fd2);
}

static void test_proc_start_time(void **state) {
        uint64_t self, t1, t2;
        char comm[64] = "";
        int ctl;
        pid_t pid = spawn_paused(&ctl);

        assert_int_equal(proc_start_time(getpid(), &self), 0);
        assert_true(self > 0);
        assert_int_equal(proc_start_time(pid, &t1), 0);
        assert_true(t1 >= self);
        /* comm with spaces and parentheses: the same start time. */
        assert_int_equal(write(ctl, "r", 1), 1);
        for (int i = 0; i < 1000 && !strstr(comm, "x) 1 2"); i++) {
                _cleanup_free_ char *c = NULL;
                char path[64];

                (void) snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
                if (read_line_at(AT_FDCWD, path, &c) == 0)
                        (void) snprintf(comm, sizeof(comm), "%s", c);
                (void) usleep(1000);
        }
        assert_string_equal(comm, "x) 1 2 (3 4) ");
        assert_int_equal(proc_start_time(pid, &t2), 0);
        assert_true(t1 == t2);
        close(ctl);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(proc_start_time(pid, &t2), -ESRCH);
        assert_int_equal(proc_start_time(0, &t2), -EINVAL);
}

static void test_pidfd_open_checked(void **state) {
        uint64_t start;
        int ctl, pidfd = -1;
        pid_t pid = spawn_paused(&ctl);
        siginfo_t si = {};

        assert_int_equal(proc_start_time(pid, &start), 0);
        assert_int_equal(pidfd_open_checked(pid, start + 1, &pidfd), -ESRCH);
        assert_int_equal(pidfd, -1);
        assert_int_equal(pidfd_open_checked(pid, start, &pidfd), 0);
        assert_true(pidfd >= 0);
        /* The pidfd is that process: waiting on it reaps our child. */
        close(ctl);
        assert_int_equal(waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED), 0);
        assert_int_equal(si.si_pid, pid);
        close(pidfd);
        pidfd = -1;
        assert_int_equal(pidfd_open_checked(pid, start, &pidfd), -ESRCH);
        assert_int_equal(pidfd_open_checked(0, start, &pidfd), -ESRCH);
        assert_int_equal(pidfd, -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_null_strings_and_rewrite, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_unknown_keys_and_missing, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_malformed, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_names_list_remove, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_status_record, setup_dir, teardown_dir),
                cmocka_unit_test(test_proc_start_time),
                cmocka_unit_test(test_pidfd_open_checked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
