/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "error.h"

typedef struct NsProbe {
        bool user_namespaces;
        char user_namespaces_reason[256];       /* why not, when false */
        bool clone3;
        bool clone_into_cgroup;
        char clone_reason[256];                 /* why clone3/CLONE_INTO_CGROUP is missing */
} NsProbe;

/* Probe by doing: start throwaway children with clone3(CLONE_NEWUSER) and
 * clone3(CLONE_INTO_CGROUP) into cgroup_fd (a cgroup2 directory this process
 * may create children in, normally its own; -EBADF to skip that check). */
int ns_probe(int cgroup_fd, NsProbe *ret);
