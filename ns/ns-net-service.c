/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service networking: one NsNetService per start (new, hook, commit,
 * abort, destroy, adopt), crash recovery and shutdown. */
#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

#include "ns-net-internal.h"
#include "ns-net.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(NsNetService *, ns_net_service_free);

static NsNetService *service_find(NsNet *n, const char *name) {
        for (size_t i = 0; i < n->n_services; i++)
                if (streq(n->services[i]->lease.name, name))
                        return n->services[i];
        return NULL;
}

NsNetService *ns_net_service_free(NsNetService *s) {
        NsNet *n;

        if (!s)
                return NULL;
        n = s->net;
        for (size_t i = 0; i < n->n_services; i++)
                if (n->services[i] == s) {
                        memmove(n->services + i, n->services + i + 1, (n->n_services - i - 1) * sizeof(s));
                        n->n_services--;
                        break;
                }
        free(s->lease.name);
        free(s->lease.warning);
        ns_net_bind_mounts_free(s->binds, s->n_binds);
        free(s);
        return NULL;
}

/* A new object for name, on n's list (so ns_net_free() frees it). */
static int service_alloc(NsNet *n, const char *name, NsNetService **ret, CrlError *reterr) {
        _cleanup_free_ NsNetService *s = NULL;
        NsNetService **nl;

        if (service_find(n, name))
                return crl_error_set(reterr, EALREADY, "service '%s': step 'net': its network is set up already",
                                     name);
        s = calloc(1, sizeof(*s));
        if (!s || !(s->lease.name = strdup(name)))
                return -ENOMEM;
        nl = realloc(n->services, (n->n_services + 1) * sizeof(*nl));
        if (!nl) {
                free(s->lease.name);
                return -ENOMEM;
        }
        n->services = nl;
        s->net = n;
        nl[n->n_services++] = s;
        *ret = TAKE_PTR(s);
        return 0;
}

const NsNetLease *ns_net_service_lease_of(NsNetService *s) {
        return &s->lease;
}

const BindMount *ns_net_service_binds(NsNetService *s, size_t *ret_n) {
        *ret_n = s->n_binds;
        return s->binds;
}

static int gateway_check(const NsBridge *b, const NetworkConfig *c, struct in_addr *ret, CrlError *reterr) {
        uint32_t mask = b->layout.prefixlen ? htonl(UINT32_MAX << (32 - b->layout.prefixlen)) : 0;
        char s[INET_ADDRSTRLEN];

        if (c->gateway_auto) {
                *ret = ns_ipam_gateway(&b->layout);
                return 0;
        }
        if ((c->gateway.s_addr & mask) != (b->layout.subnet.s_addr & mask))
                return crl_error_set(reterr, EINVAL, "Gateway=%s is not on the subnet of bridge '%s'",
                                     inet_ntop(AF_INET, &c->gateway, s, sizeof(s)), b->name);
        *ret = c->gateway;
        return 0;
}

typedef struct AttachState {
        const UnitConfig *unit;
        NsNetLease *lease;
        bool new_lease;                 /* out: the service had no lease before */
} AttachState;

static int attach_lease_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        AttachState *a = userdata;
        const NetworkConfig *c = &a->unit->network;
        int r;

        r = ns_ipam_ports_check(ipam, a->unit->name, c->ports, c->n_ports, reterr);
        if (r < 0)
                return r;
        a->new_lease = !ns_ipam_find(ipam, a->unit->name);
        r = ns_ipam_acquire(ipam, a->unit->name, c->address_auto ? NULL : &c->address, c->address_prefixlen,
                            &a->lease->address, reterr);
        if (r < 0)
                return r;
        a->lease->prefixlen = ipam->prefixlen;
        r = ns_ipam_set_ports(ipam, a->unit->name, c->ports, c->n_ports);
        if (r < 0)
                return crl_error_set(reterr, -r, "recording the ports: %s", strerror(-r));
        if (c->n_ports > 0) {
                r = ns_net_nft_apply_ports(n, b, ipam, reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* Port clashes are checked per bridge by IPAM; a host port is one namespace
 * for all bridges, so check the others too. */
static int ports_check_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        const UnitConfig *unit = userdata;

        return ns_ipam_ports_check(ipam, unit->name, unit->network.ports, unit->network.n_ports, reterr);
}

static int ports_check_other_bridges(NsNet *n, const NsBridge *mine, const UnitConfig *unit, CrlError *reterr) {
        for (size_t i = 0; i < n->n_bridges; i++) {
                int r;

                if (n->bridges[i] == mine || unit->network.n_ports == 0)
                        continue;
                r = ns_net_with_state(n, n->bridges[i], ports_check_fn, (void *) unit, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct ReleaseState {
        const char *name;
        bool forget;                    /* drop the lease instead of keeping it idle */
} ReleaseState;

static int release_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        ReleaseState *s = userdata;
        NsIpamEntry *e = ns_ipam_find(ipam, s->name);
        bool had_ports = e && e->ports;
        int r;

        if ((s->forget ? ns_ipam_forget(ipam, s->name) : ns_ipam_release(ipam, s->name)) == 0)
                return 0;
        if (had_ports) {
                r = ns_net_nft_apply_ports(n, b, ipam, reterr);
                if (r < 0)
                        return r;
        }
        (void) ns_net_hosts_refresh(n, b, ipam, NULL, reterr); /* the error, if any, is recorded in reterr */
        return 1;
}

/* The host end's name: "vc-NAME" unless another link holds it. A link
 * with this service's alias is either a veth of its previous run whose
 * deletion is pending (skipped: the next name is taken, no waiting) or a
 * leftover of a crashed corrald (deleted, blocking; cleanup_stale removes
 * those at startup already), so a service never has two. */
static int pick_ifname(NsNet *n, const char *name, char ret[IFNAMSIZ], CrlError *reterr) {
        _cleanup_free_ char *want = NULL;
        int r;

        if (asprintf(&want, NS_NET_ALIAS_PREFIX "%s", name) < 0)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                _cleanup_free_ char *alias = NULL;
                int ifindex;

                ns_net_ifname(name, attempt, ret);
                r = ns_link_get_alias(n->sk, ret, &alias);
                if (r == -ENODEV)
                        return 0;
                if (r < 0)
                        return crl_error_set(reterr, -r, "looking up link '%s': %s", ret, strerror(-r));
                if (!alias || !streq(alias, want))
                        continue;
                if (ns_link_ifindex(n->sk, ret, &ifindex) >= 0 && ns_net_deletion_pending(n, ifindex))
                        continue;
                r = ns_net_link_delete(n, ret);
                if (r < 0 && r != -ENODEV)
                        return crl_error_set(reterr, -r, "deleting stale link '%s': %s", ret, strerror(-r));
                return 0;
        }
        return crl_error_set(reterr, EEXIST, "no free interface name for the host end");
}

/* ---- new: lease, ports, files ---- */

static int lease_steps(NsNet *n, NsNetService *s, const UnitConfig *unit, CrlError *reterr) {
        AttachState a = { .unit = unit, .lease = &s->lease };
        NsBridge *b;
        int r;

        r = ns_net_bridge_get(n, unit->network.bridge, &b, reterr);
        if (r >= 0)
                r = gateway_check(b, &unit->network, &s->lease.gateway, reterr);
        if (r >= 0)
                r = ns_net_bridge_ready(n, b, reterr);
        if (r >= 0)
                r = ports_check_other_bridges(n, b, unit, reterr);
        if (r >= 0)
                r = pick_ifname(n, unit->name, s->lease.host_ifname, reterr);
        if (r >= 0)
                r = ns_net_with_state(n, b, attach_lease_fn, &a, reterr);
        if (r < 0)
                return r;
        s->bridge = b;
        s->leased = true;
        s->lease.bridge = b->name;
        s->lease.new_lease = a.new_lease;
        inet_ntop(AF_INET, &s->lease.address, s->lease.address_str, sizeof(s->lease.address_str));
        return 0;
}

static int files_steps(NsNet *n, NsNetService *s, const UnitConfig *unit, CrlError *reterr) {
        int r;

        r = ns_net_with_state(n, s->bridge, ns_net_hosts_refresh, s->lease.name, reterr);
        if (r < 0)
                return r;
        r = ns_net_resolv_write(n, s->lease.name, &s->lease.warning);
        if (r < 0)
                return crl_error_set(reterr, -r, "writing resolv.conf: %s", strerror(-r));
        r = ns_net_bind_list(n, unit, &s->binds, &s->n_binds);
        if (r < 0)
                return crl_error_set(reterr, -r, "listing the bind mounts: %s", strerror(-r));
        return 0;
}

/* Undo what s holds, in this order: the deletion is queued (and
 * RTNLGRP_LINK joined) before the unpin can let the namespace go. The
 * first error is kept; every step runs. */
static int undo(NsNetService *s, bool forget, CrlError *reterr) {
        ReleaseState rs = { .name = s->lease.name, .forget = forget };
        NsNet *n = s->net;
        int r, ret = 0;

        if (s->ifindex > 0 && (r = ns_net_deletion_start(n, s->lease.name, s->ifindex, NS_DEL_ISOLATE)) < 0)
                ret = crl_error_set(reterr, -r, "setting veth '%s' down: %s", s->lease.host_ifname,
                                    strerror(-r));
        s->ifindex = 0;
        if (s->pinned && (r = ns_unpin(s->lease.name, reterr)) < 0 && ret == 0)
                ret = r;
        s->pinned = false;
        if (s->leased && (r = ns_net_with_state(n, s->bridge, release_fn, &rs, reterr)) < 0 && ret == 0)
                ret = r;
        s->leased = false;
        ns_net_files_remove(n, s->lease.name);
        return ret;
}

int ns_net_service_new(NsNet *n, const UnitConfig *unit, NsNetService **ret, CrlError *reterr) {
        _cleanup_(ns_net_service_freep) NsNetService *s = NULL;
        int r;

        r = service_alloc(n, unit->name, &s, reterr);
        if (r < 0)
                return r;
        r = lease_steps(n, s, unit, reterr);
        if (r >= 0)
                r = files_steps(n, s, unit, reterr);
        if (r < 0) {
                (void) undo(s, s->lease.new_lease, NULL); /* the first error is the one to report */
                crl_error_prefix(reterr, "service '%s': step 'net': ", unit->name);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- the launcher's hook: the veth, in the child's namespace ---- */

static int attach_links(NsNet *n, NsNetService *s, struct nl_sock *nsk, int netns_fd, CrlError *reterr) {
        _cleanup_free_ char *alias = NULL;
        int r;

        if (asprintf(&alias, NS_NET_ALIAS_PREFIX "%s", s->lease.name) < 0)
                return -ENOMEM;
        r = ns_link_veth_create(n->sk, s->lease.host_ifname, alias, s->bridge->ifindex, netns_fd, &s->ifindex,
                                reterr);
        if (r >= 0)
                r = ns_link_peer_configure(nsk, s->lease.address, s->lease.prefixlen, s->lease.gateway, reterr);
        return r;
}

/* setns() there and back; a failed way back is reported as such and
 * poisons n, since this thread is then in the service's namespace. */
static int open_in(NsNet *n, const char *name, int fd, struct nl_sock **ret, int *ret_nsfd, CrlError *reterr) {
        int r;

        r = ns_net_check_netns(n, reterr);
        if (r < 0)
                return r;
        r = ns_nl_open_in(fd, ret, ret_nsfd);
        if (r == -ENOTRECOVERABLE) {
                n->netns_lost = true;
                return crl_error_set(reterr, ENOTRECOVERABLE,
                                     "service '%s': step 'net': could not return to corrald's own network namespace after entering the service's; all service networking is now refused (restart corrald)",
                                     name);
        }
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': step 'net': entering its network namespace: %s", name,
                                     strerror(-r));
        return 0;
}

static int service_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        NsNetService *s = userdata;
        struct nl_sock *nsk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int r;

        if (s->ifindex > 0 || !s->leased)
                return crl_error_set(reterr, EINVAL, "service '%s': step 'net': the hook ran twice or after an abort",
                                     s->lease.name);
        r = open_in(s->net, s->lease.name, child_pidfd, &nsk, &nsfd, reterr);
        if (r < 0)
                return r;
        /* a veth made here and not configured is deleted by the abort */
        r = attach_links(s->net, s, nsk, nsfd, reterr);
        nl_socket_free(nsk);
        if (r < 0)
                crl_error_prefix(reterr, "service '%s': step 'net': ", s->lease.name);
        return r;
}

NsSetupHook ns_net_service_hook(NsNetService *s) {
        return service_hook;
}

int ns_net_service_commit(NsNetService *s, int pidfd, CrlError *reterr) {
        int r;

        if (s->ifindex <= 0)
                return crl_error_set(reterr, EINVAL, "service '%s': step 'net-pin': its veth was never made (hook not run)",
                                     s->lease.name);
        r = ns_pin(pidfd, s->lease.name, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': step 'net-pin': ", s->lease.name);
                return r;
        }
        s->pinned = true;
        s->committed = true;
        return 0;
}

void ns_net_service_abort(NsNetService *s) {
        if (!s)
                return;
        /* a failed start reports its own error; this is best effort */
        (void) undo(s, s->lease.new_lease && !s->committed, NULL);
        ns_net_service_free(s);
}

int ns_net_service_destroy(NsNetService *s, CrlError *reterr) {
        int r;

        r = undo(s, false, reterr);
        if (r < 0)
                crl_error_prefix(reterr, "service '%s': step 'net-destroy': ", s->lease.name);
        ns_net_service_free(s);
        return r;
}

/* ---- re-adoption ---- */

static int adopt_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        NsNetService *s = userdata;
        NsIpamEntry *e = ns_ipam_find(ipam, s->lease.name);

        if (!e || !e->active)
                return crl_error_set(reterr, ENOENT, "no active address lease on bridge '%s'", b->name);
        s->lease.address = e->addr;
        s->lease.prefixlen = ipam->prefixlen;
        /* a unit's own Gateway= is not in the state; only reported here */
        s->lease.gateway = ns_ipam_gateway(ipam);
        return 0;
}

/* The host end of s's veth, by its alias; one whose deletion is pending
 * belonged to an earlier run. */
static int adopt_link(NsNet *n, NsNetService *s, CrlError *reterr) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r, ifindex;

        r = ns_link_list_ours(n->sk, &pairs);
        if (r < 0)
                return crl_error_set(reterr, -r, "listing corral's links: %s", strerror(-r));
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                if (!streq(pairs[i + 1], s->lease.name) || ns_link_ifindex(n->sk, pairs[i], &ifindex) < 0 ||
                    ns_net_deletion_pending(n, ifindex))
                        continue;
                snprintf(s->lease.host_ifname, sizeof(s->lease.host_ifname), "%s", pairs[i]);
                s->ifindex = ifindex;
                return 0;
        }
        return crl_error_set(reterr, ENOENT, "its veth is gone");
}

static int adopt_steps(NsNet *n, NsNetService *s, const UnitConfig *unit, int pidfd, CrlError *reterr) {
        int r;

        r = ns_net_bridge_get(n, unit->network.bridge, &s->bridge, reterr);
        if (r >= 0)
                r = ns_net_with_state(n, s->bridge, adopt_fn, s, reterr);
        if (r >= 0)
                r = adopt_link(n, s, reterr);
        if (r < 0)
                return r;
        s->leased = true;
        s->lease.bridge = s->bridge->name;
        inet_ntop(AF_INET, &s->lease.address, s->lease.address_str, sizeof(s->lease.address_str));
        /* the same namespace again if the pin is there; made if it is not */
        r = ns_pin(pidfd, s->lease.name, reterr);
        if (r < 0)
                return r;
        s->pinned = s->committed = true;
        return 0;
}

int ns_net_service_adopt(NsNet *n, const UnitConfig *unit, int pidfd, NsNetService **ret, CrlError *reterr) {
        _cleanup_(ns_net_service_freep) NsNetService *s = NULL;
        int r;

        r = service_alloc(n, unit->name, &s, reterr);
        if (r >= 0)
                r = adopt_steps(n, s, unit, pidfd, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': step 'net-adopt': ", unit->name);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- crash recovery and shutdown ---- */

static int stale_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        int r;

        for (size_t i = 0; i < ipam->n; i++) {
                NsIpamEntry *e = &ipam->entries[i];

                if (service_find(n, e->name))
                        continue;
                e->active = false;
                free(e->ports);
                e->ports = NULL;
                ns_net_files_remove(n, e->name);
        }
        r = ns_net_nft_apply(n, b, ipam, reterr);
        if (r >= 0)
                r = ns_net_hosts_refresh(n, b, ipam, NULL, reterr);
        return r < 0 ? r : 1;
}

/* What a crashed corrald left: links (and pins) of services nobody adopted.
 * Deleted here with RTM_DELLINK, blocking: their namespaces may be held by
 * the stale pin or anyone, and this runs once, before the loop. */
static int delete_stale_links(NsNet *n, char **pairs, CrlError *reterr) {
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                int r, ifindex;

                if (service_find(n, pairs[i + 1]) ||
                    (ns_link_ifindex(n->sk, pairs[i], &ifindex) >= 0 && ns_net_deletion_pending(n, ifindex)))
                        continue;
                r = ns_net_link_delete(n, pairs[i]);
                if (r < 0 && r != -ENODEV)
                        return crl_error_set(reterr, -r, "network: deleting stale link '%s' of '%s': %s", pairs[i],
                                             pairs[i + 1], strerror(-r));
                r = ns_unpin(pairs[i + 1], reterr);
                if (r < 0)
                        return r;
                ns_net_files_remove(n, pairs[i + 1]);
        }
        return 0;
}

int ns_net_cleanup_stale(NsNet *n, CrlError *reterr) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = ns_net_bridges_load(n);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading '%s': %s", n->dir, strerror(-r));
        r = ns_link_list_ours(n->sk, &pairs);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: listing corral's links: %s", strerror(-r));
        r = delete_stale_links(n, pairs, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_bridges; i++) {
                r = ns_net_with_state(n, n->bridges[i], stale_fn, NULL, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Only corrald's own bridge, only when it made it and nothing uses it. */
static int bridge_remove(NsNet *n, CrlError *reterr) {
        NsBridge *b = n->bridges[0];
        unsigned ports = 0;
        bool ours = false;
        int r;

        r = ns_link_bridge_ports(n->sk, b->name, &ours, &ports);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return crl_error_set(reterr, -r, "network: inspecting bridge '%s': %s", b->name, strerror(-r));
        if (!ours || ports > 0)
                return 0;
        r = ns_link_delete(n->sk, b->name);
        if (r < 0 && r != -ENODEV)
                return crl_error_set(reterr, -r, "network: deleting bridge '%s': %s", b->name, strerror(-r));
        return 0;
}

int ns_net_shutdown(NsNet *n, CrlError *reterr) {
        int r, rf;

        if (n->n_services > 0)
                return crl_error_set(reterr, EBUSY, "network: %zu services are still attached", n->n_services);
        /* at exit, off the loop: the veths of the last services go first;
         * a failure there still lets the rest run */
        rf = ns_net_flush(n, NS_NET_FLUSH_TIMEOUT_MS, reterr);
        r = ns_net_localnet_off(n, reterr);
        if (r >= 0)
                r = ns_net_nft_run(n, ns_nft_script_delete(), reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_bridges; i++)
                n->bridges[i]->ifindex = 0;
        r = bridge_remove(n, reterr);
        return r < 0 ? r : rf;
}
