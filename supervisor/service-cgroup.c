/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every cgroup call of a service: its cgroup with limits, the event fd on
 * the loop (empty, OOM kills, freezer), cgroup.kill and cgroup.freeze as
 * writes whose confirmation arrives as an event. */
#include <string.h>

#include "cg-probe.h"

#include "log.h"
#include "service-internal.h"
#include "strv.h"

static int on_cgroup_event(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Service *s = userdata;
        CgEvents ev = {};
        int r;

        r = cg_service_process_events(s->cg, &ev);
        if (r < 0) {
                log_warning("service '%s': cannot read its cgroup's events: %s, ignoring", s->name, strerror(-r));
                return 0;
        }
        if (ev.mask & (CG_EVENT_FROZEN | CG_EVENT_THAWED)) {
                s->frozen = ev.mask & CG_EVENT_FROZEN;
                service_changed(s, SERVICE_CHANGE_FREEZER_STATE);
                service_jobs_finish(s, s->frozen ? JOB_FREEZE : JOB_THAW, 0, NULL);
        }
        if (ev.mask & CG_EVENT_OOM_KILL)
                service_event(s, SVC_EV_OOM_KILL);
        /* The OOM action may have ended the service and freed its cgroup. */
        if (s->cg && (ev.mask & CG_EVENT_EMPTY))
                service_event(s, SVC_EV_EMPTY);
        return 0;
}

int service_cgroup_create(Service *s, CrlError *reterr) {
        Manager *m = s->manager;
        CgServiceFlags flags = 0;
        char **warnings = NULL;
        int r;

        if (s->unit->oom_policy == OOM_KILL)
                flags |= CG_SERVICE_OOM_GROUP;
        if (m->config->unenforceable_limits_warn)
                flags |= CG_SERVICE_UNENFORCEABLE_WARN;
        r = cg_service_create(m->cgroot, s->name, &s->unit->resources, flags, &s->cg, &warnings, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': step 'cgroup': ", s->name);
                return r;
        }
        strv_free(s->warnings);
        s->warnings = warnings;
        STRV_FOREACH(w, warnings)
                log_warning("service '%s': %s", s->name, *w);
        r = service_cgroup_watch(s, reterr);
        if (r < 0)
                service_cgroup_destroy(s);
        return r;
}

/* The path (CgroupPath) and the event fd on the loop, for a cgroup made
 * now or re-opened after a restart of corrald. */
int service_cgroup_watch(Service *s, CrlError *reterr) {
        int r, fd;

        free(s->cgroup_path);
        s->cgroup_path = NULL;
        r = cg_service_path(s->cg, &s->cgroup_path);
        fd = r < 0 ? r : cg_service_event_fd(s->cg);
        if (fd >= 0)
                r = sd_event_add_io(s->manager->event, &s->cg_source, fd, EPOLLIN, on_cgroup_event, s);
        else
                r = fd;
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': step 'cgroup': cannot watch its cgroup: %s",
                                     s->name, strerror(-r));
        return 0;
}

void service_cgroup_destroy(Service *s) {
        CrlError e = {};

        s->cg_source = sd_event_source_disable_unref(s->cg_source);
        if (!s->cg)
                return;
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

int service_kill(Service *s, int sig, CrlError *reterr) {
        int r;

        if (!s->cg)
                return crl_error_set(reterr, ESRCH, "service '%s' has no processes", s->name);
        r = cg_service_signal(s->cg, sig, reterr);
        if (r < 0)
                crl_error_prefix(reterr, "service '%s': ", s->name);
        else if (r == 0)
                return crl_error_set(reterr, ESRCH, "service '%s' has no processes", s->name);
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

/* A left-over cgroup no unit names any more: bounded wait, once, at
 * startup (a known unit's goes through its stop path instead). */
void manager_cgroup_remove_stale(CgService *cg, const char *name) {
        CrlError e = {};

        if (cg_service_kill(cg, USEC_PER_SEC, &e) < 0 || cg_service_destroy(cg, &e) < 0)
                log_warning("service '%s': %s, leaving its cgroup", name, e.message);
        cg_service_free(cg);
}

int service_cgroup_populated(Service *s) {
        return s->cg ? cg_service_is_populated(s->cg) : 0;
}
