/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver process: NSS lookups (which can hang on LDAP or sssd) off
 * corrald's event loop. It is forked, does ns_creds_resolve(), writes one
 * fixed-size record into a pipe big enough to hold it, and exits; its
 * pidfd turning readable means it ended, so the reap never waits and the
 * whole record is in the pipe, or it died without writing one. */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"
#include "ns-creds-wire.h"
#include "ns-creds.h"
#include "syscalls.h"

struct NsCredsResolve {
        int pidfd;              /* owned; -EBADF once reaped, or without a process */
        int fd;                 /* owned; read end of the record pipe, O_NONBLOCK */
        bool finished;          /* finish returned its result */
        int result;             /* in-process resolve (no process): its result */
        NsCreds *creds;         /* owned; in-process resolve: its result */
        CrlError error;         /* in-process resolve: its error */
        char what[128];         /* "User='x'" etc., for a resolver that died */
};

static void resolve_describe(const UnitConfig *u, char *buf, size_t size) {
        if (u->user)
                (void) snprintf(buf, size, "User='%s'", u->user);
        else if (u->group)
                (void) snprintf(buf, size, "Group='%s'", u->group);
        else
                (void) snprintf(buf, size, "SupplementaryGroups=");
}

/* The resolver keeps its record pipe as fd 3 and no other fd of corrald's
 * (sockets, pidfds, other pipes whose EOF someone waits for). */
static int child_fds(int wfd) {
        if (wfd != 3 && dup2(wfd, 3) < 0)
                return -errno;
        /* Linux 5.9; without it the inherited fds only stay open a little longer. */
        (void) close_range(4, ~0U, 0);
        return 3;
}

_Noreturn static void resolver_main(const UnitConfig *u, int wfd, pid_t parent) {
        NsCreds *c = NULL;
        CrlError e = {};
        NsCredsWire *w;
        size_t done = 0;
        int r;

        /* Dies with corrald, even while it hangs in a lookup. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        wfd = child_fds(wfd);
        w = malloc(sizeof(*w));
        if (wfd < 0 || !w)
                _exit(EXIT_FAILURE);
        r = ns_creds_resolve(u, &c, &e);
        ns_creds_wire_encode(w, r, c, &e);
        while (done < sizeof(*w)) {
                ssize_t n = write(wfd, (const char *) w + done, sizeof(*w) - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(EXIT_FAILURE);
                done += (size_t) n;
        }
        _exit(EXIT_SUCCESS);
}

/* Record pipe: the parent's end non-blocking, and room for the whole
 * record, so the resolver never waits for the parent to read. */
static int record_pipe(int ret[2]) {
        int p[2], sz;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        sz = fcntl(p[0], F_GETPIPE_SZ);
        if ((sz < 0 || (size_t) sz < sizeof(NsCredsWire)) &&
            fcntl(p[0], F_SETPIPE_SZ, (int) sizeof(NsCredsWire)) < 0) {
                int r = -errno;

                safe_close(p[0]), safe_close(p[1]);
                return r;
        }
        if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;

                safe_close(p[0]), safe_close(p[1]);
                return r;
        }
        ret[0] = p[0], ret[1] = p[1];
        return 0;
}

static int resolve_fork(const UnitConfig *u, NsCredsResolve *r, CrlError *reterr) {
        pid_t parent = getpid(), pid;
        int p[2] = { -EBADF, -EBADF }, k;

        k = record_pipe(p);
        if (k < 0)
                return crl_error_set(reterr, -k, "step 'uid': resolving %s: record pipe: %s", r->what, strerror(-k));
        /* fork(), not a raw clone3(): the child runs NSS, glibc code that needs
         * glibc's fork handlers (its locks, the thread's own tid). The pid
         * is bare only until pidfd_open() below; nothing else reaps it then. */
        pid = fork();
        if (pid == 0)
                resolver_main(u, p[1], parent);
        k = pid < 0 ? -errno : 0;
        safe_close(p[1]);
        if (k < 0) {
                safe_close(p[0]);
                return crl_error_set(reterr, -k, "step 'uid': resolving %s: fork: %s", r->what, strerror(-k));
        }
        r->fd = p[0];
        r->pidfd = crl_pidfd_open(pid, 0);
        if (r->pidfd < 0) {
                k = r->pidfd;
                /* Not reached on Linux >= 5.3 for our own unreaped child. */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return crl_error_set(reterr, -k, "step 'uid': resolving %s: pidfd_open: %s", r->what, strerror(-k));
        }
        return 0;
}

int ns_creds_resolve_start(const UnitConfig *u, NsCredsResolve **ret, CrlError *reterr) {
        _cleanup_(ns_creds_resolve_freep) NsCredsResolve *r = NULL;
        int k;

        assert(u && ret);
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->pidfd = r->fd = -EBADF;
        resolve_describe(u, r->what, sizeof(r->what));
        if (!ns_creds_need_lookup(u)) {
                /* Numbers only: no NSS, no process. */
                r->result = ns_creds_resolve(u, &r->creds, &r->error);
                *ret = TAKE_PTR(r);
                return 1;
        }
        k = resolve_fork(u, r, reterr);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

int ns_creds_resolve_fd(NsCredsResolve *r) {
        return r ? r->pidfd : -EBADF;
}

/* Everything the ended resolver wrote; -EBADMSG when more than a record. */
static ssize_t read_record(int fd, NsCredsWire *w) {
        size_t done = 0;
        char extra;

        for (;;) {
                ssize_t n = read(fd, (char *) w + done, sizeof(*w) - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? (ssize_t) done : -errno;
                if (n == 0)
                        return (ssize_t) done;
                done += (size_t) n;
                if (done == sizeof(*w))
                        return read(fd, &extra, 1) > 0 ? -EBADMSG : (ssize_t) done;
        }
}

static int resolver_died(const NsCredsResolve *r, const siginfo_t *si, ssize_t n, CrlError *reterr) {
        if (si->si_code == CLD_EXITED && si->si_status == 0)
                return crl_error_set(reterr, EBADMSG, "step 'uid': resolving %s: the resolver sent %zd bytes, "
                                     "not a record of %zu", r->what, n, sizeof(NsCredsWire));
        if (si->si_code == CLD_EXITED)
                return crl_error_set(reterr, ECHILD, "step 'uid': resolving %s: the resolver exited with status %d",
                                     r->what, si->si_status);
        return crl_error_set(reterr, ECHILD, "step 'uid': resolving %s: the resolver was killed by signal %s",
                             r->what, sigabbrev_np(si->si_status) ?: "?");
}

static int resolve_read(NsCredsResolve *r, const siginfo_t *si, NsCreds **ret, CrlError *reterr) {
        _cleanup_free_ NsCredsWire *w = malloc(sizeof(NsCredsWire));
        ssize_t n;
        int k;

        if (!w)
                return -ENOMEM;
        n = read_record(r->fd, w);
        if (n < 0 && n != -EBADMSG)
                return crl_error_set(reterr, (int) -n, "step 'uid': resolving %s: read: %s", r->what,
                                     strerror((int) -n));
        if (n != (ssize_t) sizeof(*w) || si->si_code != CLD_EXITED || si->si_status != 0)
                return resolver_died(r, si, n, reterr);
        k = ns_creds_wire_decode(w, (size_t) n, ret, reterr);
        if (k == -EBADMSG)
                return crl_error_set(reterr, EBADMSG, "step 'uid': resolving %s: the resolver's record is garbled",
                                     r->what);
        return k;
}

int ns_creds_resolve_finish(NsCredsResolve *r, NsCreds **ret, CrlError *reterr) {
        siginfo_t si = {};

        assert(r && ret);
        assert(!r->finished);
        if (r->fd < 0) {
                /* Resolved in-process at start. */
                r->finished = true;
                if (r->result < 0) {
                        if (crl_error_isset(&r->error))
                                (void) crl_error_set(reterr, r->error.error, "%s", r->error.message);
                        return r->result;
                }
                *ret = TAKE_PTR(r->creds);
                return 0;
        }
        if (waitid(P_PIDFD, (id_t) r->pidfd, &si, WEXITED | WNOHANG) < 0)
                return errno == EINTR ? -EAGAIN :
                       crl_error_set(reterr, errno, "step 'uid': resolving %s: waitid: %s", r->what, strerror(errno));
        if (si.si_pid == 0)
                return -EAGAIN;
        r->pidfd = safe_close(r->pidfd);
        r->finished = true;
        return resolve_read(r, &si, ret, reterr);
}

int ns_creds_resolve_abort(NsCredsResolve *r) {
        int pidfd;

        if (!r)
                return -EBADF;
        if (r->pidfd >= 0)
                (void) crl_pidfd_send_signal(r->pidfd, SIGKILL, NULL, 0);
        pidfd = TAKE_FD(r->pidfd);
        safe_close(r->fd);
        ns_creds_free(r->creds);
        free(r);
        return pidfd;
}

NsCredsResolve *ns_creds_resolve_free(NsCredsResolve *r) {
        int pidfd = ns_creds_resolve_abort(r);

        if (pidfd >= 0) {
                /* Reaped now if it died already; else left as a zombie to the
                 * caller's SIGCHLD handling (corrald reaps children it does not know). */
                (void) waitid(P_PIDFD, (id_t) pidfd, &(siginfo_t) {}, WEXITED | WNOHANG);
                safe_close(pidfd);
        }
        return NULL;
}
