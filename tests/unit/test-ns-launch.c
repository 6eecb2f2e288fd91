/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parts of the launcher: uid_map strings, step and mount names, the
 * namespace flags a unit asks for, and the order of the mount plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-plan.h"

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

static void add_path(PathSpec **specs, size_t *n, const char *path) {
        *specs = realloc(*specs, (*n + 1) * sizeof(PathSpec));
        (*specs)[(*n)++] = (PathSpec) { .path = strdup(path) };
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_map_strings),
                cmocka_unit_test(test_gid_map_strings),
                cmocka_unit_test(test_step_names),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_mount_order),
                cmocka_unit_test(test_main_status_fallback),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
