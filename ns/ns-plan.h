/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to ns/: the plan the parent computes before clone, which the child
 * executes without allocating (it may run after a fork of a threaded
 * supervisor), and the (step, errno, index) record the child reports. */

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "ns-launch.h"

typedef enum NsStep {
        NS_STEP_CLONE,
        NS_STEP_EXECUTOR,               /* the child's execveat() of corral-executor, which
                                         * reads the plan (ns-plan-wire.c) */
        NS_STEP_CGROUP,
        NS_STEP_USERNS_MAP,
        NS_STEP_SETUP_HOOK,
        NS_STEP_PROCESS_ATTRS,
        NS_STEP_HANDSHAKE,
        NS_STEP_NAMESPACES,             /* the child's unshare() of unshare_flags */
        NS_STEP_IOPRIO,                 /* IOSchedulingClass=/IOSchedulingPriority= */
        NS_STEP_SCHED,                  /* CPUSchedulingPolicy= & co. */
        NS_STEP_JOIN,
        NS_STEP_CGROUPNS,
        NS_STEP_TIMENS,
        NS_STEP_HOSTNAME,
        NS_STEP_LOOPBACK,
        NS_STEP_PROPAGATION,
        NS_STEP_MOUNT,
        NS_STEP_PIVOT_ROOT,
        NS_STEP_INIT,
        NS_STEP_MAINPID,
        NS_STEP_USER,
        NS_STEP_GROUPS,
        NS_STEP_GID,
        NS_STEP_UID,
        NS_STEP_CAPABILITIES,
        NS_STEP_NO_NEW_PRIVS,
        NS_STEP_WORKING_DIRECTORY,
        NS_STEP_STDIO,
        NS_STEP_SECCOMP,
        NS_STEP_EXEC,
        _NS_STEP_MAX,
        _NS_STEP_INVALID = -EINVAL,
} NsStep;

const char *ns_step_to_string(NsStep s);

typedef struct NsChildError {
        int32_t step;           /* NsStep */
        int32_t error;          /* positive errno */
        int32_t index;          /* mount op index, or -1 */
} NsChildError;

typedef enum NsMountKind {
        NS_MOUNT_BIND,          /* source -> target (rbind unless !recursive) */
        NS_MOUNT_READ_ONLY,     /* target bound onto itself, read-only in the second pass */
        NS_MOUNT_READ_WRITE,    /* target bound onto itself, so shallower read-only entries skip it */
        NS_MOUNT_INACCESSIBLE,  /* empty mode-000 tmpfs (dirs) or the inaccessible file */
        NS_MOUNT_TMPFS,         /* tmpfs with options */
        NS_MOUNT_PROC,          /* fresh procfs (options: hidepid=, subset=) */
        NS_MOUNT_SYSFS,         /* fresh sysfs of the service's network namespace */
        NS_MOUNT_CGROUP2,       /* fresh cgroup2 (in the new cgroup namespace) */
        NS_MOUNT_DEV,           /* minimal /dev */
        NS_MOUNT_CREDENTIALS,   /* tmpfs filled with plan->credentials, then read-only */
        _NS_MOUNT_KIND_MAX,
        _NS_MOUNT_KIND_INVALID = -EINVAL,
} NsMountKind;

/* Sorted by target (a path before everything below it), one entry per
 * target; the child resolves every target inside the root (openat2
 * RESOLVE_IN_ROOT) and mounts by fd. */
typedef struct NsMountOp {
        NsMountKind kind;
        char *source;           /* host path (BIND), the inaccessible file (INACCESSIBLE) */
        char *target;           /* normalized path as the service sees it */
        char *options;          /* tmpfs data, or NULL */
        char *real;             /* PATH_MAX buffer the child fills: where the mount landed
                                 * (as /proc/self/fd shows it), "" when skipped */
        int tree_fd;            /* the child's open_tree() clone of source, or -EBADF */
        bool optional;          /* a missing source or target is skipped */
        bool create;            /* a missing target is created inside the root */
        bool missing;           /* the child found the (optional) source missing */
        bool tree_attached;     /* the child attached tree_fd, kept open to clone the node from */
        bool read_only;
        bool recursive;
        bool implied;           /* read-only already if a read-only fresh sysfs is all above it
                                 * (plan_prune()); set for paths without symlinks only */
} NsMountOp;

#define NS_DEV_NODES_MAX 6

/* One file of $CREDENTIALS_DIRECTORY, written by the child. */
typedef struct NsCredential {
        const char *id;         /* borrowed from the unit */
        char *data;             /* owned */
        size_t size;
} NsCredential;

typedef struct NsPlan {
        const char *name;
        unsigned long clone_flags;      /* CLONE_NEW* the child gets: clone3 makes the PID
                                         * namespace, the child unshare_flags, the mount step
                                         * a copy of the template */
        unsigned long unshare_flags;    /* CLONE_NEW* the child unshares first thing */
        bool unshare_cgroupns, unshare_timens, unshare_userns, loopback, use_init;
        bool need_release;              /* the parent has steps to run before the child goes on */
        char timens_offsets[96];        /* "monotonic S NS\nboottime S NS\n" */
        const char *hostname;           /* NULL: keep */
        int join_pidfd;                 /* borrowed */
        int netns_fd;                   /* owned by the plan: NetworkNamespacePath= */

        /* mounts */
        const char *root;               /* NULL: no pivot_root */
        NsMountOp *mounts;
        size_t n_mounts;
        int dev_fds[NS_DEV_NODES_MAX];  /* child-made open_tree() clones of the host's device nodes */
        int inaccessible_dir_fd;        /* the child's first mode-000 tmpfs, attached: later ones clone it */
        NsCredential *credentials;      /* LoadCredential=/SetCredential= as read by the parent */
        size_t n_credentials;
        uid_t credentials_uid;          /* their owner, as the host sees the service's ids */
        gid_t credentials_gid;

        /* credentials */
        bool set_ids;                   /* User= or Group= given */
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        bool set_groups;
        int cap_last;
        bool set_bounding;
        uint64_t bounding;
        uint64_t ambient;
        bool no_new_privs;
        int umask;
        /* process attributes (ns-exec-attrs.c) */
        bool ignore_sigpipe;            /* SIGPIPE SIG_IGN across execve */
        int ioprio;                     /* ioprio_set() value, -1: keep */
        bool sched_set;
        int sched_policy, sched_priority;
        bool sched_reset_on_fork;
        const char *working_directory;  /* NULL: "/" with RootDirectory, else keep */
        bool working_directory_optional;

        /* exec */
        int stdio[3];                   /* borrowed, -EBADF: /dev/null */
        char **argv;                    /* owned */
        char *exec_path;                /* owned; the program executed, NULL: argv[0] */
        char **envp;                    /* owned */
        const char *path_env;           /* PATH for lookup of a relative argv[0] */
        int status_fd;                  /* init's write end (owned by the plan in the parent) */
        int record_fd;                  /* borrowed: NsLaunchParams.status_record_fd, or -EBADF */

        /* ns_exec(): enter a running service instead of making namespaces */
        int exec_target_pidfd;          /* borrowed, -EBADF: a normal launch */
        unsigned long exec_setns_flags;
        int exec_cwd_fd;                /* owned: the target's cwd (O_PATH) */
        int exec_root_fd;               /* owned: the target's root (O_PATH), with exec_user */
        char *exec_user;                /* owned: -u USER, looked up by the child; NULL: none */
        bool stdio_inherit;             /* stdio[i] < 0: keep our fd i */
        const NsSeccomp *seccomp;       /* borrowed (NsLaunchParams) or own_seccomp; NULL: none */
        NsSeccomp *own_seccomp;         /* owned: built for this launch only */

        /* > 0: the child was cloned with CLONE_FILES and shares the parent's
         * fd table until its first step, close_range(fd_floor, ~0,
         * CLOSE_RANGE_UNSHARE), which gives it a table of its own holding
         * only the fds below: every fd above is needed by the child. A
         * fork would copy the whole table, and the init and the command
         * would close it again: with a thousand services, three walks of
         * several thousand fds per start. */
        unsigned fd_floor;
        bool nofile_set;                /* set RLIMIT_NOFILE to nofile first of all */
        struct rlimit nofile;
        int mount_template_fd;          /* borrowed: the child setns()es into it and
                                         * unshares its mount namespace from there,
                                         * instead of clone3(CLONE_NEWNS) */
} NsPlan;

#define NS_PLAN_INIT                                                            \
        (NsPlan) {                                                              \
                .netns_fd = -EBADF, .status_fd = -EBADF, .join_pidfd = -EBADF,  \
                .record_fd = -EBADF, .ioprio = -1,                              \
                .exec_target_pidfd = -EBADF, .exec_cwd_fd = -EBADF,             \
                .exec_root_fd = -EBADF, .mount_template_fd = -EBADF,            \
                .dev_fds = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF },  \
                .inaccessible_dir_fd = -EBADF,                                  \
        }

/* ns-launch.c: shared by ns_launch_start() and ns_exec_start() */
void ns_plan_done(NsPlan *plan);
/* The fds the child uses besides those it opens itself: fills fds (room
 * for NS_PLAN_FDS_MAX), returns how many. */
#define NS_PLAN_FDS_MAX 12
size_t ns_plan_fds(const NsPlan *plan, int child_sock, int *fds);
unsigned ns_plan_fd_floor(const NsPlan *plan, int child_sock);
/* How the child starts: a fork of ours (exe_fd < 0), or corral-executor
 * exec'd from a clone that shares our memory until then (CLONE_VM |
 * CLONE_VFORK), reading the plan from plan_fd: no copy of our page
 * tables, no copy-on-write afterwards, and an init with memory of its
 * own. Both fds low, below plan->fd_floor. */
typedef struct NsExecutor {
        int exe_fd;
        int plan_fd;
        int sock;               /* the child's end of the handshake */
} NsExecutor;
pid_t ns_launch_clone(const NsLaunchParams *p, NsPlan *plan, const NsExecutor *x, int *ret_pidfd,
                      NsProcess *ret);
int ns_parent_setup(const NsLaunchParams *p, int pidfd, pid_t pid, bool fallback, CrlError *reterr);

/* ns-handshake.c: the NsLaunch state machine. ns_launch_start_plan() takes
 * over *plan (leaving NS_PLAN_INIT behind) and clones; ns_launch_run()
 * drives a launch to its end with poll() and frees it, killing and reaping
 * (bounded, 2 s) a child that failed. Messages are not prefixed with the
 * service's name. */
int ns_launch_start_plan(const NsLaunchParams *p, NsPlan *plan, NsLaunch **ret, CrlError *reterr);
int ns_launch_run(NsLaunch *l, NsProcess *ret, CrlError *reterr);
/* Prefix dispatch's messages with "service 'NAME': " (ns_launch_start()). */
void ns_launch_set_named(NsLaunch *l);
/* Take u, the params' unit, freeing it with the launch (ns_exec_start()'s
 * own empty unit, which the handshake reads until the end). */
void ns_launch_own_unit(NsLaunch *l, UnitConfig *u);

/* ns-launch.c. Handshake bytes on the socketpair, besides NsChildError:
 * parent -> child NS_MSG_GO (release; again once the maps are written),
 * child -> parent NS_MSG_READY (cloned, waiting for the parent's steps and
 * its release; only when the plan needs a release), NS_MSG_USERNS (user
 * namespace made: write its maps), NS_MSG_EXEC (execve next) and
 * NS_MSG_MAIN (PID 2, with its pidfd, execve next); NS_MSG_FILES first of
 * all when plan->fd_floor is set (the child's fd table is its own now: the
 * parent may close its copies of the child's fds). */
#define NS_MSG_GO 'G'
#define NS_MSG_READY 'R'
#define NS_MSG_USERNS 'U'
#define NS_MSG_EXEC 'X'
#define NS_MSG_MAIN 'P'
#define NS_MSG_FILES 'F'
int ns_child_report(int sock, NsStep step, int error, int index);

/* ns-join.c: see ns_mount_apply() */
int ns_netns_dir_detach(void);
/* ns-child.c: the first step of a child cloned with CLONE_FILES
 * (plan->fd_floor): a table of its own, then NS_MSG_FILES. */
int ns_child_own_fds(const NsPlan *plan, int sock);
/* ns-child.c: never returns. */
_Noreturn void ns_child_main(NsPlan *plan, int sock);

/* ns-plan-wire.c: the plan for corral-executor, in a memfd (O_CLOEXEC);
 * and, in the executor, the plan mapped from it (nothing to free: the
 * process execs or exits). */
int ns_plan_wire_write(const NsPlan *plan, int *ret_fd);
int ns_plan_wire_read(int fd, NsPlan **ret);
/* Unmap a plan ns_plan_wire_read() returned (tests: the executor execs). */
void ns_plan_wire_release(NsPlan *p);

/* ns-mount.c */
int ns_mount_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr);
/* Append one entry (sorted and merged by ns_mount_plan() at its end). */
int ns_mount_add(NsPlan *plan, NsMountKind kind, const char *source, const char *target, const char *options,
                 bool optional, bool read_only);
void ns_mount_plan_free(NsPlan *plan);
int ns_mount_describe(const NsMountOp *op, char *buf, size_t size);
const char *ns_mount_kind_to_string(NsMountKind k);
/* ns-mount-apply.c: the child side, before pivot_root. */
int ns_mount_apply(NsPlan *plan, NsStep *ret_step, int *ret_index);
/* Whether the minimal /dev (NS_MOUNT_DEV) may hold name, directly below it. */
bool ns_mount_dev_has(const char *name);

/* ns-mount-kernel.c: the API filesystems (/dev, /proc, /sys, /sys/fs/cgroup)
 * and the kernel protections (ProtectKernelTunables=, ProtectKernelModules=,
 * ProtectKernelLogs=), after systemd 252's namespace.c tables.
 * inaccessible_file: the mode-000 file (NULL when none is needed, see
 * ns_mount_kernel_needs_inaccessible()). */
bool ns_mount_kernel_needs_inaccessible(const UnitConfig *u);
int ns_mount_kernel_plan(const UnitConfig *u, NsPlan *plan, const char *inaccessible_file);
/* ns-dirs.c: read the credentials, make the service directories (host
 * side, as root) and add their mount entries; before ns_mount_plan(),
 * after ns_creds_plan() (the ids). */
int ns_dirs_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr);
void ns_dirs_plan_free(NsPlan *plan);
/* The child: fill the fresh tmpfs mnt_fd with the plan's credentials. */
int ns_credentials_write(const NsPlan *plan, int mnt_fd);
/* ns-mount.c: one more entry for ns_mount_plan() to sort. */
int ns_mount_add(NsPlan *plan, NsMountKind kind, const char *source, const char *target, const char *options,
                 bool optional, bool read_only);
/* ns-join.c: remove name below dfd and everything in it, by fd, following
 * no symlink; 0 when it does not exist. */
int ns_rm_rf_at(int dfd, const char *name);

/* ns-userns.c */
int ns_userns_map_string(PrivateUsers mode, uid_t id, uid_t base, char *buf, size_t size);
/* The kernel takes a map in one write() shorter than a page. */
#define NS_USERNS_MAP_SIZE 4096
int ns_userns_gid_map_string(PrivateUsers mode, gid_t gid, const gid_t *groups, size_t n_groups, uid_t base,
                             char *buf, size_t size);
int ns_userns_write_maps(pid_t pid, const UnitConfig *u, const NsPlan *plan, uid_t base, CrlError *reterr);

/* ns-join.c */
int ns_join_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr);
int ns_join_apply(const NsPlan *plan);

/* ns-creds.c */
int ns_creds_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr);
int ns_creds_apply(const NsPlan *plan, NsStep *ret_step);
/* The init, once PID 2 exec'd: it lives as long as the service, inside its
 * PID namespace, and needs nothing but CAP_KILL (to forward signals to a
 * command of another uid). Bounding set, ambient set and no_new_privs too. */
int ns_creds_init_drop(void);
int ns_process_attrs_apply(pid_t pid, const UnitConfig *u, CrlError *reterr);

/* ns-exec-user.c: ns_exec's -u USER. Find user in the passwd file read
 * from fd (0, ids filled; -ESRCH: not there), allocating nothing; in the
 * child, look plan->exec_user up in the target's /etc/passwd and fill the
 * plan's ids; the message for the child's NS_STEP_USER report. */
int ns_passwd_find(int fd, const char *user, uid_t *ret_uid, gid_t *ret_gid);
int ns_exec_user_lookup(NsPlan *plan);
void ns_exec_user_describe(const NsPlan *plan, int error, CrlError *reterr);

/* ns-exec-attrs.c: IgnoreSIGPIPE=, I/O and CPU scheduling. _early runs
 * in the child as the host's root, before the user namespace and the
 * init (which PID 2 inherits the attributes from); _late in the process
 * that execs, after the signals were reset. */
void ns_exec_attrs_plan(const UnitConfig *u, NsPlan *plan);
int ns_exec_attrs_apply_early(const NsPlan *plan, NsStep *ret_step);
int ns_exec_attrs_apply_late(const NsPlan *plan, NsStep *ret_step);

/* ns-loopback.c */
int ns_loopback_up(void);

/* ns-init.c: PID 1; returns the exit code for _exit(). record_fd: the
 * status record, or -EBADF. */
int ns_init_run(pid_t main_pid, int status_fd, int record_fd);
/* The record's one line (pure; the init formats into a stack buffer):
 * returns its length, -EINVAL for a code that is not an end. */
int ns_status_record_format(const siginfo_t *si, uint64_t realtime_usec, char *buf, size_t size);
int ns_status_record_parse(const char *text, siginfo_t *ret, uint64_t *ret_realtime_usec);
