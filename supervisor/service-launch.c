/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald's launches as events: the unit's credentials resolved off the
 * loop (ns_creds_resolve_start, its pidfd on the loop), then
 * ns_launch_start() with the handshake fd on the loop and
 * ns_launch_dispatch() on each wake-up. A command inside a running service
 * is the same with ns_exec_start() (its -u user is looked up inside the
 * service, by the child). An abort (TimeoutStartSec, stop, exit) kills
 * without waiting: the child's pidfd is reaped by an sd-event child
 * source. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "service-launch.h"
#include "strv.h"

struct SvcLaunch {
        sd_event *event;
        sd_event_source *defer;         /* an early failure */
        sd_event_source *creds_source;  /* the resolver's pidfd */
        sd_event_source *io;            /* ns_launch_fd() */
        NsCredsResolve *resolve;
        NsCreds *creds;
        NsLaunch *launch;
        SvcLaunchRequest req;           /* argv, environment and the fds below are copies */
        char **argv, **environment;
        char *path;
        int fds[5];                     /* stdin, stdout, stderr, join pidfd, status record */
        SvcLaunchDone done;
        void *userdata;
        int r;
        NsProcess proc;
        CrlError error;
        SvcLaunch *queue_next;          /* in req.pool's queue */
        bool queued, counted;           /* waiting for a slot; holding one */
        sd_event_source *slot_timer;    /* gives the slot up after SVC_LAUNCH_SLOT_USEC */
};

static void pool_kick(SvcLaunchPool *p) {
        if (p->kick)
                (void) sd_event_source_set_enabled(p->kick, SD_EVENT_ONESHOT);
}

/* A slot went free, or a launch that waited for one ended. */
static void pool_freed(SvcLaunchPool *p) {
        if (p->queue_head)
                pool_kick(p);
        else if (p->slot_freed)
                p->slot_freed(p->userdata);
}

static void slot_release(SvcLaunch *l) {
        if (!l->counted)
                return;
        l->counted = false;
        l->slot_timer = sd_event_source_disable_unref(l->slot_timer);
        l->req.pool->running--;
        pool_freed(l->req.pool);
}

static int on_slot_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        slot_release(userdata);
        return 0;
}

static void slot_take(SvcLaunch *l) {
        l->counted = true;
        l->req.pool->running++;
        /* Without the timer the launch keeps its slot till its end: still correct. */
        (void) sd_event_add_time_relative(l->event, &l->slot_timer, CLOCK_MONOTONIC, SVC_LAUNCH_SLOT_USEC, 0,
                                          on_slot_timer, l);
}

static void queue_remove(SvcLaunch *l) {
        SvcLaunchPool *p = l->req.pool;
        SvcLaunch **pp = &p->queue_head, *prev = NULL;

        if (!l->queued)
                return;
        for (; *pp && *pp != l; pp = &(*pp)->queue_next)
                prev = *pp;
        if (*pp)
                *pp = l->queue_next;
        if (p->queue_tail == l)
                p->queue_tail = prev;
        l->queue_next = NULL;
        l->queued = false;
        p->n_queued--;
}

static void queue_append(SvcLaunch *l) {
        SvcLaunchPool *p = l->req.pool;

        l->queued = true;
        p->n_queued++;
        if (p->queue_tail)
                p->queue_tail->queue_next = l;
        else
                p->queue_head = l;
        p->queue_tail = l;
}

static int on_reaped(sd_event_source *src, const siginfo_t *si, void *userdata) {
        sd_event_source_disable_unref(src);
        return 0;
}

/* An aborted child: sd-event reaps it when it is gone and closes pidfd. */
static void reap_later(sd_event *e, int pidfd) {
        sd_event_source *src = NULL;
        siginfo_t si;

        if (pidfd < 0)
                return;
        if (sd_event_add_child_pidfd(e, &src, pidfd, WEXITED, on_reaped, NULL) < 0) {
                (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG);
                safe_close(pidfd);
                return;
        }
        (void) sd_event_source_set_child_pidfd_own(src, true);
        (void) sd_event_source_set_floating(src, true);
        sd_event_source_unref(src);
}

static SvcLaunch *launch_free(SvcLaunch *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->defer);
        sd_event_source_disable_unref(l->creds_source);
        sd_event_source_disable_unref(l->io);
        if (l->req.pool) {
                bool queued = l->queued;

                queue_remove(l);
                if (queued)
                        pool_freed(l->req.pool);
                slot_release(l);
        }
        if (l->resolve)
                reap_later(l->event, ns_creds_resolve_abort(l->resolve));
        if (l->launch)
                reap_later(l->event, ns_launch_abort(l->launch));
        ns_creds_free(l->creds);
        if (l->proc.pidfd >= 0) {       /* exec'd, never handed over */
                (void) crl_pidfd_send_signal(l->proc.pidfd, SIGKILL, NULL, 0);
                reap_later(l->event, TAKE_FD(l->proc.pidfd));
        }
        ns_process_done(&l->proc);
        strv_free(l->argv);
        strv_free(l->environment);
        free(l->path);
        for (size_t i = 0; i < ELEMENTSOF(l->fds); i++)
                safe_close(l->fds[i]);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

static void complete(SvcLaunch *l, int r) {
        l->r = r;
        l->done(r, &l->proc, r < 0 ? &l->error : NULL, l->userdata);
        launch_free(l);
}

static int on_complete(sd_event_source *src, void *userdata) {
        SvcLaunch *l = userdata;

        complete(l, l->r);
        return 0;
}

/* Fail on the next turn of the loop: the callback never runs inside start. */
static int complete_later(SvcLaunch *l, int r) {
        l->r = r;
        if (l->defer)
                return sd_event_source_set_enabled(l->defer, SD_EVENT_ONESHOT);
        return sd_event_add_defer(l->event, &l->defer, on_complete, l);
}

static int on_launch_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        SvcLaunch *l = userdata;
        int r = ns_launch_dispatch(l->launch, &l->proc, &l->error);

        if (r == -EAGAIN)
                return 0;
        l->io = sd_event_source_disable_unref(l->io);
        if (r >= 0)
                l->launch = ns_launch_free(l->launch);  /* succeeded: nothing to kill */
        complete(l, r);         /* a failed launch is aborted and reaped by launch_free() */
        return 0;
}

static int watch_launch(SvcLaunch *l) {
        int r = sd_event_add_io(l->event, &l->io, ns_launch_fd(l->launch), EPOLLIN, on_launch_io, l);

        if (r < 0)
                return crl_error_set(&l->error, -r, "launch: cannot watch the handshake: %s", strerror(-r));
        return 0;
}

static int begin_launch(SvcLaunch *l) {
        const SvcLaunchRequest *req = &l->req;
        NsLaunchParams p;
        int r;

        ns_launch_params_init(&p, req->unit);
        p.argv = l->argv;
        p.path = l->path;
        p.flags = req->flags;
        p.environment = l->environment;
        p.creds = l->creds;
        p.cgroup_fd = req->cgroup_fd;
        p.stdin_fd = l->fds[0];
        p.stdout_fd = l->fds[1];
        p.stderr_fd = l->fds[2];
        p.join_pidfd = l->fds[3];
        p.join_name = req->join_name;
        p.runtime_dir = req->runtime_dir;
        p.directory_root = req->directory_root;
        p.setup_hook = req->setup_hook;
        p.setup_userdata = req->setup_userdata;
        p.status_record_fd = l->fds[4];
        p.mount_template_fd = req->mount_template_fd;
        p.executor_fd = req->executor_fd;
        p.nofile = req->nofile;
        p.seccomp = req->seccomp;
        /* The range stays with the service's name across restarts; one
         * corrald holds the runtime dir, so the lock is never contended. */
        if (req->unit->private_users == PRIVATE_USERS_PICK) {
                r = ns_userns_try_pick(req->runtime_dir ?: "/run/corral", req->unit->name, &p.userns_base,
                                       &l->error);
                if (r < 0)
                        return r;
        }
        r = ns_launch_start(&p, &l->launch, &l->error);
        return r < 0 ? r : watch_launch(l);
}

/* The clone, now or once a slot of the pool is free. */
static int begin_or_queue(SvcLaunch *l) {
        SvcLaunchPool *p = l->req.pool;

        if (p && p->running >= p->max) {
                queue_append(l);
                return 0;
        }
        if (p)
                slot_take(l);
        return begin_launch(l);
}

static int on_pool_kick(sd_event_source *src, void *userdata) {
        SvcLaunchPool *p = userdata;

        while (p->queue_head && p->running < p->max) {
                SvcLaunch *l = p->queue_head;
                int r;

                queue_remove(l);
                slot_take(l);
                r = begin_launch(l);
                if (r < 0)
                        complete(l, r);         /* frees l, and its slot */
        }
        return 0;
}

void svc_launch_pool_init(SvcLaunchPool *p, sd_event *e, unsigned max) {
        *p = (SvcLaunchPool) { .event = e, .max = max > 0 ? max : 1 };
        /* Without it, nothing waits: max is then the only bound lifted. */
        if (sd_event_add_defer(e, &p->kick, on_pool_kick, p) < 0)
                p->max = UINT_MAX;
        else
                (void) sd_event_source_set_enabled(p->kick, SD_EVENT_OFF);
}

bool svc_launch_pool_full(const SvcLaunchPool *p) {
        return p->running + p->n_queued >= p->max;
}

void svc_launch_pool_done(SvcLaunchPool *p) {
        p->kick = sd_event_source_disable_unref(p->kick);
}

static int on_creds(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        SvcLaunch *l = userdata;
        int r = ns_creds_resolve_finish(l->resolve, &l->creds, &l->error);

        if (r == -EAGAIN)
                return 0;
        l->creds_source = sd_event_source_disable_unref(l->creds_source);
        l->resolve = ns_creds_resolve_free(l->resolve);
        if (r >= 0)
                r = begin_or_queue(l);
        if (r < 0)
                complete(l, r);
        return 0;
}

/* The request's borrowed parts that must outlive this call. */
static int copy_request(SvcLaunch *l, const SvcLaunchRequest *req) {
        const int fds[5] = { req->stdio[0], req->stdio[1], req->stdio[2], req->join_pidfd, req->status_record_fd };

        l->req = *req;
        l->argv = strv_copy(req->argv);
        l->environment = req->environment ? strv_copy(req->environment) : NULL;
        l->path = req->path ? strdup(req->path) : NULL;
        if (!l->argv || (req->environment && !l->environment) || (req->path && !l->path))
                return crl_error_set(&l->error, ENOMEM, "launch: out of memory");
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (fds[i] >= 0 && (l->fds[i] = fd_dup_high(fds[i])) < 0)
                        return crl_error_set(&l->error, -l->fds[i], "launch: cannot duplicate an fd: %s",
                                             strerror(-l->fds[i]));
        return 0;
}

static int start_in_sandbox(SvcLaunch *l, const SvcLaunchRequest *req) {
        int r = copy_request(l, req);

        if (r >= 0)
                r = ns_creds_resolve_start(req->unit, &l->resolve, &l->error);
        if (r == 0) {
                r = sd_event_add_io(l->event, &l->creds_source, ns_creds_resolve_fd(l->resolve), EPOLLIN,
                                    on_creds, l);
                if (r < 0)
                        return crl_error_set(&l->error, -r, "launch: cannot watch the credentials resolver: %s",
                                             strerror(-r));
                return 0;
        }
        if (r > 0) {            /* nothing to look up: resolved already */
                r = ns_creds_resolve_finish(l->resolve, &l->creds, &l->error);
                l->resolve = ns_creds_resolve_free(l->resolve);
        }
        return r < 0 ? r : begin_or_queue(l);
}

/* Everything but the cgroup fd (the service's, borrowed as for a launch) is
 * done with once ns_exec_start() returned. */
static int exec_in_service(SvcLaunch *l, const SvcLaunchRequest *req) {
        NsExecParams x = {
                .target_pidfd = req->enter_pidfd,
                .cgroup_fd = req->cgroup_fd,
                .argv = req->argv,
                .path = req->path,
                .environment = req->environment,
                .user = (req->flags & NS_LAUNCH_NO_USER_CHANGE) ? NULL : req->unit->user,
                .stdin_fd = req->stdio[0],
                .stdout_fd = req->stdio[1],
                .stderr_fd = req->stdio[2],
                .unit = req->unit,
                .seccomp = req->seccomp,
        };
        int r;

        r = ns_exec_start(&x, &l->launch, &l->error);
        return r < 0 ? r : watch_launch(l);
}

int svc_launch_start(sd_event *e, const SvcLaunchRequest *req, SvcLaunchDone done, void *userdata,
                     SvcLaunch **ret, CrlError *reterr) {
        SvcLaunch *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return crl_error_set(reterr, ENOMEM, "launch: out of memory");
        l->event = sd_event_ref(e);
        l->proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        for (size_t i = 0; i < ELEMENTSOF(l->fds); i++)
                l->fds[i] = -EBADF;
        l->done = done;
        l->userdata = userdata;
        r = req->enter_pidfd >= 0 ? exec_in_service(l, req) : start_in_sandbox(l, req);
        /* A failure: the callback runs on the next turn. */
        if (r < 0 && complete_later(l, r) < 0) {
                *reterr = l->error;
                launch_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

SvcLaunch *svc_launch_abort(SvcLaunch *l) {
        return launch_free(l);
}
