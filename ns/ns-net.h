/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Service networking: the bridge, one veth pair per service with
 * VirtualEthernet=yes, addresses (IPAM), NAT and port forwards (nftables
 * table "inet corral"), and per-service /etc/hosts and /etc/resolv.conf.
 *
 * Everything happens in the network namespace of the calling process (the
 * "host" side) except the peer's configuration, which goes through a netlink
 * socket opened inside the service's namespace (see docs/design.md,
 * "Service networking").
 *
 * Typical use by the supervisor:
 *   ns_net_new(manager_config, &net)                     once
 *   ns_net_cleanup_stale(net, running_names)             once, after re-adoption
 *   ns_net_bind_files(net, unit, &binds, &n)             per start, before the launch:
 *                                                        what to bind-mount
 *   NsNetAttach a = { net, unit };
 *   launcher hook = ns_net_setup_hook, userdata = &a     per start
 *   ns_pin(proc.pidfd, name)                             after a successful ns_launch
 *   ns_unpin(name), ns_net_service_detach(net, name)     on stop, after the process was reaped
 *   ns_net_service_abort(net, name)                      when ns_launch failed after the hook
 *                                                        ran (NsNetAttach.lease set)
 *   ns_net_free(net) after ns_net_shutdown(net)          on exit
 *
 * corrald's bridge (corrald.conf Bridge=/Subnet=) is created on first need;
 * a unit's Bridge= may name another, existing bridge with an IPv4 address. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "unit.h"

#define NS_NET_IFNAME_PREFIX "vc-"
#define NS_NET_ALIAS_PREFIX "corral:"         /* host end's alias: "corral:NAME" */
#define NS_NET_BRIDGE_ALIAS "corral bridge"   /* marks a bridge corrald created */
#define NS_NET_NFT_TABLE "corral"             /* family inet */
#define NS_NET_PEER_IFNAME "eth0"

typedef struct NsNet NsNet;

/* What one service got. Owned by the NsNet; valid until its detach. */
typedef struct NsNetLease {
        char *name;                     /* service name */
        const char *bridge;             /* borrowed from the NsNet */
        char host_ifname[16];           /* "vc-web" */
        struct in_addr address;
        uint8_t prefixlen;
        struct in_addr gateway;
        char address_str[INET_ADDRSTRLEN];      /* for the IPAddress property */
        char *warning;                  /* e.g. no reachable nameserver; NULL when none */
        bool new_lease;                 /* this attach gave the service its first address */
} NsNetLease;

void ns_net_bind_mounts_free(BindMount *b, size_t n);

/* The context reads bridge, subnet and runtime directory from mc (copied).
 * Creates nothing yet; the bridge is made on first need. */
int ns_net_new(const ManagerConfig *mc, NsNet **ret, CrlError *reterr);
NsNet *ns_net_free(NsNet *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(NsNet *, ns_net_free);

/* Create the bridge (up, with the subnet's first address) or reuse it when it
 * exists with that address; -EEXIST when it exists with another address or is
 * not a bridge. Idempotent. */
int ns_net_bridge_ensure(NsNet *n, CrlError *reterr);

/* Wire a service whose network namespace is netns_fd (an nsfs fd, borrowed):
 * lease an address, create the veth pair with the peer directly in netns_fd
 * as eth0, configure lo/eth0/address/default route inside it, add the port
 * forwards, write its hosts/resolv.conf and refresh every other service's
 * hosts file. On failure everything done so far is undone. */
int ns_net_service_attach(NsNet *n, const UnitConfig *unit, int netns_fd,
                          const NsNetLease **ret_lease, CrlError *reterr);

/* The same with the namespace of the process behind pidfd (Linux >= 5.8:
 * setns(pidfd, CLONE_NEWNET) on the calling thread and back, which also
 * opens an nsfs fd for it so no /proc/PID lookup can race with pid reuse).
 * No thread is ever created. */
int ns_net_service_attach_pidfd(NsNet *n, const UnitConfig *unit, int pidfd,
                                const NsNetLease **ret_lease, CrlError *reterr);

/* Shape of the launcher's NsSetupHook: userdata is an NsNetAttach. */
typedef struct NsNetAttach {
        NsNet *net;
        const UnitConfig *unit;
        const NsNetLease *lease;        /* out: set on success */
} NsNetAttach;
int ns_net_setup_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr);

/* Undo a service's wiring: veth, port forwards, hosts file; its address lease
 * stays reserved for it (marked idle). Safe to call for a service that is not
 * attached (cleans whatever a crashed corrald left under that name). */
int ns_net_service_detach(NsNet *n, const char *name, CrlError *reterr);

/* Undo the wiring of a start that failed after the hook ran (the command
 * never started: exec failed, a later launch step failed): as
 * ns_net_service_detach(), but when this start gave the service its first
 * lease, the lease is forgotten and its address is free for anyone again,
 * as when the hook itself fails. A service that ran before keeps its
 * (idle) lease. */
int ns_net_service_abort(NsNet *n, const char *name, CrlError *reterr);

/* The current lease of a running service, or NULL. */
const NsNetLease *ns_net_service_lease(NsNet *n, const char *name);

/* Before the launch: write the service's hosts and resolv.conf under
 * RUNTIME/net/NAME/ and return the bind mounts the launcher must add, as
 * read-only BindMount entries (source on the host, destination inside the
 * service, like BindReadOnlyPaths=): /etc/hosts and /etc/resolv.conf, except
 * a destination the unit binds itself. The files are rewritten in place
 * (same inode) as services come and go, so the binds stay current. */
int ns_net_bind_files(NsNet *n, const UnitConfig *unit, BindMount **ret, size_t *ret_n, CrlError *reterr);

/* After a crash of a previous corrald: re-adopt the services named in
 * running (their veth still exists: their lease and ports are taken back from
 * the state file), and delete every corral veth, port forward and lease
 * activity of any other service. */
int ns_net_cleanup_stale(NsNet *n, char *const *running, CrlError *reterr);

/* On daemon exit, after every service was detached: delete the nft table
 * and the bridge if corrald created it and no port is left on it. */
int ns_net_shutdown(NsNet *n, CrlError *reterr);

/* Detach (and the other calls that delete a veth) return once the link has
 * left the namespace; the kernel's unregistration goes on for tens of ms in
 * a short-lived child process. This fd (owned by n, CLOEXEC, an epoll of
 * their pidfds) becomes readable when one of them ended: put it on the event
 * loop and call ns_net_reap(), which reaps the ended ones and returns how
 * many are left. Without a loop they are reaped at the next deletion, and
 * ns_net_free() waits for the rest. */
int ns_net_pending_fd(NsNet *n);
int ns_net_reap(NsNet *n);
