/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key table: every key of a unit file, its section, its field in
 * UnitConfig and how its value is parsed. Value syntax lives in
 * unit-value.c; this file decides what an assignment does to the model
 * (append, reset on empty, replace). */
#include <assert.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value.h"

static int key_bool(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int r;

        if (!*v) {
                *FIELD(l, k, bool) = k->def;
                return 0;
        }
        r = parse_boolean(v, e);
        if (r < 0)
                return r;
        *FIELD(l, k, bool) = r;
        return 0;
}

int set_string(char **field, const char *v) {
        char *s = NULL;

        if (*v) {
                s = strdup(v);
                if (!s)
                        return -ENOMEM;
        }
        free(*field);
        *field = s;
        return 0;
}

static int key_string(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        return set_string(FIELD(l, k, char *), v);
}

int check_absolute(const char *v, CrlError *e) {
        if (v[0] != '/')
                return crl_error_set(e, EINVAL, "\"%s\" is not an absolute path (start it with /)", v);
        for (const char *c = v; (c = strstr(c, "..")); c += 2)
                if ((c == v || c[-1] == '/') && (c[2] == '/' || !c[2]))
                        return crl_error_set(e, EINVAL, "\"%s\" contains \"..\" (use a path without it)", v);
        return 0;
}

static int key_path(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        if (*v && check_absolute(v, e) < 0)
                return -EINVAL;
        return set_string(FIELD(l, k, char *), v);
}

static int key_working_directory(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        bool optional = v[0] == '-';
        const char *p = v + optional;

        if (*v && !streq(p, "~") && p[0] != '/')
                return crl_error_set(e, EINVAL, "\"%s\" is not an absolute path or \"~\" (with an optional '-' prefix)", v);
        if (*v && p[0] == '/' && check_absolute(p, e) < 0)
                return -EINVAL;
        l->unit->working_directory_optional = optional;
        return set_string(FIELD(l, k, char *), p);
}

static int key_time(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        usec_t t = k->def;

        if (*v && parse_time_span(v, &t, e) < 0)
                return -EINVAL;
        *FIELD(l, k, usec_t) = t;
        return 0;
}

static int key_timeout(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        usec_t t = k->def;

        if (*v && parse_time_span(v, &t, e) < 0)
                return -EINVAL;
        l->unit->timeout_start_usec = l->unit->timeout_stop_usec = t;
        return 0;
}

static int key_unsigned(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        long n = k->def;

        if (*v && parse_int_range(v, k->min, k->max, &n, e) < 0)
                return -EINVAL;
        *FIELD(l, k, unsigned) = n;
        return 0;
}

static int key_uint64(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        long n = k->def;

        if (*v && parse_int_range(v, k->min, k->max, &n, e) < 0)
                return -EINVAL;
        *FIELD(l, k, uint64_t) = n;
        return 0;
}

static int key_nice(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        long n = 0;

        if (*v && parse_int_range(v, k->min, k->max, &n, e) < 0)
                return -EINVAL;
        l->unit->nice_set = *v;
        l->unit->nice = n;
        return 0;
}

static int key_oom_score_adjust(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        long n = 0;

        if (*v && parse_int_range(v, k->min, k->max, &n, e) < 0)
                return -EINVAL;
        l->unit->oom_score_adjust_set = *v;
        l->unit->oom_score_adjust = n;
        return 0;
}

static int key_umask(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int m = -1;

        if (*v && parse_umask(v, &m, e) < 0)
                return -EINVAL;
        l->unit->umask = m;
        return 0;
}

/* k->def: 1 when 0 is refused (MemoryMax=, MemoryHigh=: systemd says "out of
 * range"; a limit of nothing is a typo, not a service), 0 when it is fine. */
static int key_memory(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        ResourceLimit lim = { LIMIT_UNSET, 0 };

        if (*v && parse_size(v, true, true, &lim, e) < 0)
                return -EINVAL;
        if (k->def && lim.kind != LIMIT_INFINITY && lim.kind != LIMIT_UNSET && lim.value == 0)
                return crl_error_set(e, EINVAL, "\"%s\" allows no memory at all (use a size above 0, "
                                     "a percentage above 0%%, or infinity)", v);
        *FIELD(l, k, ResourceLimit) = lim;
        return 0;
}

/* CPUWeight=: 1..10000 or "idle" (systemd 252: the cgroup's cpu.idle=1; we
 * also keep the lowest weight, which is what applies until cpu.idle is). */
static int key_cpu_weight(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        ResourceConfig *rc = &l->unit->resources;
        CrlError ignored = {};
        long n = 0;

        if (streq(v, "idle")) {
                rc->cpu_weight = 1;
                rc->cpu_idle = true;
                return 0;
        }
        if (*v && parse_int_range(v, LONG_MIN, LONG_MAX, &n, &ignored) < 0)
                return crl_error_set(e, EINVAL, "\"%s\" is not a weight (an integer from 1 to 10000, or idle)", v);
        if (*v && (n < k->min || n > k->max))
                return crl_error_set(e, EINVAL, "\"%s\" is out of range (1-10000, or idle)", v);
        rc->cpu_weight = (uint64_t) n;
        rc->cpu_idle = false;
        return 0;
}

static int key_tasks_max(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        ResourceLimit lim = { LIMIT_UNSET, 0 };

        if (*v && parse_tasks_max(v, &lim, e) < 0)
                return -EINVAL;
        *FIELD(l, k, ResourceLimit) = lim;
        return 0;
}

static int key_cpu_quota(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        uint64_t bp;

        if (!*v) {
                l->unit->resources.cpu_quota_per_sec_usec = USEC_INFINITY;
                return 0;
        }
        if (parse_percent(v, &bp, e) < 0)
                return -EINVAL;
        if (bp == 0)
                return crl_error_set(e, EINVAL, "\"%s\" is not above 0%% (use e.g. 20%%, or 150%% for more than one CPU)", v);
        /* basis points of one CPU -> µs of CPU time per second */
        l->unit->resources.cpu_quota_per_sec_usec = bp * (USEC_PER_SEC / 10000);
        return 0;
}

static int key_cpu_set(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        char *s = NULL;

        if (*v && parse_cpu_set(v, &s, e) < 0)
                return -EINVAL;
        free(*FIELD(l, k, char *));
        *FIELD(l, k, char *) = s;
        return 0;
}

static int key_signal(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int sig = k->def;

        if (*v && parse_signal(v, &sig, e) < 0)
                return -EINVAL;
        *FIELD(l, k, int) = sig;
        return 0;
}

static int key_time_offset(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int64_t t = 0;

        if (*v && parse_time_span_signed(v, &t, e) < 0)
                return -EINVAL;
        l->unit->time_offset_usec = t;
        return 0;
}

/* k->def: 0 plain numbers (LimitNOFILE=), 1 sizes (LimitCORE=, as systemd). */
static int key_rlimit(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitRlimit rl = {};

        if (*v) {
                if ((k->def ? parse_rlimit_size : parse_rlimit)(v, &rl.rlim, e) < 0)
                        return -EINVAL;
                rl.set = true;
        }
        *FIELD(l, k, UnitRlimit) = rl;
        return 0;
}

/* systemd's outputs that corral has no target for, mapped onto the nearest
 * one corral has, with what differs (a warning). */
static const struct {
        const char *name;
        OutputKind kind;
        const char *note;
} output_mapped[] = {
        { "journal+console", OUTPUT_JOURNAL, "journal+console: corral writes to the journal only, ignoring +console" },
        { "kmsg", OUTPUT_JOURNAL, "kmsg: corral writes to the journal instead of the kernel log buffer, ignoring" },
        { "kmsg+console", OUTPUT_JOURNAL,
          "kmsg+console: corral writes to the journal instead of the kernel log buffer and the console, ignoring" },
        { "syslog", OUTPUT_JOURNAL, "syslog is obsolete, using journal (as systemd does), ignoring" },
        { "syslog+console", OUTPUT_JOURNAL,
          "syslog+console is obsolete, using journal (corral has no console copy), ignoring" },
        { "tty", OUTPUT_LOG, "tty: corral has no TTYPath=, writing to the service's log file instead, ignoring" },
};

static int key_output(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        OutputSpec *o = FIELD(l, k, OutputSpec), n = { OUTPUT_LOG, NULL };

        for (size_t i = 0; i < ELEMENTSOF(output_mapped); i++)
                if (streq(v, output_mapped[i].name)) {
                        free(o->path);
                        *o = (OutputSpec) { .kind = output_mapped[i].kind };
                        return diag_add(l->diags, false, l->file, l->line, k->name, "%s", output_mapped[i].note);
                }
        if (*v && parse_output_spec(v, &n, e) < 0)
                return -EINVAL;
        free(o->path);
        *o = n;
        return 0;
}

/* Type=idle is simple with a delay until systemd's job queue is empty (at
 * most 5 s, for tidy console output); corral has no job queue. */
static int key_type(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int t = k->def;

        if (streq(v, "idle")) {
                l->unit->type = SERVICE_SIMPLE;
                return diag_add(l->diags, false, l->file, l->line, k->name,
                                "idle runs as simple (corral has no job queue to wait for), ignoring the delay");
        }
        if (*v) {
                t = service_type_from_string(v, e);
                if (t < 0)
                        return t;
        }
        l->unit->type = (ServiceType) t;
        return 0;
}

/* Keys of systemd's own machinery (jobs, isolation, default dependencies,
 * slices, mount units): accepted, one warning per key and unit. */
static int key_ignored(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        const KeySite *s = &l->sites[unit_key_index(k)];

        if (s->file || s->line)
                return 0;
        return diag_add(l->diags, false, l->file, l->line, k->name, "systemd-only key, no meaning for corral, ignoring");
}

static int key_user(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        if (*v && parse_user_or_group_name(v, e) < 0)
                return -EINVAL;
        return set_string(FIELD(l, k, char *), v);
}

#define DEFINE_KEY_ENUM(fname, type, parser)                                            \
        static int fname(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) { \
                int x = k->def;                                                         \
                if (*v) {                                                               \
                        x = parser(v, e);                                               \
                        if (x < 0)                                                      \
                                return x;                                               \
                }                                                                       \
                *FIELD(l, k, type) = (type) x;                                          \
                return 0;                                                               \
        }

DEFINE_KEY_ENUM(key_restart, RestartPolicy, restart_policy_from_string)
DEFINE_KEY_ENUM(key_oom_policy, OOMPolicy, oom_policy_from_string)
DEFINE_KEY_ENUM(key_private_users, PrivateUsers, private_users_from_string)
DEFINE_KEY_ENUM(key_protect_cgroups, ProtectControlGroups, protect_control_groups_from_string)
DEFINE_KEY_ENUM(key_protect_system, ProtectSystem, protect_system_from_string)
DEFINE_KEY_ENUM(key_protect_home, ProtectHome, protect_home_from_string)
DEFINE_KEY_ENUM(key_protect_proc, ProtectProc, protect_proc_from_string)
DEFINE_KEY_ENUM(key_proc_subset, ProcSubset, proc_subset_from_string)
DEFINE_KEY_ENUM(key_runtime_preserve, RuntimeDirectoryPreserve, runtime_directory_preserve_from_string)

static const UnitKey unit_keys[] = {
#define K(sec, key, fn, field, ...) \
        { .section = sec, .name = key, .parse = fn, .offset = offsetof(UnitConfig, field), \
          .size = sizeof(((UnitConfig *) 0)->field), __VA_ARGS__ }
#define KN(sec, key, fn, field, nfield, ...) \
        { .section = sec, .name = key, .parse = fn, .offset = offsetof(UnitConfig, field), \
          .size = sizeof(((UnitConfig *) 0)->field), .offset_n = offsetof(UnitConfig, nfield), __VA_ARGS__ }
#define KI(sec, key) { .section = sec, .name = key, .parse = key_ignored }
        /* [Unit] */
        K("Unit", "Description", key_string, description, .flags = KEY_SPECIFIERS),
        K("Unit", "Documentation", key_documentation, documentation, .flags = KEY_SPECIFIERS),
        K("Unit", "After", key_unit_refs, after, .flags = KEY_SPECIFIERS),
        K("Unit", "Requires", key_unit_refs, requires, .flags = KEY_SPECIFIERS),
        K("Unit", "Wants", key_unit_refs, wants, .flags = KEY_SPECIFIERS),
        K("Unit", "StartLimitIntervalSec", key_time, start_limit_interval_usec, .def = 10 * USEC_PER_SEC),
        /* the old name; systemd 252 takes it (not ...Sec=) and the burst in [Service] too */
        K("Unit", "StartLimitInterval", key_time, start_limit_interval_usec, .def = 10 * USEC_PER_SEC, .also = "Service"),
        K("Unit", "StartLimitBurst", key_unsigned, start_limit_burst, .min = 0, .max = 1000000, .def = 5, .also = "Service"),
        K("Unit", "AutoStart", key_bool, auto_start, .def = true),
        K("Unit", "JoinsNamespaceOf", key_unit_refs, joins_namespace_of, .flags = KEY_SPECIFIERS, .also = "Service"),
        /* [Service]: process and supervision */
        KN("Service", "ExecStart", key_exec, exec_start, n_exec_start, .flags = KEY_SPECIFIERS),
        KN("Service", "ExecStartPre", key_exec, exec_start_pre, n_exec_start_pre, .flags = KEY_SPECIFIERS),
        KN("Service", "ExecStartPost", key_exec, exec_start_post, n_exec_start_post, .flags = KEY_SPECIFIERS),
        KN("Service", "ExecStop", key_exec, exec_stop, n_exec_stop, .flags = KEY_SPECIFIERS),
        KN("Service", "ExecReload", key_exec, exec_reload, n_exec_reload, .flags = KEY_SPECIFIERS),
        K("Service", "RemainAfterExit", key_bool, remain_after_exit),
        K("Service", "Type", key_type, type, .def = SERVICE_SIMPLE),
        K("Service", "Restart", key_restart, restart, .def = RESTART_NO),
        K("Service", "RestartSec", key_time, restart_usec, .def = 100 * USEC_PER_MSEC),
        K("Service", "RestartSteps", key_unsigned, restart_steps, .min = 0, .max = 3000),
        K("Service", "RestartMaxDelaySec", key_time, restart_max_delay_usec, .def = USEC_INFINITY),
        K("Service", "TimeoutStartSec", key_time, timeout_start_usec, .def = 10 * USEC_PER_SEC),
        K("Service", "TimeoutStopSec", key_time, timeout_stop_usec, .def = 10 * USEC_PER_SEC),
        K("Service", "TimeoutSec", key_timeout, timeout_start_usec, .def = 10 * USEC_PER_SEC),
        K("Service", "KillSignal", key_signal, kill_signal, .def = SIGTERM),
        K("Service", "SuccessExitStatus", key_success_exit_status, success_exit_status),
        K("Service", "Environment", key_environment, environment, .flags = KEY_SPECIFIERS),
        KN("Service", "EnvironmentFile", key_environment_file, environment_files, n_environment_files, .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "WorkingDirectory", key_working_directory, working_directory, .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "User", key_user, user, .flags = KEY_SPECIFIERS),
        K("Service", "Group", key_user, group, .flags = KEY_SPECIFIERS),
        K("Service", "SupplementaryGroups", key_groups, supplementary_groups, .flags = KEY_SPECIFIERS),
        K("Service", "UMask", key_umask, umask),
        K("Service", "Nice", key_nice, nice, .min = -20, .max = 19),
        K("Service", "OOMScoreAdjust", key_oom_score_adjust, oom_score_adjust, .min = -1000, .max = 1000),
        K("Service", "LimitNOFILE", key_rlimit, limit_nofile),
        K("Service", "LimitNPROC", key_rlimit, limit_nproc),
        K("Service", "LimitCORE", key_rlimit, limit_core, .def = 1),
        K("Service", "StandardOutput", key_output, standard_output, .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "StandardError", key_output, standard_error, .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "OOMPolicy", key_oom_policy, oom_policy, .def = OOM_STOP),
        K("Service", "UnsetEnvironment", key_unset_environment, unset_environment, .flags = KEY_SPECIFIERS),
        K("Service", "IgnoreSIGPIPE", key_bool, ignore_sigpipe, .def = true),
        K("Service", "IOSchedulingClass", key_io_class, ioprio_class),
        K("Service", "IOSchedulingPriority", key_io_priority, ioprio_level),
        K("Service", "CPUSchedulingPolicy", key_cpu_policy, cpu_sched_policy),
        K("Service", "CPUSchedulingPriority", key_cpu_priority, cpu_sched_priority),
        K("Service", "CPUSchedulingResetOnFork", key_cpu_reset_on_fork, cpu_sched_reset_on_fork),
        K("Service", "StandardInput", key_standard_input, standard_input_file, .flags = KEY_SPECIFIERS | KEY_PATH),
        /* [Service]: namespaces and sandboxing */
        K("Service", "PrivatePIDs", key_bool, private_pids),
        K("Service", "PrivateMounts", key_bool, private_mounts),
        K("Service", "PrivateIPC", key_bool, private_ipc),
        K("Service", "ProtectHostname", key_bool, protect_hostname),
        K("Service", "Hostname", key_hostname, hostname, .flags = KEY_SPECIFIERS),
        K("Service", "PrivateNetwork", key_bool, private_network),
        K("Service", "PrivateTime", key_bool, private_time),
        K("Service", "TimeOffsetSec", key_time_offset, time_offset_usec),
        K("Service", "PrivateUsers", key_private_users, private_users, .def = PRIVATE_USERS_NO),
        K("Service", "ProtectControlGroups", key_protect_cgroups, protect_control_groups, .def = PROTECT_CGROUPS_NO),
        K("Service", "RootDirectory", key_path, root_directory, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "BindPaths", key_bind_paths, bind_paths, n_bind_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "BindReadOnlyPaths", key_bind_paths, bind_paths, n_bind_paths, .flags = KEY_SPECIFIERS | KEY_PATH, .def = true),
        KN("Service", "ReadOnlyPaths", key_path_specs, read_only_paths, n_read_only_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "ReadWritePaths", key_path_specs, read_write_paths, n_read_write_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "InaccessiblePaths", key_path_specs, inaccessible_paths, n_inaccessible_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        /* the old names of the three above, as systemd still reads them */
        KN("Service", "ReadOnlyDirectories", key_path_specs, read_only_paths, n_read_only_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "ReadWriteDirectories", key_path_specs, read_write_paths, n_read_write_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "InaccessibleDirectories", key_path_specs, inaccessible_paths, n_inaccessible_paths, .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "TemporaryFileSystem", key_tmpfs, temporary_file_system, n_temporary_file_system, .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "PrivateTmp", key_bool, private_tmp),
        K("Service", "PrivateDevices", key_bool, private_devices),
        K("Service", "ProtectSystem", key_protect_system, protect_system, .def = PROTECT_SYSTEM_NO),
        K("Service", "ProtectHome", key_protect_home, protect_home, .def = PROTECT_HOME_NO),
        K("Service", "NoNewPrivileges", key_bool, no_new_privileges),
        K("Service", "CapabilityBoundingSet", key_bounding_set, capability_bounding_set),
        K("Service", "AmbientCapabilities", key_ambient_caps, ambient_capabilities),
        K("Service", "NetworkNamespacePath", key_path, network_namespace_path, .flags = KEY_SPECIFIERS | KEY_PATH),
        /* [Service]: hardening */
        K("Service", "ProtectKernelTunables", key_bool, protect_kernel_tunables),
        K("Service", "ProtectKernelModules", key_bool, protect_kernel_modules),
        K("Service", "ProtectKernelLogs", key_bool, protect_kernel_logs),
        K("Service", "ProtectClock", key_bool, protect_clock),
        K("Service", "SystemCallFilter", key_syscall_filter, seccomp.syscall_filter),
        K("Service", "SystemCallErrorNumber", key_syscall_error_number, seccomp.syscall_error_number),
        K("Service", "SystemCallArchitectures", key_syscall_architectures, seccomp.architectures),
        K("Service", "RestrictAddressFamilies", key_restrict_address_families, seccomp.address_families),
        K("Service", "RestrictNamespaces", key_restrict_namespaces, seccomp.restrict_namespaces),
        K("Service", "MemoryDenyWriteExecute", key_bool, seccomp.memory_deny_write_execute),
        K("Service", "LockPersonality", key_bool, seccomp.lock_personality),
        K("Service", "RestrictRealtime", key_bool, seccomp.restrict_realtime),
        K("Service", "RestrictSUIDSGID", key_bool, seccomp.restrict_suid_sgid),
        K("Service", "ProtectProc", key_protect_proc, protect_proc, .def = PROTECT_PROC_DEFAULT),
        K("Service", "ProcSubset", key_proc_subset, proc_subset, .def = PROC_SUBSET_ALL),
        K("Service", "RuntimeDirectory", key_exec_directory, directories[EXEC_DIRECTORY_RUNTIME].paths,
          .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "RuntimeDirectoryMode", key_dir_mode, directories[EXEC_DIRECTORY_RUNTIME].mode,
          .def = 0755),
        K("Service", "StateDirectory", key_exec_directory, directories[EXEC_DIRECTORY_STATE].paths,
          .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "StateDirectoryMode", key_dir_mode, directories[EXEC_DIRECTORY_STATE].mode,
          .def = 0755),
        K("Service", "CacheDirectory", key_exec_directory, directories[EXEC_DIRECTORY_CACHE].paths,
          .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "CacheDirectoryMode", key_dir_mode, directories[EXEC_DIRECTORY_CACHE].mode,
          .def = 0755),
        K("Service", "LogsDirectory", key_exec_directory, directories[EXEC_DIRECTORY_LOGS].paths,
          .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "LogsDirectoryMode", key_dir_mode, directories[EXEC_DIRECTORY_LOGS].mode,
          .def = 0755),
        K("Service", "ConfigurationDirectory", key_exec_directory, directories[EXEC_DIRECTORY_CONFIGURATION].paths,
          .flags = KEY_SPECIFIERS | KEY_PATH),
        K("Service", "ConfigurationDirectoryMode", key_dir_mode, directories[EXEC_DIRECTORY_CONFIGURATION].mode,
          .def = 0755),
        K("Service", "RuntimeDirectoryPreserve", key_runtime_preserve, runtime_directory_preserve,
          .def = RUNTIME_DIRECTORY_PRESERVE_NO),
        KN("Service", "LoadCredential", key_credential, load_credentials, n_load_credentials,
           .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "SetCredential", key_credential, set_credentials, n_set_credentials,
           .flags = KEY_SPECIFIERS, .def = 1),
        /* [Service]: cgroup v2 resources */
        K("Service", "MemoryMax", key_memory, resources.memory_max, .def = 1),
        K("Service", "MemoryHigh", key_memory, resources.memory_high, .def = 1),
        K("Service", "MemoryLow", key_memory, resources.memory_low),
        K("Service", "MemoryMin", key_memory, resources.memory_min),
        K("Service", "MemorySwapMax", key_memory, resources.memory_swap_max),
        K("Service", "CPUQuota", key_cpu_quota, resources.cpu_quota_per_sec_usec),
        K("Service", "CPUQuotaPeriodSec", key_time, resources.cpu_quota_period_usec, .def = 100 * USEC_PER_MSEC),
        K("Service", "CPUWeight", key_cpu_weight, resources.cpu_weight, .min = 1, .max = 10000),
        K("Service", "AllowedCPUs", key_cpu_set, resources.allowed_cpus),
        K("Service", "AllowedMemoryNodes", key_cpu_set, resources.allowed_memory_nodes),
        K("Service", "TasksMax", key_tasks_max, resources.tasks_max),
        K("Service", "IOWeight", key_uint64, resources.io_weight, .min = 1, .max = 10000),
        KN("Service", "IODeviceWeight", key_io_device, resources.io_device_weight,
           resources.n_io_device_weight, .flags = KEY_SPECIFIERS | KEY_PATH, .def = IO_VALUE_WEIGHT),
        KN("Service", "IOReadBandwidthMax", key_io_device, resources.io_read_bandwidth_max,
           resources.n_io_read_bandwidth_max, .flags = KEY_SPECIFIERS | KEY_PATH, .def = IO_VALUE_BYTES),
        KN("Service", "IOWriteBandwidthMax", key_io_device, resources.io_write_bandwidth_max,
           resources.n_io_write_bandwidth_max, .flags = KEY_SPECIFIERS | KEY_PATH, .def = IO_VALUE_BYTES),
        KN("Service", "IOReadIOPSMax", key_io_device, resources.io_read_iops_max,
           resources.n_io_read_iops_max, .flags = KEY_SPECIFIERS | KEY_PATH, .def = IO_VALUE_IOPS),
        KN("Service", "IOWriteIOPSMax", key_io_device, resources.io_write_iops_max,
           resources.n_io_write_iops_max, .flags = KEY_SPECIFIERS | KEY_PATH, .def = IO_VALUE_IOPS),
        /* [Service]: cgroup BPF */
        K("Service", "DevicePolicy", key_device_policy, resources.device_policy),
        KN("Service", "DeviceAllow", key_device_allow, resources.device_allow, resources.n_device_allow,
           .flags = KEY_SPECIFIERS | KEY_PATH),
        KN("Service", "IPAddressAllow", key_ip_address, resources.ip_address_allow, resources.n_ip_address_allow),
        KN("Service", "IPAddressDeny", key_ip_address, resources.ip_address_deny, resources.n_ip_address_deny),
        /* systemd-only keys with no meaning for corral (docs/design.md) */
        KI("Unit", "DefaultDependencies"),
        KI("Unit", "IgnoreOnIsolate"),
        KI("Unit", "AllowIsolate"),
        KI("Unit", "CollectMode"),
        KI("Unit", "JobTimeoutSec"),
        KI("Unit", "JobRunningTimeoutSec"),
        KI("Unit", "JobTimeoutAction"),
        KI("Unit", "JobTimeoutRebootArgument"),
        KI("Unit", "OnFailureJobMode"),
        KI("Unit", "RequiresMountsFor"),
        KI("Unit", "SourcePath"),
        KI("Service", "Slice"),
        KI("Service", "GuessMainPID"),
        /* [Network] */
        K("Network", "VirtualEthernet", key_bool, network.virtual_ethernet),
        K("Network", "Bridge", key_bridge, network.bridge, .flags = KEY_SPECIFIERS),
        K("Network", "Address", key_address, network.address),
        K("Network", "Gateway", key_gateway, network.gateway),
        KN("Network", "Port", key_port, network.ports, network.n_ports),
#undef K
#undef KN
#undef KI
};

_Static_assert(ELEMENTSOF(unit_keys) <= UNIT_KEYS_MAX, "raise UNIT_KEYS_MAX");

static bool key_in_section(const UnitKey *k, const char *section) {
        return streq(k->section, section) || (k->also && streq(k->also, section));
}

const UnitKey *unit_key_lookup(const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(unit_keys); i++)
                if (streq(unit_keys[i].name, name) && (!section || key_in_section(&unit_keys[i], section)))
                        return &unit_keys[i];
        return NULL;
}

size_t unit_key_index(const UnitKey *k) {
        return k - unit_keys;
}

const UnitKey *unit_key_suggest(const char *section, const char *name) {
        const UnitKey *k = unit_key_lookup(NULL, name);

        if (k)
                return k;
        for (size_t i = 0; i < ELEMENTSOF(unit_keys); i++)
                if (strcasecmp(unit_keys[i].name, name) == 0)
                        return &unit_keys[i];
        return NULL;
}

bool unit_section_known(const char *section) {
        return streq(section, "Unit") || streq(section, "Service") ||
               streq(section, "Network") || streq(section, "Install");
}

const KeySite *unit_loader_site(const UnitLoader *l, const char *name) {
        const UnitKey *k = unit_key_lookup(NULL, name);

        assert(k);
        return &l->sites[unit_key_index(k)];
}

/* How an expansion must go into the value for the key's parser to read it
 * as written: systemd expands after splitting words and unquoting. */
static SpecifierMode key_specifier_mode(const UnitKey *k) {
        if (k->parse == key_unit_refs)
                return SPECIFIER_ONE_WORD;
        if (k->parse == key_exec || k->parse == key_environment || k->parse == key_documentation ||
            k->parse == key_groups || k->parse == key_bind_paths || k->parse == key_path_specs ||
            k->parse == key_tmpfs || k->parse == key_io_device || k->parse == key_unset_environment ||
            k->parse == key_device_allow ||
            k->parse == key_exec_directory)
                return SPECIFIER_ESCAPE;
        return SPECIFIER_RAW;
}

/* systemd simplifies "/tmp/." to "/tmp", so a specifier that makes a path
 * component "." or ".." (".%i" with an empty %i) would widen what a path key
 * covers; refuse it. Components end at '/', ':', whitespace and quotes;
 * no expansion that a component can hold contains them, so each one can be
 * expanded alone. */
static int check_path_specifiers(UnitLoader *l, const char *raw, const char *expanded, CrlError *e) {
        static const char sep[] = "/:\"' \t\n\r";

        for (const char *c = raw + strspn(raw, sep); *c; ) {
                size_t n = strcspn(c, sep);
                _cleanup_free_ char *word = NULL, *x = NULL;
                int r;

                if (memchr(c, '%', n)) {
                        word = strndup(c, n);
                        if (!word)
                                return -ENOMEM;
                        r = specifiers_expand(word, &l->spec, SPECIFIER_RAW, &x, e);
                        if (r < 0)
                                return r;
                        if (streq(x, ".") || streq(x, ".."))
                                return crl_error_set(e, EINVAL,
                                                     "\"%s\" becomes \"%s\" after specifier expansion; "
                                                     "\"%s\" must not expand to a \".\" or \"..\" path component",
                                                     raw, expanded, word);
                }
                c += n;
                c += strspn(c, sep);
        }
        return 0;
}

int unit_key_apply(UnitLoader *l, const UnitKey *k, unsigned line, const char *value) {
        _cleanup_free_ char *expanded = NULL;
        CrlError e = {};
        int r = 0;

        l->line = line;
        if (k->flags & KEY_SPECIFIERS) {
                r = specifiers_expand(value, &l->spec, key_specifier_mode(k), &expanded, &e);
                if (r >= 0 && (k->flags & KEY_PATH))
                        r = check_path_specifiers(l, value, expanded, &e);
                /* Only a value written empty resets: "ReadOnlyPaths=%i" in a
                 * plain unit must not clear the list (systemd, too, decides
                 * on the value as written). */
                if (r >= 0 && *value && !*expanded)
                        r = crl_error_set(&e, EINVAL, "\"%s\" is empty after specifier expansion "
                                          "(only an empty assignment resets a key; write \"%s=\" for that)",
                                          value, k->name);
                if (r >= 0)
                        value = expanded;
        }
        if (r >= 0)
                r = k->parse(l, k, value, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                l->rejected[unit_key_index(k)] = true;
                return diag_add(l->diags, true, l->file, line, k->name, "%s",
                                crl_error_isset(&e) ? e.message : "invalid value");
        }
        l->sites[unit_key_index(k)] = (KeySite) { *value ? l->file : NULL, line };
        if (*value && !l->file)
                l->sites[unit_key_index(k)].file = "";
        return 0;
}
