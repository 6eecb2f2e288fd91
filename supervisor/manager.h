/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corrald's core: the Manager (every loaded service, the one sd-event loop,
 * the engine contexts) and the Service state machine of spec §4.
 *
 * This header is the contract between the core (manager*.c, service*.c) and
 * the D-Bus layer (bus*.c): the bus parses and checks a call, calls one of
 * these functions, and replies; the core tells the bus what changed through
 * the bus_*() notifications of bus.h. Neither side reaches into the other's
 * structures. Everything runs on the loop's one thread. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "unit.h"

typedef struct Manager Manager;
typedef struct Service Service;

/* Exactly the values of spec §4; *_to_string() gives the spec's spelling. */
typedef enum ServiceActiveState {
        SERVICE_INACTIVE,
        SERVICE_ACTIVATING,
        SERVICE_ACTIVE,
        SERVICE_DEACTIVATING,
        SERVICE_FAILED,
        _SERVICE_ACTIVE_STATE_MAX,
        _SERVICE_ACTIVE_STATE_INVALID = -EINVAL,
} ServiceActiveState;

typedef enum ServiceSubState {
        SERVICE_DEAD,
        SERVICE_START_PRE,
        SERVICE_START,
        SERVICE_RUNNING,
        SERVICE_EXITED,
        SERVICE_STOP_SIGTERM,
        SERVICE_STOP_SIGKILL,
        SERVICE_AUTO_RESTART,
        SERVICE_SUB_FAILED,
        _SERVICE_SUB_STATE_MAX,
        _SERVICE_SUB_STATE_INVALID = -EINVAL,
} ServiceSubState;

typedef enum ServiceResult {
        SERVICE_SUCCESS,
        SERVICE_FAILURE_EXIT_CODE,
        SERVICE_FAILURE_SIGNAL,
        SERVICE_FAILURE_CORE_DUMP,
        SERVICE_FAILURE_OOM_KILL,
        SERVICE_FAILURE_TIMEOUT,
        SERVICE_FAILURE_START_LIMIT_HIT,
        SERVICE_FAILURE_RESOURCES,
        _SERVICE_RESULT_MAX,
        _SERVICE_RESULT_INVALID = -EINVAL,
} ServiceResult;

const char *service_active_state_to_string(ServiceActiveState s);
const char *service_sub_state_to_string(ServiceSubState s);
const char *service_result_to_string(ServiceResult r);

/* What changed, for PropertiesChanged (bus_service_changed()). */
typedef enum ServiceChange {
        SERVICE_CHANGE_ACTIVE_STATE  = 1 << 0,
        SERVICE_CHANGE_SUB_STATE     = 1 << 1,
        SERVICE_CHANGE_RESULT        = 1 << 2,
        SERVICE_CHANGE_MAIN_PID      = 1 << 3,
        SERVICE_CHANGE_N_RESTARTS    = 1 << 4,
        SERVICE_CHANGE_FREEZER_STATE = 1 << 5,
        SERVICE_CHANGE_STATUS_TEXT   = 1 << 6,
} ServiceChange;

/* A snapshot of one service for the bus: pointers are borrowed from the
 * Service and valid until the next turn of the loop. Counters (memory, CPU,
 * tasks, IO, pressure) are not here: the bus reads them from the cgroup on
 * every get through service_stats(). */
typedef struct ServiceInfo {
        const char *name;               /* "web", "worker@3", "run-4" */
        const char *object_path;        /* "/org/corral1/service/web" */
        const char *description;        /* "" when none */
        const char *unit_path;          /* "" for a transient unit */
        ServiceActiveState active_state;
        ServiceSubState sub_state;
        ServiceResult result;
        bool frozen;                    /* FreezerState "frozen" */
        pid_t main_pid;                 /* 0 when not running */
        int main_pidfd;                 /* borrowed, -EBADF when not running (NamespaceIds) */
        int exec_main_status;           /* exit code or signal number of the last main process */
        unsigned n_restarts;
        uint64_t active_enter_usec, inactive_enter_usec;        /* CLOCK_REALTIME, 0: never */
        const char *cgroup_path;        /* "/corral/web.service", "" when none */
        unsigned long namespaces;       /* CLONE_NEW* the service has of its own */
        const char *hostname;           /* "" when none */
        const char *ip_address;         /* "10.89.0.2", "" when none */
        const char *log_path;           /* "" when the output goes elsewhere */
        const char *status_text;        /* last STATUS=, "" when none */
        char *const *warnings;          /* NULL-terminated, may be NULL */
        const UnitConfig *unit;         /* the config the service runs with (limits when no cgroup) */
        bool transient;
} ServiceInfo;

void service_info(Service *s, ServiceInfo *ret);

/* The cgroup's counters, read now (cgroup/'s CgStats); -ENXIO when the
 * service has no cgroup (not running). */
struct CgStats;
int service_stats(Service *s, struct CgStats *ret);

/* A job the bus started (Start, Stop, Restart, Reload, Freeze, Thaw) ends:
 * r >= 0 success, r < 0 failure with err saying why (err NULL on success).
 * Called exactly once for every call that returned 0, from the loop, never
 * from inside the call that started the job; with -ECANCELED when the
 * service is removed or corrald exits first. */
typedef void (*ServiceJobDone)(Service *s, int r, const CrlError *err, void *userdata);

/* These return 0 when the job was queued (done follows), 1 when there was
 * nothing to do (already running / already stopped: done is not called),
 * or -errno with reterr set when the job was refused (done is not called). */
int service_start(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
int service_stop(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
int service_restart(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
int service_reload(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr); /* ExecReload= */
int service_freeze(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
int service_thaw(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
/* Signal every process of the service now; -ESRCH when it has none. */
int service_kill(Service *s, int sig, CrlError *reterr);

/* Lookup and iteration: services sorted by name. */
Service *manager_get_service(Manager *m, const char *name);
size_t manager_n_services(Manager *m);
Service *manager_service_at(Manager *m, size_t i);

/* The Reload method and SIGHUP: re-read unit files (new ones appear and
 * auto-start, changed ones apply at their next start, removed ones stop
 * and disappear). */
int manager_reload(Manager *m, CrlError *reterr);

/* RunTransient: name may be NULL/"" (corral picks run-N); properties are
 * "KEY=VALUE" in unit-file syntax; stdio_fds are the caller's fds (borrowed,
 * -EBADF: none) for the service's stdin/stdout/stderr. The unit starts at
 * once; *ret is valid until the unit is removed (spec §4). A bad property
 * fails with -EINVAL and reterr naming it, and nothing is created. */
int manager_run_transient(Manager *m, const char *name, char *const *argv, char *const *properties,
                          const int stdio_fds[3], Service **ret, CrlError *reterr);
/* A client read a transient unit's result (a get of ActiveState/Result
 * after it ended): it may go now. */
void manager_transient_result_read(Manager *m, Service *s);

/* Manager properties. */
const char *manager_cgroup_root(Manager *m);    /* "/corral" */
char **manager_controllers(Manager *m);         /* newly allocated strv: controllers corrald can enable */
const ManagerConfig *manager_config(Manager *m);

/* Whether a caller with these credentials may change anything: euid 0, or
 * a member of AdminGroup= (gids: the caller's supplementary groups and its
 * egid). */
bool manager_is_admin(Manager *m, uid_t euid, const gid_t *gids, size_t n_gids);
