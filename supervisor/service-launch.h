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

/* At most max launches in a sandbox between their clone and their end at a
 * time; the rest wait in start order. Starting a thousand services at
 * once would otherwise clone a thousand children before the loop read
 * the first one's message: they would crowd two CPUs, and each would keep
 * the fds of all those before it (ns_plan_fd_floor()). A launch that takes
 * longer than SVC_LAUNCH_SLOT_USEC (a hung mount, TimeoutStartSec= will
 * end it) gives its slot up, so slow ones cannot hold the others back.
 * One per Manager. Commands inside a running service are not counted. */
#define SVC_LAUNCH_SLOT_USEC (1000 * 1000ULL)
typedef struct SvcLaunchPool {
        sd_event *event;                /* borrowed */
        unsigned max, running;
        unsigned n_queued;              /* in the queue below */
        SvcLaunch *queue_head, *queue_tail; /* borrowed: waiting for a slot */
        sd_event_source *kick;          /* owned: starts waiting launches on the next turn */
        void (*slot_freed)(void *userdata);     /* optional: a slot went free */
        void *userdata;
} SvcLaunchPool;

void svc_launch_pool_init(SvcLaunchPool *p, sd_event *e, unsigned max);
void svc_launch_pool_done(SvcLaunchPool *p);
/* Every slot is taken or promised to a queued launch: a new launch would
 * wait in the queue. The manager holds its starts back then
 * (manager-dispatch.c), so that what a start allocates for its launch is
 * freed before the next start allocates what lasts. Launches still
 * resolving credentials are not counted: a lookup that hangs (NSS) must
 * not hold back the starts that need none. */
bool svc_launch_pool_full(const SvcLaunchPool *p);

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
        const char *directory_root;     /* ServiceDirectoryRoot=, NULL: / */
        NsSetupHook setup_hook;         /* optional (networking) */
        void *setup_userdata;
        int status_record_fd;           /* borrowed; a main launch's status record
                                         * (NsLaunchParams.status_record_fd), -EBADF: none */
        SvcLaunchPool *pool;            /* borrowed; NULL: no limit */
        int mount_template_fd;          /* borrowed; NsLaunchParams.mount_template_fd */
        int executor_fd;                /* borrowed; NsLaunchParams.executor_fd */
        const struct rlimit *nofile;    /* borrowed; NsLaunchParams.nofile */
        const NsSeccomp *seccomp;       /* borrowed, as unit; the unit's filters, NULL: none */
} SvcLaunchRequest;

/* Once, from the loop: r >= 0 with *proc filled (take what you keep and set
 * those fds to -EBADF; the rest is closed after the call), or r < 0 with err
 * naming the step. The SvcLaunch is freed after the callback. */
typedef void (*SvcLaunchDone)(int r, NsProcess *proc, const CrlError *err, void *userdata);

int svc_launch_start(sd_event *e, const SvcLaunchRequest *req, SvcLaunchDone done, void *userdata,
                     SvcLaunch **ret, CrlError *reterr);
/* Cancel: no callback; a child that exists is killed. Returns NULL. */
SvcLaunch *svc_launch_abort(SvcLaunch *l);
