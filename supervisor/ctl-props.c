/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl: all properties of a service from one Properties.GetAll. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl-props.h"
#include "ctl.h"
#include "strv.h"

typedef enum PropType {
        PROP_STRING,
        PROP_U32,
        PROP_I32,
        PROP_U64,
        PROP_TIMESTAMP, /* t; 0 is "never" */
        PROP_DOUBLE,    /* d; -1 is "no PSI" */
        PROP_STRV,
        PROP_NS_IDS,    /* a(st) */
} PropType;

static const char *const prop_signature[] = {
        [PROP_STRING] = "s", [PROP_U32] = "u", [PROP_I32] = "i", [PROP_U64] = "t",
        [PROP_TIMESTAMP] = "t", [PROP_DOUBLE] = "d", [PROP_STRV] = "as", [PROP_NS_IDS] = "a(st)",
};

#define P(n, t, f) { n, t, offsetof(CtlServiceProps, f) }
static const struct {
        const char *name;
        PropType type;
        size_t offset;
} prop_table[] = {
        P("Name", PROP_STRING, name),
        P("Description", PROP_STRING, description),
        P("UnitPath", PROP_STRING, unit_path),
        P("ActiveState", PROP_STRING, active_state),
        P("SubState", PROP_STRING, sub_state),
        P("FreezerState", PROP_STRING, freezer_state),
        P("Result", PROP_STRING, result),
        P("MainPID", PROP_U32, main_pid),
        P("ExecMainStatus", PROP_I32, exec_main_status),
        P("NRestarts", PROP_U32, n_restarts),
        P("ActiveEnterTimestamp", PROP_TIMESTAMP, active_enter_timestamp),
        P("InactiveEnterTimestamp", PROP_TIMESTAMP, inactive_enter_timestamp),
        P("CgroupPath", PROP_STRING, cgroup_path),
        P("MemoryCurrent", PROP_U64, memory_current),
        P("MemoryPeak", PROP_U64, memory_peak),
        P("MemoryMax", PROP_U64, memory_max),
        P("MemoryHigh", PROP_U64, memory_high),
        P("CPUUsageNSec", PROP_U64, cpu_usage_nsec),
        P("CPUQuotaPerSecUSec", PROP_U64, cpu_quota_per_sec_usec),
        P("TasksCurrent", PROP_U64, tasks_current),
        P("TasksMax", PROP_U64, tasks_max),
        P("IOReadBytes", PROP_U64, io_read_bytes),
        P("IOWriteBytes", PROP_U64, io_write_bytes),
        P("OOMKills", PROP_U32, oom_kills),
        P("CPUPressure", PROP_DOUBLE, cpu_pressure),
        P("MemoryPressure", PROP_DOUBLE, memory_pressure),
        P("IOPressure", PROP_DOUBLE, io_pressure),
        P("Namespaces", PROP_STRV, namespaces),
        P("NamespaceIds", PROP_NS_IDS, namespace_ids),
        P("Hostname", PROP_STRING, hostname),
        P("IPAddress", PROP_STRING, ip_address),
        P("LogPath", PROP_STRING, log_path),
        P("StatusText", PROP_STRING, status_text),
        P("Warnings", PROP_STRV, warnings),
};
#undef P

#define FIELD(p, i, type) ((type *) ((char *) (p) + prop_table[i].offset))
#define CFIELD(p, i, type) ((const __typeof__(type) *) ((const char *) (p) + prop_table[i].offset))

static void props_init(CtlServiceProps *p) {
        *p = (CtlServiceProps) {};
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++)
                if (prop_table[i].type == PROP_U64)
                        *FIELD(p, i, uint64_t) = UINT64_MAX;
                else if (prop_table[i].type == PROP_DOUBLE)
                        *FIELD(p, i, double) = -1;
}

void ctl_props_done(CtlServiceProps *p) {
        if (!p)
                return;
        free(p->path);
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++)
                if (prop_table[i].type == PROP_STRING)
                        free(*FIELD(p, i, char *));
                else if (prop_table[i].type == PROP_STRV)
                        strv_free(*FIELD(p, i, char **));
        for (size_t i = 0; i < p->n_namespace_ids; i++)
                free(p->namespace_ids[i].type);
        free(p->namespace_ids);
        props_init(p);
}

CtlServiceProps *ctl_props_free_array(CtlServiceProps *a, size_t n) {
        for (size_t i = 0; a && i < n; i++)
                ctl_props_done(&a[i]);
        free(a);
        return NULL;
}

static int read_strv(sd_bus_message *m, char ***ret) {
        char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        strv_free(*ret);
        *ret = l;
        return 0;
}

static int read_ns_ids(sd_bus_message *m, CtlServiceProps *p) {
        const char *type;
        uint64_t inode;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(st)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(st)", &type, &inode)) > 0) {
                CtlNamespaceId *a = reallocarray(p->namespace_ids, p->n_namespace_ids + 1, sizeof(*a));
                char *t = strdup(type);

                if (a)
                        p->namespace_ids = a;
                if (!a || !t) {
                        free(t);
                        return -ENOMEM;
                }
                a[p->n_namespace_ids++] = (CtlNamespaceId) { .type = t, .inode = inode };
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_string(sd_bus_message *m, char **field) {
        const char *s;
        char *copy;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int read_value(sd_bus_message *m, CtlServiceProps *p, size_t i) {
        switch (prop_table[i].type) {
        case PROP_STRING:
                return read_string(m, FIELD(p, i, char *));
        case PROP_U32:
                return sd_bus_message_read_basic(m, 'u', FIELD(p, i, uint32_t));
        case PROP_I32:
                return sd_bus_message_read_basic(m, 'i', FIELD(p, i, int32_t));
        case PROP_U64:
        case PROP_TIMESTAMP:
                return sd_bus_message_read_basic(m, 't', FIELD(p, i, uint64_t));
        case PROP_DOUBLE:
                return sd_bus_message_read_basic(m, 'd', FIELD(p, i, double));
        case PROP_STRV:
                return read_strv(m, FIELD(p, i, char **));
        case PROP_NS_IDS:
                return read_ns_ids(m, p);
        }
        return -EINVAL;
}

static ssize_t prop_index(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++)
                if (streq(prop_table[i].name, name))
                        return (ssize_t) i;
        return -ENOENT;
}

/* One {sv} entry: a known name with the expected type is read, anything
 * else skipped, so a newer corrald's extra properties do no harm. */
static int read_entry(sd_bus_message *m, CtlServiceProps *p) {
        const char *name, *contents;
        ssize_t i;
        int r;

        r = sd_bus_message_read_basic(m, 's', &name);
        if (r < 0)
                return r;
        i = prop_index(name);
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (i < 0 || !streq(contents, prop_signature[prop_table[i].type]))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r >= 0)
                r = read_value(m, p, (size_t) i);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int ctl_props_parse(sd_bus_message *reply, CtlServiceProps *p) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = read_entry(reply, p);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* Strings a corrald did not send read as "", so callers need no NULL checks. */
static int fill_empty_strings(CtlServiceProps *p) {
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++) {
                char **f = FIELD(p, i, char *);

                if (prop_table[i].type != PROP_STRING || *f)
                        continue;
                *f = strdup("");
                if (!*f)
                        return -ENOMEM;
        }
        return 0;
}

static int props_from_reply(sd_bus_message *reply, const char *path, CtlServiceProps *ret) {
        CtlServiceProps p;
        int r;

        props_init(&p);
        p.path = strdup(path);
        r = p.path ? ctl_props_parse(reply, &p) : -ENOMEM;
        if (r >= 0)
                r = fill_empty_strings(&p);
        if (r < 0) {
                ctl_props_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int ctl_props_fetch(sd_bus *bus, const char *path, sd_bus_error *reterr, CtlServiceProps *ret) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, CTL_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               reterr, &reply, "s", CTL_SERVICE_IFACE);
        if (r < 0)
                return r;
        r = props_from_reply(reply, path, ret);
        sd_bus_message_unref(reply);
        return r;
}

/* dbus-daemon answers LimitsExceeded past max_replies_per_connection
 * pending calls of one connection (128 on a default system bus). */
#define MAX_IN_FLIGHT 64

/* One GetAll. */
typedef struct Pending {
        CtlServiceProps *props; /* borrowed: where the reply goes */
        const char *path;       /* borrowed */
        size_t *n_done;         /* borrowed: the batch's count of answered calls */
        sd_bus_slot *slot;      /* owned */
        sd_bus_error error;
        int r;
        bool gone;
} Pending;

static int on_get_all(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) ret_error;
        (*p->n_done)++;
        if (!e) {
                p->r = props_from_reply(m, p->path, p->props);
                return 0;
        }
        /* Gone since ListServices (a transient whose result was read). */
        if (sd_bus_error_has_names(e, "org.freedesktop.DBus.Error.UnknownObject",
                                   "org.freedesktop.DBus.Error.UnknownInterface", CTL_ERROR_NO_SUCH_SERVICE)) {
                p->gone = true;
                return 0;
        }
        p->r = sd_bus_error_copy(&p->error, e);
        return 0;
}

static int list_paths(sd_bus *bus, sd_bus_error *reterr, char ***ret) {
        sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        const char *name, *active, *sub, *path;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(bus, CTL_BUS_NAME, CTL_MANAGER_PATH, CTL_MANAGER_IFACE, "ListServices",
                               reterr, &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sssuo)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssuo)", &name, &active, &sub, &pid, &path)) > 0)
                r = strv_extend(&paths, path);
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        *ret = paths ? TAKE_PTR(paths) : calloc(1, sizeof(char *));
        return *ret ? 0 : -ENOMEM;
}

static int send_one(sd_bus *bus, Pending *p) {
        return sd_bus_call_method_async(bus, &p->slot, CTL_BUS_NAME, p->path, "org.freedesktop.DBus.Properties",
                                        "GetAll", on_get_all, p, "s", CTL_SERVICE_IFACE);
}

/* Send the calls, at most MAX_IN_FLIGHT unanswered at a time, and process
 * replies until each has its answer (or the bus's default timeout):
 * sd_bus_wait() blocks in poll(), no polling. */
static int run_calls(sd_bus *bus, Pending *pending, size_t n) {
        size_t sent = 0, done = 0;
        int r;

        for (size_t i = 0; i < n; i++)
                pending[i].n_done = &done;
        while (done < n) {
                for (; sent < n && sent - done < MAX_IN_FLIGHT; sent++) {
                        r = send_one(bus, &pending[sent]);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        return 0;
}

/* The first error, or drop the gone ones keeping ListServices' order. */
static int collect(Pending *pending, size_t n, CtlServiceProps *props, sd_bus_error *reterr, size_t *ret_n) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (pending[i].r < 0) {
                        (void) sd_bus_error_copy(reterr, &pending[i].error);
                        return pending[i].r;
                }
        for (size_t i = 0; i < n; i++)
                if (pending[i].gone)
                        ctl_props_done(&props[i]);
                else
                        props[k++] = props[i];
        for (size_t i = k; i < n; i++)
                props_init(&props[i]);  /* moved, not freed */
        *ret_n = k;
        return 0;
}

static void pending_free(Pending *pending, size_t n) {
        for (size_t i = 0; pending && i < n; i++) {
                sd_bus_slot_unref(pending[i].slot);
                sd_bus_error_free(&pending[i].error);
        }
        free(pending);
}

int ctl_props_fetch_all(sd_bus *bus, sd_bus_error *reterr, CtlServiceProps **ret, size_t *ret_n) {
        _cleanup_strv_free_ char **paths = NULL;
        CtlServiceProps *props = NULL;
        Pending *pending = NULL;
        size_t n, k = 0;
        int r;

        r = list_paths(bus, reterr, &paths);
        if (r < 0)
                return r;
        n = strv_length(paths);
        props = calloc(n + 1, sizeof(*props));
        pending = calloc(n + 1, sizeof(*pending));
        if (!props || !pending)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                props_init(&props[i]);
                pending[i] = (Pending) { .props = &props[i], .path = paths[i], .error = SD_BUS_ERROR_NULL };
        }
        if (r >= 0)
                r = run_calls(bus, pending, n);
        if (r >= 0)
                r = collect(pending, n, props, reterr, &k);
        pending_free(pending, n);
        if (r < 0) {
                ctl_props_free_array(props, n);
                return r;
        }
        *ret = props;
        *ret_n = k;
        return 0;
}

static json_object *json_strv(char *const *l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

static json_object *json_ns_ids(const CtlServiceProps *p) {
        json_object *o = json_object_new_object();

        for (size_t i = 0; o && i < p->n_namespace_ids; i++)
                json_object_object_add(o, p->namespace_ids[i].type,
                                       json_object_new_uint64(p->namespace_ids[i].inode));
        return o;
}

static json_object *json_value(const CtlServiceProps *p, size_t i) {
        uint64_t t;
        double d;

        switch (prop_table[i].type) {
        case PROP_STRING:
                return json_object_new_string(*CFIELD(p, i, char *));
        case PROP_U32:
                return json_object_new_uint64(*CFIELD(p, i, uint32_t));
        case PROP_I32:
                return json_object_new_int(*CFIELD(p, i, int32_t));
        case PROP_U64:
                t = *CFIELD(p, i, uint64_t);
                return t == UINT64_MAX ? NULL : json_object_new_uint64(t);
        case PROP_TIMESTAMP:
                t = *CFIELD(p, i, uint64_t);
                return t == 0 ? NULL : json_object_new_uint64(t);
        case PROP_DOUBLE:
                d = *CFIELD(p, i, double);
                return d < 0 ? NULL : json_object_new_double(d);
        case PROP_STRV:
                return json_strv(*CFIELD(p, i, char **));
        case PROP_NS_IDS:
                return json_ns_ids(p);
        }
        return NULL;
}

json_object *ctl_props_to_json(const CtlServiceProps *p) {
        json_object *o = json_object_new_object();

        for (size_t i = 0; o && i < ELEMENTSOF(prop_table); i++)
                json_object_object_add(o, prop_table[i].name, json_value(p, i));
        return o;
}

const char *ctl_props_unit_name(const CtlServiceProps *p, char *buf, size_t size) {
        if (strchr(p->name, '.'))
                snprintf(buf, size, "%s", p->name);
        else
                snprintf(buf, size, "%s.service", p->name);
        return buf;
}

int ctl_read_args(int argc, char *argv[], CtlContext *c, const char *usage, bool takes_names) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },
                {}
        };
        int o;

        while ((o = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (o) {
                case 'h':
                        fputs(usage, stdout);
                        return 0;
                case 'j':
                        c->json = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (!takes_names && optind < argc) {
                fprintf(stderr, "corralctl: %s takes no arguments\n", argv[0]);
                return -EINVAL;
        }
        return 1;
}
