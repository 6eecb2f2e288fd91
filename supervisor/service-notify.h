/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The sd_notify protocol for Type=notify services: one datagram socket per
 * service at RUNTIME_DIR/notify/NAME ($NOTIFY_SOCKET), with SO_PASSCRED so
 * every message carries its sender's credentials. Only messages from the
 * service's own processes count (the sender's pid is in the service's
 * cgroup, checked against a pidfd of it); others are dropped. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

typedef struct NotifySocket NotifySocket;

/* Bind RUNTIME_DIR/notify/NAME (replacing a stale one) or, for
 * re-adoption, bind it again at the same path. notify_socket_path() is what
 * goes into $NOTIFY_SOCKET. */
int notify_socket_open(const char *runtime_dir, const char *name, NotifySocket **ret, CrlError *reterr);
int notify_socket_fd(NotifySocket *n);          /* borrowed; EPOLLIN: notify_socket_receive() */
const char *notify_socket_path(NotifySocket *n);
/* Close and unlink the socket. */
NotifySocket *notify_socket_free(NotifySocket *n);

typedef enum NotifyFlags {
        NOTIFY_READY     = 1 << 0,
        NOTIFY_RELOADING = 1 << 1,
        NOTIFY_STOPPING  = 1 << 2,
        NOTIFY_STATUS    = 1 << 3,      /* status is set */
        NOTIFY_MAINPID   = 1 << 4,      /* main_pid is set */
        NOTIFY_WATCHDOG  = 1 << 5,
} NotifyFlags;

typedef struct NotifyMessage {
        NotifyFlags flags;
        pid_t sender;                   /* from SCM_CREDENTIALS */
        pid_t main_pid;
        char *status;                   /* owned */
} NotifyMessage;

void notify_message_done(NotifyMessage *m);

/* Read one datagram. cgroup_fd (borrowed): the service's cgroup; a sender
 * whose /proc/PID/cgroup does not name it (or a descendant) is dropped, as
 * is a message without credentials or with invalid UTF-8: -EAGAIN when
 * nothing (more) is to be read, -EPERM for a dropped message (the caller
 * logs once), 0 with *ret filled. MAINPID= must also be in the cgroup. */
int notify_socket_receive(NotifySocket *n, int cgroup_fd, NotifyMessage *ret);
/* After -EPERM: why the message was dropped ("pid 123 is not in the
 * service's cgroup (it is in '/x')"), for the caller's one log line. */
const char *notify_socket_drop_reason(NotifySocket *n);
