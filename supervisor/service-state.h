/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The service state machine as pure code: the internal states, the events
 * that move them, and one table of (state, event) -> action. service.c
 * performs the actions; everything here is testable without a process
 * (tests/unit/test-service-state.c). The table is reproduced in
 * docs/design.md ("Service state machine"). */

#include <stdbool.h>
#include <stdint.h>

#include "manager.h"
#include "unit.h"

/* Finer than SubState: each maps to one (ActiveState, SubState) pair. */
typedef enum ServiceState {
        SVC_DEAD,               /* inactive/dead */
        SVC_FAILED,             /* failed/failed */
        SVC_START_PRE,          /* activating/start-pre: an ExecStartPre= runs */
        SVC_START,              /* activating/start: main launched, not yet ready */
        SVC_START_POST,         /* activating/start: an ExecStartPost= runs */
        SVC_RUNNING,            /* active/running */
        SVC_EXITED,             /* active/exited: oneshot with RemainAfterExit= */
        SVC_RELOAD,             /* active/running: an ExecReload= runs */
        SVC_STOP,               /* deactivating/stop-sigterm: an ExecStop= runs */
        SVC_STOP_SIGTERM,       /* deactivating/stop-sigterm: KillSignal= sent */
        SVC_STOP_SIGKILL,       /* deactivating/stop-sigkill: cgroup.kill written */
        SVC_AUTO_RESTART,       /* activating/auto-restart: RestartSec= timer */
        _SVC_STATE_MAX,
        _SVC_STATE_INVALID = -EINVAL,
} ServiceState;

typedef enum ServiceEvent {
        SVC_EV_START,           /* a start job (or a dependency pulled it in) */
        SVC_EV_STOP,            /* a stop job */
        SVC_EV_RELOAD,          /* a reload job (ExecReload=) */
        SVC_EV_CONTROL_OK,      /* a control command exited with success (or '-' prefix) */
        SVC_EV_CONTROL_FAIL,    /* a control command failed (exit, signal, launch) */
        SVC_EV_LAUNCHED,        /* the main process runs (forked; exec'd) */
        SVC_EV_LAUNCH_FAIL,     /* the main process could not be launched */
        SVC_EV_MAIN_OK,         /* the main process exited with success */
        SVC_EV_MAIN_FAIL,       /* the main process exited with failure */
        SVC_EV_READY,           /* READY=1 (Type=notify) */
        SVC_EV_TIMEOUT,         /* TimeoutStartSec=/TimeoutStopSec= */
        SVC_EV_EMPTY,           /* cgroup.events populated 0 */
        SVC_EV_OOM_KILL,        /* memory.events oom_kill increased */
        SVC_EV_RESTART_TIMER,   /* RestartSec= elapsed */
        _SVC_EV_MAX,
        _SVC_EV_INVALID = -EINVAL,
} ServiceEvent;

typedef enum ServiceAction {
        SVC_A_IGNORE,           /* nothing to do in this state */
        SVC_A_BEGIN_START,      /* start limit, cgroup, then ExecStartPre= or the main */
        SVC_A_QUEUE_START,      /* start again once the stop completes */
        SVC_A_NEXT_PRE,         /* next ExecStartPre=, or launch the main */
        SVC_A_STARTED,          /* simple/exec: ready; notify/oneshot: wait */
        SVC_A_READY,            /* ExecStartPost= or running */
        SVC_A_NEXT_POST,        /* next ExecStartPost=, or running/exited/stop */
        SVC_A_MAIN_EXIT_START,  /* oneshot: next ExecStart= or post; others: failed */
        SVC_A_MAIN_EXITED,      /* the main process ended while active: stop path */
        SVC_A_RECORD_EXIT,      /* note the main process's end, stay */
        SVC_A_FAIL,             /* result set; kill what is left, then failed/restart */
        SVC_A_START_TIMEOUT,    /* Result=timeout, kill */
        SVC_A_STOP,             /* ExecStop= (if the main ran) or KillSignal= */
        SVC_A_NEXT_STOP,        /* next ExecStop=, or KillSignal= */
        SVC_A_STOP_TIMEOUT,     /* cgroup.kill: stop-sigkill */
        SVC_A_GIVE_UP,          /* still populated after SIGKILL's timeout: leave it */
        SVC_A_MAIN_GONE,        /* in stop: cgroup.kill what is left, or done */
        SVC_A_CHECK_DONE,       /* in stop: done when nothing runs and the cgroup is empty */
        SVC_A_RELOAD,           /* run ExecReload= */
        SVC_A_RELOAD_DONE,      /* back to running; the job's result */
        SVC_A_RELOAD_TIMEOUT,   /* kill the ExecReload= command; running */
        SVC_A_OOM,              /* Result=oom-kill, OOMPolicy= */
        SVC_A_CANCEL_RESTART,   /* stop in auto-restart: dead */
        SVC_A_AUTO_RESTART,     /* NRestarts++, start again */
        _SVC_A_MAX,
} ServiceAction;

ServiceAction service_transition(ServiceState state, ServiceEvent event);

ServiceActiveState service_state_active(ServiceState s);
ServiceSubState service_state_sub(ServiceState s);
const char *service_state_to_string(ServiceState s);
const char *service_event_to_string(ServiceEvent e);
const char *service_action_to_string(ServiceAction a);

/* Where a start goes once the main process runs: SVC_START (wait for
 * READY=1 or, oneshot, the exit), SVC_START_POST or SVC_RUNNING. */
ServiceState service_state_after_launch(ServiceType type, bool has_post);
/* Where the start goes after the last ExecStartPost= (or without any):
 * running; a oneshot whose command ended: exited with RemainAfterExit=,
 * else the stop path (SVC_STOP with ExecStop=, else SVC_STOP_SIGTERM). */
ServiceState service_state_after_post(ServiceType type, bool main_alive, bool remain_after_exit,
                                      bool has_stop);

/* Restart= per systemd.service(5)'s table (as systemd's service_shall_restart()):
 * whether an end with this result restarts. A clean exit (0, SIGHUP, SIGINT,
 * SIGTERM, SIGPIPE, SuccessExitStatus=) is SERVICE_SUCCESS already. A stop
 * job never restarts. */
bool service_restart_wanted(RestartPolicy p, ServiceResult result);

/* RestartSec= with RestartSteps=/RestartMaxDelaySec=: the n-th restart
 * (0-based) waits restart_usec * (max/restart_usec)^(min(n,steps)/steps). */
usec_t service_restart_delay(usec_t restart_usec, unsigned steps, usec_t max_delay_usec, unsigned n);

/* StartLimitIntervalSec=/StartLimitBurst=: times[] holds the monotonic times
 * of the last starts (ring of burst entries, *n used, oldest first). Returns
 * true when a start at now would exceed the burst; else records now. */
bool service_start_limit_hit(usec_t interval_usec, unsigned burst, usec_t *times, unsigned *n, usec_t now);
