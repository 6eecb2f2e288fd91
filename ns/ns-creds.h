/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A service's credentials in numbers: what User=, Group= and
 * SupplementaryGroups= (and, with PrivateUsers=, the namespace's root) come
 * to, and the user's passwd entry for HOME/USER/LOGNAME/SHELL.
 *
 * Names go through NSS, which can hang (LDAP, sssd) and must not run on
 * corrald's event loop. ns_creds_resolve_start() does the lookups in a
 * short-lived process and returns at once; the caller watches
 * ns_creds_resolve_fd() and calls ns_creds_resolve_finish(), then passes the
 * result to the launcher (NsLaunchParams.creds), which then looks up
 * nothing. ns_creds_resolve() is the same lookup in-process, for callers
 * without a loop (corralctl, tests) and for the launcher when no creds are
 * given. Both give the same NsCreds and the same errors. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "unit.h"

/* At most this many supplementary groups (the user's plus
 * SupplementaryGroups=): the resolver's fixed-size record holds them. */
#define NS_CREDS_GROUPS_MAX 4096

typedef struct NsCreds {
        bool set_ids;           /* change uid and gid: User=, Group= or a user namespace */
        uid_t uid;
        gid_t gid;
        bool set_groups;        /* set the supplementary groups, also to none */
        gid_t *groups;          /* owned; the user's groups, then SupplementaryGroups=, no duplicates */
        size_t n_groups;
        char *user_name;        /* owned; NULL when User= is unset or a number without passwd entry */
        char *home;             /* owned; NULL with user_name */
        char *shell;            /* owned; NULL with user_name */
} NsCreds;

NsCreds *ns_creds_free(NsCreds *c);
static inline void ns_creds_freep(NsCreds **c) {
        *c = ns_creds_free(*c);
}

/* Synchronous, in this process (may block in NSS). Errors name the step and
 * the name: "step 'uid': User='x': no such user". */
int ns_creds_resolve(const UnitConfig *u, NsCreds **ret, CrlError *reterr);

/* False when u names no user or group, so resolving needs no NSS: no
 * User=, and Group=/SupplementaryGroups= numbers only. (A numeric User= is
 * looked up: its passwd entry gives HOME and the user's groups.) */
bool ns_creds_need_lookup(const UnitConfig *u);

typedef struct NsCredsResolve NsCredsResolve;

/* Start resolving u's credentials. With names to look up, forks a resolver
 * process and returns 0: wait for ns_creds_resolve_fd() to be readable. Without (see
 * ns_creds_need_lookup()), resolves in-process, forks nothing and returns 1:
 * call ns_creds_resolve_finish() at once. u is copied from as needed: it
 * may go after this returns. */
int ns_creds_resolve_start(const UnitConfig *u, NsCredsResolve **ret, CrlError *reterr);

/* Borrowed: the resolver's pidfd, readable (EPOLLIN) once it ended; -EBADF
 * when none runs. */
int ns_creds_resolve_fd(NsCredsResolve *r);

/* -EAGAIN: still resolving, wait for the fd again. 0: *ret is the result,
 * the resolver is reaped. < 0: the lookup failed (reterr as
 * ns_creds_resolve() says it) or the resolver died. Never blocks. Once it
 * returned anything but -EAGAIN, only free may follow. */
int ns_creds_resolve_finish(NsCredsResolve *r, NsCreds **ret, CrlError *reterr);

/* Give up (TimeoutStartSec, stop, daemon exit): SIGKILL a resolver still
 * running, without waiting. Returns its pidfd, now the caller's, to reap
 * once it turned readable (waitid(P_PIDFD, fd, WEXITED | WNOHANG), or
 * sd_event_add_child_pidfd(WEXITED) with sd_event_source_set_child_pidfd_own()
 * and sd-event reaps it); -EBADF when no process is left. Frees r. */
int ns_creds_resolve_abort(NsCredsResolve *r);

/* Abort, and reap the resolver if it died already (WNOHANG); one that dies
 * later is left as a zombie to the caller's SIGCHLD handling, as
 * ns_launch_free() does. NULL-safe; returns NULL. */
NsCredsResolve *ns_creds_resolve_free(NsCredsResolve *r);
static inline void ns_creds_resolve_freep(NsCredsResolve **r) {
        *r = ns_creds_resolve_free(*r);
}
