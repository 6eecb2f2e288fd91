/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Service logs (supervisor/service-stdio.c, corral-log): what a service
 * writes reaches its log file time-stamped and rotated, and keeps reaching
 * it with nothing lost, no SIGPIPE and no blocking after the process that
 * called service_stdio_open() ("corrald") is killed with SIGKILL; one log
 * process serves every service, a new "corrald" finds it again, and one
 * that is gone is replaced at the next start; journal
 * output is a stream to journald's stdout socket (ours, here) with the
 * service's name in its header and no log process between; file:,
 * append:, null, inherit and a transient caller's fds give the right fd.
 * Host test: needs root only for the journal part (a mount namespace). */

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "fileio.h"
#include "it-util.h"
#include "service-log.h"
#include "service-stdio.h"
#include "syscalls.h"

static char tmpdir[] = "/tmp/corral-log-test.XXXXXX";
/* "corrald"'s connection to the log process (the Manager's log_client). */
static ServiceLogClient lc = SERVICE_LOG_CLIENT_NULL;

static ManagerConfig *config(uint64_t max_bytes, unsigned keep) {
        ManagerConfig *mc = NULL;
        char dir[PATH_MAX];

        if (manager_config_new(&mc) < 0)
                abort();
        snprintf(dir, sizeof(dir), "%s/logs", tmpdir);  /* made by service_stdio_open() */
        free(mc->log_directory);
        mc->log_directory = strdup(dir);
        free(mc->runtime_directory);
        mc->runtime_directory = strdup(tmpdir);         /* RUNTIME/log.sock */
        mc->log_max_bytes = max_bytes;
        mc->log_keep = keep;
        return mc;
}

static UnitConfig *unit(const char *name, OutputKind out, const char *out_path, OutputKind err, const char *err_path) {
        UnitConfig *u = NULL;

        if (unit_config_new(name, &u) < 0)
                abort();
        u->standard_output = (OutputSpec) { out, out_path ? strdup(out_path) : NULL };
        u->standard_error = (OutputSpec) { err, err_path ? strdup(err_path) : NULL };
        return u;
}

/* Whether pidfd's process ends within ms. */
static bool exits_within(int pidfd, int ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, ms) == 1;
}

static void write_all(int fd, const char *s) {
        size_t len = strlen(s);

        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(100 + errno % 100);
                }
                s += n;
                len -= n;
        }
}

static char *log_path(const char *file) {
        static char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s/logs/%s", tmpdir, file);
        return p;
}

/* The lines of a file, or NULL when it does not exist. */
static char **read_lines(const char *path, size_t *ret_n) {
        FILE *f = fopen(path, "re");
        char **v = NULL, *line = NULL;
        size_t n = 0, cap = 0;
        ssize_t k;

        *ret_n = 0;
        if (!f)
                return NULL;
        while ((k = getline(&line, &cap, f)) >= 0) {
                if (k > 0 && line[k - 1] == '\n')
                        line[k - 1] = 0;
                v = realloc(v, (n + 2) * sizeof(char *));
                v[n++] = strdup(line);
                v[n] = NULL;
        }
        free(line);
        fclose(f);
        *ret_n = n;
        return v ? v : calloc(1, sizeof(char *));
}

static void free_lines(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static bool stamped(const char *line) {
        static regex_t re;
        static bool compiled;

        if (!compiled) {
                compiled = regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                   "\\.[0-9]{6}[+-][0-9]{2}:[0-9]{2} ", REG_EXTENDED | REG_NOSUB) == 0;
                if (!compiled)
                        abort();
        }
        return regexec(&re, line, 0, NULL, 0) == 0;
}

static void now_stamp(char s[static SVC_LOG_TIMESTAMP_MAX]) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (svc_log_format_timestamp(&ts, s) < 0)
                abort();
}

/* Fork a "service" that writes to the ServiceStdio's stdout/stderr. */
static pid_t spawn_writer(const ServiceStdio *s, void (*fn)(int out, int err)) {
        pid_t pid = fork();

        if (pid == 0) {
                fn(s->stdout_fd, s->stderr_fd);
                _exit(0);
        }
        return pid;
}

static int wait_exit(pid_t pid) {
        int st;

        if (waitpid(pid, &st, 0) < 0)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool same_file(int a, int b) {
        struct stat sa, sb;

        return a >= 0 && b >= 0 && fstat(a, &sa) >= 0 && fstat(b, &sb) >= 0 &&
               sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static mode_t file_mode(const char *path) {
        struct stat st;

        return stat(path, &st) < 0 ? (mode_t) -1 : st.st_mode & 07777;
}

/* The log process, orphaned at its start, came to us (the subreaper): its
 * exit status shows a sanitizer's report, which its stderr would not. */
static void reap_logger(int pidfd) {
        siginfo_t si = {};

        CHECK(waitid(P_PIDFD, pidfd, &si, WEXITED) == 0 && si.si_code == CLD_EXITED && si.si_status == 0,
              "the log process exits 0 (code %d status %d)", si.si_code, si.si_status);
}

/* "corrald" lets go of the log process (as at its exit): it ends once its
 * inputs are drained, and has written everything by then. */
static void finish_logger(const char *why) {
        int pidfd = lc.pidfd >= 0 ? fcntl(lc.pidfd, F_DUPFD_CLOEXEC, 3) : -EBADF;

        CHECK(pidfd >= 0, "corrald knows the log process (pidfd %d)", lc.pidfd);
        service_log_client_done(&lc);
        if (pidfd < 0)
                return;
        CHECK(exits_within(pidfd, 5000), "the log process ends %s", why);
        reap_logger(pidfd);
        close(pidfd);
}

/* Run u's output through a writer and the log process to the end. */
static void run_service(const ManagerConfig *mc, const UnitConfig *u, void (*fn)(int out, int err)) {
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        pid_t pid;

        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        CHECK(lc.fd >= 0 && lc.pidfd >= 0 && s.logger_pid > 0 && s.logger_pid == lc.pid,
              "a log process runs (pid %d, corrald's %d)", (int) s.logger_pid, (int) lc.pid);
        pid = spawn_writer(&s, fn);
        service_stdio_close_service_ends(&s);
        CHECK(wait_exit(pid) == 0, "the writer exits 0");
        finish_logger("once the writer and corrald's connection are gone");
        service_stdio_done(&s);
}

static void write_basic(int out, int err) {
        write_all(out, "out 1\n");
        write_all(err, "err 1\n");
        write_all(out, "out 2\n\nafter empty\n");
        write_all(err, "no newline at the end");
}

static void write_again(int out, int err) {
        write_all(out, "second run\n");
}

static void test_lines(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("web", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        static const char *const want[] = { "out 1", "err 1", "out 2", "", "after empty",
                                            "no newline at the end", "second run" };
        char before[SVC_LOG_TIMESTAMP_MAX], after[SVC_LOG_TIMESTAMP_MAX];
        int fds = count_fds();
        char **lines;
        size_t n;

        printf("# lines reach NAME.log time-stamped, in order; a partial line is flushed at EOF\n");
        now_stamp(before);
        run_service(mc, u, write_basic);
        run_service(mc, u, write_again);        /* a restart appends */
        now_stamp(after);
        lines = read_lines(log_path("web.log"), &n);
        CHECK(n == ELEMENTSOF(want), "web.log has %zu lines", n);
        for (size_t i = 0; i < n && i < ELEMENTSOF(want); i++)
                CHECK(stamped(lines[i]) && streq(lines[i] + 33, want[i]) &&
                      strncmp(lines[i], before, 32) >= 0 && strncmp(lines[i], after, 32) <= 0,
                      "line %zu is '%s' (want '<%.32s .. %.32s> %s')", i, lines[i], before, after, want[i]);
        free_lines(lines);
        CHECK(file_mode(log_path("web.log")) == 0640, "web.log has mode %o", file_mode(log_path("web.log")));
        CHECK(count_fds() == fds, "no fd leaked (%d before, %d after)", fds, count_fds());
}

static void write_long(int out, int err) {
        static char big[150000 + 2];

        memset(big, 'x', 150000);
        big[150000] = '\n';
        write_all(out, big);
        write_all(out, "short\n");
}

static void test_long_lines(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("long", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        static const size_t want[] = { 65536, 65536, 150000 - 2 * 65536, 5 };
        size_t n;
        char **lines;

        printf("# a line longer than 64 KiB is split into 64 KiB lines\n");
        run_service(mc, u, write_long);
        lines = read_lines(log_path("long.log"), &n);
        CHECK(n == ELEMENTSOF(want), "long.log has %zu lines", n);
        for (size_t i = 0; i < n && i < ELEMENTSOF(want); i++)
                CHECK(stamped(lines[i]) && strlen(lines[i]) - 33 == want[i], "line %zu has %zu bytes (want %zu)",
                      i, strlen(lines[i]) - 33, want[i]);
        free_lines(lines);
}

static void write_many(int out, int err) {
        char line[128];

        for (int i = 0; i < 1000; i++) {
                snprintf(line, sizeof(line), "line %04d ......................................\n", i);
                write_all(out, line);
        }
}

static void test_rotation(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(4096, 3);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("rot", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        static const char *const files[] = { "rot.log.3", "rot.log.2", "rot.log.1", "rot.log" };
        int next = -1, total = 0;

        printf("# rotation at LogMaxBytes=4096 keeps LogKeep=3 old files, oldest dropped\n");
        run_service(mc, u, write_many);
        CHECK(access(log_path("rot.log.4"), F_OK) < 0, "no rot.log.4");
        for (size_t f = 0; f < ELEMENTSOF(files); f++) {
                struct stat st;
                size_t n;
                char **lines = read_lines(log_path(files[f]), &n);

                /* the rotated ones were full: the next line did not fit */
                CHECK(lines && stat(log_path(files[f]), &st) >= 0 && st.st_size <= 4096 &&
                      (st.st_size > 4096 - 100 || streq(files[f], "rot.log")),
                      "%s exists and is at most 4K, rotated ones nearly full (%lld bytes)", files[f],
                      lines ? (long long) st.st_size : -1LL);
                for (size_t i = 0; i < n; i++) {
                        int k = -1;
                        if (!stamped(lines[i]) || sscanf(lines[i] + 33, "line %d", &k) != 1 ||
                            (next >= 0 && k != next))
                                CHECK(false, "%s line %zu: '%s' (want line %d)", files[f], i, lines[i], next);
                        next = k + 1;
                        total++;
                }
                free_lines(lines);
        }
        CHECK(next == 1000, "the newest line is the last written (next %d)", next);
        CHECK(total > 100 && total < 1000, "the kept files hold the newest %d lines, older ones dropped", total);
}

#define N_KILL_LINES 20000
static int kill_sync_fd = -EBADF, kill_go_fd = -EBADF;       /* the writer's ends */

/* SIGPIPE keeps its default: a write into a pipe without reader kills us,
 * which the test sees as 128 + SIGPIPE. */
static void write_through_kill(int out, int err) {
        char line[64], c;

        for (int i = 0; i < N_KILL_LINES; i++) {
                if (i == N_KILL_LINES / 4) {
                        write_all(kill_sync_fd, "s");
                        if (read(kill_go_fd, &c, 1) != 1)
                                _exit(3);
                }
                snprintf(line, sizeof(line), "line %05d\n", i);
                write_all(i % 2 ? err : out, line);
        }
}

/* "corrald": opens the stdio, starts the writer in a process group of its
 * own (as the launcher's services are), reports both pids and holds
 * everything corrald would (service ends, logger pidfd) until killed. */
_Noreturn static void fake_corrald(int report_fd) {
        ManagerConfig *mc = config(64 << 20, 5);
        UnitConfig *u = unit("busy", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        ServiceLogClient client = SERVICE_LOG_CLIENT_NULL;
        CrlError e = {};
        pid_t pids[2];
        int err_pipe[2];

        (void) setpgid(0, 0);
        /* stderr a pipe, as under a harness reading it until EOF */
        if (pipe2(err_pipe, O_CLOEXEC) < 0 || dup2(err_pipe[1], STDERR_FILENO) < 0)
                _exit(5);
        if (service_stdio_open(mc, &client, u, NULL, &s, &e) < 0) {
                printf("fake corrald: %s\n", e.message);
                _exit(2);
        }
        pids[0] = s.logger_pid;
        pids[1] = fork();
        if (pids[1] == 0) {
                (void) setpgid(0, 0);
                write_through_kill(s.stdout_fd, s.stderr_fd);
                _exit(0);
        }
        if (write(report_fd, pids, sizeof(pids)) != sizeof(pids))
                _exit(4);
        for (;;)
                pause();
}

static int read_within(int fd, void *buf, size_t size, int ms) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        if (poll(&p, 1, ms) != 1)
                return -ETIMEDOUT;
        return read(fd, buf, size) == (ssize_t) size ? 0 : -EIO;
}

static void check_kill_log(void) {
        size_t n, bad = 0;
        char **lines = read_lines(log_path("busy.log"), &n);

        CHECK(n == N_KILL_LINES, "busy.log has all %d lines (%zu)", N_KILL_LINES, n);
        for (size_t i = 0; i < n; i++) {
                char want[32];

                snprintf(want, sizeof(want), "line %05zu", i);
                if (!stamped(lines[i]) || !streq(lines[i] + 33, want)) {
                        if (bad++ < 3)
                                CHECK(false, "line %zu is '%s' (want '%s')", i, lines[i], want);
                }
        }
        CHECK(bad == 0, "every line once, in order (%zu wrong)", bad);
        free_lines(lines);
}

/* The log process holds its socket, its epoll, corrald's connection and
 * one service's pipe, directory and file, nothing else of corrald's (fds,
 * cwd); its stderr is /dev/null when corrald's was a pipe. */
static void check_logger_fds(pid_t logger) {
        char *out = NULL;

        CHECK(sh(&out, "ls /proc/%d/fd | sort -n | tr '\\n' ' '", (int) logger) == 0 &&
              streq(out, "0 1 2 3 4 5 6 7 8 "), "the log process has fds 0-8 only: %s", out);
        CHECK(sh(&out, "for f in 3 4 5 6 7 8; do readlink /proc/%d/fd/$f; done | "
                 "sed 's/[0-9]\\+/N/g' | tr '\\n' ' '", (int) logger) == 0 &&
              strneq(out, "socket:[N] anon_inode:[eventpoll] socket:[N] pipe:[N] /",
                     strlen("socket:[N] anon_inode:[eventpoll] socket:[N] pipe:[N] /")) &&
              strstr(out, "/logs /") && strstr(out, "/logs/busy.log "),
              "listening socket, epoll, connection, pipe, directory, busy.log: %s", out);
        CHECK(sh(&out, "readlink /proc/%d/cwd", (int) logger) == 0 && streq(out, "/\n"), "its cwd is /: %s", out);
        CHECK(sh(&out, "readlink /proc/%d/fd/2", (int) logger) == 0 && streq(out, "/dev/null\n"),
              "its stderr is /dev/null, not corrald's pipe: %s", out);
        free(out);
}

/* The log process must be no child of corrald (orphaned at its start, it
 * went to the nearest subreaper: us) and lead its own session. */
static void check_logger_detached(pid_t logger, pid_t corrald) {
        char path[64], *stat_text = NULL;
        int ppid = -1;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) logger);
        if (read_file_at(AT_FDCWD, path, &stat_text, NULL) >= 0) {
                const char *p = strrchr(stat_text, ')');
                if (p)
                        (void) sscanf(p + 2, "%*c %d", &ppid);
        }
        free(stat_text);
        CHECK(ppid == getpid(), "the log process is no child of corrald (ppid %d, corrald %d)", ppid, (int) corrald);
        CHECK(getsid(logger) == logger, "the log process leads its own session (sid %d)", (int) getsid(logger));
        check_logger_fds(logger);
}

static void test_kill_corrald(void) {
        int report[2], sync_p[2], go[2], lfd, wfd, st;
        pid_t pids[2], c;
        siginfo_t si = {};

        printf("# kill -9 of corrald's process group while the service writes: no SIGPIPE, no block, no lost line\n");
        if (pipe2(report, O_CLOEXEC) < 0 || pipe2(sync_p, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
                abort();
        kill_sync_fd = sync_p[1];
        kill_go_fd = go[0];
        c = fork();
        if (c == 0)
                fake_corrald(report[1]);
        close(report[1]);
        CHECK(read_within(report[0], pids, sizeof(pids), 10000) == 0, "corrald reports the log process and writer");
        lfd = crl_pidfd_open(pids[0], 0);
        wfd = crl_pidfd_open(pids[1], 0);
        CHECK(lfd >= 0 && wfd >= 0, "pidfds of log process %d and writer %d", (int) pids[0], (int) pids[1]);
        check_logger_detached(pids[0], c);
        CHECK(read_within(sync_p[0], (char[1]) {}, 1, 10000) == 0, "the writer wrote a quarter");

        CHECK(kill(-c, SIGKILL) == 0, "kill -9 -%d", (int) c);
        CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "corrald died of SIGKILL");
        CHECK(kill(pids[0], 0) == 0, "the log process outlived corrald");
        write_all(go[1], "g");

        CHECK(exits_within(wfd, 20000), "the writer finishes without blocking");
        CHECK(waitid(P_PIDFD, wfd, &si, WEXITED) == 0 && si.si_code == CLD_EXITED && si.si_status == 0,
              "the writer exits 0, not by SIGPIPE (code %d status %d)", si.si_code, si.si_status);
        CHECK(exits_within(lfd, 5000), "the log process exits after the writer");
        reap_logger(lfd);
        check_kill_log();
        close(lfd); close(wfd); close(report[0]); close(sync_p[0]); close(sync_p[1]); close(go[0]); close(go[1]);
}

/* The stop's cgroup.kill of the service's cgroup: the log process, in
 * corrald's cgroup, survives it and logs every line the service wrote. */
static int cg_kill_writer(const char *cg, volatile unsigned *written, int out) {
        char path[PATH_MAX], line[64];
        int fd;

        snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1)
                return 3;
        close(fd);
        for (unsigned i = 0;; i++) {
                snprintf(line, sizeof(line), "line %07u\n", i);
                write_all(out, line);
                *written = i + 1;
        }
}

/* Our own cgroup2 directory for the "service" (the VM's at /sys/fs/cgroup,
 * this host's at .../unified), or NULL without cgroup.kill (Linux < 5.14). */
static bool make_service_cgroup(char *cg, size_t size) {
        const char *mnt = access("/sys/fs/cgroup/cgroup.procs", F_OK) >= 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        char kill_file[PATH_MAX];

        snprintf(cg, size, "%s/corral-test-log-%d", mnt, (int) getpid());
        snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", cg);
        if (mkdir(cg, 0755) < 0)
                return false;
        if (access(kill_file, W_OK) < 0) {
                (void) rmdir(cg);
                return false;
        }
        return true;
}

static void check_killed_log(unsigned written) {
        char want[32];
        size_t n;
        char **lines = read_lines(log_path("killed.log"), &n);

        CHECK(n == written || n == written + 1, "every written line is logged (%zu lines, %u written)", n, written);
        snprintf(want, sizeof(want), "line %07zu", n - 1);
        CHECK(n > 0 && stamped(lines[n - 1]) && streq(lines[n - 1] + 33, want),
              "the last line is whole: '%s'", n ? lines[n - 1] : "");
        free_lines(lines);
}

static void test_cgroup_kill(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(64 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("killed", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        volatile unsigned *written = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ServiceStdio s = SERVICE_STDIO_NULL;
        char cg[PATH_MAX], kill_file[PATH_MAX + 16], *out = NULL;
        CrlError e = {};
        pid_t pid;

        printf("# cgroup.kill of the service's cgroup: the log process drains and logs every written line\n");
        if (written == MAP_FAILED || !make_service_cgroup(cg, sizeof(cg))) {
                printf("SKIP cgroup.kill part: no cgroup2 with cgroup.kill here: %m\n");
                return;
        }
        snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", cg);
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        pid = fork();
        if (pid == 0)
                _exit(cg_kill_writer(cg, written, s.stdout_fd));
        service_stdio_close_service_ends(&s);
        for (int i = 0; i < 10000 && *written < 20000; i++)
                usleep(1000);   /* a test may poll: let it write a while */
        CHECK(sh(&out, "grep '^0::' /proc/%d/cgroup | grep -vc corral-test-log", (int) s.logger_pid) == 0,
              "the log process is not in the service's cgroup: %s", out);
        CHECK(write_string_at(AT_FDCWD, kill_file, "1") == 0, "write 1 to %s", kill_file);
        CHECK(wait_exit(pid) == 128 + SIGKILL, "the writer died of SIGKILL");
        finish_logger("after the kill");
        check_killed_log(*written);
        free(out);
        service_stdio_done(&s);
        CHECK(rmdir(cg) == 0, "rmdir %s: %m", cg);
}

static void write_journal(int out, int err) {
        write_all(out, "hello journal\n");
        write_all(err, "<3>disk on fire\n");
        write_all(out, "tail without newline");
}

/* journald's stdout socket, ours: a listening stream at its path. */
static int listen_journal_stdout(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/stdout" };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
                abort();
        return fd;
}

/* Accept one stream and read it to EOF: journald's header (identifier, unit
 * id, priority, level prefix, forward to syslog/kmsg/console, one a line),
 * then what the service wrote. */
static void check_stream(int lfd, const char *ident, const char *want_data) {
        char buf[4096], header[256];
        size_t len = 0;
        ssize_t n;
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        const char *data = buf;

        CHECK(fd >= 0, "a stream reached the journal's socket: %m");
        if (fd < 0)
                return;
        while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = 0;
        close(fd);
        for (int i = 0; i < 7 && data; i++)
                data = strchr(data, '\n') ? strchr(data, '\n') + 1 : NULL;
        (void) snprintf(header, sizeof(header), "%s\n\n6\n1\n", ident);
        CHECK(strneq(buf, header, strlen(header)), "header: identifier %s, priority 6 (info), level prefix on: '%s'",
              ident, buf);
        CHECK(data && streq(data, want_data), "the service's bytes as written: '%s'", data ?: "(no header end)");
}

/* In a mount namespace of our own with a tmpfs on /run: first no journald
 * (the start fails, naming its socket), then a socket of ours standing in
 * for it. No log process: the service writes into the stream itself. */
static void journal_in_scratch(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("api", OUTPUT_JOURNAL, NULL, OUTPUT_JOURNAL, NULL);
        _cleanup_(unit_config_freep) UnitConfig *mixed = unit("mixed", OUTPUT_LOG, NULL, OUTPUT_JOURNAL, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        int fds = count_fds(), lfd;
        size_t n;
        char **lines;
        pid_t pid;

        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) < 0 && strstr(e.message, "StandardOutput=journal") &&
              strstr(e.message, "/run/systemd/journal/stdout"), "no journald: the start fails: %s", e.message);
        CHECK(count_fds() == fds, "and leaves no fd (%d before, %d after)", fds, count_fds());

        lfd = listen_journal_stdout();
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        CHECK(s.logger_pid == 0 && lc.fd < 0, "journal only: no log process");
        CHECK(s.stdout_fd >= 0 && s.stderr_fd >= 0, "stdout and stderr go to the stream");
        pid = spawn_writer(&s, write_journal);
        service_stdio_close_service_ends(&s);
        CHECK(wait_exit(pid) == 0, "the writer exits 0");
        service_stdio_done(&s);
        check_stream(lfd, "api", "hello journal\n<3>disk on fire\ntail without newline");
        CHECK(count_fds() == fds + 1, "nothing of the service left in corrald (%d fds, want %d)", count_fds(), fds + 1);

        printf("# stdout to the log file, stderr to the journal: a log process for the file only\n");
        run_service(mc, mixed, write_journal);
        check_stream(lfd, "mixed", "<3>disk on fire\n");
        lines = read_lines(log_path("mixed.log"), &n);
        CHECK(n == 2 && stamped(lines[0]) && streq(lines[0] + 33, "hello journal") &&
              streq(lines[1] + 33, "tail without newline"), "mixed.log has the stdout lines (%zu)", n);
        free_lines(lines);
        close(lfd);
}

static void test_journal(void) {
        pid_t pid;

        printf("# journal: a stream to /run/systemd/journal/stdout (sd_journal_stream_fd) named NAME\n");
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                (void) prctl(PR_SET_CHILD_SUBREAPER, 1);        /* not inherited */
                failures = 0;   /* count only the child's own */
                failed_lines[0] = 0;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
                    mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0) {
                        printf("SKIP journal: no mount namespace here: %m\n");
                        _exit(77);
                }
                journal_in_scratch();
                if (failures)
                        printf("failed checks:\n%s", failed_lines);
                _exit(failures ? 1 : 0);
        }
        int r = wait_exit(pid);
        CHECK(r == 0 || r == 77, "the journal checks pass (exit %d)", r);
}

static void put_file(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0)
                abort();
        write_all(fd, text);
        close(fd);
}

static char *tmp_path(const char *name) {
        static char p[4][PATH_MAX];
        static int i;

        i = (i + 1) % 4;
        snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
        return p[i];
}

static bool file_is(const char *path, const char *text) {
        char *got = NULL;
        bool ok = read_file_at(AT_FDCWD, path, &got, NULL) >= 0 && streq(got, text);

        if (!ok)
                printf("  %s holds '%s'\n", path, got ? got : "(unreadable)");
        free(got);
        return ok;
}

static void test_file_append(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("files", OUTPUT_FILE, tmp_path("f.txt"),
                                                          OUTPUT_APPEND, tmp_path("a.txt"));
        _cleanup_(unit_config_freep) UnitConfig *created = unit("created", OUTPUT_FILE, tmp_path("new-0027"),
                                                                OUTPUT_FILE, tmp_path("new-0027"));
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};

        printf("# file: writes from offset 0 without truncating, append: appends (systemd); no log process\n");
        put_file(tmp_path("f.txt"), "XXXXXXXXXX\n");
        put_file(tmp_path("a.txt"), "old\n");
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        CHECK(s.logger_pid == 0 && lc.fd < 0 && !s.log_path, "no log process, no LogPath");
        CHECK(s.stdin_fd == -EBADF, "stdin is /dev/null");
        write_all(s.stdout_fd, "ab\n");
        write_all(s.stderr_fd, "new\n");
        CHECK(file_is(tmp_path("f.txt"), "ab\nXXXXXXX\n"), "file: overwrote from the start");
        CHECK(file_is(tmp_path("a.txt"), "old\nnew\n"), "append: appended");
        CHECK(!(fcntl(s.stdout_fd, F_GETFL) & (O_APPEND | O_NONBLOCK)) && (fcntl(s.stderr_fd, F_GETFL) & O_APPEND) &&
              !(fcntl(s.stderr_fd, F_GETFL) & O_NONBLOCK), "flags: file: plain, append: O_APPEND, both blocking");
        service_stdio_done(&s);

        created->umask = 0027;
        CHECK(service_stdio_open(mc, &lc, created, NULL, &s, &e) == 0, "%s", e.message);
        CHECK(file_mode(tmp_path("new-0027")) == 0640, "a new file: 0666 & ~UMask=0027 (%o)", file_mode(tmp_path("new-0027")));
        service_stdio_done(&s);
}

static void test_null_inherit(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *n = unit("n", OUTPUT_NULL, NULL, OUTPUT_INHERIT, NULL);
        _cleanup_(unit_config_freep) UnitConfig *i = unit("i", OUTPUT_APPEND, tmp_path("a.txt"), OUTPUT_INHERIT, NULL);
        _cleanup_(unit_config_freep) UnitConfig *j = unit("j", OUTPUT_INHERIT, NULL, OUTPUT_NULL, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        int sp[2];

        printf("# null and inherit (systemd: stdout inherits stdin, stderr inherits stdout)\n");
        CHECK(service_stdio_open(mc, &lc, n, NULL, &s, &e) == 0 && s.stdout_fd == -EBADF && s.stderr_fd == -EBADF &&
              s.logger_pid == 0 && lc.fd < 0, "null/inherit: both /dev/null, no log process (%s)", e.message);
        service_stdio_done(&s);
        CHECK(service_stdio_open(mc, &lc, i, NULL, &s, &e) == 0 && same_file(s.stdout_fd, s.stderr_fd) &&
              s.stdout_fd != s.stderr_fd, "StandardError=inherit: a copy of stdout's file (%s)", e.message);
        service_stdio_done(&s);
        CHECK(service_stdio_open(mc, &lc, j, NULL, &s, &e) == 0 && s.stdout_fd == -EBADF,
              "StandardOutput=inherit with stdin /dev/null: /dev/null (%s)", e.message);
        service_stdio_done(&s);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                abort();
        CHECK(service_stdio_open(mc, &lc, j, (int[3]) { sp[0], -EBADF, -EBADF }, &s, &e) == 0 &&
              same_file(s.stdin_fd, sp[0]) && same_file(s.stdout_fd, sp[0]) && s.stdout_fd != sp[0],
              "StandardOutput=inherit with a caller's stdin: a copy of it (%s)", e.message);
        service_stdio_done(&s);
        close(sp[0]);
        close(sp[1]);
}

static void test_caller_fds(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("run-1", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        int p[2], q[2];

        printf("# a transient caller's fds win over the unit's settings\n");
        if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0)
                abort();
        CHECK(service_stdio_open(mc, &lc, u, (int[3]) { p[0], p[1], q[1] }, &s, &e) == 0, "%s", e.message);
        CHECK(same_file(s.stdin_fd, p[0]) && same_file(s.stdout_fd, p[1]) && same_file(s.stderr_fd, q[1]) &&
              s.stdout_fd != p[1], "copies of the caller's fds");
        CHECK(s.logger_pid == 0 && lc.fd < 0 && !s.log_path, "no log process when no stream needs one");
        CHECK((fcntl(s.stdout_fd, F_GETFD) & FD_CLOEXEC), "corrald's copies are CLOEXEC");
        service_stdio_done(&s);
        CHECK(service_stdio_open(mc, &lc, u, (int[3]) { -EBADF, p[1], -EBADF }, &s, &e) == 0 &&
              same_file(s.stdout_fd, p[1]) && s.logger_pid > 0 && s.log_path,
              "caller's stdout only: stderr still goes to the log (%s)", e.message);
        service_stdio_close_service_ends(&s);
        finish_logger("with the service ends closed");
        service_stdio_done(&s);
        close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

/* The log process that could not execve is gone: our one child left (an
 * orphan, as every log process) is it, exited 127. */
static void check_only_failed_child(void) {
        siginfo_t si = {};

        for (int i = 0; i < 200 && si.si_pid == 0; i++) {
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0)
                        break;
                if (si.si_pid == 0)
                        usleep(10000);  /* a test may sleep: it is reparented after its exit */
        }
        CHECK(si.si_pid > 0 && si.si_code == CLD_EXITED && si.si_status == 127,
              "the failed log process exited (pid %d code %d status %d)", (int) si.si_pid, si.si_code, si.si_status);
        CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD, "and no other process is left");
}

static void test_errors(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(manager_config_freep) ManagerConfig *bad_dir = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *f = unit("f", OUTPUT_FILE, "/nonexistent-corral/x", OUTPUT_LOG, NULL);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("web", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        int fds = count_fds();
        char helper[PATH_MAX];

        printf("# failures say what and why and leave no fd\n");
        CHECK(service_stdio_open(mc, &lc, f, NULL, &s, &e) == -ENOENT &&
              strstr(e.message, "service 'f': StandardOutput=file:/nonexistent-corral/x: No such file"), "%s", e.message);
        free(bad_dir->log_directory);
        bad_dir->log_directory = strdup(tmp_path("f.txt/logs"));
        crl_error_clear(&e);
        CHECK(service_stdio_open(bad_dir, &lc, u, NULL, &s, &e) == -ENOTDIR && strstr(e.message, "LogDirectory="),
              "%s", e.message);
        snprintf(helper, sizeof(helper), "%s", getenv("CORRAL_LOG_HELPER"));
        setenv("CORRAL_LOG_HELPER", tmp_path("no-such-helper"), 1);
        crl_error_clear(&e);
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == -ENOENT && strstr(e.message, "log process") &&
              strstr(e.message, "no-such-helper"), "%s", e.message);
        setenv("CORRAL_LOG_HELPER", helper, 1);
        check_only_failed_child();
        CHECK(access(tmp_path("log.sock"), F_OK) < 0, "no socket left behind");
        free(bad_dir->runtime_directory);
        bad_dir->runtime_directory = strdup(tmp_path("no-such-dir"));
        free(bad_dir->log_directory);
        bad_dir->log_directory = strdup(tmp_path("logs"));
        crl_error_clear(&e);
        CHECK(service_stdio_open(bad_dir, &lc, u, NULL, &s, &e) == -ENOENT &&
              strstr(e.message, "service 'web': log process socket") && strstr(e.message, "no-such-dir/log.sock: bind"),
              "%s", e.message);
        CHECK(s.logger_pid == 0 && s.stdout_fd == -EBADF && lc.fd < 0, "*ret untouched on failure, no connection");
        CHECK(count_fds() == fds, "no fd left (%d before, %d after)", fds, count_fds());
}

static void write_a(int out, int err) {
        write_all(out, "from a\n");
}

static void write_b(int out, int err) {
        write_all(err, "from b\n");
}

static bool log_is(const char *file, const char *want) {
        size_t n;
        char **lines = read_lines(log_path(file), &n);
        bool ok = n == 1 && stamped(lines[0]) && streq(lines[0] + 33, want);

        if (!ok)
                printf("  %s: %zu lines, first '%s'\n", file, n, n ? lines[0] : "");
        free_lines(lines);
        return ok;
}

/* Two services through one log process, each into its own file; corrald
 * "restarting" in between finds the log process again at its socket. */
static void test_two_services(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *a = unit("a", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        _cleanup_(unit_config_freep) UnitConfig *b = unit("b", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdio sa = SERVICE_STDIO_NULL, sb = SERVICE_STDIO_NULL;
        CrlError e = {};
        pid_t wa, wb, first;
        int fds = count_fds();

        printf("# two services share one log process, each into its own file; a new corrald finds it again\n");
        CHECK(service_stdio_open(mc, &lc, a, NULL, &sa, &e) == 0, "%s", e.message);
        first = lc.pid;
        CHECK(service_stdio_open(mc, &lc, b, NULL, &sb, &e) == 0, "%s", e.message);
        CHECK(sa.logger_pid > 0 && sa.logger_pid == sb.logger_pid, "one log process for both (%d, %d)",
              (int) sa.logger_pid, (int) sb.logger_pid);
        wa = spawn_writer(&sa, write_a);
        service_stdio_close_service_ends(&sa);
        CHECK(wait_exit(wa) == 0, "writer a exits 0");

        /* corrald gone (its connection closed) while b's pipe is still open:
         * the log process stays for b, and the next corrald connects to it. */
        service_log_client_done(&lc);
        CHECK(kill(first, 0) == 0, "the log process stays while an input is open");
        service_stdio_done(&sa);
        CHECK(service_stdio_open(mc, &lc, a, NULL, &sa, &e) == 0 && sa.logger_pid == first && lc.pid == first &&
              lc.pidfd >= 0, "a new corrald hands the next start to the same log process (%d, want %d): %s",
              (int) sa.logger_pid, (int) first, e.message);
        service_stdio_done(&sa);                /* a second start of a, which never ran */

        wb = spawn_writer(&sb, write_b);
        service_stdio_close_service_ends(&sb);
        CHECK(wait_exit(wb) == 0, "writer b exits 0");
        service_stdio_done(&sb);
        finish_logger("once both services and corrald are gone");
        CHECK(log_is("a.log", "from a") && log_is("b.log", "from b"), "a.log and b.log have their own line");
        CHECK(count_fds() == fds, "no fd leaked (%d before, %d after)", fds, count_fds());
}

/* Send h (len bytes) with fds on a connection of our own to the log
 * process; its answer. */
static SvcLogAck raw_handoff(const SvcLogHandoff *h, size_t len, const int *fds, size_t n_fds) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control = {};
        struct iovec iov = { (void *) h, len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        SvcLogAck ack = { .error = -1 };
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log.sock", tmpdir);
        if (n_fds > 0) {
                struct cmsghdr *cm;

                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ||
            recv(fd, &ack, sizeof(ack), 0) != sizeof(ack))
                printf("  raw hand-off: %m\n");
        safe_close(fd);
        return ack;
}

/* What the log process refuses, it answers with an errno, closes what it
 * got, and goes on serving. */
static void test_bad_handoff(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("good", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        SvcLogHandoff h = { .magic = SVC_LOG_HANDOFF_MAGIC, .keep = 5, .name = "bad" };
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        int p[2], dir, file, fds[3];
        char *out = NULL;
        SvcLogAck ack;
        pid_t pid;

        printf("# a bad hand-off is refused with an errno, the log process goes on\n");
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        dir = open(tmp_path("logs"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        file = open(tmp_path("logs/bad.log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        ack = raw_handoff(&h, sizeof(h) - 1, NULL, 0);
        CHECK(ack.error == EBADMSG && ack.pid == lc.pid, "short message: EBADMSG from %d (%d)", (int) ack.pid, ack.error);
        ack = raw_handoff(&h, sizeof(h), (int[]) { p[0], dir }, 2);
        CHECK(ack.error == EBADMSG, "two fds: EBADMSG (%d)", ack.error);
        ack = raw_handoff(&h, sizeof(h), (int[]) { file, dir, file }, 3);
        CHECK(ack.error == EBADF, "a file for the pipe: EBADF (%d)", ack.error);
        h.name[0] = '.', h.name[1] = '.', h.name[2] = 0;
        ack = raw_handoff(&h, sizeof(h), (int[]) { p[0], dir, file }, 3);
        CHECK(ack.error == EINVAL, "name '..': EINVAL (%d)", ack.error);
        fds[0] = p[0], fds[1] = dir, fds[2] = file;
        close(p[1]);
        CHECK(sh(&out, "ls -l /proc/%d/fd | grep -c -e 'pipe:\\[' -e bad.log", (int) lc.pid) == 0 &&
              streq(out, "1\n"), "the log process kept none of them (one pipe, good's): %s", out);
        free(out);
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
        pid = spawn_writer(&s, write_a);
        service_stdio_close_service_ends(&s);
        CHECK(wait_exit(pid) == 0, "the writer exits 0");
        service_stdio_done(&s);
        finish_logger("after the writer");
        CHECK(log_is("good.log", "from a"), "good.log has the line");
}

/* A log process that is gone (killed here; or exited after its last
 * input) is replaced at the next start, on a fresh socket. */
static void test_replaced(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *u = unit("again", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdio s = SERVICE_STDIO_NULL;
        CrlError e = {};
        siginfo_t si = {};
        pid_t old, pid;

        printf("# a log process that is gone is replaced at the next start\n");
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "%s", e.message);
        old = lc.pid;
        service_stdio_done(&s);
        CHECK(crl_pidfd_send_signal(lc.pidfd, SIGKILL, NULL, 0) == 0 &&
              waitid(P_PIDFD, lc.pidfd, &si, WEXITED) == 0 && si.si_code == CLD_KILLED, "kill -9 the log process %d",
              (int) old);
        CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == 0, "the next start works: %s", e.message);
        CHECK(s.logger_pid > 0 && s.logger_pid != old && lc.pid == s.logger_pid, "by a new log process (%d, was %d)",
              (int) s.logger_pid, (int) old);
        pid = spawn_writer(&s, write_a);
        service_stdio_close_service_ends(&s);
        CHECK(wait_exit(pid) == 0, "the writer exits 0");
        service_stdio_done(&s);
        finish_logger("after the writer");
        CHECK(log_is("again.log", "from a"), "again.log has the line");
}

static char *mfree_str(char *p) {
        free(p);
        return NULL;
}

/* The start's two steps (service-exec.c): _begin() sends the hand-off, the
 * answer waits on the connection until _finish() reads it; _cancel() (a
 * later step of the start failed) still reads it, so the next start does
 * not take it for its own, and lets go of the pipe. */
static void test_begin_finish(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = config(10 << 20, 5);
        _cleanup_(unit_config_freep) UnitConfig *a = unit("split-a", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        _cleanup_(unit_config_freep) UnitConfig *b = unit("split-b", OUTPUT_LOG, NULL, OUTPUT_LOG, NULL);
        ServiceStdioOpening *o = NULL;
        ServiceStdio s = SERVICE_STDIO_NULL;
        struct pollfd pfd;
        CrlError e = {};
        char *out = NULL;
        SvcLogAck ack;
        pid_t pid;
        int fds;

        printf("# open in two steps: sent by _begin(), answered by _finish(); _cancel() reads the answer\n");
        CHECK(service_stdio_open(mc, &lc, b, NULL, &s, &e) == 0, "a first start connects: %s", e.message);
        service_stdio_done(&s);
        fds = count_fds();
        CHECK(service_stdio_open_begin(mc, &lc, a, NULL, &o, &e) == 0 && o, "begin: %s", e.message);
        pfd = (struct pollfd) { .fd = lc.fd, .events = POLLIN };
        CHECK(poll(&pfd, 1, 5000) == 1, "the answer arrives before _finish() asks for it (sent by _begin())");
        service_stdio_open_cancel(o);
        CHECK(recv(lc.fd, &ack, sizeof(ack), MSG_DONTWAIT) < 0 && errno == EAGAIN,
              "no answer left on the connection after _cancel()");
        CHECK(count_fds() == fds, "_cancel() closed everything (%d fds before, %d after)", fds, count_fds());
        /* It drops an input at its EOF, on its own loop: bounded wait. */
        for (int i = 0; i < 250; i++) {
                out = mfree_str(out);
                if (sh(&out, "ls -l /proc/%d/fd | grep -c 'pipe:\\[' || true", (int) lc.pid) == 0 &&
                    streq(out, "0\n"))
                        break;
                usleep(20000);
        }
        CHECK(out && streq(out, "0\n"), "the log process let go of the cancelled pipe within 5 s: %s pipes",
              out ? out : "?");
        free(out);

        CHECK(service_stdio_open_begin(mc, &lc, b, NULL, &o, &e) == 0, "begin: %s", e.message);
        CHECK(service_stdio_open_finish(o, &s, &e) == 0, "finish: %s", e.message);
        CHECK(s.logger_pid > 0 && s.logger_pid == lc.pid && s.log_path, "the same log process took it (%d, %d)",
              (int) s.logger_pid, (int) lc.pid);
        pid = spawn_writer(&s, write_b);
        service_stdio_close_service_ends(&s);
        CHECK(wait_exit(pid) == 0, "the writer exits 0");
        service_stdio_done(&s);
        finish_logger("after the writer");
        CHECK(log_is("split-b.log", "from b"), "split-b.log has the line");
}

int main(void) {
        /* Orphaned writers and log processes come to us, so we can wait. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || !mkdtemp(tmpdir))
                return 1;
        setenv("CORRAL_LOG_HELPER", CORRAL_LOG_HELPER_BUILD, 0);
        setvbuf(stdout, NULL, _IOLBF, 0);

        test_lines();
        test_long_lines();
        test_rotation();
        test_kill_corrald();
        test_cgroup_kill();
        test_file_append();
        test_null_inherit();
        test_caller_fds();
        test_errors();
        test_two_services();
        test_replaced();
        test_bad_handoff();
        test_begin_finish();
        test_journal();

        if (!failures)
                (void) sh(NULL, "rm -rf %s", tmpdir);
        return it_report("test-service-log");
}
