/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "unit.h"

/* Print a unit's or corrald.conf's diagnostics, errors and warnings
 * together in file and line order. */
void print_diagnostics(FILE *out, const UnitDiagnostics *d);

/* corralctl verify FILE...: 0 when every file is valid, 1 on any error,
 * 2 on a usage error. argv[0] is "verify"; json: print one JSON document. */
int ctl_verify(int argc, char *argv[], bool json);

/* corrald --check: corrald.conf and every unit in dirs; 0 or 1. */
int daemon_check(FILE *out, const char *config, char *const *dirs);

/* Cross-unit network checks for --check; prints warnings, returns how many. */
size_t check_network(FILE *out, const ManagerConfig *m, UnitConfig *const *units, size_t n);
