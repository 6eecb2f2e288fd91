/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver for bench/launch: start `true` through ns_launch() (or a bare
 * clone3() with the same flags, the baseline) and wait for it.
 *
 *   bench-launch [--loop N] none|all|six|clone3-none|clone3-all|clone3-six [CGROUP_DIR]
 *   bench-launch --compare N [CGROUP_DIR]
 *   bench-launch --compare-tools N CGROUP_DIR
 *   bench-launch --compare-exec N CGROUP_DIR STAMP [BASELINE_BENCH_LAUNCH]
 *   bench-launch unit|--compare-units|--compare-unit-tools|export-seccomp|--compare-seccomp ...
 *                (a unit file loaded once and started: bench-launch-unit.c)
 *
 * "all" is the seven namespaces PrivatePIDs= (with corral's init), mount,
 * UTS, IPC, network (lo up), user (identity map), cgroup, time, plus
 * CLONE_INTO_CGROUP when CGROUP_DIR is given; "six" is what the unshare
 * command line of bench/launch makes (no user or time namespace). With --loop, prints the mean
 * time from the call to the child's exec (ns_launch() returns then) in µs. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "bench-launch-unit.h"
#include "bench-util.h"
#include "macros.h"
#include "ns-launch.h"
#include "syscalls.h"

static char *argv_true[] = { (char *) "/bin/true", NULL };
/* What the child runs: /bin/true, or bench-stamp with --stamp PATH. */
static char **child_argv = argv_true;

static UnitConfig *bench_unit(bool all, bool six) {
        UnitConfig *u = NULL;

        if (unit_config_new("bench", &u) < 0)
                abort();
        if (six) {
                /* What `unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc` makes. */
                u->private_pids = u->private_mounts = u->private_ipc = u->private_network = true;
                u->protect_hostname = true;
                u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
        } else if (all) {
                u->private_pids = u->private_mounts = u->private_ipc = u->private_network = true;
                u->private_time = true;
                u->hostname = strdup("bench");
                u->private_users = PRIVATE_USERS_IDENTITY;
                u->protect_control_groups = PROTECT_CGROUPS_PRIVATE;
        }
        return u;
}

static NsLaunchFlags launch_flags;

static int launch_once(const UnitConfig *u, int cgfd, bool wait_exit) {
        NsLaunchParams p;
        NsProcess proc;
        CrlError e = {};
        siginfo_t si;

        ns_launch_params_init(&p, u);
        p.argv = child_argv;
        if (child_argv != argv_true)
                p.stdout_fd = STDOUT_FILENO;
        p.cgroup_fd = cgfd;
        p.runtime_dir = "/tmp/corral-bench-runtime";
        p.flags = launch_flags;
        if (ns_launch(&p, &proc, &e) < 0) {
                fprintf(stderr, "%s\n", e.message);
                return -1;
        }
        if (wait_exit)
                (void) waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED);
        else {
                /* Reap after the clock stopped. */
                (void) waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED);
        }
        ns_process_done(&proc);
        return 0;
}

/* The baseline: clone3 with the same namespace flags, exec at once, and a
 * CLOEXEC pipe to learn when the exec happened (what ns_launch() waits for). */
static int clone3_once(unsigned long flags, int cgfd) {
        int pidfd = -EBADF, pipefd[2];
        crl_clone_args args = {
                .flags = flags | CLONE_PIDFD | (cgfd >= 0 ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = cgfd >= 0 ? (uint64_t) cgfd : 0,
        };
        siginfo_t si;
        char c;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        pid = crl_clone3(&args);
        if (pid < 0) {
                fprintf(stderr, "clone3: %s\n", strerror(-pid));
                return -1;
        }
        if (pid == 0) {
                execve(child_argv[0], child_argv, (char *[]) { NULL });
                _exit(127);
        }
        close(pipefd[1]);
        (void) !read(pipefd[0], &c, 1);
        close(pipefd[0]);
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
        close(pidfd);
        return 0;
}

/* --compare-tools N: whole processes (this driver, unshare, bwrap), interleaved. */
static int compare_tools(int rounds, const char *self, const char *cg) {
        char *cmds[][16] = {
                { (char *) self, (char *) "clone3-six", (char *) cg, NULL },
                { (char *) self, (char *) "six", (char *) cg, NULL },
                { (char *) self, (char *) "six-pid1", (char *) cg, NULL },
                { (char *) "unshare", (char *) "--fork", (char *) "--pid", (char *) "--mount", (char *) "--uts",
                  (char *) "--ipc", (char *) "--net", (char *) "--cgroup", (char *) "--mount-proc", (char *) "true", NULL },
                { (char *) self, (char *) "clone3-all", (char *) cg, NULL },
                { (char *) self, (char *) "all", (char *) cg, NULL },
                { (char *) "bwrap", (char *) "--unshare-all", (char *) "--ro-bind", (char *) "/", (char *) "/",
                  (char *) "--proc", (char *) "/proc", (char *) "--dev", (char *) "/dev", (char *) "true", NULL },
        };
        static const char *const names[] = { "clone3 six", "corral six", "corral six-pid1", "unshare",
                                             "clone3 all", "corral all", "bwrap" };
        double *t[ELEMENTSOF(cmds)], med[ELEMENTSOF(cmds)];

        for (size_t c = 0; c < ELEMENTSOF(cmds); c++)
                t[c] = calloc((size_t) rounds, sizeof(double));
        for (int i = 0; i < rounds; i++)
                for (size_t c = 0; c < ELEMENTSOF(cmds); c++)
                        if ((t[c][i] = run_command(cmds[c], NULL)) < 0) {
                                fprintf(stderr, "%s failed\n", names[c]);
                                return 1;
                        }
        for (size_t c = 0; c < ELEMENTSOF(cmds); c++) {
                qsort(t[c], (size_t) rounds, sizeof(double), cmp_double);
                med[c] = t[c][rounds / 2];
                printf("%-16s median %7.1f us  p10 %7.1f  p90 %7.1f\n", names[c], med[c], t[c][rounds / 10],
                       t[c][rounds * 9 / 10]);
                free(t[c]);
        }
        printf("corral six      / clone3 six %.2f, / unshare %.2f, / bwrap %.2f\n", med[1] / med[0],
               med[1] / med[3], med[1] / med[6]);
        printf("corral six-pid1 / clone3 six %.2f, / unshare %.2f, / bwrap %.2f\n", med[2] / med[0],
               med[2] / med[3], med[2] / med[6]);
        printf("corral all      / clone3 all %.2f, / unshare %.2f, / bwrap %.2f\n", med[5] / med[4],
               med[5] / med[3], med[5] / med[6]);
        return 0;
}

/* Spawn argv with stdout on a pipe; the time from just before the fork to
 * the stamp the command (bench-stamp) prints when it starts: the latency
 * from "start it" to the exec of the payload, what the launcher issue asks. */
static double run_to_exec(char *const *argv) {
        char buf[64] = {};
        int p[2], status;
        double t0;
        ssize_t n;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        t0 = now_us();
        pid = fork();
        if (pid == 0) {
                (void) dup2(p[1], STDOUT_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n <= 0)
                return -1;
        return (double) strtoll(buf, NULL, 10) / 1e3 - t0;
}

/* --compare-exec N CG STAMP [BASELINE]: time to the payload's exec,
 * interleaved. BASELINE is another build's bench-launch (with its own
 * bench-stamp beside it): its six and all run in the same rounds, for a
 * before/after ratio that load on the machine cannot skew. */
static int compare_exec(int rounds, const char *self, const char *cg, const char *stamp, const char *baseline) {
        char base_stamp[PATH_MAX];
        char *cmds[][16] = {
                { (char *) self, (char *) "--stamp", (char *) stamp, (char *) "clone3-six", (char *) cg, NULL },
                { (char *) self, (char *) "--stamp", (char *) stamp, (char *) "six", (char *) cg, NULL },
                { (char *) "unshare", (char *) "--fork", (char *) "--pid", (char *) "--mount", (char *) "--uts",
                  (char *) "--ipc", (char *) "--net", (char *) "--cgroup", (char *) "--mount-proc", (char *) stamp, NULL },
                { (char *) self, (char *) "--stamp", (char *) stamp, (char *) "clone3-all", (char *) cg, NULL },
                { (char *) self, (char *) "--stamp", (char *) stamp, (char *) "all", (char *) cg, NULL },
                { (char *) "bwrap", (char *) "--unshare-all", (char *) "--ro-bind", (char *) "/", (char *) "/",
                  (char *) "--proc", (char *) "/proc", (char *) "--dev", (char *) "/dev", (char *) stamp, NULL },
                { (char *) baseline, (char *) "--stamp", base_stamp, (char *) "six", (char *) cg, NULL },
                { (char *) baseline, (char *) "--stamp", base_stamp, (char *) "all", (char *) cg, NULL },
        };
        static const char *const names[] = { "clone3 six", "corral six", "unshare", "clone3 all", "corral all", "bwrap",
                                             "baseline six", "baseline all" };
        size_t n = baseline ? ELEMENTSOF(cmds) : ELEMENTSOF(cmds) - 2;
        double *t[ELEMENTSOF(cmds)], med[ELEMENTSOF(cmds)];

        if (baseline) {
                const char *slash = strrchr(baseline, '/');

                (void) snprintf(base_stamp, sizeof(base_stamp), "%.*sbench-stamp",
                                slash ? (int) (slash - baseline + 1) : 0, baseline);
        }
        for (size_t c = 0; c < n; c++)
                t[c] = calloc((size_t) rounds, sizeof(double));
        for (int i = 0; i < rounds; i++)
                for (size_t c = 0; c < n; c++)
                        if ((t[c][i] = run_to_exec(cmds[c])) < 0) {
                                fprintf(stderr, "%s failed\n", names[c]);
                                return 1;
                        }
        for (size_t c = 0; c < n; c++) {
                qsort(t[c], (size_t) rounds, sizeof(double), cmp_double);
                med[c] = t[c][rounds / 2];
                printf("%-12s to exec: median %7.1f us  p10 %7.1f  p90 %7.1f\n", names[c], med[c],
                       t[c][rounds / 10], t[c][rounds * 9 / 10]);
                free(t[c]);
        }
        printf("corral six / clone3 six %.2f, / unshare %.2f, / bwrap %.2f\n", med[1] / med[0], med[1] / med[2],
               med[1] / med[5]);
        printf("corral all / clone3 all %.2f, / unshare %.2f, / bwrap %.2f\n", med[4] / med[3], med[4] / med[2],
               med[4] / med[5]);
        if (baseline)
                printf("corral six / baseline six %.2f, corral all / baseline all %.2f\n", med[1] / med[6],
                       med[4] / med[7]);
        return 0;
}

/* --compare N: every mode in turn, N rounds, so load from other users of
 * the machine hits all modes alike; medians, and ratios to the baseline. */
static int compare(int rounds, int cgfd) {
        static const char *const modes[] = { "clone3-none", "none", "clone3-six", "six", "clone3-all", "all" };
        UnitConfig *units[ELEMENTSOF(modes)];
        double *t[ELEMENTSOF(modes)], med[ELEMENTSOF(modes)];

        for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
                units[m] = bench_unit(strstr(modes[m], "all") || strstr(modes[m], "six"), strstr(modes[m], "six"));
                t[m] = calloc((size_t) rounds, sizeof(double));
        }
        for (int i = 0; i < rounds; i++)
                for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
                        double t0 = now_us();
                        int r = strneq(modes[m], "clone3-", 7) ? clone3_once(ns_unit_namespace_flags(units[m]), cgfd)
                                                               : launch_once(units[m], cgfd, false);

                        if (r < 0)
                                return 1;
                        t[m][i] = now_us() - t0;
                }
        for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
                qsort(t[m], (size_t) rounds, sizeof(double), cmp_double);
                med[m] = t[m][rounds / 2];
                printf("%-12s median %7.1f us  p10 %7.1f  p90 %7.1f", modes[m], med[m],
                       t[m][rounds / 10], t[m][rounds * 9 / 10]);
                if (m % 2)
                        printf("  ratio to %s: %.2f", modes[m - 1], med[m] / med[m - 1]);
                printf("\n");
                free(t[m]);
                unit_config_free(units[m]);
        }
        return 0;
}

/* [clone3-](none|all|six)[-pid1] */
static bool known_mode(const char *mode) {
        static const char *const base[] = { "none", "all", "six" };
        const char *m = strneq(mode, "clone3-", 7) ? mode + 7 : mode;
        size_t n = strlen(m);

        if (n > 5 && streq(m + n - 5, "-pid1"))
                n -= 5;
        for (size_t i = 0; i < ELEMENTSOF(base); i++)
                if (strlen(base[i]) == n && strneq(m, base[i], n))
                        return true;
        return false;
}

int main(int argc, char **argv) {
        int loops = 1, cgfd = -EBADF, r = 0;
        const char *mode;
        UnitConfig *u;
        bool all;
        double total = 0;

        if (argc > 3 && streq(argv[1], "unit"))
                return bench_unit_start(argv[2], argv[3]);
        if (argc > 3 && streq(argv[1], "export-seccomp"))
                return bench_unit_export_seccomp(argv[2], argv[3]);
        if (argc > 3 && streq(argv[1], "--compare-seccomp"))
                return bench_unit_compare_seccomp(atoi(argv[2]), argv + 3, (size_t) (argc - 3));
        if (argc > 4 && streq(argv[1], "--compare-units"))
                return bench_unit_compare(atoi(argv[2]), argv[3], argv + 4, (size_t) (argc - 4));
        if (argc > 6 && streq(argv[1], "--compare-unit-tools"))
                return bench_unit_compare_tools(atoi(argv[2]), argv[0], argv[3], argv[4], argv[5], argv[6]);
        if (argc > 4 && streq(argv[1], "--compare-exec"))
                return compare_exec(atoi(argv[2]), argv[0], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
        if (argc > 2 && streq(argv[1], "--stamp")) {
                static char *stamp_argv[2];

                stamp_argv[0] = argv[2];
                child_argv = stamp_argv;
                argv += 2, argc -= 2;
        }
        if (argc > 3 && streq(argv[1], "--compare-tools"))
                return compare_tools(atoi(argv[2]), argv[0], argv[3]);
        if (argc > 2 && streq(argv[1], "--compare")) {
                if (argc > 3 && (cgfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        perror(argv[3]);
                        return 1;
                }
                r = compare(atoi(argv[2]), cgfd);
                safe_close(cgfd);
                return r;
        }
        if (argc > 2 && streq(argv[1], "--loop")) {
                loops = atoi(argv[2]);
                argv += 2, argc -= 2;
        }
        if (argc < 2) {
                fprintf(stderr, "usage: bench-launch [--loop N] none|all|six|clone3-none|clone3-all|clone3-six [CGROUP_DIR]\n");
                return 2;
        }
        mode = argv[1];
        if (!known_mode(mode)) {
                /* e.g. "--loop N unit FILE": the unit modes take no --loop;
                 * running a built-in unit instead would measure the wrong thing */
                fprintf(stderr, "bench-launch: unknown mode '%s'\n"
                        "usage: bench-launch [--loop N] none|all|six|clone3-none|clone3-all|clone3-six[-pid1] [CGROUP_DIR]\n",
                        mode);
                return 2;
        }
        if (strstr(mode, "-pid1"))     /* the command as PID 1, no init (what unshare --fork does) */
                launch_flags = NS_LAUNCH_KEEP_PID1;
        all = strstr(mode, "all") != NULL || strstr(mode, "six") != NULL;
        if (argc > 2 && all && (cgfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                perror(argv[2]);
                return 1;
        }
        u = bench_unit(all, strstr(mode, "six") != NULL);
        for (int i = 0; i < loops && r >= 0; i++) {
                double t0 = now_us();

                if (strneq(mode, "clone3-", 7))
                        r = clone3_once(ns_unit_namespace_flags(u), cgfd);
                else
                        r = launch_once(u, cgfd, false);
                total += now_us() - t0;
        }
        if (loops > 1)
                printf("%s: %.1f us per launch (%d launches)\n", mode, total / loops, loops);
        unit_config_free(u);
        safe_close(cgfd);
        return r < 0 ? 1 : 0;
}
