/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Building blocks of ns-net.c. The pure parts (IPAM over its state text,
 * interface names, nft script, hosts and resolv.conf text) have no side
 * effects and are unit-tested in tests/unit/test-ns-net-*.c. */

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "ns-net.h"
#include "unit.h"

struct nl_sock;

/* How long ns_net_shutdown() waits for the kernel to delete the veths of
 * destroyed services before it deletes the rest itself. */
#define NS_NET_FLUSH_TIMEOUT_MS 5000

void ns_net_bind_mounts_free(BindMount *b, size_t n);

/* ---- IPAM (ns-net-ipam.c), pure ----
 * State text, one lease a line: "ADDR NAME active|idle [PORTS]", PORTS as
 * "tcp:8080:80,udp:53:53". A lease stays with its service when it stops
 * (idle) so a restart gets the same address; an idle lease is only reclaimed
 * for another service when no never-used address is left. */
typedef struct NsIpamEntry {
        struct in_addr addr;
        char *name;
        bool active;
        char *ports;            /* NULL when none */
} NsIpamEntry;

typedef struct NsIpam {
        struct in_addr subnet;  /* network address */
        uint8_t prefixlen;
        struct in_addr gateway; /* the bridge's address; 0: the first host address */
        NsIpamEntry *entries;
        size_t n;
} NsIpam;

void ns_ipam_done(NsIpam *ipam);
/* Unknown or malformed lines and leases outside the subnet are dropped. */
int ns_ipam_parse(NsIpam *ipam, const char *text);
int ns_ipam_format(const NsIpam *ipam, char **ret);
/* The gateway (bridge) address: .gateway, else the subnet's first host. */
struct in_addr ns_ipam_gateway(const NsIpam *ipam);
/* Lease an address for name and mark it active: fixed (when non-NULL, with
 * its prefix length) or the next free one. -ENOSPC when the subnet is full,
 * -EADDRINUSE when a fixed address is taken, -EINVAL when it lies outside. */
int ns_ipam_acquire(NsIpam *ipam, const char *name, const struct in_addr *fixed, uint8_t fixed_prefixlen,
                    struct in_addr *ret, CrlError *reterr);
/* Mark name's lease idle and forget its ports; 0 when it had none. */
int ns_ipam_release(NsIpam *ipam, const char *name);
/* Drop name's lease altogether (a first start that failed); 0 when none. */
int ns_ipam_forget(NsIpam *ipam, const char *name);
NsIpamEntry *ns_ipam_find(const NsIpam *ipam, const char *name);
/* -EADDRINUSE when another active lease already forwards one of ports. */
int ns_ipam_ports_check(const NsIpam *ipam, const char *name, const PortForward *ports, size_t n_ports,
                        CrlError *reterr);
int ns_ipam_set_ports(NsIpam *ipam, const char *name, const PortForward *ports, size_t n_ports);

/* "tcp:8080:80,udp:53:53" <-> PortForward[] */
/* Close an open_memstream() f and hand its buffer to *ret; -ENOMEM (buffer
 * freed) when the stream failed. */
static inline int ns_memstream_done(FILE *f, char **buf, char **ret) {
        if (fclose(f) != 0) {
                free(*buf);
                return -ENOMEM;
        }
        *ret = *buf;
        return 0;
}

int ns_ports_format(const PortForward *ports, size_t n, char **ret);
int ns_ports_parse(const char *s, PortForward **ret, size_t *ret_n);

/* ---- names and text (ns-net-text.c), pure ---- */
/* "vc-NAME" when it fits IFNAMSIZ and attempt is 0; else "vc-" + the first
 * 6 bytes + "-" + 5 hex digits of a hash of (name, attempt). */
void ns_net_ifname(const char *name, unsigned attempt, char ret[IFNAMSIZ]);

/* The whole "inet corral" table for the current leases of every bridge, as
 * one atomic nft transaction that replaces any previous version of the table. */
typedef struct NsNftBridge {
        const char *name;
        const NsIpam *ipam;
        bool managed;           /* corrald's own: every source must be on the subnet */
} NsNftBridge;
int ns_nft_script(const NsNftBridge *bridges, size_t n_bridges, char **ret);
/* Replace only the port forwards of an existing table, atomically. */
int ns_nft_script_ports(const NsNftBridge *bridges, size_t n_bridges, char **ret);
/* Remove the table (no error when it does not exist). */
const char *ns_nft_script_delete(void);

/* /etc/hosts for self: localhost lines, self, then every other active lease. */
int ns_hosts_text(const NsIpam *ipam, const char *self, char **ret);
/* resolv.conf from the host's: keeps search/domain/options and only the
 * nameservers reachable from a service (not loopback). When none is left
 * and fallback (systemd-resolved's upstream list) has some, uses those.
 * *ret_warning is set (allocated) when the result has no nameserver. */
int ns_resolv_text(const char *host, const char *fallback, char **ret, char **ret_warning);

/* ---- netlink (ns-net-link.c) ---- */
int ns_nl_errno(int nlerr);     /* libnl's -NLE_* to -errno */
int ns_nl_open(struct nl_sock **ret);
/* Open a netlink socket inside a network namespace given as an nsfs fd or a
 * pidfd (setns() on this thread there and back); with ret_nsfd also return
 * an nsfs fd of that namespace. -ENOTRECOVERABLE when this thread could not
 * return to its own namespace (it is left in the target's). */
int ns_nl_open_in(int ns_or_pidfd, struct nl_sock **ret, int *ret_nsfd);

int ns_link_bridge_ensure(struct nl_sock *sk, const char *name, struct in_addr addr, uint8_t prefixlen,
                          int *ret_ifindex, CrlError *reterr);
/* A bridge someone else made: must exist, be a bridge, have an IPv4 address
 * (the first one is returned). */
int ns_link_bridge_lookup(struct nl_sock *sk, const char *name, int *ret_ifindex, struct in_addr *ret_addr,
                          uint8_t *ret_prefixlen, CrlError *reterr);
/* veth host_ifname (up, on master, alias) <-> eth0 in netns_fd (up).
 * *ret_ifindex is set once the pair exists, even when the alias failed. */
int ns_link_veth_create(struct nl_sock *sk, const char *host_ifname, const char *alias, int master_ifindex,
                        int netns_fd, int *ret_ifindex, CrlError *reterr);
/* 0 when deleted, -ENODEV when there is no such link. Blocks for the
 * kernel's unregistration (13-40 ms): never for a service's veth on the
 * loop, see ns-net-event.c. */
int ns_link_delete(struct nl_sock *sk, const char *ifname);
/* 1 when a link with ifindex exists, 0 when not. */
int ns_link_exists(struct nl_sock *sk, int ifindex);
/* The ifindex of ifname; -ENODEV when absent. */
int ns_link_ifindex(struct nl_sock *sk, const char *ifname, int *ret);
/* The alias of ifname into *ret (NULL when none); -ENODEV when absent. */
int ns_link_get_alias(struct nl_sock *sk, const char *ifname, char **ret);
/* An address (struct in_addr or in6_addr by family) on ifindex; flags are
 * IFA_F_* (IFA_F_NODAD: an IPv6 address usable at once, no DAD wait). */
int ns_link_addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr, uint8_t prefixlen,
                     unsigned flags);
/* Inside the service: lo up, eth0 address, up, default route via gw. */
int ns_link_peer_configure(struct nl_sock *nsk, struct in_addr addr, uint8_t prefixlen, struct in_addr gw,
                           CrlError *reterr);
/* Names of every veth whose alias starts with NS_NET_ALIAS_PREFIX, with the
 * service names from their alias ("vc-web" "web" pairs, flat strv). */
int ns_link_list_ours(struct nl_sock *sk, char ***ret_pairs);
/* Interfaces that carry an IPv4 default route in the main table. */
int ns_link_default_route_ifnames(struct nl_sock *sk, char ***ret);
/* Number of ports enslaved to the bridge; -ENODEV without the bridge. */
int ns_link_bridge_ports(struct nl_sock *sk, const char *bridge, bool *ret_ours, unsigned *ret_n);

/* ---- veth deletions as events (ns-net-event.c) ---- */
typedef enum NsDelMode {
        NS_DEL_ISOLATE,         /* RTM_SETLINK down; the namespace's end deletes it */
        NS_DEL_DELETE,          /* RTM_DELLINK (blocks in sendmsg for the kernel's unregistration) */
} NsDelMode;

typedef struct NsDeletion {
        char *name;             /* the service's, for the done handler */
        int ifindex;
        uint32_t seq;           /* of our request; its ack carries it */
        NsDelMode mode;
} NsDeletion;

/* Open the event socket (raw NETLINK_ROUTE, non-blocking, CLOEXEC). */
int ns_net_event_open(NsNet *n);
/* Start deleting ifindex (name: the service's): queue it and send the
 * request. A failure to send is returned (and nothing queued). */
int ns_net_deletion_start(NsNet *n, const char *name, int ifindex, NsDelMode mode);
/* Is ifindex's deletion pending? */
bool ns_net_deletion_pending(NsNet *n, int ifindex);
void ns_net_deletions_free(NsNet *n);

/* ---- the context (ns-net.c, ns-net-service.c) ---- */
typedef struct NsBridge {
        char *name;
        NsIpam layout;                  /* subnet, prefixlen, gateway; never entries */
        char *state_path;               /* RUNTIME/net/ipam-NAME */
        int ifindex;                    /* 0 until ready: up, sysctls set, in the nft table */
        bool managed;                   /* corrald.conf's: created on need, removed at exit */
} NsBridge;

struct NsNetService {
        NsNet *net;                     /* borrowed; s is in net->services */
        NsNetLease lease;               /* .name owned: the service's name */
        NsBridge *bridge;               /* borrowed from net */
        BindMount *binds;               /* owned */
        size_t n_binds;
        int ifindex;                    /* host end, 0 until the hook made it */
        bool leased;                    /* the state file has its active lease */
        bool committed;                 /* the launch succeeded; the lease is kept on abort */
        bool pinned;
};

/* Free s without undoing anything and take it off its NsNet's list. */
NsNetService *ns_net_service_free(NsNetService *s);

/* libnftables, loaded at its first use (ns_net_nft_run()): services
 * without VirtualEthernet= never need it, and it and its libraries (nftnl,
 * xtables, jansson, gmp, mnl) are 0.6 MB of a daemon's resident memory. */
struct nft_ctx;
typedef struct NsNftLib {
        void *dl;                       /* owned: dlopen() handle, NULL until loaded */
        struct nft_ctx *(*ctx_new)(uint32_t flags);
        void (*ctx_free)(struct nft_ctx *ctx);
        int (*ctx_buffer_output)(struct nft_ctx *ctx);
        int (*ctx_buffer_error)(struct nft_ctx *ctx);
        const char *(*ctx_get_error_buffer)(struct nft_ctx *ctx);
        int (*run_cmd_from_buffer)(struct nft_ctx *ctx, const char *buf);
} NsNftLib;

struct NsNet {
        NsNftLib nft;
        NsBridge **bridges;             /* owned; [0] is corrald.conf's */
        size_t n_bridges;
        char *dir;                      /* RUNTIME/net */
        int lock_fd;                    /* owned: RUNTIME/net/lock, flock()ed for n's life */
        struct nl_sock *sk;             /* owned, host namespace */
        bool uplinks_ready;             /* forwarding on the default-route links */
        const char *resolv_path, *resolv_fallback_path;
        NsNetService **services;        /* owned, every live service object */
        size_t n_services;
        int event_fd;                   /* owned: netlink, our requests' acks + RTNLGRP_LINK */
        bool subscribed;                /* event_fd is in RTNLGRP_LINK (while deletions pend) */
        uint32_t seq;
        NsDeletion *deletions;          /* owned, pending */
        size_t n_deletions;
        NsNetDoneFn done;
        void *done_userdata;
        int deletion_error;             /* the first failed deletion since ns_net_flush() began */
        CrlError deletion_err;
        bool netns_lost;                /* this thread is stuck in a service's netns */
};

/* ns-net.c, for ns-net-service.c */
typedef int (*NsStateFn)(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr);
/* Run fn on b's leases (read from its state file); write them back when
 * fn > 0. Only n's process changes them: ns_net_new() holds the lock. */
int ns_net_with_state(NsNet *n, NsBridge *b, NsStateFn fn, void *userdata, CrlError *reterr);
/* The bridge a unit uses (name NULL: corrald's); a bridge named by a unit
 * must exist with an IPv4 address, which becomes its gateway and subnet. */
int ns_net_bridge_get(NsNet *n, const char *name, NsBridge **ret, CrlError *reterr);
NsBridge *ns_net_bridge_find(NsNet *n, const char *name);
/* Up, sysctls set, and in the nft table. */
int ns_net_bridge_ready(NsNet *n, NsBridge *b, CrlError *reterr);
/* Regenerate the nft table from every known bridge's leases (cur's from
 * ipam, the others read from their state files). */
int ns_net_nft_apply(NsNet *n, const NsBridge *cur, const NsIpam *ipam, CrlError *reterr);
/* The same for the port forwards only; the whole table when that fails
 * (e.g. someone deleted it). */
int ns_net_nft_apply_ports(NsNet *n, const NsBridge *cur, const NsIpam *ipam, CrlError *reterr);
int ns_net_nft_run(NsNet *n, const char *script, CrlError *reterr);
/* Delete ifname now with RTM_DELLINK (blocking: stale links only). */
int ns_net_link_delete(NsNet *n, const char *ifname);
/* Build (and return) the bind list of unit into *ret. */
int ns_net_bind_list(NsNet *n, const UnitConfig *unit, BindMount **ret, size_t *ret_n);
/* -ENOTRECOVERABLE (with the message) once ns_nl_open_in() left this thread
 * in a service's network namespace: nothing may then touch the "host". */
int ns_net_check_netns(NsNet *n, CrlError *reterr);
/* route_localnet=0 on every known bridge that still exists (before the
 * table and its guard are deleted). */
int ns_net_localnet_off(NsNet *n, CrlError *reterr);
/* hosts of every active service on ipam's bridge, and of name (may be NULL). */
int ns_net_hosts_refresh(NsNet *n, NsBridge *b, NsIpam *ipam, void *name, CrlError *reterr);
int ns_net_resolv_write(NsNet *n, const char *name, char **ret_warning);
void ns_net_files_remove(NsNet *n, const char *name);
/* Learn the bridges of the state files under RUNTIME/net (after a restart). */
int ns_net_bridges_load(NsNet *n);
