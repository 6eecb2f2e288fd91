/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enumerated values: tables of the names corral accepts, and of the names
 * systemd accepts that corral does not support (to say so precisely). */
#include <stdio.h>
#include <string.h>

#include "unit-value-internal.h"

typedef struct EnumTable {
        const char *const *names;       /* indexed by enum value */
        size_t n;
        const char *const *unsupported; /* systemd names corral refuses, NULL-terminated */
        const char *what;               /* "a service type" */
} EnumTable;

static const char *enum_to_string(const EnumTable *t, int v) {
        return v >= 0 && (size_t) v < t->n ? t->names[v] : NULL;
}

static void enum_hint(const EnumTable *t, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < t->n && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", i == 0 ? "" : i + 1 == t->n ? " or " : ", ",
                                         t->names[i]);
}

static int enum_from_string(const EnumTable *t, const char *v, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        char hint[256];

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
                if (streq(s, t->names[i]))
                        return (int) i;
        enum_hint(t, hint, sizeof(hint));
        for (const char *const *u = t->unsupported; u && *u; u++)
                if (streq(s, *u))
                        return crl_error_set(reterr, EINVAL, "\"%s\" is not supported by corral (use %s)", v, hint);
        return crl_error_set(reterr, EINVAL, "\"%s\" is not %s (use %s)", v, t->what, hint);
}

/* Keys that also take a boolean: yes -> yes_value, no -> 0. */
static int enum_or_boolean(const EnumTable *t, int yes_value, const char *v, CrlError *reterr) {
        CrlError ignored = {};
        int r;

        r = enum_from_string(t, v, &ignored);
        if (r >= 0 || r == -ENOMEM)
                return r;
        r = parse_boolean(v, NULL);
        if (r >= 0)
                return r ? yes_value : 0;
        if (r == -ENOMEM)
                return r;
        return enum_from_string(t, v, reterr);
}

#define DEFINE_ENUM(type, prefix, what_, unsupported_, ...)                               \
        static const char *const prefix##_names[] = { __VA_ARGS__ };                     \
        static const EnumTable prefix##_table = {                                        \
                .names = prefix##_names, .n = ELEMENTSOF(prefix##_names),                \
                .unsupported = unsupported_, .what = what_,                               \
        };                                                                               \
        const char *prefix##_to_string(type v) {                                         \
                return enum_to_string(&prefix##_table, (int) v);                         \
        }

static const char *const service_type_unsupported[] = { "forking", "dbus", "idle", "notify-reload", NULL };
static const char *const restart_unsupported[] = { "on-watchdog", NULL };
static const char *const private_users_unsupported[] = { "managed", NULL };

DEFINE_ENUM(ServiceType, service_type, "a service type", service_type_unsupported,
            "simple", "exec", "notify", "oneshot")
DEFINE_ENUM(RestartPolicy, restart_policy, "a restart policy", restart_unsupported,
            "no", "on-success", "on-failure", "on-abnormal", "on-abort", "always")
DEFINE_ENUM(OOMPolicy, oom_policy, "an OOM policy", NULL, "stop", "continue", "kill")
DEFINE_ENUM(PrivateUsers, private_users, "a PrivateUsers= mode", private_users_unsupported,
            "no", "self", "identity", "pick")
DEFINE_ENUM(ProtectControlGroups, protect_control_groups, "a ProtectControlGroups= mode", NULL,
            "no", "yes", "private", "strict")
DEFINE_ENUM(ProtectSystem, protect_system, "a ProtectSystem= mode", NULL, "no", "yes", "full", "strict")
DEFINE_ENUM(ProtectHome, protect_home, "a ProtectHome= mode", NULL, "no", "yes", "read-only", "tmpfs")
DEFINE_ENUM(ProtectProc, protect_proc, "a ProtectProc= mode", NULL, "default", "noaccess", "invisible", "ptraceable")
DEFINE_ENUM(ProcSubset, proc_subset, "a ProcSubset= mode", NULL, "all", "pid")
DEFINE_ENUM(RuntimeDirectoryPreserve, runtime_directory_preserve, "a RuntimeDirectoryPreserve= mode", NULL,
            "no", "yes", "restart")

ServiceType service_type_from_string(const char *v, CrlError *reterr) {
        return enum_from_string(&service_type_table, v, reterr);
}

RestartPolicy restart_policy_from_string(const char *v, CrlError *reterr) {
        return enum_from_string(&restart_policy_table, v, reterr);
}

OOMPolicy oom_policy_from_string(const char *v, CrlError *reterr) {
        return enum_from_string(&oom_policy_table, v, reterr);
}

PrivateUsers private_users_from_string(const char *v, CrlError *reterr) {
        return enum_or_boolean(&private_users_table, PRIVATE_USERS_SELF, v, reterr);
}

ProtectControlGroups protect_control_groups_from_string(const char *v, CrlError *reterr) {
        return enum_or_boolean(&protect_control_groups_table, PROTECT_CGROUPS_YES, v, reterr);
}

ProtectSystem protect_system_from_string(const char *v, CrlError *reterr) {
        return enum_or_boolean(&protect_system_table, PROTECT_SYSTEM_YES, v, reterr);
}

ProtectHome protect_home_from_string(const char *v, CrlError *reterr) {
        return enum_or_boolean(&protect_home_table, PROTECT_HOME_YES, v, reterr);
}

/* No boolean here: systemd takes none for either key. */
ProtectProc protect_proc_from_string(const char *v, CrlError *reterr) {
        return enum_from_string(&protect_proc_table, v, reterr);
}

ProcSubset proc_subset_from_string(const char *v, CrlError *reterr) {
        return enum_from_string(&proc_subset_table, v, reterr);
}

RuntimeDirectoryPreserve runtime_directory_preserve_from_string(const char *v, CrlError *reterr) {
        return enum_or_boolean(&runtime_directory_preserve_table, RUNTIME_DIRECTORY_PRESERVE_YES, v, reterr);
}
