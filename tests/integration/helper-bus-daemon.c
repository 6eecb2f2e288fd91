/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus layer on a fake core, for test-bus.sh: an sd-event loop, bus_open()
 * and tests/integration/fake-manager.c. Prints "READY" on stdout once
 * org.corral1 is owned. SIGTERM: a clean shutdown, which stops the private
 * broker: the core goes first, so pending jobs get -ECANCELED replies.
 * SIGINT: exit without stopping the broker (like a crash, but with the
 * daemon's memory freed so ASan sees leaks), the bus first, so pending jobs
 * end after bus_close() (the detached path).
 *
 * usage: helper-bus-daemon [--bus BUS] RUNTIME_DIR */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fake-manager.h"

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        bool *stop_broker = userdata;

        *stop_broker = si->ssi_signo == SIGTERM;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv) {
        static const struct option options[] = { { "bus", required_argument, NULL, 'b' }, {} };
        const char *bus_arg = NULL;
        sd_event *e = NULL;
        Manager *m = NULL;
        Bus *b = NULL;
        CrlError err = {};
        bool stop_broker = false;
        sigset_t ss;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                if (c == 'b')
                        bus_arg = optarg;
                else
                        return 2;
        if (optind != argc - 1) {
                fprintf(stderr, "usage: %s [--bus BUS] RUNTIME_DIR\n", argv[0]);
                return 2;
        }
        /* As corrald does: signals through signalfd, SIGCHLD for pidfds. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);

        r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, &stop_broker);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_signal, &stop_broker);
        if (r >= 0)
                r = fake_manager_new(e, argv[optind], &m);
        if (r < 0) {
                fprintf(stderr, "helper-bus-daemon: setup: %s\n", strerror(-r));
                return 1;
        }
        r = bus_open(m, e, bus_arg, &b, &err);
        if (r < 0) {
                fprintf(stderr, "helper-bus-daemon: %s\n", err.message);
                fake_manager_free(m);
                sd_event_unref(e);
                return 1;
        }
        fake_manager_set_bus(m, b);
        printf("READY\n");
        fflush(stdout);

        r = sd_event_loop(e);
        if (stop_broker) {
                fake_manager_free(m);
                bus_close(b, true);
        } else {
                bus_close(b, false);
                fake_manager_free(m);
        }
        sd_event_unref(e);
        if (r < 0) {
                fprintf(stderr, "helper-bus-daemon: loop: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
