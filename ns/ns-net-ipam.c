/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address leases over a state text; pure, no I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ns-net-internal.h"

static uint32_t host_order(struct in_addr a) {
        return ntohl(a.s_addr);
}

static struct in_addr net_order(uint32_t h) {
        return (struct in_addr) { .s_addr = htonl(h) };
}

static uint32_t netmask(uint8_t prefixlen) {
        return prefixlen == 0 ? 0 : UINT32_MAX << (32 - prefixlen);
}

struct in_addr ns_ipam_gateway(const NsIpam *ipam) {
        if (ipam->gateway.s_addr != 0)
                return ipam->gateway;
        return net_order((host_order(ipam->subnet) & netmask(ipam->prefixlen)) + 1);
}

/* Host addresses: network+1 .. broadcast-1; the gateway (the bridge's own
 * address) among them is never handed out. first > last when there are none. */
static void host_range(const NsIpam *ipam, uint32_t *first, uint32_t *last) {
        uint32_t net = host_order(ipam->subnet) & netmask(ipam->prefixlen);

        *first = net + 1;
        *last = ipam->prefixlen >= 31 ? net : (net | ~netmask(ipam->prefixlen)) - 1;
}

static bool is_gateway(const NsIpam *ipam, uint32_t h) {
        return h == host_order(ns_ipam_gateway(ipam));
}

static bool in_subnet(const NsIpam *ipam, struct in_addr a) {
        uint32_t m = netmask(ipam->prefixlen);
        return (host_order(a) & m) == (host_order(ipam->subnet) & m);
}

static void entry_done(NsIpamEntry *e) {
        free(e->name);
        free(e->ports);
}

void ns_ipam_done(NsIpam *ipam) {
        for (size_t i = 0; i < ipam->n; i++)
                entry_done(&ipam->entries[i]);
        free(ipam->entries);
        ipam->entries = NULL;
        ipam->n = 0;
}

static NsIpamEntry *find_addr(const NsIpam *ipam, struct in_addr a) {
        for (size_t i = 0; i < ipam->n; i++)
                if (ipam->entries[i].addr.s_addr == a.s_addr)
                        return &ipam->entries[i];
        return NULL;
}

NsIpamEntry *ns_ipam_find(const NsIpam *ipam, const char *name) {
        for (size_t i = 0; i < ipam->n; i++)
                if (streq(ipam->entries[i].name, name))
                        return &ipam->entries[i];
        return NULL;
}

static int add_entry(NsIpam *ipam, struct in_addr a, const char *name, bool active, const char *ports) {
        NsIpamEntry *n = realloc(ipam->entries, (ipam->n + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        ipam->entries = n;
        n[ipam->n] = (NsIpamEntry) { .addr = a, .active = active, .name = strdup(name),
                                     .ports = ports ? strdup(ports) : NULL };
        if (!n[ipam->n].name || (ports && !n[ipam->n].ports)) {
                entry_done(&n[ipam->n]);
                return -ENOMEM;
        }
        ipam->n++;
        return 0;
}

static void remove_entry(NsIpam *ipam, NsIpamEntry *e) {
        size_t i = e - ipam->entries;

        entry_done(e);
        memmove(e, e + 1, (ipam->n - i - 1) * sizeof(*e));
        ipam->n--;
}

static int parse_line(NsIpam *ipam, char *line) {
        char *save = NULL, *addr, *name, *state, *ports;
        struct in_addr a;

        addr = strtok_r(line, " \t", &save);
        name = strtok_r(NULL, " \t", &save);
        state = strtok_r(NULL, " \t", &save);
        ports = strtok_r(NULL, " \t", &save);
        if (!addr || !name || !state || inet_pton(AF_INET, addr, &a) != 1)
                return 0;
        if (!streq(state, "active") && !streq(state, "idle"))
                return 0;
        if (!in_subnet(ipam, a) || find_addr(ipam, a) || ns_ipam_find(ipam, name))
                return 0;
        return add_entry(ipam, a, name, streq(state, "active"), ports);
}

int ns_ipam_parse(NsIpam *ipam, const char *text) {
        _cleanup_free_ char *copy = strdup(text ?: "");
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#')
                        continue;
                r = parse_line(ipam, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ns_ipam_format(const NsIpam *ipam, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fputs("# corral address leases: ADDRESS SERVICE active|idle [PORTS]\n", f);
        for (size_t i = 0; i < ipam->n; i++) {
                const NsIpamEntry *e = &ipam->entries[i];
                char a[INET_ADDRSTRLEN];

                inet_ntop(AF_INET, &e->addr, a, sizeof(a));
                fprintf(f, "%s %s %s%s%s\n", a, e->name, e->active ? "active" : "idle",
                        e->ports ? " " : "", e->ports ?: "");
        }
        return ns_memstream_done(f, &buf, ret);
}

static int subnet_str(const NsIpam *ipam, char buf[INET_ADDRSTRLEN + 4]) {
        char a[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &ipam->subnet, a, sizeof(a));
        return snprintf(buf, INET_ADDRSTRLEN + 4, "%s/%u", a, ipam->prefixlen);
}

static int check_fixed(const NsIpam *ipam, const char *name, struct in_addr a, uint8_t prefixlen,
                       CrlError *reterr) {
        char s[INET_ADDRSTRLEN + 4], as[INET_ADDRSTRLEN];
        uint32_t first, last, h = host_order(a);
        NsIpamEntry *e;

        subnet_str(ipam, s);
        inet_ntop(AF_INET, &a, as, sizeof(as));
        host_range(ipam, &first, &last);
        if (prefixlen != ipam->prefixlen || !in_subnet(ipam, a))
                return crl_error_set(reterr, EINVAL, "Address=%s/%u is not in the bridge's subnet %s",
                                     as, prefixlen, s);
        if (h < first || h > last || is_gateway(ipam, h))
                return crl_error_set(reterr, EINVAL, "Address=%s/%u is the network, gateway or broadcast address of %s",
                                     as, prefixlen, s);
        e = find_addr(ipam, a);
        if (e && e->active && !streq(e->name, name))
                return crl_error_set(reterr, EADDRINUSE, "Address=%s/%u is already used by running service '%s'",
                                     as, prefixlen, e->name);
        return 0;
}

static int full_error(const NsIpam *ipam, uint32_t first, uint32_t last, CrlError *reterr) {
        char s[INET_ADDRSTRLEN + 4], users[256] = "";
        size_t len = 0;

        subnet_str(ipam, s);
        for (size_t i = 0; i < ipam->n && len < sizeof(users) - 1; i++)
                len += snprintf(users + len, sizeof(users) - len, "%s'%s'", len ? ", " : "",
                                ipam->entries[i].name);
        if (first >= last)
                return crl_error_set(reterr, ENOSPC, "subnet %s has no address for services", s);
        return crl_error_set(reterr, ENOSPC, "subnet %s is full: all %u service addresses are used by running services (%s)",
                             s, last - first, users);
}

/* The next address: never leased first, then the first idle lease of
 * another service (which will get a fresh one at its next start). */
static int pick_free(NsIpam *ipam, struct in_addr *ret, CrlError *reterr) {
        uint32_t first, last;
        NsIpamEntry *idle = NULL;

        host_range(ipam, &first, &last);
        for (uint32_t h = first; h <= last && h >= first; h++) {
                NsIpamEntry *e;

                if (is_gateway(ipam, h))
                        continue;
                e = find_addr(ipam, net_order(h));

                if (!e) {
                        *ret = net_order(h);
                        return 0;
                }
                if (!e->active && !idle)
                        idle = e;
        }
        if (!idle)
                return full_error(ipam, first, last, reterr);
        *ret = idle->addr;
        return 0;
}

int ns_ipam_acquire(NsIpam *ipam, const char *name, const struct in_addr *fixed, uint8_t fixed_prefixlen,
                    struct in_addr *ret, CrlError *reterr) {
        NsIpamEntry *own = ns_ipam_find(ipam, name), *e;
        struct in_addr a = {};
        int r;

        if (fixed) {
                r = check_fixed(ipam, name, *fixed, fixed_prefixlen, reterr);
                if (r < 0)
                        return r;
                a = *fixed;
        } else if (own)
                a = own->addr;
        else {
                r = pick_free(ipam, &a, reterr);
                if (r < 0)
                        return r;
        }
        if (own && own->addr.s_addr == a.s_addr) {
                own->active = true;
                *ret = a;
                return 0;
        }
        if (own)
                remove_entry(ipam, own);
        e = find_addr(ipam, a);
        if (e)  /* an idle lease of another service, reclaimed */
                remove_entry(ipam, e);
        r = add_entry(ipam, a, name, true, NULL);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

int ns_ipam_forget(NsIpam *ipam, const char *name) {
        NsIpamEntry *e = ns_ipam_find(ipam, name);

        if (!e)
                return 0;
        remove_entry(ipam, e);
        return 1;
}

int ns_ipam_release(NsIpam *ipam, const char *name) {
        NsIpamEntry *e = ns_ipam_find(ipam, name);

        if (!e)
                return 0;
        e->active = false;
        free(e->ports);
        e->ports = NULL;
        return 1;
}

static const char *proto_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

int ns_ports_format(const PortForward *ports, size_t n, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s:%u:%u", i ? "," : "", proto_name(ports[i].protocol),
                        ports[i].host_port, ports[i].service_port);
        return ns_memstream_done(f, &buf, ret);
}

int ns_ports_parse(const char *s, PortForward **ret, size_t *ret_n) {
        _cleanup_free_ char *copy = strdup(s ?: "");
        _cleanup_free_ PortForward *l = NULL;
        char *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char proto[4];
                unsigned hp, sp;
                PortForward *nl;

                if (sscanf(t, "%3[a-z]:%u:%u", proto, &hp, &sp) != 3 || hp == 0 || hp > 65535 ||
                    sp == 0 || sp > 65535 || (!streq(proto, "tcp") && !streq(proto, "udp")))
                        return -EINVAL;
                nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl)
                        return -ENOMEM;
                l = nl;
                l[n++] = (PortForward) { .protocol = streq(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP,
                                         .host_port = hp, .service_port = sp };
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

int ns_ipam_ports_check(const NsIpam *ipam, const char *name, const PortForward *ports, size_t n_ports,
                        CrlError *reterr) {
        for (size_t i = 0; i < ipam->n; i++) {
                const NsIpamEntry *e = &ipam->entries[i];
                _cleanup_free_ PortForward *theirs = NULL;
                size_t n_theirs = 0;

                if (!e->active || !e->ports || streq(e->name, name))
                        continue;
                if (ns_ports_parse(e->ports, &theirs, &n_theirs) < 0)
                        continue; /* unreadable entry: nft's own check still applies */
                for (size_t j = 0; j < n_ports; j++)
                        for (size_t k = 0; k < n_theirs; k++)
                                if (ports[j].protocol == theirs[k].protocol &&
                                    ports[j].host_port == theirs[k].host_port)
                                        return crl_error_set(reterr, EADDRINUSE,
                                                             "Port=%s:%u: host port already forwarded to service '%s'",
                                                             proto_name(ports[j].protocol), ports[j].host_port, e->name);
        }
        for (size_t j = 0; j < n_ports; j++)
                for (size_t k = j + 1; k < n_ports; k++)
                        if (ports[j].protocol == ports[k].protocol && ports[j].host_port == ports[k].host_port)
                                return crl_error_set(reterr, EINVAL, "Port=%s:%u: host port given twice",
                                                     proto_name(ports[j].protocol), ports[j].host_port);
        return 0;
}

int ns_ipam_set_ports(NsIpam *ipam, const char *name, const PortForward *ports, size_t n_ports) {
        NsIpamEntry *e = ns_ipam_find(ipam, name);
        char *s = NULL;
        int r;

        if (!e)
                return -ENOENT;
        if (n_ports > 0) {
                r = ns_ports_format(ports, n_ports, &s);
                if (r < 0)
                        return r;
        }
        free(e->ports);
        e->ports = s;
        return 0;
}
