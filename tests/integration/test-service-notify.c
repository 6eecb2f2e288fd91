/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sd_notify socket of a Type=notify service, driven by libsystemd's
 * sd_notify() and by raw datagrams from processes inside and outside a
 * test-owned cgroup2 subtree (svc, svc/sub, other): what arrives, what is
 * dropped and why, that passed fds are closed, that a stale socket of a
 * killed corrald is replaced. Runs on the host (cgroup2 without
 * controllers is enough) and in the VM. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <systemd/sd-daemon.h>

#include "fileio.h"
#include "it-util.h"
#include "service-notify.h"

#define CGROUP2_SUPER_MAGIC 0x63677270
/* systemd's limit, which the socket enforces */
#define NOTIFY_BUFFER_MAX_TEST 4096

static char rundir[] = "/tmp/corral-notify.XXXXXX";
static char base[PATH_MAX];
static int svc_fd = -1, sub_fd = -1, other_fd = -1;
static int child_release_fd = -1;       /* in a child: the read end of its release pipe */

/* ---- children in a cgroup: they stay alive until released ---- */

typedef struct Child {
        pid_t pid;
        int release;            /* closing it ends the child */
} Child;

typedef int (*ChildFn)(const char *socket_path, void *arg);

/* Returns once the child is in cg_fd's cgroup (when cg_fd >= 0). */
static Child child_start(int cg_fd, const char *socket_path, ChildFn fn, void *arg) {
        int p[2], ready[2];
        Child c = { .release = -1 };
        char x = 0;

        if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return c;
        c.pid = fork();
        if (c.pid == 0) {
                int r = 0;

                close(p[1]);
                close(ready[0]);
                child_release_fd = p[0];
                if (cg_fd >= 0 && write_string_at(cg_fd, "cgroup.procs", "0") < 0)
                        _exit(90);
                if (write(ready[1], "r", 1) != 1)
                        _exit(89);
                close(ready[1]);
                if (socket_path)
                        (void) setenv("NOTIFY_SOCKET", socket_path, 1);
                if (fn)
                        r = fn(socket_path, arg);
                while (read(p[0], &x, 1) > 0)
                        ;
                _exit(r);
        }
        close(p[0]);
        close(ready[1]);
        CHECK(read(ready[0], &x, 1) == 1 && x == 'r', "child %d did not start", (int) c.pid);
        close(ready[0]);
        c.release = p[1];
        return c;
}

static int child_end(Child *c) {
        int st = 0;

        close(c->release);
        if (waitpid(c->pid, &st, 0) != c->pid)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool wait_readable(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 5000) == 1;
}

/* Receive the next message (waiting up to 5 s for it to be queued). */
static int receive(NotifySocket *n, NotifyMessage *m) {
        if (!wait_readable(notify_socket_fd(n)))
                return -ETIMEDOUT;
        return notify_socket_receive(n, svc_fd, m);
}

static bool queue_empty(NotifySocket *n) {
        NotifyMessage m = {};

        return notify_socket_receive(n, svc_fd, &m) == -EAGAIN;
}

/* ---- what the children send ---- */

static int send_notify(const char *path, void *arg) {
        return sd_notify(0, arg) > 0 ? 0 : 91;
}

static int send_ready_mainpid_self(const char *path, void *arg) {
        return sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", (const char *) arg, (int) getpid()) > 0 ? 0 : 91;
}

static int send_mainpid(const char *path, void *arg) {
        return sd_notifyf(0, "READY=1\nMAINPID=%d", *(pid_t *) arg) > 0 ? 0 : 91;
}

static int send_with_fd(const char *path, void *arg) {
        int *fd = arg, r;

        r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nREADY=1", fd, 1);
        close(*fd);
        return r > 0 ? 0 : 91;
}

typedef struct Raw {
        const char *data;
        size_t size;
} Raw;
#define RAW(s) { s, sizeof(s) - 1 }

/* Raw datagrams, in order, up to one with data == NULL. */
static int send_raw(const char *path, void *arg) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        (void) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        for (const Raw *r = arg; r->data; r++)
                if (sendto(fd, r->data, r->size, 0, (struct sockaddr *) &sa, sizeof(sa)) != (ssize_t) r->size)
                        return 92;
        close(fd);
        return 0;
}

/* In a new pid namespace: pid 1 there sends MAINPID=1 (its own), then
 * MAINPID=7 (nobody it can name); its host pid goes to *arg. */
static int send_from_pidns(const char *path, void *arg) {
        pid_t *shared = arg, pid;
        int st, go[2];

        if (unshare(CLONE_NEWPID) < 0 || pipe(go) < 0)
                return 93;
        pid = fork();
        if (pid == 0) {
                char x;

                /* Not before *shared holds our host pid: the test reads
                 * it as soon as the first datagram arrives. */
                close(go[1]);
                if (read(go[0], &x, 1) != 1)
                        _exit(96);
                if (sd_notify(0, "READY=1\nMAINPID=1") <= 0 || sd_notify(0, "STATUS=x\nMAINPID=7") <= 0)
                        _exit(94);
                /* Stay alive until the test releases our parent's pipe
                 * (inherited, read end): our parent waits for us. */
                while (read(child_release_fd, &x, 1) > 0)
                        ;
                _exit(0);
        }
        *shared = pid;
        close(go[0]);
        if (pid > 0 && write(go[1], "g", 1) != 1)
                return 97;
        close(go[1]);
        return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 95;
}

/* ---- cgroups ---- */

static const char *cgroup2_mount(void) {
        struct statfs sf;

        if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                return "/sys/fs/cgroup/unified";
        if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                return "/sys/fs/cgroup";
        return NULL;
}

static int open_cg(const char *sub) {
        char p[PATH_MAX];

        (void) snprintf(p, sizeof(p), "%s/%s", base, sub);
        if (mkdir(p, 0755) < 0)
                return -errno;
        return open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
}

static void remove_cgroups(void) {
        char p[PATH_MAX];

        for (const char *const *s = (const char *const[]) { "svc/sub", "svc", "other", "", NULL }; *s; s++) {
                (void) snprintf(p, sizeof(p), "%s/%s", base, *s);
                CHECK(rmdir(p) == 0 || errno == ENOENT, "rmdir %s: %m", p);
        }
}

/* ---- the checks ---- */

/* READY, STATUS and MAINPID from a process in svc/sub (below the
 * service's cgroup), as libsystemd sends them. */
static void test_ready(NotifySocket *n) {
        const char *status = "Serving 3 clients \u2713 (=ok)";
        NotifyMessage m = {};
        Child c = child_start(sub_fd, notify_socket_path(n), send_ready_mainpid_self, (void *) status);
        int r = receive(n, &m);

        CHECK(r == 0, "receive: %d %s", r, notify_socket_drop_reason(n));
        CHECK(m.flags == (NOTIFY_READY | NOTIFY_STATUS | NOTIFY_MAINPID), "flags %#x", (unsigned) m.flags);
        CHECK(m.status && streq(m.status, status), "status '%s'", m.status ?: "(null)");
        CHECK(m.sender == c.pid, "sender %d, child %d", (int) m.sender, (int) c.pid);
        CHECK(m.main_pid == c.pid, "main pid %d, child %d", (int) m.main_pid, (int) c.pid);
        CHECK(queue_empty(n), "one message, one receive");
        notify_message_done(&m);
        CHECK(child_end(&c) == 0, "sender failed");
}

/* MAINPID= naming another process of the service is honoured; one outside
 * the service's cgroup drops the whole message. */
static void test_mainpid(NotifySocket *n) {
        NotifyMessage m = { .flags = 0x4000 };
        Child other = child_start(svc_fd, NULL, NULL, NULL), c;
        pid_t self = getpid();
        int r;

        c = child_start(sub_fd, notify_socket_path(n), send_mainpid, &other.pid);
        r = receive(n, &m);
        CHECK(r == 0 && m.main_pid == other.pid, "r %d main pid %d, expected %d: %s", r, (int) m.main_pid,
              (int) other.pid, notify_socket_drop_reason(n));
        notify_message_done(&m);
        CHECK(child_end(&c) == 0, "sender failed");

        m.flags = 0x4000;
        c = child_start(sub_fd, notify_socket_path(n), send_mainpid, &self);
        r = receive(n, &m);
        printf("# dropped: %s\n", notify_socket_drop_reason(n));
        CHECK(r == -EPERM, "MAINPID of the test (outside the cgroup): %d", r);
        CHECK(m.flags == 0x4000 && m.status == NULL, "message untouched on a drop");
        CHECK(strstr(notify_socket_drop_reason(n), "MAINPID=") &&
              strstr(notify_socket_drop_reason(n), "not in the service's cgroup"), "reason");
        CHECK(queue_empty(n), "nothing else arrives");
        CHECK(child_end(&c) == 0, "sender failed");
        CHECK(child_end(&other) == 0, "other failed");
}

/* The same READY=1 from a sibling cgroup and from the test itself (outside
 * the subtree) is dropped, and nothing of it is delivered. */
static void test_foreign(NotifySocket *n) {
        NotifyMessage m = { .flags = 0x4000 };
        Child c = child_start(other_fd, notify_socket_path(n), send_notify, (void *) "READY=1\nSTATUS=evil");
        int r = receive(n, &m);

        printf("# dropped: %s\n", notify_socket_drop_reason(n));
        CHECK(r == -EPERM, "from the sibling cgroup: %d", r);
        CHECK(m.flags == 0x4000 && !m.status, "nothing delivered");
        CHECK(strstr(notify_socket_drop_reason(n), "not in the service's cgroup") &&
              strstr(notify_socket_drop_reason(n), "/other'"), "reason names the sender's cgroup");
        CHECK(queue_empty(n), "nothing else arrives");
        CHECK(child_end(&c) == 0, "sender failed");

        (void) setenv("NOTIFY_SOCKET", notify_socket_path(n), 1);
        CHECK(sd_notify(0, "READY=1") > 0, "sd_notify from the test");
        (void) unsetenv("NOTIFY_SOCKET");
        r = receive(n, &m);
        CHECK(r == -EPERM && m.flags == 0x4000, "from the test's own cgroup: %d", r);
        CHECK(queue_empty(n), "nothing else arrives");
}

/* A sender that exited and was reaped before the message was read cannot
 * be checked: dropped. */
static void test_sender_gone(NotifySocket *n) {
        NotifyMessage m = {};
        Child c = child_start(svc_fd, notify_socket_path(n), send_notify, (void *) "READY=1");
        int r;

        CHECK(wait_readable(notify_socket_fd(n)), "message queued");
        CHECK(child_end(&c) == 0, "sender failed");
        r = notify_socket_receive(n, svc_fd, &m);
        printf("# dropped: %s\n", notify_socket_drop_reason(n));
        CHECK(r == -EPERM && strstr(notify_socket_drop_reason(n), "exited"), "r %d", r);
}

/* fds passed with a message are closed: our fd count is unchanged and the
 * pipe's reader sees EOF, so no copy of its write end is left anywhere. */
static void test_fds_closed(NotifySocket *n) {
        NotifyMessage m = {};
        int p[2], before, r;
        char x;
        Child c;

        CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe");
        c = child_start(svc_fd, notify_socket_path(n), send_with_fd, &p[1]);
        close(p[1]);
        CHECK(wait_readable(notify_socket_fd(n)), "message queued");
        before = count_fds();
        r = notify_socket_receive(n, svc_fd, &m);
        CHECK(r == 0 && m.flags == NOTIFY_READY, "r %d flags %#x: %s", r, (unsigned) m.flags, notify_socket_drop_reason(n));
        CHECK(count_fds() == before, "fds %d before, %d after", before, count_fds());
        CHECK(read(p[0], &x, 1) == 0, "pipe reader: no EOF, a write end is still open (%m)");
        CHECK(child_end(&c) == 0, "sender failed");
        close(p[0]);
}

static void test_garbage(NotifySocket *n) {
        static char big[NOTIFY_BUFFER_MAX_TEST + 2], max[NOTIFY_BUFFER_MAX_TEST + 1];
        const Raw raw[] = {
                RAW("STATUS=\xff\xfe\nREADY=1"),
                RAW("STATUS=\xed\xa0\x80"),                  /* a UTF-16 surrogate */
                RAW("STATUS=\xc0\xaf"),                       /* overlong '/' */
                RAW("READY=1\0STATUS=x"),
                { big, NOTIFY_BUFFER_MAX_TEST + 1 },
                RAW(""),
                RAW("MAINPID=12ab\nREADY=1"),
                RAW("FOO=bar\nREADY=0\nnoequals\nWATCHDOG=1\r\nSTOPPING=1\n\nRELOADING=1\nSTATUS=\nSTATUS=last"),
                { max, NOTIFY_BUFFER_MAX_TEST },
                { NULL, 0 },
        };
        static const char *const reasons[] = {
                "invalid UTF-8", "invalid UTF-8", "invalid UTF-8", "NUL byte", "more than 4096", "empty",
                "MAINPID= is not a pid",
        };
        NotifyMessage m = {};
        Child c;
        int r;

        memset(big, 'a', sizeof(big) - 1);
        memcpy(big, "READY=1\nSTATUS=", 15);
        memset(max, 'b', sizeof(max) - 1);
        memcpy(max, "READY=1\nSTATUS=", 15);
        c = child_start(svc_fd, notify_socket_path(n), send_raw, (void *) raw);
        for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
                m.flags = 0x4000;
                r = receive(n, &m);
                CHECK(r == -EPERM && m.flags == 0x4000 && strstr(notify_socket_drop_reason(n), reasons[i]),
                      "datagram %zu: r %d, reason '%s', expected '%s'", i, r, notify_socket_drop_reason(n), reasons[i]);
        }
        m = (NotifyMessage) {};
        r = receive(n, &m);
        CHECK(r == 0, "assignments: %d %s", r, notify_socket_drop_reason(n));
        CHECK(m.flags == (NOTIFY_WATCHDOG | NOTIFY_STOPPING | NOTIFY_RELOADING | NOTIFY_STATUS),
              "unknown and READY=0 ignored: flags %#x", (unsigned) m.flags);
        CHECK(m.status && streq(m.status, "last"), "last STATUS= wins: '%s'", m.status ?: "(null)");
        notify_message_done(&m);
        r = receive(n, &m);
        CHECK(r == 0 && m.flags == (NOTIFY_READY | NOTIFY_STATUS) && m.status &&
              strlen(m.status) == NOTIFY_BUFFER_MAX_TEST - 15, "exactly 4096 bytes: r %d", r);
        notify_message_done(&m);
        CHECK(queue_empty(n), "nothing else");
        CHECK(child_end(&c) == 0, "sender failed");
}

/* PrivatePIDs: a sender in a child pid namespace. Its credentials carry its
 * host pid; its MAINPID=1 (itself) is translated, MAINPID=7 refused. */
static void test_pidns(NotifySocket *n) {
        pid_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        NotifyMessage m = {};
        Child c = child_start(sub_fd, notify_socket_path(n), send_from_pidns, shared);
        int r = receive(n, &m);

        CHECK(r == 0, "receive: %d %s", r, notify_socket_drop_reason(n));
        CHECK(*shared > 1 && m.sender == *shared, "sender %d, host pid %d", (int) m.sender, (int) *shared);
        CHECK(m.main_pid == *shared, "MAINPID=1 translated to %d, expected %d", (int) m.main_pid, (int) *shared);
        notify_message_done(&m);
        r = receive(n, &m);
        printf("# dropped: %s\n", notify_socket_drop_reason(n));
        CHECK(r == -EPERM && strstr(notify_socket_drop_reason(n), "MAINPID=7"), "untranslatable MAINPID: %d", r);
        CHECK(child_end(&c) == 0, "sender failed");
        munmap(shared, 4096);
}

/* A corrald killed with its socket bound leaves the file; the next open at
 * the same path replaces it and works; free removes it. */
static int open_and_die(const char *path, void *arg) {
        NotifySocket *s = NULL;

        if (notify_socket_open(rundir, "re", &s, NULL) < 0)
                return 96;
        (void) raise(SIGKILL);
        return 97;
}

static void test_reopen(void) {
        Child dead = child_start(-1, NULL, open_and_die, NULL);
        char path[PATH_MAX], dir[PATH_MAX];
        NotifySocket *n = NULL;
        NotifyMessage m = {};
        CrlError err = {};
        struct stat st;
        Child c;
        int r;

        CHECK(child_end(&dead) == 128 + SIGKILL, "the first owner was killed");
        (void) snprintf(path, sizeof(path), "%s/notify/re", rundir);
        CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stale socket left: %m");
        r = notify_socket_open(rundir, "re", &n, &err);
        CHECK(r == 0, "reopen: %s", err.message);
        if (r < 0)
                return;
        CHECK(streq(notify_socket_path(n), path), "path %s", notify_socket_path(n));
        CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0666,
              "socket mode %o", (unsigned) st.st_mode);
        (void) snprintf(dir, sizeof(dir), "%s/notify", rundir);
        CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0755, "dir mode %o", (unsigned) st.st_mode);
        c = child_start(svc_fd, notify_socket_path(n), send_notify, (void *) "READY=1");
        r = receive(n, &m);
        CHECK(r == 0 && m.flags == NOTIFY_READY, "after reopen: %d %s", r, notify_socket_drop_reason(n));
        CHECK(child_end(&c) == 0, "sender failed");
        notify_socket_free(n);
        CHECK(stat(path, &st) < 0 && errno == ENOENT, "free removes the socket");
        CHECK(faccessat(AT_FDCWD, dir, F_OK, 0) == 0, "the directory stays");

        err = (CrlError) {};
        CHECK(notify_socket_open(rundir, "a/b", &n, &err) == -EINVAL && strstr(err.message, "'a/b'"), "%s", err.message);
}

int main(void) {
        const char *mnt = cgroup2_mount();
        NotifySocket *n = NULL;
        CrlError err = {};
        int fds_before, r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (geteuid() != 0)
                return printf("needs root\n"), 77;
        if (!mnt)
                return printf("no cgroup2 mount\n"), 77;
        (void) snprintf(base, sizeof(base), "%s/corral-test-notify-%d", mnt, (int) getpid());
        if (mkdir(base, 0755) < 0)
                return printf("mkdir %s: %m\n", base), 1;
        svc_fd = open_cg("svc");
        sub_fd = open_cg("svc/sub");
        other_fd = open_cg("other");
        CHECK(svc_fd >= 0 && sub_fd >= 0 && other_fd >= 0, "test cgroups under %s", base);
        CHECK(mkdtemp(rundir) != NULL, "rundir");
        fds_before = count_fds();

        r = notify_socket_open(rundir, "web", &n, &err);
        CHECK(r == 0, "open: %s", err.message);
        if (r == 0) {
                printf("# socket %s\n", notify_socket_path(n));
                test_ready(n);
                test_mainpid(n);
                test_foreign(n);
                test_sender_gone(n);
                test_fds_closed(n);
                test_garbage(n);
                test_pidns(n);
                notify_socket_free(n);
        }
        test_reopen();
        CHECK(count_fds() == fds_before, "fds: %d before, %d after", fds_before, count_fds());

        close(svc_fd);
        close(sub_fd);
        close(other_fd);
        remove_cgroups();
        {
                char d[PATH_MAX];

                (void) snprintf(d, sizeof(d), "%s/notify", rundir);
                CHECK(rmdir(d) == 0 && rmdir(rundir) == 0, "rundir left empty: %m");
        }
        return it_report("test-service-notify");
}
