/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup/ file operations against a tmpdir standing in for a cgroup2
 * tree (cg-fake.h): root, create, limits, stats, events, kill, destroy. */
#include "cg-fake.h"

static void test_root_open(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "corral/sub/");
        CrlError err = {};

        assert_string_equal(cg_root_path(root), "/corral/sub");
        assert_string_equal(cg_root_mount(root), fake.dir);
        assert_true(cg_root_created(root));
        assert_false(cg_root_delegated(root));
        assert_true(cg_root_probe(root)->mode == CG_MODE_UNIFIED);
        assert_int_equal(cg_root_system(root)->pid_max, 32768);
        assert_true(faccessat(fake.mount_fd, "corral/sub/cgroup.procs", F_OK, 0) == 0);
        assert_int_equal(cg_root_controllers(root), CG_MASK_ALL);
        cg_root_free(root);
        /* opening again finds it */
        root = open_root(&p, "/corral/sub");
        assert_false(cg_root_created(root));
        cg_root_free(root);
        assert_int_equal(cg_root_open_at(&p, fake.mount_fd, fake.dir, "/corral/../etc", &sys, &fake_ops,
                                         &root, &err), -EINVAL);
        assert_non_null(strstr(err.message, "'/corral/../etc'"));
        assert_int_equal(cg_root_open_at(&p, fake.mount_fd, fake.dir, "/", &sys, &fake_ops, &root, NULL),
                         -EINVAL);
}

static void test_create(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL, *path = NULL;
        CrlError err = {};
        char rel[PATH_MAX];

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        rc.cpu_quota_per_sec_usec = 200000;
        assert_int_equal(cg_service_create(root, "web", &rc, CG_SERVICE_OOM_GROUP, &s, &warnings, &err), 0);
        assert_null(warnings);
        /* enabled on the way down, exactly the controllers needed */
        assert_true(logged("/cgroup.subtree_control=+memory"));
        assert_true(logged("/corral/cgroup.subtree_control=+memory"));
        assert_true(logged("/corral/cgroup.subtree_control=+pids"));
        assert_true(logged("/corral/cgroup.subtree_control=+cpu"));
        assert_false(logged("/corral/cgroup.subtree_control=+io"));
        assert_false(logged("/corral/cgroup.subtree_control=+cpuset"));
        assert_content(fake.mount_fd, "corral/cgroup.subtree_control", "cpu memory pids");
        assert_content(fake.mount_fd, "corral/web.service/memory.max", "33554432");
        assert_content(fake.mount_fd, "corral/web.service/memory.oom.group", "1");
        assert_content(fake.mount_fd, "corral/web.service/pids.max", "10");
        assert_content(fake.mount_fd, "corral/web.service/cpu.max", "20000 100000");
        /* the fd is the directory itself, for CLONE_INTO_CGROUP */
        rel_of(cg_service_fd(s), rel, sizeof(rel));
        assert_string_equal(rel, "/corral/web.service");
        assert_int_equal(cg_service_path(s, &path), 0);
        assert_string_equal(path, "/corral/web.service");
        free(path);
        /* a second service needs no new enabling */
        strv_free(fake.log);
        fake.log = NULL;
        {
                CgService *s2 = NULL;

                assert_int_equal(cg_service_create(root, "db", &rc, 0, &s2, &warnings, &err), 0);
                assert_false(logged("/corral/cgroup.subtree_control=+memory"));
                assert_int_equal(cg_service_create(root, "db", &rc, 0, &s2, &warnings, &err), -EEXIST);
                assert_non_null(strstr(err.message, "db.service"));
                cg_service_free(s2);
        }
        cg_service_free(s);
        cg_root_free(root);
}

static CgProbe probe_hybrid(void) {
        CgProbe p = probe_all();

        p.mode = CG_MODE_HYBRID;
        p.controllers[CG_CTRL_MEMORY].available = false;
        (void) snprintf(p.controllers[CG_CTRL_MEMORY].reason, sizeof(p.controllers[0].reason),
                        "memory: bound to a cgroup v1 hierarchy at /sys/fs/cgroup/memory");
        return p;
}

static void test_unenforceable_refused(void **state) {
        CgProbe p = probe_hybrid();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.memory_high = (ResourceLimit) { LIMIT_VALUE, 16 << 20 };
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), -EOPNOTSUPP);
        assert_string_equal(err.message, "cannot enforce MemoryHigh=, MemoryMax=: controller memory: "
                                         "bound to a cgroup v1 hierarchy at /sys/fs/cgroup/memory");
        assert_null(s);
        assert_true(faccessat(fake.mount_fd, "corral/web.service", F_OK, 0) < 0);
        assert_false(logged("/cgroup.subtree_control=+memory"));
        assert_false(cg_root_controllers(root) & CG_MASK(CG_CTRL_MEMORY));
        assert_non_null(strstr(cg_root_controller_reason(root, CG_CTRL_MEMORY), "v1"));
        cg_root_free(root);
}

static void test_unenforceable_warned(void **state) {
        CgProbe p = probe_hybrid();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        assert_int_equal(cg_service_create(root, "web", &rc, CG_SERVICE_UNENFORCEABLE_WARN, &s, &warnings,
                                           &err), 0);
        assert_int_equal(strv_length(warnings), 1);
        assert_string_equal(warnings[0], "MemoryMax= is not enforced: controller memory: "
                                         "bound to a cgroup v1 hierarchy at /sys/fs/cgroup/memory");
        assert_content(fake.mount_fd, "corral/web.service/pids.max", "10");
        assert_true(faccessat(fake.mount_fd, "corral/web.service/memory.max", F_OK, 0) < 0);
        warnings = strv_free(warnings);
        cg_service_free(s);
        cg_root_free(root);
}

static void test_not_delegated(void **state) {
        CgProbe p = probe_all();
        CgRoot *root;
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        char want[512];
        int mid;

        /* a delegated root: "/mid" passed memory on, but not io */
        assert_int_equal(fake_mkdir(fake.mount_fd, "mid", NULL), 0);
        assert_int_equal(fake_write(fake.mount_fd, "cgroup.subtree_control", "+memory", NULL), 0);
        root = open_root(&p, "/mid/corral");
        mid = openat(fake.mount_fd, "mid", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_int_equal(fake_write(mid, "cgroup.subtree_control", "+memory", NULL), 0);
        close(mid);
        root->delegated = true;
        rc.io_weight = 200;
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), -EOPNOTSUPP);
        (void) snprintf(want, sizeof(want), "cannot enforce IOWeight=: controller io: the parent does not "
                        "delegate it (not in %s/mid/corral/cgroup.controllers)", fake.dir);
        assert_string_equal(err.message, want);
        /* nothing above a delegated root is touched */
        assert_false(logged("/mid/cgroup.subtree_control=+io"));
        assert_false(logged("/cgroup.subtree_control=+io"));
        assert_int_equal(cg_root_controllers(root), CG_MASK(CG_CTRL_MEMORY));
        assert_non_null(strstr(cg_root_controller_reason(root, CG_CTRL_IO), "not delegated"));
        cg_root_free(root);
}

static void test_internal_processes(void **state) {
        CgProbe p = probe_all();
        CgRoot *root;
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        char want[512];

        /* a non-delegated root below a cgroup with processes of its own */
        assert_int_equal(fake_mkdir(fake.mount_fd, "mid", NULL), 0);
        put(fake.mount_fd, "mid/cgroup.procs", "1\n");
        root = open_root(&p, "/mid/corral");
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), -EOPNOTSUPP);
        (void) snprintf(want, sizeof(want), "cannot enforce TasksMax=: controller pids: cannot enable in "
                        "%s/mid/cgroup.subtree_control: Device or resource busy (that cgroup has processes "
                        "of its own)", fake.dir);
        assert_string_equal(err.message, want);
        assert_true(logged("/cgroup.subtree_control=+pids"));
        cg_root_free(root);
}

static void test_bad_value(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        char want[512];

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.allowed_cpus = (char *) "1000";
        fake.fail_file = "cpuset.cpus";
        fake.fail_errno = EINVAL;
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), -EINVAL);
        (void) snprintf(want, sizeof(want), "AllowedCPUs=: cannot write '1000' to %s/corral/web.service/"
                        "cpuset.cpus: Invalid argument", fake.dir);
        assert_string_equal(err.message, want);
        /* memory.max was written first, and still nothing is left */
        assert_true(logged("/corral/web.service/memory.max=33554432"));
        assert_true(faccessat(fake.mount_fd, "corral/web.service", F_OK, 0) < 0);
        assert_null(s);
        cg_root_free(root);
}

static void test_apply_live(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.cpu_weight = 50;
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), 0);
        /* change one, add one (a new controller), drop one (back to default) */
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 64 << 20 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 5 };
        rc.cpu_weight = 0;
        assert_int_equal(cg_service_apply(s, &rc, 0, &warnings, &err), 0);
        assert_content(cg_service_fd(s), "memory.max", "67108864");
        assert_content(cg_service_fd(s), "pids.max", "5");
        assert_content(cg_service_fd(s), "cpu.weight", "100");
        assert_content(cg_service_fd(s), "memory.high", "max");
        assert_content(fake.mount_fd, "corral/cgroup.subtree_control", "cpu memory pids");
        /* a refused write puts back what was written before it */
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 128 << 20 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 7 };
        fake.fail_file = "pids.max";
        fake.fail_errno = EINVAL;
        assert_int_equal(cg_service_apply(s, &rc, 0, &warnings, &err), -EINVAL);
        assert_non_null(strstr(err.message, "TasksMax=: cannot write '7' to "));
        assert_true(logged("/corral/web.service/memory.max=134217728"));
        assert_content(cg_service_fd(s), "memory.max", "67108864");
        assert_content(cg_service_fd(s), "pids.max", "5");
        cg_service_free(s);
        cg_root_free(root);
}

static void test_stats(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s);
        CgStats st;

        put(fd, "memory.current", "1000\n");
        put(fd, "memory.max", "max\n");
        put(fd, "memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n");
        put(fd, "cpu.stat", "usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\n");
        put(fd, "cpu.max", "20000 100000\n");
        put(fd, "pids.current", "3\n");
        put(fd, "pids.max", "10\n");
        put(fd, "pids.events", "max 6\n");
        put(fd, "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                           "8:16 rbytes=1 wbytes=2 rios=1 wios=2 dbytes=0 dios=0\n");
        put(fd, "cpu.pressure", "some avg10=1.50 avg60=0.00 avg300=0.00 total=0\n");
        assert_int_equal(cg_service_stats(s, &st), 0);
        assert_int_equal(st.memory_current, 1000);
        assert_int_equal(st.memory_peak, 1000);         /* no memory.peak: the tracked maximum */
        assert_true(st.memory_max == UINT64_MAX);
        assert_int_equal(st.oom, 2);
        assert_int_equal(st.oom_kills, 1);
        assert_int_equal(st.cpu_usage_usec, 5000);
        assert_int_equal(st.cpu_quota_per_sec_usec, 200000);
        assert_int_equal(st.tasks_current, 3);
        assert_int_equal(st.tasks_max, 10);
        assert_int_equal(st.tasks_max_hit, 6);
        assert_int_equal(st.io_read_bytes, 101);
        assert_int_equal(st.io_write_bytes, 202);
        assert_true(st.cpu_pressure > 1.49 && st.cpu_pressure < 1.51);
        assert_true(st.memory_pressure == -1);  /* no file: no PSI */
        /* never cached: the next read sees the kernel's new numbers */
        put(fd, "memory.current", "400\n");
        assert_int_equal(cg_service_stats(s, &st), 0);
        assert_int_equal(st.memory_current, 400);
        assert_int_equal(st.memory_peak, 1000);
        /* a group OOM kill: the victim is counted twice by the kernel */
        put(fd, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 3\noom_group_kill 1\n");
        assert_int_equal(cg_service_stats(s, &st), 0);
        assert_int_equal(st.oom_kills, 2);
        put(fd, "memory.peak", "5000\n");
        assert_int_equal(cg_service_stats(s, &st), 0);
        assert_int_equal(st.memory_peak, 5000);
        cg_service_free(s);
        cg_root_free(root);
}

static void test_events(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s), efd = cg_service_event_fd(s);
        CgEvents ev;

        assert_true(efd >= 0);
        assert_int_equal(cg_service_event_fd(s), efd);
        assert_false(readable(efd, 0));
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_true(readable(efd, 1000));
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_POPULATED);
        assert_false(readable(efd, 0));         /* drained */
        put(fd, "memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
        assert_true(readable(efd, 1000));
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_OOM | CG_EVENT_OOM_KILL);
        assert_int_equal(ev.oom_kills, 1);
        put(fd, "cgroup.events", "populated 0\nfrozen 0\n");
        assert_true(readable(efd, 1000));
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_EMPTY);
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, 0);
        cg_service_free(s);
        cg_root_free(root);
}

static void *set_frozen_later(void *arg) {
        struct timespec ts = { 0, 50 * 1000 * 1000 };

        nanosleep(&ts, NULL);   /* a test's stand-in for the kernel taking its time */
        put_in_place(*(int *) arg, "cgroup.events", "populated 1\nfrozen 1\n");
        return NULL;
}

static void test_freeze(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s);
        CrlError err = {};
        pthread_t t;

        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        /* the kernel never confirms: a timeout, named */
        assert_int_equal(cg_service_freeze(s, 30 * USEC_PER_MSEC, &err), -ETIME);
        assert_non_null(strstr(err.message, "did not change in time"));
        assert_content(fd, "cgroup.freeze", "1");
        /* confirmed later: woken by inotify, not by polling */
        put(fd, "cgroup.freeze", "0");
        assert_int_equal(pthread_create(&t, NULL, set_frozen_later, &fd), 0);
        assert_int_equal(cg_service_freeze(s, 5 * USEC_PER_SEC, NULL), 0);
        pthread_join(t, NULL);
        assert_content(fd, "cgroup.freeze", "1");
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cg_service_thaw(s, USEC_PER_SEC, NULL), 0);
        assert_content(fd, "cgroup.freeze", "0");
        /* no wait asked: written, not confirmed */
        assert_int_equal(cg_service_freeze(s, 0, NULL), 0);
        assert_content(fd, "cgroup.freeze", "1");
        cg_service_free(s);
        cg_root_free(root);
}

static void *set_empty_later(void *arg) {
        struct timespec ts = { 0, 50 * 1000 * 1000 };

        nanosleep(&ts, NULL);   /* as set_frozen_later */
        put_in_place(*(int *) arg, "cgroup.events", "populated 0\nfrozen 0\n");
        return NULL;
}

/* issue 10 #11: USEC_INFINITY (and any timeout whose deadline would pass
 * UINT64_MAX) means no deadline, not a deadline in the past. */
static void test_wait_infinity(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s), r;
        CrlError err = {};
        pthread_t t;

        /* join before asserting: a thread left running would write into
         * whatever reuses fd in the next test */
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(pthread_create(&t, NULL, set_frozen_later, &fd), 0);
        r = cg_service_freeze(s, USEC_INFINITY, &err);
        pthread_join(t, NULL);
        assert_int_equal(r, 0);
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(pthread_create(&t, NULL, set_frozen_later, &fd), 0);
        r = cg_service_freeze(s, USEC_INFINITY - 1, &err);     /* now + timeout overflows */
        pthread_join(t, NULL);
        assert_int_equal(r, 0);
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(pthread_create(&t, NULL, set_empty_later, &fd), 0);
        r = cg_service_kill(s, USEC_INFINITY, &err);
        pthread_join(t, NULL);
        assert_int_equal(r, 0);
        /* 0: no wait at all, so no -ETIME either */
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cg_service_freeze(s, 0, &err), 0);
        assert_int_equal(cg_service_kill(s, 0, &err), 0);
        cg_service_free(s);
        cg_root_free(root);
}

static void test_kill_destroy(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s);
        CrlError err = {};

        assert_int_equal(cg_service_kill(s, USEC_PER_SEC, &err), 0);
        assert_true(logged("/corral/web.service/cgroup.kill=1"));
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cg_service_kill(s, 0, &err), 0);       /* sent; the event loop waits */
        put(fd, "cgroup.events", "populated 0\nfrozen 0\n");
        /* a sub-cgroup the service made goes too */
        assert_int_equal(fake_mkdir(fd, "inner", NULL), 0);
        put(fd, "cgroup.procs", "4242\n");
        assert_int_equal(cg_service_destroy(s, &err), -EBUSY);
        assert_non_null(strstr(err.message, "processes remain"));
        put(fd, "cgroup.procs", "");
        assert_int_equal(cg_service_destroy(s, NULL), 0);
        assert_true(faccessat(fake.mount_fd, "corral/web.service", F_OK, 0) < 0);
        assert_int_equal(cg_service_destroy(s, NULL), 0);  /* already gone */
        cg_service_free(s);
        assert_int_equal(cg_root_remove(root, NULL), 0);
        assert_true(faccessat(fake.mount_fd, "corral", F_OK, 0) < 0);
        cg_root_free(root);
}

/* Before Linux 5.14 there is no cgroup.kill: every pid of cgroup.procs
 * gets SIGKILL. The fake kernel never reports the cgroup empty, so the
 * call ends in a timeout, but the process must be dead. */
static void test_kill_without_cgroup_kill(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s), status = 0;
        CrlError err = {};
        char pid[32];
        pid_t child;

        child = fork();
        if (child == 0) {
                (void) signal(SIGTERM, SIG_IGN);
                for (;;)
                        pause();
        }
        assert_true(child > 0);
        (void) snprintf(pid, sizeof(pid), "%d\n", (int) child);
        put(fd, "cgroup.procs", pid);
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(unlinkat(fd, "cgroup.kill", 0), 0);
        assert_int_equal(cg_service_kill(s, 100 * USEC_PER_MSEC, &err), -ETIME);
        assert_non_null(strstr(err.message, "still there after SIGKILL"));
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* tried to freeze first, and thawed after */
        assert_true(logged("/corral/web.service/cgroup.freeze=1"));
        assert_true(logged("/corral/web.service/cgroup.freeze=0"));
        /* cg_service_signal() walks the same way */
        put(fd, "cgroup.procs", "");
        assert_int_equal(cg_service_signal(s, SIGTERM, NULL), 0);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* issue 10 #12: pid numbers from cgroup.procs are signalled only while the
 * cgroup is frozen (cgroup.events "frozen 1", which the fake kernel reports
 * 50 ms after the write), through pidfds, and thawed after: for KillSignal=
 * (cg_service_signal) and for SIGKILL without cgroup.kill through
 * cg_service_signal_begin/finish, the event loop's way. */
static void test_signal_while_frozen(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s), inner;
        pid_t a = spawn_sleeper(), b = spawn_sleeper();
        char procs[64], sig_a[64], sig_b[64];
        CgSignalOp *op = NULL;
        unsigned n = 0;
        CgEvents ev;
        pthread_t t;
        int r, efd;

        assert_int_equal(fake_mkdir(fd, "inner", NULL), 0);      /* a sub-cgroup the service made */
        inner = openat(fd, "inner", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) a);
        put(fd, "cgroup.procs", procs);
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) b);
        put(inner, "cgroup.procs", procs);
        fake.events_fd = fd;
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(pthread_create(&t, NULL, set_frozen_later, &fd), 0);
        r = cg_service_signal(s, SIGTERM, NULL);
        pthread_join(t, NULL);
        assert_int_equal(r, 2);
        assert_int_equal(fake.signals_unfrozen, 0);
        (void) snprintf(sig_a, sizeof(sig_a), "signal %d %d", (int) a, SIGTERM);
        (void) snprintf(sig_b, sizeof(sig_b), "signal %d %d", (int) b, SIGTERM);
        assert_true(log_index("/corral/web.service/cgroup.freeze=1") >= 0);
        assert_true(log_index("/corral/web.service/cgroup.freeze=1") < log_index(sig_a));
        assert_true(log_index(sig_a) < log_index(sig_b));
        assert_true(log_index(sig_b) < log_index("/corral/web.service/cgroup.freeze=0"));
        assert_killed_by(a, SIGTERM);
        assert_killed_by(b, SIGTERM);

        /* SIGKILL without cgroup.kill on the event loop (issue 11): begin
         * freezes and returns, the walk runs on CG_EVENT_FROZEN */
        fake.log = strv_free(fake.log);
        a = spawn_sleeper();
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) a);
        put(fd, "cgroup.procs", procs);
        put(inner, "cgroup.procs", "");
        put(fd, "cgroup.freeze", "0");
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        efd = cg_service_event_fd(s);
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(cg_service_signal_begin(s, SIGKILL, &op, NULL), 0);
        assert_true(log_index("/corral/web.service/cgroup.freeze=1") >= 0);
        (void) snprintf(sig_a, sizeof(sig_a), "signal %d %d", (int) a, SIGKILL);
        assert_true(log_index(sig_a) < 0);     /* nothing before the freeze */
        assert_false(readable(efd, 0));
        put_in_place(fd, "cgroup.events", "populated 1\nfrozen 1\n");  /* the kernel confirms */
        assert_true(readable(efd, 1000));
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_FROZEN);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(fake.signals_unfrozen, 0);
        assert_true(log_index(sig_a) < log_index("/corral/web.service/cgroup.freeze=0"));
        assert_killed_by(a, SIGKILL);

        /* a service frozen before (Freeze) stays frozen */
        fake.log = strv_free(fake.log);
        a = spawn_sleeper();
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) a);
        put(fd, "cgroup.procs", procs);
        put(fd, "cgroup.freeze", "1\n");
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cg_service_signal(s, SIGTERM, NULL), 1);
        assert_int_equal(fake.signals_unfrozen, 0);
        assert_true(log_index("/corral/web.service/cgroup.freeze=0") < 0);
        assert_killed_by(a, SIGTERM);
        put(fd, "cgroup.procs", "");
        close(inner);
        cg_service_free(s);
        cg_root_free(root);
}

/* issue 10 (lower): a service cannot nest cgroups without bound, and the
 * walks over its tree stop at CG_SERVICE_MAX_DEPTH even where the kernel's
 * limit was not there (a tree made before, or a limit raised). */
static void test_nesting_bound(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s), d = -EBADF, at16 = -EBADF, at17 = -EBADF;
        pid_t shallow = spawn_sleeper(), deep = spawn_sleeper();
        CrlError err = {};
        char procs[32];

        assert_content(fd, "cgroup.max.depth", "16");
        assert_content(fd, "cgroup.max.descendants", "4096");
        /* 40 levels: d1/d2/.../d40 */
        d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        for (int i = 1; i <= 40; i++) {
                char name[16];
                int next;

                (void) snprintf(name, sizeof(name), "d%d", i);
                assert_int_equal(fake_mkdir(d, name, NULL), 0);
                next = openat(d, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                assert_true(next >= 0);
                close(d);
                d = next;
                if (i == 16)
                        at16 = fcntl(d, F_DUPFD_CLOEXEC, 3);
                if (i == 17)
                        at17 = fcntl(d, F_DUPFD_CLOEXEC, 3);
        }
        close(d);
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) shallow);
        put(at16, "cgroup.procs", procs);
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) deep);
        put(at17, "cgroup.procs", procs);
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");      /* confirms at once */
        assert_int_equal(cg_service_signal(s, SIGTERM, &err), -ELOOP);
        assert_non_null(strstr(err.message, "nested too deep"));
        assert_killed_by(shallow, SIGTERM);     /* depth 16 is reached, 17 is not */
        assert_int_equal(kill(deep, 0), 0);
        assert_int_equal(kill(deep, SIGKILL), 0);
        assert_killed_by(deep, SIGKILL);
        put(at16, "cgroup.procs", "");
        put(at17, "cgroup.procs", "");
        /* destroy ends too, and says why it could not remove the tree */
        assert_int_equal(cg_service_destroy(s, &err), -ELOOP);
        assert_non_null(strstr(err.message, "nested too deep"));
        close(at16);
        close(at17);
        cg_service_free(s);
        cg_root_free(root);
}

static void test_open_existing(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web"), *again = NULL;
        CrlError err = {};
        CgEvents ev;

        put(cg_service_fd(s), "cgroup.events", "populated 1\nfrozen 0\n");
        put(cg_service_fd(s), "memory.events", "oom 3\noom_kill 2\n");
        assert_int_equal(cg_service_open(root, "web", &again, &err), 0);
        assert_true(cg_service_is_populated(again) == 1);
        /* old counters are not news */
        assert_int_equal(cg_service_process_events(again, &ev), 0);
        assert_int_equal(ev.mask, 0);
        assert_int_equal(cg_service_is_populated(again), 1);
        again = cg_service_free(again);
        assert_int_equal(cg_service_open(root, "nope", &again, &err), -ENOENT);
        {
                CgService *t = make_service(root, "api");
                char **names = NULL;
                pid_t *pids = NULL;
                size_t n = 9;

                /* what a restarted corrald finds */
                assert_int_equal(mkdirat(cg_root_fd(root), "corrald", 0755), 0);       /* not a service */
                assert_int_equal(cg_root_list_services(root, &names), 0);
                assert_int_equal(strv_length(names), 2);
                assert_string_equal(names[0], "api");
                assert_string_equal(names[1], "web");
                strv_free(names);
                assert_int_equal(cg_service_pids(t, &pids, &n), 0);
                assert_int_equal(n, 0);
                free(pids);
                put(cg_service_fd(t), "cgroup.procs", "12\n345\n");
                assert_int_equal(cg_service_pids(t, &pids, &n), 0);
                assert_int_equal(n, 2);
                assert_int_equal(pids[0], 12);
                assert_int_equal(pids[1], 345);
                free(pids);
                put(cg_service_fd(t), "cgroup.procs", "");
                cg_service_free(t);
        }
        assert_non_null(strstr(err.message, "nope.service"));
        cg_service_free(s);
        cg_root_free(root);
}

/* CPUWeight=idle reaches the cgroup as cpu.idle=1, with no weight write;
 * back to a weight, cpu.idle=0 comes first. Without cpu.idle (before Linux
 * 5.15) an idle unit fails to start, a plain one does not notice. */
static void test_cpu_idle(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        rc.cpu_weight = 1;
        rc.cpu_idle = true;
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), 0);
        assert_content(cg_service_fd(s), "cpu.idle", "1");
        assert_true(logged("/corral/web.service/cpu.idle=1"));
        assert_false(logged("/corral/web.service/cpu.weight=1"));
        rc.cpu_weight = 50;
        rc.cpu_idle = false;
        assert_int_equal(cg_service_apply(s, &rc, 0, &warnings, &err), 0);
        assert_content(cg_service_fd(s), "cpu.idle", "0");
        assert_content(cg_service_fd(s), "cpu.weight", "50");
        assert_true(log_index("/corral/web.service/cpu.idle=0") >= 0);
        assert_true(log_index("/corral/web.service/cpu.idle=0") < log_index("/corral/web.service/cpu.weight=50"));
        assert_int_equal(unlinkat(cg_service_fd(s), "cpu.idle", 0), 0);
        assert_int_equal(cg_service_apply(s, &rc, 0, &warnings, &err), 0);
        rc.cpu_idle = true;
        assert_int_equal(cg_service_apply(s, &rc, 0, &warnings, &err), -ENOENT);
        assert_non_null(strstr(err.message, "CPUWeight=: cannot write '1' to "));
        assert_null(warnings);
        cg_service_free(s);
        cg_root_free(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_root_open, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unenforceable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unenforceable_warned, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_delegated, setup, teardown),
                cmocka_unit_test_setup_teardown(test_internal_processes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_value, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_live, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events, setup, teardown),
                cmocka_unit_test_setup_teardown(test_freeze, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wait_infinity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_destroy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_without_cgroup_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_while_frozen, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nesting_bound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cpu_idle, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
