/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asynchronous launcher as corrald drives it: ns_launch_start() and
 * ns_exec_start() (a command inside a running service) return at once, one
 * poll loop dispatches every launch in flight, a child stuck in its setup
 * is aborted without a wait and leaves nothing, failures come out of
 * dispatch naming the step, and the status record tells a later corrald
 * how the command ended. A child "stuck in its setup" is one born
 * into a frozen cgroup (cgroup.freeze: no controller needed): it hangs
 * before its first instruction, as one in a hung mount would. */
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>

#include "launch-util.h"
#include "syscalls.h"

static char order[512];

static void note(const char *what, const char *name) {
        size_t l = strlen(order);

        (void) snprintf(order + l, sizeof(order) - l, "%s%s-%s", l ? " " : "", what, name);
}

typedef struct Job {
        const char *name;
        UnitConfig *u;
        NsLaunchParams p;
        NsExecParams x;         /* with x.target_pidfd >= 0: ns_exec_start() instead */
        NsLaunch *l;
        NsProcess proc;
        CrlError e;
        int r;                  /* -EAGAIN while in flight */
        int out;                /* read end of the command's stdout */
        unsigned dispatches;
} Job;

static int order_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        (void) child_pidfd, (void) child_pid, (void) reterr;
        note("hook", userdata);
        return 0;
}

static int failing_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        (void) userdata, (void) child_pidfd, (void) child_pid;
        return crl_error_set(reterr, EHOSTUNREACH, "veth: no route to the bridge");
}

static int killing_hook(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr) {
        (void) userdata, (void) child_pid, (void) reterr;
        return crl_pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
}

static char *const *sh_argv(const char *script) {
        static char *argv[8][4];
        static unsigned n;
        char **a = argv[n++ % 8];

        a[0] = (char *) "/bin/sh", a[1] = (char *) "-c", a[2] = (char *) script, a[3] = NULL;
        return a;
}

/* Set up a job (the unit is the caller's to fill before job_start). */
static void job_init(Job *j, const char *name, const char *script) {
        *j = (Job) { .name = name, .u = unit_new(name), .r = -EAGAIN, .out = -EBADF };
        it_params_init(&j->p, j->u);
        j->x = (NsExecParams) { .target_pidfd = -EBADF, .cgroup_fd = -EBADF,
                                .stdin_fd = -EBADF, .stderr_fd = -EBADF };
        j->p.argv = j->x.argv = sh_argv(script);
        j->p.runtime_dir = rt_dir();
        j->proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
}

static int job_start(Job *j) {
        int fds[2];

        j->p.unit = j->u;
        if (pipe2(fds, O_CLOEXEC) < 0)
                abort();
        j->p.stdout_fd = j->x.stdout_fd = fds[1];
        if (j->x.target_pidfd >= 0)
                j->r = ns_exec_start(&j->x, &j->l, &j->e);
        else
                j->r = ns_launch_start(&j->p, &j->l, &j->e);
        close(fds[1]);          /* the child has its copy: start's params may go */
        j->out = fds[0];
        if (j->r >= 0) {
                j->r = -EAGAIN;
                note("start", j->name);
        }
        return j->r;
}

static void job_done(Job *j) {
        j->l = ns_launch_free(j->l);
        if (j->proc.pidfd >= 0) {
                (void) crl_pidfd_send_signal(j->proc.pidfd, SIGKILL, NULL, 0);
                (void) waitid(P_PIDFD, (id_t) j->proc.pidfd, &(siginfo_t) {}, WEXITED);
        }
        ns_process_done(&j->proc);
        j->out = safe_close(j->out);
        j->u = unit_config_free(j->u);
}

/* One poll loop over every job in flight, as corrald's sd-event loop would
 * run it, until target ended; false if nothing happened for timeout_ms. */
static bool drive(Job *jobs[], size_t n, Job *target, int timeout_ms) {
        while (target->r == -EAGAIN) {
                struct pollfd pfd[8];

                for (size_t i = 0; i < n; i++)
                        pfd[i] = (struct pollfd) { .fd = jobs[i]->r == -EAGAIN ? ns_launch_fd(jobs[i]->l) : -1,
                                                   .events = POLLIN };
                if (poll(pfd, n, timeout_ms) <= 0)
                        return false;
                for (size_t i = 0; i < n; i++) {
                        if (!(pfd[i].revents & POLLIN))
                                continue;
                        jobs[i]->dispatches++;
                        jobs[i]->r = ns_launch_dispatch(jobs[i]->l, &jobs[i]->proc, &jobs[i]->e);
                        if (jobs[i]->r != -EAGAIN)
                                note(jobs[i]->r == 0 ? "done" : "failed", jobs[i]->name);
                }
        }
        return true;
}

static const char *cg_mount(void) {
        return access("/sys/fs/cgroup/cgroup.procs", F_OK) >= 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
}

static int cg_make(const char *name, char *path, size_t size) {
        (void) snprintf(path, size, "%s/corral-test-async-%d-%s", cg_mount(), (int) getpid(), name);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void cg_write(int dir_fd, const char *file, const char *value) {
        int fd = openat(dir_fd, file, O_WRONLY | O_CLOEXEC);

        CHECK(fd >= 0 && write(fd, value, strlen(value)) == (ssize_t) strlen(value), "write %s %s: %m", file, value);
        safe_close(fd);
}

static const char *cg_read(int dir_fd, const char *file) {
        static char buf[256];
        int fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

        buf[n < 0 ? 0 : n] = 0;
        safe_close(fd);
        return buf;
}

static bool proc_exists(pid_t pid) {
        char path[64];

        (void) snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        return access(path, F_OK) >= 0;
}

/* Has this process exec'd? A clone that did not shares our executable. */
/* pid is a launch child in its setup: a fork of ours, or corral-executor. */
static bool same_exe(pid_t pid) {
        char path[64];
        struct stat a, b, x;

        (void) snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        if (stat(path, &a) < 0)
                return false;
        if (it_executor >= 0 && fstat(it_executor, &x) >= 0 && a.st_ino == x.st_ino && a.st_dev == x.st_dev)
                return true;
        return stat("/proc/self/exe", &b) >= 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void read_all(int fd, char *buf, size_t size) {
        size_t len = 0;
        ssize_t n;

        while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = 0;
}

static bool reaped_soon(int pidfd, siginfo_t *ret) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        *ret = (siginfo_t) {};
        return poll(&pfd, 1, 5000) > 0 && waitid(P_PIDFD, (id_t) pidfd, ret, WEXITED) >= 0;
}

static pid_t pidfd_pid(int pidfd) {
        char path[64], line[128];
        pid_t pid = 0;
        FILE *f;

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (strneq(line, "Pid:", 4))
                        pid = atoi(line + 4);
        if (f)
                fclose(f);
        return pid;
}

static pid_t ppid_of(pid_t pid) {
        char path[64], comm[64], state;
        int ppid = 0;
        FILE *f;

        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (f && fscanf(f, "%*d (%63[^)]) %c %d", comm, &state, &ppid) != 3)
                ppid = 0;
        if (f)
                fclose(f);
        return ppid;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Two launches in one poll loop: A is cloned first but stuck in its setup
 * (born frozen); B is cloned while A's setup has not even reached its
 * parent steps, and completes; A completes once thawed. */
static void test_interleaved(void) {
        char path[256], out[64];
        Job a, b;
        Job *jobs[] = { &a, &b };
        int cg = cg_make("frozen", path, sizeof(path));
        pid_t pid_a;

        CHECK(cg >= 0, "cgroup %s: %s", path, strerror(-cg));
        if (cg < 0)
                return;
        cg_write(cg, "cgroup.freeze", "1");
        order[0] = 0;
        job_init(&a, "A", "echo A");
        a.u->private_pids = a.u->private_network = a.u->private_tmp = true;
        a.p.cgroup_fd = cg;
        a.p.setup_hook = order_hook, a.p.setup_userdata = (void *) "A";
        job_init(&b, "B", "echo B");
        b.u->private_pids = b.u->private_network = b.u->private_tmp = true;
        b.p.setup_hook = order_hook, b.p.setup_userdata = (void *) "B";
        CHECK(job_start(&a) == -EAGAIN, "start A: %s", a.e.message);
        CHECK(job_start(&b) == -EAGAIN, "start B: %s", b.e.message);
        if (a.r != -EAGAIN || b.r != -EAGAIN)
                goto out;
        pid_a = pidfd_pid(ns_launch_pidfd(a.l));
        CHECK(drive(jobs, 2, &b, 5000) && b.r == 0, "B: r=%d %s", b.r, b.e.message);
        read_all(b.out, out, sizeof(out));
        CHECK(streq(out, "B\n"), "B printed '%s'", out);
        /* All the while A sat in its setup: cloned, frozen, never exec'd. */
        CHECK(a.r == -EAGAIN && proc_exists(pid_a) && same_exe(pid_a), "A: r=%d pid %d", a.r, (int) pid_a);
        CHECK(strstr(cg_read(cg, "cgroup.events"), "frozen 1") != NULL, "%s", cg_read(cg, "cgroup.events"));
        cg_write(cg, "cgroup.freeze", "0");
        CHECK(drive(jobs, 2, &a, 5000) && a.r == 0, "A: r=%d %s", a.r, a.e.message);
        read_all(a.out, out, sizeof(out));
        CHECK(streq(out, "A\n"), "A printed '%s'", out);
        CHECK(streq(order, "start-A start-B hook-B done-B hook-A done-A"), "order: %s", order);
        CHECK(a.proc.main_pid != a.proc.pid && a.proc.main_pidfd >= 0, "A's MainPID %d (init %d)",
              (int) a.proc.main_pid, (int) a.proc.pid);
out:
        job_done(&a);
        job_done(&b);
        safe_close(cg);
        CHECK(rmdir(path) == 0, "rmdir %s: %m", path);
}

/* A child that hangs in its setup (frozen; or waiting for the uid map the
 * parent never writes) is aborted: killed without a wait, its pidfd handed
 * back, nothing left in /proc or the cgroup, no fd leaked. */
static void test_abort_hung(bool frozen) {
        char path[256];
        Job c;
        Job *jobs[] = { &c };
        int cg = cg_make(frozen ? "hung" : "userns", path, sizeof(path)), fds, pidfd;
        siginfo_t si;
        pid_t pid;

        CHECK(cg >= 0, "cgroup %s: %s", path, strerror(-cg));
        if (cg < 0)
                return;
        if (frozen)
                cg_write(cg, "cgroup.freeze", "1");
        job_init(&c, "hung", "echo never");
        c.u->private_pids = c.u->private_network = true;
        if (!frozen)
                c.u->private_users = PRIVATE_USERS_SELF;
        c.p.cgroup_fd = cg;
        fds = count_fds();
        CHECK(job_start(&c) == -EAGAIN, "start: %s", c.e.message);
        if (c.r != -EAGAIN)
                goto out;
        pid = pidfd_pid(ns_launch_pidfd(c.l));
        if (frozen)
                CHECK(!drive(jobs, 1, &c, 300), "a frozen child made progress: r=%d %s", c.r, c.e.message);
        else {
                /* The child asks for its maps (U) and waits: nobody dispatches it. */
                struct pollfd pfd = { .fd = ns_launch_fd(c.l), .events = POLLIN };

                CHECK(poll(&pfd, 1, 5000) == 1, "no message from the child");
        }
        CHECK(proc_exists(pid) && same_exe(pid), "pid %d not in its setup", (int) pid);
        pidfd = ns_launch_abort(c.l);
        c.l = NULL;
        CHECK(pidfd >= 0, "abort returned %d", pidfd);
        CHECK(pidfd >= 0 && reaped_soon(pidfd, &si) && si.si_code == CLD_KILLED && si.si_status == SIGKILL,
              "code %d status %d", si.si_code, si.si_status);
        safe_close(pidfd);
        CHECK(!proc_exists(pid), "pid %d is still there", (int) pid);
        CHECK(streq(cg_read(cg, "cgroup.procs"), ""), "cgroup.procs: '%s'", cg_read(cg, "cgroup.procs"));
        CHECK(strstr(cg_read(cg, "cgroup.events"), "populated 0") != NULL, "%s", cg_read(cg, "cgroup.events"));
        c.out = safe_close(c.out);
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
out:
        job_done(&c);
        if (frozen)
                cg_write(cg, "cgroup.freeze", "0");
        safe_close(cg);
        CHECK(rmdir(path) == 0, "rmdir %s: %m", path);
}

/* A control command inside a running service (ns_exec_start) is a launch
 * like the others. The service's cgroup is frozen, so the command is born
 * stuck before its first instruction: it stays in flight while a launch
 * started after it completes, and completes once thawed, inside the
 * service's PID namespace; a second one, aborted, leaves nothing in /proc
 * or the cgroup. */
static void test_exec_frozen(void) {
        char path[256], out[64], procs[256];
        Job t, x, b, y;
        Job *start_jobs[] = { &t }, *jobs[] = { &x, &b }, *abort_jobs[] = { &y };
        int cg = cg_make("exec", path, sizeof(path)), fds = count_fds(), pidfd;
        siginfo_t si;
        pid_t pid;

        CHECK(cg >= 0, "cgroup %s: %s", path, strerror(-cg));
        if (cg < 0)
                return;
        order[0] = 0;
        job_init(&t, "target", "exec sleep 60");
        t.u->private_pids = true;
        t.p.cgroup_fd = cg;
        job_init(&x, "X", "echo $$");
        job_init(&b, "B", "echo B");
        job_init(&y, "Y", "echo never");
        CHECK(job_start(&t) == -EAGAIN && drive(start_jobs, 1, &t, 5000) && t.r == 0, "target: %s", t.e.message);
        if (t.r != 0)
                goto out;
        (void) snprintf(procs, sizeof(procs), "%s", cg_read(cg, "cgroup.procs"));
        x.x.target_pidfd = y.x.target_pidfd = t.proc.main_pidfd;
        x.x.cgroup_fd = y.x.cgroup_fd = cg;
        cg_write(cg, "cgroup.freeze", "1");
        CHECK(job_start(&x) == -EAGAIN, "exec X: %s", x.e.message);
        CHECK(job_start(&b) == -EAGAIN, "start B: %s", b.e.message);
        if (x.r != -EAGAIN || b.r != -EAGAIN)
                goto out;
        pid = pidfd_pid(ns_launch_pidfd(x.l));
        CHECK(drive(jobs, 2, &b, 5000) && b.r == 0, "B: r=%d %s", b.r, b.e.message);
        /* All the while X sat in the frozen cgroup: cloned, never exec'd. */
        CHECK(x.r == -EAGAIN && proc_exists(pid) && same_exe(pid), "X: r=%d pid %d", x.r, (int) pid);
        cg_write(cg, "cgroup.freeze", "0");
        CHECK(drive(jobs, 2, &x, 5000) && x.r == 0, "X: r=%d %s", x.r, x.e.message);
        CHECK(streq(order, "start-target done-target start-X start-B done-B done-X"), "order: %s", order);
        read_all(x.out, out, sizeof(out));
        /* PID 3 in the service's namespace: its init is 1, its command 2. */
        CHECK(streq(out, "3\n"), "X printed '%s'", out);
        CHECK(x.proc.pid == pid && reaped_soon(x.proc.pidfd, &si) && si.si_code == CLD_EXITED && si.si_status == 0,
              "X: code %d status %d", si.si_code, si.si_status);

        cg_write(cg, "cgroup.freeze", "1");
        CHECK(job_start(&y) == -EAGAIN, "exec Y: %s", y.e.message);
        if (y.r != -EAGAIN)
                goto out;
        pid = pidfd_pid(ns_launch_pidfd(y.l));
        CHECK(!drive(abort_jobs, 1, &y, 300), "a frozen exec made progress: r=%d %s", y.r, y.e.message);
        CHECK(proc_exists(pid) && same_exe(pid), "Y: pid %d not in its setup", (int) pid);
        pidfd = ns_launch_abort(y.l);
        y.l = NULL;
        CHECK(pidfd >= 0 && reaped_soon(pidfd, &si) && si.si_code == CLD_KILLED && si.si_status == SIGKILL,
              "Y: code %d status %d", si.si_code, si.si_status);
        safe_close(pidfd);
        CHECK(!proc_exists(pid), "Y: pid %d is still there", (int) pid);
        CHECK(streq(cg_read(cg, "cgroup.procs"), procs), "cgroup.procs: '%s', was '%s'", cg_read(cg, "cgroup.procs"), procs);
        cg_write(cg, "cgroup.freeze", "0");
out:
        job_done(&y);
        job_done(&b);
        job_done(&x);
        job_done(&t);
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
        cg_write(cg, "cgroup.freeze", "0");
        safe_close(cg);
        CHECK(rmdir(path) == 0, "rmdir %s: %m", path);
}

/* Run one job to its end through dispatch; its pid, reaped after abort. */
static void run_failing(Job *j, siginfo_t *ret_si, pid_t *ret_pid) {
        Job *jobs[] = { j };
        int pidfd;

        *ret_pid = 0;
        *ret_si = (siginfo_t) {};
        if (job_start(j) != -EAGAIN)
                return;
        *ret_pid = pidfd_pid(ns_launch_pidfd(j->l));
        CHECK(drive(jobs, 1, j, 5000), "%s: no end", j->name);
        pidfd = ns_launch_abort(j->l);
        j->l = NULL;
        CHECK(pidfd >= 0 && reaped_soon(pidfd, ret_si), "%s: not reaped", j->name);
        safe_close(pidfd);
        CHECK(!proc_exists(*ret_pid), "%s: pid %d is still there", j->name, (int) *ret_pid);
}

/* Failures come out of dispatch naming the step, the child killed. */
static void test_failures(void) {
        int fds = count_fds();
        siginfo_t si;
        pid_t pid;
        Job j;

        job_init(&j, "fail", "echo never");
        unit_add_bind(j.u, "/nonexistent-corral-async", "/x", false, false);
        run_failing(&j, &si, &pid);
        CHECK(j.r == -ENOENT && streq(j.e.message, "service 'fail': step 'mount': "
                                      "bind mount /nonexistent-corral-async -> /x: No such file or directory"),
              "r=%d '%s'", j.r, j.e.message);
        job_done(&j);

        job_init(&j, "hookfail", "echo never");
        j.u->private_network = true;
        j.p.setup_hook = failing_hook;
        run_failing(&j, &si, &pid);
        CHECK(j.r == -EHOSTUNREACH && streq(j.e.message, "service 'hookfail': step 'setup-hook': veth: no route to the bridge"),
              "r=%d '%s'", j.r, j.e.message);
        /* it was waiting for its release: only our SIGKILL ended it */
        CHECK(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "code %d status %d", si.si_code, si.si_status);
        job_done(&j);

        /* Killed in its setup: the socket's EOF comes a little before the
         * death; dispatch waits for the pidfd then, without spinning on the
         * EOF (a level-triggered loop would see it readable forever). */
        for (int pids = 0; pids < 2; pids++) {
                job_init(&j, "killed", "echo never");
                j.u->private_pids = pids;
                j.p.setup_hook = killing_hook;
                run_failing(&j, &si, &pid);
                CHECK(j.r == -ECHILD && streq(j.e.message, "service 'killed': step 'handshake': "
                                              "the child was killed by signal KILL before its exec"),
                      "private_pids %d: r=%d '%s'", pids, j.r, j.e.message);
                CHECK(j.dispatches <= 4, "private_pids %d: %u dispatches", pids, j.dispatches);
                job_done(&j);
        }
        CHECK(count_fds() == fds, "fds %d -> %d", fds, count_fds());
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child was left behind");
}

/* A corrald (here a forked helper) launches with a status record and dies
 * with every fd it had; the command ends later; the record, read by path,
 * says how. Without PrivatePIDs= the init stays the command's parent (the
 * shim). The init survives writing to the dead corrald's status pipe. */
static void test_status_record(bool private_pids, bool terminate) {
        char path[256];
        int in[2], rep[2], init_fd, main_fd, record, st = 0;
        pid_t pids[2] = {}, helper;
        uint64_t before = now_usec(), usec = 0;
        siginfo_t si = {}, isi;
        int want_code = terminate ? CLD_KILLED : CLD_EXITED, want_status = terminate ? SIGTERM : 3;

        (void) mkdir(rt_dir(), 0755);
        (void) snprintf(path, sizeof(path), "%s/status-%d-%d", rt_dir(), private_pids, terminate);
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        helper = fork();
        if (helper == 0) {
                UnitConfig *u = unit_new("record");
                NsLaunchParams p;
                NsProcess proc;
                CrlError e = {};
                int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

                u->private_pids = private_pids;
                it_params_init(&p, u);
                p.argv = sh_argv("read x; exit 3");
                p.runtime_dir = rt_dir();
                p.stdin_fd = in[0];
                p.status_record_fd = fd;
                if (fd < 0 || ns_launch(&p, &proc, &e) < 0) {
                        fprintf(stderr, "launch: %s\n", e.message);
                        _exit(1);
                }
                pids[0] = proc.pid, pids[1] = proc.main_pid;
                _exit(write(rep[1], pids, sizeof(pids)) == sizeof(pids) ? 0 : 1);
        }
        close(in[0]);
        close(rep[1]);
        CHECK(read(rep[0], pids, sizeof(pids)) == sizeof(pids), "no pids from the launcher");
        close(rep[0]);
        CHECK(waitpid(helper, &st, 0) == helper && WIFEXITED(st) && WEXITSTATUS(st) == 0, "launcher: %d", st);
        if (pids[0] <= 0) {
                close(in[1]);
                return;
        }
        /* What a restarted corrald has: the pids it recorded, the record's path. */
        init_fd = crl_pidfd_open(pids[0], 0);
        main_fd = crl_pidfd_open(pids[1], 0);
        record = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(init_fd >= 0 && main_fd >= 0 && record >= 0, "pidfd_open/open: %m");
        CHECK(pids[0] != pids[1] && ppid_of(pids[1]) == pids[0],
              "init %d, command %d with parent %d", (int) pids[0], (int) pids[1], (int) ppid_of(pids[1]));
        CHECK(ns_status_record_read(record, &si, NULL) == -ENODATA, "a record while the command runs");
        if (terminate)
                CHECK(crl_pidfd_send_signal(main_fd, SIGTERM, NULL, 0) == 0, "SIGTERM: %m");
        close(in[1]);
        /* The init ends after it wrote the record: wait for it (we are its subreaper now). */
        CHECK(reaped_soon(init_fd, &isi), "the init did not end");
        CHECK(isi.si_code == CLD_EXITED && isi.si_status == (terminate ? 128 + SIGTERM : 3),
              "init: code %d status %d", isi.si_code, isi.si_status);
        CHECK(ns_status_record_read(record, &si, &usec) == 0 && si.si_code == want_code && si.si_status == want_status,
              "record: code %d status %d", si.si_code, si.si_status);
        CHECK(usec >= before && usec <= now_usec(), "timestamp %llu not in [%llu, now]",
              (unsigned long long) usec, (unsigned long long) before);
        CHECK(!proc_exists(pids[1]), "the command %d is still there", (int) pids[1]);
        safe_close(init_fd);
        safe_close(main_fd);
        safe_close(record);
}

int main(void) {
        require_root();
        /* The status record test's launcher dies; its init comes to us. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                abort();
        test_interleaved();
        test_abort_hung(true);
        test_abort_hung(false);
        test_exec_frozen();
        test_failures();
        for (int pids = 0; pids < 2; pids++)
                for (int term = 0; term < 2; term++)
                        test_status_record(pids, term);
        return finish("test-launch-async");
}
