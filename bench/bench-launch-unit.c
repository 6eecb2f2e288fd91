/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-launch's modes over unit files (bench/hardening, issue 14). A unit
 * is loaded once, as corrald loads it (the units/ loader, then its seccomp
 * filters with ns_seccomp_build() and its device and IP programs with
 * cg_bpf_programs_new(), as corrald at the unit's first start), and started
 * as corrald starts it: a fresh cgroup with those programs attached
 * (cg_bpf_programs_attach(), as cg-service.c), ns_launch() into it with the
 * filters built at load, then the wait for the exit of its ExecStart
 * (/bin/true).
 * The runtime directory is $BENCH_RUNTIME_DIR (default
 * /tmp/corral-bench-runtime). Unlike corrald, no mount template (ns_mount_template_make() would make
 * /run/netns a shared mount of the host); both units pay that alike.
 *
 *   unit FILE CGROUP_DIR           load once, start once (for hyperfine)
 *   --compare-units N CGROUP_DIR FILE...
 *                                  N starts of each unit in turn, after N/10
 *                                  unrecorded ones; medians per step, ratios
 *                                  to the first FILE; then the load itself
 *   --compare-unit-tools N CGROUP_DIR SECCOMP_DIR PLAIN HARDENED
 *                                  whole processes in turn: `unit PLAIN`,
 *                                  `unit HARDENED`, bwrap, bwrap with the
 *                                  filters export-seccomp wrote to SECCOMP_DIR
 *   export-seccomp FILE DIR        FILE's filters as DIR/seccomp-K.bpf (what
 *                                  bwrap --add-seccomp-fd reads), in the order
 *                                  corral loads them; prints each path
 *   --compare-seccomp N DIR...     the seccomp() calls of a start alone: each
 *                                  DIR's exported programs (any corral
 *                                  version's) loaded in a fresh child, in turn */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-launch-unit.h"
#include "bench-util.h"
#include "cg-bpf.h"
#include "fd-util.h"
#include "macros.h"
#include "ns-launch.h"

/* The launcher's runtime directory (inaccessible nodes, private /tmp):
 * $BENCH_RUNTIME_DIR, which bench/hardening puts on a tmpfs as /run is
 * where systemd runs (on ext4 with discard, PrivateTmp='s removal waits
 * for the disk). */
static const char *runtime_dir(void) {
        const char *d = getenv("BENCH_RUNTIME_DIR");

        return d && *d ? d : "/tmp/corral-bench-runtime";
}

#define WARMUP_DIVISOR 10
#define LOADS_MAX 200

typedef struct BenchUnit {
        const char *path;
        UnitConfig *unit;
        NsSeccomp *seccomp;     /* built at load; NULL: the unit asks for none */
        CgBpfPrograms *bpf;     /* loaded at load; NULL: the unit asks for none */
} BenchUnit;

typedef enum Step {
        STEP_CGROUP,            /* mkdir, open, device/IP programs attached */
        STEP_LAUNCH,            /* ns_launch(): clone -> the command's exec */
        STEP_RUN,               /* exec -> exit reaped */
        STEP_TOTAL,             /* the three: the start as the issue times it */
        STEP_TEARDOWN,          /* rmdir, PrivateTmp= removed (stop, not timed in total) */
        _STEP_MAX,
} Step;

static const char *const step_names[_STEP_MAX] = { "cgroup+bpf", "to exec", "exec->exit", "total", "teardown" };

static void bench_unit_done(BenchUnit *b) {
        b->seccomp = ns_seccomp_free(b->seccomp);
        b->bpf = cg_bpf_programs_free(b->bpf);
        b->unit = unit_config_free(b->unit);
}

/* Any diagnostic fails the load: a key the loader ignored with a warning
 * would make the hardened unit less hardened than its file says. */
static int bench_unit_load(const char *path, BenchUnit *ret) {
        UnitDiagnostics d = {};
        CrlError e = {};
        int r;

        *ret = (BenchUnit) { .path = path };
        r = unit_load_file(path, &ret->unit, &d);
        for (size_t i = 0; i < d.n_lines; i++)
                fprintf(stderr, "%s\n", d.lines[i]);
        if (r >= 0 && d.n_lines > 0)
                r = -EINVAL;
        unit_diagnostics_done(&d);
        if (r < 0) {
                fprintf(stderr, "%s: cannot load the unit: %s\n", path, strerror(-r));
                bench_unit_done(ret);
                return r;
        }
        r = ns_seccomp_build(ret->unit, &ret->seccomp, &e);
        if (r >= 0 && (resource_config_wants_devices(&ret->unit->resources) ||
                       resource_config_wants_ip(&ret->unit->resources)))
                r = cg_bpf_programs_new(&ret->unit->resources, &ret->bpf, &e);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, e.message);
                bench_unit_done(ret);
        }
        return r;
}

/* The service's cgroup NAME below parent_fd with its programs: *ret_fd. */
static int cgroup_make(const BenchUnit *b, int parent_fd, const char *name, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        CrlError e = {};
        int r;

        if (mkdirat(parent_fd, name, 0755) < 0 || (fd = openat(parent_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0) {
                r = -errno;
                fprintf(stderr, "%s: cannot make the cgroup %s: %s\n", b->path, name, strerror(-r));
                (void) unlinkat(parent_fd, name, AT_REMOVEDIR); /* the open failed: undo the mkdir */
                return r;
        }
        if (b->bpf) {
                r = cg_bpf_programs_attach(b->bpf, fd, &e);
                if (r < 0) {
                        fprintf(stderr, "%s: cgroup %s: %s\n", b->path, name, e.message);
                        fd = safe_close(fd);
                        (void) unlinkat(parent_fd, name, AT_REMOVEDIR); /* the first error stands */
                        return r;
                }
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* What corrald does at the stop: the empty cgroup and the private /tmp go. */
static int teardown(const BenchUnit *b, int parent_fd, const char *name) {
        int r = 0;

        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0) {
                r = -errno;
                fprintf(stderr, "%s: cannot remove the cgroup %s: %s\n", b->path, name, strerror(-r));
        }
        if (b->unit->private_tmp && ns_private_tmp_remove(runtime_dir(), b->unit->name) < 0 && r >= 0) {
                r = -EIO;
                fprintf(stderr, "%s: cannot remove %s/private-tmp/%s\n", b->path, runtime_dir(), b->unit->name);
        }
        return r;
}

/* Start b's ExecStart in a cgroup NAME below parent_fd, wait for it, tear
 * down; t (may be NULL) gets the steps' times. Fails unless it exited 0. */
static int start_once(const BenchUnit *b, int parent_fd, const char *name, double t[_STEP_MAX]) {
        double t0 = now_us(), t1, t2, t3 = 0;
        siginfo_t si = {}, st = {};
        NsLaunchParams p;
        NsProcess proc;
        CrlError e = {};
        int cg = -EBADF, r;

        r = cgroup_make(b, parent_fd, name, &cg);
        if (r < 0)
                return r;
        t1 = now_us();
        ns_launch_params_init(&p, b->unit);
        p.cgroup_fd = cg;
        p.seccomp = b->seccomp;
        p.runtime_dir = runtime_dir();
        r = ns_launch(&p, &proc, &e);
        t2 = now_us();
        if (r < 0)
                fprintf(stderr, "%s: %s\n", b->path, e.message);
        else {
                if (waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED) < 0)
                        r = -errno;
                t3 = now_us();
                if (r >= 0)
                        (void) ns_process_main_status(&proc, &si, &st); /* always 0 */
                ns_process_done(&proc);
                if (r >= 0 && (st.si_code != CLD_EXITED || st.si_status != 0)) {
                        fprintf(stderr, "%s: the command ended with %s %d, not exit 0\n", b->path,
                                st.si_code == CLD_EXITED ? "exit" : "signal", st.si_status);
                        r = -ECHILD;
                }
        }
        safe_close(cg);
        if (teardown(b, parent_fd, name) < 0 && r >= 0)
                r = -EIO;
        if (r >= 0 && t) {
                t[STEP_CGROUP] = t1 - t0;
                t[STEP_LAUNCH] = t2 - t1;
                t[STEP_RUN] = t3 - t2;
                t[STEP_TOTAL] = t3 - t0;
                t[STEP_TEARDOWN] = now_us() - t3;
        }
        return r;
}

static int open_dir(const char *path) {
        int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return fd;
}

/* unit FILE CGROUP_DIR */
int bench_unit_start(const char *path, const char *cgroup_dir) {
        _cleanup_close_ int parent = open_dir(cgroup_dir);
        BenchUnit b;
        char name[32];
        int r;

        if (parent < 0 || bench_unit_load(path, &b) < 0)
                return 1;
        (void) snprintf(name, sizeof(name), "start-%d", (int) getpid());
        r = start_once(&b, parent, name, NULL);
        bench_unit_done(&b);
        return r < 0 ? 1 : 0;
}

/* The median time of a load (file, filters, programs), over up to LOADS_MAX. */
static double load_median(const char *path, int rounds) {
        int n = rounds < LOADS_MAX ? rounds : LOADS_MAX;
        double t[LOADS_MAX];

        for (int i = 0; i < n; i++) {
                double t0 = now_us();
                BenchUnit b;

                if (bench_unit_load(path, &b) < 0)
                        return -1;
                t[i] = now_us() - t0;
                bench_unit_done(&b);
        }
        return median(t, n);
}

static void print_units(BenchUnit *units, size_t n, double *t[][_STEP_MAX], int rounds, double *load) {
        double med[n][_STEP_MAX];

        printf("%-20s", "median us");
        for (Step s = 0; s < _STEP_MAX; s++)
                printf(" %11s", step_names[s]);
        printf(" %11s %9s %9s\n", "load", "total p10", "total p90");
        for (size_t u = 0; u < n; u++) {
                printf("%-20s", units[u].unit->name);
                for (Step s = 0; s < _STEP_MAX; s++)
                        printf(" %11.1f", med[u][s] = median(t[u][s], rounds));
                printf(" %11.1f %9.1f %9.1f\n", load[u], t[u][STEP_TOTAL][rounds / 10], t[u][STEP_TOTAL][rounds * 9 / 10]);
        }
        for (size_t u = 1; u < n; u++)
                printf("%s / %s: total %.3f (%+.1f %%), to exec %.3f, cgroup+bpf %+.1f us\n", units[u].unit->name,
                       units[0].unit->name, med[u][STEP_TOTAL] / med[0][STEP_TOTAL],
                       100.0 * (med[u][STEP_TOTAL] / med[0][STEP_TOTAL] - 1), med[u][STEP_LAUNCH] / med[0][STEP_LAUNCH],
                       med[u][STEP_CGROUP] - med[0][STEP_CGROUP]);
}

/* --compare-units N CGROUP_DIR FILE...: every unit in turn, so load from
 * other users of the machine hits all alike. */
int bench_unit_compare(int rounds, const char *cgroup_dir, char **files, size_t n) {
        _cleanup_close_ int parent = open_dir(cgroup_dir);
        int warmup = rounds / WARMUP_DIVISOR, r = 0;
        double *t[n][_STEP_MAX], load[n];
        BenchUnit units[n];
        size_t loaded = 0;

        if (parent < 0 || rounds < 1)
                return 1;
        for (; loaded < n && r >= 0; loaded++)
                r = bench_unit_load(files[loaded], &units[loaded]);
        if (r < 0)
                loaded--;
        for (size_t u = 0; u < n; u++)
                for (Step s = 0; s < _STEP_MAX; s++)
                        t[u][s] = calloc((size_t) rounds, sizeof(double));
        for (int i = -warmup; i < rounds && r >= 0; i++)
                for (size_t u = 0; u < n && r >= 0; u++) {
                        double one[_STEP_MAX];

                        r = start_once(&units[u], parent, "start", one);
                        for (Step s = 0; s < _STEP_MAX && r >= 0 && i >= 0; s++)
                                t[u][s][i] = one[s];
                }
        for (size_t u = 0; u < n && r >= 0; u++)
                if ((load[u] = load_median(files[u], rounds)) < 0)
                        r = -EINVAL;
        if (r >= 0)
                print_units(units, n, t, rounds, load);
        for (size_t u = 0; u < n; u++)
                for (Step s = 0; s < _STEP_MAX; s++)
                        free(t[u][s]);
        for (size_t u = 0; u < loaded; u++)
                bench_unit_done(&units[u]);
        return r < 0 ? 1 : 0;
}

/* export-seccomp FILE DIR */
int bench_unit_export_seccomp(const char *path, const char *dir) {
        BenchUnit b;
        int r = 0;

        if (bench_unit_load(path, &b) < 0)
                return 1;
        for (size_t i = 0; b.seccomp && i < b.seccomp->n && r >= 0; i++) {
                const struct sock_fprog *prog = &b.seccomp->progs[i];
                size_t size = prog->len * sizeof(struct sock_filter);
                _cleanup_close_ int fd = -EBADF;
                char out[PATH_MAX];

                (void) snprintf(out, sizeof(out), "%s/seccomp-%zu.bpf", dir, i);
                fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, prog->filter, size) != (ssize_t) size) {
                        r = fd < 0 ? -errno : -EIO;
                        fprintf(stderr, "cannot write %s: %s\n", out, strerror(-r));
                } else
                        printf("%s\n", out);
        }
        bench_unit_done(&b);
        return r < 0 ? 1 : 0;
}

/* The filter files export-seccomp wrote to dir, in order: *ret_n of them. */
static void seccomp_files(const char *dir, char files[NS_SECCOMP_FILTERS_MAX][PATH_MAX], size_t *ret_n) {
        size_t n = 0;

        for (; n < NS_SECCOMP_FILTERS_MAX; n++) {
                (void) snprintf(files[n], PATH_MAX, "%s/seccomp-%zu.bpf", dir, n);
                if (access(files[n], R_OK) < 0)
                        break;
        }
        *ret_n = n;
}

#define BWRAP_ARGS "bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"

/* --compare-unit-tools N CGROUP_DIR SECCOMP_DIR PLAIN HARDENED: whole
 * processes in turn (fork, exec, wait), as hyperfine times them. */
int bench_unit_compare_tools(int rounds, const char *self, const char *cg, const char *seccomp_dir,
                             const char *plain, const char *hardened) {
        static const char *const names[] = { "corral plain", "corral hardened", "bwrap", "bwrap seccomp" };
        char files[NS_SECCOMP_FILTERS_MAX][PATH_MAX], fdnum[NS_SECCOMP_FILTERS_MAX][4];
        char *bwrap_seccomp[32] = { BWRAP_ARGS }, *fdfiles[NS_SECCOMP_FILTERS_MAX + 1] = {};
        char *const cmds[][12] = {
                { (char *) self, (char *) "unit", (char *) plain, (char *) cg, NULL },
                { (char *) self, (char *) "unit", (char *) hardened, (char *) cg, NULL },
                { BWRAP_ARGS, (char *) "true", NULL },
        };
        double *t[ELEMENTSOF(names)], med[ELEMENTSOF(names)];
        size_t n_files, argc = 9;
        bool failed = rounds < 1;

        seccomp_files(seccomp_dir, files, &n_files);
        if (n_files == 0) {
                fprintf(stderr, "%s: no seccomp-0.bpf: run export-seccomp first\n", seccomp_dir);
                return 1;
        }
        for (size_t i = 0; i < n_files; i++) {
                (void) snprintf(fdnum[i], sizeof(fdnum[i]), "%zu", 3 + i);
                bwrap_seccomp[argc++] = (char *) "--add-seccomp-fd";
                bwrap_seccomp[argc++] = fdnum[i];
                fdfiles[i] = files[i];
        }
        bwrap_seccomp[argc++] = (char *) "true";
        for (size_t c = 0; c < ELEMENTSOF(names); c++)
                t[c] = calloc((size_t) rounds, sizeof(double));
        for (int i = -rounds / WARMUP_DIVISOR; i < rounds && !failed; i++)
                for (size_t c = 0; c < ELEMENTSOF(names) && !failed; c++) {
                        double d = c < 3 ? run_command(cmds[c], NULL) : run_command(bwrap_seccomp, fdfiles);

                        if (d < 0) {
                                fprintf(stderr, "%s failed (run it by hand to see why)\n", names[c]);
                                failed = true;
                        } else if (i >= 0)
                                t[c][i] = d;
                }
        for (size_t c = 0; c < ELEMENTSOF(names); c++) {
                if (!failed) {
                        med[c] = median(t[c], rounds);   /* sorts: before the p10 and p90 are read */
                        printf("%-16s median %7.1f us  p10 %7.1f  p90 %7.1f\n", names[c], med[c],
                               t[c][rounds / 10], t[c][rounds * 9 / 10]);
                }
                free(t[c]);
        }
        if (failed)
                return 1;
        printf("corral hardened / corral plain %.3f (%+.1f %%)\n", med[1] / med[0], 100.0 * (med[1] / med[0] - 1));
        printf("bwrap seccomp / bwrap %.3f (%+.1f %%)\n", med[3] / med[2], 100.0 * (med[3] / med[2] - 1));
        printf("corral plain / bwrap %.3f, corral hardened / bwrap seccomp %.3f\n", med[0] / med[2], med[1] / med[3]);
        return 0;
}

#define SECCOMP_FILES_MAX 8

/* The programs export-seccomp wrote to one DIR (any version's, up to 8). */
typedef struct Programs {
        const char *dir;
        size_t n, insns;
        struct sock_fprog progs[SECCOMP_FILES_MAX];     /* filter: owned */
} Programs;

static void programs_done(Programs *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->progs[i].filter);
        p->n = 0;
}

static int programs_read(const char *dir, Programs *ret) {
        *ret = (Programs) { .dir = dir };
        for (size_t i = 0; i < SECCOMP_FILES_MAX; i++) {
                char path[PATH_MAX];
                _cleanup_close_ int fd = -EBADF;
                struct stat st;
                void *buf;

                (void) snprintf(path, sizeof(path), "%s/seccomp-%zu.bpf", dir, i);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT && i > 0)
                        break;
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0 || st.st_size % sizeof(struct sock_filter) ||
                    !(buf = malloc(st.st_size)) || read(fd, buf, st.st_size) != st.st_size) {
                        fprintf(stderr, "%s: cannot read it (or empty, or not whole instructions)\n", path);
                        programs_done(ret);
                        return -EIO;
                }
                ret->progs[ret->n].filter = buf;
                ret->progs[ret->n++].len = (unsigned short) (st.st_size / sizeof(struct sock_filter));
                ret->insns += st.st_size / sizeof(struct sock_filter);
        }
        return 0;
}

/* A fresh child, as at a start: no_new_privs, then p's programs in order
 * (what ns_seccomp_apply() does last before execve). The µs those
 * seccomp() calls took; -1 on failure. */
static double attach_once(const Programs *p) {
        double t = -1;
        int fds[2], status;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                double t0;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(1);
                t0 = now_us();
                for (size_t i = 0; i < p->n; i++)
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->progs[i]) < 0)
                                _exit(2);
                t0 = now_us() - t0;
                _exit(write(fds[1], &t0, sizeof(t0)) == sizeof(t0) ? 0 : 3);
        }
        safe_close(fds[1]);
        if (pid > 0 && read(fds[0], &t, sizeof(t)) != sizeof(t))
                t = -1;
        safe_close(fds[0]);
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return t;
}

/* --compare-seccomp N DIR...: the seccomp() calls of a start alone, for
 * each DIR's programs in turn, N rounds after N/10 unrecorded ones. */
int bench_unit_compare_seccomp(int rounds, char **dirs, size_t n) {
        Programs progs[8];
        double *t[8] = {}, med[8];
        size_t loaded = 0;
        int r = 0;

        if (rounds < 10 || n > ELEMENTSOF(progs)) {
                fprintf(stderr, "--compare-seccomp: N >= 10 and at most %zu DIRs\n", ELEMENTSOF(progs));
                return 1;
        }
        for (; loaded < n && r >= 0; loaded++) {
                r = programs_read(dirs[loaded], &progs[loaded]);
                t[loaded] = r >= 0 ? calloc(rounds, sizeof(double)) : NULL;
                r = r >= 0 && !t[loaded] ? -ENOMEM : r;
        }
        for (int i = -rounds / 10; i < rounds && r >= 0; i++)
                for (size_t d = 0; d < n && r >= 0; d++) {
                        double x = attach_once(&progs[d]);

                        if (x < 0) {
                                fprintf(stderr, "%s: seccomp() failed in the child\n", progs[d].dir);
                                r = -EIO;
                        } else if (i >= 0)
                                t[d][i] = x;
                }
        if (r >= 0)
                printf("%-40s %8s %6s %9s %9s %9s\n", "median us of the seccomp() calls", "programs", "insns",
                       "median", "p10", "p90");
        for (size_t d = 0; d < loaded; d++) {
                if (r >= 0) {
                        med[d] = median(t[d], rounds);
                        printf("%-40s %8zu %6zu %9.1f %9.1f %9.1f", progs[d].dir, progs[d].n, progs[d].insns, med[d],
                               t[d][rounds / 10], t[d][rounds * 9 / 10]);
                        if (d > 0)
                                printf("  / first %.3f", med[d] / med[0]);
                        printf("\n");
                }
                free(t[d]);
                programs_done(&progs[d]);
        }
        return r < 0 ? 1 : 0;
}
