/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper for Type=notify services (sd_notify, as a real service uses it).
 *
 *   helper-notify serve [READY_DELAY_MS|never]
 *       Sends STATUS=starting, then after READY_DELAY_MS (default 0)
 *       READY=1 + STATUS=ready, unless "never". Then waits for signals:
 *       SIGUSR1 sends READY=1 + STATUS=usr1 N (N counts the SIGUSR1s),
 *       SIGTERM/SIGINT exit 0. Prints each message it sends on stdout.
 *   helper-notify send MESSAGE
 *       One sd_notify(MESSAGE) to $NOTIFY_SOCKET; exit 0 if it was sent.
 *       From outside a service's cgroup this is a foreign notification.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static int notify(const char *msg) {
        int r = sd_notify(0, msg);

        printf("sd_notify '%s': %s\n", msg, r > 0 ? "sent" : r == 0 ? "no NOTIFY_SOCKET" : strerror(-r));
        fflush(stdout);
        return r;
}

static int serve(const char *delay) {
        unsigned n_usr1 = 0;
        sigset_t mask;
        char msg[64];

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return 1;
        if (notify("STATUS=starting") <= 0)
                return 1;
        if (!delay || strcmp(delay, "never") != 0) {
                long ms = delay ? strtol(delay, NULL, 10) : 0;
                struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

                while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                if (notify("READY=1\nSTATUS=ready") <= 0)
                        return 1;
        }
        for (;;) {
                int sig = sigwaitinfo(&mask, NULL);

                if (sig < 0 && errno == EINTR)
                        continue;
                if (sig < 0)
                        return 1;
                if (sig != SIGUSR1)
                        return 0;
                snprintf(msg, sizeof(msg), "READY=1\nSTATUS=usr1 %u", ++n_usr1);
                if (notify(msg) <= 0)
                        return 1;
        }
}

int main(int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "serve") == 0 && argc <= 3)
                return serve(argc == 3 ? argv[2] : NULL);
        if (argc == 3 && strcmp(argv[1], "send") == 0)
                return notify(argv[2]) > 0 ? 0 : 1;
        fprintf(stderr, "usage: %s serve [READY_DELAY_MS|never] | send MESSAGE\n", argv[0]);
        return 2;
}
