/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interface names, the nft script, hosts and resolv.conf text; pure. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ns-net-internal.h"
#include "ns-net.h"

/* FNV-1a: stable across runs and builds, which a crashed corrald's successor
 * relies on to find the same names. */
static uint32_t fnv1a(const char *s, unsigned salt) {
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 16777619u;
        for (unsigned i = 0; i < sizeof(salt); i++)
                h = (h ^ ((salt >> (8 * i)) & 0xff)) * 16777619u;
        return h;
}

void ns_net_ifname(const char *name, unsigned attempt, char ret[IFNAMSIZ]) {
        size_t plen = strlen(NS_NET_IFNAME_PREFIX);

        if (attempt == 0 && plen + strlen(name) < IFNAMSIZ) {
                snprintf(ret, IFNAMSIZ, "%s%s", NS_NET_IFNAME_PREFIX, name);
                return;
        }
        /* 3 + 6 + 1 + 5 = 15 bytes, the most IFNAMSIZ allows. */
        snprintf(ret, IFNAMSIZ, "%s%.6s-%05x", NS_NET_IFNAME_PREFIX, name, fnv1a(name, attempt) & 0xfffff);
}

static void nft_port_rules(FILE *f, const NsIpam *ipam) {
        for (size_t i = 0; i < ipam->n; i++) {
                const NsIpamEntry *e = &ipam->entries[i];
                _cleanup_free_ PortForward *p = NULL;
                size_t n = 0;
                char a[INET_ADDRSTRLEN];

                if (!e->active || !e->ports || ns_ports_parse(e->ports, &p, &n) < 0)
                        continue;
                inet_ntop(AF_INET, &e->addr, a, sizeof(a));
                for (size_t j = 0; j < n; j++)
                        fprintf(f, "    meta l4proto %s th dport %u dnat ip to %s:%u comment \"%s\"\n",
                                p[j].protocol == IPPROTO_UDP ? "udp" : "tcp", p[j].host_port, a,
                                p[j].service_port, e->name);
        }
}

static void nft_postrouting(FILE *f, const char *bridge, const NsIpam *ipam) {
        char net[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &ipam->subnet, net, sizeof(net));
        fprintf(f, "    ip saddr %s/%u ip daddr != %s/%u masquerade\n", net, ipam->prefixlen, net, ipam->prefixlen);
        /* the host's own connections to 127.0.0.1:PORT (route_localnet is on
         * for the bridge) and a service reaching another through a host port */
        fprintf(f, "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", bridge);
        fprintf(f, "    oifname \"%s\" ct status dnat ip saddr %s/%u masquerade\n", bridge, net, ipam->prefixlen);
}

/* route_localnet, which the host's 127.0.0.1:PORT needs on the bridge, also
 * makes the kernel accept packets from the bridge to and from 127.0.0.0/8:
 * a service that is root in its namespace could reach the host's loopback
 * sockets (CVE-2020-8558, kube-proxy's bug) or pose as localhost. After
 * dstnat, so a Port= forward (daddr rewritten, status dnat) passes, and so do
 * replies to the host's own 127.0.0.1:PORT connections (un-NATed back to
 * 127.0.0.1, status dnat). Note `ct status != dnat` would compare the whole
 * word; `& dnat == 0` tests the bit. On corrald's own bridge, where only its
 * services live, any source outside the subnet is a spoof too. */
static void nft_guard(FILE *f, const NsNftBridge *b) {
        char net[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &b->ipam->subnet, net, sizeof(net));
        if (b->managed)
                fprintf(f, "    iifname \"%s\" ip saddr != %s/%u drop\n", b->name, net, b->ipam->prefixlen);
        else
                fprintf(f, "    iifname \"%s\" ip saddr 127.0.0.0/8 drop\n", b->name);
        fprintf(f, "    iifname \"%s\" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop\n", b->name);
}

/* Per-interface forwarding (the uplinks and the bridge) would let a machine
 * on the uplink's network that routes corrald's subnet via this host reach
 * any port of any service. From outside the bridges, only replies and what
 * a DNAT (Port=) rewrote may go to the subnet. Only corrald's own bridge:
 * someone else's bridge may be routed on purpose. */
static void nft_guard_subnet(FILE *f, const NsNftBridge *bridges, size_t n_bridges, const NsNftBridge *b) {
        const char *verdicts[] = { "ct direction reply accept", "ct status dnat accept", "drop" };
        char net[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &b->ipam->subnet, net, sizeof(net));
        for (size_t v = 0; v < ELEMENTSOF(verdicts); v++) {
                fputs("    iifname != {", f);
                for (size_t i = 0; i < n_bridges; i++)
                        fprintf(f, "%s \"%s\"", i ? "," : "", bridges[i].name);
                fprintf(f, " } ip daddr %s/%u %s\n", net, b->ipam->prefixlen, verdicts[v]);
        }
}

/* Declaring the table first makes "delete" succeed when it did not exist;
 * the whole buffer is one nft transaction, so the old and the new table are
 * swapped atomically and no other table is named. */
int ns_nft_script(const NsNftBridge *bridges, size_t n_bridges, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "table inet %s {}\ndelete table inet %s\n", NS_NET_NFT_TABLE, NS_NET_NFT_TABLE);
        fprintf(f, "table inet %s {\n", NS_NET_NFT_TABLE);
        fputs("  chain ports {\n", f);
        for (size_t i = 0; i < n_bridges; i++)
                nft_port_rules(f, bridges[i].ipam);
        fputs("  }\n"
              "  chain prerouting {\n"
              "    type nat hook prerouting priority dstnat; policy accept;\n"
              "    meta nfproto ipv4 fib daddr type local jump ports\n"
              "  }\n"
              "  chain output {\n"
              "    type nat hook output priority -100; policy accept;\n"
              "    meta nfproto ipv4 fib daddr type local jump ports\n"
              "  }\n"
              "  chain postrouting {\n"
              "    type nat hook postrouting priority srcnat; policy accept;\n", f);
        for (size_t i = 0; i < n_bridges; i++)
                nft_postrouting(f, bridges[i].name, bridges[i].ipam);
        fputs("  }\n"
              "  chain guard {\n"
              "    type filter hook prerouting priority filter; policy accept;\n", f);
        for (size_t i = 0; i < n_bridges; i++) {
                nft_guard(f, &bridges[i]);
                if (bridges[i].managed)
                        nft_guard_subnet(f, bridges, n_bridges, &bridges[i]);
        }
        fputs("  }\n}\n", f);
        return ns_memstream_done(f, &buf, ret);
}

/* Only the port forwards: the base chains (and their hooks) stay, which
 * keeps the kernel from unregistering and re-registering hooks, each with
 * an RCU grace period, on every start or stop of a service with Port=. */
int ns_nft_script_ports(const NsNftBridge *bridges, size_t n_bridges, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "flush chain inet %s ports\ntable inet %s {\n  chain ports {\n", NS_NET_NFT_TABLE,
                NS_NET_NFT_TABLE);
        for (size_t i = 0; i < n_bridges; i++)
                nft_port_rules(f, bridges[i].ipam);
        fputs("  }\n}\n", f);
        return ns_memstream_done(f, &buf, ret);
}

const char *ns_nft_script_delete(void) {
        return "table inet " NS_NET_NFT_TABLE " {}\ndelete table inet " NS_NET_NFT_TABLE "\n";
}

int ns_hosts_text(const NsIpam *ipam, const char *self, char **ret) {
        const NsIpamEntry *me = ns_ipam_find(ipam, self);
        char *buf = NULL, a[INET_ADDRSTRLEN];
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fputs("# written by corrald: this service and the running services on its bridge\n"
              "127.0.0.1\tlocalhost\n"
              "::1\tlocalhost ip6-localhost ip6-loopback\n", f);
        if (me) {
                inet_ntop(AF_INET, &me->addr, a, sizeof(a));
                fprintf(f, "%s\t%s\n", a, me->name);
        }
        for (size_t i = 0; i < ipam->n; i++) {
                const NsIpamEntry *e = &ipam->entries[i];

                if (!e->active || e == me)
                        continue;
                inet_ntop(AF_INET, &e->addr, a, sizeof(a));
                fprintf(f, "%s\t%s\n", a, e->name);
        }
        return ns_memstream_done(f, &buf, ret);
}

static bool nameserver_reachable(const char *addr) {
        struct in6_addr a6;
        struct in_addr a4;

        if (inet_pton(AF_INET, addr, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) != 127 && a4.s_addr != 0;
        if (inet_pton(AF_INET6, addr, &a6) == 1)
                return !IN6_IS_ADDR_LOOPBACK(&a6) && !IN6_IS_ADDR_UNSPECIFIED(&a6);
        return false;
}

/* Copy the reachable nameserver lines of src to f (all other lines when
 * with_rest); returns how many nameservers were copied. */
static unsigned resolv_filter(FILE *f, const char *src, bool with_rest, char *dropped, size_t dropped_size) {
        _cleanup_free_ char *copy = strdup(src ?: "");
        char *save = NULL;
        unsigned n = 0;

        if (!copy)
                return 0;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char ns[64];

                if (sscanf(l, " nameserver %63s", ns) == 1) {
                        if (nameserver_reachable(ns)) {
                                fprintf(f, "nameserver %s\n", ns);
                                n++;
                        } else if (dropped && strlen(dropped) + strlen(ns) + 2 < dropped_size) {
                                strcat(dropped, dropped[0] ? ", " : "");
                                strcat(dropped, ns);
                        }
                } else if (with_rest && (strneq(l, "search", 6) || strneq(l, "domain", 6) || strneq(l, "options", 7)))
                        fprintf(f, "%s\n", l);
        }
        return n;
}

int ns_resolv_text(const char *host, const char *fallback, char **ret, char **ret_warning) {
        char *buf = NULL, dropped[256] = "";
        size_t size = 0;
        unsigned n;
        FILE *f = open_memstream(&buf, &size);
        int r;

        if (!f)
                return -ENOMEM;
        fputs("# written by corrald from the host's resolv.conf\n", f);
        n = resolv_filter(f, host, true, dropped, sizeof(dropped));
        if (n == 0 && fallback)
                n = resolv_filter(f, fallback, false, NULL, 0);
        r = ns_memstream_done(f, &buf, ret);
        if (r < 0)
                return r;
        *ret_warning = NULL;
        if (n == 0 && asprintf(ret_warning, "no nameserver of the host is reachable from the bridge (%s): name resolution will not work in the service",
                               dropped[0] ? dropped : "none configured") < 0) {
                *ret_warning = NULL;
                return -ENOMEM;
        }
        return 0;
}
