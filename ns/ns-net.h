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
 * One NsNetService per start of a service with VirtualEthernet=yes holds
 * all of its wiring (lease, veth, netns pin, hosts entry, port forwards):
 *   ns_net_new(manager_config, &net)                     once; refuses a second
 *                                                        corrald on the runtime dir
 *   ns_net_service_adopt(net, unit, pidfd, &s)           per re-adopted service, then
 *   ns_net_cleanup_stale(net)                            once
 *   sd_event_add_io(ns_net_event_fd(net), EPOLLIN)       -> ns_net_dispatch(net)
 *   ns_net_service_new(net, unit, &s)                    per start, before the launch
 *   ns_net_service_binds(s), ns_net_service_hook(s)      into the launch parameters
 *   ns_net_service_commit(s, pidfd)                      after the launch succeeded
 *   ns_net_service_abort(s)                              the start failed at any step
 *   ns_net_service_destroy(s)                            the service stopped (reaped)
 *   ns_net_shutdown(net), ns_net_free(net)               on exit
 *
 * corrald's bridge (corrald.conf Bridge=/Subnet=) is created on first need;
 * a unit's Bridge= may name another, existing bridge with an IPv4 address. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ns-launch.h"
#include "unit.h"

#define NS_NET_IFNAME_PREFIX "vc-"
#define NS_NET_ALIAS_PREFIX "corral:"         /* host end's alias: "corral:NAME" */
#define NS_NET_BRIDGE_ALIAS "corral bridge"   /* marks a bridge corrald created */
#define NS_NET_NFT_TABLE "corral"             /* family inet */
#define NS_NET_PEER_IFNAME "eth0"

typedef struct NsNet NsNet;

/* What one service got. Owned by its NsNetService. */
typedef struct NsNetLease {
        char *name;                     /* service name */
        const char *bridge;             /* borrowed from the NsNet */
        char host_ifname[16];           /* "vc-web" */
        struct in_addr address;
        uint8_t prefixlen;
        struct in_addr gateway;
        char address_str[INET_ADDRSTRLEN];      /* for the IPAddress property */
        char *warning;                  /* e.g. no reachable nameserver; NULL when none */
        bool new_lease;                 /* this start gave the service its first address */
} NsNetLease;


/* The context reads bridge, subnet and runtime directory from mc (copied).
 * Creates RUNTIME/net and takes RUNTIME/net/lock (flock, LOCK_NB, held
 * until ns_net_free): -EBUSY when another process (a second corrald on this
 * runtime directory) holds it. The bridge is made on first need. */
int ns_net_new(const ManagerConfig *mc, NsNet **ret, CrlError *reterr);
/* Frees every NsNetService still alive without undoing anything (what a
 * crash leaves, for the next ns_net_service_adopt/cleanup_stale). */
NsNet *ns_net_free(NsNet *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(NsNet *, ns_net_free);

/* Create the bridge (up, with the subnet's first address) or reuse it when it
 * exists with that address; -EEXIST when it exists with another address or is
 * not a bridge. Idempotent. */
int ns_net_bridge_ensure(NsNet *n, CrlError *reterr);

/* Set by ns_net_set_done_handler(): a deleted veth is gone (r = 0), or its
 * deletion failed (r < 0, err says why). Called from ns_net_dispatch() or
 * ns_net_flush(), never from the call that started the deletion. */
typedef void (*NsNetDoneFn)(const char *name, int r, const CrlError *err, void *userdata);
void ns_net_set_done_handler(NsNet *n, NsNetDoneFn fn, void *userdata);

/* ---- one service's network ---- */
typedef struct NsNetService NsNetService;

/* Before the launch: lease the address (state file, port forwards), write
 * hosts and resolv.conf under RUNTIME/net/NAME/ (and refresh the other
 * services' hosts) and prepare the bind mounts. Nothing is left behind on
 * failure. */
int ns_net_service_new(NsNet *n, const UnitConfig *unit, NsNetService **ret, CrlError *reterr);
/* The read-only binds the launcher must add (/etc/hosts, /etc/resolv.conf,
 * except a destination the unit binds itself): source on the host,
 * destination inside the service, like BindReadOnlyPaths=. Owned by s. The
 * files are rewritten in place (same inode) as services come and go. */
const BindMount *ns_net_service_binds(NsNetService *s, size_t *ret_n);
/* The launcher's setup hook (userdata = s): creates the veth pair with the
 * peer directly in the child's network namespace as eth0 and configures lo,
 * eth0, the address and the default route inside, through a netlink socket
 * opened on the calling thread with setns(pidfd) and back. */
NsSetupHook ns_net_service_hook(NsNetService *s);
/* After the launch succeeded: pin the network namespace at
 * /run/netns/corral-NAME and commit the lease (a later abort keeps it). */
int ns_net_service_commit(NsNetService *s, int pidfd, CrlError *reterr);
/* Owned by s; valid until its abort or destroy. */
const NsNetLease *ns_net_service_lease_of(NsNetService *s);
/* The start failed at any step after new: undo everything (veth, pin,
 * ports, hosts entry, files); a lease this start created is forgotten, an
 * older one stays idle. Frees s. Accepts NULL. */
void ns_net_service_abort(NsNetService *s);
/* The service stopped (its processes are gone): unpin, set the veth down
 * and let the kernel delete it with the namespace (asynchronous: see
 * ns_net_event_fd()), remove its port forwards and hosts entry; the lease
 * stays idle for the name. Frees s, also on failure (the first error is
 * returned). */
int ns_net_service_destroy(NsNetService *s, CrlError *reterr);
/* After a restart of corrald: take back the wiring of the running service
 * behind pidfd (its active lease, its veth found by alias, its pin, made
 * again if missing). -ENOENT when it has none. */
int ns_net_service_adopt(NsNet *n, const UnitConfig *unit, int pidfd, NsNetService **ret, CrlError *reterr);

/* ---- veth deletions as events ----
 * A destroyed service's host end is set down at once (one RTM_SETLINK,
 * ~0.2 ms); the pair goes when the kernel cleans up the
 * service's network namespace, in its own worker, once the last holder (the
 * service's processes, the pin) is gone. The kernel's RTM_DELLINK
 * notification (and the acks of our requests) arrive on this fd (owned by
 * n, CLOEXEC, non-blocking netlink): put it on the loop with EPOLLIN and
 * call ns_net_dispatch(), which returns how many deletions are still
 * pending. RTM_DELLINK itself is not sent on the loop: the kernel answers
 * it only after RCU grace periods (13-40 ms) inside sendmsg(), whatever the
 * socket's flags (docs/design.md). */
int ns_net_event_fd(NsNet *n);
int ns_net_dispatch(NsNet *n);
/* Without a loop (tests, corralctl, shutdown): wait with poll() until no
 * deletion is pending; what is still pending after timeout_ms (a namespace
 * someone else keeps alive) is deleted with RTM_DELLINK, blocking. Never on
 * the daemon's loop. Returns the first deletion error. */
int ns_net_flush(NsNet *n, int timeout_ms, CrlError *reterr);

/* After re-adoption: delete every corral veth, pin, port forward and lease
 * activity of a service that was not adopted, and rebuild the nft table and
 * hosts files. Stale links are deleted with RTM_DELLINK (13-40 ms each, only
 * what a crashed corrald left). */
int ns_net_cleanup_stale(NsNet *n, CrlError *reterr);

/* On daemon exit, after every service was destroyed: wait for the pending
 * deletions (ns_net_flush), delete the nft table and the bridge if corrald
 * created it and no port is left on it. */
int ns_net_shutdown(NsNet *n, CrlError *reterr);
