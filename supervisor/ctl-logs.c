/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl logs [-f] [-n N] NAME: the service's log file (its LogPath
 * property, or the PATH of StandardOutput=file:/append:), the last N lines,
 * then with -f what is appended, across corral-log's rotations (NAME.log
 * renamed to NAME.log.1, a new NAME.log made), until SIGINT/SIGTERM. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "unit.h"

#define ALL_LINES UINT64_MAX
/* With -f and no -n, as journalctl -f and tail -f. */
#define FOLLOW_DEFAULT_LINES 10

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Copy fd from its offset to its end to stdout. */
static int drain(int fd) {
        char buf[64 * 1024];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                r = write_all(STDOUT_FILENO, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

/* The offset where the last n lines of fd (size bytes) begin: scanned
 * backwards, so a 10 MB log is not read for its last lines. A newline that
 * ends the file ends the last line, it does not start another. */
static int tail_offset(int fd, off_t size, uint64_t n, off_t *ret) {
        char buf[64 * 1024];
        uint64_t seen = 0;
        off_t end = size;

        *ret = n == ALL_LINES ? 0 : size;
        if (n == ALL_LINES || n == 0)
                return 0;
        while (end > 0) {
                size_t len = end < (off_t) sizeof(buf) ? (size_t) end : sizeof(buf);
                ssize_t k = pread(fd, buf, len, end - (off_t) len);

                if (k < 0)
                        return -errno;
                if ((size_t) k != len)
                        return -EIO;    /* truncated under us */
                for (size_t i = len; i-- > 0;) {
                        off_t at = end - (off_t) len + (off_t) i;

                        if (buf[i] != '\n' || at == size - 1)
                                continue;
                        if (++seen == n) {
                                *ret = at + 1;
                                return 0;
                        }
                }
                end -= (off_t) len;
        }
        *ret = 0;
        return 0;
}

static int show_tail(int fd, uint64_t n) {
        struct stat st;
        off_t from;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        r = tail_offset(fd, st.st_size, n, &from);
        if (r < 0)
                return r;
        if (lseek(fd, from, SEEK_SET) < 0)
                return -errno;
        return drain(fd);
}

typedef struct LogFollow {
        int dir_fd;             /* borrowed; the log's directory */
        const char *base;       /* borrowed; "web.log" */
        int fd;                 /* owned; the file being read */
        ino_t ino;
} LogFollow;

/* How many rotated files we catch up on when the follower fell behind by
 * more than one rotation (corral-log rotating faster than we read). */
#define CATCHUP_MAX 16

/* Where our (rotated) file is now: NAME.log.k. When it is gone (LogKeep=
 * rotated it out, or 0), one past the oldest rotated file: every file there
 * is newer than ours. */
static unsigned rotated_index(const LogFollow *f) {
        unsigned k;

        for (k = 1; k < CATCHUP_MAX; k++) {
                char name[NAME_MAX + 1];
                struct stat st;

                if (snprintf(name, sizeof(name), "%s.%u", f->base, k) >= (int) sizeof(name) ||
                    fstatat(f->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino == f->ino)
                        break;
        }
        return k;
}

static int open_nth(const LogFollow *f, unsigned k) {
        char name[NAME_MAX + 1];

        if (k == 0)
                return openat(f->dir_fd, f->base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (snprintf(name, sizeof(name), "%s.%u", f->base, k) >= (int) sizeof(name))
                return -ENAMETOOLONG;
        return openat(f->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* The files made after ours, oldest first: NAME.log.(k-1) .. .1, NAME.log.
 * A snapshot when NAME.log is the same file before the look and after the
 * opens: every rotation makes a new NAME.log. Else we look again (bounded;
 * the last look wins). */
static size_t successors_open(const LogFollow *f, int fds[static CATCHUP_MAX]) {
        size_t n = 0;

        for (int attempt = 0; attempt < 3; attempt++) {
                struct stat before, after;
                unsigned k;

                for (; n > 0; n--)
                        safe_close(fds[n - 1]);
                if (fstatat(f->dir_fd, f->base, &before, 0) < 0)
                        return 0;       /* mid-rotation: IN_CREATE comes */
                k = rotated_index(f);
                for (unsigned j = k; j > 0; j--)
                        fds[n++] = open_nth(f, j - 1);
                if (fds[n - 1] >= 0 && fstat(fds[n - 1], &after) >= 0 && after.st_ino == before.st_ino)
                        break;
        }
        return n;
}

/* Read what was appended; when NAME.log is another file now (rotated),
 * read the old one to its end, then each newer file, and go on with the
 * newest one opened. corral-log writes everything to a file before it
 * renames it and makes the next, so the old file is complete once a new
 * NAME.log exists. A NAME.log that is gone (renamed, not made yet) keeps
 * us on the old file until IN_CREATE. */
static int follow_sync(LogFollow *f) {
        int fds[CATCHUP_MAX], r;
        struct stat st;
        size_t n;

        r = drain(f->fd);
        if (r < 0 || fstatat(f->dir_fd, f->base, &st, 0) < 0 || st.st_ino == f->ino)
                return r;
        n = successors_open(f, fds);
        r = drain(f->fd);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                if (r >= 0)
                        r = drain(fds[i]);
                if (r >= 0 && fstat(fds[i], &st) >= 0) {
                        safe_close(f->fd);
                        f->fd = fds[i];
                        f->ino = st.st_ino;
                } else
                        safe_close(fds[i]);
        }
        return r;
}

/* Whether the inotify events in buf concern our file. */
static bool events_name(const char *buf, ssize_t len, const char *base) {
        for (const char *p = buf; p < buf + len;) {
                const struct inotify_event *ev = (const struct inotify_event *) p;

                if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && streq(ev->name, base)))
                        return true;
                p += sizeof(*ev) + ev->len;
        }
        return false;
}

static int follow_setup(const LogFollow *f, int *ret_inotify, int *ret_signal) {
        _cleanup_close_ int in = -EBADF, sig = -EBADF;
        char path[64];
        sigset_t mask;

        in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (in < 0)
                return -errno;
        /* The directory, not the file: the file is renamed and made anew. */
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", f->dir_fd);
        if (inotify_add_watch(in, path, IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE) < 0)
                return -errno;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        sig = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sig < 0)
                return -errno;
        *ret_inotify = TAKE_FD(in);
        *ret_signal = TAKE_FD(sig);
        return 0;
}

/* Until SIGINT or SIGTERM (0). */
static int follow(LogFollow *f) {
        _cleanup_close_ int in = -EBADF, sig = -EBADF;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int r;

        r = follow_setup(f, &in, &sig);
        if (r < 0)
                return r;
        /* Anything appended before the watch existed. */
        r = follow_sync(f);
        while (r >= 0) {
                struct pollfd p[2] = { { .fd = in, .events = POLLIN }, { .fd = sig, .events = POLLIN } };
                ssize_t n;

                if (poll(p, 2, -1) < 0) {
                        r = errno == EINTR ? 0 : -errno;
                        continue;
                }
                if (p[1].revents)
                        return 0;
                n = read(in, buf, sizeof(buf));
                if (n < 0)
                        r = errno == EAGAIN || errno == EINTR ? 0 : -errno;
                else if (events_name(buf, n, f->base))
                        r = follow_sync(f);
        }
        return r;
}

static const char *output_name(const OutputSpec *o) {
        switch (o->kind) {
        case OUTPUT_JOURNAL:
                return "journal";
        case OUTPUT_NULL:
                return "null";
        case OUTPUT_INHERIT:
                return "inherit";
        case OUTPUT_FILE:
        case OUTPUT_APPEND:
                return "file";
        default:
                return "log";
        }
}

/* No LogPath: the unit file says where the output goes. A file:/append:
 * PATH is the log (ret_path set); else print why there is none, return 1. */
static int log_elsewhere(sd_bus *bus, const char *obj, const char *name, char **ret_path) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        _cleanup_free_ char *unit_path = NULL;
        UnitDiagnostics d = {};
        const OutputSpec *o = NULL;
        int r;

        r = ctl_get_string(bus, obj, "UnitPath", NULL, &unit_path);
        if (r >= 0 && !isempty(unit_path))
                r = unit_load_file(unit_path, &u, &d);
        unit_diagnostics_done(&d);
        if (r >= 0 && u)
                /* Either stream in the journal: say so; else stdout's kind. */
                o = u->standard_error.kind == OUTPUT_JOURNAL ? &u->standard_error : &u->standard_output;
        if (o && (o->kind == OUTPUT_FILE || o->kind == OUTPUT_APPEND) && o->path) {
                *ret_path = strdup(o->path);
                return *ret_path ? 0 : -ENOMEM;
        }
        if (o && o->kind == OUTPUT_JOURNAL)
                fprintf(stderr, "corralctl: the output of '%s' goes to the journal: journalctl -t %s\n", name, name);
        else if (o && o->kind != OUTPUT_LOG)
                fprintf(stderr, "corralctl: '%s' has no log (StandardOutput=%s)\n", name, output_name(o));
        else
                fprintf(stderr, "corralctl: '%s' has no log file yet (it has not been started)\n", name);
        return CTL_EXIT_FAILURE;
}

/* The log file of NAME: 0 and *ret_path, or an exit code (printed). */
static int log_path(sd_bus *bus, const char *name, char **ret_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *obj = NULL, *path = NULL;
        int r;

        r = ctl_service_path(bus, name, &e, &obj);
        if (r >= 0)
                r = ctl_get_string(bus, obj, "LogPath", &e, &path);
        if (r < 0)
                return ctl_log_service_error("show the log of", name, &e, r);
        if (isempty(path)) {
                r = log_elsewhere(bus, obj, name, ret_path);
                if (r == -ENOMEM)
                        fprintf(stderr, "corralctl: out of memory\n");
                return r < 0 ? CTL_EXIT_FAILURE : r;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* Print (and follow) the file at path. */
static int show(const char *path, uint64_t lines, bool follow_flag) {
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *dir = strdup(path);
        LogFollow f = { .fd = -EBADF };
        char *slash = dir ? strrchr(dir, '/') : NULL;
        struct stat st;
        int r;

        if (!dir)
                return -ENOMEM;
        f.base = slash ? path + (slash - dir) + 1 : path;
        if (slash)
                *slash = 0;
        dir_fd = open(slash ? (dir[0] ? dir : "/") : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        f.dir_fd = dir_fd;
        f.fd = openat(dir_fd, f.base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (f.fd < 0 || fstat(f.fd, &st) < 0)
                r = -errno;
        else {
                f.ino = st.st_ino;
                r = show_tail(f.fd, lines);
        }
        if (r >= 0 && follow_flag)
                r = follow(&f);
        safe_close(f.fd);
        return r;
}

static int parse_lines(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long n;

        if (streq(s, "all")) {
                *ret = ALL_LINES;
                return 0;
        }
        errno = 0;
        n = strtoull(s, &end, 10);
        if (end == s || *end || errno != 0 || s[0] == '-')
                return -EINVAL;
        *ret = n;
        return 0;
}

static int usage(const char *what) {
        fprintf(stderr, "corralctl: logs: %s (usage: corralctl logs [-f] [-n N] NAME)\n", what);
        return CTL_EXIT_USAGE;
}

int ctl_logs(int argc, char *argv[], CtlContext *c) {
        static const struct option options[] = {
                { "follow", no_argument,       NULL, 'f' },
                { "lines",  required_argument, NULL, 'n' },
                {}
        };
        _cleanup_free_ char *path = NULL;
        uint64_t lines = ALL_LINES;
        bool follow_flag = false, lines_set = false;
        sd_bus *bus;
        int o, r;

        opterr = 0;
        while ((o = getopt_long(argc, argv, "+fn:", options, NULL)) >= 0)
                if (o == 'f')
                        follow_flag = true;
                else if (o == 'n' && parse_lines(optarg, &lines) >= 0)
                        lines_set = true;
                else if (o == 'n')
                        return usage("-n takes a number of lines or 'all'");
                else
                        return usage(optopt == 'n' ? "-n needs a number" : "unknown option");
        if (optind + 1 != argc)
                return usage(optind >= argc ? "missing service name" : "one service name only");
        if (follow_flag && !lines_set)
                lines = FOLLOW_DEFAULT_LINES;
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        r = log_path(bus, argv[optind], &path);
        if (r != 0)
                return r;
        r = show(path, lines, follow_flag);
        if (r == -EPIPE)
                return CTL_EXIT_SUCCESS;        /* the reader (head) has what it wanted */
        if (r < 0) {
                fprintf(stderr, "corralctl: %s: %s\n", path, strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        return CTL_EXIT_SUCCESS;
}
