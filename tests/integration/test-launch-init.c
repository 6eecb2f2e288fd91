/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corral's init (PrivatePIDs=yes): reaping, signal forwarding, exit status. */
#include <time.h>

#include "launch-util.h"
#include "syscalls.h"

typedef struct Live {
        NsProcess proc;
        int out;                /* read end of the command's stdout */
} Live;

static int start(const char *script, Live *l) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("init");
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        NsLaunchParams p;
        CrlError e = {};
        int fds[2], r;

        u->private_pids = true;
        it_params_init(&p, u);
        p.argv = argv;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        p.stdout_fd = fds[1];
        r = ns_launch(&p, &l->proc, &e);
        close(fds[1]);
        l->out = fds[0];
        if (r < 0)
                fprintf(stderr, "launch: %s\n", e.message);
        return r;
}

/* Wait for the init; return its own siginfo and the command's via the pipe. */
static void finish_live(Live *l, siginfo_t *init_si, siginfo_t *main_si) {
        memset(init_si, 0, sizeof(*init_si));
        if (waitid(P_PIDFD, (id_t) l->proc.pidfd, init_si, WEXITED) < 0)
                abort();
        (void) ns_process_main_status(&l->proc, init_si, main_si);
        ns_process_done(&l->proc);
        close(l->out);
}

static void read_line(int fd, char *buf, size_t size) {
        size_t n = 0;

        while (n + 1 < size && read(fd, buf + n, 1) == 1 && buf[n] != '\n')
                n++;
        buf[n] = 0;
}

static void test_exit_status(void) {
        siginfo_t isi, msi;
        Live l;

        CHECK(start("exit 42", &l) == 0, "start");
        finish_live(&l, &isi, &msi);
        CHECK(isi.si_code == CLD_EXITED && isi.si_status == 42, "init: code %d status %d", isi.si_code, isi.si_status);
        CHECK(msi.si_code == CLD_EXITED && msi.si_status == 42, "main: code %d status %d", msi.si_code, msi.si_status);

        CHECK(start("kill -TERM $$", &l) == 0, "start");
        finish_live(&l, &isi, &msi);
        CHECK(isi.si_code == CLD_EXITED && isi.si_status == 128 + SIGTERM, "init: code %d status %d", isi.si_code, isi.si_status);
        CHECK(msi.si_code == CLD_KILLED && msi.si_status == SIGTERM, "main: code %d status %d", msi.si_code, msi.si_status);
}

static void test_main_pid(void) {
        char path[64], line[256] = "", want[64];
        siginfo_t isi, msi;
        FILE *f;
        Live l;

        CHECK(start("echo ready; exec sleep 20", &l) == 0, "start");
        read_line(l.out, line, sizeof(line));
        CHECK(l.proc.main_pid != l.proc.pid, "MainPID %d is the init's pid", l.proc.main_pid);
        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) l.proc.main_pid);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (strneq(line, "NSpid:", 6))
                        break;
        if (f)
                fclose(f);
        (void) snprintf(want, sizeof(want), "NSpid:\t%d\t2\n", (int) l.proc.main_pid);
        CHECK(streq(line, want), "'%s' want '%s'", line, want);
        {
                /* the init holds /dev/null on 0-2, the status pipe and its signalfd: nothing of ours */
                char cmd[128];
                FILE *p;
                int n = -1;

                (void) snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int) l.proc.pid);
                p = popen(cmd, "re");
                if (p) {
                        if (fscanf(p, "%d", &n) != 1)
                                n = -1;
                        pclose(p);
                }
                CHECK(n == 5, "the init holds %d fds", n);
                (void) snprintf(cmd, sizeof(cmd), "readlink /proc/%d/cwd", (int) l.proc.pid);
                p = popen(cmd, "re");
                if (p) {
                        if (!fgets(line, sizeof(line), p))
                                line[0] = 0;
                        pclose(p);
                }
                CHECK(streq(line, "/\n"), "the init's cwd is %s", line);
        }
        CHECK(crl_pidfd_send_signal(l.proc.main_pidfd, SIGKILL, NULL, 0) == 0, "main pidfd signal");
        finish_live(&l, &isi, &msi);
        CHECK(msi.si_code == CLD_KILLED && msi.si_status == SIGKILL, "main: code %d status %d", msi.si_code, msi.si_status);
}

static void test_forwarding(void) {
        static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };

        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                char script[256], line[64];
                siginfo_t isi, msi;
                struct timespec a, b;
                Live l;

                /* The command exits 10+signal from its trap: proof it got the signal. */
                (void) snprintf(script, sizeof(script), "trap 'exit %d' %d; echo ready; sleep 20 & wait",
                                10 + sigs[i], sigs[i]);
                CHECK(start(script, &l) == 0, "start");
                read_line(l.out, line, sizeof(line));
                clock_gettime(CLOCK_MONOTONIC, &a);
                CHECK(crl_pidfd_send_signal(l.proc.pidfd, sigs[i], NULL, 0) == 0, "signal the init");
                finish_live(&l, &isi, &msi);
                clock_gettime(CLOCK_MONOTONIC, &b);
                CHECK(msi.si_code == CLD_EXITED && msi.si_status == 10 + sigs[i], "signal %d: main code %d status %d",
                      sigs[i], msi.si_code, msi.si_status);
                CHECK(b.tv_sec - a.tv_sec < 10, "signal %d not forwarded promptly", sigs[i]);
        }
}

static void test_reaps_orphans(void) {
        char line[256];
        siginfo_t isi, msi;
        Live l;

        /* A double fork: the inner sleep is orphaned and reparented to PID 1;
         * after it exits, no zombie may remain in the namespace. */
        CHECK(start("sh -c 'sleep 0.2 & echo $! ' ; sleep 1; "
                    "grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l", &l) == 0, "start");
        read_line(l.out, line, sizeof(line));
        CHECK(atoi(line) > 2, "orphan pid %s", line);
        read_line(l.out, line, sizeof(line));
        CHECK(streq(line, "0"), "zombies: %s", line);
        finish_live(&l, &isi, &msi);
        CHECK(msi.si_code == CLD_EXITED && msi.si_status == 0, "main status %d", msi.si_status);
}

int main(void) {
        require_root();
        test_exit_status();
        test_main_pid();
        test_forwarding();
        test_reaps_orphans();
        return finish("test-launch-init");
}
