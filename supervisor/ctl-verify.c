/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl verify: offline validation of unit files, no daemon needed. */
#include <getopt.h>
#include <string.h>

#include "ctl-verify.h"
#include "strv.h"

void print_diagnostics(FILE *out, const UnitDiagnostics *d) {
        STRV_FOREACH(e, d->errors)
                fprintf(out, "%s\n", *e);
        STRV_FOREACH(w, d->warnings)
                fprintf(out, "%s\n", *w);
}

static const char *plural(size_t n) {
        return n == 1 ? "" : "s";
}

/* Returns 0 valid, 1 invalid, <0 -ENOMEM. */
static int verify_one(const char *path) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        UnitDiagnostics d = {};
        size_t ne, nw;
        int r;

        r = unit_load_file(path, &u, &d);
        if (r == -ENOMEM) {
                unit_diagnostics_done(&d);
                return r;
        }
        print_diagnostics(stdout, &d);
        ne = strv_length(d.errors);
        nw = strv_length(d.warnings);
        if (r >= 0 && nw == 0)
                printf("%s: valid\n", path);
        else if (r >= 0)
                printf("%s: valid (%zu warning%s)\n", path, nw, plural(nw));
        else
                printf("%s: invalid (%zu error%s, %zu warning%s)\n", path,
                       ne ?: 1, plural(ne ?: 1), nw, plural(nw));
        unit_diagnostics_done(&d);
        return r < 0;
}

static void verify_help(void) {
        printf("Usage: corralctl verify FILE...\n"
               "Check unit files (and their NAME.service.d/*.conf drop-ins) without a daemon.\n"
               "Prints every problem as FILE:LINE: Key: what is wrong, then one verdict per file.\n"
               "Exit status: 0 all valid (warnings allowed), 1 any error, 2 usage.\n");
}

int ctl_verify(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c, ret = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        verify_help();
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "corralctl verify: no FILE given (see corralctl verify --help)\n");
                return 2;
        }
        for (int i = optind; i < argc; i++) {
                int r = verify_one(argv[i]);

                if (r < 0) {
                        fprintf(stderr, "corralctl verify: %s\n", strerror(-r));
                        return 1;
                }
                ret |= r;
        }
        return ret;
}
