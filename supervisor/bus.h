/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corrald's D-Bus side (spec §4): the connection, the org.corral1 name, the
 * Manager and Service objects, and the private broker. The core calls these;
 * the bus calls the core only through manager.h. */

#include <systemd/sd-event.h>

#include "error.h"
#include "manager.h"

typedef struct Bus Bus;

/* Connect per --bus ("system", "session", "private", a D-Bus address; NULL:
 * the system bus when reachable, else the private broker), attach to the
 * loop, export the objects and request org.corral1. The private broker is a
 * dbus-daemon started at RUNTIME_DIR/bus that outlives corrald; a running
 * one is reused. */
int bus_open(Manager *m, sd_event *e, const char *bus_arg, Bus **ret, CrlError *reterr);
/* Release the name and disconnect; stop the private broker too when
 * stop_broker (a clean shutdown). */
Bus *bus_close(Bus *b, bool stop_broker);

/* Notifications from the core. NULL b: no bus (tests), a no-op. */
void bus_service_new(Bus *b, Service *s);
void bus_service_removed(Bus *b, Service *s);
void bus_service_changed(Bus *b, Service *s, ServiceChange mask);

/* "web-1" -> "web_2d1": every byte outside [A-Za-z0-9] as _XX (spec §4). */
int bus_label_escape(const char *name, char **ret);
int bus_service_object_path(const char *name, char **ret);
