/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Credentials resolved off the event loop (ns_creds_resolve_start()): the
 * same NsCreds and errors as in-process; a resolver hung in NSS is given up
 * without waiting and leaves no process; no fd or child stays behind; a
 * launch given creds looks up nothing; the fast path forks nothing; a
 * PrivateUsers=pick lock held elsewhere fails at once.
 *
 * A real NSS hang: in a mount namespace of this test, a FIFO without a
 * writer is bound over /etc/passwd, so glibc's nss_files blocks in open(),
 * in the resolver or in whoever looks up a user. */
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>

#include "fileio.h"
#include "launch-util.h"
#include "ns-creds.h"

#define SVC_USER "corral-test-svc"

/* ---- a test user with groups, in /etc copies only we see ---- */

static void copy_and_append(const char *from, const char *to, const char *extra) {
        char *text = NULL;
        FILE *f;

        CHECK(sh(&text, "cat %s", from) == 0, "read %s", from);
        f = fopen(to, "we");
        if (!f)
                abort();
        fputs(text, f);
        fputs(extra, f);
        fclose(f);
        free(text);
}

static char scratch[] = "/tmp/corral-test-creds-XXXXXX";

static int enter_test_users(void) {
        char passwd[64], group[64];

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (!mkdtemp(scratch) || mount("tmpfs", scratch, "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        (void) snprintf(passwd, sizeof(passwd), "%s/passwd", scratch);
        (void) snprintf(group, sizeof(group), "%s/group", scratch);
        copy_and_append("/etc/passwd", passwd, SVC_USER ":x:64100:64100::/nonexistent:/bin/sh\n");
        copy_and_append("/etc/group", group,
                        SVC_USER ":x:64100:\n"
                        "corral-test-a:x:64101:" SVC_USER "\n"
                        "corral-test-b:x:64102:nobody," SVC_USER "\n"
                        "corral-test-c:x:64103:\n");
        if (mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0 || mount(group, "/etc/group", NULL, MS_BIND, NULL) < 0)
                return -errno;
        return 0;
}

/* /etc/passwd becomes a FIFO nobody writes to: NSS lookups hang. */
static void nss_hang(bool on) {
        char fifo[64];

        (void) snprintf(fifo, sizeof(fifo), "%s/fifo", scratch);
        if (on) {
                CHECK(mkfifo(fifo, 0644) == 0 || errno == EEXIST, "mkfifo: %m");
                CHECK(mount(fifo, "/etc/passwd", NULL, MS_BIND, NULL) == 0, "bind fifo: %m");
        } else
                CHECK(umount2("/etc/passwd", MNT_DETACH) == 0, "umount fifo: %m");
}

static long long now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

_printf_(1, 2) static const char *fmt(const char *f, ...) {
        static char buf[256];
        va_list ap;

        va_start(ap, f);
        (void) vsnprintf(buf, sizeof(buf), f, ap);
        va_end(ap);
        return buf;
}

/* Our children, as the kernel lists them (zombies included; the test has
 * one thread), and the first of them. */
static int list_children(pid_t *ret_first) {
        _cleanup_free_ char *text = NULL;
        int n = 0;

        if (read_file_at(AT_FDCWD, fmt("/proc/self/task/%d/children", (int) getpid()), &text, NULL) < 0)
                return -1;
        for (char *p = text; *p; p++)
                if (*p >= '0' && *p <= '9' && (p == text || p[-1] == ' '))
                        n++;
        if (ret_first)
                *ret_first = (pid_t) atoi(text);
        return n;
}

static int count_children(void) {
        return list_children(NULL);
}

static UnitConfig *unit_ids(const char *user, const char *group, const char *supplementary, PrivateUsers pu) {
        UnitConfig *u = unit_new("creds");

        unit_set_str(&u->user, user);
        unit_set_str(&u->group, group);
        if (supplementary) {
                _cleanup_free_ char *copy = strdup(supplementary);

                for (char *save = NULL, *g = strtok_r(copy, " ", &save); g; g = strtok_r(NULL, " ", &save))
                        CHECK(strv_extend(&u->supplementary_groups, g) >= 0, "groups");
        }
        u->private_users = pu;
        return u;
}

/* Start, wait for the fd as a loop would, finish. */
static int resolve_async(const UnitConfig *u, NsCreds **ret, CrlError *e, int *ret_started) {
        _cleanup_(ns_creds_resolve_freep) NsCredsResolve *r = NULL;
        int k, started;

        started = ns_creds_resolve_start(u, &r, e);
        if (ret_started)
                *ret_started = started;
        if (started < 0)
                return started;
        while ((k = ns_creds_resolve_finish(r, ret, e)) == -EAGAIN)
                CHECK(poll(&(struct pollfd) { .fd = ns_creds_resolve_fd(r), .events = POLLIN }, 1, 10000) == 1,
                      "resolver of %s did not end in 10 s", u->user ?: u->group ?: "groups");
        return k;
}

static bool creds_equal(const NsCreds *a, const NsCreds *b) {
        if (a->set_ids != b->set_ids || a->uid != b->uid || a->gid != b->gid || a->set_groups != b->set_groups ||
            a->n_groups != b->n_groups || !streq(a->user_name ?: "-", b->user_name ?: "-") ||
            !streq(a->home ?: "-", b->home ?: "-") || !streq(a->shell ?: "-", b->shell ?: "-"))
                return false;
        return a->n_groups == 0 || memcmp(a->groups, b->groups, a->n_groups * sizeof(gid_t)) == 0;
}

static char *creds_string(const NsCreds *c) {
        char *s = NULL, *g = strdup("");

        for (size_t i = 0; i < c->n_groups; i++) {
                char *n = NULL;

                if (asprintf(&n, "%s%s%u", g, i ? "," : "", (unsigned) c->groups[i]) < 0)
                        abort();
                free(g);
                g = n;
        }
        if (asprintf(&s, "ids=%d uid=%u gid=%u set_groups=%d groups=%s user=%s home=%s shell=%s", c->set_ids,
                     (unsigned) c->uid, (unsigned) c->gid, c->set_groups, g, c->user_name ?: "-", c->home ?: "-",
                     c->shell ?: "-") < 0)
                abort();
        free(g);
        return s;
}

typedef struct SameCase {
        const char *user, *group, *supplementary;
        PrivateUsers pu;
        const char *want;       /* creds_string() of both */
        int want_started;       /* 0: a resolver process; 1: no process */
} SameCase;

static const SameCase same_cases[] = {
        { "root", NULL, NULL, 0, "ids=1 uid=0 gid=0 set_groups=1 groups=0 user=root home=/root shell=", 0 },
        { "nobody", NULL, NULL, 0, "ids=1 uid=65534 gid=65534 set_groups=1 groups=65534,64102 user=nobody "
          "home=/nonexistent shell=/usr/sbin/nologin", 0 },
        { "4242", NULL, NULL, 0, "ids=1 uid=4242 gid=4242 set_groups=1 groups= user=- home=- shell=-", 0 },
        { "65534", NULL, NULL, 0, "ids=1 uid=65534 gid=65534 set_groups=1 groups=65534,64102 user=nobody", 0 },
        { NULL, "corral-test-c", NULL, 0, "ids=1 uid=0 gid=64103 set_groups=1 groups= user=- home=- shell=-", 0 },
        { NULL, "4243", NULL, 0, "ids=1 uid=0 gid=4243 set_groups=1 groups= user=- home=- shell=-", 1 },
        { NULL, NULL, "corral-test-b 64103", 0, "ids=0 uid=0 gid=0 set_groups=1 groups=64102,64103 user=-", 0 },
        { NULL, NULL, "64103 7", 0, "ids=0 uid=0 gid=0 set_groups=1 groups=64103,7 user=-", 1 },
        { SVC_USER, "corral-test-c", "corral-test-a nogroup", 0, "ids=1 uid=64100 gid=64103 set_groups=1 "
          "groups=64103,64101,64102,65534 user=" SVC_USER " home=/nonexistent shell=/bin/sh", 0 },
        { NULL, NULL, NULL, PRIVATE_USERS_SELF, "ids=1 uid=0 gid=0 set_groups=1 groups= user=-", 1 },
        { NULL, NULL, NULL, 0, "ids=0 uid=0 gid=0 set_groups=0 groups= user=- home=- shell=-", 1 },
};

static void test_same(void) {
        for (size_t i = 0; i < ELEMENTSOF(same_cases); i++) {
                const SameCase *c = &same_cases[i];
                _cleanup_(unit_config_freep) UnitConfig *u = unit_ids(c->user, c->group, c->supplementary, c->pu);
                _cleanup_(ns_creds_freep) NsCreds *sync = NULL, *async = NULL;
                _cleanup_free_ char *s = NULL, *a = NULL;
                CrlError e1 = {}, e2 = {};
                int started = -1;

                CHECK(ns_creds_resolve(u, &sync, &e1) == 0, "case %zu: %s", i, e1.message);
                CHECK(resolve_async(u, &async, &e2, &started) == 0, "case %zu: %s", i, e2.message);
                if (!sync || !async)
                        continue;
                s = creds_string(sync);
                a = creds_string(async);
                CHECK(creds_equal(sync, async), "case %zu:\n  sync  %s\n  async %s", i, s, a);
                CHECK(strneq(s, c->want, strlen(c->want)), "case %zu: %s, want %s", i, s, c->want);
                CHECK(started == c->want_started, "case %zu: start returned %d, want %d", i, started, c->want_started);
        }
}

static void test_same_errors(void) {
        static const struct {
                const char *user, *group, *supplementary, *want;
                int error;
        } cases[] = {
                { "corral-no-such-user", NULL, NULL, "step 'uid': User='corral-no-such-user': no such user", ESRCH },
                { "nobody", "corral-no-such-group", NULL, "step 'gid': group 'corral-no-such-group': no such group",
                  ESRCH },
                { NULL, NULL, "nogroup corral-no-such-group",
                  "step 'gid': group 'corral-no-such-group': no such group", ESRCH },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_ids(cases[i].user, cases[i].group,
                                                                       cases[i].supplementary, 0);
                NsCreds *c1 = NULL, *c2 = NULL;
                CrlError e1 = {}, e2 = {};
                int r1, r2;

                r1 = ns_creds_resolve(u, &c1, &e1);
                r2 = resolve_async(u, &c2, &e2, NULL);
                CHECK(r1 == -cases[i].error && r2 == r1 && e1.error == e2.error && !c1 && !c2,
                      "case %zu: r %d/%d errno %d/%d", i, r1, r2, e1.error, e2.error);
                CHECK(streq(e1.message, cases[i].want) && streq(e2.message, e1.message),
                      "case %zu:\n  sync  '%s'\n  async '%s'", i, e1.message, e2.message);
        }
}

/* The launcher's message for an unknown user, the same with creds resolved
 * before: they fail at the resolver, with the message a launch gives. */
static void test_launch_message(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_ids("corral-no-such-user", NULL, NULL, 0);
        CrlError e = {};
        NsCreds *c = NULL;
        Run run;

        run_sh(u, "exit 0", &run);
        CHECK(resolve_async(u, &c, &e, NULL) == -ESRCH, "async: %s", e.message);
        CHECK(run.r == -ESRCH && streq(run.error.message, "service 'creds': step 'uid': User='corral-no-such-user': "
                                       "no such user"), "launch: '%s'", run.error.message);
        CHECK(strstr(run.error.message, e.message), "launch '%s' vs resolver '%s'", run.error.message, e.message);
}

/* pid of our only child; 0 if none or several */
static pid_t only_child(void) {
        pid_t pid = 0;

        return list_children(&pid) == 1 ? pid : 0;
}

static void test_hang(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_ids("nobody", NULL, NULL, 0);
        NsCredsResolve *r = NULL;
        NsCreds *c = NULL;
        CrlError e = {};
        char *sc = NULL;
        long long t;
        pid_t pid;
        int pidfd, k;

        nss_hang(true);
        CHECK(ns_creds_resolve_start(u, &r, &e) == 0, "start: %s", e.message);
        /* Give it time to get into the lookup; it must not end. */
        CHECK(poll(&(struct pollfd) { .fd = ns_creds_resolve_fd(r), .events = POLLIN }, 1, 300) == 0,
              "a resolver reading a FIFO passwd ended");
        pid = only_child();
        CHECK(pid > 0, "the resolver is not our one child");
        /* Really in NSS's open() of /etc/passwd, not anywhere else. */
        (void) sh(&sc, "cat /proc/%d/syscall", (int) pid);
        CHECK(sc && atoi(sc) == SYS_openat, "resolver's syscall: '%s' (want openat, %d)", sc ?: "", SYS_openat);
        free(sc);
        t = now_us();
        k = ns_creds_resolve_finish(r, &c, &e);
        CHECK(k == -EAGAIN && now_us() - t < 20000, "finish: %d after %lld us", k, now_us() - t);
        t = now_us();
        pidfd = ns_creds_resolve_abort(r);
        CHECK(pidfd >= 0 && now_us() - t < 20000, "abort: %d after %lld us", pidfd, now_us() - t);
        /* As a loop would: the pidfd turns readable, then reap without waiting. */
        CHECK(poll(&(struct pollfd) { .fd = pidfd, .events = POLLIN }, 1, 5000) == 1, "killed resolver still runs");
        siginfo_t si = {};
        CHECK(waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid == pid &&
              si.si_code == CLD_KILLED && si.si_status == SIGKILL, "reap: pid %d code %d status %d", si.si_pid,
              si.si_code, si.si_status);
        safe_close(pidfd);
        CHECK(count_children() == 0 && access(fmt("/proc/%d", (int) pid), F_OK) < 0, "resolver %d left behind", pid);

        /* free: the same kill, and no wait at all. */
        CHECK(ns_creds_resolve_start(u, &r, &e) == 0, "start: %s", e.message);
        CHECK(poll(&(struct pollfd) { .fd = ns_creds_resolve_fd(r), .events = POLLIN }, 1, 100) == 0, "ended");
        pid = only_child();
        pidfd = crl_pidfd_open(pid, 0);         /* ours, to watch it die */
        t = now_us();
        r = ns_creds_resolve_free(r);
        CHECK(now_us() - t < 20000, "free took %lld us", now_us() - t);
        CHECK(poll(&(struct pollfd) { .fd = pidfd, .events = POLLIN }, 1, 5000) == 1, "freed resolver still runs");
        /* Dead; reaped by free if it was dead in time, else the caller's SIGCHLD handling does it. */
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG);
        safe_close(pidfd);
        CHECK(count_children() == 0, "freed resolver left behind");
        nss_hang(false);
}

/* A launch given creds does no lookup: with /etc/passwd hung, it runs the
 * service as the creds say; without creds the same launch hangs (so the
 * FIFO really catches a lookup). Each launch runs in a child of ours, in its
 * own process group, given 3 s. */
static int launch_in_child(const UnitConfig *u, const NsCreds *creds, char *out, size_t size) {
        int pipefd[2], status = -1;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                NsLaunchParams p;
                Run run;

                (void) setpgid(0, 0);
                it_params_init(&p, u);
                p.creds = creds;
                run_params((UnitConfig *) u, &p,
                           (char *[]) { (char *) "/bin/sh", (char *) "-c",
                                        (char *) "grep -E '^(Uid|Gid|Groups):' /proc/self/status | tr -s '\\t' ' ' | sed 's/ *$//'",
                                        NULL }, &run);
                (void) !write(pipefd[1], run.r < 0 ? run.error.message : run.out,
                              strlen(run.r < 0 ? run.error.message : run.out));
                _exit(run.r < 0 ? 1 : run.code);
        }
        (void) setpgid(pid, pid);
        close(pipefd[1]);
        int pidfd = crl_pidfd_open(pid, 0);

        if (poll(&(struct pollfd) { .fd = pidfd, .events = POLLIN }, 1, 3000) == 1) {
                siginfo_t si = {};
                ssize_t n = read(pipefd[0], out, size - 1);

                out[n > 0 ? n : 0] = 0;
                (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
                status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        } else {
                (void) kill(-pid, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) pidfd, NULL, WEXITED);
                (void) snprintf(out, size, "(hung)");
        }
        close(pipefd[0]);
        close(pidfd);
        return status;
}

static void test_launch_no_lookup(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_ids(SVC_USER, NULL, "nogroup", 0);
        _cleanup_(ns_creds_freep) NsCreds *c = NULL;
        CrlError e = {};
        char out[1024];
        int st;

        CHECK(resolve_async(u, &c, &e, NULL) == 0, "resolve: %s", e.message);
        nss_hang(true);
        st = launch_in_child(u, c, out, sizeof(out));
        CHECK(st == 0 && streq(out, "Uid: 64100 64100 64100 64100\nGid: 64100 64100 64100 64100\n"
                               "Groups: 64100 64101 64102 65534\n"),
              "launch with creds: status %d:\n%s", st, out);
        st = launch_in_child(u, NULL, out, sizeof(out));
        CHECK(st == -1 && streq(out, "(hung)"), "launch without creds did not hang in NSS: status %d '%s'", st, out);
        nss_hang(false);
        CHECK(count_children() == 0, "children left");
}

static void test_no_leaks(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_ids("nobody", "nogroup", "corral-test-a", 0);
        int fds = count_fds(), ok = 0;
        long long t = now_us();

        for (int i = 0; i < 100; i++) {
                NsCreds *c = NULL;
                CrlError e = {};

                ok += resolve_async(u, &c, &e, NULL) == 0 && c->uid == 65534;
                ns_creds_free(c);
        }
        printf("resolver process: %lld us per resolve (start, poll, finish, free)\n", (now_us() - t) / 100);
        t = now_us();
        for (int i = 0; i < 100; i++) {
                NsCreds *c = NULL;

                (void) ns_creds_resolve(u, &c, NULL);
                ns_creds_free(c);
        }
        printf("in-process: %lld us per resolve\n", (now_us() - t) / 100);
        CHECK(ok == 100, "%d of 100 resolves right", ok);
        CHECK(count_fds() == fds, "fds %d -> %d after 100 resolves", fds, count_fds());
        CHECK(count_children() == 0, "children left after 100 resolves");
}

/* What a process would cost at the least: fork, _exit, reap. */
static long long fork_cost_ns(void) {
        long long t = now_us();

        for (int i = 0; i < 100; i++) {
                pid_t pid = fork();

                if (pid == 0)
                        _exit(0);
                (void) waitpid(pid, NULL, 0);
        }
        return (now_us() - t) * 1000 / 100;
}

/* No User=, numeric groups: no process, and no time. */
static void test_fast_path(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_ids(NULL, "4243", "7 64103", PRIVATE_USERS_SELF);
        int fds = count_fds(), bad = 0;
        long long t, fork_ns;

        nss_hang(true);         /* any lookup would hang the test */
        t = now_us();
        for (int i = 0; i < 100000; i++) {
                NsCredsResolve *r = NULL;
                NsCreds *c = NULL;

                bad += ns_creds_resolve_start(u, &r, NULL) != 1 || ns_creds_resolve_fd(r) != -EBADF ||
                       ns_creds_resolve_finish(r, &c, NULL) != 0 || c->gid != 4243 || c->n_groups != 2;
                ns_creds_free(c);
                ns_creds_resolve_free(r);
        }
        t = (now_us() - t) * 1000 / 100000;
        nss_hang(false);
        fork_ns = fork_cost_ns();
        printf("fast path: %lld ns per resolve (start, finish, free); a bare fork + reap: %lld ns\n", t, fork_ns);
        CHECK(bad == 0, "%d of 100000 fast resolves wrong or with a process", bad);
        /* Relative, so that load and sanitizers do not matter. */
        CHECK(t * 10 < fork_ns, "fast path: %lld ns per resolve, not far below a fork's %lld ns", t, fork_ns);
        CHECK(count_fds() == fds && count_children() == 0, "fast path left fds or children");
}

/* PrivateUsers=pick on the loop: a lock held by another process fails at
 * once, naming it; once released the pick works. */
static void test_try_pick(void) {
        char dir[] = "/tmp/corral-pick-XXXXXX", path[128], c;
        int go[2], done[2];
        CrlError e = {};
        long long t;
        uid_t base;
        pid_t pid;

        CHECK(mkdtemp(dir) != NULL, "mkdtemp: %m");
        (void) snprintf(path, sizeof(path), "%s/userns", dir);
        CHECK(mkdir(path, 0700) == 0, "mkdir: %m");
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                close(done[1]);

                if (fd < 0 || flock(fd, LOCK_EX) < 0)
                        _exit(1);
                (void) !write(go[1], "L", 1);
                (void) !read(done[0], &c, 1);
                _exit(0);
        }
        close(go[1]);
        close(done[0]);
        CHECK(read(go[0], &c, 1) == 1, "locker did not lock");
        t = now_us();
        CHECK(ns_userns_try_pick(dir, "svc", &base, &e) == -EBUSY, "try_pick: %d '%s'", e.error, e.message);
        CHECK(now_us() - t < 100000, "try_pick waited %lld us", now_us() - t);
        CHECK(strstr(e.message, fmt("is locked by process %d: another corrald", (int) pid)), "'%s'", e.message);
        close(done[1]);
        (void) waitpid(pid, NULL, 0);
        close(go[0]);
        e = (CrlError) {};
        CHECK(ns_userns_try_pick(dir, "svc", &base, &e) == 0 && base == 0x80000, "after release: %#x '%s'",
              (unsigned) base, e.message);
        (void) sh(NULL, "rm -rf %s", dir);
}

int main(int argc, char **argv) {
        int r;

        require_root();
        (void) rt_dir();        /* fixed now: launch children of ours use it too */
        r = enter_test_users();
        CHECK(r >= 0, "test users: %s", strerror(-r));
        if (r < 0)
                return it_report("test-creds-resolve");
        CHECK(count_children() == 0, "children at start");
        test_same();
        test_same_errors();
        test_launch_message();
        test_hang();
        test_launch_no_lookup();
        test_no_leaks();
        test_fast_path();
        test_try_pick();
        (void) umount2(scratch, MNT_DETACH);
        (void) rmdir(scratch);
        return finish("test-creds-resolve");
}
