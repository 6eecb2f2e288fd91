/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl: the connection to corrald and small property getters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int bus_answers(sd_bus *bus) {
        /* A reachable bus without corrald on it is "not running" too. */
        return sd_bus_call_method(bus, CTL_BUS_NAME, CTL_MANAGER_PATH, "org.freedesktop.DBus.Peer",
                                  "Ping", NULL, NULL, NULL);
}

static int open_address(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int open_private(sd_bus **ret) {
        return open_address("unix:path=" CTL_PRIVATE_BUS_PATH, ret);
}

static int try_open(int (*open_fn)(sd_bus **), sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = open_fn(&bus);
        if (r < 0)
                return r;
        r = bus_answers(bus);
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int open_arg(const char *arg, sd_bus **ret) {
        if (streq(arg, "system"))
                return sd_bus_open_system(ret);
        if (streq(arg, "session"))
                return sd_bus_open_user(ret);
        if (streq(arg, "private"))
                return open_private(ret);
        return open_address(arg, ret);
}

static void log_not_running(const char *arg, int r) {
        fprintf(stderr, "corralctl: corrald is not running on %s: %s\n",
                streq(arg, "private") ? CTL_PRIVATE_BUS_PATH : arg, strerror(-r));
}

int ctl_bus(CtlContext *c, sd_bus **ret) {
        const char *arg = c->bus_arg;
        int r;

        if (c->bus) {
                *ret = c->bus;
                return 0;
        }
        if (!arg) {
                r = try_open(sd_bus_open_system, &c->bus);
                if (r < 0)
                        r = try_open(open_private, &c->bus);
                if (r < 0) {
                        fprintf(stderr, "corralctl: corrald is not running on the system bus or %s\n",
                                CTL_PRIVATE_BUS_PATH);
                        return r;
                }
        } else {
                r = open_arg(arg, &c->bus);
                if (r >= 0) {
                        r = bus_answers(c->bus);
                        if (r < 0)
                                c->bus = sd_bus_flush_close_unref(c->bus);
                }
                if (r < 0) {
                        log_not_running(arg, r);
                        return r;
                }
        }
        *ret = c->bus;
        return 0;
}

int ctl_bus_unchecked(CtlContext *c, sd_bus **ret) {
        int r;

        if (c->bus || !c->bus_arg)
                return ctl_bus(c, ret);
        r = open_arg(c->bus_arg, &c->bus);
        if (r < 0) {
                log_not_running(c->bus_arg, r);
                return r;
        }
        *ret = c->bus;
        return 0;
}

bool ctl_bus_report_absent(const CtlContext *c, const sd_bus_error *e, int r) {
        if (!sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return false;
        if (c->bus_arg)
                log_not_running(c->bus_arg, r);
        else
                fprintf(stderr, "corralctl: corrald is not running on the system bus or %s\n",
                        CTL_PRIVATE_BUS_PATH);
        return true;
}

int ctl_log_bus_error(const char *what, const sd_bus_error *e, int r) {
        const char *msg = e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(r < 0 ? -r : r);

        fprintf(stderr, "corralctl: %s: %s\n", what, msg);
        if (e && sd_bus_error_has_name(e, CTL_ERROR_NO_SUCH_SERVICE))
                return CTL_EXIT_NO_SUCH_SERVICE;
        return CTL_EXIT_FAILURE;
}

int ctl_service_path(sd_bus *bus, const char *name, sd_bus_error *reterr, char **ret_path) {
        sd_bus_message *reply = NULL;
        const char *path;
        char *p;
        int r;

        r = sd_bus_call_method(bus, CTL_BUS_NAME, CTL_MANAGER_PATH, CTL_MANAGER_IFACE, "GetService",
                               reterr, &reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        p = r >= 0 ? strdup(path) : NULL;
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

int ctl_get_string(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, char **ret) {
        return sd_bus_get_property_string(bus, CTL_BUS_NAME, path, CTL_SERVICE_IFACE, prop, reterr, ret);
}

int ctl_get_u64(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, uint64_t *ret) {
        return sd_bus_get_property_trivial(bus, CTL_BUS_NAME, path, CTL_SERVICE_IFACE, prop, reterr, 't', ret);
}

int ctl_get_u32(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, uint32_t *ret) {
        return sd_bus_get_property_trivial(bus, CTL_BUS_NAME, path, CTL_SERVICE_IFACE, prop, reterr, 'u', ret);
}
