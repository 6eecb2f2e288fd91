/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "cg-internal.h"
#include "fileio.h"
#include "strv.h"

static int default_mkdir(int dir_fd, const char *name, void *userdata) {
        return RET_NERRNO(mkdirat(dir_fd, name, 0755));
}

static int default_rmdir(int dir_fd, const char *name, void *userdata) {
        return RET_NERRNO(unlinkat(dir_fd, name, AT_REMOVEDIR));
}

int cg_write(const CgRoot *root, int dir_fd, const char *file, const char *value) {
        if (root->ops.write_at)
                return root->ops.write_at(dir_fd, file, value, root->ops.userdata);
        return write_string_at(dir_fd, file, value);
}

int cg_mkdir(const CgRoot *root, int dir_fd, const char *name) {
        return (root->ops.mkdir_at ?: default_mkdir)(dir_fd, name, root->ops.userdata);
}

int cg_rmdir(const CgRoot *root, int dir_fd, const char *name) {
        return (root->ops.rmdir_at ?: default_rmdir)(dir_fd, name, root->ops.userdata);
}

int cg_for_each_child(int dir_fd, int (*fn)(int dir_fd, int sub_fd, const char *name, void *userdata),
                      void *userdata) {
        _cleanup_close_ int fd = openat(dir_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC); /* own offset */
        DIR *d;
        int r = 0;

        if (fd < 0 || !(d = fdopendir(fd)))
                return -errno;
        TAKE_FD(fd);
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                _cleanup_close_ int sub = -EBADF;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                sub = openat(dir_fd, de->d_name, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
                if (sub < 0) {
                        if (errno != ENOENT)
                                r = -errno;
                        continue;
                }
                r = fn(dir_fd, sub, de->d_name, userdata);
        }
        closedir(d);
        return r;
}

static int walk_child(int dir_fd, int sub_fd, const char *name, void *userdata) {
        CgTreeWalk *w = userdata;
        int r;

        if (w->depth >= CG_SERVICE_MAX_DEPTH)
                return -ELOOP;
        w->depth++;
        r = cg_walk_tree(sub_fd, w);
        w->depth--;
        if (r >= 0 && w->post)
                r = w->post(dir_fd, name, w->userdata);
        return r;
}

int cg_walk_tree(int dir_fd, CgTreeWalk *w) {
        int r = w->pre ? w->pre(dir_fd, w->userdata) : 0;

        if (r < 0)
                return r;
        return cg_for_each_child(dir_fd, walk_child, w);
}

/* "/a/b/" -> "/a/b"; no "." or ".." components, no empty path. */
static int normalize_path(const char *in, char **ret) {
        _cleanup_free_ char *p = NULL;
        size_t l;

        if (asprintf(&p, "%s%s", in[0] == '/' ? "" : "/", in) < 0)
                return -ENOMEM;
        l = strlen(p);
        while (l > 1 && p[l - 1] == '/')
                p[--l] = 0;
        if (streq(p, "/") || strstr(p, "/./") || strstr(p, "/../") || strstr(p, "//"))
                return -EINVAL;
        if ((l >= 2 && streq(p + l - 2, "/.")) || (l >= 3 && streq(p + l - 3, "/..")))
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}

/* mkdir -p of path below the mount; *ret_created when the last one is new. */
static int open_path(CgRoot *root, bool create, bool *ret_created, CrlError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *copy = strdup(root->path);
        char *save = NULL;
        bool created = false;

        if (!copy)
                return -ENOMEM;
        fd = fcntl(root->mount_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return crl_error_set(reterr, errno, "dup: %s", strerror(errno));
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int r, next;

                created = false;
                if (create) {
                        r = cg_mkdir(root, fd, c);
                        if (r < 0 && r != -EEXIST)
                                return crl_error_set(reterr, r, "cannot create cgroup %s%s (at '%s'): %s",
                                                     root->mount, root->path, c, strerror(-r));
                        created = r >= 0;
                }
                next = openat(fd, c, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                if (next < 0)
                        return crl_error_set(reterr, errno, "cannot open cgroup %s%s (at '%s'): %s",
                                             root->mount, root->path, c, strerror(errno));
                safe_close(fd);
                fd = next;
        }
        *ret_created = created;
        return TAKE_FD(fd);
}

static void system_totals(CgSystem *s) {
        _cleanup_free_ char *line = NULL;
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

        s->memory_total = pages > 0 && psize > 0 ? (uint64_t) pages * (uint64_t) psize : UINT64_MAX;
        s->pid_max = 4194304;   /* the kernel's ceiling, if /proc says nothing */
        if (read_line_at(AT_FDCWD, "/proc/sys/kernel/pid_max", &line) >= 0)
                (void) sscanf(line, "%" SCNu64, &s->pid_max);
}

const char *cg_root_mount(CgRoot *root) {
        return root->mount;
}

const char *cg_root_path(CgRoot *root) {
        return root->path;
}

bool cg_root_delegated(CgRoot *root) {
        return root->delegated;
}

bool cg_root_created(CgRoot *root) {
        return root->created;
}

const CgProbe *cg_root_probe(CgRoot *root) {
        return &root->probe;
}

const CgSystem *cg_root_system(CgRoot *root) {
        return &root->system;
}

int cg_root_fd(CgRoot *root) {
        return root->dir_fd;
}

CgRoot *cg_root_free(CgRoot *root) {
        if (!root)
                return NULL;
        /* services outliving their root: let them be freed alone */
        for (CgService *s = root->services, *next; s; s = next) {
                next = s->next;
                s->prev = s->next = NULL;
                s->pending = s->linked = false;
        }
        safe_close(root->event_fd);
        free(root->watches);
        free(root->pending);
        safe_close(root->mount_fd);
        safe_close(root->dir_fd);
        free(root->mount);
        free(root->path);
        free(root);
        return NULL;
}

static int root_new(const CgProbe *probe, int mount_fd, const char *mount, const char *path,
                    CgRoot **ret, CrlError *reterr) {
        _cleanup_(cg_root_freep) CgRoot *root = calloc(1, sizeof(CgRoot));
        int r;

        if (!root)
                return -ENOMEM;
        root->dir_fd = root->event_fd = -EBADF;
        root->mount_fd = fcntl(mount_fd, F_DUPFD_CLOEXEC, 3);
        if (root->mount_fd < 0)
                return crl_error_set(reterr, errno, "dup: %s", strerror(errno));
        root->mount = strdup(mount);
        if (!root->mount)
                return -ENOMEM;
        r = normalize_path(path, &root->path);
        if (r < 0)
                return crl_error_set(reterr, r, "cgroup root '%s': %s", path,
                                     r == -EINVAL ? "not a plain path below the cgroup2 mount" : strerror(-r));
        root->probe = *probe;
        *ret = TAKE_PTR(root);
        return 0;
}

int cg_root_open_at(const CgProbe *probe, int mount_fd, const char *mount, const char *path,
                    const CgSystem *system, const CgFsOps *ops, CgRoot **ret, CrlError *reterr) {
        _cleanup_(cg_root_freep) CgRoot *root = NULL;
        int r;

        r = root_new(probe, mount_fd, mount, path, &root, reterr);
        if (r < 0)
                return r;
        if (ops)
                root->ops = *ops;
        if (system)
                root->system = *system;
        else
                system_totals(&root->system);
        r = open_path(root, true, &root->created, reterr);
        if (r < 0)
                return r;
        root->dir_fd = r;
        *ret = TAKE_PTR(root);
        return 0;
}

/* Whether our own cgroup was handed to us: systemd marks a Delegate=yes
 * cgroup with the trusted.delegate (system manager) or user.delegate (user
 * manager) xattr since v251. An unprivileged corrald that can write its
 * cgroup was delegated it by chown, the older way. root can write any
 * cgroup, so for root writability proves nothing: without the mark, corrald
 * run from a login shell must not take over the session's scope. */
static bool is_delegated(int mount_fd, const char *self_path) {
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX + 32], v[8];
        ssize_t n;

        if (streq(self_path, "/"))
                return false;
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d%s", mount_fd, self_path);
        n = getxattr(path, "trusted.delegate", v, sizeof(v) - 1);
        if (n < 0)
                n = getxattr(path, "user.delegate", v, sizeof(v) - 1);
        if (n > 0) {
                v[n] = 0;
                return streq(v, "1");
        }
        if (geteuid() == 0)
                return false;
        fd = openat(mount_fd, self_path + 1, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        return fd >= 0 && faccessat(fd, "cgroup.procs", W_OK, AT_EACCESS) >= 0 &&
               faccessat(fd, "cgroup.subtree_control", W_OK, AT_EACCESS) >= 0;
}

/* cgroup v2 forbids processes in a cgroup whose subtree_control is set:
 * corrald leaves its delegated root for the leaf ROOT/corrald. */
static int move_self_to_leaf(CgRoot *root, CrlError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        char pid[32];
        int r;

        r = cg_mkdir(root, root->dir_fd, "corrald");
        if (r < 0 && r != -EEXIST)
                return crl_error_set(reterr, r, "cannot create %s%s/corrald: %s",
                                     root->mount, root->path, strerror(-r));
        fd = openat(root->dir_fd, "corrald", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return crl_error_set(reterr, errno, "cannot open %s%s/corrald: %s",
                                     root->mount, root->path, strerror(errno));
        (void) snprintf(pid, sizeof(pid), "%d", (int) getpid());
        r = cg_write(root, fd, "cgroup.procs", pid);
        if (r < 0)
                return crl_error_set(reterr, r, "cannot move corrald into %s%s/corrald: %s",
                                     root->mount, root->path, strerror(-r));
        return 0;
}

static int self_path(char **ret, CrlError *reterr) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL);
        if (r < 0)
                return crl_error_set(reterr, r, "read /proc/self/cgroup: %s", strerror(-r));
        r = cg_proc_self_v2_path(text, ret);
        if (r < 0)
                return crl_error_set(reterr, r, "/proc/self/cgroup has no cgroup2 entry");
        return 0;
}

int cg_root_open(const CgProbe *probe, const char *override, CgRootFlags flags,
                 CgRoot **ret, CrlError *reterr) {
        _cleanup_(cg_root_freep) CgRoot *root = NULL;
        _cleanup_free_ char *self = NULL;
        _cleanup_close_ int mount_fd = -EBADF;
        bool delegated;
        int r;

        if (!probe->mount[0])
                return crl_error_set(reterr, ENOMEDIUM,
                                     "no cgroup2 mount (%s mode): corral needs cgroup v2",
                                     cg_mode_to_string(probe->mode));
        mount_fd = open(probe->mount, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (mount_fd < 0)
                return crl_error_set(reterr, errno, "open %s: %s", probe->mount, strerror(errno));
        r = self_path(&self, reterr);
        if (r < 0)
                return r;
        delegated = override ? false : is_delegated(mount_fd, self);
        r = cg_root_open_at(probe, mount_fd, probe->mount, override ?: delegated ? self : "/corral",
                            NULL, NULL, &root, reterr);
        if (r < 0)
                return r;
        /* An override naming our own cgroup is a delegation too. */
        root->delegated = delegated || streq(root->path, self);
        if (root->delegated && !(flags & CG_ROOT_NO_MOVE_SELF)) {
                r = move_self_to_leaf(root, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(root);
        return 0;
}

static void enable_at(CgRoot *root, int fd, const char *rel, CgController c, char reason[320]) {
        _cleanup_free_ char *sub = NULL, *ctl = NULL;
        const char *name = cg_controller_to_string(c);
        char op[32];
        int r;

        r = read_file_at(fd, "cgroup.subtree_control", &sub, NULL);
        if (r < 0) {
                (void) snprintf(reason, 320, "%s: cannot read %s%s/cgroup.subtree_control: %s",
                                name, root->mount, rel, strerror(-r));
                return;
        }
        if (cg_controllers_has(sub, c))
                return;
        if (read_file_at(fd, "cgroup.controllers", &ctl, NULL) >= 0 && !cg_controllers_has(ctl, c)) {
                (void) snprintf(reason, 320, "%s: the parent does not delegate it (not in %s%s/cgroup.controllers)",
                                name, root->mount, rel);
                return;
        }
        (void) snprintf(op, sizeof(op), "+%s", name);
        r = cg_write(root, fd, "cgroup.subtree_control", op);
        if (r < 0)
                (void) snprintf(reason, 320, "%s: cannot enable in %s%s/cgroup.subtree_control: %s%s",
                                name, root->mount, rel, strerror(-r),
                                r == -EBUSY ? " (that cgroup has processes of its own)" : "");
}

/* Enable todo at one level; drop from it what fails. */
static CgMask enable_level(CgRoot *root, int fd, const char *rel, CgMask todo) {
        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                if (!(todo & CG_MASK(c)))
                        continue;
                root->reason[c][0] = 0;
                enable_at(root, fd, rel, c, root->reason[c]);
                if (root->reason[c][0])
                        todo &= ~CG_MASK(c);
        }
        return todo;
}

/* A delegated root may change only its own subtree_control; a root corral
 * made needs the controller in every subtree_control from the mount down. */
static CgMask enable_walk(CgRoot *root, CgMask todo) {
        _cleanup_free_ char *copy = strdup(root->path);
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL, rel[PATH_MAX] = "";

        if (root->delegated || !copy)
                return enable_level(root, root->dir_fd, root->path, todo);
        fd = fcntl(root->mount_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return 0;
        todo = enable_level(root, fd, "", todo);
        for (char *c = strtok_r(copy, "/", &save); c && todo; c = strtok_r(NULL, "/", &save)) {
                int next = openat(fd, c, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                size_t l = strlen(rel);

                if (next < 0)
                        return 0;
                safe_close(fd);
                fd = next;
                (void) snprintf(rel + l, sizeof(rel) - l, "/%s", c);
                todo = enable_level(root, fd, rel, todo);
        }
        return todo;
}

CgMask cg_root_enable(CgRoot *root, CgMask mask) {
        CgMask todo = 0;

        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                if (!(mask & CG_MASK(c)) || (root->enabled & CG_MASK(c)))
                        continue;
                if (!root->probe.controllers[c].available)
                        (void) snprintf(root->reason[c], sizeof(root->reason[c]), "%s",
                                        root->probe.controllers[c].reason);
                else
                        todo |= CG_MASK(c);
        }
        if (todo)
                root->enabled |= enable_walk(root, todo);
        return root->enabled & mask;
}

CgMask cg_root_controllers(CgRoot *root) {
        _cleanup_free_ char *ctl = NULL;
        CgMask m = 0;

        if (root->delegated && read_file_at(root->dir_fd, "cgroup.controllers", &ctl, NULL) < 0)
                ctl = NULL;
        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                const char *name = cg_controller_to_string(c);

                if (!root->probe.controllers[c].available)
                        (void) snprintf(root->reason[c], sizeof(root->reason[c]), "%s",
                                        root->probe.controllers[c].reason);
                else if (root->delegated && !(ctl && cg_controllers_has(ctl, c)))
                        (void) snprintf(root->reason[c], sizeof(root->reason[c]),
                                        "%s: not delegated to corrald's cgroup %s%s", name, root->mount, root->path);
                else
                        m |= CG_MASK(c);
        }
        return m;
}

const char *cg_root_controller_reason(CgRoot *root, CgController c) {
        if (c < 0 || c >= _CG_CTRL_MAX || !root->reason[c][0])
                return NULL;
        return root->reason[c];
}

int cg_root_remove(CgRoot *root, CrlError *reterr) {
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int fd = -EBADF;
        char *slash;
        int r;

        if (root->delegated)
                return 0;
        parent = strdup(root->path);
        if (!parent)
                return -ENOMEM;
        slash = strrchr(parent, '/');
        *slash = 0;
        fd = isempty(parent) ? fcntl(root->mount_fd, F_DUPFD_CLOEXEC, 3)
                             : openat(root->mount_fd, parent + 1, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return crl_error_set(reterr, errno, "open %s%s: %s", root->mount, parent, strerror(errno));
        r = cg_rmdir(root, fd, slash + 1);
        if (r < 0 && r != -ENOENT)
                return crl_error_set(reterr, r, "cannot remove %s%s: %s", root->mount, root->path, strerror(-r));
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int cg_root_list_services(CgRoot *root, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        int fd = openat(root->dir_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        DIR *d;

        if (fd < 0 || !(d = fdopendir(fd))) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));) {
                size_t l = strlen(de->d_name);

                if (de->d_type != DT_DIR || l <= 8 || !streq(de->d_name + l - 8, ".service"))
                        continue;
                de->d_name[l - 8] = 0;
                if (strv_extend(&names, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}
