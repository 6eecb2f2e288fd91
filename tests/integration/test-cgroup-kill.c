/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Killing and signalling a service's processes, in the VM (pure cgroup2):
 * the kernel's cgroup.kill, and the walk over cgroup.procs that kernels
 * before 5.14 need, forced here by refusing the cgroup.kill write as such a
 * kernel would (ENOENT). At each signal the walk sends, the real
 * cgroup.events must say "frozen 1" (issue 10 #12). Also the nesting bound:
 * mkdir below a service stops at cgroup.max.depth, and the walks stop at
 * CG_SERVICE_MAX_DEPTH even when the kernel's limit is raised. Exits 77
 * outside the VM. */
#include <sys/mman.h>
#include <time.h>

#include "cg-test.h"
#include "strv.h"

static CgRoot *root;
static struct {
        bool no_cgroup_kill;    /* refuse cgroup.kill with ENOENT */
        int events_fd;          /* the service whose cgroup.events a signal checks */
        unsigned signals, unfrozen;
        bool first_unfrozen;    /* the first signal of the walk came while not frozen */
        char **log;             /* "FILE=VALUE" and "signal" */
} ops_state = { .events_fd = -EBADF };

static int log_write(int dir_fd, const char *file, const char *value, void *userdata) {
        char line[256];

        (void) snprintf(line, sizeof(line), "%s=%s", file, value);
        (void) strv_extend(&ops_state.log, line);
        if (ops_state.no_cgroup_kill && streq(file, "cgroup.kill"))
                return -ENOENT;
        return write_string_at(dir_fd, file, value);
}

static int log_signal(int pidfd, pid_t pid, int sig, void *userdata) {
        _cleanup_free_ char *ev = NULL;

        ops_state.signals++;
        if (read_file_at(ops_state.events_fd, "cgroup.events", &ev, NULL) < 0 || !strstr(ev, "frozen 1")) {
                ops_state.unfrozen++;
                if (ops_state.signals == 1)
                        ops_state.first_unfrozen = true;
        }
        (void) strv_extend(&ops_state.log, "signal");
        return crl_pidfd_send_signal(pidfd, sig, NULL, 0);
}

static ssize_t log_first(const char *line) {
        for (size_t i = 0; ops_state.log && ops_state.log[i]; i++)
                if (streq(ops_state.log[i], line))
                        return (ssize_t) i;
        return -1;
}

static ssize_t log_last(const char *line) {
        ssize_t last = -1;

        for (size_t i = 0; ops_state.log && ops_state.log[i]; i++)
                if (streq(ops_state.log[i], line))
                        last = (ssize_t) i;
        return last;
}

static void reset_log(CgService *s) {
        ops_state.log = strv_free(ops_state.log);
        ops_state.signals = ops_state.unfrozen = 0;
        ops_state.first_unfrozen = false;
        ops_state.events_fd = s ? cg_service_fd(s) : -EBADF;
}

static CgService *create(const char *name) {
        ResourceConfig rc = rc_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};

        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 200 };
        CHECK(cg_service_create(root, name, &rc, 0, &s, &warnings, &err) == 0, "create %s: %s", name, err.message);
        strv_free(warnings);
        return s;
}

/* A task sent SIGTERM stays frozen; one sent SIGKILL dies without a thaw,
 * but leaves the frozen state to do so, and cgroup.events says "frozen 0"
 * until it is gone (seen on 6.1). So: every SIGTERM, and the first SIGKILL
 * of a walk, land while cgroup.events says frozen 1. */
static void check_frozen_walk(const char *what, unsigned want_signals, bool all_frozen) {
        ssize_t freeze = log_first("cgroup.freeze=1"), first = log_first("signal"),
                last = log_last("signal"), thaw = log_last("cgroup.freeze=0");

        printf("# %s: %u signals, %u while cgroup.events said frozen 0\n", what, ops_state.signals,
               ops_state.unfrozen);
        CHECK(ops_state.signals == want_signals, "%s: %u signals", what, ops_state.signals);
        CHECK(!ops_state.first_unfrozen, "%s: the first signal came while not frozen", what);
        if (all_frozen)
                CHECK(ops_state.unfrozen == 0, "%s: %u signals while cgroup.events did not say frozen 1", what,
                      ops_state.unfrozen);
        CHECK(freeze >= 0 && freeze < first, "%s: cgroup.freeze=1 at %zd, first signal at %zd", what, freeze, first);
        CHECK(thaw > last, "%s: cgroup.freeze=0 at %zd, last signal at %zd", what, thaw, last);
}

/* SIGTERM to all, then SIGKILL without cgroup.kill, each walk frozen */
static void test_walk(void) {
        int pidfd, code = 0, status = 0, n;
        CrlError err = {};
        CgStats st = {};
        CgService *s;

        printf("# SIGTERM and SIGKILL by walking cgroup.procs, frozen\n");
        s = create("walk");
        if (!s)
                return;
        pidfd = cg_test_start_tree(s);
        reset_log(s);
        n = cg_service_signal(s, SIGTERM, &err);
        CHECK(n == 50, "SIGTERM sent to %d: %s", n, err.message);
        check_frozen_walk("SIGTERM", 50, true);
        CHECK(streq(file_of(s, "cgroup.freeze"), "0"), "left cgroup.freeze=%s", file_of(s, "cgroup.freeze"));
        CHECK(cg_service_stats(s, &st) == 0 && st.tasks_current == 50, "after SIGTERM: %llu",
              (unsigned long long) st.tasks_current);
        reset_log(s);
        ops_state.no_cgroup_kill = true;
        CHECK(cg_service_kill(s, 10 * USEC_PER_SEC, &err) == 0, "kill: %s", err.message);
        ops_state.no_cgroup_kill = false;
        CHECK(log_first("cgroup.kill=1") == 0, "cgroup.kill was not tried first");
        check_frozen_walk("SIGKILL", 50, false);
        CHECK(cg_service_is_populated(s) == 0, "still populated");
        CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "main ended with code %d status %d", code, status);
        close(pidfd);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy: %s", err.message);
        reset_log(NULL);
        cg_service_free(s);
}

/* A service frozen by the user is killed by the walk and stays frozen:
 * a frozen task dies of SIGKILL without a thaw. */
static void test_walk_frozen_service(void) {
        int pidfd, code = 0, status = 0;
        CrlError err = {};
        CgService *s;

        printf("# SIGKILL by walking a service that was frozen before\n");
        s = create("frozen");
        if (!s)
                return;
        pidfd = cg_test_start_tree(s);
        CHECK(cg_service_freeze(s, 10 * USEC_PER_SEC, &err) == 0, "freeze: %s", err.message);
        reset_log(s);
        ops_state.no_cgroup_kill = true;
        CHECK(cg_service_kill(s, 10 * USEC_PER_SEC, &err) == 0, "kill: %s", err.message);
        ops_state.no_cgroup_kill = false;
        CHECK(ops_state.signals == 50 && !ops_state.first_unfrozen, "%u signals, first unfrozen %d",
              ops_state.signals, ops_state.first_unfrozen);
        CHECK(log_first("cgroup.freeze=0") < 0, "thawed a service frozen before");
        CHECK(streq(file_of(s, "cgroup.freeze"), "1"), "cgroup.freeze=%s", file_of(s, "cgroup.freeze"));
        CHECK(cg_service_is_populated(s) == 0, "still populated");
        CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "main ended with code %d status %d", code, status);
        close(pidfd);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy: %s", err.message);
        reset_log(NULL);
        cg_service_free(s);
}

/* mkdir d1/d2/... below dir_fd while it works; returns how many levels were
 * made, the fd of the deepest in *ret_fd and the failing errno. */
static int nest(int dir_fd, int levels, int *ret_fd, int *ret_errno) {
        int d = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3), made = 0;

        *ret_errno = 0;
        for (int i = 1; i <= levels; i++, made++) {
                char name[16];
                int next;

                (void) snprintf(name, sizeof(name), "d%d", i);
                if (mkdirat(d, name, 0755) < 0) {
                        *ret_errno = errno;
                        break;
                }
                next = openat(d, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                close(d);
                d = next;
        }
        *ret_fd = d;
        return made;
}

static void rmdir_chain(int dir_fd, int levels) {
        for (int i = levels; i >= 1; i--) {
                char path[16 * 8] = "";

                for (int j = 1; j <= i; j++)
                        (void) snprintf(path + strlen(path), sizeof(path) - strlen(path), "%sd%d",
                                        j > 1 ? "/" : "", j);
                (void) unlinkat(dir_fd, path, AT_REMOVEDIR);    /* checked by the destroy after */
        }
}

static void test_nesting(void) {
        int deep = -EBADF, e = 0, made, pidfd, code = 0, status = 0;
        CrlError err = {};
        CgService *s;

        printf("# nesting below a service: cgroup.max.depth %d\n", CG_SERVICE_MAX_DEPTH);
        s = create("nest");
        if (!s)
                return;
        CHECK(streq(file_of(s, "cgroup.max.depth"), "16"), "cgroup.max.depth=%s", file_of(s, "cgroup.max.depth"));
        CHECK(streq(file_of(s, "cgroup.max.descendants"), "4096"), "cgroup.max.descendants=%s",
              file_of(s, "cgroup.max.descendants"));
        made = nest(cg_service_fd(s), 20, &deep, &e);
        printf("# made %d levels, then %s\n", made, strerror(e));
        CHECK(made == CG_SERVICE_MAX_DEPTH && e == EAGAIN, "made %d levels, then errno %d", made, e);
        /* a process at the deepest level: the walk reaches it */
        pidfd = cg_test_spawn_at(deep);
        close(deep);
        CHECK(pidfd >= 0, "spawn at depth 16: %s", strerror(-pidfd));
        reset_log(s);
        ops_state.no_cgroup_kill = true;
        CHECK(cg_service_kill(s, 10 * USEC_PER_SEC, &err) == 0, "kill: %s", err.message);
        ops_state.no_cgroup_kill = false;
        CHECK(ops_state.signals == 1 && ops_state.unfrozen == 0, "%u signals, %u unfrozen", ops_state.signals,
              ops_state.unfrozen);
        CHECK(pidfd >= 0 && wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "depth-16 process ended with code %d status %d", code, status);
        if (pidfd >= 0)
                close(pidfd);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy of a 16-deep tree: %s", err.message);
        CHECK(faccessat(cg_root_fd(root), "nest.service", F_OK, 0) < 0 && errno == ENOENT, "nest.service left");
        reset_log(NULL);
        cg_service_free(s);
}

/* The kernel's limit raised (a root service can write its own cgroup's
 * files): the walks still end, at CG_SERVICE_MAX_DEPTH, and say so;
 * cgroup.kill still kills everything. */
static void test_nesting_raised(void) {
        int deep = -EBADF, e = 0, made, pidfd, code = 0, status = 0, n;
        CrlError err = {};
        CgService *s;

        printf("# nesting with cgroup.max.depth raised to max\n");
        s = create("deep");
        if (!s)
                return;
        CHECK(write_string_at(cg_service_fd(s), "cgroup.max.depth", "max") == 0, "raise cgroup.max.depth");
        made = nest(cg_service_fd(s), 24, &deep, &e);
        CHECK(made == 24, "made %d levels: %s", made, strerror(e));
        pidfd = cg_test_spawn_at(deep);
        close(deep);
        CHECK(pidfd >= 0, "spawn at depth 24: %s", strerror(-pidfd));
        reset_log(s);
        n = cg_service_signal(s, SIGTERM, &err);
        printf("# %s\n", err.message);
        CHECK(n == -ELOOP && strstr(err.message, "nested too deep"), "signal: %d %s", n, err.message);
        CHECK(ops_state.signals == 0, "%u signals", ops_state.signals);
        CHECK(streq(file_of(s, "cgroup.freeze"), "0"), "left cgroup.freeze=%s", file_of(s, "cgroup.freeze"));
        CHECK(cg_service_kill(s, 10 * USEC_PER_SEC, &err) == 0, "kill by cgroup.kill: %s", err.message);
        CHECK(pidfd >= 0 && wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED && status == SIGKILL,
              "depth-24 process ended with code %d status %d", code, status);
        if (pidfd >= 0)
                close(pidfd);
        CHECK(cg_service_destroy(s, &err) == -ELOOP, "destroy: %s", err.message);
        rmdir_chain(cg_service_fd(s), 24);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy after removing the chain: %s", err.message);
        reset_log(NULL);
        cg_service_free(s);
}

int main(void) {
        const char *where = getenv("CORRAL_TEST_WHERE");
        static const CgFsOps ops = { .write_at = log_write, .signal_pidfd = log_signal };
        _cleanup_close_ int mount_fd = -EBADF;
        char path[64];
        CrlError err = {};
        CgProbe probe;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!where || !streq(where, "vm"))
                return printf("needs the VM (pure cgroup2): CORRAL_TEST_WHERE=vm\n"), 77;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || probe.mode != CG_MODE_UNIFIED)
                return printf("no unified cgroup2 here: %s\n", err.message), 77;
        mount_fd = open(probe.mount, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        (void) snprintf(path, sizeof(path), "/corral-kill-%d", (int) getpid());
        if (mount_fd < 0 || cg_root_open_at(&probe, mount_fd, probe.mount, path, NULL, &ops, &root, &err) < 0)
                return printf("FAIL root: %s\n", err.message), 1;
        test_walk();
        test_walk_frozen_service();
        test_nesting();
        test_nesting_raised();
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        cg_root_free(root);
        printf("%s\n", failures ? "FAILED" : "all passed");
        return failures ? 1 : 0;
}
