/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl-verify.h"
#include "macros.h"

static void help(void) {
        printf("Usage: corralctl [--bus system|session|private|ADDRESS] [--json] COMMAND ...\n"
               "Query and control corrald.\n\n"
               "Commands:\n"
               "  list                       One row a service\n"
               "  status [NAME...]           Detailed status\n"
               "  start|stop|restart NAME... \n"
               "  kill [-s SIGNAL] NAME      Signal every process of a service\n"
               "  freeze NAME | thaw NAME    \n"
               "  reload                     Re-read unit files\n"
               "  logs [-f] [-n N] NAME      \n"
               "  run [--name N] [-p KEY=VALUE]... [--wait] -- CMD [ARG...]\n"
               "  exec [-u USER] NAME -- CMD [ARG...]\n"
               "  verify FILE...             Validate unit files offline\n"
               "  top                        Live resource view\n\n"
               "Options:\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --bus BUS               system, session, private or a D-Bus address\n"
               "     --json                  Print one JSON document\n");
}

static bool arg_json = false;

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
                        break;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "corralctl: missing command (see --help)\n");
                return 2;
        }
        if (streq(argv[optind], "verify"))
                return ctl_verify(argc - optind, argv + optind, arg_json);
        fprintf(stderr, "corralctl: unknown command '%s' (see --help)\n", argv[optind]);
        return 2;
}
