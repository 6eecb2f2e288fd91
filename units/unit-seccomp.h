/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to units/: systemd 252's system call groups
 * (unit-syscall-groups.c) for the seccomp keys (unit-keys-seccomp.c). */

#include <stddef.h>

#include "macros.h"

typedef struct SyscallGroup {
        const char *name;               /* "@clock" */
        const char *help;
        const char *const *members;     /* NULL-terminated; "@x" is group @x */
} SyscallGroup;

extern const char *const syscall_names[];      /* sorted */
extern const size_t syscall_names_n;
extern const SyscallGroup syscall_groups[];
extern const size_t syscall_groups_n;
