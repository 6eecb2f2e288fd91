/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The validated, plain model of a unit file and of corrald.conf.
 *
 * units/ fills these from INI files; cgroup/, ns/ and supervisor/ only read
 * them. Every value here has passed validation: consumers need not re-check
 * syntax, only what depends on the running system (a path that vanished, a
 * controller that is missing). */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"

typedef uint64_t usec_t;
#define USEC_INFINITY UINT64_MAX
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)

typedef enum ServiceType {
        SERVICE_SIMPLE,
        SERVICE_EXEC,
        SERVICE_NOTIFY,
        SERVICE_ONESHOT,
        _SERVICE_TYPE_MAX,
        _SERVICE_TYPE_INVALID = -EINVAL,
} ServiceType;

typedef enum RestartPolicy {
        RESTART_NO,
        RESTART_ON_SUCCESS,
        RESTART_ON_FAILURE,
        RESTART_ON_ABNORMAL,
        RESTART_ON_ABORT,
        RESTART_ALWAYS,
        _RESTART_POLICY_MAX,
        _RESTART_POLICY_INVALID = -EINVAL,
} RestartPolicy;

typedef enum OutputKind {
        OUTPUT_LOG,             /* default: the service's log file */
        OUTPUT_JOURNAL,
        OUTPUT_NULL,
        OUTPUT_INHERIT,
        OUTPUT_FILE,            /* file:PATH, truncated */
        OUTPUT_APPEND,          /* append:PATH */
        _OUTPUT_KIND_MAX,
        _OUTPUT_KIND_INVALID = -EINVAL,
} OutputKind;

typedef enum OOMPolicy {
        OOM_STOP,
        OOM_CONTINUE,
        OOM_KILL,
        _OOM_POLICY_MAX,
        _OOM_POLICY_INVALID = -EINVAL,
} OOMPolicy;

typedef enum PrivateUsers {
        PRIVATE_USERS_NO,
        PRIVATE_USERS_SELF,     /* also yes/true */
        PRIVATE_USERS_IDENTITY,
        PRIVATE_USERS_PICK,
        _PRIVATE_USERS_MAX,
        _PRIVATE_USERS_INVALID = -EINVAL,
} PrivateUsers;

typedef enum ProtectControlGroups {
        PROTECT_CGROUPS_NO,
        PROTECT_CGROUPS_YES,     /* read-only /sys/fs/cgroup */
        PROTECT_CGROUPS_PRIVATE, /* cgroup namespace, writable */
        PROTECT_CGROUPS_STRICT,  /* cgroup namespace, read-only */
        _PROTECT_CGROUPS_MAX,
        _PROTECT_CGROUPS_INVALID = -EINVAL,
} ProtectControlGroups;

typedef enum ProtectSystem {
        PROTECT_SYSTEM_NO,
        PROTECT_SYSTEM_YES,
        PROTECT_SYSTEM_FULL,
        PROTECT_SYSTEM_STRICT,
        _PROTECT_SYSTEM_MAX,
        _PROTECT_SYSTEM_INVALID = -EINVAL,
} ProtectSystem;

typedef enum ProtectHome {
        PROTECT_HOME_NO,
        PROTECT_HOME_YES,
        PROTECT_HOME_READ_ONLY,
        PROTECT_HOME_TMPFS,
        _PROTECT_HOME_MAX,
        _PROTECT_HOME_INVALID = -EINVAL,
} ProtectHome;

typedef enum ProtectProc {
        PROTECT_PROC_DEFAULT,           /* no hidepid= */
        PROTECT_PROC_NOACCESS,
        PROTECT_PROC_INVISIBLE,
        PROTECT_PROC_PTRACEABLE,
        _PROTECT_PROC_MAX,
        _PROTECT_PROC_INVALID = -EINVAL,
} ProtectProc;

typedef enum ProcSubset {
        PROC_SUBSET_ALL,
        PROC_SUBSET_PID,
        _PROC_SUBSET_MAX,
        _PROC_SUBSET_INVALID = -EINVAL,
} ProcSubset;

/* A resource value as written: unset, an absolute number, a share of a
 * system total (RAM, pid_max) resolved when applied, or infinity. */
typedef enum LimitKind {
        LIMIT_UNSET,
        LIMIT_VALUE,
        LIMIT_PERCENT,          /* value is in 1/100 of a percent (basis points): 12.5% = 1250 */
        LIMIT_INFINITY,
        _LIMIT_KIND_MAX,
        _LIMIT_KIND_INVALID = -EINVAL,
} LimitKind;

typedef struct ResourceLimit {
        LimitKind kind;
        uint64_t value;
} ResourceLimit;

/* The prefixes of an Exec*= command (systemd.service(5)), for the supervisor
 * that runs it. Any combination is valid except two of '+' '!' '!!'. */
typedef enum ExecCommandFlags {
        /* '-': a failure (non-zero exit, a signal, a missing executable)
         * counts as success: the next command runs, the start goes on. */
        EXEC_COMMAND_IGNORE_FAILURE   = 1 << 0,
        /* ':': argv is used as written; unit_exec_expand() leaves $VAR and
         * ${VAR} alone (specifiers were still expanded at load). */
        EXEC_COMMAND_NO_ENV_EXPAND    = 1 << 1,
        /* '+': runs with full privileges outside the sandbox: in the host's
         * namespaces (no PrivateX=, mounts, network or user namespace), as
         * root with the manager's capabilities and no NoNewPrivileges=,
         * ignoring User=/Group=/SupplementaryGroups=. It is still placed in
         * the service's cgroup (limits, accounting, cgroup.kill apply). */
        EXEC_COMMAND_FULL_PRIVILEGES  = 1 << 2,
        /* '!': the sandbox applies as to any command, but User=, Group= and
         * SupplementaryGroups= do not: the command keeps the manager's
         * credentials (root) inside the namespaces. */
        EXEC_COMMAND_NO_USER_CHANGE   = 1 << 3,
        /* '!!': acts as '!' only on kernels without ambient capabilities
         * (before 4.3). corral requires newer kernels, so, as systemd does
         * there, it changes nothing: User= and AmbientCapabilities= apply.
         * Kept so that the command can be shown as written. */
        EXEC_COMMAND_AMBIENT_FALLBACK = 1 << 4,
} ExecCommandFlags;

typedef struct ExecCommand {
        char *path;             /* the command after the prefixes: absolute ("/./" and "//"
                                 * simplified, ".." kept, as systemd), or looked up in PATH at start */
        char **argv;            /* quoting removed; argv[0] is the command as written or, with
                                 * '@', the second word; $VAR not yet expanded (unit_exec_expand()) */
        ExecCommandFlags flags;
        unsigned line;          /* for messages */
} ExecCommand;

typedef struct EnvironmentFile {
        char *path;
        bool optional;          /* '-' prefix */
} EnvironmentFile;

typedef struct OutputSpec {
        OutputKind kind;
        char *path;             /* for OUTPUT_FILE / OUTPUT_APPEND */
} OutputSpec;

typedef struct UnitRlimit {
        bool set;
        struct rlimit rlim;     /* RLIM_INFINITY for infinity */
} UnitRlimit;

typedef struct BindMount {
        char *source;
        char *destination;      /* == source when not given */
        bool read_only;
        bool ignore_missing;    /* '-' prefix on the source */
        bool recursive;         /* rbind (default) vs norbind */
} BindMount;

typedef struct PathSpec {
        char *path;
        bool ignore_missing;    /* '-' prefix */
} PathSpec;

typedef struct TmpfsMount {
        char *path;
        char *options;          /* mount options after ':', or NULL */
} TmpfsMount;

typedef struct IODeviceValue {
        char *path;             /* resolved to MAJ:MIN by cgroup/ when applied */
        uint64_t value;         /* weight, bytes/s or IOPS */
} IODeviceValue;

/* RuntimeDirectory= StateDirectory= CacheDirectory= LogsDirectory=
 * ConfigurationDirectory=: made below /run /var/lib /var/cache /var/log
 * /etc (exec_directory_base()). */
typedef enum ExecDirectoryType {
        EXEC_DIRECTORY_RUNTIME,
        EXEC_DIRECTORY_STATE,
        EXEC_DIRECTORY_CACHE,
        EXEC_DIRECTORY_LOGS,
        EXEC_DIRECTORY_CONFIGURATION,
        _EXEC_DIRECTORY_TYPE_MAX,
        _EXEC_DIRECTORY_TYPE_INVALID = -EINVAL,
} ExecDirectoryType;

typedef struct ExecDirectory {
        char **paths;           /* relative, normalized ("foo/bar"), no "." or ".." component */
        mode_t mode;            /* ...DirectoryMode=, default 0755 */
} ExecDirectory;

typedef enum RuntimeDirectoryPreserve {
        RUNTIME_DIRECTORY_PRESERVE_NO,
        RUNTIME_DIRECTORY_PRESERVE_YES,
        RUNTIME_DIRECTORY_PRESERVE_RESTART,
        _RUNTIME_DIRECTORY_PRESERVE_MAX,
        _RUNTIME_DIRECTORY_PRESERVE_INVALID = -EINVAL,
} RuntimeDirectoryPreserve;

/* LoadCredential=ID[:PATH] (path set) or SetCredential=ID:VALUE (data). */
typedef struct UnitCredential {
        char *id;               /* a file name: printable ASCII, no '/' or ':', not "." or ".." */
        char *path;             /* absolute, or a credential name looked up in the credential stores */
        char *data;             /* SetCredential=: the value with C escapes undone (may hold NULs) */
        size_t size;
} UnitCredential;

/* systemd's limit on one credential and on all of a service's together. */
#define UNIT_CREDENTIAL_SIZE_MAX (1024U * 1024U)

/* The base directory of t ("/run", "/var/lib", ...), and its key ("RuntimeDirectory")
 * and variable ("RUNTIME_DIRECTORY"). */
const char *exec_directory_base(ExecDirectoryType t);
const char *exec_directory_key(ExecDirectoryType t);
const char *exec_directory_env(ExecDirectoryType t);

typedef struct PortForward {
        int protocol;           /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t host_port;
        uint16_t service_port;  /* == host_port when not given */
} PortForward;

typedef enum DevicePolicy {
        DEVICE_POLICY_AUTO,     /* no DeviceAllow=: every device; else as closed */
        DEVICE_POLICY_CLOSED,   /* DeviceAllow= plus /dev/null, zero, full, random, urandom, tty, ptmx, pts */
        DEVICE_POLICY_STRICT,   /* DeviceAllow= only */
        _DEVICE_POLICY_MAX,
        _DEVICE_POLICY_INVALID = -EINVAL,
} DevicePolicy;

typedef enum DeviceAccess {
        DEVICE_ACCESS_READ  = 1 << 0,
        DEVICE_ACCESS_WRITE = 1 << 1,
        DEVICE_ACCESS_MKNOD = 1 << 2,
        DEVICE_ACCESS_ALL   = (1 << 3) - 1,
} DeviceAccess;

typedef struct DeviceAllow {
        char *path;             /* "/dev/null", or "char-NAME" / "block-NAME" (a glob of /proc/devices names) */
        DeviceAccess access;    /* "" means rwm, as systemd */
} DeviceAllow;

typedef struct IPPrefix {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t addr[16];       /* network byte order; 4 bytes for AF_INET; host bits cleared */
        uint8_t prefixlen;
} IPPrefix;

typedef struct ResourceConfig {
        ResourceLimit memory_max, memory_high, memory_low, memory_min, memory_swap_max;
        uint64_t cpu_quota_per_sec_usec;        /* USEC_INFINITY when unset; CPUQuota=20% -> 200000 */
        usec_t cpu_quota_period_usec;           /* default 100ms */
        uint64_t cpu_weight;                    /* 0 when unset; else 1..10000 */
        bool cpu_idle;                          /* CPUWeight=idle: cpu.idle=1 (cpu_weight is 1) */
        char *allowed_cpus;                     /* normalized "0-3,5", NULL when unset */
        char *allowed_memory_nodes;
        ResourceLimit tasks_max;
        uint64_t io_weight;                     /* 0 when unset; else 1..10000 */
        IODeviceValue *io_device_weight;        size_t n_io_device_weight;
        IODeviceValue *io_read_bandwidth_max;   size_t n_io_read_bandwidth_max;
        IODeviceValue *io_write_bandwidth_max;  size_t n_io_write_bandwidth_max;
        IODeviceValue *io_read_iops_max;        size_t n_io_read_iops_max;
        IODeviceValue *io_write_iops_max;       size_t n_io_write_iops_max;
        /* cgroup BPF (cgroup/cg-bpf.c). PrivateDevices=yes and ProtectClock=yes
         * add to these at load, as systemd does; device_implied says the
         * device program comes from them alone (no DevicePolicy=/DeviceAllow=). */
        DevicePolicy device_policy;
        DeviceAllow *device_allow;              size_t n_device_allow;
        bool device_implied;
        IPPrefix *ip_address_allow;             size_t n_ip_address_allow;
        IPPrefix *ip_address_deny;              size_t n_ip_address_deny;
} ResourceConfig;

/* Whether rc asks for a device program (DevicePolicy= other than auto, or
 * any DeviceAllow=) and for IP programs. */
static inline bool resource_config_wants_devices(const ResourceConfig *rc) {
        return rc->device_policy != DEVICE_POLICY_AUTO || rc->n_device_allow > 0;
}
static inline bool resource_config_wants_ip(const ResourceConfig *rc) {
        return rc->n_ip_address_allow > 0 || rc->n_ip_address_deny > 0;
}

typedef struct NetworkConfig {
        bool virtual_ethernet;
        char *bridge;                   /* NULL: the manager's bridge */
        bool address_auto;              /* default true */
        struct in_addr address;         /* when !address_auto */
        uint8_t address_prefixlen;
        bool gateway_auto;              /* default true */
        struct in_addr gateway;
        PortForward *ports;             size_t n_ports;
} NetworkConfig;

/* SystemCallFilter= actions: a listed call of a deny-list fails with
 * SystemCallErrorNumber= (DEFAULT) or is killed (KILL), or fails with its
 * own errno (NAME:ERRNO); entries of an allow-list are DEFAULT. */
#define SYSCALL_FILTER_ABSENT   INT16_MIN
#define SECCOMP_ERRNO_DEFAULT   (-1)
#define SECCOMP_ERRNO_KILL      (-2)

/* systemd 252's architecture names for SystemCallArchitectures= (bit n of
 * SeccompConfig.architectures = SeccompArch n). */
typedef enum SeccompArch {
        SECCOMP_ARCH_NATIVE,
        SECCOMP_ARCH_X86,
        SECCOMP_ARCH_X86_64,
        SECCOMP_ARCH_X32,
        SECCOMP_ARCH_ARM,
        SECCOMP_ARCH_ARM64,
        SECCOMP_ARCH_MIPS,
        SECCOMP_ARCH_MIPS64,
        SECCOMP_ARCH_MIPS64_N32,
        SECCOMP_ARCH_MIPS_LE,
        SECCOMP_ARCH_MIPS64_LE,
        SECCOMP_ARCH_MIPS64_LE_N32,
        SECCOMP_ARCH_PPC,
        SECCOMP_ARCH_PPC64,
        SECCOMP_ARCH_PPC64_LE,
        SECCOMP_ARCH_RISCV64,
        SECCOMP_ARCH_S390,
        SECCOMP_ARCH_S390X,
        _SECCOMP_ARCH_MAX,
        _SECCOMP_ARCH_INVALID = -EINVAL,
} SeccompArch;

/* The seccomp keys (issue 14), merged across lines and files as systemd
 * 252 merges them (units/unit-keys-seccomp.c). ns/ns-seccomp.c builds the
 * filters from this. All zero: no filter (unit_config_unsandboxed()). */
typedef struct SeccompConfig {
        /* SystemCallFilter=: NULL when unset, else one action per name of
         * unit_syscall_name() (SYSCALL_FILTER_ABSENT: not listed). */
        int16_t *syscall_filter;
        bool syscall_allow_list;
        int syscall_error_number;               /* SECCOMP_ERRNO_KILL (default) or an errno */
        uint32_t architectures;                 /* bit n = SeccompArch n; 0: unset */
        /* RestrictAddressFamilies=: a filter when allow-list or families
         * not empty ("none": an empty allow-list). */
        bool address_families_set;
        bool address_families_allow_list;
        uint64_t address_families;              /* bit n = AF n (AF_MAX < 64) */
        bool restrict_namespaces_set;           /* false: every type allowed, no filter */
        unsigned long restrict_namespaces;      /* the CLONE_NEW* types allowed */
        bool memory_deny_write_execute, lock_personality, restrict_realtime, restrict_suid_sgid;
} SeccompConfig;

/* The names SystemCallFilter= knows: systemd 252's @known, sorted. */
size_t unit_syscall_count(void);
const char *unit_syscall_name(size_t i);
/* Set every member of group NAME ("@clock"; nested groups too) to action
 * in set (unit_syscall_count() entries). -ENOENT: no such group. */
int unit_syscall_group_apply(const char *name, int16_t *set, int16_t action);
const char *unit_seccomp_arch_to_string(SeccompArch a);
/* True when SeccompConfig asks for any filter (with the ProtectClock=,
 * ProtectKernelModules=, ProtectKernelLogs= halves). */
struct UnitConfig;
bool unit_seccomp_wanted(const struct UnitConfig *u);

typedef struct UnitConfig {
        /* identity */
        char *name;                     /* "web", "worker@3"; never with ".service" */
        char *path;                     /* the main unit file (the template's for instances) */
        char **dropin_paths;            /* applied in this order */
        bool is_template;               /* "worker@" itself: loadable, never started */
        char *instance;                 /* "3" for worker@3, else NULL */

        /* [Unit] */
        char *description;
        char **documentation;
        char **after, **requires, **wants;      /* unit names without ".service" */
        /* "FILE:LINE" of the last Requires=/JoinsNamespaceOf= (NULL when
         * unset), for messages about the units they name. */
        char *requires_site, *joins_namespace_of_site;
        usec_t start_limit_interval_usec;       /* default 10s */
        unsigned start_limit_burst;             /* default 5 */
        bool auto_start;                        /* default yes */

        /* [Service] process and supervision */
        ServiceType type;
        ExecCommand *exec_start_pre;    size_t n_exec_start_pre;
        ExecCommand *exec_start;        size_t n_exec_start;   /* exactly 1 unless Type=oneshot */
        ExecCommand *exec_start_post;   size_t n_exec_start_post;
        ExecCommand *exec_stop;         size_t n_exec_stop;
        ExecCommand *exec_reload;       size_t n_exec_reload;   /* ReloadService */
        bool remain_after_exit;                 /* Type=oneshot: active/exited after success */
        RestartPolicy restart;
        usec_t restart_usec;                    /* default 100ms */
        unsigned restart_steps;                 /* 0 = no back-off */
        usec_t restart_max_delay_usec;          /* USEC_INFINITY when unset */
        usec_t timeout_start_usec, timeout_stop_usec;   /* default 10s each */
        int kill_signal;                        /* default SIGTERM */
        int *success_exit_status;       size_t n_success_exit_status;
        int *success_signals;           size_t n_success_signals;
        char **environment;                     /* "KEY=VALUE", later assignments win at use */
        EnvironmentFile *environment_files;     size_t n_environment_files;
        char *working_directory;                /* NULL: "/" (or the user's home with "~") */
        bool working_directory_optional;        /* '-' prefix: a missing directory is not an error */
        char *user, *group;                     /* names or numeric ids, as written */
        char **supplementary_groups;
        int umask;                              /* -1 when unset (0022 applies) */
        bool nice_set;
        int nice;
        bool oom_score_adjust_set;
        int oom_score_adjust;
        UnitRlimit limit_nofile, limit_nproc, limit_core;
        OutputSpec standard_output, standard_error;
        OOMPolicy oom_policy;

        /* [Service] exec attributes (issue 14; units/unit-keys-exec.c) */
        char **unset_environment;               /* UnsetEnvironment=: "NAME" (any value) or
                                                 * "NAME=VALUE" (that exact assignment), removed from
                                                 * the final environment */
        bool ignore_sigpipe;                    /* default true: SIGPIPE is SIG_IGN at execve */
        bool ioprio_set;                        /* IOSchedulingClass=/IOSchedulingPriority= given */
        int ioprio_class;                       /* IOPRIO_CLASS_RT/BE/IDLE (1-3); "none" is BE */
        int ioprio_level;                       /* 0-7, default 4 */
        bool cpu_sched_set;                     /* any CPUScheduling*= given */
        int cpu_sched_policy;                   /* SCHED_OTHER (default), _BATCH, _IDLE, _FIFO, _RR */
        int cpu_sched_priority;                 /* 1-99 for fifo/rr, else 0 (unit_validate()) */
        bool cpu_sched_priority_set;            /* written, for unit_validate()'s message */
        bool cpu_sched_reset_on_fork;
        char *standard_input_file;              /* StandardInput=file:PATH (normalized); NULL: /dev/null */

        /* [Service] namespaces and sandboxing */
        bool private_pids, private_mounts, private_ipc, protect_hostname, private_network;
        char *hostname;                         /* implies protect_hostname */
        bool private_time;
        int64_t time_offset_usec;               /* may be negative */
        PrivateUsers private_users;
        ProtectControlGroups protect_control_groups;
        char *root_directory;
        BindMount *bind_paths;          size_t n_bind_paths;   /* BindPaths= and BindReadOnlyPaths= */
        PathSpec *read_only_paths;      size_t n_read_only_paths;
        PathSpec *read_write_paths;     size_t n_read_write_paths;
        PathSpec *inaccessible_paths;   size_t n_inaccessible_paths;
        TmpfsMount *temporary_file_system;      size_t n_temporary_file_system;
        bool private_tmp, private_devices;
        ProtectSystem protect_system;
        ProtectHome protect_home;
        bool no_new_privileges;
        bool capability_bounding_set_set;
        uint64_t capability_bounding_set;       /* bit n = capability n */
        uint64_t ambient_capabilities;
        char **joins_namespace_of;              /* unit names without ".service" */
        char *network_namespace_path;

        /* [Service] hardening (issue 14). ProtectKernelModules=,
         * ProtectKernelLogs= and ProtectClock= have a syscall half (ns/
         * seccomp) and a mount/capability/device half; both read these. */
        bool protect_kernel_tunables, protect_kernel_modules, protect_kernel_logs, protect_clock;
        SeccompConfig seccomp;
        ProtectProc protect_proc;               /* != default or ProcSubset=pid: a new /proc instance */
        ProcSubset proc_subset;
        ExecDirectory directories[_EXEC_DIRECTORY_TYPE_MAX];
        RuntimeDirectoryPreserve runtime_directory_preserve;
        UnitCredential *load_credentials;       size_t n_load_credentials;     /* one per id, the last wins */
        UnitCredential *set_credentials;        size_t n_set_credentials;      /* one per id, the last wins */

        /* [Service] cgroup v2 resources */
        ResourceConfig resources;

        /* [Network] */
        NetworkConfig network;
} UnitConfig;

typedef struct ManagerConfig {
        char *path;                     /* NULL when the file was absent */
        char *cgroup_root;              /* NULL: auto (delegated cgroup, else corral/) */
        char *runtime_directory;        /* default /run/corral */
        char *log_directory;            /* default /var/log/corral */
        char *service_directory_root;   /* NULL: "/"; a test and packaging aid: RuntimeDirectory= & co.
                                         * are made below it (NsLaunchParams.directory_root) */
        uint64_t log_max_bytes;         /* default 10M */
        unsigned log_keep;              /* default 5 */
        char *admin_group;              /* NULL: root only */
        bool unenforceable_limits_warn; /* default false (refuse) */
        char *bridge;                   /* default corral0 */
        struct in_addr subnet;          /* default 10.89.0.0 */
        uint8_t subnet_prefixlen;       /* default 24 */
} ManagerConfig;

/* Diagnostics collected while loading: every problem, not just the first.
 * Each entry is a finished line, "FILE:LINE: Key: what is wrong". */
typedef struct UnitDiagnostics {
        char **errors;
        char **warnings;
        char **lines;   /* both, in the order to print them (file, line); borrowed */
        size_t n_errors, n_warnings, n_lines;   /* their lengths, kept by units/ */
} UnitDiagnostics;

void unit_diagnostics_done(UnitDiagnostics *d);
/* A copy of s for a message: control characters (C0, DEL, C1) and bytes
 * that are not UTF-8 as \xNN, as every diagnostic already has them. */
char *unit_escape_message(const char *s);

UnitConfig *unit_config_free(UnitConfig *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitConfig *, unit_config_free);
ManagerConfig *manager_config_free(ManagerConfig *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(ManagerConfig *, manager_config_free);

/* The unit as a command with the '+' prefix runs it: outside the sandbox.
 * Fills *ret with u's process settings only (name, type, the command lists,
 * Environment=, User=/Group=/SupplementaryGroups= for $HOME/$USER and
 * WorkingDirectory=~, WorkingDirectory=, UMask=, Nice=, OOMScoreAdjust=,
 * Limit*=); every namespace, mount, capability, credential-dropping and
 * network setting is off, and so is any added later (a list of what to
 * keep, not of what to drop). A shallow copy: its pointers are u's, so u
 * must outlive it, and it is never freed. */
void unit_config_unsandboxed(const UnitConfig *u, UnitConfig *ret);

/* Defaults as the spec gives them (used by the loaders, and by RunTransient). */
int unit_config_new(const char *name, UnitConfig **ret);
int manager_config_new(ManagerConfig **ret);

/* Load one unit file and its drop-ins by path (corralctl verify). Returns 0
 * when valid, -EINVAL when diagnostics hold errors (*ret is then NULL), or
 * another -errno when the file could not be read. */
int unit_load_file(const char *path, UnitConfig **ret, UnitDiagnostics *diags);

/* Find NAME (or an instance NAME@I of a template) in dirs (later dirs win),
 * apply drop-ins from every dir in file-name order, expand specifiers. */
int unit_load(const char *name, char *const *dirs, UnitConfig **ret, UnitDiagnostics *diags);

/* The names of every unit file in dirs (templates included, as "worker@"),
 * sorted, without ".service": entries of kind UNIT_FILE_UNIT that no later
 * dir hides. */
int unit_list_names(char *const *dirs, char ***ret);

/* What a NAME.service entry of a units directory is. */
typedef enum UnitFileKind {
        UNIT_FILE_UNIT,         /* a unit file, or a link to one of the same name */
        UNIT_FILE_ALIAS,        /* a link to another unit's file: its second name */
        UNIT_FILE_MASKED,       /* /dev/null (or a link to it) or an empty file */
        UNIT_FILE_DANGLING,     /* a link to nothing */
        UNIT_FILE_LOOP,         /* links that never end */
        UNIT_FILE_NOT_REGULAR,  /* a directory, FIFO, socket or device */
        UNIT_FILE_BAD_NAME,     /* NAME is not a unit name */
        _UNIT_FILE_KIND_MAX,
        _UNIT_FILE_KIND_INVALID = -EINVAL,
} UnitFileKind;

typedef struct UnitFileEntry {
        char *name;             /* NAME, without .service */
        char *path;             /* DIR/NAME.service */
        char *target;           /* UNIT_FILE_ALIAS: the unit it names (NAME) */
        UnitFileKind kind;
        int error;              /* DANGLING, LOOP: the errno */
        mode_t mode;            /* NOT_REGULAR: the S_IFMT bits */
        size_t dir_index;
        bool shadowed;          /* a later dir has an entry NAME too */
} UnitFileEntry;

/* Every *.service entry of dirs (a missing dir has none), sorted by name
 * and then dir; nothing is opened for reading. */
int unit_dirs_scan(char *const *dirs, UnitFileEntry **ret, size_t *ret_n);
UnitFileEntry *unit_file_entries_free(UnitFileEntry *e, size_t n);

/* A unit from properties (RunTransient): NAME (not a template), the command
 * ARGV (becomes ExecStart=; may be NULL when a property gives ExecStart=),
 * and PROPERTIES as "KEY=VALUE" strings in unit-file syntax, KEY from any
 * section. Validated like a file; the same returns as unit_load_file(). */
int unit_config_from_properties(const char *name, char *const *argv, char *const *properties,
                                UnitConfig **ret, UnitDiagnostics *diags);

/* The same unit as unit-file text (NAME.service, no drop-ins) that
 * unit_load_file() reads back as what unit_config_from_properties() made of
 * NAME, ARGV and PROPERTIES (which it accepted): the argv as the first
 * ExecStart= (exec_command_format_argv()), every property in its key's
 * section in the order given. -EINVAL for a property it would refuse. */
int unit_transient_text(const char *name, char *const *argv, char *const *properties, char **ret);

/* corrald.conf; a missing file is not an error (all defaults). */
int manager_config_load(const char *path, ManagerConfig **ret, UnitDiagnostics *diags);

/* Validate a unit name per the spec; accepts an optional ".service" suffix
 * and returns the bare name in *ret (may be NULL). */
int unit_name_normalize(const char *name, char **ret);

/* Read u's EnvironmentFile= entries, in order, into *env ("K=V", a name
 * already there replaced: later assignments win). An entry is a file or a
 * glob pattern (its matches in sorted order); each file a regular file of
 * at most 1 MiB. A '-' entry that cannot be read or parsed is skipped.
 * Errors: "EnvironmentFile=/etc/x: No such file or directory",
 * "EnvironmentFile=/etc/x: line 3: unterminated double quote". *env may
 * hold part of the assignments after a failure. */
int unit_environment_files_read(const UnitConfig *u, char ***env, CrlError *reterr);

/* UnsetEnvironment=: remove from env ("K=V" strv, changed in place) every
 * assignment of a NAME in unset, and every one equal to a NAME=VALUE there.
 * Applied to the final environment, after everything else set. */
void unit_environment_unset(char *const *unset, char **env);

/* Expand $VAR and ${VAR} in cmd's argv against env ("K=V" strv); with
 * EXEC_COMMAND_NO_ENV_EXPAND a copy of argv. */
int unit_exec_expand(const ExecCommand *cmd, char *const *env, char ***ret_argv);
