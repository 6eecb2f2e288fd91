/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald --check across units: what each unit file can't see alone but
 * would make a start fail (addresses outside the subnet or taken twice,
 * one host port forwarded by two services). */
#include <arpa/inet.h>
#include <string.h>

#include "ctl-verify.h"

static uint32_t prefix_mask(uint8_t len) {
        return len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *bridge_of(const ManagerConfig *m, const UnitConfig *u) {
        return u->network.bridge ?: m->bridge;
}

/* The problem with u's static address in m's subnet, or NULL. */
static const char *address_problem(const ManagerConfig *m, const UnitConfig *u) {
        uint32_t mask = prefix_mask(m->subnet_prefixlen);
        uint32_t net = ntohl(m->subnet.s_addr) & mask, a = ntohl(u->network.address.s_addr);

        if ((a & mask) != net)
                return "is outside corrald.conf's Subnet=";
        if (a == net)
                return "is the network address of Subnet=";
        if (a == net + 1)
                return "is the bridge's own address in Subnet=";
        if (a == (net | ~mask))
                return "is the broadcast address of Subnet=";
        return NULL;
}

static size_t check_address(FILE *out, const ManagerConfig *m, UnitConfig *const *units, size_t i) {
        const UnitConfig *u = units[i];
        char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
        const char *why;

        if (!u->network.virtual_ethernet || u->network.address_auto || !streq(bridge_of(m, u), m->bridge))
                return 0;
        why = address_problem(m, u);
        if (why) {
                fprintf(out, "%s: Address: %s %s %s/%u; its start will fail\n", u->path,
                        addr_str(u->network.address, a), why, addr_str(m->subnet, s), m->subnet_prefixlen);
                return 1;
        }
        for (size_t j = 0; j < i; j++) {
                const UnitConfig *o = units[j];

                if (o->network.virtual_ethernet && !o->network.address_auto &&
                    streq(bridge_of(m, o), m->bridge) && o->network.address.s_addr == u->network.address.s_addr) {
                        fprintf(out, "%s: Address: %s is also %s's; only one of them can run\n",
                                u->path, addr_str(u->network.address, a), o->name);
                        return 1;
                }
        }
        return 0;
}

static size_t check_ports(FILE *out, UnitConfig *const *units, size_t i) {
        const UnitConfig *u = units[i];
        size_t warnings = 0;

        for (size_t p = 0; u->network.virtual_ethernet && p < u->network.n_ports; p++) {
                const PortForward *pf = &u->network.ports[p];

                for (size_t j = 0; j < i; j++)
                        for (size_t q = 0; units[j]->network.virtual_ethernet && q < units[j]->network.n_ports; q++) {
                                const PortForward *other = &units[j]->network.ports[q];

                                if (other->protocol != pf->protocol || other->host_port != pf->host_port)
                                        continue;
                                fprintf(out, "%s: Port: host port %s:%u is also forwarded by %s; only one of them can run\n",
                                        u->path, pf->protocol == IPPROTO_UDP ? "udp" : "tcp", pf->host_port,
                                        units[j]->name);
                                warnings++;
                        }
        }
        return warnings;
}

size_t check_network(FILE *out, const ManagerConfig *m, UnitConfig *const *units, size_t n) {
        size_t warnings = 0;

        /* A template's instances are made on demand; their addresses and
         * ports are the template's, checked when the template is. */
        for (size_t i = 0; i < n; i++) {
                warnings += check_address(out, m, units, i);
                warnings += check_ports(out, units, i);
        }
        return warnings;
}
