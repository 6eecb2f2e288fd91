/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the cgroup integration tests: start a process inside a service
 * cgroup exactly as the supervisor will (clone3 with CLONE_INTO_CGROUP and
 * CLONE_PIDFD into cg_service_fd()), and small checks that say what failed. */

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "fileio.h"
#include "it-util.h"
#include "syscalls.h"

/* Run fn(arg) in a new process born in the service cgroup; returns its
 * pidfd (the pid in *ret_pid, for /proc lookups only). */
static inline int spawn_in(CgService *s, int (*fn)(void *), void *arg, pid_t *ret_pid) {
        int pidfd = -1;
        crl_clone_args a = {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) cg_service_fd(s),
        };
        pid_t pid = crl_clone3(&a);

        if (pid < 0)
                return pid;
        if (pid == 0)
                _exit(fn(arg));
        if (ret_pid)
                *ret_pid = pid;
        return pidfd;
}

/* Wait for the process of pidfd; returns its siginfo code and status. */
static inline int wait_pidfd(int pidfd, int *ret_code, int *ret_status) {
        siginfo_t si = {};

        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                return -errno;
        *ret_code = si.si_code;
        *ret_status = si.si_status;
        return 0;
}

static inline ResourceConfig rc_unset(void) {
        return (ResourceConfig) {
                .cpu_quota_per_sec_usec = USEC_INFINITY,
                .cpu_quota_period_usec = 100 * USEC_PER_MSEC,
        };
}

static inline char *file_of(CgService *s, const char *file) {
        static char buf[4096];
        char *t = NULL;

        if (read_file_at(cg_service_fd(s), file, &t, NULL) < 0)
                return strcpy(buf, "(unreadable)");
        (void) snprintf(buf, sizeof(buf), "%s", t);
        buf[strcspn(buf, "\n")] = 0;
        free(t);
        return buf;
}

/* MOUNT/PATH of a cgroup path below the root's mount ("/corral-test-1"). */
static inline const char *at_mount(CgRoot *root, const char *path) {
        static char buf[PATH_MAX];

        (void) snprintf(buf, sizeof(buf), "%s%s", cg_root_mount(root), path);
        return buf;
}

/* Test code only: waiting for a test's own children to fork, or observing
 * that nothing happens for a while. */
static inline void msleep(unsigned ms) {
        struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

/* 50 processes in a tree that ignore SIGTERM: half of them one level
 * deeper; the middle one exits and is reaped (a zombie still counts in
 * pids.current). */
static inline int cg_test_tree(void *arg) {
        int *ready = arg;

        (void) signal(SIGTERM, SIG_IGN);
        for (int i = 0; i < 49; i++) {
                pid_t p = fork();

                if (p == 0) {
                        if (i % 2 && fork() > 0)
                                _exit(0);
                        for (;;)
                                pause();
                }
                if (p > 0 && i % 2)
                        (void) waitpid(p, NULL, 0);
        }
        __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
        for (;;)
                pause();
}

/* Tasks of s: pids.current, or without the pids controller (this host's
 * cgroup2) the lines of cgroup.procs; the tree's processes stay in s. */
static inline uint64_t cg_test_tasks(CgService *s) {
        CgStats st = {};
        pid_t *pids = NULL;
        size_t n = 0;

        if (cg_service_stats(s, &st) >= 0 && st.tasks_current != UINT64_MAX)
                return st.tasks_current;
        if (cg_service_pids(s, &pids, &n) < 0)
                return UINT64_MAX;
        free(pids);
        return n;
}

/* Start cg_test_tree in s; its pidfd once all 50 are there. */
static inline int cg_test_start_tree(CgService *s) {
        int *ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int pidfd = spawn_in(s, cg_test_tree, ready, NULL);
        uint64_t tasks = 0;

        for (int i = 0; i < 400 && (!*ready || (tasks = cg_test_tasks(s)) != 50); i++)
                msleep(50);
        CHECK(tasks == 50, "tasks: %llu", (unsigned long long) tasks);
        munmap(ready, 4096);
        return pidfd;
}

/* A process born in the cgroup dir_fd (a service or a sub-cgroup of one)
 * that waits to be killed; its pidfd. */
static inline int cg_test_spawn_at(int dir_fd) {
        int pidfd = -1;
        crl_clone_args a = {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) dir_fd,
        };
        pid_t pid = crl_clone3(&a);

        if (pid == 0)
                for (;;)
                        pause();
        return pid < 0 ? pid : pidfd;
}
