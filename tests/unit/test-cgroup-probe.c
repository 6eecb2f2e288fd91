/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cg-probe.h"

/* Abridged from this project's hybrid development host. */
static const char mountinfo_hybrid[] =
        "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "30 22 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "33 30 0:29 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 30 0:32 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "37 30 0:33 / /sys/fs/cgroup/pids rw,relatime shared:5 - cgroup cgroup rw,pids\n"
        "38 30 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "39 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_v1_owner_found(void **state) {
        char *p = NULL;

        assert_int_equal(cg_mountinfo_find_v1(mountinfo_hybrid, CG_CTRL_MEMORY, &p), 1);
        assert_string_equal(p, "/sys/fs/cgroup/memory");
        free(p);
        /* io is "blkio" in v1 */
        assert_int_equal(cg_mountinfo_find_v1(mountinfo_hybrid, CG_CTRL_IO, &p), 1);
        assert_string_equal(p, "/sys/fs/cgroup/blkio");
        free(p);
        /* optional fields before " - " do not confuse the parser */
        assert_int_equal(cg_mountinfo_find_v1(mountinfo_hybrid, CG_CTRL_PIDS, &p), 1);
        assert_string_equal(p, "/sys/fs/cgroup/pids");
        free(p);
}

static void test_v1_owner_exact_word(void **state) {
        /* "cpuacct" must not count as "cpu", nor "cpuset" */
        static const char mi[] =
                "32 30 0:28 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"
                "33 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
                "39 30 0:35 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

        assert_int_equal(cg_mountinfo_find_v1(mi, CG_CTRL_CPU, NULL), 0);
        assert_int_equal(cg_mountinfo_find_v1(mi, CG_CTRL_CPUSET, NULL), 1);
        assert_int_equal(cg_mountinfo_find_v1(mi, CG_CTRL_MEMORY, NULL), 0);
        assert_int_equal(cg_mountinfo_find_v1("", CG_CTRL_MEMORY, NULL), 0);
}

static void test_controllers_has(void **state) {
        assert_true(cg_controllers_has("cpuset cpu io memory hugetlb pids rdma misc\n", CG_CTRL_PIDS));
        assert_true(cg_controllers_has("cpuset cpu io memory\n", CG_CTRL_CPU));
        assert_false(cg_controllers_has("cpuset io memory\n", CG_CTRL_CPU));
        assert_false(cg_controllers_has("\n", CG_CTRL_MEMORY));
        assert_false(cg_controllers_has("", CG_CTRL_IO));
}

static void test_proc_cgroups(void **state) {
        static const char pc[] =
                "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                "cpuset\t3\t1\t1\n"
                "cpu\t1\t1\t1\n"
                "blkio\t6\t1\t1\n"
                "memory\t0\t1\t0\n";

        assert_true(cg_proc_cgroups_has(pc, CG_CTRL_CPU));
        assert_true(cg_proc_cgroups_has(pc, CG_CTRL_IO));
        assert_false(cg_proc_cgroups_has(pc, CG_CTRL_MEMORY)); /* disabled */
        assert_false(cg_proc_cgroups_has(pc, CG_CTRL_PIDS));   /* absent */
}

static void test_self_path(void **state) {
        char *p = NULL;

        assert_int_equal(cg_proc_self_v2_path("12:pids:/x\n1:name=systemd:/\n0::/user.slice/a\n", &p), 0);
        assert_string_equal(p, "/user.slice/a");
        free(p);
        assert_int_equal(cg_proc_self_v2_path("0::/\n", &p), 0);
        assert_string_equal(p, "/");
        free(p);
        assert_int_equal(cg_proc_self_v2_path("12:pids:/x\n", &p), -ENOENT);
}

static void test_names(void **state) {
        assert_string_equal(cg_mode_to_string(CG_MODE_HYBRID), "hybrid");
        assert_null(cg_mode_to_string(_CG_MODE_MAX));
        assert_int_equal(cg_controller_from_string("io"), CG_CTRL_IO);
        assert_int_equal(cg_controller_from_string("blkio"), _CG_CTRL_INVALID);
        assert_int_equal(cg_controller_from_string(NULL), _CG_CTRL_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v1_owner_found),
                cmocka_unit_test(test_v1_owner_exact_word),
                cmocka_unit_test(test_controllers_has),
                cmocka_unit_test(test_proc_cgroups),
                cmocka_unit_test(test_self_path),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
