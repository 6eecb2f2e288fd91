/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service networking: orchestration of bridge, leases, veth, nft and files. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netlink/netlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fileio.h"
#include "ns-net-internal.h"
#include "ns-net.h"
#include "strv.h"

/* How long detach waits for a deleted link to leave the namespace. */
#define NS_NET_DELETE_TIMEOUT_MS 5000

struct NsNet {
        char *bridge;
        NsIpam layout;                  /* subnet and prefix only, never entries */
        char *dir;                      /* RUNTIME/net */
        char *state_path;               /* RUNTIME/net/ipam-BRIDGE */
        struct nl_sock *sk;             /* owned, host namespace */
        struct nft_ctx *nft;            /* owned, made on first use */
        int bridge_ifindex;             /* 0 until ensured */
        bool host_ready;                /* sysctls and the nft table are in place */
        const char *resolv_path, *resolv_fallback_path;
        NsNetLease **leases;            /* owned, the attached services */
        size_t n_leases;
};

static NsNetLease *lease_free(NsNetLease *l) {
        if (l) {
                free(l->name);
                free(l->warning);
                free(l);
        }
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NsNetLease *, lease_free);

void ns_net_bind_mounts_free(BindMount *b, size_t n) {
        for (size_t i = 0; b && i < n; i++) {
                free(b[i].source);
                free(b[i].destination);
        }
        free(b);
}

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int ns_net_new(const ManagerConfig *mc, NsNet **ret, CrlError *reterr) {
        _cleanup_(ns_net_freep) NsNet *n = calloc(1, sizeof(*n));
        int r;

        if (!n)
                return -ENOMEM;
        n->bridge = strdup(mc->bridge ?: "corral0");
        if (!n->bridge || asprintf(&n->dir, "%s/net", mc->runtime_directory ?: "/run/corral") < 0 ||
            asprintf(&n->state_path, "%s/ipam-%s", n->dir, n->bridge) < 0)
                return -ENOMEM;
        n->layout.prefixlen = mc->subnet_prefixlen;
        /* the network address, whatever host bits Subnet= carried */
        n->layout.subnet.s_addr = mc->subnet.s_addr &
                (mc->subnet_prefixlen ? htonl(UINT32_MAX << (32 - mc->subnet_prefixlen)) : 0);
        n->resolv_path = "/etc/resolv.conf";
        n->resolv_fallback_path = "/run/systemd/resolve/resolv.conf";
        r = ns_nl_open(&n->sk);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: opening a netlink socket: %s", strerror(-r));
        *ret = TAKE_PTR(n);
        return 0;
}

NsNet *ns_net_free(NsNet *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_leases; i++)
                lease_free(n->leases[i]);
        free(n->leases);
        if (n->sk)
                nl_socket_free(n->sk);
        if (n->nft)
                nft_ctx_free(n->nft);
        free(n->bridge);
        free(n->dir);
        free(n->state_path);
        free(n);
        return NULL;
}

/* ---- the lease state file, always read-modify-written under flock ---- */

typedef int (*StateFn)(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr);

static int state_write(int fd, const NsIpam *ipam) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = ns_ipam_format(ipam, &text);
        if (r < 0)
                return r;
        len = strlen(text);
        if (ftruncate(fd, 0) < 0)
                return -errno;
        if (pwrite(fd, text, len, 0) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Run fn on the current leases; write them back when fn returns > 0. */
static int with_state(NsNet *n, StateFn fn, void *userdata, CrlError *reterr) {
        _cleanup_(ns_ipam_done) NsIpam ipam = { .subnet = n->layout.subnet, .prefixlen = n->layout.prefixlen };
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        int r;

        r = mkdir_p(n->dir, 0755);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: creating '%s': %s", n->dir, strerror(-r));
        fd = open(n->state_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0 || flock(fd, LOCK_EX) < 0)
                return crl_error_set(reterr, errno, "network: opening and locking '%s': %m", n->state_path);
        /* The file is never replaced, so a second open reads the locked inode. */
        r = read_file_at(AT_FDCWD, n->state_path, &text, NULL);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading '%s': %s", n->state_path, strerror(-r));
        r = ns_ipam_parse(&ipam, text);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: parsing '%s': %s", n->state_path, strerror(-r));
        r = fn(n, &ipam, userdata, reterr);
        if (r <= 0)
                return r;
        r = state_write(fd, &ipam);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: writing '%s': %s", n->state_path, strerror(-r));
        return 0;
}

/* ---- host side: nft table and sysctls ---- */

static int nft_run(NsNet *n, const char *script, CrlError *reterr) {
        int r;

        if (!n->nft) {
                n->nft = nft_ctx_new(NFT_CTX_DEFAULT);
                if (!n->nft)
                        return crl_error_set(reterr, ENOMEM, "nftables: creating a context failed");
                /* keep nft's messages for our error instead of its stderr */
                if (nft_ctx_buffer_output(n->nft) < 0 || nft_ctx_buffer_error(n->nft) < 0)
                        return crl_error_set(reterr, ENOMEM, "nftables: buffering its output failed");
        }
        r = nft_run_cmd_from_buffer(n->nft, script);
        if (r != 0) {
                const char *e = nft_ctx_get_error_buffer(n->nft);
                /* nft's message is several lines (text, source, caret): keep the first */
                return crl_error_set(reterr, EIO, "nftables: table inet %s: %.*s", NS_NET_NFT_TABLE,
                                     e && e[0] ? (int) strcspn(e, "\n") : 6, e && e[0] ? e : "failed");
        }
        (void) nft_ctx_get_error_buffer(n->nft); /* resets the buffer for the next run */
        return 0;
}

static int nft_apply(NsNet *n, const NsIpam *ipam, CrlError *reterr) {
        _cleanup_free_ char *script = NULL;
        int r;

        r = ns_nft_script(n->bridge, ipam, &script);
        if (r < 0)
                return crl_error_set(reterr, -r, "nftables: building the script: %s", strerror(-r));
        return nft_run(n, script, reterr);
}

static int sysctl_set(const char *ifname, const char *key, CrlError *reterr) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (asprintf(&p, "/proc/sys/net/ipv4/conf/%s/%s", ifname, key) < 0)
                return -ENOMEM;
        r = write_string_at(AT_FDCWD, p, "1");
        if (r < 0)
                return crl_error_set(reterr, -r, "network: writing 1 to '%s': %s", p, strerror(-r));
        return 0;
}

/* Forwarding only on the bridge and on the links that carry a default route
 * (so masqueraded replies come back in), never the global ip_forward;
 * route_localnet on the bridge lets 127.0.0.1:PORT reach a service. */
static int host_sysctls(NsNet *n, CrlError *reterr) {
        _cleanup_strv_free_ char **uplinks = NULL;
        int r;

        r = sysctl_set(n->bridge, "forwarding", reterr);
        if (r >= 0)
                r = sysctl_set(n->bridge, "route_localnet", reterr);
        if (r < 0)
                return r;
        r = ns_link_default_route_ifnames(n->sk, &uplinks);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading the default routes: %s", strerror(-r));
        STRV_FOREACH(u, uplinks) {
                r = sysctl_set(*u, "forwarding", reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int nft_apply_fn(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr) {
        int r = nft_apply(n, ipam, reterr);
        return r < 0 ? r : 0;
}

int ns_net_bridge_ensure(NsNet *n, CrlError *reterr) {
        int r;

        if (n->bridge_ifindex > 0 && n->host_ready)
                return 0;
        r = ns_link_bridge_ensure(n->sk, n->bridge, ns_ipam_gateway(&n->layout), n->layout.prefixlen,
                                  &n->bridge_ifindex, reterr);
        if (r < 0)
                return r;
        r = host_sysctls(n, reterr);
        if (r < 0)
                return r;
        r = with_state(n, nft_apply_fn, NULL, reterr);
        if (r < 0)
                return r;
        n->host_ready = true;
        return 0;
}

/* ---- per-service files ---- */

static int file_write(const char *path, const char *text) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        /* Truncate in place, never rename: the file is bind-mounted into
         * running services, which keep seeing this inode. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int service_path(NsNet *n, const char *name, const char *file, char **ret) {
        if (asprintf(ret, "%s/%s%s%s", n->dir, name, file ? "/" : "", file ?: "") < 0)
                return -ENOMEM;
        return 0;
}

static int hosts_write(NsNet *n, const NsIpam *ipam, const char *name) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        int r;

        r = service_path(n, name, NULL, &dir);
        if (r >= 0)
                r = service_path(n, name, "hosts", &path);
        if (r >= 0)
                r = ns_hosts_text(ipam, name, &text);
        if (r >= 0)
                r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = file_write(path, text);
        return r;
}

/* Every active service's hosts file, plus name's own even when inactive. */
static int hosts_refresh_fn(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr) {
        const char *name = userdata;
        int r, ret = 0;

        for (size_t i = 0; i < ipam->n; i++) {
                if (!ipam->entries[i].active && !(name && streq(ipam->entries[i].name, name)))
                        continue;
                r = hosts_write(n, ipam, ipam->entries[i].name);
                if (r < 0 && ret == 0)
                        ret = crl_error_set(reterr, -r, "network: writing the hosts file of '%s': %s",
                                            ipam->entries[i].name, strerror(-r));
        }
        if (name && !ns_ipam_find(ipam, name) && (r = hosts_write(n, ipam, name)) < 0 && ret == 0)
                ret = crl_error_set(reterr, -r, "network: writing the hosts file of '%s': %s", name, strerror(-r));
        return ret;
}

static int resolv_write(NsNet *n, const char *name, char **ret_warning) {
        _cleanup_free_ char *host = NULL, *fallback = NULL, *text = NULL, *path = NULL;
        int r;

        /* a missing host file gives a resolv.conf without nameservers and a warning */
        (void) read_file_at(AT_FDCWD, n->resolv_path, &host, NULL);
        (void) read_file_at(AT_FDCWD, n->resolv_fallback_path, &fallback, NULL);
        r = ns_resolv_text(host, fallback, &text, ret_warning);
        if (r >= 0)
                r = service_path(n, name, "resolv.conf", &path);
        if (r >= 0)
                r = file_write(path, text);
        return r;
}

static bool unit_binds(const UnitConfig *unit, const char *dest) {
        for (size_t i = 0; i < unit->n_bind_paths; i++)
                if (unit->bind_paths[i].destination && streq(unit->bind_paths[i].destination, dest))
                        return true;
        return false;
}

static int bind_add(BindMount **b, size_t *nb, char *source, const char *dest) {
        BindMount *nl = realloc(*b, (*nb + 1) * sizeof(**b));

        if (!nl)
                return -ENOMEM;
        *b = nl;
        nl[*nb] = (BindMount) { .source = source, .destination = strdup(dest), .read_only = true };
        if (!nl[*nb].destination)
                return -ENOMEM;
        (*nb)++;
        return 0;
}

int ns_net_bind_files(NsNet *n, const UnitConfig *unit, BindMount **ret, size_t *ret_n, CrlError *reterr) {
        static const char *const files[] = { "hosts", "resolv.conf" };
        _cleanup_free_ char *warning = NULL;
        BindMount *b = NULL;
        size_t nb = 0;
        int r;

        r = with_state(n, hosts_refresh_fn, unit->name, reterr);
        if (r >= 0 && (r = resolv_write(n, unit->name, &warning)) < 0)
                crl_error_set(reterr, -r, "network: writing the resolv.conf of '%s': %s", unit->name, strerror(-r));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *src = NULL, *dest = NULL;

                if (asprintf(&dest, "/etc/%s", files[i]) < 0)
                        r = -ENOMEM;
                else if (unit_binds(unit, dest))
                        continue;
                else if ((r = service_path(n, unit->name, files[i], &src)) >= 0 &&
                         (r = bind_add(&b, &nb, src, dest)) >= 0)
                        src = NULL; /* owned by b now */
        }
        if (r < 0) {
                ns_net_bind_mounts_free(b, nb);
                return r;
        }
        *ret = b;
        *ret_n = nb;
        return 0;
}

/* ---- attach / detach ---- */

static void files_remove(NsNet *n, const char *name);

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

typedef struct AttachState {
        const UnitConfig *unit;
        NsNetLease *lease;
        bool new_lease;                 /* out: the service had no lease before */
} AttachState;

static int gateway_check(NsNet *n, const NetworkConfig *c, struct in_addr *ret, CrlError *reterr) {
        uint32_t mask = n->layout.prefixlen ? htonl(UINT32_MAX << (32 - n->layout.prefixlen)) : 0;
        char s[INET_ADDRSTRLEN];

        if (c->gateway_auto) {
                *ret = ns_ipam_gateway(&n->layout);
                return 0;
        }
        if ((c->gateway.s_addr & mask) != (n->layout.subnet.s_addr & mask))
                return crl_error_set(reterr, EINVAL, "Gateway=%s is not on the bridge's subnet",
                                     inet_ntop(AF_INET, &c->gateway, s, sizeof(s)));
        *ret = c->gateway;
        return 0;
}

static int attach_lease_fn(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr) {
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
                r = nft_apply(n, ipam, reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

typedef struct ReleaseState {
        const char *name;
        bool forget;                    /* drop the lease instead of keeping it idle */
        bool had_ports;                 /* out */
} ReleaseState;

static int release_fn(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr) {
        ReleaseState *s = userdata;
        NsIpamEntry *e = ns_ipam_find(ipam, s->name);
        int r;

        s->had_ports = e && e->ports;
        if ((s->forget ? ns_ipam_forget(ipam, s->name) : ns_ipam_release(ipam, s->name)) == 0)
                return 0;
        if (s->had_ports) {
                r = nft_apply(n, ipam, reterr);
                if (r < 0)
                        return r;
        }
        (void) hosts_refresh_fn(n, ipam, NULL, reterr); /* the error, if any, is recorded in reterr */
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
                        r = ns_link_delete_quick(n->sk, ret, NS_NET_DELETE_TIMEOUT_MS);
                        if (r < 0 && r != -ENODEV)
                                return crl_error_set(reterr, -r, "deleting stale link '%s': %s", ret, strerror(-r));
                        return 0;
                }
        }
        return crl_error_set(reterr, EEXIST, "no free interface name for the host end");
}

static int attach_links(NsNet *n, NsNetLease *l, struct nl_sock *nsk, int netns_fd, CrlError *reterr) {
        _cleanup_free_ char *alias = NULL;
        int r;

        if (asprintf(&alias, NS_NET_ALIAS_PREFIX "%s", l->name) < 0)
                return -ENOMEM;
        r = ns_link_veth_create(n->sk, l->host_ifname, alias, n->bridge_ifindex, netns_fd, reterr);
        if (r < 0)
                return r;
        r = ns_link_peer_configure(nsk, l->address, l->prefixlen, l->gateway, reterr);
        if (r < 0)
                (void) ns_link_delete_quick(n->sk, l->host_ifname, NS_NET_DELETE_TIMEOUT_MS); /* undo; deleting one end removes both */
        return r;
}

static int attach_files(NsNet *n, NsNetLease *l, CrlError *reterr) {
        int r;

        r = with_state(n, hosts_refresh_fn, l->name, reterr);
        if (r < 0)
                return r;
        r = resolv_write(n, l->name, &l->warning);
        if (r < 0)
                return crl_error_set(reterr, -r, "writing resolv.conf: %s", strerror(-r));
        return 0;
}

static int attach_steps(NsNet *n, const UnitConfig *unit, NsNetLease *l, struct nl_sock *nsk, int netns_fd,
                        CrlError *reterr) {
        const NetworkConfig *c = &unit->network;
        AttachState a = { .unit = unit, .lease = l };
        ReleaseState rs = { .name = unit->name };
        int r;

        if (c->bridge && !streq(c->bridge, n->bridge))
                return crl_error_set(reterr, EOPNOTSUPP, "Bridge=%s: only corrald's bridge '%s' is supported",
                                     c->bridge, n->bridge);
        r = gateway_check(n, c, &l->gateway, reterr);
        if (r >= 0)
                r = ns_net_bridge_ensure(n, reterr);
        if (r >= 0)
                r = pick_ifname(n, unit->name, l->host_ifname, reterr);
        if (r >= 0)
                r = with_state(n, attach_lease_fn, &a, reterr);
        if (r < 0)
                return r;
        inet_ntop(AF_INET, &l->address, l->address_str, sizeof(l->address_str));
        r = attach_links(n, l, nsk, netns_fd, reterr);
        if (r >= 0)
                r = attach_files(n, l, reterr);
        if (r < 0) {
                rs.forget = a.new_lease;
                (void) ns_link_delete_quick(n->sk, l->host_ifname, NS_NET_DELETE_TIMEOUT_MS); /* undo; -ENODEV when already gone */
                (void) with_state(n, release_fn, &rs, NULL); /* best effort; the first error is reported */
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
                files_remove(n, unit->name);
                crl_error_prefix(reterr, "service '%s': step 'net': ", unit->name);
                return r;
        }
        if (ret_lease)
                *ret_lease = l;
        TAKE_PTR(l);
        return 0;
}

int ns_net_service_attach(NsNet *n, const UnitConfig *unit, int netns_fd, const NsNetLease **ret_lease,
                          CrlError *reterr) {
        struct nl_sock *nsk = NULL;
        int r;

        r = ns_nl_open_in(netns_fd, &nsk, NULL);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': step 'net': opening netlink in its namespace: %s",
                                     unit->name, strerror(-r));
        r = attach_with(n, unit, nsk, netns_fd, ret_lease, reterr);
        nl_socket_free(nsk);
        return r;
}

int ns_net_service_attach_pidfd(NsNet *n, const UnitConfig *unit, int pidfd, const NsNetLease **ret_lease,
                                CrlError *reterr) {
        struct nl_sock *nsk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int r;

        r = ns_nl_open_in(pidfd, &nsk, &nsfd);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': step 'net': entering its network namespace: %s",
                                     unit->name, strerror(-r));
        r = attach_with(n, unit, nsk, nsfd, ret_lease, reterr);
        nl_socket_free(nsk);
        return r;
}

int ns_net_setup_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        NsNetAttach *a = userdata;

        return ns_net_service_attach_pidfd(a->net, a->unit, child_pidfd, &a->lease, reterr);
}

static void files_remove(NsNet *n, const char *name) {
        static const char *const files[] = { "hosts", "resolv.conf", NULL };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = NULL;

                if (service_path(n, name, files[i], &p) < 0)
                        return;
                /* ENOENT: never written; rmdir of the dir comes last */
                (void) (files[i] ? unlink(p) : rmdir(p));
        }
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

int ns_net_service_detach(NsNet *n, const char *name, CrlError *reterr) {
        ReleaseState rs = { .name = name };
        char ifname[IFNAMSIZ];
        int r, ret = 0;

        r = find_ifname(n, name, ifname);
        if (r > 0)
                r = ns_link_delete_quick(n->sk, ifname, NS_NET_DELETE_TIMEOUT_MS);
        if (r < 0 && r != -ENODEV)
                ret = crl_error_set(reterr, -r, "service '%s': step 'net-detach': deleting its veth: %s", name,
                                    strerror(-r));
        r = with_state(n, release_fn, &rs, reterr);
        if (r < 0 && ret == 0)
                ret = r;
        files_remove(n, name);
        lease_drop(n, name);
        return ret;
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

static int readopt(NsNet *n, const NsIpam *ipam, const NsIpamEntry *e, const char *ifname) {
        _cleanup_(lease_freep) NsNetLease *l = calloc(1, sizeof(*l));
        int r;

        if (!l || !(l->name = strdup(e->name)))
                return -ENOMEM;
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

static int stale_fn(NsNet *n, NsIpam *ipam, void *userdata, CrlError *reterr) {
        StaleState *s = userdata;
        int r;

        for (size_t i = 0; i < ipam->n; i++) {
                NsIpamEntry *e = &ipam->entries[i];
                const char *ifname = pair_ifname(s->pairs, e->name);

                if (e->active && ifname && strv_contains(s->running, e->name) && !lease_find(n, e->name, NULL)) {
                        r = readopt(n, ipam, e, ifname);
                        if (r < 0)
                                return crl_error_set(reterr, -r, "network: re-adopting '%s': %s", e->name, strerror(-r));
                } else if (!lease_find(n, e->name, NULL)) {
                        e->active = false;
                        free(e->ports);
                        e->ports = NULL;
                        files_remove(n, e->name);
                }
        }
        r = nft_apply(n, ipam, reterr);
        if (r >= 0)
                r = hosts_refresh_fn(n, ipam, NULL, reterr);
        return r < 0 ? r : 1;
}

int ns_net_cleanup_stale(NsNet *n, char *const *running, CrlError *reterr) {
        _cleanup_strv_free_ char **pairs = NULL;
        StaleState s = { .running = running };
        int r;

        r = ns_link_list_ours(n->sk, &pairs);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: listing corral's links: %s", strerror(-r));
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                if (strv_contains(running, pairs[i + 1]))
                        continue;
                r = ns_link_delete_quick(n->sk, pairs[i], NS_NET_DELETE_TIMEOUT_MS);
                if (r < 0 && r != -ENODEV)
                        return crl_error_set(reterr, -r, "network: deleting stale link '%s' of '%s': %s", pairs[i],
                                             pairs[i + 1], strerror(-r));
                files_remove(n, pairs[i + 1]);
        }
        s.pairs = pairs;
        return with_state(n, stale_fn, &s, reterr);
}

int ns_net_shutdown(NsNet *n, CrlError *reterr) {
        unsigned ports = 0;
        bool ours = false;
        int r;

        if (n->n_leases > 0)
                return crl_error_set(reterr, EBUSY, "network: %zu services are still attached", n->n_leases);
        r = nft_run(n, ns_nft_script_delete(), reterr);
        if (r < 0)
                return r;
        n->host_ready = false;
        n->bridge_ifindex = 0;
        r = ns_link_bridge_ports(n->sk, n->bridge, &ours, &ports);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return crl_error_set(reterr, -r, "network: inspecting bridge '%s': %s", n->bridge, strerror(-r));
        if (!ours || ports > 0)
                return 0; /* not ours to remove, or something still uses it */
        r = ns_link_delete(n->sk, n->bridge);
        if (r < 0 && r != -ENODEV)
                return crl_error_set(reterr, -r, "network: deleting bridge '%s': %s", n->bridge, strerror(-r));
        return 0;
}
