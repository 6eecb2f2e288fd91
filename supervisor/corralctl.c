/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl-verify.h"
#include "ctl.h"
#include "macros.h"

static void help(void) {
        printf("Usage: corralctl [--bus system|session|private|ADDRESS] [--json] COMMAND ...\n"
               "Query and control corrald.\n\n"
               "Commands:\n"
               "  list                       One row a service\n"
               "  status [NAME...]           Detailed status\n"
               "  start|stop|restart NAME... Start, stop or restart services and wait\n"
               "  reload NAME...             Run the services' ExecReload=\n"
               "  kill [-s SIGNAL] NAME...   Signal every process of the services\n"
               "  freeze|thaw NAME...        Freeze or thaw the services' cgroups\n"
               "  daemon-reload              Re-read unit files\n"
               "  logs [-f] [-n N] NAME      Show (and follow) a service's log\n"
               "  run [--name N] [-p KEY=VALUE]... [--wait] [--pipe] [-P] -- CMD [ARG...]\n"
               "                             Run a command as a transient service\n"
               "  exec [-u USER] NAME -- CMD [ARG...]\n"
               "                             Run a command inside a running service\n"
               "  verify FILE...             Validate unit files offline\n"
               "  top                        Live resource view\n\n"
               "Options:\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --bus BUS               system, session, private or a D-Bus address\n"
               "     --json                  Print one JSON document\n");
}

static bool arg_json = false;
static const char *arg_bus = NULL;

static int run_verify(int argc, char *argv[], CtlContext *c) {
        return ctl_verify(argc, argv, c->json);
}

static const struct {
        const char *name;
        CtlCommand run;
} commands[] = {
        { "list",          ctl_list    },
        { "status",        ctl_status  },
        { "top",           ctl_top     },
        { "start",         ctl_control },
        { "stop",          ctl_control },
        { "restart",       ctl_control },
        { "reload",        ctl_control },
        { "kill",          ctl_control },
        { "freeze",        ctl_control },
        { "thaw",          ctl_control },
        { "daemon-reload", ctl_control },
        { "logs",          ctl_logs    },
        { "exec",          ctl_exec    },
        { "run",           ctl_run     },
        { "verify",        run_verify  },
};

enum {
        ARG_VERSION = 0x100,
        ARG_BUS,
        ARG_JSON,
};

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h'         },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "bus",     required_argument, NULL, ARG_BUS     },
                { "json",    no_argument,       NULL, ARG_JSON    },
                {}
        };
        int c;

        /* '+': stop at the first non-option, the command; its own options follow it. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("corralctl %s\n", CORRAL_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_BUS:
                        arg_bus = optarg;
                        break;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "corralctl: missing command (see --help)\n");
                return 2;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[optind], commands[i].name)) {
                        CtlContext ctx = { .bus_arg = arg_bus, .json = arg_json };
                        int first = optind, r;

                        /* Each command parses its own options with getopt from
                         * its own argv; optind = 0 resets getopt fully. */
                        optind = 0;
                        r = commands[i].run(argc - first, argv + first, &ctx);
                        sd_bus_flush_close_unref(ctx.bus);
                        return r;
                }
        fprintf(stderr, "corralctl: unknown command '%s' (see --help)\n", argv[optind]);
        return 2;
}
