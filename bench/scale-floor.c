/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor for bench/scale: what starting N services costs with nothing
 * but the kernel's work. For each of N: a cgroup directory, clone3() into
 * it with a new pid, mount and network namespace, and an exec of
 * `sleep infinity` confirmed through a CLOEXEC pipe (EOF = exec'd); then
 * every child killed (cgroup.kill), reaped and its cgroup removed.
 *
 *   scale-floor N CGROUP_PARENT
 *
 * Prints "start_ms STOP_ms" as two numbers: wall time until all N had
 * exec'd, and until all were reaped and their cgroups gone. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "macros.h"
#include "syscalls.h"

typedef struct Child {
        int pidfd;
        int cgroup_fd;
        char name[32];
} Child;

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void child_exec(int confirm_fd) {
        static char *const argv[] = { (char *) "sleep", (char *) "infinity", NULL };

        (void) confirm_fd; /* closed by the exec: that is the confirmation */
        execv("/bin/sleep", argv);
        _exit(127);
}

static int start_one(int parent_fd, unsigned i, Child *c) {
        crl_clone_args args = {};
        int pipefd[2], pidfd = -EBADF;
        char byte;
        pid_t pid;

        snprintf(c->name, sizeof(c->name), "floor-%u.service", i);
        if (mkdirat(parent_fd, c->name, 0755) < 0)
                return -errno;
        c->cgroup_fd = openat(parent_fd, c->name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (c->cgroup_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        args.flags = CLONE_PIDFD | CLONE_INTO_CGROUP | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET;
        args.pidfd = (uint64_t) (uintptr_t) &pidfd;
        args.cgroup = (uint64_t) c->cgroup_fd;
        args.exit_signal = SIGCHLD;
        pid = crl_clone3(&args);
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(pipefd[0]);
                child_exec(pipefd[1]);
        }
        close(pipefd[1]);
        /* EOF once the exec closed the child's end. */
        if (read(pipefd[0], &byte, 1) != 0)
                return -EIO;
        close(pipefd[0]);
        c->pidfd = pidfd;
        return 0;
}

static int stop_one(int parent_fd, Child *c) {
        siginfo_t si;
        int fd;

        fd = openat(c->cgroup_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "1", 1) != 1) {
                /* Kernels without cgroup.kill: the one process. */
                (void) crl_pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
        }
        safe_close(fd);
        if (waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED) < 0)
                return -errno;
        c->pidfd = safe_close(c->pidfd);
        c->cgroup_fd = safe_close(c->cgroup_fd);
        return unlinkat(parent_fd, c->name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int main(int argc, char *argv[]) {
        _cleanup_close_ int parent_fd = -EBADF;
        _cleanup_free_ Child *c = NULL;
        double t0, t1, t2;
        unsigned n;
        int r;

        if (argc != 3 || sscanf(argv[1], "%u", &n) != 1 || n == 0) {
                fprintf(stderr, "usage: scale-floor N CGROUP_PARENT\n");
                return 2;
        }
        parent_fd = open(argv[2], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        c = calloc(n, sizeof(*c));
        if (parent_fd < 0 || !c) {
                perror(argv[2]);
                return 1;
        }
        t0 = now_ms();
        for (unsigned i = 0; i < n; i++)
                if ((r = start_one(parent_fd, i, &c[i])) < 0) {
                        fprintf(stderr, "start %u: %s\n", i, strerror(-r));
                        return 1;
                }
        t1 = now_ms();
        for (unsigned i = 0; i < n; i++)
                if ((r = stop_one(parent_fd, &c[i])) < 0) {
                        fprintf(stderr, "stop %u: %s\n", i, strerror(-r));
                        return 1;
                }
        t2 = now_ms();
        printf("%.1f %.1f\n", t1 - t0, t2 - t1);
        return 0;
}
