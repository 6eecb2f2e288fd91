/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mount steps: the parent turns the unit's filesystem keys into one list of
 * NsMountOp sorted by target, a path before everything below it, and one
 * entry per target (ns_mount_plan); the child applies it (ns_mount_apply)
 * before pivot_root, as systemd's namespace.c does:
 *   1. open_tree() clones of every bind source, before any mount is made, so
 *      no mount of ours can shadow a later source;
 *   2. every entry mounted in order, at its target resolved inside the root
 *      (openat2 RESOLVE_IN_ROOT from the fd of the root's own bind mount),
 *      by fd (move_mount), missing mount points created component by
 *      component with mkdirat()/openat(O_EXCL|O_NOFOLLOW) on the parent's fd;
 *   3. read-only flags, per mount, on each read-only entry's mounts except
 *      those under a deeper entry: a writable entry is its own bind mount,
 *      never flipped back to writable, so the host's read-only submounts stay.
 * Nothing is created or mounted outside the root. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macros.h"
#include "ns-plan.h"
#include "syscalls.h"


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
        return 0;
}

/* ---- child side: no allocation below this line ---- */

static bool path_under_or_equal(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        if (streq(prefix, "/"))
                return path[0] == '/';
        return strneq(path, prefix, n) && (path[n] == '/' || path[n] == 0);
}

static int open_in_root(int root_fd, const char *path) {
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        return crl_openat2(root_fd, path, &how);
}

typedef enum MountPoint {
        MOUNT_POINT_NONE,
        MOUNT_POINT_DIR,
        MOUNT_POINT_FILE,
} MountPoint;

/* path = path[0, start) + link + path[end, ...), in place. */
static int path_splice(char *path, size_t size, size_t start, size_t end, const char *link) {
        char buf[PATH_MAX];
        int n = snprintf(buf, sizeof(buf), "%.*s/%s%s", (int) start, path, link, path + end);

        if (n < 0 || (size_t) n >= sizeof(buf) || (size_t) n >= size)
                return -ENAMETOOLONG;
        memcpy(path, buf, (size_t) n + 1);
        return 0;
}

/* The first missing component of path, found by opening each prefix inside
 * the root: made (a directory, the last one an empty file for a
 * MOUNT_POINT_FILE) with mkdirat()/openat(O_EXCL|O_NOFOLLOW) on its
 * parent's fd, which can create nothing but that one name. A symlink
 * dangling inside the root is never followed by the kernel here: path is
 * rewritten through it, for the next openat2() to resolve in the root. */
static int create_step(int root_fd, char *path, size_t size, MountPoint kind) {
        _cleanup_close_ int parent = open_in_root(root_fd, "/");
        char link[PATH_MAX], name[NAME_MAX + 1];
        size_t start = 0, end;
        struct stat st;

        for (;; start = end) {
                int fd;
                char c;

                while (path[start] == '/')
                        start++;
                if (!path[start])
                        return 0;       /* everything exists now */
                end = start + strcspn(path + start, "/");
                c = path[end];
                path[end] = 0;
                fd = open_in_root(root_fd, path);
                path[end] = c;
                if (fd >= 0) {
                        safe_close(parent);
                        parent = fd;
                        continue;
                }
                if (fd != -ENOENT || parent < 0 || end - start > NAME_MAX)
                        return fd != -ENOENT ? fd : parent < 0 ? parent : -ENAMETOOLONG;
                memcpy(name, path + start, end - start);
                name[end - start] = 0;
                break;
        }
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                ssize_t n;

                if (!S_ISLNK(st.st_mode))
                        return 0;       /* appeared meanwhile: look again */
                n = readlinkat(parent, name, link, sizeof(link) - 1);
                if (n < 0)
                        return -errno;
                link[n] = 0;
                return path_splice(path, size, link[0] == '/' ? 0 : start, end, link);
        }
        if (errno != ENOENT)
                return -errno;
        while (path[end] == '/')
                end++;
        if (!path[end] && kind == MOUNT_POINT_FILE) {
                int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);

                if (fd < 0 && errno != EEXIST)
                        return -errno;
                safe_close(fd);
                return 0;
        }
        return mkdirat(parent, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* An O_PATH fd of target inside the root, its missing components created
 * (kind != MOUNT_POINT_NONE) as create_step() does, one per round. */
static int resolve_target(int root_fd, const char *target, MountPoint kind) {
        char path[PATH_MAX];
        int fd, r;

        if (strlen(target) >= sizeof(path))
                return -ENAMETOOLONG;
        strcpy(path, target);
        for (unsigned round = 0; round < 256; round++) {
                fd = open_in_root(root_fd, path);
                if (fd != -ENOENT || kind == MOUNT_POINT_NONE)
                        return fd;
                r = create_step(root_fd, path, sizeof(path), kind);
                if (r < 0)
                        return r;
        }
        return -ELOOP;
}

static int attach(int tree_fd, int target_fd) {
        return RET_NERRNO(move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

static int set_attr(int fd, const char *path, uint64_t set, unsigned flags) {
        struct mount_attr attr = { .attr_set = set };

        return RET_NERRNO(mount_setattr(fd, path, flags, &attr, sizeof(attr)));
}

/* A detached new filesystem: options "k=v,flag,..." go to fsconfig() one by one. */
static int fs_new(const char *type, const char *options, unsigned attrs) {
        _cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
        char buf[1024], *save = NULL;
        int mnt;

        if (fs < 0)
                return -errno;
        if (options && strlen(options) >= sizeof(buf))
                return -E2BIG;
        strcpy(buf, options ?: "");
        for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                char *v = strchr(w, '=');

                if (v)
                        *v++ = 0;
                if (fsconfig(fs, v ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, w, v, 0) < 0)
                        return -errno;
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
        return mnt < 0 ? -errno : mnt;
}

/* Attach a new filesystem on target_fd; returns its mount fd. */
static int fs_attach(int target_fd, const char *type, const char *options, unsigned attrs) {
        int mnt = fs_new(type, options, attrs), r;

        if (mnt < 0)
                return mnt;
        r = attach(mnt, target_fd);
        if (r < 0) {
                safe_close(mnt);
                return r;
        }
        return mnt;
}

/* The clones: every bind source and the host's device nodes, taken before
 * any mount exists, so a tmpfs or bind of ours can never shadow one. */
static const char *const dev_nodes[NS_DEV_NODES_MAX] = { "null", "zero", "full", "random", "urandom", "tty" };

/* The inaccessible entries with one source share one clone, taken for the
 * first of them: a directory target gets a tmpfs, not the node, and closing
 * an unused detached clone unmounts it, which waits for an RCU grace period
 * (namespace_unlock()). The first file target attaches the clone; later
 * ones clone that mount (open_tree() on 6.1 clones attached mounts only). */
static NsMountOp *node_owner(NsPlan *plan, const NsMountOp *op) {
        for (size_t j = 0; j < plan->n_mounts; j++) {
                NsMountOp *o = &plan->mounts[j];

                if (o->kind == NS_MOUNT_INACCESSIBLE && o->source && streq(o->source, op->source))
                        return o;
        }
        return NULL;
}

static int take_trees(NsPlan *plan, int *ret_index) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                NsMountOp *op = &plan->mounts[i], *owner;

                *ret_index = (int) i;
                if (op->kind == NS_MOUNT_DEV)
                        for (size_t d = 0; d < NS_DEV_NODES_MAX; d++) {
                                char p[32];

                                (void) snprintf(p, sizeof(p), "/dev/%s", dev_nodes[d]);
                                plan->dev_fds[d] = open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                        }
                if (!op->source || (op->kind != NS_MOUNT_BIND && op->kind != NS_MOUNT_INACCESSIBLE))
                        continue;
                owner = op->kind == NS_MOUNT_INACCESSIBLE ? node_owner(plan, op) : op;
                if (owner != op) {
                        if (owner->missing && !op->optional)
                                return -ENOENT;
                        op->missing = owner->missing;
                        continue;
                }
                op->tree_fd = open_tree(AT_FDCWD, op->source,
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
                if (op->tree_fd >= 0)
                        continue;
                if (errno != ENOENT || !op->optional)
                        return -errno;
                op->missing = true;
        }
        *ret_index = -1;
        return 0;
}

static int mount_bind(const NsMountOp *op, int root_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (op->missing)
                return -EBADF;
        if (fstat(op->tree_fd, &st) < 0)
                return -errno;
        fd = resolve_target(root_fd, op->target, S_ISDIR(st.st_mode) ? MOUNT_POINT_DIR : MOUNT_POINT_FILE);
        if (fd < 0)
                return fd;
        return attach(op->tree_fd, fd) < 0 ? -errno : TAKE_FD(fd);
}

/* ReadOnly/ReadWritePaths=: the path becomes a mount of its own (unless it
 * is the root), so the read-only pass can tell it from its parent. */
static int mount_self(const NsMountOp *op, int root_fd) {
        _cleanup_close_ int fd = resolve_target(root_fd, op->target, MOUNT_POINT_NONE), tree = -EBADF;

        if (fd < 0 || streq(op->target, "/"))
                return fd < 0 ? fd : TAKE_FD(fd);
        tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0)
                return -errno;
        return attach(tree, fd) < 0 ? -errno : TAKE_FD(fd);
}

static int mount_inaccessible(NsPlan *plan, const NsMountOp *op, int root_fd) {
        _cleanup_close_ int fd = resolve_target(root_fd, op->target, MOUNT_POINT_NONE), mnt = -EBADF;
        unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        NsMountOp *owner = node_owner(plan, op);
        int tree, r;
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                mnt = fs_attach(fd, "tmpfs", "mode=000", attrs);
                return mnt < 0 ? mnt : TAKE_FD(fd);
        }
        if (owner->missing)
                return -EBADF;
        tree = owner->tree_fd;
        if (owner->tree_attached) {
                mnt = open_tree(owner->tree_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                                            (op->recursive ? AT_RECURSIVE : 0));
                if (mnt < 0)
                        return -errno;
                tree = mnt;
        }
        r = set_attr(tree, "", attrs, AT_EMPTY_PATH);
        if (r >= 0)
                r = attach(tree, fd);
        if (r < 0)
                return r;
        owner->tree_attached = true;
        return TAKE_FD(fd);
}

/* The kernel refuses to stack a mount of the same superblock on itself
 * (EBUSY), and cgroup2 has one superblock whatever the namespace: where
 * /sys/fs/cgroup already is cgroup2 (not on a hybrid host), put a tmpfs
 * between them. sysfs has one per network namespace: the host's again
 * when NetworkNamespacePath= names the host's namespace. */
static int mount_fs(const NsMountOp *op, int root_fd, const char *type, unsigned attrs) {
        _cleanup_close_ int fd = resolve_target(root_fd, op->target, op->create ? MOUNT_POINT_DIR : MOUNT_POINT_NONE);
        int mnt;

        if (fd < 0)
                return fd;
        mnt = fs_attach(fd, type, op->options, attrs);
        if (mnt == -EBUSY && (streq(type, "cgroup2") || streq(type, "sysfs"))) {
                mnt = fs_attach(fd, "tmpfs", "mode=0755,size=4k", attrs);
                if (mnt >= 0) {
                        safe_close(mnt);
                        fd = safe_close(fd);
                        fd = resolve_target(root_fd, op->target, MOUNT_POINT_NONE);
                        mnt = fd < 0 ? fd : fs_attach(fd, type, op->options, attrs);
                }
        }
        if (mnt < 0)
                return mnt;
        safe_close(mnt);
        return TAKE_FD(fd);
}

/* /dev's own nodes: clones of the host's (a user namespace may not mknod,
 * and the tmpfs is nodev), made by name inside our fresh tmpfs, which holds
 * no symlink until the last loop. */
static int dev_populate(int dev_fd, const int fds[]) {
        static const char *const links[][2] = {
                { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
                { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
        };
        int mnt, fd, r;

        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++) {
                if (fds[i] < 0)
                        continue;
                fd = openat(dev_fd, dev_nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
                if (fd < 0)
                        return -errno;
                safe_close(fd);
                if (move_mount(fds[i], "", dev_fd, dev_nodes[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return -errno;
        }
        if (mkdirat(dev_fd, "pts", 0755) < 0 || mkdirat(dev_fd, "shm", 0755) < 0)
                return -errno;
        mnt = fs_new("devpts", "ptmxmode=0666,mode=0620", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        r = mnt < 0 ? mnt : RET_NERRNO(move_mount(mnt, "", dev_fd, "pts", MOVE_MOUNT_F_EMPTY_PATH));
        safe_close(mnt);
        if (r < 0)
                return r;
        mnt = fs_new("tmpfs", "mode=01777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        r = mnt < 0 ? mnt : RET_NERRNO(move_mount(mnt, "", dev_fd, "shm", MOVE_MOUNT_F_EMPTY_PATH));
        safe_close(mnt);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i][0], dev_fd, links[i][1]) < 0 && errno != EEXIST)
                        return -errno;
        return 0;
}

static int mount_credentials(const NsPlan *plan, const NsMountOp *op, int root_fd) {
        _cleanup_close_ int fd = resolve_target(root_fd, op->target, MOUNT_POINT_DIR), mnt = -EBADF;
        int r;

        if (fd < 0)
                return fd;
        mnt = fs_attach(fd, "tmpfs", op->options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                return mnt;
        r = ns_credentials_write(plan, mnt);
        return r < 0 ? r : TAKE_FD(fd);
}

static int mount_dev(NsPlan *plan, const NsMountOp *op, int root_fd) {
        _cleanup_close_ int fd = resolve_target(root_fd, op->target, MOUNT_POINT_DIR), mnt = -EBADF;
        int r;

        if (fd < 0)
                return fd;
        /* nodev: the nodes are binds of the host's, each a mount of its
         * own; devpts keeps dev, its ptys are nodes on it. */
        mnt = fs_attach(fd, "tmpfs", op->options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV);
        r = mnt < 0 ? mnt : dev_populate(mnt, plan->dev_fds);
        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++)
                plan->dev_fds[i] = safe_close(plan->dev_fds[i]);
        return r < 0 ? r : TAKE_FD(fd);
}

/* Mount one entry; returns the fd of its target (below the new mount). */
static int mount_one(NsPlan *plan, const NsMountOp *op, int root_fd) {
        switch (op->kind) {
        case NS_MOUNT_BIND:
                return mount_bind(op, root_fd);
        case NS_MOUNT_READ_ONLY:
        case NS_MOUNT_READ_WRITE:
                return mount_self(op, root_fd);
        case NS_MOUNT_INACCESSIBLE:
                return mount_inaccessible(plan, op, root_fd);
        case NS_MOUNT_TMPFS:
                return mount_fs(op, root_fd, "tmpfs", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        case NS_MOUNT_PROC:
                return mount_fs(op, root_fd, "proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        case NS_MOUNT_SYSFS:
                return mount_fs(op, root_fd, "sysfs", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        case NS_MOUNT_CGROUP2:
                return mount_fs(op, root_fd, "cgroup2", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        case NS_MOUNT_DEV:
                return mount_dev(plan, op, root_fd);
        case NS_MOUNT_CREDENTIALS:
                return mount_credentials(plan, op, root_fd);
        default:
                return -EINVAL;
        }
}

/* Where fd is, as the kernel names it. */
static int fd_path(int fd, char *buf, size_t size) {
        char p[64];
        ssize_t n;

        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        n = readlink(p, buf, size - 1);
        if (n < 0)
                return -errno;
        if ((size_t) n >= size - 1)
                return -ENAMETOOLONG;
        buf[n] = 0;
        return 0;
}

/* Pass 1. The list is sorted by target, but a symlink inside the root can
 * send an entry elsewhere: one that would cover an earlier one (mounted
 * on or above where it landed) is refused rather than hiding it. */
static int mount_each(NsPlan *plan, int root_fd, int *ret_index) {
        for (size_t i = 0; i < plan->n_mounts; i++) {
                NsMountOp *op = &plan->mounts[i];
                _cleanup_close_ int fd = -EBADF;
                int r;

                *ret_index = (int) i;
                op->real[0] = 0;
                fd = mount_one(plan, op, root_fd);
                if (op->kind != NS_MOUNT_INACCESSIBLE)
                        op->tree_fd = safe_close(op->tree_fd);
                if (fd < 0 && op->optional && (fd == -ENOENT || op->missing))
                        continue;
                if (fd < 0)
                        return fd;
                r = fd_path(fd, op->real, PATH_MAX);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (plan->mounts[j].real[0] && path_under_or_equal(plan->mounts[j].real, op->real))
                                return -EXDEV;
        }
        *ret_index = -1;
        return 0;
}

/* The inaccessible nodes' clones stay open for the later entries to clone
 * from (node_owner()), until all are mounted. */
static int mount_all(NsPlan *plan, int root_fd, int *ret_index) {
        int r = mount_each(plan, root_fd, ret_index);

        for (size_t i = 0; i < plan->n_mounts; i++)
                plan->mounts[i].tree_fd = safe_close(plan->mounts[i].tree_fd);
        return r;
}

/* /proc/self/mountinfo, a line at a time, in a fixed buffer. */
typedef struct MountInfo {
        int fd;
        size_t len, pos;
        char buf[32768];
} MountInfo;

static int mountinfo_line(MountInfo *mi, char **ret) {
        for (;;) {
                char *nl = memchr(mi->buf + mi->pos, '\n', mi->len - mi->pos);
                ssize_t n;

                if (nl) {
                        *nl = 0;
                        *ret = mi->buf + mi->pos;
                        mi->pos = (size_t) (nl - mi->buf) + 1;
                        return 1;
                }
                memmove(mi->buf, mi->buf + mi->pos, mi->len - mi->pos);
                mi->len -= mi->pos;
                mi->pos = 0;
                if (mi->len == sizeof(mi->buf))
                        return -ENAMETOOLONG;
                n = read(mi->fd, mi->buf + mi->len, sizeof(mi->buf) - mi->len);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                mi->len += (size_t) n;
        }
}

/* Field 5, the mount point, unescaped (\040 and friends) into buf. */
static int mountinfo_point(const char *line, char *buf, size_t size) {
        const char *p = line;
        size_t n = 0;

        for (int field = 0; field < 4; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EBADMSG;
                p++;
        }
        for (; *p && *p != ' '; p++) {
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        buf[n++] = (char) ((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
                        p += 3;
                } else
                        buf[n++] = *p;
        }
        buf[n] = 0;
        return 0;
}

/* The entry that decides for a mount at point: the deepest one at or above
 * it. Entries that landed are never at the same place (mount_all()), and
 * all those above a point nest, so the deepest is the longest. -1: none. */
static int deciding_entry(const NsPlan *plan, const char *point) {
        size_t best_len = 0;
        int best = -1;

        for (size_t j = 0; j < plan->n_mounts; j++) {
                const char *d = plan->mounts[j].real;
                size_t len = strlen(d);

                if (len > 0 && (best < 0 || len > best_len) && path_under_or_equal(point, d)) {
                        best = (int) j;
                        best_len = len;
                }
        }
        return best;
}

static bool wants_read_only(const NsMountOp *op) {
        return op->read_only && op->real[0] && op->kind != NS_MOUNT_INACCESSIBLE;
}

/* Pass 2: read-only on every mount at or below a read-only entry, one mount
 * at a time, except below a deeper entry, which decides for itself: a
 * writable entry needs nothing, it was never made read-only. One read of
 * mountinfo for all entries (a read walks every mount of the namespace, and
 * flipping flags moves none). A mount hidden below another one has no path
 * of its own (ENOENT, or the visible mount there, which is ours to flip
 * anyway); mountinfo's paths are canonical, so no symlink is followed.
 * mount_setattr() sets MOUNT_ATTR_RDONLY alone: nosuid, nodev, noexec stay. */
static int read_only_all(const NsPlan *plan, int *ret_index) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
        MountInfo mi = { .fd = -EBADF };
        char point[PATH_MAX], *line = NULL;
        bool any = false;
        int r;

        for (size_t i = 0; i < plan->n_mounts; i++)
                any = any || wants_read_only(&plan->mounts[i]);
        if (!any)
                return 0;
        mi.fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (mi.fd < 0)
                return -errno;
        while ((r = mountinfo_line(&mi, &line)) > 0) {
                _cleanup_close_ int fd = -EBADF;
                int j;

                r = mountinfo_point(line, point, sizeof(point));
                if (r < 0)
                        break;
                j = deciding_entry(plan, point);
                if (j < 0 || !wants_read_only(&plan->mounts[j]))
                        continue;
                *ret_index = j;
                fd = crl_openat2(AT_FDCWD, point, &how);
                if (fd == -ENOENT)
                        continue;
                r = fd < 0 ? fd : set_attr(fd, "", MOUNT_ATTR_RDONLY, AT_EMPTY_PATH);
                if (r < 0)
                        break;
        }
        safe_close(mi.fd);
        if (r >= 0)
                *ret_index = -1;
        return r;
}

/* RootDirectory= bound onto itself (pivot_root wants a mount point, and the
 * mounts below it are then ours); returns the fd every target is resolved
 * from: that bind mount (tree, taken by take_root(), is consumed), or our "/". */
static int open_root(const NsPlan *plan, int tree) {
        if (!plan->root)
                return RET_NERRNO(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (move_mount(tree, "", AT_FDCWD, plan->root, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                safe_close(tree);
                return -errno;
        }
        return tree;
}

/* A clone of a shared mount joins its peer group: a mount made below it
 * later (by our own plan or by the service) would show up on the host.
 * Slaves, as the rest of our namespace, before anything is mounted. */
static int tree_slave(int fd) {
        struct mount_attr attr = { .propagation = MS_SLAVE };

        if (fd < 0)
                return 0;
        return RET_NERRNO(mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)));
}

static int slave_trees(const NsPlan *plan, int root_tree, int *ret_index) {
        int r = tree_slave(root_tree);

        for (size_t d = 0; r >= 0 && d < NS_DEV_NODES_MAX; d++)
                r = tree_slave(plan->dev_fds[d]);
        for (size_t i = 0; r >= 0 && i < plan->n_mounts; i++) {
                *ret_index = (int) i;
                r = tree_slave(plan->mounts[i].tree_fd);
        }
        return r;
}

static int take_root(const NsPlan *plan) {
        if (!plan->root)
                return -EBADF;
        return RET_NERRNO(open_tree(AT_FDCWD, plan->root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
}

/* Our own mount namespace: a copy of the template (ns_mount_template_make())
 * when there is one, else of the caller's, made by the clone. */
static int own_namespace(const NsPlan *plan) {
        if (plan->mount_template_fd >= 0 &&
            (setns(plan->mount_template_fd, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0))
                return -errno;
        /* Slave: the host's later mounts still reach us, ours never leak out. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return -errno;
        /* The network namespace pins (/run/netns, a mount of its own, see
         * ns_pin()) are not the service's: root in it could setns() into
         * another service's network, and every later pin would propagate
         * into its copy (N services, N² mounts). The template has none;
         * without one, or should a /run/netns have reached the template
         * since, drop the copy and its pins. */
        return ns_netns_dir_detach();
}

static int pivot_into(int root_fd) {
        /* pivot_root(".", "."): the old root ends up stacked on the new one
         * and is detached right away, no put_old directory needed. */
        if (fchdir(root_fd) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        return RET_NERRNO(chdir("/"));
}

int ns_mount_apply(NsPlan *plan, NsStep *ret_step, int *ret_index) {
        _cleanup_close_ int root_fd = -EBADF, root_tree = -EBADF;
        int r;

        if (!(plan->clone_flags & CLONE_NEWNS))
                return 0;
        /* The sources first, from the caller's namespace: the host's mounts
         * as they are now, also those made after the template. */
        *ret_step = NS_STEP_MOUNT;
        r = take_trees(plan, ret_index);
        if (r < 0)
                return r;
        root_tree = take_root(plan);
        if (plan->root && root_tree < 0)
                return root_tree;
        r = slave_trees(plan, root_tree, ret_index);
        if (r < 0)
                return r;
        *ret_index = -1;
        *ret_step = NS_STEP_PROPAGATION;
        r = own_namespace(plan);
        if (r < 0)
                return r;
        *ret_step = NS_STEP_MOUNT;
        root_fd = open_root(plan, TAKE_FD(root_tree));
        if (root_fd < 0)
                return root_fd;
        r = mount_all(plan, root_fd, ret_index);
        if (r >= 0)
                r = read_only_all(plan, ret_index);
        if (r < 0)
                return r;
        *ret_step = NS_STEP_PIVOT_ROOT;
        return plan->root ? pivot_into(root_fd) : 0;
}
