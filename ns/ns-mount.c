/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount plan, parent side: the unit's filesystem keys turned into one
 * list of NsMountOp sorted by target, a path before everything below it,
 * and one entry per target (ns_mount_plan), plus the host nodes the child
 * will need (the inaccessible file, PrivateTmp='s directories). The child
 * applies the list (ns-mount-apply.c); the kernel protections' entries come
 * from ns-mount-kernel.c. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "macros.h"
#include "ns-plan.h"

static const char *const kind_names[_NS_MOUNT_KIND_MAX] = {
        [NS_MOUNT_BIND] = "bind",
        [NS_MOUNT_READ_ONLY] = "read-only",
        [NS_MOUNT_READ_WRITE] = "read-write",
        [NS_MOUNT_INACCESSIBLE] = "inaccessible",
        [NS_MOUNT_TMPFS] = "tmpfs",
        [NS_MOUNT_PROC] = "proc",
        [NS_MOUNT_SYSFS] = "sysfs",
        [NS_MOUNT_CGROUP2] = "cgroup2",
        [NS_MOUNT_DEV] = "dev",
        [NS_MOUNT_CREDENTIALS] = "credentials",
};

const char *ns_mount_kind_to_string(NsMountKind k) {
        return k >= 0 && k < _NS_MOUNT_KIND_MAX ? kind_names[k] : NULL;
}

int ns_mount_describe(const NsMountOp *op, char *buf, size_t size) {
        switch (op->kind) {
        case NS_MOUNT_BIND:
                return snprintf(buf, size, "bind mount %s -> %s", op->source, op->target);
        case NS_MOUNT_READ_ONLY:
                return snprintf(buf, size, "make %s read-only", op->target);
        case NS_MOUNT_READ_WRITE:
                return snprintf(buf, size, "make %s writable", op->target);
        case NS_MOUNT_INACCESSIBLE:
                return snprintf(buf, size, "make %s inaccessible", op->target);
        case NS_MOUNT_DEV:
                return snprintf(buf, size, "set up a minimal /dev on %s", op->target);
        case NS_MOUNT_CREDENTIALS:
                return snprintf(buf, size, "write the credentials to %s", op->target);
        default:
                /* hidepid=NAME and subset= need Linux 5.8: say what was refused. */
                if (op->kind == NS_MOUNT_PROC && op->options)
                        return snprintf(buf, size, "mount proc (%s) on %s", op->options, op->target);
                return snprintf(buf, size, "mount %s on %s", ns_mount_kind_to_string(op->kind), op->target);
        }
}

void ns_mount_plan_free(NsPlan *plan) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                free(plan->mounts[i].source);
                free(plan->mounts[i].target);
                free(plan->mounts[i].options);
                free(plan->mounts[i].real);
                safe_close(plan->mounts[i].tree_fd);
        }
        free(plan->mounts);
        plan->mounts = NULL;
        plan->n_mounts = 0;
}

static void op_done(NsMountOp *op) {
        free(op->source), free(op->target), free(op->options), free(op->real);
}

/* "/a//b/./c/" -> "/a/b/c", in place; "" -> "/". */
static void path_normalize(char *p) {
        char *w = p;

        for (const char *r = p; *r;) {
                if (*r == '/' && (r[1] == '/' || r[1] == 0 || (r[1] == '.' && (r[2] == '/' || r[2] == 0)))) {
                        r += r[1] == '.' ? 2 : 1;
                        continue;
                }
                *w++ = *r++;
        }
        if (w == p)
                *w++ = '/';
        *w = 0;
}

static int add_op(NsPlan *plan, NsMountKind kind, const char *source, const char *target,
                  const char *options, bool optional, bool read_only) {
        NsMountOp *m, op = { .kind = kind, .tree_fd = -EBADF, .optional = optional, .read_only = read_only,
                             .recursive = true };

        /* A bind's "-" is about its source: the mount point is made all the
         * same. Other optional entries are skipped where the path is missing. */
        op.create = kind == NS_MOUNT_BIND || (!optional && kind != NS_MOUNT_READ_ONLY &&
                                              kind != NS_MOUNT_READ_WRITE && kind != NS_MOUNT_INACCESSIBLE);
        m = realloc(plan->mounts, (plan->n_mounts + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        plan->mounts = m;
        op.source = source ? strdup(source) : NULL;
        op.target = strdup(target);
        op.options = options ? strdup(options) : NULL;
        op.real = calloc(1, PATH_MAX);
        if ((source && !op.source) || !op.target || (options && !op.options) || !op.real) {
                op_done(&op);
                return -ENOMEM;
        }
        path_normalize(op.target);
        plan->mounts[plan->n_mounts++] = op;
        return 0;
}

int ns_mount_add(NsPlan *plan, NsMountKind kind, const char *source, const char *target, const char *options,
                 bool optional, bool read_only) {
        return add_op(plan, kind, source, target, options, optional, read_only);
}

static int plan_path_lists(const UnitConfig *u, NsPlan *plan, const char *inaccessible_file) {
        const struct {
                const PathSpec *specs;
                size_t n;
                NsMountKind kind;
        } lists[] = {
                { u->read_only_paths, u->n_read_only_paths, NS_MOUNT_READ_ONLY },
                { u->read_write_paths, u->n_read_write_paths, NS_MOUNT_READ_WRITE },
                { u->inaccessible_paths, u->n_inaccessible_paths, NS_MOUNT_INACCESSIBLE },
        };
        int r;

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (size_t i = 0; i < lists[l].n; i++) {
                        r = add_op(plan, lists[l].kind,
                                   lists[l].kind == NS_MOUNT_INACCESSIBLE ? inaccessible_file : NULL,
                                   lists[l].specs[i].path, NULL, lists[l].specs[i].ignore_missing,
                                   lists[l].kind == NS_MOUNT_READ_ONLY);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int plan_protect(const UnitConfig *u, NsPlan *plan, const char *inaccessible_file) {
        static const char *const sys_yes[] = { "/usr", "/boot", "/efi" };
        static const char *const home[] = { "/home", "/root", "/run/user" };
        int r = 0;

        if (u->protect_system == PROTECT_SYSTEM_STRICT) {
                /* The whole tree read-only, the API filesystems writable again. */
                r = add_op(plan, NS_MOUNT_READ_ONLY, NULL, "/", NULL, false, true);
                for (size_t i = 0; r >= 0 && i < 3; i++)
                        r = add_op(plan, NS_MOUNT_READ_WRITE, NULL, (const char *[]) { "/dev", "/proc", "/sys" }[i],
                                   NULL, true, false);
        } else if (u->protect_system != PROTECT_SYSTEM_NO) {
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sys_yes); i++)
                        r = add_op(plan, NS_MOUNT_READ_ONLY, NULL, sys_yes[i], NULL, true, true);
                if (r >= 0 && u->protect_system == PROTECT_SYSTEM_FULL)
                        r = add_op(plan, NS_MOUNT_READ_ONLY, NULL, "/etc", NULL, true, true);
        }
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(home); i++)
                switch (u->protect_home) {
                case PROTECT_HOME_YES:
                        r = add_op(plan, NS_MOUNT_INACCESSIBLE, inaccessible_file, home[i], NULL, true, true);
                        break;
                case PROTECT_HOME_READ_ONLY:
                        r = add_op(plan, NS_MOUNT_READ_ONLY, NULL, home[i], NULL, true, true);
                        break;
                case PROTECT_HOME_TMPFS:
                        r = add_op(plan, NS_MOUNT_TMPFS, NULL, home[i], "mode=0755", true, true);
                        break;
                default:
                        break;
                }
        return r;
}

/* Split the flag words (ro, rw, nosuid...) out of TemporaryFileSystem= options,
 * which tmpfs itself would reject; keep the rest as mount data. */
static int tmpfs_options(const char *in, char **ret_data, bool *ret_ro) {
        _cleanup_free_ char *copy = NULL, *data = NULL;
        char *save = NULL;
        size_t len = 0;

        *ret_ro = false;
        copy = strdup(in ?: "");
        data = calloc(1, strlen(in ?: "") + sizeof("mode=0755"));
        if (!copy || !data)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (streq(w, "ro"))
                        *ret_ro = true;
                else if (streq(w, "rw"))
                        *ret_ro = false;
                else if (!streq(w, "nosuid") && !streq(w, "nodev") && !streq(w, "noexec") &&
                         !streq(w, "suid") && !streq(w, "dev") && !streq(w, "exec"))
                        len += (size_t) sprintf(data + len, "%s%s", len ? "," : "", w);
        }
        if (len == 0)
                strcpy(data, "mode=0755");
        *ret_data = TAKE_PTR(data);
        return 0;
}

static int plan_binds(const UnitConfig *u, NsPlan *plan) {
        int r;

        for (size_t i = 0; i < u->n_temporary_file_system; i++) {
                _cleanup_free_ char *data = NULL;
                bool ro;

                r = tmpfs_options(u->temporary_file_system[i].options, &data, &ro);
                if (r >= 0)
                        r = add_op(plan, NS_MOUNT_TMPFS, NULL, u->temporary_file_system[i].path, data, false, ro);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < u->n_bind_paths; i++) {
                const BindMount *b = &u->bind_paths[i];

                r = add_op(plan, NS_MOUNT_BIND, b->source, b->destination ?: b->source, NULL,
                           b->ignore_missing, b->read_only);
                if (r < 0)
                        return r;
                plan->mounts[plan->n_mounts - 1].recursive = b->recursive;
        }
        return 0;
}

static int mkdir_mode(const char *path, mode_t mode) {
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        /* chmod: mkdir's mode went through our umask. */
        return RET_NERRNO(chmod(path, mode));
}

/* Nodes that must exist on the host before the child runs: the mode-000 file
 * that InaccessiblePaths= binds over files, and PrivateTmp='s directories
 * (shared by name with JoinsNamespaceOf=). */
static int plan_host_dirs(const NsLaunchParams *p, char **ret_inaccessible, char **ret_tmp, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        const char *rt = p->runtime_dir ?: "/run/corral";
        _cleanup_free_ char *d = NULL, *tmp = NULL, *vtmp = NULL, *file = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *tmp_owner = p->join_name ?: u->name ?: "transient";
        int r;

        if (asprintf(&d, "%s/inaccessible", rt) < 0 || asprintf(&file, "%s/inaccessible/reg", rt) < 0 ||
            asprintf(&tmp, "%s/private-tmp/%s", rt, tmp_owner) < 0)
                return -ENOMEM;
        if ((r = mkdir_mode(rt, 0755)) < 0 || (r = mkdir_mode(d, 0755)) < 0)
                return crl_error_set(reterr, r, "create %s: %s", d, strerror(-r));
        fd = open(file, O_CREAT | O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0000);
        if (fd < 0)
                return crl_error_set(reterr, errno, "create %s: %s", file, strerror(errno));
        if (u->private_tmp) {
                _cleanup_free_ char *base = NULL;

                if (asprintf(&base, "%s/private-tmp", rt) < 0 || asprintf(&vtmp, "%s/var-tmp", tmp) < 0)
                        return -ENOMEM;
                if ((r = mkdir_mode(base, 0700)) < 0 || (r = mkdir_mode(tmp, 0700)) < 0 ||
                    (r = mkdir_mode(vtmp, 01777)) < 0)
                        return crl_error_set(reterr, r, "create %s: %s", tmp, strerror(-r));
                free(vtmp);
                if (asprintf(&vtmp, "%s/tmp", tmp) < 0)
                        return -ENOMEM;
                if ((r = mkdir_mode(vtmp, 01777)) < 0)
                        return crl_error_set(reterr, r, "create %s: %s", vtmp, strerror(-r));
        }
        *ret_inaccessible = TAKE_PTR(file);
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

static int plan_private_tmp(NsPlan *plan, const char *tmp) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        int r;

        if (asprintf(&a, "%s/tmp", tmp) < 0 || asprintf(&b, "%s/var-tmp", tmp) < 0)
                return -ENOMEM;
        r = add_op(plan, NS_MOUNT_BIND, a, "/tmp", NULL, false, false);
        if (r >= 0)
                r = add_op(plan, NS_MOUNT_BIND, b, "/var/tmp", NULL, true, false);
        return r;
}

/* On one path, the more restrictive entry wins (systemd's order). */
static const int kind_priority[_NS_MOUNT_KIND_MAX] = {
        [NS_MOUNT_INACCESSIBLE] = 0, [NS_MOUNT_BIND] = 1, [NS_MOUNT_DEV] = 2, [NS_MOUNT_PROC] = 3,
        [NS_MOUNT_SYSFS] = 4, [NS_MOUNT_CGROUP2] = 5, [NS_MOUNT_TMPFS] = 6, [NS_MOUNT_READ_ONLY] = 7,
        [NS_MOUNT_READ_WRITE] = 8,
        [NS_MOUNT_CREDENTIALS] = 2,
};

/* Targets are normalized, so strcmp() puts a path before everything below it. */
static int op_compare(const NsMountOp *a, const NsMountOp *b) {
        int d = strcmp(a->target, b->target);

        return d != 0 ? d : kind_priority[a->kind] - kind_priority[b->kind];
}

/* Stable (insertion) sort, then one entry per target: the first wins (for
 * one kind, the first written), and read-only sticks from any entry
 * dropped on that path. */
static void plan_sort(NsPlan *plan) {
        NsMountOp *m = plan->mounts;
        size_t n = 0;

        for (size_t i = 1; i < plan->n_mounts; i++)
                for (size_t j = i; j > 0 && op_compare(&m[j - 1], &m[j]) > 0; j--) {
                        NsMountOp t = m[j];

                        m[j] = m[j - 1];
                        m[j - 1] = t;
                }
        for (size_t i = 0; i < plan->n_mounts; i++) {
                NsMountOp *prev = n > 0 ? &m[n - 1] : NULL;
                bool ro = m[i].read_only || m[i].kind == NS_MOUNT_READ_ONLY;

                if (!prev || !streq(prev->target, m[i].target)) {
                        m[n++] = m[i];
                        continue;
                }
                prev->read_only = prev->read_only || ro;
                op_done(&m[i]);
        }
        plan->n_mounts = n;
}

static bool path_below(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        if (streq(prefix, "/"))
                return path[0] == '/' && path[1] != 0;
        return strneq(path, prefix, n) && path[n] == '/';
}

/* Whether an entry is below m[i]: all those sort after it, among the
 * entries that start with its target ("/a/b-c" sorts between "/a/b" and
 * "/a/b/c"). */
static bool any_below(const NsMountOp *m, size_t n, size_t i) {
        size_t len = strlen(m[i].target);

        for (size_t j = i + 1; j < n && strneq(m[j].target, m[i].target, len); j++)
                if (path_below(m[j].target, m[i].target))
                        return true;
        return false;
}

/* Entries whose mount would change nothing the service can do, dropped
 * before the child spends syscalls (and, for an unused clone, an RCU grace
 * period) on them:
 *   - an optional entry that needs its target to exist (read-only,
 *     writable, inaccessible) directly below a minimal /dev of ours, on a
 *     name that /dev never holds (/dev/kmsg under PrivateDevices=): the
 *     child would find nothing there and skip it; nothing mounted before it
 *     can make that name (an entry creates only its own path, and those
 *     below /dev/NAME sort after it);
 *   - an implied read-only entry (ProtectKernelTunables='s /sys/kernel/debug
 *     & co., paths without symlinks) whose nearest entry above is a fresh
 *     sysfs made read-only, with no entry below it: the sysfs has no mounts
 *     of its own, so the read-only pass decides that path by the sysfs entry
 *     alike; the bind onto itself would only add a read-only mount. */
static bool prunable(const NsMountOp *m, size_t n, size_t i) {
        const NsMountOp *op = &m[i], *up = NULL;
        const char *name;

        for (size_t j = i; j-- > 0;)
                if (path_below(op->target, m[j].target)) {
                        up = &m[j];
                        break;
                }
        if (!up || !op->optional)
                return false;
        if (up->kind == NS_MOUNT_DEV && (op->kind == NS_MOUNT_READ_ONLY || op->kind == NS_MOUNT_READ_WRITE ||
                                         op->kind == NS_MOUNT_INACCESSIBLE)) {
                name = op->target + strlen(up->target) + (streq(up->target, "/") ? 0 : 1);
                return !strchr(name, '/') && !ns_mount_dev_has(name);
        }
        return op->implied && op->kind == NS_MOUNT_READ_ONLY && up->kind == NS_MOUNT_SYSFS && up->read_only &&
               !any_below(m, n, i);
}

/* Decided on the whole sorted list first, then compacted. */
static int plan_prune(NsPlan *plan) {
        _cleanup_free_ bool *drop = calloc(plan->n_mounts + 1, sizeof(bool));
        NsMountOp *m = plan->mounts;
        size_t n = 0;

        if (!drop)
                return -ENOMEM;
        for (size_t i = 0; i < plan->n_mounts; i++)
                drop[i] = prunable(m, plan->n_mounts, i);
        for (size_t i = 0; i < plan->n_mounts; i++) {
                if (drop[i]) {
                        op_done(&m[i]);
                        continue;
                }
                m[n++] = m[i];
        }
        plan->n_mounts = n;
        return 0;
}

int ns_mount_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        _cleanup_free_ char *inacc = NULL, *tmp = NULL;
        int r;

        if (!(plan->clone_flags & CLONE_NEWNS))
                return 0;
        plan->root = u->root_directory;
        if (u->n_inaccessible_paths > 0 || u->protect_home == PROTECT_HOME_YES || u->private_tmp ||
            ns_mount_kernel_needs_inaccessible(u)) {
                r = plan_host_dirs(p, &inacc, &tmp, reterr);
                if (r < 0)
                        return crl_error_set(reterr, r, "step 'mount': %s", strerror(-r));
        }
        r = plan_protect(u, plan, inacc);
        if (r >= 0)
                r = plan_path_lists(u, plan, inacc);
        if (r >= 0)
                r = plan_binds(u, plan);
        if (r >= 0 && u->private_tmp)
                r = plan_private_tmp(plan, tmp);
        if (r >= 0)
                r = ns_mount_kernel_plan(u, plan, inacc);
        if (r < 0)
                return crl_error_set(reterr, r, "step 'mount': %s", strerror(-r));
        plan_sort(plan);
        r = plan_prune(plan);
        if (r < 0)
                return crl_error_set(reterr, r, "step 'mount': %s", strerror(-r));
        return 0;
}
