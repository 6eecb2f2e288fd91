/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEMPORARY STUB of service-stdio.h until the logger branch is merged: a
 * transient unit's caller fds, else /dev/null (the launcher's default);
 * no log process. The lead deletes this file at merge. */
#include <fcntl.h>
#include <stdlib.h>

#include "service-stdio.h"

int service_stdio_open(const ManagerConfig *mc, const UnitConfig *u, const int caller_fds[3],
                       ServiceStdio *ret, CrlError *reterr) {
        int fds[3] = { -EBADF, -EBADF, -EBADF };

        for (int i = 0; caller_fds && i < 3; i++)
                if (caller_fds[i] >= 0) {
                        fds[i] = fcntl(caller_fds[i], F_DUPFD_CLOEXEC, 3);
                        if (fds[i] < 0) {
                                int e = errno;

                                for (int j = 0; j < i; j++)
                                        safe_close(fds[j]);
                                return crl_error_set(reterr, e, "stdio: fd %d: %m", i);
                        }
                }
        *ret = SERVICE_STDIO_NULL;
        ret->stdin_fd = fds[0];
        ret->stdout_fd = fds[1];
        ret->stderr_fd = fds[2];
        return 0;
}

void service_stdio_close_service_ends(ServiceStdio *s) {
        s->stdin_fd = safe_close(s->stdin_fd);
        s->stdout_fd = safe_close(s->stdout_fd);
        s->stderr_fd = safe_close(s->stderr_fd);
}

void service_stdio_done(ServiceStdio *s) {
        service_stdio_close_service_ends(s);
        s->logger_pidfd = safe_close(s->logger_pidfd);
        free(s->log_path);
        s->log_path = NULL;
}
