/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One launcher for every way corral starts a process: a unit's ExecStart (the
 * supervisor), a transient run (corralctl run) and, through ns_exec_start(),
 * a command inside a running service (the supervisor's control commands
 * while the main process runs, corralctl exec).
 *
 * A launch clones the process into its cgroup and namespaces, runs the
 * parent-side steps (uid/gid maps, the setup hook, process attributes) when
 * the child asks for them, releases the child, and succeeds once the child
 * has reported its exec, or fails naming the step. ns_launch_start() and
 * ns_launch_dispatch() do this as events of the caller's loop (corrald);
 * ns_launch() is the same, waiting in poll(). The child-side step order and
 * the handshake are documented in docs/design.md ("ns/ launcher",
 * "Asynchronous launch"). */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <stdint.h>
#include <sys/types.h>

#include "syscalls.h"

#include "error.h"
#include "ns-creds.h"
#include "ns-seccomp.h"
#include "unit.h"

/* A launched command's exit status when its execve failed (systemd's
 * EXIT_EXEC): what a Type=simple start, which does not wait for the exec,
 * sees of it. */
#define NS_EXIT_EXEC 203

/* $PATH of a launched command unless its unit sets one. */
#define NS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Called by the parent once the child exists and its user namespace maps are
 * written, before the child is released to continue its setup (e.g. to move a
 * veth end into the child's network namespace). A failure fails the launch:
 * the child is killed and reaped. */
typedef int (*NsSetupHook)(void *userdata, int child_pidfd, pid_t child_pid, CrlError *reterr);

typedef enum NsLaunchFlags {
        NS_LAUNCH_KEEP_PID1 = 1 << 0,   /* PrivatePIDs: exec the command as PID 1, no init
                                         * (ignored with PrivateTime=, which needs a fork,
                                         * and with a status record, which the init writes) */
        NS_LAUNCH_NO_CLONE3 = 1 << 1,   /* use the clone() + cgroup.procs fallback (tests) */
        NS_LAUNCH_NO_USER_CHANGE = 1 << 2, /* the '!' and '+' command prefixes: User=, Group= and
                                         * SupplementaryGroups= still give $HOME, $USER...
                                         * and WorkingDirectory=~, but are not applied: the
                                         * command stays root (the namespace's root with
                                         * PrivateUsers=) */
        NS_LAUNCH_SUCCEED_AT_EXEC_REPORT = 1 << 3, /* Type=simple: succeed once the child
                                         * said execve comes next (its setup is done),
                                         * without waiting for the exec itself: an execve
                                         * that fails then is the command's exit, status
                                         * 203 (systemd's EXIT_EXEC), not a launch error */
        NS_LAUNCH_NO_SHARED_FILES = 1 << 4, /* clone the child with a copy of our fd table,
                                         * not CLONE_FILES + its own table of the fds it
                                         * needs (tests) */
} NsLaunchFlags;

typedef struct NsLaunchParams {
        const UnitConfig *unit;         /* borrowed; required */
        char *const *argv;              /* borrowed; expanded argv, argv[0] absolute or looked up
                                         * in PATH inside the service; NULL: unit's ExecStart argv */
        const char *path;               /* borrowed; the program executed, absolute or looked up
                                         * in PATH inside; NULL: argv[0]. Differs from argv[0]
                                         * with the '@' prefix */
        char *const *environment;       /* borrowed; "K=V" the supervisor sets ($NOTIFY_SOCKET,
                                         * EnvironmentFile= contents...); wins over the unit's */
        const NsCreds *creds;           /* borrowed, needed until the plan is made; the unit's
                                         * ids from ns_creds_resolve_start()/_finish(): the
                                         * launch then looks up no name. NULL: resolved in
                                         * the launch (NSS, may block) */
        int cgroup_fd;                  /* borrowed; cgroup2 directory, -EBADF: caller's cgroup */
        int stdin_fd, stdout_fd, stderr_fd; /* borrowed; -EBADF: /dev/null */
        int join_pidfd;                 /* borrowed; JoinsNamespaceOf= OTHER's process, -EBADF
                                         * when OTHER is not running */
        const char *join_name;          /* OTHER's name (messages, its /tmp); NULL: no join */
        const char *runtime_dir;        /* NULL: /run/corral (private /tmp dirs, inaccessible nodes) */
        uid_t userns_base;              /* PrivateUsers=pick: from ns_userns_pick() */
        NsSetupHook setup_hook;         /* optional */
        void *setup_userdata;
        NsLaunchFlags flags;
        const struct rlimit *nofile;    /* borrowed; NULL: inherit ours. RLIMIT_NOFILE for a unit
                                         * without LimitNOFILE=: the limit a daemon had before
                                         * it raised its own for its many fds (select() breaks
                                         * above 1024 in programs that never asked for more) */
        int mount_template_fd;          /* borrowed; -EBADF: the new mount namespace is a copy
                                         * of ours. From ns_mount_template_make() */
        const NsSeccomp *seccomp;       /* borrowed, as unit; the unit's filters from
                                         * ns_seccomp_build(), kept with the loaded unit. NULL:
                                         * the launch builds them itself when the unit asks */
        int status_record_fd;           /* borrowed; -EBADF: none. A regular file (e.g.
                                         * /run/corral/status/NAME) that corral's init fills
                                         * with the command's result when it ends, read with
                                         * ns_status_record_read(): it outlives corrald. The
                                         * launch empties it first. Keeps the init as the
                                         * command's parent even without PrivatePIDs= */
        const char *directory_root;     /* NULL: "/". Test and packaging aid (corrald.conf
                                         * ServiceDirectoryRoot=): RuntimeDirectory= & co.
                                         * and /run/credentials are made below it, and the
                                         * service sees them there (DIR/var/lib/NAME) */
        int executor_fd;                /* borrowed; -EBADF: the child is a fork of ours. Else
                                         * corral-executor (ns_executor_open()): the child execs
                                         * it at once and it carries out the launch from a
                                         * serialized plan, so a big caller's page tables are
                                         * never copied and the init has memory of its own */
} NsLaunchParams;

/* What the supervisor keeps of a launched service. */
typedef struct NsProcess {
        int pidfd;                      /* owned; the process the supervisor reaps (the init
                                         * with PrivatePIDs=yes) */
        pid_t pid;
        int main_pidfd;                 /* owned; the command (PID 2 under the init), else a dup of
                                         * pidfd; -EBADF if PID 2 already ended and was reaped */
        pid_t main_pid;                 /* MainPID: host pid of the command */
        int status_fd;                  /* owned; with an init (PrivatePIDs=, PrivateTime=, a
                                         * status record): non-blocking pipe the init writes
                                         * the command's siginfo_t to before it exits; else -EBADF */
        unsigned long namespaces;       /* CLONE_NEW* of its own */
        bool clone_fallback;            /* clone() + cgroup.procs was used instead of clone3() */
} NsProcess;

void ns_launch_params_init(NsLaunchParams *p, const UnitConfig *unit);
/* corral-executor for NsLaunchParams.executor_fd: $CORRAL_EXECUTOR, else
 * path; an O_PATH fd (close-on-exec), or -errno. */
int ns_executor_open(const char *path);
void ns_process_done(NsProcess *p);

/* Synchronous: start, then poll() and dispatch until the launch ends. On
 * failure the child is killed and reaped (the wait is bounded: 2 s). */
int ns_launch(const NsLaunchParams *p, NsProcess *ret, CrlError *reterr);

/* Asynchronous: a launch in progress, driven by the caller's event loop.
 * p->unit, p->setup_userdata and p->cgroup_fd must stay valid until the
 * launch ended (dispatch returned anything but -EAGAIN) or was aborted;
 * the rest of *p may go once ns_launch_start() returned. Nothing in here
 * blocks on the child. */
typedef struct NsLaunch NsLaunch;

/* Plan and clone the child and return at once (no blocking read, no
 * waitid). On failure nothing was cloned, or the clone is already gone. */
int ns_launch_start(const NsLaunchParams *p, NsLaunch **ret, CrlError *reterr);
/* Borrowed; a pollable fd: on EPOLLIN call ns_launch_dispatch(). (An epoll
 * fd over the handshake socket and, once the child dropped the handshake
 * without a report, its pidfd, so that the failure can say how it died.) */
int ns_launch_fd(NsLaunch *l);
/* Borrowed; the cloned child (the init with PrivatePIDs=). */
int ns_launch_pidfd(NsLaunch *l);
/* Advance the handshake with what is readable now. -EAGAIN: not done, wait
 * for the fd again; 0: the command exec'd (explicit exec report only), *ret
 * filled, its fds moved there; < 0: the launch failed, reterr names the
 * step, the child was sent SIGKILL (call ns_launch_abort() to reap it).
 * Once it returned anything but -EAGAIN, only abort or free may follow. */
int ns_launch_dispatch(NsLaunch *l, NsProcess *ret, CrlError *reterr);
/* Give up (TimeoutStartSec, daemon exit) or clean up after a failed
 * dispatch: SIGKILL the child (and a command that already runs) without
 * waiting. Returns the child's pidfd, now the caller's, for reaping with
 * sd_event_add_child_pidfd() or waitid(P_PIDFD, WEXITED) once it became
 * readable; -EBADF when the launch succeeded (the pidfd is in NsProcess).
 * Frees l. Remove any event source on ns_launch_fd() first. */
int ns_launch_abort(NsLaunch *l);
/* Abort, and reap the child if it is dead already (WNOHANG). NULL-safe. */
NsLaunch *ns_launch_free(NsLaunch *l);
static inline void ns_launch_freep(NsLaunch **l) {
        *l = ns_launch_free(*l);
}

/* The result corral's init recorded in a status record (see
 * NsLaunchParams.status_record_fd): the command's end as waitid() reports
 * it (si_code CLD_EXITED/KILLED/DUMPED, si_status) and when, in
 * CLOCK_REALTIME µs (ret_realtime_usec may be NULL). -ENODATA: nothing
 * recorded (the command still runs, or the init was killed before it could
 * write); -EBADMSG: not a record. */
int ns_status_record_read(int fd, siginfo_t *ret, uint64_t *ret_realtime_usec);

/* PrivatePIDs=yes: the real result of the command (exit code or signal, as
 * waitid() reports it), read from status_fd after the init exited. Falls
 * back to decoding the init's own status (128+N = signal N) when the init
 * died before it could write. */
int ns_process_main_status(NsProcess *p, const siginfo_t *init_status, siginfo_t *ret);

/* The CLONE_NEW* flags a unit asks for (pure; user/cgroup/time included). */
unsigned long ns_unit_namespace_flags(const UnitConfig *u);

/* PrivateUsers=pick: the first id of this service's 65536-id range, kept in
 * STATE_DIR/userns/NAME across restarts, allocated from 0x80000 upward. */
int ns_userns_pick(const char *state_dir, const char *name, uid_t *ret, CrlError *reterr);
/* The same without waiting for the directory's lock (corrald's loop): only
 * another process can hold it, for the few ms of a pick; -EBUSY names it. */
int ns_userns_try_pick(const char *state_dir, const char *name, uid_t *ret, CrlError *reterr);

/* Pin the network namespace of pidfd at /run/netns/corral-NAME (bind mount of
 * its ns file, /run/netns made a shared mount as `ip netns` does) and remove it. */
int ns_pin(int pidfd, const char *name, CrlError *reterr);
int ns_unpin(const char *name, CrlError *reterr);

/* A mount namespace for NsLaunchParams.mount_template_fd: a copy of the
 * caller's, a slave of it (the host's later mounts reach it and so every
 * service made from it), without /run/netns and its pins. A launch copies
 * it instead of the caller's own namespace, which holds a pin for every
 * running service: the copy would cost O(N) at every start and hold the
 * kernel's namespace lock as long. Made once, before the loop (a short
 * fork and wait); *ret_fd is its nsfs fd. */
int ns_mount_template_make(int *ret_fd, CrlError *reterr);

/* The variables RuntimeDirectory= & co. and the credentials give a
 * command of u: "RUNTIME_DIRECTORY=/run/a:/run/b", ...,
 * "CREDENTIALS_DIRECTORY=/run/credentials/NAME.service", each set in *env
 * (replacing one of that name). directory_root as in NsLaunchParams. */
int ns_service_environment(const UnitConfig *u, const char *directory_root, char ***env);
/* A stopped service's RuntimeDirectory= entries, removed with everything
 * in them (the innermost directory of each, as systemd). The first error
 * is returned; the rest are still tried. */
int ns_runtime_directories_remove(const UnitConfig *u, const char *directory_root, CrlError *reterr);

/* Remove RUNTIME_DIR/private-tmp/NAME (PrivateTmp= of a stopped service). */
int ns_private_tmp_remove(const char *runtime_dir, const char *name);

/* A command inside a running service: run argv inside every namespace, the
 * cgroup, root and working directory of the process target_pidfd. */
typedef struct NsExecParams {
        int target_pidfd;               /* borrowed */
        int cgroup_fd;                  /* borrowed, until the exec ended or was aborted; the
                                         * service's cgroup, -EBADF: none */
        char *const *argv;              /* borrowed; argv[0] absolute or found in PATH inside */
        const char *path;               /* borrowed; the program executed (absolute or found in
                                         * PATH inside); NULL: argv[0] */
        char *const *environment;       /* borrowed; NULL: PATH only */
        const char *user;               /* NULL: root; looked up by the child in the service's
                                         * /etc/passwd, inside its root (the caller reads nothing) */
        int stdin_fd, stdout_fd, stderr_fd; /* borrowed; -EBADF: inherit ours */
        const UnitConfig *unit;         /* borrowed, until ns_exec_start() returned; NULL: none.
                                         * A control command's unit: its IgnoreSIGPIPE=,
                                         * IOScheduling*= and CPUScheduling*= apply */
        const NsSeccomp *seccomp;       /* borrowed, until the exec ended or was aborted; NULL:
                                         * none. A control command's unit's filters, loaded
                                         * last, as for the main process */
} NsExecParams;

/* Asynchronous, as ns_launch_start(): clone the command (in the target's
 * PID namespace, switched for the one clone) and return at once with an
 * NsLaunch the caller drives with ns_launch_fd()/ns_launch_dispatch() and
 * ends with ns_launch_abort()/ns_launch_free(). Dispatch succeeds only on
 * the command's exec report; NsProcess.pidfd is the command. Nothing but
 * p->cgroup_fd needs to outlive this call. The caller's pid_for_children is
 * switched, so only for single-threaded callers (corrald's loop). */
int ns_exec_start(const NsExecParams *p, NsLaunch **ret, CrlError *reterr);
/* Synchronous: start, then poll() and dispatch until the exec ended (tests;
 * not for corrald, whose loop must not wait for the child). */
int ns_exec(const NsExecParams *p, NsProcess *ret, CrlError *reterr);
