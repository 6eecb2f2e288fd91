/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between bus*.c only; the rest of corrald uses bus.h. */

#include <systemd/sd-bus.h>

#include "bus.h"

#define BUS_NAME "org.corral1"
#define BUS_MANAGER_PATH "/org/corral1"
#define BUS_MANAGER_INTERFACE "org.corral1.Manager"
#define BUS_SERVICE_PREFIX "/org/corral1/service"
#define BUS_SERVICE_INTERFACE "org.corral1.Service"

#define BUS_ERROR_NO_SUCH_SERVICE "org.corral1.Error.NoSuchService"
#define BUS_ERROR_INVALID_UNIT "org.corral1.Error.InvalidUnit"
#define BUS_ERROR_FAILED "org.corral1.Error.Failed"

typedef struct BusJob BusJob;

/* A service's properties changed since the last PropertiesChanged. */
typedef struct BusChanged {
        Service *service;       /* borrowed: dropped in bus_service_removed() */
        ServiceChange mask;
} BusChanged;

/* The private broker (bus-broker.c): a dbus-daemon listening on
 * RUNTIME_DIR/bus, recorded in RUNTIME_DIR/bus.pid. */
typedef struct BusBroker {
        char *runtime_dir;
        char *socket_path;
        char *pid_path;
        char *address;          /* "unix:path=RUNTIME_DIR/bus" */
} BusBroker;

struct Bus {
        Manager *manager;
        sd_event *event;
        char *bus_arg;          /* --bus as given, NULL: default */
        sd_bus *bus;
        sd_bus_slot *manager_slot, *service_slot, *enumerator_slot, *disconnect_slot;
        sd_event_source *reconnect_source;
        uint64_t reconnect_delay;       /* µs, doubles up to 30 s while reconnects fail */
        BusJob *jobs;           /* pending Start/Stop/... replies */
        bool private_broker;    /* connected to our own dbus-daemon */
        bool emitting;          /* inside our own PropertiesChanged: getters are not a client read */
        BusChanged *changed;    /* PropertiesChanged owed, sent once per loop turn (bus.c) */
        size_t n_changed, n_changed_alloc;
        sd_event_source *changed_source, *changed_exit_source;
        BusBroker broker;
};

/* bus-broker.c */
int bus_broker_ensure(BusBroker *br, const char *runtime_dir, CrlError *reterr);
void bus_broker_stop(BusBroker *br);
void bus_broker_done(BusBroker *br);

/* bus-manager.c, bus-service.c: register the objects on b->bus. */
int bus_manager_register(Bus *b, CrlError *reterr);
int bus_service_register(Bus *b, CrlError *reterr);

/* bus-transient.c: RunTransient's (sasa(sv)) -> the core. */
int bus_method_run_transient(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* bus-util.c */
/* Mutating methods: 1 when the sender may change things, 0 (and error set
 * to AccessDenied) when not, <0 on failure to learn its credentials. */
int bus_check_admin(Bus *b, sd_bus_message *msg, sd_bus_error *error);
/* The service named by a method argument: InvalidArgs for a malformed
 * name, NoSuchService for one not loaded. */
int bus_lookup_service(Bus *b, const char *name, Service **ret, sd_bus_error *error);
/* A refused call (r < 0 with err): InvalidUnit for -EINVAL, else Failed. */
int bus_error_from_crl(sd_bus_error *error, int r, const CrlError *err, const char *what);

/* Append "s" / "as", with invalid UTF-8 made '?' (see bus_utf8_sanitize). */
int bus_append_string(sd_bus_message *m, const char *s);
int bus_append_strv(sd_bus_message *m, char *const *l);

/* Start/Stop/Restart/Reload/Freeze/Thaw: call fn, reply now (1 or <0) or
 * when the job's done callback fires (0). */
typedef int (*BusJobFunc)(Service *s, ServiceJobDone done, void *userdata, CrlError *reterr);
int bus_job_run(Bus *b, sd_bus_message *msg, Service *s, BusJobFunc fn, const char *verb,
                sd_bus_error *error);
/* bus_close(): replies stay owed; the jobs outlive the Bus until the core
 * calls their done. */
void bus_jobs_detach(Bus *b);

/* bus-label.c */
/* D-Bus strings must be valid UTF-8, or the whole message fails: unit
 * files, STATUS= and error messages may hold any bytes. */
bool bus_utf8_valid(const char *s);
/* A copy with each byte of an invalid sequence as '?'; NULL: no memory. */
char *bus_utf8_sanitize(const char *s);
/* The longest prefix of at most max bytes that cuts no sequence. */
size_t bus_utf8_prefix(const char *s, size_t max);
/* "web_2d1" -> "web-1"; -EINVAL when label is not a canonical escape. */
int bus_label_unescape(const char *label, char **ret);

/* corrald has no log module yet: sd-daemon(3) prefixes on stderr, which
 * journald and a terminal both read. */
#define bus_log_error(fmt, ...) fprintf(stderr, "<3>corrald: " fmt "\n", ##__VA_ARGS__)
#define bus_log_warning(fmt, ...) fprintf(stderr, "<4>corrald: " fmt "\n", ##__VA_ARGS__)
#define bus_log_notice(fmt, ...) fprintf(stderr, "<5>corrald: " fmt "\n", ##__VA_ARGS__)

/* KillService and Service.Kill: check sig, signal, reply. */
int bus_kill_service(Bus *b, sd_bus_message *msg, Service *s, int sig, sd_bus_error *error);

/* Every method: without it sd-bus itself refuses callers lacking
 * CAP_SYS_ADMIN, before our handler runs. Reads are open to everyone, and
 * mutating methods check euid/AdminGroup= themselves (bus_check_admin). */
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED
