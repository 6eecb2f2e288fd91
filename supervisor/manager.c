/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: the loop's signals, the engine contexts, the services list,
 * and one dispatch per turn that starts what waits for its dependencies,
 * steps the shutdown and removes services that are gone. */
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "log.h"
#include "manager-daemon.h"
#include "service-internal.h"
#include "strv.h"

void manager_dispatch_later(Manager *m) {
        if (m->dispatch_source)
                (void) sd_event_source_set_enabled(m->dispatch_source, SD_EVENT_ONESHOT);
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        CrlError e = {};

        if (si->ssi_signo == SIGHUP) {
                log_info("SIGHUP: reloading unit files");
                if (manager_reload(m, &e) < 0)
                        log_error("reload: %s", e.message);
                return 0;
        }
        log_info("%s: stopping every service", strsignal((int) si->ssi_signo));
        manager_shutdown(m);
        return 0;
}

/* RUNTIME_DIR/SUB, made if missing (0700): its fd in *ret_fd. */
static int open_runtime_subdir(Manager *m, const char *sub, int *ret_fd, CrlError *reterr) {
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&dir, "%s/%s", m->runtime_dir, sub) < 0)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        (void) mkdir(dir, 0700);        /* may exist; the open below says what failed */
        *ret_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_fd < 0)
                return crl_error_set(reterr, errno, "runtime directory %s: %s", dir, strerror(errno));
        return 0;
}

static int open_runtime(Manager *m, CrlError *reterr) {
        int r;

        m->runtime_dir = strdup(m->config->runtime_directory ? m->config->runtime_directory : "/run/corral");
        if (!m->runtime_dir)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        (void) mkdir(m->runtime_dir, 0755);     /* may exist; the opens below say what failed */
        r = open_runtime_subdir(m, "services", &m->services_dir_fd, reterr);
        if (r >= 0)
                r = open_runtime_subdir(m, "status", &m->status_dir_fd, reterr);
        if (r >= 0)
                r = open_runtime_subdir(m, "transient", &m->transient_dir_fd, reterr);
        return r;
}

static int add_sources(Manager *m, CrlError *reterr) {
        static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaddset(&mask, sigs[i]);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return crl_error_set(reterr, errno, "sigprocmask: %s", strerror(errno));
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, &m->signal_sources[i], sigs[i], on_signal, m);
                if (r < 0)
                        return crl_error_set(reterr, -r, "signal %s: %s", strsignal(sigs[i]), strerror(-r));
        }
        r = sd_event_add_defer(m->event, &m->dispatch_source, manager_dispatch, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->dispatch_source, SD_EVENT_OFF);
        if (r < 0)
                return crl_error_set(reterr, -r, "event source: %s", strerror(-r));
        return 0;
}

/* Without it every start copies our mount namespace, pins and all. Made
 * once, before the loop runs: its maker forks and waits for the child, which
 * the loop must not. */
static void manager_mount_template(Manager *m) {
        CrlError e = {};

        if (ns_mount_template_make(&m->mount_template_fd, &e) < 0)
                log_warning("%s; services' mount namespaces are copied from corrald's, ignoring", e.message);
        else
                m->mount_template_fd = fd_move_high(m->mount_template_fd);
}

#ifndef CORRAL_EXECUTOR_PATH
#define CORRAL_EXECUTOR_PATH "/usr/libexec/corral/corral-executor"
#endif

/* A launch child that execs corral-executor at once never copies our page
 * tables, and the init it becomes has memory of its own (docs/design.md
 * "The executor"). Without it a launch forks, as before. */
static void manager_executor(Manager *m) {
        int fd = ns_executor_open(CORRAL_EXECUTOR_PATH);

        if (fd < 0)
                log_warning("corral-executor (%s): %s; services are launched by a fork of corrald, ignoring",
                            secure_getenv("CORRAL_EXECUTOR") ?: CORRAL_EXECUTOR_PATH, strerror(-fd));
        else
                m->executor_fd = fd_move_high(fd);
}

/* Launches in flight at a time: enough to keep every CPU busy while the
 * loop serves the others' messages (measured with bench/scale, see
 * docs/benchmarks.md). */
static unsigned manager_launch_slots(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        const char *e = getenv("CORRAL_LAUNCH_SLOTS");

        if (e && atoi(e) > 0)
                return (unsigned) atoi(e);
        return n > 0 ? 4 * (unsigned) n : 8;
}

static void on_launch_slot_freed(void *userdata) {
        manager_dispatch_later(userdata);
}

int manager_new(sd_event *e, const ManagerParams *p, Manager **ret, CrlError *reterr) {
        Manager *m = calloc(1, sizeof(*m));
        UnitDiagnostics d = {};
        int r;

        if (!m)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        m->event = sd_event_ref(e);
        m->services_dir_fd = m->status_dir_fd = m->transient_dir_fd = m->mount_template_fd = -EBADF;
        m->executor_fd = -EBADF;
        m->log_client = SERVICE_LOG_CLIENT_NULL;
        svc_launch_pool_init(&m->launch_pool, e, manager_launch_slots());
        m->launch_pool.slot_freed = on_launch_slot_freed;
        m->launch_pool.userdata = m;
        if (p->service_nofile) {
                m->service_nofile = *p->service_nofile;
                m->service_nofile_set = true;
        }
        m->unit_dirs = strv_copy(p->unit_dirs);
        r = manager_config_load(p->config_path, &m->config, &d);
        if (r < 0)
                (void) crl_error_set(reterr, -r, "%s", d.errors && d.errors[0] ? d.errors[0] : p->config_path);
        unit_diagnostics_done(&d);
        if (r >= 0) {
                (void) manager_resolve_admin_group(m);  /* logged; root still may */
                r = open_runtime(m, reterr);
        }
        if (r >= 0) {
                manager_mount_template(m);
                manager_executor(m);
        }
        if (r >= 0)
                r = manager_cgroup_open(m, p->cgroup_root, reterr);
        if (r >= 0)
                r = add_sources(m, reterr);
        if (r >= 0 && !p->no_bus)
                r = bus_open(m, e, p->bus, &m->bus, reterr);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_services; i++)
                service_free(m->services[i]);
        free(m->services);
        svc_launch_pool_done(&m->launch_pool);
        m->bus = bus_close(m->bus, m->shutting_down);
        for (size_t i = 0; i < ELEMENTSOF(m->signal_sources); i++)
                sd_event_source_disable_unref(m->signal_sources[i]);
        sd_event_source_disable_unref(m->dispatch_source);
        m->net_source = sd_event_source_disable_unref(m->net_source);
        manager_net_free(m);
        manager_cgroup_stale_free(m);
        m->cg_root_source = sd_event_source_disable_unref(m->cg_root_source);
        cg_root_free(m->cgroot);
        safe_close(m->services_dir_fd);
        safe_close(m->mount_template_fd);
        safe_close(m->executor_fd);
        safe_close(m->status_dir_fd);
        if (m->shutting_down && m->runtime_dir)
                service_log_client_release(&m->log_client, m->runtime_dir);
        else
                service_log_client_done(&m->log_client);        /* services may run on: keep the socket */
        safe_close(m->transient_dir_fd);
        manager_config_free(m->config);
        strv_free(m->unit_dirs);
        strv_free(m->load_errors);
        free(m->runtime_dir);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
