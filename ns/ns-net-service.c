/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service networking: attach, detach, crash recovery and shutdown. */
#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

#include "ns-net-internal.h"
#include "ns-net.h"
#include "strv.h"

static NsNetLease *lease_free(NsNetLease *l) {
        if (l) {
                free(l->name);
                free(l->warning);
                free(l);
        }
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NsNetLease *, lease_free);

static NsNetLease *lease_find(NsNet *n, const char *name, size_t *ret_idx) {
        for (size_t i = 0; i < n->n_leases; i++)
                if (streq(n->leases[i]->name, name)) {
                        if (ret_idx)
                                *ret_idx = i;
                        return n->leases[i];
                }
        return NULL;
}

const NsNetLease *ns_net_service_lease(NsNet *n, const char *name) {
        return lease_find(n, name, NULL);
}

static int lease_keep(NsNet *n, NsNetLease *l) {
        NsNetLease **nl = realloc(n->leases, (n->n_leases + 1) * sizeof(*nl));

        if (!nl)
                return -ENOMEM;
        n->leases = nl;
        nl[n->n_leases++] = l;
        return 0;
}

static void lease_drop(NsNet *n, const char *name) {
        size_t i;

        if (!lease_find(n, name, &i))
                return;
        lease_free(n->leases[i]);
        memmove(n->leases + i, n->leases + i + 1, (n->n_leases - i - 1) * sizeof(*n->leases));
        n->n_leases--;
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

/* The host end's name: "vc-NAME" unless another service holds it. A link
 * that carries this service's own alias is a leftover of a crashed corrald
 * and is deleted, so a service never has two. */
static int pick_ifname(NsNet *n, const char *name, char ret[IFNAMSIZ], CrlError *reterr) {
        _cleanup_free_ char *want = NULL;
        int r;

        if (asprintf(&want, NS_NET_ALIAS_PREFIX "%s", name) < 0)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                _cleanup_free_ char *alias = NULL;

                ns_net_ifname(name, attempt, ret);
                r = ns_link_get_alias(n->sk, ret, &alias);
                if (r == -ENODEV)
                        return 0;
                if (r < 0)
                        return crl_error_set(reterr, -r, "looking up link '%s': %s", ret, strerror(-r));
                if (alias && streq(alias, want)) {
                        r = ns_net_link_delete(n, ret);
                        if (r < 0 && r != -ENODEV)
                                return crl_error_set(reterr, -r, "deleting stale link '%s': %s", ret, strerror(-r));
                        return 0;
                }
        }
        return crl_error_set(reterr, EEXIST, "no free interface name for the host end");
}

static int attach_links(NsNet *n, const NsBridge *b, NsNetLease *l, struct nl_sock *nsk, int netns_fd,
                        CrlError *reterr) {
        _cleanup_free_ char *alias = NULL;
        int r;

        if (asprintf(&alias, NS_NET_ALIAS_PREFIX "%s", l->name) < 0)
                return -ENOMEM;
        r = ns_link_veth_create(n->sk, l->host_ifname, alias, b->ifindex, netns_fd, reterr);
        if (r >= 0)
                r = ns_link_peer_configure(nsk, l->address, l->prefixlen, l->gateway, reterr);
        return r;
}

static int attach_files(NsNet *n, NsBridge *b, NsNetLease *l, CrlError *reterr) {
        int r;

        r = ns_net_with_state(n, b, ns_net_hosts_refresh, l->name, reterr);
        if (r < 0)
                return r;
        r = ns_net_resolv_write(n, l->name, &l->warning);
        if (r < 0)
                return crl_error_set(reterr, -r, "writing resolv.conf: %s", strerror(-r));
        return 0;
}

static int attach_steps(NsNet *n, const UnitConfig *unit, NsNetLease *l, struct nl_sock *nsk, int netns_fd,
                        CrlError *reterr) {
        AttachState a = { .unit = unit, .lease = l };
        ReleaseState rs = { .name = unit->name };
        NsBridge *b;
        int r;

        r = ns_net_bridge_get(n, unit->network.bridge, &b, reterr);
        if (r >= 0)
                r = gateway_check(b, &unit->network, &l->gateway, reterr);
        if (r >= 0)
                r = ns_net_bridge_ready(n, b, reterr);
        if (r >= 0)
                r = ports_check_other_bridges(n, b, unit, reterr);
        if (r >= 0)
                r = pick_ifname(n, unit->name, l->host_ifname, reterr);
        if (r >= 0)
                r = ns_net_with_state(n, b, attach_lease_fn, &a, reterr);
        if (r < 0)
                return r;
        l->bridge = b->name;
        l->new_lease = a.new_lease;
        inet_ntop(AF_INET, &l->address, l->address_str, sizeof(l->address_str));
        r = attach_links(n, b, l, nsk, netns_fd, reterr);
        if (r >= 0)
                r = attach_files(n, b, l, reterr);
        if (r < 0) {
                rs.forget = a.new_lease;
                /* undo; -ENODEV when never made; deleting one end removes both */
                (void) ns_net_link_delete(n, l->host_ifname);
                (void) ns_net_with_state(n, b, release_fn, &rs, NULL); /* best effort; the first error is reported */
        }
        return r;
}

static int attach_with(NsNet *n, const UnitConfig *unit, struct nl_sock *nsk, int netns_fd,
                       const NsNetLease **ret_lease, CrlError *reterr) {
        _cleanup_(lease_freep) NsNetLease *l = calloc(1, sizeof(*l));
        int r;

        if (!l || !(l->name = strdup(unit->name)))
                return -ENOMEM;
        if (lease_find(n, unit->name, NULL))
                return crl_error_set(reterr, EALREADY, "service '%s': step 'net': already attached", unit->name);
        r = attach_steps(n, unit, l, nsk, netns_fd, reterr);
        if (r >= 0)
                r = lease_keep(n, l);
        if (r < 0) {
                ns_net_files_remove(n, unit->name);
                crl_error_prefix(reterr, "service '%s': step 'net': ", unit->name);
                return r;
        }
        if (ret_lease)
                *ret_lease = l;
        TAKE_PTR(l);
        return 0;
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

int ns_net_service_attach(NsNet *n, const UnitConfig *unit, int netns_fd, const NsNetLease **ret_lease,
                          CrlError *reterr) {
        struct nl_sock *nsk = NULL;
        int r;

        r = open_in(n, unit->name, netns_fd, &nsk, NULL, reterr);
        if (r < 0)
                return r;
        r = attach_with(n, unit, nsk, netns_fd, ret_lease, reterr);
        nl_socket_free(nsk);
        return r;
}

int ns_net_service_attach_pidfd(NsNet *n, const UnitConfig *unit, int pidfd, const NsNetLease **ret_lease,
                                CrlError *reterr) {
        struct nl_sock *nsk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int r;

        r = open_in(n, unit->name, pidfd, &nsk, &nsfd, reterr);
        if (r < 0)
                return r;
        r = attach_with(n, unit, nsk, nsfd, ret_lease, reterr);
        nl_socket_free(nsk);
        return r;
}

int ns_net_setup_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        NsNetAttach *a = userdata;

        return ns_net_service_attach_pidfd(a->net, a->unit, child_pidfd, &a->lease, reterr);
}

/* The host end of name's veth: from the lease, else found by its alias. */
static int find_ifname(NsNet *n, const char *name, char ret[IFNAMSIZ]) {
        _cleanup_strv_free_ char **pairs = NULL;
        const NsNetLease *l = lease_find(n, name, NULL);
        int r;

        if (l) {
                memcpy(ret, l->host_ifname, IFNAMSIZ);
                return 1;
        }
        r = ns_link_list_ours(n->sk, &pairs);
        if (r < 0)
                return r;
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
                if (streq(pairs[i + 1], name)) {
                        snprintf(ret, IFNAMSIZ, "%s", pairs[i]);
                        return 1;
                }
        return 0;
}

static int detach(NsNet *n, const char *name, bool forget_new, CrlError *reterr) {
        const NsNetLease *l = lease_find(n, name, NULL);
        ReleaseState rs = { .name = name, .forget = forget_new && l && l->new_lease };
        char ifname[IFNAMSIZ];
        int r, ret = 0;

        r = find_ifname(n, name, ifname);
        if (r > 0)
                r = ns_net_link_delete(n, ifname);
        if (r < 0 && r != -ENODEV)
                ret = crl_error_set(reterr, -r, "service '%s': step 'net-detach': deleting its veth: %s", name,
                                    strerror(-r));
        /* the lease is on one bridge; releasing elsewhere finds nothing */
        for (size_t i = 0; i < n->n_bridges; i++) {
                r = ns_net_with_state(n, n->bridges[i], release_fn, &rs, reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        ns_net_files_remove(n, name);
        lease_drop(n, name);
        return ret;
}

int ns_net_service_detach(NsNet *n, const char *name, CrlError *reterr) {
        return detach(n, name, false, reterr);
}

int ns_net_service_abort(NsNet *n, const char *name, CrlError *reterr) {
        return detach(n, name, true, reterr);
}

/* ---- crash recovery and shutdown ---- */

typedef struct StaleState {
        char *const *running;
        char **pairs;           /* ifname, service name, ... */
} StaleState;

static const char *pair_ifname(char **pairs, const char *name) {
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
                if (streq(pairs[i + 1], name))
                        return pairs[i];
        return NULL;
}

static int readopt(NsNet *n, const NsBridge *b, const NsIpam *ipam, const NsIpamEntry *e, const char *ifname) {
        _cleanup_(lease_freep) NsNetLease *l = calloc(1, sizeof(*l));
        int r;

        if (!l || !(l->name = strdup(e->name)))
                return -ENOMEM;
        l->bridge = b->name;
        snprintf(l->host_ifname, sizeof(l->host_ifname), "%s", ifname);
        l->address = e->addr;
        l->prefixlen = ipam->prefixlen;
        l->gateway = ns_ipam_gateway(ipam); /* a unit's own Gateway= is not in the state; only reported here */
        inet_ntop(AF_INET, &l->address, l->address_str, sizeof(l->address_str));
        r = lease_keep(n, l);
        if (r >= 0)
                TAKE_PTR(l);
        return r;
}

static int stale_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        StaleState *s = userdata;
        int r;

        for (size_t i = 0; i < ipam->n; i++) {
                NsIpamEntry *e = &ipam->entries[i];
                const char *ifname = pair_ifname(s->pairs, e->name);

                if (e->active && ifname && strv_contains(s->running, e->name) && !lease_find(n, e->name, NULL)) {
                        r = readopt(n, b, ipam, e, ifname);
                        if (r < 0)
                                return crl_error_set(reterr, -r, "network: re-adopting '%s': %s", e->name, strerror(-r));
                } else if (!lease_find(n, e->name, NULL)) {
                        e->active = false;
                        free(e->ports);
                        e->ports = NULL;
                        ns_net_files_remove(n, e->name);
                }
        }
        r = ns_net_nft_apply(n, b, ipam, reterr);
        if (r >= 0)
                r = ns_net_hosts_refresh(n, b, ipam, NULL, reterr);
        return r < 0 ? r : 1;
}

static int delete_stale_links(NsNet *n, char **pairs, char *const *running, CrlError *reterr) {
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                int r;

                if (strv_contains(running, pairs[i + 1]))
                        continue;
                r = ns_net_link_delete(n, pairs[i]);
                if (r < 0 && r != -ENODEV)
                        return crl_error_set(reterr, -r, "network: deleting stale link '%s' of '%s': %s", pairs[i],
                                             pairs[i + 1], strerror(-r));
                ns_net_files_remove(n, pairs[i + 1]);
        }
        return 0;
}

int ns_net_cleanup_stale(NsNet *n, char *const *running, CrlError *reterr) {
        _cleanup_strv_free_ char **pairs = NULL;
        StaleState s = { .running = running };
        int r;

        r = ns_net_bridges_load(n);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading '%s': %s", n->dir, strerror(-r));
        r = ns_link_list_ours(n->sk, &pairs);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: listing corral's links: %s", strerror(-r));
        r = delete_stale_links(n, pairs, running, reterr);
        if (r < 0)
                return r;
        s.pairs = pairs;
        for (size_t i = 0; i < n->n_bridges; i++) {
                r = ns_net_with_state(n, n->bridges[i], stale_fn, &s, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ns_net_shutdown(NsNet *n, CrlError *reterr) {
        NsBridge *b = n->bridges[0];
        unsigned ports = 0;
        bool ours = false;
        int r;

        if (n->n_leases > 0)
                return crl_error_set(reterr, EBUSY, "network: %zu services are still attached", n->n_leases);
        r = ns_net_localnet_off(n, reterr);
        if (r >= 0)
                r = ns_net_nft_run(n, ns_nft_script_delete(), reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_bridges; i++)
                n->bridges[i]->ifindex = 0;
        /* only corrald's own bridge, only when it made it and nothing uses it */
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
