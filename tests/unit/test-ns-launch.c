/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parts of the launcher: uid_map strings, step and mount names, the
 * namespace flags a unit asks for, the order of the mount plan, the status
 * record's text; and one unprivileged asynchronous launch (no namespaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-plan.h"
#include "strv.h"

static void test_map_strings(void **state) {
        char buf[128];

        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_SELF, 0, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 1\n");
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_SELF, 1000, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 1\n1000 1000 1\n");
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_IDENTITY, 1000, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 65536\n");
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_PICK, 0, 0x80000, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 524288 65536\n");
        /* a pick base below the range or not on a range boundary is a bug */
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_PICK, 0, 0x1000, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_PICK, 0, 0x80001, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_NO, 0, 0, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ns_userns_map_string(PRIVATE_USERS_SELF, 1000, 0, buf, 8), -ENOBUFS);
}

static void test_gid_map_strings(void **state) {
        static char buf[NS_USERNS_MAP_SIZE];
        const gid_t groups[] = { 1000, 0, 4, 27, 4, 100 };
        gid_t many[400];

        /* self: root, the gid, each group once (0 and the gid are there already) */
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 1000, groups, 6, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 1\n1000 1000 1\n4 4 1\n27 27 1\n100 100 1\n");
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 0, groups, 3, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 1\n1000 1000 1\n4 4 1\n");
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 0, NULL, 0, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 1\n");
        /* other modes map a range; the groups are ids inside it */
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_IDENTITY, 1000, groups, 6, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 65536\n");
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_PICK, 4, groups, 6, 0x90000, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 589824 65536\n");
        /* the kernel's 340 lines: root, the gid and 338 groups */
        for (size_t i = 0; i < 400; i++)
                many[i] = 2000 + (gid_t) i;
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 1000, many, 338, 0, buf, sizeof(buf)), 0);
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 1000, many, 339, 0, buf, sizeof(buf)), -E2BIG);
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 1000, many, 400, 0, buf, sizeof(buf)), -E2BIG);
        /* ... and shorter than a page */
        for (size_t i = 0; i < 400; i++)
                many[i] = 2000000000 + (gid_t) i;
        assert_int_equal(ns_userns_gid_map_string(PRIVATE_USERS_SELF, 1000, many, 200, 0, buf, sizeof(buf)), -ENOBUFS);
}

static void test_step_names(void **state) {
        for (int s = 0; s < _NS_STEP_MAX; s++) {
                assert_non_null(ns_step_to_string(s));
                for (int t = 0; t < s; t++)
                        assert_string_not_equal(ns_step_to_string(s), ns_step_to_string(t));
        }
        assert_null(ns_step_to_string(_NS_STEP_MAX));
        assert_null(ns_step_to_string(-1));
        assert_string_equal(ns_step_to_string(NS_STEP_MOUNT), "mount");
        assert_string_equal(ns_step_to_string(NS_STEP_EXEC), "exec");
        for (int k = 0; k < _NS_MOUNT_KIND_MAX; k++)
                assert_non_null(ns_mount_kind_to_string(k));
}

/* ns_exec -u USER's passwd parser, which runs in the child (read(), stack
 * buffers): whole names only, malformed lines skipped, long lines and a
 * last line without a newline handled. */
static int passwd_find(const char *text, const char *user, uid_t *uid, gid_t *gid) {
        int fds[2], r;

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t) strlen(text));
        close(fds[1]);
        r = ns_passwd_find(fds[0], user, uid, gid);
        close(fds[0]);
        return r;
}

static void test_passwd_find(void **state) {
        static char big[12000];
        uid_t uid = 7;
        gid_t gid = 7;

        assert_int_equal(passwd_find("root:x:0:0::/root:/bin/sh\nweb:x:1000:1001:Web:/srv:/bin/sh\n", "web", &uid, &gid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(gid, 1001);
        assert_int_equal(passwd_find("webx:x:5:5::/:\nwe:x:6:6::/:\n", "web", &uid, &gid), -ESRCH);
        assert_int_equal(uid, 1000);    /* untouched on failure */
        assert_int_equal(passwd_find("web:x:abc:5::/:\nweb:x:5\nweb:x::5::/:\nweb:x:4294967295:5::/:\n", "web", &uid, &gid), -ESRCH);
        assert_int_equal(passwd_find("a:x:1:1::/:\nweb:x:42:43::/:/bin/sh", "web", &uid, &gid), 0);
        assert_int_equal(uid, 42);
        assert_int_equal(gid, 43);
        assert_int_equal(passwd_find("", "web", &uid, &gid), -ESRCH);
        /* a line longer than the buffers before it, and one with a huge GECOS */
        memset(big, 'g', sizeof(big) - 1);
        memcpy(big, "long:x:1:1:", 11);
        big[5000] = '\n';
        memcpy(big + 5001, "web:x:77:78:", 12);
        big[sizeof(big) - 2] = '\n';
        assert_int_equal(passwd_find(big, "web", &uid, &gid), 0);
        assert_int_equal(uid, 77);
        assert_int_equal(gid, 78);
        assert_int_equal(passwd_find(big, "long", &uid, &gid), 0);
        assert_int_equal(uid, 1);
}

static void test_describe(void **state) {
        NsMountOp op = { .kind = NS_MOUNT_BIND, .source = (char *) "/srv/data", .target = (char *) "/data" };
        char buf[128];

        ns_mount_describe(&op, buf, sizeof(buf));
        assert_string_equal(buf, "bind mount /srv/data -> /data");
        op.kind = NS_MOUNT_READ_ONLY;
        ns_mount_describe(&op, buf, sizeof(buf));
        assert_string_equal(buf, "make /data read-only");
        op.kind = NS_MOUNT_PROC;
        ns_mount_describe(&op, buf, sizeof(buf));
        assert_string_equal(buf, "mount proc on /data");
        op.options = (char *) "hidepid=invisible";
        ns_mount_describe(&op, buf, sizeof(buf));
        assert_string_equal(buf, "mount proc (hidepid=invisible) on /data");
}

static UnitConfig *unit(void) {
        UnitConfig *u = NULL;

        assert_int_equal(unit_config_new("t", &u), 0);
        return u;
}

static void test_flags(void **state) {
        UnitConfig *u = unit();

        assert_int_equal(ns_unit_namespace_flags(u), 0);
        u->private_pids = true;
        assert_int_equal(ns_unit_namespace_flags(u), CLONE_NEWPID | CLONE_NEWNS);
        u->private_pids = false;
        u->protect_system = PROTECT_SYSTEM_FULL;
        assert_int_equal(ns_unit_namespace_flags(u), CLONE_NEWNS);
        u->protect_system = PROTECT_SYSTEM_NO;
        /* the kernel protections and a new /proc are mounts; ProtectClock= is not */
        u->protect_clock = true;
        assert_int_equal(ns_unit_namespace_flags(u), 0);
        u->proc_subset = PROC_SUBSET_PID;
        assert_int_equal(ns_unit_namespace_flags(u), CLONE_NEWNS);
        u->proc_subset = PROC_SUBSET_ALL;
        u->protect_kernel_logs = true;
        assert_int_equal(ns_unit_namespace_flags(u), CLONE_NEWNS);
        u->protect_system = PROTECT_SYSTEM_FULL;
        u->hostname = strdup("h");
        u->private_network = u->private_ipc = u->private_time = true;
        u->private_users = PRIVATE_USERS_PICK;
        u->protect_control_groups = PROTECT_CGROUPS_STRICT;
        assert_int_equal(ns_unit_namespace_flags(u), CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWIPC |
                                                      CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME);
        /* read-only /sys/fs/cgroup needs a mount namespace but no cgroup namespace */
        u->protect_control_groups = PROTECT_CGROUPS_YES;
        assert_false(ns_unit_namespace_flags(u) & CLONE_NEWCGROUP);
        /* joining replaces making: no new net or ipc namespace */
        u->joins_namespace_of = calloc(2, sizeof(char *));
        u->joins_namespace_of[0] = strdup("other");
        assert_false(ns_unit_namespace_flags(u) & (CLONE_NEWNET | CLONE_NEWIPC));
        u->joins_namespace_of[0] = (free(u->joins_namespace_of[0]), NULL);
        u->network_namespace_path = strdup("/run/netns/x");
        assert_false(ns_unit_namespace_flags(u) & CLONE_NEWNET);
        assert_true(ns_unit_namespace_flags(u) & CLONE_NEWIPC);
        /* VirtualEthernet= implies PrivateNetwork= */
        free(u->network_namespace_path);
        u->network_namespace_path = NULL;
        u->private_network = false;
        u->network.virtual_ethernet = true;
        assert_true(ns_unit_namespace_flags(u) & CLONE_NEWNET);
        unit_config_free(u);
}

/* A '+' command's unit: every sandbox setting of the unit off, so no
 * namespace at all; its process settings kept. */
static void test_unsandboxed(void **state) {
        UnitConfig *u = unit(), v;

        u->private_pids = u->private_network = u->private_ipc = u->private_time = u->private_tmp = true;
        u->private_devices = u->private_mounts = u->no_new_privileges = true;
        u->private_users = PRIVATE_USERS_SELF;
        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->protect_home = PROTECT_HOME_YES;
        u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
        u->protect_kernel_tunables = u->protect_kernel_modules = u->protect_kernel_logs = u->protect_clock = true;
        u->protect_proc = PROTECT_PROC_INVISIBLE;
        u->proc_subset = PROC_SUBSET_PID;
        u->hostname = strdup("h");
        u->root_directory = strdup("/srv/root");
        u->network.virtual_ethernet = true;
        u->capability_bounding_set_set = true;
        u->ambient_capabilities = 1;
        u->user = strdup("nobody");
        u->working_directory = strdup("/tmp");
        u->umask = 077;
        u->nice_set = true;
        u->nice = 5;
        u->limit_nofile = (UnitRlimit) { .set = true, .rlim = { 10, 20 } };
        assert_int_equal(strv_extend(&u->environment, "A=1"), 0);
        assert_int_not_equal(ns_unit_namespace_flags(u), 0);

        unit_config_unsandboxed(u, &v);
        assert_int_equal(ns_unit_namespace_flags(&v), 0);
        assert_null(v.root_directory);
        assert_null(v.hostname);
        assert_false(v.private_tmp || v.private_devices || v.no_new_privileges || v.capability_bounding_set_set);
        assert_int_equal(v.ambient_capabilities, 0);
        assert_int_equal(v.protect_system, PROTECT_SYSTEM_NO);
        assert_int_equal(v.protect_home, PROTECT_HOME_NO);
        assert_false(v.network.virtual_ethernet);
        assert_false(v.protect_kernel_tunables || v.protect_kernel_modules || v.protect_kernel_logs || v.protect_clock);
        assert_int_equal(v.protect_proc, PROTECT_PROC_DEFAULT);
        assert_int_equal(v.proc_subset, PROC_SUBSET_ALL);
        assert_ptr_equal(v.name, u->name);
        assert_ptr_equal(v.user, u->user);
        assert_ptr_equal(v.environment, u->environment);
        assert_ptr_equal(v.working_directory, u->working_directory);
        assert_int_equal(v.umask, 077);
        assert_true(v.nice_set);
        assert_int_equal(v.nice, 5);
        assert_true(v.limit_nofile.set);
        assert_int_equal(v.limit_nofile.rlim.rlim_max, 20);
        unit_config_free(u);    /* v borrowed: nothing of its own to free */
}

static void add_opt_path(PathSpec **specs, size_t *n, const char *path, bool optional) {
        *specs = realloc(*specs, (*n + 1) * sizeof(PathSpec));
        assert_non_null(*specs);
        (*specs)[(*n)++] = (PathSpec) { .path = strdup(path), .ignore_missing = optional };
}

static void add_path(PathSpec **specs, size_t *n, const char *path) {
        add_opt_path(specs, n, path, false);
}

/* One order for every entry: by target, a path before what is below it; on
 * one path the more restrictive entry wins and read-only sticks. */
static void test_mount_order(void **state) {
        UnitConfig *u = unit();
        NsPlan plan = NS_PLAN_INIT;
        NsLaunchParams p;
        CrlError e = {};
        static const char *const want[][3] = {
                { "read-only", "/", "ro" },
                { "bind", "/data", "ro" },              /* ReadOnlyPaths=/data folded in */
                { "bind", "/dev", "rw" },               /* beats strict's read-write /dev */
                { "proc", "/proc", "rw" },
                { "bind", "/sys", "rw" },
                { "cgroup2", "/sys/fs/cgroup", "rw" },
                { "read-only", "/var", "ro" },          /* written after /var/lib/x */
                { "read-write", "/var/lib/x", "rw" },
        };

        u->root_directory = strdup("/srv/root");
        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->private_pids = true;
        u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
        add_path(&u->read_write_paths, &u->n_read_write_paths, "/var/lib/x/");
        add_path(&u->read_only_paths, &u->n_read_only_paths, "//var");
        add_path(&u->read_only_paths, &u->n_read_only_paths, "/data");
        u->bind_paths = calloc(2, sizeof(BindMount));
        u->bind_paths[0] = (BindMount) { .source = strdup("/srv/data"), .destination = strdup("/data"), .recursive = true };
        u->bind_paths[1] = (BindMount) { .source = strdup("/srv/other"), .destination = strdup("/data"), .recursive = true };
        u->n_bind_paths = 2;
        ns_launch_params_init(&p, u);
        plan.clone_flags = ns_unit_namespace_flags(u);
        assert_int_equal(ns_mount_plan(&p, &plan, &e), 0);
        assert_int_equal(plan.n_mounts, ELEMENTSOF(want));
        for (size_t i = 0; i < plan.n_mounts; i++) {
                assert_string_equal(ns_mount_kind_to_string(plan.mounts[i].kind), want[i][0]);
                assert_string_equal(plan.mounts[i].target, want[i][1]);
                assert_int_equal(plan.mounts[i].read_only, streq(want[i][2], "ro"));
        }
        assert_string_equal(plan.mounts[1].source, "/srv/data");       /* the first BindPaths= wins */
        ns_mount_plan_free(&plan);
        unit_config_free(u);
}

static const NsMountOp *find_op(const NsPlan *plan, const char *target) {
        for (size_t i = 0; i < plan->n_mounts; i++)
                if (streq(plan->mounts[i].target, target))
                        return &plan->mounts[i];
        return NULL;
}

/* The kernel protections and a private network's sysfs in the plan
 * (systemd 252's tables), merged with the API filesystems. */
static void test_mount_kernel(void **state) {
        UnitConfig *u = unit();
        NsPlan plan = NS_PLAN_INIT;
        char rt[] = "/tmp/corral-test-kp-XXXXXX", cmd[64];
        const NsMountOp *op;
        NsLaunchParams p;
        CrlError e = {};

        assert_non_null(mkdtemp(rt));
        u->protect_kernel_tunables = u->protect_kernel_modules = u->protect_kernel_logs = true;
        u->protect_proc = PROTECT_PROC_INVISIBLE;
        u->proc_subset = PROC_SUBSET_PID;
        u->private_network = u->private_mounts = true;
        ns_launch_params_init(&p, u);
        p.runtime_dir = rt;
        plan.clone_flags = ns_unit_namespace_flags(u);
        assert_true(plan.clone_flags & CLONE_NEWNS);
        assert_int_equal(ns_mount_plan(&p, &plan, &e), 0);
        assert_non_null(op = find_op(&plan, "/proc"));
        assert_int_equal(op->kind, NS_MOUNT_PROC);
        assert_string_equal(op->options, "hidepid=invisible,subset=pid");
        assert_non_null(op = find_op(&plan, "/sys"));
        assert_int_equal(op->kind, NS_MOUNT_SYSFS);     /* beats the read-only entry ... */
        assert_true(op->read_only);                     /* ... which sticks */
        assert_non_null(op = find_op(&plan, "/sys/fs/cgroup"));
        assert_int_equal(op->kind, NS_MOUNT_BIND);      /* the host's tree back, writable */
        assert_false(op->read_only);
        assert_non_null(op = find_op(&plan, "/proc/sys"));
        assert_true(op->kind == NS_MOUNT_READ_ONLY && op->optional);
        assert_non_null(op = find_op(&plan, "/proc/kcore"));
        assert_int_equal(op->kind, NS_MOUNT_INACCESSIBLE);
        assert_true(strlen(op->source) > 4 && streq(op->source + strlen(op->source) - 4, "/reg"));
        assert_non_null(op = find_op(&plan, "/dev/kmsg"));
        assert_int_equal(op->kind, NS_MOUNT_INACCESSIBLE);
        assert_non_null(find_op(&plan, "/usr/lib/modules"));
        assert_non_null(find_op(&plan, "/proc/kmsg"));
        ns_mount_plan_free(&plan);
        unit_config_free(u);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", rt);
        assert_int_equal(system(cmd), 0);
}

/* The plan for u with the kernel protections and PrivateDevices= (and a
 * private network unless host_net), in the runtime dir rt. */
static void plan_pruned(UnitConfig *u, const char *rt, bool host_net, NsPlan *plan) {
        NsLaunchParams p;
        CrlError e = {};

        u->protect_kernel_tunables = u->protect_kernel_logs = true;
        u->private_mounts = u->private_devices = true;
        u->private_network = !host_net;
        ns_launch_params_init(&p, u);
        p.runtime_dir = rt;
        plan->clone_flags = ns_unit_namespace_flags(u);
        assert_int_equal(ns_mount_plan(&p, plan, &e), 0);
}

/* Entries that would mount nothing the service could tell apart are
 * dropped from the plan (plan_prune()), and only those. */
static void test_mount_prune(void **state) {
        char rt[] = "/tmp/corral-test-prune-XXXXXX", cmd[64];
        const NsMountOp *op;

        assert_non_null(mkdtemp(rt));
        {
                /* /dev/kmsg in the minimal /dev, which never has it; the
                 * sysfs table's directories below the read-only fresh /sys. */
                UnitConfig *u = unit();
                NsPlan plan = NS_PLAN_INIT;

                add_opt_path(&u->inaccessible_paths, &u->n_inaccessible_paths, "/dev/sda", true);
                add_opt_path(&u->inaccessible_paths, &u->n_inaccessible_paths, "/dev/sdb", false);
                add_opt_path(&u->read_only_paths, &u->n_read_only_paths, "/dev/null", true);
                plan_pruned(u, rt, false, &plan);
                assert_null(find_op(&plan, "/dev/kmsg"));
                assert_null(find_op(&plan, "/dev/sda"));
                assert_non_null(find_op(&plan, "/dev/sdb"));   /* not optional: its absence is an error */
                assert_non_null(find_op(&plan, "/dev/null"));  /* the minimal /dev has it */
                assert_null(find_op(&plan, "/sys/kernel/debug"));
                assert_null(find_op(&plan, "/sys/kernel/tracing"));
                assert_null(find_op(&plan, "/sys/fs/bpf"));
                assert_non_null(op = find_op(&plan, "/sys"));
                assert_true(op->kind == NS_MOUNT_SYSFS && op->read_only);
                assert_non_null(find_op(&plan, "/proc/kmsg"));
                assert_non_null(find_op(&plan, "/proc/sys"));  /* /proc is writable: needed */
                ns_mount_plan_free(&plan);
                unit_config_free(u);
        }
        {
                /* The host's /dev bound over the minimal one: /dev/kmsg is
                 * there, its entry stays; a writable /sys/kernel between
                 * /sys and /sys/kernel/debug, and an entry below
                 * /sys/fs/bpf (after /sys/fs/bpf-x in the order): theirs
                 * stay too. */
                UnitConfig *u = unit();
                NsPlan plan = NS_PLAN_INIT;

                u->bind_paths = calloc(1, sizeof(BindMount));
                u->bind_paths[0] = (BindMount) { .source = strdup("/dev"), .destination = strdup("/dev"), .recursive = true };
                u->n_bind_paths = 1;
                add_opt_path(&u->read_write_paths, &u->n_read_write_paths, "/sys/kernel", false);
                add_opt_path(&u->read_write_paths, &u->n_read_write_paths, "/sys/fs/bpf-x", true);
                add_opt_path(&u->read_write_paths, &u->n_read_write_paths, "/sys/fs/bpf/x", true);
                plan_pruned(u, rt, false, &plan);
                assert_non_null(op = find_op(&plan, "/dev"));
                assert_int_equal(op->kind, NS_MOUNT_BIND);
                assert_non_null(op = find_op(&plan, "/dev/kmsg"));
                assert_int_equal(op->kind, NS_MOUNT_INACCESSIBLE);
                assert_non_null(find_op(&plan, "/sys/kernel/debug"));
                assert_non_null(find_op(&plan, "/sys/kernel/tracing"));
                assert_non_null(find_op(&plan, "/sys/fs/bpf"));
                ns_mount_plan_free(&plan);
                unit_config_free(u);
        }
        {
                /* The host's sysfs (no private network): read-only with all
                 * its mounts, the table's entries stay. */
                UnitConfig *u = unit();
                NsPlan plan = NS_PLAN_INIT;

                plan_pruned(u, rt, true, &plan);
                assert_non_null(op = find_op(&plan, "/sys/kernel/debug"));
                assert_int_equal(op->kind, NS_MOUNT_READ_ONLY);
                ns_mount_plan_free(&plan);
                unit_config_free(u);
        }
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", rt);
        assert_int_equal(system(cmd), 0);
}

static void test_main_status_fallback(void **state) {
        NsProcess p = { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        siginfo_t in = { .si_code = CLD_EXITED, .si_status = 143 }, out;
        int fds[2];

        /* no init: the status is the process's own, 143 stays an exit code */
        assert_int_equal(ns_process_main_status(&p, &in, &out), 0);
        assert_int_equal(out.si_code, CLD_EXITED);
        assert_int_equal(out.si_status, 143);
        /* an init that died before writing: 128+N decodes to signal N */
        assert_int_equal(pipe(fds), 0);
        close(fds[1]);
        p.status_fd = fds[0];
        assert_int_equal(ns_process_main_status(&p, &in, &out), 0);
        assert_int_equal(out.si_code, CLD_KILLED);
        assert_int_equal(out.si_status, 15);
        close(fds[0]);
}

static void test_status_record_text(void **state) {
        siginfo_t si = { .si_code = CLD_EXITED, .si_status = 3 }, out;
        char buf[128];
        uint64_t usec = 0;

        assert_int_equal(ns_status_record_format(&si, 1733400000123456, buf, sizeof(buf)), 26);
        assert_string_equal(buf, "exited 3 1733400000123456\n");
        assert_int_equal(ns_status_record_parse(buf, &out, &usec), 0);
        assert_int_equal(out.si_code, CLD_EXITED);
        assert_int_equal(out.si_status, 3);
        assert_int_equal(out.si_signo, SIGCHLD);
        assert_true(usec == 1733400000123456);
        si = (siginfo_t) { .si_code = CLD_KILLED, .si_status = SIGTERM };
        assert_true(ns_status_record_format(&si, 7, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, "killed 15 7\n");
        assert_int_equal(ns_status_record_parse(buf, &out, NULL), 0);
        assert_int_equal(out.si_code, CLD_KILLED);
        assert_int_equal(out.si_status, SIGTERM);
        si = (siginfo_t) { .si_code = CLD_DUMPED, .si_status = SIGSEGV };
        assert_true(ns_status_record_format(&si, 7, buf, sizeof(buf)) > 0);
        assert_int_equal(ns_status_record_parse(buf, &out, NULL), 0);
        assert_int_equal(out.si_code, CLD_DUMPED);
        /* not an end; no room */
        si = (siginfo_t) { .si_code = CLD_STOPPED, .si_status = SIGSTOP };
        assert_int_equal(ns_status_record_format(&si, 7, buf, sizeof(buf)), -EINVAL);
        si = (siginfo_t) { .si_code = CLD_EXITED, .si_status = 0 };
        assert_int_equal(ns_status_record_format(&si, 7, buf, 8), -ENOBUFS);
        /* nothing yet; torn, foreign or out of range */
        assert_int_equal(ns_status_record_parse("", &out, NULL), -ENODATA);
        assert_int_equal(ns_status_record_parse("exited 3 17", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("exited 3", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("exited 3 17\nexited 4 18\n", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("stopped 19 17\n", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("exited 256 17\n", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("exited -1 17\n", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("killed 65 17\n", &out, NULL), -EBADMSG);
        assert_int_equal(ns_status_record_parse("EXITED 3 17\n", &out, NULL), -EBADMSG);
}

/* Drive one launch to its end the way an event loop does. */
static int drive(NsLaunch *l, NsProcess *ret, CrlError *e, unsigned *ret_dispatches) {
        int r;

        *ret_dispatches = 0;
        do {
                struct pollfd pfd = { .fd = ns_launch_fd(l), .events = POLLIN };

                assert_int_equal(poll(&pfd, 1, 10000), 1);
                (*ret_dispatches)++;
                r = ns_launch_dispatch(l, ret, e);
        } while (r == -EAGAIN);
        return r;
}

/* No namespaces, no cgroup: needs no privileges. The record keeps corral's
 * init as the command's parent (the shim). */
static void test_async_launch(void **state) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "exit 3", NULL };
        char tmpl[] = "/tmp/corral-test-record-XXXXXX";
        NsLaunchParams p;
        NsProcess proc;
        NsLaunch *l = NULL;
        CrlError e = {};
        siginfo_t si = {};
        unsigned n;
        int record, pidfd;

        assert_int_equal(unit_config_new("async", &u), 0);
        ns_launch_params_init(&p, u);
        p.argv = argv;
        assert_int_equal(p.status_record_fd, -EBADF);

        /* plain: the clone is the command; nothing happens before the fd says so */
        assert_int_equal(ns_launch_start(&p, &l, &e), 0);
        assert_true(ns_launch_fd(l) >= 0 && ns_launch_pidfd(l) >= 0);
        assert_int_equal(drive(l, &proc, &e, &n), 0);
        assert_true(n <= 3);
        assert_int_equal(proc.main_pid, proc.pid);
        assert_int_equal(proc.status_fd, -EBADF);
        assert_int_equal(ns_launch_abort(l), -EBADF);   /* succeeded: nothing to kill, the pidfd is ours */
        assert_int_equal(waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 3);
        ns_process_done(&proc);

        /* with a record: an init as parent, which fills it */
        record = mkstemp(tmpl);
        assert_true(record >= 0);
        assert_int_equal(write(record, "stale 1 1\n", 10), 10);    /* emptied by the launch */
        (void) unlink(tmpl);
        p.status_record_fd = record;
        assert_int_equal(ns_launch_start(&p, &l, &e), 0);
        assert_int_equal(drive(l, &proc, &e, &n), 0);
        l = ns_launch_free(l);
        assert_true(proc.main_pid != proc.pid && proc.main_pidfd >= 0 && proc.status_fd >= 0);
        assert_int_equal(waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED), 0);
        assert_int_equal(ns_status_record_read(record, &si, NULL), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 3);
        ns_process_done(&proc);

        /* abort while in flight: the pidfd comes back, the child dies */
        assert_int_equal(ns_launch_start(&p, &l, &e), 0);
        assert_int_equal(ns_status_record_read(record, &si, NULL), -ENODATA);
        pidfd = ns_launch_abort(l);
        assert_true(pidfd >= 0);
        assert_int_equal(waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED), 0);
        assert_int_equal(si.si_code, CLD_KILLED);
        assert_int_equal(si.si_status, SIGKILL);
        close(pidfd);
        close(record);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_map_strings),
                cmocka_unit_test(test_gid_map_strings),
                cmocka_unit_test(test_step_names),
                cmocka_unit_test(test_passwd_find),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_unsandboxed),
                cmocka_unit_test(test_mount_order),
                cmocka_unit_test(test_mount_kernel),
                cmocka_unit_test(test_mount_prune),
                cmocka_unit_test(test_main_status_fallback),
                cmocka_unit_test(test_status_record_text),
                cmocka_unit_test(test_async_launch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
