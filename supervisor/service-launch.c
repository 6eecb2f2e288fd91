/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "service-launch.h"

struct SvcLaunch {
        sd_event_source *defer;
        SvcLaunchDone done;
        void *userdata;
        int r;
        NsProcess proc;
        CrlError error;
};

static SvcLaunch *launch_free(SvcLaunch *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->defer);
        ns_process_done(&l->proc);
        free(l);
        return NULL;
}

static int on_complete(sd_event_source *src, void *userdata) {
        SvcLaunch *l = userdata;

        l->done(l->r, &l->proc, l->r < 0 ? &l->error : NULL, l->userdata);
        launch_free(l);
        return 0;
}

static int launch_now(const SvcLaunchRequest *req, NsProcess *ret, CrlError *reterr) {
        if (req->enter_pidfd >= 0) {
                NsExecParams x = {
                        .target_pidfd = req->enter_pidfd,
                        .cgroup_fd = req->cgroup_fd,
                        .argv = req->argv,
                        .environment = req->environment,
                        .user = req->unit->user,
                        .stdin_fd = req->stdio[0],
                        .stdout_fd = req->stdio[1],
                        .stderr_fd = req->stdio[2],
                };
                return ns_exec(&x, ret, reterr);
        }
        NsLaunchParams p;

        ns_launch_params_init(&p, req->unit);
        p.argv = req->argv;
        p.environment = req->environment;
        p.cgroup_fd = req->cgroup_fd;
        p.stdin_fd = req->stdio[0];
        p.stdout_fd = req->stdio[1];
        p.stderr_fd = req->stdio[2];
        p.join_pidfd = req->join_pidfd;
        p.join_name = req->join_name;
        p.runtime_dir = req->runtime_dir;
        p.setup_hook = req->setup_hook;
        p.setup_userdata = req->setup_userdata;
        return ns_launch(&p, ret, reterr);
}

int svc_launch_start(sd_event *e, const SvcLaunchRequest *req, SvcLaunchDone done, void *userdata,
                     SvcLaunch **ret, CrlError *reterr) {
        SvcLaunch *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return crl_error_set(reterr, ENOMEM, "launch: out of memory");
        l->proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        l->done = done;
        l->userdata = userdata;
        r = sd_event_add_defer(e, &l->defer, on_complete, l);
        if (r < 0) {
                free(l);
                return crl_error_set(reterr, -r, "launch: cannot add an event source: %s", strerror(-r));
        }
        /* Synchronous until the engine's async launcher lands: the result
         * is handed over on the next turn of the loop, as it will be then. */
        l->r = launch_now(req, &l->proc, &l->error);
        *ret = l;
        return 0;
}

SvcLaunch *svc_launch_abort(SvcLaunch *l) {
        siginfo_t si;

        if (l && l->proc.pidfd >= 0) {
                /* The child exec'd already (the launch is synchronous today):
                 * kill and reap it; the async launcher's abort will not wait. */
                (void) crl_pidfd_send_signal(l->proc.pidfd, SIGKILL, NULL, 0);
                (void) waitid(P_PIDFD, (id_t) l->proc.pidfd, &si, WEXITED);
        }
        return launch_free(l);
}
