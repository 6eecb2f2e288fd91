/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the compiled integration tests: one CHECK that says what failed
 * (and repeats the failed lines at the end, since the runner shows only the
 * tail of a failing test's output), a shell helper for inspecting what the
 * kernel shows with ip/nft, and an fd count for leak checks. */

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"

static int failures, n_checked;
static char failed_lines[4096];

#define CHECK(cond, ...)                                                   \
        do {                                                               \
                n_checked++;                                               \
                if (!(cond)) {                                             \
                        size_t _l = strlen(failed_lines);                  \
                        failures++;                                        \
                        printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
                        printf(__VA_ARGS__);                               \
                        printf("\n");                                      \
                        if (_l < sizeof(failed_lines) - 1)                 \
                                snprintf(failed_lines + _l, sizeof(failed_lines) - _l, \
                                         "  %s:%d: %s\n", __FILE__, __LINE__, #cond); \
                } else                                                     \
                        printf("ok   %s\n", #cond);                        \
                fflush(stdout);                                            \
        } while (0)

/* A shell command (tests may use shell tools): exit status, stdout in *out. */
_printf_(2, 3) static inline int sh(char **out, const char *fmt, ...) {
        char cmd[1024], buf[8192];
        size_t len = 0;
        va_list ap;
        FILE *f;
        int st;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        fflush(stdout);
        f = popen(cmd, "re");
        if (!f)
                return -1;
        while (len < sizeof(buf) - 1) {
                size_t k = fread(buf + len, 1, sizeof(buf) - 1 - len, f);
                if (k == 0)
                        break;
                len += k;
        }
        buf[len] = 0;
        st = pclose(f);
        if (out) {
                free(*out);
                *out = strdup(buf);
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static inline int count_fds(void) {
        char path[64];
        int n = 0;

        for (int fd = 0; fd < 1024; fd++) {
                (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                n += access(path, F_OK) >= 0;
        }
        return n;
}

/* Move this test into a network and mount namespace of its own, so it never
 * touches the host's interfaces or mounts: `ip netns` pins go to a tmpfs of
 * ours, and rundir (a mkdtemp template, filled in) becomes a fresh tmpfs. */
static inline int it_enter_scratch(char *rundir) {
        if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        (void) mkdir("/run/netns", 0755);
        if (mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        if (!mkdtemp(rundir) || mount("tmpfs", rundir, "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        return 0;
}

/* The closing lines and the exit status of a test program. */
static inline int it_report(const char *name) {
        if (failures)
                printf("failed checks:\n%s", failed_lines);
        printf("%s: %d checks, %d failed\n", name, n_checked, failures);
        return failures ? 1 : 0;
}
