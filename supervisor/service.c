/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Service's life outside the state machine's actions: creation, jobs
 * (manager.h's service_start() and friends), state changes with their
 * notifications, and the snapshot for the bus. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "service-internal.h"
#include "strv.h"

static uint64_t now_realtime(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

int service_new(Manager *m, UnitConfig *u, bool transient, Service **ret) {
        Service *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->transient = transient;
        s->main = s->control = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        s->stdio = SERVICE_STDIO_NULL;
        s->caller_fd[0] = s->caller_fd[1] = s->caller_fd[2] = -EBADF;
        s->status_record_fd = -EBADF;
        s->name = strdup(u->name);
        if (!s->name || bus_service_object_path(u->name, &s->object_path) < 0) {
                free(s->name);
                free(s);
                return -ENOMEM;
        }
        s->unit = u;
        *ret = s;
        return 0;
}

/* The start-limit history outlives a reload, as systemd's does: only a
 * different StartLimitBurst= reshapes it, keeping the latest starts. */
static void start_times_reshape(Service *s, unsigned old_burst, unsigned new_burst) {
        usec_t *t;
        unsigned keep;

        if (!s->start_times || old_burst == new_burst)
                return;
        keep = s->n_start_times < new_burst ? s->n_start_times : new_burst;
        t = new_burst > 0 ? calloc(new_burst, sizeof(usec_t)) : NULL;
        if (t && keep > 0)
                memcpy(t, s->start_times + (s->n_start_times - keep), keep * sizeof(usec_t));
        free(s->start_times);
        s->start_times = t;     /* NULL (no memory, or no limit): a new history at the next start */
        s->n_start_times = t ? keep : 0;
}

void service_set_unit(Service *s, UnitConfig *u) {
        start_times_reshape(s, s->unit ? s->unit->start_limit_burst : 0, u->start_limit_burst);
        unit_config_free(s->unit);
        s->unit = u;
        s->seccomp = ns_seccomp_free(s->seccomp);
        s->seccomp_built = false;
        s->bpf = cg_bpf_programs_free(s->bpf);
}

Service *service_free(Service *s) {
        if (!s)
                return NULL;
        service_jobs_cancel(s);
        s->launch = svc_launch_abort(s->launch);
        sd_event_source_disable_unref(s->main_source);
        sd_event_source_disable_unref(s->control_source);
        sd_event_source_disable_unref(s->cg_source);
        sd_event_source_disable_unref(s->timer);
        sd_event_source_disable_unref(s->jobs_source);
        service_notify_close(s);
        ns_process_done(&s->main);
        ns_process_done(&s->control);
        safe_close(s->status_record_fd);        /* the file stays: a next corrald reads it */
        service_stdio_done(&s->stdio);
        for (int i = 0; i < 3; i++)
                safe_close(s->caller_fd[i]);
        cg_service_free(s->cg);
        unit_config_free(s->unit);
        unit_config_free(s->pending_unit);
        ns_seccomp_free(s->seccomp);
        cg_bpf_programs_free(s->bpf);
        free(s->unsandboxed);   /* its pointers are unit's */
        free(s->error);
        free(s->last_stats);
        (void) service_set_warnings(s, NULL);
        free(s->start_times);
        free(s->status_text);
        free(s->last_log_path);
        free(s->ip_address);
        free(s->cgroup_path);
        free(s->tmp_owner);
        free(s->object_path);
        free(s->name);
        free(s);
        return NULL;
}

void service_changed(Service *s, ServiceChange mask) {
        if (mask)
                bus_service_changed(s->manager->bus, s, mask);
}

void service_error_clear(Service *s) {
        free(s->error);
        s->error = NULL;
}

/* Out of memory: no reason kept, the Result still says what happened. */
void service_error_copy(Service *s, const CrlError *e) {
        service_error_clear(s);
        s->error = malloc(sizeof(*s->error));
        if (s->error)
                *s->error = *e;
}

void service_set_error(Service *s, int error, const char *fmt, ...) {
        va_list ap;
        char buf[sizeof(((CrlError *) NULL)->message)];
        CrlError e = {};

        if (s->error)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        (void) crl_error_set(&e, error, "service '%s': %s", s->name, buf);
        service_error_copy(s, &e);
}

static void warning_list_unref(Manager *m, WarningList *l) {
        if (!l || --l->n_ref > 0)
                return;
        for (WarningList **p = &m->warning_lists; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        strv_free(l->strv);
        free(l);
}

static bool strv_equal(char *const *a, char *const *b) {
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

/* A thousand services with the same two lines hold one copy of them
 * (docs/benchmarks.md, "Scale"): the distinct lists are few, a walk of
 * them is cheap next to a start. */
int service_set_warnings(Service *s, char **w) {
        Manager *m = s->manager;
        WarningList *l = NULL;

        if (w && w[0]) {
                for (l = m->warning_lists; l && !strv_equal(l->strv, w); l = l->next)
                        ;
                if (l) {
                        l->n_ref++;
                        strv_free(w);
                } else if ((l = malloc(sizeof(*l)))) {
                        *l = (WarningList) { .next = m->warning_lists, .n_ref = 1, .strv = w };
                        m->warning_lists = l;
                } else
                        strv_free(w);
        } else
                strv_free(w);
        warning_list_unref(m, s->warnings);     /* after: l may be it */
        s->warnings = l;
        return !l && w && w[0] ? -ENOMEM : 0;
}

int service_add_warning(Service *s, const char *w) {
        char **l = service_warnings(s);

        if (strv_contains(l, w))
                return 0;
        l = strv_copy(l);
        if ((!l && service_warnings(s)) || strv_extend(&l, w) < 0) {
                strv_free(l);
                return -ENOMEM;
        }
        return service_set_warnings(s, l);
}

char **service_warnings(const Service *s) {
        return s->warnings ? s->warnings->strv : NULL;
}

bool service_is_active(const Service *s) {
        return s->state != SVC_DEAD && s->state != SVC_FAILED;
}

bool service_is_settled(const Service *s) {
        return !s->start_wanted && !s->stop_wanted && (s->state == SVC_DEAD || s->state == SVC_FAILED ||
                                    s->state == SVC_RUNNING || s->state == SVC_EXITED ||
                                    s->state == SVC_AUTO_RESTART);
}

static void finish_jobs_for_state(Service *s, ServiceState st) {
        const CrlError *e = s->error;
        CrlError fallback = {};

        if (!e) {
                (void) crl_error_set(&fallback, EIO, "service '%s' ended with result '%s'", s->name,
                                     service_result_to_string(s->result));
                e = &fallback;
        }
        switch (st) {
        case SVC_RUNNING:
        case SVC_EXITED:
                service_jobs_finish(s, JOB_START, 0, NULL);
                service_jobs_finish(s, JOB_RESTART, 0, NULL);
                break;
        case SVC_DEAD:
                service_jobs_finish(s, JOB_STOP, 0, NULL);
                if (s->start_after_stop || s->start_wanted)
                        break;
                service_jobs_finish(s, JOB_START, s->result == SERVICE_SUCCESS ? 0 : -EIO, e);
                service_jobs_finish(s, JOB_RESTART, s->result == SERVICE_SUCCESS ? 0 : -EIO, e);
                break;
        case SVC_FAILED:
        case SVC_AUTO_RESTART:
                service_jobs_finish(s, JOB_STOP, 0, NULL);
                service_jobs_finish(s, JOB_START, -EIO, e);
                service_jobs_finish(s, JOB_RESTART, -EIO, e);
                break;
        default:
                break;
        }
}

void service_set_state(Service *s, ServiceState st) {
        ServiceState old = s->state;
        ServiceChange mask = SERVICE_CHANGE_RESULT;

        if (old == st) {
                /* A start refused in failed (start-limit-hit) still ends its job. */
                if (st == SVC_FAILED)
                        finish_jobs_for_state(s, st);
                return;
        }
        s->state = st;
        if (service_state_active(old) != service_state_active(st)) {
                mask |= SERVICE_CHANGE_ACTIVE_STATE;
                if (service_state_active(st) == SERVICE_ACTIVE)
                        s->active_enter_usec = now_realtime();
                if (st == SVC_DEAD || st == SVC_FAILED)
                        s->inactive_enter_usec = now_realtime();
        }
        if (service_state_sub(old) != service_state_sub(st))
                mask |= SERVICE_CHANGE_SUB_STATE;
        if (service_state_active(old) != service_state_active(st) ||
            service_state_sub(old) != service_state_sub(st))
                log_notice("service '%s': %s/%s%s%s", s->name,
                           service_active_state_to_string(service_state_active(st)),
                           service_sub_state_to_string(service_state_sub(st)),
                           st == SVC_FAILED ? ", result " : "",
                           st == SVC_FAILED ? service_result_to_string(s->result) : "");
        else
                log_debug("service '%s': state %s -> %s", s->name, service_state_to_string(old),
                          service_state_to_string(st));
        service_changed(s, mask);
        finish_jobs_for_state(s, st);
        if (!service_is_active(s))
                manager_service_ended(s->manager, s);
        manager_dispatch_later(s->manager);
}

void service_event(Service *s, ServiceEvent ev) {
        ServiceAction a = service_transition(s->state, ev);

        log_debug("service '%s': %s in %s: %s", s->name, service_event_to_string(ev),
                  service_state_to_string(s->state), service_action_to_string(a));
        service_perform(s, a, ev);
}

void service_fail_start(Service *s, int error, const char *fmt, ...) {
        va_list ap;
        char buf[sizeof(((CrlError *) NULL)->message)];
        CrlError e = {};

        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        (void) crl_error_set(&e, error, "service '%s': %s", s->name, buf);
        service_error_copy(s, &e);
        log_error("%s", e.message);
        s->start_wanted = s->deps_pulled = false;
        s->result = SERVICE_FAILURE_RESOURCES;
        if (s->state == SVC_FAILED) {
                service_changed(s, SERVICE_CHANGE_RESULT);
                service_jobs_finish(s, JOB_START, -error, &e);
                service_jobs_finish(s, JOB_RESTART, -error, &e);
        } else
                service_set_state(s, SVC_FAILED);
}

int service_linger_expired(sd_event_source *src, uint64_t usec, void *userdata) {
        Service *s = userdata;

        s->result_read = true;
        manager_dispatch_later(s->manager);
        return 0;
}
