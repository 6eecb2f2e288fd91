/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl start|stop|restart|reload|kill|freeze|thaw NAME... and
 * daemon-reload: one Manager method call a name, each waited for. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

/* A start (and ExecReload=) waits for TimeoutStartSec=, possibly infinity,
 * and a stop for TimeoutStopSec=: the daemon bounds those calls, not us.
 * A freeze, thaw, kill or daemon-reload is quick: a bound, so a daemon that
 * never answers is reported rather than waited for forever. */
#define CALL_UNBOUNDED UINT64_MAX
#define CALL_QUICK_USEC (120ULL * 1000 * 1000)

static const struct {
        const char *verb;
        const char *method;
        uint64_t timeout;
} verbs[] = {
        { "start",         "StartService",   CALL_UNBOUNDED  },
        { "stop",          "StopService",    CALL_UNBOUNDED  },
        { "restart",       "RestartService", CALL_UNBOUNDED  },
        { "reload",        "ReloadService",  CALL_UNBOUNDED  },
        { "kill",          "KillService",    CALL_QUICK_USEC },
        { "freeze",        "FreezeService",  CALL_QUICK_USEC },
        { "thaw",          "ThawService",    CALL_QUICK_USEC },
        { "daemon-reload", "Reload",         CALL_QUICK_USEC },
};

int ctl_log_service_error(const char *verb, const char *name, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_has_name(e, CTL_ERROR_NO_SUCH_SERVICE)) {
                fprintf(stderr, "corralctl: no such service '%s'\n", name);
                return CTL_EXIT_NO_SUCH_SERVICE;
        }
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) && e->message) {
                fprintf(stderr, "corralctl: %s\n", e->message);
                return CTL_EXIT_FAILURE;
        }
        fprintf(stderr, "corralctl: failed to %s %s: %s\n", verb, name,
                e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(r < 0 ? -r : r));
        return CTL_EXIT_FAILURE;
}

/* "TERM", "SIGTERM", "term", "15" → 15; -EINVAL otherwise. */
static int parse_signal(const char *s) {
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        char *end;
        long n;

        n = strtol(s, &end, 10);
        if (end != s && !*end)
                return n > 0 && n < _NSIG ? (int) n : -EINVAL;
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && strcasecmp(abbrev, name) == 0)
                        return sig;
        }
        return -EINVAL;
}

/* One call; 0 or the exit code its failure maps to. */
static int call_one(sd_bus *bus, size_t verb, const char *name, int sig) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, CTL_BUS_NAME, CTL_MANAGER_PATH, CTL_MANAGER_IFACE,
                                           verbs[verb].method);
        if (r >= 0 && name)
                r = sig > 0 ? sd_bus_message_append(m, "si", name, sig) : sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_call(bus, m, verbs[verb].timeout, &e, &reply);
        if (r >= 0)
                return CTL_EXIT_SUCCESS;
        if (!name) {
                fprintf(stderr, "corralctl: %s: %s\n", verbs[verb].verb,
                        sd_bus_error_is_set(&e) && e.message ? e.message : strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        return ctl_log_service_error(verbs[verb].verb, name, &e, r);
}

static int usage(const char *verb, const char *what) {
        if (streq(verb, "kill"))
                fprintf(stderr, "corralctl: kill: %s (usage: corralctl kill [-s SIGNAL] NAME...)\n", what);
        else if (streq(verb, "daemon-reload"))
                fprintf(stderr, "corralctl: daemon-reload: %s (usage: corralctl daemon-reload)\n", what);
        else
                fprintf(stderr, "corralctl: %s: %s (usage: corralctl %s NAME...)\n", verb, what, verb);
        return CTL_EXIT_USAGE;
}

/* Options: -s SIGNAL for kill only. Returns optind or -CTL_EXIT_USAGE. */
static int parse_options(int argc, char *argv[], int *ret_sig) {
        static const struct option options[] = {
                { "signal", required_argument, NULL, 's' },
                {}
        };
        bool kill = streq(argv[0], "kill");
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, kill ? "+s:" : "+", kill ? options : options + 1, NULL)) >= 0) {
                if (c == 's') {
                        *ret_sig = parse_signal(optarg);
                        if (*ret_sig < 0) {
                                fprintf(stderr, "corralctl: kill: unknown signal '%s' (a name like TERM, "
                                        "SIGHUP or a number)\n", optarg);
                                return -CTL_EXIT_USAGE;
                        }
                        continue;
                }
                if (kill && optopt == 's')
                        return -usage(argv[0], "-s needs a signal");
                return -usage(argv[0], "unknown option");
        }
        return optind;
}

int ctl_control(int argc, char *argv[], CtlContext *c) {
        int sig = SIGTERM, worst = CTL_EXIT_SUCCESS, first;
        size_t verb = 0;
        bool takes_names;
        sd_bus *bus;

        first = parse_options(argc, argv, &sig);
        if (first < 0)
                return -first;
        while (verb + 1 < ELEMENTSOF(verbs) && !streq(verbs[verb].verb, argv[0]))
                verb++;
        takes_names = !streq(argv[0], "daemon-reload");
        if (!takes_names && first < argc)
                return usage(argv[0], "takes no arguments");
        if (takes_names && first >= argc)
                return usage(argv[0], "missing service name");
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        if (!takes_names)
                return call_one(bus, verb, NULL, 0);
        for (int i = first; i < argc; i++) {
                int r = call_one(bus, verb, argv[i], streq(argv[0], "kill") ? sig : 0);

                /* The worst: 4 (no such service) over 1 (failed) over 0. */
                if (r > worst)
                        worst = r;
        }
        return worst;
}
