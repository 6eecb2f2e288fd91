/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"

static int bus_connect_address(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int bus_connect_private(Bus *b, CrlError *reterr) {
        const ManagerConfig *cfg = manager_config(b->manager);
        const char *dir = cfg && cfg->runtime_directory ? cfg->runtime_directory : "/run/corral";
        int r;

        r = bus_broker_ensure(&b->broker, dir, reterr);
        if (r < 0)
                return r;
        b->private_broker = true;
        r = bus_connect_address(b->broker.address, &b->bus);
        if (r < 0)
                return crl_error_set(reterr, -r, "private bus %s: connect: %s", b->broker.address, strerror(-r));
        return 0;
}

/* --bus: NULL tries the system bus and falls back to the private broker
 * when no system bus answers (this host, a container, early boot). */
static int bus_connect(Bus *b, const char *arg, CrlError *reterr) {
        int r;

        if (!arg) {
                if (sd_bus_open_system(&b->bus) >= 0)
                        return 0;
                return bus_connect_private(b, reterr);
        }
        if (streq(arg, "private"))
                return bus_connect_private(b, reterr);
        if (streq(arg, "system"))
                r = sd_bus_open_system(&b->bus);
        else if (streq(arg, "session"))
                r = sd_bus_open_user(&b->bus);
        else if (strchr(arg, ':'))
                r = bus_connect_address(arg, &b->bus);
        else
                return crl_error_set(reterr, EINVAL,
                                     "--bus: '%.200s' is none of system, session, private or a D-Bus address", arg);
        if (r < 0)
                return crl_error_set(reterr, -r, "bus '%.200s': connect: %s", arg, strerror(-r));
        return 0;
}

static int bus_request_name(Bus *b, CrlError *reterr) {
        int r;

        /* At start, before the loop runs: a second corrald must fail here,
         * loudly, rather than queue behind the first. */
        r = sd_bus_request_name(b->bus, BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY)
                return crl_error_set(reterr, EEXIST, "bus: %s is owned by another process (is corrald running?)",
                                     BUS_NAME);
        if (r == -EACCES || r == -EPERM)
                return crl_error_set(reterr, EACCES,
                                     "bus: not allowed to own %s (is org.corral1.conf installed in dbus-1/system.d?)",
                                     BUS_NAME);
        if (r < 0)
                return crl_error_set(reterr, -r, "bus: request %s: %s", BUS_NAME, strerror(-r));
        return 0;
}

int bus_open(Manager *m, sd_event *e, const char *bus_arg, Bus **ret, CrlError *reterr) {
        Bus *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return crl_error_set(reterr, ENOMEM, "bus: out of memory");
        b->manager = m;
        r = bus_connect(b, bus_arg, reterr);
        if (r >= 0)
                r = bus_manager_register(b, reterr);
        if (r >= 0)
                r = bus_service_register(b, reterr);
        if (r >= 0)
                r = bus_request_name(b, reterr);
        if (r >= 0) {
                /* Not closed when the loop exits: corrald frees its core
                 * after the loop, and the jobs it cancels then still owe
                 * their callers a reply, which bus_close() flushes. */
                r = sd_bus_set_close_on_exit(b->bus, false);
                if (r >= 0)
                        r = sd_bus_attach_event(b->bus, e, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0)
                        crl_error_set(reterr, -r, "bus: attach to the event loop: %s", strerror(-r));
        }
        if (r < 0) {
                crl_error_set(reterr, -r, "bus: %s", strerror(-r));
                bus_close(b, false);
                return r;
        }
        *ret = b;
        return 0;
}

Bus *bus_close(Bus *b, bool stop_broker) {
        if (!b)
                return NULL;
        bus_jobs_detach(b);
        b->manager_slot = sd_bus_slot_unref(b->manager_slot);
        b->service_slot = sd_bus_slot_unref(b->service_slot);
        b->enumerator_slot = sd_bus_slot_unref(b->enumerator_slot);
        if (b->bus) {
                (void) sd_bus_detach_event(b->bus);     /* not attached after a failed open: fine */
                b->bus = sd_bus_flush_close_unref(b->bus);
        }
        if (stop_broker && b->private_broker)
                bus_broker_stop(&b->broker);
        bus_broker_done(&b->broker);
        free(b);
        return NULL;
}

/* The object path the core gave the service, or ours when it gave none. */
static const char *bus_service_path(const ServiceInfo *info, char **buf) {
        if (!isempty(info->object_path))
                return info->object_path;
        if (bus_service_object_path(info->name, buf) < 0)
                return NULL;
        return *buf;
}

static void bus_emit_service_signal(Bus *b, Service *s, const char *member) {
        _cleanup_free_ char *buf = NULL;
        ServiceInfo info;
        const char *path;
        int r;

        if (!b || !b->bus)
                return;
        service_info(s, &info);
        path = bus_service_path(&info, &buf);
        r = path ? sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, member, "so", info.name, path)
                 : -ENOMEM;
        if (r < 0)
                bus_log_warning("bus: emit %s for service '%s': %s, ignoring", member, info.name, strerror(-r));
}

void bus_service_new(Bus *b, Service *s) {
        bus_emit_service_signal(b, s, "ServiceNew");
}

void bus_service_removed(Bus *b, Service *s) {
        bus_emit_service_signal(b, s, "ServiceRemoved");
}

void bus_service_changed(Bus *b, Service *s, ServiceChange mask) {
        static const struct {
                ServiceChange flag;
                const char *property;
        } table[] = {
                { SERVICE_CHANGE_ACTIVE_STATE, "ActiveState" },  { SERVICE_CHANGE_SUB_STATE, "SubState" },
                { SERVICE_CHANGE_RESULT, "Result" },             { SERVICE_CHANGE_MAIN_PID, "MainPID" },
                { SERVICE_CHANGE_N_RESTARTS, "NRestarts" },      { SERVICE_CHANGE_FREEZER_STATE, "FreezerState" },
                { SERVICE_CHANGE_STATUS_TEXT, "StatusText" },
        };
        _cleanup_free_ char *buf = NULL;
        char *names[ELEMENTSOF(table) + 1];
        ServiceInfo info;
        const char *path;
        size_t n = 0;
        int r;

        if (!b || !b->bus)
                return;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (mask & table[i].flag)
                        names[n++] = (char *) table[i].property;
        if (n == 0)
                return;
        names[n] = NULL;
        service_info(s, &info);
        path = bus_service_path(&info, &buf);
        b->emitting = true;
        r = path ? sd_bus_emit_properties_changed_strv(b->bus, path, BUS_SERVICE_INTERFACE, names) : -ENOMEM;
        b->emitting = false;
        if (r < 0)
                bus_log_warning("bus: PropertiesChanged for service '%s': %s, ignoring", info.name, strerror(-r));
}
