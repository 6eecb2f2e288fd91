/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/* Probe the host (cgroup mode and controllers, user namespaces, clone3) and
 * print the report to f. Returns 0, or -errno when the probe itself failed. */
int probe_print(FILE *f, const char *sysfs_cgroup);
