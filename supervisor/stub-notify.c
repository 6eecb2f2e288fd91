/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEMPORARY STUB of service-notify.h until the notify branch is merged: a
 * minimal working sd_notify socket (READY=1, STATUS=, MAINPID=, the
 * sender's cgroup checked through /proc/PID/cgroup against the service's
 * cgroup path). The lead deletes this file at merge. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fileio.h"
#include "service-notify.h"

struct NotifySocket {
        int fd;
        char *path;
};

int notify_socket_open(const char *runtime_dir, const char *name, NotifySocket **ret, CrlError *reterr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        NotifySocket *n = calloc(1, sizeof(*n));
        char dir[4096];
        int one = 1;

        if (!n)
                return crl_error_set(reterr, ENOMEM, "notify: out of memory");
        (void) snprintf(dir, sizeof(dir), "%s/notify", runtime_dir);
        (void) mkdir(dir, 0755);        /* may exist */
        if (asprintf(&n->path, "%s/%s", dir, name) < 0 || strlen(n->path) >= sizeof(sa.sun_path)) {
                free(n);
                return crl_error_set(reterr, ENAMETOOLONG, "notify socket path for '%s' too long", name);
        }
        strcpy(sa.sun_path, n->path);
        (void) unlink(n->path);         /* a stale one */
        n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (n->fd < 0 || bind(n->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 || chmod(n->path, 0666) < 0) {
                int e = errno;

                (void) crl_error_set(reterr, e, "notify socket %s: %s", n->path, strerror(e));
                notify_socket_free(n);
                return -e;
        }
        *ret = n;
        return 0;
}

int notify_socket_fd(NotifySocket *n) {
        return n->fd;
}

const char *notify_socket_path(NotifySocket *n) {
        return n->path;
}

NotifySocket *notify_socket_free(NotifySocket *n) {
        if (!n)
                return NULL;
        if (n->fd >= 0)
                (void) unlink(n->path);
        safe_close(n->fd);
        free(n->path);
        free(n);
        return NULL;
}

void notify_message_done(NotifyMessage *m) {
        free(m->status);
        m->status = NULL;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return b <= a && streq(s + a - b, suffix);
}

/* Whether pid's cgroup (from /proc/PID/cgroup, "0::/corral/web.service/x")
 * is the service's (whose directory path the fd's /proc/self/fd link
 * ends with) or below it. */
static bool in_cgroup(int cgroup_fd, pid_t pid) {
        char link[64], target[4096], file[64], path[4096];
        _cleanup_free_ char *content = NULL;
        const char *p;
        ssize_t k;

        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", cgroup_fd);
        k = readlink(link, target, sizeof(target) - 1);
        if (k < 0)
                return false;
        target[k] = 0;
        (void) snprintf(file, sizeof(file), "/proc/%d/cgroup", (int) pid);
        if (read_file_at(AT_FDCWD, file, &content, NULL) < 0)
                return false;
        p = strstr(content, "0::/");
        if (!p)
                return false;
        (void) snprintf(path, sizeof(path), "%.*s", (int) strcspn(p + 3, "\n"), p + 3);
        while (path[0] && !streq(path, "/")) {
                char *slash;

                if (ends_with(target, path))
                        return true;
                slash = strrchr(path, '/');
                *slash = 0;
        }
        return false;
}

static void parse(char *buf, NotifyMessage *m) {
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                if (streq(line, "READY=1"))
                        m->flags |= NOTIFY_READY;
                else if (streq(line, "RELOADING=1"))
                        m->flags |= NOTIFY_RELOADING;
                else if (streq(line, "STOPPING=1"))
                        m->flags |= NOTIFY_STOPPING;
                else if (streq(line, "WATCHDOG=1"))
                        m->flags |= NOTIFY_WATCHDOG;
                else if (strneq(line, "STATUS=", 7)) {
                        free(m->status);
                        m->status = strdup(line + 7);
                        if (m->status)
                                m->flags |= NOTIFY_STATUS;
                } else if (strneq(line, "MAINPID=", 8)) {
                        m->main_pid = atoi(line + 8);
                        if (m->main_pid > 0)
                                m->flags |= NOTIFY_MAINPID;
                }
        }
}

int notify_socket_receive(NotifySocket *n, int cgroup_fd, NotifyMessage *ret) {
        char buf[4097];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
        struct ucred *cred = NULL;
        ssize_t k = recvmsg(n->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

        if (k < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                        cred = (struct ucred *) CMSG_DATA(c);
        if (!cred || (size_t) k >= sizeof(buf) || cgroup_fd < 0 || !in_cgroup(cgroup_fd, cred->pid))
                return -EPERM;
        buf[k] = 0;
        *ret = (NotifyMessage) { .sender = cred->pid };
        parse(buf, ret);
        if ((ret->flags & NOTIFY_MAINPID) && !in_cgroup(cgroup_fd, ret->main_pid))
                ret->flags &= ~NOTIFY_MAINPID;
        return 0;
}
