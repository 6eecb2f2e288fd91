/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JoinsNamespaceOf=, NetworkNamespacePath=, the /run/netns pins and ns_exec().
 * Runs in a mount namespace of its own so /run/netns changes stay here. */
#include <sched.h>
#include <sys/mount.h>

#include <sys/resource.h>

#include "launch-util.h"
#include "syscalls.h"

static void start_other(NsProcess *proc) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("other");
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "cd /tmp; exec sleep 60", NULL };
        NsLaunchParams p;
        CrlError e = {};

        u->private_network = u->private_ipc = u->private_tmp = u->private_pids = true;
        unit_set_str(&u->hostname, "other-host");
        it_params_init(&p, u);
        p.argv = argv;
        p.runtime_dir = rt_dir();
        if (ns_launch(&p, proc, &e) < 0) {
                fprintf(stderr, "start other: %s\n", e.message);
                exit(1);
        }
}

static void test_joins(const NsProcess *other) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("joiner");
        char script[512], want[256], pid[32];
        NsLaunchParams p;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", script, NULL };
        Run run;

        (void) snprintf(pid, sizeof(pid), "%d", (int) other->main_pid);
        strv_extend(&u->joins_namespace_of, "other");
        u->private_network = u->private_ipc = u->private_tmp = true;
        it_params_init(&p, u);
        p.join_pidfd = other->pidfd;
        p.join_name = "other";
        (void) snprintf(script, sizeof(script),
                        "stat -L -c %%i /proc/self/ns/net /proc/self/ns/ipc /proc/self/ns/uts; echo shared > /tmp/joined");
        run_params(u, &p, argv, &run);
        (void) snprintf(want, sizeof(want), "%llu\n%llu\n%llu", ns_inode(pid, "net"), ns_inode(pid, "ipc"),
                        ns_inode("self", "uts"));
        CHECK(run.r == 0 && streq(chomp(&run), want), "r=%d %s: '%s' want '%s'", run.r, run.error.message, run.out, want);
        (void) snprintf(want, sizeof(want), "/proc/%d/root/tmp/joined", (int) other->main_pid);
        CHECK(access(want, F_OK) == 0, "/tmp not shared with other: %s", want);
}

static void test_netns_path(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("pathjoin");
        Run run;
        char want[64];

        if (system("ip netns add corral-test-nspath") != 0) {
                fprintf(stderr, "skipping NetworkNamespacePath=: ip netns add failed\n");
                return;
        }
        unit_set_str(&u->network_namespace_path, "/run/netns/corral-test-nspath");
        u->private_network = true;
        run_sh(u, "stat -L -c %i /proc/self/ns/net", &run);
        {
                struct stat st;

                (void) stat("/run/netns/corral-test-nspath", &st);
                (void) snprintf(want, sizeof(want), "%llu", (unsigned long long) st.st_ino);
        }
        CHECK(run.r == 0 && streq(chomp(&run), want), "r=%d %s '%s' want '%s'", run.r, run.error.message, run.out, want);
        (void) !system("ip netns delete corral-test-nspath");
}

/* How many mounts under /run/netns the process pid sees. */
static int netns_mounts_of(pid_t pid) {
        char path[64], line[4096];
        int n = 0;
        FILE *f;

        (void) snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, " /run/netns"))
                        n++;
        fclose(f);
        return n;
}

static void test_pin(const NsProcess *other) {
        char cmd[256], pid[32];
        CrlError e = {};
        FILE *f;
        unsigned long long ino = 0;
        int mounts;

        (void) snprintf(pid, sizeof(pid), "%d", (int) other->main_pid);
        /* A stale pin of that name (an earlier run's; here: our own
         * namespace) is replaced, not kept. */
        {
                _cleanup_close_ int self = crl_pidfd_open(getpid(), 0);

                CHECK(self >= 0 && ns_pin(self, "other", &e) == 0, "stale pin: %s", e.message);
        }
        mounts = netns_mounts_of(getpid());
        CHECK(ns_pin(other->pidfd, "other", &e) == 0, "pin: %s", e.message);
        CHECK(netns_mounts_of(getpid()) == mounts, "the new pin went on top of the stale one: %d mounts under "
              "/run/netns, %d before", netns_mounts_of(getpid()), mounts);
        f = popen("ip netns exec corral-other stat -L -c %i /proc/self/ns/net", "re");
        if (f) {
                if (fscanf(f, "%llu", &ino) != 1)
                        ino = 0;
                pclose(f);
        }
        CHECK(ino == ns_inode(pid, "net"), "ip netns exec saw %llu, service has %llu", ino, ns_inode(pid, "net"));
        (void) snprintf(cmd, sizeof(cmd), "ip netns list | grep -q '^corral-other'");
        CHECK(system(cmd) == 0, "not listed by ip netns list");
        CHECK(ns_unpin("other", &e) == 0, "unpin: %s", e.message);
        CHECK(access("/run/netns/corral-other", F_OK) < 0, "pin file left behind");
        CHECK(ns_unpin("other", &e) == 0, "second unpin must be a no-op: %s", e.message);
}


/* A service with a mount namespace sees no /run/netns pin, neither those
 * made before it started (copied with the mount tree) nor later ones
 * (propagated from the shared /run/netns): root in it must not setns()
 * into another service's network, and N services must not hold N² mounts. */
static void test_pins_hidden(const NsProcess *other) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("pinview");
        char *argv[] = { (char *) "/bin/sleep", (char *) "60", NULL };
        NsLaunchParams p;
        NsProcess c;
        CrlError e = {};
        siginfo_t si;

        CHECK(ns_pin(other->pidfd, "pin-before", &e) == 0, "pin: %s", e.message);
        CHECK(netns_mounts_of(getpid()) >= 2, "the test's own view has /run/netns and the pin");
        u->private_network = u->private_tmp = true;
        it_params_init(&p, u);
        p.argv = argv;
        p.runtime_dir = rt_dir();
        if (ns_launch(&p, &c, &e) < 0) {
                CHECK(false, "launch pinview: %s", e.message);
                return;
        }
        CHECK(ns_pin(other->pidfd, "pin-after", &e) == 0, "pin: %s", e.message);
        CHECK(netns_mounts_of(c.main_pid) == 0, "the service sees %d mounts under /run/netns, want 0",
              netns_mounts_of(c.main_pid));
        (void) ns_unpin("pin-before", &e);
        (void) ns_unpin("pin-after", &e);
        (void) crl_pidfd_send_signal(c.pidfd, SIGKILL, NULL, 0);
        (void) waitid(P_PIDFD, (id_t) c.pidfd, &si, WEXITED);
        ns_process_done(&c);
        (void) ns_private_tmp_remove(rt_dir(), "pinview");
}

/* ns_exec() p with the command's stdout in out; waits for the command. */
static int exec_capture(NsExecParams *p, char *out, size_t size, siginfo_t *ret_si, CrlError *e) {
        NsProcess proc;
        int fds[2], r;
        ssize_t n;

        *ret_si = (siginfo_t) {};
        out[0] = 0;
        if (pipe2(fds, O_CLOEXEC) < 0)
                abort();
        p->stdout_fd = fds[1];
        r = ns_exec(p, &proc, e);
        close(fds[1]);
        for (size_t len = 0; (n = read(fds[0], out + len, size - 1 - len)) > 0;)
                out[len += (size_t) n] = 0;
        close(fds[0]);
        if (r >= 0) {
                (void) waitid(P_PIDFD, (id_t) proc.pidfd, ret_si, WEXITED);
                ns_process_done(&proc);
        }
        return r;
}

/* A service running argv to exec into (userns_base for PrivateUsers=pick). */
static int target_start(UnitConfig *u, char **argv, uid_t userns_base, NsProcess *ret) {
        NsLaunchParams lp;
        CrlError e = {};
        int r;

        it_params_init(&lp, u);
        lp.argv = argv;
        lp.userns_base = userns_base;
        lp.runtime_dir = rt_dir();
        r = ns_launch(&lp, ret, &e);
        CHECK(r == 0, "start %s: %s", u->name, e.message);
        return r;
}

static void target_stop(NsProcess *t) {
        siginfo_t si;

        (void) crl_pidfd_send_signal(t->pidfd, SIGKILL, NULL, 0);
        (void) waitid(P_PIDFD, (id_t) t->pidfd, &si, WEXITED);
        ns_process_done(t);
}

static void test_exec(const NsProcess *other) {
        static const char *const types[] = { "pid", "mnt", "uts", "ipc", "net" };
        char *argv[] = { (char *) "sh", (char *) "-c",
                         (char *) "stat -L -c %i /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/uts "
                                  "/proc/self/ns/ipc /proc/self/ns/net; hostname; pwd; ls -A /tmp; id -u", NULL };
        char out[4096], want[1024] = "", pid[32];
        NsExecParams p = {
                .target_pidfd = other->main_pidfd, .cgroup_fd = -EBADF, .argv = argv, .user = "nobody",
                .stdin_fd = -EBADF, .stderr_fd = -EBADF,
        };
        CrlError e = {};
        siginfo_t si;
        int fdcount = count_fds();

        (void) snprintf(pid, sizeof(pid), "%d", (int) other->main_pid);
        CHECK(exec_capture(&p, out, sizeof(out), &si, &e) == 0, "exec: %s", e.message);
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                (void) snprintf(want + strlen(want), sizeof(want) - strlen(want), "%llu\n", ns_inode(pid, types[i]));
        strcat(want, "other-host\n/tmp\njoined\n65534\n");
        CHECK(streq(out, want), "got:\n%s\nwant:\n%s", out, want);
        CHECK(si.si_code == CLD_EXITED && si.si_status == 0, "exec status %d", si.si_status);
        CHECK(count_fds() == fdcount, "fds %d -> %d", fdcount, count_fds());
}

/* ns_exec() into a service with its own user namespace (PrivateUsers=pick):
 * the user namespace is entered too, and the command is that namespace's root. */
static void test_exec_userns(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("userns-target");
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "60", NULL };
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "awk '{print $2}' /proc/self/uid_map; id -u; echo $$", NULL };
        NsExecParams p = { .cgroup_fd = -EBADF, .argv = argv, .stdin_fd = -EBADF, .stderr_fd = -EBADF };
        NsProcess target;
        CrlError e = {};
        siginfo_t si;
        char out[256];

        u->private_users = PRIVATE_USERS_PICK;
        u->private_pids = true;
        if (target_start(u, sleep_argv, 0xb0000, &target) < 0)
                return;
        p.target_pidfd = target.main_pidfd;
        CHECK(exec_capture(&p, out, sizeof(out), &si, &e) == 0, "exec: %s", e.message);
        CHECK(strneq(out, "720896\n0\n", 9) && atoi(out + 9) > 2, "got '%s'", out);
        target_stop(&target);
}

/* ns_exec -u USER reads the service's /etc/passwd inside its root (in the
 * child): a symlink planted there cannot point the lookup at a host file, a
 * FIFO or device there cannot hang it, and a name is matched whole. */
static void test_exec_passwd_in_root(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("passwd-target");
        char root[] = "/tmp/corral-passwd-root-XXXXXX", host[128], cmd[512];
        char *sleep_argv[] = { (char *) "/bin/busybox", (char *) "sleep", (char *) "60", NULL };
        char *argv[] = { (char *) "/bin/busybox", (char *) "true", NULL };
        const struct {
                const char *plant, *want;
        } cases[] = {
                { "ln -s %s etc/passwd", "step 'user': the service's /etc/passwd: No such file or directory" },
                { "ln -s ../../../../../../..%s etc/passwd", "step 'user': the service's /etc/passwd: No such file or directory" },
                { "mkfifo etc/passwd # %s", "step 'user': the service's /etc/passwd: not a regular file" },
                { "echo 'evil2:x:0:0::/:/bin/sh' > etc/passwd # %s", "step 'user': user 'evil': not in the service's /etc/passwd" },
        };
        NsProcess target;
        siginfo_t si;
        char out[64];

        CHECK(mkdtemp(root) != NULL, "mkdtemp");
        (void) snprintf(host, sizeof(host), "/tmp/corral-host-passwd-%d", (int) getpid());
        (void) snprintf(cmd, sizeof(cmd), "echo 'evil:x:0:0::/:/bin/sh' > %s && cd %s && mkdir bin etc && "
                        "cp /bin/busybox bin/", host, root);
        CHECK(system(cmd) == 0, "%s", cmd);
        unit_set_str(&u->root_directory, root);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                NsExecParams p = { .cgroup_fd = -EBADF, .argv = argv, .user = "evil",
                                   .stdin_fd = -EBADF, .stdout_fd = -EBADF, .stderr_fd = -EBADF };
                CrlError e = {};
                char plant[256];
                int r;

                (void) snprintf(plant, sizeof(plant), cases[i].plant, host);
                (void) snprintf(cmd, sizeof(cmd), "cd %s && rm -f etc/passwd && %s", root, plant);
                CHECK(system(cmd) == 0, "%s", cmd);
                if (target_start(u, sleep_argv, 0, &target) < 0)
                        break;
                p.target_pidfd = target.main_pidfd;
                alarm(20);      /* a FIFO would hang the lookup forever */
                r = exec_capture(&p, out, sizeof(out), &si, &e);
                alarm(0);
                CHECK(r < 0 && streq(e.message, cases[i].want), "case %zu: r=%d '%s'", i, r, e.message);
                target_stop(&target);
        }
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, host);
        (void) !system(cmd);
}

/* corralctl exec runs with no more than the service has: its bounding set
 * and no_new_privs, under PrivateUsers= or not. */
static void test_exec_limits(PrivateUsers mode) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("limits-target");
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "60", NULL };
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status", NULL };
        NsExecParams p = { .cgroup_fd = -EBADF, .argv = argv, .stdin_fd = -EBADF, .stderr_fd = -EBADF };
        NsProcess target;
        CrlError e = {};
        siginfo_t si;
        char out[256];

        u->private_users = mode;
        u->capability_bounding_set_set = true;
        u->capability_bounding_set = (UINT64_C(1) << 10) | (UINT64_C(1) << 5); /* NET_BIND_SERVICE, KILL */
        u->no_new_privileges = true;
        if (target_start(u, sleep_argv, 0xd0000, &target) < 0)
                return;
        p.target_pidfd = target.main_pidfd;
        CHECK(exec_capture(&p, out, sizeof(out), &si, &e) == 0, "exec: %s", e.message);
        CHECK(streq(out, "CapEff:\t0000000000000420\nCapBnd:\t0000000000000420\nNoNewPrivs:\t1\n"),
              "mode %d: exec got more than the service:\n%s", (int) mode, out);
        target_stop(&target);
}

/* A service's PrivateTmp= may be deeper than our fd limit: removing it must
 * neither recurse nor hold an fd per level. */
static void test_private_tmp_remove_deep(void) {
        char path[256];
        int fd, status = -1;
        pid_t pid;

        (void) snprintf(path, sizeof(path), "%s/private-tmp/deep/tmp", rt_dir());
        CHECK(mkdir(rt_dir(), 0755) >= 0 || errno == EEXIST, "mkdir");
        (void) snprintf(path, sizeof(path), "%s/private-tmp", rt_dir());
        (void) mkdir(path, 0700);
        (void) snprintf(path, sizeof(path), "%s/private-tmp/deep", rt_dir());
        CHECK(mkdir(path, 0700) >= 0, "mkdir %s", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; fd >= 0 && i < 500; i++) {
                int sub;

                (void) mkdirat(fd, "d", 0755);
                (void) close(openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
                (void) symlinkat("/etc", fd, "l");
                sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = sub;
        }
        CHECK(fd >= 0, "building a 500-deep tree");
        safe_close(fd);
        pid = fork();
        if (pid == 0) {
                struct rlimit rl = { 32, 32 };

                (void) setrlimit(RLIMIT_NOFILE, &rl);
                _exit(ns_private_tmp_remove(rt_dir(), "deep") == 0 ? 0 : 1);
        }
        (void) waitpid(pid, &status, 0);
        CHECK(status == 0, "ns_private_tmp_remove of a 500-deep tree with 32 fds failed");
        CHECK(access(path, F_OK) < 0 && errno == ENOENT, "%s is still there", path);
        CHECK(access("/etc/passwd", F_OK) == 0, "a symlink in it was followed");
}

int main(void) {
        NsProcess other;
        siginfo_t si;

        require_root();
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("cannot make a private mount namespace: %m\n");
                return 77;
        }
        start_other(&other);
        test_joins(&other);
        test_netns_path();
        test_pin(&other);
        test_pins_hidden(&other);
        test_exec(&other);
        test_exec_userns();
        test_exec_passwd_in_root();
        test_exec_limits(PRIVATE_USERS_NO);
        test_exec_limits(PRIVATE_USERS_PICK);
        test_private_tmp_remove_deep();
        (void) crl_pidfd_send_signal(other.pidfd, SIGKILL, NULL, 0);
        (void) waitid(P_PIDFD, (id_t) other.pidfd, &si, WEXITED);
        ns_process_done(&other);
        (void) ns_private_tmp_remove(rt_dir(), "other");
        return finish("test-launch-join");
}
