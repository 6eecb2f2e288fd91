/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"
#include "cgroup.h"
#include "strv.h"
#include "syscalls.h"

/* /org/corral1/service/LABEL, org.corral1.Service: one fallback vtable for
 * every service (no object per service to keep in step with the core); the
 * find callback maps the path back to the Service, the enumerator lists
 * them for busctl tree and introspection. Handlers get the Service as
 * userdata; the Bus comes from the slot being dispatched. */

#define GETTER(fn)                                                                                         \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,         \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error)

static Bus *bus_of(sd_bus *bus) {
        return sd_bus_slot_get_userdata(sd_bus_get_current_slot(bus));
}

static void info_of(void *userdata, ServiceInfo *ret) {
        service_info(userdata, ret);
}

GETTER(property_name) {
        ServiceInfo i;

        info_of(userdata, &i);
        return bus_append_string(reply, i.name);
}

/* The string fields, by property name: one getter instead of ten. */
GETTER(property_string) {
        ServiceInfo i;
        const char *v = NULL;

        info_of(userdata, &i);
        if (streq(property, "Description"))
                v = i.description;
        else if (streq(property, "UnitPath"))
                v = i.unit_path;
        else if (streq(property, "CgroupPath"))
                v = i.cgroup_path;
        else if (streq(property, "Hostname"))
                v = i.hostname;
        else if (streq(property, "IPAddress"))
                v = i.ip_address;
        else if (streq(property, "LogPath"))
                v = i.log_path;
        else if (streq(property, "StatusText"))
                v = i.status_text;
        return bus_append_string(reply, v);
}

/* A transient unit lingers until a client read how it ended (spec §4):
 * a Get of ActiveState or Result once it is inactive or failed. Not a
 * GetAll: `corralctl list`, `status` and `top` read every unit so, and
 * would take the result from under the `corralctl run --wait` that waits
 * for it. Our own PropertiesChanged also runs these getters; that is no
 * client. */
static void note_transient_read(sd_bus *bus, Service *s, const ServiceInfo *i) {
        sd_bus_message *m = sd_bus_get_current_message(bus);
        Bus *b = bus_of(bus);

        if (!i->transient || !b || b->emitting)
                return;
        if (!m || !sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
                return;
        if (i->active_state == SERVICE_INACTIVE || i->active_state == SERVICE_FAILED)
                manager_transient_result_read(b->manager, s);
}

GETTER(property_active_state) {
        ServiceInfo i;
        int r;

        info_of(userdata, &i);
        r = sd_bus_message_append(reply, "s", service_active_state_to_string(i.active_state));
        if (r >= 0)
                note_transient_read(bus, userdata, &i);
        return r;
}

GETTER(property_result) {
        ServiceInfo i;
        int r;

        info_of(userdata, &i);
        r = sd_bus_message_append(reply, "s", service_result_to_string(i.result));
        if (r >= 0)
                note_transient_read(bus, userdata, &i);
        return r;
}

GETTER(property_sub_state) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "s", service_sub_state_to_string(i.sub_state));
}

GETTER(property_freezer_state) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "s", i.frozen ? "frozen" : "running");
}

GETTER(property_main_pid) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "u", (uint32_t) (i.main_pid > 0 ? i.main_pid : 0));
}

GETTER(property_exec_main_status) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "i", (int32_t) i.exec_main_status);
}

GETTER(property_n_restarts) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "u", (uint32_t) i.n_restarts);
}

GETTER(property_timestamp) {
        ServiceInfo i;

        info_of(userdata, &i);
        return sd_bus_message_append(reply, "t", streq(property, "ActiveEnterTimestamp") ? i.active_enter_usec
                                                                                         : i.inactive_enter_usec);
}

GETTER(property_warnings) {
        ServiceInfo i;

        info_of(userdata, &i);
        return bus_append_strv(reply, i.warnings);
}

GETTER(property_namespaces) {
        static const struct {
                unsigned long flag;
                const char *name;
        } table[] = {
                { CLONE_NEWPID, "pid" },   { CLONE_NEWNS, "mnt" },        { CLONE_NEWUTS, "uts" },
                { CLONE_NEWIPC, "ipc" },   { CLONE_NEWNET, "net" },       { CLONE_NEWUSER, "user" },
                { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
        };
        ServiceInfo i;
        int r;

        info_of(userdata, &i);
        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t k = 0; r >= 0 && k < ELEMENTSOF(table); k++)
                if (i.namespaces & table[k].flag)
                        r = sd_bus_message_append(reply, "s", table[k].name);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* "net:[4026531840]" -> 4026531840; pid_for_children links to "pid:[...]". */
static int ns_link_inode(const char *link, const char *name, uint64_t *ret) {
        const char *suffix = strstr(name, "_for_children");
        size_t n = suffix ? (size_t) (suffix - name) : strlen(name);
        unsigned long long v;
        char end;

        if (!strneq(link, name, n) || !strneq(link + n, ":[", 2))
                return -EBADMSG;
        if (sscanf(link + n + 2, "%llu%c", &v, &end) != 2 || end != ']')
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int append_namespace_ids(sd_bus_message *reply, pid_t pid, int pidfd) {
        static const char *const names[] = {
                "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts",
        };
        struct { const char *name; uint64_t ino; } ids[ELEMENTSOF(names)];
        size_t n = 0;

        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                char path[96], link[128];
                ssize_t len;

                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, names[k]);
                len = readlink(path, link, sizeof(link) - 1);
                if (len < 0)
                        continue;       /* this kernel lacks it, or the process is gone (checked below) */
                link[len] = 0;
                if (ns_link_inode(link, names[k], &ids[n].ino) >= 0)
                        ids[n++].name = names[k];
        }
        /* The pid may have died and been reused while we read: only a live
         * pidfd proves the links were MainPID's. */
        if (crl_pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                n = 0;
        for (size_t k = 0; k < n; k++) {
                int r = sd_bus_message_append(reply, "(st)", ids[k].name, ids[k].ino);

                if (r < 0)
                        return r;
        }
        return 0;
}

GETTER(property_namespace_ids) {
        ServiceInfo i;
        int r;

        info_of(userdata, &i);
        r = sd_bus_message_open_container(reply, 'a', "(st)");
        if (r >= 0 && i.main_pid > 0 && i.main_pidfd >= 0)
                r = append_namespace_ids(reply, i.main_pid, i.main_pidfd);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* A limit from the unit when there is no cgroup to read it from. */
static uint64_t unit_limit(const ResourceLimit *l) {
        return l->kind == LIMIT_VALUE ? l->value : UINT64_MAX;
}

static uint64_t usec_to_nsec(uint64_t usec) {
        return usec >= UINT64_MAX / 1000 ? UINT64_MAX : usec * 1000;
}

/* Counters: read from the cgroup on every get (spec §4: never cached). */
GETTER(property_counter) {
        const UnitConfig *u;
        ServiceInfo i;
        CgStats st;
        bool have;
        uint64_t v = UINT64_MAX;

        info_of(userdata, &i);
        have = service_stats(userdata, &st) >= 0;
        u = i.unit;
        if (streq(property, "MemoryCurrent"))
                v = have ? st.memory_current : UINT64_MAX;
        else if (streq(property, "MemoryPeak"))
                v = have ? st.memory_peak : UINT64_MAX;
        else if (streq(property, "MemoryMax"))
                v = have ? st.memory_max : u ? unit_limit(&u->resources.memory_max) : UINT64_MAX;
        else if (streq(property, "MemoryHigh"))
                v = have ? st.memory_high : u ? unit_limit(&u->resources.memory_high) : UINT64_MAX;
        else if (streq(property, "CPUUsageNSec"))
                v = have ? usec_to_nsec(st.cpu_usage_usec) : UINT64_MAX;
        else if (streq(property, "CPUQuotaPerSecUSec"))
                v = have ? st.cpu_quota_per_sec_usec : u ? u->resources.cpu_quota_per_sec_usec : UINT64_MAX;
        else if (streq(property, "TasksCurrent"))
                v = have ? st.tasks_current : UINT64_MAX;
        else if (streq(property, "TasksMax"))
                v = have ? st.tasks_max : u ? unit_limit(&u->resources.tasks_max) : UINT64_MAX;
        else if (streq(property, "IOReadBytes"))
                v = have ? st.io_read_bytes : UINT64_MAX;
        else if (streq(property, "IOWriteBytes"))
                v = have ? st.io_write_bytes : UINT64_MAX;
        return sd_bus_message_append(reply, "t", v);
}

GETTER(property_oom_kills) {
        CgStats st;

        if (service_stats(userdata, &st) < 0)
                st.oom_kills = 0;
        return sd_bus_message_append(reply, "u", (uint32_t) (st.oom_kills > UINT32_MAX ? UINT32_MAX : st.oom_kills));
}

GETTER(property_pressure) {
        CgStats st;
        double v = -1;

        if (service_stats(userdata, &st) >= 0)
                v = streq(property, "CPUPressure")      ? st.cpu_pressure
                    : streq(property, "MemoryPressure") ? st.memory_pressure
                                                        : st.io_pressure;
        return sd_bus_message_append(reply, "d", v);
}

static int service_job(sd_bus_message *msg, Service *s, BusJobFunc fn, const char *verb, sd_bus_error *error) {
        Bus *b = bus_of(sd_bus_message_get_bus(msg));
        int r;

        r = bus_check_admin(b, msg, error);
        if (r < 0)
                return r;
        return bus_job_run(b, msg, s, fn, verb, error);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_start, "start", error);
}
static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_stop, "stop", error);
}
static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_restart, "restart", error);
}
static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_reload, "reload", error);
}
static int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_freeze, "freeze", error);
}
static int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return service_job(msg, userdata, service_thaw, "thaw", error);
}

static int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = bus_of(sd_bus_message_get_bus(msg));
        int32_t sig;
        int r;

        r = bus_check_admin(b, msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "i", &sig);
        if (r < 0)
                return r;
        return bus_kill_service(b, msg, userdata, sig, error);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Description", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("UnitPath", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("ActiveState", "s", property_active_state, 0, EMITS),
        SD_BUS_PROPERTY("SubState", "s", property_sub_state, 0, EMITS),
        SD_BUS_PROPERTY("FreezerState", "s", property_freezer_state, 0, EMITS),
        SD_BUS_PROPERTY("Result", "s", property_result, 0, EMITS),
        SD_BUS_PROPERTY("MainPID", "u", property_main_pid, 0, EMITS),
        SD_BUS_PROPERTY("ExecMainStatus", "i", property_exec_main_status, 0, 0),
        SD_BUS_PROPERTY("NRestarts", "u", property_n_restarts, 0, EMITS),
        SD_BUS_PROPERTY("ActiveEnterTimestamp", "t", property_timestamp, 0, 0),
        SD_BUS_PROPERTY("InactiveEnterTimestamp", "t", property_timestamp, 0, 0),
        SD_BUS_PROPERTY("CgroupPath", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("MemoryPeak", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("MemoryMax", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("MemoryHigh", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("CPUQuotaPerSecUSec", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("TasksCurrent", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("TasksMax", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("IOReadBytes", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("IOWriteBytes", "t", property_counter, 0, 0),
        SD_BUS_PROPERTY("OOMKills", "u", property_oom_kills, 0, 0),
        SD_BUS_PROPERTY("CPUPressure", "d", property_pressure, 0, 0),
        SD_BUS_PROPERTY("MemoryPressure", "d", property_pressure, 0, 0),
        SD_BUS_PROPERTY("IOPressure", "d", property_pressure, 0, 0),
        SD_BUS_PROPERTY("Namespaces", "as", property_namespaces, 0, 0),
        SD_BUS_PROPERTY("NamespaceIds", "a(st)", property_namespace_ids, 0, 0),
        SD_BUS_PROPERTY("Hostname", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("IPAddress", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("LogPath", "s", property_string, 0, 0),
        SD_BUS_PROPERTY("StatusText", "s", property_string, 0, EMITS),
        SD_BUS_PROPERTY("Warnings", "as", property_warnings, 0, 0),
        SD_BUS_METHOD("Start", "", "", method_start, UNPRIV),
        SD_BUS_METHOD("Stop", "", "", method_stop, UNPRIV),
        SD_BUS_METHOD("Restart", "", "", method_restart, UNPRIV),
        SD_BUS_METHOD("Reload", "", "", method_reload, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_kill, UNPRIV),
        SD_BUS_METHOD("Freeze", "", "", method_freeze, UNPRIV),
        SD_BUS_METHOD("Thaw", "", "", method_thaw, UNPRIV),
        SD_BUS_VTABLE_END,
};

static int service_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                        sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        const char *label;
        Bus *b = userdata;
        Service *s;

        if (!strneq(path, BUS_SERVICE_PREFIX "/", strlen(BUS_SERVICE_PREFIX "/")))
                return 0;
        label = path + strlen(BUS_SERVICE_PREFIX "/");
        if (strchr(label, '/') || bus_label_unescape(label, &name) < 0)
                return 0;
        s = manager_get_service(b->manager, name);
        if (!s)
                return 0;
        *ret_found = s;
        return 1;
}

static int service_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                             sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Bus *b = userdata;
        size_t n = manager_n_services(b->manager);

        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ServiceInfo info;
                int r;

                service_info(manager_service_at(b->manager, i), &info);
                r = bus_service_object_path(info.name, &l[i]);
                if (r < 0)
                        return r;
        }
        *ret_nodes = TAKE_PTR(l);
        return 0;
}

int bus_service_register(Bus *b, CrlError *reterr) {
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, &b->service_slot, BUS_SERVICE_PREFIX, BUS_SERVICE_INTERFACE,
                                       service_vtable, service_find, b);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(b->bus, &b->enumerator_slot, BUS_SERVICE_PREFIX,
                                               service_enumerate, b);
        if (r < 0)
                return crl_error_set(reterr, -r, "bus: export %s: %s", BUS_SERVICE_PREFIX, strerror(-r));
        return 0;
}
