/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-format.h"
#include "cg-internal.h"
#include "fileio.h"
#include "syscalls.h"

/* How long a walk waits for cgroup.events "frozen 1" before it signals
 * anyway: a task in uninterruptible sleep holds the freeze back until it
 * wakes, and a stop must not hang on it. */
#define FREEZE_WAIT_USEC (1 * USEC_PER_SEC)
/* pidfds held at once while signalling one cgroup. */
#define PIDFD_BATCH 256
/* SIGKILL passes when the freeze was not confirmed (something may fork
 * while we walk): until a pass finds nobody, at most this many. */
#define UNFROZEN_PASSES 8

static int read_pids(int dir_fd, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ char *procs = NULL;
        int r;

        r = read_file_at(dir_fd, "cgroup.procs", &procs, NULL);
        if (r == -ENOENT || r == -ENODEV) {     /* the cgroup went away meanwhile: nobody in it */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;
        return cg_parse_pids(procs, ret, ret_n);
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return x < y ? -1 : x > y;
}

static int send_signal(const CgRoot *root, int pidfd, pid_t pid, int sig) {
        if (root->ops.signal_pidfd)
                return root->ops.signal_pidfd(pidfd, pid, sig, root->ops.userdata);
        return crl_pidfd_send_signal(pidfd, sig, NULL, 0);
}

/* A pid number read from cgroup.procs may name another process by the time
 * we use it. So: pin each with a pidfd, read cgroup.procs again, and signal
 * through the pidfds whose pid is still listed. A pid listed after its pidfd
 * was opened was that pidfd's process then (a number is not reused while its
 * process lives), and a pidfd never reaches a later process of the same
 * number (ESRCH once it is gone). Returns how many were signalled. */
static int signal_batch(const CgRoot *root, int dir_fd, const pid_t *pids, size_t n, int sig) {
        _cleanup_free_ pid_t *listed = NULL;
        int fds[PIDFD_BATCH], r = 0, count = 0;
        size_t n_listed = 0, opened = 0;

        assert(n <= PIDFD_BATCH);
        for (; opened < n && r >= 0; opened++) {
                fds[opened] = crl_pidfd_open(pids[opened], 0);  /* CLOEXEC by the kernel */
                if (fds[opened] < 0 && fds[opened] != -ESRCH)
                        r = fds[opened];
        }
        if (r >= 0)
                r = read_pids(dir_fd, &listed, &n_listed);
        if (r >= 0 && listed)
                qsort(listed, n_listed, sizeof(pid_t), cmp_pid);
        for (size_t i = 0; i < opened; i++) {
                if (r >= 0 && fds[i] >= 0 && listed &&
                    bsearch(&pids[i], listed, n_listed, sizeof(pid_t), cmp_pid)) {
                        int k = send_signal(root, fds[i], pids[i], sig);

                        if (k >= 0)
                                count++;
                        else if (k != -ESRCH)
                                r = k;
                }
                safe_close(fds[i]);
        }
        return r < 0 ? r : count;
}

/* Signal the processes of one cgroup (not its children). */
static int signal_cgroup(const CgRoot *root, int dir_fd, int sig) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r, count = 0;

        r = read_pids(dir_fd, &pids, &n);
        for (size_t i = 0; r >= 0 && i < n; i += PIDFD_BATCH) {
                r = signal_batch(root, dir_fd, pids + i, n - i < PIDFD_BATCH ? n - i : PIDFD_BATCH, sig);
                if (r > 0)
                        count += r;
        }
        return r < 0 ? r : count;
}

typedef struct Walk {
        const CgRoot *root;
        int sig;
        unsigned depth;
        int count;
} Walk;

static int signal_tree(int dir_fd, Walk *w);

static int signal_child(int dir_fd, int sub_fd, const char *name, void *userdata) {
        Walk *w = userdata;
        int r;

        if (w->depth >= CG_SERVICE_MAX_DEPTH)
                return -ELOOP;
        w->depth++;
        r = signal_tree(sub_fd, w);
        w->depth--;
        return r;
}

/* This cgroup, then its sub-cgroups, at most CG_SERVICE_MAX_DEPTH levels
 * down: the walk holds two fds a level, and a service may make its own. */
static int signal_tree(int dir_fd, Walk *w) {
        int r = signal_cgroup(w->root, dir_fd, w->sig);

        if (r < 0)
                return r;
        w->count += r;
        return cg_for_each_child(dir_fd, signal_child, w);
}

static int signal_service(CgService *s, int sig) {
        Walk w = { .root = s->root, .sig = sig };
        int r = signal_tree(s->dir_fd, &w);

        return r < 0 ? r : w.count;
}

/* Freeze the service for a walk and wait up to FREEZE_WAIT_USEC (less when
 * timeout_usec is shorter, 0 meaning no limit of the caller's) for "frozen
 * 1". *ret_thaw: we wrote the freeze, so thaw after; a service that was
 * frozen already (Freeze) stays so. 0: confirmed; else not frozen, and the
 * walk is done anyway: the pidfds keep it safe, only not complete. */
static int freeze_for_walk(CgService *s, usec_t timeout_usec, bool *ret_thaw) {
        _cleanup_free_ char *old = NULL;
        usec_t wait = timeout_usec == 0 || timeout_usec > FREEZE_WAIT_USEC ? FREEZE_WAIT_USEC : timeout_usec;
        int r;

        *ret_thaw = false;
        if (read_line_at(s->dir_fd, "cgroup.freeze", &old) < 0 || !streq(old, "1")) {
                r = cg_write(s->root, s->dir_fd, "cgroup.freeze", "1");
                if (r < 0)
                        return r;
                *ret_thaw = true;
        }
        return cg_wait_events(s->dir_fd, "frozen", true, cg_deadline_usec(cg_now_usec(), wait));
}

static int thaw_after_walk(CgService *s, int r, CrlError *reterr) {
        int k = cg_write(s->root, s->dir_fd, "cgroup.freeze", "0");

        if (k < 0 && r >= 0)
                return crl_error_set(reterr, k, "cannot thaw %s%s/%s after signalling it: cgroup.freeze: %s",
                                     s->root->mount, s->root->path, s->dir_name, strerror(-k));
        return r;
}

int cg_service_signal(CgService *s, int sig, CrlError *reterr) {
        bool thaw;
        int r;

        /* not frozen in time: one pass still reaches every process that
         * does not fork meanwhile; the stop timeout's cg_service_kill() gets
         * the rest */
        (void) freeze_for_walk(s, 0, &thaw);
        r = signal_service(s, sig);
        if (r < 0)
                r = crl_error_set(reterr, r, "cannot signal the processes of %s%s/%s: %s%s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r),
                                  r == -ELOOP ? " (sub-cgroups nested too deep)" : "");
        return thaw ? thaw_after_walk(s, r, reterr) : r;
}

/* Before Linux 5.14: freeze so nothing forks or exits while we walk, SIGKILL
 * every process through a pidfd (a frozen task dies of SIGKILL without
 * being thawed), thaw. If the freeze is not confirmed, walk again until a
 * pass finds nobody, waiting briefly for cgroup.events between passes. */
static int kill_by_walking(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        bool thaw, frozen = freeze_for_walk(s, timeout_usec, &thaw) >= 0;
        int r;

        for (unsigned pass = 1;; pass++) {
                r = signal_service(s, SIGKILL);
                if (r <= 0 || frozen || pass >= UNFROZEN_PASSES)
                        break;
                (void) cg_wait_events(s->dir_fd, "populated", false, /* empty or not, the next pass tells */
                                      cg_deadline_usec(cg_now_usec(), 10 * USEC_PER_MSEC));
        }
        if (r < 0)
                r = crl_error_set(reterr, r, "cannot kill the processes of %s%s/%s: %s%s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r),
                                  r == -ELOOP ? " (sub-cgroups nested too deep)" : "");
        else
                r = 0;
        return thaw ? thaw_after_walk(s, r, reterr) : r;
}

int cg_service_kill(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        usec_t deadline = cg_deadline_usec(cg_now_usec(), timeout_usec);
        int r;

        r = cg_write(s->root, s->dir_fd, "cgroup.kill", "1");
        if (r == -ENOENT)
                r = kill_by_walking(s, timeout_usec, reterr);
        else if (r < 0)
                r = crl_error_set(reterr, r, "cannot write 1 to %s%s/%s/cgroup.kill: %s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r));
        if (r < 0 || timeout_usec == 0)
                return r;
        r = cg_wait_events(s->dir_fd, "populated", false, deadline);
        if (r < 0)
                return crl_error_set(reterr, r, "processes of %s%s/%s still there after SIGKILL: %s",
                                     s->root->mount, s->root->path, s->dir_name,
                                     r == -ETIME ? "timed out" : strerror(-r));
        return 0;
}

int cg_service_pids(CgService *s, pid_t **ret, size_t *ret_n) {
        return read_pids(s->dir_fd, ret, ret_n);
}
