/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "fake-manager.h"
#include "strv.h"
#include "syscalls.h"

typedef enum FakeJob { JOB_NONE, JOB_START, JOB_STOP, JOB_RESTART, JOB_RELOAD, JOB_FREEZE, JOB_THAW, JOB_END } FakeJob;

struct Service {
        Manager *manager;
        char *name, *path, *description, *hostname, *ip, *status_text;
        ServiceActiveState active;
        ServiceSubState sub;
        ServiceResult result;
        bool frozen, transient, fail_start;
        pid_t main_pid;
        int main_pidfd;                 /* owned */
        int exit_status;
        unsigned n_restarts;
        uint64_t active_enter, inactive_enter;
        unsigned long namespaces;
        char **warnings;
        UnitConfig *unit;
        FakeJob job;
        ServiceJobDone done;
        void *userdata;
        sd_event_source *timer;
};

struct Manager {
        sd_event *event;
        Bus *bus;
        ManagerConfig *config;
        Service **services;             /* sorted by name */
        size_t n_services;
        unsigned next_run;
};

static const char *const active_names[] = { "inactive", "activating", "active", "deactivating", "failed" };
static const char *const sub_names[] = { "dead", "start-pre", "start", "running", "exited",
                                         "stop-sigterm", "stop-sigkill", "auto-restart", "failed" };
static const char *const result_names[] = { "success", "exit-code", "signal", "core-dump",
                                            "oom-kill", "timeout", "start-limit-hit", "resources" };

const char *service_active_state_to_string(ServiceActiveState s) {
        return s >= 0 && s < _SERVICE_ACTIVE_STATE_MAX ? active_names[s] : NULL;
}
const char *service_sub_state_to_string(ServiceSubState s) {
        return s >= 0 && s < _SERVICE_SUB_STATE_MAX ? sub_names[s] : NULL;
}
const char *service_result_to_string(ServiceResult r) {
        return r >= 0 && r < _SERVICE_RESULT_MAX ? result_names[r] : NULL;
}

static uint64_t now_realtime(void) {
        uint64_t t = 0;

        (void) sd_event_now(NULL, CLOCK_REALTIME, &t);
        if (t == 0) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                t = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        }
        return t;
}

static void set_state(Service *s, ServiceActiveState a, ServiceSubState sub) {
        ServiceChange mask = 0;

        if (s->active != a)
                mask |= SERVICE_CHANGE_ACTIVE_STATE;
        if (s->sub != sub)
                mask |= SERVICE_CHANGE_SUB_STATE;
        s->active = a;
        s->sub = sub;
        if (a == SERVICE_ACTIVE)
                s->active_enter = now_realtime();
        if (a == SERVICE_INACTIVE || a == SERVICE_FAILED)
                s->inactive_enter = now_realtime();
        if (mask)
                bus_service_changed(s->manager->bus, s, mask);
}

static void set_running(Service *s, bool running) {
        s->main_pidfd = safe_close(s->main_pidfd);
        s->main_pid = 0;
        if (running) {
                /* The daemon itself: a live process whose namespaces the test can read. */
                s->main_pid = getpid();
                s->main_pidfd = crl_pidfd_open(s->main_pid, 0);
        }
        bus_service_changed(s->manager->bus, s, SERVICE_CHANGE_MAIN_PID);
}

static void job_finish(Service *s, int r, const CrlError *err) {
        ServiceJobDone done = s->done;
        void *userdata = s->userdata;

        s->job = JOB_NONE;
        s->done = NULL;
        s->timer = sd_event_source_disable_unref(s->timer);
        if (done)
                done(s, r, err, userdata);
}

static void job_start_done(Service *s) {
        CrlError err = {};

        if (s->fail_start) {
                s->result = SERVICE_FAILURE_EXIT_CODE;
                s->exit_status = 203;
                bus_service_changed(s->manager->bus, s, SERVICE_CHANGE_RESULT);
                set_state(s, SERVICE_FAILED, SERVICE_SUB_FAILED);
                /* A Latin-1 byte, as a unit file may hold: the bus must still reply. */
                crl_error_set(&err, ENOENT,
                              "service '%s': step 'exec': /nonexistent/%s/caf\xe9: No such file or directory",
                              s->name, s->name);
                job_finish(s, -ENOENT, &err);
                return;
        }
        s->result = SERVICE_SUCCESS;
        set_running(s, true);
        set_state(s, SERVICE_ACTIVE, SERVICE_RUNNING);
        job_finish(s, 0, NULL);
}

static int job_fire(sd_event_source *src, uint64_t usec, void *userdata) {
        Service *s = userdata;

        switch (s->job) {
        case JOB_START:
                job_start_done(s);
                return 0;
        case JOB_RESTART:
                s->n_restarts++;
                bus_service_changed(s->manager->bus, s, SERVICE_CHANGE_N_RESTARTS);
                job_start_done(s);
                return 0;
        case JOB_STOP:
        case JOB_END:
                set_running(s, false);
                set_state(s, SERVICE_INACTIVE, SERVICE_DEAD);
                break;
        case JOB_FREEZE:
        case JOB_THAW:
                s->frozen = s->job == JOB_FREEZE;
                bus_service_changed(s->manager->bus, s, SERVICE_CHANGE_FREEZER_STATE);
                break;
        default:
                break;
        }
        job_finish(s, 0, NULL);
        return 0;
}

static int job_arm(Service *s, FakeJob job, uint64_t usec, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (s->job != JOB_NONE)
                return crl_error_set(reterr, EBUSY, "service '%s': another job is running", s->name);
        r = sd_event_add_time_relative(s->manager->event, &s->timer, CLOCK_MONOTONIC, usec, 0, job_fire, s);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': timer: %s", s->name, strerror(-r));
        s->job = job;
        s->done = done;
        s->userdata = userdata;
        return 0;
}

static bool is_active(const Service *s) {
        return s->active == SERVICE_ACTIVE || s->active == SERVICE_ACTIVATING;
}

int service_start(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (is_active(s) && s->job == JOB_NONE)
                return 1;
        r = job_arm(s, JOB_START, s->fail_start ? 100000 : 300000, done, userdata, reterr);
        if (r >= 0)
                set_state(s, SERVICE_ACTIVATING, SERVICE_START);
        return r;
}

int service_stop(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (!is_active(s) && s->job == JOB_NONE)
                return 1;
        r = job_arm(s, JOB_STOP, 300000, done, userdata, reterr);
        if (r >= 0)
                set_state(s, SERVICE_DEACTIVATING, SERVICE_STOP_SIGTERM);
        return r;
}

int service_restart(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        int r;

        if (!is_active(s))
                return service_start(s, done, userdata, reterr);
        r = job_arm(s, JOB_RESTART, 300000, done, userdata, reterr);
        if (r >= 0)
                set_state(s, SERVICE_DEACTIVATING, SERVICE_STOP_SIGTERM);
        return r;
}

static int job_when_active(Service *s, FakeJob job, ServiceJobDone done, void *userdata, CrlError *reterr) {
        if (s->active != SERVICE_ACTIVE)
                return crl_error_set(reterr, EBUSY, "service '%s': not active", s->name);
        return job_arm(s, job, 50000, done, userdata, reterr);
}

int service_reload(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        return job_when_active(s, JOB_RELOAD, done, userdata, reterr);
}

int service_freeze(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        if (s->frozen)
                return 1;
        return job_when_active(s, JOB_FREEZE, done, userdata, reterr);
}

int service_thaw(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr) {
        if (!s->frozen)
                return 1;
        return job_when_active(s, JOB_THAW, done, userdata, reterr);
}

/* Signals nothing (the MainPID is the daemon): records the signal in
 * StatusText, which the test reads back. */
int service_kill(Service *s, int sig, CrlError *reterr) {
        char *t;

        if (s->main_pid <= 0)
                return -ESRCH;
        if (asprintf(&t, "signal %d", sig) < 0)
                return -ENOMEM;
        free(s->status_text);
        s->status_text = t;
        bus_service_changed(s->manager->bus, s, SERVICE_CHANGE_STATUS_TEXT);
        return 0;
}

void service_info(Service *s, ServiceInfo *ret) {
        *ret = (ServiceInfo) {
                .name = s->name,
                .object_path = s->path,
                .description = s->description ?: "",
                .unit_path = s->transient ? "" : "/etc/corral/units/fake.service",
                .active_state = s->active,
                .sub_state = s->sub,
                .result = s->result,
                .frozen = s->frozen,
                .main_pid = s->main_pid,
                .main_pidfd = s->main_pidfd,
                .exec_main_status = s->exit_status,
                .n_restarts = s->n_restarts,
                .active_enter_usec = s->active_enter,
                .inactive_enter_usec = s->inactive_enter,
                .cgroup_path = s->main_pid > 0 ? "/corral/fake.service" : "",
                .namespaces = s->namespaces,
                .hostname = s->hostname ?: "",
                .ip_address = s->ip ?: "",
                .log_path = "/var/log/corral/fake.log",
                .status_text = s->status_text ?: "",
                .warnings = s->warnings,
                .unit = s->unit,
                .transient = s->transient,
        };
}

int service_stats(Service *s, CgStats *ret) {
        if (s->main_pid <= 0)
                return -ENXIO;
        *ret = (CgStats) {
                .memory_current = 12345678, .memory_peak = 23456789,
                .memory_max = 1073741824, .memory_high = UINT64_MAX,
                .oom_kills = 2, .cpu_usage_usec = 1500, .cpu_quota_per_sec_usec = 200000,
                .tasks_current = 3, .tasks_max = 100, .io_read_bytes = 4096, .io_write_bytes = 8192,
                .cpu_pressure = 0.5, .memory_pressure = 1.25, .io_pressure = 0,
        };
        return 0;
}

static Service *service_free(Service *s) {
        if (!s)
                return NULL;
        if (s->job != JOB_NONE)
                job_finish(s, -ECANCELED, NULL);
        sd_event_source_disable_unref(s->timer);
        safe_close(s->main_pidfd);
        free(s->name);
        free(s->path);
        free(s->description);
        free(s->hostname);
        free(s->ip);
        free(s->status_text);
        strv_free(s->warnings);
        unit_config_free(s->unit);
        free(s);
        return NULL;
}

static int service_add(Manager *m, const char *name, Service **ret) {
        Service *s, **a;
        size_t i;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->main_pidfd = -EBADF;
        if (!(s->name = strdup(name)) || bus_service_object_path(name, &s->path) < 0 ||
            unit_config_new(name, &s->unit) < 0) {
                service_free(s);
                return -ENOMEM;
        }
        a = realloc(m->services, (m->n_services + 1) * sizeof(Service *));
        if (!a) {
                service_free(s);
                return -ENOMEM;
        }
        m->services = a;
        for (i = 0; i < m->n_services && strcmp(a[i]->name, name) < 0; i++)
                ;
        memmove(a + i + 1, a + i, (m->n_services - i) * sizeof(Service *));
        a[i] = s;
        m->n_services++;
        *ret = s;
        return 0;
}

static void service_remove(Manager *m, Service *s) {
        for (size_t i = 0; i < m->n_services; i++)
                if (m->services[i] == s) {
                        memmove(m->services + i, m->services + i + 1, (m->n_services - i - 1) * sizeof(Service *));
                        m->n_services--;
                        break;
                }
        service_free(s);
}

static int add_fixtures(Manager *m) {
        Service *s;
        int r;

        r = service_add(m, "web", &s);
        if (r < 0)
                return r;
        s->description = strdup("the web front");
        r = service_add(m, "web-1", &s);
        if (r < 0)
                return r;
        s->active = SERVICE_ACTIVE;
        s->sub = SERVICE_RUNNING;
        s->namespaces = CLONE_NEWPID | CLONE_NEWNET;
        s->hostname = strdup("web1");
        s->ip = strdup("10.89.0.2");
        s->main_pid = getpid();
        s->main_pidfd = crl_pidfd_open(s->main_pid, 0);
        r = strv_extend(&s->warnings, "MemoryMax=1G: memory controller not available, ignoring");
        if (r < 0)
                return r;
        r = service_add(m, "worker@3", &s);
        if (r < 0)
                return r;
        s->unit->resources.memory_max = (ResourceLimit) { LIMIT_VALUE, 1048576 };
        s->unit->resources.tasks_max = (ResourceLimit) { LIMIT_VALUE, 100 };
        r = service_add(m, "broken", &s);
        if (r < 0)
                return r;
        s->fail_start = true;
        s->description = strdup("caf\xe9 cr\xe8me");     /* Latin-1, not UTF-8 */
        return 0;
}

int fake_manager_new(sd_event *e, const char *runtime_dir, Manager **ret) {
        Manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        r = manager_config_new(&m->config);
        if (r >= 0 && runtime_dir) {
                free(m->config->runtime_directory);
                m->config->runtime_directory = strdup(runtime_dir);
                r = m->config->runtime_directory ? 0 : -ENOMEM;
        }
        if (r >= 0)
                r = add_fixtures(m);
        if (r < 0) {
                fake_manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

void fake_manager_set_bus(Manager *m, Bus *b) {
        m->bus = b;
}

Manager *fake_manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_services; i++)
                service_free(m->services[i]);
        free(m->services);
        manager_config_free(m->config);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

Service *manager_get_service(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_services; i++)
                if (streq(m->services[i]->name, name))
                        return m->services[i];
        return NULL;
}

size_t manager_n_services(Manager *m) {
        return m->n_services;
}

Service *manager_service_at(Manager *m, size_t i) {
        return i < m->n_services ? m->services[i] : NULL;
}

int manager_reload(Manager *m, CrlError *reterr) {
        Service *s;
        int r;

        if (manager_get_service(m, "added"))
                return 0;
        r = service_add(m, "added", &s);
        if (r < 0)
                return crl_error_set(reterr, -r, "reload: %s", strerror(-r));
        bus_service_new(m->bus, s);
        return 0;
}

static int transient_check(char *const *properties, Service *s, CrlError *reterr) {
        STRV_FOREACH(p, properties) {
                if (strneq(*p, "Bogus=", 6))
                        return crl_error_set(reterr, EINVAL, "property 'Bogus': unknown key");
                if (strneq(*p, "Description=", 12) && s) {
                        free(s->description);
                        s->description = strdup(*p + 12);
                }
        }
        return 0;
}

int manager_run_transient(Manager *m, const char *name, char *const *argv, char *const *properties,
                          const int stdio_fds[3], Service **ret, CrlError *reterr) {
        char buf[32];
        Service *s;
        int r;

        r = transient_check(properties, NULL, reterr);
        if (r < 0)
                return r;
        if (isempty(name)) {
                snprintf(buf, sizeof(buf), "run-%u", ++m->next_run);
                name = buf;
        }
        if (manager_get_service(m, name))
                return crl_error_set(reterr, EEXIST, "service '%s' exists already", name);
        r = service_add(m, name, &s);
        if (r < 0)
                return crl_error_set(reterr, -r, "transient: %s", strerror(-r));
        s->transient = true;
        (void) transient_check(properties, s, reterr);  /* checked above */
        if (stdio_fds[1] >= 0) {
                dprintf(stdio_fds[1], "fake transient %s: %s (%zu properties)", name, argv[0],
                        strv_length(properties));
                STRV_FOREACH(p, properties)
                        dprintf(stdio_fds[1], " [%s]", *p);
                dprintf(stdio_fds[1], "\n");
        }
        set_running(s, true);
        set_state(s, SERVICE_ACTIVE, SERVICE_RUNNING);
        bus_service_new(m->bus, s);
        r = job_arm(s, JOB_END, 100000, NULL, NULL, reterr);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

static int transient_remove(sd_event_source *src, void *userdata) {
        Service *s = userdata;

        bus_service_removed(s->manager->bus, s);
        sd_event_source_disable_unref(src);
        s->timer = NULL;
        service_remove(s->manager, s);
        return 0;
}

void manager_transient_result_read(Manager *m, Service *s) {
        /* Deferred: the bus is inside a getter of this very service. */
        if (s->transient && s->job == JOB_NONE && !s->timer)
                (void) sd_event_add_defer(m->event, &s->timer, transient_remove, s); /* no memory: it lingers */
}

const char *manager_cgroup_root(Manager *m) {
        return "/corral";
}

char **manager_controllers(Manager *m) {
        char **l = NULL;

        if (strv_extend(&l, "cpu") < 0 || strv_extend(&l, "memory") < 0 || strv_extend(&l, "pids") < 0)
                return strv_free(l);
        return l;
}

const ManagerConfig *manager_config(Manager *m) {
        return m->config;
}

bool manager_is_admin(Manager *m, uid_t euid, const gid_t *gids, size_t n_gids) {
        if (euid == 0)
                return true;
        for (size_t i = 0; i < n_gids; i++)
                if (gids[i] == FAKE_ADMIN_GID)
                        return true;
        return false;
}
