/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command bench-launch --compare-exec starts through each tool: prints
 * CLOCK_MONOTONIC in ns as soon as it runs, so the caller learns when the
 * exec happened. Static, so no dynamic loading sits between exec and stamp. */
#include <stdio.h>
#include <time.h>

int main(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        printf("%lld\n", (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
        return 0;
}
