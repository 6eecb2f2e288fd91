/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-event.h>

#include "ctl-verify.h"
#include "fileio.h"
#include "log.h"
#include "manager-daemon.h"
#include "macros.h"
#include "strv.h"
#include "probe-print.h"

static void help(void) {
        printf("Usage: corrald [OPTIONS]\n"
               "Launch and supervise the services in corral unit files.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --config FILE          Daemon config (default /etc/corral/corrald.conf)\n"
               "     --units DIR            Unit directory (repeatable; later dirs win)\n"
               "     --bus system|session|private|ADDRESS\n"
               "     --cgroup-root PATH     cgroup subtree to manage\n"
               "     --log-level err|warning|info|debug\n"
               "     --check                Validate config and units, print every problem, exit\n"
               "     --probe                Report what this host offers (cgroups, namespaces), exit\n");
}

/* corrald holds about seven fds a running service: lift its open files
 * limit (1024 by default, hard 4096 without systemd; systemd's own is
 * 512K) as far as fs.nr_open allows, as systemd does for itself. *ret is
 * the limit before, which services get back (NsLaunchParams.nofile). */
#define NOFILE_WANTED (512U * 1024U)
static bool raise_nofile(struct rlimit *ret) {
        _cleanup_free_ char *nr_open = NULL;
        struct rlimit old, want;
        rlim_t max = NOFILE_WANTED;

        if (getrlimit(RLIMIT_NOFILE, &old) < 0)
                return false;
        *ret = old;
        if (read_line_at(AT_FDCWD, "/proc/sys/fs/nr_open", &nr_open) >= 0) {
                unsigned long n = strtoul(nr_open, NULL, 10);

                if (n > 0 && n < max)
                        max = n;
        }
        want = (struct rlimit) { .rlim_cur = max, .rlim_max = max };
        if (old.rlim_max >= max || setrlimit(RLIMIT_NOFILE, &want) < 0) {
                /* Not root, or the hard limit is higher already: up to the hard one. */
                want = (struct rlimit) { .rlim_cur = old.rlim_max, .rlim_max = old.rlim_max };
                (void) setrlimit(RLIMIT_NOFILE, &want);
        }
        return true;
}

/* The daemon: one sd-event loop until SIGTERM has stopped every service. */
static int run(const ManagerParams *p) {
        sd_event *e = NULL;
        Manager *m = NULL;
        CrlError err = {};
        int r;

        r = sd_event_default(&e);
        if (r < 0) {
                log_error("event loop: %s", strerror(-r));
                return 1;
        }
        r = manager_new(e, p, &m, &err);
        if (r >= 0)
                r = manager_startup(m, &err);
        if (r >= 0)
                r = sd_event_loop(e);
        if (r < 0 && crl_error_isset(&err))
                log_error("%s", err.message);
        else if (r < 0)
                log_error("event loop: %s", strerror(-r));
        manager_free(m);
        sd_event_unref(e);
        return r < 0 ? 1 : r;
}

enum {
        ARG_VERSION = 0x100,
        ARG_CONFIG,
        ARG_UNITS,
        ARG_BUS,
        ARG_CGROUP_ROOT,
        ARG_LOG_LEVEL,
        ARG_CHECK,
        ARG_PROBE,
};

int main(int argc, char *argv[]) {
        struct rlimit nofile;
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "version",     no_argument,       NULL, ARG_VERSION     },
                { "config",      required_argument, NULL, ARG_CONFIG      },
                { "units",       required_argument, NULL, ARG_UNITS       },
                { "bus",         required_argument, NULL, ARG_BUS         },
                { "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
                { "log-level",   required_argument, NULL, ARG_LOG_LEVEL   },
                { "check",       no_argument,       NULL, ARG_CHECK       },
                { "probe",       no_argument,       NULL, ARG_PROBE       },
                {}
        };
        _cleanup_strv_free_ char **units = NULL;
        const char *config = "/etc/corral/corrald.conf", *bus = NULL, *cgroup_root = NULL;
        bool probe = false, check = false;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("corrald %s\n", CORRAL_VERSION);
                        return 0;
                case ARG_PROBE:
                        probe = true;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                case ARG_CONFIG:
                        config = optarg;
                        break;
                case ARG_UNITS:
                        if (strv_extend(&units, optarg) < 0)
                                return 1;
                        break;
                case ARG_BUS:
                        bus = optarg;
                        break;
                case ARG_CGROUP_ROOT:
                        cgroup_root = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_level_from_string(optarg) < 0) {
                                fprintf(stderr, "corrald: --log-level: '%s' is not err, warning, notice, info or debug\n",
                                        optarg);
                                return 2;
                        }
                        log_set_max_level(log_level_from_string(optarg));
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "corrald: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (!units && strv_extend(&units, "/etc/corral/units") < 0)
                return 1;
        if (probe)
                return probe_print(stdout, "/sys/fs/cgroup") < 0 ? 1 : 0;
        if (check)
                return daemon_check(stdout, config, units);
        return run(&(ManagerParams) { .config_path = config, .unit_dirs = units, .cgroup_root = cgroup_root,
                                      .bus = bus, .service_nofile = raise_nofile(&nofile) ? &nofile : NULL });
}
