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

typedef struct CgRoot {
        int mount_fd;           /* owned: the cgroup2 mount */
        int dir_fd;             /* owned: the subtree root */
        char *mount;            /* "/sys/fs/cgroup" */
        char *path;             /* relative to the mount, leading '/': "/corral" */
        bool delegated;         /* corrald's own delegated cgroup; corrald moved to PATH/corrald */
        bool created;           /* this call made the root directory */
        CgProbe probe;          /* copy: controller availability and reasons */
        CgMask enabled;         /* known enabled in every subtree_control down to the root */
        char reason[_CG_CTRL_MAX][320]; /* why a controller is not usable, once found out */
        CgSystem system;
        CgFsOps ops;
} CgRoot;

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

typedef struct CgService {
        CgRoot *root;           /* borrowed */
        char *name;             /* "web" */
        char *dir_name;         /* "web.service" */
        int dir_fd;             /* owned: the service cgroup; for CLONE_INTO_CGROUP */
        int event_fd;           /* owned: inotify on cgroup.events, memory.events; -EBADF until asked */
        CgMask enabled;         /* controllers enabled for this cgroup */
        CgServiceFlags flags;
        uint64_t peak_tracked;  /* memory.peak stand-in on kernels without it */
        bool populated;         /* last cgroup.events populated seen */
        bool frozen;            /* last cgroup.events frozen seen */
        uint64_t oom, oom_kill; /* last memory.events counters seen */
} CgService;

/* Create ROOT/NAME.service with the limits of rc, ready for clone3. A limit
 * whose controller cannot be enabled fails the call naming the controller
 * and why, unless CG_SERVICE_UNENFORCEABLE_WARN: then one line per key goes
 * to *warnings and the rest is applied. On any failure nothing is left. */
int cg_service_create(CgRoot *root, const char *name, const ResourceConfig *rc,
                      CgServiceFlags flags, CgService **ret, char ***warnings, CrlError *reterr);

/* Open an existing ROOT/NAME.service (re-adoption after a restart). */
int cg_service_open(CgRoot *root, const char *name, CgService **ret, CrlError *reterr);

/* Apply rc to a running service: keys no longer set go back to the kernel's
 * defaults. On a failing write the files written so far are restored. */
int cg_service_apply(CgService *s, const ResourceConfig *rc, CgServiceFlags flags,
                     char ***warnings, CrlError *reterr);

/* The subtree root relative to the cgroup2 mount, "/corral" (CgroupRoot). */
static inline const char *cg_root_path(CgRoot *r) {
        return r->path;
}

/* Borrowed fd of the service cgroup (clone_args.cgroup). */
static inline int cg_service_fd(const CgService *s) {
        return s->dir_fd;
}

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

/* Events. The fd is an inotify fd (O_NONBLOCK|O_CLOEXEC) for an sd-event
 * io source (EPOLLIN); on wake call cg_service_process_events(). */
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

int cg_service_event_fd(CgService *s);  /* borrowed; created on first call */
/* Drain the fd and compare the files with the last state seen. */
int cg_service_process_events(CgService *s, CgEvents *ret);

/* Timeouts below: USEC_INFINITY waits without a deadline (so does a
 * timeout too large to add to the clock: it saturates, never wraps); 0 does
 * not wait for the kernel's confirmation at all. */

/* Send sig to every process of the service and its sub-cgroups
 * (KillService, KillSignal=): freeze (up to 1 s for cgroup.events to
 * confirm), signal each pid of cgroup.procs through a pidfd and only if
 * cgroup.procs still lists it after the pidfd was opened, thaw (a service
 * frozen before stays frozen). Returns how many were signalled. */
int cg_service_signal(CgService *s, int sig, CrlError *reterr);
/* SIGKILL every process: cgroup.kill (Linux 5.14), else as
 * cg_service_signal (the freeze confirmation waits up to 1 s, or
 * timeout_usec if shorter). Then wait up to timeout_usec for populated 0
 * (-ETIME). timeout_usec 0: return once sent; CG_EVENT_EMPTY follows on the
 * event fd, which is how the event loop should wait. */
int cg_service_kill(CgService *s, usec_t timeout_usec, CrlError *reterr);
/* Write cgroup.freeze and return once cgroup.events says so; -ETIME after
 * timeout_usec. timeout_usec 0: return once written (CG_EVENT_FROZEN or
 * CG_EVENT_THAWED follows on the event fd). */
int cg_service_freeze(CgService *s, usec_t timeout_usec, CrlError *reterr);
int cg_service_thaw(CgService *s, usec_t timeout_usec, CrlError *reterr);
/* The pids of cgroup.procs (this cgroup only, not sub-cgroups), for
 * finding a main process again after a restart; read once, so only a
 * pidfd opened from one and checked proves it still is that process.
 * -EINVAL for a line that is not a pid (1..INT_MAX). */
int cg_service_pids(CgService *s, pid_t **ret, size_t *ret_n);
/* Whether the cgroup has processes (cgroup.events populated). */
int cg_service_is_populated(CgService *s);
