/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-adoption after a restart of corrald (kill -9 at any moment): a
 * recorded service whose cgroup still holds its init (pid and start time
 * checked, then held by a pidfd) is taken over with the same MainPID and
 * state; one whose main process ended while corrald was down goes through
 * the end of its run with the result its status record holds (Restart=
 * included); cgroups and records of the dead are cleaned. */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"
#include "strv.h"

/* The init ended (it wrote the status record first): how the main process
 * ended comes from the record, as for a child of ours. If the init is our
 * child after all (a Manager made again in the same process), reap it. */
static int on_adopted_exit(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Service *s = userdata;
        siginfo_t si = {};

        if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                si = (siginfo_t) {};    /* not our child: how it ended is in the record only */
        service_record_main_end(s, &si);
        service_main_exited(s, &si);
        return 0;
}

/* The init is what we wait for: it ends after it wrote the status record.
 * A main process already gone under a living init is adopted too: the
 * init is about to record its end and exit. */
static int take_processes(Service *s, const RuntimeState *rec, CrlError *reterr) {
        bool has_init = rec->init_pid && rec->init_pid != rec->main_pid;
        int init_fd = -EBADF, main_fd = -EBADF, r;

        r = pidfd_open_checked(has_init ? rec->init_pid : rec->main_pid,
                               has_init ? rec->init_start_time : rec->main_start_time, &init_fd);
        if (r >= 0 && has_init && pidfd_open_checked(rec->main_pid, rec->main_start_time, &main_fd) < 0)
                main_fd = -EBADF;       /* ended, its init not yet */
        else if (r >= 0 && !has_init && (main_fd = fcntl(init_fd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = -errno;
        if (r < 0) {
                safe_close(init_fd);
                return crl_error_set(reterr, ESRCH, "service '%s': main process %d is gone", s->name,
                                     (int) rec->main_pid);
        }
        s->main = (NsProcess) {
                .pidfd = init_fd, .pid = has_init ? rec->init_pid : rec->main_pid,
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

/* What a service recorded as running gets back, whether it still runs or not. */
static void restore_run(Service *s, const RuntimeState *rec) {
        s->main_ran = true;
        s->n_restarts = rec->n_restarts;
        s->active_enter_usec = rec->active_enter_usec;
        (void) service_record_adopt(s);         /* none (an older corrald's launch): its end is unknown */
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
        restore_run(s, rec);
        service_private_tmp_adopt(s);
        s->ip_address = isempty(rec->ip_address) ? NULL : strdup(rec->ip_address);
        service_net_adopt(s, !isempty(rec->ip_address), rec->namespaces & CLONE_NEWNET);
        service_set_state(s, rec->sub_state && streq(rec->sub_state, "exited") ? SVC_EXITED : SVC_RUNNING);
        log_notice("service '%s': adopted, main process %d", s->name, s->main.pidfd >= 0 ? (int) s->main.main_pid : 0);
        service_changed(s, SERVICE_CHANGE_MAIN_PID | SERVICE_CHANGE_N_RESTARTS);
        return 0;
}

/* Its init ended while no corrald watched, after it recorded how the main
 * process ended: the end of the run as if we had seen it, from the
 * recorded state (running, which is what the bus said last, so it is not
 * announced again). What is left in the cgroup is stopped (ExecStop=
 * first), then Restart= decides; the veth and lease go with
 * ns_net_cleanup_stale(), the netns pin at the stop. -ENOENT: no record
 * (an older corrald's launch), cleaned as before. */
static int end_unwatched(Service *s, const RuntimeState *rec, CgService *cg, CrlError *reterr) {
        siginfo_t si = {};
        int r;

        if (service_record_adopt(s) < 0)
                return -ENOENT;
        s->cg = cg;
        r = service_cgroup_watch(s, reterr);
        if (r < 0)
                return r;
        restore_run(s, rec);
        service_private_tmp_adopt(s);
        service_net_adopt(s, false, rec->namespaces & CLONE_NEWNET);
        s->main.main_pid = rec->main_pid;       /* named in the log */
        s->state = SVC_RUNNING;
        log_notice("service '%s': main process %d ended while corrald was down", s->name, (int) rec->main_pid);
        service_changed(s, SERVICE_CHANGE_N_RESTARTS);
        service_record_main_end(s, &si);
        service_main_exited(s, &si);
        return 0;
}

/* Undo what a failed adopt() or end_unwatched() took. */
static void untake(Service *s) {
        s->cg_source = sd_event_source_disable_unref(s->cg_source);
        s->main_source = sd_event_source_disable_unref(s->main_source);
        ns_process_done(&s->main);
        s->main = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
        service_notify_close(s);
        s->status_record_fd = safe_close(s->status_record_fd);
        s->main_ran = false;
        s->cg = NULL;
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
        manager_cgroup_remove_stale(m, cg, name);
}

/* Adopted, or ended through its own end of run: true. Cleaned: false. */
static bool readopt_one(Manager *m, const char *name) {
        RuntimeState rec = {};
        CgService *cg = NULL;
        CrlError e = {};
        Service *s = manager_get_service(m, name);
        bool have_rec = m->services_dir_fd >= 0 && runtime_state_read(m->services_dir_fd, name, &rec, &e) >= 0;
        int r = -ESRCH;

        crl_error_clear(&e);
        cg = manager_cgroup_find(m, name);
        if (s && have_rec && cg && !service_is_active(s)) {
                r = adopt(s, &rec, cg, &e);
                if (r == -ESRCH) {      /* its init is gone: how did it end? */
                        untake(s);
                        crl_error_clear(&e);
                        r = end_unwatched(s, &rec, cg, &e);
                }
                if (r < 0)
                        untake(s);
        }
        runtime_state_done(&rec);
        if (r >= 0)
                return true;
        if (crl_error_isset(&e))
                log_warning("%s; not adopted", e.message);
        clean_dead(m, s, name, cg);
        return false;
}

/* ret_taken: the services adopted or ended here; AutoStart= leaves them be. */
void manager_readopt(Manager *m, char ***ret_taken) {
        _cleanup_strv_free_ char **records = NULL, **cgroups = manager_cgroup_names(m), **taken = NULL;

        if (m->services_dir_fd >= 0)
                (void) runtime_state_list(m->services_dir_fd, &records);       /* none: nothing to adopt */
        STRV_FOREACH(n, records)
                if (readopt_one(m, *n) && strv_extend(&taken, *n) < 0)
                        log_warning("service '%s': out of memory; AutoStart= may start it again", *n);
        STRV_FOREACH(n, cgroups)
                if (!strv_contains(records, *n))
                        (void) readopt_one(m, *n);      /* no record: never taken */
        manager_net_readopted(m);
        manager_record_sweep(m);
        *ret_taken = TAKE_PTR(taken);
}
