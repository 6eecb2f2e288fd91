/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corralctl run: ctl-run.c parses the command line and calls RunTransient;
 * ctl-run-wait.c waits for the unit's end (--wait) and prints its summary. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "ctl.h"

#define CTL_SERVICE_PATH_PREFIX "/org/corral1/service"

typedef struct RunOptions {
        const char *name;       /* --name, NULL: corral picks run-N; borrowed */
        char **properties;      /* -p KEY=VALUE, borrowed from argv */
        size_t n_properties;
        bool wait;
        bool pipe;
        char **cmd;             /* after "--", NULL-terminated; borrowed */
        const CtlContext *ctl;  /* borrowed */
} RunOptions;

/* Build and send RunTransient. On success *ret_path is the unit's object
 * path; on failure the bus error is in reterr. */
int run_call_transient(sd_bus *bus, const RunOptions *o, sd_bus_error *reterr, char **ret_path);

/* Print why RunTransient failed (corrald not on the bus: as ctl_bus()
 * says it) and return the exit code. */
int run_log_call_error(const RunOptions *o, const sd_bus_error *e, int r);

/* --wait: match the unit's PropertiesChanged, call RunTransient, wait for
 * its end, print the summary on stderr; returns the exit code. */
int run_wait(sd_bus *bus, const RunOptions *o);
