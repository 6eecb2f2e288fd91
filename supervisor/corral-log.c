/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* corral-log: the one log process of every service with a `log` stream,
 * started by corrald (service_stdio_open()) on its first need. corrald
 * hands it each service's output over a unix socket (the pipe's read end,
 * the log directory and NAME.log, which corrald opened, so a bad directory
 * fails the start in corrald, not here: service-log.h SvcLogHandoff); it
 * time-stamps every line into LOG_DIR/NAME.log, rotating by size. It does
 * not depend on corrald: it keeps draining its pipes while corrald is
 * down, so a service is never blocked for long nor killed by SIGPIPE, and
 * a new corrald connects to it again. It exits once it has no input and no
 * connection left. One thread, one epoll loop.
 *
 * usage: corral-log --listen-fd FD
 * FD: the listening SOCK_SEQPACKET socket RUNTIME/log.sock, bound by
 * corrald, which connected to it before starting us. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macros.h"
#include "service-log.h"

/* Shared by every input: one read, the partial line before it, and the
 * time-stamped lines on their way to the file. */
#define READ_MAX (SVC_LOG_LINE_MAX + 1)
#define OUT_MAX (256 * 1024)
/* A partial line buffer at most this big stays with its input once empty. */
#define PARTIAL_KEEP 4096

typedef enum SourceKind { SOURCE_LISTEN, SOURCE_CONN, SOURCE_INPUT } SourceKind;

/* The head of everything epoll reports (its data.ptr). */
typedef struct Source {
        SourceKind kind;
        int fd;                                 /* owned */
} Source;

/* One service's output: its pipe, its file. */
typedef struct LogInput {
        Source src;                             /* the pipe's read end */
        char *name;
        int dir_fd, file_fd;                    /* owned */
        uint64_t size, max_bytes;
        unsigned keep;
        char *partial;                          /* the line without its newline yet; grown on need */
        size_t partial_len, partial_cap;
        int last_errno;                         /* reported once until it changes */
} LogInput;

typedef struct Logger {
        int epoll_fd;                           /* owned */
        Source listen;
        size_t n_inputs, n_conns;
        pid_t pid;
        int last_errno;
        size_t out_len;
        char in[SVC_LOG_LINE_MAX + READ_MAX];   /* a partial line, then what one read() gave */
        char out[OUT_MAX];
} Logger;

/* Our stderr is corrald's (unless that was a pipe); report each kind of
 * failure once per input, so a full disk does not flood it, and never die
 * of it (SIGPIPE is ignored). */
static void report(int *last, const char *name, int err, const char *what) {
        if (err == *last)
                return;
        *last = err;
        fprintf(stderr, "corral-log[%s]: %s: %s\n", name, what, strerror(err));
}

static int watch(Logger *l, Source *s) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

        return epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, s->fd, &ev) < 0 ? -errno : 0;
}

static void file_flush(Logger *l, LogInput *in) {
        size_t done = 0;

        while (done < l->out_len) {
                ssize_t n = write(in->file_fd, l->out + done, l->out_len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        report(&in->last_errno, in->name, n < 0 ? errno : EIO,
                               "write to the log file (output dropped)");
                        break;
                }
                done += n;
                in->size += n;
        }
        l->out_len = 0;
}

static void file_rename(LogInput *in, unsigned from, unsigned to) {
        char a[NAME_MAX + 1], b[NAME_MAX + 1];

        if (svc_log_file_name(in->name, from, a, sizeof(a)) < 0 ||
            svc_log_file_name(in->name, to, b, sizeof(b)) < 0)
                return;         /* svc_log_handoff_check(): NAME.log.KEEP fits */
        if (renameat(in->dir_fd, a, in->dir_fd, b) < 0 && errno != ENOENT)
                report(&in->last_errno, in->name, errno, "rotate");
}

/* NAME.log.(K-1) -> NAME.log.K (replacing the oldest) ... NAME.log -> .1,
 * then a new NAME.log. With LogKeep=0 the old file is just removed. When
 * the new file cannot be made we keep writing to the old one. */
static void file_rotate(LogInput *in) {
        char cur[NAME_MAX + 1];
        struct stat st;
        int fd;

        if (svc_log_file_name(in->name, 0, cur, sizeof(cur)) < 0)
                return;
        for (unsigned i = in->keep; i > 1; i--)
                file_rename(in, i - 1, i);
        if (in->keep > 0)
                file_rename(in, 0, 1);
        else if (unlinkat(in->dir_fd, cur, 0) < 0 && errno != ENOENT)
                report(&in->last_errno, in->name, errno, "rotate");

        fd = openat(in->dir_fd, cur, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
        if (fd < 0) {
                report(&in->last_errno, in->name, errno, "rotate: new log file (going on in the old one)");
                return;
        }
        safe_close(in->file_fd);
        in->file_fd = fd;
        in->size = fstat(fd, &st) < 0 ? 0 : (uint64_t) st.st_size;
}

static void file_add_line(Logger *l, LogInput *in, const char *ts, size_t ts_len, const char *line, size_t len) {
        size_t n = ts_len + len + 1;

        if (svc_log_must_rotate(in->size + l->out_len, n, in->max_bytes)) {
                file_flush(l, in);
                file_rotate(in);
        }
        if (l->out_len + n > sizeof(l->out))
                file_flush(l, in);
        memcpy(l->out + l->out_len, ts, ts_len);
        memcpy(l->out + l->out_len + ts_len, line, len);
        l->out[l->out_len + n - 1] = '\n';
        l->out_len += n;
}

/* Keep buf[0..len) as the input's partial line; the buffer grows only when
 * a line is being held, and a large one is given back once it is empty. */
static int partial_keep(LogInput *in, const char *buf, size_t len) {
        if (len == 0 && in->partial_cap > PARTIAL_KEEP) {
                free(in->partial);
                in->partial = NULL;
                in->partial_cap = 0;
        }
        if (len > in->partial_cap) {
                size_t cap = len < 256 ? 256 : len;
                char *p = realloc(in->partial, cap);

                if (!p)
                        return -ENOMEM;
                in->partial = p;
                in->partial_cap = cap;
        }
        if (len > 0)
                memcpy(in->partial, buf, len);
        in->partial_len = len;
        return 0;
}

/* Log every complete line of buf[0..len) (the partial line and a read),
 * keep the partial rest. */
static void input_lines(Logger *l, LogInput *in, size_t len, bool eof) {
        char ts[SVC_LOG_TIMESTAMP_MAX];
        struct timespec now;
        size_t pos = 0, consumed, line_len;
        int ts_len;

        (void) clock_gettime(CLOCK_REALTIME, &now);
        ts_len = svc_log_format_timestamp(&now, ts);
        if (ts_len < 0)
                ts_len = 0;     /* year > 9999: log the line without a stamp */
        while ((consumed = svc_log_next_line(l->in + pos, len - pos, SVC_LOG_LINE_MAX, eof, &line_len)) > 0) {
                file_add_line(l, in, ts, ts_len, l->in + pos, line_len);
                pos += consumed;
        }
        file_flush(l, in);
        if (partial_keep(in, l->in + pos, len - pos) < 0) {
                /* Without memory for it, the piece goes out as a line of its own. */
                report(&in->last_errno, in->name, ENOMEM, "partial line (logged as a line)");
                file_add_line(l, in, ts, ts_len, l->in + pos, len - pos);
                file_flush(l, in);
                in->partial_len = 0;
        }
}

static void input_free(Logger *l, LogInput *in) {
        safe_close(in->src.fd);         /* leaves the epoll set with it */
        safe_close(in->dir_fd);
        safe_close(in->file_fd);
        free(in->partial);
        free(in->name);
        free(in);
        l->n_inputs--;
}

/* One read behind the partial line (which is at most SVC_LOG_LINE_MAX: a
 * longer one was cut), so the buffer always holds a line and its newline.
 * At EOF (or a read error, which we cannot recover from) the partial line
 * goes out and the input closes. */
static void input_read(Logger *l, LogInput *in) {
        size_t len = in->partial_len;
        ssize_t n;
        bool eof;

        if (len > 0)
                memcpy(l->in, in->partial, len);
        n = read(in->src.fd, l->in + len, READ_MAX);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n < 0)
                report(&in->last_errno, in->name, errno, "read (input closed)");
        eof = n <= 0;
        input_lines(l, in, len + (n > 0 ? (size_t) n : 0), eof);
        if (eof)
                input_free(l, in);
}

/* The input for h and its fds (pipe, directory, file; taken). */
static int input_add(Logger *l, const SvcLogHandoff *h, int fds[static SVC_LOG_HANDOFF_FDS]) {
        LogInput *in = calloc(1, sizeof(*in));
        struct stat st;
        int r;

        if (!in)
                return -ENOMEM;
        *in = (LogInput) {
                .src = { SOURCE_INPUT, TAKE_FD(fds[0]) },
                .dir_fd = TAKE_FD(fds[1]), .file_fd = TAKE_FD(fds[2]),
                .max_bytes = h->max_bytes, .keep = h->keep,
                .name = strdup(h->name),
        };
        l->n_inputs++;
        if (!in->name) {
                input_free(l, in);
                return -ENOMEM;
        }
        if (fstat(in->src.fd, &st) < 0 || !S_ISFIFO(st.st_mode) ||
            fstat(in->dir_fd, &st) < 0 || !S_ISDIR(st.st_mode) ||
            fstat(in->file_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                input_free(l, in);
                return -EBADF;
        }
        in->size = st.st_size;
        /* A spurious wakeup must not block the loop in read(). Only we hold
         * this end, so the flag touches no one else. */
        if (fcntl(in->src.fd, F_SETFL, O_NONBLOCK) < 0 || (r = watch(l, &in->src)) < 0) {
                r = -errno;
                input_free(l, in);
                return r;
        }
        return 0;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

/* One hand-off from c: take its fds, answer. Returns false when the
 * connection is gone. */
static bool conn_receive(Logger *l, Source *c) {
        SvcLogHandoff h = {};
        struct iovec iov = { &h, sizeof(h) };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * SVC_LOG_HANDOFF_FDS)];
        } control;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        int fds[SVC_LOG_HANDOFF_FDS] = { -EBADF, -EBADF, -EBADF };
        size_t n_fds = 0;
        SvcLogAck ack = { .pid = l->pid };
        ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;   /* corrald closed it (or died): EOF or ECONNRESET */
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < k && n_fds < SVC_LOG_HANDOFF_FDS; i++)
                                memcpy(&fds[n_fds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                }
        ack.error = -svc_log_handoff_check(&h, (size_t) n);
        h.name[sizeof(h.name) - 1] = 0;         /* for the report of a bad one */
        if (ack.error == 0 && (n_fds != SVC_LOG_HANDOFF_FDS || (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))))
                ack.error = EBADMSG;
        if (ack.error == 0)
                ack.error = -input_add(l, &h, fds);
        close_fds(fds, n_fds);
        if (ack.error != 0)
                report(&l->last_errno, h.magic == SVC_LOG_HANDOFF_MAGIC ? h.name : "?", ack.error, "hand-off refused");
        /* corrald waits for this (bounded by its receive timeout); a full
         * send buffer cannot happen with one answer per message. */
        return send(c->fd, &ack, sizeof(ack), MSG_NOSIGNAL | MSG_DONTWAIT) == sizeof(ack);
}

static void conn_free(Logger *l, Source *c) {
        safe_close(c->fd);
        free(c);
        l->n_conns--;
}

/* Only our own user (corrald, root) may hand us fds to write into. */
static bool peer_allowed(int fd) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) >= 0 && cred.uid == geteuid();
}

/* Every pending connection. Returns how many came. */
static size_t listen_accept(Logger *l) {
        size_t n = 0;
        int fd;

        while ((fd = accept4(l->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0 || errno == EINTR ||
               errno == ECONNABORTED) {
                Source *c;

                if (fd < 0)
                        continue;
                if (!peer_allowed(fd) || !(c = malloc(sizeof(*c)))) {
                        safe_close(fd);
                        continue;
                }
                *c = (Source) { SOURCE_CONN, fd };
                l->n_conns++;
                if (watch(l, c) < 0) {
                        report(&l->last_errno, "-", errno, "epoll (connection dropped)");
                        conn_free(l, c);
                        continue;
                }
                n++;
        }
        if (errno != EAGAIN)
                report(&l->last_errno, "-", errno, "accept");
        return n;
}

static void dispatch(Logger *l, Source *s) {
        switch (s->kind) {
        case SOURCE_LISTEN:
                (void) listen_accept(l);
                break;
        case SOURCE_CONN:
                if (!conn_receive(l, s))
                        conn_free(l, s);
                break;
        case SOURCE_INPUT:
                input_read(l, (LogInput *) s);
                break;
        }
}

/* Until no input and no connection is left. corrald connected before it
 * started us, so the first connection is waiting in the backlog; a
 * connection that slips into the backlog after the last accept is reset
 * by our exit, and corrald starts a new log process. */
static int run(Logger *l) {
        struct epoll_event ev[64];

        for (;;) {
                int n;

                if (l->n_inputs == 0 && l->n_conns == 0 && listen_accept(l) == 0)
                        return 0;
                n = epoll_wait(l->epoll_fd, ev, ELEMENTSOF(ev), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "corral-log: epoll_wait: %m\n");
                        return 1;
                }
                for (int i = 0; i < n; i++)
                        dispatch(l, ev[i].data.ptr);
        }
}

static int parse_fd(const char *s) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > 1 << 20 || fcntl((int) v, F_GETFD) < 0)
                return -EBADF;
        return (int) v;
}

static int parse_args(int argc, char **argv, Logger *l) {
        static const struct option opts[] = {
                { "listen-fd", required_argument, NULL, 'l' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                if (c != 'l' || (l->listen.fd = parse_fd(optarg)) < 0)
                        return -EINVAL;
        }
        return optind == argc && l->listen.fd >= 0 ? 0 : -EINVAL;
}

int main(int argc, char **argv) {
        _cleanup_free_ Logger *l = calloc(1, sizeof(Logger));   /* ~400 KiB of buffers, for all inputs */

        /* Our stderr may be a pipe whose reader (corrald's) is gone. */
        (void) signal(SIGPIPE, SIG_IGN);

        if (!l) {
                fprintf(stderr, "corral-log: %s\n", strerror(ENOMEM));
                return 1;
        }
        l->listen = (Source) { SOURCE_LISTEN, -EBADF };
        l->pid = getpid();
        if (parse_args(argc, argv, l) < 0) {
                fprintf(stderr, "usage: corral-log --listen-fd FD\n");
                return 2;
        }
        l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epoll_fd < 0 || fcntl(l->listen.fd, F_SETFL, O_NONBLOCK) < 0 || watch(l, &l->listen) < 0) {
                fprintf(stderr, "corral-log: epoll: %m\n");
                return 1;
        }
        return run(l);
}
