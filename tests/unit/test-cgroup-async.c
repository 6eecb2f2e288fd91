/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* issue 11: cgroup/ on an event loop, against the fake tree (cg-fake.h).
 * Nothing with timeout 0 waits for the kernel; signal walks run in two
 * halves (begin: freeze; finish: walk, thaw) around CG_EVENT_FROZEN; a
 * re-opened cgroup reports only what changes after the open. The fake
 * kernel confirms nothing by itself: a test puts "frozen 1" where the
 * kernel would. */
#include "cg-fake.h"

static CgService *sleeper_service(CgRoot *root, pid_t *ret_pid) {
        CgService *s = make_service(root, "web");
        char procs[32];

        *ret_pid = spawn_sleeper();
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) *ret_pid);
        put(cg_service_fd(s), "cgroup.procs", procs);
        put(cg_service_fd(s), "cgroup.events", "populated 1\nfrozen 0\n");
        fake.events_fd = cg_service_fd(s);
        return s;
}

static unsigned count_logged(const char *line) {
        unsigned n = 0;

        for (size_t i = 0; fake.log && fake.log[i]; i++)
                n += streq(fake.log[i], line);
        return n;
}

/* issue 11: with timeout 0 nothing waits for the kernel, on any path. The
 * fake kernel here never confirms a freeze nor an empty cgroup: a wait of
 * any kind would show as time spent (the walk used to wait up to 1 s for
 * "frozen 1"). The writes are made, the process is killed all the same. */
static void test_timeout_zero_never_waits(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *s = make_service(root, "web");
        int fd = cg_service_fd(s);
        pid_t a = spawn_sleeper();
        CrlError err = {};
        char procs[32];
        usec_t t0;

        (void) snprintf(procs, sizeof(procs), "%d\n", (int) a);
        put(fd, "cgroup.procs", procs);
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(unlinkat(fd, "cgroup.kill", 0), 0);     /* before 5.14: the walk */
        t0 = now_usec();
        assert_int_equal(cg_service_kill(s, 0, &err), 0);
        assert_true(now_usec() - t0 < 500 * USEC_PER_MSEC);
        assert_killed_by(a, SIGKILL);
        assert_true(logged("/corral/web.service/cgroup.freeze=1"));
        assert_true(logged("/corral/web.service/cgroup.freeze=0"));
        put(fd, "cgroup.procs", "");
        t0 = now_usec();
        assert_int_equal(cg_service_freeze(s, 0, &err), 0);
        assert_content(fd, "cgroup.freeze", "1");
        assert_int_equal(cg_service_thaw(s, 0, &err), 0);
        assert_content(fd, "cgroup.freeze", "0");
        /* and cgroup.kill (5.14) is a write, nothing more */
        put(fd, "cgroup.kill", "");
        assert_int_equal(cg_service_kill(s, 0, &err), 0);
        assert_content(fd, "cgroup.kill", "1");
        assert_true(now_usec() - t0 < 500 * USEC_PER_MSEC);
        cg_service_free(s);
        cg_root_free(root);
}

/* begin freezes and returns at once; nothing is signalled before the
 * kernel says "frozen 1" (CG_EVENT_FROZEN on the event fd); finish signals
 * through the pidfd and thaws. */
static void test_signal_op(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        int fd = cg_service_fd(s), efd = cg_service_event_fd(s);
        CgSignalOp *op = NULL;
        char sig_a[64];
        unsigned n = 0;
        CgEvents ev;
        usec_t t0;

        assert_true(efd >= 0);
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        t0 = now_usec();
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 0);
        assert_true(now_usec() - t0 < 500 * USEC_PER_MSEC);
        assert_non_null(op);
        assert_content(fd, "cgroup.freeze", "1");
        (void) snprintf(sig_a, sizeof(sig_a), "signal %d %d", (int) a, SIGTERM);
        assert_true(log_index(sig_a) < 0);
        assert_false(readable(efd, 0));
        put_in_place(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_true(readable(efd, 1000));
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_FROZEN);
        assert_true(cg_service_frozen(s));
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(fake.signals_unfrozen, 0);
        assert_true(log_index("/corral/web.service/cgroup.freeze=1") < log_index(sig_a));
        assert_true(log_index(sig_a) < log_index("/corral/web.service/cgroup.freeze=0"));
        assert_content(fd, "cgroup.freeze", "0");
        assert_killed_by(a, SIGTERM);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* cancel thaws and signals nobody */
static void test_signal_op_cancel(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        CgSignalOp *op = NULL;

        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 0);
        assert_content(cg_service_fd(s), "cgroup.freeze", "1");
        assert_null(cg_service_signal_cancel(op));
        assert_content(cg_service_fd(s), "cgroup.freeze", "0");
        assert_null(cg_service_signal_cancel(NULL));
        assert_int_equal(kill(a, 0), 0);
        assert_int_equal(kill(a, SIGKILL), 0);
        assert_killed_by(a, SIGKILL);
        put(cg_service_fd(s), "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* A skipped pid (corrald's init above the command) is not signalled; the
 * others are. */
static void test_signal_op_skip(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a, b = spawn_sleeper();
        CgService *s = sleeper_service(root, &a);
        int fd = cg_service_fd(s);
        CgSignalOp *op = NULL;
        char procs[64], sig_b[64];
        unsigned n = 0;

        (void) snprintf(procs, sizeof(procs), "%d\n%d\n", (int) a, (int) b);
        put(fd, "cgroup.procs", procs);
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 1);
        cg_service_signal_skip(op, b);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_killed_by(a, SIGTERM);
        (void) snprintf(sig_b, sizeof(sig_b), "signal %d %d", (int) b, SIGTERM);
        assert_true(log_index(sig_b) < 0);
        assert_int_equal(kill(b, 0), 0);       /* still there */
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 1);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_killed_by(b, SIGTERM);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* A service frozen before (Freeze, or by someone else) is walked at once
 * (begin returns 1) and stays frozen. */
static void test_signal_op_frozen_before(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        int fd = cg_service_fd(s);
        CgSignalOp *op = NULL;
        unsigned n = 0;

        assert_int_equal(cg_service_freeze(s, 0, NULL), 0);
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        fake.log = strv_free(fake.log);
        assert_int_equal(cg_service_signal_begin(s, SIGCONT, &op, NULL), 1);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=1"), 0);
        assert_content(fd, "cgroup.freeze", "1");
        /* thawed by us, then frozen behind our back: still left frozen */
        assert_int_equal(cg_service_thaw(s, 0, NULL), 0);
        put(fd, "cgroup.freeze", "1");
        fake.log = strv_free(fake.log);
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 1);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_content(fd, "cgroup.freeze", "1");
        assert_killed_by(a, SIGTERM);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* Two walks at once freeze once and thaw once, when the last ends. */
static void test_signal_op_overlap(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        int fd = cg_service_fd(s);
        CgSignalOp *x = NULL, *y = NULL;
        unsigned n = 0;

        assert_int_equal(cg_service_signal_begin(s, SIGCONT, &x, NULL), 0);
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &y, NULL), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=1"), 1);
        put_in_place(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cg_service_signal_finish(x, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_content(fd, "cgroup.freeze", "1");
        assert_int_equal(cg_service_signal_finish(y, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 1);
        assert_int_equal(fake.signals_unfrozen, 0);
        assert_killed_by(a, SIGTERM);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* Freeze during a walk: the walk leaves it frozen. Thaw during a walk:
 * deferred to the walk's end, which thaws. */
static void test_signal_op_freeze_thaw_meanwhile(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        int fd = cg_service_fd(s);
        CgSignalOp *op = NULL;
        unsigned n = 0;

        assert_int_equal(cg_service_signal_begin(s, SIGCONT, &op, NULL), 0);
        assert_int_equal(cg_service_freeze(s, 0, NULL), 0);
        put_in_place(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_content(fd, "cgroup.freeze", "1");
        assert_int_equal(cg_service_thaw(s, 0, NULL), 0);
        assert_content(fd, "cgroup.freeze", "0");
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        fake.log = strv_free(fake.log);
        assert_int_equal(cg_service_signal_begin(s, SIGCONT, &op, NULL), 0);
        assert_int_equal(cg_service_freeze(s, 0, NULL), 0);
        assert_int_equal(cg_service_thaw(s, 0, NULL), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);   /* not yet */
        assert_content(fd, "cgroup.freeze", "1");
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 1);
        assert_content(fd, "cgroup.freeze", "0");
        assert_int_equal(kill(a, SIGKILL), 0);
        assert_killed_by(a, SIGKILL);
        put(fd, "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* Before Linux 5.2 (no cgroup.freeze): no confirmation will come, so the
 * walk is ready at once, and nothing is thawed. */
static void test_signal_op_no_freezer(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        pid_t a;
        CgService *s = sleeper_service(root, &a);
        CgSignalOp *op = NULL;
        unsigned n = 0;

        assert_int_equal(unlinkat(cg_service_fd(s), "cgroup.freeze", 0), 0);
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 1);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_killed_by(a, SIGTERM);
        put(cg_service_fd(s), "cgroup.procs", "");
        cg_service_free(s);
        cg_root_free(root);
}

/* A restarted corrald opens a frozen service with a sub-cgroup and past
 * OOM kills: its first process_events reports nothing, later changes are
 * reported, the pid in the sub-cgroup is found, a walk leaves it frozen. */
static void test_adopt(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *old = make_service(root, "web"), *s = NULL;
        CgRoot *root2;
        int fd = cg_service_fd(old), inner;
        pid_t a = spawn_sleeper();
        CgSignalOp *op = NULL;
        char procs[32];
        unsigned n = 0;
        CgEvents ev;

        assert_int_equal(fake_mkdir(fd, "inner", NULL), 0);
        inner = openat(fd, "inner", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        (void) snprintf(procs, sizeof(procs), "%d\n", (int) a);
        put(inner, "cgroup.procs", procs);
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        put(fd, "cgroup.freeze", "1\n");
        put(fd, "memory.events", "low 0\nhigh 0\nmax 2\noom 3\noom_kill 2\n");
        /* a new corrald: a new root, which has enabled nothing yet */
        root2 = open_root(&p, "/corral");
        assert_int_equal(cg_service_open(root2, "web", &s, NULL), 0);
        assert_string_equal(cg_service_name(s), "web");
        assert_true(cg_service_frozen(s));
        assert_int_equal(cg_service_enabled(s), cg_service_enabled(old));
        assert_true(cg_service_enabled(s) & CG_MASK(CG_CTRL_MEMORY));
        assert_true(cg_service_event_fd(s) >= 0);
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, 0);
        assert_int_equal(cg_service_has_pid(s, a), 1);
        assert_int_equal(cg_service_has_pid(s, getpid()), 0);
        assert_int_equal(cg_service_has_pid(s, 0), -EINVAL);
        /* KillService on the adopted, frozen service: walked at once, stays frozen */
        assert_int_equal(cg_service_signal_begin(s, SIGTERM, &op, NULL), 1);
        assert_int_equal(cg_service_signal_finish(op, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(count_logged("/corral/web.service/cgroup.freeze=0"), 0);
        assert_killed_by(a, SIGTERM);
        put(inner, "cgroup.procs", "");
        /* what changes after the open is news */
        assert_int_equal(cg_service_thaw(s, 0, NULL), 0);
        put(fd, "cgroup.events", "populated 0\nfrozen 0\n");
        put(fd, "memory.events", "low 0\nhigh 0\nmax 2\noom 3\noom_kill 3\n");
        assert_int_equal(cg_service_process_events(s, &ev), 0);
        assert_int_equal(ev.mask, CG_EVENT_THAWED | CG_EVENT_EMPTY | CG_EVENT_OOM_KILL);
        assert_int_equal(ev.oom_kills, 3);
        close(inner);
        cg_service_free(s);
        cg_service_free(old);
        cg_root_free(root2);
        cg_root_free(root);
}

/* All the root's services on one fd: each with news comes once per wake,
 * services made before and after the fd alike, none freed meanwhile, none
 * destroyed; 200 services (more than fs.inotify.max_user_instances) need
 * no more fds. */
static void test_root_events(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *a = make_service(root, "a"), *b = make_service(root, "b"), *c, *got = NULL;
        CgService *many[200];
        int efd = cg_root_event_fd(root), seen_a = 0, seen_c = 0;
        CgEvents ev = {};

        assert_true(efd >= 0);
        assert_int_equal(cg_root_event_fd(root), efd);
        c = make_service(root, "c");
        cg_service_set_userdata(a, a);
        assert_ptr_equal(cg_service_get_userdata(a), a);
        assert_false(readable(efd, 0));
        assert_int_equal(cg_root_process_events(root, &got, &ev), 0);

        put_in_place(cg_service_fd(a), "cgroup.events", "populated 1\nfrozen 0\n");
        put_in_place(cg_service_fd(a), "cgroup.events", "populated 1\nfrozen 1\n");
        put_in_place(cg_service_fd(c), "memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
        put_in_place(cg_service_fd(b), "cgroup.events", "populated 1\nfrozen 0\n");
        cg_service_free(b);     /* news pending, then freed: skipped */
        assert_true(readable(efd, 1000));
        while (cg_root_process_events(root, &got, &ev) > 0) {
                if (got == a) {
                        seen_a++;
                        assert_int_equal(ev.mask, CG_EVENT_POPULATED | CG_EVENT_FROZEN);
                } else if (got == c) {
                        seen_c++;
                        assert_int_equal(ev.mask, CG_EVENT_OOM | CG_EVENT_OOM_KILL);
                        assert_int_equal(ev.oom_kills, 1);
                } else
                        fail_msg("news from a service that is not a or c");
        }
        assert_int_equal(seen_a, 1);
        assert_int_equal(seen_c, 1);
        assert_false(readable(efd, 0));

        /* destroyed: its watches go (IN_IGNORED), nothing is reported */
        assert_int_equal(cg_service_destroy(c, NULL), 0);
        assert_int_equal(cg_root_process_events(root, &got, &ev), 0);
        assert_int_equal(root->n_watches, 2);   /* a: cgroup.events, memory.events */
        cg_service_free(c);

        for (size_t i = 0; i < ELEMENTSOF(many); i++) {
                char name[16];

                (void) snprintf(name, sizeof(name), "s%zu", i);
                many[i] = make_service(root, name);
                cg_service_set_userdata(many[i], &many[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                put_in_place(cg_service_fd(many[i]), "cgroup.events", "populated 1\nfrozen 0\n");
        {
                unsigned hits[ELEMENTSOF(many)] = {}, total = 0;

                while (cg_root_process_events(root, &got, &ev) > 0) {
                        CgService **slot = cg_service_get_userdata(got);

                        assert_int_equal(ev.mask, CG_EVENT_POPULATED);
                        hits[slot - many]++;
                        total++;
                }
                assert_int_equal(total, ELEMENTSOF(many));
                for (size_t i = 0; i < ELEMENTSOF(many); i++)
                        assert_int_equal(hits[i], 1);
        }
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                cg_service_free(many[i]);
        cg_service_free(a);
        cg_root_free(root);
}

/* A service may outlive its root's object (freed in any order). */
static void test_root_freed_first(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        CgService *a = make_service(root, "a");

        assert_true(cg_root_event_fd(root) >= 0);
        cg_root_free(root);
        cg_service_free(a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_timeout_zero_never_waits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_cancel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_frozen_before, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_skip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_overlap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_freeze_thaw_meanwhile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signal_op_no_freezer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_events, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_freed_first, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
