/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-adoption after a restart of corrald (kill -9 at any moment): a
 * recorded service whose cgroup still holds its main process (pid and
 * start time checked, then held by a pidfd) is taken over with the same
 * MainPID and state; cgroups and records of the dead are cleaned. */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"
#include "strv.h"

/* Not our child: the pidfd says when it ended, not how. If it is our child
 * after all (a Manager made again in the same process), reap it. */
static int on_adopted_exit(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Service *s = userdata;
        siginfo_t si = {};

        if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                si = (siginfo_t) {};
        service_main_exited(s, &si);
        return 0;
}

static int take_processes(Service *s, const RuntimeState *rec, CrlError *reterr) {
        int init_fd = -EBADF, main_fd = -EBADF, r;

        r = pidfd_open_checked(rec->init_pid ? rec->init_pid : rec->main_pid,
                               rec->init_pid ? rec->init_start_time : rec->main_start_time, &init_fd);
        if (r >= 0 && rec->init_pid && rec->init_pid != rec->main_pid)
                r = pidfd_open_checked(rec->main_pid, rec->main_start_time, &main_fd);
        else if (r >= 0)
                main_fd = fcntl(init_fd, F_DUPFD_CLOEXEC, 3);
        if (r < 0 || main_fd < 0) {
                safe_close(init_fd);
                return crl_error_set(reterr, ESRCH, "service '%s': main process %d is gone", s->name,
                                     (int) rec->main_pid);
        }
        s->main = (NsProcess) {
                .pidfd = init_fd, .pid = rec->init_pid ? rec->init_pid : rec->main_pid,
                .main_pidfd = main_fd, .main_pid = rec->main_pid, .status_fd = -EBADF,
                .namespaces = rec->namespaces,
        };
        r = sd_event_add_io(s->manager->event, &s->main_source, init_fd, EPOLLIN, on_adopted_exit, s);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': cannot watch its main process: %s", s->name,
                                     strerror(-r));
        return 0;
}

static bool exited_record(const RuntimeState *rec) {
        return rec->main_pid == 0 && rec->sub_state && streq(rec->sub_state, "exited");
}

static int adopt(Service *s, const RuntimeState *rec, CgService *cg, CrlError *reterr) {
        int r;

        s->cg = cg;
        r = service_cgroup_watch(s, reterr);
        if (r >= 0 && !exited_record(rec))
                r = take_processes(s, rec, reterr);
        if (r >= 0 && s->unit->type == SERVICE_NOTIFY)
                r = service_notify_open(s, reterr);     /* $NOTIFY_SOCKET works again */
        if (r < 0)
                return r;
        s->main_ran = true;
        s->n_restarts = rec->n_restarts;
        s->active_enter_usec = rec->active_enter_usec;
        s->ip_address = isempty(rec->ip_address) ? NULL : strdup(rec->ip_address);
        service_net_adopt(s, !isempty(rec->ip_address), rec->namespaces & CLONE_NEWNET);
        service_set_state(s, rec->sub_state && streq(rec->sub_state, "exited") ? SVC_EXITED : SVC_RUNNING);
        log_notice("service '%s': adopted, main process %d", s->name, s->main.pidfd >= 0 ? (int) s->main.main_pid : 0);
        service_changed(s, SERVICE_CHANGE_MAIN_PID | SERVICE_CHANGE_N_RESTARTS);
        return 0;
}

/* A cgroup without a living recorded process: the stop path empties and
 * removes it when the unit is known, else it goes here and now. */
static void clean_dead(Manager *m, Service *s, const char *name, CgService *cg) {
        CrlError e = {};

        if (m->services_dir_fd >= 0)
                (void) runtime_state_remove(m->services_dir_fd, name);  /* may not exist */
        if (!cg)
                return;
        log_notice("service '%s': cleaning up what an earlier corrald left", name);
        if (s && !service_is_active(s)) {
                s->cg = cg;
                if (service_cgroup_watch(s, &e) >= 0) {
                        service_stale_cleanup(s);
                        return;
                }
                s->cg = NULL;
        }
        manager_cgroup_remove_stale(cg, name);
}

static void readopt_one(Manager *m, const char *name, char ***running) {
        RuntimeState rec = {};
        CgService *cg = NULL;
        CrlError e = {};
        Service *s = manager_get_service(m, name);
        bool have_rec = m->services_dir_fd >= 0 && runtime_state_read(m->services_dir_fd, name, &rec, &e) >= 0;

        crl_error_clear(&e);
        cg = manager_cgroup_find(m, name);
        if (s && have_rec && cg && !service_is_active(s) && adopt(s, &rec, cg, &e) >= 0) {
                (void) strv_extend(running, name);
                runtime_state_done(&rec);
                return;
        }
        if (s && s->cg == cg) {         /* adopt() failed after taking the cgroup */
                s->cg_source = sd_event_source_disable_unref(s->cg_source);
                s->main_source = sd_event_source_disable_unref(s->main_source);
                ns_process_done(&s->main);
                service_notify_close(s);
                s->cg = NULL;
        }
        if (crl_error_isset(&e))
                log_warning("%s; not adopted", e.message);
        runtime_state_done(&rec);
        clean_dead(m, s, name, cg);
}

void manager_readopt(Manager *m) {
        _cleanup_strv_free_ char **records = NULL, **cgroups = manager_cgroup_names(m), **running = NULL;

        if (m->services_dir_fd >= 0)
                (void) runtime_state_list(m->services_dir_fd, &records);       /* none: nothing to adopt */
        STRV_FOREACH(n, records)
                readopt_one(m, *n, &running);
        STRV_FOREACH(n, cgroups)
                if (!strv_contains(records, *n))
                        readopt_one(m, *n, &running);
        manager_net_readopted(m);
}
