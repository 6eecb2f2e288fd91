/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup BPF as the kernel enforces it on a service: DevicePolicy=,
 * DeviceAllow=, IPAddressAllow=/IPAddressDeny=. Each service is launched
 * into a cgroup made by cg_service_create() (which attaches the programs)
 * and runs this program again in a helper mode that reports what open(),
 * connect() and sendto() returned. The network checks run on the loopback
 * of the service's own network namespace (PrivateNetwork=yes) and over a
 * veth between that namespace and one this test makes for itself (unshare),
 * never on this machine's interfaces. In the VM only: cgroup BPF needs a
 * real cgroup2 host. */
#include "launch-util.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_addr.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cgroup.h"
#include "ns-net-internal.h"
#include "unit-value.h"

static CgRoot *root;
static char self[PATH_MAX];
static char blk[64];

/* ---- helper modes, inside the service ---- */

static int helper_open(const char *path, const char *mode) {
        int fd = open(path, (mode[0] == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);

        printf("%s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
        return 0;
}

static int udp_socket(const char *addr, uint16_t port, struct sockaddr_in *ret) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

        (void) inet_pton(AF_INET, addr, &a.sin_addr);
        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0)
                return -errno;
        if (ret)
                *ret = a;
        return fd;
}

/* IPAddressDeny=any, IPAddressAllow=127.0.0.1: prints
 * "tcp:ok udp-out:EPERM udp6-out:EPERM udp-in:allowed" when enforced. */
static int helper_net(void) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7001) }, to, denied = a;
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rx, tx_deny, tx_allow, one = 1;
        char buf[16] = "";
        ssize_t n;

        (void) inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        (void) setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(l, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(l, 1) < 0)
                return printf("listen: %m\n"), 1;
        /* connect() blocks until the handshake is done: both directions pass */
        printf("tcp:%s ", connect(c, (struct sockaddr *) &a, sizeof(a)) == 0 ? "ok" : strerrorname_np(errno));

        /* egress to a denied address: the kernel drops it and says EPERM */
        (void) inet_pton(AF_INET, "127.0.0.3", &denied.sin_addr);
        tx_deny = udp_socket("127.0.0.1", 0, NULL);
        n = sendto(tx_deny, "x", 1, 0, (struct sockaddr *) &denied, sizeof(denied));
        printf("udp-out:%s ", n == 1 ? "sent" : strerrorname_np(errno));
        {
                /* IPv6 goes through its own map: ::1 is in "any" */
                struct sockaddr_in6 six = { .sin6_family = AF_INET6, .sin6_port = htons(7003),
                                            .sin6_addr = IN6ADDR_LOOPBACK_INIT };
                _cleanup_close_ int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                n = sendto(fd6, "x", 1, 0, (struct sockaddr *) &six, sizeof(six));
                printf("udp6-out:%s ", n == 1 ? "sent" : strerrorname_np(errno));
        }

        /* ingress from a denied source: 127.0.0.2 -> 127.0.0.1 passes egress
         * (the destination is allowed) and is dropped on ingress; the
         * allowed datagram sent after it is the first to arrive */
        rx = udp_socket("127.0.0.1", 7002, &to);
        close(tx_deny);
        tx_deny = udp_socket("127.0.0.2", 0, NULL);
        tx_allow = udp_socket("127.0.0.1", 0, NULL);
        if (rx < 0 || tx_deny < 0 || tx_allow < 0)
                return printf("udp sockets: %s\n", strerror(-(rx < 0 ? rx : tx_deny < 0 ? tx_deny : tx_allow))), 1;
        (void) sendto(tx_deny, "denied", 6, 0, (struct sockaddr *) &to, sizeof(to));
        (void) sendto(tx_allow, "allowed", 7, 0, (struct sockaddr *) &to, sizeof(to));
        n = recv(rx, buf, sizeof(buf) - 1, 0);
        printf("udp-in:%s\n", n > 0 ? buf : strerrorname_np(errno));
        return 0;
}

/* The veth test's addresses: the service's end has .1 and fd31::1, the
 * test's end (the "peer") the rest, each with a TCP listener. */
#define PEER_PORT 7010
#define PEER_IFNAME "vp-bpf"
#define CONNECT_WAIT_MS 1000

static const struct {
        const char *addr;
        uint8_t prefixlen;
} peer_addrs[] = {
        { "10.231.0.2", 24 }, { "10.231.0.3", 24 }, { "fd31::2", 48 }, { "fd31:0:0:1::3", 48 },
};

typedef union SockAddr {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} SockAddr;

/* text (IPv4 or IPv6) and PEER_PORT as a socket address; 0 when not an address. */
static socklen_t sock_addr(const char *text, SockAddr *ret) {
        *ret = (SockAddr) {};
        if (inet_pton(AF_INET, text, &ret->in.sin_addr) == 1) {
                ret->in.sin_family = AF_INET;
                ret->in.sin_port = htons(PEER_PORT);
                return sizeof(ret->in);
        }
        if (inet_pton(AF_INET6, text, &ret->in6.sin6_addr) == 1) {
                ret->in6.sin6_family = AF_INET6;
                ret->in6.sin6_port = htons(PEER_PORT);
                return sizeof(ret->in6);
        }
        return 0;
}

static long long now_ms(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking connects to every address at once, then wait: prints
 * "ADDR:ok", "ADDR:ERRNO" or "ADDR:timeout" (no answer within
 * CONNECT_WAIT_MS) per address. An egress drop makes no error: the SYN is
 * gone and TCP would retransmit it after 1 s. */
static int helper_connect(int n, char **addrs) {
        struct pollfd pfd[8];
        const char *res[8];
        long long deadline = now_ms() + CONNECT_WAIT_MS;
        int pending = 0;

        if (n > 8)
                return printf("too many addresses\n"), 1;
        for (int i = 0; i < n; i++) {
                SockAddr a;
                socklen_t len = sock_addr(addrs[i], &a);
                int fd;

                res[i] = "timeout";
                pfd[i] = (struct pollfd) { .fd = -1, .events = POLLOUT };
                if (len == 0)
                        return printf("'%s' is not an address\n", addrs[i]), 1;
                fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0 || (connect(fd, &a.sa, len) < 0 && errno != EINPROGRESS)) {
                        res[i] = strerrorname_np(errno);
                        safe_close(fd);
                        continue;
                }
                pfd[i].fd = fd;
                pending++;
        }
        while (pending > 0 && now_ms() < deadline) {
                if (poll(pfd, (nfds_t) n, (int) (deadline - now_ms())) < 0 && errno != EINTR)
                        return printf("poll: %m\n"), 1;
                for (int i = 0; i < n; i++) {
                        int err = 0;
                        socklen_t l = sizeof(err);

                        if (pfd[i].fd < 0 || !pfd[i].revents)
                                continue;
                        (void) getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
                        res[i] = err ? strerrorname_np(err) : "ok";
                        pfd[i].fd = -1;
                        pending--;
                }
        }
        for (int i = 0; i < n; i++)
                printf("%s%s:%s", i ? " " : "", addrs[i], res[i]);
        printf("\n");
        return 0;
}

/* ---- the checks ---- */

static CgService *service(const char *name, const ResourceConfig *rc) {
        CgService *s = NULL;
        CrlError err = {};
        char **warnings = NULL;

        CHECK(cg_service_create(root, name, rc, 0, &s, &warnings, &err) == 0, "create %s: %s", name, err.message);
        CHECK(!warnings, "%s: warning %s", name, warnings ? warnings[0] : "");
        strv_free(warnings);
        return s;
}

static void run_hooked(UnitConfig *u, CgService *s, char *const *argv, NsSetupHook hook, void *userdata, Run *run) {
        NsLaunchParams p;

        it_params_init(&p, u);
        p.cgroup_fd = cg_service_fd(s);
        p.setup_hook = hook;
        p.setup_userdata = userdata;
        run_params(u, &p, argv, run);
        chomp(run);
}

static void run_in(UnitConfig *u, CgService *s, char *const *argv, Run *run) {
        run_hooked(u, s, argv, NULL, NULL, run);
}

static uint32_t attached(CgService *s, enum bpf_attach_type type) {
        uint32_t ids[4], n = 4;

        return bpf_prog_query(cg_service_fd(s), type, 0, NULL, ids, &n) < 0 ? UINT32_MAX : n;
}

static void destroy(CgService *s) {
        CrlError err = {};

        CHECK(cg_service_destroy(s, &err) == 0, "destroy: %s", err.message);
        cg_service_free(s);
}

static void test_devices_closed(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("bpf-closed");
        char *const open_null[] = { self, (char *) "open", (char *) "/dev/null", (char *) "w", NULL };
        char *const open_blk[] = { self, (char *) "open", blk, (char *) "r", NULL };
        CgService *s;
        Run run;
        int fd;

        /* without a program the node opens or fails otherwise (no driver):
         * the EPERM below is the program's */
        fd = open(blk, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        CHECK(fd >= 0 || errno != EPERM, "%s refused before any program: %m", blk);
        if (fd >= 0)
                close(fd);
        u->resources.device_policy = DEVICE_POLICY_CLOSED;
        s = service("bpf-closed", &u->resources);
        if (!s)
                return;
        CHECK(attached(s, BPF_CGROUP_DEVICE) == 1, "device programs attached: %u", attached(s, BPF_CGROUP_DEVICE));
        run_in(u, s, open_null, &run);
        CHECK(run.r == 0 && streq(run.out, "ok"), "closed: /dev/null w: r=%d %s '%s'", run.r, run.error.message, run.out);
        run_in(u, s, open_blk, &run);
        CHECK(run.r == 0 && streq(run.out, "EPERM"), "closed: %s r: '%s'", blk, run.out);
        destroy(s);

        /* gone with the cgroup: a new cgroup of the same name starts bare */
        u->resources.device_policy = DEVICE_POLICY_AUTO;
        s = service("bpf-closed", &u->resources);
        if (!s)
                return;
        CHECK(attached(s, BPF_CGROUP_DEVICE) == 0, "programs left: %u", attached(s, BPF_CGROUP_DEVICE));
        run_in(u, s, open_blk, &run);
        CHECK(run.r == 0 && !streq(run.out, "EPERM"), "auto: %s r: '%s'", blk, run.out);
        destroy(s);
}

/* The id of the one program of type attached to s, 0 if not exactly one. */
static uint32_t attached_id(CgService *s, enum bpf_attach_type type) {
        uint32_t ids[4], n = 4;

        return bpf_prog_query(cg_service_fd(s), type, 0, NULL, ids, &n) < 0 || n != 1 ? 0 : ids[0];
}

/* As corrald: the programs loaded once per unit (cg_service_create_bpf()'s
 * cache), attached to each new cgroup: the second cgroup gets the very
 * program (same kernel id) the first had, and it still refuses. */
static void test_loaded_once(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("bpf-once");
        char *const open_blk[] = { self, (char *) "open", blk, (char *) "r", NULL };
        _cleanup_(cg_bpf_programs_freep) CgBpfPrograms *bpf = NULL;
        CgBpfPrograms *first = NULL;
        uint32_t id[2] = {};
        CrlError err = {};
        char **warnings = NULL;
        CgService *s;
        Run run;

        u->resources.device_policy = DEVICE_POLICY_CLOSED;
        CHECK(parse_ip_prefixes("any", &u->resources.ip_address_deny, &u->resources.n_ip_address_deny, &err) == 0,
              "prefixes: %s", err.message);
        for (int i = 0; i < 2; i++) {
                s = NULL;
                CHECK(cg_service_create_bpf(root, "bpf-once", &u->resources, &bpf, 0, &s, &warnings, &err) == 0 &&
                      !warnings, "create #%d: %s %s", i + 1, err.message, warnings ? warnings[0] : "");
                if (!s)
                        return;
                if (i == 0)
                        first = bpf;
                CHECK(bpf && bpf == first && cg_bpf_programs_count(bpf) == 3,
                      "start #%d: the cache is %p (first %p), %zu programs, not the first's 3", i + 1, (void *) bpf,
                      (void *) first, cg_bpf_programs_count(bpf));
                id[i] = attached_id(s, BPF_CGROUP_DEVICE);
                CHECK(id[i] != 0 && attached_id(s, BPF_CGROUP_INET_EGRESS) != 0,
                      "start #%d: device program %u, egress %u attached", i + 1, id[i],
                      attached_id(s, BPF_CGROUP_INET_EGRESS));
                run_in(u, s, open_blk, &run);
                CHECK(run.r == 0 && streq(run.out, "EPERM"), "start #%d: %s r: '%s', not EPERM", i + 1, blk, run.out);
                destroy(s);
        }
        CHECK(id[0] == id[1], "the second cgroup got device program %u, not the first's %u: loaded again", id[1],
              id[0]);
}

static void test_device_allow(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("bpf-allow");
        char *const read_null[] = { self, (char *) "open", (char *) "/dev/null", (char *) "r", NULL };
        char *const write_null[] = { self, (char *) "open", (char *) "/dev/null", (char *) "w", NULL };
        char *const read_zero[] = { self, (char *) "open", (char *) "/dev/zero", (char *) "r", NULL };
        DeviceAllow d = { .path = strdup("/dev/null"), .access = DEVICE_ACCESS_READ };
        CgService *s;
        Run run;

        u->resources.device_policy = DEVICE_POLICY_STRICT;
        u->resources.device_allow = calloc(1, sizeof(DeviceAllow));
        u->resources.device_allow[0] = d;
        u->resources.n_device_allow = 1;
        s = service("bpf-allow", &u->resources);
        if (!s)
                return;
        run_in(u, s, read_null, &run);
        CHECK(run.r == 0 && streq(run.out, "ok"), "strict r: /dev/null r: r=%d %s '%s'", run.r, run.error.message, run.out);
        run_in(u, s, write_null, &run);
        CHECK(run.r == 0 && streq(run.out, "EPERM"), "strict r: /dev/null w: '%s'", run.out);
        run_in(u, s, read_zero, &run);
        CHECK(run.r == 0 && streq(run.out, "EPERM"), "strict: /dev/zero r: '%s'", run.out);
        destroy(s);
}

static void test_ip(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("bpf-ip");
        char *const net[] = { self, (char *) "net", NULL };
        CrlError err = {};
        CgService *s;
        Run run;

        u->private_network = true;
        CHECK(parse_ip_prefixes("any", &u->resources.ip_address_deny, &u->resources.n_ip_address_deny, &err) == 0 &&
              parse_ip_prefixes("127.0.0.1", &u->resources.ip_address_allow, &u->resources.n_ip_address_allow, &err) == 0,
              "prefixes: %s", err.message);
        s = service("bpf-ip", &u->resources);
        if (!s)
                return;
        CHECK(attached(s, BPF_CGROUP_INET_INGRESS) == 1 && attached(s, BPF_CGROUP_INET_EGRESS) == 1,
              "ip programs attached: %u %u", attached(s, BPF_CGROUP_INET_INGRESS), attached(s, BPF_CGROUP_INET_EGRESS));
        run_in(u, s, net, &run);
        CHECK(run.r == 0 && streq(run.out, "tcp:ok udp-out:EPERM udp6-out:EPERM udp-in:allowed"), "ip: r=%d %s '%s'",
              run.r, run.error.message, run.out);
        destroy(s);

        /* the same without the programs: every path is open (the test can fail) */
        u->resources.n_ip_address_deny = 0;
        u->resources.n_ip_address_allow = 0;
        s = service("bpf-ip", &u->resources);
        if (!s)
                return;
        run_in(u, s, net, &run);
        CHECK(run.r == 0 && streq(run.out, "tcp:ok udp-out:sent udp6-out:sent udp-in:denied"), "no ip policy: '%s'", run.out);
        destroy(s);
}

/* ---- IPAddress*= over a veth to a namespace of the test's ---- */

typedef struct Peer {
        struct nl_sock *sk;                     /* owned; in the test's network namespace */
        int listen[ELEMENTSOF(peer_addrs)];     /* owned; made by the hook, closed by peer_done() */
} Peer;

static int addr_add(struct nl_sock *sk, int ifindex, const char *text, uint8_t prefixlen) {
        SockAddr a;

        if (sock_addr(text, &a) == 0)
                return -EINVAL;
        /* IPv6: no DAD, so the address is usable (bindable, routable) at once */
        return a.sa.sa_family == AF_INET ?
                ns_link_addr_add(sk, ifindex, AF_INET, &a.in.sin_addr, prefixlen, 0) :
                ns_link_addr_add(sk, ifindex, AF_INET6, &a.in6.sin6_addr, prefixlen, IFA_F_NODAD);
}

static int listener(const char *text) {
        _cleanup_close_ int fd = -EBADF;
        SockAddr a;
        socklen_t len = sock_addr(text, &a);

        fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, &a.sa, len) < 0 || listen(fd, 4) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The test's end: every peer address and a listener on each. */
static int peer_side(Peer *p, int ifindex, CrlError *reterr) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(peer_addrs); i++) {
                r = addr_add(p->sk, ifindex, peer_addrs[i].addr, peer_addrs[i].prefixlen);
                if (r < 0)
                        return crl_error_set(reterr, -r, "address %s on %s: %s", peer_addrs[i].addr, PEER_IFNAME,
                                             strerror(-r));
                p->listen[i] = listener(peer_addrs[i].addr);
                if (p->listen[i] < 0)
                        return crl_error_set(reterr, -p->listen[i], "listening on %s: %s", peer_addrs[i].addr,
                                             strerror(-p->listen[i]));
        }
        return 0;
}

/* The launcher's setup hook: the child is in its new network namespace and
 * waits. A veth into it (eth0: 10.231.0.1/24 and fd31::1/48), the peer's
 * addresses and listeners on the test's end. */
static int peer_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        struct in_addr svc4 = { htonl(0x0ae70001) }, gw4 = { htonl(0x0ae70002) };
        Peer *p = userdata;
        struct nl_sock *nsk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int host = 0, eth = 0, r;

        r = ns_nl_open_in(child_pidfd, &nsk, &nsfd);
        if (r < 0)
                return crl_error_set(reterr, -r, "netlink in pid %d's namespace: %s", (int) child_pid, strerror(-r));
        r = ns_link_veth_create(p->sk, PEER_IFNAME, "corral-test:bpf", 0, nsfd, &host, reterr);
        if (r >= 0)
                r = peer_side(p, host, reterr);
        if (r >= 0)
                r = ns_link_peer_configure(nsk, svc4, 24, gw4, reterr);
        if (r >= 0) {
                r = ns_link_ifindex(nsk, NS_NET_PEER_IFNAME, &eth);
                if (r >= 0)
                        r = addr_add(nsk, eth, "fd31::1", 48);
                if (r < 0)
                        crl_error_set(reterr, -r, "fd31::1 on the service's eth0: %s", strerror(-r));
        }
        nl_socket_free(nsk);
        return r;
}

/* Which listeners got a connection (bit i: peer_addrs[i]): those in want
 * are waited for (up to CONNECT_WAIT_MS), the others looked at once.
 * Closes the listeners and deletes the veth (the service has exited). */
static unsigned peer_done(Peer *p, unsigned want) {
        long long deadline = now_ms() + CONNECT_WAIT_MS;
        unsigned seen = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(peer_addrs); i++) {
                struct pollfd pfd = { .fd = p->listen[i], .events = POLLIN };
                long long left = (want & (1u << i)) ? deadline - now_ms() : 0;

                if (p->listen[i] < 0)
                        continue;
                if (poll(&pfd, 1, left > 0 ? (int) left : 0) == 1)
                        seen |= 1u << i;
                p->listen[i] = safe_close(p->listen[i]);
        }
        r = ns_link_delete(p->sk, PEER_IFNAME);
        CHECK(r == 0 || r == -ENODEV, "deleting %s: %s", PEER_IFNAME, strerror(-r));
        return seen;
}

static void run_veth(UnitConfig *u, Peer *p, const char *what, unsigned want, const char *expect) {
        char *const argv[] = { self, (char *) "connect", (char *) peer_addrs[0].addr, (char *) peer_addrs[1].addr,
                               (char *) peer_addrs[2].addr, (char *) peer_addrs[3].addr, NULL };
        CgService *s = service("bpf-veth", &u->resources);
        long long t0 = now_ms();
        unsigned seen;
        Run run;

        if (!s)
                return;
        run_hooked(u, s, argv, peer_hook, p, &run);
        printf("     (%s: the service ran %lld ms)\n", what, now_ms() - t0);
        seen = peer_done(p, want);
        CHECK(run.r == 0 && streq(run.out, expect), "%s: r=%d %s '%s', expected '%s'", what, run.r, run.error.message,
              run.out, expect);
        CHECK(seen == want, "%s: the peer's listeners saw connections 0x%x, expected 0x%x (bit i: address i of %s %s %s %s)",
              what, seen, want, peer_addrs[0].addr, peer_addrs[1].addr, peer_addrs[2].addr, peer_addrs[3].addr);
        destroy(s);
}

/* IPAddressDeny=any, IPAddressAllow=10.231.0.2 fd31::/64: from the
 * service, 10.231.0.2 and fd31::2 answer; 10.231.0.3 and fd31:0:0:1::3
 * (outside the /64) get no SYN. ARP and neighbour discovery need nothing
 * allowed (see docs/design.md). Without a policy all four answer (the test
 * can fail). */
static void test_ip_veth(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("bpf-veth");
        Peer p = { .listen = { -EBADF, -EBADF, -EBADF, -EBADF } };
        CrlError err = {};
        int r;

        /* the peer's network namespace: this test's own from here on */
        r = unshare(CLONE_NEWNET) < 0 ? -errno : ns_nl_open(&p.sk);
        CHECK(r >= 0, "a network namespace of the test's and netlink in it: %s", strerror(-r));
        if (r < 0)
                return;
        u->private_network = true;
        CHECK(parse_ip_prefixes("any", &u->resources.ip_address_deny, &u->resources.n_ip_address_deny, &err) == 0 &&
              parse_ip_prefixes("10.231.0.2 fd31::/64", &u->resources.ip_address_allow,
                                &u->resources.n_ip_address_allow, &err) == 0,
              "prefixes: %s", err.message);
        run_veth(u, &p, "ip over veth", 0x5, "10.231.0.2:ok 10.231.0.3:timeout fd31::2:ok fd31:0:0:1::3:timeout");
        u->resources.n_ip_address_deny = 0;
        u->resources.n_ip_address_allow = 0;
        run_veth(u, &p, "no ip policy over veth", 0xf, "10.231.0.2:ok 10.231.0.3:ok fd31::2:ok fd31:0:0:1::3:ok");
        nl_socket_free(p.sk);
}

int main(int argc, char *argv[]) {
        const char *where = getenv("CORRAL_TEST_WHERE");
        char override[64];
        CrlError err = {};
        CgProbe probe;
        ssize_t n;

        if (argc == 4 && streq(argv[1], "open"))
                return helper_open(argv[2], argv[3]);
        if (argc == 2 && streq(argv[1], "net"))
                return helper_net();
        if (argc >= 3 && streq(argv[1], "connect"))
                return helper_connect(argc - 2, argv + 2);
        setvbuf(stdout, NULL, _IOLBF, 0);
        require_root();
        if (!where || !streq(where, "vm"))
                return printf("needs the VM (cgroup BPF on a cgroup2 host): CORRAL_TEST_WHERE=vm\n"), 77;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || probe.mode != CG_MODE_UNIFIED)
                return printf("no unified cgroup2 here: %s\n", err.message), 77;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return printf("FAIL readlink: %m\n"), 1;
        self[n] = 0;
        /* a block node of its own (the VM may have no disk): sd's 8:0 */
        (void) snprintf(blk, sizeof(blk), "/dev/corral-bpf-%d", (int) getpid());
        if (mknod(blk, S_IFBLK | 0600, makedev(8, 0)) < 0)
                return printf("FAIL mknod %s: %m\n", blk), 1;
        (void) snprintf(override, sizeof(override), "/corral-test-bpf-%d", (int) getpid());
        if (cg_root_open(&probe, override, 0, &root, &err) < 0)
                return printf("FAIL root: %s\n", err.message), 1;
        test_devices_closed();
        test_device_allow();
        test_loaded_once();
        test_ip();
        test_ip_veth();
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        cg_root_free(root);
        (void) unlink(blk);
        return finish("test-launch-bpf");
}
