/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child between clone and execve. It runs the steps below in order and
 * reports the first failure as (step, errno, index) on the handshake socket.
 * Nothing here allocates or logs: the child may be the clone of a threaded
 * supervisor, where malloc's locks can be held by threads that do not exist
 * here. Everything it needs was computed into the NsPlan by the parent. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "signal-util.h"
#include "macros.h"
#include "ns-plan.h"
#include "syscalls.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

int ns_child_own_fds(const NsPlan *plan, int sock) {
        /* Before Linux 5.9 the flag is unknown (EINVAL): a full copy then. */
        if (syscall(SYS_close_range, plan->fd_floor, ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
            (errno != EINVAL || unshare(CLONE_FILES) < 0))
                return -errno;
        return send(sock, (char[]) { NS_MSG_FILES }, 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int wait_release(int sock) {
        char c;
        ssize_t n;

        do
                n = recv(sock, &c, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == 1 ? 0 : -EPIPE;     /* EOF: the parent gave up on us */
}

static int setup_timens(const NsPlan *plan) {
        int fd, r = 0;
        size_t len = strlen(plan->timens_offsets);

        /* CLONE_NEWTIME puts only later children (and, on execve, this
         * process) into the new namespace; its offsets can be written only
         * while no process is in it yet, i.e. right now. */
        if (unshare(CLONE_NEWTIME) < 0)
                return -errno;
        fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, plan->timens_offsets, len) != (ssize_t) len)
                r = negative_errno();
        safe_close(fd);
        return r;
}

static int setup_namespaces(NsPlan *plan, NsStep *step) {
        int r;

        *step = NS_STEP_JOIN;
        r = ns_join_apply(plan);
        if (r < 0)
                return r;
        /* After the parent placed us in our cgroup, so the namespace root is
         * the service's cgroup and /proc/self/cgroup reads 0::/. */
        *step = NS_STEP_CGROUPNS;
        if (plan->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return -errno;
        *step = NS_STEP_TIMENS;
        if (plan->unshare_timens && (r = setup_timens(plan)) < 0)
                return r;
        *step = NS_STEP_HOSTNAME;
        if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
                return -errno;
        *step = NS_STEP_LOOPBACK;
        if (plan->loopback && (r = ns_loopback_up()) < 0)
                return r;
        return 0;
}

/* PrivateUsers=: the user namespace, made after every mount and namespace
 * (they stay owned by the host's user namespace, so nothing set up so far
 * can be undone from inside). The parent writes the maps while we wait. */
static int enter_userns(int sock) {
        int r;

        if (unshare(CLONE_NEWUSER) < 0)
                return -errno;
        if (send(sock, (char[]) { NS_MSG_USERNS }, 1, MSG_NOSIGNAL) < 0)
                return -errno;
        r = wait_release(sock);
        if (r < 0)
                return r;
        /* Take the namespace's root ids: with PrivateUsers=pick the host's
         * root we were cloned as is unmapped here. */
        if ((r = crl_setresgid(0, 0, 0)) < 0 || (r = crl_setresuid(0, 0, 0)) < 0)
                return r;
        /* Changing ids cleared "dumpable", which hands /proc/self to the
         * host's root, unmapped here: the service could not read its own
         * /proc/self files. */
        return RET_NERRNO(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
}

/* Tell the parent execve comes next: EOF without this report means the child
 * died in its setup. PID 2 under the init sends its own pidfd along (its pid
 * arrives through SCM_CREDENTIALS, translated into the parent's namespace),
 * so the parent never opens a pid number that may have been reused. */
static int report_exec(int sock, bool main) {
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {};
        char c = main ? NS_MSG_MAIN : NS_MSG_EXEC;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int fd = -EBADF, r;

        if (main) {
                struct cmsghdr *cm;

                fd = (int) syscall(SYS_pidfd_open, (pid_t) syscall(SYS_getpid), 0);
                if (fd < 0)
                        return -errno;
                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        r = sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
        safe_close(fd);
        return r;
}

static int setup_stdio(const NsPlan *plan, int null_fd) {
        int fds[3];

        /* Move every source above 2 first, so dup2() cannot clobber a source
         * that sits on a target number. */
        for (int i = 0; i < 3; i++) {
                int src = plan->stdio[i] >= 0 ? plan->stdio[i] : plan->stdio_inherit ? i : null_fd;

                fds[i] = fcntl(src, F_DUPFD_CLOEXEC, 3);
                if (fds[i] < 0)
                        return -errno;
        }
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        return -errno;
        return 0;
}

static int exec_command(const NsPlan *plan) {
        char buf[PATH_MAX];
        const char *p = plan->path_env, *file = plan->exec_path ?: plan->argv[0];
        int last = -ENOENT;

        if (strchr(file, '/')) {
                execve(file, plan->argv, plan->envp);
                return -errno;
        }
        while (p && *p) {
                const char *end = strchrnul(p, ':');
                size_t dl = (size_t) (end - p), nl = strlen(file);

                if (dl > 0 && dl + 1 + nl < sizeof(buf)) {
                        memcpy(buf, p, dl);
                        buf[dl] = '/';
                        memcpy(buf + dl + 1, file, nl + 1);
                        execve(buf, plan->argv, plan->envp);
                        if (errno != ENOENT && errno != ENOTDIR)
                                last = -errno;
                }
                p = *end ? end + 1 : end;
        }
        return last;
}

static int setup_process(NsPlan *plan, int null_fd, int sock, bool main, NsStep *step) {
        int r;

        r = ns_exec_attrs_apply_late(plan, step);
        if (r >= 0)
                r = ns_creds_apply(plan, step);
        if (r < 0)
                return r;
        *step = NS_STEP_WORKING_DIRECTORY;
        if (plan->working_directory && chdir(plan->working_directory) < 0 &&
            !plan->working_directory_optional)
                return -errno;
        *step = NS_STEP_STDIO;
        r = setup_stdio(plan, null_fd);
        if (r < 0)
                return r;
        /* Whatever a threaded parent opened without O_CLOEXEC must not leak in. */
        (void) syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        /* Right before execve, so the parent wakes once for this and once
         * for the EOF of the exec. */
        *step = NS_STEP_MAINPID;
        r = report_exec(sock, main);
        if (r < 0)
                return r;
        /* Last, after the report (whose sendmsg() a filter may deny): corral's
         * own calls are never filtered. A failure here still reaches a
         * parent that waits for the exec; Type=simple sees exit status 127. */
        *step = NS_STEP_SECCOMP;
        r = ns_seccomp_apply(plan->seccomp);
        if (r < 0)
                return r;
        *step = NS_STEP_EXEC;
        return exec_command(plan);
}

/* ns_exec(): every namespace of the target in one setns() (the PID
 * namespace was entered by the parent for us), then its cwd. */
static int child_enter(NsPlan *plan, NsStep *step) {
        unsigned long user = plan->exec_setns_flags & CLONE_NEWUSER, rest = plan->exec_setns_flags & ~user;

        /* The service's user namespace last: its other namespaces belong to
         * the host's, where we still have our capabilities. */
        *step = NS_STEP_JOIN;
        if (rest && setns(plan->exec_target_pidfd, (int) rest) < 0)
                return -errno;
        if (user && setns(plan->exec_target_pidfd, (int) user) < 0)
                return -errno;
        *step = NS_STEP_WORKING_DIRECTORY;
        return RET_NERRNO(fchdir(plan->exec_cwd_fd));
}

typedef struct Pid2 {
        NsPlan *plan;
        int sock, null_fd;
        int gate[2];            /* the init writes a byte once it dropped its capabilities */
        int done[2];            /* O_CLOEXEC: EOF for the init when PID 2 exec'd or died */
} Pid2;

/* PID 2, the command. It shares the init's memory (CLONE_VM) while the init
 * waits for its execve (setup_init), so it writes only its own stack. It
 * starts once the init holds no capability but CAP_KILL: the command never
 * sees (or ptraces) a privileged init. */
static int pid2_main(void *userdata) {
        const Pid2 *a = userdata;
        NsStep step = NS_STEP_INIT;
        sigset_t mask;
        char c;
        int r;

        (void) close(a->gate[1]);       /* our copies: the init's end only */
        (void) close(a->done[0]);
        while (read(a->gate[0], &c, 1) < 0 && errno == EINTR)
                ;
        (void) close(a->gate[0]);
        sigemptyset(&mask);
        r = RET_NERRNO(sigprocmask(SIG_SETMASK, &mask, NULL));
        if (r >= 0)
                r = setup_process(a->plan, a->null_fd, a->sock, true, &step);
        (void) ns_child_report(a->sock, step, r, -1);
        _exit(step == NS_STEP_EXEC ? NS_EXIT_EXEC : 127);
}

/* The init never execs, so O_CLOEXEC does not protect it: it would hold
 * every fd of the supervisor (sockets, log files, other services' pidfds)
 * for the service's lifetime. Keep /dev/null on 0-2, the status pipe on 3
 * and the status record (if any) on 4, close the rest. Also hold no
 * directory of the host or the old root. Returns the record's fd. */
static int init_fds(int status_fd, int record_fd, int null_fd) {
        /* Out of the way of the dup2()s below (fcntl() allocates nothing). */
        if (record_fd >= 0 && record_fd <= 3)
                record_fd = fcntl(record_fd, F_DUPFD_CLOEXEC, 5);
        if (status_fd >= 0 && status_fd <= 2)
                status_fd = fcntl(status_fd, F_DUPFD_CLOEXEC, 5);
        if (null_fd == 3 || null_fd == 4)
                null_fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 5);
        for (int i = 0; i < 3; i++)
                (void) dup2(null_fd, i);        /* /dev/null is open, dup2 to 0-2 cannot fail */
        if (status_fd != 3)
                (void) dup2(status_fd, 3);      /* the init writes nowhere else: a failure shows as EBADF there */
        if (record_fd >= 0 && record_fd != 4 && dup2(record_fd, 4) < 0)
                record_fd = -EBADF;
        (void) syscall(SYS_close_range, record_fd >= 0 ? 5U : 4U, ~0U, 0U);
        (void) chdir("/");
        return record_fd >= 0 ? 4 : -EBADF;
}

/* PID 2's stack: mapped here, not by the parent, which would map and unmap
 * it on its loop for every launch (an mmap() allocates no heap). */
#define PID2_STACK_SIZE (256 * 1024)

/* PrivatePIDs=yes: we are PID 1. Start the command as PID 2 on a stack of
 * its own (vfork-style: no page-table copy of a possibly big
 * supervisor) and become the init. PrivateTime= needs this fork too: only
 * children are born into a new time namespace (before Linux 6.2 execve
 * does not move the caller), so without PrivatePIDs= the init is a plain
 * parent that relays signals and the status. Older kernels refuse a
 * CLONE_VM child a new time namespace (EINVAL): then fork. */
static int setup_init(NsPlan *plan, int sock, int null_fd, NsStep *step) {
        Pid2 a = { .plan = plan, .sock = sock, .null_fd = null_fd };
        char *stack;
        sigset_t mask;
        int record_fd;
        pid_t pid;
        char c;

        *step = NS_STEP_INIT;
        sigfillset(&mask);
        if (sigprocmask(SIG_SETMASK, &mask, NULL) < 0)
                return -errno;
        stack = mmap(NULL, PID2_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return -errno;
        stack += PID2_STACK_SIZE;
        if (pipe2(a.gate, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(a.done, O_CLOEXEC) < 0)
                return -errno;
        /* The init keeps the status pipe; PID 2 must not inherit it past exec,
         * and O_CLOEXEC sees to that. Not CLONE_VFORK: the init must drop
         * its capabilities while PID 2 waits, then it waits in turn. */
        pid = clone(pid2_main, stack, CLONE_VM | SIGCHLD, &a);
        if (pid < 0 && errno == EINVAL && plan->unshare_timens)
                pid = clone(pid2_main, stack, SIGCHLD, &a);
        if (pid < 0)
                return -errno;
        safe_close(a.gate[0]);
        safe_close(a.done[1]);
        /* The command's copy of the socket closes on its execve: that is the
         * parent's success signal, so ours must not stay open. */
        safe_close(sock);
        /* Best effort: a root init in its own user namespace or the host's
         * has CAP_SETPCAP for this. Then PID 2 may go on; until its execve
         * (EOF on done) the init touches no memory they share, as
         * CLONE_VFORK would have it. */
        (void) ns_creds_init_drop();
        (void) !write(a.gate[1], "", 1);
        safe_close(a.gate[1]);
        while (read(a.done[0], &c, 1) < 0 && errno == EINTR)
                ;
        safe_close(a.done[0]);
        record_fd = init_fds(plan->status_fd, plan->record_fd, null_fd);
        _exit(ns_init_run(pid, 3, record_fd));
}

static int child_run(NsPlan *plan, int sock, NsStep *step, int *index) {
        int null_fd, r;

        /* Before the parent's steps, which may set the unit's LimitNOFILE=. */
        if (plan->nofile_set)
                (void) setrlimit(RLIMIT_NOFILE, &plan->nofile);        /* lowering cannot fail */

        /* Before the first report: the parent's setup hook moves the veth
         * into our network namespace. */
        *step = NS_STEP_NAMESPACES;
        if (plan->unshare_flags && unshare((int) plan->unshare_flags) < 0)
                return -errno;
        /* The parent's steps between clone and release (attributes, the
         * setup hook, cgroup.procs) run when it reads this: it never
         * blocks on us, so it needs a message to wake up for. */
        *step = NS_STEP_HANDSHAKE;
        if (plan->need_release && send(sock, (char[]) { NS_MSG_READY }, 1, MSG_NOSIGNAL) < 0)
                return -errno;
        r = reset_all_signals();
        if (r >= 0 && plan->need_release)
                r = wait_release(sock);
        /* After the parent's steps (Nice=, which sched_setscheduler() keeps). */
        if (r >= 0)
                r = ns_exec_attrs_apply_early(plan, step);
        if (r < 0)
                return r;
        if (plan->exec_target_pidfd >= 0) {
                /* Before the setns()s: read as the caller would, from the target's root. */
                *step = NS_STEP_USER;
                r = plan->exec_user ? ns_exec_user_lookup(plan) : 0;
                if (r >= 0)
                        r = child_enter(plan, step);
                return r < 0 ? r : setup_process(plan, -EBADF, sock, false, step);
        }
        r = setup_namespaces(plan, step);
        if (r < 0)
                return r;
        *step = NS_STEP_STDIO;
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        /* DevicePolicy=strict with DeviceAllow=/dev/null r: the cgroup's
         * device program refuses the write half (systemd opens stdin
         * O_RDONLY); the service then gets what it allowed itself */
        if (null_fd < 0 && errno == EPERM)
                null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;
        r = ns_mount_apply(plan, step, index);
        if (r < 0)
                return r;
        *index = -1;
        *step = NS_STEP_USERNS_MAP;
        if (plan->unshare_userns && (r = enter_userns(sock)) < 0)
                return r;
        if (plan->use_init)
                return setup_init(plan, sock, null_fd, step);
        return setup_process(plan, null_fd, sock, false, step);
}

_Noreturn void ns_child_main(NsPlan *plan, int sock) {
        NsStep step = NS_STEP_HANDSHAKE;
        int index = -1, r;

        r = child_run(plan, sock, &step, &index);
        (void) ns_child_report(sock, step, r, index); /* nobody left to tell if this fails */
        /* A parent that took the exec report as success (Type=simple) sees
         * a failed execve only as this status, systemd's EXIT_EXEC. */
        _exit(step == NS_STEP_EXEC ? NS_EXIT_EXEC : 127);
}
