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
        bool own_help;
} commands[] = {
        { "list",          ctl_list,   true },
        { "status",        ctl_status, true },
        { "top",           ctl_top,    true },
        { "start",         ctl_control, false },
        { "stop",          ctl_control, false },
        { "restart",       ctl_control, false },
        { "reload",        ctl_control, false },
        { "kill",          ctl_control, false },
        { "freeze",        ctl_control, false },
        { "thaw",          ctl_control, false },
        { "daemon-reload", ctl_control, false },
        { "logs",          ctl_logs, false },
        { "exec",          ctl_exec, false },
        { "run",           ctl_run, false },
        { "verify",        run_verify, true },
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

                        /* `corralctl start --help` as `systemctl start --help`: the
                         * commands without a help of their own print ours. Only as
                         * the first word: after it, -h may be the command's (exec, run). */
                        if (!commands[i].own_help && argc - first >= 2 &&
                            (streq(argv[first + 1], "--help") || streq(argv[first + 1], "-h"))) {
                                help();
                                return 0;
                        }

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
