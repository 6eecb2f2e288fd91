/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every networking call of a service, on the engine's per-service network
 * object (ns/ns-net.h, NsNetService) and the netns pin of a service with a
 * private network but no veth. The NsNet's event fd (veth deletions) is on
 * the loop. */
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "ns-net.h"
#include "service-internal.h"
#include "strv.h"

static bool wants_veth(const Service *s) {
        return s->unit->network.virtual_ethernet;
}

static int on_net_event(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r = ns_net_dispatch(m->net);

        if (r < 0)
                log_warning("network: cannot read the kernel's link events: %s, ignoring", strerror(-r));
        return 0;
}

static void on_veth_deleted(const char *name, int r, const CrlError *err, void *userdata) {
        if (r < 0)
                log_warning("service '%s': %s, ignoring", name, err && err->message ? err->message : strerror(-r));
        else
                log_debug("service '%s': its veth is gone", name);
}

static int manager_net_ensure(Manager *m, CrlError *reterr) {
        int r;

        if (m->net)
                return 0;
        r = ns_net_new(m->config, &m->net, reterr);
        if (r < 0)
                return r;
        ns_net_set_done_handler(m->net, on_veth_deleted, m);
        r = sd_event_add_io(m->event, &m->net_source, ns_net_event_fd(m->net), EPOLLIN, on_net_event, m);
        if (r < 0) {
                m->net = ns_net_free(m->net);
                return crl_error_set(reterr, -r, "network: cannot watch the netlink socket: %s", strerror(-r));
        }
        return 0;
}

/* The launcher's read-only binds go onto the unit (copied) for this launch. */
static int add_binds(Service *s, CrlError *reterr) {
        size_t n;
        const BindMount *binds = ns_net_service_binds(s->net_svc, &n);
        BindMount *all = reallocarray(s->unit->bind_paths, s->unit->n_bind_paths + n, sizeof(BindMount));

        if (!all)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        s->unit->bind_paths = all;
        for (size_t i = 0; i < n; i++) {
                BindMount b = binds[i];

                b.source = strdup(binds[i].source);
                b.destination = strdup(binds[i].destination);
                all[s->unit->n_bind_paths++] = b;
                s->net_n_binds++;
                if (!b.source || !b.destination)
                        return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        }
        return 0;
}

int service_net_prepare(Service *s, CrlError *reterr) {
        int r;

        service_net_unprepare(s);
        if (!wants_veth(s))
                return 0;
        r = manager_net_ensure(s->manager, reterr);
        if (r < 0)
                return r;
        if (s->net_svc) {       /* a leftover of an earlier run: never two */
                ns_net_service_abort(s->net_svc);
                s->net_svc = NULL;
        }
        r = ns_net_service_new(s->manager->net, s->unit, &s->net_svc, reterr);
        if (r < 0)
                return r;
        s->net_committed = false;
        r = add_binds(s, reterr);
        if (r < 0) {
                ns_net_service_abort(s->net_svc);
                s->net_svc = NULL;
        }
        return r;
}

/* The binds are the launcher's only: take them off the unit again once the
 * launch ended, so the next start (or a re-read) sees the unit as written. */
void service_net_unprepare(Service *s) {
        size_t first = s->unit->n_bind_paths - s->net_n_binds;

        for (size_t i = first; i < s->unit->n_bind_paths; i++) {
                free(s->unit->bind_paths[i].source);
                free(s->unit->bind_paths[i].destination);
        }
        s->unit->n_bind_paths = first;
        s->net_n_binds = 0;
}

NsSetupHook service_net_hook(Service *s, void **ret_userdata) {
        *ret_userdata = s->net_svc;
        return s->net_svc ? ns_net_service_hook(s->net_svc) : NULL;
}

static void take_lease(Service *s) {
        const NsNetLease *l = ns_net_service_lease_of(s->net_svc);

        free(s->ip_address);
        s->ip_address = strdup(l->address_str);
        if (l->warning && service_add_warning(s, l->warning) < 0)
                log_warning("service '%s': out of memory for a warning, ignoring", s->name);
}

void service_net_launched(Service *s, int r, const NsProcess *proc) {
        CrlError e = {};

        if (s->net_svc && !s->net_committed) {
                if (r < 0) {
                        ns_net_service_abort(s->net_svc);
                        s->net_svc = NULL;
                        return;
                }
                if (ns_net_service_commit(s->net_svc, proc->pidfd, &e) < 0)
                        log_warning("%s; 'ip netns exec corral-%s' will not work, ignoring", e.message, s->name);
                s->net_committed = true;
                take_lease(s);
                return;
        }
        if (r < 0 || !proc || !(proc->namespaces & CLONE_NEWNET) || s->net_svc)
                return;
        if (ns_pin(proc->pidfd, s->name, &e) < 0)
                log_warning("service '%s': %s; 'ip netns exec corral-%s' will not work, ignoring", s->name,
                            e.message, s->name);
        else
                s->netns_pinned = true;
}

/* A re-adopted service takes back its wiring (lease, veth, pin). */
void service_net_adopt(Service *s, bool had_address, bool had_netns) {
        CrlError e = {};

        if (had_address && wants_veth(s) && manager_net_ensure(s->manager, &e) >= 0 &&
            ns_net_service_adopt(s->manager->net, s->unit, s->main.pidfd, &s->net_svc, &e) >= 0) {
                s->net_committed = true;
                take_lease(s);
                return;
        }
        if (crl_error_isset(&e))
                log_warning("service '%s': %s; its network is not re-adopted", s->name, e.message);
        s->netns_pinned = had_netns && !had_address;
}

void service_net_stopped(Service *s) {
        CrlError e = {};

        service_net_unprepare(s);       /* a launch aborted before its end */
        if (s->net_svc && !s->net_committed)
                ns_net_service_abort(s->net_svc);
        else if (s->net_svc && ns_net_service_destroy(s->net_svc, &e) < 0)
                log_warning("%s, ignoring", e.message);
        s->net_svc = NULL;
        s->net_committed = false;
        crl_error_clear(&e);
        if (s->netns_pinned && ns_unpin(s->name, &e) < 0)
                log_warning("service '%s': %s, ignoring", s->name, e.message);
        s->netns_pinned = false;
        free(s->ip_address);
        s->ip_address = NULL;
}

/* After re-adoption: everything of a service that was not adopted goes. */
void manager_net_readopted(Manager *m) {
        CrlError e = {};

        if (m->net && ns_net_cleanup_stale(m->net, &e) < 0)
                log_warning("network: %s, ignoring", e.message);
}

void manager_net_shutdown(Manager *m) {
        CrlError e = {};

        if (m->net && ns_net_shutdown(m->net, &e) < 0)
                log_warning("network: %s, ignoring", e.message);
}

void manager_net_free(Manager *m) {
        m->net_source = sd_event_source_disable_unref(m->net_source);
        m->net = ns_net_free(m->net);
}
