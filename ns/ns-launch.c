/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "strv.h"
#include "syscalls.h"

static const char *const step_names[_NS_STEP_MAX] = {
        [NS_STEP_CLONE] = "clone",
        [NS_STEP_CGROUP] = "cgroup",
        [NS_STEP_USERNS_MAP] = "userns-map",
        [NS_STEP_SETUP_HOOK] = "setup-hook",
        [NS_STEP_PROCESS_ATTRS] = "process-attrs",
        [NS_STEP_HANDSHAKE] = "handshake",
        [NS_STEP_JOIN] = "join",
        [NS_STEP_CGROUPNS] = "cgroupns",
        [NS_STEP_TIMENS] = "timens",
        [NS_STEP_HOSTNAME] = "hostname",
        [NS_STEP_LOOPBACK] = "loopback",
        [NS_STEP_PROPAGATION] = "propagation",
        [NS_STEP_MOUNT] = "mount",
        [NS_STEP_PIVOT_ROOT] = "pivot-root",
        [NS_STEP_INIT] = "init",
        [NS_STEP_MAINPID] = "mainpid",
        [NS_STEP_GROUPS] = "groups",
        [NS_STEP_GID] = "gid",
        [NS_STEP_UID] = "uid",
        [NS_STEP_CAPABILITIES] = "capabilities",
        [NS_STEP_NO_NEW_PRIVS] = "no-new-privs",
        [NS_STEP_WORKING_DIRECTORY] = "working-directory",
        [NS_STEP_STDIO] = "stdio",
        [NS_STEP_EXEC] = "exec",
};

const char *ns_step_to_string(NsStep s) {
        if (s < 0 || s >= _NS_STEP_MAX)
                return NULL;
        return step_names[s];
}

unsigned long ns_unit_namespace_flags(const UnitConfig *u) {
        bool join = u->joins_namespace_of && u->joins_namespace_of[0];
        unsigned long f = 0;

        if (u->private_pids)
                f |= CLONE_NEWPID | CLONE_NEWNS;
        if (u->private_mounts || u->root_directory || u->n_bind_paths > 0 ||
            u->n_read_only_paths > 0 || u->n_read_write_paths > 0 ||
            u->n_inaccessible_paths > 0 || u->n_temporary_file_system > 0 ||
            u->private_tmp || u->private_devices || u->protect_system != PROTECT_SYSTEM_NO ||
            u->protect_home != PROTECT_HOME_NO || u->protect_control_groups != PROTECT_CGROUPS_NO)
                f |= CLONE_NEWNS;
        if (u->protect_hostname || u->hostname)
                f |= CLONE_NEWUTS;
        if (u->private_ipc && !join)
                f |= CLONE_NEWIPC;
        if ((u->private_network || u->network.virtual_ethernet) && !join && !u->network_namespace_path)
                f |= CLONE_NEWNET;
        if (u->private_users != PRIVATE_USERS_NO)
                f |= CLONE_NEWUSER;
        if (u->protect_control_groups == PROTECT_CGROUPS_PRIVATE ||
            u->protect_control_groups == PROTECT_CGROUPS_STRICT)
                f |= CLONE_NEWCGROUP;
        if (u->private_time)
                f |= CLONE_NEWTIME;
        return f;
}

void ns_launch_params_init(NsLaunchParams *p, const UnitConfig *unit) {
        *p = (NsLaunchParams) {
                .unit = unit,
                .cgroup_fd = -EBADF,
                .stdin_fd = -EBADF,
                .stdout_fd = -EBADF,
                .stderr_fd = -EBADF,
                .join_pidfd = -EBADF,
        };
}

void ns_process_done(NsProcess *p) {
        if (!p)
                return;
        p->pidfd = safe_close(p->pidfd);
        p->main_pidfd = safe_close(p->main_pidfd);
        p->status_fd = safe_close(p->status_fd);
}

void ns_plan_done(NsPlan *plan) {
        ns_mount_plan_free(plan);
        free(plan->groups);
        plan->argv = strv_free(plan->argv);
        plan->envp = strv_free(plan->envp);
        plan->netns_fd = safe_close(plan->netns_fd);
        plan->status_fd = safe_close(plan->status_fd);
        plan->exec_cwd_fd = safe_close(plan->exec_cwd_fd);
        if (plan->pid2_stack)
                (void) munmap(plan->pid2_stack, plan->pid2_stack_size);
        plan->pid2_stack = NULL;
}

/* Everything the child needs, computed here so the child never allocates. */
static int plan_build(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        unsigned long ns = ns_unit_namespace_flags(u);
        int r;

        plan->name = u->name ? u->name : "transient";
        /* The user namespace comes last, made by the child once its mounts
         * are in place (systemd's order): every namespace and mount set up
         * before it belongs to the host's user namespace, so root in the
         * service's cannot remount, unmount or cover any of it. */
        plan->clone_flags = ns & ~(unsigned long) (CLONE_NEWCGROUP | CLONE_NEWTIME | CLONE_NEWUSER);
        plan->unshare_userns = ns & CLONE_NEWUSER;
        plan->unshare_cgroupns = ns & CLONE_NEWCGROUP;
        plan->unshare_timens = ns & CLONE_NEWTIME;
        plan->loopback = ns & CLONE_NEWNET;
        plan->use_init = (u->private_pids && !(p->flags & NS_LAUNCH_KEEP_PID1)) || u->private_time;
        plan->hostname = u->hostname;
        plan->join_pidfd = p->join_pidfd;
        plan->stdio[0] = p->stdin_fd;
        plan->stdio[1] = p->stdout_fd;
        plan->stdio[2] = p->stderr_fd;
        if (plan->unshare_timens) {
                int64_t us = u->time_offset_usec;
                int64_t s = us / (int64_t) USEC_PER_SEC, nsec = (us % (int64_t) USEC_PER_SEC) * 1000;

                /* The kernel wants 0 <= nsec < 1e9; carry a negative remainder into seconds. */
                if (nsec < 0) {
                        s -= 1;
                        nsec += 1000000000;
                }
                (void) snprintf(plan->timens_offsets, sizeof(plan->timens_offsets),
                                "monotonic %" PRIi64 " %" PRIi64 "\nboottime %" PRIi64 " %" PRIi64 "\n",
                                s, nsec, s, nsec);
        }
        if (plan->use_init) {
                plan->pid2_stack_size = 256 * 1024;
                plan->pid2_stack = mmap(NULL, plan->pid2_stack_size, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                if (plan->pid2_stack == MAP_FAILED) {
                        plan->pid2_stack = NULL;
                        return crl_error_set(reterr, errno, "step 'init': stack: %s", strerror(errno));
                }
        }
        /* Without a hook or attributes to set, the child need not wait for
         * us: one context switch less on every start. (The user namespace
         * maps have their own round trip, after the mounts.) */
        plan->need_release = p->setup_hook || u->limit_nofile.set ||
                             u->limit_nproc.set || u->limit_core.set || u->nice_set || u->oom_score_adjust_set;
        r = ns_join_plan(p, plan, reterr);
        if (r < 0)
                return r;
        r = ns_creds_plan(p, plan, reterr);
        if (r < 0)
                return r;
        return ns_mount_plan(p, plan, reterr);
}

int ns_child_report(int sock, NsStep step, int error, int index) {
        NsChildError e = { .step = step, .error = error < 0 ? -error : error, .index = index };

        return send(sock, &e, sizeof(e), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* clone3() into the cgroup; where clone3 or CLONE_INTO_CGROUP is missing,
 * clone() and let the parent write cgroup.procs before it releases the child. */
static pid_t launch_clone(const NsLaunchParams *p, NsPlan *plan, int *ret_pidfd, NsProcess *ret) {
        int pidfd = -EBADF;
        pid_t pid = -ENOSYS;

        if (!(p->flags & NS_LAUNCH_NO_CLONE3)) {
                crl_clone_args args = {
                        .flags = plan->clone_flags | CLONE_PIDFD |
                                 (p->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                        .pidfd = (uint64_t) (uintptr_t) &pidfd,
                        .exit_signal = SIGCHLD,
                        .cgroup = p->cgroup_fd >= 0 ? (uint64_t) p->cgroup_fd : 0,
                };

                pid = crl_clone3(&args);
                if (pid >= 0 || (pid != -ENOSYS && pid != -E2BIG)) {
                        *ret_pidfd = pidfd;
                        return pid;
                }
                (void) snprintf(ret->fallback_reason, sizeof(ret->fallback_reason),
                                "clone3(CLONE_INTO_CGROUP): %s, using clone() and cgroup.procs",
                                strerror(-pid));
        } else
                (void) snprintf(ret->fallback_reason, sizeof(ret->fallback_reason),
                                "clone3 disabled by the caller, using clone() and cgroup.procs");
        ret->clone_fallback = true;
        /* The parent writes cgroup.procs before the child may go on. */
        plan->need_release = true;
        /* Legacy clone(): with a NULL stack it forks; CLONE_PIDFD returns the
         * pidfd through the parent_tid argument (Linux 5.2). */
        pid = (pid_t) syscall(SYS_clone, plan->clone_flags | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
        if (pid < 0)
                return -errno;
        *ret_pidfd = pidfd;
        return pid;
}

static int cgroup_fallback_attach(int cgroup_fd, pid_t pid, CrlError *reterr) {
        char buf[32];
        int r;

        (void) snprintf(buf, sizeof(buf), "%d", (int) pid);
        r = write_string_at(cgroup_fd, "cgroup.procs", buf);
        if (r < 0)
                return crl_error_set(reterr, r, "write cgroup.procs: %s", strerror(-r));
        return 0;
}

/* Parent-side steps between clone and release, in order. */
static int parent_setup(const NsLaunchParams *p, NsPlan *plan, int pidfd, pid_t pid,
                        bool fallback, NsStep *ret_step, CrlError *reterr) {
        int r;

        *ret_step = NS_STEP_CGROUP;
        if (fallback && p->cgroup_fd >= 0) {
                r = cgroup_fallback_attach(p->cgroup_fd, pid, reterr);
                if (r < 0)
                        return r;
        }
        *ret_step = NS_STEP_PROCESS_ATTRS;
        r = ns_process_attrs_apply(pid, p->unit, reterr);
        if (r < 0)
                return r;
        *ret_step = NS_STEP_SETUP_HOOK;
        if (p->setup_hook) {
                r = p->setup_hook(p->setup_userdata, pidfd, pid, reterr);
                if (r < 0)
                        return crl_error_set(reterr, r, "setup hook failed: %s", strerror(-r));
        }
        return 0;
}

static void child_error_format(const NsPlan *plan, const NsChildError *e, CrlError *reterr) {
        char detail[384] = "";

        if (e->index >= 0 && (size_t) e->index < plan->n_mounts)
                (void) ns_mount_describe(&plan->mounts[e->index], detail, sizeof(detail));
        else if (e->step == NS_STEP_EXEC)
                (void) snprintf(detail, sizeof(detail), "execute %s", plan->argv[0]);
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

/* Wait at most 2 s for fd to become readable: the callers below wait for a
 * child that is already dying, but one stuck in the kernel must not hang us. */
static bool readable_soon(int fd) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        return fd >= 0 && poll(&pfd, 1, 2000) > 0;
}

/* How a child that closed the handshake without an exec report ended, for
 * the message: it died (SIGKILL, the OOM killer) somewhere in its setup. The
 * init reports PID 2's end on the status pipe; otherwise the child itself is
 * exiting (its fds are closed already). */
static void child_death_format(const NsPlan *plan, int pidfd, int status_fd, CrlError *reterr) {
        siginfo_t si = {};
        bool known;
        char how[64];

        known = plan->use_init && readable_soon(status_fd) && read(status_fd, &si, sizeof(si)) == (ssize_t) sizeof(si);
        if (!known)
                known = readable_soon(pidfd) && waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 &&
                        si.si_pid != 0;
        if (!known)
                (void) snprintf(how, sizeof(how), "closed the handshake without starting the command");
        else if (si.si_code == CLD_EXITED)
                (void) snprintf(how, sizeof(how), "exited with status %d", si.si_status);
        else
                (void) snprintf(how, sizeof(how), "was killed by signal %s", sigabbrev_np(si.si_status) ?: "?");
        (void) crl_error_set(reterr, ECHILD, "step 'handshake': the child %s before its exec", how);
}

typedef struct ChildMessage {
        NsChildError e;
        ssize_t n;              /* bytes read; 0: EOF */
        pid_t pid;              /* SCM_CREDENTIALS, or 0 */
        int fd;                 /* owned: SCM_RIGHTS, or -EBADF */
} ChildMessage;

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
                m->n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
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

/* Serve the child until it execs: write its user namespace maps when it asks,
 * take PID 2's pidfd, and succeed only on an explicit exec report followed by
 * EOF (every copy of the child's end closed on exec). EOF without a report
 * means the child died in its setup. */
static int wait_exec(const NsLaunchParams *p, int sock, const NsPlan *plan, int pidfd, pid_t pid,
                     int status_fd, NsProcess *ret, CrlError *reterr) {
        bool exec_seen = false;

        for (;;) {
                ChildMessage m;
                int r = child_message_read(sock, &m);

                if (r < 0)
                        return crl_error_set(reterr, -r, "step 'handshake': %s", strerror(-r));
                if (m.n == 0)
                        break;
                if (m.n == sizeof(m.e)) {
                        safe_close(m.fd);
                        child_error_format(plan, &m.e, reterr);
                        return -m.e.error;
                }
                if (m.n == 1 && *(char *) &m.e == NS_MSG_USERNS && plan->unshare_userns) {
                        r = ns_userns_write_maps(pid, p->unit, plan, p->userns_base, reterr);
                        if (r < 0) {
                                crl_error_prefix(reterr, "step 'userns-map': ");
                                return r;
                        }
                        /* A failing send means the child died; EOF tells. */
                        (void) send(sock, (char[]) { NS_MSG_GO }, 1, MSG_NOSIGNAL);
                } else if (m.n == 1 && *(char *) &m.e == NS_MSG_MAIN && plan->use_init && m.fd >= 0 && m.pid > 0) {
                        ret->main_pidfd = safe_close(ret->main_pidfd);
                        ret->main_pidfd = m.fd;
                        ret->main_pid = m.pid;
                        exec_seen = true;
                } else if (m.n == 1 && *(char *) &m.e == NS_MSG_EXEC && !plan->use_init)
                        exec_seen = true;
                else {
                        safe_close(m.fd);
                        return crl_error_set(reterr, EPROTO, "step 'handshake': unexpected message of %zd bytes", m.n);
                }
        }
        if (!exec_seen) {
                child_death_format(plan, pidfd, status_fd, reterr);
                return -ECHILD;
        }
        return 0;
}

/* SIGKILL and reap, without blocking forever: a child in an uninterruptible
 * sleep (a hung network filesystem under a bind source) dies only when the
 * kernel lets it. Returns -ETIMEDOUT if it has not exited within 2 s: it is
 * then left to the caller's SIGCHLD handling (corrald reaps children it does
 * not know, as systemd's manager does). */
static int kill_and_reap(int pidfd) {
        siginfo_t si;

        /* Best effort: the launch already failed; the kernel reaps nothing for us. */
        (void) crl_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        if (!readable_soon(pidfd))
                return -ETIMEDOUT;
        while (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
        return 0;
}

static int launch_channels(const NsPlan *plan, int sock[2], int status[2], CrlError *reterr) {
        int one = 1;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
                return crl_error_set(reterr, errno, "socketpair: %s", strerror(errno));
        if (!plan->use_init)
                return 0;
        if (setsockopt(sock[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return crl_error_set(reterr, errno, "SO_PASSCRED: %s", strerror(errno));
        if (pipe2(status, O_CLOEXEC) < 0)
                return crl_error_set(reterr, errno, "pipe: %s", strerror(errno));
        return 0;
}

static int launch_finish(const NsLaunchParams *p, NsPlan *plan, int sock, int pidfd, pid_t pid,
                         int status_fd, NsProcess *proc, CrlError *reterr) {
        NsStep step;
        int r;

        r = parent_setup(p, plan, pidfd, pid, proc->clone_fallback, &step, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "step '%s': ", ns_step_to_string(step));
                return r;
        }
        /* A failing send means the child died before its release; its
         * report, if any, is still queued, so read on either way. */
        if (plan->need_release)
                (void) send(sock, (char[]) { NS_MSG_GO }, 1, MSG_NOSIGNAL);
        return wait_exec(p, sock, plan, pidfd, pid, status_fd, proc, reterr);
}

int ns_launch_plan(const NsLaunchParams *p, NsPlan *plan, NsProcess *proc, CrlError *reterr) {
        _cleanup_close_ int sock0 = -EBADF, sock1 = -EBADF, st0 = -EBADF, st1 = -EBADF;
        int sock[2] = { -EBADF, -EBADF }, status[2] = { -EBADF, -EBADF };
        int pidfd = -EBADF, r;
        pid_t pid;

        r = launch_channels(plan, sock, status, reterr);
        sock0 = sock[0], sock1 = sock[1], st0 = status[0], st1 = status[1];
        if (r < 0)
                return r;
        plan->status_fd = TAKE_FD(st1);
        pid = launch_clone(p, plan, &pidfd, proc);
        if (pid < 0)
                return crl_error_set(reterr, pid, "step 'clone': clone3: %s", strerror(-pid));
        if (pid == 0) {
                sock0 = safe_close(sock0);
                st0 = safe_close(st0);
                ns_child_main(plan, sock1);
        }
        sock1 = safe_close(sock1);
        plan->status_fd = safe_close(plan->status_fd);
        proc->pidfd = pidfd;
        proc->pid = pid;
        r = launch_finish(p, plan, sock0, pidfd, pid, st0, proc, reterr);
        if (r < 0) {
                /* Without a PID namespace (PrivateTime= alone) the command
                 * would outlive its init: kill it first, by its own pidfd. */
                if (proc->main_pidfd >= 0)
                        (void) crl_pidfd_send_signal(proc->main_pidfd, SIGKILL, NULL, 0);
                (void) kill_and_reap(pidfd);
                return r;
        }
        proc->status_fd = TAKE_FD(st0);
        return 0;
}

int ns_launch(const NsLaunchParams *p, NsProcess *ret, CrlError *reterr) {
        _cleanup_(ns_plan_done) NsPlan plan = NS_PLAN_INIT;
        NsProcess proc = { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        int r;

        assert(p && p->unit && ret);
        r = plan_build(p, &plan, reterr);
        if (r >= 0)
                r = ns_launch_plan(p, &plan, &proc, reterr);
        if (r < 0) {
                ns_process_done(&proc);
                crl_error_prefix(reterr, "service '%s': ", plan.name ? plan.name : "?");
                return r;
        }
        if (proc.main_pidfd < 0 && !plan.use_init) {
                proc.main_pidfd = fcntl(proc.pidfd, F_DUPFD_CLOEXEC, 3);
                if (proc.main_pidfd < 0) {
                        r = -errno;
                        (void) kill_and_reap(proc.pidfd);
                        ns_process_done(&proc);
                        return crl_error_set(reterr, r, "service '%s': dup pidfd: %s", plan.name, strerror(-r));
                }
                proc.main_pid = proc.pid;
        }
        proc.namespaces = ns_unit_namespace_flags(p->unit);
        if (p->join_name || p->unit->network_namespace_path)
                proc.namespaces &= ~(unsigned long) (CLONE_NEWNET | CLONE_NEWIPC);
        *ret = proc;
        return 0;
}

int ns_process_main_status(NsProcess *p, const siginfo_t *init_status, siginfo_t *ret) {
        siginfo_t si;
        ssize_t n = -1;

        if (p->status_fd >= 0)
                n = read(p->status_fd, &si, sizeof(si));
        if (n == (ssize_t) sizeof(si)) {
                *ret = si;
                return 0;
        }
        si = *init_status;
        if (p->status_fd >= 0 && si.si_code == CLD_EXITED && si.si_status > 128 && si.si_status < 128 + NSIG) {
                si.si_code = CLD_KILLED;
                si.si_status -= 128;
        }
        *ret = si;
        return 0;
}
