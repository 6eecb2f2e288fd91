/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service directories (RuntimeDirectory= & co.) and credentials
 * (LoadCredential=, SetCredential=), as systemd 252 makes them.
 *
 * The parent, as root, before the clone: reads the credentials (a missing
 * one fails the start before anything is made), makes each directory below
 * its base by fd, never following a symlink below the base (a service owns
 * its directories and could plant one), gives the innermost one the
 * service's owner (as the host sees its ids: PrivateUsers=pick shifts them)
 * and mode, and adds a read-write bind of it onto itself to the mount plan,
 * so it stays writable under ProtectSystem=strict. The child mounts a
 * private tmpfs on /run/credentials (the host's, other services'
 * credentials included, stay hidden), a tmpfs per service below it filled
 * with the credentials (files 0400, directory 0500, the service's owner),
 * read-only like the rest of the plan's read-only entries. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "strv.h"

/* Recursive chown below a directory whose owner changed: deeper than this
 * is left as it is (systemd's chown_recursive() has no bound). */
#define CHOWN_MAX_DEPTH 64U

static const char *const credential_stores[] = { "/etc/credstore", "/run/credstore", "/usr/lib/credstore" };

void ns_dirs_plan_free(NsPlan *plan) {
        for (size_t i = 0; i < plan->n_credentials; i++)
                free(plan->credentials[i].data);
        free(plan->credentials);
        plan->credentials = NULL;
        plan->n_credentials = 0;
}

static int base_path(const char *root, ExecDirectoryType t, char **ret) {
        return asprintf(ret, "%s%s", root && !streq(root, "/") ? root : "", exec_directory_base(t)) < 0 ? -ENOMEM : 0;
}

static bool unit_has_credentials(const UnitConfig *u) {
        return u->n_load_credentials > 0 || u->n_set_credentials > 0;
}

static int credentials_path(const UnitConfig *u, const char *root, char **ret) {
        return asprintf(ret, "%s/run/credentials/%s.service", root && !streq(root, "/") ? root : "",
                        u->name ?: "transient") < 0 ? -ENOMEM : 0;
}

static int env_put(char ***env, const char *name, const char *value) {
        _cleanup_free_ char *kv = NULL;
        size_t n = strlen(name);

        if (asprintf(&kv, "%s=%s", name, value) < 0)
                return -ENOMEM;
        for (char **e = *env; e && *e; e++)
                if (strneq(*e, kv, n + 1)) {
                        free(*e);
                        *e = TAKE_PTR(kv);
                        return 0;
                }
        return strv_push(env, kv) < 0 ? -ENOMEM : (kv = NULL, 0);
}

int ns_service_environment(const UnitConfig *u, const char *directory_root, char ***env) {
        _cleanup_free_ char *creds = NULL;
        int r;

        for (ExecDirectoryType t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++) {
                _cleanup_free_ char *base = NULL, *value = NULL;
                size_t len = 0;

                if (!u->directories[t].paths || !u->directories[t].paths[0])
                        continue;
                r = base_path(directory_root, t, &base);
                if (r < 0)
                        return r;
                STRV_FOREACH(p, u->directories[t].paths)
                        len += strlen(base) + strlen(*p) + 2;
                value = calloc(1, len + 1);
                if (!value)
                        return -ENOMEM;
                len = 0;
                STRV_FOREACH(p, u->directories[t].paths)
                        len += (size_t) sprintf(value + len, "%s%s/%s", len ? ":" : "", base, *p);
                r = env_put(env, exec_directory_env(t), value);
                if (r < 0)
                        return r;
        }
        if (!unit_has_credentials(u))
                return 0;
        r = credentials_path(u, directory_root, &creds);
        return r < 0 ? r : env_put(env, "CREDENTIALS_DIRECTORY", creds);
}

/* ---- credentials ---- */

static const UnitCredential *set_credential(const UnitConfig *u, const char *id) {
        for (size_t i = 0; i < u->n_set_credentials; i++)
                if (streq(u->set_credentials[i].id, id))
                        return &u->set_credentials[i];
        return NULL;
}

static int credential_add(NsPlan *plan, const char *id, char *data, size_t size) {
        NsCredential *c = realloc(plan->credentials, (plan->n_credentials + 1) * sizeof(*c));

        if (!c) {
                free(data);
                return -ENOMEM;
        }
        plan->credentials = c;
        c[plan->n_credentials++] = (NsCredential) { .id = id, .data = data, .size = size };
        return 0;
}

static int read_credential(const char *path, char **ret, size_t *ret_size, CrlError *reterr, const char *id) {
        struct stat st = {};
        int r = read_regular_file_at(AT_FDCWD, path, ret, ret_size, &st);

        if (r == -EISDIR || r == -EBADFD)
                return crl_error_set(reterr, EINVAL, "step 'credentials': LoadCredential=%s: %s is %s, not a regular "
                                     "file (corral reads credentials from files only)", id, path,
                                     file_type_name(st.st_mode));
        if (r == -EFBIG)
                return crl_error_set(reterr, EFBIG, "step 'credentials': LoadCredential=%s: %s is larger than 1M",
                                     id, path);
        if (r < 0 && r != -ENOENT)
                return crl_error_set(reterr, -r, "step 'credentials': LoadCredential=%s: cannot read %s: %s", id, path,
                                     strerror(-r));
        return r;
}

/* A credential name (not a path): the one corrald received itself, then the
 * credential stores; missing everywhere is fine (systemd: missing_ok). */
static int load_by_name(const char *id, const char *name, char **ret, size_t *ret_size, CrlError *reterr) {
        const char *received = getenv("CREDENTIALS_DIRECTORY");
        int r = -ENOENT;

        if (received && received[0] == '/') {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", received, name) < 0)
                        return -ENOMEM;
                r = read_credential(p, ret, ret_size, reterr, id);
        }
        for (size_t i = 0; r == -ENOENT && i < ELEMENTSOF(credential_stores); i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", credential_stores[i], name) < 0)
                        return -ENOMEM;
                r = read_credential(p, ret, ret_size, reterr, id);
        }
        return r;
}

static int plan_credentials(const UnitConfig *u, NsPlan *plan, CrlError *reterr) {
        size_t total = 0;
        int r;

        for (size_t i = 0; i < u->n_load_credentials; i++) {
                const UnitCredential *c = &u->load_credentials[i];
                char *data = NULL;
                size_t size = 0;

                r = c->path[0] == '/' ? read_credential(c->path, &data, &size, reterr, c->id)
                                      : load_by_name(c->id, c->path, &data, &size, reterr);
                if (r == -ENOENT && c->path[0] == '/' && !set_credential(u, c->id))
                        return crl_error_set(reterr, ENOENT,
                                             "step 'credentials': LoadCredential=%s: cannot read %s: %s",
                                             c->id, c->path, strerror(ENOENT));
                if (r == -ENOENT)
                        continue;       /* SetCredential= of the ID, or nothing */
                if (r < 0)
                        return r;
                r = credential_add(plan, c->id, data, size);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < u->n_set_credentials; i++) {
                const UnitCredential *c = &u->set_credentials[i];
                char *data;
                bool loaded = false;

                for (size_t j = 0; j < plan->n_credentials; j++)
                        loaded = loaded || streq(plan->credentials[j].id, c->id);
                if (loaded)
                        continue;
                data = malloc(c->size + 1);
                if (!data)
                        return -ENOMEM;
                memcpy(data, c->data, c->size + 1);
                r = credential_add(plan, c->id, data, c->size);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < plan->n_credentials; i++)
                total += plan->credentials[i].size;
        if (total > UNIT_CREDENTIAL_SIZE_MAX)
                return crl_error_set(reterr, E2BIG, "step 'credentials': the credentials together are larger than 1M");
        return 0;
}

/* The service's ids as the host sees them: PrivateUsers=pick maps the
 * namespace's 0-65535 onto BASE and up. */
static void host_ids(const NsLaunchParams *p, const NsPlan *plan, uid_t *ret_uid, gid_t *ret_gid) {
        uid_t base = p->unit->private_users == PRIVATE_USERS_PICK ? p->userns_base : 0;

        *ret_uid = plan->uid + base;
        *ret_gid = plan->gid + base;
}

/* /run/credentials (a private tmpfs, so the host's stays hidden) and the
 * service's own below it. */
static int plan_credentials_mounts(const NsLaunchParams *p, NsPlan *plan) {
        _cleanup_free_ char *dir = NULL, *top = NULL, *options = NULL;
        const char *root = p->directory_root && !streq(p->directory_root, "/") ? p->directory_root : "";
        int r;

        r = credentials_path(p->unit, p->directory_root, &dir);
        if (r < 0 || asprintf(&top, "%s/run/credentials", root) < 0)
                return -ENOMEM;
        /* 1M of data, a page per file at least, and the directory. */
        if (asprintf(&options, "mode=0700,size=%zu,nr_inodes=%zu", (size_t) UNIT_CREDENTIAL_SIZE_MAX +
                     (plan->n_credentials + 1) * 4096, plan->n_credentials + 2) < 0)
                return -ENOMEM;
        r = ns_mount_add(plan, NS_MOUNT_TMPFS, NULL, top, "mode=0755,size=64k,nr_inodes=64", false, true);
        if (r >= 0)
                r = ns_mount_add(plan, NS_MOUNT_CREDENTIALS, NULL, dir, options, false, true);
        return r;
}

/* ---- directories ---- */

/* Give everything below the directory fd (borrowed) to uid:gid, by fd,
 * following no symlink, skipping files with more than one link. */
static int chown_below(int fd, uid_t uid, gid_t gid, unsigned depth) {
        DIR *d;
        int r = 0;

        if (depth >= CHOWN_MAX_DEPTH)
                return 0;
        d = fdopendir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d)
                return -errno;
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                /* A file with a second name may be a hard link the service
                 * made to a file elsewhere: never hand that one over. */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (!S_ISDIR(st.st_mode) && st.st_nlink > 1))
                        continue;
                if (fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
                        r = -errno;
                else if (de->d_type == DT_DIR) {
                        _cleanup_close_ int sub = openat(dirfd(d), de->d_name,
                                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (sub >= 0)
                                r = chown_below(sub, uid, gid, depth + 1);
                }
        }
        closedir(d);
        return r;
}

/* Open (making what is missing) each component of rel below base_fd,
 * O_NOFOLLOW: a symlink anywhere below the base is refused (ELOOP/ENOTDIR).
 * Parents get 0755 and root, as systemd's mkdir_parents. */
static int open_below(int base_fd, const char *rel, bool create, mode_t mode) {
        _cleanup_close_ int fd = fcntl(base_fd, F_DUPFD_CLOEXEC, 3);
        char name[NAME_MAX + 1];

        if (fd < 0)
                return -errno;
        for (const char *c = rel; *c;) {
                size_t n = strcspn(c, "/");
                bool last = c[n] == 0;
                int next;

                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, c, n);
                name[n] = 0;
                if (create && mkdirat(fd, name, last ? mode & 0777 : 0755) < 0 && errno != EEXIST)
                        return -errno;
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                safe_close(fd);
                fd = next;
                c += n + !last;
        }
        return TAKE_FD(fd);
}

static int open_base(const char *base) {
        int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0 || errno != ENOENT)
                return fd >= 0 ? fd : -errno;
        /* Only below a ServiceDirectoryRoot= (the real bases exist). */
        for (char *s = strchr(base + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = 0;
                if (mkdir(base, 0755) < 0 && errno != EEXIST) {
                        int r = -errno;

                        if (s)
                                *s = '/';
                        return r;
                }
                if (!s)
                        break;
                *s = '/';
        }
        return RET_NERRNO(open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

/* One directory: made, owned, its mode set; ConfigurationDirectory= stays
 * root's (systemd: "Except in case of ConfigurationDirectory="). */
static int make_directory(int base_fd, const char *rel, const ExecDirectory *d, bool owned, uid_t uid, gid_t gid) {
        _cleanup_close_ int fd = open_below(base_fd, rel, true, d->mode);
        struct stat st;
        int r;

        if (fd < 0)
                return fd;
        if (owned) {
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (st.st_uid != uid || st.st_gid != gid) {
                        r = chown_below(fd, uid, gid, 0);
                        if (r < 0)
                                return r;
                        if (fchown(fd, uid, gid) < 0)
                                return -errno;
                }
        }
        /* After the chown, which clears the setgid bit of ...Mode=2755. */
        return RET_NERRNO(fchmod(fd, d->mode));
}

static int plan_directories(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        bool owned_ids = !(p->flags & NS_LAUNCH_NO_USER_CHANGE);
        uid_t uid;
        gid_t gid;
        int r;

        host_ids(p, plan, &uid, &gid);
        for (ExecDirectoryType t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++) {
                _cleanup_free_ char *base = NULL;
                _cleanup_close_ int base_fd = -EBADF;

                if (!u->directories[t].paths || !u->directories[t].paths[0])
                        continue;
                if (base_path(p->directory_root, t, &base) < 0)
                        return -ENOMEM;
                base_fd = open_base(base);
                if (base_fd < 0)
                        return crl_error_set(reterr, -base_fd, "step 'directories': %s=: cannot open %s: %s",
                                             exec_directory_key(t), base, strerror(-base_fd));
                STRV_FOREACH(rel, u->directories[t].paths) {
                        _cleanup_free_ char *path = NULL;

                        if (asprintf(&path, "%s/%s", base, *rel) < 0)
                                return -ENOMEM;
                        r = make_directory(base_fd, *rel, &u->directories[t],
                                           owned_ids && t != EXEC_DIRECTORY_CONFIGURATION, uid, gid);
                        if (r < 0)
                                return crl_error_set(reterr, -r, "step 'directories': %s=%s: cannot make %s: %s%s",
                                                     exec_directory_key(t), *rel, path, strerror(-r),
                                                     r == -ELOOP || r == -ENOTDIR ? " (a symlink or file is in "
                                                     "the way; corral follows none below the base)" : "");
                        /* Writable inside even under ProtectSystem=strict:
                         * a mount of its own, which read-only entries skip. */
                        if ((plan->clone_flags & CLONE_NEWNS) &&
                            ns_mount_add(plan, NS_MOUNT_BIND, path, path, NULL, false, false) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int ns_dirs_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        int r;

        /* Credentials first: a missing one fails the start before any
         * directory is made. */
        if (unit_has_credentials(u)) {
                r = plan_credentials(u, plan, reterr);
                if (r == -ENOMEM)
                        return crl_error_set(reterr, ENOMEM, "step 'credentials': out of memory");
                if (r < 0)
                        return r;
                host_ids(p, plan, &plan->credentials_uid, &plan->credentials_gid);
        }
        r = plan_directories(p, plan, reterr);
        if (r == -ENOMEM)
                return crl_error_set(reterr, ENOMEM, "step 'directories': out of memory");
        if (r < 0)
                return r;
        if (unit_has_credentials(u) && (plan->clone_flags & CLONE_NEWNS) && plan_credentials_mounts(p, plan) < 0)
                return crl_error_set(reterr, ENOMEM, "step 'credentials': out of memory");
        return 0;
}

/* ---- child side: no allocation below this line ---- */

static int write_all(int fd, const char *data, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, data, size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                data += n;
                size -= (size_t) n;
        }
        return 0;
}

int ns_credentials_write(const NsPlan *plan, int mnt_fd) {
        /* fsmount()'s fd is O_PATH: fchmod() and fchown() need a real one. */
        _cleanup_close_ int dir = openat(mnt_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dir < 0)
                return -errno;
        for (size_t i = 0; i < plan->n_credentials; i++) {
                const NsCredential *c = &plan->credentials[i];
                int fd = openat(dir, c->id, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0400);
                int r;

                if (fd < 0)
                        return -errno;
                r = write_all(fd, c->data, c->size);
                if (r >= 0 && fchmod(fd, 0400) < 0)
                        r = -errno;
                if (r >= 0 && fchown(fd, plan->credentials_uid, plan->credentials_gid) < 0)
                        r = -errno;
                safe_close(fd);
                if (r < 0)
                        return r;
        }
        if (fchmod(dir, 0500) < 0)
                return -errno;
        return RET_NERRNO(fchown(dir, plan->credentials_uid, plan->credentials_gid));
}

/* ---- after the stop ---- */

int ns_runtime_directories_remove(const UnitConfig *u, const char *directory_root, CrlError *reterr) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int base_fd = -EBADF;
        char **paths = u->directories[EXEC_DIRECTORY_RUNTIME].paths;
        int r = 0;

        if (!paths || !paths[0])
                return 0;
        if (base_path(directory_root, EXEC_DIRECTORY_RUNTIME, &base) < 0)
                return -ENOMEM;
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0)
                return errno == ENOENT ? 0 : crl_error_set(reterr, errno, "cannot open %s: %s", base, strerror(errno));
        STRV_FOREACH(rel, paths) {
                const char *slash = strrchr(*rel, '/');
                _cleanup_free_ char *dir = slash ? strndup(*rel, (size_t) (slash - *rel)) : strdup("");
                _cleanup_close_ int parent = -EBADF;
                int k;

                if (!dir)
                        return -ENOMEM;
                /* The parents by fd, as they were made: no symlink. */
                parent = open_below(base_fd, dir, false, 0);
                k = parent < 0 ? parent : ns_rm_rf_at(parent, slash ? slash + 1 : *rel);
                if (k == -ENOENT)
                        continue;
                if (k < 0 && r == 0)
                        r = crl_error_set(reterr, -k, "RuntimeDirectory=%s: cannot remove %s/%s: %s", *rel, base, *rel,
                                          strerror(-k));
        }
        return r;
}
