/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A root service tries to walk out of its sandbox (issue 10): undo
 * read-only mounts under every PrivateUsers= mode, and fool the launcher
 * into reporting a start that never happened. */
#include <poll.h>

#include "fileio.h"
#include "launch-util.h"

static char dir[] = "/tmp/corral-escape-XXXXXX";

/* Every attempt prints "escaped: WHAT" when it works; the service runs them
 * all and the host is checked afterwards. */
static const char *const attempts =
        "D=%1$s\n"
        "mount -o remount,bind,rw $D 2>/dev/null && echo 'escaped: remount rw'\n"
        "touch $D/from-service 2>/dev/null && echo 'escaped: write'\n"
        "umount -l $D 2>/dev/null && echo 'escaped: umount'\n"
        "mount -t tmpfs none $D 2>/dev/null && echo 'escaped: mount over'\n"
        "mount -o remount,rw / 2>/dev/null && echo 'escaped: remount / rw'\n"
        "touch /etc/corral-escape-%2$d 2>/dev/null && echo 'escaped: write /etc'\n"
        /* A mount namespace of its own: what it copies is locked, not editable. */
        "unshare -m sh -c 'mount -o remount,bind,rw $0 && touch $0/from-service' $D 2>/dev/null "
        "&& echo 'escaped: nested remount'\n"
        "echo done\n";

static void test_read_only_locked(PrivateUsers mode, bool drop_sys_admin) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("escape");
        char script[2048], etc[64], host_file[128];
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", script, NULL };
        NsLaunchParams p;
        Run run;

        (void) snprintf(script, sizeof(script), attempts, dir, (int) getpid());
        (void) snprintf(etc, sizeof(etc), "/etc/corral-escape-%d", (int) getpid());
        (void) snprintf(host_file, sizeof(host_file), "%s/from-service", dir);
        u->private_users = mode;
        u->protect_system = PROTECT_SYSTEM_STRICT;
        unit_add_path(&u->read_only_paths, &u->n_read_only_paths, dir, false);
        if (drop_sys_admin) {
                u->capability_bounding_set_set = true;
                u->capability_bounding_set = ~(UINT64_C(1) << 21); /* CAP_SYS_ADMIN */
        }
        it_params_init(&p, u);
        p.userns_base = 0xc0000;
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0, "mode %d: %s", (int) mode, run.error.message);
        CHECK(streq(chomp(&run), "done"), "mode %d, drop CAP_SYS_ADMIN %d: the service got out:\n%s",
              (int) mode, drop_sys_admin, run.out);
        CHECK(access(host_file, F_OK) < 0, "mode %d: %s was created on the host", (int) mode, host_file);
        CHECK(access(etc, F_OK) < 0, "mode %d: %s was created on the host", (int) mode, etc);
        (void) unlink(host_file);
        (void) unlink(etc);
}

/* Kill the child from the setup hook, before it is released: it never
 * reaches its execve, so the launch must fail and say how the child died. */
static int kill_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        (void) userdata, (void) child_pid, (void) reterr;
        return crl_pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
}

static void test_killed_during_setup(bool private_pids) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("killed");
        char *argv[] = { (char *) "/bin/true", NULL };
        NsLaunchParams p;
        Run run;
        int fds = count_fds();

        u->private_pids = private_pids;
        it_params_init(&p, u);
        p.setup_hook = kill_hook;
        run_params(u, &p, argv, &run);
        CHECK(run.r < 0, "private_pids %d: a child killed before its exec counted as started", private_pids);
        CHECK(strstr(run.error.message, "killed by signal KILL") != NULL, "private_pids %d: message '%s'",
              private_pids, run.error.message);
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child was left behind");
}

/* PID 2's pidfd comes from PID 2 itself (the parent never opens a pid
 * number that may have been reaped and reused): it names the command, pid 2
 * in its namespace and MainPID in ours. */
static void test_main_pidfd(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("mainpid");
        char *argv[] = { (char *) "/bin/sleep", (char *) "0.5", NULL };
        NsLaunchParams p;
        NsProcess proc;
        CrlError e = {};
        char path[64], want[64];
        siginfo_t si = {};
        _cleanup_free_ char *info = NULL;

        u->private_pids = true;
        it_params_init(&p, u);
        p.argv = argv;
        p.runtime_dir = rt_dir();
        CHECK(ns_launch(&p, &proc, &e) == 0, "%s", e.message);
        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", proc.main_pidfd);
        (void) snprintf(want, sizeof(want), "NSpid:\t%d\t2\n", (int) proc.main_pid);
        CHECK(proc.main_pidfd >= 0 && read_file_at(AT_FDCWD, path, &info, NULL) >= 0, "main pidfd %d", proc.main_pidfd);
        CHECK(info && strstr(info, want), "main pidfd is not PID 2 (%s):\n%s", want, info);
        CHECK(waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED) == 0, "wait");
        ns_process_done(&proc);
}

/* The init stays for the service's lifetime inside its PID namespace: it
 * keeps CAP_KILL and nothing else, whatever the service's own set. */
static void test_init_capabilities(PrivateUsers mode) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("init-caps");
        NsLaunchParams p;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/1/status", NULL };
        Run run;

        u->private_pids = true;
        u->private_users = mode;
        it_params_init(&p, u);
        p.userns_base = 0xe0000;
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\n"
                                               "CapBnd:\t0000000000000020\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1"),
              "mode %d: r=%d %s, the init has:\n%s", (int) mode, run.r, run.error.message, run.out);
}

/* With only CAP_KILL left, the init still forwards SIGTERM to a command of
 * another uid. */
static void test_init_forwards_to_user(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("init-user");
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        NsLaunchParams p;
        NsProcess proc;
        CrlError e = {};
        siginfo_t si = {}, msi = {};
        struct pollfd pfd;

        u->private_pids = true;
        unit_set_str(&u->user, "nobody");
        it_params_init(&p, u);
        p.argv = argv;
        p.runtime_dir = rt_dir();
        CHECK(ns_launch(&p, &proc, &e) == 0, "%s", e.message);
        if (e.error)
                return;
        (void) crl_pidfd_send_signal(proc.pidfd, SIGTERM, NULL, 0);
        pfd = (struct pollfd) { .fd = proc.pidfd, .events = POLLIN };
        CHECK(poll(&pfd, 1, 10000) == 1, "the init did not end the command within 10 s");
        (void) crl_pidfd_send_signal(proc.pidfd, SIGKILL, NULL, 0);
        (void) waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED);
        (void) ns_process_main_status(&proc, &si, &msi);
        CHECK(msi.si_code == CLD_KILLED && msi.si_status == SIGTERM, "command: code %d status %d", msi.si_code, msi.si_status);
        ns_process_done(&proc);
}

int main(void) {
        char cmd[128];

        require_root();
        if (!mkdtemp(dir))
                return 1;
        test_read_only_locked(PRIVATE_USERS_SELF, false);
        test_read_only_locked(PRIVATE_USERS_IDENTITY, false);
        test_read_only_locked(PRIVATE_USERS_PICK, false);
        test_read_only_locked(PRIVATE_USERS_NO, true);
        test_killed_during_setup(false);
        test_killed_during_setup(true);
        test_main_pidfd();
        test_init_capabilities(PRIVATE_USERS_NO);
        test_init_capabilities(PRIVATE_USERS_IDENTITY);
        test_init_forwards_to_user();
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) !system(cmd);
        return finish("test-launch-escape");
}
