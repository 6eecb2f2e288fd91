/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The API filesystems and the kernel protections of the mount plan. The
 * path tables follow systemd 252's src/core/namespace.c
 * (protect_kernel_tunables_proc_table, protect_kernel_tunables_sys_table,
 * protect_kernel_modules_table with HAVE_SPLIT_USR as Debian 12 builds it,
 * protect_kernel_logs_proc_table, protect_kernel_logs_dev_table); optional
 * entries whose path is missing are skipped. The capability halves are in
 * ns-creds.c, the syscall halves in the seccomp filter. */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macros.h"
#include "ns-plan.h"
#include "unit-value.h"

typedef struct KernelPath {
        const char *path;
        NsMountKind kind;
        bool optional;
        bool implied;   /* a directory of sysfs itself, no symlink on the way: see plan_prune() */
} KernelPath;

static const KernelPath tunables_proc[] = {
        { "/proc/acpi", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/apm", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/asound", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/bus", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/fs", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/irq", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/kallsyms", NS_MOUNT_INACCESSIBLE, true, false },
        { "/proc/kcore", NS_MOUNT_INACCESSIBLE, true, false },
        { "/proc/latency_stats", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/mtrr", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/scsi", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/sys", NS_MOUNT_READ_ONLY, true, false },      /* missing under ProcSubset=pid */
        { "/proc/sysrq-trigger", NS_MOUNT_READ_ONLY, true, false },
        { "/proc/timer_stats", NS_MOUNT_READ_ONLY, true, false },
};

/* systemd's READWRITE_IMPLICIT entries are our READ_WRITE: the cgroup tree
 * is ProtectControlGroups='s to decide, selinuxfs stays usable. */
static const KernelPath tunables_sys[] = {
        { "/sys", NS_MOUNT_READ_ONLY, false, false },
        { "/sys/fs/bpf", NS_MOUNT_READ_ONLY, true, true },
        { "/sys/fs/cgroup", NS_MOUNT_READ_WRITE, true, false },
        { "/sys/fs/selinux", NS_MOUNT_READ_WRITE, true, false },
        { "/sys/kernel/debug", NS_MOUNT_READ_ONLY, true, true },
        { "/sys/kernel/tracing", NS_MOUNT_READ_ONLY, true, true },
};

static const KernelPath modules[] = {
        { "/lib/modules", NS_MOUNT_INACCESSIBLE, true, false },
        { "/usr/lib/modules", NS_MOUNT_INACCESSIBLE, true, false },
};

static const KernelPath logs[] = {
        { "/proc/kmsg", NS_MOUNT_INACCESSIBLE, true, false },
        { "/dev/kmsg", NS_MOUNT_INACCESSIBLE, true, false },
};

bool ns_mount_kernel_needs_inaccessible(const UnitConfig *u) {
        return u->protect_kernel_tunables || u->protect_kernel_modules || u->protect_kernel_logs;
}

/* A new procfs instance: PrivatePIDs= (the new PID namespace's), and
 * ProtectProc=/ProcSubset= (whose hidepid= and subset= are per instance
 * since Linux 5.8; without a PID namespace of its own it shows the host's
 * processes, filtered, as systemd's does). */
static bool fresh_proc(const UnitConfig *u) {
        return u->private_pids || u->protect_proc != PROTECT_PROC_DEFAULT || u->proc_subset != PROC_SUBSET_ALL;
}

static int proc_options(const UnitConfig *u, char *buf, size_t size) {
        const char *hidepid = protect_proc_to_string(u->protect_proc);
        int n;

        n = snprintf(buf, size, "%s%s%s%s", u->protect_proc != PROTECT_PROC_DEFAULT ? "hidepid=" : "",
                     u->protect_proc != PROTECT_PROC_DEFAULT ? hidepid : "",
                     u->protect_proc != PROTECT_PROC_DEFAULT && u->proc_subset == PROC_SUBSET_PID ? "," : "",
                     u->proc_subset == PROC_SUBSET_PID ? "subset=pid" : "");
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : n;
}

/* The service's network namespace is not the host's (PrivateNetwork=,
 * VirtualEthernet=, NetworkNamespacePath=, JoinsNamespaceOf=): the
 * host's sysfs would list the host's links. */
static bool own_netns(const NsPlan *plan) {
        return (plan->clone_flags & CLONE_NEWNET) || plan->netns_fd >= 0 || plan->join_pidfd >= 0;
}

static int plan_sys(const UnitConfig *u, NsPlan *plan) {
        bool cgns = u->protect_control_groups == PROTECT_CGROUPS_PRIVATE ||
                    u->protect_control_groups == PROTECT_CGROUPS_STRICT;
        int r = 0;

        if (own_netns(plan)) {
                /* Mounted after the child joined or made the namespace
                 * (ns_join_apply() runs before the mounts): a sysfs is of
                 * the mounter's. The host's mounts below /sys go with the
                 * old one; the cgroup tree is bound back (taken before any
                 * mount, so from the host's /sys), unless a cgroup
                 * namespace gets its own. */
                r = ns_mount_add(plan, NS_MOUNT_SYSFS, NULL, "/sys", NULL, false, false);
                if (r >= 0 && !cgns)
                        r = ns_mount_add(plan, NS_MOUNT_BIND, "/sys/fs/cgroup", "/sys/fs/cgroup", NULL, true, false);
        } else if (plan->root)
                r = ns_mount_add(plan, NS_MOUNT_BIND, "/sys", "/sys", NULL, true, false);
        if (r >= 0 && cgns)
                r = ns_mount_add(plan, NS_MOUNT_CGROUP2, NULL, "/sys/fs/cgroup", NULL, false,
                                 u->protect_control_groups == PROTECT_CGROUPS_STRICT);
        else if (r >= 0 && u->protect_control_groups == PROTECT_CGROUPS_YES)
                r = ns_mount_add(plan, NS_MOUNT_READ_ONLY, NULL, "/sys/fs/cgroup", NULL, true, true);
        return r;
}

static int plan_api_fs(const UnitConfig *u, NsPlan *plan) {
        char options[64];
        int r = 0;

        if (u->private_devices)
                r = ns_mount_add(plan, NS_MOUNT_DEV, NULL, "/dev", "mode=0755,size=4m", false, false);
        else if (plan->root)
                r = ns_mount_add(plan, NS_MOUNT_BIND, "/dev", "/dev", NULL, true, false);
        if (r >= 0 && fresh_proc(u)) {
                r = proc_options(u, options, sizeof(options));
                if (r >= 0)
                        r = ns_mount_add(plan, NS_MOUNT_PROC, NULL, "/proc", r > 0 ? options : NULL, false, false);
        } else if (r >= 0 && plan->root)
                r = ns_mount_add(plan, NS_MOUNT_BIND, "/proc", "/proc", NULL, true, false);
        return r < 0 ? r : plan_sys(u, plan);
}

/* Beside the mode-000 file, a mode-000 character device 0:0 for device
 * nodes (/dev/kmsg), as systemd's /run/systemd/inaccessible/chr: a service
 * that stats it still sees a device, none that opens it gets one (the bind
 * is nodev, and no driver has 0:0). mknod needs CAP_MKNOD in the initial
 * user namespace: a launcher without it binds the file instead. */
static int inaccessible_chr(const char *file, char **ret) {
        _cleanup_free_ char *chr = NULL;
        const char *slash = strrchr(file, '/');
        struct stat st;

        if (!slash || asprintf(&chr, "%.*s/chr", (int) (slash - file), file) < 0)
                return -ENOMEM;
        if (mknod(chr, S_IFCHR | 0000, makedev(0, 0)) < 0 && errno != EEXIST) {
                if (errno != EPERM)
                        return -errno;
                *ret = NULL;
                return 0;
        }
        /* An old node left by a crash, or anything else by that name. */
        if (lstat(chr, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0) || (st.st_mode & 07777) != 0)
                return -EEXIST;
        *ret = TAKE_PTR(chr);
        return 0;
}

/* On a merged-/usr system /lib is a link to usr/lib: /lib/modules and
 * /usr/lib/modules are one directory, and a second mount on it would be
 * refused as covering the first. Looked up inside RootDirectory=. */
static bool is_link(const NsPlan *plan, const char *path) {
        char buf[PATH_MAX];
        struct stat st;

        (void) snprintf(buf, sizeof(buf), "%s%s", plan->root ?: "", path);
        return lstat(buf, &st) >= 0 && S_ISLNK(st.st_mode);
}

static int add_table(NsPlan *plan, const KernelPath *t, size_t n, const char *file, const char *chr) {
        int r;

        for (size_t i = 0; i < n; i++) {
                const char *source = NULL;

                if (t[i].kind == NS_MOUNT_INACCESSIBLE)
                        source = strneq(t[i].path, "/dev/", 5) && chr ? chr : file;
                if (streq(t[i].path, "/lib/modules") && (is_link(plan, "/lib") || is_link(plan, "/lib/modules")))
                        continue;
                r = ns_mount_add(plan, t[i].kind, source, t[i].path, NULL, t[i].optional,
                                 t[i].kind == NS_MOUNT_READ_ONLY);
                if (r < 0)
                        return r;
                plan->mounts[plan->n_mounts - 1].implied = t[i].implied;
        }
        return 0;
}

int ns_mount_kernel_plan(const UnitConfig *u, NsPlan *plan, const char *inaccessible_file) {
        _cleanup_free_ char *chr = NULL;
        int r;

        r = plan_api_fs(u, plan);
        if (r < 0)
                return r;
        if (!ns_mount_kernel_needs_inaccessible(u))
                return 0;
        assert(inaccessible_file);
        if (u->protect_kernel_logs && (r = inaccessible_chr(inaccessible_file, &chr)) < 0)
                return r;
        if (u->protect_kernel_tunables) {
                r = add_table(plan, tunables_proc, ELEMENTSOF(tunables_proc), inaccessible_file, chr);
                if (r >= 0)
                        r = add_table(plan, tunables_sys, ELEMENTSOF(tunables_sys), inaccessible_file, chr);
                if (r < 0)
                        return r;
        }
        if (u->protect_kernel_modules) {
                r = add_table(plan, modules, ELEMENTSOF(modules), inaccessible_file, chr);
                if (r < 0)
                        return r;
        }
        if (u->protect_kernel_logs)
                return add_table(plan, logs, ELEMENTSOF(logs), inaccessible_file, chr);
        return 0;
}
