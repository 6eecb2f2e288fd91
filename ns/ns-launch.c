/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "strv.h"
#include "syscalls.h"

static const char *const step_names[_NS_STEP_MAX] = {
        [NS_STEP_CLONE] = "clone",
        [NS_STEP_EXECUTOR] = "executor",
        [NS_STEP_CGROUP] = "cgroup",
        [NS_STEP_USERNS_MAP] = "userns-map",
        [NS_STEP_SETUP_HOOK] = "setup-hook",
        [NS_STEP_PROCESS_ATTRS] = "process-attrs",
        [NS_STEP_IOPRIO] = "ioprio",
        [NS_STEP_SCHED] = "sched",
        [NS_STEP_HANDSHAKE] = "handshake",
        [NS_STEP_NAMESPACES] = "namespaces",
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
        [NS_STEP_USER] = "user",
        [NS_STEP_GROUPS] = "groups",
        [NS_STEP_GID] = "gid",
        [NS_STEP_UID] = "uid",
        [NS_STEP_CAPABILITIES] = "capabilities",
        [NS_STEP_NO_NEW_PRIVS] = "no-new-privs",
        [NS_STEP_WORKING_DIRECTORY] = "working-directory",
        [NS_STEP_STDIO] = "stdio",
        [NS_STEP_SECCOMP] = "seccomp",
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
            u->protect_home != PROTECT_HOME_NO || u->protect_control_groups != PROTECT_CGROUPS_NO ||
            u->protect_kernel_tunables || u->protect_kernel_modules || u->protect_kernel_logs ||
            u->protect_proc != PROTECT_PROC_DEFAULT || u->proc_subset != PROC_SUBSET_ALL ||
            u->n_load_credentials > 0 || u->n_set_credentials > 0)
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
                .status_record_fd = -EBADF,
                .mount_template_fd = -EBADF,
                .executor_fd = -EBADF,
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
        ns_dirs_plan_free(plan);
        free(plan->groups);
        plan->argv = strv_free(plan->argv);
        free(plan->exec_path);
        plan->exec_path = NULL;
        plan->envp = strv_free(plan->envp);
        plan->netns_fd = safe_close(plan->netns_fd);
        plan->status_fd = safe_close(plan->status_fd);
        plan->exec_cwd_fd = safe_close(plan->exec_cwd_fd);
        plan->exec_root_fd = safe_close(plan->exec_root_fd);
        free(plan->exec_user);
        plan->own_seccomp = ns_seccomp_free(plan->own_seccomp);
        plan->seccomp = NULL;
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
        /* The init also writes the status record: without PrivatePIDs= it
         * is then the command's plain parent, as for PrivateTime=. */
        plan->use_init = (u->private_pids && !(p->flags & NS_LAUNCH_KEEP_PID1)) || u->private_time ||
                         p->status_record_fd >= 0;
        plan->record_fd = p->status_record_fd;
        if (p->nofile && !u->limit_nofile.set) {
                plan->nofile = *p->nofile;
                plan->nofile_set = true;
        }
        if (ns & CLONE_NEWNS)
                plan->mount_template_fd = p->mount_template_fd;
        /* The child makes its namespaces itself (ns_launch_clone()), but for
         * the PID namespace, a mount namespace from the template (the mount
         * step), and the network namespace of a unit with IPAddressAllow= or
         * IPAddressDeny=: a network namespace's own kernel sockets (neighbour
         * discovery, ICMP errors and echo replies) belong to the cgroup of the
         * process that makes it. Made by clone3 they are in ours, outside the
         * service's IP programs, so that IPv6 over a veth resolves its peer
         * with IPAddressAllow= of the peer's address alone. */
        plan->unshare_flags = plan->clone_flags &
                              ~(CLONE_NEWPID | (plan->mount_template_fd >= 0 ? CLONE_NEWNS : 0UL) |
                                (resource_config_wants_ip(&u->resources) ? CLONE_NEWNET : 0UL));
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
        ns_exec_attrs_plan(u, plan);
        r = ns_dirs_plan(p, plan, reterr);
        if (r < 0)
                return r;
        plan->seccomp = p->seccomp;
        if (!plan->seccomp) {
                r = ns_seccomp_build(u, &plan->own_seccomp, reterr);
                if (r < 0)
                        return r;
                plan->seccomp = plan->own_seccomp;
        }
        return ns_mount_plan(p, plan, reterr);
}

int ns_child_report(int sock, NsStep step, int error, int index) {
        NsChildError e = { .step = step, .error = error < 0 ? -error : error, .index = index };

        return send(sock, &e, sizeof(e), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

size_t ns_plan_fds(const NsPlan *plan, int child_sock, int *fds) {
        const int all[NS_PLAN_FDS_MAX] = {
                child_sock, plan->status_fd, plan->record_fd, plan->stdio[0], plan->stdio[1], plan->stdio[2],
                plan->join_pidfd, plan->netns_fd, plan->exec_target_pidfd, plan->exec_cwd_fd, plan->exec_root_fd,
                plan->mount_template_fd,
        };
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (all[i] >= 0)
                        fds[n++] = all[i];
        return n;
}

/* One above the highest fd the child of this plan uses (besides those it
 * opens itself): with corrald's long-lived fds kept high (fd_move_high())
 * this stays small however many services run. */
unsigned ns_plan_fd_floor(const NsPlan *plan, int child_sock) {
        int fds[NS_PLAN_FDS_MAX], max = 2;      /* 0-2: inherited with stdio_inherit */
        size_t n = ns_plan_fds(plan, child_sock, fds);

        for (size_t i = 0; i < n; i++)
                if (fds[i] > max)
                        max = fds[i];
        return (unsigned) max + 1;
}

#if defined(__x86_64__)
/* clone3() whose child runs fn(arg) on the stack args gives and exits with
 * what it returns, never coming back here: with CLONE_VM the child must
 * not return through frames the parent will return through too (vfork's
 * rule). Only rax, rcx and r11 change across the syscall, so fn and arg
 * reach the child in r12 and r13. */
static pid_t clone3_run(crl_clone_args *args, int (*fn)(void *), void *arg) {
        register long rax __asm__("rax") = SYS_clone3;
        register crl_clone_args *rdi __asm__("rdi") = args;
        register size_t rsi __asm__("rsi") = sizeof(*args);
        register int (*r12)(void *) __asm__("r12") = fn;
        register void *r13 __asm__("r13") = arg;

        __asm__ volatile("syscall\n\t"
                         "test %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "xor %%ebp, %%ebp\n\t"
                         "mov %%r13, %%rdi\n\t"
                         "call *%%r12\n\t"
                         "mov %%eax, %%edi\n\t"
                         "mov $231, %%eax\n\t"        /* exit_group */
                         "syscall\n\t"
                         "hlt\n"
                         "1:\n\t"
                         : "+r"(rax)
                         : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
                         : "rcx", "r11", "memory", "cc");
        return (pid_t) rax;
}
#define HAVE_CLONE3_RUN 1
#endif

typedef struct ExecChild {
        unsigned fd_floor;
        int sock, exe_fd;
        int fds[NS_PLAN_FDS_MAX + 1];   /* to keep across the execveat() */
        size_t n_fds;
        char *argv[4];
        char **envp;
        char sock_str[12], plan_str[12];
} ExecChild;

/* The child of clone3_run(): it shares our memory and our stack's
 * neighbourhood while we wait for its exec, so it makes system calls
 * through syscall() only (no sanitizer interceptor; its errno is the
 * waiting parent's, read at once) and writes nothing else of ours. Its own
 * fd table (ns_child_own_fds() again, which sends through an intercepted
 * send()), the plan's fds without O_CLOEXEC, then the executor; a failure
 * is reported as the step 'executor'. */
__attribute__((no_sanitize_address, no_sanitize_undefined)) static int exec_child(void *userdata) {
        ExecChild *c = userdata;
        NsChildError e = { .step = NS_STEP_EXECUTOR, .index = -1 };
        long r = 0;

        if (c->fd_floor > 0) {
                r = syscall(SYS_close_range, c->fd_floor, ~0U, 2U /* CLOSE_RANGE_UNSHARE */);
                if (r < 0)
                        r = syscall(SYS_unshare, CLONE_FILES);
                if (r >= 0)
                        r = syscall(SYS_sendto, c->sock, "F", 1, MSG_NOSIGNAL, NULL, 0);
        }
        for (size_t i = 0; r >= 0 && i < c->n_fds; i++)
                r = syscall(SYS_fcntl, c->fds[i], F_SETFD, 0);
        if (r >= 0)
                r = syscall(SYS_execveat, c->exe_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
        /* syscall() left the error in the shared errno; read it before anything else may */
        e.error = errno;
        (void) syscall(SYS_sendto, c->sock, &e, sizeof(e), MSG_NOSIGNAL, NULL, 0);
        return 127;
}

/* The child starts as corral-executor: returns its pid, or -ENOSYS where
 * clone3_run() is not built (the caller forks instead). */
static pid_t launch_clone_exec(crl_clone_args *args, const NsPlan *plan, const NsExecutor *x) {
#ifdef HAVE_CLONE3_RUN
        extern char **environ;
        ExecChild c = {
                .fd_floor = plan->fd_floor, .sock = x->sock, .exe_fd = x->exe_fd, .envp = environ,
        };
        /* The child's stack, ours only while it runs: we wait in clone3 */
        _Alignas(16) char stack[16384];
        pid_t pid;

        c.n_fds = ns_plan_fds(plan, x->sock, c.fds);
        c.fds[c.n_fds++] = x->plan_fd;
        (void) snprintf(c.sock_str, sizeof(c.sock_str), "%d", x->sock);
        (void) snprintf(c.plan_str, sizeof(c.plan_str), "%d", x->plan_fd);
        c.argv[0] = (char *) "corral-executor";
        c.argv[1] = c.sock_str;
        c.argv[2] = c.plan_str;
        c.argv[3] = NULL;
        args->flags |= CLONE_VM | CLONE_VFORK;
        args->stack = (uint64_t) (uintptr_t) stack;
        args->stack_size = sizeof(stack);
        pid = clone3_run(args, exec_child, &c);
        args->flags &= ~(uint64_t) (CLONE_VM | CLONE_VFORK);
        args->stack = args->stack_size = 0;
        return pid;
#else
        (void) args, (void) plan, (void) x;
        return -ENOSYS;
#endif
}

/* clone3() into the cgroup; where clone3 or CLONE_INTO_CGROUP is missing,
 * clone() and let the parent write cgroup.procs before it releases the child. */
pid_t ns_launch_clone(const NsLaunchParams *p, NsPlan *plan, const NsExecutor *x, int *ret_pidfd,
                      NsProcess *ret) {
        /* Only the PID namespace must come from the clone (the child is its
         * PID 1). The child makes the others (plan->unshare_flags) with one
         * unshare() before its first report, owned by the same user
         * namespace: a network namespace (setup_net: loopback, sysctl
         * tables) or a mount table's copy is most of a clone's cost, and in
         * the child it runs beside the supervisor's loop, not on it. From a
         * template the mount step makes the mount namespace. */
        unsigned long clone_flags = plan->clone_flags & ~plan->unshare_flags &
                                    ~(plan->mount_template_fd >= 0 ? CLONE_NEWNS : 0UL);
        int pidfd = -EBADF;
        pid_t pid = -ENOSYS;

        if (!(p->flags & NS_LAUNCH_NO_CLONE3)) {
                crl_clone_args args = {
                        .flags = clone_flags | CLONE_PIDFD | (plan->fd_floor > 0 ? CLONE_FILES : 0) |
                                 (p->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                        .pidfd = (uint64_t) (uintptr_t) &pidfd,
                        .exit_signal = SIGCHLD,
                        .cgroup = p->cgroup_fd >= 0 ? (uint64_t) p->cgroup_fd : 0,
                };

                pid = x ? launch_clone_exec(&args, plan, x) : -ENOSYS;
                if (pid == -ENOSYS)
                        pid = crl_clone3(&args);
                if (pid >= 0 || (pid != -ENOSYS && pid != -E2BIG)) {
                        *ret_pidfd = pidfd;
                        return pid;
                }
        }
        /* clone3 or CLONE_INTO_CGROUP missing (ENOSYS, E2BIG), or disabled by the caller. */
        ret->clone_fallback = true;
        plan->fd_floor = 0;     /* a plain fork: the child's table is a copy */
        /* The parent writes cgroup.procs before the child may go on. */
        plan->need_release = true;
        /* Legacy clone(): with a NULL stack it forks; CLONE_PIDFD returns the
         * pidfd through the parent_tid argument (Linux 5.2). */
        pid = (pid_t) syscall(SYS_clone, clone_flags | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
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
int ns_parent_setup(const NsLaunchParams *p, int pidfd, pid_t pid, bool fallback, CrlError *reterr) {
        int r;

        if (fallback && p->cgroup_fd >= 0) {
                r = cgroup_fallback_attach(p->cgroup_fd, pid, reterr);
                if (r < 0) {
                        crl_error_prefix(reterr, "step 'cgroup': ");
                        return r;
                }
        }
        r = ns_process_attrs_apply(pid, p->unit, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "step 'process-attrs': ");
                return r;
        }
        if (p->setup_hook) {
                r = p->setup_hook(p->setup_userdata, pidfd, pid, reterr);
                if (r < 0) {
                        /* The hook's own message, if it set one, is kept. */
                        (void) crl_error_set(reterr, r, "setup hook failed: %s", strerror(-r));
                        crl_error_prefix(reterr, "step 'setup-hook': ");
                        return r;
                }
        }
        return 0;
}

int ns_launch_start(const NsLaunchParams *p, NsLaunch **ret, CrlError *reterr) {
        _cleanup_(ns_plan_done) NsPlan plan = NS_PLAN_INIT;
        int r;

        assert(p && p->unit && ret);
        r = plan_build(p, &plan, reterr);
        if (r >= 0 && p->status_record_fd >= 0 && ftruncate(p->status_record_fd, 0) < 0)
                r = crl_error_set(reterr, errno, "step 'init': empty the status record: %s", strerror(errno));
        if (r >= 0)
                r = ns_launch_start_plan(p, &plan, ret, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': ", p->unit->name ?: "transient");
                return r;
        }
        ns_launch_set_named(*ret);
        return 0;
}

int ns_launch(const NsLaunchParams *p, NsProcess *ret, CrlError *reterr) {
        NsLaunch *l = NULL;
        int r;

        r = ns_launch_start(p, &l, reterr);
        if (r < 0)
                return r;
        return ns_launch_run(l, ret, reterr);
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

int ns_executor_open(const char *path) {
        const char *e = secure_getenv("CORRAL_EXECUTOR");
        int fd = open(e && *e ? e : path, O_PATH | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}
