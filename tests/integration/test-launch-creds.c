/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Credentials as the service really has them (/proc/self/status Uid/Gid/
 * Groups/Cap*), also when the launcher is threaded, and the PrivateUsers=pick
 * state files. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "launch-util.h"

/* ---- item: a threaded launcher's child must not hang in glibc's setxid ---- */

static volatile int churn_stop;

static void *noop_thread(void *arg) {
        return arg;
}

/* Creates and joins threads without pause: at any clone of the launcher a
 * thread is likely half made (glibc's setxid_futex == -1) or the stack list
 * lock is held, both of which glibc's setxid broadcast waits on forever in a
 * child that has no such thread. */
static void *churn_thread(void *arg) {
        while (!churn_stop) {
                pthread_t t;

                if (pthread_create(&t, NULL, noop_thread, NULL) == 0)
                        (void) pthread_join(t, NULL);
        }
        return arg;
}

/* Blocked in read() for the whole run. */
static void *blocked_thread(void *arg) {
        char c;

        return read((int) (intptr_t) arg, &c, 1) < 0 ? NULL : arg;
}

typedef struct CredsCase {
        const char *what;
        PrivateUsers private_users;
        const char *user, *group;
        const char *supplementary;
        bool private_pids;
} CredsCase;

static const CredsCase threaded_cases[] = {
        { .what = "User=nobody SupplementaryGroups=nogroup", .user = "nobody", .supplementary = "nogroup" },
        { .what = "Group=nogroup", .group = "nogroup" },
        { .what = "PrivateUsers=self", .private_users = PRIVATE_USERS_SELF },
        { .what = "PrivateUsers=self User=nobody", .private_users = PRIVATE_USERS_SELF, .user = "nobody" },
        { .what = "PrivatePIDs=yes User=nobody (PID 2 sets the ids)", .user = "nobody", .private_pids = true },
};

static UnitConfig *unit_for(const CredsCase *c) {
        UnitConfig *u = unit_new("creds");

        u->private_users = c->private_users;
        u->private_pids = c->private_pids;
        unit_set_str(&u->user, c->user);
        unit_set_str(&u->group, c->group);
        if (c->supplementary)
                strv_extend(&u->supplementary_groups, c->supplementary);
        return u;
}

/* In a child process of the test (its own process group, so a hung launch
 * child can be killed with it): threads as the mode says, then launches. */
static _Noreturn void threaded_launches(int mode, int n) {
        pthread_t churn, blocked;
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                _exit(2);
        if (mode == 0 && pthread_create(&blocked, NULL, blocked_thread, (void *) (intptr_t) pipefd[0]) != 0)
                _exit(2);
        if (mode == 1 && pthread_create(&churn, NULL, churn_thread, NULL) != 0)
                _exit(2);
        for (int i = 0; i < n; i++) {
                const CredsCase *c = &threaded_cases[i % ELEMENTSOF(threaded_cases)];
                _cleanup_(unit_config_freep) UnitConfig *u = unit_for(c);
                Run run;

                run_sh(u, "exit 0", &run);
                if (run.r < 0 || run.code != 0) {
                        printf("launch %d (%s): r=%d %s exit %d\n", i, c->what, run.r, run.error.message, run.code);
                        _exit(1);
                }
        }
        churn_stop = 1;
        _exit(0);
}

/* Run threaded_launches() in a child, give it timeout_s seconds. */
static void test_threaded(int mode, const char *what) {
        siginfo_t si = {};
        pid_t pid;
        int pidfd, r;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                (void) setpgid(0, 0);
                threaded_launches(mode, 200);
        }
        (void) setpgid(pid, pid);       /* also here: no race with our kill below */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                abort();
        r = poll(&(struct pollfd) { .fd = pidfd, .events = POLLIN }, 1, 60 * 1000);
        if (r == 0) {
                /* The group holds the test child and every launch child it
                 * made (none calls setsid before exec). */
                (void) kill(-pid, SIGKILL);
                CHECK(false, "%s: 200 launches did not finish in 60 s: a launch child hangs "
                      "(glibc's setxid in a clone of a threaded process?)", what);
        }
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
        (void) kill(-pid, SIGKILL);     /* launch children left behind, if any */
        close(pidfd);
        if (r > 0)
                CHECK(si.si_code == CLD_EXITED && si.si_status == 0, "%s: launches failed (status %d)", what,
                      si.si_status);
}

int main(int argc, char **argv) {
        require_root();
        if (argc < 2 || streq(argv[1], "threaded")) {
                test_threaded(0, "a thread blocked in read()");
                test_threaded(1, "a thread creating threads");
        }
        return finish("test-launch-creds");
}
