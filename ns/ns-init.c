/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corral's init for PrivatePIDs=yes: PID 1 of the service's PID namespace.
 * It reaps every orphan, forwards SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 to
 * the command (PID 2), and when the command ends writes its siginfo_t to the
 * status pipe and exits with its code (128+N for signal N: the kernel will
 * not let a namespace's init die of a signal it raises itself, so the pipe
 * carries the exact result to the supervisor). Runs in the cloned child after
 * the mount setup; all signals are blocked on entry.
 *
 * With a status record (NsLaunchParams.status_record_fd) it first writes the
 * command's result there too, as one line "CODE STATUS REALTIME_USEC\n"
 * (CODE exited/killed/dumped), so that a corrald started after the one that
 * launched the service still learns how its command ended. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
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

static const char *const record_codes[] = {
        [CLD_EXITED] = "exited",
        [CLD_KILLED] = "killed",
        [CLD_DUMPED] = "dumped",
};

int ns_status_record_format(const siginfo_t *si, uint64_t realtime_usec, char *buf, size_t size) {
        int n;

        if (si->si_code < CLD_EXITED || si->si_code > CLD_DUMPED)
                return -EINVAL;
        n = snprintf(buf, size, "%s %d %" PRIu64 "\n", record_codes[si->si_code], si->si_status, realtime_usec);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : n;
}

int ns_status_record_parse(const char *text, siginfo_t *ret, uint64_t *ret_realtime_usec) {
        char code[8];
        unsigned long long usec;
        int status, end = -1;

        if (!text[0])
                return -ENODATA;        /* the command has not ended (or the init died first) */
        if (sscanf(text, "%7[a-z] %d %llu\n%n", code, &status, &usec, &end) != 3 ||
            end < 0 || (size_t) end != strlen(text) || text[end - 1] != '\n')
                return -EBADMSG;
        for (int c = CLD_EXITED; c <= CLD_DUMPED; c++)
                if (streq(code, record_codes[c])) {
                        if (status < 0 || (c == CLD_EXITED ? status > 255 : status >= NSIG))
                                return -EBADMSG;
                        *ret = (siginfo_t) { .si_signo = SIGCHLD, .si_code = c, .si_status = status };
                        if (ret_realtime_usec)
                                *ret_realtime_usec = usec;
                        return 0;
                }
        return -EBADMSG;
}

int ns_status_record_read(int fd, siginfo_t *ret, uint64_t *ret_realtime_usec) {
        char buf[128];
        ssize_t n;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return ns_status_record_parse(buf, ret, ret_realtime_usec);
}

/* The record is written once, at offset 0 of a file the launcher emptied:
 * a reader sees the whole line or nothing (the file's size grows only
 * after the bytes are in the page cache). */
static void record_write(int record_fd, const siginfo_t *si) {
        struct timespec ts = {};
        char buf[128];
        int n;

        if (record_fd < 0)
                return;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        n = ns_status_record_format(si, (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000, buf, sizeof(buf));
        if (n > 0)
                (void) pwrite(record_fd, buf, (size_t) n, 0); /* nobody to tell: the pipe still carries it */
}

int ns_init_run(pid_t main_pid, int status_fd, int record_fd) {
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
        record_write(record_fd, &main_si);
        /* EPIPE (SIGPIPE is blocked) when the corrald that launched us is gone. */
        if (status_fd >= 0)
                (void) write(status_fd, &main_si, sizeof(main_si)); /* a pipe write of < PIPE_BUF is atomic */
        return exit_code(&main_si);
}
