/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cg-plan.h"
#include "fileio.h"

static const CgSystem sys = { .memory_total = 1ULL << 30, .pid_max = 32768 };

static ResourceConfig config_unset(void) {
        return (ResourceConfig) {
                .cpu_quota_per_sec_usec = USEC_INFINITY,
                .cpu_quota_period_usec = 100 * USEC_PER_MSEC,
        };
}

/* The value written to file, or NULL; the nth match. */
static const CgWrite *find(const CgPlan *p, const char *file, size_t nth) {
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->writes[i].file, file) && nth-- == 0)
                        return &p->writes[i];
        return NULL;
}

/* "/dev/sdX" -> 8:X*16, "/dev/nvme0n1" -> 259:0; anything else fails. */
static int fake_resolve(const char *path, dev_t *ret, CrlError *reterr) {
        if (strneq(path, "/dev/sd", 7) && path[7] >= 'a' && path[7] <= 'z' && !path[8]) {
                *ret = makedev(8, (path[7] - 'a') * 16);
                return 0;
        }
        if (streq(path, "/dev/nvme0n1")) {
                *ret = makedev(259, 0);
                return 0;
        }
        return crl_error_set(reterr, ENODEV, "not on a block device");
}

static void test_empty(void **state) {
        ResourceConfig rc = config_unset();
        CgPlan p = {};

        assert_int_equal(cg_plan_build(&rc, 0, &sys, false, fake_resolve, &p, NULL), 0);
        assert_int_equal(p.n, 0);
        assert_int_equal(cg_plan_needs(&p), 0);
        cg_plan_done(&p);
}

static void test_memory(void **state) {
        ResourceConfig rc = config_unset();
        CgPlan p = {};
        char *keys = NULL;

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.memory_high = (ResourceLimit) { LIMIT_PERCENT, 5000 };       /* 50% of 1G */
        rc.memory_swap_max = (ResourceLimit) { LIMIT_INFINITY, 0 };
        assert_int_equal(cg_plan_build(&rc, CG_SERVICE_OOM_GROUP, &sys, false, fake_resolve, &p, NULL), 0);
        assert_string_equal(find(&p, "memory.max", 0)->value, "33554432");
        assert_string_equal(find(&p, "memory.high", 0)->value, "536870912");
        assert_string_equal(find(&p, "memory.swap.max", 0)->value, "max");
        assert_string_equal(find(&p, "memory.oom.group", 0)->value, "1");
        assert_null(find(&p, "memory.low", 0));
        assert_int_equal(cg_plan_needs(&p), CG_MASK(CG_CTRL_MEMORY));
        assert_int_equal(cg_plan_keys(&p, CG_CTRL_MEMORY, &keys), 0);
        assert_string_equal(keys, "MemoryHigh=, MemoryMax=, MemorySwapMax=, OOMPolicy=");
        free(keys);
        assert_int_equal(cg_plan_keys(&p, CG_CTRL_CPU, &keys), 0);
        assert_string_equal(keys, "");
        free(keys);
        cg_plan_done(&p);
}

static void test_cpu_pids_cpuset(void **state) {
        ResourceConfig rc = config_unset();
        CgPlan p = {};

        rc.cpu_quota_per_sec_usec = 200000;
        rc.cpu_weight = 50;
        rc.allowed_cpus = (char *) "0";
        rc.tasks_max = (ResourceLimit) { LIMIT_PERCENT, 1000 };        /* 10% of 32768 */
        assert_int_equal(cg_plan_build(&rc, 0, &sys, false, fake_resolve, &p, NULL), 0);
        assert_string_equal(find(&p, "cpu.max", 0)->value, "20000 100000");
        assert_string_equal(find(&p, "cpu.weight", 0)->value, "50");
        assert_string_equal(find(&p, "cpuset.cpus", 0)->value, "0");
        assert_null(find(&p, "cpuset.mems", 0));
        assert_string_equal(find(&p, "pids.max", 0)->value, "3276");
        assert_int_equal(cg_plan_needs(&p),
                         CG_MASK(CG_CTRL_CPU) | CG_MASK(CG_CTRL_CPUSET) | CG_MASK(CG_CTRL_PIDS));
        cg_plan_done(&p);
}

/* CPUWeight=idle: cpu.idle=1 and no cpu.weight (refused while idle); a
 * live change writes cpu.idle=0 before the weight. */
static void test_cpu_idle(void **state) {
        ResourceConfig rc = config_unset();
        CgPlan p = {};

        rc.cpu_weight = 1;
        rc.cpu_idle = true;
        assert_int_equal(cg_plan_build(&rc, 0, &sys, false, fake_resolve, &p, NULL), 0);
        assert_string_equal(find(&p, "cpu.idle", 0)->value, "1");
        assert_true(find(&p, "cpu.idle", 0)->set);
        assert_null(find(&p, "cpu.weight", 0));
        assert_int_equal(cg_plan_needs(&p), CG_MASK(CG_CTRL_CPU));
        cg_plan_done(&p);

        rc.cpu_weight = 50;
        rc.cpu_idle = false;
        assert_int_equal(cg_plan_build(&rc, 0, &sys, true, fake_resolve, &p, NULL), 0);
        assert_string_equal(find(&p, "cpu.idle", 0)->value, "0");
        assert_false(find(&p, "cpu.idle", 0)->set);
        assert_true(find(&p, "cpu.idle", 0) < find(&p, "cpu.weight", 0));
        assert_string_equal(find(&p, "cpu.weight", 0)->value, "50");
        cg_plan_done(&p);
}

static void test_defaults(void **state) {
        ResourceConfig rc = config_unset();
        CgPlan p = {};

        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        assert_int_equal(cg_plan_build(&rc, 0, &sys, true, fake_resolve, &p, NULL), 0);
        /* every key appears, only TasksMax= as set */
        assert_string_equal(find(&p, "memory.max", 0)->value, "max");
        assert_false(find(&p, "memory.max", 0)->set);
        assert_string_equal(find(&p, "memory.low", 0)->value, "0");
        assert_string_equal(find(&p, "memory.oom.group", 0)->value, "0");
        assert_string_equal(find(&p, "cpu.max", 0)->value, "max 100000");
        assert_string_equal(find(&p, "cpu.weight", 0)->value, "100");
        assert_string_equal(find(&p, "cpuset.cpus", 0)->value, "\n");
        assert_string_equal(find(&p, "io.weight", 0)->value, "default 100");
        assert_string_equal(find(&p, "pids.max", 0)->value, "10");
        assert_true(find(&p, "pids.max", 0)->set);
        assert_int_equal(cg_plan_needs(&p), CG_MASK(CG_CTRL_PIDS));
        cg_plan_done(&p);
}

static void test_io(void **state) {
        ResourceConfig rc = config_unset();
        IODeviceValue rbw[] = { { (char *) "/dev/sda", 1048576 }, { (char *) "/dev/nvme0n1", 2097152 } };
        IODeviceValue wiops[] = { { (char *) "/dev/sda", 100 } };
        IODeviceValue w[] = { { (char *) "/dev/sdb", 300 } };
        CgPlan p = {};

        rc.io_weight = 200;
        rc.io_device_weight = w;
        rc.n_io_device_weight = 1;
        rc.io_read_bandwidth_max = rbw;
        rc.n_io_read_bandwidth_max = 2;
        rc.io_write_iops_max = wiops;
        rc.n_io_write_iops_max = 1;
        assert_int_equal(cg_plan_build(&rc, 0, &sys, false, fake_resolve, &p, NULL), 0);
        assert_string_equal(find(&p, "io.weight", 0)->value, "default 200");
        assert_string_equal(find(&p, "io.weight", 1)->value, "8:16 300");
        /* one line per device, the keys of several lists merged */
        assert_string_equal(find(&p, "io.max", 0)->value, "8:0 rbps=1048576 wbps=max riops=max wiops=100");
        assert_string_equal(find(&p, "io.max", 1)->value, "259:0 rbps=2097152 wbps=max riops=max wiops=max");
        assert_null(find(&p, "io.max", 2));
        assert_int_equal(cg_plan_needs(&p), CG_MASK(CG_CTRL_IO));
        cg_plan_done(&p);
}

static void test_clear_io_max(void **state) {
        ResourceConfig rc = config_unset();
        IODeviceValue rbw[] = { { (char *) "/dev/sda", 1048576 } };
        CgPlan p = {};

        rc.io_read_bandwidth_max = rbw;
        rc.n_io_read_bandwidth_max = 1;
        assert_int_equal(cg_plan_build(&rc, 0, &sys, true, fake_resolve, &p, NULL), 0);
        /* 8:0 stays limited; 8:16 was limited before and is no longer */
        assert_int_equal(cg_plan_clear_io_max(&p, "8:0 rbps=1 wbps=max riops=max wiops=max\n"
                                                  "8:16 rbps=max wbps=5 riops=max wiops=max\n"), 0);
        assert_string_equal(find(&p, "io.max", 0)->value, "8:0 rbps=1048576 wbps=max riops=max wiops=max");
        assert_string_equal(find(&p, "io.max", 1)->value, "8:16 rbps=max wbps=max riops=max wiops=max");
        assert_false(find(&p, "io.max", 1)->set);
        assert_null(find(&p, "io.max", 2));
        assert_int_equal(cg_plan_clear_io_max(&p, ""), 0);
        assert_null(find(&p, "io.max", 2));
        cg_plan_done(&p);
}

static void test_io_bad_path(void **state) {
        ResourceConfig rc = config_unset();
        IODeviceValue rbw[] = { { (char *) "/tmp/x", 1 } };
        CrlError err = {};
        CgPlan p = {};

        rc.io_read_bandwidth_max = rbw;
        rc.n_io_read_bandwidth_max = 1;
        assert_int_equal(cg_plan_build(&rc, 0, &sys, false, fake_resolve, &p, &err), -ENODEV);
        assert_string_equal(err.message, "IOReadBandwidthMax=/tmp/x: not on a block device");
        assert_int_equal(p.n, 0);
}

static void test_whole_disk(void **state) {
        char dir[] = "/tmp/test-cgroup-plan.XXXXXX";
        int fd;
        dev_t d;

        /* sysfs: /sys/dev/block/8:1 -> ../../devices/.../sda/sda1 */
        assert_non_null(mkdtemp(dir));
        fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(mkdirat(fd, "sda", 0755), 0);
        assert_int_equal(mkdirat(fd, "sda/sda1", 0755), 0);
        assert_int_equal(symlinkat("sda", fd, "8:0"), 0);
        assert_int_equal(symlinkat("sda/sda1", fd, "8:1"), 0);
        close(openat(fd, "sda/dev", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        close(openat(fd, "sda/sda1/partition", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        assert_int_equal(write_string_at(fd, "sda/dev", "8:0\n"), 0);

        assert_int_equal(cg_device_whole_disk_at(fd, makedev(8, 1), &d), 0);
        assert_int_equal(major(d), 8);
        assert_int_equal(minor(d), 0);
        assert_int_equal(cg_device_whole_disk_at(fd, makedev(8, 0), &d), 0);
        assert_int_equal(minor(d), 0);
        assert_int_equal(cg_device_whole_disk_at(fd, makedev(8, 2), &d), -ENOENT);
        (void) unlinkat(fd, "8:0", 0);
        (void) unlinkat(fd, "8:1", 0);
        (void) unlinkat(fd, "sda/sda1/partition", 0);
        (void) unlinkat(fd, "sda/sda1", AT_REMOVEDIR);
        (void) unlinkat(fd, "sda/dev", 0);
        (void) unlinkat(fd, "sda", AT_REMOVEDIR);
        close(fd);
        assert_int_equal(rmdir(dir), 0);
}

static void test_resolve_real(void **state) {
        CrlError err = {};
        dev_t d;

        /* /proc is no block device; a character device neither */
        assert_true(cg_device_resolve("/proc/self", &d, &err) < 0);
        assert_non_null(strstr(err.message, "not on a block device"));
        crl_error_clear(&err);
        assert_int_equal(cg_device_resolve("/nonexistent-corral", &d, &err), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_memory),
                cmocka_unit_test(test_cpu_pids_cpuset),
                cmocka_unit_test(test_cpu_idle),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_io),
                cmocka_unit_test(test_clear_io_max),
                cmocka_unit_test(test_io_bad_path),
                cmocka_unit_test(test_whole_disk),
                cmocka_unit_test(test_resolve_real),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
