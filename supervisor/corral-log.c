/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* corral-log: one per running service, started by corrald
 * (service_stdio_open()). It holds the read end of the service's output
 * pipe, time-stamps every line into LOG_DIR/NAME.log (rotating by size),
 * and exits once every writer has closed
 * its end. It does not depend on corrald: it keeps draining the pipe while
 * corrald is down, so the service is never blocked for long nor killed by
 * SIGPIPE.
 *
 * usage: corral-log --name NAME
 *            --file-input FD --dir-fd FD --file-fd FD --max-bytes N --keep K
 * (`journal` needs no log process: the service writes into journald's
 * stream, see service-stdio.c.) All fds are inherited: the pipe read end, the log directory and the log
 * file corrald opened (so a bad directory fails the start in corrald, not
 * here). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macros.h"
#include "service-log.h"

#define OUT_MAX (256 * 1024)

typedef struct LogInput {
        int fd;                                 /* owned; -EBADF once at EOF */
        size_t len;
        char buf[SVC_LOG_LINE_MAX + 1];
} LogInput;

typedef struct LogFile {
        int dir_fd, fd;                         /* owned */
        uint64_t size, max_bytes;
        unsigned keep;
        size_t out_len;
        char out[OUT_MAX];
} LogFile;

typedef struct Logger {
        const char *name;
        LogFile file;
        LogInput inputs[1];
        size_t n_inputs;
        int last_errno;                         /* reported once until it changes */
} Logger;

/* Our stderr is corrald's; report each kind of failure once, so a full disk
 * does not flood it, and never die of it (SIGPIPE is ignored). */
static void report(Logger *l, int err, const char *what) {
        if (err == l->last_errno)
                return;
        l->last_errno = err;
        fprintf(stderr, "corral-log[%s]: %s: %s\n", l->name, what, strerror(err));
}

static void file_flush(Logger *l) {
        LogFile *f = &l->file;
        size_t done = 0;

        while (done < f->out_len) {
                ssize_t n = write(f->fd, f->out + done, f->out_len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        report(l, n < 0 ? errno : EIO, "write to the log file (output dropped)");
                        break;
                }
                done += n;
                f->size += n;
        }
        f->out_len = 0;
}

static void file_rename(Logger *l, unsigned from, unsigned to) {
        char a[NAME_MAX + 1], b[NAME_MAX + 1];

        if (svc_log_file_name(l->name, from, a, sizeof(a)) < 0 ||
            svc_log_file_name(l->name, to, b, sizeof(b)) < 0)
                return;         /* corrald checked NAME.log.KEEP fits */
        if (renameat(l->file.dir_fd, a, l->file.dir_fd, b) < 0 && errno != ENOENT)
                report(l, errno, "rotate");
}

/* NAME.log.(K-1) -> NAME.log.K (replacing the oldest) ... NAME.log -> .1,
 * then a new NAME.log. With LogKeep=0 the old file is just removed. When
 * the new file cannot be made we keep writing to the old one. */
static void file_rotate(Logger *l) {
        LogFile *f = &l->file;
        char cur[NAME_MAX + 1];
        struct stat st;
        int fd;

        if (svc_log_file_name(l->name, 0, cur, sizeof(cur)) < 0)
                return;
        for (unsigned i = f->keep; i > 1; i--)
                file_rename(l, i - 1, i);
        if (f->keep > 0)
                file_rename(l, 0, 1);
        else if (unlinkat(f->dir_fd, cur, 0) < 0 && errno != ENOENT)
                report(l, errno, "rotate");

        fd = openat(f->dir_fd, cur, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
        if (fd < 0) {
                report(l, errno, "rotate: new log file (going on in the old one)");
                return;
        }
        safe_close(f->fd);
        f->fd = fd;
        f->size = fstat(fd, &st) < 0 ? 0 : (uint64_t) st.st_size;
}

static void file_add_line(Logger *l, const char *ts, size_t ts_len, const char *line, size_t len) {
        LogFile *f = &l->file;
        size_t n = ts_len + len + 1;

        if (svc_log_must_rotate(f->size + f->out_len, n, f->max_bytes)) {
                file_flush(l);
                file_rotate(l);
        }
        if (f->out_len + n > sizeof(f->out))
                file_flush(l);
        memcpy(f->out + f->out_len, ts, ts_len);
        memcpy(f->out + f->out_len + ts_len, line, len);
        f->out[f->out_len + n - 1] = '\n';
        f->out_len += n;
}

/* Log every complete line of in->buf, keep the partial rest. */
static void input_lines(Logger *l, LogInput *in, bool eof) {
        char ts[SVC_LOG_TIMESTAMP_MAX];
        struct timespec now;
        size_t pos = 0, consumed, line_len;
        int ts_len = 0;

        (void) clock_gettime(CLOCK_REALTIME, &now);
        ts_len = svc_log_format_timestamp(&now, ts);
        if (ts_len < 0)
                ts_len = 0;     /* year > 9999: log the line without a stamp */
        while ((consumed = svc_log_next_line(in->buf + pos, in->len - pos, SVC_LOG_LINE_MAX, eof, &line_len)) > 0) {
                file_add_line(l, ts, ts_len, in->buf + pos, line_len);
                pos += consumed;
        }
        memmove(in->buf, in->buf + pos, in->len - pos);
        in->len -= pos;
        file_flush(l);
}

/* One read; at EOF (or a read error, which we cannot recover from) the
 * partial line goes out and the input closes. */
static void input_read(Logger *l, LogInput *in) {
        ssize_t n = read(in->fd, in->buf + in->len, sizeof(in->buf) - in->len);
        bool eof = n == 0;

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return;
                report(l, errno, "read (input closed)");
                eof = true;
        } else
                in->len += n;
        input_lines(l, in, eof);
        if (eof)
                in->fd = safe_close(in->fd);
}

static int run(Logger *l) {
        for (;;) {
                struct pollfd p[ELEMENTSOF(l->inputs)];
                size_t n = 0;

                for (size_t i = 0; i < l->n_inputs; i++)
                        if (l->inputs[i].fd >= 0)
                                p[n++] = (struct pollfd) { .fd = l->inputs[i].fd, .events = POLLIN };
                if (n == 0)
                        return 0;
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "corral-log[%s]: poll: %m\n", l->name);
                        return 1;
                }
                for (size_t i = 0, j = 0; i < l->n_inputs; i++) {
                        LogInput *in = &l->inputs[i];
                        if (in->fd < 0)
                                continue;
                        if (p[j++].revents != 0)
                                input_read(l, in);
                }
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
                { "name",          required_argument, NULL, 'n' },
                { "file-input",    required_argument, NULL, 'f' },
                { "dir-fd",        required_argument, NULL, 'd' },
                { "file-fd",       required_argument, NULL, 'o' },
                { "max-bytes",     required_argument, NULL, 'm' },
                { "keep",          required_argument, NULL, 'k' },
                {}
        };
        int c, fd;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'n': l->name = optarg; break;
                case 'm': l->file.max_bytes = strtoull(optarg, NULL, 10); break;
                case 'k': l->file.keep = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'd': case 'o': case 'f':
                        if ((fd = parse_fd(optarg)) < 0)
                                return -EBADF;
                        if (c == 'd')
                                l->file.dir_fd = fd;
                        else if (c == 'o')
                                l->file.fd = fd;
                        else if (l->n_inputs < ELEMENTSOF(l->inputs))
                                l->inputs[l->n_inputs++] = (LogInput) { .fd = fd };
                        break;
                default:
                        return -EINVAL;
                }
        }
        return 0;
}

static bool args_valid(const Logger *l) {
        return l->name && l->n_inputs > 0 && l->file.dir_fd >= 0 && l->file.fd >= 0;
}

int main(int argc, char **argv) {
        _cleanup_free_ Logger *l = calloc(1, sizeof(Logger));   /* ~400 KiB of buffers */
        struct stat st;

        /* Our stderr may be a pipe whose reader (corrald's) is gone. */
        (void) signal(SIGPIPE, SIG_IGN);

        if (!l) {
                fprintf(stderr, "corral-log: %s\n", strerror(ENOMEM));
                return 1;
        }
        l->file.dir_fd = l->file.fd = -EBADF;
        if (parse_args(argc, argv, l) < 0 || optind != argc || !args_valid(l)) {
                fprintf(stderr, "usage: corral-log --name NAME --file-input FD --dir-fd FD --file-fd FD "
                        "--max-bytes N --keep K\n");
                return 2;
        }
        if (l->file.fd >= 0 && fstat(l->file.fd, &st) >= 0)
                l->file.size = st.st_size;
        return run(l);
}
