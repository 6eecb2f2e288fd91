/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "error.h"

typedef enum CgroupMode {
        CG_MODE_UNIFIED,        /* cgroup2 at /sys/fs/cgroup, no v1 */
        CG_MODE_HYBRID,         /* v1 controllers, cgroup2 beside them (…/unified) */
        CG_MODE_LEGACY,         /* v1 only */
        _CG_MODE_MAX,
        _CG_MODE_INVALID = -EINVAL,
} CgroupMode;

/* The controllers corral uses, in the order corral reports them. */
typedef enum CgController {
        CG_CTRL_CPU,
        CG_CTRL_CPUSET,
        CG_CTRL_IO,
        CG_CTRL_MEMORY,
        CG_CTRL_PIDS,
        _CG_CTRL_MAX,
        _CG_CTRL_INVALID = -EINVAL,
} CgController;

typedef struct CgControllerState {
        bool available;         /* listed in the cgroup2 root's cgroup.controllers */
        char reason[256];       /* why not, when !available */
} CgControllerState;

typedef struct CgProbe {
        CgroupMode mode;
        char mount[PATH_MAX];   /* cgroup2 mount point; empty in legacy mode */
        CgControllerState controllers[_CG_CTRL_MAX];
} CgProbe;

const char *cg_mode_to_string(CgroupMode m);
const char *cg_controller_to_string(CgController c);
CgController cg_controller_from_string(const char *s);

/* Probe the running system. sysfs_cgroup is normally "/sys/fs/cgroup". */
int cg_probe(const char *sysfs_cgroup, CgProbe *ret, CrlError *reterr);

/* Pure helpers, exposed for tests. */

/* Find the mount point of a cgroup v1 hierarchy that holds controller in a
 * /proc/self/mountinfo text. Returns 1 and *ret when found, 0 when not. The
 * v1 name of "io" is "blkio". */
int cg_mountinfo_find_v1(const char *mountinfo, CgController c, char **ret);

/* Whether controller c appears in a space-separated cgroup.controllers text. */
bool cg_controllers_has(const char *controllers, CgController c);

/* Whether the kernel knows controller c, from a /proc/cgroups text. */
bool cg_proc_cgroups_has(const char *proc_cgroups, CgController c);

/* Path of this process's cgroup2 membership ("0::/x/y" -> "/x/y") from a
 * /proc/self/cgroup text. */
int cg_proc_self_v2_path(const char *proc_self_cgroup, char **ret);

/* Open (O_DIRECTORY|O_CLOEXEC) this process's own cgroup2 directory. */
int cg_open_self(const CgProbe *p, int *ret_fd);
