/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The launcher (ns/ns-launch.h) and service networking (ns/ns-net.h)
 * together, in the order the supervisor uses them (see ns/ns-net.h,
 * "One NsNetService per start"): units from files through unit_load(), a
 * cgroup per service, ns_net_service_new() with its binds appended to
 * BindReadOnlyPaths=, ns_launch() with ns_net_service_hook(), then
 * ns_net_service_commit(); on stop: kill by pidfd, wait,
 * ns_net_service_destroy() and (no loop here) ns_net_flush(); a failed start
 * undone with ns_net_service_abort().
 *
 * Runs in a network and mount namespace of its own (unshare at start), on
 * the host as in the VM: the host's interfaces are never touched and all
 * traffic stays between namespaces made here. Checks what the kernel and the
 * files show. Exit 0 pass, 1 fail, 77 skip. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fileio.h"
#include "it-util.h"
#include "ns-launch.h"
#include "ns-net.h"
#include "strv.h"
#include "syscalls.h"

static char rundir[] = "/tmp/corral-net-launch.XXXXXX";
static char rtdir[128], unitdir[128], outdir[128];



typedef struct Svc {
        UnitConfig *unit;
        CgService *cg;                  /* NULL without a cgroup2 mount */
        NsNetService *net;
        NsProcess proc;
        bool running;
        char address[INET_ADDRSTRLEN];
} Svc;

static void write_unit(const char *name, const char *text) {
        char path[256];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s.service", unitdir, name);
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* What the supervisor does: the network's files become read-only binds of
 * the unit (copied into its BindReadOnlyPaths= list, owned by the unit). */
static int append_bind_files(NsNetService *ns, UnitConfig *u) {
        size_t n = 0;
        const BindMount *b = ns_net_service_binds(ns, &n);
        BindMount *all = realloc(u->bind_paths, (u->n_bind_paths + n) * sizeof(BindMount));

        if (!all)
                return -ENOMEM;
        u->bind_paths = all;
        for (size_t i = 0; i < n; i++) {
                all[u->n_bind_paths] = (BindMount) { .source = strdup(b[i].source),
                                                     .destination = strdup(b[i].destination),
                                                     .read_only = b[i].read_only };
                if (!all[u->n_bind_paths].source || !all[u->n_bind_paths].destination)
                        return -ENOMEM;
                u->n_bind_paths++;
        }
        return 0;
}

static int log_fd(const char *name) {
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/%s.log", rundir, name);
        return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Start name as the supervisor will; on failure everything is undone (the
 * launcher left no process; ns_net_service_abort() the network). */
static int svc_start(NsNet *net, CgRoot *root, Svc *s, const char *name, CrlError *err) {
        char *const dirs[] = { unitdir, NULL };
        UnitDiagnostics diags = {};
        _cleanup_close_ int logfd = -EBADF;
        NsLaunchParams p;
        int r;

        memset(s, 0, sizeof(*s));
        s->proc.pidfd = s->proc.main_pidfd = s->proc.status_fd = -EBADF;
        crl_error_clear(err);
        r = unit_load(name, dirs, &s->unit, &diags);
        if (r < 0) {
                crl_error_set(err, -r, "loading %s: %s", name, diags.errors ? diags.errors[0] : strerror(-r));
                unit_diagnostics_done(&diags);
                return r;
        }
        unit_diagnostics_done(&diags);
        if (root) {
                r = cg_service_create(root, name, &s->unit->resources, 0, &s->cg, NULL, err);
                if (r < 0)
                        return r;
        }
        r = ns_net_service_new(net, s->unit, &s->net, err);
        if (r < 0)
                return r;
        snprintf(s->address, sizeof(s->address), "%s", ns_net_service_lease_of(s->net)->address_str);
        r = append_bind_files(s->net, s->unit);
        if (r < 0)
                goto fail;
        ns_launch_params_init(&p, s->unit);
        p.cgroup_fd = s->cg ? cg_service_fd(s->cg) : -EBADF;
        p.runtime_dir = rtdir;
        p.stdout_fd = p.stderr_fd = logfd = log_fd(name);
        p.setup_hook = ns_net_service_hook(s->net);
        p.setup_userdata = s->net;
        r = ns_launch(&p, &s->proc, err);
        if (r < 0)
                goto fail;
        s->running = true;
        r = ns_net_service_commit(s->net, s->proc.pidfd, err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        /* the launcher left no process; the network's wiring must go */
        ns_net_service_abort(s->net);
        s->net = NULL;
        return r;
}

/* Stop: kill by pidfd, wait, destroy the network; then the cgroup goes. */
static void svc_stop(NsNet *net, Svc *s) {
        CrlError err = {};
        siginfo_t si = {};

        if (s->running) {
                (void) crl_pidfd_send_signal(s->proc.pidfd, SIGKILL, NULL, 0);
                CHECK(waitid(P_PIDFD, (id_t) s->proc.pidfd, &si, WEXITED) >= 0 || errno == ECHILD,
                      "wait %s: %m", s->unit->name);
                ns_process_done(&s->proc);
                s->running = false;
        }
        if (s->net) {
                CHECK(ns_net_service_destroy(s->net, &err) >= 0, "destroy %s: %s", s->unit->name, err.message);
                s->net = NULL;
                CHECK(ns_net_flush(net, 5000, &err) >= 0, "flush %s: %s", s->unit->name, err.message);
        }
        if (s->cg) {
                CHECK(cg_service_kill(s->cg, 5 * USEC_PER_SEC, &err) >= 0, "cg kill: %s", err.message);
                CHECK(cg_service_destroy(s->cg, &err) >= 0, "cg destroy: %s", err.message);
                s->cg = cg_service_free(s->cg);
        }
        s->unit = unit_config_free(s->unit);
}

/* The service's exit status, once it ended by itself. */
static int svc_wait(Svc *s) {
        siginfo_t si = {};

        if (!s->running || waitid(P_PIDFD, (id_t) s->proc.pidfd, &si, WEXITED) < 0)
                return -1;
        (void) ns_process_main_status(&s->proc, &si, &si);
        ns_process_done(&s->proc);
        s->running = false;
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static int curl_retry(const char *url, char **out) {
        /* httpd needs a moment to bind; bounded retries are fine in a test */
        for (int i = 0; i < 40; i++) {
                if (sh(out, "curl -sS -m 2 %s 2>&1", url) == 0)
                        return 0;
                usleep(50 * 1000);
        }
        return -1;
}

static void check_running(Svc *web, Svc *client) {
        _cleanup_free_ char *out = NULL;
        int code;

        CHECK(!streq(web->address, client->address), "same address %s", web->address);
        /* each eth0 has its own address in its own namespace, seen through the pin */
        CHECK(sh(&out, "ip netns exec corral-web ip -4 -o addr show dev eth0 | grep -q ' %s/24 '", web->address) == 0,
              "web's eth0 lacks %s", web->address);
        CHECK(sh(&out, "ip netns exec corral-client ip -4 -o addr show dev eth0 | grep -q ' %s/24 '",
                 client->address) == 0, "client's eth0 lacks %s", client->address);
        CHECK(sh(&out, "ip netns exec corral-web ip -4 -o addr show dev eth0 | grep -q ' %s/'", client->address) != 0,
              "web's eth0 has the client's address");
        CHECK(sh(NULL, "test \"$(ip netns exec corral-web readlink /proc/self/ns/net)\" = \"$(readlink /proc/%d/ns/net)\"",
                 (int) web->proc.main_pid) == 0, "the pin is not web's network namespace");
        CHECK(sh(NULL, "test \"$(readlink /proc/self/ns/net)\" != \"$(readlink /proc/%d/ns/net)\"",
                 (int) web->proc.main_pid) == 0, "web runs in the test's network namespace");
        CHECK(sh(NULL, "ip -d link show vc-web | grep -q 'master corral0'") == 0, "vc-web not on corral0");
        CHECK(sh(NULL, "ip -d link show vc-client | grep -q 'master corral0'") == 0, "vc-client not on corral0");
        /* PrivatePIDs=yes: the init is PID 1, httpd PID 2 */
        CHECK(sh(NULL, "grep -q '^NSpid:.*[[:space:]]2$' /proc/%d/status", (int) web->proc.main_pid) == 0,
              "httpd is not PID 2 in its namespace");
        /* Port=8080:80 from the test's root namespace: loopback and a host address */
        CHECK(curl_retry("http://127.0.0.1:8080/", &out) == 0 && strstr(out, "hello-corral"),
              "127.0.0.1:8080: %s", out ?: "");
        CHECK(curl_retry("http://192.0.2.1:8080/", &out) == 0 && strstr(out, "hello-corral"),
              "192.0.2.1:8080: %s", out ?: "");
        CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 8080 dnat ip to %s:80'", web->address) == 0,
              "no DNAT rule for 8080");
        /* the client fetched http://web/ by name and exited */
        code = svc_wait(client);
        CHECK(code == 0, "client exited %d (see %s/client.log)", code, rundir);
        free(out), out = NULL;
        CHECK(sh(&out, "cat %s/page", outdir) == 0 && strstr(out, "hello-corral"), "client's page: %s", out ?: "");
        /* /etc/hosts inside each service lists both */
        CHECK(sh(NULL, "grep -q -E '^%s[[:space:]]+web$' %s/hosts && grep -q -E '^%s[[:space:]]+client$' %s/hosts",
                 web->address, outdir, client->address, outdir) == 0, "client's /etc/hosts lacks one");
        CHECK(sh(NULL, "nsenter -t %d -m sh -c \"grep -q -E '^%s[[:space:]]+web$' /etc/hosts && "
                       "grep -q -E '^%s[[:space:]]+client$' /etc/hosts\"",
                 (int) web->proc.main_pid, web->address, client->address) == 0, "web's /etc/hosts lacks one");
        CHECK(sh(NULL, "nsenter -t %d -m sh -c 'echo x >> /etc/hosts' 2>/dev/null", (int) web->proc.main_pid) != 0,
              "web's /etc/hosts is writable");
        /* the client is gone but its pin keeps its namespace and eth0 */
        CHECK(sh(NULL, "ip netns exec corral-client ip -4 -o addr show dev eth0 | grep -q ' %s/24 '",
                 client->address) == 0, "client's pinned namespace lost eth0");
}

static void check_stopped(const char *name, const char *other_hosts) {
        _cleanup_free_ char *state = NULL;
        char path[256];

        CHECK(sh(NULL, "ip link show vc-%s >/dev/null 2>&1", name) != 0, "vc-%s left after stop", name);
        (void) snprintf(path, sizeof(path), "/run/netns/corral-%s", name);
        CHECK(access(path, F_OK) < 0 && errno == ENOENT, "%s left after stop", path);
        CHECK(sh(NULL, "grep -q -w %s /proc/self/mountinfo", path) != 0, "%s still mounted", path);
        (void) snprintf(path, sizeof(path), "%s/net/%s", rtdir, name);
        CHECK(access(path, F_OK) < 0, "%s left after stop", path);
        if (other_hosts)
                CHECK(sh(NULL, "grep -q -w %s %s/net/%s/hosts", name, rtdir, other_hosts) != 0,
                      "%s's hosts still lists %s", other_hosts, name);
}

static void check_failed_start(NsNet *net, CgRoot *root) {
        _cleanup_free_ char *state = NULL, *path = NULL;
        CrlError err = {};
        Svc broken, next;
        int r;

        r = svc_start(net, root, &broken, "broken", &err);
        printf("     (error was: %s)\n", err.message);
        CHECK(r < 0 && strstr(err.message, "/nonexistent/broken"), "broken started: %d %s", r, err.message);
        CHECK(broken.address[0], "broken got no address");
        /* The abort set the veth down and started its deletion; the kernel
         * finishes it asynchronously (the event fd reports it): wait for it. */
        CHECK(ns_net_flush(net, 5000, &err) >= 0, "flush after the failed start: %s", err.message);
        CHECK(sh(NULL, "ip -o link show | grep -q 'alias corral:broken'") != 0, "broken's veth left");
        CHECK(sh(NULL, "ip link show vc-broken >/dev/null 2>&1") != 0, "vc-broken left");
        CHECK(access("/run/netns/corral-broken", F_OK) < 0, "broken's pin left");
        (void) asprintf(&path, "%s/net/ipam-corral0", rtdir);
        CHECK(path && read_file_at(AT_FDCWD, path, &state, NULL) >= 0 && !strstr(state, "broken"),
              "broken holds a lease: %s", state ?: "");
        svc_stop(net, &broken);         /* unit and cgroup; nothing is running */

        r = svc_start(net, root, &next, "next", &err);
        CHECK(r >= 0, "next: %s", err.message);
        CHECK(broken.address[0] && streq(next.address, broken.address), "next got %s, broken had %s", next.address,
              broken.address);
        svc_stop(net, &next);
        check_stopped("next", NULL);
}

/* No mount of any process (a copy of the pin in a service's mount
 * namespace, made after the pin) still holds the network namespace ino. */
static void check_netns_unpinned(unsigned long long ino, const char *name) {
        CHECK(ino && sh(NULL, "cat /proc/[0-9]*/mountinfo 2>/dev/null | grep -q 'net:\\[%llu\\]'", ino) != 0,
              "%s's network namespace %llu is still mounted somewhere", name, ino);
}

static void run_services(NsNet *net, CgRoot *root) {
        CrlError err = {};
        Svc web, client, idle;
        unsigned long long web_ino = 0;
        struct stat st;
        int r;

        r = svc_start(net, root, &web, "web", &err);
        CHECK(r >= 0, "start web: %s", err.message);
        /* the client fetches once: make sure web serves first (port check) */
        if (r >= 0) {
                _cleanup_free_ char *out = NULL;
                (void) curl_retry("http://127.0.0.1:8080/", &out);
        }
        r = svc_start(net, root, &client, "client", &err);
        CHECK(r >= 0, "start client: %s", err.message);
        if (web.running && client.unit && client.address[0])
                check_running(&web, &client);
        /* launched while web's pin exists: its mount namespace drops the
         * copy of /run/netns (ns_mount_apply), so it cannot reach web's network */
        r = svc_start(net, root, &idle, "idle", &err);
        CHECK(r >= 0, "start idle: %s", err.message);
        CHECK(sh(NULL, "grep -q /run/netns /proc/%d/mountinfo", (int) idle.proc.main_pid) != 0,
              "idle sees the /run/netns pins");
        /* no socket (netlink, nft), eventfd or namespace fd of ours leaks into a service */
        CHECK(sh(NULL, "ls -l /proc/%d/fd | grep -E -q 'socket:|anon_inode:|net:\\['", (int) idle.proc.main_pid) != 0,
              "idle inherited a socket, eventfd or namespace fd");
        if (stat("/run/netns/corral-web", &st) >= 0)
                web_ino = (unsigned long long) st.st_ino;

        svc_stop(net, &web);
        check_stopped("web", "client");
        check_netns_unpinned(web_ino, "web");
        svc_stop(net, &idle);
        check_stopped("idle", NULL);
        CHECK(sh(NULL, "nft list table inet corral | grep -q 'dport 8080'") != 0, "DNAT rule left after stop");
        svc_stop(net, &client);
        check_stopped("client", NULL);
        check_failed_start(net, root);
}

static void write_units(void) {
        char text[1024];

        (void) snprintf(text, sizeof(text),
                        "[Service]\nExecStart=/bin/busybox httpd -f -p 80 -h %s/www\n"
                        "PrivatePIDs=yes\nPrivateMounts=yes\n"
                        "[Network]\nVirtualEthernet=yes\nPort=8080:80\n", rundir);
        write_unit("web", text);
        (void) snprintf(text, sizeof(text),
                        "[Service]\nType=oneshot\n"
                        "ExecStart=/bin/sh -c 'cat /etc/hosts > /out/hosts && exec curl -sS -m 5 -o /out/page http://web/'\n"
                        "BindPaths=%s:/out\n"
                        "[Network]\nVirtualEthernet=yes\n", outdir);
        write_unit("client", text);
        write_unit("broken", "[Service]\nExecStart=/nonexistent/broken\n[Network]\nVirtualEthernet=yes\n");
        write_unit("idle", "[Service]\nExecStart=/bin/sleep 1000\nPrivateMounts=yes\n"
                           "[Network]\nVirtualEthernet=yes\n");
        write_unit("next", "[Service]\nExecStart=/bin/sleep 1000\n[Network]\nVirtualEthernet=yes\n");
}

static int enter_scratch(void) {
        int r = it_enter_scratch(rundir);

        if (r < 0)
                return r;
        (void) snprintf(rtdir, sizeof(rtdir), "%s/rt", rundir);
        (void) snprintf(unitdir, sizeof(unitdir), "%s/units", rundir);
        (void) snprintf(outdir, sizeof(outdir), "%s/out", rundir);
        if (sh(NULL, "mkdir -p %s/www %s %s && echo hello-corral > %s/www/index.html", rundir, unitdir, outdir,
               rundir) != 0)
                return -EIO;
        /* lo, and a host address on an "uplink" veth whose peer stays here too */
        if (sh(NULL, "ip link set lo up && ip link add up0 type veth peer name up1 && "
                     "ip addr add 192.0.2.1/24 dev up0 && ip link set up0 up && ip link set up1 up") != 0)
                return -EIO;
        return 0;
}

static NsNet *net_new(void) {
        _cleanup_(manager_config_freep) ManagerConfig *mc = NULL;
        CrlError err = {};
        NsNet *net = NULL;

        if (manager_config_new(&mc) < 0)
                return NULL;
        free(mc->runtime_directory);
        mc->runtime_directory = strdup(rtdir);
        if (ns_net_new(mc, &net, &err) < 0)
                printf("ns_net_new: %s\n", err.message);
        else if (ns_net_cleanup_stale(net, &err) < 0)
                printf("ns_net_cleanup_stale: %s\n", err.message);
        return net;
}

static CgRoot *cg_root_new(void) {
        char path[64];
        CrlError err = {};
        CgRoot *root = NULL;
        CgProbe probe;

        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || !probe.mount[0]) {
                printf("# no cgroup2 mount, services run in the test's cgroup\n");
                return NULL;
        }
        (void) snprintf(path, sizeof(path), "/corral-test-netlaunch-%d", (int) getpid());
        CHECK(cg_root_open(&probe, path, CG_ROOT_NO_MOVE_SELF, &root, &err) >= 0, "cgroup root: %s", err.message);
        return root;
}

int main(void) {
        CgRoot *root;
        CrlError err = {};
        NsNet *net;
        int r, fds_before, fds_after;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (geteuid() != 0)
                return printf("needs root (unshare, netlink, mounts)\n"), 77;
        if (sh(NULL, "for t in ip nft nsenter curl; do command -v $t >/dev/null || exit 1; done; "
                     "test -x /bin/busybox") != 0)
                return printf("needs ip, nft, nsenter, curl and /bin/busybox (scripts/deps)\n"), 77;
        r = enter_scratch();
        if (r < 0)
                return printf("cannot make a scratch network namespace: %s\n", strerror(-r)), 77;
        write_units();
        fds_before = count_fds();
        root = cg_root_new();
        net = net_new();
        CHECK(net, "no network context");
        if (net) {
                run_services(net, root);
                CHECK(ns_net_shutdown(net, &err) >= 0, "shutdown: %s", err.message);
                CHECK(sh(NULL, "ip link show corral0 >/dev/null 2>&1") != 0, "bridge left after shutdown");
                CHECK(sh(NULL, "nft list table inet corral >/dev/null 2>&1") != 0, "nft table left after shutdown");
                ns_net_free(net);
        }
        if (root) {
                CHECK(cg_root_remove(root, &err) >= 0, "cgroup root: %s", err.message);
                cg_root_free(root);
        }
        fds_after = count_fds();
        CHECK(fds_after == fds_before, "fds: %d before, %d after", fds_before, fds_after);
        if (failures)
                (void) sh(NULL, "tail -n 5 %s/*.log >&2", rundir);
        if (chdir("/") == 0 && umount2(rundir, MNT_DETACH) == 0)
                (void) rmdir(rundir);
        if (failures)
                printf("failed checks:\n%s", failed_lines);
        printf("%d failures\n", failures);
        return failures ? 1 : 0;
}
