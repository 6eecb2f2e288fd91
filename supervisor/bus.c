/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"

/* The connection: --bus, the org.corral1 name, reconnects, and the core's
 * notifications (signals and PropertiesChanged). */

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

        bus_broker_done(&b->broker);    /* a reconnect: the paths again */
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

        b->private_broker = false;      /* a reconnect may land elsewhere */
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

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* Connect, export, own the name, attach: bus_open() and every reconnect. */
static int bus_setup(Bus *b, CrlError *reterr) {
        int r;

        r = bus_connect(b, b->bus_arg, reterr);
        if (r >= 0)
                r = bus_manager_register(b, reterr);
        if (r >= 0)
                r = bus_service_register(b, reterr);
        if (r >= 0)
                r = bus_request_name(b, reterr);
        if (r < 0)
                return r;
        /* A local match: sd-bus sends no AddMatch for it. */
        r = sd_bus_match_signal(b->bus, &b->disconnect_slot, NULL, "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, b);
        /* Not closed when the loop exits: corrald frees its core after the
         * loop, and the jobs it cancels then still owe their callers a
         * reply, which bus_close() flushes. */
        if (r >= 0)
                r = sd_bus_set_close_on_exit(b->bus, false);
        if (r >= 0)
                r = sd_bus_attach_event(b->bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return crl_error_set(reterr, -r, "bus: attach to the event loop: %s", strerror(-r));
        return 0;
}

static void bus_teardown(Bus *b) {
        /* Replies owed on this connection cannot be sent on another one;
         * nor can its PropertiesChanged (whose services may be freed by now:
         * bus_close() runs after the core's services are gone). */
        bus_jobs_detach(b);
        b->n_changed = 0;
        b->disconnect_slot = sd_bus_slot_unref(b->disconnect_slot);
        b->manager_slot = sd_bus_slot_unref(b->manager_slot);
        b->service_slot = sd_bus_slot_unref(b->service_slot);
        b->enumerator_slot = sd_bus_slot_unref(b->enumerator_slot);
        if (b->bus) {
                (void) sd_bus_detach_event(b->bus);     /* not attached after a failed setup: fine */
                b->bus = sd_bus_flush_close_unref(b->bus);
        }
}

#define BUS_RECONNECT_MIN_USEC 100000ULL
#define BUS_RECONNECT_MAX_USEC 30000000ULL

static int on_reconnect(sd_event_source *src, uint64_t usec, void *userdata) {
        Bus *b = userdata;
        CrlError err = {};
        uint64_t delay;
        int r;

        b->reconnect_source = sd_event_source_disable_unref(b->reconnect_source);
        bus_teardown(b);
        /* Bounded blocking: at worst a broker's start (10 s) and a name
         * request, rare enough to accept over a second code path. */
        r = bus_setup(b, &err);
        if (r >= 0) {
                bus_log_notice("bus: connected again after losing the bus");
                b->reconnect_delay = 0;
                return 0;
        }
        bus_teardown(b);
        delay = b->reconnect_delay ? b->reconnect_delay * 2 : BUS_RECONNECT_MIN_USEC;
        b->reconnect_delay = delay > BUS_RECONNECT_MAX_USEC ? BUS_RECONNECT_MAX_USEC : delay;
        bus_log_warning("bus: reconnect failed: %s; next try in %llu ms", err.message,
                        (unsigned long long) (b->reconnect_delay / 1000));
        r = sd_event_add_time_relative(b->event, &b->reconnect_source, CLOCK_MONOTONIC, b->reconnect_delay, 0,
                                       on_reconnect, b);
        if (r < 0)
                bus_log_error("bus: cannot schedule a reconnect: %s; the bus API is gone", strerror(-r));
        return 0;
}

/* The broker died or threw us out (the private one can be OOM-killed like
 * anything else): services keep running; reconnect from the loop, not from
 * inside the dying connection's dispatch. */
static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        int r;

        bus_log_error("bus: lost the connection to the bus, reconnecting");
        if (b->reconnect_source)
                return 0;
        r = sd_event_add_time_relative(b->event, &b->reconnect_source, CLOCK_MONOTONIC, 0, 0, on_reconnect, b);
        if (r < 0)
                bus_log_error("bus: cannot schedule a reconnect: %s; the bus API is gone", strerror(-r));
        return 0;
}

int bus_open(Manager *m, sd_event *e, const char *bus_arg, Bus **ret, CrlError *reterr) {
        Bus *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return crl_error_set(reterr, ENOMEM, "bus: out of memory");
        b->manager = m;
        b->event = sd_event_ref(e);
        if (bus_arg && !(b->bus_arg = strdup(bus_arg))) {
                bus_close(b, false);
                return crl_error_set(reterr, ENOMEM, "bus: out of memory");
        }
        r = bus_setup(b, reterr);
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
        b->reconnect_source = sd_event_source_disable_unref(b->reconnect_source);
        bus_teardown(b);
        b->changed_source = sd_event_source_disable_unref(b->changed_source);
        b->changed_exit_source = sd_event_source_disable_unref(b->changed_exit_source);
        free(b->changed);
        if (stop_broker && b->private_broker)
                bus_broker_stop(&b->broker);
        bus_broker_done(&b->broker);
        sd_event_unref(b->event);
        free(b->bus_arg);
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

static void changed_flush_one(Bus *b, Service *s);

void bus_service_removed(Bus *b, Service *s) {
        if (!b)
                return;
        changed_flush_one(b, s);
        bus_emit_service_signal(b, s, "ServiceRemoved");
}

static void emit_changed(Bus *b, Service *s, ServiceChange mask) {
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

/* Every PropertiesChanged owed, in the order the services first changed. */
static void flush_changed(Bus *b) {
        _cleanup_free_ BusChanged *l = TAKE_PTR(b->changed);
        size_t n = b->n_changed;

        b->n_changed = b->n_changed_alloc = 0;
        for (size_t i = 0; i < n && b->bus; i++)
                emit_changed(b, l[i].service, l[i].mask);
}

/* The defer source of a turn, and the exit source: the loop's last turn
 * may have changed a service (the shutdown's last stop), sent before
 * sd_event_loop() returns and the core is freed. */
static int on_changed(sd_event_source *src, void *userdata) {
        flush_changed(userdata);
        return 0;
}

static BusChanged *changed_find(Bus *b, Service *s) {
        for (size_t i = b->n_changed; i > 0; i--)       /* the latest first: it changes again */
                if (b->changed[i - 1].service == s)
                        return &b->changed[i - 1];
        return NULL;
}

static int changed_add(Bus *b, Service *s, ServiceChange mask) {
        BusChanged *c = changed_find(b, s);
        int r;

        if (!b->changed_source) {
                r = sd_event_add_defer(b->event, &b->changed_source, on_changed, b);
                if (r >= 0)
                        r = sd_event_source_set_priority(b->changed_source, SD_EVENT_PRIORITY_IMPORTANT);
                if (r >= 0)
                        r = sd_event_add_exit(b->event, &b->changed_exit_source, on_changed, b);
                if (r < 0) {
                        b->changed_source = sd_event_source_disable_unref(b->changed_source);
                        return r;
                }
        }
        if (!c) {
                if (b->n_changed == b->n_changed_alloc) {
                        size_t n = b->n_changed_alloc ? 2 * b->n_changed_alloc : 8;
                        BusChanged *l = reallocarray(b->changed, n, sizeof(*l));

                        if (!l)
                                return -ENOMEM;
                        b->changed = l;
                        b->n_changed_alloc = n;
                }
                c = &b->changed[b->n_changed++];
                *c = (BusChanged) { .service = s };
        }
        c->mask |= mask;
        return sd_event_source_set_enabled(b->changed_source, SD_EVENT_ONESHOT);
}

/* A state that passes within one turn of the loop (deactivating on the way
 * to inactive when the cgroup is empty already, the MainPID of a process
 * that exited) is not sent on its own: every service's changes of a turn go
 * out as one PropertiesChanged with the values at the end of the turn, at
 * the start of the next (before anything else, so before the replies of
 * jobs that the change finished), as systemd's bus queue does. */
void bus_service_changed(Bus *b, Service *s, ServiceChange mask) {
        if (!b || !b->bus || mask == 0)
                return;
        if (changed_add(b, s, mask) < 0)
                emit_changed(b, s, mask);       /* no memory to queue it: now, as it is */
}

/* s is going: what it owes goes out first, then ServiceRemoved. */
static void changed_flush_one(Bus *b, Service *s) {
        BusChanged *c = changed_find(b, s);
        ServiceChange mask;

        if (!c)
                return;
        mask = c->mask;
        memmove(c, c + 1, (size_t) (b->changed + --b->n_changed - c) * sizeof(*c));
        if (b->bus)
                emit_changed(b, s, mask);
}
