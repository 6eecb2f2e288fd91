/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What corrald keeps of a running service under RUNTIME_DIR/services/NAME,
 * so a new corrald (after kill -9) re-adopts it: written atomically (temp
 * file, rename; no fsync, see runtime_state_write()), read back line by line ("KEY=VALUE"), unknown keys
 * ignored. */

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

typedef struct RuntimeState {
        char *name;
        pid_t main_pid;
        uint64_t main_start_time;       /* /proc/PID/stat field 22 (clock ticks since boot) */
        pid_t init_pid;                 /* PrivatePIDs: the init corrald reaps, else == main_pid */
        uint64_t init_start_time;
        char *cgroup_path;              /* "/corral/web.service" */
        char *ip_address;               /* "" when none */
        char *unit_path;                /* the unit file it was started from; "" transient */
        char *notify_socket;            /* "" when none */
        char *log_path;                 /* "" when none */
        pid_t logger_pid;
        uint64_t logger_start_time;
        unsigned n_restarts;
        uint64_t active_enter_usec;     /* CLOCK_REALTIME */
        unsigned long namespaces;
        char *sub_state;                /* "running", "exited" */
} RuntimeState;

void runtime_state_done(RuntimeState *s);

int runtime_state_write(int dir_fd, const RuntimeState *s, CrlError *reterr);
int runtime_state_read(int dir_fd, const char *name, RuntimeState *ret, CrlError *reterr);
int runtime_state_remove(int dir_fd, const char *name);
/* Names of the records in dir_fd, sorted: its regular files with a valid
 * name, none hidden (also used for the status records' directory). */
int runtime_state_list(int dir_fd, char ***ret);
/* The same walk with another filter: the entries keep() accepts (NULL:
 * every entry but "." and "..", hidden ones too), sorted; returns how many. */
int runtime_dir_list(int dir_fd, bool (*keep)(int dir_fd, const struct dirent *de), char ***ret);

/* The engine's status record of a service's main process
 * (NsLaunchParams.status_record_fd), RUNTIME_DIR/status/NAME: one line
 * corral's init writes when the command ends, which outlives corrald.
 * _create: a new, empty file (a new inode, so that an init of an earlier
 * run that still holds the old one cannot write into it) put in place
 * atomically, read-write, O_CLOEXEC. _open: the existing one, read-only;
 * -ENOENT when there is none. _remove: missing = success. */
int status_record_create(int dir_fd, const char *name, int *ret_fd);
int status_record_open(int dir_fd, const char *name, int *ret_fd);
int status_record_remove(int dir_fd, const char *name);

/* /proc/PID/stat start time, to tell a recorded pid from a reused one. */
int proc_start_time(pid_t pid, uint64_t *ret);
/* pidfd_open(pid) and check the start time still matches (then the pidfd
 * is that process for good): -ESRCH when it is gone or was reused. */
int pidfd_open_checked(pid_t pid, uint64_t start_time, int *ret_pidfd);
