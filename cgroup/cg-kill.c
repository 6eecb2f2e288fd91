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

/* How long the blocking walks (cg_service_signal, cg_service_kill with a
 * timeout) wait for cgroup.events "frozen 1" before they signal anyway: a
 * task in uninterruptible sleep holds the freeze back until it wakes, and a
 * stop must not hang on it. The event loop sets its own deadline. */
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
static int signal_batch(const CgRoot *root, int dir_fd, const pid_t *pids, size_t n, int sig, pid_t skip) {
        _cleanup_free_ pid_t *listed = NULL;
        int fds[PIDFD_BATCH], r = 0, count = 0;
        size_t n_listed = 0, opened = 0;

        assert(n <= PIDFD_BATCH);
        for (; opened < n && r >= 0; opened++) {
                if (pids[opened] == skip) {
                        fds[opened] = -ESRCH;
                        continue;
                }
                fds[opened] = crl_pidfd_open(pids[opened], 0);  /* CLOEXEC by the kernel */
                /* EINVAL: the number now names a thread (not a process) of
                 * someone else: ours is gone, as with ESRCH. A loaded VM
                 * reused a number that fast. */
                if (fds[opened] == -EINVAL)
                        fds[opened] = -ESRCH;
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

/* Signal the processes of one cgroup (not its children), but skip. */
static int signal_cgroup(const CgRoot *root, int dir_fd, int sig, pid_t skip) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r, count = 0;

        r = read_pids(dir_fd, &pids, &n);
        for (size_t i = 0; r >= 0 && i < n; i += PIDFD_BATCH) {
                r = signal_batch(root, dir_fd, pids + i, n - i < PIDFD_BATCH ? n - i : PIDFD_BATCH, sig, skip);
                if (r > 0)
                        count += r;
        }
        return r < 0 ? r : count;
}

typedef struct SignalWalk {
        const CgRoot *root;
        int sig;
        pid_t skip;
        int count;
} SignalWalk;

static int signal_pre(int dir_fd, void *userdata) {
        SignalWalk *w = userdata;
        int r = signal_cgroup(w->root, dir_fd, w->sig, w->skip);

        if (r > 0)
                w->count += r;
        return r;
}

/* The service's cgroup, then its sub-cgroups (cg_walk_tree's depth bound). */
static int signal_service(CgService *s, int sig, pid_t skip) {
        SignalWalk w = { .root = s->root, .sig = sig, .skip = skip };
        int r = cg_walk_tree(s->dir_fd, &(CgTreeWalk) { .pre = signal_pre, .userdata = &w });

        return r < 0 ? r : w.count;
}

struct CgSignalOp {
        CgService *service;     /* borrowed */
        int sig;
        pid_t skip;             /* 0: none */
        bool counted;           /* holds one of s->n_walks: thaw when the last ends */
};

/* Freeze the service for a walk, unless it is to stay frozen anyway
 * (cg_service_freeze(), or frozen by someone else). Writes only,
 * never waits. *ret_counted: this walk holds a share of the freeze. Returns
 * 1 when cgroup.events says frozen already, 0 when the kernel's confirmation
 * is still to come (CG_EVENT_FROZEN), -errno when cgroup.freeze cannot be
 * written (no freezer before Linux 5.2) or cgroup.events not read. */
static int walk_freeze(CgService *s, bool *ret_counted) {
        _cleanup_free_ char *old = NULL;
        bool frozen;
        int r;

        *ret_counted = false;
        /* With no walk running, cgroup.freeze is what the service is to be
         * after one: also a freeze or thaw by someone else counts. */
        if (s->n_walks == 0 && read_line_at(s->dir_fd, "cgroup.freeze", &old) >= 0)
                s->freeze_wanted = streq(old, "1");
        if (!s->freeze_wanted) {
                if (s->n_walks == 0) {
                        r = cg_write(s->root, s->dir_fd, "cgroup.freeze", "1");
                        if (r < 0)
                                return r;
                }
                s->n_walks++;
                *ret_counted = true;
        }
        r = cg_read_events(s->dir_fd, NULL, &frozen);
        return r < 0 ? r : frozen;
}

/* End a walk's share of the freeze: the last one thaws, unless the service
 * is to stay frozen. r is the walk's result; the first error wins. */
static int walk_thaw(CgService *s, bool counted, int r, CrlError *reterr) {
        int k;

        if (!counted)
                return r;
        assert(s->n_walks > 0);
        if (--s->n_walks > 0 || s->freeze_wanted)
                return r;
        k = cg_write(s->root, s->dir_fd, "cgroup.freeze", "0");
        /* A thaw is done when the write returns (the kernel clears "frozen"
         * at once; only a freeze waits for every task). Its event may come
         * after a next freeze completed, as one change or none. */
        if (k >= 0)
                s->frozen = false;
        if (k < 0 && r >= 0)
                return crl_error_set(reterr, k, "cannot thaw %s%s/%s after signalling it: cgroup.freeze: %s",
                                     s->root->mount, s->root->path, s->dir_name, strerror(-k));
        return r;
}

int cg_service_signal_begin(CgService *s, int sig, CgSignalOp **ret, CrlError *reterr) {
        CgSignalOp *op = calloc(1, sizeof(CgSignalOp));
        int r;

        if (!op)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        op->service = s;
        op->sig = sig;
        r = walk_freeze(s, &op->counted);
        *ret = op;
        /* No freezer, or cgroup.events unreadable: no confirmation will
         * come, so walk now; the checked pidfds keep it safe, only a
         * process forked meanwhile may be missed. */
        return r != 0;
}

int cg_service_signal_finish(CgSignalOp *op, unsigned *ret_n_signalled, CrlError *reterr) {
        CgService *s = op->service;
        int r = signal_service(s, op->sig, op->skip);

        if (r < 0)
                r = crl_error_set(reterr, r, "cannot signal the processes of %s%s/%s: %s%s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r),
                                  r == -ELOOP ? " (sub-cgroups nested too deep)" : "");
        else if (ret_n_signalled)
                *ret_n_signalled = (unsigned) r;
        r = walk_thaw(s, op->counted, r, reterr);
        free(op);
        return r < 0 ? r : 0;
}

void cg_service_signal_skip(CgSignalOp *op, pid_t pid) {
        op->skip = pid;
}

CgSignalOp *cg_service_signal_cancel(CgSignalOp *op) {
        if (!op)
                return NULL;
        /* best effort: a thaw that fails leaves the service frozen, which
         * the caller sees as FreezerState and can undo with thaw */
        (void) walk_thaw(op->service, op->counted, 0, NULL);
        free(op);
        return NULL;
}

int cg_service_signal(CgService *s, int sig, CrlError *reterr) {
        _cleanup_(cg_service_signal_cancelp) CgSignalOp *op = NULL;
        unsigned n = 0;
        int r;

        r = cg_service_signal_begin(s, sig, &op, reterr);
        if (r < 0)
                return r;
        /* not frozen in time: one pass still reaches every process that
         * does not fork meanwhile; the stop timeout's cg_service_kill() gets
         * the rest */
        if (r == 0)
                (void) cg_wait_events(s->dir_fd, "frozen", true,
                                      cg_deadline_usec(cg_now_usec(), FREEZE_WAIT_USEC));
        r = cg_service_signal_finish(TAKE_PTR(op), &n, reterr);
        return r < 0 ? r : (int) n;
}

/* Before Linux 5.14: freeze so nothing forks or exits while we walk, SIGKILL
 * every process through a pidfd (a frozen task dies of SIGKILL without
 * being thawed), thaw. If the freeze is not confirmed, walk again until a
 * pass finds nobody. With timeout_usec 0 nothing waits: neither for the
 * freeze nor between the passes (a process that forked past one pass gets
 * the next; CG_EVENT_EMPTY tells the caller the end). Else the freeze gets
 * up to FREEZE_WAIT_USEC (less when timeout_usec is shorter), and each pass
 * up to 10 ms for the cgroup to empty, woken by inotify. */
static int kill_by_walking(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        usec_t wait = timeout_usec < FREEZE_WAIT_USEC ? timeout_usec : FREEZE_WAIT_USEC;
        bool counted, frozen;
        int r;

        r = walk_freeze(s, &counted);
        frozen = r > 0;
        if (r == 0 && wait > 0)
                frozen = cg_wait_events(s->dir_fd, "frozen", true, cg_deadline_usec(cg_now_usec(), wait)) >= 0;
        for (unsigned pass = 1;; pass++) {
                bool populated = true;

                r = signal_service(s, SIGKILL, 0);
                if (r <= 0 || frozen || pass >= UNFROZEN_PASSES)
                        break;
                if (wait > 0)   /* empty or not, the next pass tells */
                        (void) cg_wait_events(s->dir_fd, "populated", false,
                                              cg_deadline_usec(cg_now_usec(), 10 * USEC_PER_MSEC));
                /* frozen by now: the next pass is complete and the last */
                if (cg_read_events(s->dir_fd, &populated, &frozen) < 0)
                        frozen = false;
                if (!populated)
                        break;
        }
        if (r < 0)
                r = crl_error_set(reterr, r, "cannot kill the processes of %s%s/%s: %s%s",
                                  s->root->mount, s->root->path, s->dir_name, strerror(-r),
                                  r == -ELOOP ? " (sub-cgroups nested too deep)" : "");
        else
                r = 0;
        return walk_thaw(s, counted, r, reterr);
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

/* -EEXIST ends the walk once found: read_pids() never returns it. */
static int find_pid_pre(int dir_fd, void *userdata) {
        _cleanup_free_ pid_t *pids = NULL;
        const pid_t *want = userdata;
        size_t n = 0;
        int r;

        r = read_pids(dir_fd, &pids, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (pids[i] == *want)
                        return -EEXIST;
        return 0;
}

int cg_service_has_pid(CgService *s, pid_t pid) {
        int r;

        if (pid <= 0)
                return -EINVAL;
        r = cg_walk_tree(s->dir_fd, &(CgTreeWalk) { .pre = find_pid_pre, .userdata = &pid });
        return r == -EEXIST ? 1 : r < 0 ? r : 0;
}
