/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corral's init for PrivatePIDs=yes: PID 1 of the service's PID namespace.
 * It reaps every orphan, forwards SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 to
 * the command (PID 2), and when the command ends writes its siginfo_t to the
 * status pipe and exits with its code (128+N for signal N: the kernel will
 * not let a namespace's init die of a signal it raises itself, so the pipe
 * carries the exact result to the supervisor). Runs in the cloned child after
 * the mount setup; all signals are blocked on entry. */
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"
#include "ns-plan.h"

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };

static bool is_forwarded(int sig) {
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                if (forwarded[i] == sig)
                        return true;
        return false;
}

/* Reap everything that has exited; true once main_pid is among them. */
static bool reap_all(pid_t main_pid, siginfo_t *ret_main) {
        bool main_done = false;

        for (;;) {
                siginfo_t si = {};

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                        return main_done;
                if (si.si_pid == main_pid) {
                        *ret_main = si;
                        main_done = true;
                }
        }
}

static int exit_code(const siginfo_t *si) {
        return si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
}

int ns_init_run(pid_t main_pid, int status_fd) {
        struct signalfd_siginfo ssi;
        siginfo_t main_si = {};
        sigset_t mask;
        int sfd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0)
                return 127;
        for (;;) {
                ssize_t n = read(sfd, &ssi, sizeof(ssi));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof(ssi))
                        return 127;
                if (is_forwarded((int) ssi.ssi_signo))
                        (void) kill(main_pid, (int) ssi.ssi_signo); /* ESRCH: already gone */
                else if (ssi.ssi_signo == SIGCHLD && reap_all(main_pid, &main_si))
                        break;
        }
        if (status_fd >= 0)
                (void) write(status_fd, &main_si, sizeof(main_si)); /* a pipe write of < PIPE_BUF is atomic */
        return exit_code(&main_si);
}
