/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corralctl's shared pieces: the bus connection, the exit codes of spec §5,
 * and the formatters every read command uses. One file a command group:
 * ctl-list.c, ctl-status.c, ctl-top.c, ctl-control.c, ctl-logs.c,
 * ctl-exec.c, ctl-run.c, ctl-verify.c. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macros.h"

/* spec §5 */
enum {
        CTL_EXIT_SUCCESS = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_NOT_ACTIVE = 3,
        CTL_EXIT_NO_SUCH_SERVICE = 4,
};

#define CTL_BUS_NAME "org.corral1"
#define CTL_MANAGER_PATH "/org/corral1"
#define CTL_MANAGER_IFACE "org.corral1.Manager"
#define CTL_SERVICE_IFACE "org.corral1.Service"
#define CTL_ERROR_NO_SUCH_SERVICE "org.corral1.Error.NoSuchService"
#define CTL_ERROR_INVALID_UNIT "org.corral1.Error.InvalidUnit"
#define CTL_ERROR_FAILED "org.corral1.Error.Failed"
#define CTL_PRIVATE_BUS_PATH "/run/corral/bus"

typedef struct CtlContext {
        const char *bus_arg;    /* --bus, NULL: system then private; borrowed */
        bool json;              /* --json */
        sd_bus *bus;            /* owned; connected by ctl_bus() on first use */
} CtlContext;

/* A command: argv[0] is the command's name; returns an exit code. */
typedef int (*CtlCommand)(int argc, char *argv[], CtlContext *c);

/* The connection to corrald per --bus, made once. On failure prints the
 * reason ("corrald is not running on the system bus or /run/corral/bus")
 * and returns a negative errno; the caller exits CTL_EXIT_FAILURE. */
int ctl_bus(CtlContext *c, sd_bus **ret);

/* ctl_bus() without its Ping of corrald when --bus names the bus (with
 * none the Ping picks the system or the private bus): for a command whose
 * first call is to corrald anyway (run) and that reports corrald's absence
 * from that call's error with ctl_bus_report_absent(). */
int ctl_bus_unchecked(CtlContext *c, sd_bus **ret);

/* A call to corrald failed with ServiceUnknown or NameHasNoOwner: print
 * what ctl_bus() prints when its Ping fails and return true; else false. */
bool ctl_bus_report_absent(const CtlContext *c, const sd_bus_error *e, int r);

/* Print "corralctl: WHAT: MESSAGE" for a failed call and return the exit
 * code it maps to: NoSuchService → 4, everything else → 1. */
int ctl_log_bus_error(const char *what, const sd_bus_error *e, int r);

/* Print why VERB (start, logs...) failed for service NAME and return the
 * exit code: "no such service 'NAME'" → 4; AccessDenied: the daemon's
 * message → 1; else "failed to VERB NAME: MESSAGE" → 1. (ctl-control.c) */
int ctl_log_service_error(const char *verb, const char *name, const sd_bus_error *e, int r);

/* GetService(name) → object path (newly allocated). */
int ctl_service_path(sd_bus *bus, const char *name, sd_bus_error *reterr, char **ret_path);

/* A service's property read through org.freedesktop.DBus.Properties.Get. */
int ctl_get_string(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, char **ret);
int ctl_get_u64(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, uint64_t *ret);
int ctl_get_u32(sd_bus *bus, const char *path, const char *prop, sd_bus_error *reterr, uint32_t *ret);

/* Formatters into a caller's buffer; return buf. */
#define CTL_FORMAT_BYTES_MAX 16
#define CTL_FORMAT_TIMESPAN_MAX 64
#define CTL_FORMAT_TIMESTAMP_MAX 64
/* 1024-based, one decimal under 100: "512B", "12.3M", "1.5G"; "-" for UINT64_MAX. */
char *ctl_format_bytes(char buf[static CTL_FORMAT_BYTES_MAX], uint64_t bytes);
/* "3min 12s", "1h 2min", "850ms", "2d 3h": at most two units, like systemctl. */
char *ctl_format_timespan(char buf[static CTL_FORMAT_TIMESPAN_MAX], uint64_t usec);
/* "Sun 2026-12-06 02:12:47 UTC" (local time) for µs since the epoch; "n/a" for 0. */
char *ctl_format_timestamp(char buf[static CTL_FORMAT_TIMESTAMP_MAX], uint64_t usec);

/* Colour only on a TTY and without $NO_COLOR. */
bool ctl_use_color(int fd);

/* The commands. */
int ctl_list(int argc, char *argv[], CtlContext *c);
int ctl_status(int argc, char *argv[], CtlContext *c);
int ctl_top(int argc, char *argv[], CtlContext *c);
int ctl_control(int argc, char *argv[], CtlContext *c);     /* start stop restart reload kill freeze thaw daemon-reload */
int ctl_logs(int argc, char *argv[], CtlContext *c);
int ctl_exec(int argc, char *argv[], CtlContext *c);
int ctl_run(int argc, char *argv[], CtlContext *c);
