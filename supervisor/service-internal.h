/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Service and Manager structures, shared by manager*.c and service*.c
 * only (the bus sees manager.h). */

#include <systemd/sd-event.h>

#include "bus.h"
#include "cgroup.h"
#include "manager.h"
#include "ns-launch.h"
#include "service-launch.h"
#include "service-notify.h"
#include "service-state.h"
#include "service-stdio.h"

typedef struct NsNet NsNet;
typedef struct KillOp KillOp;

/* A service's Warnings, shared by every service with the same lines (on a
 * hybrid host, every service with a limit the host cannot enforce): one
 * copy in the Manager's list, counted. */
typedef struct WarningList {
        struct WarningList *next;
        unsigned n_ref;
        char **strv;                    /* owned; not empty */
} WarningList;

typedef enum JobKind {
        JOB_START,
        JOB_STOP,
        JOB_RESTART,    /* a stop, then a start: ends with the start */
        JOB_RELOAD,
        JOB_FREEZE,
        JOB_THAW,
        _JOB_KIND_MAX,
} JobKind;

typedef struct Job {
        JobKind kind;
        ServiceJobDone done;
        void *userdata;
        int r;                          /* set when finished */
        CrlError error;
        struct Job *next;
} Job;

/* Which command list a control process runs. */
typedef enum ControlKind {
        CONTROL_NONE,
        CONTROL_START_PRE,
        CONTROL_START_POST,
        CONTROL_STOP,
        CONTROL_RELOAD,
} ControlKind;

struct Service {
        Manager *manager;               /* borrowed */
        char *name;
        char *object_path;
        UnitConfig *unit;               /* owned: what runs now / next */
        UnitConfig *pending_unit;       /* owned: a Reload's newer file, applied at the next start */
        /* owned: unit's seccomp filters, built at its first start and
         * kept until unit is replaced (service_set_unit()): not per start */
        NsSeccomp *seccomp;
        bool seccomp_built;
        /* owned: unit's cgroup BPF programs (device, IP), loaded at its
         * first start and attached to each new cgroup until unit is
         * replaced; NULL: not loaded yet, or unit asks for none */
        CgBpfPrograms *bpf;
        bool transient;
        bool removed_on_disk;           /* Reload: the file went; remove once stopped */

        ServiceState state;
        ServiceResult result;
        bool frozen;
        unsigned n_restarts;
        uint64_t active_enter_usec, inactive_enter_usec;        /* CLOCK_REALTIME */
        usec_t *start_times;            /* start-limit ring, unit->start_limit_burst entries */
        unsigned n_start_times;

        /* The main process. */
        NsProcess main;                 /* pidfd -EBADF when none */
        sd_event_source *main_source;
        int exec_main_code;             /* CLD_EXITED/KILLED/DUMPED of the last end */
        int exec_main_status;
        bool main_ran;                  /* this run's main process was launched */
        int status_record_fd;           /* owned; RUNTIME_DIR/status/NAME that corral's init
                                         * fills when the main process ends: from its launch
                                         * (or re-adoption) to the end of the stop; -EBADF */
        size_t exec_index;              /* oneshot: which ExecStart= runs */

        /* A control process: ExecStartPre/Post/Stop/Reload. */
        NsProcess control;
        sd_event_source *control_source;
        ControlKind control_kind;
        size_t control_index;

        SvcLaunch *launch;              /* a launch in flight (main or control) */
        UnitConfig *unsandboxed;        /* owned (the struct only), made at the first '+'
                                         * command: the unit it is launched with
                                         * (unit_config_unsandboxed()), borrowing unit's
                                         * pointers; valid during its launch */
        bool launch_is_main;

        CgService *cg;                  /* owned: while the service has a cgroup */
        struct CgStats *last_stats;     /* owned: the last run's counters, read before its
                                         * cgroup went (what systemd-run --wait prints); NULL */
        sd_event_source *cg_source;     /* unused: the root's one fd (Manager.cg_root_source) */
        KillOp *kill_ops;               /* KillService walks waiting for the freeze */
        bool cg_empty;
        char *cgroup_path;
        char *tmp_owner;                /* PrivateTmp=: whose private-tmp/NAME this run uses, until its stop */

        NotifySocket *notify;
        sd_event_source *notify_source;
        char *status_text;

        ServiceStdio stdio;
        char *last_log_path;            /* LogPath once stopped: the file is still there */
        const int *caller_fds;          /* transient: the caller's stdio, borrowed from caller_fd */
        int caller_fd[3];               /* owned dups of RunTransient's fds */

        char *ip_address;               /* "" when none */
        struct NsNetService *net_svc;   /* owned: VirtualEthernet=yes, from prepare to stop */
        bool net_committed;             /* the launch succeeded: destroy, not abort */
        size_t net_n_binds;             /* its binds on unit->bind_paths while a launch runs */
        bool netns_pinned;              /* /run/netns/corral-NAME exists */

        sd_event_source *timer;         /* start/stop timeout, restart delay, transient linger */
        WarningList *warnings;          /* a reference; NULL: none */

        /* Jobs and what the manager asked. */
        Job *jobs;                      /* waiting for this service */
        Job *finished;                  /* done, callbacks on the next turn */
        sd_event_source *jobs_source;
        bool start_wanted;              /* a start waits for After= dependencies */
        bool stop_wanted;               /* a stop waits for what is ordered After= it to stop */
        bool deps_pulled;               /* its Requires=/Wants= were asked to start */
        bool start_after_stop;          /* restart job, or a start during a stop */
        bool stop_requested;            /* a stop job: no auto-restart */
        bool result_read;               /* transient: its end was seen by a client */
        CrlError *error;                /* owned: why the last start or run failed; NULL:
                                         * nothing failed (most services: not in every one) */
};

struct Manager {
        sd_event *event;
        Bus *bus;
        ManagerConfig *config;
        char **unit_dirs;
        char *cgroup_root_override;
        CgRoot *cgroot;
        sd_event_source *cg_root_source;        /* cg_root_event_fd(): every service's cgroup events */
        CgService **stale_cgs;          /* left-over cgroups, killed, removed once empty */
        size_t n_stale_cgs;
        sd_event_source *stale_timer;   /* gives up on them */
        NsNet *net;
        sd_event_source *net_source;
        int services_dir_fd;            /* RUNTIME_DIR/services (runtime-state.h) */
        int status_dir_fd;              /* RUNTIME_DIR/status: status records (runtime-state.h) */
        ServiceLogClient log_client;    /* the shared log process (service-stdio.h) */
        SvcLaunchPool launch_pool;      /* launches in flight (service-launch.h) */
        struct rlimit service_nofile;   /* a unit without LimitNOFILE= gets this */
        bool service_nofile_set;
        int mount_template_fd;          /* services' mount namespaces are copied from it
                                         * (ns_mount_template_make()), -EBADF: from ours */
        int executor_fd;                /* corral-executor (ns_executor_open()), -EBADF:
                                         * services are launched by a fork of ours */
        int transient_dir_fd;           /* RUNTIME_DIR/transient: transient units (transient-file.h) */
        char *runtime_dir;

        WarningList *warning_lists;     /* every service's distinct Warnings (service.c) */
        Service **services;             /* sorted by name */
        size_t n_services;
        char **load_errors;             /* invalid units and cycles, last load */
        unsigned next_transient;

        sd_event_source *dispatch_source; /* runs manager_dispatch() once per turn */
        sd_event_source *signal_sources[3];
        bool shutting_down;
        int exit_code;
        gid_t admin_gid;                /* AdminGroup=, resolved before the loop runs */
        bool admin_gid_set;
};

/* service.c */
int service_new(Manager *m, UnitConfig *u, bool transient, Service **ret);
Service *service_free(Service *s);
/* Replace s->unit with u (owned now), dropping what was built from the old
 * one (its seccomp filters). */
void service_set_unit(Service *s, UnitConfig *u);
void service_set_state(Service *s, ServiceState st);
void service_event(Service *s, ServiceEvent ev);
void service_changed(Service *s, ServiceChange mask);
bool service_is_active(const Service *s);       /* active, activating or deactivating */
bool service_is_settled(const Service *s);      /* no start waits, not in a transition */
void service_jobs_finish(Service *s, JobKind kind, int r, const CrlError *err);
void service_jobs_cancel(Service *s);
bool service_has_job(const Service *s, JobKind kind);
int service_queue_job(Service *s, JobKind kind, ServiceJobDone done, void *userdata, CrlError *reterr);
void service_set_error(Service *s, int error, const char *fmt, ...) _printf_(3, 4);
void service_error_copy(Service *s, const CrlError *e);        /* replaces s->error */
void service_error_clear(Service *s);
/* Replace s's Warnings with w (taken, may be NULL), sharing an equal list. */
int service_set_warnings(Service *s, char **w);
int service_add_warning(Service *s, const char *w);     /* once: a line it has is skipped */
char **service_warnings(const Service *s);              /* NULL: none */

/* service-exec.c: the actions of the table. */
void service_perform(Service *s, ServiceAction a, ServiceEvent ev);
void service_main_exited(Service *s, const siginfo_t *si);
void service_stale_cleanup(Service *s);
int service_begin_start(Service *s);

/* service-record.c: the status record (RUNTIME_DIR/status/NAME) */
void service_record_create(Service *s);
int service_record_adopt(Service *s);
void service_record_remove(Service *s);
void service_record_main_end(Service *s, siginfo_t *ret);
void manager_record_sweep(Manager *m);

/* service-cgroup.c */
int service_cgroup_create(Service *s, CrlError *reterr);
int service_cgroup_watch(Service *s, CrlError *reterr);
void service_cgroup_destroy(Service *s);
int service_cgroup_kill(Service *s);
int service_cgroup_freeze(Service *s, bool freeze, CrlError *reterr);
int service_cgroup_populated(Service *s);
int manager_cgroup_open(Manager *m, const char *override, CrlError *reterr);
void manager_cgroup_remove_root(Manager *m);
CgService *manager_cgroup_find(Manager *m, const char *name);
char **manager_cgroup_names(Manager *m);
void manager_cgroup_remove_stale(Manager *m, CgService *cg, const char *name);
void manager_cgroup_stale_free(Manager *m);

void service_cgroup_sync_events(Service *s);
void service_kill_ops_finish(Service *s);
void service_freezer_sync(Service *s);
void service_kill_ops_cancel(Service *s);

/* service-net.c */
int service_net_prepare(Service *s, CrlError *reterr);
void service_net_unprepare(Service *s);
NsSetupHook service_net_hook(Service *s, void **ret_userdata);
void service_net_launched(Service *s, int r, const NsProcess *proc);
void service_net_stopped(Service *s);
void service_net_adopt(Service *s, bool had_address, bool had_netns);
void service_private_tmp_adopt(Service *s);
void manager_net_readopted(Manager *m);
void manager_net_shutdown(Manager *m);
void manager_net_free(Manager *m);

/* service-notify glue (service-exec.c) */
int service_notify_open(Service *s, CrlError *reterr);
void service_notify_close(Service *s);

/* manager*.c */
void manager_readopt(Manager *m, char ***ret_taken);
int manager_resolve_admin_group(Manager *m);
int manager_dispatch(sd_event_source *src, void *userdata);
int manager_add_service(Manager *m, Service *s);
int service_linger_expired(sd_event_source *src, uint64_t usec, void *userdata);
void service_fail_start(Service *s, int error, const char *fmt, ...) _printf_(3, 4);
void manager_dispatch_later(Manager *m);
bool manager_stopping_after(Manager *m, const Service *s);
void manager_service_ended(Manager *m, Service *s);
int manager_remove_service(Manager *m, Service *s);
