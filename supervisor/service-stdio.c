/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A service's stdio (service-stdio.h): resolve StandardOutput=/
 * StandardError= into fds for the launcher, hand the `log` destination to
 * the shared corral-log (started on need), connect `journal` to journald.
 * docs/design.md "Service logs". */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-journal.h>
#include <syslog.h>

#include "signal-util.h"
#include "service-log.h"
#include "service-stdio.h"
#include "fd-util.h"
#include "syscalls.h"

#ifndef CORRAL_LOG_HELPER_PATH
#define CORRAL_LOG_HELPER_PATH "/usr/libexec/corral/corral-log"
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define JOURNAL_STDOUT "/run/systemd/journal/stdout"

/* The fd the log process finds its listening socket on (argv names it). */
enum { LOGGER_FD_LISTEN = 3, _LOGGER_FD_MAX };

/* How long corrald waits for the log process to take a hand-off (it answers
 * from its loop at once; only a stuck process would make us wait). */
#define LOGGER_ANSWER_TIMEOUT_SEC 5

typedef enum Sink { SINK_FILE, _SINK_MAX } Sink;

/* What service_stdio_open() builds before the log process takes over. */
typedef struct StdioBuild {
        const ManagerConfig *mc;
        const UnitConfig *u;
        int pipe_rd[_SINK_MAX], pipe_wr[_SINK_MAX];     /* owned; -EBADF when unused */
        int dir_fd, file_fd;                            /* owned; the log directory and NAME.log */
        int journal_fd;                                 /* owned; journald's stream for NAME, or -EBADF */
        /* The hand-off to the log process (logger_handoff_send()). */
        ServiceLogClient *lc;                           /* borrowed */
        char *socket_path;                              /* owned; RUNTIME/log.sock */
        struct sockaddr_un sa;
        unsigned attempt;                               /* 1: the retry on a new log process */
        bool fresh;                                     /* this attempt started the log process */
        bool sent;                                      /* its answer is owed on lc */
} StdioBuild;

static void stdio_build_done(StdioBuild *b) {
        for (Sink k = 0; k < _SINK_MAX; k++) {
                b->pipe_rd[k] = safe_close(b->pipe_rd[k]);
                b->pipe_wr[k] = safe_close(b->pipe_wr[k]);
        }
        b->dir_fd = safe_close(b->dir_fd);
        b->file_fd = safe_close(b->file_fd);
        b->journal_fd = safe_close(b->journal_fd);
        free(b->socket_path);
        b->socket_path = NULL;
}

static const char *stream_key(int stream) {
        return stream == 1 ? "StandardOutput" : "StandardError";
}

/* *ret = a CLOEXEC copy of fd above 2, or -EBADF (/dev/null) for fd < 0. */
static int dup_fd(int fd, StdioBuild *b, const char *what, int *ret, CrlError *e) {
        int r = -EBADF;

        if (fd >= 0 && (r = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
                return crl_error_set(e, errno, "service '%s': %s: dup: %s", b->u->name, what, strerror(errno));
        *ret = r;
        return 0;
}

/* StandardInput=file:PATH, opened here as root before the sandbox, as
 * systemd's manager-side child opens it; the service need not see PATH.
 * O_NONBLOCK only for the open (a FIFO), as for the outputs. A socket
 * (systemd connects to it) fails with ENXIO. */
static int open_input_file(StdioBuild *b, int *ret, CrlError *e) {
        const char *path = b->u->standard_input_file;
        int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

        if (fd < 0 || fcntl(fd, F_SETFL, 0) < 0) {
                int err = errno;
                safe_close(fd);
                return crl_error_set(e, err, "service '%s': StandardInput=file:%s: %s", b->u->name, path,
                                     strerror(err));
        }
        *ret = fd;
        return 0;
}

/* file:PATH and append:PATH as systemd opens them: O_WRONLY|O_CREAT, mode
 * 0666 & ~UMask, file: writes from offset 0 without truncating, append:
 * appends. O_NONBLOCK only for the open itself, so a FIFO without a reader
 * fails (ENXIO) instead of hanging the loop. */
static int open_output_file(StdioBuild *b, int stream, const OutputSpec *o, int *ret, CrlError *e) {
        mode_t mask = b->u->umask >= 0 ? (mode_t) b->u->umask : 0022;
        int flags = O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC | O_NONBLOCK;
        int fd;

        if (o->kind == OUTPUT_APPEND)
                flags |= O_APPEND;
        fd = open(o->path, flags, 0666 & ~mask);
        if (fd < 0 || fcntl(fd, F_SETFL, flags & O_APPEND) < 0) {
                int err = errno;
                safe_close(fd);
                return crl_error_set(e, err, "service '%s': %s=%s:%s: %s", b->u->name, stream_key(stream),
                                     o->kind == OUTPUT_APPEND ? "append" : "file", o->path, strerror(err));
        }
        *ret = fd;
        return 0;
}

/* `journal`, as systemd connects a service's stdout to journald: a stream
 * (sd_journal_stream_fd()) tagged SYSLOG_IDENTIFIER=NAME, priority info,
 * `<N>` prefixes read as priorities. journald holds the other end, so no
 * process of ours sits in between and a restart of corrald changes nothing
 * for the service. stdout and stderr to the journal share one stream, in
 * the order written. Made on first use. */
static int journal_writer(StdioBuild *b, int stream, int *ret, CrlError *e) {
        if (b->journal_fd < 0) {
                int fd = sd_journal_stream_fd(b->u->name, LOG_INFO, /* level_prefix= */ 1);

                if (fd < 0)
                        return crl_error_set(e, -fd, "service '%s': %s=journal: " JOURNAL_STDOUT ": %s "
                                             "(is systemd-journald running?)", b->u->name, stream_key(stream),
                                             strerror(-fd));
                b->journal_fd = fd;
        }
        return dup_fd(b->journal_fd, b, "journal stream", ret, e);
}

/* The write end of the pipe to the log process for sink k (made on first
 * use: stdout and stderr to the same sink share one pipe, so their lines
 * stay in the order the service wrote them). */
static int sink_writer(StdioBuild *b, Sink k, int stream, int *ret, CrlError *e) {
        int p[2];

        if (b->pipe_wr[k] < 0) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return crl_error_set(e, errno, "service '%s': log pipe: %s", b->u->name, strerror(errno));
                b->pipe_rd[k] = p[0];
                b->pipe_wr[k] = p[1];
        }
        return dup_fd(b->pipe_wr[k], b, "log pipe", ret, e);
}

/* *ret = the fd for stream 1 (stdout) or 2 (stderr), -EBADF for /dev/null;
 * prev is the fd of the stream before it, which `inherit` copies (as
 * systemd: stdout inherits stdin, stderr inherits stdout). */
static int open_stream(StdioBuild *b, int stream, const int caller_fds[3], int prev, int *ret, CrlError *e) {
        const OutputSpec *o = stream == 1 ? &b->u->standard_output : &b->u->standard_error;

        *ret = -EBADF;
        if (caller_fds && caller_fds[stream] >= 0)
                return dup_fd(caller_fds[stream], b, "caller's fd", ret, e);
        switch (o->kind) {
        case OUTPUT_LOG:
                return sink_writer(b, SINK_FILE, stream, ret, e);
        case OUTPUT_JOURNAL:
                return journal_writer(b, stream, ret, e);
        case OUTPUT_INHERIT:
                return dup_fd(prev, b, stream_key(stream), ret, e);
        case OUTPUT_FILE:
        case OUTPUT_APPEND:
                return open_output_file(b, stream, o, ret, e);
        case OUTPUT_NULL:
        default:
                return 0;
        }
}

/* LOG_DIR (made if missing, its parent must exist) and LOG_DIR/NAME.log,
 * opened here so a bad directory fails the start with a message instead of
 * a log process that cannot write. */
static int open_log_file(StdioBuild *b, char **ret_path, CrlError *e) {
        const char *dir = b->mc->log_directory;
        char name[NAME_MAX + 1];
        _cleanup_free_ char *path = NULL;

        if (svc_log_file_name(b->u->name, b->mc->log_keep, name, sizeof(name)) < 0 ||
            svc_log_file_name(b->u->name, 0, name, sizeof(name)) < 0)
                return crl_error_set(e, ENAMETOOLONG, "service '%s': log file name too long", b->u->name);
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return crl_error_set(e, ENOMEM, "service '%s': log file: %s", b->u->name, strerror(ENOMEM));

        b->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->dir_fd < 0 && errno == ENOENT && mkdir(dir, 0755) >= 0)
                b->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->dir_fd < 0)
                return crl_error_set(e, errno, "service '%s': LogDirectory=%s: %s", b->u->name, dir, strerror(errno));

        b->file_fd = openat(b->dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
        if (b->file_fd < 0)
                return crl_error_set(e, errno, "service '%s': log file %s: %s", b->u->name, path, strerror(errno));
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* Everything the log process's child code needs, prepared before clone3:
 * that code neither allocates nor logs. */
typedef struct LoggerExec {
        const char *helper;
        char *argv[3];
        char *envp[2];
        char tz[256];                   /* "TZ=..." for the time stamps' zone */
        int src[_LOGGER_FD_MAX];        /* what goes on fd i; -EBADF: nothing */
        int err_fd, err_rd;             /* the exec report pipe (the log process writes errno) */
        int report_fd;                  /* the write end of the LoggerReport pipe */
} LoggerExec;

/* corral-log reports its own failures (a full disk, a failed rotation) on
 * corrald's stderr: a terminal, a file or journald's stream socket. Not on
 * a pipe, though: whoever reads corrald's output until EOF (a test harness,
 * `corrald | tee`) would wait for every log process too, long after a
 * kill -9 of corrald. */
static int logger_stderr(int null_fd) {
        struct stat st;

        if (fstat(STDERR_FILENO, &st) < 0 || S_ISFIFO(st.st_mode))
                return null_fd;
        return STDERR_FILENO;
}

static void logger_exec_prepare(int listen_fd, int null_fd, LoggerExec *x) {
        size_t n = 0;
        const char *tz = getenv("TZ");

        x->helper = secure_getenv("CORRAL_LOG_HELPER") ?: CORRAL_LOG_HELPER_PATH;
        x->argv[0] = (char *) "corral-log";
        x->argv[1] = (char *) "--listen-fd=3";
        x->argv[2] = NULL;
        /* Only TZ: corral-log needs nothing else of corrald's environment. */
        if (tz && (size_t) snprintf(x->tz, sizeof(x->tz), "TZ=%s", tz) < sizeof(x->tz))
                x->envp[n++] = x->tz;
        x->envp[n] = NULL;

        x->src[0] = x->src[1] = null_fd;
        x->src[2] = logger_stderr(null_fd);
        x->src[LOGGER_FD_LISTEN] = listen_fd;
}

/* Between clone3 and execve: no allocation, no logging; a failure goes up
 * x->err_fd as an errno. */
_Noreturn static void logger_child(const LoggerExec *x) {
        int tmp[_LOGGER_FD_MAX], err_fd = x->err_fd, err;

        (void) reset_all_signals();
        /* Its own session and process group: the terminal's or a process
         * group's SIGINT/SIGHUP for corrald must not end the log process
         * before the service's last line is drained. */
        if (setsid() < 0)
                goto fail;
        /* It may run for years: pin no mount corrald happened to start in. */
        if (chdir("/") < 0)
                goto fail;
        /* Move every source above the targets first, so dup2() cannot
         * clobber a source sitting on a target number. */
        err_fd = fcntl(x->err_fd, F_DUPFD_CLOEXEC, _LOGGER_FD_MAX);
        if (err_fd < 0) {
                err_fd = x->err_fd;
                goto fail;
        }
        for (int i = 0; i < _LOGGER_FD_MAX; i++) {
                tmp[i] = -EBADF;
                if (x->src[i] >= 0 && (tmp[i] = fcntl(x->src[i], F_DUPFD_CLOEXEC, _LOGGER_FD_MAX)) < 0)
                        goto fail;
        }
        for (int i = 0; i < _LOGGER_FD_MAX; i++)
                if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
                        goto fail;
        /* Whatever corrald itself inherited without CLOEXEC stays out of
         * the log process (it might hold a pipe open for years); err_fd
         * stays usable until execve. */
        if (syscall(SYS_close_range, (unsigned) _LOGGER_FD_MAX, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                goto fail;
        execve(x->helper, x->argv, x->envp);
fail:
        err = errno;
        (void) !write(err_fd, &err, sizeof(err));
        _exit(127);
}

/* What the intermediate process tells corrald. */
typedef struct LoggerReport {
        pid_t pid;
        int pidfd;                      /* in corrald's fd table (CLONE_FILES) */
        int error;                      /* positive errno, 0 on success */
} LoggerReport;

/* The intermediate: it shares corrald's fd table (CLONE_FILES), so the
 * pidfd it gets for the log process is corrald's. It clones the log process
 * with CLONE_VFORK, so when that returns the log process has run execve or
 * has written why it could not (the non-blocking read sees which); then it
 * reports and exits at once. Its orphan goes to init (or the nearest
 * subreaper), which reaps it: no zombie is ever left for corrald or for
 * whoever started corrald, and the log process is no child of corrald, the
 * same whether this corrald started it or a later one re-adopted it. */
_Noreturn static void logger_intermediate(const LoggerExec *x) {
        int pidfd = -EBADF, err;
        crl_clone_args args = {
                .flags = CLONE_PIDFD | CLONE_VFORK,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
        };
        LoggerReport r = {};
        pid_t pid = crl_clone3(&args);

        if (pid == 0)
                logger_child(x);
        if (pid < 0)
                r.error = -pid;
        else if (read(x->err_rd, &err, sizeof(err)) == sizeof(err)) {
                r.error = err;
                safe_close(pidfd);
        } else
                r = (LoggerReport) { .pid = pid, .pidfd = pidfd };
        (void) !write(x->report_fd, &r, sizeof(r));
        _exit(0);
}

static int logger_fail(const StdioBuild *b, const LoggerExec *x, const char *step, int err, CrlError *e) {
        return crl_error_set(e, err, "service '%s': log process %s: %s: %s", b->u->name, x->helper, step, strerror(err));
}

static int spawn_logger(const StdioBuild *b, int listen_fd, int *ret_pidfd, pid_t *ret_pid, CrlError *e) {
        _cleanup_close_ int null_fd = -EBADF, err_rd = -EBADF, report_rd = -EBADF, ipidfd = -EBADF;
        crl_clone_args args = { .flags = CLONE_FILES | CLONE_VFORK | CLONE_PIDFD, .exit_signal = SIGCHLD };
        LoggerExec x = {};
        LoggerReport r = {};
        int p[2], q[2];
        pid_t pid;

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0 || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return logger_fail(b, &x, "prepare", errno, e);
        err_rd = x.err_rd = p[0];
        x.err_fd = p[1];
        if (pipe2(q, O_CLOEXEC | O_NONBLOCK) < 0) {
                safe_close(x.err_fd);
                return logger_fail(b, &x, "prepare", errno, e);
        }
        report_rd = q[0];
        x.report_fd = q[1];
        logger_exec_prepare(listen_fd, null_fd, &x);

        args.pidfd = (uint64_t) (uintptr_t) &ipidfd;
        pid = crl_clone3(&args);
        if (pid == 0)
                logger_intermediate(&x);
        safe_close(x.err_fd);
        safe_close(x.report_fd);
        if (pid < 0)
                return logger_fail(b, &x, "clone3", -pid, e);
        /* CLONE_VFORK: it has exited already; this only reaps it. */
        (void) waitid(P_PIDFD, ipidfd, &(siginfo_t) {}, WEXITED);
        if (read(report_rd, &r, sizeof(r)) != sizeof(r))
                return logger_fail(b, &x, "clone3", EIO, e);
        if (r.error != 0)
                return logger_fail(b, &x, "execve", r.error, e);
        *ret_pidfd = r.pidfd;
        *ret_pid = r.pid;
        return 0;
}

void service_log_client_done(ServiceLogClient *c) {
        c->fd = safe_close(c->fd);
        c->pidfd = safe_close(c->pidfd);
        c->pid = 0;
        free(c->socket_path);
        c->socket_path = NULL;
}

void service_log_client_release(ServiceLogClient *c, const char *runtime_dir) {
        _cleanup_free_ char *path = NULL;

        service_log_client_done(c);
        /* Ignored: nothing there (no log service ran) or nothing we could
         * do about it at exit. */
        if (asprintf(&path, "%s/" SVC_LOG_SOCKET_NAME, runtime_dir) >= 0)
                (void) unlink(path);
}

/* RUNTIME/log.sock as a sockaddr. */
static int socket_address(const StdioBuild *b, char **ret_path, struct sockaddr_un *ret, CrlError *e) {
        const char *dir = b->mc->runtime_directory ?: "/run/corral";
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" SVC_LOG_SOCKET_NAME, dir) < 0)
                return crl_error_set(e, ENOMEM, "service '%s': log process socket: %s", b->u->name, strerror(ENOMEM));
        if (strlen(path) >= sizeof(ret->sun_path))
                return crl_error_set(e, ENAMETOOLONG, "service '%s': log process socket %s: %s", b->u->name, path,
                                     strerror(ENAMETOOLONG));
        *ret = (struct sockaddr_un) { .sun_family = AF_UNIX };
        memcpy(ret->sun_path, path, strlen(path));
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* A client socket whose connect, send and receive wait at most
 * LOGGER_ANSWER_TIMEOUT_SEC (SO_SNDTIMEO covers a unix connect too). */
static int client_socket(void) {
        struct timeval tv = { .tv_sec = LOGGER_ANSWER_TIMEOUT_SEC };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* c connected to the log process listening at sa (path: its text), which
 * is not known yet (its pid comes with the first answer). */
static int client_connect(ServiceLogClient *c, const char *path, const struct sockaddr_un *sa) {
        _cleanup_close_ int fd = client_socket();
        _cleanup_free_ char *p = strdup(path);

        if (fd < 0)
                return fd;
        if (!p)
                return -ENOMEM;
        if (connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) < 0)
                return -errno;
        service_log_client_done(c);
        c->fd = TAKE_FD(fd);
        c->socket_path = TAKE_PTR(p);
        return 0;
}

/* A listening socket bound at sa (path: its text), mode 0600: only root
 * hands fds to the log process. *ret_step names what failed. */
static int listen_socket(const char *path, const struct sockaddr_un *sa, const char **ret_step) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        int r;

        *ret_step = "socket";
        if (fd < 0)
                return -errno;
        *ret_step = "bind";
        if (bind(fd, (const struct sockaddr *) sa, sizeof(*sa)) < 0)
                return -errno;
        *ret_step = "chmod";
        r = chmod(path, 0600) < 0 ? -errno : 0;
        if (r >= 0) {
                *ret_step = "listen";
                r = listen(fd, SOMAXCONN) < 0 ? -errno : 0;
        }
        if (r < 0) {
                (void) unlink(path);    /* ours, half made */
                return r;
        }
        return TAKE_FD(fd);
}

/* A fresh log process on a fresh socket at sa, replacing a stale one (whose
 * process is gone or going: it never unlinks, so it cannot remove ours).
 * We bind, listen and connect before it starts, so our connection waits in
 * its backlog and there is no readiness to wait for. */
static int logger_start(const StdioBuild *b, ServiceLogClient *c, const char *path, const struct sockaddr_un *sa,
                        CrlError *e) {
        _cleanup_close_ int lfd = -EBADF;
        const char *step = "unlink";
        int r, pidfd = -EBADF;
        pid_t pid = 0;

        r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        if (r >= 0)
                r = lfd = listen_socket(path, sa, &step);
        if (r >= 0) {
                step = "connect";
                r = client_connect(c, path, sa);
                if (r < 0)
                        (void) unlink(path);
        }
        if (r < 0)
                return crl_error_set(e, -r, "service '%s': log process socket %s: %s: %s", b->u->name, path, step,
                                     strerror(-r));
        r = spawn_logger(b, lfd, &pidfd, &pid, e);
        if (r < 0) {
                service_log_client_done(c);
                (void) unlink(path);
                return r;
        }
        c->pidfd = pidfd;
        c->pid = pid;
        return 0;
}

/* Send the hand-off of b's log pipe, directory and file over c. Returns 0
 * when sent, 1 when the connection was gone (the log process exited: c
 * must be dropped, nothing was taken), or -errno with e set. */
static int handoff_write(const StdioBuild *b, ServiceLogClient *c, CrlError *e) {
        SvcLogHandoff h = { .magic = SVC_LOG_HANDOFF_MAGIC, .keep = b->mc->log_keep, .max_bytes = b->mc->log_max_bytes };
        int fds[SVC_LOG_HANDOFF_FDS] = { b->pipe_rd[SINK_FILE], b->dir_fd, b->file_fd };
        struct iovec iov = { &h, sizeof(h) };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(fds))];
        } control = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        ssize_t n;

        assert(strlen(b->u->name) < sizeof(h.name));    /* open_log_file() checked NAME.log.KEEP fits */
        strcpy(h.name, b->u->name);
        *cm = (struct cmsghdr) { .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS, .cmsg_len = CMSG_LEN(sizeof(fds)) };
        memcpy(CMSG_DATA(cm), fds, sizeof(fds));

        do
                n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN))
                return 1;
        if (n < 0) {
                int err = errno;

                service_log_client_done(c);     /* whether it was sent is not known */
                if (err == EAGAIN)
                        return crl_error_set(e, ETIMEDOUT, "service '%s': log process: no answer within %d s",
                                             b->u->name, LOGGER_ANSWER_TIMEOUT_SEC);
                return crl_error_set(e, err, "service '%s': log process: hand-off: %s", b->u->name, strerror(err));
        }
        return 0;
}

/* The log process's answer to the hand-off handoff_write() sent: as there. */
static int handoff_answer(const StdioBuild *b, ServiceLogClient *c, CrlError *e) {
        SvcLogAck ack = {};
        ssize_t n;

        do
                n = recv(c->fd, &ack, sizeof(ack), 0);
        while (n < 0 && errno == EINTR);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
                return 1;
        if (n != sizeof(ack)) {
                int err = n < 0 ? errno : EBADMSG;
                /* A late answer must not be taken for the next one's. */
                service_log_client_done(c);
                if (err == EAGAIN)
                        return crl_error_set(e, ETIMEDOUT, "service '%s': log process: no answer within %d s",
                                             b->u->name, LOGGER_ANSWER_TIMEOUT_SEC);
                return crl_error_set(e, err, "service '%s': log process: hand-off: %s", b->u->name, strerror(err));
        }
        if (ack.error != 0)
                return crl_error_set(e, ack.error, "service '%s': log process %d refused the log: %s", b->u->name,
                                     (int) ack.pid, strerror(ack.error));
        if (c->pid == 0 && ack.pid > 0) {
                /* A log process found at the socket: it cannot exit on its
                 * own while we hold a connection, so its pid is its own. */
                c->pid = ack.pid;
                c->pidfd = crl_pidfd_open(ack.pid, 0);
                if (c->pidfd < 0)
                        c->pidfd = -EBADF;      /* not known when it ends; it serves all the same */
        }
        return 0;
}

/* One attempt: the connection we hold, else the log process at
 * RUNTIME/log.sock, else (and always on the retry) a new one; then the
 * hand-off. Returns as handoff_write(). */
static int handoff_attempt(StdioBuild *b, CrlError *e) {
        ServiceLogClient *c = b->lc;
        int r;

        b->fresh = c->fd < 0 && b->attempt > 0;
        if (c->fd < 0 && !b->fresh) {
                r = client_connect(c, b->socket_path, &b->sa);
                b->fresh = r == -ENOENT || r == -ECONNREFUSED;
                if (r < 0 && !b->fresh)
                        return crl_error_set(e, -r, "service '%s': log process socket %s: connect: %s",
                                             b->u->name, b->socket_path, strerror(-r));
        }
        if (b->fresh && (r = logger_start(b, c, b->socket_path, &b->sa, e)) < 0)
                return r;
        return handoff_write(b, c, e);
}

/* The connection was found gone (the log process exited after its last
 * input, or died): it is replaced once by a new log process. */
static int handoff_gone(StdioBuild *b, CrlError *e) {
        service_log_client_done(b->lc);
        if (b->fresh || b->attempt > 0)
                return crl_error_set(e, ECONNRESET, "service '%s': log process %s: %s", b->u->name, b->socket_path,
                                     "closed the connection before it answered");
        b->attempt++;
        return 0;
}

/* The log pipe to the log process, sent; logger_handoff_finish() reads
 * the answer, so corrald can do other work of the start meanwhile. */
static int logger_handoff_send(StdioBuild *b, CrlError *e) {
        int r;

        if (!b->socket_path) {
                r = socket_address(b, &b->socket_path, &b->sa, e);
                if (r < 0)
                        return r;
                if (b->lc->fd >= 0 && !streq(b->lc->socket_path, b->socket_path))
                        service_log_client_done(b->lc);     /* RuntimeDirectory= changed */
        }
        for (;;) {
                r = handoff_attempt(b, e);
                if (r == 0)
                        b->sent = true;
                if (r <= 0)
                        return r;
                r = handoff_gone(b, e);
                if (r < 0)
                        return r;
        }
}

/* The answer: 0 when the log process took the hand-off. */
static int logger_handoff_finish(StdioBuild *b, CrlError *e) {
        int r;

        while (b->sent) {
                b->sent = false;
                r = handoff_answer(b, b->lc, e);
                if (r <= 0)
                        return r;
                r = handoff_gone(b, e);
                if (r >= 0)
                        r = logger_handoff_send(b, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct ServiceStdioOpening {
        StdioBuild b;
        ServiceStdio s;
};

static ServiceStdioOpening *opening_free(ServiceStdioOpening *o) {
        if (o) {
                stdio_build_done(&o->b);
                service_stdio_done(&o->s);
                free(o);
        }
        return NULL;
}

int service_stdio_open_begin(const ManagerConfig *mc, ServiceLogClient *lc, const UnitConfig *u,
                             const int caller_fds[3], ServiceStdioOpening **ret, CrlError *reterr) {
        ServiceStdioOpening *o;
        StdioBuild *b;
        ServiceStdio *s;
        int r;

        assert(mc && lc && u && ret);

        o = malloc(sizeof(*o));
        if (!o)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", u->name);
        o->b = (StdioBuild) {
                .mc = mc, .u = u, .lc = lc,
                .pipe_rd = { -EBADF }, .pipe_wr = { -EBADF },
                .dir_fd = -EBADF, .file_fd = -EBADF, .journal_fd = -EBADF,
        };
        o->s = SERVICE_STDIO_NULL;
        b = &o->b;
        s = &o->s;
        if (caller_fds && caller_fds[0] >= 0)    /* StandardInputFileDescriptor wins */
                r = dup_fd(caller_fds[0], b, "caller's fd", &s->stdin_fd, reterr);
        else if (u->standard_input_file)
                r = open_input_file(b, &s->stdin_fd, reterr);
        else
                r = dup_fd(-EBADF, b, "caller's fd", &s->stdin_fd, reterr);
        if (r >= 0)
                r = open_stream(b, 1, caller_fds, s->stdin_fd, &s->stdout_fd, reterr);
        if (r >= 0)
                r = open_stream(b, 2, caller_fds, s->stdout_fd, &s->stderr_fd, reterr);
        if (r >= 0 && b->pipe_rd[SINK_FILE] >= 0)
                r = open_log_file(b, &s->log_path, reterr);
        if (r >= 0 && b->pipe_rd[SINK_FILE] >= 0)
                r = logger_handoff_send(b, reterr);
        if (r < 0) {
                opening_free(o);        /* the send is the last step: nothing was sent */
                return r;
        }
        *ret = o;
        return 0;
}

int service_stdio_open_finish(ServiceStdioOpening *o, ServiceStdio *ret, CrlError *reterr) {
        ServiceStdio *s = &o->s;
        int r;

        r = logger_handoff_finish(&o->b, reterr);
        if (r >= 0 && o->b.pipe_rd[SINK_FILE] >= 0)
                s->logger_pid = o->b.lc->pid;
        if (r < 0) {
                opening_free(o);
                return r;
        }
        /* corrald's copies of the pipe, directory and file close with b:
         * only the service's ends (in s) and the log process's remain, out
         * of the launches' way while the service runs. */
        s->stdin_fd = fd_move_high(s->stdin_fd);
        s->stdout_fd = fd_move_high(s->stdout_fd);
        s->stderr_fd = fd_move_high(s->stderr_fd);
        *ret = *s;
        *s = SERVICE_STDIO_NULL;
        opening_free(o);
        return 0;
}

void service_stdio_open_cancel(ServiceStdioOpening *o) {
        ServiceStdio s = SERVICE_STDIO_NULL;

        if (o && service_stdio_open_finish(o, &s, &(CrlError) {}) >= 0)  /* nothing to report: given up */
                service_stdio_done(&s);
}

int service_stdio_open(const ManagerConfig *mc, ServiceLogClient *lc, const UnitConfig *u, const int caller_fds[3],
                       ServiceStdio *ret, CrlError *reterr) {
        ServiceStdioOpening *o = NULL;
        int r;

        r = service_stdio_open_begin(mc, lc, u, caller_fds, &o, reterr);
        return r < 0 ? r : service_stdio_open_finish(o, ret, reterr);
}

void service_stdio_close_service_ends(ServiceStdio *s) {
        s->stdin_fd = safe_close(s->stdin_fd);
        s->stdout_fd = safe_close(s->stdout_fd);
        s->stderr_fd = safe_close(s->stderr_fd);
}

/* The log process is left alone: it drops the input once the last writer
 * (the service, or a leftover of it) closed the pipe, after draining it. */
void service_stdio_done(ServiceStdio *s) {
        service_stdio_close_service_ends(s);
        s->logger_pid = 0;
        free(s->log_path);
        s->log_path = NULL;
}
