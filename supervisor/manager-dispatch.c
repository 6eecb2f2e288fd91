/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the Manager decides once per turn of the loop: starts whose
 * After= dependencies settled, the shutdown order, removals. */
#include <string.h>

#include "log.h"
#include "manager-daemon.h"
#include "service-internal.h"
#include "strv.h"
#include "transient-file.h"

static bool pull_in(Manager *m, Service *s) {
        char **lists[] = { s->unit->requires, s->unit->wants };
        bool changed = false;

        if (s->deps_pulled)
                return false;
        s->deps_pulled = true;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                STRV_FOREACH(n, lists[i]) {
                        Service *d = manager_get_service(m, *n);

                        if (d && !d->unit->is_template && !service_is_active(d) && !d->start_wanted) {
                                d->start_wanted = true;
                                changed = true;
                        }
                }
        return changed;
}

static bool any_unsettled(Manager *m, const Service *s, char **names) {
        STRV_FOREACH(n, names) {
                Service *d = manager_get_service(m, *n);

                if (d && d != s && !service_is_settled(d))
                        return true;
        }
        return false;
}

/* Returns true when s started (or failed), false while it waits. */
static bool try_start(Manager *m, Service *s) {
        STRV_FOREACH(n, s->unit->requires)
                if (!manager_get_service(m, *n)) {
                        service_fail_start(s, ENOENT, "Requires=%s.service: no such service", *n);
                        return true;
                }
        /* Wait while an After= dependency is on its way anywhere: a failed
         * start passes through stop-sigterm/stop-sigkill before it reads
         * 'failed', and systemd's start jobs also wait for the stop and
         * reload jobs of what they are ordered after. JoinsNamespaceOf=:
         * OTHER's namespaces exist once its start is through, so the same. */
        if (any_unsettled(m, s, s->unit->after) || any_unsettled(m, s, s->unit->joins_namespace_of))
                return false;
        STRV_FOREACH(n, s->unit->requires) {
                Service *d = manager_get_service(m, *n);

                if (d->state == SVC_FAILED && !d->start_wanted) {
                        service_fail_start(s, EIO, "Requires=%s.service: dependency '%s' failed (result '%s')",
                                           *n, *n, service_result_to_string(d->result));
                        return true;
                }
        }
        /* Held back while every launch slot is taken (service-launch.h):
         * the pool's slot_freed brings us back. */
        if (svc_launch_pool_full(&m->launch_pool))
                return false;
        s->start_wanted = s->deps_pulled = false;
        service_event(s, SVC_EV_START);
        return true;
}

static void start_waiting(Manager *m) {
        for (bool changed = true; changed;) {
                changed = false;
                for (size_t i = 0; i < m->n_services; i++) {
                        Service *s = m->services[i];

                        /* Nothing more can start before a slot frees (and
                         * slot_freed brings us back): at N=1000 a full
                         * scan per freed slot was 5 % of corrald's start */
                        if (svc_launch_pool_full(&m->launch_pool))
                                return;

                        if (!s->start_wanted)
                                continue;
                        changed |= pull_in(m, s);
                        changed |= try_start(m, s);
                }
        }
}

/* An active service ordered After= s (only_stopping: one that is stopping
 * as well). SIGTERM stops s once there is none (all of them stop); a stop
 * of s alone waits only for those stopping too. */
static bool ordered_after(Manager *m, const Service *s, bool only_stopping) {
        for (size_t i = 0; i < m->n_services; i++) {
                const Service *t = m->services[i];

                if (t != s && service_is_active(t) && strv_contains(t->unit->after, s->name) &&
                    (!only_stopping || t->stop_requested || t->stop_wanted ||
                     service_state_active(t->state) == SERVICE_DEACTIVATING))
                        return true;
        }
        return false;
}

bool manager_stopping_after(Manager *m, const Service *s) {
        return ordered_after(m, s, true);
}

static void stop_waiting(Manager *m) {
        for (size_t i = 0; i < m->n_services; i++) {
                Service *s = m->services[i];

                if (!s->stop_wanted)
                        continue;
                if (!service_is_active(s))
                        s->stop_wanted = false;         /* ended meanwhile: its stop job is done */
                else if (!manager_stopping_after(m, s)) {
                        s->stop_wanted = false;
                        service_event(s, SVC_EV_STOP);
                }
        }
}

static void shutdown_step(Manager *m) {
        bool any = false;
        CrlError e = {};

        for (size_t i = 0; i < m->n_services; i++) {
                Service *s = m->services[i];

                s->start_wanted = false;
                if (!service_is_active(s))
                        continue;
                any = true;
                if (s->stop_requested || service_state_active(s->state) == SERVICE_DEACTIVATING ||
                    ordered_after(m, s, false))
                        continue;
                (void) service_stop(s, NULL, NULL, &e);
        }
        if (any || m->n_stale_cgs > 0)         /* left-overs still emptying: bounded by their timer */
                return;
        manager_net_shutdown(m);
        manager_cgroup_remove_root(m);
        manager_transient_remove_all(m);
        log_info("every service stopped, exiting");
        (void) sd_event_exit(m->event, m->exit_code);
}

static bool removable(const Service *s) {
        if (service_is_active(s) || s->start_wanted || s->jobs)
                return false;
        return s->removed_on_disk || (s->transient && s->result_read);
}

static void remove_gone(Manager *m) {
        for (size_t i = 0; i < m->n_services;) {
                Service *s = m->services[i];

                if (removable(s))
                        (void) manager_remove_service(m, s);
                else
                        i++;
        }
}

int manager_dispatch(sd_event_source *src, void *userdata) {
        Manager *m = userdata;

        stop_waiting(m);
        if (m->shutting_down)
                shutdown_step(m);
        else
                start_waiting(m);
        remove_gone(m);
        return 0;
}

void manager_shutdown(Manager *m) {
        m->shutting_down = true;
        manager_dispatch_later(m);
}

void manager_service_ended(Manager *m, Service *s) {
        int r;

        if (!s->transient || service_is_active(s) || s->start_wanted)
                return;
        /* Spec §4: a transient unit stays until its result was read, or 60 s. */
        s->timer = sd_event_source_disable_unref(s->timer);
        r = sd_event_add_time_relative(m->event, &s->timer, CLOCK_MONOTONIC, 60 * USEC_PER_SEC, 0,
                                       service_linger_expired, s);
        if (r < 0)
                log_warning("service '%s': cannot arm its linger timer: %s, ignoring", s->name, strerror(-r));
}

void manager_transient_result_read(Manager *m, Service *s) {
        if (!s->transient || service_is_active(s))
                return;
        s->result_read = true;
        manager_dispatch_later(m);
}
