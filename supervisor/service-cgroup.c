/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every cgroup call of a service: its cgroup with limits, the event fd on
 * the loop (empty, OOM kills, freezer), cgroup.kill and cgroup.freeze as
 * writes whose confirmation arrives as an event. */
#include <stdlib.h>
#include <string.h>

#include "cg-probe.h"

#include "log.h"
#include "service-internal.h"
#include "strv.h"

/* FreezerState and the Freeze/Thaw jobs follow the cgroup's last seen
 * state, not its events: a KillService walk's thaw and a FreezeService
 * right after it can reach us as one change or none. A walk's own freeze
 * is not FreezerState: nothing changes while one waits. */
void service_freezer_sync(Service *s) {
        bool frozen;

        if (!s->cg || s->kill_ops)
                return;
        frozen = cg_service_frozen(s->cg);
        if (frozen != s->frozen) {
                s->frozen = frozen;
                service_changed(s, SERVICE_CHANGE_FREEZER_STATE);
        }
        if (service_has_job(s, frozen ? JOB_FREEZE : JOB_THAW))
                service_jobs_finish(s, frozen ? JOB_FREEZE : JOB_THAW, 0, NULL);
}

static void service_cgroup_news(Service *s, const CgEvents *ev) {
        /* The walks' freeze is confirmed: signal, then thaw unless a
         * FreezeService came meanwhile. */
        if (s->kill_ops && (ev->mask & CG_EVENT_FROZEN))
                service_kill_ops_finish(s);
        service_freezer_sync(s);
        if (ev->mask & CG_EVENT_OOM_KILL)
                service_event(s, SVC_EV_OOM_KILL);
        /* The OOM action may have ended the service and freed its cgroup. */
        if (s->cg && (ev->mask & CG_EVENT_EMPTY))
                service_event(s, SVC_EV_EMPTY);
}

/* Before a main process killed by SIGKILL is classified: read the
 * cgroup's files now, so an OOM kill the root fd has not delivered yet
 * (the pidfd can be faster than inotify) counts as Result=oom-kill. */
void service_cgroup_sync_events(Service *s) {
        CgEvents ev = {};

        if (s->cg && cg_service_process_events(s->cg, &ev) >= 0 && ev.mask)
                service_cgroup_news(s, &ev);
}

static void stale_news(Manager *m, CgService *cg, const CgEvents *ev);

/* One inotify fd for the whole root (one per service would hit
 * fs.inotify.max_user_instances, 128 by default). */
static int on_cgroup_root_event(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        for (;;) {
                CgService *cg = NULL;
                CgEvents ev = {};
                Service *s;
                int r = cg_root_process_events(m->cgroot, &cg, &ev);

                if (r == 0)
                        return 0;
                s = cg ? cg_service_get_userdata(cg) : NULL;
                if (r < 0 && !cg) {
                        log_warning("cgroup root: cannot read its events: %s, ignoring", strerror(-r));
                        return 0;
                }
                if (r < 0)
                        log_warning("service '%s': cannot read its cgroup's events: %s, ignoring",
                                    s ? s->name : cg_service_name(cg), strerror(-r));
                else if (s && s->cg == cg)
                        service_cgroup_news(s, &ev);
                else if (!s && cg)
                        stale_news(m, cg, &ev);
        }
}

static int manager_cgroup_watch(Manager *m) {
        int fd;

        if (m->cg_root_source)
                return 0;
        fd = cg_root_event_fd(m->cgroot);
        if (fd < 0)
                return fd;
        return sd_event_add_io(m->event, &m->cg_root_source, fd, EPOLLIN, on_cgroup_root_event, m);
}

int service_cgroup_create(Service *s, CrlError *reterr) {
        Manager *m = s->manager;
        CgServiceFlags flags = 0;
        bool bpf_loaded = s->bpf != NULL;
        char **warnings = NULL;
        int r;

        if (s->unit->oom_policy == OOM_KILL)
                flags |= CG_SERVICE_OOM_GROUP;
        if (m->config->unenforceable_limits_warn)
                flags |= CG_SERVICE_UNENFORCEABLE_WARN;
        r = cg_service_create_bpf(m->cgroot, s->name, &s->unit->resources, &s->bpf, flags, &s->cg, &warnings,
                                  reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': step 'cgroup': ", s->name);
                return r;
        }
        /* once per loaded unit: test-corrald-bpf counts these lines */
        if (!bpf_loaded && s->bpf)
                log_debug("service '%s': cgroup BPF programs loaded (%zu programs)", s->name,
                          cg_bpf_programs_count(s->bpf));
        STRV_FOREACH(w, warnings)
                log_warning("service '%s': %s", s->name, *w);
        if (service_set_warnings(s, warnings) < 0)
                log_warning("service '%s': out of memory for its warnings, ignoring", s->name);
        r = service_cgroup_watch(s, reterr);
        if (r < 0)
                service_cgroup_destroy(s);
        return r;
}

/* The path (CgroupPath) and the event fd on the loop, for a cgroup made
 * now or re-opened after a restart of corrald. */
int service_cgroup_watch(Service *s, CrlError *reterr) {
        int r;

        free(s->cgroup_path);
        s->cgroup_path = NULL;
        r = cg_service_path(s->cg, &s->cgroup_path);
        if (r >= 0)
                r = manager_cgroup_watch(s->manager);
        if (r >= 0)
                cg_service_set_userdata(s->cg, s);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': step 'cgroup': cannot watch its cgroup: %s",
                                     s->name, strerror(-r));
        return 0;
}

void service_cgroup_destroy(Service *s) {
        CrlError e = {};

        s->cg_source = sd_event_source_disable_unref(s->cg_source);
        service_kill_ops_cancel(s);
        if (!s->cg)
                return;
        /* Its totals outlive it, as systemd keeps CPUUsageNSec, IO and
         * MemoryPeak of a stopped unit. Best effort. */
        if (!s->last_stats)
                s->last_stats = malloc(sizeof(*s->last_stats));
        if (s->last_stats && cg_service_stats(s->cg, s->last_stats) < 0) {
                free(s->last_stats);
                s->last_stats = NULL;
        }
        if (cg_service_destroy(s->cg, &e) < 0)
                log_warning("service '%s': %s, leaving its cgroup", s->name, e.message);
        s->cg = cg_service_free(s->cg);
        if (s->frozen) {
                s->frozen = false;
                service_changed(s, SERVICE_CHANGE_FREEZER_STATE);
        }
}

int service_cgroup_kill(Service *s) {
        CrlError e = {};
        int r;

        if (!s->cg)
                return -ENXIO;
        /* Timeout 0: return once cgroup.kill is written; CG_EVENT_EMPTY on
         * the event fd ends the stop. */
        r = cg_service_kill(s->cg, 0, &e);
        if (r < 0)
                log_error("service '%s': %s", s->name, e.message);
        return r;
}

int service_cgroup_freeze(Service *s, bool freeze, CrlError *reterr) {
        int r = freeze ? cg_service_freeze(s->cg, 0, reterr) : cg_service_thaw(s->cg, 0, reterr);

        if (r < 0)
                crl_error_prefix(reterr, "service '%s': ", s->name);
        return r;
}

/* KillService: signal walks that run frozen. The freeze's confirmation
 * (CG_EVENT_FROZEN) or a deadline finishes them; the reply does not wait. */
struct KillOp {
        Service *service;
        CgSignalOp *op;
        int sig;
        sd_event_source *deadline;
        KillOp *next;
};

#define KILL_FREEZE_DEADLINE_USEC (1 * USEC_PER_SEC)

static void kill_op_free(KillOp *k) {
        sd_event_source_disable_unref(k->deadline);
        cg_service_signal_cancel(k->op);
        free(k);
}

static int kill_op_finish(KillOp *k, CrlError *reterr) {
        unsigned n = 0;
        int r = cg_service_signal_finish(k->op, &n, reterr);

        k->op = NULL;
        kill_op_free(k);
        if (r < 0)
                return r;
        return (int) n;
}

static void kill_op_finish_logged(Service *s, KillOp *k) {
        CrlError e = {};
        int sig = k->sig;

        if (kill_op_finish(k, &e) < 0)
                log_error("service '%s': kill with signal %d: %s", s->name, sig, e.message);
}

void service_kill_ops_finish(Service *s) {
        KillOp *k = s->kill_ops;

        s->kill_ops = NULL;
        while (k) {
                KillOp *next = k->next;

                kill_op_finish_logged(s, k);
                k = next;
        }
}

void service_kill_ops_cancel(Service *s) {
        while (s->kill_ops) {
                KillOp *k = s->kill_ops;

                s->kill_ops = k->next;
                kill_op_free(k);
        }
}

/* A task in uninterruptible sleep held the freeze back: walk anyway. */
static int on_kill_deadline(sd_event_source *src, uint64_t usec, void *userdata) {
        KillOp *k = userdata;
        Service *s = k->service;

        for (KillOp **p = &s->kill_ops; *p; p = &(*p)->next)
                if (*p == k) {
                        *p = k->next;
                        break;
                }
        log_warning("service '%s': its cgroup did not freeze within 1s, signalling anyway", s->name);
        kill_op_finish_logged(s, k);
        return 0;
}

int service_kill(Service *s, int sig, CrlError *reterr) {
        KillOp *k;
        int r;

        if (!s->cg)
                return crl_error_set(reterr, ESRCH, "service '%s' has no processes", s->name);
        k = calloc(1, sizeof(KillOp));
        if (!k)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        *k = (KillOp) { .service = s, .sig = sig };
        r = cg_service_signal_begin(s->cg, sig, &k->op, reterr);
        if (r >= 0 && s->main.pidfd >= 0 && s->main.pid != s->main.main_pid)
                cg_service_signal_skip(k->op, s->main.pid);     /* the init: it forwards to MainPID */
        if (r > 0) {            /* frozen already: walk now */
                r = kill_op_finish(k, reterr);
                if (r == 0)
                        return crl_error_set(reterr, ESRCH, "service '%s' has no processes", s->name);
        } else if (r == 0) {
                r = sd_event_add_time_relative(s->manager->event, &k->deadline, CLOCK_MONOTONIC,
                                               KILL_FREEZE_DEADLINE_USEC, 0, on_kill_deadline, k);
                if (r < 0) {
                        kill_op_free(k);
                        return crl_error_set(reterr, -r, "service '%s': cannot arm a timer: %s", s->name,
                                             strerror(-r));
                }
                k->next = s->kill_ops;
                s->kill_ops = k;
        } else
                kill_op_free(k);
        if (r < 0)
                crl_error_prefix(reterr, "service '%s': ", s->name);
        return r < 0 ? r : 0;
}

int manager_cgroup_open(Manager *m, const char *override, CrlError *reterr) {
        CgProbe probe;
        int r;

        r = cg_probe("/sys/fs/cgroup", &probe, reterr);
        if (r < 0)
                return r;
        r = cg_root_open(&probe, override ? override : m->config->cgroup_root, 0, &m->cgroot, reterr);
        if (r < 0)
                crl_error_prefix(reterr, "cgroup root: ");
        return r;
}

void manager_cgroup_remove_root(Manager *m) {
        CrlError e = {};

        if (m->cgroot && cg_root_remove(m->cgroot, &e) < 0 && e.error != EBUSY)
                log_warning("cgroup root: %s, ignoring", e.message);
}

/* A NAME.service cgroup an earlier corrald left, or NULL. */
CgService *manager_cgroup_find(Manager *m, const char *name) {
        CgService *cg = NULL;
        CrlError e = {};

        return m->cgroot && cg_service_open(m->cgroot, name, &cg, &e) >= 0 ? cg : NULL;
}

char **manager_cgroup_names(Manager *m) {
        char **l = NULL;

        if (m->cgroot)
                (void) cg_root_list_services(m->cgroot, &l);   /* none: nothing left over */
        return l;
}

/* A left-over cgroup no unit names any more: cgroup.kill now, rmdir once
 * its cgroup.events says empty (on the root's inotify fd, like a
 * service's), never a wait on the loop. One that does not empty within
 * STALE_TIMEOUT (a task in uninterruptible sleep) is left, and said so. */
#define STALE_TIMEOUT (10 * USEC_PER_SEC)

static void stale_forget(Manager *m, size_t i, bool destroy) {
        CgService *cg = m->stale_cgs[i];
        CrlError e = {};

        if (destroy && cg_service_destroy(cg, &e) < 0)
                log_warning("service '%s': %s, leaving its cgroup", cg_service_name(cg), e.message);
        cg_service_free(cg);
        m->stale_cgs[i] = m->stale_cgs[--m->n_stale_cgs];
        if (m->n_stale_cgs == 0) {
                m->stale_timer = sd_event_source_disable_unref(m->stale_timer);
                manager_dispatch_later(m);      /* a shutdown may wait for this */
        }
}

static int on_stale_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        while (m->n_stale_cgs > 0) {
                log_warning("service '%s': its left-over cgroup did not empty after cgroup.kill within %llu s, "
                            "leaving it", cg_service_name(m->stale_cgs[0]),
                            (unsigned long long) (STALE_TIMEOUT / USEC_PER_SEC));
                stale_forget(m, 0, false);
        }
        return 0;
}

static void stale_news(Manager *m, CgService *cg, const CgEvents *ev) {
        for (size_t i = 0; i < m->n_stale_cgs; i++)
                if (m->stale_cgs[i] == cg) {
                        if (ev->mask & CG_EVENT_EMPTY)
                                stale_forget(m, i, true);
                        return;
                }
}

void manager_cgroup_remove_stale(Manager *m, CgService *cg, const char *name) {
        CgService **l;
        CrlError e = {};
        int r;

        if (cg_service_kill(cg, 0, &e) < 0) {
                log_warning("service '%s': %s, leaving its cgroup", name, e.message);
                cg_service_free(cg);
                return;
        }
        if (cg_service_is_populated(cg) == 0) {
                if (cg_service_destroy(cg, &e) < 0)
                        log_warning("service '%s': %s, leaving its cgroup", name, e.message);
                cg_service_free(cg);
                return;
        }
        l = realloc(m->stale_cgs, (m->n_stale_cgs + 1) * sizeof(*l));
        r = l ? manager_cgroup_watch(m) : -ENOMEM;
        if (r >= 0 && !m->stale_timer)
                r = sd_event_add_time_relative(m->event, &m->stale_timer, CLOCK_MONOTONIC, STALE_TIMEOUT, 0,
                                               on_stale_timeout, m);
        if (l)
                m->stale_cgs = l;
        if (r < 0) {
                log_warning("service '%s': cannot wait for its left-over cgroup to empty: %s, leaving it",
                            name, strerror(-r));
                cg_service_free(cg);
                return;
        }
        cg_service_set_userdata(cg, NULL);
        m->stale_cgs[m->n_stale_cgs++] = cg;
}

void manager_cgroup_stale_free(Manager *m) {
        m->stale_timer = sd_event_source_disable_unref(m->stale_timer);
        for (size_t i = 0; i < m->n_stale_cgs; i++)
                cg_service_free(m->stale_cgs[i]);
        free(m->stale_cgs);
        m->stale_cgs = NULL;
        m->n_stale_cgs = 0;
}

int service_cgroup_populated(Service *s) {
        return s->cg ? cg_service_is_populated(s->cg) : 0;
}
