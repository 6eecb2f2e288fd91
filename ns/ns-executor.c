/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corral-executor: the launch child as its own program. corrald's launcher
 * clones a child that shares corrald's memory only until it execs this
 * (ns-launch.c, launch_clone_exec()); here it reads the plan corrald wrote
 * (ns-plan-wire.c) and carries out the launch exactly as a forked child
 * would (ns_child_main()), then stays as the service's init. Not for
 * running by hand: usage corral-executor SOCK_FD PLAN_FD. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-plan.h"

static int parse_fd(const char *s) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 3 || v > 1 << 30)
                return -EBADF;
        return (int) v;
}

int main(int argc, char **argv) {
        NsPlan *plan;
        int sock, plan_fd, r;

        sock = argc == 3 ? parse_fd(argv[1]) : -EBADF;
        plan_fd = argc == 3 ? parse_fd(argv[2]) : -EBADF;
        if (sock < 0 || plan_fd < 0) {
                fprintf(stderr, "corral-executor: started by corrald's launcher only\n");
                return 2;
        }
        /* The launcher cleared O_CLOEXEC on the fds the plan names so they
         * reach us: set it again, as corrald had it (0-2 stay as they are) */
        (void) syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        r = ns_plan_wire_read(plan_fd, &plan);
        (void) close(plan_fd);
        if (r < 0) {
                (void) ns_child_report(sock, NS_STEP_EXECUTOR, r, -1);
                return 127;
        }
        ns_child_main(plan, sock);
}
