/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Raw system calls glibc 2.36 does not wrap, or wraps in a way a clone's
 * child must not use, in one place. */

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* struct clone_args as of Linux 5.7 (CLONE_INTO_CGROUP); the kernel accepts
 * the size we pass, so a newer header's bigger struct is not required. */
typedef struct crl_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
} crl_clone_args;

/* Returns like fork(): 0 in the child, the pid in the parent, -errno on failure. */
static inline pid_t crl_clone3(crl_clone_args *args) {
        long r = syscall(SYS_clone3, args, sizeof(*args));
        return r < 0 ? -errno : (pid_t) r;
}

static inline int crl_pidfd_open(pid_t pid, unsigned flags) {
        long r = syscall(SYS_pidfd_open, pid, flags);
        return r < 0 ? -errno : (int) r;
}

static inline int crl_pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned flags) {
        long r = syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
        return r < 0 ? -errno : 0;
}

/* openat2(2) (Linux 5.6): resolution bounded by RESOLVE_* flags. Under
 * RESOLVE_IN_ROOT or RESOLVE_BENEATH, a ".." walked while a rename or a
 * mount happened anywhere on the system fails with EAGAIN (the kernel
 * cannot prove the walk stayed inside): retried, as openat2(2) advises, a
 * bounded number of times. A busy host (services starting, each with its
 * mounts) made starts fail with "Resource temporarily unavailable". */
#include <linux/openat2.h>

#define CRL_OPENAT2_TRIES 128

static inline int crl_openat2(int dirfd, const char *path, const struct open_how *how) {
        for (unsigned i = 1;; i++) {
                long r = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));

                if (r >= 0)
                        return (int) r;
                if (errno != EAGAIN || !(how->resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) ||
                    i >= CRL_OPENAT2_TRIES)
                        return -errno;
        }
}

/* glibc's setgroups/setresgid/setresuid broadcast the change to every thread
 * the process had (SIGSETXID, __nptl_setxid) and wait for threads that are
 * being created: in the raw clone of a threaded process those threads do not
 * exist and the wait never ends. These change the calling thread only, which
 * in such a child is the whole process. */
static inline int crl_setgroups(size_t n, const gid_t *groups) {
        return syscall(SYS_setgroups, n, groups) < 0 ? -errno : 0;
}

static inline int crl_setresgid(gid_t r, gid_t e, gid_t s) {
        return syscall(SYS_setresgid, r, e, s) < 0 ? -errno : 0;
}

static inline int crl_setresuid(uid_t r, uid_t e, uid_t s) {
        return syscall(SYS_setresuid, r, e, s) < 0 ? -errno : 0;
}
