/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Making, running and ending a Manager: corrald's main() and the in-process
 * integration test use these; the bus does not. */

#include <systemd/sd-event.h>

#include "manager.h"

typedef struct ManagerParams {
        const char *config_path;        /* corrald.conf; absent: defaults */
        char *const *unit_dirs;
        const char *cgroup_root;        /* --cgroup-root; NULL: CgroupRoot= or auto */
        const char *bus;                /* --bus; ignored when no_bus */
        bool no_bus;                    /* tests: run without D-Bus */
        const struct rlimit *service_nofile; /* RLIMIT_NOFILE for services without
                                         * LimitNOFILE= (ours before we raised it); NULL: ours */
} ManagerParams;

/* Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP (signalfd through sd-event),
 * reads corrald.conf, opens the cgroup root and the runtime directory. */
int manager_new(sd_event *e, const ManagerParams *p, Manager **ret, CrlError *reterr);
/* Load the units and start every valid, non-template AutoStart= one. */
int manager_startup(Manager *m, CrlError *reterr);
/* SIGTERM: stop everything in reverse dependency order, then
 * sd_event_exit(0). */
void manager_shutdown(Manager *m);
Manager *manager_free(Manager *m);

/* Why units were not loaded (invalid files, ordering cycles), last load. */
char **manager_load_errors(Manager *m);
