/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every networking call of a service (ns/ns-net.h and the netns pin), in
 * the order docs/design.md "Service networking" gives. The engine's
 * per-service network object replaces the inside of this file. */
#include <string.h>

#include "log.h"
#include "ns-net.h"
#include "service-internal.h"
#include "strv.h"

static bool wants_veth(const Service *s) {
        return s->unit->network.virtual_ethernet;
}

int service_net_prepare(Service *s, size_t *ret_n_binds, CrlError *reterr) {
        Manager *m = s->manager;
        BindMount *binds = NULL, *all;
        size_t n = 0;
        int r;

        *ret_n_binds = 0;
        if (!wants_veth(s))
                return 0;
        if (!m->net) {
                r = ns_net_new(m->config, &m->net, reterr);
                if (r < 0)
                        return r;
        }
        r = ns_net_bind_files(m->net, s->unit, &binds, &n, reterr);
        if (r < 0)
                return r;
        all = reallocarray(s->unit->bind_paths, s->unit->n_bind_paths + n, sizeof(BindMount));
        if (!all) {
                ns_net_bind_mounts_free(binds, n);
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        }
        memcpy(all + s->unit->n_bind_paths, binds, n * sizeof(BindMount));
        free(binds);    /* the entries moved into the unit */
        s->unit->bind_paths = all;
        s->unit->n_bind_paths += n;
        *ret_n_binds = n;
        s->net_attach = calloc(1, sizeof(NsNetAttach));
        if (!s->net_attach)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        *(NsNetAttach *) s->net_attach = (NsNetAttach) { .net = m->net, .unit = s->unit };
        return 0;
}

/* The binds are the launcher's only: take them off the unit again, so the
 * next start (or a re-read) sees the unit as written. */
void service_net_unprepare(Service *s, size_t n_binds) {
        size_t first = s->unit->n_bind_paths - n_binds;

        for (size_t i = first; i < s->unit->n_bind_paths; i++) {
                free(s->unit->bind_paths[i].source);
                free(s->unit->bind_paths[i].destination);
        }
        s->unit->n_bind_paths = first;
}

NsSetupHook service_net_hook(Service *s, void **ret_userdata) {
        *ret_userdata = s->net_attach;
        return s->net_attach ? ns_net_setup_hook : NULL;
}

void service_net_launched(Service *s, int r, const NsProcess *proc) {
        NsNetAttach *a = s->net_attach;
        CrlError e = {};

        s->net_attach = NULL;
        if (a && a->lease && r < 0) {
                if (ns_net_service_abort(s->manager->net, s->name, &e) < 0)
                        log_warning("service '%s': %s, ignoring", s->name, e.message);
        } else if (a && a->lease) {
                s->net_attached = true;
                free(s->ip_address);
                s->ip_address = strdup(a->lease->address_str);
                if (a->lease->warning && strv_extend(&s->warnings, a->lease->warning) < 0)
                        log_warning("service '%s': out of memory for a warning, ignoring", s->name);
        }
        free(a);
        if (r < 0 || !proc || !(proc->namespaces & CLONE_NEWNET))
                return;
        if (ns_pin(proc->pidfd, s->name, &e) < 0)
                log_warning("service '%s': %s; 'ip netns exec corral-%s' will not work, ignoring", s->name,
                            e.message, s->name);
        else
                s->netns_pinned = true;
}

void service_net_stopped(Service *s) {
        CrlError e = {};

        /* A launch aborted after the hook may have wired it (the
         * synchronous launcher ran it already): undo as a failed start. */
        if (s->net_attach)
                service_net_launched(s, -ECANCELED, NULL);

        if (s->netns_pinned && ns_unpin(s->name, &e) < 0)
                log_warning("service '%s': %s, ignoring", s->name, e.message);
        s->netns_pinned = false;
        crl_error_clear(&e);
        if (s->net_attached && ns_net_service_detach(s->manager->net, s->name, &e) < 0)
                log_warning("service '%s': %s, ignoring", s->name, e.message);
        s->net_attached = false;
        free(s->ip_address);
        s->ip_address = NULL;
}

/* After re-adoption: take back the running services' leases and veths,
 * delete everything of the others. */
void manager_net_readopted(Manager *m, char *const *running) {
        CrlError e = {};

        if (m->net && ns_net_cleanup_stale(m->net, running, &e) < 0)
                log_warning("network: %s, ignoring", e.message);
}

void manager_net_shutdown(Manager *m) {
        CrlError e = {};

        if (m->net && ns_net_shutdown(m->net, &e) < 0)
                log_warning("network: %s, ignoring", e.message);
}

void manager_net_free(Manager *m) {
        m->net = ns_net_free(m->net);
}
