/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mount steps: the parent turns the unit's filesystem keys into an ordered
 * list of NsMountOp (ns_mount_plan), the child applies it (ns_mount_apply)
 * before pivot_root, at root-prefixed paths, so BindPaths= sources are still
 * the host's. Order (later entries override earlier ones on the same path):
 *   RootDirectory self-bind, ProtectSystem=, ProtectHome=,
 *   ReadOnly/ReadWrite/InaccessiblePaths= (shallow paths first),
 *   TemporaryFileSystem=, BindPaths=, PrivateTmp=, /dev, /proc, /sys,
 *   /sys/fs/cgroup. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macros.h"
#include "ns-plan.h"

#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

static const char *const kind_names[_NS_MOUNT_KIND_MAX] = {
        [NS_MOUNT_BIND] = "bind",
        [NS_MOUNT_READ_ONLY] = "read-only",
        [NS_MOUNT_READ_WRITE] = "read-write",
        [NS_MOUNT_INACCESSIBLE] = "inaccessible",
        [NS_MOUNT_TMPFS] = "tmpfs",
        [NS_MOUNT_PROC] = "proc",
        [NS_MOUNT_CGROUP2] = "cgroup2",
        [NS_MOUNT_DEV] = "dev",
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
        default:
                return snprintf(buf, size, "mount %s on %s", ns_mount_kind_to_string(op->kind), op->target);
        }
}

void ns_mount_plan_free(NsPlan *plan) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                free(plan->mounts[i].source);
                free(plan->mounts[i].target);
                free(plan->mounts[i].where);
                free(plan->mounts[i].options);
                safe_close(plan->mounts[i].tree_fd);
        }
        free(plan->mounts);
        plan->mounts = NULL;
        plan->n_mounts = 0;
}

static int add_op(NsPlan *plan, NsMountKind kind, const char *source, const char *target,
                  const char *options, bool optional, bool read_only) {
        NsMountOp *m, op = { .kind = kind, .tree_fd = -EBADF, .optional = optional, .read_only = read_only,
                             .recursive = true };
        const char *root = plan->root ?: "";

        m = realloc(plan->mounts, (plan->n_mounts + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        plan->mounts = m;
        op.source = source ? strdup(source) : NULL;
        op.target = strdup(target);
        op.options = options ? strdup(options) : NULL;
        if (asprintf(&op.where, "%s%s", root, streq(target, "/") && *root ? "" : target) < 0)
                op.where = NULL;
        if ((source && !op.source) || !op.target || (options && !op.options) || !op.where) {
                free(op.source), free(op.target), free(op.options), free(op.where);
                return -ENOMEM;
        }
        plan->mounts[plan->n_mounts++] = op;
        return 0;
}

static unsigned path_depth(const char *p) {
        unsigned n = 0;

        for (; *p; p++)
                n += *p == '/' && p[1] && p[1] != '/';
        return n;
}

/* ReadOnly/ReadWrite/InaccessiblePaths= together, shallow first, so
 * ReadWritePaths=/var/lib/x beats ReadOnlyPaths=/var (as in systemd). */
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
        unsigned max = 0;
        int r;

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (size_t i = 0; i < lists[l].n; i++)
                        max = MAX(max, path_depth(lists[l].specs[i].path));
        for (unsigned d = 0; d <= max; d++)
                for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                        for (size_t i = 0; i < lists[l].n; i++) {
                                const PathSpec *s = &lists[l].specs[i];

                                if (path_depth(s->path) != d)
                                        continue;
                                r = add_op(plan, lists[l].kind,
                                           lists[l].kind == NS_MOUNT_INACCESSIBLE ? inaccessible_file : NULL,
                                           s->path, NULL, s->ignore_missing, false);
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

static int plan_api_fs(const UnitConfig *u, NsPlan *plan) {
        bool cgns = u->protect_control_groups == PROTECT_CGROUPS_PRIVATE ||
                    u->protect_control_groups == PROTECT_CGROUPS_STRICT;
        int r = 0;

        if (u->private_devices)
                r = add_op(plan, NS_MOUNT_DEV, NULL, "/dev", "mode=0755,size=4m", false, false);
        else if (plan->root)
                r = add_op(plan, NS_MOUNT_BIND, "/dev", "/dev", NULL, true, false);
        if (r >= 0 && u->private_pids)
                r = add_op(plan, NS_MOUNT_PROC, NULL, "/proc", NULL, false, false);
        else if (r >= 0 && plan->root)
                r = add_op(plan, NS_MOUNT_BIND, "/proc", "/proc", NULL, true, false);
        if (r >= 0 && plan->root)
                r = add_op(plan, NS_MOUNT_BIND, "/sys", "/sys", NULL, true, false);
        if (r >= 0 && cgns)
                r = add_op(plan, NS_MOUNT_CGROUP2, NULL, "/sys/fs/cgroup", NULL, false,
                           u->protect_control_groups == PROTECT_CGROUPS_STRICT);
        else if (r >= 0 && u->protect_control_groups == PROTECT_CGROUPS_YES)
                r = add_op(plan, NS_MOUNT_READ_ONLY, NULL, "/sys/fs/cgroup", NULL, true, true);
        return r;
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

static bool path_under(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        return strneq(path, prefix, n) && (path[n] == '/' || path[n] == 0);
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

/* In a user namespace the child is not privileged over the host's
 * filesystem, so missing BindPaths= targets on it are made here, as the
 * host's root; those inside a tmpfs of the service are made by the child. */
static int plan_mount_points(NsPlan *plan, CrlError *reterr) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                const NsMountOp *op = &plan->mounts[i];
                struct stat st;
                bool in_tmpfs = false;
                int r, fd;

                if (op->kind != NS_MOUNT_BIND || access(op->where, F_OK) >= 0 || stat(op->source, &st) < 0)
                        continue;
                for (size_t j = 0; j < plan->n_mounts; j++)
                        in_tmpfs = in_tmpfs || (plan->mounts[j].kind == NS_MOUNT_TMPFS &&
                                                path_under(op->where, plan->mounts[j].where));
                if (in_tmpfs)
                        continue;
                r = mkdir_parents(op->where);
                if (r >= 0 && S_ISDIR(st.st_mode) && mkdir(op->where, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                if (r >= 0 && !S_ISDIR(st.st_mode)) {
                        fd = open(op->where, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
                        r = fd < 0 ? -errno : 0;
                        safe_close(fd);
                }
                if (r < 0 && !op->optional)
                        return crl_error_set(reterr, r, "step 'mount': create mount point %s: %s", op->target, strerror(-r));
        }
        return 0;
}

/* In a user namespace the child's root may not even traverse to a bind
 * source (PrivateTmp='s 0700 directory, a user's home): clone each source
 * tree here, as the host's root, for the child to attach with move_mount(). */
static int plan_trees(NsPlan *plan, CrlError *reterr) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                NsMountOp *op = &plan->mounts[i];
                char what[512];

                if (!op->source || (op->kind != NS_MOUNT_BIND && op->kind != NS_MOUNT_INACCESSIBLE))
                        continue;
                op->tree_fd = open_tree(AT_FDCWD, op->source,
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
                if (op->tree_fd >= 0)
                        continue;
                if (errno == ENOENT && op->optional) {
                        op->missing = true;
                        continue;
                }
                (void) ns_mount_describe(op, what, sizeof(what));
                return crl_error_set(reterr, errno, "step 'mount': %s: %s", what, strerror(errno));
        }
        return 0;
}

int ns_mount_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        _cleanup_free_ char *inacc = NULL, *tmp = NULL;
        int r;

        if (!(plan->clone_flags & CLONE_NEWNS))
                return 0;
        plan->root = u->root_directory;
        if (u->n_inaccessible_paths > 0 || u->protect_home == PROTECT_HOME_YES || u->private_tmp) {
                r = plan_host_dirs(p, &inacc, &tmp, reterr);
                if (r < 0)
                        return crl_error_set(reterr, r, "step 'mount': %s", strerror(-r));
        }
        r = 0;
        if (plan->root)
                r = add_op(plan, NS_MOUNT_BIND, plan->root, "/", NULL, false, false);
        if (r >= 0)
                r = plan_protect(u, plan, inacc);
        if (r >= 0)
                r = plan_path_lists(u, plan, inacc);
        if (r >= 0)
                r = plan_binds(u, plan);
        if (r >= 0 && u->private_tmp)
                r = plan_private_tmp(plan, tmp);
        if (r >= 0)
                r = plan_api_fs(u, plan);
        if (r < 0)
                return crl_error_set(reterr, r, "step 'mount': %s", strerror(-r));
        if (plan->unshare_userns) {
                r = plan_trees(plan, reterr);
                if (r < 0)
                        return r;
                return plan_mount_points(plan, reterr);
        }
        return 0;
}

/* ---- child side: no allocation below this line ---- */

/* dst = a + "/" + b in a caller buffer. */
static int path_join(char *dst, size_t size, const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);

        if (la + 1 + lb + 1 > size)
                return -ENAMETOOLONG;
        memcpy(dst, a, la);
        dst[la] = '/';
        memcpy(dst + la + 1, b, lb + 1);
        return 0;
}

static int set_read_only(const char *where, bool ro) {
        struct mount_attr attr = {
                .attr_set = ro ? MOUNT_ATTR_RDONLY : 0,
                .attr_clr = ro ? 0 : MOUNT_ATTR_RDONLY,
        };

        return RET_NERRNO(mount_setattr(AT_FDCWD, where, AT_RECURSIVE, &attr, sizeof(attr)));
}

/* Create a missing mount point: a directory, or an empty file when the
 * source is not a directory. */
static int make_mount_point(const char *where, bool dir) {
        int fd;

        if (access(where, F_OK) >= 0)
                return 0;
        if (dir)
                return mkdir(where, 0755) < 0 && errno != EEXIST ? -errno : 0;
        fd = open(where, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        safe_close(fd);
        return 0;
}

static int prepare_mount_point(const NsMountOp *op) {
        struct stat st;
        int r;

        switch (op->kind) {
        case NS_MOUNT_BIND:
                if (stat(op->source, &st) < 0)
                        return 0;       /* reported (or skipped, when optional) by the bind itself */
                r = make_mount_point(op->where, S_ISDIR(st.st_mode));
                break;
        case NS_MOUNT_TMPFS:
        case NS_MOUNT_PROC:
        case NS_MOUNT_CGROUP2:
        case NS_MOUNT_DEV:
                r = make_mount_point(op->where, true);
                break;
        default:
                return 0;
        }
        return op->optional && r == -ENOENT ? 0 : r;
}

/* Bind op->source (or attach its cloned tree) onto op->where. */
static int bind_source(const NsMountOp *op) {
        struct stat st;
        int r;

        if ((op->tree_fd >= 0 ? fstat(op->tree_fd, &st) : stat(op->source, &st)) < 0)
                return op->optional && errno == ENOENT ? 0 : -errno;
        r = make_mount_point(op->where, S_ISDIR(st.st_mode));
        if (r < 0)
                return op->optional && r == -ENOENT ? 0 : r;
        if (op->tree_fd >= 0)
                r = RET_NERRNO(move_mount(op->tree_fd, "", AT_FDCWD, op->where, MOVE_MOUNT_F_EMPTY_PATH));
        else
                r = RET_NERRNO(mount(op->source, op->where, NULL, MS_BIND | (op->recursive ? MS_REC : 0), NULL));
        return r < 0 ? r : 1;
}

static int apply_bind(const NsMountOp *op) {
        int r;

        if (op->missing)
                return 0;
        r = bind_source(op);
        if (r <= 0)
                return r;
        return op->read_only ? set_read_only(op->where, true) : 0;
}

/* Make a path its own mount point (unless it is the root, which is one, and
 * whose self-bind would be invisible to lookups from our root), then flip ro. */
/* A path the service's root cannot even reach (a user namespace's root
 * facing a 0700 host directory) is out of its reach already. */
static bool unreachable(const NsMountOp *op, int error) {
        return (op->optional && error == ENOENT) || error == EACCES;
}

static int apply_read_only(const NsMountOp *op, bool ro) {
        if (access(op->where, F_OK) < 0)
                return ro && unreachable(op, errno) ? 0 : op->optional && errno == ENOENT ? 0 : -errno;
        if (!streq(op->target, "/") && mount(op->where, op->where, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        return set_read_only(op->where, ro);
}

static int apply_inaccessible(const NsMountOp *op) {
        struct stat st;

        if (lstat(op->where, &st) < 0)
                return unreachable(op, errno) ? 0 : -errno;
        if (S_ISDIR(st.st_mode))
                return RET_NERRNO(mount("tmpfs", op->where, "tmpfs",
                                        MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000"));
        return apply_bind(op);
}

static int apply_fs(const NsMountOp *op, const char *type, unsigned long flags) {
        int r = make_mount_point(op->where, true);

        if (r < 0)
                return op->optional && r == -ENOENT ? 0 : r;
        if (op->read_only)
                flags |= MS_RDONLY;
        return RET_NERRNO(mount(type, op->where, type, flags, op->options));
}

/* The kernel refuses to stack a mount of the same superblock on itself
 * (EBUSY), and cgroup2 has one superblock whatever the namespace: where
 * /sys/fs/cgroup already is cgroup2 (not on a hybrid host), put a tmpfs
 * between them. Unmounting instead fails in a user namespace (locked mount). */
static int apply_cgroup2(const NsMountOp *op) {
        int r = apply_fs(op, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC);

        if (r != -EBUSY)
                return r;
        if (mount("tmpfs", op->where, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0)
                return -errno;
        return apply_fs(op, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

static const char *const dev_nodes[NS_DEV_NODES_MAX] = { "null", "zero", "full", "random", "urandom", "tty" };

static int dev_populate(const char *dev, const int fds[]) {
        static const char *const links[][2] = {
                { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
                { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
        };
        char dst[4096], src[64];
        int r;

        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++) {
                if (fds[i] < 0)
                        continue;
                if ((r = path_join(dst, sizeof(dst), dev, dev_nodes[i])) < 0 || (r = make_mount_point(dst, false)) < 0)
                        return r;
                /* Bind the host's node: a user namespace may not mknod, and
                 * its own tmpfs is nodev anyway. */
                (void) snprintf(src, sizeof(src), "/proc/self/fd/%d", fds[i]);
                if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                        return -errno;
        }
        if ((r = path_join(dst, sizeof(dst), dev, "pts")) < 0 || (r = make_mount_point(dst, true)) < 0)
                return r;
        if (mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                return -errno;
        if ((r = path_join(dst, sizeof(dst), dev, "shm")) < 0 || (r = make_mount_point(dst, true)) < 0)
                return r;
        if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, "mode=01777") < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if ((r = path_join(dst, sizeof(dst), dev, links[i][1])) < 0)
                        return r;
                if (symlink(links[i][0], dst) < 0 && errno != EEXIST)
                        return -errno;
        }
        return 0;
}

static int apply_dev(NsPlan *plan, const NsMountOp *op) {
        int r;

        /* Open the host's nodes before our tmpfs hides them. */
        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++) {
                char p[32];

                (void) snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
                plan->dev_fds[i] = open(p, O_PATH | O_CLOEXEC);
        }
        r = apply_fs(op, "tmpfs", MS_NOSUID | MS_NOEXEC);
        if (r >= 0)
                r = dev_populate(op->where, plan->dev_fds);
        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++)
                plan->dev_fds[i] = safe_close(plan->dev_fds[i]);
        return r;
}

static int apply_op(NsPlan *plan, const NsMountOp *op) {
        switch (op->kind) {
        case NS_MOUNT_BIND:
                return apply_bind(op);
        case NS_MOUNT_READ_ONLY:
                return apply_read_only(op, true);
        case NS_MOUNT_READ_WRITE:
                return apply_read_only(op, false);
        case NS_MOUNT_INACCESSIBLE:
                return apply_inaccessible(op);
        case NS_MOUNT_TMPFS:
                return apply_fs(op, "tmpfs", MS_NOSUID | MS_NODEV);
        case NS_MOUNT_PROC:
                return apply_fs(op, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
        case NS_MOUNT_CGROUP2:
                return apply_cgroup2(op);
        case NS_MOUNT_DEV:
                return apply_dev(plan, op);
        default:
                return -EINVAL;
        }
}

static int pivot_into(const char *root) {
        /* pivot_root(".", "."): the old root ends up stacked on the new one
         * and is detached right away, no put_old directory needed. */
        if (chdir(root) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        return RET_NERRNO(chdir("/"));
}

int ns_mount_apply(NsPlan *plan, NsStep *ret_step, int *ret_index) {
        int r;

        if (!(plan->clone_flags & CLONE_NEWNS))
                return 0;
        /* Slave: the host's later mounts still reach us, ours never leak out. */
        *ret_step = NS_STEP_PROPAGATION;
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return -errno;
        *ret_step = NS_STEP_MOUNT;
        /* Mount points first: once ProtectSystem=strict or ReadOnlyPaths= made
         * a parent read-only, mkdir() there fails with EROFS. */
        for (size_t i = 0; i < plan->n_mounts; i++)
                (void) prepare_mount_point(&plan->mounts[i]);  /* best effort: the op itself reports */
        for (size_t i = 0; i < plan->n_mounts; i++) {
                *ret_index = (int) i;
                r = apply_op(plan, &plan->mounts[i]);
                if (r < 0)
                        return r;
        }
        *ret_index = -1;
        *ret_step = NS_STEP_PIVOT_ROOT;
        return plan->root ? pivot_into(plan->root) : 0;
}
