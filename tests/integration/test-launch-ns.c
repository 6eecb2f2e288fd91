/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a launched process sees of its namespaces, ids and attributes. */
#include <sys/sysinfo.h>
#include <time.h>

#include "launch-util.h"

static char host_hostname[256];

static void test_no_namespaces(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("plain");
        Run run;

        run_sh(u, "readlink /proc/self/ns/net /proc/self/ns/pid; readlink /proc/self/fd/0", &run);
        CHECK(run.r == 0, "%s", run.error.message);
        CHECK(strstr(run.out, "/dev/null") != NULL, "stdin is %s", run.out);
        CHECK(run.main_pid == run.pid, "main %d pid %d", run.main_pid, run.pid);
        {
                char want[128];

                (void) snprintf(want, sizeof(want), "net:[%llu]\npid:[%llu]", ns_inode("self", "net"),
                                ns_inode("self", "pid"));
                CHECK(strneq(run.out, want, strlen(want)), "got '%s' want '%s'", run.out, want);
        }
}

/* flags: 0, or NS_LAUNCH_NO_CLONE3 for the clone() fallback path. */
static void test_all_namespaces(NsLaunchFlags flags) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("all");
        static const char *const types[] = { "pid", "mnt", "uts", "ipc", "net", "user", "cgroup", "time" };
        char script[1024] = "", *line;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", script, NULL };
        NsLaunchParams p;
        Run run;

        u->private_pids = u->private_ipc = u->private_network = u->private_time = true;
        u->private_users = PRIVATE_USERS_SELF;
        u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
        unit_set_str(&u->hostname, "svc-all");
        strcat(script, "echo $$; hostname; ");
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                strcat(script, "stat -L -c %i /proc/self/ns/");
                strcat(script, types[i]);
                strcat(script, "; ");
        }
        strcat(script, "ls /proc | grep -c '^[0-9]'; ip -o link | cut -d' ' -f2,3");
        it_params_init(&p, u);
        p.flags = flags;
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0, "%s", run.error.message);
        CHECK(run.code == 0, "exit %d: %s", run.code, run.out);
        line = strtok(run.out, "\n");
        CHECK(line && streq(line, "2"), "$$ is %s (want 2 under the init)", line);
        line = strtok(NULL, "\n");
        CHECK(line && streq(line, "svc-all"), "hostname %s", line);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                line = strtok(NULL, "\n");
                CHECK(line && strtoull(line, NULL, 10) != ns_inode("self", types[i]),
                      "%s namespace %s equals the host's", types[i], line);
        }
        line = strtok(NULL, "\n");
        CHECK(line && atoi(line) <= 4, "fresh /proc shows %s processes", line);
        line = strtok(NULL, "\n");
        CHECK(line && streq(line, "lo: <LOOPBACK,UP,LOWER_UP>"), "link: %s", line);
        line = strtok(NULL, "\n");
        CHECK(!line, "more links than lo: %s", line);
        (void) gethostname(run.out, 64);
        CHECK(streq(run.out, host_hostname), "host hostname changed to %s", run.out);
}

static void test_keep_pid1(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("pid1");
        NsLaunchParams p;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo $$", NULL };
        Run run;

        u->private_pids = true;
        it_params_init(&p, u);
        p.flags = NS_LAUNCH_KEEP_PID1;
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "1"), "r=%d out=%s", run.r, run.out);
}

static void test_userns_modes(void) {
        static const struct {
                PrivateUsers mode;
                const char *user;
                uid_t base;
                const char *want;
        } cases[] = {
                { PRIVATE_USERS_SELF, NULL, 0, "0 0 1" },
                { PRIVATE_USERS_SELF, "nobody", 0, "0 0 1\n65534 65534 1" },
                { PRIVATE_USERS_IDENTITY, NULL, 0, "0 0 65536" },
                { PRIVATE_USERS_PICK, NULL, 0x90000, "0 589824 65536" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("userns");
                NsLaunchParams p;
                char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                                 (char *) "awk '{print $1, $2, $3}' /proc/self/uid_map; id -u", NULL };
                char want[128];
                Run run;

                u->private_users = cases[i].mode;
                unit_set_str(&u->user, cases[i].user);
                it_params_init(&p, u);
                p.userns_base = cases[i].base;
                run_params(u, &p, argv, &run);
                (void) snprintf(want, sizeof(want), "%s\n%s", cases[i].want, cases[i].user ? "65534" : "0");
                CHECK(run.r == 0 && streq(chomp(&run), want), "case %zu: r=%d %s: got '%s' want '%s'", i,
                      run.r, run.error.message, run.out, want);
        }
}

static void test_pick_persistence(void) {
        char dir[] = "/tmp/corral-pick-XXXXXX";
        uid_t a = 0, b = 0, a2 = 0;
        CrlError e = {};

        CHECK(mkdtemp(dir), "mkdtemp");
        CHECK(ns_userns_pick(dir, "a", &a, &e) == 0 && a == 0x80000, "a=%#x %s", (unsigned) a, e.message);
        CHECK(ns_userns_pick(dir, "b", &b, &e) == 0 && b == 0x90000, "b=%#x %s", (unsigned) b, e.message);
        CHECK(ns_userns_pick(dir, "a", &a2, &e) == 0 && a2 == a, "a again=%#x", (unsigned) a2);
        {
                char cmd[128];

                (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
                (void) !system(cmd);
        }
}

static void test_time_offset(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("time");
        struct timespec ts;
        double inside, host;
        Run run;

        u->private_time = true;
        u->time_offset_usec = 86400 * USEC_PER_SEC + 500000;  /* one day and a half second */
        run_sh(u, "cut -d' ' -f1 /proc/uptime", &run);
        clock_gettime(CLOCK_BOOTTIME, &ts);
        host = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
        inside = atof(run.out);
        CHECK(run.r == 0 && inside - host > 86399 && inside - host < 86402, "inside %f host %f (%s)",
              inside, host, run.error.message);
        u->time_offset_usec = -(int64_t) (5 * USEC_PER_SEC);
        run_sh(u, "cut -d' ' -f1 /proc/uptime", &run);
        clock_gettime(CLOCK_BOOTTIME, &ts);
        host = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
        inside = atof(run.out);
        CHECK(run.r == 0 && host - inside > 4 && host - inside < 7, "negative: inside %f host %f", inside, host);
}

static void test_caps_and_attrs(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("caps");
        Run run;

        u->capability_bounding_set_set = true;
        u->capability_bounding_set = UINT64_C(1) << 10;   /* CAP_NET_BIND_SERVICE */
        u->ambient_capabilities = UINT64_C(1) << 10;
        u->no_new_privileges = true;
        unit_set_str(&u->user, "nobody");
        strv_extend(&u->supplementary_groups, "adm");
        u->limit_nofile = (UnitRlimit) { .set = true, .rlim = { 1234, 2345 } };
        u->nice_set = true;
        u->nice = 7;
        u->oom_score_adjust_set = true;
        u->oom_score_adjust = 345;
        u->umask = 0027;
        unit_set_str(&u->working_directory, "/tmp");
        run_sh(u, "grep -E '^(CapBnd|CapAmb|CapEff|NoNewPrivs)' /proc/self/status | tr -s '\\t' ' '; "
                  "ulimit -n; ulimit -Hn; cut -d' ' -f19 /proc/self/stat; cat /proc/self/oom_score_adj; umask; pwd; "
                  "id -u; id -g; id -G; echo $USER $HOME", &run);
        CHECK(run.r == 0, "%s", run.error.message);
        CHECK(streq(chomp(&run),
                    "CapEff: 0000000000000400\nCapBnd: 0000000000000400\nCapAmb: 0000000000000400\nNoNewPrivs: 1\n"
                    "1234\n2345\n7\n345\n0027\n/tmp\n65534\n65534\n65534 4\nnobody /nonexistent"),
              "got:\n%s", run.out);
}

static void test_environment(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("env");
        char *extra[] = { (char *) "NOTIFY_SOCKET=/run/corral/notify", (char *) "FOO=from-supervisor", NULL };
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "echo $FOO $BAR $NOTIFY_SOCKET; echo $PATH", NULL };
        NsLaunchParams p;
        Run run;

        strv_extend(&u->environment, "FOO=unit");
        strv_extend(&u->environment, "BAR=bar");
        it_params_init(&p, u);
        p.environment = extra;
        run_params(u, &p, argv, &run);  /* relative argv[0]: looked up in PATH */
        CHECK(run.r == 0 && streq(chomp(&run), "from-supervisor bar /run/corral/notify\n"
                                               "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
              "r=%d %s got '%s'", run.r, run.error.message, run.out);
}

/* A test-owned cgroup2 directory (no controllers needed): clone3 with
 * CLONE_INTO_CGROUP and the clone() + cgroup.procs fallback. */
static void test_cgroup(void) {
        /* The VM has cgroup2 at /sys/fs/cgroup; this host keeps it at .../unified. */
        const char *mnt = access("/sys/fs/cgroup/cgroup.procs", F_OK) >= 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        char path[128];
        int fd;

        (void) snprintf(path, sizeof(path), "%s/corral-test-launch-%d", mnt, (int) getpid());
        if (mkdir(path, 0755) < 0) {
                fprintf(stderr, "skipping cgroup checks: %s: %m\n", path);
                return;
        }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int fallback = 0; fallback < 2; fallback++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("cg");
                char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                                 (char *) "grep ^0:: /proc/self/cgroup; ls /sys/fs/cgroup | grep -c cgroup.procs", NULL };
                char want[256];
                NsLaunchParams p;
                Run run;

                it_params_init(&p, u);
                p.cgroup_fd = fd;
                p.flags = fallback ? NS_LAUNCH_NO_CLONE3 : 0;
                run_params(u, &p, argv, &run);
                (void) snprintf(want, sizeof(want), "0::%s\n", path + strlen(mnt));
                CHECK(run.r == 0 && strneq(run.out, want, strlen(want)), "fallback=%d got '%s' want '%s' %s",
                      fallback, run.out, want, run.error.message);
                /* ProtectControlGroups=private: a cgroup namespace rooted at our cgroup,
                 * entered after the process is in it, and a fresh cgroup2 mount. */
                u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
                run_params(u, &p, argv, &run);
                CHECK(run.r == 0 && streq(chomp(&run), "0::/\n1"), "private fallback=%d: '%s' %s", fallback,
                      run.out, run.error.message);
                /* the namespace's root is our cgroup: what it shows is that directory */
                {
                        char *cat[] = { (char *) "/bin/sh", (char *) "-c",
                                        (char *) "cat /sys/fs/cgroup/cgroup.controllers; test -w /sys/fs/cgroup && echo w", NULL };
                        char script[256], host[256] = "";
                        FILE *f;

                        (void) snprintf(script, sizeof(script), "%s/cgroup.controllers", path);
                        f = fopen(script, "re");
                        if (f) {
                                if (!fgets(host, sizeof(host), f))
                                        host[0] = 0;
                                fclose(f);
                        }
                        strcat(host, "w");
                        run_params(u, &p, cat, &run);
                        CHECK(run.r == 0 && streq(chomp(&run), host), "controllers: '%s' want '%s'", run.out, host);
                        u->protect_control_groups = PROTECT_CGROUPS_STRICT;
                        run_params(u, &p, argv, &run);
                        CHECK(run.r == 0 && streq(chomp(&run), "0::/\n1"), "strict: '%s'", run.out);
                        run_params(u, &p, cat, &run);
                        CHECK(run.r == 0 && !strstr(chomp(&run), "\nw") && !streq(run.out, "w"), "strict: writable: '%s'", run.out);
                        u->protect_control_groups = PROTECT_CGROUPS_YES;
                        {
                                char *ro[] = { (char *) "/bin/sh", (char *) "-c", (char *) "test -w /sys/fs/cgroup && echo w || echo ro", NULL };

                                run_params(u, &p, ro, &run);
                                CHECK(run.r == 0 && streq(chomp(&run), "ro"), "ProtectControlGroups=yes: '%s'", run.out);
                        }
                }
        }
        close(fd);
        CHECK(rmdir(path) == 0, "rmdir %s: %m (a process left behind?)", path);
}

typedef struct HookData {
        int calls;
        unsigned long long netns;
        char uid_map[64];
        int fail;
} HookData;

static int hook(void *userdata, int pidfd, pid_t pid, CrlError *reterr) {
        HookData *d = userdata;
        char p[64];
        FILE *f;

        d->calls++;
        (void) snprintf(p, sizeof(p), "%d", (int) pid);
        d->netns = ns_inode(p, "net");
        (void) snprintf(p, sizeof(p), "/proc/%d/uid_map", (int) pid);
        f = fopen(p, "re");
        if (f) {
                if (!fgets(d->uid_map, sizeof(d->uid_map), f))
                        d->uid_map[0] = 0;
                fclose(f);
        }
        if (d->fail)
                return crl_error_set(reterr, EHOSTUNREACH, "veth: no bridge");
        return 0;
}

static void test_setup_hook(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("hook");
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "stat -L -c %i /proc/self/ns/net; awk '{print $1, $2, $3}' /proc/self/uid_map",
                         NULL };
        HookData d = {};
        NsLaunchParams p;
        Run run;
        int fds;

        u->private_network = true;
        u->private_users = PRIVATE_USERS_IDENTITY;
        it_params_init(&p, u);
        p.setup_hook = hook;
        p.setup_userdata = &d;
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0 && d.calls == 1, "r=%d calls=%d", run.r, d.calls);
        CHECK(strtoull(run.out, NULL, 10) == d.netns && d.netns != ns_inode("self", "net"),
              "hook saw netns %llu, child %s", d.netns, run.out);
        /* The hook runs before the child made its user namespace (after its
         * mounts): the child is still in ours, the service's map comes later. */
        CHECK(strstr(d.uid_map, "4294967295") != NULL, "the child had a user namespace before the hook: '%s'", d.uid_map);
        CHECK(strstr(run.out, "\n0 0 65536\n") != NULL, "the service's uid_map: %s", run.out);

        d.fail = 1;
        fds = count_fds();
        run_params(u, &p, argv, &run);
        CHECK(run.r == -EHOSTUNREACH && streq(run.error.message, "service 'hook': step 'setup-hook': veth: no bridge"),
              "r=%d '%s'", run.r, run.error.message);
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child was left behind");
}

int main(void) {
        require_root();
        (void) gethostname(host_hostname, sizeof(host_hostname));
        test_no_namespaces();
        test_all_namespaces(0);
        test_all_namespaces(NS_LAUNCH_NO_CLONE3);
        test_keep_pid1();
        test_userns_modes();
        test_pick_persistence();
        test_time_offset();
        test_caps_and_attrs();
        test_environment();
        test_cgroup();
        test_setup_hook();
        return finish("test-launch-ns");
}
