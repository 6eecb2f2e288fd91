/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus's entry points into a Service (manager.h): jobs are queued here
 * and finished by state changes; their callbacks always run on a later
 * turn of the loop, never inside the call that queued them. */
#include <string.h>

#include "log.h"
#include "service-internal.h"
#include "strv.h"

static int on_jobs_finished(sd_event_source *src, void *userdata) {
        Service *s = userdata;
        Job *list = s->finished;

        s->finished = NULL;
        /* A callback may queue new jobs or free other services, not this one
         * (removal goes through the manager's dispatch). */
        while (list) {
                Job *j = list;

                list = j->next;
                j->done(s, j->r, j->r < 0 ? &j->error : NULL, j->userdata);
                free(j);
        }
        return 0;
}

static void move_finished(Service *s, Job *j) {
        Job **tail = &s->finished;

        while (*tail)
                tail = &(*tail)->next;
        j->next = NULL;
        *tail = j;
        if (!s->jobs_source &&
            sd_event_add_defer(s->manager->event, &s->jobs_source, on_jobs_finished, s) < 0) {
                log_error("service '%s': cannot queue job completions, out of memory", s->name);
                return;
        }
        (void) sd_event_source_set_enabled(s->jobs_source, SD_EVENT_ONESHOT);
}

void service_jobs_finish(Service *s, JobKind kind, int r, const CrlError *err) {
        for (Job **p = &s->jobs; *p;) {
                Job *j = *p;

                if (j->kind != kind) {
                        p = &j->next;
                        continue;
                }
                *p = j->next;
                j->r = r;
                if (r < 0) {
                        if (err)
                                j->error = *err;
                        else
                                (void) crl_error_set(&j->error, -r, "service '%s': %s", s->name, strerror(-r));
                }
                move_finished(s, j);
        }
}

bool service_has_job(const Service *s, JobKind kind) {
        for (const Job *j = s->jobs; j; j = j->next)
                if (j->kind == kind)
                        return true;
        return false;
}

void service_jobs_cancel(Service *s) {
        CrlError e = {};

        (void) crl_error_set(&e, ECANCELED, "service '%s' was removed or corrald is exiting", s->name);
        for (JobKind k = 0; k < _JOB_KIND_MAX; k++)
                service_jobs_finish(s, k, -ECANCELED, &e);
        s->jobs_source = sd_event_source_disable_unref(s->jobs_source);
        /* Removal runs on the loop, not inside a bus call: call them now. */
        while (s->finished) {
                Job *j = s->finished;

                s->finished = j->next;
                j->done(s, j->r, &j->error, j->userdata);
                free(j);
        }
}

int service_queue_job(Service *s, JobKind kind, ServiceJobDone done, void *userdata, CrlError *reterr) {
        Job *j;

        if (!done)
                return 0;
        j = calloc(1, sizeof(*j));
        if (!j)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        j->kind = kind;
        j->done = done;
        j->userdata = userdata;
        j->next = s->jobs;
        s->jobs = j;
        return 0;
}

static int refuse_common(Service *s, CrlError *reterr) {
        if (s->unit->is_template)
                return crl_error_set(reterr, EINVAL, "service '%s' is a template; start an instance '%s<instance>'",
                                     s->name, s->name);
        if (s->manager->shutting_down)
                return crl_error_set(reterr, ESHUTDOWN, "service '%s': corrald is shutting down", s->name);
        return 0;
}

int service_start(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r = refuse_common(s, reterr);

        if (r < 0)
                return r;
        if (s->stop_wanted && !s->start_after_stop) {
                /* A stop still waiting for its dependents: the start replaces it. */
                CrlError e = {};

                s->stop_wanted = s->stop_requested = false;
                (void) crl_error_set(&e, ECANCELED, "service '%s': stop canceled by a start", s->name);
                service_jobs_finish(s, JOB_STOP, -ECANCELED, &e);
        }
        if ((s->state == SVC_RUNNING || s->state == SVC_EXITED || s->state == SVC_RELOAD) &&
            !s->start_after_stop)
                return 1;
        r = service_queue_job(s, JOB_START, done, userdata, reterr);
        if (r < 0)
                return r;
        if (s->state == SVC_DEAD || s->state == SVC_FAILED || s->state == SVC_AUTO_RESTART) {
                s->start_wanted = true;
                manager_dispatch_later(s->manager);
        } else if (service_state_active(s->state) == SERVICE_DEACTIVATING)
                service_event(s, SVC_EV_START);
        return 0;
}

/* Stop ordering is After= reversed: s stops once what is ordered After= it
 * and is stopping too has stopped (systemd orders stop jobs so). */
static void begin_stop(Service *s) {
        if (service_state_active(s->state) != SERVICE_DEACTIVATING &&
            manager_stopping_after(s->manager, s)) {
                s->stop_wanted = true;
                manager_dispatch_later(s->manager);
                return;
        }
        s->stop_wanted = false;
        service_event(s, SVC_EV_STOP);
}

/* Requires= (systemd.unit(5)): a service that requires s is stopped, or
 * restarted, when s is explicitly stopped or restarted. s's flags are set
 * before this runs, so a Requires= loop ends at s. Not when s merely ends
 * or fails on its own: that is BindsTo=, which corral does not read. */
static void propagate(Service *s, bool restart) {
        Manager *m = s->manager;

        if (m->shutting_down)
                return;         /* everything stops, in order, anyway */
        for (size_t i = 0; i < m->n_services; i++) {
                Service *t = m->services[i];
                CrlError e = {};

                if (t == s || !strv_contains(t->unit->requires, s->name))
                        continue;
                if (restart && service_is_active(t) && !t->start_after_stop) {
                        log_info("service '%s': restarted with '%s', which it requires", t->name, s->name);
                        (void) service_restart(t, NULL, NULL, &e);
                } else if (!restart && (service_is_active(t) || t->start_wanted) && !t->stop_requested) {
                        log_info("service '%s': stopped with '%s', which it requires", t->name, s->name);
                        (void) service_stop(t, NULL, NULL, &e);
                }
        }
}

int service_stop(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (s->start_wanted && !service_is_active(s)) {
                CrlError e = {};

                s->start_wanted = false;
                (void) crl_error_set(&e, ECANCELED, "service '%s': start canceled by a stop", s->name);
                service_jobs_finish(s, JOB_START, -ECANCELED, &e);
                service_jobs_finish(s, JOB_RESTART, -ECANCELED, &e);
                return 1;
        }
        if (s->state == SVC_DEAD || s->state == SVC_FAILED)
                return 1;
        r = service_queue_job(s, JOB_STOP, done, userdata, reterr);
        if (r < 0)
                return r;
        s->stop_requested = true;
        s->start_after_stop = false;
        propagate(s, false);
        begin_stop(s);
        return 0;
}

int service_restart(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r = refuse_common(s, reterr);

        if (r < 0)
                return r;
        r = service_queue_job(s, JOB_RESTART, done, userdata, reterr);
        if (r < 0)
                return r;
        if (s->state == SVC_DEAD || s->state == SVC_FAILED || s->state == SVC_AUTO_RESTART) {
                s->start_wanted = true;
                manager_dispatch_later(s->manager);
                return 0;
        }
        s->stop_requested = true;
        s->start_after_stop = true;
        propagate(s, true);
        begin_stop(s);
        return 0;
}

int service_reload(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (s->state != SVC_RUNNING && s->state != SVC_EXITED)
                return crl_error_set(reterr, EBUSY, "service '%s' is %s/%s, not active", s->name,
                                     service_active_state_to_string(service_state_active(s->state)),
                                     service_sub_state_to_string(service_state_sub(s->state)));
        if (s->unit->n_exec_reload == 0)
                return crl_error_set(reterr, EOPNOTSUPP, "service '%s' has no ExecReload=", s->name);
        r = service_queue_job(s, JOB_RELOAD, done, userdata, reterr);
        if (r < 0)
                return r;
        service_event(s, SVC_EV_RELOAD);
        return 0;
}

static int freeze_thaw(Service *s, bool freeze, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (!s->cg)
                return crl_error_set(reterr, ESRCH, "service '%s' is not running", s->name);
        if (s->frozen == freeze)
                return 1;
        r = service_queue_job(s, freeze ? JOB_FREEZE : JOB_THAW, done, userdata, reterr);
        if (r < 0)
                return r;
        r = service_cgroup_freeze(s, freeze, reterr);
        if (r < 0) {
                service_jobs_finish(s, freeze ? JOB_FREEZE : JOB_THAW, r, reterr);
                return 0;
        }
        return 0;
}

int service_freeze(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        return freeze_thaw(s, true, done, userdata, reterr);
}

int service_thaw(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        return freeze_thaw(s, false, done, userdata, reterr);
}

int service_stats(Service *s, struct CgStats *ret) {
        if (s->cg)
                return cg_service_stats(s->cg, ret);
        if (!s->last_stats)
                return -ENXIO;
        /* Stopped: the last run's totals; nothing is current any more. */
        *ret = *s->last_stats;
        ret->memory_current = ret->tasks_current = 0;
        ret->cpu_pressure = ret->memory_pressure = ret->io_pressure = -1;
        return 0;
}

void service_info(Service *s, ServiceInfo *ret) {
        *ret = (ServiceInfo) {
                .name = s->name,
                .object_path = s->object_path,
                .description = s->unit->description ? s->unit->description : "",
                .unit_path = s->transient || !s->unit->path ? "" : s->unit->path,
                .active_state = service_state_active(s->state),
                .sub_state = service_state_sub(s->state),
                .result = s->result,
                .frozen = s->frozen,
                .main_pid = s->main.pidfd >= 0 ? s->main.main_pid : 0,
                .main_pidfd = s->main.pidfd >= 0 ? s->main.main_pidfd : -EBADF,
                .exec_main_status = s->exec_main_status,
                .n_restarts = s->n_restarts,
                .active_enter_usec = s->active_enter_usec,
                .inactive_enter_usec = s->inactive_enter_usec,
                .cgroup_path = s->cgroup_path ? s->cgroup_path : "",
                .namespaces = s->main.pidfd >= 0 ? s->main.namespaces : 0,
                .hostname = s->unit->hostname ? s->unit->hostname : "",
                .ip_address = s->ip_address ? s->ip_address : "",
                .log_path = s->stdio.log_path ? s->stdio.log_path : s->last_log_path ? s->last_log_path : "",
                .status_text = s->status_text ? s->status_text : "",
                .warnings = service_warnings(s),
                .unit = s->unit,
                .transient = s->transient,
        };
}
