/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the kernel says about this process's exec attributes, one
 * "key=value" line each, for test-launch-execkeys: SIGPIPE in SigIgn,
 * ioprio_get(), sched_getscheduler() (with the reset-on-fork bit) and
 * sched_getparam(), what stdin is and holds, and each variable named on
 * the command line.
 *
 * usage: helper-execattrs [NAME...] */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sigpipe_ignored(void) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");
        unsigned long long mask = 0;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "SigIgn: %llx", &mask) == 1)
                        break;
        fclose(f);
        return (int) ((mask >> (SIGPIPE - 1)) & 1);
}

int main(int argc, char **argv) {
        struct sched_param sp = {};
        char link[256] = "", data[64] = "";
        int prio = (int) syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
        int policy = sched_getscheduler(0);
        ssize_t n;

        (void) sched_getparam(0, &sp);
        printf("sigpipe_ignored=%d\n", sigpipe_ignored());
        printf("ioprio=%d/%d\n", prio >> 13, prio & 0x1fff);
        printf("sched=%d reset=%d prio=%d\n", policy & ~SCHED_RESET_ON_FORK, !!(policy & SCHED_RESET_ON_FORK),
               sp.sched_priority);
        n = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = 0;
        n = read(0, data, sizeof(data) - 1);
        data[n > 0 ? n : 0] = 0;
        data[strcspn(data, "\n")] = 0;
        printf("stdin=%s data=%s\n", link, data);
        for (int i = 1; i < argc; i++)
                printf("env %s=%s\n", argv[i], getenv(argv[i]) ?: "(unset)");
        return 0;
}
