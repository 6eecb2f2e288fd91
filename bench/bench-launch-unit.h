/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* bench-launch's modes over unit files (bench-launch-unit.c): each returns
 * main()'s exit code. */

#include <stddef.h>

int bench_unit_start(const char *path, const char *cgroup_dir);
int bench_unit_compare(int rounds, const char *cgroup_dir, char **files, size_t n);
int bench_unit_compare_tools(int rounds, const char *self, const char *cg, const char *seccomp_dir,
                             const char *plain, const char *hardened);
int bench_unit_export_seccomp(const char *path, const char *dir);
int bench_unit_compare_seccomp(int rounds, char **dirs, size_t n);
