/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RunTransient: a unit from properties, the caller's stdio, started at once;
 * it lingers until its result was read or 60 s after it ended (spec §4).
 * Its unit file (transient-file.h) is written before it starts, so a
 * restarted corrald finds it whenever something of it may run. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "service-internal.h"
#include "strv.h"
#include "transient-file.h"

static int pick_name(Manager *m, const char *name, char **ret, CrlError *reterr) {
        char buf[32];

        if (!isempty(name)) {
                if (unit_name_normalize(name, ret) < 0 || strchr(*ret, '@'))
                        return crl_error_set(reterr, EINVAL, "'%s' is not a valid service name", name);
                if (manager_get_service(m, *ret))
                        return crl_error_set(reterr, EEXIST, "service '%s' exists already", *ret);
                return 0;
        }
        do
                (void) snprintf(buf, sizeof(buf), "run-%u", ++m->next_transient);
        while (manager_get_service(m, buf));
        *ret = strdup(buf);
        return *ret ? 0 : crl_error_set(reterr, ENOMEM, "out of memory");
}

static int build_unit(const char *name, char *const *argv, char *const *properties, UnitConfig **ret,
                      CrlError *reterr) {
        UnitDiagnostics d = {};
        int r;

        r = unit_config_from_properties(name, argv, properties, ret, &d);
        if (r < 0)
                (void) crl_error_set(reterr, r == -ENOMEM ? ENOMEM : EINVAL, "%s",
                                     d.errors && d.errors[0] ? d.errors[0] : "invalid properties");
        unit_diagnostics_done(&d);
        return r < 0 ? (r == -ENOMEM ? r : -EINVAL) : 0;
}

static int take_fds(Service *s, const int stdio_fds[3], CrlError *reterr) {
        for (int i = 0; stdio_fds && i < 3; i++) {
                if (stdio_fds[i] < 0)
                        continue;
                s->caller_fd[i] = fcntl(stdio_fds[i], F_DUPFD_CLOEXEC, 3);
                if (s->caller_fd[i] < 0)
                        return crl_error_set(reterr, errno, "service '%s': fd %d: %s", s->name, i, strerror(errno));
        }
        return 0;
}

int manager_run_transient(Manager *m, const char *name, char *const *argv, char *const *properties,
                          const int stdio_fds[3], Service **ret, CrlError *reterr) {
        _cleanup_free_ char *n = NULL;
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        Service *s = NULL;
        int r;

        if (m->shutting_down)
                return crl_error_set(reterr, ESHUTDOWN, "corrald is shutting down");
        r = pick_name(m, name, &n, reterr);
        if (r >= 0)
                r = build_unit(n, argv, properties, &u, reterr);
        if (r >= 0)
                r = transient_file_write(m, n, argv, properties, reterr);
        if (r < 0)
                return r;
        if (service_new(m, u, true, &s) < 0) {
                transient_file_remove(m, n);
                return crl_error_set(reterr, ENOMEM, "out of memory");
        }
        u = NULL;
        r = take_fds(s, stdio_fds, reterr);
        if (r >= 0 && manager_add_service(m, s) < 0)
                r = crl_error_set(reterr, ENOMEM, "out of memory");
        if (r < 0) {
                transient_file_remove(m, n);
                service_free(s);
                return r;
        }
        r = service_start(s, NULL, NULL, reterr);
        if (r < 0) {
                (void) manager_remove_service(m, s);
                return r;
        }
        log_info("service '%s': transient unit started", s->name);
        *ret = s;
        return 0;
}
