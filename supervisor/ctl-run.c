/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl run [--name N] [-p KEY=VALUE]... [--wait] [--pipe] [-P] -- CMD...
 * A transient service through Manager.RunTransient (spec §4, §5). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-run.h"

#define RUN_HINT "(see corralctl --help)"

static const char *const stdio_keys[3] = {
        "StandardInputFileDescriptor",
        "StandardOutputFileDescriptor",
        "StandardErrorFileDescriptor",
};

static int usage(const char *fmt, const char *arg) {
        fprintf(stderr, "corralctl run: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, " " RUN_HINT "\n");
        return CTL_EXIT_USAGE;
}

/* "KEY=VALUE" with a non-empty KEY; the daemon checks the rest. */
static bool property_well_formed(const char *p) {
        const char *eq = strchr(p, '=');

        return eq && eq != p;
}

static int add_property(RunOptions *o, char *p) {
        char **l;

        if (!property_well_formed(p))
                return usage("-p '%s': expected KEY=VALUE", p);
        l = reallocarray(o->properties, o->n_properties + 2, sizeof(char *));
        if (!l) {
                fprintf(stderr, "corralctl run: out of memory\n");
                return CTL_EXIT_FAILURE;
        }
        o->properties = l;
        o->properties[o->n_properties++] = p;
        o->properties[o->n_properties] = NULL;
        return 0;
}

enum {
        ARG_NAME = 0x100,
        ARG_WAIT,
        ARG_PIPE,
};

/* Returns 0, or an exit code (> 0) to exit with. */
static int parse_argv(int argc, char *argv[], RunOptions *o) {
        static const struct option options[] = {
                { "name",     required_argument, NULL, ARG_NAME },
                { "property", required_argument, NULL, 'p'      },
                { "wait",     no_argument,       NULL, ARG_WAIT },
                { "pipe",     no_argument,       NULL, ARG_PIPE },
                {}
        };
        int c, r;

        opterr = 0;     /* one line of our own instead of getopt's */
        while ((c = getopt_long(argc, argv, "+:p:P", options, NULL)) >= 0)
                switch (c) {
                case ARG_NAME: o->name = optarg; break;
                case ARG_WAIT: o->wait = true; break;
                case ARG_PIPE: o->pipe = true; break;
                case 'P': o->wait = o->pipe = true; break;
                case 'p':
                        r = add_property(o, optarg);
                        if (r != 0)
                                return r;
                        break;
                case ':': return usage("option '%s' needs a value", argv[optind - 1]);
                default: return usage("unknown option '%s'", argv[optind - 1]);
                }
        if (optind >= argc)
                return usage("%s", "missing the command to run: run [OPTIONS] -- CMD [ARG...]");
        o->cmd = argv + optind;
        return 0;
}

static int append_properties(sd_bus_message *m, const RunOptions *o) {
        int r = sd_bus_message_open_container(m, 'a', "(sv)");

        for (size_t i = 0; r >= 0 && i < o->n_properties; i++) {
                const char *eq = strchr(o->properties[i], '=');
                _cleanup_free_ char *key = strndup(o->properties[i], eq - o->properties[i]);

                r = key ? sd_bus_message_append(m, "(sv)", key, "s", eq + 1) : -ENOMEM;
        }
        /* --pipe: our own stdin/stdout/stderr, passed as fds (sd-bus dups them). */
        for (int fd = 0; r >= 0 && o->pipe && fd < 3; fd++)
                r = sd_bus_message_append(m, "(sv)", stdio_keys[fd], "h", fd);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

int run_call_transient(sd_bus *bus, const RunOptions *o, sd_bus_error *reterr, char **ret_path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        char *p;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, CTL_BUS_NAME, CTL_MANAGER_PATH, CTL_MANAGER_IFACE,
                                           "RunTransient");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", o->name ? o->name : "");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, o->cmd);
        if (r >= 0)
                r = append_properties(m, o);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, reterr, &reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

int run_log_call_error(const RunOptions *o, const sd_bus_error *e, int r) {
        if (ctl_bus_report_absent(o->ctl, e, r))
                return CTL_EXIT_FAILURE;
        return ctl_log_bus_error("cannot run the command", e, r);
}

static int run_nowait(sd_bus *bus, const RunOptions *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL, *name = NULL;
        int r;

        r = run_call_transient(bus, o, &e, &path);
        if (r < 0)
                return run_log_call_error(o, &e, r);
        r = sd_bus_path_decode(path, CTL_SERVICE_PATH_PREFIX, &name);
        fprintf(stderr, "Running as unit: %s\n", r > 0 ? name : path);
        return CTL_EXIT_SUCCESS;
}

int ctl_run(int argc, char *argv[], CtlContext *c) {
        RunOptions o = { .ctl = c };
        sd_bus *bus;
        int r;

        /* No Ping first: RunTransient's own error says when corrald is not
         * on the bus, one round trip through the broker and corrald less. */
        r = parse_argv(argc, argv, &o);
        if (r == 0 && ctl_bus_unchecked(c, &bus) < 0)
                r = CTL_EXIT_FAILURE;
        if (r == 0)
                r = o.wait ? run_wait(bus, &o) : run_nowait(bus, &o);
        free(o.properties);
        return r;
}
