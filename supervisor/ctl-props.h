/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every property of a service (spec §4) in one Properties.GetAll call, for
 * list, status and top. ctl_props_fetch_all() lists the services and sends
 * all GetAll calls at once, then waits for the replies: one round trip for
 * N services instead of N. */

#include <json-c/json.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macros.h"

typedef struct CtlNamespaceId {
        char *type;
        uint64_t inode;
} CtlNamespaceId;

typedef struct CtlServiceProps {
        char *path;     /* object path */
        char *name, *description, *unit_path;
        char *active_state, *sub_state, *freezer_state, *result;
        uint32_t main_pid;
        int32_t exec_main_status;
        uint32_t n_restarts;
        uint64_t active_enter_timestamp, inactive_enter_timestamp;
        char *cgroup_path;
        uint64_t memory_current, memory_peak, memory_max, memory_high;
        uint64_t cpu_usage_nsec, cpu_quota_per_sec_usec;
        uint64_t tasks_current, tasks_max;
        uint64_t io_read_bytes, io_write_bytes;
        uint32_t oom_kills;
        double cpu_pressure, memory_pressure, io_pressure;
        char **namespaces;
        CtlNamespaceId *namespace_ids;
        size_t n_namespace_ids;
        char *hostname, *ip_address, *log_path, *status_text;
        char **warnings;
} CtlServiceProps;

/* Frees the fields; p itself is the caller's. */
void ctl_props_done(CtlServiceProps *p);
/* Frees n entries and the array; returns NULL. */
CtlServiceProps *ctl_props_free_array(CtlServiceProps *a, size_t n);

/* Unknown properties are skipped; missing ones keep their defaults
 * (counters UINT64_MAX, pressures -1, strings NULL). */
int ctl_props_parse(sd_bus_message *reply, CtlServiceProps *p);
/* GetAll of one service's object. */
int ctl_props_fetch(sd_bus *bus, const char *path, sd_bus_error *reterr, CtlServiceProps *ret);
/* Every service, in ListServices' order; a service removed between the
 * ListServices and its GetAll is left out. */
int ctl_props_fetch_all(sd_bus *bus, sd_bus_error *reterr, CtlServiceProps **ret, size_t *ret_n);

/* One object with every property under its D-Bus name; UINT64_MAX
 * counters, 0 time stamps and -1 pressures are null. */
json_object *ctl_props_to_json(const CtlServiceProps *p);

/* "web" → "web.service" for display; a name with a suffix stays. */
const char *ctl_props_unit_name(const CtlServiceProps *p, char *buf, size_t size);

struct CtlContext;
/* The read commands' options, --json and -h/--help (which prints usage):
 * 1 to go on, 0 after the help, -EINVAL on a usage error. With takes_names
 * the words after the options are NAMEs (argv[optind...]), else there may
 * be none. */
int ctl_read_args(int argc, char *argv[], struct CtlContext *c, const char *usage, bool takes_names);
