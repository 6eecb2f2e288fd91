/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include "macros.h"

/* Where a daemon's long-lived fds go (a service's pidfds, pipes, cgroup
 * directory, status record...), so that the low numbers, where the kernel
 * puts every new fd, hold only the daemon's few fixed fds and the fds of
 * launches in flight: a launch child that shares the fd table keeps only
 * the fds below the highest it needs (ns_plan_fd_floor()), which then
 * stays small however many services run. */
#define FD_HIGH_MIN 1024

/* Move fd to FD_HIGH_MIN or above (close-on-exec), closing the old one.
 * Best effort: where that fails (RLIMIT_NOFILE at or below FD_HIGH_MIN)
 * fd stays where it is. Returns the fd to use; a negative fd is returned
 * as it is. */
static inline int fd_move_high(int fd) {
        int high;

        if (fd < 0 || fd >= FD_HIGH_MIN)
                return fd;
        high = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH_MIN);
        if (high < 0)
                return fd;
        safe_close(fd);
        return high;
}

/* A close-on-exec copy of fd at FD_HIGH_MIN or above, or, where the limit
 * does not reach that far, the lowest above 2; -errno. */
static inline int fd_dup_high(int fd) {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH_MIN);

        if (copy < 0)
                copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return copy < 0 ? -errno : copy;
}
