/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a service's stdin/stdout/stderr go (StandardOutput=/StandardError=,
 * spec §1 and §3): the service's log file through the log process shared
 * by every service, which time-stamps and rotates and outlives corrald (so
 * a writing service is never killed by SIGPIPE nor blocked while corrald
 * is down), the journal (a stream from sd_journal_stream_fd(),
 * SYSLOG_IDENTIFIER=NAME), file:/append: paths, /dev/null, corrald's own
 * (inherit), or a transient unit's caller fds. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "unit.h"

/* corrald's side of the shared log process (corral-log): one connection to
 * RUNTIME/log.sock, made on the first service that needs it, to the log
 * process found there or to one started then. Embedded in the Manager. */
typedef struct ServiceLogClient {
        int fd;                                 /* owned; the connection, -EBADF when none */
        int pidfd;                              /* owned; the log process, -EBADF when not known */
        pid_t pid;
        char *socket_path;                      /* what fd is connected to */
} ServiceLogClient;

#define SERVICE_LOG_CLIENT_NULL ((ServiceLogClient) { -EBADF, -EBADF, 0, NULL })

/* Drops the connection: the log process goes on with its inputs and exits
 * once they are drained (unless another corrald connects). */
void service_log_client_done(ServiceLogClient *c);
/* The same at corrald's shutdown, when every service has stopped: also
 * removes RUNTIME/log.sock (spec §3: no runtime file is left), so the log
 * process, draining the last lines, takes no new connection; a later
 * corrald starts a new one. */
void service_log_client_release(ServiceLogClient *c, const char *runtime_dir);

typedef struct ServiceStdio {
        int stdin_fd, stdout_fd, stderr_fd;     /* owned; -EBADF: /dev/null (the launcher's default) */
        pid_t logger_pid;                       /* the shared log process, 0 when none; for RuntimeState.logger_pid */
        char *log_path;                         /* the LogPath property; NULL when not a log file */
} ServiceStdio;

#define SERVICE_STDIO_NULL ((ServiceStdio) { -EBADF, -EBADF, -EBADF, 0, NULL })

/* Open what the launcher needs for u. caller_fds (borrowed, may be NULL, or
 * -EBADF entries): a transient unit's Standard*FileDescriptor, which win
 * over the unit's settings. A `log` stream is handed to the log process
 * through lc (connected, or the log process started, on need) and it has
 * taken it when this returns; it logs until every writer closed its end.
 * On failure nothing is left (no fd, the log process holds nothing of the
 * service) and reterr says what; lc may have been dropped or reconnected.
 * The log process is no child of corrald (orphaned at its start, init
 * reaps it): lc->pidfd turns readable (POLLIN) when it has exited. */
int service_stdio_open(const ManagerConfig *mc, ServiceLogClient *lc, const UnitConfig *u, const int caller_fds[3],
                       ServiceStdio *ret, CrlError *reterr);

/* service_stdio_open() in two steps, so corrald does other work of the
 * start while the log process answers: _begin() opens everything and sends
 * the hand-off, _finish() waits for the answer (retrying on a new log
 * process as service_stdio_open() does) and fills *ret; it frees o either
 * way, and on failure leaves what service_stdio_open() leaves. Nothing may
 * use lc between the two. _cancel() gives o up (it still reads the answer
 * owed on lc, then closes everything). */
typedef struct ServiceStdioOpening ServiceStdioOpening;
int service_stdio_open_begin(const ManagerConfig *mc, ServiceLogClient *lc, const UnitConfig *u,
                             const int caller_fds[3], ServiceStdioOpening **ret, CrlError *reterr);
int service_stdio_open_finish(ServiceStdioOpening *o, ServiceStdio *ret, CrlError *reterr);
void service_stdio_open_cancel(ServiceStdioOpening *o);

/* Close corrald's copies once the launch passed them on (the service and
 * the log process keep theirs). Call service_stdio_done() when the service
 * is gone. */
void service_stdio_close_service_ends(ServiceStdio *s);
void service_stdio_done(ServiceStdio *s);
