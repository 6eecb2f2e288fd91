/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child side of the mount plan (ns_mount_apply), applied before
 * pivot_root to the list ns-mount.c built, as systemd's namespace.c does:
 *   1. open_tree() clones of every bind source, before any mount is made, so
 *      no mount of ours can shadow a later source;
 *   2. every entry mounted in order, at its target resolved inside the root
 *      (openat2 RESOLVE_IN_ROOT from the fd of the root's own bind mount),
 *      by fd (move_mount), missing mount points created component by
 *      component with mkdirat()/openat(O_EXCL|O_NOFOLLOW) on the parent's fd;
 *   3. read-only flags, per mount, on each read-only entry's mounts except
 *      those under a deeper entry: a writable entry is its own bind mount,
 *      never flipped back to writable, so the host's read-only submounts stay.
 * Nothing is created or mounted outside the root, and nothing here allocates
 * (it runs between clone3 and execve). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macros.h"
#include "ns-plan.h"
#include "syscalls.h"

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
static const char *const dev_links[][2] = {
        { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
};

bool ns_mount_dev_has(const char *name) {
        for (size_t i = 0; i < NS_DEV_NODES_MAX; i++)
                if (streq(name, dev_nodes[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
                if (streq(name, dev_links[i][1]))
                        return true;
        return streq(name, "pts") || streq(name, "shm");
}

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

/* A directory target: an empty mode-000 tmpfs, read-only. One superblock
 * for all of them, as systemd binds its one inaccessible/dir everywhere:
 * the first is made and attached, the later ones clone that mount (the
 * clone keeps its flags); nothing can be written to tell them apart.
 * Consumes fd; returns it. */
static int inaccessible_dir(NsPlan *plan, int fd, unsigned attrs) {
        _cleanup_close_ int target = fd, mnt = -EBADF;
        int r;

        if (plan->inaccessible_dir_fd < 0) {
                mnt = fs_attach(target, "tmpfs", "mode=000", attrs);
                if (mnt < 0)
                        return mnt;
                plan->inaccessible_dir_fd = TAKE_FD(mnt);
                return TAKE_FD(target);
        }
        mnt = open_tree(plan->inaccessible_dir_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (mnt < 0)
                return -errno;
        r = attach(mnt, target);
        return r < 0 ? r : TAKE_FD(target);
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
        if (S_ISDIR(st.st_mode))
                return inaccessible_dir(plan, TAKE_FD(fd), attrs);
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
        for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
                if (symlinkat(dev_links[i][0], dev_fd, dev_links[i][1]) < 0 && errno != EEXIST)
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

/* The inaccessible nodes' clones and the first inaccessible directory stay
 * open for the later entries to clone from (node_owner(),
 * inaccessible_dir()), until all are mounted. */
static int mount_all(NsPlan *plan, int root_fd, int *ret_index) {
        int r = mount_each(plan, root_fd, ret_index);

        for (size_t i = 0; i < plan->n_mounts; i++)
                plan->mounts[i].tree_fd = safe_close(plan->mounts[i].tree_fd);
        plan->inaccessible_dir_fd = safe_close(plan->inaccessible_dir_fd);
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

/* Field 1, the mount id, and field 5, the mount point, unescaped (\040 and
 * friends) into buf. */
static int mountinfo_point(const char *line, uint64_t *ret_id, char *buf, size_t size) {
        const char *p = line;
        size_t n = 0;
        char *end;

        errno = 0;
        *ret_id = strtoull(line, &end, 10);
        if (errno != 0 || end == line || *end != ' ')
                return -EBADMSG;

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

/* Whether fd is the root of mount id: the mount a mountinfo line names is
 * the one visible at its path. Not for a hidden mount (below another one
 * stacked on it or on a parent: the host's /sys under a fresh sysfs), whose
 * path leads to another mount, visible and on a line of its own, or into
 * one (not a mount root: mount_setattr() would refuse it). Without
 * STATX_MNT_ID (before Linux 5.8), assumed. */
static bool mount_visible(int fd, uint64_t id) {
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
                return true;
        return !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id == id;
}

/* Pass 2: read-only on every mount at or below a read-only entry, one mount
 * at a time, except below a deeper entry, which decides for itself: a
 * writable entry needs nothing, it was never made read-only. One read of
 * mountinfo for all entries (a read walks every mount of the namespace, and
 * flipping flags moves none). A hidden mount is skipped (mount_visible()):
 * its path never led to it (the flags went to the covering mount, on its
 * own line too), and a service that could unmount what covers it could as
 * well remount it writable (CAP_SYS_ADMIN); mountinfo's paths are
 * canonical, so no symlink is followed.
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
                uint64_t id;
                int j;

                r = mountinfo_point(line, &id, point, sizeof(point));
                if (r < 0)
                        break;
                j = deciding_entry(plan, point);
                if (j < 0 || !wants_read_only(&plan->mounts[j]))
                        continue;
                *ret_index = j;
                fd = crl_openat2(AT_FDCWD, point, &how);
                if (fd == -ENOENT || (fd >= 0 && !mount_visible(fd, id)))
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
