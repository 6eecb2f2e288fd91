/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The list of cgroup file writes that a ResourceConfig means, built without
 * touching any cgroup (device paths are resolved by a callback), so it is
 * tested as pure code and applied by cg-service.c. */

#include <sys/types.h>

#include "cgroup.h"

typedef struct CgWrite {
        CgController controller;
        const char *key;        /* the unit key, for messages: "MemoryMax=" */
        const char *file;       /* "memory.max" */
        char *value;            /* owned */
        bool set;               /* the unit sets it; false: a default, written only on a live change */
} CgWrite;

typedef struct CgPlan {
        CgWrite *writes;
        size_t n;
} CgPlan;

void cg_plan_done(CgPlan *p);

/* Resolves PATH (IODeviceWeight= etc.) to the whole disk's device. */
typedef int (*CgDeviceResolver)(const char *path, dev_t *ret, CrlError *reterr);

/* Build the writes for rc. With defaults, unset keys get the kernel's
 * default value too (set = false), so a live change clears them. */
int cg_plan_build(const ResourceConfig *rc, CgServiceFlags flags, const CgSystem *system,
                  bool defaults, CgDeviceResolver resolve, CgPlan *ret, CrlError *reterr);

/* For a live change: clear (every key "max") each device of the current
 * io.max text that the plan no longer limits. */
int cg_plan_clear_io_max(CgPlan *p, const char *current_io_max);

/* Controllers that the set writes need. */
CgMask cg_plan_needs(const CgPlan *p);

/* The unit keys of the set writes for controller c, "MemoryMax=, MemoryHigh=". */
int cg_plan_keys(const CgPlan *p, CgController c, char **ret);

/* PATH -> MAJ:MIN of the block device it is, or the whole disk of the
 * filesystem it lives on (io.max and io.weight take only whole disks). */
int cg_device_resolve(const char *path, dev_t *ret, CrlError *reterr);
/* The whole disk of dev, looked up below a /sys/dev/block directory fd. */
int cg_device_whole_disk_at(int sys_dev_block_fd, dev_t dev, dev_t *ret);
