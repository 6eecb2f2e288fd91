/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tmpdir standing in for a cgroup2 tree, for the cgroup/ unit tests: a
 * small fake kernel (CgFsOps) fills each new directory with the interface
 * files, applies "+ctrl" to subtree_control, records every write and signal
 * and refuses the writes a test asks it to. The kernel's own doings (a
 * freeze confirmed, a cgroup emptied) are put() by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cg-internal.h"     /* a test marks a root delegated */
#include "fileio.h"
#include "strv.h"

typedef struct Fake {
        char dir[64];
        int mount_fd;
        char **log;                     /* "REL/FILE=VALUE" */
        const char *fail_file;          /* refuse writes to this file ... */
        int fail_errno;                 /* ... with this errno */
        int events_fd;                  /* signals check this cgroup's cgroup.events ... */
        unsigned signals_unfrozen;      /* ... and count those sent while not "frozen 1" */
} Fake;

static Fake fake;

static const char *const controller_files[][6] = {
        [CG_CTRL_CPU] = { "cpu.max", "cpu.weight", "cpu.idle" },
        [CG_CTRL_CPUSET] = { "cpuset.cpus", "cpuset.mems" },
        [CG_CTRL_IO] = { "io.max", "io.weight", "io.stat" },
        [CG_CTRL_MEMORY] = { "memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max",
                             "memory.oom.group" },
        [CG_CTRL_PIDS] = { "pids.max", "pids.current", "pids.events" },
};

static inline void put(int fd, const char *file, const char *content) {
        int f = openat(fd, file, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);

        assert_true(f >= 0);
        assert_int_equal(write(f, content, strlen(content)), (ssize_t) strlen(content));
        close(f);
}

/* As the kernel shows a file: a reader sees the old or the new content,
 * never the empty file between put()'s truncate and write (the contents
 * the threads below swap differ only in their digits). */
static inline void put_in_place(int fd, const char *file, const char *content) {
        int f = openat(fd, file, O_WRONLY | O_CLOEXEC);

        assert_true(f >= 0);
        assert_int_equal(pwrite(f, content, strlen(content), 0), (ssize_t) strlen(content));
        assert_int_equal(ftruncate(f, (off_t) strlen(content)), 0);
        close(f);
}

static inline char *get(int fd, const char *file) {
        char *s = NULL;

        if (read_file_at(fd, file, &s, NULL) < 0)
                return NULL;
        return s;
}

static inline void assert_content(int fd, const char *file, const char *want) {
        _cleanup_free_ char *s = get(fd, file);

        assert_non_null(s);
        assert_string_equal(s, want);
}

static inline void populate(int fd, const char *controllers) {
        put(fd, "cgroup.controllers", controllers);
        put(fd, "cgroup.subtree_control", "");
        put(fd, "cgroup.procs", "");
        put(fd, "cgroup.events", "populated 0\nfrozen 0\n");
        put(fd, "cgroup.freeze", "0\n");
        put(fd, "cgroup.kill", "");
        put(fd, "cgroup.max.depth", "max\n");
        put(fd, "cgroup.max.descendants", "max\n");
        put(fd, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        put(fd, "cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                if (!cg_controllers_has(controllers, c))
                        continue;
                for (size_t i = 0; i < 6 && controller_files[c][i]; i++)
                        put(fd, controller_files[c][i], "");
                if (c == CG_CTRL_MEMORY) {
                        put(fd, "memory.current", "0\n");
                        put(fd, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
                }
        }
}

/* A new cgroup offers what its parent's subtree_control enables. */
static inline int fake_mkdir(int dir_fd, const char *name, void *userdata) {
        _cleanup_free_ char *ctl = get(dir_fd, "cgroup.subtree_control");
        int fd;

        if (mkdirat(dir_fd, name, 0755) < 0)
                return -errno;
        fd = openat(dir_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        populate(fd, ctl ?: "");
        close(fd);
        return 0;
}

static inline int fake_rmdir(int dir_fd, const char *name, void *userdata) {
        _cleanup_free_ char *procs = NULL;
        int fd = openat(dir_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return -errno;
        procs = get(fd, "cgroup.procs");
        if (procs && *procs) {
                close(fd);
                return -EBUSY;
        }
        d = fdopendir(fd);
        for (struct dirent *de; (de = readdir(d));)     /* a child cgroup keeps it busy */
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        closedir(d);
                        return -EBUSY;
                }
        rewinddir(d);
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_type == DT_REG)
                        (void) unlinkat(fd, de->d_name, 0);
        closedir(d);
        return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static inline void rel_of(int dir_fd, char *buf, size_t size) {
        char link[64], target[PATH_MAX];
        ssize_t n;

        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", dir_fd);
        n = readlink(link, target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = 0;
        (void) snprintf(buf, size, "%s", target + strlen(fake.dir));
}

/* As in the kernel, enabling a controller in subtree_control makes it
 * appear in every child: its name in cgroup.controllers and its files. */
static inline void offer_to_children(int dir_fd, const char *name) {
        DIR *d = fdopendir(openat(dir_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
        CgController c = cg_controller_from_string(name);

        assert_true(c >= 0);
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *ctl = NULL, *new = NULL;
                int sub;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                sub = openat(dir_fd, de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                ctl = get(sub, "cgroup.controllers");
                assert_true(asprintf(&new, "%s %s", ctl, name) > 0);
                put(sub, "cgroup.controllers", new);
                for (size_t i = 0; i < 6 && controller_files[c][i]; i++)
                        put(sub, controller_files[c][i], "");
                close(sub);
        }
        closedir(d);
}

static inline int fake_write(int dir_fd, const char *file, const char *value, void *userdata) {
        char rel[PATH_MAX], line[PATH_MAX + 512];

        rel_of(dir_fd, rel, sizeof(rel));
        (void) snprintf(line, sizeof(line), "%s/%s=%s", rel, file, value);
        assert_int_equal(strv_extend(&fake.log, line), 0);
        if (fake.fail_file && streq(file, fake.fail_file))
                return -fake.fail_errno;
        if (streq(file, "cgroup.subtree_control") && !streq(rel, "")) {
                _cleanup_free_ char *procs = get(dir_fd, "cgroup.procs");

                if (procs && *procs)
                        return -EBUSY;  /* no internal processes (the root is exempt) */
        }
        if (faccessat(dir_fd, file, F_OK, 0) < 0)
                return -errno;
        if (streq(file, "cgroup.subtree_control") && value[0] == '+') {
                _cleanup_free_ char *old = get(dir_fd, "cgroup.subtree_control"), *new = NULL;

                assert_true(asprintf(&new, "%s%s%s", old, *old ? " " : "", value + 1) > 0);
                put(dir_fd, file, new);
                offer_to_children(dir_fd, value + 1);
        } else
                put(dir_fd, file, value);
        return 0;
}

/* A signal is logged as "signal PID SIG"; the pidfd must be that pid's. */
static inline int fake_signal(int pidfd, pid_t pid, int sig, void *userdata) {
        _cleanup_free_ char *info = NULL, *events = NULL;
        char path[64], line[64], want[32];

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        assert_int_equal(read_file_at(AT_FDCWD, path, &info, NULL), 0);
        (void) snprintf(want, sizeof(want), "\nPid:\t%d\n", (int) pid);
        assert_non_null(strstr(info, want));
        if (fake.events_fd >= 0) {
                events = get(fake.events_fd, "cgroup.events");
                if (!events || !strstr(events, "frozen 1"))
                        fake.signals_unfrozen++;
        }
        (void) snprintf(line, sizeof(line), "signal %d %d", (int) pid, sig);
        assert_int_equal(strv_extend(&fake.log, line), 0);
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static const CgFsOps fake_ops = { fake_mkdir, fake_rmdir, fake_write, fake_signal, NULL };
static const CgSystem sys = { .memory_total = 1ULL << 30, .pid_max = 32768 };

static inline CgProbe probe_all(void) {
        CgProbe p = { .mode = CG_MODE_UNIFIED };

        for (CgController c = 0; c < _CG_CTRL_MAX; c++)
                p.controllers[c].available = true;
        return p;
}

static inline bool logged(const char *line) {
        return strv_contains(fake.log, line);
}

static inline int setup(void **state) {
        fake = (Fake) { .dir = "/tmp/test-cgroup-tree.XXXXXX", .events_fd = -EBADF };
        assert_non_null(mkdtemp(fake.dir));
        fake.mount_fd = open(fake.dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_true(fake.mount_fd >= 0);
        populate(fake.mount_fd, "cpuset cpu io memory pids\n");
        return 0;
}

static inline void rm_tree(int dir_fd) {
        DIR *d = fdopendir(openat(dir_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC));

        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type == DT_DIR) {
                        int sub = openat(dir_fd, de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

                        rm_tree(sub);
                        close(sub);
                        (void) unlinkat(dir_fd, de->d_name, AT_REMOVEDIR);
                } else
                        (void) unlinkat(dir_fd, de->d_name, 0);
        }
        closedir(d);
}

static inline int teardown(void **state) {
        rm_tree(fake.mount_fd);
        close(fake.mount_fd);
        (void) rmdir(fake.dir);
        fake.log = strv_free(fake.log);
        return 0;
}

static inline CgRoot *open_root(const CgProbe *p, const char *path) {
        CgRoot *root = NULL;
        CrlError err = {};

        assert_int_equal(cg_root_open_at(p, fake.mount_fd, fake.dir, path, &sys, &fake_ops, &root, &err), 0);
        return root;
}

static inline ResourceConfig config_unset(void) {
        return (ResourceConfig) { .cpu_quota_per_sec_usec = USEC_INFINITY };
}

static inline CgService *make_service(CgRoot *root, const char *name) {
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;

        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };
        rc.tasks_max = (ResourceLimit) { LIMIT_VALUE, 10 };
        assert_int_equal(cg_service_create(root, name, &rc, 0, &s, &warnings, NULL), 0);
        return s;
}

static inline bool readable(int fd, int timeout_ms) {
        return poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, timeout_ms) == 1;
}

static inline ssize_t log_index(const char *line) {
        for (size_t i = 0; fake.log && fake.log[i]; i++)
                if (streq(fake.log[i], line))
                        return (ssize_t) i;
        return -1;
}

/* A child that dies of SIGTERM and SIGKILL, and with this test. */
static inline pid_t spawn_sleeper(void) {
        pid_t pid = fork();

        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        assert_true(pid > 0);
        return pid;
}

static inline void assert_killed_by(pid_t pid, int sig) {
        int status = 0;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sig);
}

static inline usec_t now_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}
