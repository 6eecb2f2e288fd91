/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The actions of the state table (service-state.c): processes, timers and
 * the stop path. Each action ends in a state; none blocks the loop. */
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"
#include "strv.h"
#include "unit-value.h"

static void enter_sigterm(Service *s);
static void launch_main(Service *s);
static void run_control(Service *s, ControlKind kind, size_t index);

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Service *s = userdata;

        if (s->state == SVC_AUTO_RESTART)
                service_event(s, SVC_EV_RESTART_TIMER);
        else if (service_is_active(s))
                service_event(s, SVC_EV_TIMEOUT);
        return 0;
}

static void arm_timer(Service *s, usec_t usec) {
        int r;

        s->timer = sd_event_source_disable_unref(s->timer);
        if (usec == USEC_INFINITY)
                return;
        r = sd_event_add_time_relative(s->manager->event, &s->timer, CLOCK_MONOTONIC, usec, 0, on_timer, s);
        if (r < 0)
                log_error("service '%s': cannot arm a timer: %s; its timeout will not fire", s->name, strerror(-r));
}

static void disarm_timer(Service *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
}

/* First failure wins, as in systemd. */
static void note_result(Service *s, ServiceResult r) {
        if (s->result == SERVICE_SUCCESS && r != SERVICE_SUCCESS) {
                s->result = r;
                service_changed(s, SERVICE_CHANGE_RESULT);
        }
}

static bool is_stopping(const Service *s) {
        return service_state_active(s->state) == SERVICE_DEACTIVATING;
}

static bool in_list(const int *l, size_t n, int v) {
        for (size_t i = 0; i < n; i++)
                if (l[i] == v)
                        return true;
        return false;
}

/* What an end means: SERVICE_SUCCESS for a clean one (systemd's rules). */
static ServiceResult classify(const UnitConfig *u, int code, int status) {
        if (code == CLD_EXITED)
                return status == 0 || in_list(u->success_exit_status, u->n_success_exit_status, status)
                        ? SERVICE_SUCCESS : SERVICE_FAILURE_EXIT_CODE;
        if (code == CLD_DUMPED)
                return SERVICE_FAILURE_CORE_DUMP;
        if (status == SIGHUP || status == SIGINT || status == SIGTERM || status == SIGPIPE ||
            in_list(u->success_signals, u->n_success_signals, status))
                return SERVICE_SUCCESS;
        return SERVICE_FAILURE_SIGNAL;
}

static void main_forget(Service *s) {
        s->main_source = sd_event_source_disable_unref(s->main_source);
        ns_process_done(&s->main);
        service_changed(s, SERVICE_CHANGE_MAIN_PID);
}

static int on_main_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        service_main_exited(userdata, si);
        return 0;
}

static void log_main_end(Service *s, const siginfo_t *si) {
        int pid = (int) s->main.main_pid;

        if (si->si_code == 0)
                log_info("service '%s': main process %d ended, status unknown (no status record)", s->name, pid);
        else if (si->si_code == CLD_KILLED && si->si_status == 0)
                log_info("service '%s': main process %d ended, its init was killed before it recorded how",
                         s->name, pid);
        else if (si->si_code == CLD_EXITED && si->si_status == NS_EXIT_EXEC && s->unit->type == SERVICE_SIMPLE)
                log_error("service '%s': main process %d exited with status %d: its execve of %s failed (EXEC)",
                          s->name, pid, si->si_status, s->unit->exec_start[s->exec_index].path);
        else
                log_info("service '%s': main process %d %s %d", s->name, pid,
                         si->si_code == CLD_EXITED ? "exited with status" : "was killed by signal", si->si_status);
}

/* The main process ended: si from waitid(), or, for a process adopted from
 * an earlier corrald (not our child), from its status record
 * (service_record_main_end(): si_status 0 for an unknown signal, si_code 0
 * when nothing is known). */
void service_main_exited(Service *s, const siginfo_t *si) {
        siginfo_t real = *si;
        ServiceResult r;

        if (s->main.status_fd >= 0)
                (void) ns_process_main_status(&s->main, si, &real);
        if (real.si_code == CLD_KILLED && real.si_status == SIGKILL)
                service_cgroup_sync_events(s);  /* an OOM kill not read yet */
        s->exec_main_code = real.si_code;
        s->exec_main_status = real.si_status;
        r = real.si_code == 0 ? SERVICE_SUCCESS : classify(s->unit, real.si_code, real.si_status);
        log_main_end(s, &real);
        main_forget(s);
        service_net_stopped(s);
        if (r != SERVICE_SUCCESS && !is_stopping(s))
                note_result(s, r);
        service_event(s, r == SERVICE_SUCCESS ? SVC_EV_MAIN_OK : SVC_EV_MAIN_FAIL);
}

static void write_runtime_state(Service *s) {
        RuntimeState st = {
                .name = s->name,
                .main_pid = s->main.main_pid,
                .init_pid = s->main.pid,
                .cgroup_path = s->cgroup_path ? s->cgroup_path : (char *) "",
                .ip_address = s->ip_address ? s->ip_address : (char *) "",
                .unit_path = s->transient || !s->unit->path ? (char *) "" : s->unit->path,
                .notify_socket = s->notify ? (char *) notify_socket_path(s->notify) : (char *) "",
                .log_path = s->stdio.log_path ? s->stdio.log_path : (char *) "",
                .logger_pid = s->stdio.logger_pid,
                .n_restarts = s->n_restarts,
                .active_enter_usec = s->active_enter_usec,
                .namespaces = s->main.namespaces,
                .sub_state = (char *) service_sub_state_to_string(service_state_sub(s->state)),
        };
        CrlError e = {};

        /* A oneshot's active/exited has no process, and still is a state a
         * restarted corrald must not start again. */
        if (s->manager->services_dir_fd < 0 || (s->main.pidfd < 0 && s->state != SVC_EXITED))
                return;
        if (s->main.pidfd < 0)
                st.main_pid = st.init_pid = 0;
        else {
                (void) proc_start_time(st.main_pid, &st.main_start_time);
                (void) proc_start_time(st.init_pid, &st.init_start_time);
        }
        if (runtime_state_write(s->manager->services_dir_fd, &st, &e) < 0)
                log_warning("service '%s': %s; a restarted corrald will not re-adopt it", s->name, e.message);
}

static void enter_running(Service *s, ServiceState st) {
        disarm_timer(s);
        service_set_state(s, st);
        write_runtime_state(s);
}

static void after_post(Service *s) {
        ServiceState next = service_state_after_post(s->unit->type, s->main.pidfd >= 0,
                                                     s->unit->remain_after_exit, s->unit->n_exec_stop > 0);

        if (next == SVC_RUNNING || next == SVC_EXITED)
                enter_running(s, next);
        else if (next == SVC_STOP)
                run_control(s, CONTROL_STOP, 0);
        else
                enter_sigterm(s);
}

static void after_launch(Service *s, ServiceType type) {
        ServiceState next = service_state_after_launch(type, s->unit->n_exec_start_post > 0);

        if (next == SVC_START_POST)
                run_control(s, CONTROL_START_POST, 0);
        else if (next == SVC_RUNNING)
                enter_running(s, SVC_RUNNING);
}

/* Environment for $VAR expansion (Environment=, EnvironmentFile= contents,
 * then ours; each name once, the last winning) and what the launcher adds
 * on top of the unit's Environment= (the files' and ours: ours win). The
 * files are read here, before each command, as systemd does: an
 * ExecStartPre= may write what ExecStart= reads. */
static int build_env(Service *s, char ***ret_extra, char ***ret_all, CrlError *reterr) {
        _cleanup_strv_free_ char **extra = NULL, **all = strv_copy(s->unit->environment);
        char buf[64], **copy;
        int r;

        if (!all)
                return -ENOMEM;
        r = unit_environment_files_read(s->unit, &extra, reterr);
        if (r < 0) {
                crl_error_prefix(reterr, "service '%s': ", s->name);
                return r;
        }
        if (s->notify) {
                _cleanup_free_ char *v = NULL;

                if (asprintf(&v, "NOTIFY_SOCKET=%s", notify_socket_path(s->notify)) < 0 ||
                    strv_push(&extra, v) < 0)
                        return -ENOMEM;
                v = NULL;
        }
        if (s->main.pidfd >= 0) {
                (void) snprintf(buf, sizeof(buf), "MAINPID=%d", (int) s->main.main_pid);
                if (strv_extend(&extra, buf) < 0)
                        return -ENOMEM;
        }
        copy = strv_copy(extra);
        if (!copy || environment_merge(&all, copy) < 0)        /* consumed even on failure */
                return -ENOMEM;
        /* As systemd, $VAR in a command expands against the environment
         * after UnsetEnvironment=; the launcher applies it again to the
         * final one (it adds $HOME, $USER, ...). Keep this last. */
        unit_environment_unset(s->unit->unset_environment, all);
        *ret_extra = TAKE_PTR(extra);
        *ret_all = TAKE_PTR(all);
        return 0;
}

static void on_launch_done(int r, NsProcess *proc, const CrlError *err, void *userdata);

/* The prefixes '+' and '!' (systemd.service(5)). '+': outside the sandbox,
 * a launch of the unit's process settings only, in its cgroup; with the
 * main process running, too, rather than inside its namespaces; no
 * networking hook. '+' and '!': User=, Group=, SupplementaryGroups= not
 * applied. ('!!' is '!' only where ambient capabilities are missing, before
 * Linux 4.3: a plain command here.) */
static int apply_privileges(Service *s, const ExecCommand *cmd, SvcLaunchRequest *req) {
        req->unit = s->unit;
        req->seccomp = s->seccomp;
        if (cmd->flags & (EXEC_COMMAND_FULL_PRIVILEGES | EXEC_COMMAND_NO_USER_CHANGE))
                req->flags |= NS_LAUNCH_NO_USER_CHANGE;
        if (!(cmd->flags & EXEC_COMMAND_FULL_PRIVILEGES))
                return 0;
        req->seccomp = NULL;    /* outside the sandbox */
        /* Not in every Service: a whole UnitConfig, for the few with '+'. */
        if (!s->unsandboxed && !(s->unsandboxed = malloc(sizeof(*s->unsandboxed))))
                return -ENOMEM;
        unit_config_unsandboxed(s->unit, s->unsandboxed);
        req->unit = s->unsandboxed;
        req->enter_pidfd = req->join_pidfd = -EBADF;
        req->join_name = NULL;
        req->setup_hook = NULL;
        req->setup_userdata = NULL;
        return 0;
}

/* A command inside the running service: ns_exec() adds nothing to what it
 * is given (no PATH, no Environment=), so it gets all of it, on the PATH
 * the launcher gives a fresh process unless the unit sets one. */
static int env_entering(const UnitConfig *unit, const char *directory_root, char *const *all, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        char **copy;

        if (strv_extend(&env, "PATH=" NS_DEFAULT_PATH) < 0 ||
            ns_service_environment(unit, directory_root, &env) < 0)
                return -ENOMEM;
        copy = strv_copy(all);
        if (!copy || environment_merge(&env, copy) < 0)
                return -ENOMEM;
        unit_environment_unset(unit->unset_environment, env);
        *ret = TAKE_PTR(env);
        return 0;
}

/* Once per loaded unit: test-corrald-seccomp counts these lines. */
static void log_seccomp_built(const Service *s) {
        size_t insns = 0;

        if (!s->seccomp)
                return;
        for (size_t i = 0; i < s->seccomp->n; i++)
                insns += s->seccomp->progs[i].len;
        log_debug("service '%s': seccomp filters built (%zu filters, %zu instructions)", s->name, s->seccomp->n,
                  insns);
}

/* Start cmd on the loop: *req filled by the caller except argv/env. */
static int start_command(Service *s, const ExecCommand *cmd, SvcLaunchRequest *req, CrlError *reterr) {
        _cleanup_strv_free_ char **extra = NULL, **all = NULL, **argv = NULL, **entering = NULL;
        int r;

        r = build_env(s, &extra, &all, reterr);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': line %u: cannot build the environment: %s",
                                     s->name, cmd->line, strerror(-r));
        r = unit_exec_expand(cmd, all, &argv);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': line %u: cannot expand the command: %s",
                                     s->name, cmd->line, strerror(-r));
        /* once per loaded unit, not per start */
        if (!s->seccomp_built) {
                CrlError e = {};

                r = ns_seccomp_build(s->unit, &s->seccomp, &e);
                if (r < 0)
                        return crl_error_set(reterr, -r, "service '%s': %s", s->name, e.message);
                s->seccomp_built = true;
                log_seccomp_built(s);
        }
        if (apply_privileges(s, cmd, req) < 0)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        if (req->enter_pidfd >= 0 &&
            env_entering(req->unit, s->manager->config->service_directory_root, all, &entering) < 0)
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        req->argv = argv;
        req->path = cmd->path;
        req->environment = req->enter_pidfd >= 0 ? entering : extra;
        req->cgroup_fd = s->cg ? cg_service_fd(s->cg) : -EBADF;
        req->stdio[0] = s->stdio.stdin_fd;
        req->stdio[1] = s->stdio.stdout_fd;
        req->stdio[2] = s->stdio.stderr_fd;
        req->runtime_dir = s->manager->runtime_dir;
        if (req->unit->private_tmp && !s->tmp_owner &&
            !(s->tmp_owner = strdup(req->join_name ?: s->name)))
                return crl_error_set(reterr, ENOMEM, "service '%s': out of memory", s->name);
        req->directory_root = s->manager->config->service_directory_root;
        req->pool = &s->manager->launch_pool;
        req->mount_template_fd = s->manager->mount_template_fd;
        req->executor_fd = s->manager->executor_fd;
        req->nofile = s->manager->service_nofile_set ? &s->manager->service_nofile : NULL;
        return svc_launch_start(s->manager->event, req, on_launch_done, s, &s->launch, reterr);
}

/* JoinsNamespaceOf=OTHER (spec §2): the network, IPC and /tmp namespaces
 * of OTHER's running process, the first named that runs (its init, which
 * never moves); none running: the launcher fails the start naming it
 * (join_name with no pidfd). Its start waited for OTHER's (try_start). */
static void set_join(Service *s, SvcLaunchRequest *req) {
        char **names = s->unit->joins_namespace_of;

        if (!names || !names[0])
                return;
        STRV_FOREACH(n, names) {
                Service *o = manager_get_service(s->manager, *n);

                if (o && o != s && o->main.pidfd >= 0) {
                        req->join_pidfd = o->main.pidfd;
                        req->join_name = o->name;
                        return;
                }
        }
        req->join_name = names[0];
}

static void launch_failed(Service *s, const CrlError *err, bool main) {
        log_error("%s", err->message);
        if (!s->error)
                service_error_copy(s, err);
        if (main && strstr(err->message, "step 'exec'")) {
                s->exec_main_code = CLD_EXITED;
                s->exec_main_status = 203;     /* systemd's EXIT_EXEC */
                note_result(s, SERVICE_FAILURE_EXIT_CODE);
        } else
                note_result(s, SERVICE_FAILURE_RESOURCES);
}

static void launch_main(Service *s) {
        SvcLaunchRequest req = { .enter_pidfd = -EBADF, .join_pidfd = -EBADF, .status_record_fd = -EBADF };
        CrlError e = {};
        bool full;
        int r;

        service_set_state(s, SVC_START);
        /* A '+' ExecStart= runs in the host's network: no veth for it. */
        full = s->unit->exec_start[s->exec_index].flags & EXEC_COMMAND_FULL_PRIVILEGES;
        /* Type=simple is active once forked, as systemd: the start does not
         * wait for the execve (a failing one is the main process's exit,
         * status 203); exec waits for it, notify and oneshot for more. */
        if (s->unit->type == SERVICE_SIMPLE)
                req.flags |= NS_LAUNCH_SUCCEED_AT_EXEC_REPORT;
        r = full ? 0 : service_net_prepare(s, &e);
        if (r >= 0) {
                req.setup_hook = service_net_hook(s, &req.setup_userdata);
                s->launch_is_main = true;
                s->main_ran = true;
                service_record_create(s);
                req.status_record_fd = s->status_record_fd;
                set_join(s, &req);
                r = start_command(s, &s->unit->exec_start[s->exec_index], &req, &e);
        }
        if (r < 0) {
                service_net_unprepare(s);
                launch_failed(s, &e, true);
                service_event(s, SVC_EV_LAUNCH_FAIL);
        }
}

static const ExecCommand *control_list(Service *s, ControlKind kind, size_t *ret_n) {
        switch (kind) {
        case CONTROL_START_PRE:
                *ret_n = s->unit->n_exec_start_pre;
                return s->unit->exec_start_pre;
        case CONTROL_START_POST:
                *ret_n = s->unit->n_exec_start_post;
                return s->unit->exec_start_post;
        case CONTROL_STOP:
                *ret_n = s->unit->n_exec_stop;
                return s->unit->exec_stop;
        case CONTROL_RELOAD:
                *ret_n = s->unit->n_exec_reload;
                return s->unit->exec_reload;
        default:
                *ret_n = 0;
                return NULL;
        }
}

static void reload_done(Service *s, int r) {
        CrlError e = {};

        s->control_kind = CONTROL_NONE;
        disarm_timer(s);
        if (r < 0)
                (void) crl_error_set(&e, -r, "service '%s': ExecReload= failed", s->name);
        service_jobs_finish(s, JOB_RELOAD, r, r < 0 ? &e : NULL);
        if (s->main.pidfd < 0 && s->unit->type != SERVICE_ONESHOT)
                run_control(s, CONTROL_STOP, 0);        /* the main process ended meanwhile */
        else
                service_set_state(s, s->main.pidfd >= 0 ? SVC_RUNNING : SVC_EXITED);
}

static void control_list_done(Service *s, ControlKind kind) {
        s->control_kind = CONTROL_NONE;
        switch (kind) {
        case CONTROL_START_PRE:
                launch_main(s);
                break;
        case CONTROL_START_POST:
                after_post(s);
                break;
        case CONTROL_STOP:
                enter_sigterm(s);
                break;
        case CONTROL_RELOAD:
                reload_done(s, 0);
                break;
        default:
                break;
        }
}

/* A control command that could not even be launched (EnvironmentFile=, an
 * expansion, no memory): not the command's failure, so '-' does not cover
 * it (systemd fails such a spawn too); a start fails with it. */
static void control_not_launched(Service *s, const CrlError *e) {
        if (s->control_kind == CONTROL_START_PRE || s->control_kind == CONTROL_START_POST)
                launch_failed(s, e, false);
        else
                log_error("%s", e->message);
        service_event(s, SVC_EV_CONTROL_FAIL);
}

static const ServiceState control_state[] = {
        [CONTROL_START_PRE] = SVC_START_PRE,
        [CONTROL_START_POST] = SVC_START_POST,
        [CONTROL_STOP] = SVC_STOP,
        [CONTROL_RELOAD] = SVC_RELOAD,
};

static void run_control(Service *s, ControlKind kind, size_t index) {
        SvcLaunchRequest req = { .join_pidfd = -EBADF, .status_record_fd = -EBADF };
        const ExecCommand *l;
        CrlError e = {};
        size_t n;

        l = control_list(s, kind, &n);
        if (index >= n) {
                control_list_done(s, kind);
                return;
        }
        if (kind == CONTROL_STOP && index == 0)
                arm_timer(s, s->unit->timeout_stop_usec);
        if (kind == CONTROL_RELOAD && index == 0)
                arm_timer(s, s->unit->timeout_start_usec);
        service_set_state(s, control_state[kind]);
        s->control_kind = kind;
        s->control_index = index;
        /* With the main process running, a control command joins its
         * namespaces (the same /tmp, network, PID namespace); before it
         * (ExecStartPre=) or after it, it gets a sandbox of its own. */
        req.enter_pidfd = s->main.pidfd >= 0 ? s->main.main_pidfd : -EBADF;
        if (req.enter_pidfd < 0)
                set_join(s, &req);      /* ExecStartPre= in the namespaces the service will have */
        s->launch_is_main = false;
        if (start_command(s, &l[index], &req, &e) < 0)
                control_not_launched(s, &e);
}

static const ExecCommand *current_control(Service *s) {
        size_t n;
        const ExecCommand *l = control_list(s, s->control_kind, &n);

        return l && s->control_index < n ? &l[s->control_index] : NULL;
}

static int on_control_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Service *s = userdata;
        const ExecCommand *cmd = current_control(s);
        ServiceResult r = classify(s->unit, si->si_code, si->si_status);
        bool ok = r == SERVICE_SUCCESS || (cmd && (cmd->flags & EXEC_COMMAND_IGNORE_FAILURE));

        s->control_source = sd_event_source_disable_unref(s->control_source);
        ns_process_done(&s->control);
        if (!ok) {
                log_warning("service '%s': control command '%s' %s %d", s->name, cmd ? cmd->path : "?",
                            si->si_code == CLD_EXITED ? "exited with status" : "was killed by signal",
                            si->si_status);
                if (s->control_kind == CONTROL_START_PRE || s->control_kind == CONTROL_START_POST) {
                        service_set_error(s, EIO, "%s '%s' %s %d",
                                          s->control_kind == CONTROL_START_PRE ? "ExecStartPre=" : "ExecStartPost=",
                                          cmd ? cmd->path : "?",
                                          si->si_code == CLD_EXITED ? "exited with status" : "was killed by signal",
                                          si->si_status);
                        note_result(s, r);
                }
        }
        service_event(s, ok ? SVC_EV_CONTROL_OK : SVC_EV_CONTROL_FAIL);
        return 0;
}

static int watch(Service *s, int pidfd, sd_event_child_handler_t cb, sd_event_source **ret) {
        int r = sd_event_add_child_pidfd(s->manager->event, ret, pidfd, WEXITED, cb, s);

        if (r < 0)
                log_error("service '%s': cannot watch a process: %s", s->name, strerror(-r));
        return r;
}

static void on_launch_done(int r, NsProcess *proc, const CrlError *err, void *userdata) {
        Service *s = userdata;
        bool main = s->launch_is_main;

        s->launch = NULL;
        if (main) {
                service_net_unprepare(s);      /* the launch has its binds */
                service_net_launched(s, r, proc);
        }
        if (r < 0) {
                if (main) {
                        launch_failed(s, err, true);
                        service_event(s, SVC_EV_LAUNCH_FAIL);
                } else {
                        const ExecCommand *cmd = current_control(s);

                        log_error("%s", err->message);
                        if (!(cmd && (cmd->flags & EXEC_COMMAND_IGNORE_FAILURE)) && s->control_kind != CONTROL_STOP &&
                            s->control_kind != CONTROL_RELOAD)
                                launch_failed(s, err, false);
                        service_event(s, cmd && (cmd->flags & EXEC_COMMAND_IGNORE_FAILURE) ? SVC_EV_CONTROL_OK : SVC_EV_CONTROL_FAIL);
                }
                return;
        }
        if (main) {
                s->main = *proc;
                *proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
                s->main.pidfd = fd_move_high(s->main.pidfd);
                s->main.main_pidfd = fd_move_high(s->main.main_pidfd);
                s->main.status_fd = fd_move_high(s->main.status_fd);
                (void) watch(s, s->main.pidfd, on_main_exit, &s->main_source);
                if (s->notify_source)  /* held back while the launch ran */
                        (void) sd_event_source_set_enabled(s->notify_source, SD_EVENT_ON);
                log_info("service '%s': main process %d started", s->name, (int) s->main.main_pid);
                service_changed(s, SERVICE_CHANGE_MAIN_PID);
                service_event(s, SVC_EV_LAUNCHED);
        } else {
                s->control = *proc;
                *proc = (NsProcess) { .pidfd = -EBADF, .main_pidfd = -EBADF, .status_fd = -EBADF };
                (void) watch(s, s->control.pidfd, on_control_exit, &s->control_source);
        }
}

/* To the command itself (MainPID), not to the init or shim above it (a
 * status record keeps one even without PrivatePIDs=): those forward only
 * SIGTERM SIGINT SIGHUP SIGUSR1 SIGUSR2, and KillSignal= may be any. */
static void signal_process(Service *s, const NsProcess *p, int sig) {
        bool to_main = p->main_pidfd >= 0;
        int r;

        if (p->pidfd < 0)
                return;
        r = crl_pidfd_send_signal(to_main ? p->main_pidfd : p->pidfd, sig, NULL, 0);
        if (r < 0 && r != -ESRCH)
                log_warning("service '%s': cannot signal process %d: %s, ignoring", s->name,
                            (int) (to_main ? p->main_pid : p->pid), strerror(-r));
}

/* RuntimeDirectory= goes with the service (systemd), unless
 * RuntimeDirectoryPreserve=yes, or =restart and it starts again. */
static void remove_runtime_directories(Service *s, bool restarting) {
        RuntimeDirectoryPreserve keep = s->unit->runtime_directory_preserve;
        CrlError e = {};

        if (keep == RUNTIME_DIRECTORY_PRESERVE_YES || (keep == RUNTIME_DIRECTORY_PRESERVE_RESTART && restarting))
                return;
        if (ns_runtime_directories_remove(s->unit, s->manager->config->service_directory_root, &e) < 0)
                log_warning("service '%s': %s, ignoring", s->name, e.message);
}

/* PrivateTmp= goes with the run, as systemd's (a fresh /tmp at each start),
 * unless a service still running uses the same one (JoinsNamespaceOf=). */
static void remove_private_tmp(Service *s) {
        _cleanup_free_ char *owner = TAKE_PTR(s->tmp_owner);
        int r;

        if (!owner)
                return;
        for (size_t i = 0; i < s->manager->n_services; i++) {
                const Service *t = s->manager->services[i];

                if (t != s && t->tmp_owner && streq(t->tmp_owner, owner))
                        return;
        }
        r = ns_private_tmp_remove(s->manager->runtime_dir, owner);
        if (r < 0 && r != -ENOENT)
                log_warning("service '%s': remove private /tmp of '%s': %s, ignoring", s->name, owner, strerror(-r));
}

void service_private_tmp_adopt(Service *s) {
        /* Which service's /tmp a joined one used is not recorded: left. */
        if (s->unit->private_tmp && (!s->unit->joins_namespace_of || !s->unit->joins_namespace_of[0]) && !s->tmp_owner)
                s->tmp_owner = strdup(s->name);
}

static void stop_finished(Service *s) {
        disarm_timer(s);
        s->launch = svc_launch_abort(s->launch);
        service_notify_close(s);
        service_stdio_close_service_ends(&s->stdio);
        if (s->stdio.log_path) {
                free(s->last_log_path);
                s->last_log_path = TAKE_PTR(s->stdio.log_path);
        }
        service_stdio_done(&s->stdio);
        service_cgroup_destroy(s);
        service_net_stopped(s);
        if (s->manager->services_dir_fd >= 0)
                (void) runtime_state_remove(s->manager->services_dir_fd, s->name); /* may not exist */
        service_record_remove(s);
        remove_runtime_directories(s, s->start_after_stop ||
                                   (!s->stop_requested && service_restart_wanted(s->unit->restart, s->result)));
        remove_private_tmp(s);
        s->main_ran = false;
        s->control_kind = CONTROL_NONE;
        if (s->start_after_stop) {
                s->start_after_stop = s->stop_requested = false;
                s->start_wanted = true;
                service_set_state(s, SVC_DEAD);
        } else if (!s->stop_requested && service_restart_wanted(s->unit->restart, s->result)) {
                service_set_state(s, SVC_AUTO_RESTART);
                arm_timer(s, service_restart_delay(s->unit->restart_usec, s->unit->restart_steps,
                                                   s->unit->restart_max_delay_usec, s->n_restarts));
        } else {
                s->stop_requested = false;
                service_set_state(s, s->result == SERVICE_SUCCESS ? SVC_DEAD : SVC_FAILED);
        }
        s->stop_requested = false;
}

/* In a stop state: done once nothing of ours runs and the cgroup is empty;
 * once the main process is gone, whatever is left gets cgroup.kill. */
static void stop_progress(Service *s) {
        int populated;

        if (s->main.pidfd >= 0 || s->control.pidfd >= 0 || s->launch)
                return;
        populated = service_cgroup_populated(s);
        if (populated <= 0) {
                stop_finished(s);
                return;
        }
        if (s->state != SVC_STOP_SIGKILL) {
                if (service_cgroup_kill(s) >= 0)
                        service_set_state(s, SVC_STOP_SIGKILL);
                arm_timer(s, s->unit->timeout_stop_usec);
        }
}

static void enter_sigterm(Service *s) {
        s->launch = svc_launch_abort(s->launch);
        service_set_state(s, SVC_STOP_SIGTERM);
        arm_timer(s, s->unit->timeout_stop_usec);
        signal_process(s, &s->control, s->unit->kill_signal);
        signal_process(s, &s->main, s->unit->kill_signal);
        stop_progress(s);
}

/* A cgroup of this service left by an earlier corrald whose main process
 * is gone: kill what is in it through the stop path (cgroup.kill, then the
 * empty event removes it); a start waits for that. */
void service_stale_cleanup(Service *s) {
        service_set_state(s, SVC_STOP_SIGTERM);
        s->stop_requested = true;
        stop_progress(s);
}

static void stop_timeout(Service *s) {
        log_warning("service '%s': %s timed out after TimeoutStopSec=, sending SIGKILL to the cgroup", s->name,
                    service_state_to_string(s->state));
        note_result(s, SERVICE_FAILURE_TIMEOUT);
        signal_process(s, &s->control, SIGKILL);
        if (service_cgroup_kill(s) >= 0)
                service_set_state(s, SVC_STOP_SIGKILL);
        arm_timer(s, s->unit->timeout_stop_usec);
}

static void enter_stop(Service *s) {
        s->launch = svc_launch_abort(s->launch);
        if (s->main_ran && s->unit->n_exec_stop > 0 && s->control.pidfd < 0)
                run_control(s, CONTROL_STOP, 0);
        else
                enter_sigterm(s);
}

static int start_limit(Service *s) {
        struct timespec ts;

        if (!s->start_times && s->unit->start_limit_burst > 0) {
                s->start_times = calloc(s->unit->start_limit_burst, sizeof(usec_t));
                if (!s->start_times)
                        return -ENOMEM;
                s->n_start_times = 0;
        }
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return service_start_limit_hit(s->unit->start_limit_interval_usec, s->unit->start_limit_burst,
                                       s->start_times, &s->n_start_times,
                                       (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000);
}

static void start_refused(Service *s, ServiceResult result, const CrlError *e) {
        log_error("%s", e->message);
        service_error_copy(s, e);
        s->result = result;
        service_stdio_done(&s->stdio);
        service_notify_close(s);
        service_cgroup_destroy(s);
        service_set_state(s, SVC_FAILED);
}

static void apply_pending_unit(Service *s) {
        if (!s->pending_unit)
                return;
        service_set_unit(s, TAKE_PTR(s->pending_unit));
}

int service_begin_start(Service *s) {
        ServiceStdioOpening *opening = NULL;
        CrlError e = {};
        int r;

        disarm_timer(s);
        apply_pending_unit(s);
        if (start_limit(s) > 0) {
                (void) crl_error_set(&e, EBUSY, "service '%s': started too often (StartLimitBurst=%u within "
                                     "StartLimitIntervalSec=%llus), refusing", s->name, s->unit->start_limit_burst,
                                     (unsigned long long) (s->unit->start_limit_interval_usec / USEC_PER_SEC));
                start_refused(s, SERVICE_FAILURE_START_LIMIT_HIT, &e);
                return -EBUSY;
        }
        s->result = SERVICE_SUCCESS;
        service_error_clear(s);
        s->exec_index = 0;
        s->main_ran = false;
        free(s->status_text);
        s->status_text = NULL;
        /* The log hand-off first: the log process answers while the cgroup
         * is made (issue 12, bench/run). */
        r = service_stdio_open_begin(s->manager->config, &s->manager->log_client, s->unit,
                                     s->transient ? s->caller_fd : NULL, &opening, &e);
        if (r >= 0)
                r = service_cgroup_create(s, &e);
        if (r >= 0 && s->unit->type == SERVICE_NOTIFY)
                r = service_notify_open(s, &e);
        if (r >= 0)
                r = service_stdio_open_finish(TAKE_PTR(opening), &s->stdio, &e);
        service_stdio_open_cancel(opening);     /* a step above failed */
        if (r < 0) {
                start_refused(s, SERVICE_FAILURE_RESOURCES, &e);
                return r;
        }
        arm_timer(s, s->unit->timeout_start_usec);
        if (s->unit->n_exec_start_pre > 0)
                run_control(s, CONTROL_START_PRE, 0);
        else
                launch_main(s);
        return 0;
}

static void main_exit_in_start(Service *s) {
        if (s->unit->type != SERVICE_ONESHOT) {
                service_set_error(s, EPROTO, "the main process exited before it sent READY=1");
                note_result(s, SERVICE_FAILURE_EXIT_CODE);
                enter_sigterm(s);
        } else if (s->exec_index + 1 < s->unit->n_exec_start) {
                s->exec_index++;
                launch_main(s);
        } else if (s->unit->n_exec_start_post > 0)
                run_control(s, CONTROL_START_POST, 0);
        else
                after_post(s);
}

static void oom(Service *s) {
        log_warning("service '%s': the OOM killer killed a process (OOMPolicy=%s)", s->name,
                    s->unit->oom_policy == OOM_CONTINUE ? "continue" : s->unit->oom_policy == OOM_KILL ? "kill" : "stop");
        note_result(s, SERVICE_FAILURE_OOM_KILL);
        if (s->unit->oom_policy != OOM_CONTINUE)
                enter_sigterm(s);
}

static void start_timeout(Service *s) {
        log_warning("service '%s': start timed out after TimeoutStartSec=", s->name);
        service_set_error(s, ETIMEDOUT, "start timed out after TimeoutStartSec=%llums",
                          (unsigned long long) (s->unit->timeout_start_usec / USEC_PER_MSEC));
        note_result(s, SERVICE_FAILURE_TIMEOUT);
        enter_sigterm(s);
}

/* One small function per action of the table (s6's style). */
typedef void (*ActionFn)(Service *s, ServiceEvent ev);

static void act_ignore(Service *s, ServiceEvent ev) {
}

static void act_begin_start(Service *s, ServiceEvent ev) {
        (void) service_begin_start(s);
}

static void act_queue_start(Service *s, ServiceEvent ev) {
        s->start_after_stop = true;
}

static void act_next_pre(Service *s, ServiceEvent ev) {
        run_control(s, CONTROL_START_PRE, s->control_index + 1);
}

static void act_started(Service *s, ServiceEvent ev) {
        after_launch(s, s->unit->type);
}

static void act_ready(Service *s, ServiceEvent ev) {
        after_launch(s, SERVICE_SIMPLE);
}

static void act_next_post(Service *s, ServiceEvent ev) {
        run_control(s, CONTROL_START_POST, s->control_index + 1);
}

static void act_main_exit_start(Service *s, ServiceEvent ev) {
        main_exit_in_start(s);
}

static void act_enter_stop(Service *s, ServiceEvent ev) {
        enter_stop(s);
}

static void act_kill(Service *s, ServiceEvent ev) {
        enter_sigterm(s);
}

static void act_start_timeout(Service *s, ServiceEvent ev) {
        start_timeout(s);
}

static void act_stop(Service *s, ServiceEvent ev) {
        if (s->state == SVC_RUNNING || s->state == SVC_EXITED || s->state == SVC_RELOAD)
                enter_stop(s);
        else
                enter_sigterm(s);
}

static void act_next_stop(Service *s, ServiceEvent ev) {
        run_control(s, CONTROL_STOP, s->control_index + 1);
}

static void act_stop_timeout(Service *s, ServiceEvent ev) {
        if (s->state != SVC_STOP) {
                stop_timeout(s);
                return;
        }
        /* ExecStop= hung: on to KillSignal=, with Result=timeout. */
        note_result(s, SERVICE_FAILURE_TIMEOUT);
        signal_process(s, &s->control, SIGKILL);
        enter_sigterm(s);
}

static void act_give_up(Service *s, ServiceEvent ev) {
        log_error("service '%s': processes remain after SIGKILL, giving up on them", s->name);
        stop_finished(s);
}

static void act_stop_progress(Service *s, ServiceEvent ev) {
        stop_progress(s);
}

static void act_reload(Service *s, ServiceEvent ev) {
        run_control(s, CONTROL_RELOAD, 0);
}

static void act_reload_done(Service *s, ServiceEvent ev) {
        if (ev == SVC_EV_CONTROL_OK)
                run_control(s, CONTROL_RELOAD, s->control_index + 1);
        else
                reload_done(s, -EIO);
}

static void act_reload_timeout(Service *s, ServiceEvent ev) {
        if (s->launch) {        /* still before its exec (a frozen cgroup): no exit will come */
                log_warning("service '%s': ExecReload= timed out before its exec, aborting it", s->name);
                s->launch = svc_launch_abort(s->launch);
                reload_done(s, -ETIMEDOUT);
                return;
        }
        signal_process(s, &s->control, SIGKILL);       /* its exit ends the reload, failed */
}

static void act_oom(Service *s, ServiceEvent ev) {
        oom(s);
}

static void act_cancel_restart(Service *s, ServiceEvent ev) {
        disarm_timer(s);
        s->stop_requested = false;
        service_set_state(s, SVC_DEAD);
}

static void act_auto_restart(Service *s, ServiceEvent ev) {
        disarm_timer(s);
        s->n_restarts++;
        service_changed(s, SERVICE_CHANGE_N_RESTARTS);
        (void) service_begin_start(s);
}

static const ActionFn actions[_SVC_A_MAX] = {
        [SVC_A_IGNORE] = act_ignore,
        [SVC_A_BEGIN_START] = act_begin_start,
        [SVC_A_QUEUE_START] = act_queue_start,
        [SVC_A_NEXT_PRE] = act_next_pre,
        [SVC_A_STARTED] = act_started,
        [SVC_A_READY] = act_ready,
        [SVC_A_NEXT_POST] = act_next_post,
        [SVC_A_MAIN_EXIT_START] = act_main_exit_start,
        [SVC_A_MAIN_EXITED] = act_enter_stop,
        [SVC_A_RECORD_EXIT] = act_ignore,       /* the exit handler recorded it already */
        [SVC_A_FAIL] = act_kill,
        [SVC_A_START_TIMEOUT] = act_start_timeout,
        [SVC_A_STOP] = act_stop,
        [SVC_A_NEXT_STOP] = act_next_stop,
        [SVC_A_STOP_TIMEOUT] = act_stop_timeout,
        [SVC_A_GIVE_UP] = act_give_up,
        [SVC_A_MAIN_GONE] = act_stop_progress,
        [SVC_A_CHECK_DONE] = act_stop_progress,
        [SVC_A_RELOAD] = act_reload,
        [SVC_A_RELOAD_DONE] = act_reload_done,
        [SVC_A_RELOAD_TIMEOUT] = act_reload_timeout,
        [SVC_A_OOM] = act_oom,
        [SVC_A_CANCEL_RESTART] = act_cancel_restart,
        [SVC_A_AUTO_RESTART] = act_auto_restart,
};

void service_perform(Service *s, ServiceAction a, ServiceEvent ev) {
        assert(a >= 0 && a < _SVC_A_MAX && actions[a]);
        actions[a](s, ev);
}
