/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A service's status record (RUNTIME_DIR/status/NAME, runtime-state.h): made
 * before each main launch and handed to the engine, which has corral's init
 * write the main process's end into it; held by the Service until the end
 * of the stop, then removed. A corrald started later reads it to learn how
 * a main process it did not launch ended (manager-adopt.c). */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"
#include "strv.h"

/* A record that cannot be made costs only what a restarted corrald learns. */
void service_record_create(Service *s) {
        int r;

        s->status_record_fd = safe_close(s->status_record_fd);
        if (s->manager->status_dir_fd < 0)
                return;
        r = status_record_create(s->manager->status_dir_fd, s->name, &s->status_record_fd);
        if (r < 0)
                log_warning("service '%s': cannot create its status record %s/status/%s: %s; a restarted "
                            "corrald will not learn how its main process ended, ignoring",
                            s->name, s->manager->runtime_dir, s->name, strerror(-r));
}

/* A re-adopted service: the record the earlier corrald made for it. */
int service_record_adopt(Service *s) {
        s->status_record_fd = safe_close(s->status_record_fd);
        if (s->manager->status_dir_fd < 0)
                return -EBADF;
        return status_record_open(s->manager->status_dir_fd, s->name, &s->status_record_fd);
}

void service_record_remove(Service *s) {
        s->status_record_fd = safe_close(s->status_record_fd);
        if (s->manager->status_dir_fd >= 0)
                (void) status_record_remove(s->manager->status_dir_fd, s->name);      /* may not exist */
}

/* How the main process ended, once its init is gone, as waitid() would say
 * for a child of ours. No line in the record: the init was killed before
 * it could write, so the service died of a signal we cannot name
 * (CLD_KILLED, si_status 0). Not a record: si_code 0, unknown. No record
 * at all (launched by a corrald before status records): *ret untouched. */
void service_record_main_end(Service *s, siginfo_t *ret) {
        int r;

        if (s->status_record_fd < 0)
                return;
        r = ns_status_record_read(s->status_record_fd, ret, NULL);
        if (r >= 0)
                return;
        if (r == -ENODATA) {
                *ret = (siginfo_t) { .si_signo = SIGCHLD, .si_code = CLD_KILLED, .si_status = 0 };
                return;
        }
        log_warning("service '%s': cannot read its status record %s/status/%s: %s; its result is unknown, "
                    "ignoring", s->name, s->manager->runtime_dir, s->name, strerror(-r));
        *ret = (siginfo_t) {};
}

/* After re-adoption: a record no service holds belongs to nobody. */
void manager_record_sweep(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;

        if (m->status_dir_fd < 0 || runtime_state_list(m->status_dir_fd, &names) < 0)
                return;         /* nothing to sweep, or nothing we can read: left for the next start */
        STRV_FOREACH(n, names) {
                Service *s = manager_get_service(m, *n);

                if (!s || s->status_record_fd < 0)
                        (void) status_record_remove(m->status_dir_fd, *n);     /* gone meanwhile: fine */
        }
}
