/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "signal-util.h"
#include "bus-internal.h"
#include "fileio.h"
#include "runtime-state.h"
#include "syscalls.h"

/* The private broker: a dbus-daemon that corrald starts in its own session,
 * so that it outlives a crash of corrald, and that the next corrald reuses
 * when its socket accepts a connection. RUNTIME_DIR/bus.pid holds "PID
 * STARTTIME" so that a clean shutdown stops that process and no other (a
 * pid alone may have been reused since). */

#ifndef CORRAL_DBUS_DAEMON
#define CORRAL_DBUS_DAEMON "/usr/bin/dbus-daemon"
#endif
#ifndef CORRAL_BUS_CONFIG
#define CORRAL_BUS_CONFIG "/usr/share/corral/corral-bus.conf"
#endif

#define BROKER_READY_TIMEOUT_MS 10000   /* the VM's TCG guest is slow */
#define BROKER_STOP_TIMEOUT_MS 5000

extern char **environ;

static int broker_paths(BusBroker *br, const char *runtime_dir) {
        if (!(br->runtime_dir = strdup(runtime_dir)))
                return -ENOMEM;
        if (asprintf(&br->socket_path, "%s/bus", runtime_dir) < 0) {
                br->socket_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&br->pid_path, "%s/bus.pid", runtime_dir) < 0) {
                br->pid_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&br->address, "unix:path=%s", br->socket_path) < 0) {
                br->address = NULL;
                return -ENOMEM;
        }
        return 0;
}

static bool broker_connectable(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        return connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

/* A pidfd for the broker bus.pid names, or -ESRCH when it is gone (or the
 * pid now belongs to another process). */
static int broker_open_recorded(const BusBroker *br, int *ret_pidfd) {
        _cleanup_free_ char *line = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        unsigned long long start;
        uint64_t t;
        int pid, r;

        r = read_line_at(AT_FDCWD, br->pid_path, &line);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (sscanf(line, "%d %llu", &pid, &start) != 2 || pid <= 1)
                return -EBADMSG;
        pidfd = crl_pidfd_open(pid, 0);
        if (pidfd < 0)
                return pidfd;
        /* Checked after pidfd_open: from here on the pidfd is that process. */
        r = proc_start_time(pid, &t);
        if (r < 0)
                return r;
        if (t != (uint64_t) start)
                return -ESRCH;
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

static int broker_write_file(const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(s);
        ssize_t k;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        k = write(fd, s, n);
        if (k < 0)
                return negative_errno();
        return (size_t) k == n ? 0 : -EIO;
}

static int broker_write_pidfile(const BusBroker *br, pid_t pid, CrlError *reterr) {
        _cleanup_free_ char *tmp = NULL;
        uint64_t start;
        char buf[64];
        int r;

        r = proc_start_time(pid, &start);
        if (r < 0)
                return crl_error_set(reterr, -r, "private bus: start time of dbus-daemon %d: %s",
                                     (int) pid, strerror(-r));
        snprintf(buf, sizeof(buf), "%d %llu\n", (int) pid, (unsigned long long) start);
        if (asprintf(&tmp, "%s.tmp", br->pid_path) < 0)
                return crl_error_set(reterr, ENOMEM, "private bus: out of memory");
        r = broker_write_file(tmp, buf);
        if (r >= 0 && rename(tmp, br->pid_path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);     /* best effort: the error below is what matters */
                return crl_error_set(reterr, -r, "private bus: write %s: %s", br->pid_path, strerror(-r));
        }
        return 0;
}

static void broker_wait_exit(int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        (void) poll(&p, 1, timeout_ms);
        /* Reaps it when it is our child (started by this corrald); a broker
         * inherited from a crashed corrald is init's: ECHILD, fine. */
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG);
}

typedef struct BrokerExec {
        const char *path;
        char *argv[7];
        int devnull;            /* owned by the caller, > 3 */
        int address_fd;         /* write end, > 3 */
} BrokerExec;

/* Between clone3 and execve: no allocation, no logging. A fresh session so
 * that the broker outlives corrald; default signal handling and an empty
 * mask, since corrald blocks the signals it reads from a signalfd. */
static _Noreturn void broker_child(const BrokerExec *x) {
        (void) reset_all_signals();
        if (setsid() < 0)
                _exit(126);
        if (dup2(x->devnull, STDIN_FILENO) < 0 || dup2(x->devnull, STDOUT_FILENO) < 0 ||
            dup2(x->address_fd, 3) < 0)
                _exit(126);
        execve(x->path, x->argv, environ);
        _exit(127);
}

/* fd itself when above min, else a CLOEXEC copy above it (closing fd), so
 * that the child's dup2() onto 0, 1 and 3 cannot clobber it. */
static int fd_above(int fd, int min) {
        int nfd;

        if (fd < 0)
                return negative_errno();
        if (fd > min)
                return fd;
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, min + 1);
        safe_close(fd);
        return nfd < 0 ? negative_errno() : nfd;
}

/* Read "unix:path=...,guid=...\n" that dbus-daemon prints once it listens;
 * EOF or the pidfd turning readable first means it died. */
static int broker_wait_ready(int address_fd, int pidfd, const char *exe, CrlError *reterr) {
        struct pollfd p[2] = { { .fd = address_fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        char buf[512];
        size_t n = 0;

        for (;;) {
                ssize_t k;
                int r = poll(p, 2, BROKER_READY_TIMEOUT_MS);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return crl_error_set(reterr, errno, "private bus: poll: %m");
                if (r == 0)
                        return crl_error_set(reterr, ETIMEDOUT, "private bus: %s did not listen within %d ms",
                                             exe, BROKER_READY_TIMEOUT_MS);
                if (!(p[0].revents & (POLLIN | POLLHUP)))
                        break;  /* only the pidfd: it exited */
                k = read(address_fd, buf + n, sizeof(buf) - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (memchr(buf, '\n', n))
                        return 0;
                if (n >= sizeof(buf) - 1)
                        return crl_error_set(reterr, EBADMSG, "private bus: %s printed no address", exe);
        }
        return crl_error_set(reterr, ECHILD, "private bus: %s exited before listening (see its messages above)",
                             exe);
}

/* clone3 the broker; *ret_pidfd and *ret_address_fd (the read end of its
 * --print-address pipe) are owned by the caller. */
static pid_t broker_fork(const BusBroker *br, const char *exe, const char *config, int *ret_pidfd,
                         int *ret_address_fd, CrlError *reterr) {
        _cleanup_free_ char *config_arg = NULL, *address_arg = NULL;
        _cleanup_close_ int devnull = -EBADF, pr = -EBADF, pw = -EBADF, pidfd = -EBADF;
        int pipefd[2];
        pid_t pid;

        if (asprintf(&config_arg, "--config-file=%s", config) < 0 ||
            asprintf(&address_arg, "--address=%s", br->address) < 0)
                return crl_error_set(reterr, ENOMEM, "private bus: out of memory");
        devnull = fd_above(open("/dev/null", O_RDWR | O_CLOEXEC), 3);
        if (devnull < 0)
                return crl_error_set(reterr, -devnull, "private bus: open /dev/null: %s", strerror(-devnull));
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return crl_error_set(reterr, errno, "private bus: pipe: %s", strerror(errno));
        pr = pipefd[0];
        pw = fd_above(pipefd[1], 3);
        if (pw < 0)
                return crl_error_set(reterr, -pw, "private bus: dup pipe: %s", strerror(-pw));

        BrokerExec x = {
                .path = exe,
                .argv = { (char *) exe, config_arg, address_arg, (char *) "--nofork", (char *) "--nopidfile",
                          (char *) "--print-address=3", NULL },
                .devnull = devnull,
                .address_fd = pw,
        };
        crl_clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uint64_t) (uintptr_t) &pidfd,
                                .exit_signal = SIGCHLD };
        pid = crl_clone3(&args);
        if (pid < 0)
                return crl_error_set(reterr, -pid, "private bus: clone3: %s", strerror(-pid));
        if (pid == 0)
                broker_child(&x);
        *ret_pidfd = TAKE_FD(pidfd);
        *ret_address_fd = TAKE_FD(pr);
        return pid;
}

static int broker_spawn(BusBroker *br, CrlError *reterr) {
        const char *exe = secure_getenv("CORRAL_DBUS_DAEMON") ?: CORRAL_DBUS_DAEMON;
        const char *config = secure_getenv("CORRAL_BUS_CONFIG") ?: CORRAL_BUS_CONFIG;
        _cleanup_close_ int pidfd = -EBADF, address_fd = -EBADF;
        pid_t pid;
        int r;

        if (access(exe, X_OK) < 0)
                return crl_error_set(reterr, errno, "private bus: %s: %s (install dbus, or use --bus)", exe,
                                     strerror(errno));
        if (access(config, R_OK) < 0)
                return crl_error_set(reterr, errno, "private bus: config %s: %s", config, strerror(errno));
        pid = broker_fork(br, exe, config, &pidfd, &address_fd, reterr);
        if (pid < 0)
                return pid;
        r = broker_wait_ready(address_fd, pidfd, exe, reterr);
        /* Any local uid may connect (the config allows it; the daemon checks
         * each caller itself), whatever umask dbus-daemon ran with. */
        if (r >= 0 && chmod(br->socket_path, 0666) < 0)
                r = crl_error_set(reterr, errno, "private bus: chmod %s: %s", br->socket_path, strerror(errno));
        if (r >= 0)
                r = broker_write_pidfile(br, pid, reterr);
        if (r < 0) {
                /* A failed start leaves no broker behind. */
                (void) crl_pidfd_send_signal(pidfd, SIGKILL, NULL, 0); /* may be gone already */
                broker_wait_exit(pidfd, -1);
        }
        return r;
}

int bus_broker_ensure(BusBroker *br, const char *runtime_dir, CrlError *reterr) {
        _cleanup_close_ int stale = -EBADF;
        struct stat st;
        int r;

        r = broker_paths(br, runtime_dir);
        if (r < 0)
                return crl_error_set(reterr, -r, "private bus: out of memory");
        if (mkdir(runtime_dir, 0755) < 0 && errno != EEXIST)
                return crl_error_set(reterr, errno, "private bus: mkdir %s: %m", runtime_dir);
        if (broker_connectable(br->socket_path))
                return 0;       /* left by an earlier corrald: reuse it */

        /* A recorded broker that no longer accepts is hung: replace it. */
        if (broker_open_recorded(br, &stale) >= 0) {
                (void) crl_pidfd_send_signal(stale, SIGKILL, NULL, 0); /* exiting already is fine */
                broker_wait_exit(stale, BROKER_STOP_TIMEOUT_MS);
        }
        if (lstat(br->socket_path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(br->socket_path) < 0)
                return crl_error_set(reterr, errno, "private bus: remove stale %s: %m", br->socket_path);
        return broker_spawn(br, reterr);
}

void bus_broker_stop(BusBroker *br) {
        _cleanup_close_ int pidfd = -EBADF;

        if (!br->pid_path)
                return;
        if (broker_open_recorded(br, &pidfd) >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };

                (void) crl_pidfd_send_signal(pidfd, SIGTERM, NULL, 0); /* gone already: fine */
                if (poll(&p, 1, BROKER_STOP_TIMEOUT_MS) == 0)
                        (void) crl_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                broker_wait_exit(pidfd, BROKER_STOP_TIMEOUT_MS);
        }
        /* dbus-daemon leaves its socket behind; nothing else uses these. */
        (void) unlink(br->socket_path);
        (void) unlink(br->pid_path);
}

void bus_broker_done(BusBroker *br) {
        free(br->runtime_dir);
        free(br->socket_path);
        free(br->pid_path);
        free(br->address);
        *br = (BusBroker) {};
}
