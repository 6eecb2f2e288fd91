/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every launcher call of corrald, behind an asynchronous interface: a start
 * returns at once and its completion arrives later on the loop. Inside, the
 * engine's async launcher: ns_launch_start() (after the credentials
 * resolver) or ns_exec_start() for a command inside the running service,
 * the handshake fd on the loop, ns_launch_abort() and a child source to
 * reap on cancel. */

#include <systemd/sd-event.h>

#include "error.h"
#include "ns-launch.h"
#include "unit.h"

typedef struct SvcLaunch SvcLaunch;

typedef struct SvcLaunchRequest {
        const UnitConfig *unit;         /* borrowed */
        char *const *argv;              /* borrowed; expanded */
        const char *path;               /* borrowed; the program executed, NULL: argv[0]
                                         * (differs with the '@' prefix) */
        NsLaunchFlags flags;            /* NS_LAUNCH_NO_USER_CHANGE ('!', '+'), also for
                                         * a command inside the running service */
        char *const *environment;       /* borrowed; $NOTIFY_SOCKET, $MAINPID... */
        int cgroup_fd;                  /* borrowed */
        int stdio[3];                   /* borrowed; -EBADF: /dev/null */
        int enter_pidfd;                /* borrowed; >= 0: run inside this running
                                         * process's namespaces (control commands while the
                                         * main process runs), else a sandbox of its own */
        int join_pidfd;                 /* borrowed; JoinsNamespaceOf= OTHER's process */
        const char *join_name;
        const char *runtime_dir;
        NsSetupHook setup_hook;         /* optional (networking) */
        void *setup_userdata;
        int status_record_fd;           /* borrowed; a main launch's status record
                                         * (NsLaunchParams.status_record_fd), -EBADF: none */
} SvcLaunchRequest;

/* Once, from the loop: r >= 0 with *proc filled (take what you keep and set
 * those fds to -EBADF; the rest is closed after the call), or r < 0 with err
 * naming the step. The SvcLaunch is freed after the callback. */
typedef void (*SvcLaunchDone)(int r, NsProcess *proc, const CrlError *err, void *userdata);

int svc_launch_start(sd_event *e, const SvcLaunchRequest *req, SvcLaunchDone done, void *userdata,
                     SvcLaunch **ret, CrlError *reterr);
/* Cancel: no callback; a child that exists is killed. Returns NULL. */
SvcLaunch *svc_launch_abort(SvcLaunch *l);
