/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service networking end to end, inside a network and mount namespace this
 * test makes for itself (unshare at start): nothing touches the real host's
 * interfaces, and every packet stays between namespaces made here. The
 * "services" are children in fresh network + mount namespaces, wired by an
 * NsNetService as the launcher and corrald do (new, hook, commit; destroy or
 * abort), with /etc/hosts and /etc/resolv.conf bind-mounted from its binds.
 *
 * Checks what the kernel shows (links, addresses, nft table, HTTP traffic),
 * not just return codes. Exit 0 pass, 1 fail, 77 skip. */
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "fileio.h"
#include "it-util.h"
#include "ns-net.h"
#include "strv.h"
#include "syscalls.h"

static const char *bridge_override;     /* Bridge= of the next svc_start */
static char rundir[] = "/tmp/corral-net-test.XXXXXX";

typedef struct Svc {
        char name[32];
        pid_t pid;
        int pidfd;
        NsNetService *ns;
        const NsNetLease *lease;
        char address[INET_ADDRSTRLEN];  /* kept after an abort */
        UnitConfig *unit;
} Svc;

/* What the test does before the hook runs (e.g. make it fail). */
static void (*before_hook)(const Svc *s);
/* Fail the start after the hook, as a failed exec does. */
static bool fail_after_hook;

/* The child: new netns + mount ns; waits for the parent's byte (the
 * launcher's handshake), binds the files, then execs argv. */
static void child_run(int rfd, const BindMount *binds, size_t nb, char **argv) {
        char c;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(rfd, &c, 1) != 1)
                _exit(120);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                _exit(121);
        for (size_t i = 0; i < nb; i++)
                if (mount(binds[i].source, binds[i].destination, NULL, MS_BIND, NULL) < 0 ||
                    mount(NULL, binds[i].destination, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                        _exit(122);
        execvp(argv[0], argv);
        _exit(127);
}

/* Start a service from a unit (owned by s afterwards), as the supervisor
 * will: the NsNetService first (lease, files, binds), then clone, the hook,
 * release, commit. A failed start is aborted, as corrald does. */
static int svc_start_unit(NsNet *net, Svc *s, UnitConfig *unit, char **argv, uint64_t extra_flags, CrlError *err) {
        crl_clone_args args = { .flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_PIDFD | extra_flags,
                                .exit_signal = SIGCHLD };
        const BindMount *binds;
        size_t nb = 0;
        int p[2], e[2], r;
        char c;

        memset(s, 0, sizeof(*s));
        s->pidfd = -EBADF;
        crl_error_clear(err);
        snprintf(s->name, sizeof(s->name), "%s", unit->name);
        s->unit = unit;
        r = ns_net_service_new(net, s->unit, &s->ns, err);
        if (r < 0)
                return r;
        s->lease = ns_net_service_lease_of(s->ns);
        snprintf(s->address, sizeof(s->address), "%s", s->lease->address_str);
        binds = ns_net_service_binds(s->ns, &nb);
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        /* EOF on e[0] once the child exec'd or died: until then it holds a
         * copy of our fds (the NsNet's lock among them), and the launcher
         * too reports a start only at the exec. */
        if (pipe2(e, O_CLOEXEC) < 0) {
                close(p[0]);
                close(p[1]);
                return -errno;
        }
        args.pidfd = (uint64_t) (uintptr_t) &s->pidfd;
        s->pid = crl_clone3(&args);
        if (s->pid == 0) {
                close(p[1]);    /* EOF when the parent gives up */
                child_run(p[0], binds, nb, argv);
        }
        close(p[0]);
        close(e[1]);
        if (before_hook)
                before_hook(s);
        r = ns_net_service_hook(s->ns)(s->ns, s->pidfd, s->pid, err);
        if (r >= 0)
                (void) !write(p[1], "g", 1);
        close(p[1]);
        while (read(e[0], &c, 1) < 0 && errno == EINTR)
                ;
        close(e[0]);
        if (r >= 0 && fail_after_hook)
                r = crl_error_set(err, ENOENT, "service '%s': step 'exec': No such file or directory", s->name);
        if (r >= 0)
                r = ns_net_service_commit(s->ns, s->pidfd, err);
        if (r < 0) {
                ns_net_service_abort(s->ns);
                s->ns = NULL;
                s->lease = NULL;
        }
        return r;
}

static int svc_start_flags(NsNet *net, Svc *s, const char *name, const PortForward *ports, size_t n_ports,
                           char **argv, uint64_t extra_flags, CrlError *err) {
        UnitConfig *u = NULL;

        if (unit_config_new(name, &u) < 0)
                return -ENOMEM;
        u->network.virtual_ethernet = true;
        if (bridge_override)
                u->network.bridge = strdup(bridge_override);
        if (n_ports) {
                u->network.ports = calloc(n_ports, sizeof(PortForward));
                memcpy(u->network.ports, ports, n_ports * sizeof(PortForward));
                u->network.n_ports = n_ports;
        }
        return svc_start_unit(net, s, u, argv, extra_flags, err);
}

static int svc_start(NsNet *net, Svc *s, const char *name, const PortForward *ports, size_t n_ports,
                     char **argv, CrlError *err) {
        return svc_start_flags(net, s, name, ports, n_ports, argv, 0, err);
}

static int svc_start_bridge(NsNet *net, Svc *s, const char *name, const char *bridge, const PortForward *ports,
                            size_t n_ports, char **argv, CrlError *err) {
        int r;

        bridge_override = bridge;
        r = svc_start_flags(net, s, name, ports, n_ports, argv, 0, err);
        bridge_override = NULL;
        return r;
}

/* after a failed start: nothing to destroy, the start undid itself */
static void svc_abandon(Svc *s) {
        if (s->pid > 0) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, NULL, 0);
                close(s->pidfd);
        }
        unit_config_free(s->unit);
        s->unit = NULL;
        s->pid = 0;
}

/* Stop: kill, reap, destroy; then (no loop here) wait until the kernel
 * deleted the veth. s->ns NULL: its object went with a "crashed" NsNet. */
static void svc_stop(NsNet *net, Svc *s) {
        CrlError err = {};
        int r;

        if (s->pid <= 0)
                return;
        (void) crl_pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
        (void) waitpid(s->pid, NULL, 0);
        close(s->pidfd);
        if (s->ns) {
                r = ns_net_service_destroy(s->ns, &err);
                CHECK(r >= 0, "destroy %s: %s", s->name, err.message);
                r = ns_net_flush(net, 5000, &err);
                CHECK(r >= 0, "flush after %s: %s", s->name, err.message);
        }
        s->ns = NULL;
        s->lease = NULL;
        unit_config_free(s->unit);
        s->pid = 0;
}

static int wget_in(const Svc *from, const char *url, char **out) {
        /* httpd needs a moment to bind; bounded retries are fine in a test */
        for (int i = 0; i < 40; i++) {
                free(*out);
                *out = NULL;
                if (from && sh(out, "nsenter -t %d -n -m curl -sS -m 2 %s 2>&1", from->pid, url) == 0)
                        return 0;
                if (!from && sh(out, "curl -sS -m 2 %s 2>&1", url) == 0)
                        return 0;
                usleep(50 * 1000);
        }
        return -1;
}

static int net_new_r(const char *bridge, const char *subnet, uint8_t prefixlen, const char *sub, NsNet **ret,
                     CrlError *err) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = NULL;

        if (manager_config_new(&mc) < 0)
                return -ENOMEM;
        free(mc->bridge);
        mc->bridge = strdup(bridge);
        free(mc->runtime_directory);
        if (asprintf(&mc->runtime_directory, "%s/%s", rundir, sub) < 0)
                return -ENOMEM;
        inet_pton(AF_INET, subnet, &mc->subnet);
        mc->subnet_prefixlen = prefixlen;
        return ns_net_new(mc, ret, err);
}

static NsNet *net_new(const char *bridge, const char *subnet, uint8_t prefixlen, const char *sub) {
        NsNet *net = NULL;
        CrlError err = {};

        if (net_new_r(bridge, subnet, prefixlen, sub, &net, &err) < 0)
                printf("ns_net_new: %s\n", err.message);
        return net;
}

static void test_two_services(void) {
        NsNet *net = net_new("corral0", "10.89.0.0", 24, "main");
        static const PortForward port = { .protocol = IPPROTO_TCP, .host_port = 8080, .service_port = 80 };
        char *httpd[] = { "busybox", "httpd", "-f", "-p", "80", "-h", rundir, NULL };
        char *idle[] = { "sleep", "1000", NULL };
        _cleanup_free_ char *out = NULL, *first_addr = NULL;
        CrlError err = {};
        Svc a, b;
        int r;

        r = svc_start(net, &a, "web", &port, 1, httpd, &err);
        CHECK(r >= 0, "start web: %s", err.message);
        r = svc_start(net, &b, "client", NULL, 0, idle, &err);
        CHECK(r >= 0, "start client: %s", err.message);
        if (failures)
                return;
        first_addr = strdup(a.lease->address_str);
        CHECK(!streq(a.lease->address_str, b.lease->address_str), "%s == %s", a.lease->address_str,
              b.lease->address_str);
        CHECK(sh(&out, "nsenter -t %d -n ip -4 -o addr show dev eth0 | grep -q ' %s/24 '", a.pid,
                 a.lease->address_str) == 0, "web's eth0 lacks %s", a.lease->address_str);
        free(out); out = NULL;
        CHECK(sh(&out, "nsenter -t %d -n ip route show default | grep -q 'via 10.89.0.1 dev eth0'", b.pid) == 0,
              "no default route in client");
        free(out); out = NULL;
        CHECK(sh(&out, "ip -d link show vc-web | grep -q 'master corral0'") == 0, "vc-web not on corral0");
        free(out); out = NULL;
        CHECK(sh(&out, "ip link show vc-web | grep -q 'alias corral:web'") == 0, "vc-web alias missing");
        free(out); out = NULL;
        /* by address, and by name through the bind-mounted /etc/hosts */
        r = wget_in(&b, "http://web/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "client -> http://web/: %s", out ?: "");
        CHECK(sh(&out, "nsenter -t %d -m grep -c -E '^[0-9.]+\t(web|client)$' /etc/hosts | grep -qx 2", b.pid) == 0,
              "client's /etc/hosts does not list both");
        /* no socket of corral's (netlink, nft) leaks into a service */
        CHECK(sh(NULL, "ls -l /proc/%d/fd | grep -E -q 'socket:|anon_inode:|net:\\[|%s'", b.pid, rundir) != 0,
              "client inherited a socket, eventfd, namespace or state fd");
        CHECK(sh(&out, "nsenter -t %d -m grep -q 'written by corrald' /etc/resolv.conf", b.pid) == 0,
              "client's /etc/resolv.conf is not corral's");
        CHECK(sh(&out, "nsenter -t %d -m sh -c 'echo x >> /etc/hosts' 2>/dev/null", b.pid) != 0,
              "client's /etc/hosts is writable");
        {
                char url[64];
                snprintf(url, sizeof(url), "http://%s/", a.lease->address_str);
                r = wget_in(&b, url, &out);
                CHECK(r == 0 && strstr(out, "hello-corral"), "client -> %s: %s", url, out ?: "");
        }
        /* Port=8080:80 from this (the host's) namespace: its own addresses */
        r = wget_in(NULL, "http://192.0.2.1:8080/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "host -> 192.0.2.1:8080: %s", out ?: "");
        r = wget_in(NULL, "http://127.0.0.1:8080/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "host -> 127.0.0.1:8080: %s", out ?: "");
        /* and from a client namespace outside, through the host's uplink */
        r = sh(&out, "ip netns exec corral-test-outside curl -sS -m 2 http://192.0.2.1:8080/");
        CHECK(r == 0 && strstr(out, "hello-corral"), "outside -> 192.0.2.1:8080: %s", out ?: "");
        free(out); out = NULL;
        CHECK(sh(&out, "nft list table inet corral | grep -q 'dport 8080 dnat ip to %s:80'", a.lease->address_str) == 0,
              "no DNAT rule for 8080");
        free(out); out = NULL;
        CHECK(sh(&out, "cat /proc/sys/net/ipv4/conf/corral0/forwarding | grep -qx 1") == 0, "bridge forwarding off");

        /* a second service may not take the same host port */
        {
                Svc c;
                CrlError e2 = {};
                r = svc_start(net, &c, "thief", &port, 1, idle, &e2);
                CHECK(r == -EADDRINUSE && strstr(e2.message, "'web'"), "port clash: %d %s", r, e2.message);
                CHECK(sh(NULL, "ip link show vc-thief >/dev/null 2>&1") != 0, "vc-thief left behind");
                if (c.pid > 0) {
                        kill(c.pid, SIGKILL);
                        waitpid(c.pid, NULL, 0);
                }
                unit_config_free(c.unit);
        }

        /* PrivateUsers=: the netns belongs to the service's user namespace */
        {
                Svc u;
                CrlError e3 = {};

                r = svc_start_flags(net, &u, "userns", NULL, 0, idle, CLONE_NEWUSER, &e3);
                CHECK(r >= 0, "start userns: %s", e3.message);
                if (r >= 0) {
                        CHECK(sh(NULL, "nsenter -t %d -n ip -4 -o addr show dev eth0 | grep -q ' %s/24 '", u.pid,
                                 u.lease->address_str) == 0, "userns service's eth0 lacks its address");
                        CHECK(sh(NULL, "nsenter -t %d -n curl -sS -m 2 http://%s/ | grep -q hello-corral", u.pid,
                                 a.lease->address_str) == 0, "userns service cannot reach web");
                        svc_stop(net, &u);
                }
        }

        /* a real unit file through the loader: fixed Address=, Port= */
        {
                static const char text[] = "[Service]\nExecStart=/bin/true\n[Network]\nVirtualEthernet=yes\n"
                                           "Address=10.89.0.50/24\nPort=tcp:8081:80\n";
                char *httpd2[] = { "busybox", "httpd", "-f", "-p", "80", "-h", rundir, NULL };
                UnitDiagnostics diags = {};
                UnitConfig *u = NULL;
                CrlError e5 = {};
                FILE *uf = fopen("fixed.service", "we");
                Svc fx;

                if (uf) {
                        fputs(text, uf);
                        fclose(uf);
                }
                r = unit_load_file("fixed.service", &u, &diags);
                CHECK(r >= 0 && u, "loading fixed.service: %d", r);
                unit_diagnostics_done(&diags);
                if (u) {
                        r = svc_start_unit(net, &fx, u, httpd2, 0, &e5);
                        CHECK(r >= 0 && streq(fx.lease->address_str, "10.89.0.50"), "fixed: %d %s", r, e5.message);
                        r = wget_in(NULL, "http://127.0.0.1:8081/", &out);
                        CHECK(r == 0 && strstr(out, "hello-corral"), "host -> 127.0.0.1:8081: %s", out ?: "");
                        if (fx.pid > 0)
                                svc_stop(net, &fx);
                        else
                                svc_abandon(&fx);
                }
        }

        /* Port=udp: a datagram to the host port comes back from the service */
        {
                static const PortForward udp = { .protocol = IPPROTO_UDP, .host_port = 5353, .service_port = 53 };
                char *echo[] = { "/usr/bin/python3", "-c",
                                 "import socket\n"
                                 "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                 "s.bind(('0.0.0.0', 53))\n"
                                 "while True:\n"
                                 "    d, a = s.recvfrom(512)\n"
                                 "    s.sendto(b'echo:' + d, a)\n", NULL };
                CrlError e6 = {};
                Svc us;

                r = svc_start(net, &us, "udpecho", &udp, 1, echo, &e6);
                CHECK(r >= 0, "udpecho: %s", e6.message);
                if (r >= 0) {
                        for (int i = 0; i < 40; i++) {
                                if (sh(&out, "/usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_INET, "
                                             "socket.SOCK_DGRAM); s.settimeout(0.2); s.sendto(b'ping', "
                                             "('192.0.2.1', 5353)); print(s.recv(64).decode())\" 2>/dev/null") == 0)
                                        break;
                        }
                        CHECK(out && strstr(out, "echo:ping"), "udp 192.0.2.1:5353: %s", out ?: "");
                        svc_stop(net, &us);
                }
                CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 5353'") != 0, "udp rule left after stop");
        }

        /* Bridge= naming a bridge someone else made */
        {
                Svc f;
                CrlError e4 = {};

                r = svc_start_bridge(net, &f, "missing", "nosuchbr", NULL, 0, idle, &e4);
                CHECK(r == -ENODEV && strstr(e4.message, "Bridge=nosuchbr: no such bridge"), "%d %s", r, e4.message);
                svc_abandon(&f);
                CHECK(sh(NULL, "ip link add crlbr1 type bridge && ip addr add 10.77.0.1/24 dev crlbr1 && "
                               "ip link set crlbr1 up") == 0, "making crlbr1");
                r = svc_start_bridge(net, &f, "lan", "crlbr1", &port, 1, idle, &e4);
                CHECK(r == -EADDRINUSE && strstr(e4.message, "'web'"), "cross-bridge port clash: %d %s", r, e4.message);
                svc_abandon(&f);
                r = svc_start_bridge(net, &f, "lan", "crlbr1", NULL, 0, idle, &e4);
                CHECK(r >= 0 && streq(f.lease->address_str, "10.77.0.2"), "lan: %d %s", r, e4.message);
                if (r >= 0) {
                        CHECK(sh(NULL, "ip -d link show vc-lan | grep -q 'master crlbr1'") == 0, "vc-lan not on crlbr1");
                        CHECK(sh(NULL, "nsenter -t %d -n curl -sS -m 2 http://%s/ | grep -q hello-corral", f.pid,
                                 a.lease->address_str) == 0, "lan cannot reach web across bridges");
                        CHECK(sh(NULL, "nsenter -t %d -m grep -q -w web /etc/hosts", f.pid) != 0,
                              "lan's hosts lists a service of another bridge");
                        CHECK(sh(NULL, "nsenter -t %d -m grep -q -w lan /etc/hosts", b.pid) != 0,
                              "client's hosts lists a service of another bridge");
                        svc_stop(net, &f);
                }
                CHECK(sh(NULL, "ip link show vc-lan >/dev/null 2>&1") != 0, "vc-lan left after stop");
        }

        /* stop removes veth and rules; restart gets the same address */
        svc_stop(net, &a);
        CHECK(sh(NULL, "ip link show vc-web >/dev/null 2>&1") != 0, "vc-web still exists after stop");
        CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 8080'") != 0, "DNAT rule left after stop");
        CHECK(sh(&out, "nsenter -t %d -m grep -q -w web /etc/hosts", b.pid) != 0, "client still lists web");
        r = svc_start(net, &a, "web", &port, 1, httpd, &err);
        CHECK(r >= 0 && streq(a.lease->address_str, first_addr), "restart: %s vs %s (%s)",
              r >= 0 ? a.lease->address_str : "-", first_addr, err.message);
        CHECK(sh(NULL, "nsenter -t %d -m grep -q -w web /etc/hosts", b.pid) == 0, "client lost web after restart");

        /* a second corrald on the same runtime directory is refused */
        {
                NsNet *other = NULL;
                CrlError e7 = {};

                r = net_new_r("corral0", "10.89.0.0", 24, "main", &other, &e7);
                CHECK(r == -EBUSY && !other && strstr(e7.message, "another corrald"), "second context: %d %s", r,
                      e7.message);
                printf("     (error was: %s)\n", e7.message);
                ns_net_free(other);
        }

        /* kill -9 of corrald (nothing undone): the next one adopts web,
         * and cleans the client's wiring up as nobody adopted it */
        ns_net_free(net);
        a.ns = b.ns = NULL;
        a.lease = b.lease = NULL;
        net = net_new("corral0", "10.89.0.0", 24, "main");
        CHECK(net, "no context after the crash");
        if (!net)
                return;
        r = ns_net_service_adopt(net, a.unit, a.pidfd, &a.ns, &err);
        CHECK(r >= 0 && streq(ns_net_service_lease_of(a.ns)->address_str, first_addr) &&
              streq(ns_net_service_lease_of(a.ns)->host_ifname, "vc-web"), "adopt web: %s", err.message);
        r = ns_net_cleanup_stale(net, &err);
        CHECK(r >= 0, "cleanup_stale: %s", err.message);
        CHECK(sh(NULL, "ip link show vc-web | grep -q 'master corral0'") == 0, "adopted vc-web deleted or detached");
        CHECK(sh(NULL, "ip link show vc-client >/dev/null 2>&1") != 0, "stale vc-client not deleted");
        CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 8080'") == 0, "adopted port lost");
        CHECK(access("/run/netns/corral-web", F_OK) == 0, "adopted web lost its pin");
        CHECK(access("/run/netns/corral-client", F_OK) < 0, "stale pin of client left");
        CHECK(access("main/net/client", F_OK) < 0, "stale files of client left");
        CHECK(sh(NULL, "grep -q -w client main/net/web/hosts") != 0, "web's hosts still lists the stale client");
        r = wget_in(NULL, "http://127.0.0.1:8080/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "adopted web unreachable: %s", out ?: "");
        svc_stop(net, &a);
        svc_stop(net, &b);
        r = ns_net_shutdown(net, &err);
        CHECK(r >= 0, "shutdown: %s", err.message);
        CHECK(sh(NULL, "ip link show corral0 >/dev/null 2>&1") != 0, "bridge left after shutdown");
        CHECK(sh(NULL, "nft list table inet corral >/dev/null 2>&1") != 0, "nft table left after shutdown");
        /* without the table's guard, route_localnet must not stay on a
         * bridge that outlives corrald */
        CHECK(sh(NULL, "grep -qx 0 /proc/sys/net/ipv4/conf/crlbr1/route_localnet") == 0,
              "route_localnet left on crlbr1 after shutdown");
        ns_net_free(net);
}

static void test_subnet_full(void) {
        NsNet *net = net_new("crl30", "10.99.0.0", 30, "small");
        char *idle[] = { "sleep", "1000", NULL };
        _cleanup_free_ char *state = NULL;
        CrlError err = {};
        Svc a, b;
        int r;

        r = svc_start(net, &a, "one", NULL, 0, idle, &err);
        CHECK(r >= 0 && streq(a.lease->address_str, "10.99.0.2"), "one: %s", err.message);
        r = svc_start(net, &b, "two", NULL, 0, idle, &err);
        CHECK(r == -ENOSPC && strstr(err.message, "full"), "two: %d %s", r, err.message);
        printf("     (error was: %s)\n", err.message);
        CHECK(sh(NULL, "ip link show vc-two >/dev/null 2>&1") != 0, "vc-two left behind");
        CHECK(sh(NULL, "ip -o link show | grep -c 'alias corral:' | grep -qx 1") == 0, "extra corral links");
        CHECK(access("small/net/two", F_OK) != 0, "files of two left behind");
        CHECK(read_file_at(AT_FDCWD, "small/net/ipam-crl30", &state, NULL) >= 0 && !strstr(state, "two"),
              "two holds a lease: %s", state ?: "");
        if (b.pid > 0) {
                kill(b.pid, SIGKILL);
                waitpid(b.pid, NULL, 0);
        }
        unit_config_free(b.unit);
        svc_stop(net, &a);
        (void) ns_net_shutdown(net, &err);
        ns_net_free(net);
}

static void test_bridge_clash(void) {
        NsNet *net = net_new("crlclash", "10.89.0.0", 24, "clash");
        CrlError err = {};
        int r;

        CHECK(sh(NULL, "ip link add crlclash type bridge && ip addr add 192.0.2.77/24 dev crlclash") == 0, "setup");
        r = ns_net_bridge_ensure(net, &err);
        CHECK(r == -EEXIST && strstr(err.message, "192.0.2.77"), "%d %s", r, err.message);
        printf("     (error was: %s)\n", err.message);
        CHECK(sh(NULL, "ip -4 -o addr show dev crlclash | grep -q 10.89.0.1") != 0, "address added to a foreign bridge");
        (void) sh(NULL, "ip link del crlclash");
        ns_net_free(net);
}

/* a unit that binds its own /etc/hosts gets only resolv.conf from us */
static void test_own_binds(void) {
        NsNet *net = net_new("crlbind", "10.98.0.0", 24, "binds");
        BindMount own = { .source = (char *) "/tmp/myhosts", .destination = (char *) "/etc/hosts" };
        _cleanup_free_ char *text = NULL;
        const BindMount *b = NULL;
        NsNetService *ns = NULL;
        UnitConfig *u = NULL;
        size_t nb = 0;
        CrlError err = {};

        unit_config_new("own", &u);
        u->bind_paths = &own;
        u->n_bind_paths = 1;
        CHECK(ns_net_service_new(net, u, &ns, &err) >= 0, "%s", err.message);
        if (ns)
                b = ns_net_service_binds(ns, &nb);
        CHECK(nb == 1 && streq(b[0].destination, "/etc/resolv.conf") && b[0].read_only, "binds: %zu", nb);
        CHECK(nb == 1 && read_file_at(AT_FDCWD, b[0].source, &text, NULL) >= 0 && strstr(text, "corrald"),
              "resolv.conf not written");
        u->bind_paths = NULL;
        u->n_bind_paths = 0;
        unit_config_free(u);
        ns_net_service_abort(ns);
        CHECK(access("binds/net/own", F_OK) != 0, "files of own left behind");
        CHECK(sh(NULL, "grep -q -w own binds/net/ipam-crlbind") != 0, "own's first lease not forgotten");
        ns_net_free(net);
}

/* Every pthread_create() of this process (the library is linked in, so this
 * definition takes its calls), for test_single_thread. */
static int n_pthread_create;

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
        static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

        n_pthread_create++;
        if (!real)
                real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) dlsym(
                        RTLD_NEXT, "pthread_create");
        return real(t, attr, fn, arg);
}

static int count_tasks(void) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* The daemon has exactly one thread (issue 10, item 8: a clone3 child of a
 * threaded process can deadlock in glibc): attach and detach create none,
 * not even for a moment, and leave none behind. */
static void test_single_thread(void) {
        NsNet *net = net_new("crlt0", "10.91.0.0", 24, "thread");
        char *idle[] = { "sleep", "1000", NULL };
        CrlError err = {};
        int r, before = n_pthread_create;
        Svc s;

        CHECK(count_tasks() == 1, "%d tasks before the start", count_tasks());
        for (int i = 0; i < 3; i++) {
                r = svc_start(net, &s, "lonely", NULL, 0, idle, &err);
                CHECK(r >= 0, "start lonely: %s", err.message);
                CHECK(count_tasks() == 1, "%d tasks right after the attach", count_tasks());
                if (r < 0)
                        break;
                svc_stop(net, &s);
                CHECK(count_tasks() == 1, "%d tasks right after the detach", count_tasks());
                CHECK(sh(NULL, "ip link show vc-lonely >/dev/null 2>&1") != 0, "vc-lonely left after the detach");
        }
        CHECK(n_pthread_create == before, "%d pthread_create() calls", n_pthread_create - before);
        CHECK(ns_net_shutdown(net, &err) >= 0, "shutdown: %s", err.message);
        ns_net_free(net);
        CHECK(count_tasks() == 1, "%d tasks after ns_net_free", count_tasks());
}

static int done_calls, done_r;
static char done_name[32];

static void on_done(const char *name, int r, const CrlError *e, void *userdata) {
        done_calls++;
        done_r = r;
        snprintf(done_name, sizeof(done_name), "%s", name);
}

static double mono_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Destroy returns at once with the veth isolated (down);
 * the kernel deletes it when the namespace's last holder goes, and the
 * event fd reports it to ns_net_dispatch(). */
static void test_async_delete(void) {
        NsNet *net = net_new("crla0", "10.92.0.0", 24, "async");
        char *idle[] = { "sleep", "1000", NULL };
        char path[64];
        CrlError err = {};
        int holder, r, pending = -1;
        double t0, t1, t2;
        Svc s;

        ns_net_set_done_handler(net, on_done, NULL);
        done_calls = 0;
        r = svc_start(net, &s, "gone", NULL, 0, idle, &err);
        CHECK(r >= 0, "start gone: %s", err.message);
        if (r < 0)
                return;
        CHECK(sh(NULL, "ip -o link show vc-gone | grep -q 'master crla0'") == 0, "vc-gone not on its bridge");
        /* someone else holds the namespace a while (an `ip netns exec` shell) */
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) s.pid);
        holder = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(holder >= 0, "open %s: %m", path);
        (void) crl_pidfd_send_signal(s.pidfd, SIGKILL, NULL, 0);
        (void) waitpid(s.pid, NULL, 0);
        close(s.pidfd);
        t0 = mono_us();
        r = ns_net_service_destroy(s.ns, &err);
        t1 = mono_us();
        s.ns = NULL;
        CHECK(r >= 0, "destroy: %s", err.message);
        CHECK(sh(NULL, "ip link show vc-gone >/dev/null 2>&1") == 0, "vc-gone was deleted synchronously");
        CHECK(sh(NULL, "ip -o link show vc-gone | grep -q -e ',UP' -e 'state UP'") != 0,
              "vc-gone is still up after destroy");
        CHECK(access("/run/netns/corral-gone", F_OK) < 0, "pin of gone left");
        CHECK(ns_net_dispatch(net) == 1 && done_calls == 0, "the deletion is not pending");
        close(holder);
        /* what corrald's loop does: EPOLLIN on the event fd -> dispatch */
        while (pending != 0 && poll(&(struct pollfd) { .fd = ns_net_event_fd(net), .events = POLLIN }, 1, 5000) > 0)
                pending = ns_net_dispatch(net);
        t2 = mono_us();
        CHECK(pending == 0 && done_calls == 1 && done_r == 0 && streq(done_name, "gone"),
              "after the event: %d pending, %d calls, r %d, '%s'", pending, done_calls, done_r, done_name);
        CHECK(sh(NULL, "ip link show vc-gone >/dev/null 2>&1") != 0, "vc-gone still exists after the event");
        printf("     (destroy returned after %.0f us; the kernel deleted the veth %.0f us after the holder closed)\n",
               t1 - t0, t2 - t1);
        unit_config_free(s.unit);
        CHECK(ns_net_shutdown(net, &err) >= 0, "shutdown: %s", err.message);
        ns_net_free(net);
}

static void blackhole_default(const Svc *s) {
        /* peer_configure's default route then fails with EEXIST, after the veth was made */
        (void) sh(NULL, "nsenter -t %d -n ip route add blackhole default", (int) s->pid);
}

/* Nothing of name left: veth, pin, port forward, hosts entry in other's
 * file, files, lease. */
static void check_no_trace(NsNet *net, const char *name, const char *other, const char *dir) {
        CrlError err = {};

        CHECK(ns_net_flush(net, 5000, &err) >= 0, "flush: %s", err.message);
        CHECK(sh(NULL, "ip -o link show | grep -q 'alias corral:%s'", name) != 0, "%s's veth left", name);
        CHECK(sh(NULL, "ip link show vc-%s >/dev/null 2>&1", name) != 0, "vc-%s left", name);
        CHECK(sh(NULL, "test -e /run/netns/corral-%s", name) != 0, "%s's pin left", name);
        CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 8090'") != 0, "%s's port forward left", name);
        CHECK(sh(NULL, "grep -q -w %s %s/net/%s/hosts", name, dir, other) != 0, "%s's hosts lists %s", other, name);
        CHECK(sh(NULL, "test -e %s/net/%s", dir, name) != 0, "%s's files left", name);
        CHECK(sh(NULL, "grep -q -w %s %s/net/ipam-crlf0", name, dir) != 0, "%s's first lease kept", name);
}

/* A failed start leaves nothing behind and its new lease is free again:
 * the hook fails after making the veth, or the exec fails after the hook. */
static void test_failed_starts(void) {
        NsNet *net = net_new("crlf0", "10.93.0.0", 24, "failed");
        static const PortForward port = { .protocol = IPPROTO_TCP, .host_port = 8090, .service_port = 80 };
        char *idle[] = { "sleep", "1000", NULL };
        CrlError err = {};
        Svc peer, bad, next;
        int r;

        r = svc_start(net, &peer, "peer", NULL, 0, idle, &err);
        CHECK(r >= 0, "start peer: %s", err.message);
        before_hook = blackhole_default;
        r = svc_start(net, &bad, "badhook", &port, 1, idle, &err);
        before_hook = NULL;
        CHECK(r == -EEXIST && strstr(err.message, "default route"), "badhook: %d %s", r, err.message);
        printf("     (error was: %s)\n", err.message);
        svc_abandon(&bad);      /* the launcher kills the child */
        check_no_trace(net, "badhook", "peer", "failed");

        fail_after_hook = true;
        r = svc_start(net, &bad, "badexec", &port, 1, idle, &err);
        fail_after_hook = false;
        CHECK(r == -ENOENT, "badexec: %d %s", r, err.message);
        svc_abandon(&bad);
        check_no_trace(net, "badexec", "peer", "failed");

        r = svc_start(net, &next, "next", NULL, 0, idle, &err);
        CHECK(r >= 0 && streq(next.address, bad.address), "next got %s, the failed start had %s (%s)", next.address,
              bad.address, err.message);
        svc_stop(net, &next);
        svc_stop(net, &peer);
        CHECK(ns_net_shutdown(net, &err) >= 0, "shutdown: %s", err.message);
        ns_net_free(net);
}

/* Sends one UDP datagram as a raw Ethernet frame on IFNAME to DST_MAC with
 * any source address (as a service that is root in its network namespace
 * can): rawudp.py IFNAME DST_MAC SRC DST DPORT PAYLOAD. */
static const char rawudp_py[] =
        "import socket, struct, sys\n"
        "def csum(b):\n"
        "    s = sum(struct.unpack('!10H', b))\n"
        "    s = (s >> 16) + (s & 0xffff)\n"
        "    return ~(s + (s >> 16)) & 0xffff\n"
        "ifname, dmac, src, dst, dport, data = sys.argv[1:7]\n"
        "data = data.encode()\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        "s.bind((ifname, 0))\n"
        "udp = struct.pack('!HHHH', 40000, int(dport), 8 + len(data), 0) + data\n"
        "ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,\n"
        "                 socket.inet_aton(src), socket.inet_aton(dst))\n"
        "ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]\n"
        "s.send(bytes.fromhex(dmac.replace(':', '')) + s.getsockname()[4] + b'\\x08\\x00' + ip + udp)\n";

static int udp_listener(const char *addr, uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        inet_pton(AF_INET, addr, &sa.sin_addr);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

/* Every datagram that reaches fd within ms, as "payload,payload,". */
static void udp_collect(int fd, int ms, char *buf, size_t size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        buf[0] = 0;
        while (poll(&p, 1, ms) > 0) {
                char d[128];
                ssize_t n = recv(fd, d, sizeof(d) - 1, 0);

                if (n <= 0)
                        break;
                d[n] = 0;
                snprintf(buf + strlen(buf), size - strlen(buf), "%s,", d);
                ms = 100;
        }
}

static int raw_send(const Svc *from, const char *mac, const char *src, const char *dst, int port, const char *data) {
        return sh(NULL, "nsenter -t %d -n python3 %s/rawudp.py eth0 %s %s %s %d %s", from->pid, rundir, mac, src,
                  dst, port, data);
}

/* route_localnet (needed for the host's 127.0.0.1:PORT) must not open the
 * host's loopback to services (CVE-2020-8558), nor let a service pose as
 * 127.0.0.0/8 or an outside address; Port= keeps working. */
static void test_loopback_guard(void) {
        NsNet *net = net_new("crlg0", "10.90.0.0", 24, "guard");
        static const PortForward port = { .protocol = IPPROTO_TCP, .host_port = 8082, .service_port = 80 };
        char *httpd[] = { "busybox", "httpd", "-f", "-p", "80", "-h", rundir, NULL };
        char *idle[] = { "sleep", "1000", NULL };
        _cleanup_free_ char *out = NULL, *mac = NULL;
        char got_lo[512], got_any[512];
        int lo_fd, any_fd, r;
        CrlError err = {};
        Svc web, evil;
        FILE *f;

        f = fopen("rawudp.py", "we");
        if (f) {
                fputs(rawudp_py, f);
                fclose(f);
        }
        r = svc_start(net, &web, "gweb", &port, 1, httpd, &err);
        CHECK(r >= 0, "start gweb: %s", err.message);
        r = svc_start(net, &evil, "evil", NULL, 0, idle, &err);
        CHECK(r >= 0, "start evil: %s", err.message);
        lo_fd = udp_listener("127.0.0.1", 9999);
        any_fd = udp_listener("0.0.0.0", 9998);
        CHECK(lo_fd >= 0 && any_fd >= 0, "host listeners: %m");
        CHECK(sh(&mac, "ip -o link show crlg0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2 | tr -d '\\n'") == 0 &&
              strlen(mac) == 17, "bridge MAC: '%s'", mac ?: "");
        if (failures)
                return;

        /* the service routes 127.0.0.1 via its gateway (its own loopback
         * routes removed) and sends to the host's 127.0.0.1:9999 */
        CHECK(sh(&out, "nsenter -t %d -n sh -c 'ip route del local 127.0.0.0/8 dev lo table local && "
                       "ip route del local 127.0.0.1 dev lo table local && "
                       "ip route add 127.0.0.1/32 via 10.90.0.1 dev eth0 && "
                       "python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                       ".sendto(b\\\"routed\\\", (\\\"127.0.0.1\\\", 9999))\"' 2>&1", evil.pid) == 0,
              "evil's route to 127.0.0.1 via the gateway: %s", out);
        /* raw frames to the bridge's MAC: to 127.0.0.1, and posing as
         * 127.0.0.2 and as an outside address towards the gateway */
        CHECK(raw_send(&evil, mac, evil.lease->address_str, "127.0.0.1", 9999, "rawdst") == 0, "raw rawdst");
        CHECK(raw_send(&evil, mac, "127.0.0.2", "10.90.0.1", 9998, "spoof127") == 0, "raw spoof127");
        CHECK(raw_send(&evil, mac, "198.51.100.7", "10.90.0.1", 9998, "spoofext") == 0, "raw spoofext");
        /* the control: the same frame with its own address does arrive */
        CHECK(raw_send(&evil, mac, evil.lease->address_str, "10.90.0.1", 9998, "control") == 0, "raw control");
        udp_collect(lo_fd, 500, got_lo, sizeof(got_lo));
        udp_collect(any_fd, 100, got_any, sizeof(got_any));
        CHECK(got_lo[0] == 0, "the host's 127.0.0.1:9999 received from a service: %s", got_lo);
        CHECK(streq(got_any, "control,"), "the host's *:9998 received '%s', want only 'control,'", got_any);

        /* Port= still works: from the host to 127.0.0.1 and its own address,
         * and from another service to the gateway address (hairpin) */
        r = wget_in(NULL, "http://127.0.0.1:8082/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "host -> 127.0.0.1:8082: %s", out ?: "");
        r = wget_in(NULL, "http://192.0.2.1:8082/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "host -> 192.0.2.1:8082: %s", out ?: "");
        r = wget_in(&evil, "http://10.90.0.1:8082/", &out);
        CHECK(r == 0 && strstr(out, "hello-corral"), "evil -> 10.90.0.1:8082: %s", out ?: "");
        /* a machine on the uplink's network that routes the subnet via this
         * host reaches only what Port= publishes, not a service's address */
        r = sh(&out, "ip netns exec corral-test-outside sh -c 'ip route replace 10.90.0.0/24 via 192.0.2.1 && "
                     "curl -sS -m 1 http://%s:80/' 2>&1", web.lease->address_str);
        CHECK(r != 0 && !strstr(out, "hello-corral"), "outside -> %s:80 directly: %s", web.lease->address_str, out);
        r = sh(&out, "ip netns exec corral-test-outside curl -sS -m 2 http://192.0.2.1:8082/");
        CHECK(r == 0 && strstr(out, "hello-corral"), "outside -> 192.0.2.1:8082: %s", out ?: "");
        /* while replies to a service's own traffic still come back in */
        CHECK(sh(&out, "nsenter -t %d -n busybox ping -c 1 -W 2 192.0.2.2 2>&1", evil.pid) == 0, "evil -> outside: %s", out);
        safe_close(lo_fd);
        safe_close(any_fd);
        svc_stop(net, &evil);
        svc_stop(net, &web);
        CHECK(ns_net_shutdown(net, &err) >= 0, "shutdown: %s", err.message);
        ns_net_free(net);
}

/* The per-service files are written as root: a symlink planted where they
 * go (by whoever could write RUNTIME/net) must not redirect the write. */
static void test_files_no_follow(void) {
        NsNet *net = net_new("crlbind", "10.98.0.0", 24, "nofollow");
        _cleanup_free_ char *text = NULL;
        NsNetService *ns = NULL;
        UnitConfig *u = NULL;
        CrlError err = {};
        FILE *f = fopen("victim", "we");

        if (f) {
                fputs("untouched\n", f);
                fclose(f);
        }
        CHECK(sh(NULL, "mkdir -p nofollow/net/sly nofollow/net/dirsly-target && "
                       "ln -s ../../../victim nofollow/net/sly/hosts && "
                       "ln -s dirsly-target nofollow/net/dirsly") == 0, "planting symlinks");
        unit_config_new("sly", &u);
        if (ns_net_service_new(net, u, &ns, &err) >= 0)
                ns_net_service_abort(ns);
        unit_config_free(u);
        CHECK(read_file_at(AT_FDCWD, "victim", &text, NULL) >= 0 && streq(text, "untouched\n"),
              "the hosts file was written through a symlink: '%s'", text ?: "");
        unit_config_new("dirsly", &u);
        ns = NULL;
        if (ns_net_service_new(net, u, &ns, &err) >= 0)
                ns_net_service_abort(ns);
        unit_config_free(u);
        CHECK(access("nofollow/net/dirsly-target/hosts", F_OK) != 0, "the files were written through a directory symlink");
        CHECK(sh(NULL, "touch nofollow/net/dirsly-target/hosts") == 0, "touch");
        /* a start that fails removes its files: not through the symlink */
        unit_config_new("dirsly", &u);
        ns = NULL;
        if (ns_net_service_new(net, u, &ns, &err) >= 0)
                ns_net_service_abort(ns);
        unit_config_free(u);
        CHECK(access("nofollow/net/dirsly-target/hosts", F_OK) == 0, "abort removed a file through a directory symlink");
        ns_net_free(net);
}

static int enter_scratch(void) {
        int r = it_enter_scratch(rundir);

        if (r < 0)
                return r;
        if (chdir(rundir) < 0)
                return -errno;
        /* an "uplink" with a host address, and an outside client behind it */
        if (sh(NULL, "ip link set lo up && ip netns add corral-test-outside && "
                     "ip link add up0 type veth peer name out0 netns corral-test-outside && "
                     "ip addr add 192.0.2.1/24 dev up0 && ip link set up0 up && "
                     "ip -n corral-test-outside addr add 192.0.2.2/24 dev out0 && "
                     "ip -n corral-test-outside link set out0 up && "
                     "ip -n corral-test-outside link set lo up && "
                     "ip route add default via 192.0.2.2 dev up0") != 0)
                return -EIO;
        return 0;
}

int main(void) {
        FILE *f;
        int r;

        if (geteuid() != 0) {
                printf("needs root (unshare, netlink)\n");
                return 77;
        }
        if (sh(NULL, "for t in ip nft nsenter curl busybox; do command -v $t >/dev/null || exit 1; done") != 0) {
                printf("needs ip, nft, nsenter, curl and busybox (scripts/deps)\n");
                return 77;
        }
        r = enter_scratch();
        if (r < 0) {
                printf("cannot make a scratch network namespace: %s\n", strerror(-r));
                return 77;
        }
        f = fopen("index.html", "we");
        if (f) {
                fputs("hello-corral\n", f);
                fclose(f);
        }
        test_two_services();
        test_subnet_full();
        test_bridge_clash();
        test_own_binds();
        test_files_no_follow();
        test_loopback_guard();
        test_single_thread();
        test_async_delete();
        test_failed_starts();
        /* the mount is only in our namespace; the directory is on the host's /tmp */
        if (chdir("/") == 0 && umount2(rundir, MNT_DETACH) == 0)
                (void) rmdir(rundir);
        if (failures)
                printf("failed checks:\n%s", failed_lines);
        printf("%d failures\n", failures);
        return failures ? 1 : 0;
}
