/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <signal.h>
#include <string.h>

#include "strv.h"
#include "unit-load-internal.h"

void unit_diagnostics_done(UnitDiagnostics *d) {
        if (!d)
                return;
        d->errors = strv_free(d->errors);
        d->warnings = strv_free(d->warnings);
        d->lines = mfree(d->lines);     /* the strings were errors' and warnings' */
        d->n_errors = d->n_warnings = d->n_lines = 0;
}

static void exec_commands_free(ExecCommand *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].path);
                strv_free(c[i].argv);
        }
        free(c);
}

static void io_values_free(IODeviceValue *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
}

static void path_specs_free(PathSpec *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(p[i].path);
        free(p);
}

static void resources_done(ResourceConfig *r) {
        free(r->allowed_cpus);
        free(r->allowed_memory_nodes);
        io_values_free(r->io_device_weight, r->n_io_device_weight);
        io_values_free(r->io_read_bandwidth_max, r->n_io_read_bandwidth_max);
        io_values_free(r->io_write_bandwidth_max, r->n_io_write_bandwidth_max);
        io_values_free(r->io_read_iops_max, r->n_io_read_iops_max);
        io_values_free(r->io_write_iops_max, r->n_io_write_iops_max);
        for (size_t i = 0; i < r->n_device_allow; i++)
                free(r->device_allow[i].path);
        free(r->device_allow);
        free(r->ip_address_allow);
        free(r->ip_address_deny);
}

static void credentials_free(UnitCredential *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].id);
                free(c[i].path);
                free(c[i].data);
        }
        free(c);
}

static void sandbox_done(UnitConfig *u) {
        free(u->hostname);
        free(u->root_directory);
        for (size_t i = 0; i < u->n_bind_paths; i++) {
                free(u->bind_paths[i].source);
                free(u->bind_paths[i].destination);
        }
        free(u->bind_paths);
        path_specs_free(u->read_only_paths, u->n_read_only_paths);
        path_specs_free(u->read_write_paths, u->n_read_write_paths);
        path_specs_free(u->inaccessible_paths, u->n_inaccessible_paths);
        for (size_t i = 0; i < u->n_temporary_file_system; i++) {
                free(u->temporary_file_system[i].path);
                free(u->temporary_file_system[i].options);
        }
        free(u->temporary_file_system);
        strv_free(u->joins_namespace_of);
        free(u->network_namespace_path);
        free(u->seccomp.syscall_filter);
        for (size_t t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++)
                strv_free(u->directories[t].paths);
        credentials_free(u->load_credentials, u->n_load_credentials);
        credentials_free(u->set_credentials, u->n_set_credentials);
}

UnitConfig *unit_config_free(UnitConfig *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->path);
        strv_free(u->dropin_paths);
        free(u->instance);
        free(u->description);
        strv_free(u->documentation);
        strv_free(u->after);
        strv_free(u->requires);
        free(u->requires_site);
        free(u->joins_namespace_of_site);
        strv_free(u->wants);
        exec_commands_free(u->exec_start_pre, u->n_exec_start_pre);
        exec_commands_free(u->exec_start, u->n_exec_start);
        exec_commands_free(u->exec_start_post, u->n_exec_start_post);
        exec_commands_free(u->exec_stop, u->n_exec_stop);
        exec_commands_free(u->exec_reload, u->n_exec_reload);
        free(u->success_exit_status);
        free(u->success_signals);
        strv_free(u->environment);
        for (size_t i = 0; i < u->n_environment_files; i++)
                free(u->environment_files[i].path);
        free(u->environment_files);
        free(u->working_directory);
        free(u->user);
        free(u->group);
        strv_free(u->supplementary_groups);
        free(u->standard_output.path);
        free(u->standard_error.path);
        strv_free(u->unset_environment);
        free(u->standard_input_file);
        sandbox_done(u);
        resources_done(&u->resources);
        free(u->network.bridge);
        free(u->network.ports);
        free(u);
        return NULL;
}

void unit_config_unsandboxed(const UnitConfig *u, UnitConfig *ret) {
        *ret = (UnitConfig) {
                .name = u->name,
                .path = u->path,
                .instance = u->instance,
                .type = u->type,
                .exec_start_pre = u->exec_start_pre,            .n_exec_start_pre = u->n_exec_start_pre,
                .exec_start = u->exec_start,                    .n_exec_start = u->n_exec_start,
                .exec_start_post = u->exec_start_post,          .n_exec_start_post = u->n_exec_start_post,
                .exec_stop = u->exec_stop,                      .n_exec_stop = u->n_exec_stop,
                .exec_reload = u->exec_reload,                  .n_exec_reload = u->n_exec_reload,
                .environment = u->environment,
                .environment_files = u->environment_files,      .n_environment_files = u->n_environment_files,
                .working_directory = u->working_directory,
                .working_directory_optional = u->working_directory_optional,
                .user = u->user,
                .group = u->group,
                .supplementary_groups = u->supplementary_groups,
                .umask = u->umask,
                .nice_set = u->nice_set,
                .nice = u->nice,
                .oom_score_adjust_set = u->oom_score_adjust_set,
                .oom_score_adjust = u->oom_score_adjust,
                .limit_nofile = u->limit_nofile,
                .limit_nproc = u->limit_nproc,
                .limit_core = u->limit_core,
                .standard_output = u->standard_output,
                .standard_error = u->standard_error,
                /* process attributes, which systemd applies to '+' commands too */
                .unset_environment = u->unset_environment,
                .ignore_sigpipe = u->ignore_sigpipe,
                .ioprio_set = u->ioprio_set,
                .ioprio_class = u->ioprio_class,
                .ioprio_level = u->ioprio_level,
                .cpu_sched_set = u->cpu_sched_set,
                .cpu_sched_policy = u->cpu_sched_policy,
                .cpu_sched_priority = u->cpu_sched_priority,
                .cpu_sched_priority_set = u->cpu_sched_priority_set,
                .cpu_sched_reset_on_fork = u->cpu_sched_reset_on_fork,
                .standard_input_file = u->standard_input_file,
                /* Spelled out though 0: these enums' "off" must stay what a '+' command gets. */
                .private_users = PRIVATE_USERS_NO,
                .protect_control_groups = PROTECT_CGROUPS_NO,
                .protect_system = PROTECT_SYSTEM_NO,
                .protect_home = PROTECT_HOME_NO,
                .protect_proc = PROTECT_PROC_DEFAULT,
                .proc_subset = PROC_SUBSET_ALL,
        };
        /* As systemd: a '+' command gets the service's directories (made,
         * owned and in its environment; there is no mount namespace to bind
         * them into). Credentials need the mount namespace: none. */
        memcpy(ret->directories, u->directories, sizeof(ret->directories));
        ret->runtime_directory_preserve = u->runtime_directory_preserve;
}

int unit_config_new(const char *name, UnitConfig **ret) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        if (name) {
                u->name = strdup(name);
                if (!u->name)
                        return -ENOMEM;
        }
        u->start_limit_interval_usec = 10 * USEC_PER_SEC;
        u->start_limit_burst = 5;
        u->auto_start = true;
        u->type = SERVICE_SIMPLE;
        u->restart = RESTART_NO;
        u->restart_usec = 100 * USEC_PER_MSEC;
        u->restart_max_delay_usec = USEC_INFINITY;
        u->timeout_start_usec = 10 * USEC_PER_SEC;
        u->timeout_stop_usec = 10 * USEC_PER_SEC;
        u->kill_signal = SIGTERM;
        u->umask = -1;
        u->standard_output.kind = OUTPUT_LOG;
        u->standard_error.kind = OUTPUT_LOG;
        u->oom_policy = OOM_STOP;
        u->ignore_sigpipe = true;
        u->ioprio_class = 2;            /* IOPRIO_CLASS_BE */
        u->ioprio_level = 4;
        u->resources.cpu_quota_per_sec_usec = USEC_INFINITY;
        u->resources.cpu_quota_period_usec = 100 * USEC_PER_MSEC;
        u->network.address_auto = true;
        u->network.gateway_auto = true;
        u->seccomp.syscall_error_number = SECCOMP_ERRNO_KILL;
        for (size_t t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++)
                u->directories[t].mode = 0755;
        *ret = TAKE_PTR(u);
        return 0;
}

ManagerConfig *manager_config_free(ManagerConfig *m) {
        if (!m)
                return NULL;
        free(m->path);
        free(m->cgroup_root);
        free(m->runtime_directory);
        free(m->log_directory);
        free(m->service_directory_root);
        free(m->admin_group);
        free(m->bridge);
        free(m);
        return NULL;
}

int manager_config_new(ManagerConfig **ret) {
        _cleanup_(manager_config_freep) ManagerConfig *m = NULL;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->runtime_directory = strdup("/run/corral");
        m->log_directory = strdup("/var/log/corral");
        m->bridge = strdup("corral0");
        if (!m->runtime_directory || !m->log_directory || !m->bridge)
                return -ENOMEM;
        m->log_max_bytes = 10 * 1024 * 1024;
        m->log_keep = 5;
        (void) inet_pton(AF_INET, "10.89.0.0", &m->subnet); /* constant, cannot fail */
        m->subnet_prefixlen = 24;
        *ret = TAKE_PTR(m);
        return 0;
}
