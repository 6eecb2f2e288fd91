/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cg-format.h"
#include "cg-internal.h"
#include "fileio.h"

/* Send sig to every pid in cgroup.procs of dir_fd and of its sub-cgroups.
 * Returns how many were signalled. A pid read here may exit before the
 * kill (ESRCH, ignored); it cannot be reused by another cgroup's process in
 * between while the cgroup is frozen, which is how cg_service_kill calls
 * this on kernels without cgroup.kill. */
static int signal_tree(int dir_fd, int sig) {
        _cleanup_free_ char *procs = NULL;
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        int r, n = 0;

        r = read_file_at(dir_fd, "cgroup.procs", &procs, NULL);
        if (r < 0)
                return r;
        for (char *p = procs, *end; *p; p = end) {
                long pid = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (pid > 0 && kill((pid_t) pid, sig) >= 0)
                        n++;
        }
        fd = openat(dir_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC); /* own offset, not a dup's */
        if (fd < 0 || !(d = fdopendir(fd)))
                return -errno;
        TAKE_FD(fd);
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_close_ int sub = -EBADF;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                sub = openat(dir_fd, de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                r = sub < 0 ? 0 : signal_tree(sub, sig);
                if (r > 0)
                        n += r;
        }
        closedir(d);
        return n;
}

int cg_service_signal(CgService *s, int sig, CrlError *reterr) {
        int r = signal_tree(s->dir_fd, sig);

        if (r < 0)
                return crl_error_set(reterr, r, "cannot signal the processes of %s%s/%s: %s",
                                     s->root->mount, s->root->path, s->dir_name, strerror(-r));
        return r;
}

/* Before Linux 5.14: freeze so nothing forks while we walk, SIGKILL every
 * pid, thaw (a frozen task dies only once thawed). Without the freezer
 * (before 5.2) a fork can race the walk: walk again after waiting a tenth
 * of the timeout for cgroup.events to say empty. */
static int kill_by_walking(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        int r = cg_service_freeze(s, timeout_usec / 2, NULL);
        bool frozen = r >= 0, written = r >= 0 || r == -ETIME;  /* ETIME: asked, not confirmed */

        for (unsigned round = 0; round < 10; round++) {
                r = signal_tree(s->dir_fd, SIGKILL);
                if (r <= 0 || frozen)
                        break;
                if (cg_wait_events(s->dir_fd, "populated", false,
                                   cg_deadline_usec(cg_now_usec(), timeout_usec / 10)) >= 0)
                        break;
        }
        if (written)
                (void) cg_service_thaw(s, timeout_usec / 2, NULL); /* the kills land once thawed; a failure shows in the wait after */
        if (r < 0)
                return crl_error_set(reterr, r, "cannot kill the processes of %s%s/%s: %s",
                                     s->root->mount, s->root->path, s->dir_name, strerror(-r));
        return 0;
}

int cg_service_kill(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        usec_t deadline = cg_deadline_usec(cg_now_usec(), timeout_usec);
        int r;

        r = cg_write(s->root, s->dir_fd, "cgroup.kill", "1");
        if (r == -ENOENT)
                r = kill_by_walking(s, timeout_usec, reterr);
        else if (r < 0)
                r = crl_error_set(reterr, r, "cannot write 1 to %s%s/%s/cgroup.kill: %s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r));
        if (r < 0 || timeout_usec == 0)
                return r;
        r = cg_wait_events(s->dir_fd, "populated", false, deadline);
        if (r < 0)
                return crl_error_set(reterr, r, "processes of %s%s/%s still there after SIGKILL: %s",
                                     s->root->mount, s->root->path, s->dir_name,
                                     r == -ETIME ? "timed out" : strerror(-r));
        return 0;
}

int cg_service_pids(CgService *s, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ char *procs = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r;

        r = read_file_at(s->dir_fd, "cgroup.procs", &procs, NULL);
        if (r < 0)
                return r;
        for (char *p = procs, *end; *p; p = end) {
                long pid = strtol(p, &end, 10);
                pid_t *a;

                if (end == p)
                        break;
                a = realloc(pids, (n + 1) * sizeof(pid_t));
                if (!a)
                        return -ENOMEM;
                pids = a;
                pids[n++] = (pid_t) pid;
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}
