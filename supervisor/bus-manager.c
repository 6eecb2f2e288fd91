/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"
#include "strv.h"

/* /org/corral1, org.corral1.Manager (spec §4): parse, check, call the core
 * through manager.h, reply. */

static int append_service_row(sd_bus_message *reply, Service *s) {
        _cleanup_free_ char *buf = NULL;
        ServiceInfo info;
        const char *path = NULL;

        service_info(s, &info);
        path = info.object_path;
        if (isempty(path)) {
                if (bus_service_object_path(info.name, &buf) < 0)
                        return -ENOMEM;
                path = buf;
        }
        return sd_bus_message_append(reply, "(sssuo)", info.name,
                                     service_active_state_to_string(info.active_state),
                                     service_sub_state_to_string(info.sub_state), (uint32_t) info.main_pid, path);
}

static int method_list_services(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        size_t n = manager_n_services(b->manager);
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssuo)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_service_row(reply, manager_service_at(b->manager, i));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_service(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *buf = NULL;
        Bus *b = userdata;
        const char *name;
        ServiceInfo info;
        Service *s;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = bus_lookup_service(b, name, &s, error);
        if (r < 0)
                return r;
        service_info(s, &info);
        if (isempty(info.object_path) && bus_service_object_path(info.name, &buf) < 0)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", buf ?: info.object_path);
}

/* Every mutating method starts here: access first, then the name. */
static int admin_and_service(Bus *b, sd_bus_message *msg, Service **ret, sd_bus_error *error) {
        const char *name;
        int r;

        r = bus_check_admin(b, msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        return bus_lookup_service(b, name, ret, error);
}

static int manager_job(sd_bus_message *msg, Bus *b, BusJobFunc fn, const char *verb, sd_bus_error *error) {
        Service *s;
        int r;

        r = admin_and_service(b, msg, &s, error);
        if (r < 0)
                return r;
        return bus_job_run(b, msg, s, fn, verb, error);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_start, "start", error);
}
static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_stop, "stop", error);
}
static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_restart, "restart", error);
}
static int method_reload_service(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_reload, "reload", error);
}
static int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_freeze, "freeze", error);
}
static int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return manager_job(msg, userdata, service_thaw, "thaw", error);
}

int bus_kill_service(Bus *b, sd_bus_message *msg, Service *s, int sig, sd_bus_error *error) {
        CrlError err = {};
        ServiceInfo info;
        char what[160];
        int r;

        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%d is not a signal number (1-%d)", sig,
                                         _NSIG - 1);
        r = service_kill(s, sig, &err);
        if (r < 0) {
                service_info(s, &info);
                snprintf(what, sizeof(what), "service '%s': kill with signal %d", info.name, sig);
                if (r == -ESRCH && !crl_error_isset(&err))
                        return sd_bus_error_setf(error, BUS_ERROR_FAILED, "%s: it has no processes", what);
                return bus_error_from_crl(error, r == -EINVAL ? -EIO : r, &err, what);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Service *s;
        int32_t sig;
        int r;

        r = admin_and_service(b, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "i", &sig);
        if (r < 0)
                return r;
        return bus_kill_service(b, msg, s, sig, error);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        CrlError err = {};
        int r;

        r = bus_check_admin(b, msg, error);
        if (r < 0)
                return r;
        r = manager_reload(b->manager, &err);
        if (r < 0)
                return bus_error_from_crl(error, r, &err, "reload");
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", CORRAL_VERSION);
}

static int property_cgroup_root(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        return bus_append_string(reply, manager_cgroup_root(b->manager));
}

static int property_controllers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Bus *b = userdata;

        l = manager_controllers(b->manager);
        return bus_append_strv(reply, l);
}

static int property_n_services(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) manager_n_services(b->manager));
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CgroupRoot", "s", property_cgroup_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Controllers", "as", property_controllers, 0, 0),
        SD_BUS_PROPERTY("NServices", "u", property_n_services, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("ListServices", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssuo)", services),
                                method_list_services, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetService", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", path),
                                method_get_service, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StartService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_start, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StopService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_stop, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("RestartService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_restart, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("KillService", SD_BUS_ARGS("s", name, "i", signal), SD_BUS_NO_RESULT,
                                method_kill, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("FreezeService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_freeze, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ThawService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_thaw, UNPRIV),
        SD_BUS_METHOD("Reload", "", "", method_reload, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ReloadService", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_reload_service, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("RunTransient", SD_BUS_ARGS("s", name, "as", argv, "a(sv)", properties),
                                SD_BUS_RESULT("o", path), bus_method_run_transient, UNPRIV),
        SD_BUS_SIGNAL_WITH_ARGS("ServiceNew", SD_BUS_ARGS("s", name, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ServiceRemoved", SD_BUS_ARGS("s", name, "o", path), 0),
        SD_BUS_VTABLE_END,
};

int bus_manager_register(Bus *b, CrlError *reterr) {
        int r;

        r = sd_bus_add_object_vtable(b->bus, &b->manager_slot, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE,
                                     manager_vtable, b);
        if (r < 0)
                return crl_error_set(reterr, -r, "bus: export %s: %s", BUS_MANAGER_PATH, strerror(-r));
        return 0;
}
