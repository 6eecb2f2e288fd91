/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading units at startup and on Reload: every valid unit becomes a
 * Service, ordering cycles are load errors naming the cycle, and new
 * non-template AutoStart= units start. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "manager-daemon.h"
#include "manager-order.h"
#include "service-internal.h"
#include "strv.h"
#include "transient-file.h"

typedef struct Loaded {
        UnitConfig **units;
        size_t n;
} Loaded;

static void loaded_done(Loaded *l) {
        for (size_t i = 0; i < l->n; i++)
                unit_config_free(l->units[i]);
        free(l->units);
}

static int load_one(Manager *m, const char *name, Loaded *l) {
        UnitConfig *u = NULL, **n;
        UnitDiagnostics d = {};
        int r;

        r = unit_load(name, m->unit_dirs, &u, &d);
        STRV_FOREACH(w, d.warnings)
                log_warning("%s", *w);
        STRV_FOREACH(e, d.errors) {
                log_error("%s", *e);
                if (strv_extend(&m->load_errors, *e) < 0)
                        r = -ENOMEM;
        }
        unit_diagnostics_done(&d);
        if (r == -ENOMEM)
                return unit_config_free(u), r;
        if (r < 0) {
                log_error("unit '%s' is invalid and will not be started", name);
                return 0;
        }
        n = reallocarray(l->units, l->n + 1, sizeof(UnitConfig *));
        if (!n)
                return unit_config_free(u), -ENOMEM;
        l->units = n;
        l->units[l->n++] = u;
        return 0;
}

/* Drop the units on After= cycles, each cycle a load error. */
static int drop_cycles(Manager *m, Loaded *l) {
        _cleanup_free_ bool *in_cycle = calloc(l->n + 1, sizeof(bool));
        _cleanup_strv_free_ char **cycles = NULL;
        size_t k = 0;
        int r;

        if (!in_cycle)
                return -ENOMEM;
        r = mgr_unit_cycles(l->units, l->n, in_cycle, &cycles);
        if (r < 0)
                return r;
        STRV_FOREACH(c, cycles) {
                _cleanup_free_ char *msg = NULL;

                if (asprintf(&msg, "ordering cycle: %s (After=); these units are not loaded", *c) < 0 ||
                    strv_push(&m->load_errors, msg) < 0)
                        return -ENOMEM;
                log_error("%s", msg);
                msg = NULL;
        }
        for (size_t i = 0; i < l->n; i++) {
                if (in_cycle[i])
                        unit_config_free(l->units[i]);
                else
                        l->units[k++] = l->units[i];
        }
        l->n = k;
        return 0;
}

static int load_all(Manager *m, Loaded *l, char ***ret_names) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        m->load_errors = strv_free(m->load_errors);
        r = unit_list_names(m->unit_dirs, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                r = load_one(m, *n, l);
                if (r < 0)
                        return r;
        }
        r = drop_cycles(m, l);
        if (r < 0)
                return r;
        *ret_names = TAKE_PTR(names);
        return 0;
}

static bool auto_starts(const UnitConfig *u) {
        return !u->is_template && u->auto_start;
}

/* A loaded unit into the list: new ones are added (and start), known ones
 * get it for their next start, right now when they are not running. */
static int take_unit(Manager *m, UnitConfig *u, bool *ret_start) {
        Service *s = NULL;
        int r;

        *ret_start = false;
        for (size_t i = 0; i < m->n_services; i++)
                if (streq(m->services[i]->name, u->name))
                        s = m->services[i];
        if (s) {
                s->removed_on_disk = false;
                unit_config_free(s->pending_unit);
                s->pending_unit = u;
                if (!service_is_active(s) && !s->start_wanted)
                        service_set_unit(s, TAKE_PTR(s->pending_unit));
                return 0;
        }
        r = service_new(m, u, false, &s);
        if (r < 0)
                return r;
        r = manager_add_service(m, s);
        if (r < 0) {
                s->unit = NULL;
                service_free(s);
                return r;
        }
        *ret_start = auto_starts(u);
        return 0;
}

static int apply(Manager *m, Loaded *l, char *const *names, bool startup) {
        _cleanup_strv_free_ char **to_start = NULL, **taken = NULL;
        CrlError e = {};
        bool start;
        int r;

        for (size_t i = 0; i < m->n_services; i++) {
                Service *s = m->services[i];

                if (!s->transient && !s->unit->instance && !strv_contains(names, s->name)) {
                        s->removed_on_disk = true;
                        (void) service_stop(s, NULL, NULL, &e);
                }
        }
        for (size_t i = 0; i < l->n; i++) {
                UnitConfig *u = TAKE_PTR(l->units[i]);

                r = take_unit(m, u, &start);
                if (r < 0) {
                        unit_config_free(u);
                        return r;
                }
                if (start && strv_extend(&to_start, u->name) < 0)
                        return -ENOMEM;
        }
        /* Services a previous corrald left running are taken over before
         * anything starts, so none runs twice; one that ended meanwhile
         * went through its Restart=, which is all the start it gets.
         * Transient units come back from their files first, so theirs are
         * taken over too. */
        if (startup) {
                manager_transient_load(m);
                manager_readopt(m, &taken);
                manager_transient_settle(m, taken);
        }
        STRV_FOREACH(n, to_start) {
                if (strv_contains(taken, *n))
                        continue;
                crl_error_clear(&e);
                if (service_start(manager_get_service(m, *n), NULL, NULL, &e) < 0)
                        log_error("%s", e.message);
        }
        manager_dispatch_later(m);
        return 0;
}

static int load_and_apply(Manager *m, bool startup, CrlError *reterr) {
        _cleanup_strv_free_ char **names = NULL;
        Loaded l = {};
        int r;

        r = load_all(m, &l, &names);
        if (r >= 0)
                r = apply(m, &l, names, startup);
        loaded_done(&l);
        if (r < 0)
                return crl_error_set(reterr, -r, "loading units: %s", strerror(-r));
        return 0;
}

int manager_startup(Manager *m, CrlError *reterr) {
        return load_and_apply(m, true, reterr);
}

int manager_reload(Manager *m, CrlError *reterr) {
        if (m->shutting_down)
                return crl_error_set(reterr, ESHUTDOWN, "corrald is shutting down");
        return load_and_apply(m, false, reterr);
}

char **manager_load_errors(Manager *m) {
        return m->load_errors;
}
