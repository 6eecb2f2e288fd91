/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RUNTIME_DIR/transient/NAME.service: transient units that survive a
 * restart of corrald (transient-file.c). */

#include "error.h"

typedef struct Manager Manager;

/* Written (atomically) when RunTransient made the unit; argv and
 * properties as unit_config_from_properties() accepted them. */
int transient_file_write(Manager *m, const char *name, char *const *argv, char *const *properties,
                         CrlError *reterr);
/* With the unit (manager_remove_service()); missing is fine. */
void transient_file_remove(Manager *m, const char *name);
/* Startup, after the unit files and before re-adoption: each file a
 * transient Service (not started); invalid ones are removed. */
void manager_transient_load(Manager *m);
/* After re-adoption: those neither adopted nor ended meanwhile go. */
void manager_transient_settle(Manager *m, char *const *taken);
/* A clean shutdown: the directory is emptied. */
void manager_transient_remove_all(Manager *m);
