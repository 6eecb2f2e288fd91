/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ns_exec -u USER: the user is looked up in the service's own /etc/passwd
 * by the child, between clone and setns, not by the caller: corrald must
 * not read a file of the service (on a FUSE mount the service serves, a
 * read never returns). The child neither allocates nor uses stdio, so the
 * file is parsed from read() into stack buffers. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns-plan.h"
#include "syscalls.h"

/* Digits up to ':' at *p, advancing past it; false if not a valid id. */
static bool parse_id(const char **p, const char *end, uint32_t *ret) {
        uint64_t v = 0;
        const char *s = *p;

        if (s >= end || *s == ':')
                return false;
        for (; s < end && *s != ':'; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                v = v * 10 + (uint64_t) (*s - '0');
                if (v >= UINT32_MAX)    /* (uid_t) -1 is no id */
                        return false;
        }
        if (s >= end)
                return false;
        *ret = (uint32_t) v;
        *p = s + 1;
        return true;
}

/* "name:password:uid:gid:..." of user, without its newline (possibly cut
 * after its first fields); malformed lines are skipped, as glibc does. */
static bool passwd_line(const char *line, size_t len, const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        const char *p = line, *end = line + len, *colon;
        size_t n = strlen(user);
        uint32_t uid, gid;

        if (len <= n || memcmp(line, user, n) != 0 || line[n] != ':')
                return false;
        p += n + 1;
        colon = memchr(p, ':', (size_t) (end - p));
        if (!colon)
                return false;
        p = colon + 1;
        if (!parse_id(&p, end, &uid) || !parse_id(&p, end, &gid))
                return false;
        *ret_uid = uid;
        *ret_gid = gid;
        return true;
}

#define LINE_KEPT 1024   /* the fields we need come first */

int ns_passwd_find(int fd, const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        char buf[4096], line[LINE_KEPT];
        size_t len = 0;         /* of the current line, its first LINE_KEPT bytes kept */

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)     /* a last line without its newline */
                        return passwd_line(line, len < LINE_KEPT ? len : LINE_KEPT, user, ret_uid, ret_gid) ? 0 : -ESRCH;
                for (ssize_t i = 0; i < n; i++) {
                        if (buf[i] != '\n') {
                                if (len < LINE_KEPT)
                                        line[len] = buf[i];
                                len++;
                        } else if (passwd_line(line, len < LINE_KEPT ? len : LINE_KEPT, user, ret_uid, ret_gid))
                                return 0;
                        else
                                len = 0;
                }
        }
}

/* In the child: through the target's root, never out of it (an absolute
 * symlink resolves against that root, not ours), and only a regular file:
 * a FIFO or a device there would hang or feed the lookup. */
int ns_exec_user_lookup(NsPlan *plan) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        struct stat st;
        int fd, r;

        fd = crl_openat2(plan->exec_root_fd, "/etc/passwd", &how);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EBADFD;
        else
                r = ns_passwd_find(fd, plan->exec_user, &plan->uid, &plan->gid);
        (void) close(fd);
        if (r < 0)
                return r;
        plan->set_ids = plan->set_groups = true;
        plan->groups[0] = plan->gid;    /* allocated by the parent */
        plan->n_groups = 1;
        return 0;
}

void ns_exec_user_describe(const NsPlan *plan, int error, CrlError *reterr) {
        if (error == ESRCH)
                (void) crl_error_set(reterr, error, "step 'user': user '%s': not in the service's /etc/passwd",
                                     plan->exec_user ?: "?");
        else
                (void) crl_error_set(reterr, error, "step 'user': the service's /etc/passwd: %s",
                                     error == EBADFD ? "not a regular file" : strerror(error));
}
