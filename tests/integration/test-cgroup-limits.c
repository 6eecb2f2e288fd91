/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enforcement of every resource key, in the VM (pure cgroup2, all
 * controllers): the kernel, not corral, must show each limit holding. Uses
 * the cgroup/ API exactly as the supervisor does. One program, so one VM
 * boot runs them all. Exits 77 outside the VM. */
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include "cg-test.h"
#include "strv.h"

static CgRoot *root;

static CgService *create(const char *name, const ResourceConfig *rc, CgServiceFlags flags) {
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        int r = cg_service_create(root, name, rc, flags, &s, &warnings, &err);

        CHECK(r == 0, "create %s: %s", name, err.message);
        CHECK(strv_length(warnings) == 0, "warnings: %s", warnings ? warnings[0] : "");
        strv_free(warnings);
        return s;
}

static void finish(CgService *s) {
        CrlError err = {};

        if (!s)
                return;
        if (cg_service_kill(s, 10 * USEC_PER_SEC, &err) < 0)
                printf("FAIL kill %s: %s\n", cg_service_name(s), err.message), failures++;
        if (cg_service_destroy(s, &err) < 0)
                printf("FAIL destroy %s: %s\n", cg_service_name(s), err.message), failures++;
        cg_service_free(s);
}

/* ---- MemoryMax=32M: a 200 MB allocation is OOM-killed ---- */
static int hog(void *arg) {
        size_t n = 200u << 20;
        volatile char *p = malloc(n);   /* volatile: the stores must happen */

        for (size_t i = 0; p && i < n; i += 4096)
                p[i] = 1;
        return 0;
}

static void test_memory(void) {
        ResourceConfig rc = rc_unset();
        CgService *s;
        CgEvents ev = {};
        CgStats st;
        int efd, pidfd, code = 0, status = 0;
        bool seen = false;

        /* Not OOMPolicy=kill here: with memory.oom.group the kernel counts
         * the victim twice in oom_kill (once as the victim, once as a group
         * member); test_live checks memory.oom.group. */
        printf("# MemoryMax=32M, MemorySwapMax=0\n");
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.memory_swap_max = (ResourceLimit) { LIMIT_VALUE, 0 };
        s = create("mem", &rc, 0);
        if (!s)
                return;
        CHECK(streq(file_of(s, "memory.max"), "33554432"), "memory.max=%s", file_of(s, "memory.max"));
        efd = cg_service_event_fd(s);
        CHECK(efd >= 0, "event fd: %s", strerror(-efd));
        pidfd = spawn_in(s, hog, NULL, NULL);
        CHECK(pidfd >= 0, "clone3: %s", strerror(-pidfd));
        /* the oom_kill arrives through the event fd */
        while (!seen && poll(&(struct pollfd) { .fd = efd, .events = POLLIN }, 1, 30000) == 1) {
                CHECK(cg_service_process_events(s, &ev) == 0, "process events");
                seen = ev.mask & CG_EVENT_OOM_KILL;
        }
        CHECK(seen, "no CG_EVENT_OOM_KILL within 30 s (mask %#x)", ev.mask);
        CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "hog ended with code %d status %d", code, status);
        CHECK(cg_service_stats(s, &st) == 0 && st.oom_kills == 1, "OOMKills=%llu", (unsigned long long) st.oom_kills);
        CHECK(st.memory_peak >= (30u << 20) && st.memory_peak <= (33u << 20), "MemoryPeak=%llu",
              (unsigned long long) st.memory_peak);
        CHECK(st.memory_max == 32u << 20, "MemoryMax=%llu", (unsigned long long) st.memory_max);
        close(pidfd);
        finish(s);
}

/* ---- OOMPolicy=kill: the whole group goes, each process counted once ---- */
static int sleeper(void *arg) {
        for (;;)
                pause();
        return 0;
}

static void test_memory_group(void) {
        ResourceConfig rc = rc_unset();
        int p1, p2, code = 0, status = 0;
        CgService *s;
        CgStats st;

        printf("# MemoryMax=32M, OOMPolicy=kill, two processes\n");
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.memory_swap_max = (ResourceLimit) { LIMIT_VALUE, 0 };
        s = create("memgroup", &rc, CG_SERVICE_OOM_GROUP);
        if (!s)
                return;
        CHECK(streq(file_of(s, "memory.oom.group"), "1"), "memory.oom.group=%s", file_of(s, "memory.oom.group"));
        p1 = spawn_in(s, sleeper, NULL, NULL);
        p2 = spawn_in(s, hog, NULL, NULL);
        CHECK(wait_pidfd(p2, &code, &status) == 0 && code == CLD_KILLED, "hog: code %d", code);
        CHECK(wait_pidfd(p1, &code, &status) == 0 && code == CLD_KILLED, "sleeper survived: code %d", code);
        CHECK(cg_service_stats(s, &st) == 0 && st.oom_kills == 2, "OOMKills=%llu (memory.events: %s)",
              (unsigned long long) st.oom_kills, file_of(s, "memory.events"));
        close(p1);
        close(p2);
        finish(s);
}

/* ---- TasksMax=10: a fork loop gets EAGAIN at 10 tasks ---- */
static int fork_loop(void *arg) {
        int *out = arg, n = 0;

        for (;;) {
                pid_t p = fork();

                if (p == 0) {
                        pause();
                        _exit(0);
                }
                if (p < 0)
                        break;
                n++;
        }
        out[0] = n;
        out[1] = errno;
        return 0;
}

static void test_tasks(void) {
        ResourceConfig rc = rc_unset();
        int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int pidfd, code, status;
        CgService *s;
        CgStats st;

        printf("# TasksMax=10\n");
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        s = create("tasks", &rc, 0);
        if (!s)
                return;
        pidfd = spawn_in(s, fork_loop, shared, NULL);
        CHECK(pidfd >= 0 && wait_pidfd(pidfd, &code, &status) == 0, "fork loop ran");
        CHECK(shared[0] == 9 && shared[1] == EAGAIN, "forks before failing: %d (want 9: 10 tasks), errno %s",
              shared[0], strerror(shared[1]));
        CHECK(cg_service_stats(s, &st) == 0 && st.tasks_max_hit > 0, "pids.events max=%llu",
              (unsigned long long) st.tasks_max_hit);
        CHECK(st.tasks_max == 10, "TasksMax=%llu", (unsigned long long) st.tasks_max);
        close(pidfd);
        munmap(shared, 4096);
        finish(s);
}

/* ---- CPUQuota=20%: a spinner gets <= ~25% of one CPU ---- */
static int spin(void *arg) {
        for (volatile unsigned long i = 0;; i++)
                ;
        return 0;
}

static void test_cpu(void) {
        ResourceConfig rc = rc_unset();
        CgStats a, b;
        CgService *s;
        int pidfd;

        printf("# CPUQuota=20%%\n");
        rc.cpu_quota_per_sec_usec = 200000;
        s = create("cpu", &rc, 0);
        if (!s)
                return;
        CHECK(streq(file_of(s, "cpu.max"), "20000 100000"), "cpu.max=%s", file_of(s, "cpu.max"));
        pidfd = spawn_in(s, spin, NULL, NULL);
        msleep(300);
        CHECK(cg_service_stats(s, &a) == 0, "stats");
        msleep(3000);
        CHECK(cg_service_stats(s, &b) == 0, "stats");
        printf("# spinner used %llu us of 3 s\n", (unsigned long long) (b.cpu_usage_usec - a.cpu_usage_usec));
        CHECK(b.cpu_usage_usec - a.cpu_usage_usec <= 750000, "used %llu us in 3 s (> 25%%)",
              (unsigned long long) (b.cpu_usage_usec - a.cpu_usage_usec));
        CHECK(b.cpu_usage_usec - a.cpu_usage_usec >= 150000, "used only %llu us in 3 s: did it run?",
              (unsigned long long) (b.cpu_usage_usec - a.cpu_usage_usec));
        CHECK(b.cpu_quota_per_sec_usec == 200000, "CPUQuotaPerSecUSec=%llu",
              (unsigned long long) b.cpu_quota_per_sec_usec);
        close(pidfd);
        finish(s);
}

/* ---- AllowedCPUs=0 ---- */
static int affinity(void *arg) {
        cpu_set_t set;

        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return 100;
        return CPU_ISSET(0, &set) ? CPU_COUNT(&set) : 101;
}

static void test_cpuset(void) {
        ResourceConfig rc = rc_unset();
        int pidfd, code = 0, status = 0;
        CgService *s;

        printf("# AllowedCPUs=0 (VM has %ld CPUs)\n", sysconf(_SC_NPROCESSORS_ONLN));
        rc.allowed_cpus = (char *) "0";
        rc.allowed_memory_nodes = (char *) "0";
        s = create("cpuset", &rc, 0);
        if (!s)
                return;
        CHECK(streq(file_of(s, "cpuset.cpus.effective"), "0"), "cpuset.cpus.effective=%s",
              file_of(s, "cpuset.cpus.effective"));
        pidfd = spawn_in(s, affinity, NULL, NULL);
        CHECK(pidfd >= 0 && wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_EXITED && status == 1,
              "sched_getaffinity: %d CPUs (100: failed, 101: CPU 0 missing)", status);
        close(pidfd);
        finish(s);
}

/* A whole disk the VM has, as /dev/NAME. */
static int find_disk(char *path, size_t size, dev_t *ret) {
        DIR *d = opendir("/sys/block");
        int r = -ENOENT;

        for (struct dirent *de; d && r < 0 && (de = readdir(d));) {
                char p[PATH_MAX], *dev = NULL;
                unsigned ma, mi;
                struct stat st;

                if (de->d_name[0] == '.' || strneq(de->d_name, "loop", 4))
                        continue;
                (void) snprintf(p, sizeof(p), "/sys/block/%s/dev", de->d_name);
                if (read_line_at(AT_FDCWD, p, &dev) < 0)
                        continue;
                (void) snprintf(path, size, "/dev/%s", de->d_name);
                if (sscanf(dev, "%u:%u", &ma, &mi) == 2 && stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
                        *ret = makedev(ma, mi);
                        r = 0;
                }
                free(dev);
        }
        if (d)
                closedir(d);
        return r;
}

static void test_io(void) {
        ResourceConfig rc = rc_unset();
        char disk[PATH_MAX], want[128];
        IODeviceValue rbw, wiops;
        CgService *s;
        dev_t dev;

        /* the VM has no disk (its / is 9p): a RAM disk stands in */
        if (find_disk(disk, sizeof(disk), &dev) < 0 && system("modprobe brd rd_nr=1 rd_size=4096") != 0)
                printf("# modprobe brd failed\n");
        if (find_disk(disk, sizeof(disk), &dev) < 0) {
                printf("FAIL IO keys: no block device in the VM\n");
                failures++;
                return;
        }
        printf("# IOReadBandwidthMax=%s 1M, IOWriteIOPSMax=%s 100, IOWeight=200\n", disk, disk);
        rbw = (IODeviceValue) { disk, 1 << 20 };
        wiops = (IODeviceValue) { disk, 100 };
        rc.io_read_bandwidth_max = &rbw;
        rc.n_io_read_bandwidth_max = 1;
        rc.io_write_iops_max = &wiops;
        rc.n_io_write_iops_max = 1;
        rc.io_weight = 200;
        s = create("io", &rc, 0);
        if (!s)
                return;
        (void) snprintf(want, sizeof(want), "%u:%u rbps=1048576 wbps=max riops=max wiops=100",
                        major(dev), minor(dev));
        CHECK(streq(file_of(s, "io.max"), want), "io.max=%s, want %s", file_of(s, "io.max"), want);
        CHECK(strstr(file_of(s, "io.weight"), "default 200"), "io.weight=%s", file_of(s, "io.weight"));
        finish(s);
}

/* ---- Freeze: the counter stops, thaw resumes it ---- */
static int count(void *arg) {
        volatile unsigned long *c = arg;

        for (;;)
                (*c)++;
        return 0;
}

static void test_freeze(void) {
        volatile unsigned long *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ResourceConfig rc = rc_unset();
        unsigned long c1, c2, c3;
        CrlError err = {};
        CgEvents ev = {};
        CgService *s;
        int pidfd;

        printf("# freeze/thaw\n");
        s = create("freeze", &rc, 0);
        if (!s)
                return;
        (void) cg_service_event_fd(s);
        pidfd = spawn_in(s, count, (void *) c, NULL);
        msleep(200);
        CHECK(*c > 0, "the counter never moved");
        CHECK(cg_service_freeze(s, 10 * USEC_PER_SEC, &err) == 0, "freeze: %s", err.message);
        c1 = *c;
        msleep(500);
        c2 = *c;
        CHECK(c1 == c2, "frozen counter moved from %lu to %lu", c1, c2);
        CHECK(streq(file_of(s, "cgroup.freeze"), "1"), "cgroup.freeze=%s", file_of(s, "cgroup.freeze"));
        CHECK(cg_service_process_events(s, &ev) == 0 && (ev.mask & CG_EVENT_FROZEN), "mask %#x", ev.mask);
        CHECK(cg_service_thaw(s, 10 * USEC_PER_SEC, &err) == 0, "thaw: %s", err.message);
        msleep(300);
        c3 = *c;
        CHECK(c3 > c2, "thawed counter stuck at %lu", c3);
        CHECK(cg_service_process_events(s, &ev) == 0 && (ev.mask & CG_EVENT_THAWED), "mask %#x", ev.mask);
        close(pidfd);
        finish(s);
        munmap((void *) c, 4096);
}

/* ---- Kill: 50 processes that ignore SIGTERM ---- */
static void test_kill(void) {
        ResourceConfig rc = rc_unset();
        int pidfd, code = 0, status = 0, n;
        CrlError err = {};
        CgService *s;
        CgStats st = {};

        printf("# kill a tree of 50 that ignores SIGTERM\n");
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 100 };
        s = create("kill", &rc, 0);
        if (!s)
                return;
        pidfd = cg_test_start_tree(s);
        n = cg_service_signal(s, SIGTERM, &err);
        CHECK(n == 50, "SIGTERM sent to %d: %s", n, err.message);
        msleep(300);
        CHECK(cg_service_stats(s, &st) == 0 && st.tasks_current == 50, "after SIGTERM: %llu",
              (unsigned long long) st.tasks_current);
        CHECK(cg_service_kill(s, 10 * USEC_PER_SEC, &err) == 0, "kill: %s", err.message);
        CHECK(cg_service_is_populated(s) == 0, "still populated");
        CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "main ended with code %d status %d", code, status);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy: %s", err.message);
        CHECK(faccessat(cg_root_fd(root), "kill.service", F_OK, 0) < 0 && errno == ENOENT, "directory left");
        cg_service_free(s);
        close(pidfd);
}

/* ---- Bad values: named, nothing left ---- */
static void test_bad_value(void) {
        ResourceConfig rc = rc_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        int r;

        printf("# a value the kernel rejects\n");
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.allowed_cpus = (char *) "1000";
        r = cg_service_create(root, "bad", &rc, 0, &s, &warnings, &err);
        printf("# %s\n", err.message);
        CHECK(r < 0 && strstr(err.message, "cpuset.cpus") && strstr(err.message, "'1000'"), "r=%d: %s", r,
              err.message);
        CHECK(faccessat(cg_root_fd(root), "bad.service", F_OK, 0) < 0 && errno == ENOENT, "bad.service left");
        cg_service_free(s);
}

/* ---- Live changes ---- */
static void test_live(void) {
        ResourceConfig rc = rc_unset();
        char **warnings = NULL;
        CrlError err = {};
        CgService *s;

        printf("# live change of limits\n");
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        s = create("live", &rc, 0);
        if (!s)
                return;
        rc.memory_max = (ResourceLimit) { LIMIT_PERCENT, 5000 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 42 };
        CHECK(cg_service_apply(s, &rc, CG_SERVICE_OOM_GROUP, &warnings, &err) == 0, "apply: %s", err.message);
        CHECK(streq(file_of(s, "memory.oom.group"), "1"), "memory.oom.group=%s", file_of(s, "memory.oom.group"));
        CHECK(strtoull(file_of(s, "memory.max"), NULL, 10) ==
              (cg_root_system(root)->memory_total / 2) / 4096 * 4096, "memory.max=%s (RAM %llu)", file_of(s, "memory.max"),
              (unsigned long long) cg_root_system(root)->memory_total);
        CHECK(streq(file_of(s, "pids.max"), "42"), "pids.max=%s", file_of(s, "pids.max"));
        rc = rc_unset();
        CHECK(cg_service_apply(s, &rc, 0, &warnings, &err) == 0, "apply: %s", err.message);
        CHECK(streq(file_of(s, "memory.max"), "max"), "memory.max=%s", file_of(s, "memory.max"));
        CHECK(streq(file_of(s, "pids.max"), "max"), "pids.max=%s", file_of(s, "pids.max"));
        CHECK(streq(file_of(s, "memory.oom.group"), "0"), "memory.oom.group=%s", file_of(s, "memory.oom.group"));
        finish(s);
}

/* ---- A delegated cgroup becomes the root; corrald moves to a leaf ---- */
static int delegated_child(const CgProbe *probe, const char *deleg) {
        _cleanup_free_ char *self = NULL;
        ResourceConfig rc = rc_unset();
        CgRoot *r = NULL;
        CgService *s = NULL;
        char **warnings = NULL, want[PATH_MAX];
        CrlError err = {};

        if (cg_root_open(probe, NULL, 0, &r, &err) < 0)
                return printf("FAIL root: %s\n", err.message), 1;
        if (!cg_root_delegated(r) || !streq(cg_root_path(r), deleg))
                return printf("FAIL root %s delegated=%d\n", cg_root_path(r), cg_root_delegated(r)), 1;
        (void) read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL);
        (void) snprintf(want, sizeof(want), "0::%s/corrald\n", deleg);
        if (!self || !streq(self, want))
                return printf("FAIL /proc/self/cgroup: %s", self), 1;
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 5 };
        if (cg_service_create(r, "d", &rc, 0, &s, &warnings, &err) < 0)
                return printf("FAIL create in delegated root: %s\n", err.message), 1;
        if (!streq(file_of(s, "pids.max"), "5"))
                return printf("FAIL pids.max=%s\n", file_of(s, "pids.max")), 1;
        (void) cg_service_destroy(s, NULL);
        return 0;
}

static void test_delegated(const CgProbe *probe) {
        char deleg[64], path[PATH_MAX];
        int code = 0, status = 0;
        pid_t pid;

        printf("# delegated cgroup (trusted.delegate=1)\n");
        (void) snprintf(deleg, sizeof(deleg), "/corral-deleg-%d", (int) getpid());
        (void) snprintf(path, sizeof(path), "%s%s", probe->mount, deleg);
        CHECK(mkdir(path, 0755) == 0, "mkdir %s: %m", path);
        CHECK(setxattr(path, "trusted.delegate", "1", 1, 0) == 0, "setxattr: %m");
        /* what systemd does for Delegate=yes: the parent passes pids on */
        (void) write_string_at(AT_FDCWD, "/sys/fs/cgroup/cgroup.subtree_control", "+pids");
        pid = fork();
        if (pid == 0) {
                char p[32];

                (void) snprintf(p, sizeof(p), "%d", (int) getpid());
                (void) snprintf(path + strlen(path), sizeof(path) - strlen(path), "/cgroup.procs");
                if (write_string_at(AT_FDCWD, path, p) < 0)
                        _exit(2);
                _exit(delegated_child(probe, deleg));
        }
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "delegated child failed (%d)", status);
        (void) code;
        (void) snprintf(path, sizeof(path), "%s%s/corrald", probe->mount, deleg);
        CHECK(rmdir(path) == 0, "rmdir %s: %m", path);
        (void) snprintf(path, sizeof(path), "%s%s", probe->mount, deleg);
        CHECK(rmdir(path) == 0, "rmdir %s: %m", path);
}

int main(void) {
        const char *where = getenv("CORRAL_TEST_WHERE");
        char override[64];
        CrlError err = {};
        CgProbe probe;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!where || !streq(where, "vm"))
                return printf("needs the VM (cgroup2 with every controller): CORRAL_TEST_WHERE=vm\n"), 77;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || probe.mode != CG_MODE_UNIFIED)
                return printf("no unified cgroup2 here: %s\n", err.message), 77;
        (void) snprintf(override, sizeof(override), "/corral-test-%d", (int) getpid());
        if (cg_root_open(&probe, override, 0, &root, &err) < 0)
                return printf("FAIL root: %s\n", err.message), 1;
        printf("# root %s%s, controllers %#x\n", cg_root_mount(root), cg_root_path(root), cg_root_controllers(root));
        test_memory();
        test_memory_group();
        test_tasks();
        test_cpu();
        test_cpuset();
        test_io();
        test_freeze();
        test_kill();
        test_bad_value();
        test_live();
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        CHECK(faccessat(AT_FDCWD, at_mount(root, override), F_OK, 0) < 0 && errno == ENOENT, "root left");
        cg_root_free(root);
        test_delegated(&probe);
        printf("%s\n", failures ? "FAILED" : "all passed");
        return failures ? 1 : 0;
}
