/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service networking: the context, bridges, the lease state, the host side
 * (nft table, sysctls) and the per-service files. Attach/detach are in
 * ns-net-service.c. */
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netlink/netlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "dl-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "ns-net-internal.h"
#include "ns-net.h"
#include "strv.h"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static NsBridge *bridge_free(NsBridge *b) {
        if (b) {
                free(b->name);
                free(b->state_path);
                free(b);
        }
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NsBridge *, bridge_free);

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

static struct in_addr network_of(struct in_addr a, uint8_t prefixlen) {
        return (struct in_addr) { .s_addr = a.s_addr & (prefixlen ? htonl(UINT32_MAX << (32 - prefixlen)) : 0) };
}

static int bridge_add(NsNet *n, const char *name, struct in_addr subnet, uint8_t prefixlen, struct in_addr gateway,
                      NsBridge **ret) {
        _cleanup_(bridge_freep) NsBridge *b = calloc(1, sizeof(*b));
        NsBridge **nl;

        if (!b || !(b->name = strdup(name)) || asprintf(&b->state_path, "%s/ipam-%s", n->dir, name) < 0)
                return -ENOMEM;
        /* the network address, whatever host bits the configuration carried */
        b->layout.subnet = network_of(subnet, prefixlen);
        b->layout.prefixlen = prefixlen;
        b->layout.gateway = gateway;
        nl = realloc(n->bridges, (n->n_bridges + 1) * sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        n->bridges = nl;
        nl[n->n_bridges++] = b;
        *ret = TAKE_PTR(b);
        return 0;
}

/* corrald is the only writer of RUNTIME/net: the lock is taken once, never
 * waited for (a wait would block the loop), and kept until ns_net_free().
 * The lock lives as long as any copy of its open file: the fd sits high
 * (fd_move_high()), out of the low range a launch child keeps until its
 * service execs, so a corrald restarted after a crash never finds it held
 * by a child of the one before. */
static int lock_take(NsNet *n, CrlError *reterr) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = mkdir_p(n->dir, 0755);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: creating '%s': %s", n->dir, strerror(-r));
        if (asprintf(&path, "%s/lock", n->dir) < 0)
                return -ENOMEM;
        n->lock_fd = fd_move_high(open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
        if (n->lock_fd < 0)
                return crl_error_set(reterr, errno, "network: opening '%s': %m", path);
        if (flock(n->lock_fd, LOCK_EX | LOCK_NB) >= 0)
                return 0;
        if (errno == EWOULDBLOCK)
                return crl_error_set(reterr, EBUSY, "network: '%s' is locked by another process: another corrald "
                                     "uses runtime directory '%s'; refusing to share its address leases", path,
                                     n->dir);
        return crl_error_set(reterr, errno, "network: locking '%s': %m", path);
}

int ns_net_new(const ManagerConfig *mc, NsNet **ret, CrlError *reterr) {
        _cleanup_(ns_net_freep) NsNet *n = calloc(1, sizeof(*n));
        NsBridge *b;
        int r;

        if (!n)
                return -ENOMEM;
        n->lock_fd = n->event_fd = -EBADF;
        if (asprintf(&n->dir, "%s/net", mc->runtime_directory ?: "/run/corral") < 0)
                return -ENOMEM;
        r = bridge_add(n, mc->bridge ?: "corral0", mc->subnet, mc->subnet_prefixlen, (struct in_addr) {}, &b);
        if (r < 0)
                return r;
        b->managed = true;
        n->resolv_path = "/etc/resolv.conf";
        n->resolv_fallback_path = "/run/systemd/resolve/resolv.conf";
        r = lock_take(n, reterr);
        if (r < 0)
                return r;
        r = ns_net_event_open(n);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: opening the event netlink socket: %s", strerror(-r));
        r = ns_nl_open(&n->sk);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: opening a netlink socket: %s", strerror(-r));
        *ret = TAKE_PTR(n);
        return 0;
}

NsNet *ns_net_free(NsNet *n) {
        if (!n)
                return NULL;
        while (n->n_services > 0)
                ns_net_service_free(n->services[n->n_services - 1]);
        free(n->services);
        for (size_t i = 0; i < n->n_bridges; i++)
                bridge_free(n->bridges[i]);
        free(n->bridges);
        /* the kernel finishes the pending ones without us */
        ns_net_deletions_free(n);
        safe_close(n->event_fd);
        safe_close(n->lock_fd);
        if (n->sk)
                nl_socket_free(n->sk);
        if (n->nft.dl)
                (void) dlclose(n->nft.dl);
        free(n->dir);
        free(n);
        return NULL;
}

int ns_net_link_delete(NsNet *n, const char *ifname) {
        return ns_link_delete(n->sk, ifname);
}

int ns_net_check_netns(NsNet *n, CrlError *reterr) {
        if (!n->netns_lost)
                return 0;
        return crl_error_set(reterr, ENOTRECOVERABLE,
                             "network: corrald could not return to its own network namespace after entering a service's; refusing to change anything (restart corrald)");
}

/* ---- bridges ---- */

NsBridge *ns_net_bridge_find(NsNet *n, const char *name) {
        if (!name)
                return n->bridges[0];
        for (size_t i = 0; i < n->n_bridges; i++)
                if (streq(n->bridges[i]->name, name))
                        return n->bridges[i];
        return NULL;
}

int ns_net_bridge_get(NsNet *n, const char *name, NsBridge **ret, CrlError *reterr) {
        struct in_addr addr;
        uint8_t prefixlen;
        int r, ifindex;

        *ret = ns_net_bridge_find(n, name);
        if (*ret)
                return 0;
        r = ns_link_bridge_lookup(n->sk, name, &ifindex, &addr, &prefixlen, reterr);
        if (r < 0)
                return r;
        r = bridge_add(n, name, addr, prefixlen, addr, ret);
        if (r < 0)
                return crl_error_set(reterr, -r, "bridge '%s': %s", name, strerror(-r));
        return 0;
}

/* ---- the lease state: per-bridge files, one lock for all ---- */

static int state_write(const char *path, const NsIpam *ipam) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        r = ns_ipam_format(ipam, &text);
        if (r < 0)
                return r;
        len = strlen(text);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int state_read(const NsBridge *b, NsIpam *ret, CrlError *reterr) {
        _cleanup_free_ char *text = NULL;
        int r;

        *ret = (NsIpam) { .subnet = b->layout.subnet, .prefixlen = b->layout.prefixlen, .gateway = b->layout.gateway };
        r = read_file_at(AT_FDCWD, b->state_path, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = ns_ipam_parse(ret, text);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading '%s': %s", b->state_path, strerror(-r));
        return 0;
}

/* n holds RUNTIME/net/lock (ns_net_new), so no other process changes any
 * bridge's leases meanwhile and the nft table, built from all of them,
 * always sees a consistent set. */
int ns_net_with_state(NsNet *n, NsBridge *b, NsStateFn fn, void *userdata, CrlError *reterr) {
        _cleanup_(ns_ipam_done) NsIpam ipam = {};
        int r;

        r = ns_net_check_netns(n, reterr);
        if (r < 0)
                return r;
        r = state_read(b, &ipam, reterr);
        if (r < 0)
                return r;
        r = fn(n, b, &ipam, userdata, reterr);
        if (r <= 0)
                return r;
        r = state_write(b->state_path, &ipam);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: writing '%s': %s", b->state_path, strerror(-r));
        return 0;
}

/* ---- host side: nft table and sysctls ---- */

#define NFT_LIBRARY "libnftables.so.1"

static int nft_load(NsNftLib *l, CrlError *reterr) {
        const CrlDlSym syms[] = {
                { "nft_ctx_new", (void **) &l->ctx_new },
                { "nft_ctx_free", (void **) &l->ctx_free },
                { "nft_ctx_buffer_output", (void **) &l->ctx_buffer_output },
                { "nft_ctx_buffer_error", (void **) &l->ctx_buffer_error },
                { "nft_ctx_get_error_buffer", (void **) &l->ctx_get_error_buffer },
                { "nft_run_cmd_from_buffer", (void **) &l->run_cmd_from_buffer },
        };
        int r;

        if (l->dl)
                return 0;
        r = crl_dlopen_syms(NFT_LIBRARY, syms, ELEMENTSOF(syms), &l->dl, reterr);
        if (r < 0)
                crl_error_prefix(reterr, "nftables: ");
        return r;
}

/* A context per run: libnftables opens its netlink socket without
 * SOCK_CLOEXEC and keeps it for the context's life; freeing the context
 * closes it before any service is cloned, so no service ever inherits a
 * socket that could rewrite the host's rule set. Runs are rare (bridge
 * setup, Port= changes), so the re-initialization is cheap enough. */
static int nft_run_in(const NsNftLib *l, struct nft_ctx *ctx, const char *script, CrlError *reterr) {
        const char *e;

        /* keep nft's messages for our error instead of its stderr */
        if (l->ctx_buffer_output(ctx) < 0 || l->ctx_buffer_error(ctx) < 0)
                return crl_error_set(reterr, ENOMEM, "nftables: buffering its output failed");
        if (l->run_cmd_from_buffer(ctx, script) == 0)
                return 0;
        e = l->ctx_get_error_buffer(ctx);
        /* nft's message is several lines (text, source, caret): keep the first */
        return crl_error_set(reterr, EIO, "nftables: table inet %s: %.*s", NS_NET_NFT_TABLE,
                             e && e[0] ? (int) strcspn(e, "\n") : 6, e && e[0] ? e : "failed");
}

int ns_net_nft_run(NsNet *n, const char *script, CrlError *reterr) {
        struct nft_ctx *ctx;
        int r;

        if (ns_net_check_netns(n, reterr) < 0)
                return -ENOTRECOVERABLE;
        r = nft_load(&n->nft, reterr);
        if (r < 0)
                return r;
        ctx = n->nft.ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return crl_error_set(reterr, ENOMEM, "nftables: creating a context failed");
        r = nft_run_in(&n->nft, ctx, script, reterr);
        n->nft.ctx_free(ctx);
        return r;
}

typedef int (*NftScriptFn)(const NsNftBridge *bridges, size_t n_bridges, char **ret);

static int nft_apply_with(NsNet *n, const NsBridge *cur, const NsIpam *ipam, NftScriptFn build,
                          CrlError *reterr) {
        _cleanup_free_ NsNftBridge *in = calloc(n->n_bridges, sizeof(*in));
        _cleanup_free_ NsIpam *others = calloc(n->n_bridges, sizeof(*others));
        _cleanup_free_ char *script = NULL;
        int r = 0;

        if (!in || !others)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_bridges && r >= 0; i++) {
                const NsBridge *b = n->bridges[i];

                in[i].name = b->name;
                in[i].managed = b->managed;
                if (b == cur)
                        in[i].ipam = ipam;
                else if ((r = state_read(b, &others[i], reterr)) >= 0)
                        in[i].ipam = &others[i];
        }
        if (r >= 0 && (r = build(in, n->n_bridges, &script)) < 0)
                crl_error_set(reterr, -r, "nftables: building the script: %s", strerror(-r));
        if (r >= 0)
                r = ns_net_nft_run(n, script, reterr);
        for (size_t i = 0; i < n->n_bridges; i++)
                ns_ipam_done(&others[i]);
        return r;
}

int ns_net_nft_apply(NsNet *n, const NsBridge *cur, const NsIpam *ipam, CrlError *reterr) {
        return nft_apply_with(n, cur, ipam, ns_nft_script, reterr);
}

int ns_net_nft_apply_ports(NsNet *n, const NsBridge *cur, const NsIpam *ipam, CrlError *reterr) {
        CrlError ignored = {};

        /* the first error is not the user's concern when the full table works */
        if (nft_apply_with(n, cur, ipam, ns_nft_script_ports, &ignored) >= 0)
                return 0;
        return nft_apply_with(n, cur, ipam, ns_nft_script, reterr);
}

static int sysctl_write(const char *ifname, const char *key, const char *value, CrlError *reterr) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (asprintf(&p, "/proc/sys/net/ipv4/conf/%s/%s", ifname, key) < 0)
                return -ENOMEM;
        r = write_string_at(AT_FDCWD, p, value);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: writing %s to '%s': %s", value, p, strerror(-r));
        return 0;
}

static int sysctl_set(const char *ifname, const char *key, CrlError *reterr) {
        return sysctl_write(ifname, key, "1", reterr);
}

/* Before the table (and its guard) goes: a bridge that outlives corrald
 * (someone else's, or ours with ports left) must not keep route_localnet. */
int ns_net_localnet_off(NsNet *n, CrlError *reterr) {
        for (size_t i = 0; i < n->n_bridges; i++) {
                CrlError e = {};
                int r = sysctl_write(n->bridges[i]->name, "route_localnet", "0", &e);

                if (r == -ENOENT)       /* the bridge is gone */
                        continue;
                if (r < 0)
                        return crl_error_set(reterr, e.error, "%s", e.message);
        }
        return 0;
}

/* Forwarding only on the bridges and on the links that carry a default route
 * (so masqueraded replies come back in), never the global ip_forward;
 * route_localnet on a bridge lets 127.0.0.1:PORT reach its services, and is
 * only safe with the nft table's guard chain loaded first. */
static int host_sysctls(NsNet *n, const NsBridge *b, CrlError *reterr) {
        _cleanup_strv_free_ char **uplinks = NULL;
        int r;

        r = sysctl_set(b->name, "forwarding", reterr);
        if (r >= 0)
                r = sysctl_set(b->name, "route_localnet", reterr);
        if (r < 0 || n->uplinks_ready)
                return r;
        r = ns_link_default_route_ifnames(n->sk, &uplinks);
        if (r < 0)
                return crl_error_set(reterr, -r, "network: reading the default routes: %s", strerror(-r));
        STRV_FOREACH(u, uplinks) {
                r = sysctl_set(*u, "forwarding", reterr);
                if (r < 0)
                        return r;
        }
        n->uplinks_ready = true;
        return 0;
}

static int nft_apply_fn(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
        int r = ns_net_nft_apply(n, b, ipam, reterr);
        return r < 0 ? r : 0;
}

int ns_net_bridge_ready(NsNet *n, NsBridge *b, CrlError *reterr) {
        struct in_addr addr;
        uint8_t prefixlen;
        int r, ifindex;

        if (b->ifindex > 0)
                return 0;
        if (b->managed)
                r = ns_link_bridge_ensure(n->sk, b->name, ns_ipam_gateway(&b->layout), b->layout.prefixlen,
                                          &ifindex, reterr);
        else
                r = ns_link_bridge_lookup(n->sk, b->name, &ifindex, &addr, &prefixlen, reterr);
        /* the table (with its guard) before route_localnet, never after */
        if (r >= 0)
                r = ns_net_with_state(n, b, nft_apply_fn, NULL, reterr);
        if (r >= 0)
                r = host_sysctls(n, b, reterr);
        if (r < 0)
                return r;
        b->ifindex = ifindex;
        return 0;
}

int ns_net_bridge_ensure(NsNet *n, CrlError *reterr) {
        return ns_net_bridge_ready(n, n->bridges[0], reterr);
}

/* ---- per-service files ---- */

static int service_path(NsNet *n, const char *name, const char *file, char **ret) {
        if (asprintf(ret, "%s/%s%s%s", n->dir, name, file ? "/" : "", file ?: "") < 0)
                return -ENOMEM;
        return 0;
}

/* RUNTIME/net/NAME/FILE, written as root: neither NAME nor FILE may be a
 * symlink (planted by whoever could write there, it would redirect the
 * write anywhere; ELOOP or ENOTDIR then). */
static int service_file_write(NsNet *n, const char *name, const char *file, const char *text) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        size_t len = strlen(text);
        int r;

        r = service_path(n, name, NULL, &dir);
        if (r < 0)
                return r;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* Truncate in place, never rename: the file is bind-mounted into
         * running services, which keep seeing this inode. */
        fd = openat(dfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int hosts_write(NsNet *n, const NsIpam *ipam, const char *name) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = ns_hosts_text(ipam, name, &text);
        if (r >= 0)
                r = service_file_write(n, name, "hosts", text);
        return r;
}

int ns_net_hosts_refresh(NsNet *n, NsBridge *b, NsIpam *ipam, void *userdata, CrlError *reterr) {
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

int ns_net_resolv_write(NsNet *n, const char *name, char **ret_warning) {
        _cleanup_free_ char *host = NULL, *fallback = NULL, *text = NULL;
        int r;

        /* a missing host file gives a resolv.conf without nameservers and a warning */
        (void) read_file_at(AT_FDCWD, n->resolv_path, &host, NULL);
        (void) read_file_at(AT_FDCWD, n->resolv_fallback_path, &fallback, NULL);
        r = ns_resolv_text(host, fallback, &text, ret_warning);
        if (r >= 0)
                r = service_file_write(n, name, "resolv.conf", text);
        return r;
}

void ns_net_files_remove(NsNet *n, const char *name) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;

        if (service_path(n, name, NULL, &dir) < 0)
                return;
        /* not through a symlink in NAME's place (ELOOP, ENOTDIR: nothing of ours) */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return;
        /* ENOENT: never written */
        (void) unlinkat(dfd, "hosts", 0);
        (void) unlinkat(dfd, "resolv.conf", 0);
        (void) rmdir(dir);
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

int ns_net_bind_list(NsNet *n, const UnitConfig *unit, BindMount **ret, size_t *ret_n) {
        static const char *const files[] = { "hosts", "resolv.conf" };
        BindMount *b = NULL;
        size_t nb = 0;
        int r = 0;

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

/* The bridges of every state file under RUNTIME/net (a restarted corrald
 * learns the ones units named); a foreign bridge that is gone is skipped. */
int ns_net_bridges_load(NsNet *n) {
        _cleanup_(closedirp) DIR *d = opendir(n->dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                NsBridge *b;

                if (!strneq(de->d_name, "ipam-", 5) || ns_net_bridge_find(n, de->d_name + 5))
                        continue;
                (void) ns_net_bridge_get(n, de->d_name + 5, &b, NULL); /* gone: its leases wait for it */
        }
        return 0;
}
