/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Joining instead of creating: JoinsNamespaceOf=, NetworkNamespacePath=,
 * the /run/netns pins, and ns_exec() for corralctl exec. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "strv.h"
#include "syscalls.h"

#define NETNS_DIR "/run/netns"

/* The pid behind a pidfd, checked to be alive: a pid read while the pidfd's
 * process still runs cannot have been reused. */
static int pidfd_get_pid(int pidfd, pid_t *ret) {
        _cleanup_free_ char *s = NULL;
        char path[64];
        const char *p;
        int r;

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        r = read_file_at(AT_FDCWD, path, &s, NULL);
        if (r < 0)
                return r;
        p = strstr(s, "\nPid:");
        if (!p)
                return -ENOTTY;
        *ret = (pid_t) atoi(p + 5);
        return *ret > 0 ? 0 : -ESRCH;  /* -1 once the process has been reaped */
}

/* Linux 6.11's pidfd ioctls (linux/pidfd.h): the namespace without a pid
 * number or /proc; older kernels answer ENOTTY (an anonymous-inode pidfd)
 * or EINVAL. */
#define CRL_PIDFS_IOCTL_MAGIC 0xFF
#define CRL_PIDFD_GET_NET_NAMESPACE _IO(CRL_PIDFS_IOCTL_MAGIC, 4)

static int pidfd_open_netns(int pidfd, int *ret) {
        char path[64];
        pid_t pid;
        int fd, r;

        fd = ioctl(pidfd, CRL_PIDFD_GET_NET_NAMESPACE, 0);
        if (fd >= 0) {
                *ret = fd;
                return 0;
        }
        if (errno != ENOTTY && errno != EINVAL)
                return -errno;  /* ESRCH: it has exited */
        r = pidfd_get_pid(pidfd, &pid);
        if (r < 0)
                return r;
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = crl_pidfd_send_signal(pidfd, 0, NULL, 0);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}

int ns_join_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        int r;

        if ((p->join_name || u->network_namespace_path) && u->private_users != PRIVATE_USERS_NO)
                return crl_error_set(reterr, EOPNOTSUPP,
                                     "step 'join': %s cannot be combined with PrivateUsers= "
                                     "(the namespaces to join belong to another user namespace)",
                                     p->join_name ? "JoinsNamespaceOf=" : "NetworkNamespacePath=");
        if (p->join_name) {
                r = p->join_pidfd >= 0 ? crl_pidfd_send_signal(p->join_pidfd, 0, NULL, 0) : -ESRCH;
                if (r < 0)
                        return crl_error_set(reterr, r, "step 'join': JoinsNamespaceOf=%s: '%s' is not running",
                                             p->join_name, p->join_name);
        }
        if (u->network_namespace_path) {
                plan->netns_fd = open(u->network_namespace_path, O_RDONLY | O_CLOEXEC);
                if (plan->netns_fd < 0)
                        return crl_error_set(reterr, errno, "step 'join': NetworkNamespacePath=%s: %s",
                                             u->network_namespace_path, strerror(errno));
                r = ioctl(plan->netns_fd, NS_GET_NSTYPE);
                if (r != CLONE_NEWNET)
                        return crl_error_set(reterr, EINVAL, "step 'join': NetworkNamespacePath=%s: not a network namespace",
                                             u->network_namespace_path);
        }
        return 0;
}

/* Child side. From inside a new user namespace these fail with EPERM: the
 * namespaces joined are owned by the host's (or OTHER's) user namespace. */
int ns_join_apply(const NsPlan *plan) {
        if (plan->join_pidfd >= 0 && setns(plan->join_pidfd, CLONE_NEWNET | CLONE_NEWIPC) < 0)
                return -errno;
        if (plan->netns_fd >= 0 && setns(plan->netns_fd, CLONE_NEWNET) < 0)
                return -errno;
        return 0;
}

/* As `ip netns add` does: /run/netns is a shared mount, so a pin made or
 * removed later reaches every mount namespace copied from ours. Not
 * MS_REC once it is a mount: the pins below it are shared already (made
 * below a shared mount), and a recursive change would walk every pin. */
static int netns_dir_make_shared(void) {
        if (mkdir("/run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mount(NULL, NETNS_DIR, NULL, MS_SHARED, NULL) >= 0)
                return 0;
        if (errno != EINVAL)
                return -errno;
        /* Not a mount point yet. */
        if (mount(NETNS_DIR, NETNS_DIR, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        return RET_NERRNO(mount(NULL, NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL));
}

static int netns_dir_prepare(void) {
        /* Once per process: a pin per start would otherwise take the
         * kernel's namespace lock for the propagation change every time. */
        static bool prepared = false;
        int r;

        if (prepared)
                return 0;
        r = netns_dir_make_shared();
        if (r >= 0)
                prepared = true;
        return r;
}

int ns_pin(int pidfd, const char *name, CrlError *reterr) {
        _cleanup_close_ int nsfd = -EBADF, fd = -EBADF;
        char path[256], src[64];
        int r;

        (void) snprintf(path, sizeof(path), NETNS_DIR "/corral-%s", name);
        r = pidfd_open_netns(pidfd, &nsfd);
        if (r < 0)
                return crl_error_set(reterr, r, "pin %s: network namespace of the service: %s", path, strerror(-r));
        r = netns_dir_prepare();
        if (r < 0)
                return crl_error_set(reterr, r, "pin %s: prepare " NETNS_DIR ": %s", path, strerror(-r));
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0 && errno == EEXIST) {
                /* a stale pin of an earlier run */
                (void) umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
                fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        }
        if (fd < 0)
                return crl_error_set(reterr, errno, "pin %s: %s", path, strerror(errno));
        (void) snprintf(src, sizeof(src), "/proc/self/fd/%d", nsfd);
        if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
                r = -errno;
                (void) unlink(path);
                return crl_error_set(reterr, r, "pin %s: bind mount: %s", path, strerror(-r));
        }
        return 0;
}

/* Drop /run/netns and every pin below it from our (new) mount namespace,
 * and whatever is stacked under it (`ip netns` and ns_pin() bind it onto
 * itself, maybe more than once): until it is no mount point (EINVAL) or
 * absent (ENOENT). */
int ns_netns_dir_detach(void) {
        for (unsigned i = 0; umount2(NETNS_DIR, MNT_DETACH) >= 0; i++)
                if (i >= 64)
                        return -ELOOP;
        return errno == EINVAL || errno == ENOENT ? 0 : -errno;
}

/* The template's child: a mount namespace of its own, a slave of ours,
 * without the pins; it says so (0 or an errno) and lives until the parent
 * took the namespace (EOF). */
static _Noreturn void template_child(int sock) {
        int r = 0;
        char c;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                r = errno;
        else
                r = -ns_netns_dir_detach();
        (void) !write(sock, &r, sizeof(r));
        while (read(sock, &c, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

int ns_mount_template_make(int *ret_fd, CrlError *reterr) {
        _cleanup_close_ int pidfd = -EBADF, fd = -EBADF;
        int sock[2], err = 0, r;
        char path[64];
        pid_t pid;

        r = netns_dir_prepare();        /* later pins go below a mount the template lacks */
        if (r < 0)
                return crl_error_set(reterr, r, "mount template: prepare " NETNS_DIR ": %s", strerror(-r));
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0)
                return crl_error_set(reterr, errno, "mount template: socketpair: %s", strerror(errno));
        pid = (pid_t) syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
        if (pid == 0) {
                safe_close(sock[0]);
                template_child(sock[1]);
        }
        r = pid < 0 ? -errno : 0;
        safe_close(sock[1]);
        if (r >= 0 && read(sock[0], &err, sizeof(err)) != (ssize_t) sizeof(err))
                r = -EIO;
        if (r >= 0 && err > 0)
                r = -err;
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int) pid);
        if (r >= 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                r = -errno;
        safe_close(sock[0]);    /* EOF: the child exits */
        if (pidfd >= 0)
                while (waitid(P_PIDFD, (id_t) pidfd, &(siginfo_t) {}, WEXITED) < 0 && errno == EINTR)
                        ;
        if (r < 0)
                return crl_error_set(reterr, r, "mount template: %s", strerror(-r));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int ns_unpin(const char *name, CrlError *reterr) {
        char path[256];

        (void) snprintf(path, sizeof(path), NETNS_DIR "/corral-%s", name);
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return crl_error_set(reterr, errno, "unpin %s: %s", path, strerror(errno));
        if (unlink(path) < 0 && errno != ENOENT)
                return crl_error_set(reterr, errno, "unpin %s: %s", path, strerror(errno));
        return 0;
}

/* A service fills its PrivateTmp= as it likes, as deep as it likes: below
 * this depth a directory is moved up to the top (renamed with
 * RENAME_NOREPLACE) and emptied from there in a later pass, so neither our
 * stack nor our open fds grow with the service's tree. */
#define RM_RF_MAX_DEPTH 16U

typedef struct RmRf {
        int top;                /* borrowed: the directory being emptied */
        unsigned moved;         /* directories moved up in this pass */
        unsigned serial;        /* for their names */
} RmRf;

static int rm_rf_children(RmRf *rm, int fd, unsigned depth);

static int rm_rf_dir(RmRf *rm, int dfd, const char *name, unsigned depth) {
        char tmp[32];
        int fd, r;

        if (depth >= RM_RF_MAX_DEPTH) {
                for (;;) {
                        (void) snprintf(tmp, sizeof(tmp), ".corral-rm-%u", rm->serial++);
                        if (renameat2(dfd, name, rm->top, tmp, RENAME_NOREPLACE) >= 0)
                                break;
                        if (errno != EEXIST)
                                return -errno;
                }
                rm->moved++;
                return 0;
        }
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = rm_rf_children(rm, fd, depth + 1);  /* closes fd */
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r >= 0)
                r = -errno;
        return r;
}

/* Remove everything in the directory fd (taken), by fd, following no symlink. */
static int rm_rf_children(RmRf *rm, int fd, unsigned depth) {
        DIR *d = fdopendir(fd);
        int r = 0;

        if (!d)
                return safe_close(fd), -errno;
        for (struct dirent *de; (de = readdir(d));) {
                int k = 0;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        k = errno == EISDIR || errno == EPERM ? rm_rf_dir(rm, dirfd(d), de->d_name, depth) : -errno;
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        return r;
}

int ns_rm_rf_at(int dfd, const char *name) {
        RmRf rm = { .top = -EBADF };
        int r;

        rm.top = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rm.top < 0)
                return errno == ENOENT ? 0 : -errno;
        do {
                rm.moved = 0;
                /* A new open file description each pass: a dup would share
                 * the directory offset the last pass left at the end. */
                r = rm_rf_children(&rm, openat(rm.top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
        } while (r >= 0 && rm.moved > 0);
        safe_close(rm.top);
        if (r >= 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

int ns_private_tmp_remove(const char *runtime_dir, const char *name) {
        char path[512];

        (void) snprintf(path, sizeof(path), "%s/private-tmp/%s", runtime_dir ?: "/run/corral", name);
        return ns_rm_rf_at(AT_FDCWD, path);
}
