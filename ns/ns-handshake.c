/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parent's side of a launch as a state machine the caller's event loop
 * drives (docs/design.md "Asynchronous launch"): ns_launch_start_plan()
 * clones and returns; every later step runs in ns_launch_dispatch() when a
 * message of the child is readable, so nothing here waits for the child.
 *
 *   HANDSHAKE --R--> parent steps, G      --U--> uid/gid maps, G
 *             --X/P--> exec seen          --EOF after X/P--> DONE (success)
 *                                         (NS_LAUNCH_SUCCEED_AT_EXEC_REPORT: DONE at X/P)
 *             --{step, errno}--> DONE (failure, child SIGKILLed)
 *             --EOF without X/P--> DYING: wait for the pidfd, then DONE
 *                                  (failure saying how the child died) */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "syscalls.h"

typedef enum LaunchState {
        LAUNCH_HANDSHAKE,       /* reading the child's messages */
        LAUNCH_DYING,           /* the child dropped the handshake unreported: wait for its end */
        LAUNCH_DONE,            /* dispatch returned its result; only abort/free may follow */
} LaunchState;

struct NsLaunch {
        NsLaunchParams params;  /* copy; unit, setup_userdata, cgroup_fd borrowed till the end */
        UnitConfig *own_unit;   /* owned: params.unit when the launch made it (ns_exec_start) */
        NsPlan plan;            /* owned: the parent's copy, for messages and the maps */
        NsProcess proc;         /* pidfd, main_pidfd: owned until moved to the caller */
        int epoll_fd;           /* owned: what the caller waits on */
        int sock;               /* owned: the parent's end of the handshake */
        int child_sock;         /* owned: the child's end, while the child shares our fd
                                 * table (plan.fd_floor) and has not said NS_MSG_FILES */
        int held[6];            /* owned, meanwhile: copies of the caller's fds the child
                                 * uses (stdio, status record, join pidfd), so that the
                                 * caller may close its own once start returned */
        int status_fd;          /* owned: read end of the init's status pipe, or -EBADF */
        LaunchState state;
        bool exec_seen;         /* X, or P with PID 2's pidfd, arrived */
        bool released;          /* the parent steps ran and G went out */
        bool named;             /* prefix messages with the service's name */
};

static NsLaunch *launch_new(const NsLaunchParams *p, NsPlan *plan) {
        NsLaunch *l = malloc(sizeof(*l));

        if (!l)
                return NULL;
        *l = (NsLaunch) {
                .params = *p,
                .plan = *plan,
                .proc = { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF },
                .epoll_fd = -EBADF, .sock = -EBADF, .child_sock = -EBADF, .status_fd = -EBADF,
                .held = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF },
        };
        *plan = NS_PLAN_INIT;
        return l;
}

static NsLaunch *launch_done(NsLaunch *l) {
        ns_plan_done(&l->plan);
        unit_config_free(l->own_unit);
        ns_process_done(&l->proc);
        safe_close(l->epoll_fd);
        safe_close(l->sock);
        safe_close(l->child_sock);
        for (size_t i = 0; i < ELEMENTSOF(l->held); i++)
                safe_close(l->held[i]);
        safe_close(l->status_fd);
        free(l);
        return NULL;
}

static int watch(int epoll_fd, int op, int fd) {
        struct epoll_event ev = { .events = EPOLLIN };

        return RET_NERRNO(epoll_ctl(epoll_fd, op, fd, &ev));
}

/* The socketpair, the status pipe for the init (non-blocking: read while
 * PID 2 may still hold the write end) and the epoll fd over our end. */
static int launch_channels(NsLaunch *l, int *ret_child_sock, CrlError *reterr) {
        int sock[2], status[2], one = 1, r;

        /* Our ends high (fd_move_high()), out of the range the child keeps. */
        l->epoll_fd = fd_move_high(epoll_create1(EPOLL_CLOEXEC));
        if (l->epoll_fd < 0)
                return crl_error_set(reterr, errno, "step 'handshake': epoll: %s", strerror(errno));
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
                return crl_error_set(reterr, errno, "step 'handshake': socketpair: %s", strerror(errno));
        l->sock = fd_move_high(sock[0]);
        *ret_child_sock = sock[1];
        r = watch(l->epoll_fd, EPOLL_CTL_ADD, l->sock);
        if (r < 0)
                return crl_error_set(reterr, -r, "step 'handshake': epoll_ctl: %s", strerror(-r));
        if (!l->plan.use_init)
                return 0;
        if (setsockopt(l->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return crl_error_set(reterr, errno, "step 'handshake': SO_PASSCRED: %s", strerror(errno));
        if (pipe2(status, O_CLOEXEC | O_NONBLOCK) < 0)
                return crl_error_set(reterr, errno, "step 'handshake': pipe: %s", strerror(errno));
        l->status_fd = fd_move_high(status[0]);
        l->plan.status_fd = status[1];
        return 0;
}

/* The child shares our fd table until NS_MSG_FILES: keep its fds (its end
 * of the handshake, the init's status pipe) open until then, and watch its
 * pidfd meanwhile: a child that dies before it could say so leaves no EOF
 * while we hold its end. */
/* Before the clone: the child uses our copies of the caller's fds. */
static int launch_hold_borrowed(NsLaunch *l, CrlError *reterr) {
        int *fds[ELEMENTSOF(l->held)] = {
                &l->plan.stdio[0], &l->plan.stdio[1], &l->plan.stdio[2], &l->plan.record_fd, &l->plan.join_pidfd,
                &l->plan.mount_template_fd,
        };

        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                if (*fds[i] < 0)
                        continue;
                l->held[i] = fcntl(*fds[i], F_DUPFD_CLOEXEC, 3);
                if (l->held[i] < 0)
                        return crl_error_set(reterr, errno, "step 'clone': dup: %s", strerror(errno));
                *fds[i] = l->held[i];
        }
        return 0;
}

static int launch_files_shared(NsLaunch *l, int *child_sock, CrlError *reterr) {
        int r;

        l->child_sock = TAKE_FD(*child_sock);
        r = watch(l->epoll_fd, EPOLL_CTL_ADD, l->proc.pidfd);
        if (r < 0)      /* our caller frees the launch: the child is killed */
                return crl_error_set(reterr, -r, "step 'handshake': epoll_ctl: %s", strerror(-r));
        return 0;
}

/* The child's table is its own now (or it died): close our copies of its fds. */
static void launch_files_released(NsLaunch *l) {
        for (size_t i = 0; i < ELEMENTSOF(l->held); i++)
                l->held[i] = safe_close(l->held[i]);
        l->plan.stdio[0] = l->plan.stdio[1] = l->plan.stdio[2] = -EBADF;
        l->plan.record_fd = l->plan.join_pidfd = l->plan.mount_template_fd = -EBADF;
        l->child_sock = safe_close(l->child_sock);
        l->plan.status_fd = safe_close(l->plan.status_fd);
        (void) watch(l->epoll_fd, EPOLL_CTL_DEL, l->proc.pidfd);
}

/* Whether a child cloned into cgroup_fd with CLONE_VFORK surely runs to
 * its exec: the parent waits for that exec, and a child born frozen
 * (cgroup.freeze here or above) never gets there, so the caller would hang
 * until a thaw nobody can send. An empty cgroup's "frozen" is exact (a
 * freeze of it or an ancestor sets it at once), and only the host's root
 * can freeze an empty one, so the answer holds until the clone; a
 * populated one (a control command in a running service) could be frozen
 * by its own processes meanwhile: no. */
static bool cgroup_runs_vfork(int cgroup_fd) {
        _cleanup_free_ char *events = NULL;

        if (cgroup_fd < 0)
                return true;    /* our own cgroup: were it frozen, so were we */
        if (read_file_at(cgroup_fd, "cgroup.events", &events, NULL) < 0)
                return false;
        return strstr(events, "populated 0\n") && strstr(events, "frozen 0\n");
}

int ns_launch_start_plan(const NsLaunchParams *p, NsPlan *plan, NsLaunch **ret, CrlError *reterr) {
        _cleanup_(ns_launch_freep) NsLaunch *l = NULL;
        _cleanup_close_ int child_sock = -EBADF, plan_fd = -EBADF, exe_fd = -EBADF;
        NsExecutor x, *executor = NULL;
        pid_t pid;
        int r;

        l = launch_new(p, plan);
        if (!l)
                return crl_error_set(reterr, ENOMEM, "step 'clone': out of memory");
        r = launch_channels(l, &child_sock, reterr);
        if (r < 0)
                return r;
        if (!(p->flags & NS_LAUNCH_NO_SHARED_FILES)) {
                r = launch_hold_borrowed(l, reterr);
                if (r < 0)
                        return r;
        }
        if (p->executor_fd >= 0 && !(p->flags & NS_LAUNCH_NO_CLONE3) && cgroup_runs_vfork(p->cgroup_fd)) {
                /* The plan as the executor reads it, with the fds it names */
                r = ns_plan_wire_write(&l->plan, &plan_fd);
                if (r < 0)
                        return crl_error_set(reterr, -r, "step 'executor': writing the plan: %s", strerror(-r));
                exe_fd = fcntl(p->executor_fd, F_DUPFD_CLOEXEC, 3);
                if (exe_fd < 0)
                        return crl_error_set(reterr, errno, "step 'executor': dup: %s", strerror(errno));
                x = (NsExecutor) { .exe_fd = exe_fd, .plan_fd = plan_fd, .sock = child_sock };
                executor = &x;
        }
        if (!(p->flags & NS_LAUNCH_NO_SHARED_FILES)) {
                l->plan.fd_floor = ns_plan_fd_floor(&l->plan, child_sock);
                if (exe_fd >= (int) l->plan.fd_floor || plan_fd >= (int) l->plan.fd_floor)
                        l->plan.fd_floor = (unsigned) (exe_fd > plan_fd ? exe_fd : plan_fd) + 1;
        }
        pid = ns_launch_clone(&l->params, &l->plan, executor, &l->proc.pidfd, &l->proc);
        if (pid < 0)
                return crl_error_set(reterr, pid, "step 'clone': clone3: %s", strerror(-pid));
        if (pid == 0) {
                /* First of all, with a shared table: we must not close the parent's fds. */
                if (l->plan.fd_floor > 0 && (r = ns_child_own_fds(&l->plan, child_sock)) < 0) {
                        (void) ns_child_report(child_sock, NS_STEP_HANDSHAKE, r, -1);
                        _exit(127);
                }
                l->sock = safe_close(l->sock);
                l->status_fd = safe_close(l->status_fd);
                l->epoll_fd = safe_close(l->epoll_fd);
                ns_child_main(&l->plan, child_sock);
        }
        l->proc.pid = pid;
        l->proc.pidfd = fd_move_high(l->proc.pidfd);
        if (l->plan.fd_floor > 0) {
                r = launch_files_shared(l, &child_sock, reterr);
                if (r < 0)
                        return r;
        } else
                l->plan.status_fd = safe_close(l->plan.status_fd);
        *ret = TAKE_PTR(l);
        return 0;
}

int ns_launch_fd(NsLaunch *l) {
        return l->epoll_fd;
}

int ns_launch_pidfd(NsLaunch *l) {
        return l->proc.pidfd;
}

void ns_launch_set_named(NsLaunch *l) {
        l->named = true;
}

void ns_launch_own_unit(NsLaunch *l, UnitConfig *u) {
        assert(l->params.unit == u && !l->own_unit);
        l->own_unit = u;
}

static void child_error_format(const NsPlan *plan, const NsChildError *e, CrlError *reterr) {
        char detail[384] = "";

        if (e->step == NS_STEP_USER) {
                ns_exec_user_describe(plan, e->error, reterr);
                return;
        }
        if (e->index >= 0 && (size_t) e->index < plan->n_mounts)
                (void) ns_mount_describe(&plan->mounts[e->index], detail, sizeof(detail));
        else if (e->step == NS_STEP_EXEC)
                (void) snprintf(detail, sizeof(detail), "execute %s", plan->exec_path ?: plan->argv[0]);
        else if (e->step == NS_STEP_EXECUTOR)
                (void) snprintf(detail, sizeof(detail), "execute corral-executor");
        else if (e->step == NS_STEP_WORKING_DIRECTORY)
                (void) snprintf(detail, sizeof(detail), "change directory to %s",
                                plan->working_directory ? plan->working_directory : "/");
        else if (e->step == NS_STEP_PIVOT_ROOT)
                (void) snprintf(detail, sizeof(detail), "pivot_root into %s", plan->root);
        else if (e->step == NS_STEP_JOIN)
                (void) snprintf(detail, sizeof(detail), "join namespaces");
        else
                (void) snprintf(detail, sizeof(detail), "%s", ns_step_to_string(e->step) ?: "?");
        (void) crl_error_set(reterr, e->error, "step '%s': %s: %s",
                             ns_step_to_string(e->step) ?: "?", detail, strerror(e->error));
}

typedef struct ChildMessage {
        NsChildError e;
        ssize_t n;              /* bytes read; 0: EOF */
        pid_t pid;              /* SCM_CREDENTIALS, or 0 */
        int fd;                 /* owned: SCM_RIGHTS, or -EBADF */
} ChildMessage;

/* One message, without waiting: -EAGAIN when none is queued. */
static int child_message_read(int sock, ChildMessage *m) {
        union {
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = &m->e, .iov_len = sizeof(m->e) };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof(control),
        };

        *m = (ChildMessage) { .e.index = -1, .fd = -EBADF };
        do
                m->n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        while (m->n < 0 && errno == EINTR);
        /* A peer that died with our release byte unread resets the connection. */
        if (m->n < 0 && errno == ECONNRESET)
                m->n = 0;
        if (m->n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                        struct ucred uc;

                        memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                        m->pid = uc.pid;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && m->fd < 0)
                        memcpy(&m->fd, CMSG_DATA(c), sizeof(int));
        }
        return 0;
}

/* A failing send means the child died: its EOF tells, so it is ignored. */
static void release(NsLaunch *l) {
        (void) send(l->sock, (char[]) { NS_MSG_GO }, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int on_ready(NsLaunch *l, CrlError *reterr) {
        int r;

        r = ns_parent_setup(&l->params, l->proc.pidfd, l->proc.pid, l->proc.clone_fallback, reterr);
        if (r < 0)
                return r;
        l->released = true;
        release(l);
        return 0;
}

static int on_userns(NsLaunch *l, CrlError *reterr) {
        int r;

        r = ns_userns_write_maps(l->proc.pid, l->params.unit, &l->plan, l->params.userns_base, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "step 'userns-map': ");
                return r;
        }
        release(l);
        return 0;
}

/* One message of the child; takes m->fd. */
static int on_message(NsLaunch *l, ChildMessage *m, CrlError *reterr) {
        char c = *(char *) &m->e;
        bool want_ready = l->plan.need_release && !l->released;
        int fd = TAKE_FD(m->fd);

        if (m->n == sizeof(m->e)) {
                safe_close(fd);
                child_error_format(&l->plan, &m->e, reterr);
                return -m->e.error;
        }
        if (m->n == 1 && c == NS_MSG_FILES && l->child_sock >= 0 && fd < 0) {
                launch_files_released(l);
                return 0;
        }
        if (m->n == 1 && c == NS_MSG_READY && want_ready && fd < 0)
                return on_ready(l, reterr);
        if (m->n == 1 && c == NS_MSG_USERNS && l->plan.unshare_userns && !want_ready && fd < 0)
                return on_userns(l, reterr);
        if (m->n == 1 && c == NS_MSG_MAIN && l->plan.use_init && !want_ready && fd >= 0 && m->pid > 0) {
                safe_close(l->proc.main_pidfd);
                l->proc.main_pidfd = fd;
                l->proc.main_pid = m->pid;
                l->exec_seen = true;
                return 0;
        }
        if (m->n == 1 && c == NS_MSG_EXEC && !l->plan.use_init && !want_ready && fd < 0) {
                l->exec_seen = true;
                return 0;
        }
        safe_close(fd);
        return crl_error_set(reterr, EPROTO, "step 'handshake': unexpected message of %zd bytes", m->n);
}

/* How a child that dropped the handshake without an exec report ended: it
 * died in its setup (SIGKILL, the OOM killer). The init reports PID 2's end
 * on the status pipe before it exits; otherwise the child's own status,
 * once it is a zombie (WNOWAIT: the reaping is the caller's). Its socket
 * closes a little before that: -EAGAIN until the pidfd says it ended. */
static int child_death(NsLaunch *l, CrlError *reterr) {
        siginfo_t si = {};
        char how[64];

        if (l->status_fd < 0 || read(l->status_fd, &si, sizeof(si)) != (ssize_t) sizeof(si)) {
                si = (siginfo_t) {};
                if (waitid(P_PIDFD, (id_t) l->proc.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 && si.si_pid == 0)
                        return -EAGAIN;
        }
        if (si.si_pid == 0 && si.si_code == 0)
                (void) snprintf(how, sizeof(how), "closed the handshake without starting the command");
        else if (si.si_code == CLD_EXITED)
                (void) snprintf(how, sizeof(how), "exited with status %d", si.si_status);
        else
                (void) snprintf(how, sizeof(how), "was killed by signal %s", sigabbrev_np(si.si_status) ?: "?");
        return crl_error_set(reterr, ECHILD, "step 'handshake': the child %s before its exec", how);
}

/* Without reaping it (WNOWAIT): that is the caller's. */
static bool child_exited(NsLaunch *l) {
        siginfo_t si = {};

        return waitid(P_PIDFD, (id_t) l->proc.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 && si.si_pid != 0;
}

static int launch_dying(NsLaunch *l, CrlError *reterr) {
        int r;

        /* The socket stays readable (EOF) from now on: watch the pidfd instead. */
        l->state = LAUNCH_DYING;
        r = watch(l->epoll_fd, EPOLL_CTL_DEL, l->sock);
        if (r >= 0)
                r = watch(l->epoll_fd, EPOLL_CTL_ADD, l->proc.pidfd);
        if (r < 0)
                return crl_error_set(reterr, -r, "step 'handshake': epoll_ctl: %s", strerror(-r));
        return child_death(l, reterr);
}

/* Serve the child until it execs: succeed only on an explicit exec report
 * followed by EOF (every copy of the child's end closed on exec). EOF
 * without a report means the child died in its setup. */
static int launch_step(NsLaunch *l, CrlError *reterr) {
        if (l->state == LAUNCH_DYING)
                return child_death(l, reterr);
        for (;;) {
                ChildMessage m;
                int r = child_message_read(l->sock, &m);

                if (r == -EAGAIN && l->child_sock >= 0 && child_exited(l)) {
                        launch_files_released(l);       /* its EOF can come now */
                        continue;
                }
                if (r == -EAGAIN)
                        return r;
                if (r < 0)
                        return crl_error_set(reterr, -r, "step 'handshake': %s", strerror(-r));
                if (m.n == 0)
                        return l->exec_seen ? 0 : launch_dying(l, reterr);
                r = on_message(l, &m, reterr);
                if (r < 0)
                        return r;
                if (l->exec_seen && (l->params.flags & NS_LAUNCH_SUCCEED_AT_EXEC_REPORT))
                        return 0;
        }
}

/* Move the result to the caller; without an init the clone is the command. */
static int launch_succeed(NsLaunch *l, NsProcess *ret, CrlError *reterr) {
        const UnitConfig *u = l->params.unit;

        if (l->proc.main_pidfd < 0 && !l->plan.use_init) {
                l->proc.main_pidfd = fcntl(l->proc.pidfd, F_DUPFD_CLOEXEC, 3);
                if (l->proc.main_pidfd < 0)
                        return crl_error_set(reterr, errno, "step 'mainpid': dup pidfd: %s", strerror(errno));
                l->proc.main_pid = l->proc.pid;
        }
        l->proc.namespaces = ns_unit_namespace_flags(u);
        if (l->params.join_name || u->network_namespace_path)
                l->proc.namespaces &= ~(unsigned long) (CLONE_NEWNET | CLONE_NEWIPC);
        l->proc.status_fd = TAKE_FD(l->status_fd);
        *ret = l->proc;
        l->proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        return 0;
}

/* Without a PID namespace (PrivateTime=, a status record alone) the command
 * would outlive its init: kill it first, by its own pidfd. Best effort: the
 * launch failed already, and a dead process cannot be signalled. */
static void launch_kill(NsLaunch *l) {
        if (l->proc.main_pidfd >= 0)
                (void) crl_pidfd_send_signal(l->proc.main_pidfd, SIGKILL, NULL, 0);
        if (l->proc.pidfd >= 0)
                (void) crl_pidfd_send_signal(l->proc.pidfd, SIGKILL, NULL, 0);
}

int ns_launch_dispatch(NsLaunch *l, NsProcess *ret, CrlError *reterr) {
        int r;

        assert(l && ret);
        assert(l->state != LAUNCH_DONE);
        r = launch_step(l, reterr);
        if (r == -EAGAIN)
                return r;
        l->state = LAUNCH_DONE;
        if (r >= 0)
                r = launch_succeed(l, ret, reterr);
        if (r < 0) {
                launch_kill(l);
                if (l->named)
                        crl_error_prefix(reterr, "service '%s': ", l->plan.name);
                return r;
        }
        return 0;
}

int ns_launch_abort(NsLaunch *l) {
        int pidfd;

        if (!l)
                return -EBADF;
        launch_kill(l);
        pidfd = TAKE_FD(l->proc.pidfd);
        launch_done(l);
        return pidfd;
}

NsLaunch *ns_launch_free(NsLaunch *l) {
        siginfo_t si;
        int pidfd;

        pidfd = ns_launch_abort(l);
        if (pidfd >= 0) {
                /* Reaped now if it died already; else left as a zombie to the caller's SIGCHLD handling. */
                (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG);
                safe_close(pidfd);
        }
        return NULL;
}

/* Reap a killed child, without blocking forever: one in an uninterruptible
 * sleep (a hung network filesystem under a bind source) dies only when the
 * kernel lets it. After 2 s it is left to the caller's SIGCHLD handling
 * (corrald reaps children it does not know, as systemd's manager does). */
static void reap_bounded(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        siginfo_t si;

        if (pidfd < 0)
                return;
        if (poll(&pfd, 1, 2000) > 0)
                while (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
                        ;
        safe_close(pidfd);
}

int ns_launch_run(NsLaunch *l, NsProcess *ret, CrlError *reterr) {
        int r;

        do {
                struct pollfd pfd = { .fd = l->epoll_fd, .events = POLLIN };

                if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
                        r = crl_error_set(reterr, errno, "step 'handshake': poll: %s", strerror(errno));
                        if (l->named)
                                crl_error_prefix(reterr, "service '%s': ", l->plan.name);
                        break;
                }
                r = ns_launch_dispatch(l, ret, reterr);
        } while (r == -EAGAIN);
        if (r < 0) {
                reap_bounded(ns_launch_abort(l));
                return r;
        }
        ns_launch_free(l);
        return 0;
}
