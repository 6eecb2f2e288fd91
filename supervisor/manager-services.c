/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The services list (sorted by name) and the Manager's properties. */
#include <grp.h>
#include <string.h>

#include "cg-probe.h"
#include "log.h"
#include "service-internal.h"
#include "strv.h"
#include "transient-file.h"
#include "unit.h"

static ssize_t find_index(Manager *m, const char *name, size_t *ret_insert) {
        size_t lo = 0, hi = m->n_services;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(m->services[mid]->name, name);

                if (c == 0)
                        return (ssize_t) mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_insert)
                *ret_insert = lo;
        return -1;
}

/* An instance "worker@3" of a loaded template is loaded on first use. */
static Service *load_instance(Manager *m, const char *name) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        UnitDiagnostics d = {};
        const char *at = strchr(name, '@');
        Service *s = NULL;
        int r;

        if (!at || !at[1] || m->shutting_down)
                return NULL;
        r = unit_load(name, m->unit_dirs, &u, &d);
        STRV_FOREACH(e, d.errors)
                log_error("%s", *e);
        unit_diagnostics_done(&d);
        if (r < 0 || service_new(m, u, false, &s) < 0)
                return NULL;
        u = NULL;
        if (manager_add_service(m, s) < 0)
                return service_free(s);
        return s;
}

Service *manager_get_service(Manager *m, const char *name) {
        _cleanup_free_ char *bare = NULL;
        ssize_t i;

        if (!name || unit_name_normalize(name, &bare) < 0)
                return NULL;
        i = find_index(m, bare, NULL);
        return i >= 0 ? m->services[i] : load_instance(m, bare);
}

size_t manager_n_services(Manager *m) {
        return m->n_services;
}

Service *manager_service_at(Manager *m, size_t i) {
        return i < m->n_services ? m->services[i] : NULL;
}

int manager_add_service(Manager *m, Service *s) {
        Service **l;
        size_t at = 0;

        if (find_index(m, s->name, &at) >= 0)
                return -EEXIST;
        l = reallocarray(m->services, m->n_services + 1, sizeof(Service *));
        if (!l)
                return -ENOMEM;
        m->services = l;
        memmove(l + at + 1, l + at, (m->n_services - at) * sizeof(Service *));
        l[at] = s;
        m->n_services++;
        bus_service_new(m->bus, s);
        return 0;
}

int manager_remove_service(Manager *m, Service *s) {
        ssize_t i = find_index(m, s->name, NULL);

        if (i < 0)
                return -ENOENT;
        /* While the bus still finds it: its last PropertiesChanged goes first. */
        bus_service_removed(m->bus, s);
        memmove(m->services + i, m->services + i + 1, (m->n_services - (size_t) i - 1) * sizeof(Service *));
        m->n_services--;
        log_info("service '%s': removed", s->name);
        if (s->transient)
                transient_file_remove(m, s->name);
        service_free(s);
        return 0;
}

const char *manager_cgroup_root(Manager *m) {
        return m->cgroot ? cg_root_path(m->cgroot) : "";
}

char **manager_controllers(Manager *m) {
        char **l = calloc(1, sizeof(char *));
        CgMask mask = m->cgroot ? cg_root_controllers(m->cgroot) : 0;

        for (CgController c = 0; l && c < _CG_CTRL_MAX; c++)
                if ((mask & CG_MASK(c)) && strv_extend(&l, cg_controller_to_string(c)) < 0)
                        l = strv_free(l);
        return l;
}

const ManagerConfig *manager_config(Manager *m) {
        return m->config;
}

/* NSS may block (LDAP): AdminGroup= is resolved once, before the loop
 * runs (manager_new) and on Reload's way in, never per call. */
int manager_resolve_admin_group(Manager *m) {
        struct group gr, *res = NULL;
        char buf[4096];

        m->admin_gid_set = false;
        if (!m->config->admin_group)
                return 0;
        if (getgrnam_r(m->config->admin_group, &gr, buf, sizeof(buf), &res) != 0 || !res) {
                log_warning("AdminGroup=%s: no such group; only root may change services", m->config->admin_group);
                return -ENOENT;
        }
        m->admin_gid = res->gr_gid;
        m->admin_gid_set = true;
        return 0;
}

bool manager_is_admin(Manager *m, uid_t euid, const gid_t *gids, size_t n_gids) {
        if (euid == 0)
                return true;
        for (size_t i = 0; m->admin_gid_set && i < n_gids; i++)
                if (gids[i] == m->admin_gid)
                        return true;
        return false;
}
