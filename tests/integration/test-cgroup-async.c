/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* issue 11: cgroup/ as corrald's event loop drives it, on the real cgroup2
 * (this host's /sys/fs/cgroup/unified, or the VM's): no controllers are
 * needed for freeze, kill and cgroup.events. A signal walk in two halves
 * around CG_EVENT_FROZEN, waited for by poll() on the event fd as sd-event
 * would; kill/freeze/thaw with timeout 0 return at once and their
 * EMPTY/FROZEN/THAWED follow on the fd; a cgroup re-opened (frozen, with a
 * sub-cgroup) reports only what changes after. */
#include <poll.h>
#include <sys/mman.h>

#include "cg-test.h"
#include "strv.h"

static CgRoot *root;
static struct {
        int events_fd;          /* the service whose cgroup.events a signal checks */
        pid_t watch_pid;        /* signals sent to this pid ... */
        unsigned watch_sent;    /* ... counted */
        unsigned signals, unfrozen;
        bool first_unfrozen;    /* the first signal of a walk came while not frozen */
        bool refuse_kill;       /* cgroup.kill as before Linux 5.14: ENOENT */
} ops_state = { .events_fd = -EBADF };

static int check_signal(int pidfd, pid_t pid, int sig, void *userdata) {
        _cleanup_free_ char *ev = NULL;

        ops_state.signals++;
        if (read_file_at(ops_state.events_fd, "cgroup.events", &ev, NULL) < 0 || !strstr(ev, "frozen 1"))
                ops_state.unfrozen++;
        if (ops_state.signals == 1 && ops_state.unfrozen == 1)
                ops_state.first_unfrozen = true;
        if (pid == ops_state.watch_pid)
                ops_state.watch_sent++;
        return crl_pidfd_send_signal(pidfd, sig, NULL, 0);
}

static int maybe_refuse_write(int dir_fd, const char *file, const char *value, void *userdata) {
        if (ops_state.refuse_kill && streq(file, "cgroup.kill"))
                return -ENOENT;
        return write_string_at(dir_fd, file, value);
}

static usec_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* What an sd-event io source on the fd would do: poll, then process,
 * until one of want shows up or 5 s pass. Returns the events seen. */
static CgEventType wait_event(CgService *s, CgEventType want) {
        CgEventType seen = 0;
        usec_t end = now_usec() + 5 * USEC_PER_SEC;
        int efd = cg_service_event_fd(s);

        while (!(seen & want) && now_usec() < end) {
                CgEvents ev = {};

                if (poll(&(struct pollfd) { .fd = efd, .events = POLLIN }, 1, 5000) <= 0)
                        break;
                if (cg_service_process_events(s, &ev) < 0)
                        break;
                seen |= ev.mask;
        }
        return seen;
}

static CgService *create(const char *name) {
        ResourceConfig rc = rc_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        CHECK(cg_service_create(root, name, &rc, 0, &s, &warnings, &err) == 0, "create %s: %s", name, err.message);
        strv_free(warnings);
        if (!s)
                return NULL;
        ops_state.events_fd = cg_service_fd(s);
        /* as corrald: the event fd before the first process, so that its
         * POPULATED is on it */
        CHECK(cg_service_event_fd(s) >= 0, "event fd of %s", name);
        return s;
}

static void destroy(CgService *s) {
        CrlError err = {};

        CHECK(cg_service_destroy(s, &err) == 0, "destroy %s: %s", cg_service_name(s), err.message);
        ops_state.events_fd = -EBADF;
        cg_service_free(s);
}

/* Ignores SIGTERM, counts each SIGUSR1 it receives in *arg. */
static _Noreturn int usr1_counter(void *arg) {
        unsigned *count = arg;
        sigset_t set;
        int sig;

        (void) signal(SIGTERM, SIG_IGN);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        (void) sigprocmask(SIG_BLOCK, &set, NULL);
        __atomic_store_n(&count[1], 1, __ATOMIC_SEQ_CST);      /* ready */
        for (;;)
                if (sigwait(&set, &sig) == 0)
                        __atomic_add_fetch(&count[0], 1, __ATOMIC_SEQ_CST);
}

/* One walk: begin, poll the fd for FROZEN, finish. Returns how many were
 * signalled (-errno). */
static int walk(CgService *s, int sig) {
        CgSignalOp *op = NULL;
        unsigned n = 0;
        CrlError err = {};
        usec_t t0 = now_usec();
        int r;

        r = cg_service_signal_begin(s, sig, &op, &err);
        CHECK(r >= 0 && now_usec() - t0 < 500 * USEC_PER_MSEC, "begin: %d %s, %llu us", r, err.message,
              (unsigned long long) (now_usec() - t0));
        if (r < 0)
                return r;
        CHECK(streq(file_of(s, "cgroup.freeze"), "1"), "cgroup.freeze=%s after begin", file_of(s, "cgroup.freeze"));
        if (r == 0)
                CHECK(wait_event(s, CG_EVENT_FROZEN) & CG_EVENT_FROZEN, "no CG_EVENT_FROZEN on the fd");
        r = cg_service_signal_finish(op, &n, &err);
        CHECK(r == 0, "finish: %s", err.message);
        return r < 0 ? r : (int) n;
}

/* A SIGTERM-ignoring tree of 50 and a counter of SIGUSR1: a SIGTERM walk
 * reaches all 51 while frozen and leaves them; a SIGUSR1 walk kills the
 * tree and reaches the counter exactly once. */
static void test_signal_walk(void) {
        unsigned *count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int tree, counter, code = 0, status = 0, n;
        pid_t counter_pid = 0;
        CgService *s;

        printf("# signal walks in two halves around CG_EVENT_FROZEN\n");
        s = create("walk");
        if (!s)
                return;
        tree = cg_test_start_tree(s);
        counter = spawn_in(s, usr1_counter, count, &counter_pid);
        for (int i = 0; i < 100 && !__atomic_load_n(&count[1], __ATOMIC_SEQ_CST); i++)
                msleep(20);
        CHECK(cg_test_tasks(s) == 51, "tasks: %llu", (unsigned long long) cg_test_tasks(s));
        CHECK(wait_event(s, CG_EVENT_POPULATED) & CG_EVENT_POPULATED, "no CG_EVENT_POPULATED");
        ops_state.watch_pid = counter_pid;
        ops_state.signals = ops_state.unfrozen = ops_state.watch_sent = 0;

        n = walk(s, SIGTERM);
        CHECK(n == 51, "SIGTERM walk signalled %d", n);
        CHECK(ops_state.unfrozen == 0, "%u of %u signals while not frozen", ops_state.unfrozen, ops_state.signals);
        CHECK(streq(file_of(s, "cgroup.freeze"), "0"), "cgroup.freeze=%s after finish", file_of(s, "cgroup.freeze"));
        /* events are changes of state: when begin found the freeze done
         * already (1), no FROZEN was processed, and no THAWED comes */
        if (cg_service_frozen(s))
                CHECK(wait_event(s, CG_EVENT_THAWED) & CG_EVENT_THAWED, "no CG_EVENT_THAWED");
        CHECK(!cg_service_frozen(s) && !strstr(file_of(s, "cgroup.events"), "frozen 1"), "still frozen: %s",
              file_of(s, "cgroup.events"));
        CHECK(cg_test_tasks(s) == 51, "after SIGTERM: %llu", (unsigned long long) cg_test_tasks(s));

        /* A fatal signal makes its task leave the frozen state to die, and
         * cgroup.events says "frozen 0" until it is gone: the first signal
         * of the walk lands frozen, the others as they may. */
        ops_state.signals = ops_state.unfrozen = ops_state.watch_sent = 0;
        ops_state.first_unfrozen = false;
        n = walk(s, SIGUSR1);
        CHECK(n == 51, "SIGUSR1 walk signalled %d", n);
        CHECK(!ops_state.first_unfrozen, "the first SIGUSR1 came while not frozen");
        CHECK(ops_state.watch_sent == 1, "SIGUSR1 sent %u times to the counter", ops_state.watch_sent);
        CHECK(wait_pidfd(tree, &code, &status) == 0 && code == CLD_KILLED && status == SIGUSR1,
              "tree main ended with code %d status %d", code, status);
        for (int i = 0; i < 100 && __atomic_load_n(&count[0], __ATOMIC_SEQ_CST) == 0; i++)
                msleep(20);
        msleep(200);    /* a second delivery would show by now */
        CHECK(__atomic_load_n(&count[0], __ATOMIC_SEQ_CST) == 1, "counter received SIGUSR1 %u times", count[0]);
        for (int i = 0; i < 250 && cg_test_tasks(s) != 1; i++)
                msleep(20);     /* 50 exits take a while on a loaded TCG VM */
        CHECK(cg_test_tasks(s) == 1, "after SIGUSR1: %llu", (unsigned long long) cg_test_tasks(s));
        ops_state.watch_pid = 0;
        CHECK(cg_service_kill(s, 5 * USEC_PER_SEC, NULL) == 0, "kill");
        CHECK(wait_pidfd(counter, &code, &status) == 0 && code == CLD_KILLED, "counter code %d", code);
        close(tree);
        close(counter);
        munmap(count, 4096);
        destroy(s);
}

/* kill(0) by cgroup.kill and by the walk, freeze(0), thaw(0): each
 * returns at once, and the kernel's answer arrives on the event fd. */
static void test_timeout_zero_events(void) {
        int pidfd, code = 0, status = 0;
        CrlError err = {};
        CgService *s;
        usec_t t0;

        for (int walk_kill = 0; walk_kill <= 1; walk_kill++) {
                printf("# timeout 0 %s\n", walk_kill ? "(kill by walking, as before 5.14)" : "");
                s = create(walk_kill ? "zero-walk" : "zero");
                if (!s)
                        return;
                pidfd = cg_test_start_tree(s);
                CHECK(wait_event(s, CG_EVENT_POPULATED) & CG_EVENT_POPULATED, "no CG_EVENT_POPULATED");

                t0 = now_usec();
                CHECK(cg_service_freeze(s, 0, &err) == 0, "freeze(0): %s", err.message);
                CHECK(now_usec() - t0 < 500 * USEC_PER_MSEC, "freeze(0) took %llu us",
                      (unsigned long long) (now_usec() - t0));
                CHECK(wait_event(s, CG_EVENT_FROZEN) & CG_EVENT_FROZEN, "no CG_EVENT_FROZEN after freeze(0)");
                CHECK(cg_service_frozen(s), "not frozen");

                t0 = now_usec();
                CHECK(cg_service_thaw(s, 0, &err) == 0, "thaw(0): %s", err.message);
                CHECK(now_usec() - t0 < 500 * USEC_PER_MSEC, "thaw(0) took %llu us",
                      (unsigned long long) (now_usec() - t0));
                CHECK(wait_event(s, CG_EVENT_THAWED) & CG_EVENT_THAWED, "no CG_EVENT_THAWED after thaw(0)");

                ops_state.refuse_kill = walk_kill;
                t0 = now_usec();
                CHECK(cg_service_kill(s, 0, &err) == 0, "kill(0): %s", err.message);
                /* The walk's passes over 50 pidfds are work, not a wait, and
                 * take 640 ms under ASan in the TCG VM: the unit test, whose
                 * fake kernel never confirms, proves the walk waits for
                 * nothing; here only the write is timed. */
                printf("# kill(0) took %llu us\n", (unsigned long long) (now_usec() - t0));
                if (!walk_kill)
                        CHECK(now_usec() - t0 < 500 * USEC_PER_MSEC, "kill(0) took %llu us",
                              (unsigned long long) (now_usec() - t0));
                ops_state.refuse_kill = false;
                CHECK(wait_event(s, CG_EVENT_EMPTY) & CG_EVENT_EMPTY, "no CG_EVENT_EMPTY after kill(0)");
                CHECK(cg_service_is_populated(s) == 0, "still populated");
                CHECK(streq(file_of(s, "cgroup.freeze"), "0"), "cgroup.freeze=%s", file_of(s, "cgroup.freeze"));
                CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
                      "main ended with code %d status %d", code, status);
                close(pidfd);
                destroy(s);
        }
}

/* A restarted corrald opens a frozen service with a sub-cgroup: the first
 * process_events says nothing, the pid in the sub-cgroup is found, a walk
 * leaves it frozen, and what happens next shows on the new fd. */
static void test_adopt(void) {
        int main_fd, inner_fd, sub = -EBADF, code = 0, status = 0, n;
        pid_t inner_pid = 0;
        CgService *s, *again = NULL;
        CgEvents ev = {};
        CrlError err = {};

        printf("# re-adoption of a frozen service with a sub-cgroup\n");
        s = create("adopt");
        if (!s)
                return;
        main_fd = cg_test_spawn_at(cg_service_fd(s));
        CHECK(mkdirat(cg_service_fd(s), "inner", 0755) == 0, "mkdir inner: %m");
        sub = openat(cg_service_fd(s), "inner", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        inner_fd = cg_test_spawn_at(sub);
        CHECK(main_fd >= 0 && inner_fd >= 0, "spawn: %d %d", main_fd, inner_fd);
        CHECK(crl_pidfd_send_signal(inner_fd, 0, NULL, 0) == 0, "inner alive");
        {
                _cleanup_free_ char *fdinfo = NULL, *path = NULL;
                const char *p;

                CHECK(asprintf(&path, "/proc/self/fdinfo/%d", inner_fd) > 0, "asprintf");
                (void) read_file_at(AT_FDCWD, path, &fdinfo, NULL);
                p = fdinfo ? strstr(fdinfo, "\nPid:\t") : NULL;
                inner_pid = p ? (pid_t) atoi(p + 6) : 0;
        }
        CHECK(cg_service_freeze(s, 5 * USEC_PER_SEC, &err) == 0, "freeze: %s", err.message);
        cg_service_free(s);     /* corrald dies; the cgroup stays */

        CHECK(cg_service_open(root, "adopt", &again, &err) == 0, "open: %s", err.message);
        if (!again)
                return;
        ops_state.events_fd = cg_service_fd(again);
        CHECK(cg_service_frozen(again), "adopted: not frozen");
        CHECK(cg_service_is_populated(again) == 1, "adopted: not populated");
        CHECK(cg_service_event_fd(again) >= 0, "event fd");
        CHECK(cg_service_process_events(again, &ev) == 0 && ev.mask == 0, "first events after open: %#x", ev.mask);
        CHECK(cg_service_has_pid(again, inner_pid) == 1, "pid %d in inner not found", (int) inner_pid);
        CHECK(cg_service_has_pid(again, getpid()) == 0, "the test itself found in the service");

        ops_state.signals = ops_state.unfrozen = 0;
        n = walk(again, SIGCONT);
        CHECK(n == 2 && ops_state.unfrozen == 0, "walk: %d signalled, %u unfrozen", n, ops_state.unfrozen);
        CHECK(streq(file_of(again, "cgroup.freeze"), "1"), "adopted service thawed by a walk");

        CHECK(cg_service_thaw(again, 0, &err) == 0, "thaw(0): %s", err.message);
        CHECK(wait_event(again, CG_EVENT_THAWED) & CG_EVENT_THAWED, "no CG_EVENT_THAWED after adoption");
        CHECK(cg_service_kill(again, 0, &err) == 0, "kill(0): %s", err.message);
        CHECK(wait_event(again, CG_EVENT_EMPTY) & CG_EVENT_EMPTY, "no CG_EVENT_EMPTY after adoption");
        CHECK(wait_pidfd(inner_fd, &code, &status) == 0 && code == CLD_KILLED, "inner code %d", code);
        CHECK(wait_pidfd(main_fd, &code, &status) == 0 && code == CLD_KILLED, "main code %d", code);
        close(inner_fd);
        close(main_fd);
        close(sub);
        destroy(again);
}

/* The root's fd polled until n services reported want (5 s at most); each
 * counted in the int its userdata points to. */
static int root_wait(int efd, CgEventType want, int n) {
        usec_t end = now_usec() + 5 * USEC_PER_SEC;
        int seen = 0;

        while (seen < n && now_usec() < end) {
                CgService *got = NULL;
                CgEvents ev = {};
                int r;

                if (poll(&(struct pollfd) { .fd = efd, .events = POLLIN }, 1, 1000) <= 0)
                        continue;
                while ((r = cg_root_process_events(root, &got, &ev)) > 0)
                        if (ev.mask & want) {
                                ++*(int *) cg_service_get_userdata(got);
                                seen++;
                        }
                CHECK(r == 0, "process: %s", strerror(-r));
        }
        return seen;
}

/* corrald's way: 150 services (more than fs.inotify.max_user_instances,
 * 128 by default) on the root's one fd; a process in every tenth, killed
 * with kill(0); each EMPTY comes once, for the right service. */
static void test_root_events(void) {
        enum { N = 150 };
        CgService *s[N] = {};
        int pidfd[N], efd, n_empty = 0, hits[N] = {};
        CrlError err = {};

        printf("# %d services on the root's event fd\n", N);
        efd = cg_root_event_fd(root);
        CHECK(efd >= 0, "root event fd: %s", strerror(-efd));
        for (int i = 0; i < N; i++) {
                ResourceConfig rc = rc_unset();
                char name[16], **warnings = NULL;

                (void) snprintf(name, sizeof(name), "many-%d", i);
                CHECK(cg_service_create(root, name, &rc, 0, &s[i], &warnings, &err) == 0, "create %s: %s", name,
                      err.message);
                strv_free(warnings);
                if (!s[i])
                        return;
                cg_service_set_userdata(s[i], &hits[i]);
                pidfd[i] = i % 10 == 0 ? cg_test_spawn_at(cg_service_fd(s[i])) : -EBADF;
        }
        /* as corrald: POPULATED seen first (an EMPTY right after an
         * unprocessed POPULATED is no change of state, hence no event) */
        CHECK(root_wait(efd, CG_EVENT_POPULATED, N / 10) == N / 10, "POPULATED events");
        memset(hits, 0, sizeof(hits));
        for (int i = 0; i < N; i += 10)
                CHECK(cg_service_kill(s[i], 0, &err) == 0, "kill(0) many-%d: %s", i, err.message);
        n_empty = root_wait(efd, CG_EVENT_EMPTY, N / 10);
        CHECK(n_empty == N / 10, "%d of %d EMPTY events", n_empty, N / 10);
        for (int i = 0; i < N; i++) {
                int code = 0, status = 0;

                if (i % 10 == 0) {
                        CHECK(hits[i] == 1, "many-%d: %d EMPTY", i, hits[i]);
                        CHECK(wait_pidfd(pidfd[i], &code, &status) == 0 && code == CLD_KILLED,
                              "many-%d: code %d", i, code);
                        close(pidfd[i]);
                } else if (hits[i] != 0)
                        CHECK(hits[i] == 0, "many-%d without processes: %d EMPTY", i, hits[i]);
                destroy(s[i]);
        }
}

int main(void) {
        static const CgFsOps ops = { .write_at = maybe_refuse_write, .signal_pidfd = check_signal };
        _cleanup_close_ int mount_fd = -EBADF;
        char path[64];
        CrlError err = {};
        CgProbe probe;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (geteuid() != 0)
                return printf("needs root\n"), 77;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || !probe.mount[0])
                return printf("no cgroup2 mount: %s\n", err.message), 77;
        mount_fd = open(probe.mount, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        (void) snprintf(path, sizeof(path), "/corral-async-%d", (int) getpid());
        if (mount_fd < 0 || cg_root_open_at(&probe, mount_fd, probe.mount, path, NULL, &ops, &root, &err) < 0)
                return printf("FAIL root: %s\n", err.message), 1;
        printf("# root %s%s\n", cg_root_mount(root), cg_root_path(root));
        test_signal_walk();
        test_timeout_zero_events();
        test_adopt();
        test_root_events();
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        cg_root_free(root);
        return it_report("test-cgroup-async");
}
