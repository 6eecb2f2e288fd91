/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "macros.h"
#include "ns-probe.h"
#include "syscalls.h"

/* Start a child that exits at once, and reap it. Returns 0 or -errno from clone3. */
static int try_clone3(uint64_t flags, int cgroup_fd) {
        _cleanup_close_ int pidfd = -EBADF;
        crl_clone_args args = {
                .flags = flags | CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = cgroup_fd >= 0 ? (uint64_t) cgroup_fd : 0,
        };
        siginfo_t si;
        pid_t pid;

        pid = crl_clone3(&args);
        if (pid < 0)
                return pid;
        if (pid == 0)
                _exit(0);
        /* The child exits at once; waitid on the pidfd blocks only that long. */
        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                return -errno;
        return 0;
}

static void probe_userns(NsProbe *p) {
        int r = try_clone3(CLONE_NEWUSER, -EBADF);

        p->user_namespaces = r >= 0;
        if (r >= 0)
                return;
        if (r == -ENOSPC)
                (void) snprintf(p->user_namespaces_reason, sizeof(p->user_namespaces_reason),
                                "user namespaces: limit reached (user.max_user_namespaces is 0 or used up)");
        else
                (void) snprintf(p->user_namespaces_reason, sizeof(p->user_namespaces_reason),
                                "user namespaces: clone3(CLONE_NEWUSER) failed: %s", strerror(-r));
}

static void probe_clone(int cgroup_fd, NsProbe *p) {
        int r;

        r = try_clone3(0, -EBADF);
        p->clone3 = r >= 0;
        if (r < 0) {
                (void) snprintf(p->clone_reason, sizeof(p->clone_reason),
                                "clone3: %s", strerror(-r));
                return;
        }
        if (cgroup_fd < 0) {
                (void) snprintf(p->clone_reason, sizeof(p->clone_reason),
                                "CLONE_INTO_CGROUP: not checked (no cgroup2 directory)");
                return;
        }
        r = try_clone3(CLONE_INTO_CGROUP, cgroup_fd);
        p->clone_into_cgroup = r >= 0;
        if (r < 0)
                (void) snprintf(p->clone_reason, sizeof(p->clone_reason),
                                "CLONE_INTO_CGROUP: %s", strerror(-r));
}

int ns_probe(int cgroup_fd, NsProbe *ret) {
        NsProbe p = {};

        probe_userns(&p);
        probe_clone(cgroup_fd, &p);
        *ret = p;
        return 0;
}
