/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PrivateUsers=: uid_map/gid_map contents, written by the parent while the
 * child waits, and the persistent 'pick' ranges. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"

#define USERNS_RANGE 65536U
#define USERNS_PICK_FIRST 0x80000U
#define USERNS_PICK_LAST 0x6fff0000U
#define USERNS_MAP_LINES_MAX 340U     /* the kernel's limit since 4.15 */

int ns_userns_map_string(PrivateUsers mode, uid_t id, uid_t base, char *buf, size_t size) {
        int n;

        switch (mode) {
        case PRIVATE_USERS_SELF:
                /* root and the service's own id onto themselves, nothing else. */
                if (id == 0)
                        n = snprintf(buf, size, "0 0 1\n");
                else
                        n = snprintf(buf, size, "0 0 1\n%u %u 1\n", (unsigned) id, (unsigned) id);
                break;
        case PRIVATE_USERS_IDENTITY:
                n = snprintf(buf, size, "0 0 %u\n", USERNS_RANGE);
                break;
        case PRIVATE_USERS_PICK:
                if (base < USERNS_PICK_FIRST || base % USERNS_RANGE != 0)
                        return -EINVAL;
                n = snprintf(buf, size, "0 %u %u\n", (unsigned) base, USERNS_RANGE);
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

/* PrivateUsers=self maps root, the service's gid and each of its
 * supplementary groups onto themselves, and nothing else. systemd calls
 * setgroups() before it creates the user namespace, so the groups need no
 * mapping there (they show as nogroup inside); clone3 makes ours at birth
 * and setgroups() runs inside it, where an unmapped gid is EINVAL. Other
 * modes map a whole range and take the groups as ids inside it. */
int ns_userns_gid_map_string(PrivateUsers mode, gid_t gid, const gid_t *groups, size_t n_groups, uid_t base,
                             char *buf, size_t size) {
        size_t len, lines = 1;
        int r;

        if (mode != PRIVATE_USERS_SELF)
                return ns_userns_map_string(mode, gid, base, buf, size);
        r = ns_userns_map_string(mode, gid, base, buf, size);
        if (r < 0)
                return r;
        lines += gid != 0;
        len = strlen(buf);
        for (size_t i = 0; i < n_groups; i++) {
                gid_t g = groups[i];
                bool seen = g == 0 || g == gid;
                int n;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = groups[j] == g;
                if (seen)       /* overlapping lines are EINVAL */
                        continue;
                if (++lines > USERNS_MAP_LINES_MAX)
                        return -E2BIG;
                n = snprintf(buf + len, size - len, "%u %u 1\n", (unsigned) g, (unsigned) g);
                if (n < 0 || (size_t) n >= size - len)
                        return -ENOBUFS;
                len += (size_t) n;
        }
        return 0;
}

static int write_proc(pid_t pid, const char *file, const char *s) {
        char path[64];

        (void) snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        return write_string_at(AT_FDCWD, path, s);
}

int ns_userns_write_maps(pid_t pid, const UnitConfig *u, const NsPlan *plan, uid_t base, CrlError *reterr) {
        char map[NS_USERNS_MAP_SIZE];
        int r;

        r = ns_userns_map_string(u->private_users, plan->uid, base, map, sizeof(map));
        if (r >= 0)
                r = write_proc(pid, "uid_map", map);
        if (r < 0)
                return crl_error_set(reterr, r, "write uid_map '%.*s': %s",
                                     (int) strcspn(map, "\n"), map, strerror(-r));
        /* Only an unprivileged writer must give up setgroups() to map gids. */
        if (geteuid() != 0) {
                r = write_proc(pid, "setgroups", "deny");
                if (r < 0)
                        return crl_error_set(reterr, r, "write setgroups: %s", strerror(-r));
        }
        r = ns_userns_gid_map_string(u->private_users, plan->gid, plan->groups, plan->n_groups, base, map, sizeof(map));
        if (r >= 0)
                r = write_proc(pid, "gid_map", map);
        if (r < 0)
                return crl_error_set(reterr, r, "write gid_map '%.*s': %s",
                                     (int) strcspn(map, "\n"), map, strerror(-r));
        return 0;
}

static int pick_read(int dfd, const char *name, uid_t *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned long v;
        char *end;
        int r;

        r = read_line_at(dfd, name, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v < USERNS_PICK_FIRST || v > USERNS_PICK_LAST || v % USERNS_RANGE)
                return -EBADMSG;
        *ret = (uid_t) v;
        return 0;
}

/* The lowest range no other service's file names. */
static int pick_free(int dfd, uid_t *ret) {
        _cleanup_free_ uint8_t *used = NULL;
        size_t n = (USERNS_PICK_LAST - USERNS_PICK_FIRST) / USERNS_RANGE + 1;
        DIR *d;
        int fd;

        used = calloc(n, 1);
        if (!used)
                return -ENOMEM;
        fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return safe_close(fd), -errno;
        for (struct dirent *de; (de = readdir(d));) {
                uid_t b;

                /* temporary files start with a dot */
                if (de->d_name[0] != '.' && pick_read(dfd, de->d_name, &b) >= 0)
                        used[(b - USERNS_PICK_FIRST) / USERNS_RANGE] = 1;
        }
        closedir(d);
        for (size_t i = 0; i < n; i++)
                if (!used[i]) {
                        *ret = USERNS_PICK_FIRST + (uid_t) i * USERNS_RANGE;
                        return 0;
                }
        return -ENOSPC;
}

/* All or nothing, also across a crash: a temporary file, synced, renamed
 * over NAME, and the directory synced. */
static int pick_write(int dfd, const char *name, uid_t base) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        int n, r = 0;

        if (asprintf(&tmp, ".%s.tmp", name) < 0)
                return -ENOMEM;
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        n = snprintf(buf, sizeof(buf), "%u\n", (unsigned) base);
        if (write(fd, buf, (size_t) n) != n)
                r = errno > 0 ? -errno : -EIO;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);   /* best effort: a later pick truncates it */
                return r;
        }
        return RET_NERRNO(fsync(dfd));
}

static int pick_lock(int dfd, int nonblock) {
        int r;

        /* Held until dfd closes: two services picking at once must not both
         * take the lowest free range. */
        while ((r = flock(dfd, LOCK_EX | nonblock)) < 0 && errno == EINTR)
                ;
        return r < 0 ? -errno : 0;
}

/* Who holds the flock on dfd, from /proc/locks; 0 if unknown. */
static pid_t pick_lock_holder(int dfd) {
        char line[256];
        struct stat st;
        pid_t holder = 0;
        FILE *f;

        if (fstat(dfd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
                return 0;
        while (holder == 0 && fgets(line, sizeof(line), f)) {
                unsigned maj, min;
                unsigned long ino;
                int pid;

                /* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; waiters say "->" */
                if (sscanf(line, "%*d: FLOCK %*s %*s %d %x:%x:%lu", &pid, &maj, &min, &ino) == 4 &&
                    maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino)
                        holder = pid;
        }
        fclose(f);
        return holder;
}

static int pick_lock_failed(int dfd, const char *dir, int r, CrlError *reterr) {
        pid_t holder;

        if (r != -EWOULDBLOCK)
                return crl_error_set(reterr, r, "PrivateUsers=pick: lock %s: %s", dir, strerror(-r));
        holder = pick_lock_holder(dfd);
        if (holder > 0)
                return crl_error_set(reterr, EBUSY, "PrivateUsers=pick: %s is locked by process %d: "
                                     "another corrald with the same state directory?", dir, (int) holder);
        return crl_error_set(reterr, EBUSY, "PrivateUsers=pick: %s is locked by another process: "
                             "another corrald with the same state directory?", dir);
}

static int pick_open_dir(const char *state_dir, char **ret_dir, CrlError *reterr) {
        _cleanup_free_ char *dir = NULL;
        int dfd;

        if (asprintf(&dir, "%s/userns", state_dir) < 0)
                return -ENOMEM;
        (void) mkdir(state_dir, 0755);  /* the open below reports what matters */
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return crl_error_set(reterr, errno, "PrivateUsers=pick: create %s: %s", dir, strerror(errno));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return crl_error_set(reterr, errno, "PrivateUsers=pick: open %s: %s", dir, strerror(errno));
        *ret_dir = TAKE_PTR(dir);
        return dfd;
}

static int pick(const char *state_dir, const char *name, int nonblock, uid_t *ret, CrlError *reterr) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        uid_t base;
        int r;

        if (isempty(name) || name[0] == '.' || strchr(name, '/'))
                return crl_error_set(reterr, EINVAL, "PrivateUsers=pick: '%s' cannot name a state file", name ?: "");
        dfd = pick_open_dir(state_dir, &dir, reterr);
        if (dfd < 0)
                return dfd;
        r = pick_lock(dfd, nonblock);
        if (r < 0)
                return pick_lock_failed(dfd, dir, r, reterr);
        r = pick_read(dfd, name, &base);
        if (r >= 0) {
                *ret = base;
                return 0;
        }
        /* EBADMSG: no range in the file. It is written once, atomically, at
         * the first pick; one without a range is a pick that never completed
         * (files of older versions could be cut short by a crash) or an edit
         * by hand. No service ran with it: pick anew and replace it. */
        if (r != -ENOENT && r != -EBADMSG)
                return crl_error_set(reterr, r, "PrivateUsers=pick: read %s/%s: %s (remove it to pick a new range)",
                                     dir, name, strerror(-r));
        r = pick_free(dfd, &base);
        if (r < 0)
                return crl_error_set(reterr, r, "PrivateUsers=pick: no free id range in %s: %s", dir, strerror(-r));
        r = pick_write(dfd, name, base);
        if (r < 0)
                return crl_error_set(reterr, r, "PrivateUsers=pick: write %s/%s: %s", dir, name, strerror(-r));
        *ret = base;
        return 0;
}

int ns_userns_pick(const char *state_dir, const char *name, uid_t *ret, CrlError *reterr) {
        return pick(state_dir, name, 0, ret, reterr);
}

int ns_userns_try_pick(const char *state_dir, const char *name, uid_t *ret, CrlError *reterr) {
        return pick(state_dir, name, LOCK_NB, ret, reterr);
}
