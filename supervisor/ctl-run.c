/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "ctl.h"

int ctl_run(int argc, char *argv[], CtlContext *c) {
        (void) argc;
        (void) c;
        fprintf(stderr, "corralctl: %s: not implemented yet\n", argv[0]);
        return CTL_EXIT_FAILURE;
}
