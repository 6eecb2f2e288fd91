/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"
#include "strv.h"

/* RunTransient (sasa(sv)) -> o. Properties are unit-file assignments: 's'
 * is the value as written in a unit file; for convenience 'as' is one
 * assignment per element (like repeated lines: Environment=, ExecStartPre=),
 * 'b' is yes/no, and 'i' 'u' 'x' 't' are written in decimal, so each means
 * what that text means in a unit file (TimeoutStartSec=5 is 5 s). The three
 * Standard*FileDescriptor properties take 'h' and nothing else. Everything
 * else, and sizes beyond the bounds below, is InvalidArgs naming the
 * property, before the core sees anything. */

#define TRANSIENT_ARGV_MAX 4096
#define TRANSIENT_ARG_MAX 131072        /* the kernel's MAX_ARG_STRLEN */
#define TRANSIENT_PROPERTIES_MAX 1024   /* assignments, after 'as' expansion */
#define TRANSIENT_KEY_MAX 64
#define TRANSIENT_VALUE_MAX 65536

static const char *const stdio_keys[3] = {
        "StandardInputFileDescriptor",
        "StandardOutputFileDescriptor",
        "StandardErrorFileDescriptor",
};

typedef struct TransientArgs {
        char *name;             /* NULL: corral picks run-N */
        char **argv;
        char **properties;      /* "KEY=VALUE" */
        int stdio_fds[3];       /* owned duplicates, -EBADF when not given */
} TransientArgs;

static void transient_args_done(TransientArgs *a) {
        free(a->name);
        strv_free(a->argv);
        strv_free(a->properties);
        for (size_t i = 0; i < 3; i++)
                safe_close(a->stdio_fds[i]);
}

static int invalid(sd_bus_error *error, const char *fmt, const char *arg) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, fmt, arg);
}

static int read_name(sd_bus_message *msg, TransientArgs *a, sd_bus_error *error) {
        const char *name;
        size_t n;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0 || isempty(name))
                return r;
        n = bus_utf8_prefix(name, 80);
        if (unit_name_normalize(name, &a->name) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: '%.*s%s' is not a valid service name", (int) n, name,
                                         name[n] ? "..." : "");
        if (a->name[strlen(a->name) - 1] == '@')
                return invalid(error, "RunTransient: '%s' is a template name; give an instance or a plain name",
                               a->name);
        return 0;
}

static int read_argv(sd_bus_message *msg, TransientArgs *a, sd_bus_error *error) {
        size_t n;
        int r;

        r = sd_bus_message_read_strv(msg, &a->argv);
        if (r < 0)
                return r;
        n = strv_length(a->argv);
        if (n == 0 || isempty(a->argv[0]))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "RunTransient: argv is empty: give the command to run");
        if (n > TRANSIENT_ARGV_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: argv has %zu elements, at most %d", n, TRANSIENT_ARGV_MAX);
        for (size_t i = 0; i < n; i++)
                if (strlen(a->argv[i]) > TRANSIENT_ARG_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "RunTransient: argv[%zu] is longer than %d bytes", i,
                                                 TRANSIENT_ARG_MAX);
        return 0;
}

static int check_key(const char *key, sd_bus_error *error) {
        size_t n = strlen(key), k = bus_utf8_prefix(key, 80);

        if (n == 0 || n > TRANSIENT_KEY_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: property name '%.*s%s' is empty or too long", (int) k, key,
                                         key[k] ? "..." : "");
        for (size_t i = 0; i < n; i++)
                if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
                      (key[i] >= '0' && key[i] <= '9')))
                        return invalid(error, "RunTransient: '%s' is not a property name (letters and digits)", key);
        return 0;
}

static int add_assignment(TransientArgs *a, const char *key, const char *value, sd_bus_error *error) {
        char *s;

        if (strlen(value) > TRANSIENT_VALUE_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: property %s: value longer than %d bytes", key,
                                         TRANSIENT_VALUE_MAX);
        /* One assignment is one line of a unit file. */
        if (strchr(value, '\n'))
                return invalid(error, "RunTransient: property %s: value contains a newline", key);
        if (strv_length(a->properties) >= TRANSIENT_PROPERTIES_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: more than %d property assignments", TRANSIENT_PROPERTIES_MAX);
        if (asprintf(&s, "%s=%s", key, value) < 0)
                return -ENOMEM;
        return strv_push(&a->properties, s) < 0 ? (free(s), -ENOMEM) : 0;
}

static int read_stdio_fd(sd_bus_message *msg, TransientArgs *a, size_t which, const char *contents,
                         sd_bus_error *error) {
        int fd, r;

        if (!streq(contents, "h"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: property %s must have type 'h' (a file descriptor), not '%s'",
                                         stdio_keys[which], contents);
        if (a->stdio_fds[which] >= 0)
                return invalid(error, "RunTransient: property %s given twice", stdio_keys[which]);
        r = sd_bus_message_read(msg, "v", "h", &fd);
        if (r < 0)
                return r;
        /* The message owns fd; ours lives until the core has taken what it needs. */
        a->stdio_fds[which] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (a->stdio_fds[which] < 0)
                return sd_bus_error_set_errnof(error, errno, "RunTransient: property %s: dup: %m", stdio_keys[which]);
        return 0;
}

static int read_value(sd_bus_message *msg, TransientArgs *a, const char *key, const char *contents,
                      sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        const char *s;
        char num[32];
        union {
                int b;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
        } v;
        int r;

        if (streq(contents, "s")) {
                r = sd_bus_message_read(msg, "v", "s", &s);
                return r < 0 ? r : add_assignment(a, key, s, error);
        }
        if (streq(contents, "as")) {
                r = sd_bus_message_enter_container(msg, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(msg, &l);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                STRV_FOREACH(e, l)
                        if (r >= 0)
                                r = add_assignment(a, key, *e, error);
                return r;
        }
        if (strlen(contents) != 1 || !strchr("biuxt", contents[0]))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "RunTransient: property %s: type '%s' is not accepted (use 's' with the "
                                         "value as in a unit file)", key, contents);
        r = sd_bus_message_read(msg, "v", contents, &v);
        if (r < 0)
                return r;
        switch (contents[0]) {
        case 'b': snprintf(num, sizeof(num), "%s", v.b ? "yes" : "no"); break;
        case 'i': snprintf(num, sizeof(num), "%" PRIi32, v.i); break;
        case 'u': snprintf(num, sizeof(num), "%" PRIu32, v.u); break;
        case 'x': snprintf(num, sizeof(num), "%" PRIi64, v.x); break;
        default:  snprintf(num, sizeof(num), "%" PRIu64, v.t); break;
        }
        return add_assignment(a, key, num, error);
}

static int read_property(sd_bus_message *msg, TransientArgs *a, sd_bus_error *error) {
        const char *key, *contents;
        char type;
        int r;

        r = sd_bus_message_read(msg, "s", &key);
        if (r < 0)
                return r;
        r = check_key(key, error);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(msg, &type, &contents);
        if (r < 0)
                return r;
        if (type != 'v')
                return -EINVAL;
        for (size_t i = 0; i < 3; i++)
                if (streq(key, stdio_keys[i]))
                        return read_stdio_fd(msg, a, i, contents, error);
        return read_value(msg, a, key, contents, error);
}

static int read_properties(sd_bus_message *msg, TransientArgs *a, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "(sv)");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_enter_container(msg, 'r', "sv");
                if (r <= 0)
                        break;
                r = read_property(msg, a, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(msg);
}

int bus_method_run_transient(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        TransientArgs a = { .stdio_fds = { -EBADF, -EBADF, -EBADF } };
        CrlError err = {};
        Bus *b = userdata;
        ServiceInfo info;
        Service *s = NULL;
        int r;

        r = bus_check_admin(b, msg, error);
        if (r >= 0)
                r = read_name(msg, &a, error);
        if (r >= 0)
                r = read_argv(msg, &a, error);
        if (r >= 0)
                r = read_properties(msg, &a, error);
        if (r >= 0) {
                r = manager_run_transient(b->manager, a.name, a.argv, a.properties, a.stdio_fds, &s, &err);
                if (r < 0)
                        r = bus_error_from_crl(error, r, &err, "RunTransient");
        }
        if (r >= 0) {
                service_info(s, &info);
                if (!isempty(info.object_path))
                        r = sd_bus_reply_method_return(msg, "o", info.object_path);
                else if ((r = bus_service_object_path(info.name, &path)) >= 0)
                        r = sd_bus_reply_method_return(msg, "o", path);
        }
        transient_args_done(&a);
        return r;
}
