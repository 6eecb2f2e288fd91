/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel protections of the mount plan, seen from inside a root service
 * (root: the mounts, not the missing permission, must stop it):
 * ProtectKernelTunables=, ProtectKernelModules=, ProtectKernelLogs=,
 * ProtectClock= (the capability half), ProtectProc=, ProcSubset= and the
 * fresh sysfs of a private network. Each check runs once without the key
 * where the host would let the same command through, so it can fail. */
#include "launch-util.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>

/* CapBnd of the last output line. */
static unsigned long long cap_bnd(Run *run) {
        const char *l = strrchr(chomp(run), '\n');

        return l ? strtoull(l + 1, NULL, 16) : 0;
}

#define CAP(c) (1ULL << (c))

/* With the key, every mount under /sys is read-only but the cgroup tree,
 * which is ProtectControlGroups='s (systemd's READWRITE_IMPLICIT); the last
 * mount at a path in mountinfo is the visible one. */
static void test_tunables(void) {
        const char *script =
                "(cat /proc/sys/kernel/domainname > /proc/sys/kernel/domainname) 2>&1 | grep -q 'Read-only' && "
                "echo sys:ro || "
                "echo sys:rw; "
                "touch /sys/kernel/corral-kp 2>&1 | grep -q 'Read-only' && echo sysfs:ro || echo sysfs:rw; "
                "echo kcore:$(head -c 1 /proc/kcore 2>/dev/null | wc -c)";
        char script_on[1024];
        /* Some hosts have no /proc/kcore (no CONFIG_PROC_KCORE). */
        const char *kcore = access("/proc/kcore", F_OK) == 0 ? "1" : "0";
        char want[64];
        Run run;

        (void) snprintf(script_on, sizeof(script_on), "%s; awk '$5 ~ \"^/sys(/|$)\" && $5 !~ \"^/sys/fs/cgroup\" "
                        "{ o[$5] = $6 } END { for (p in o) if (o[p] !~ /^ro/) print \"rw\", p; "
                        "print (\"/sys\" in o) ? \"sys\" : \"none\" }' /proc/self/mountinfo", script);
        for (int on = 0; on < 2; on++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("tunables");

                u->private_mounts = true;
                u->protect_kernel_tunables = on;
                run_sh(u, on ? script_on : script, &run);
                if (on)
                        CHECK(run.r == 0 && streq(chomp(&run), "sys:ro\nsysfs:ro\nkcore:0\nsys"), "r=%d %s '%s'",
                              run.r, run.error.message, run.out);
                else {
                        (void) snprintf(want, sizeof(want), "sys:rw\nsysfs:rw\nkcore:%s", kcore);
                        CHECK(run.r == 0 && streq(chomp(&run), want), "r=%d %s '%s'", run.r, run.error.message,
                              run.out);
                }
        }
}

/* ProtectKernelModules=: both module directories empty. ProtectKernelLogs=:
 * /dev/kmsg a nodev bind of a char node (open refused, EACCES, also for
 * root); /proc/kmsg the empty inaccessible file. Without the keys root
 * opens /dev/kmsg. ProtectClock=: its capabilities only. */
static void test_logs(void) {
        const char *script =
                "echo $(ls -A /lib/modules 2>/dev/null | wc -l) $(ls -A /usr/lib/modules 2>/dev/null | wc -l); "
                "dd if=/dev/kmsg count=0 2>/dev/null && echo dev:open || echo dev:refused; "
                "echo proc:$(dd if=/proc/kmsg bs=1 count=1 iflag=nonblock 2>/dev/null | wc -c); "
                "awk '/^CapBnd/ {print $2}' /proc/self/status";
        Run run;

        for (int on = 0; on < 2; on++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("logs");

                u->private_mounts = true;
                u->protect_kernel_logs = u->protect_kernel_modules = u->protect_clock = on;
                run_sh(u, on ? script : "ls -A /usr/lib/modules | grep -q . && echo mods; "
                                         "dd if=/dev/kmsg count=0 2>/dev/null && echo dev:open || echo dev:refused",
                       &run);
                if (!on) {
                        CHECK(run.r == 0 && streq(chomp(&run), "mods\ndev:open"), "r=%d %s '%s'", run.r,
                              run.error.message, run.out);
                        continue;
                }
                CHECK(run.r == 0 && strneq(run.out, "0 0\ndev:refused\nproc:0\n", 23), "r=%d %s '%s'", run.r,
                      run.error.message, run.out);
                CHECK(!(cap_bnd(&run) & (CAP(CAP_SYS_MODULE) | CAP(CAP_SYSLOG) | CAP(CAP_SYS_TIME) |
                                         CAP(CAP_WAKE_ALARM))) &&
                      (cap_bnd(&run) & CAP(CAP_SYS_ADMIN)), "CapBnd %llx", cap_bnd(&run));
        }
}

/* PrivateDevices= with the host's /dev bound over the minimal one
 * (BindPaths=/dev wins on that path): /dev/kmsg is there again, and
 * ProtectKernelLogs='s entry for it must still cover it. The minimal /dev
 * alone has no kmsg (its entry is dropped from the plan). */
static void test_logs_host_dev(void) {
        const char *script = "dd if=/dev/kmsg count=0 2>/dev/null && echo dev:open || echo dev:refused; "
                             "test -c /dev/kmsg && echo dev:chr || echo dev:none";
        Run run;

        for (int bind = 0; bind < 2; bind++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("logs-dev");

                u->private_mounts = u->private_devices = u->protect_kernel_logs = true;
                if (bind)
                        unit_add_bind(u, "/dev", "/dev", false, false);
                run_sh(u, script, &run);
                CHECK(run.r == 0 && streq(chomp(&run), bind ? "dev:refused\ndev:chr" : "dev:refused\ndev:none"),
                      "BindPaths=%s: r=%d %s '%s'", bind ? "/dev" : "(none)", run.r, run.error.message, run.out);
        }
}

/* As nobody: the init (PID 1 of the service's PID namespace, root) is
 * another user's process. ProcSubset=pid: no /proc/meminfo, /proc/self
 * still there. */
static void test_proc(void) {
        const char *script = "test -e /proc/1/status && echo one:seen || echo one:hidden; "
                             "test -e /proc/self/status && echo self:seen; "
                             "test -e /proc/meminfo && echo meminfo:seen || echo meminfo:hidden; "
                             "id -u";
        Run run;

        for (int on = 0; on < 2; on++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("proc");

                u->private_pids = true;
                unit_set_str(&u->user, "nobody");
                if (on) {
                        u->protect_proc = PROTECT_PROC_INVISIBLE;
                        u->proc_subset = PROC_SUBSET_PID;
                }
                run_sh(u, script, &run);
                CHECK(run.r == 0 && streq(chomp(&run), on ? "one:hidden\nself:seen\nmeminfo:hidden\n65534"
                                                          : "one:seen\nself:seen\nmeminfo:seen\n65534"),
                      "on=%d r=%d %s '%s'", on, run.r, run.error.message, run.out);
        }
}

/* Without a PID namespace of its own: a new procfs of the host's, hidepid
 * applied, the host's PID 1 hidden. */
static void test_proc_host_pidns(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("proc-host");
        Run run;

        unit_set_str(&u->user, "nobody");
        u->protect_proc = PROTECT_PROC_NOACCESS;
        run_sh(u, "cat /proc/1/environ >/dev/null 2>&1 && echo one:read || echo one:refused; "
                  "awk '$5 == \"/proc\" { o = $NF } END { print o }' /proc/self/mountinfo", &run);
        CHECK(run.r == 0 && strneq(run.out, "one:refused\n", 12) && strstr(run.out, "hidepid=noaccess"),
              "r=%d %s '%s'", run.r, run.error.message, run.out);
}

/* The host's links against the service's: its own sysfs lists lo only,
 * read-only under ProtectKernelTunables=, with the cgroup tree bound back. */
static void test_sysfs_netns(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("sysfs");
        bool vm = getenv("CORRAL_VM"), dummy = false;
        char *host = NULL;
        Run run;

        (void) sh(&host, "ls /sys/class/net | wc -l");
        /* A VM without a network has lo only: give the host a link to hide. */
        if (vm && host && atoi(host) <= 1) {
                dummy = sh(NULL, "ip link add corral-kp0 type dummy") == 0;
                free(host);
                host = NULL;
                (void) sh(&host, "ls /sys/class/net | wc -l");
        }
        u->private_network = u->private_mounts = true;
        u->protect_kernel_tunables = true;
        run_sh(u, "echo $(ls /sys/class/net); "
                  "touch /sys/kernel/corral-kp 2>&1 | grep -q 'Read-only' && echo sysfs:ro || echo sysfs:rw; "
                  "test -e /proc/self/cgroup && ls /sys/fs/cgroup | grep -q . && echo cgroup:there", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "lo\nsysfs:ro\ncgroup:there"), "r=%d %s '%s'", run.r,
              run.error.message, run.out);
        if (vm || (host && atoi(host) > 1))
                CHECK(host && atoi(host) > 1, "the host lists %s link(s): the check above cannot fail",
                      host ? host : "?");
        if (dummy)
                (void) sh(NULL, "ip link del corral-kp0");
        free(host);
}

/* A launcher whose /sys has a mount the kernel table does not name (a
 * systemd host's securityfs, pstore, fuse): under a private network it is
 * hidden below the service's fresh sysfs, where its path is a plain
 * directory, no mount root to make read-only. The start must not fail on
 * it, and what the service sees there is its own read-only sysfs. Run in a
 * child with a mount namespace of its own, so the host's /sys is left alone. */
static void test_sysfs_hidden_mount(void) {
        int status = 0;
        pid_t pid = fork();

        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("sysfs-hidden");
                Run run;

                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("corral-kp", "/sys/kernel/mm", "tmpfs", 0, "size=4k") < 0) {
                        printf("a tmpfs on /sys/kernel/mm in a mount namespace of the test's own: %m\n");
                        fflush(stdout);
                        _exit(2);
                }
                u->private_network = u->private_mounts = true;
                u->protect_kernel_tunables = true;
                run_sh(u, "touch /sys/kernel/mm/corral-kp 2>&1 | grep -q 'Read-only' && echo mm:ro; "
                          "test -d /sys/kernel/mm/transparent_hugepage -o -d /sys/kernel/mm/ksm && echo mm:sysfs",
                       &run);
                if (run.r != 0 || !streq(chomp(&run), "mm:ro\nmm:sysfs")) {
                        printf("r=%d %s '%s'\n", run.r, run.error.message, run.out);
                        fflush(stdout);
                        _exit(1);
                }
                _exit(0);
        }
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "private network + ProtectKernelTunables= with a mount below the launcher's /sys: status %d "
              "(the child printed why above)", status);
}

/* Every key at once with the other sandboxing keys, as a hardened Debian
 * unit writes them (chrony's, systemd-timesyncd's): the entries overlap
 * (/proc/sys in a subset=pid /proc, /dev/kmsg in a private /dev, /sys
 * read-only under strict's writable /sys and a hidden /sys/kernel) and the
 * service still starts and sees what each key leaves. */
static void test_together(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("together");
        Run run;

        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->protect_home = PROTECT_HOME_YES;
        u->protect_control_groups = PROTECT_CGROUPS_YES;
        u->private_devices = u->private_tmp = u->private_network = u->private_mounts = true;
        u->protect_kernel_tunables = u->protect_kernel_modules = u->protect_kernel_logs = u->protect_clock = true;
        u->protect_proc = PROTECT_PROC_INVISIBLE;
        u->proc_subset = PROC_SUBSET_PID;
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, "/sys/kernel", false);
        run_sh(u, "echo $(ls /sys/class/net) $(ls -A /sys/kernel 2>&1 | wc -l) $(test -e /proc/sys && echo sys); "
                  "touch /sys/fs/corral-kp 2>&1 | grep -q 'Read-only' && echo sysfs:ro; "
                  "test -e /dev/kmsg || echo nokmsg; test -e /proc/self/status && echo proc", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "lo 0\nsysfs:ro\nnokmsg\nproc"), "r=%d %s '%s'", run.r,
              run.error.message, run.out);
}

int main(void) {
        require_root();
        test_tunables();
        test_logs();
        test_logs_host_dev();
        test_proc();
        test_proc_host_pidns();
        test_sysfs_netns();
        test_sysfs_hidden_mount();
        test_together();
        return finish("test-launch-kprotect");
}
