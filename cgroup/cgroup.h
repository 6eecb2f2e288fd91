/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corral's cgroup v2 API for the supervisor.
 *
 * The supervisor never touches a cgroup file itself: it opens a CgRoot once,
 * then per service creates a CgService (whose dir fd it passes to clone3's
 * CLONE_INTO_CGROUP), reads stats, watches the event fd, kills, freezes and
 * destroys through these calls. Every file operation is relative to a
 * directory fd, so the tests can run against a tmpdir standing in for a
 * cgroup tree (see CgFsOps). Nothing here writes to a cgroup v1 hierarchy or
 * outside the cgroup2 mount; writes above the subtree root happen only to
 * enable controllers on the way down to a root corral created itself. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cg-bpf.h"
#include "cg-probe.h"
#include "error.h"
#include "unit.h"

/* A set of CgController bits: 1 << CG_CTRL_*. */
typedef unsigned CgMask;
#define CG_MASK(c) (1u << (c))
#define CG_MASK_ALL ((1u << _CG_CTRL_MAX) - 1)

/* How a directory is made and removed, a file written and a process
 * signalled. NULL members mean mkdirat/unlinkat/write_string_at/
 * pidfd_send_signal; a test replaces them to fill a plain directory with
 * interface files as the kernel does for a cgroup, to remove them again, to
 * record writes and signals, or refuse a write as the kernel would. */
typedef struct CgFsOps {
        int (*mkdir_at)(int dir_fd, const char *name, void *userdata);   /* -errno */
        int (*rmdir_at)(int dir_fd, const char *name, void *userdata);   /* -errno */
        int (*write_at)(int dir_fd, const char *file, const char *value, void *userdata);
        /* NULL: pidfd_send_signal(pidfd, sig); pid is what cgroup.procs said */
        int (*signal_pidfd)(int pidfd, pid_t pid, int sig, void *userdata);     /* -errno */
        void *userdata;
} CgFsOps;

/* Totals that percentages resolve against. */
typedef struct CgSystem {
        uint64_t memory_total;  /* bytes of RAM */
        uint64_t pid_max;       /* kernel.pid_max */
} CgSystem;

/* The subtree root corral's service cgroups live in; opaque (cg-internal.h). */
typedef struct CgRoot CgRoot;

typedef enum CgRootFlags {
        CG_ROOT_NO_MOVE_SELF = 1 << 0,  /* delegated root: do not move this process to a leaf */
} CgRootFlags;

/* Open or create the subtree root. override (CgroupRoot=, --cgroup-root) is
 * a path relative to the cgroup2 mount ("/corral-test"); NULL picks corrald's
 * own cgroup when it was delegated to it, else "/corral". */
int cg_root_open(const CgProbe *probe, const char *override, CgRootFlags flags,
                 CgRoot **ret, CrlError *reterr);

/* The same below an already open mount fd (tests: a tmpdir). path is
 * relative to the mount, never NULL here. */
int cg_root_open_at(const CgProbe *probe, int mount_fd, const char *mount, const char *path,
                    const CgSystem *system, const CgFsOps *ops, CgRoot **ret, CrlError *reterr);

/* What the root is. Strings are borrowed from the root. */
const char *cg_root_mount(CgRoot *root);        /* "/sys/fs/cgroup" */
const char *cg_root_path(CgRoot *root);         /* "/corral": relative to the mount, leading '/' */
bool cg_root_delegated(CgRoot *root);           /* corrald's own delegated cgroup (moved to PATH/corrald) */
bool cg_root_created(CgRoot *root);             /* this open made the root directory */
const CgProbe *cg_root_probe(CgRoot *root);     /* the probe the root was opened with (a copy) */
const CgSystem *cg_root_system(CgRoot *root);   /* RAM and pid_max percentages resolve against */
int cg_root_fd(CgRoot *root);                   /* borrowed: the root directory */

/* Controllers a service below this root can get, and why not, per
 * controller (reason is NULL for an available one). */
CgMask cg_root_controllers(CgRoot *root);
const char *cg_root_controller_reason(CgRoot *root, CgController c);

/* Names ("web", sorted) of the NAME.service cgroups under the root: what a
 * restarted corrald re-adopts with cg_service_open(). */
int cg_root_list_services(CgRoot *root, char ***ret);

/* Remove the root directory unless it is corrald's delegated cgroup (which
 * belongs to systemd); -EBUSY while a service cgroup is left in it. */
int cg_root_remove(CgRoot *root, CrlError *reterr);
CgRoot *cg_root_free(CgRoot *root);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgRoot *, cg_root_free);

/* How deep a service may nest cgroups below its own (cgroup.max.depth of
 * the service cgroup), and how many it may have in all
 * (cgroup.max.descendants). Walks over a service's tree stop at this depth,
 * even where the kernel's limit is missing or was raised. */
#define CG_SERVICE_MAX_DEPTH 16
#define CG_SERVICE_MAX_DESCENDANTS 4096

typedef enum CgServiceFlags {
        CG_SERVICE_OOM_GROUP = 1 << 0,          /* OOMPolicy=kill: memory.oom.group = 1 */
        CG_SERVICE_UNENFORCEABLE_WARN = 1 << 1, /* UnenforceableLimits=warn */
} CgServiceFlags;

/* One service's cgroup ROOT/NAME.service; opaque (cg-internal.h). */
typedef struct CgService CgService;

/* Create ROOT/NAME.service with the limits of rc, ready for clone3. A limit
 * whose controller cannot be enabled fails the call naming the controller
 * and why, unless CG_SERVICE_UNENFORCEABLE_WARN: then one line per key goes
 * to *warnings and the rest is applied. On any failure nothing is left. */
int cg_service_create(CgRoot *root, const char *name, const ResourceConfig *rc,
                      CgServiceFlags flags, CgService **ret, char ***warnings, CrlError *reterr);

/* The same with the unit's cgroup BPF programs (cg-bpf.h) kept in *bpf, the
 * caller's: loaded from rc at the first create that needs them (*bpf NULL),
 * only attached at the next ones. *bpf must have been loaded from this rc;
 * free it with cg_bpf_programs_free() when rc goes (a new unit load). */
int cg_service_create_bpf(CgRoot *root, const char *name, const ResourceConfig *rc, CgBpfPrograms **bpf,
                          CgServiceFlags flags, CgService **ret, char ***warnings, CrlError *reterr);

/* Open an existing ROOT/NAME.service (re-adoption after a restart). */
int cg_service_open(CgRoot *root, const char *name, CgService **ret, CrlError *reterr);

/* Apply rc to a running service: keys no longer set go back to the kernel's
 * defaults. On a failing write the files written so far are restored. */
int cg_service_apply(CgService *s, const ResourceConfig *rc, CgServiceFlags flags,
                     char ***warnings, CrlError *reterr);

/* Borrowed fd of the service cgroup (clone_args.cgroup). */
int cg_service_fd(const CgService *s);
const char *cg_service_name(CgService *s);     /* "web" */
CgMask cg_service_enabled(CgService *s);       /* controllers enabled for this cgroup */

/* "/corral/web.service": relative to the cgroup2 mount (CgroupPath). */
int cg_service_path(const CgService *s, char **ret);

/* Remove the service cgroup and any sub-cgroups below it; -EBUSY while
 * processes remain. The CgService stays valid (free it after). */
int cg_service_destroy(CgService *s, CrlError *reterr);
CgService *cg_service_free(CgService *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgService *, cg_service_free);

/* Counters, read from the kernel's files on every call. UINT64_MAX means
 * unlimited (limits) or unknown (counters); pressures are -1 where the
 * kernel lacks PSI. */
typedef struct CgStats {
        uint64_t memory_current, memory_peak, memory_max, memory_high;
        uint64_t oom, oom_kills;                /* memory.events */
        uint64_t cpu_usage_usec;
        uint64_t cpu_quota_per_sec_usec;        /* from cpu.max */
        uint64_t tasks_current, tasks_max, tasks_max_hit; /* pids.events max */
        uint64_t io_read_bytes, io_write_bytes; /* io.stat summed over devices */
        double cpu_pressure, memory_pressure, io_pressure; /* some avg10 */
} CgStats;

int cg_service_stats(CgService *s, CgStats *ret);

/* Events. An inotify fd (O_NONBLOCK|O_CLOEXEC) for an sd-event io source
 * (EPOLLIN). corrald uses the root's: one fd for every service (an fd per
 * service is an inotify instance each, and fs.inotify.max_user_instances
 * is 128 by default, for all of the user's processes). Each service
 * created or opened below the root is watched on it from the moment its
 * directory is open, before a process can enter it or its state is read,
 * so no change is missed. A service's own fd (tests, tools) watches from
 * the call on: get it before the first process enters.
 * Events are changes between two reads of the files: a POPULATED and an
 * EMPTY both falling between two calls are no change, hence no event. A
 * caller about to wait for EMPTY checks cg_service_is_populated() first. */
typedef enum CgEventType {
        CG_EVENT_POPULATED = 1 << 0,    /* populated 0 -> 1 */
        CG_EVENT_EMPTY     = 1 << 1,    /* populated 1 -> 0: every process is gone */
        CG_EVENT_OOM       = 1 << 2,    /* memory.events oom increased */
        CG_EVENT_OOM_KILL  = 1 << 3,    /* memory.events oom_kill increased */
        CG_EVENT_FROZEN    = 1 << 4,
        CG_EVENT_THAWED    = 1 << 5,
} CgEventType;

typedef struct CgEvents {
        CgEventType mask;
        uint64_t oom_kills;     /* total so far, when CG_EVENT_OOM_KILL */
} CgEvents;

int cg_root_event_fd(CgRoot *root);     /* borrowed; created on first call */
/* On EPOLLIN of the root's fd: call until it returns 0. Each call returns
 * 1 with the next service that has news and what (its
 * cg_service_process_events()); a service freed meanwhile is skipped, one
 * whose cgroup is gone has no news. -errno with *ret_service set when that
 * service's files cannot be read (call again for the others); -errno with
 * it unset when the fd cannot be read. */
int cg_root_process_events(CgRoot *root, CgService **ret_service, CgEvents *ret);
/* The caller's pointer for a service (its Service), for the dispatch above. */
void cg_service_set_userdata(CgService *s, void *userdata);
void *cg_service_get_userdata(CgService *s);

int cg_service_event_fd(CgService *s);  /* borrowed; created on first call */
/* Drain the fd and compare the files with the last state seen. */
int cg_service_process_events(CgService *s, CgEvents *ret);

/* Timeouts below: USEC_INFINITY waits without a deadline (so does a
 * timeout too large to add to the clock: it saturates, never wraps); 0 does
 * not wait for the kernel at all, on any path: the event loop's way, which
 * then waits for the CgEvents on the event fd under a timer of its own. The
 * timed forms block (poll on an inotify fd until the deadline): for tests
 * and tools, never for corrald's loop. */

/* Signal every process of the service and its sub-cgroups without
 * blocking (KillService, KillSignal=). A walk over cgroup.procs is safe
 * only while nothing forks, so it runs frozen: begin writes cgroup.freeze
 * (unless the service is frozen already) and returns
 *   1: cgroup.events says frozen already: call finish now;
 *   0: call finish on CG_EVENT_FROZEN from cg_service_process_events(), or
 *      at a deadline of the caller's (a task in uninterruptible sleep can
 *      hold a freeze back: the walk is still safe, each pid is signalled
 *      through a pidfd only if cgroup.procs lists it after the pidfd was
 *      opened, but a process forked meanwhile may be missed).
 * finish walks, signals, thaws (a service frozen before, by
 * cg_service_freeze() or found frozen, stays frozen; with several walks the
 * last one thaws), frees op and sets *ret_n_signalled. cancel thaws the
 * same way and frees op. An op borrows the service: finish or cancel it
 * before cg_service_free(). The walk's freeze and thaw show on the event fd
 * as CG_EVENT_FROZEN and CG_EVENT_THAWED like any other. */
typedef struct CgSignalOp CgSignalOp;
int cg_service_signal_begin(CgService *s, int sig, CgSignalOp **ret, CrlError *reterr);
int cg_service_signal_finish(CgSignalOp *op, unsigned *ret_n_signalled, CrlError *reterr);
/* Leave pid (> 0) out of op's walk: corrald's init above a service's
 * command forwards what it gets to the command, which would get it twice. */
void cg_service_signal_skip(CgSignalOp *op, pid_t pid);
CgSignalOp *cg_service_signal_cancel(CgSignalOp *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgSignalOp *, cg_service_signal_cancel);

/* The same, blocking: waits up to 1 s for the freeze. Returns how many
 * were signalled. */
int cg_service_signal(CgService *s, int sig, CrlError *reterr);
/* SIGKILL every process: cgroup.kill (Linux 5.14), else a frozen walk
 * SIGKILLing each pid as above (with timeout_usec 0 without waiting for the
 * freeze: unconfirmed, it walks again at once until a pass finds nobody
 * or the cgroup reads empty or frozen, at most 8 passes). Then wait up to timeout_usec for populated 0 (-ETIME).
 * timeout_usec 0: return once sent; CG_EVENT_EMPTY follows on the event
 * fd. */
int cg_service_kill(CgService *s, usec_t timeout_usec, CrlError *reterr);
/* Write cgroup.freeze and return once cgroup.events says so; -ETIME after
 * timeout_usec. timeout_usec 0: return once written (CG_EVENT_FROZEN or
 * CG_EVENT_THAWED follows on the event fd). A frozen service stays frozen
 * through signal walks until cg_service_thaw(). */
int cg_service_freeze(CgService *s, usec_t timeout_usec, CrlError *reterr);
int cg_service_thaw(CgService *s, usec_t timeout_usec, CrlError *reterr);
/* Last cgroup.events frozen seen (by cg_service_open(), create, or
 * cg_service_process_events()): FreezerState after a re-adoption. */
bool cg_service_frozen(CgService *s);
/* The pids of cgroup.procs (this cgroup only, not sub-cgroups), for
 * finding a main process again after a restart; read once, so only a
 * pidfd opened from one and checked proves it still is that process.
 * -EINVAL for a line that is not a pid (1..INT_MAX). */
int cg_service_pids(CgService *s, pid_t **ret, size_t *ret_n);
/* Whether pid is listed now in cgroup.procs of the service or of one of
 * its sub-cgroups: 1 yes, 0 no. Re-adoption's check of a recorded MainPID:
 * open a pidfd on the pid and check its start time first (runtime-state.h
 * pidfd_open_checked()); a pid listed after that is the pidfd's process,
 * in this service. */
int cg_service_has_pid(CgService *s, pid_t pid);
/* Whether the cgroup has processes (cgroup.events populated). */
int cg_service_is_populated(CgService *s);
