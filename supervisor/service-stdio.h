/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a service's stdin/stdout/stderr go (StandardOutput=/StandardError=,
 * spec §1 and §3): the service's log file through a small log process that
 * time-stamps and rotates and outlives corrald (so a writing service is
 * never killed by SIGPIPE nor blocked while corrald is down), the journal
 * (a stream from sd_journal_stream_fd(), SYSLOG_IDENTIFIER=NAME), file:/append: paths, /dev/null, corrald's own
 * (inherit), or a transient unit's caller fds. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "unit.h"

typedef struct ServiceStdio {
        int stdin_fd, stdout_fd, stderr_fd;     /* owned; -EBADF: /dev/null (the launcher's default) */
        int logger_pidfd;                       /* owned; the log process, -EBADF when none */
        pid_t logger_pid;                       /* for RuntimeState.logger_pid */
        char *log_path;                         /* the LogPath property; NULL when not a log file */
} ServiceStdio;

#define SERVICE_STDIO_NULL ((ServiceStdio) { -EBADF, -EBADF, -EBADF, -EBADF, 0, NULL })

/* Open what the launcher needs for u. caller_fds (borrowed, may be NULL, or
 * -EBADF entries): a transient unit's Standard*FileDescriptor, which win
 * over the unit's settings. The log process (if any) is running when this
 * returns; it ends by itself once every writer closed its end. On failure
 * nothing is left (no process, no fd) and reterr says what.
 * The log process is no child of corrald (orphaned at its start, init
 * reaps it): logger_pidfd turns readable (POLLIN, an sd_event_add_io
 * source, not a child source) when it has exited. */
int service_stdio_open(const ManagerConfig *mc, const UnitConfig *u, const int caller_fds[3],
                       ServiceStdio *ret, CrlError *reterr);

/* Close corrald's copies once the launch passed them on (the service and
 * the log process keep theirs). The logger pidfd stays: call
 * service_stdio_done() when the service is gone. */
void service_stdio_close_service_ends(ServiceStdio *s);
void service_stdio_done(ServiceStdio *s);
