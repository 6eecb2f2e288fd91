/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Credentials as the service really has them (/proc/self/status Uid/Gid/
 * Groups/Cap*), also when the launcher is threaded, and the PrivateUsers=pick
 * state files. */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "launch-util.h"

/* ---- item: a threaded launcher's child must not hang in glibc's setxid ---- */

static volatile int churn_stop;

static void *noop_thread(void *arg) {
        return arg;
}

/* Creates and joins threads without pause: at any clone of the launcher a
 * thread is likely half made (glibc's setxid_futex == -1) or the stack list
 * lock is held, both of which glibc's setxid broadcast waits on forever in a
 * child that has no such thread. */
static void *churn_thread(void *arg) {
        while (!churn_stop) {
                pthread_t t;

                if (pthread_create(&t, NULL, noop_thread, NULL) == 0)
                        (void) pthread_join(t, NULL);
        }
        return arg;
}

/* Blocked in read() for the whole run. */
static void *blocked_thread(void *arg) {
        char c;

        return read((int) (intptr_t) arg, &c, 1) < 0 ? NULL : arg;
}

typedef struct CredsCase {
        const char *what;
        PrivateUsers private_users;
        const char *user, *group;
        const char *supplementary;
        bool private_pids;
} CredsCase;

static const CredsCase threaded_cases[] = {
        { .what = "User=nobody SupplementaryGroups=nogroup", .user = "nobody", .supplementary = "nogroup" },
        { .what = "Group=nogroup", .group = "nogroup" },
        { .what = "PrivateUsers=self", .private_users = PRIVATE_USERS_SELF },
        { .what = "PrivateUsers=self User=nobody", .private_users = PRIVATE_USERS_SELF, .user = "nobody" },
        { .what = "PrivatePIDs=yes User=nobody (PID 2 sets the ids)", .user = "nobody", .private_pids = true },
};

static UnitConfig *unit_for(const CredsCase *c) {
        UnitConfig *u = unit_new("creds");

        u->private_users = c->private_users;
        u->private_pids = c->private_pids;
        unit_set_str(&u->user, c->user);
        unit_set_str(&u->group, c->group);
        if (c->supplementary)
                strv_extend(&u->supplementary_groups, c->supplementary);
        return u;
}

/* In a child process of the test (its own process group, so a hung launch
 * child can be killed with it): threads as the mode says, then launches. */
static _Noreturn void threaded_launches(int mode, int n, int progress_fd) {
        pthread_t churn, blocked;
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                _exit(2);
        if (mode == 0 && pthread_create(&blocked, NULL, blocked_thread, (void *) (intptr_t) pipefd[0]) != 0)
                _exit(2);
        if (mode == 1 && pthread_create(&churn, NULL, churn_thread, NULL) != 0)
                _exit(2);
        for (int i = 0; i < n; i++) {
                const CredsCase *c = &threaded_cases[i % ELEMENTSOF(threaded_cases)];
                _cleanup_(unit_config_freep) UnitConfig *u = unit_for(c);
                Run run;

                run_sh(u, "exit 0", &run);
                if (run.r < 0 || run.code != 0) {
                        printf("launch %d (%s): r=%d %s exit %d\n", i, c->what, run.r, run.error.message, run.code);
                        _exit(1);
                }
                if (write(progress_fd, "", 1) != 1)
                        _exit(2);
        }
        churn_stop = 1;
        _exit(0);
}

/* Run threaded_launches() in a child. A hang is no progress: no launch
 * done for 30 s (a loaded TCG VM makes one in well under a second; a child
 * stuck in glibc's setxid never ends), not a bound on the whole run. */
static void test_threaded(int mode, const char *what) {
        const char *where = getenv("CORRAL_TEST_WHERE");
        int n = where && streq(where, "vm") ? 100 : 200, done = 0;
        siginfo_t si = {};
        int pidfd, progress[2], r = 0;
        pid_t pid;

        fflush(stdout);
        if (pipe2(progress, O_CLOEXEC) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                (void) setpgid(0, 0);
                close(progress[0]);
                threaded_launches(mode, n, progress[1]);
        }
        (void) setpgid(pid, pid);       /* also here: no race with our kill below */
        close(progress[1]);
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                abort();
        for (;;) {
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = progress[0], .events = POLLIN } };
                char buf[64];

                r = poll(p, 2, 30 * 1000);
                if (r <= 0 || (p[0].revents & POLLIN))
                        break;
                ssize_t k = read(progress[0], buf, sizeof(buf));
                if (k <= 0) {   /* the child closed it: it is exiting */
                        r = poll(p, 1, 30 * 1000);
                        break;
                }
                done += (int) k;
        }
        if (r == 0) {
                /* The group holds the test child and every launch child it
                 * made (none calls setsid before exec). */
                (void) kill(-pid, SIGKILL);
                CHECK(false, "%s: no launch ended in 30 s after %d of %d: a launch child hangs "
                      "(glibc's setxid in a clone of a threaded process?)", what, done, n);
        }
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
        (void) kill(-pid, SIGKILL);     /* launch children left behind, if any */
        close(pidfd);
        close(progress[0]);
        if (r > 0)
                CHECK(si.si_code == CLD_EXITED && si.si_status == 0, "%s: launches failed (status %d, %d of %d done)",
                      what, si.si_status, done, n);
}

/* ---- a test user with supplementary groups, in /etc copies only we see ---- */

#define SVC_USER "corral-test-svc"
#define SVC_UID 64100
#define GID_A 64101     /* SVC_USER is a member */
#define GID_B 64102     /* SVC_USER is a member */
#define GID_C 64103     /* SVC_USER is not a member */

static void copy_and_append(const char *from, const char *to, const char *extra) {
        char *text = NULL;

        CHECK(sh(&text, "cat %s", from) == 0, "read %s", from);
        FILE *f = fopen(to, "we");

        if (!f)
                abort();
        fputs(text, f);
        fputs(extra, f);
        fclose(f);
        free(text);
}

/* Bind copies of /etc/passwd and /etc/group with the test user over the
 * real ones, in a mount namespace of our own: the host's files never change,
 * and the services (which share our mount namespace) see the same names. */
static int enter_test_users(void) {
        char dir[] = "/tmp/corral-test-users-XXXXXX", passwd[64], group[64];

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (!mkdtemp(dir) || mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        (void) snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
        (void) snprintf(group, sizeof(group), "%s/group", dir);
        copy_and_append("/etc/passwd", passwd, SVC_USER ":x:64100:64100::/nonexistent:/bin/sh\n");
        copy_and_append("/etc/group", group,
                        SVC_USER ":x:64100:\n"
                        "corral-test-a:x:64101:" SVC_USER "\n"
                        "corral-test-b:x:64102:nobody," SVC_USER "\n"
                        "corral-test-c:x:64103:\n");
        if (mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0 || mount(group, "/etc/group", NULL, MS_BIND, NULL) < 0)
                return -errno;
        (void) umount2(dir, MNT_DETACH);        /* the binds keep the files */
        (void) rmdir(dir);
        return 0;
}

/* What /proc/self/status says, one "Key: value" per line, tabs squeezed. */
#define STATUS_IDS "grep -E '^(Uid|Gid|Groups):' /proc/self/status | tr -s '\\t' ' ' | sed 's/ *$//'; " \
                   "cat /proc/self/gid_map | tr -s ' ' | sed 's/^ //'"

typedef struct GroupCase {
        const char *what;
        PrivateUsers private_users;
        const char *user, *group, *supplementary;
        const char *want;
} GroupCase;

static const GroupCase group_cases[] = {
        { "PrivateUsers=self User= with supplementary groups", PRIVATE_USERS_SELF, SVC_USER, NULL, NULL,
          "Uid: 64100 64100 64100 64100\nGid: 64100 64100 64100 64100\nGroups: 64100 64101 64102\n"
          "0 0 1\n64100 64100 1\n64101 64101 1\n64102 64102 1" },
        { "PrivateUsers=self User= SupplementaryGroups=", PRIVATE_USERS_SELF, "nobody", NULL, "corral-test-c",
          "Uid: 65534 65534 65534 65534\nGid: 65534 65534 65534 65534\nGroups: 64102 64103 65534\n"
          "0 0 1\n65534 65534 1\n64102 64102 1\n64103 64103 1" },
        { "PrivateUsers=self SupplementaryGroups= as the namespace's root", PRIVATE_USERS_SELF, NULL, NULL,
          "corral-test-a", "Uid: 0 0 0 0\nGid: 0 0 0 0\nGroups: 64101\n0 0 1\n64101 64101 1" },
        { "PrivateUsers=self Group=", PRIVATE_USERS_SELF, NULL, "corral-test-c", NULL,
          "Uid: 0 0 0 0\nGid: 64103 64103 64103 64103\nGroups:\n0 0 1\n64103 64103 1" },
        /* Group= alone: the launcher's own supplementary groups (set in main) must go. */
        { "Group= without User=", PRIVATE_USERS_NO, NULL, "corral-test-c", NULL,
          "Uid: 0 0 0 0\nGid: 64103 64103 64103 64103\nGroups:\n0 0 4294967295" },
        { "Group= SupplementaryGroups= without User=", PRIVATE_USERS_NO, NULL, "corral-test-c", "corral-test-b",
          "Uid: 0 0 0 0\nGid: 64103 64103 64103 64103\nGroups: 64102\n0 0 4294967295" },
        { "User= alone", PRIVATE_USERS_NO, SVC_USER, NULL, NULL,
          "Uid: 64100 64100 64100 64100\nGid: 64100 64100 64100 64100\nGroups: 64100 64101 64102\n0 0 4294967295" },
};

static void test_groups(void) {
        /* The launcher's own groups, which no service with ids of its own may keep. */
        const gid_t own[] = { GID_A, GID_C };

        CHECK(setgroups(ELEMENTSOF(own), own) == 0, "setgroups: %m");
        for (size_t i = 0; i < ELEMENTSOF(group_cases); i++) {
                const GroupCase *c = &group_cases[i];
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("groups");
                Run run;

                u->private_users = c->private_users;
                unit_set_str(&u->user, c->user);
                unit_set_str(&u->group, c->group);
                if (c->supplementary)
                        strv_extend(&u->supplementary_groups, c->supplementary);
                run_sh(u, STATUS_IDS, &run);
                CHECK(run.r == 0 && run.code == 0 && streq(chomp(&run), c->want), "%s: r=%d %s exit %d:\n%s\nwant:\n%s",
                      c->what, run.r, run.error.message, run.code, run.out, c->want);
        }
        CHECK(setgroups(0, NULL) == 0, "setgroups: %m");
        {
                /* More groups than a gid_map holds: refused before clone, by name. */
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("groups");
                Run run;

                u->private_users = PRIVATE_USERS_SELF;
                for (int g = 0; g < 400; g++) {
                        char id[16];

                        (void) snprintf(id, sizeof(id), "%d", 70000 + g);
                        strv_extend(&u->supplementary_groups, id);
                }
                run_sh(u, "exit 0", &run);
                CHECK(run.r == -E2BIG && streq(run.error.message, "service 'groups': step 'groups': PrivateUsers=self "
                                               "maps each of the 400 supplementary groups, more than a gid_map holds "
                                               "(340 lines, 4 KiB)"),
                      "r=%d '%s'", run.r, run.error.message);
        }
}

/* ---- capabilities as the kernel shows them after execve ---- */

#define CAP_KILL_BIT UINT64_C(0x20)
#define CAP_NET_BIND_SERVICE_BIT UINT64_C(0x400)

typedef struct CapsCase {
        const char *what;
        PrivateUsers private_users;
        const char *user;
        bool set_bounding;
        uint64_t bounding, ambient;
        bool no_new_privs;
        uint64_t want_inh, want_prm, want_eff, want_amb;   /* ~0: all of the bounding set */
        bool want_bnd_all;
} CapsCase;

#define ALL UINT64_MAX

static const CapsCase caps_cases[] = {
        { .what = "User=nobody", .user = "nobody", .want_bnd_all = true },
        { .what = "User=nobody NoNewPrivileges=yes", .user = "nobody", .no_new_privs = true, .want_bnd_all = true },
        { .what = "User=nobody AmbientCapabilities=CAP_NET_BIND_SERVICE", .user = "nobody",
          .ambient = CAP_NET_BIND_SERVICE_BIT, .want_inh = CAP_NET_BIND_SERVICE_BIT,
          .want_prm = CAP_NET_BIND_SERVICE_BIT, .want_eff = CAP_NET_BIND_SERVICE_BIT,
          .want_amb = CAP_NET_BIND_SERVICE_BIT, .want_bnd_all = true },
        { .what = "User=nobody CapabilityBoundingSet=CAP_KILL", .user = "nobody", .set_bounding = true,
          .bounding = CAP_KILL_BIT },
        { .what = "PrivateUsers=self User=nobody", .private_users = PRIVATE_USERS_SELF, .user = "nobody",
          .want_bnd_all = true },
        { .what = "PrivateUsers=self User=nobody AmbientCapabilities=CAP_NET_BIND_SERVICE",
          .private_users = PRIVATE_USERS_SELF, .user = "nobody", .ambient = CAP_NET_BIND_SERVICE_BIT,
          .want_inh = CAP_NET_BIND_SERVICE_BIT, .want_prm = CAP_NET_BIND_SERVICE_BIT,
          .want_eff = CAP_NET_BIND_SERVICE_BIT, .want_amb = CAP_NET_BIND_SERVICE_BIT, .want_bnd_all = true },
        { .what = "PrivateUsers=pick User=nobody", .private_users = PRIVATE_USERS_PICK, .user = "nobody",
          .want_bnd_all = true },
        { .what = "root CapabilityBoundingSet=CAP_KILL", .set_bounding = true, .bounding = CAP_KILL_BIT,
          .want_prm = CAP_KILL_BIT, .want_eff = CAP_KILL_BIT },
        { .what = "root CapabilityBoundingSet=CAP_KILL CAP_NET_BIND_SERVICE AmbientCapabilities=CAP_NET_BIND_SERVICE",
          .set_bounding = true, .bounding = CAP_KILL_BIT | CAP_NET_BIND_SERVICE_BIT, .ambient = CAP_NET_BIND_SERVICE_BIT,
          .want_inh = CAP_NET_BIND_SERVICE_BIT, .want_prm = CAP_KILL_BIT | CAP_NET_BIND_SERVICE_BIT,
          .want_eff = CAP_KILL_BIT | CAP_NET_BIND_SERVICE_BIT, .want_amb = CAP_NET_BIND_SERVICE_BIT },
        { .what = "PrivateUsers=self as the namespace's root", .private_users = PRIVATE_USERS_SELF,
          .want_prm = ALL, .want_eff = ALL, .want_bnd_all = true },
};

static uint64_t status_hex(const char *text, const char *key) {
        const char *p = strstr(text, key);

        return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_C(0xdead);
}

static void test_caps(void) {
        _cleanup_free_ char *own = NULL;
        uint64_t full, own_bnd;
        bool has_setpriv;
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int cap_last = 40;

        if (f) {
                if (fscanf(f, "%d", &cap_last) != 1)
                        cap_last = 40;
                fclose(f);
        }
        full = cap_last >= 63 ? UINT64_MAX : (UINT64_C(1) << (cap_last + 1)) - 1;
        /* What we pass on: our own bounding set (a container may have cut
         * it), while a new user namespace starts from the full set. */
        CHECK(sh(&own, "grep ^CapBnd: /proc/self/status") == 0, "CapBnd");
        own_bnd = status_hex(own, "CapBnd:");
        has_setpriv = sh(NULL, "command -v setpriv >/dev/null") == 0;
        for (size_t i = 0; i < ELEMENTSOF(caps_cases); i++) {
                const CapsCase *c = &caps_cases[i];
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("caps");
                uint64_t all = c->private_users != PRIVATE_USERS_NO ? full : own_bnd;
                uint64_t bnd = c->set_bounding ? c->bounding : all;
                NsLaunchParams p;
                char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                                 (char *) "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; "
                                          "setpriv --dump 2>/dev/null | grep ^Securebits", NULL };
                Run run;

                u->private_users = c->private_users;
                unit_set_str(&u->user, c->user);
                u->capability_bounding_set_set = c->set_bounding;
                u->capability_bounding_set = c->bounding;
                u->ambient_capabilities = c->ambient;
                u->no_new_privileges = c->no_new_privs;
                it_params_init(&p, u);
                p.userns_base = 0x90000;
                run_params(u, &p, argv, &run);
                CHECK(run.r == 0 && run.code == 0, "%s: r=%d %s exit %d %s", c->what, run.r, run.error.message, run.code,
                      run.out);
                CHECK(status_hex(run.out, "CapInh:") == (c->want_inh == ALL ? bnd : c->want_inh) &&
                      status_hex(run.out, "CapPrm:") == (c->want_prm == ALL ? bnd : c->want_prm) &&
                      status_hex(run.out, "CapEff:") == (c->want_eff == ALL ? bnd : c->want_eff) &&
                      status_hex(run.out, "CapAmb:") == c->want_amb &&
                      status_hex(run.out, "CapBnd:") == (c->want_bnd_all ? all : bnd),
                      "%s:\n%s", c->what, run.out);
                CHECK(!!strstr(run.out, "NoNewPrivs:\t1") == c->no_new_privs, "%s: %s", c->what, run.out);
                /* KEEPCAPS (set for the uid change) must not outlive the execve */
                CHECK(strstr(run.out, "Securebits: [none]") || (!strstr(run.out, "Securebits") && !has_setpriv),
                      "%s: %s", c->what, run.out);
        }
}

/* ---- PrivateUsers=pick state files ---- */

static void write_file(const char *dir, const char *name, const char *text) {
        char path[256];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/userns/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

static unsigned read_base(const char *dir, const char *name) {
        char path[256];
        unsigned v = 0;
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/userns/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%u", &v) != 1)
                v = 0;
        fclose(f);
        return v;
}

static void test_pick_garbled(const char *dir) {
        int fds = count_fds();
        uid_t a = 0, b = 0, a2 = 0;
        CrlError e = {};
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/userns", dir);
        CHECK(mkdir(path, 0700) == 0, "mkdir %s: %m", path);
        /* what a crash between create and write left: empty, or cut short */
        write_file(dir, "a", "");
        write_file(dir, "b", "5898");
        write_file(dir, "c", "589824\n");
        CHECK(ns_userns_pick(dir, "a", &a, &e) == 0 && a == 0x80000, "empty file: a=%#x '%s'", (unsigned) a, e.message);
        CHECK(read_base(dir, "a") == 0x80000, "a's file holds %u", read_base(dir, "a"));
        CHECK(ns_userns_pick(dir, "b", &b, &e) == 0 && b == 0xa0000, "cut short: b=%#x '%s'", (unsigned) b, e.message);
        CHECK(read_base(dir, "b") == 0xa0000, "b's file holds %u", read_base(dir, "b"));
        CHECK(ns_userns_pick(dir, "a", &a2, &e) == 0 && a2 == a, "a again: %#x", (unsigned) a2);
        /* a file that cannot be read: the message names it and the fix */
        (void) snprintf(path, sizeof(path), "%s/userns/d", dir);
        CHECK(mkdir(path, 0700) == 0, "mkdir %s: %m", path);
        e = (CrlError) {};
        CHECK(ns_userns_pick(dir, "d", &a2, &e) == -EISDIR && strstr(e.message, "/userns/d: Is a directory (remove it"),
              "'%s'", e.message);
        e = (CrlError) {};
        CHECK(ns_userns_pick(dir, "../x", &a2, &e) == -EINVAL, "'../x': '%s'", e.message);
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
        CHECK(sh(NULL, "ls -A %s/userns | grep -q tmp", dir) != 0, "a temporary file was left behind");
}

/* Services picking at the same time get different ranges. Many files make
 * the scan slow, so that unlocked picks would overlap. */
static void test_pick_concurrent(const char *dir) {
        enum { N = 8 };
        int go[2], res[2];
        unsigned bases[N] = {};
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/userns", dir);
        CHECK(mkdir(path, 0700) == 0, "mkdir %s: %m", path);
        for (unsigned i = 0; i < 2000; i++) {
                char name[16], text[16];

                (void) snprintf(name, sizeof(name), "f%u", i);
                (void) snprintf(text, sizeof(text), "%u\n", 0x80000 + i * 0x10000);
                write_file(dir, name, text);
        }
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        for (int i = 0; i < N; i++) {
                pid_t pid = fork();

                if (pid == 0) {
                        char c, name[16];
                        uint32_t v[2] = { (uint32_t) i, 0 };
                        CrlError e = {};

                        close(go[1]);
                        (void) !read(go[0], &c, 1);     /* EOF: all go */
                        (void) snprintf(name, sizeof(name), "w%d", i);
                        if (ns_userns_pick(dir, name, &v[1], &e) < 0)
                                v[1] = 0;
                        (void) !write(res[1], v, sizeof(v));
                        _exit(0);
                }
        }
        close(go[0]);
        close(go[1]);
        close(res[1]);
        for (int i = 0; i < N; i++) {
                uint32_t v[2];

                if (read(res[0], v, sizeof(v)) == sizeof(v) && v[0] < N)
                        bases[v[0]] = v[1];
        }
        close(res[0]);
        while (waitpid(-1, NULL, 0) > 0)
                ;
        for (int i = 0; i < N; i++) {
                CHECK(bases[i] >= 0x80000 + 2000 * 0x10000, "w%d: %#x", i, bases[i]);
                for (int j = 0; j < i; j++)
                        CHECK(bases[i] != bases[j], "w%d and w%d both got %#x", i, j, bases[i]);
        }
}

static void test_pick(void) {
        char a[] = "/tmp/corral-pick-XXXXXX", b[] = "/tmp/corral-pick-XXXXXX";

        CHECK(mkdtemp(a) && mkdtemp(b), "mkdtemp: %m");
        test_pick_garbled(a);
        test_pick_concurrent(b);
        (void) sh(NULL, "rm -rf %s %s", a, b);
}

int main(int argc, char **argv) {
        require_root();
        if (argc < 2 || streq(argv[1], "threaded")) {
                test_threaded(0, "a thread blocked in read()");
                test_threaded(1, "a thread creating threads");
        }
        if (argc < 2 || streq(argv[1], "caps"))
                test_caps();
        if (argc < 2 || streq(argv[1], "pick"))
                test_pick();
        if (argc < 2 || streq(argv[1], "groups")) {
                int r = enter_test_users();

                CHECK(r >= 0, "test users: %s", strerror(-r));
                if (r >= 0)
                        test_groups();
        }
        return finish("test-launch-creds");
}
