/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-service network setup + teardown: corral's code (ns_net_service_new +
 * its hook, then ns_net_service_destroy) against the same steps done with `ip` commands,
 * alternating iteration by iteration in one run, inside a scratch network and
 * mount namespace this program makes (nothing touches the host's links).
 *
 * Both sides make a fresh network namespace per iteration and remove it:
 * corral on a thread with unshare(CLONE_NEWNET) (what the launcher's clone3
 * does), ip with `ip netns add`/`del`.
 *
 * corral's teardown is what the caller's loop pays (destroy and the close of
 * the namespace); "gone" runs on until the kernel deleted the veth with the
 * namespace (ns_net_flush(): the event that ns_net_dispatch() takes).
 *
 * usage: bench-network [ITERATIONS]   (default 50) */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ns-net-internal.h"
#include "ns-net.h"

extern char **environ;

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *netns_thread(void *p) {
        int *fd = p;

        *fd = -1;
        if (unshare(CLONE_NEWNET) == 0)
                *fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        return NULL;
}

static int netns_new(void) {
        pthread_t t;
        int fd = -1;

        if (pthread_create(&t, NULL, netns_thread, &fd) != 0)
                return -1;
        pthread_join(t, NULL);
        return fd;
}

/* argv is a space-separated command line without quoting. */
static int run(const char *line) {
        char buf[256], *argv[16];
        int n = 0, st;
        pid_t pid;

        snprintf(buf, sizeof(buf), "%s", line);
        for (char *s = strtok(buf, " "); s && n < 15; s = strtok(NULL, " "))
                argv[n++] = s;
        argv[n] = NULL;
        if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
                return -1;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "failed: %s\n", line);
                return -1;
        }
        return 0;
}

static const char *const ip_steps[] = {
        "ip netns add crlbench",
        "ip link add vc-ipbench type veth peer name eth0",
        "ip link set eth0 netns crlbench",
        "ip link set vc-ipbench master corral0 up",
        "ip -n crlbench addr add 10.89.0.200/24 dev eth0",
        "ip -n crlbench link set lo up",
        "ip -n crlbench link set eth0 up",
        "ip -n crlbench route add default via 10.89.0.1",
        "ip link del vc-ipbench",
        "ip netns del crlbench",
};

/* Each returns the total, with setup and teardown in ret[0], ret[1]. */
static double ip_once(double ret[2]) {
        const size_t n = sizeof(ip_steps) / sizeof(ip_steps[0]), n_setup = n - 2;
        double t0 = now_us(), t1 = 0;

        for (size_t i = 0; i < n; i++) {
                if (i == n_setup)
                        t1 = now_us();
                if (run(ip_steps[i]) < 0)
                        return -1;
        }
        ret[0] = t1 - t0;
        ret[1] = now_us() - t1;
        return ret[0] + ret[1];
}

/* Setup, teardown and teardown-until-gone in ret[0..2]; returns the total. */
static double corral_once(NsNet *net, const UnitConfig *unit, double ret[3]) {
        NsNetService *s = NULL;
        CrlError err = {};
        double t0 = now_us(), t1, t2;
        int fd = netns_new();

        /* the hook takes a pidfd or an nsfd: setns() accepts both */
        if (fd < 0 || ns_net_service_new(net, unit, &s, &err) < 0 ||
            ns_net_service_hook(s)(s, fd, 0, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.message);
                return -1;
        }
        t1 = now_us();
        if (ns_net_service_destroy(s, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.message);
                return -1;
        }
        close(fd);
        t2 = now_us();
        if (ns_net_flush(net, 5000, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.message);
                return -1;
        }
        ret[0] = t1 - t0;
        ret[1] = t2 - t1;
        ret[2] = now_us() - t1;
        return ret[0] + ret[1];
}

/* ns_net_service_new() alone (what a start pays before its clone), with
 * or without Port= (one libnftables transaction replacing the ports chain). */
static double new_once(NsNet *net, const UnitConfig *unit) {
        NsNetService *s = NULL;
        CrlError err = {};
        double t0 = now_us(), t;

        if (ns_net_service_new(net, unit, &s, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.message);
                return -1;
        }
        t = now_us() - t0;
        ns_net_service_abort(s);
        return t;
}

/* One libnftables run of the smallest real transaction on our table:
 * context made, script parsed, one netlink batch, context freed. */
static double nft_once(NsNet *net) {
        CrlError err = {};
        double t0 = now_us();

        if (ns_net_nft_run(net, "flush chain inet " NS_NET_NFT_TABLE " ports\n", &err) < 0) {
                fprintf(stderr, "nft: %s\n", err.message);
                return -1;
        }
        return now_us() - t0;
}

/* The whole table regenerated (bridge setup, crash recovery): what
 * ns_net_bridge_ensure() does when the bridge is not yet ready. */
static double table_once(NsNet *net) {
        CrlError err = {};
        double t0;

        net->bridges[0]->ifindex = 0;
        t0 = now_us();
        if (ns_net_bridge_ensure(net, &err) < 0) {
                fprintf(stderr, "bridge: %s\n", err.message);
                return -1;
        }
        return now_us() - t0;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void stats(const char *what, double *v, int n, double *ret_median) {
        double sum = 0;

        qsort(v, n, sizeof(*v), cmp);
        for (int i = 0; i < n; i++)
                sum += v[i];
        *ret_median = v[n / 2];
        printf("%-26s median %9.1f us   mean %9.1f us   min %9.1f us   max %9.1f us\n", what, v[n / 2], sum / n,
               v[0], v[n - 1]);
}

static int scratch(char *dir) {
        if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -1;
        (void) mkdir("/run/netns", 0755);
        if (mount("tmpfs", "/run/netns", "tmpfs", 0, NULL) < 0 || !mkdtemp(dir) ||
            mount("tmpfs", dir, "tmpfs", 0, NULL) < 0)
                return -1;
        return run("ip link set lo up");
}

int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 50;
        char dir[] = "/tmp/corral-bench.XXXXXX";
        ManagerConfig *mc = NULL;
        UnitConfig *unit = NULL;
        NsNet *net = NULL;
        CrlError err = {};
        double *c, *p, *gone, cs[3], ps[2];

        if (n < 1 || scratch(dir) < 0) {
                fprintf(stderr, "cannot make a scratch namespace (root needed)\n");
                return 77;
        }
        /* [0,n) totals, [n,2n) setup, [2n,3n) teardown */
        c = calloc(3 * n, sizeof(double));
        p = calloc(3 * n, sizeof(double));
        gone = calloc(n, sizeof(double));
        if (!c || !p || !gone || manager_config_new(&mc) < 0 || unit_config_new("bench", &unit) < 0)
                return 1;
        free(mc->runtime_directory);
        mc->runtime_directory = strdup(dir);
        unit->network.virtual_ethernet = true;
        if (ns_net_new(mc, &net, &err) < 0 || ns_net_bridge_ensure(net, &err) < 0) {
                fprintf(stderr, "%s\n", err.message);
                return 1;
        }
        /* warm up both paths once (page cache, nft context) */
        if (corral_once(net, unit, cs) < 0 || ip_once(ps) < 0)
                return 1;
        for (int i = 0; i < n; i++) {
                if ((c[i] = corral_once(net, unit, cs)) < 0 || (p[i] = ip_once(ps)) < 0)
                        return 1;
                c[n + i] = cs[0], c[2 * n + i] = cs[1], gone[i] = cs[2];
                p[n + i] = ps[0], p[2 * n + i] = ps[1];
        }
        printf("per-service network setup + teardown, %d iterations each, alternating\n", n);
        for (int k = 0; k < 3; k++) {
                static const char *const what[] = { "total", "setup", "teardown" };
                char label[64];
                double mc_med, mp_med;

                snprintf(label, sizeof(label), "%s corral (netlink)", what[k]);
                stats(label, c + k * n, n, &mc_med);
                snprintf(label, sizeof(label), "%s ip commands", what[k]);
                stats(label, p + k * n, n, &mp_med);
                printf("%s ratio (median ip / median corral): %.1fx\n\n", what[k], mp_med / mc_med);
        }
        {
                static const PortForward port = { .protocol = IPPROTO_TCP, .host_port = 18080, .service_port = 80 };
                double med, *np = calloc(n, sizeof(double)), *wp = calloc(n, sizeof(double)),
                       *nf = calloc(n, sizeof(double)), *tb = calloc(n, sizeof(double));

                stats("veth gone (kernel, async)", gone, n, &med);
                printf("\n");
                for (int i = 0; np && wp && nf && tb && i < n; i++) {
                        unit->network.ports = NULL;
                        unit->network.n_ports = 0;
                        np[i] = new_once(net, unit);
                        unit->network.ports = (PortForward *) &port;
                        unit->network.n_ports = 1;
                        wp[i] = new_once(net, unit);
                        nf[i] = nft_once(net);
                        tb[i] = table_once(net);
                }
                unit->network.ports = NULL;
                unit->network.n_ports = 0;
                if (np && wp && nf && tb) {
                        stats("service_new, no Port=", np, n, &med);
                        stats("service_new, Port=", wp, n, &med);
                        stats("one nft run (flush chain)", nf, n, &med);
                        stats("bridge ready (whole table)", tb, n, &med);
                }
                free(tb);
                free(np);
                free(wp);
                free(nf);
        }
        (void) ns_net_shutdown(net, &err);
        ns_net_free(net);
        free(gone);
        unit_config_free(unit);
        manager_config_free(mc);
        free(c);
        free(p);
        if (chdir("/") == 0 && umount2(dir, MNT_DETACH) == 0)
                (void) rmdir(dir);
        return 0;
}
