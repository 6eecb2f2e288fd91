/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl exec [-u USER] NAME -- CMD [ARG...]: CMD inside the running
 * service, through the launcher's join (ns_exec()): born in its cgroup and
 * PID namespace, then in every other namespace, root and working directory
 * of its main process. corralctl does the setns itself (the daemon has no
 * exec method), so it needs root. The command shares corralctl's stdin,
 * stdout, stderr and so its terminal, and stays in corralctl's process
 * group: Ctrl-C reaches it, and corralctl passes its exit status on. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "ctl.h"
#include "fileio.h"
#include "strv.h"
#include "ns-launch.h"
#include "syscalls.h"

typedef struct ExecTarget {
        int pidfd;              /* owned; the service's main process */
        int cgroup_fd;          /* owned; its cgroup directory */
} ExecTarget;

static void exec_target_done(ExecTarget *t) {
        t->pidfd = safe_close(t->pidfd);
        t->cgroup_fd = safe_close(t->cgroup_fd);
}

/* The cgroup2 mount point from /proc/self/mountinfo ("... MOUNTPOINT ... - cgroup2 ..."). */
static int cgroup2_mount(char **ret) {
        _cleanup_free_ char *info = NULL;
        char *save = NULL;

        if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL) < 0)
                return -errno;
        for (char *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *sep = strstr(line, " - "), mnt[4096];

                if (!sep || !strneq(sep, " - cgroup2 ", 11))
                        continue;
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
                        continue;
                *ret = strdup(mnt);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

/* Whether pid's cgroup (its "0::" line) is cg or below it. */
static bool pid_in_cgroup(pid_t pid, const char *cg) {
        _cleanup_free_ char *text = NULL;
        char path[64], *line;
        size_t n = strlen(cg);

        (void) snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        if (read_file_at(AT_FDCWD, path, &text, NULL) < 0)
                return false;
        line = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
        if (!line)
                return false;
        line += line[0] == '\n' ? 4 : 3;
        return strneq(line, cg, n) && (line[n] == '\n' || line[n] == '/' || line[n] == 0);
}

/* Open the service's main process and cgroup; an exit code (printed) on failure. */
static int target_open(sd_bus *bus, const char *name, ExecTarget *t) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *obj = NULL, *cg = NULL, *mnt = NULL, *dir = NULL;
        uint32_t pid = 0;
        int r;

        r = ctl_service_path(bus, name, &e, &obj);
        if (r >= 0)
                r = ctl_get_u32(bus, obj, "MainPID", &e, &pid);
        if (r >= 0)
                r = ctl_get_string(bus, obj, "CgroupPath", &e, &cg);
        if (r < 0)
                return ctl_log_service_error("exec in", name, &e, r);
        if (pid == 0 || isempty(cg)) {
                fprintf(stderr, "corralctl: '%s' is not running\n", name);
                return CTL_EXIT_NOT_ACTIVE;
        }
        /* The pid is checked after it is pinned by the pidfd: still alive
         * and in the service's cgroup, so not a reused pid. */
        t->pidfd = crl_pidfd_open((pid_t) pid, 0);
        if (t->pidfd < 0 || crl_pidfd_send_signal(t->pidfd, 0, NULL, 0) < 0 || !pid_in_cgroup((pid_t) pid, cg)) {
                fprintf(stderr, "corralctl: '%s' is not running (its main process %u is gone)\n", name, pid);
                return CTL_EXIT_NOT_ACTIVE;
        }
        r = cgroup2_mount(&mnt);
        if (r >= 0 && asprintf(&dir, "%s%s", mnt, cg) < 0)
                r = -ENOMEM;
        if (r >= 0 && (t->cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, "corralctl: exec in %s: the cgroup %s: %s\n", name, cg, strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        return 0;
}

/* The command's end as a shell reports it: its exit code, 128+N for signal N. */
static int exit_code(const siginfo_t *si) {
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        return 128 + si->si_status;
}

/* SIGINT and SIGQUIT come from the terminal to the command as well (one
 * process group): corralctl lives on to report how it ended, as a shell
 * does. SIGTERM and SIGHUP are passed on to it. Blocked before the launch
 * (its child starts with every signal unblocked). */
static int signals_block(void) {
        sigset_t mask;
        int fd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGQUIT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

static int wait_command(int pidfd, int signal_fd) {
        siginfo_t si = {};

        for (;;) {
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = signal_fd, .events = POLLIN } };
                struct signalfd_siginfo ssi;

                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents)
                        break;
                if (read(signal_fd, &ssi, sizeof(ssi)) == (ssize_t) sizeof(ssi) &&
                    (ssi.ssi_signo == SIGTERM || ssi.ssi_signo == SIGHUP))
                        (void) crl_pidfd_send_signal(pidfd, (int) ssi.ssi_signo, NULL, 0);
        }
        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0) {
                fprintf(stderr, "corralctl: exec: waiting for the command: %s\n", strerror(errno));
                return CTL_EXIT_FAILURE;
        }
        return exit_code(&si);
}

/* Run argv in the service; the command's exit code, or 1 (printed). */
static int run_in(const char *name, const ExecTarget *t, char **argv, const char *user) {
        _cleanup_close_ int signal_fd = -EBADF;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *term_var = NULL;
        const char *term = getenv("TERM");
        NsExecParams p = {
                .target_pidfd = t->pidfd, .cgroup_fd = t->cgroup_fd, .argv = argv, .user = user,
                .stdin_fd = -EBADF, .stdout_fd = -EBADF, .stderr_fd = -EBADF,
        };
        NsProcess proc;
        CrlError e = {};
        int r;

        /* PATH as for a fresh service process; TERM for a terminal's programs. */
        if (term && asprintf(&term_var, "TERM=%s", term) < 0)
                term_var = NULL;        /* undefined after a failure */
        if (strv_extend(&env, "PATH=" NS_DEFAULT_PATH) < 0 ||
            (term && (!term_var || strv_extend(&env, term_var) < 0))) {
                fprintf(stderr, "corralctl: out of memory\n");
                return CTL_EXIT_FAILURE;
        }
        p.environment = env;
        signal_fd = signals_block();
        if (signal_fd < 0) {
                fprintf(stderr, "corralctl: exec: signals: %s\n", strerror(-signal_fd));
                return CTL_EXIT_FAILURE;
        }
        r = ns_exec(&p, &proc, &e);
        if (r < 0) {
                fprintf(stderr, "corralctl: exec in %s: %s\n", name, e.message[0] ? e.message : strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        r = wait_command(proc.pidfd, signal_fd);
        ns_process_done(&proc);
        return r;
}

static int usage(const char *what) {
        fprintf(stderr, "corralctl: exec: %s (usage: corralctl exec [-u USER] NAME -- CMD [ARG...])\n", what);
        return CTL_EXIT_USAGE;
}

int ctl_exec(int argc, char *argv[], CtlContext *c) {
        static const struct option options[] = {
                { "user", required_argument, NULL, 'u' },
                {}
        };
        _cleanup_(exec_target_done) ExecTarget t = { .pidfd = -EBADF, .cgroup_fd = -EBADF };
        const char *user = NULL, *name;
        sd_bus *bus;
        int o, r;

        opterr = 0;
        while ((o = getopt_long(argc, argv, "+u:", options, NULL)) >= 0)
                if (o == 'u')
                        user = optarg;
                else
                        return usage(optopt == 'u' ? "-u needs a user" : "unknown option");
        if (optind >= argc)
                return usage("missing service name");
        name = argv[optind++];
        if (optind < argc && streq(argv[optind], "--"))
                optind++;
        if (optind >= argc)
                return usage("missing command");
        if (geteuid() != 0) {
                fprintf(stderr, "corralctl: exec needs root: it enters the service's namespaces itself\n");
                return CTL_EXIT_FAILURE;
        }
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        r = target_open(bus, name, &t);
        if (r != 0)
                return r;
        return run_in(name, &t, argv + optind, user);
}
