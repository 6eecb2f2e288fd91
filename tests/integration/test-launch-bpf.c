/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup BPF as the kernel enforces it on a service: DevicePolicy=,
 * DeviceAllow=, IPAddressAllow=/IPAddressDeny=. Each service is launched
 * into a cgroup made by cg_service_create() (which attaches the programs)
 * and runs this program again in a helper mode that reports what open(),
 * connect() and sendto() returned. The network checks run on the loopback
 * of the service's own network namespace (PrivateNetwork=yes), never on
 * this machine's interfaces. In the VM only: cgroup BPF needs a real
 * cgroup2 host. */
#include "launch-util.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "cgroup.h"
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

static void run_in(UnitConfig *u, CgService *s, char *const *argv, Run *run) {
        NsLaunchParams p;

        ns_launch_params_init(&p, u);
        p.cgroup_fd = cg_service_fd(s);
        run_params(u, &p, argv, run);
        chomp(run);
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
        test_ip();
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        cg_root_free(root);
        (void) unlink(blk);
        return finish("test-launch-bpf");
}
