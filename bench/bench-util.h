/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Clock and medians for the bench-launch drivers. */

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

/* Sorts t in place. */
static inline double median(double *t, int n) {
        qsort(t, (size_t) n, sizeof(double), cmp_double);
        return t[n / 2];
}

/* Spawn argv with stdout and stderr on /dev/null and files (NULL, or a
 * NULL-terminated list) open for reading at fds 3, 4, ...; wait. The whole
 * process's time, as hyperfine measures it; -1 unless it exited 0. */
static inline double run_command(char *const *argv, char *const *files) {
        double t0 = now_us();
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC), fds[16], n = 0;

                (void) dup2(null, 1), (void) dup2(null, 2);
                /* above the targets first, so a dup2() cannot close a source */
                for (; files && files[n] && n < 16; n++) {
                        int fd = open(files[n], O_RDONLY | O_CLOEXEC);

                        if (fd < 0 || (fds[n] = fcntl(fd, F_DUPFD_CLOEXEC, 100)) < 0)
                                _exit(126);
                }
                for (int i = 0; i < n; i++)
                        if (dup2(fds[i], 3 + i) < 0)
                                _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return now_us() - t0;
}
