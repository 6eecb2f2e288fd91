/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fileio.h"
#include "fd-util.h"
#include "macros.h"
#include "service-notify.h"
#include "syscalls.h"
#include "utf8.h"

/* systemd's NOTIFY_BUFFER_MAX (src/basic/constants.h): PIPE_BUF. A longer
 * datagram is dropped, not cut. */
#define NOTIFY_BUFFER_MAX PIPE_BUF
/* The kernel's SCM_MAX_FD: no datagram carries more fds than this. */
#define NOTIFY_FD_MAX 253

/* Linux 6.5; glibc 2.36 does not know them. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

struct NotifySocket {
        int fd;                 /* owned */
        char *path;
        dev_t dev;              /* the bound socket file, so free unlinks ours only */
        ino_t ino;
        int root_fd;            /* owned: the cgroup2 mount's root, found on first use */
        char reason[256];       /* why the last message was dropped */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(NotifySocket *, notify_socket_free);

/* ---- the socket ---- */

static bool notify_name_valid(const char *name) {
        return !isempty(name) && name[0] != '.' && !strchr(name, '/');
}

static int make_socket(int *ret) {
        int fd, one = 1;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
                int r = -errno;

                safe_close(fd);
                return r;
        }
        /* Linux >= 6.5 hands over a pidfd of the sender with each message,
         * so a sender that exits and has its pid reused is never mistaken
         * for another process; older kernels refuse the option and we fall
         * back to pidfd_open() (see check_sender()). */
        (void) setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
        *ret = fd;
        return 0;
}

/* Bind at a hidden temp name, make it writable for everyone (services run
 * as other users, as with systemd's /run/systemd/notify) and rename it
 * over the final path: a stale socket of a crashed corrald is replaced
 * without a moment where $NOTIFY_SOCKET does not exist. */
static int bind_socket(NotifySocket *n, const char *dir, const char *name, CrlError *reterr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char tmp[PATH_MAX];
        struct stat st;

        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.%s.tmp", dir, name) >= sizeof(sa.sun_path))
                return crl_error_set(reterr, ENAMETOOLONG, "notify socket %s/%s: path too long for a socket (max %zu)",
                                     dir, name, sizeof(sa.sun_path) - 1);
        (void) snprintf(tmp, sizeof(tmp), "%s", sa.sun_path);
        if (unlink(tmp) < 0 && errno != ENOENT)
                return crl_error_set(reterr, errno, "notify socket: unlink stale %s: %m", tmp);
        if (bind(n->fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return crl_error_set(reterr, errno, "notify socket: bind %s: %m", tmp);
        if (chmod(tmp, 0666) < 0 || stat(tmp, &st) < 0 || rename(tmp, n->path) < 0) {
                int r = errno;

                (void) unlink(tmp);     /* undo; errno r is the one reported */
                return crl_error_set(reterr, r, "notify socket: install %s as %s: %s", tmp, n->path, strerror(r));
        }
        n->dev = st.st_dev;
        n->ino = st.st_ino;
        return 0;
}

int notify_socket_open(const char *runtime_dir, const char *name, NotifySocket **ret, CrlError *reterr) {
        _cleanup_(notify_socket_freep) NotifySocket *n = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        if (!notify_name_valid(name))
                return crl_error_set(reterr, EINVAL, "notify socket: invalid service name '%s'", name ?: "");
        if (asprintf(&dir, "%s/notify", runtime_dir) < 0)
                return crl_error_set(reterr, ENOMEM, "notify socket: out of memory");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return crl_error_set(reterr, errno, "notify socket: mkdir %s: %m", dir);
        n = calloc(1, sizeof(*n));
        if (!n)
                return crl_error_set(reterr, ENOMEM, "notify socket: out of memory");
        n->fd = n->root_fd = -EBADF;
        if (asprintf(&n->path, "%s/%s", dir, name) < 0) {
                n->path = NULL;
                return crl_error_set(reterr, ENOMEM, "notify socket: out of memory");
        }
        r = make_socket(&n->fd);
        if (r < 0)
                return crl_error_set(reterr, -r, "notify socket %s: socket: %s", n->path, strerror(-r));
        n->fd = fd_move_high(n->fd);    /* held while the service runs */
        r = bind_socket(n, dir, name, reterr);
        if (r < 0) {
                free(n->path);  /* nothing of ours is at the path: free must not unlink */
                n->path = NULL;
                return r;
        }
        *ret = TAKE_PTR(n);
        return 0;
}

int notify_socket_fd(NotifySocket *n) {
        return n->fd;
}

const char *notify_socket_path(NotifySocket *n) {
        return n->path;
}

const char *notify_socket_drop_reason(NotifySocket *n) {
        return n->reason;
}

NotifySocket *notify_socket_free(NotifySocket *n) {
        struct stat st;

        if (!n)
                return NULL;
        /* Unlink only our own socket file: a newer one at the path (another
         * corrald's, re-adopting) stays. */
        if (n->path && stat(n->path, &st) >= 0 && st.st_dev == n->dev && st.st_ino == n->ino)
                (void) unlink(n->path); /* best effort: a stale file is replaced by the next open */
        safe_close(n->fd);
        safe_close(n->root_fd);
        free(n->path);
        free(n);
        return NULL;
}

void notify_message_done(NotifyMessage *m) {
        if (!m)
                return;
        free(m->status);
        *m = (NotifyMessage) {};
}

/* ---- the message text ---- */

static bool utf8_valid(const unsigned char *s, size_t n) {
        for (size_t i = 0, len; i < n; i += len)
                if ((len = utf8_sequence(s + i, n - i, NULL)) == 0)
                        return false;
        return true;
}

static int parse_pid(const char *s, pid_t *ret) {
        long v;
        char *end;

        if (*s < '1' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end || v > INT_MAX)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

/* Newline-separated assignments as systemd splits them ("\n" or "\r");
 * unknown ones and lines without '=' are ignored, the last STATUS= and
 * MAINPID= win. A MAINPID= that is not a pid drops the message. */
static int parse_message(char *buf, NotifyMessage *m, const char **ret_reason) {
        static const struct { const char *line; NotifyFlags flag; } flags[] = {
                { "READY=1", NOTIFY_READY },
                { "RELOADING=1", NOTIFY_RELOADING },
                { "STOPPING=1", NOTIFY_STOPPING },
                { "WATCHDOG=1", NOTIFY_WATCHDOG },
        };
        char *save = NULL;

        for (char *l = strtok_r(buf, "\n\r", &save); l; l = strtok_r(NULL, "\n\r", &save)) {
                for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                        if (streq(l, flags[i].line))
                                m->flags |= flags[i].flag;
                if (strneq(l, "STATUS=", 7)) {
                        char *s = strdup(l + 7);

                        if (!s)
                                return -ENOMEM;
                        free(m->status);
                        m->status = s;
                        m->flags |= NOTIFY_STATUS;
                } else if (strneq(l, "MAINPID=", 8)) {
                        if (parse_pid(l + 8, &m->main_pid) < 0) {
                                *ret_reason = "MAINPID= is not a pid";
                                return -EPERM;
                        }
                        m->flags |= NOTIFY_MAINPID;
                }
        }
        return 0;
}

/* ---- who sent it ---- */

/* The root of the cgroup2 mount that holds cgroup_fd: up through ".." until
 * the device changes (the mount point's parent) or ".." is itself (/). */
static int find_cgroup_root(int cgroup_fd, int *ret) {
        _cleanup_close_ int cur = -EBADF;
        struct stat st, up_st;

        cur = openat(cgroup_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0 || fstat(cur, &st) < 0)
                return -errno;
        for (int depth = 0; depth < 4096; depth++) {
                int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (up < 0)
                        return -errno;
                if (fstat(up, &up_st) < 0 || up_st.st_dev != st.st_dev || up_st.st_ino == st.st_ino) {
                        safe_close(up);
                        *ret = TAKE_FD(cur);
                        return 0;
                }
                safe_close(cur);
                cur = up;
                st = up_st;
        }
        return -ELOOP;
}

/* The path of the "0::" line of /proc/PID/cgroup. The unified hierarchy is
 * the last line, and cgroup names may contain newlines, so the path is
 * everything after the first "0::" that starts a line, up to the final
 * newline: a name made to look like a "0::" line can only come after it.
 * (v1 lines before it are named by root only.) */
static int proc_cgroup_path(const char *text, char **ret) {
        const char *p = strneq(text, "0::", 3) ? text : strstr(text, "\n0::");
        size_t len;

        if (!p)
                return -ENOMEDIUM;
        p += p == text ? 3 : 4;
        len = strlen(p);
        if (len > 0 && p[len - 1] == '\n')
                len--;
        if (len == 0 || p[0] != '/')
                return -EBADMSG;
        *ret = strndup(p, len);
        return *ret ? 0 : -ENOMEM;
}

/* Is the cgroup at path (as /proc shows it: relative to our cgroup
 * namespace, which is the mount's root) cgroup_fd or below it? Compared by
 * device and inode, prefix by prefix, so no path of cgroup_fd is needed. */
static int path_under(int root_fd, const char *path, const struct stat *svc) {
        _cleanup_free_ char *rel = strdup(path + 1);
        struct stat st;

        if (!rel)
                return -ENOMEM;
        /* "/.." : outside our cgroup namespace, so not one of ours. */
        if (streq(path, "/..") || strstr(path, "/../") || (strlen(path) >= 3 && streq(path + strlen(path) - 3, "/..")))
                return 0;
        for (;;) {
                char *slash;

                if (fstatat(root_fd, rel[0] ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) >= 0 &&
                    st.st_dev == svc->st_dev && st.st_ino == svc->st_ino)
                        return 1;
                if (!rel[0])
                        return 0;
                slash = strrchr(rel, '/');
                if (slash)
                        *slash = 0;
                else
                        rel[0] = 0;
        }
}

/* The pid as its own (innermost) pid namespace knows it, from NSpid, and
 * whether that namespace is below ours (more than one NSpid entry). */
static int proc_ns_pid(pid_t pid, pid_t *ret, bool *ret_nested) {
        _cleanup_free_ char *text = NULL;
        char path[64], *p, *last = NULL;
        int r, n = 0;

        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r;
        p = strstr(text, "\nNSpid:");
        if (!p)
                return -ENODATA;        /* before Linux 4.1 */
        p[strcspn(p + 1, "\n") + 1] = 0;
        for (char *save = NULL, *t = strtok_r(p + 7, " \t", &save); t; t = strtok_r(NULL, " \t", &save), n++)
                last = t;
        if (!last || parse_pid(last, ret) < 0)
                return -EBADMSG;
        *ret_nested = n > 1;
        return 0;
}

static int drop(NotifySocket *n, const char *fmt, ...) _printf_(2, 3);
static int drop(NotifySocket *n, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(n->reason, sizeof(n->reason), fmt, ap);
        va_end(ap);
        return -EPERM;
}

/* The process of pidfd (pid in our namespace) is in cgroup_fd or below.
 * Race-aware: pidfd is held before /proc/PID is read, and checked to be
 * unreaped after: then pid was that process's the whole time, so what
 * /proc said is about it. Its innermost pid goes to *ret_ns_pid. */
static int check_pid(NotifySocket *n, int cgroup_fd, pid_t pid, int pidfd, pid_t *ret_ns_pid, bool *ret_nested) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        char file[64];
        struct stat svc, root;
        int r;

        if (fstat(cgroup_fd, &svc) < 0)
                return drop(n, "service cgroup: fstat: %m");
        if (n->root_fd >= 0 && (fstat(n->root_fd, &root) < 0 || root.st_dev != svc.st_dev))
                n->root_fd = safe_close(n->root_fd);
        if (n->root_fd < 0 && (r = find_cgroup_root(cgroup_fd, &n->root_fd)) < 0)
                return drop(n, "service cgroup: finding the cgroup2 root: %s", strerror(-r));
        (void) snprintf(file, sizeof(file), "/proc/%d/cgroup", (int) pid);
        r = read_file_at(AT_FDCWD, file, &text, NULL);
        if (r >= 0)
                r = proc_cgroup_path(text, &path);
        if (r >= 0)
                r = proc_ns_pid(pid, ret_ns_pid, ret_nested);
        if (r >= 0 && crl_pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                r = -ESRCH;
        if (r == -ENOENT || r == -ESRCH)
                return drop(n, "pid %d exited before its message was read", (int) pid);
        if (r < 0)
                return drop(n, "pid %d: reading /proc/%d: %s", (int) pid, (int) pid, strerror(-r));
        r = path_under(n->root_fd, path, &svc);
        if (r < 0)
                return drop(n, "pid %d: %s", (int) pid, strerror(-r));
        if (r == 0)
                return drop(n, "pid %d is not in the service's cgroup (it is in '%s')", (int) pid, path);
        return 0;
}

/* MAINPID= is a pid in the sender's pid namespace. From one below ours
 * (PrivatePIDs) only the sender's own pid can be translated (the usual
 * MAINPID=$$); any other value there is refused. */
static int check_main_pid(NotifySocket *n, int cgroup_fd, pid_t sender, pid_t sender_ns_pid, bool nested,
                          NotifyMessage *m) {
        _cleanup_close_ int pidfd = -EBADF;
        pid_t ns_pid;
        bool main_nested;
        int r;

        if (nested) {
                if (m->main_pid != sender_ns_pid)
                        return drop(n, "MAINPID=%d from pid %d in another pid namespace: only its own pid (%d) can be translated",
                                    (int) m->main_pid, (int) sender, (int) sender_ns_pid);
                m->main_pid = sender;
                return 0;
        }
        if (m->main_pid == sender)
                return 0;
        pidfd = crl_pidfd_open(m->main_pid, 0);
        if (pidfd < 0)
                return drop(n, "MAINPID=%d: %s", (int) m->main_pid, strerror(-pidfd));
        r = check_pid(n, cgroup_fd, m->main_pid, pidfd, &ns_pid, &main_nested);
        if (r < 0) {
                char why[sizeof(n->reason)];

                (void) snprintf(why, sizeof(why), "%s", n->reason);
                return drop(n, "MAINPID=%d refused: %s", (int) m->main_pid, why);
        }
        return 0;
}

/* ---- receiving ---- */

typedef struct Datagram {
        char buf[NOTIFY_BUFFER_MAX + 1];
        size_t size;            /* as sent: more than NOTIFY_BUFFER_MAX when cut */
        bool ctrunc;
        pid_t pid;              /* from SCM_CREDENTIALS; 0 when none */
        int pidfd;              /* owned, from SCM_PIDFD; -EBADF when none */
        int pidfd_error;        /* SCM_PIDFD came with an error: the sender is gone */
} Datagram;

/* Passed fds are closed at once (no FDSTORE); the rest is noted in d. */
static void take_cmsgs(struct msghdr *mh, Datagram *d) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                size_t len = c->cmsg_len - CMSG_LEN(0);
                int fd;

                if (c->cmsg_level != SOL_SOCKET)
                        continue;
                if (c->cmsg_type == SCM_RIGHTS)
                        for (size_t i = 0; i + sizeof(int) <= len; i += sizeof(int)) {
                                memcpy(&fd, CMSG_DATA(c) + i, sizeof(int));
                                safe_close(fd);
                        }
                else if (c->cmsg_type == SCM_CREDENTIALS && len == sizeof(struct ucred)) {
                        struct ucred uc;

                        memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                        d->pid = uc.pid;
                } else if (c->cmsg_type == SCM_PIDFD && len == sizeof(int)) {
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
                        /* The kernel stores the error there when it could not make one. */
                        if (fd >= 0)
                                d->pidfd = fd;
                        else
                                d->pidfd_error = fd;
                }
        }
}

static int recv_datagram(int fd, Datagram *d) {
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                            CMSG_SPACE(sizeof(int) * NOTIFY_FD_MAX)];
        } control;
        struct iovec iov = { .iov_base = d->buf, .iov_len = NOTIFY_BUFFER_MAX };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        /* MSG_TRUNC: the real length, so a long datagram is seen as one. */
        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
        take_cmsgs(&mh, d);
        d->size = (size_t) n;
        d->ctrunc = mh.msg_flags & MSG_CTRUNC;
        d->buf[d->size < NOTIFY_BUFFER_MAX ? d->size : NOTIFY_BUFFER_MAX] = 0;
        return 0;
}

static int check_text(NotifySocket *n, const Datagram *d) {
        if (d->ctrunc)
                return drop(n, "message from pid %d: control data cut", (int) d->pid);
        if (d->size > NOTIFY_BUFFER_MAX)
                return drop(n, "message from pid %d: %zu bytes, more than %d", (int) d->pid, d->size, NOTIFY_BUFFER_MAX);
        if (d->size == 0)
                return drop(n, "message from pid %d: empty", (int) d->pid);
        if (memchr(d->buf, 0, d->size))
                return drop(n, "message from pid %d: NUL byte", (int) d->pid);
        if (!utf8_valid((const unsigned char *) d->buf, d->size))
                return drop(n, "message from pid %d: invalid UTF-8", (int) d->pid);
        if (d->pid <= 0)
                return drop(n, "message without the sender's credentials");
        return 0;
}

/* The sender's pidfd: the kernel's (SCM_PIDFD) or, before Linux 6.5, one
 * opened now, which leaves a window: a sender that exited and was reaped
 * before this, its pid reused by a process of the service, would pass. */
static int sender_pidfd(NotifySocket *n, Datagram *d) {
        if (d->pidfd >= 0)
                return 0;
        if (d->pidfd_error < 0)
                return drop(n, "pid %d exited before its message was read", (int) d->pid);
        d->pidfd = crl_pidfd_open(d->pid, 0);
        if (d->pidfd == -ESRCH)
                return drop(n, "pid %d exited before its message was read", (int) d->pid);
        if (d->pidfd < 0)
                return drop(n, "pid %d: pidfd_open: %s", (int) d->pid, strerror(-d->pidfd));
        return 0;
}

int notify_socket_receive(NotifySocket *n, int cgroup_fd, NotifyMessage *ret) {
        _cleanup_(notify_message_done) NotifyMessage m = {};
        const char *reason = NULL;
        Datagram d = { .pidfd = -EBADF };
        pid_t ns_pid = 0;
        bool nested = false;
        int r;

        n->reason[0] = 0;
        r = recv_datagram(n->fd, &d);
        if (r < 0)
                return r;
        r = check_text(n, &d);
        if (r >= 0)
                r = sender_pidfd(n, &d);
        if (r >= 0)
                r = check_pid(n, cgroup_fd, d.pid, d.pidfd, &ns_pid, &nested);
        safe_close(d.pidfd);
        if (r < 0)
                return r;
        m.sender = d.pid;
        r = parse_message(d.buf, &m, &reason);
        if (r == -EPERM)
                return drop(n, "message from pid %d: %s", (int) d.pid, reason);
        if (r < 0)
                return r;
        if (m.flags & NOTIFY_MAINPID) {
                r = check_main_pid(n, cgroup_fd, d.pid, ns_pid, nested, &m);
                if (r < 0)
                        return r;
        }
        *ret = m;
        m = (NotifyMessage) {};
        return 0;
}
