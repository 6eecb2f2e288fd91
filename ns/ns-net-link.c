/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Links, addresses and routes through libnl-route-3. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <string.h>

#include "ns-net-internal.h"
#include "ns-net.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_route *, rtnl_route_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cache *, nl_cache_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free);

int ns_nl_errno(int nlerr) {
        static const struct { int nle, err; } map[] = {
                { NLE_EXIST, EEXIST },       { NLE_NOMEM, ENOMEM },     { NLE_PERM, EPERM },
                { NLE_INVAL, EINVAL },       { NLE_BUSY, EBUSY },       { NLE_NODEV, ENODEV },
                { NLE_OBJ_NOTFOUND, ENODEV }, { NLE_AGAIN, EAGAIN },    { NLE_RANGE, ERANGE },
                { NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_NOADDR, EADDRNOTAVAIL }, { NLE_NOACCESS, EACCES }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
        };
        int e = nlerr < 0 ? -nlerr : nlerr;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (map[i].nle == e)
                        return -map[i].err;
        return -EIO;
}

int ns_nl_open(struct nl_sock **ret) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        /* libnl >= 3.2.27 opens its socket with SOCK_CLOEXEC. */
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                return ns_nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

/* A netlink socket belongs to the namespace it was created in: this thread
 * enters the target's network namespace, creates the socket (and an nsfs fd
 * of the namespace), and returns to its own. No helper thread: corrald has
 * exactly one (a clone3 child of a threaded process can deadlock in glibc),
 * and setns(CLONE_NEWNET) changes nothing but this thread's network
 * namespace. -ENOTRECOVERABLE when the way back fails: this thread then is
 * in the service's namespace, and nothing of the host's may be touched. */
int ns_nl_open_in(int ns_or_pidfd, struct nl_sock **ret, int *ret_nsfd) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_close_ int self = -EBADF, nsfd = -EBADF;
        int r = 0;

        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return -errno;
        if (setns(ns_or_pidfd, CLONE_NEWNET) < 0)
                return -errno;
        if (ret_nsfd) {
                nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
                if (nsfd < 0)
                        r = -errno;
        }
        if (r >= 0)
                r = ns_nl_open(&sk);
        if (setns(self, CLONE_NEWNET) < 0)
                return -ENOTRECOVERABLE;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(sk);
        if (ret_nsfd)
                *ret_nsfd = TAKE_FD(nsfd);
        return 0;
}

static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **ret) {
        int r = rtnl_link_get_kernel(sk, 0, name, ret);
        return r < 0 ? ns_nl_errno(r) : 0;
}

/* From o on (inclusive), the next IPv4 address of ifindex in an address
 * cache, or NULL. */
static struct rtnl_addr *ipv4_from(struct nl_object *o, int ifindex) {
        for (; o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;

                if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_family(a) == AF_INET &&
                    rtnl_addr_get_local(a))
                        return a;
        }
        return NULL;
}

#define FOREACH_IPV4(a, cache, ifindex)                                         \
        for (struct rtnl_addr *a = ipv4_from(nl_cache_get_first(cache), ifindex); a; \
             a = ipv4_from(nl_cache_get_next((struct nl_object *) a), ifindex))

/* The first IPv4 address of ifindex; 0 when found, -EADDRNOTAVAIL when none. */
static int first_ipv4(struct nl_sock *sk, int ifindex, struct in_addr *ret_addr, uint8_t *ret_prefixlen) {
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        int r;

        r = rtnl_addr_alloc_cache(sk, &cache);
        if (r < 0)
                return ns_nl_errno(r);
        FOREACH_IPV4(a, cache, ifindex) {
                memcpy(ret_addr, nl_addr_get_binary_addr(rtnl_addr_get_local(a)), 4);
                *ret_prefixlen = rtnl_addr_get_prefixlen(a);
                return 0;
        }
        return -EADDRNOTAVAIL;
}

static bool is_bridge(struct rtnl_link *l) {
        return rtnl_link_get_type(l) && streq(rtnl_link_get_type(l), "bridge");
}

int ns_link_bridge_lookup(struct nl_sock *sk, const char *name, int *ret_ifindex, struct in_addr *ret_addr,
                          uint8_t *ret_prefixlen, CrlError *reterr) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        int r;

        r = link_get(sk, name, &l);
        if (r == -ENODEV)
                return crl_error_set(reterr, ENODEV, "Bridge=%s: no such bridge (corrald creates only its own; "
                                     "create this one with an IPv4 address first)", name);
        if (r < 0)
                return crl_error_set(reterr, -r, "Bridge=%s: looking it up: %s", name, strerror(-r));
        if (!is_bridge(l))
                return crl_error_set(reterr, EINVAL, "Bridge=%s: the link is not a bridge (type %s)", name,
                                     rtnl_link_get_type(l) ?: "unknown");
        r = first_ipv4(sk, rtnl_link_get_ifindex(l), ret_addr, ret_prefixlen);
        if (r == -EADDRNOTAVAIL)
                return crl_error_set(reterr, EADDRNOTAVAIL, "Bridge=%s: the bridge has no IPv4 address to "
                                     "serve as the services' gateway and subnet", name);
        if (r < 0)
                return crl_error_set(reterr, -r, "Bridge=%s: reading its addresses: %s", name, strerror(-r));
        *ret_ifindex = rtnl_link_get_ifindex(l);
        return 0;
}

/* Does the link have exactly addr/prefixlen among its IPv4 addresses? 1 yes,
 * 0 no address at all, -EEXIST another one (named in *ret_other). */
static int bridge_check_addr(struct nl_sock *sk, int ifindex, struct in_addr addr, uint8_t prefixlen,
                             char ret_other[64]) {
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        int r, found = 0;

        r = rtnl_addr_alloc_cache(sk, &cache);
        if (r < 0)
                return ns_nl_errno(r);
        FOREACH_IPV4(a, cache, ifindex) {
                struct nl_addr *l = rtnl_addr_get_local(a);

                if (memcmp(nl_addr_get_binary_addr(l), &addr, 4) == 0 && rtnl_addr_get_prefixlen(a) == prefixlen)
                        return 1;
                nl_addr2str(l, ret_other, 64);
                found = -EEXIST;
        }
        return found;
}

int ns_link_addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr, uint8_t prefixlen,
                     unsigned flags) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *l = nl_addr_build(family, addr,
                                                                  family == AF_INET6 ? 16 : 4);
        int r;

        if (!a || !l)
                return -ENOMEM;
        nl_addr_set_prefixlen(l, prefixlen);
        rtnl_addr_set_ifindex(a, ifindex);
        r = rtnl_addr_set_local(a, l);
        if (r < 0)
                return ns_nl_errno(r);
        rtnl_addr_set_prefixlen(a, prefixlen);
        if (flags)
                rtnl_addr_set_flags(a, flags);
        r = rtnl_addr_add(sk, a, 0);
        return r < 0 ? ns_nl_errno(r) : 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, struct in_addr addr, uint8_t prefixlen) {
        return ns_link_addr_add(sk, ifindex, AF_INET, &addr, prefixlen, 0);
}

/* Set flags (IFF_UP) and optionally the alias on an existing link. */
static int link_change(struct nl_sock *sk, struct rtnl_link *orig, unsigned flags, const char *alias) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();
        int r;

        if (!c)
                return -ENOMEM;
        if (flags)
                rtnl_link_set_flags(c, flags);
        if (alias)
                rtnl_link_set_ifalias(c, alias);
        r = rtnl_link_change(sk, orig, c, 0);
        return r < 0 ? ns_nl_errno(r) : 0;
}

static int bridge_create(struct nl_sock *sk, const char *name) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_bridge_alloc();
        int r;

        if (!l)
                return -ENOMEM;
        rtnl_link_set_name(l, name);
        r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? ns_nl_errno(r) : 0;
}

int ns_link_bridge_ensure(struct nl_sock *sk, const char *name, struct in_addr addr, uint8_t prefixlen,
                          int *ret_ifindex, CrlError *reterr) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        char other[64] = "", want[INET_ADDRSTRLEN];
        bool created = false;
        int r;

        inet_ntop(AF_INET, &addr, want, sizeof(want));
        r = link_get(sk, name, &l);
        if (r == -ENODEV) {
                r = bridge_create(sk, name);
                if (r < 0 && r != -EEXIST) /* EEXIST: lost a race, look again */
                        return crl_error_set(reterr, -r, "bridge '%s': creating it: %s", name, strerror(-r));
                created = r == 0;
                r = link_get(sk, name, &l);
        }
        if (r < 0)
                return crl_error_set(reterr, -r, "bridge '%s': looking it up: %s", name, strerror(-r));
        if (!is_bridge(l))
                return crl_error_set(reterr, EEXIST, "bridge '%s': a link of that name exists and is not a bridge (type %s); refusing to use it",
                                     name, rtnl_link_get_type(l) ?: "unknown");
        r = bridge_check_addr(sk, rtnl_link_get_ifindex(l), addr, prefixlen, other);
        if (r == -EEXIST)
                return crl_error_set(reterr, EEXIST, "bridge '%s' exists with address %s, not %s/%u as configured (Subnet=); refusing to use it",
                                     name, other, want, prefixlen);
        if (r < 0)
                return crl_error_set(reterr, -r, "bridge '%s': reading its addresses: %s", name, strerror(-r));
        if (r == 0) {
                r = addr_add(sk, rtnl_link_get_ifindex(l), addr, prefixlen);
                if (r < 0)
                        return crl_error_set(reterr, -r, "bridge '%s': adding %s/%u: %s", name, want, prefixlen, strerror(-r));
        }
        r = link_change(sk, l, IFF_UP, created ? NS_NET_BRIDGE_ALIAS : NULL);
        if (r < 0)
                return crl_error_set(reterr, -r, "bridge '%s': setting it up: %s", name, strerror(-r));
        *ret_ifindex = rtnl_link_get_ifindex(l);
        return 0;
}

int ns_link_veth_create(struct nl_sock *sk, const char *host_ifname, const char *alias, int master_ifindex,
                        int netns_fd, int *ret_ifindex, CrlError *reterr) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_veth_alloc();
        _cleanup_(rtnl_link_putp) struct rtnl_link *made = NULL;
        struct rtnl_link *peer;
        int r;

        if (!l)
                return -ENOMEM;
        peer = rtnl_link_veth_get_peer(l);
        rtnl_link_set_name(l, host_ifname);
        rtnl_link_set_master(l, master_ifindex);
        rtnl_link_set_flags(l, IFF_UP);
        rtnl_link_set_name(peer, NS_NET_PEER_IFNAME);
        rtnl_link_set_ns_fd(peer, netns_fd);
        rtnl_link_put(peer);
        /* One RTM_NEWLINK creates both ends, the peer already in the service's
         * namespace and the host end on the bridge and up. The peer cannot be
         * set up in the same message: veth_open() fails with ENOTCONN while
         * the pair is not yet linked; peer_configure() does it. */
        r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0)
                return crl_error_set(reterr, -ns_nl_errno(r), "veth '%s': creating it: %s", host_ifname, nl_geterror(r));
        /* The kernel ignores IFLA_IFALIAS when creating a link. */
        r = link_get(sk, host_ifname, &made);
        if (r >= 0) {
                *ret_ifindex = rtnl_link_get_ifindex(made);
                r = link_change(sk, made, 0, alias);
        }
        if (r < 0)
                return crl_error_set(reterr, -r, "veth '%s': setting its alias: %s", host_ifname, strerror(-r));
        return 0;
}

int ns_link_delete(struct nl_sock *sk, const char *ifname) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
        int r;

        if (!l)
                return -ENOMEM;
        rtnl_link_set_name(l, ifname);
        r = rtnl_link_delete(sk, l);
        return r < 0 ? ns_nl_errno(r) : 0;
}

int ns_link_exists(struct nl_sock *sk, int ifindex) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        int r = rtnl_link_get_kernel(sk, ifindex, NULL, &l);

        if (r < 0)
                return ns_nl_errno(r) == -ENODEV ? 0 : ns_nl_errno(r);
        return 1;
}

int ns_link_ifindex(struct nl_sock *sk, const char *ifname, int *ret) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        int r;

        r = link_get(sk, ifname, &l);
        if (r < 0)
                return r;
        *ret = rtnl_link_get_ifindex(l);
        return 0;
}

int ns_link_get_alias(struct nl_sock *sk, const char *ifname, char **ret) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        const char *a;
        int r;

        r = link_get(sk, ifname, &l);
        if (r < 0)
                return r;
        a = rtnl_link_get_ifalias(l);
        *ret = a ? strdup(a) : NULL;
        return a && !*ret ? -ENOMEM : 0;
}

static int default_route_add(struct nl_sock *nsk, int ifindex, struct in_addr gw) {
        _cleanup_(rtnl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *dst = nl_addr_build(AF_INET, &(struct in_addr) {}, 4);
        _cleanup_(nl_addr_putp) struct nl_addr *via = nl_addr_build(AF_INET, &gw, 4);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        int r;

        if (!rt || !dst || !via || !nh) {
                if (nh)
                        rtnl_route_nh_free(nh);
                return -ENOMEM;
        }
        nl_addr_set_prefixlen(dst, 0);
        rtnl_route_set_family(rt, AF_INET);
        rtnl_route_set_dst(rt, dst);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, via);
        rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
        r = rtnl_route_add(nsk, rt, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? ns_nl_errno(r) : 0;
}

int ns_link_peer_configure(struct nl_sock *nsk, struct in_addr addr, uint8_t prefixlen, struct in_addr gw,
                           CrlError *reterr) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL, *eth = NULL;
        const char *step;
        int r;

        step = "lo";
        r = link_get(nsk, "lo", &lo);
        if (r >= 0)
                r = link_change(nsk, lo, IFF_UP, NULL);
        if (r < 0)
                goto fail;
        step = NS_NET_PEER_IFNAME;
        r = link_get(nsk, NS_NET_PEER_IFNAME, &eth);
        if (r < 0)
                goto fail;
        step = "address";
        r = addr_add(nsk, rtnl_link_get_ifindex(eth), addr, prefixlen);
        if (r < 0)
                goto fail;
        step = NS_NET_PEER_IFNAME " up";
        r = link_change(nsk, eth, IFF_UP, NULL);
        if (r < 0)
                goto fail;
        step = "default route";
        r = default_route_add(nsk, rtnl_link_get_ifindex(eth), gw);
        if (r < 0)
                goto fail;
        return 0;
fail:
        return crl_error_set(reterr, -r, "inside the service's namespace: %s: %s", step, strerror(-r));
}

static bool alias_is_ours(const char *alias) {
        return alias && strneq(alias, NS_NET_ALIAS_PREFIX, strlen(NS_NET_ALIAS_PREFIX));
}

int ns_link_list_ours(struct nl_sock *sk, char ***ret_pairs) {
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0)
                return ns_nl_errno(r);
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *k = (struct rtnl_link *) o;
                const char *alias = rtnl_link_get_ifalias(k), *type = rtnl_link_get_type(k);

                if (!type || !streq(type, "veth") || !alias_is_ours(alias))
                        continue;
                if (strv_extend(&l, rtnl_link_get_name(k)) < 0 ||
                    strv_extend(&l, alias + strlen(NS_NET_ALIAS_PREFIX)) < 0)
                        return -ENOMEM;
        }
        *ret_pairs = TAKE_PTR(l);
        return 0;
}

int ns_link_bridge_ports(struct nl_sock *sk, const char *bridge, bool *ret_ours, unsigned *ret_n) {
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        struct rtnl_link *br;
        unsigned n = 0;
        int r, ifindex;

        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0)
                return ns_nl_errno(r);
        br = rtnl_link_get_by_name(cache, bridge);
        if (!br)
                return -ENODEV;
        ifindex = rtnl_link_get_ifindex(br);
        *ret_ours = rtnl_link_get_ifalias(br) && streq(rtnl_link_get_ifalias(br), NS_NET_BRIDGE_ALIAS);
        rtnl_link_put(br);
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
                if (rtnl_link_get_master((struct rtnl_link *) o) == ifindex)
                        n++;
        *ret_n = n;
        return 0;
}

int ns_link_default_route_ifnames(struct nl_sock *sk, char ***ret) {
        _cleanup_(nl_cache_freep) struct nl_cache *routes = NULL, *links = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
        if (r >= 0)
                r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
        if (r < 0)
                return ns_nl_errno(r);
        for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;
                struct rtnl_nexthop *nh;
                char name[IFNAMSIZ];

                if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || nl_addr_get_prefixlen(rtnl_route_get_dst(rt)) != 0 ||
                    rtnl_route_get_nnexthops(rt) < 1)
                        continue;
                nh = rtnl_route_nexthop_n(rt, 0);
                if (!rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), name, sizeof(name)))
                        continue;
                if (!strv_contains(l, name) && strv_extend(&l, name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
