/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules between keys, checked once every file of a unit has been applied,
 * and the implications systemd users expect (Hostname= makes a UTS
 * namespace, filesystem keys a mount namespace, ...). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "unit-load-internal.h"

static bool is_set(const UnitLoader *l, const char *key) {
        return unit_loader_site(l, key)->file != NULL;
}

/* Report at KEY's last assignment, or at [Service] when it was never set. */
_printf_(4, 5)
static int report(UnitLoader *l, bool error, const char *key, const char *fmt, ...) {
        const KeySite *s = unit_loader_site(l, key);
        const char *file = s->file;
        unsigned line = s->line;
        va_list ap;
        int r;

        if (!file) {
                file = l->service_section.file ?: l->unit->path;
                line = l->service_section.file ? l->service_section.line : 0;
        }
        va_start(ap, fmt);
        r = diag_addv(l->diags, error, file, line, key, fmt, ap);
        va_end(ap);
        if (r < 0)
                l->oom = r;
        return r;
}

static void validate_exec(UnitLoader *l) {
        UnitConfig *u = l->unit;

        bool rejected = l->rejected[unit_key_index(unit_key_lookup(NULL, "ExecStart"))];

        if (u->n_exec_start == 0 && !rejected) /* a rejected one was reported already */
                report(l, true, "ExecStart", "missing; a service needs an ExecStart= command");
        if (u->n_exec_start > 1 && u->type != SERVICE_ONESHOT)
                report(l, true, "ExecStart",
                              "%zu commands given, but only Type=oneshot may have more than one "
                              "(an empty ExecStart= resets the list)", u->n_exec_start);
        if (u->type == SERVICE_ONESHOT && (u->restart == RESTART_ALWAYS || u->restart == RESTART_ON_SUCCESS))
                report(l, true, "Restart",
                              "%s is not allowed with Type=oneshot (use no, on-failure, on-abnormal or on-abort)",
                              u->restart == RESTART_ALWAYS ? "always" : "on-success");
}

static void validate_netns(UnitLoader *l) {
        UnitConfig *u = l->unit;
        const char *own = u->network.virtual_ethernet ? "VirtualEthernet=yes" : "PrivateNetwork=yes";

        if (u->network.virtual_ethernet && is_set(l, "PrivateNetwork") && !u->private_network)
                report(l, true, "VirtualEthernet",
                              "needs a private network namespace, but PrivateNetwork=no is set (remove it)");
        if (u->network.virtual_ethernet)
                u->private_network = true;
        if (u->joins_namespace_of && u->private_network)
                report(l, true, "JoinsNamespaceOf",
                              "conflicts with %s (join another service's network namespace or make one, not both)", own);
        if (u->network_namespace_path && u->private_network)
                report(l, true, "NetworkNamespacePath",
                              "conflicts with %s (join an existing network namespace or make one, not both)", own);
        if (u->network_namespace_path && u->joins_namespace_of)
                report(l, true, "NetworkNamespacePath",
                              "conflicts with JoinsNamespaceOf= (both choose the network namespace; keep one)");
        for (char **j = u->joins_namespace_of; j && *j; j++)
                if (u->name && streq(*j, u->name))
                        report(l, true, "JoinsNamespaceOf", "names the unit itself (name another service)");
}

static void validate_network_section(UnitLoader *l) {
        static const char *const keys[] = { "Bridge", "Address", "Gateway" };
        UnitConfig *u = l->unit;

        if (u->network.virtual_ethernet)
                return;
        if (u->network.n_ports > 0)
                report(l, true, "Port", "needs VirtualEthernet=yes (without it there is no link to forward to)");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (is_set(l, keys[i]))
                        report(l, false, keys[i], "has no effect without VirtualEthernet=yes, ignoring");
}

/* The first key that needs a mount namespace, or NULL. */
static const char *mount_key(const UnitConfig *u) {
        if (u->root_directory)
                return "RootDirectory";
        if (u->n_bind_paths > 0)
                return u->bind_paths[0].read_only ? "BindReadOnlyPaths" : "BindPaths";
        if (u->n_read_only_paths > 0)
                return "ReadOnlyPaths";
        if (u->n_read_write_paths > 0)
                return "ReadWritePaths";
        if (u->n_inaccessible_paths > 0)
                return "InaccessiblePaths";
        if (u->n_temporary_file_system > 0)
                return "TemporaryFileSystem";
        if (u->private_tmp)
                return "PrivateTmp";
        if (u->private_devices)
                return "PrivateDevices";
        if (u->protect_system != PROTECT_SYSTEM_NO)
                return "ProtectSystem";
        if (u->protect_home != PROTECT_HOME_NO)
                return "ProtectHome";
        if (u->protect_control_groups != PROTECT_CGROUPS_NO)
                return "ProtectControlGroups";
        if (u->private_pids)
                return "PrivatePIDs";   /* a fresh /proc */
        if (u->protect_proc != PROTECT_PROC_DEFAULT)
                return "ProtectProc";   /* a fresh /proc, with hidepid= */
        if (u->proc_subset != PROC_SUBSET_ALL)
                return "ProcSubset";
        if (u->protect_kernel_tunables)
                return "ProtectKernelTunables";
        if (u->protect_kernel_modules)
                return "ProtectKernelModules";
        if (u->protect_kernel_logs)
                return "ProtectKernelLogs";
        /* the private /run/credentials tmpfs */
        if (u->n_load_credentials > 0)
                return "LoadCredential";
        if (u->n_set_credentials > 0)
                return "SetCredential";
        return NULL;
}

static void validate_implied(UnitLoader *l) {
        UnitConfig *u = l->unit;
        const char *m = mount_key(u);

        if (u->hostname && is_set(l, "ProtectHostname") && !u->protect_hostname)
                report(l, true, "Hostname", "needs its own UTS namespace, but ProtectHostname=no is set (remove it)");
        if (u->hostname)
                u->protect_hostname = true;
        if (u->time_offset_usec != 0 && is_set(l, "PrivateTime") && !u->private_time)
                report(l, true, "TimeOffsetSec", "needs a time namespace, but PrivateTime=no is set (remove it)");
        if (u->time_offset_usec != 0)
                u->private_time = true;
        if (m && is_set(l, "PrivateMounts") && !u->private_mounts)
                report(l, true, "PrivateMounts", "no conflicts with %s= (it needs a mount namespace)", m);
        if (m)
                u->private_mounts = true;
}

/* systemd 252's unit_patch_contexts(): PrivateDevices=yes turns
 * DevicePolicy=auto into closed; ProtectClock=yes adds "char-rtc r", but
 * only to a device program there is anyway (it would make one otherwise). */
static void validate_devices(UnitLoader *l) {
        ResourceConfig *rc = &l->unit->resources;
        bool explicit = resource_config_wants_devices(rc);
        DeviceAllow rtc = { .access = DEVICE_ACCESS_READ };

        if (l->unit->private_devices && rc->device_policy == DEVICE_POLICY_AUTO)
                rc->device_policy = DEVICE_POLICY_CLOSED;
        rc->device_implied = !explicit && resource_config_wants_devices(rc);
        if (!l->unit->protect_clock || !resource_config_wants_devices(rc))
                return;
        rtc.path = strdup("char-rtc");
        if (!rtc.path || array_append(&rc->device_allow, &rc->n_device_allow, sizeof(rtc), &rtc) < 0) {
                free(rtc.path);
                l->oom = -ENOMEM;
        }
}

/* PrivateUsers=identity and pick map ids 0-65535 only. */
static void validate_ids(UnitLoader *l) {
        static const char *const keys[] = { "User", "Group" };
        UnitConfig *u = l->unit;
        const char *vals[] = { u->user, u->group };

        if (u->private_users != PRIVATE_USERS_IDENTITY && u->private_users != PRIVATE_USERS_PICK)
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char *end;
                unsigned long id;

                if (!vals[i] || vals[i][0] < '0' || vals[i][0] > '9')
                        continue;
                id = strtoul(vals[i], &end, 10);
                if (*end == 0 && id > 65535)
                        report(l, true, keys[i],
                                      "%lu is outside the ids 0-65535 that PrivateUsers=%s maps (use a smaller id)",
                                      id, u->private_users == PRIVATE_USERS_PICK ? "pick" : "identity");
        }
}

static void validate_times(UnitLoader *l) {
        UnitConfig *u = l->unit;
        usec_t period = u->resources.cpu_quota_period_usec;

        /* As in systemd, 0 disables a timeout. */
        if (u->timeout_start_usec == 0)
                u->timeout_start_usec = USEC_INFINITY;
        if (u->timeout_stop_usec == 0)
                u->timeout_stop_usec = USEC_INFINITY;
        if (u->restart_steps > 0 && u->restart_max_delay_usec == USEC_INFINITY)
                report(l, true, "RestartSteps", "needs RestartMaxDelaySec= (the delay the steps grow to)");
        if (u->restart_max_delay_usec != USEC_INFINITY && u->restart_max_delay_usec < u->restart_usec)
                report(l, true, "RestartMaxDelaySec", "is shorter than RestartSec= (use a longer maximum)");
        if (period < USEC_PER_MSEC || period > USEC_PER_SEC)
                report(l, true, "CPUQuotaPeriodSec", "must be between 1ms and 1s, as the kernel requires");
}

static void validate_paths(UnitLoader *l) {
        UnitConfig *u = l->unit;
        struct stat st;

        if (u->root_directory) {
                if (stat(u->root_directory, &st) < 0)
                        report(l, true, "RootDirectory", "\"%s\": %s (use an existing directory)",
                                      u->root_directory, strerror(errno));
                else if (!S_ISDIR(st.st_mode))
                        report(l, true, "RootDirectory", "\"%s\" is not a directory", u->root_directory);
        }
        if (u->capability_bounding_set_set && (u->ambient_capabilities & ~u->capability_bounding_set))
                report(l, true, "AmbientCapabilities",
                              "raises capabilities that CapabilityBoundingSet= drops (add them to the bounding set)");
        for (size_t i = 0; u->requires && u->requires[i]; i++)
                if (u->name && streq(u->requires[i], u->name)) {
                        free(u->requires[i]);
                        memmove(u->requires + i, u->requires + i + 1,
                                (strv_length(u->requires + i + 1) + 1) * sizeof(char *));
                        report(l, false, "Requires", "names the unit itself, ignoring");
                        break;
                }
}

/* systemd 252 clamps the priority into the policy's range at a
 * CPUSchedulingPolicy= line but not at a later CPUSchedulingPriority=
 * line, whose mismatch then fails every start (EINVAL from
 * sched_setscheduler()): corral decides on the final pair, in any order. A
 * real-time policy without a priority gets 1, as systemd's clamp gives. */
static void validate_sched(UnitLoader *l) {
        UnitConfig *u = l->unit;
        bool rt = u->cpu_sched_policy == SCHED_FIFO || u->cpu_sched_policy == SCHED_RR;

        if (rt && !u->cpu_sched_priority_set)
                u->cpu_sched_priority = 1;
        else if (rt && u->cpu_sched_priority == 0)
                report(l, true, "CPUSchedulingPriority", "0 is no priority for CPUSchedulingPolicy=%s (use 1-99)",
                       u->cpu_sched_policy == SCHED_FIFO ? "fifo" : "rr");
        else if (!rt && u->cpu_sched_priority != 0)
                report(l, true, "CPUSchedulingPriority",
                       "%d needs CPUSchedulingPolicy=fifo or rr (other, batch and idle take 0 only)",
                       u->cpu_sched_priority);
}

int unit_validate(UnitLoader *l) {
        void (*const steps[])(UnitLoader *) = {
                validate_exec, validate_netns, validate_network_section,
                validate_implied, validate_devices, validate_ids, validate_times, validate_paths,
                validate_sched,
        };

        /* Every step reports every problem it finds (-ENOMEM lands in
         * l->oom), so the user sees all of them at once. */
        for (size_t i = 0; i < ELEMENTSOF(steps); i++)
                steps[i](l);
        return l->oom;
}
