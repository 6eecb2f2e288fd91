/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl status: a systemctl-style block a service (spec §5). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl-props.h"
#include "ctl.h"
#include "strv.h"

#define LOG_LINES 10
/* Enough for 10 lines of any sane log; a longer line is cut at its start. */
#define LOG_TAIL_BYTES (64 * 1024)

#define ANSI_GREEN "\033[0;1;32m"
#define ANSI_RED "\033[0;1;31m"
#define ANSI_NORMAL "\033[0m"

/* Split buf into lines and keep the last n; from a window that starts
 * inside the file (cut) the first, partial, line is dropped. */
static int split_tail(char *buf, bool cut, size_t n, char ***ret) {
        StrvBuilder b = {};
        char **all, *line = buf, *nl;
        size_t total;

        if (cut)
                line = (nl = strchr(buf, '\n')) ? nl + 1 : buf + strlen(buf);
        for (; *line; line = *nl ? nl + 1 : nl) {
                char *l;

                nl = strchrnul(line, '\n');
                l = strndup(line, (size_t) (nl - line));
                if (!l || strv_builder_push(&b, l) < 0) {
                        free(l);
                        strv_builder_done(&b);
                        return -ENOMEM;
                }
        }
        all = strv_builder_steal(&b);
        if (!all)
                return -ENOMEM;
        total = strv_length(all);
        if (total > n) {
                for (size_t i = 0; i < total - n; i++)
                        free(all[i]);
                memmove(all, all + (total - n), (n + 1) * sizeof(char *));
        }
        *ret = all;
        return 0;
}

/* The last n lines of the file at path; an unreadable or missing file is
 * an empty list (the log may not exist yet, or not be ours to read). */
static int log_tail(const char *path, size_t n, char ***ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        off_t offset;
        ssize_t k;

        *ret = NULL;
        if (!isempty(path))
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        buf = malloc(LOG_TAIL_BYTES + 1);
        if (!buf)
                return -ENOMEM;
        offset = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
        k = pread(fd, buf, LOG_TAIL_BYTES, offset);
        if (k <= 0)
                return 0;
        buf[k] = 0;
        return split_tail(buf, offset > 0, n, ret);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);     /* cannot fail for CLOCK_REALTIME */
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static bool is_up(const CtlServiceProps *p) {
        return !streq(p->active_state, "inactive") && !streq(p->active_state, "failed");
}

/* "active (running) since Sun 2026-12-06 02:12:47 UTC; 3min ago", or for an
 * ended service "failed (Result: exit-code) since ...", from the time it
 * entered its current side (active or inactive). */
static void print_active(const CtlServiceProps *p) {
        uint64_t ts = is_up(p) ? p->active_enter_timestamp : p->inactive_enter_timestamp, now = now_usec();
        char when[CTL_FORMAT_TIMESTAMP_MAX], ago[CTL_FORMAT_TIMESPAN_MAX];
        bool bad_result = !isempty(p->result) && !streq(p->result, "success");

        printf("%12s %s", "Active:", p->active_state);
        if (streq(p->active_state, "failed"))
                printf(" (Result: %s)", p->result);
        else if (bad_result)
                printf(" (%s, Result: %s)", p->sub_state, p->result);
        else
                printf(" (%s)", p->sub_state);
        if (streq(p->freezer_state, "frozen"))
                printf(" (frozen)");
        /* activating and deactivating: ActiveEnterTimestamp is not when they began */
        if (ts > 0 && (streq(p->active_state, "active") || !is_up(p))) {
                printf(" since %s", ctl_format_timestamp(when, ts));
                if (now >= ts)
                        printf("; %s ago", ctl_format_timespan(ago, now - ts));
        }
        printf("\n");
}

/* The main process, or how the last one ended when Result says which of
 * exit code and signal ExecMainStatus is (a clean stop's SIGTERM is
 * "success" and says nothing). */
static void print_main_pid(const CtlServiceProps *p) {
        const char *how = NULL;

        if (p->main_pid > 0) {
                printf("%12s %" PRIu32 "\n", "Main PID:", p->main_pid);
                return;
        }
        if (is_up(p))
                return;
        if (streq(p->result, "exit-code"))
                how = "code=exited, status";
        else if (streq(p->result, "signal"))
                how = "code=killed, signal";
        else if (streq(p->result, "core-dump"))
                how = "code=dumped, signal";
        if (how)
                printf("%12s (%s=%" PRIi32 ")\n", "Main PID:", how, p->exec_main_status);
}

static void print_tasks(const CtlServiceProps *p) {
        if (p->tasks_current == UINT64_MAX && p->tasks_max == UINT64_MAX)
                return;
        printf("%12s ", "Tasks:");
        if (p->tasks_current == UINT64_MAX)
                printf("-");
        else
                printf("%" PRIu64, p->tasks_current);
        if (p->tasks_max != UINT64_MAX)
                printf(" (limit: %" PRIu64 ")", p->tasks_max);
        printf("\n");
}

/* "Memory: 12.3M (high: 48.0M, max: 64.0M, peak: 13.0M)": what is known. */
static void print_memory(const CtlServiceProps *p) {
        const struct { const char *label; uint64_t v; } extra[] = {
                { "high", p->memory_high }, { "max", p->memory_max }, { "peak", p->memory_peak },
        };
        char b[CTL_FORMAT_BYTES_MAX];
        size_t shown = 0;

        if (p->memory_current == UINT64_MAX && p->memory_max == UINT64_MAX && p->memory_peak == UINT64_MAX)
                return;
        printf("%12s %s", "Memory:", ctl_format_bytes(b, p->memory_current));
        for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                if (extra[i].v == UINT64_MAX)
                        continue;
                printf("%s%s: %s", shown++ ? ", " : " (", extra[i].label, ctl_format_bytes(b, extra[i].v));
        }
        printf("%s\n", shown ? ")" : "");
}

static void print_list(const char *label, char **l, const char *sep) {
        if (strv_length(l) == 0)
                return;
        printf("%12s", label);
        STRV_FOREACH(s, l)
                printf("%s%s", s == l ? " " : sep, *s);
        printf("\n");
}

static void print_resources(const CtlServiceProps *p) {
        char b[CTL_FORMAT_TIMESPAN_MAX];

        print_tasks(p);
        print_memory(p);
        if (p->cpu_usage_nsec != UINT64_MAX)
                printf("%12s %s\n", "CPU:", ctl_format_timespan(b, p->cpu_usage_nsec / 1000));
        if (!isempty(p->ip_address))
                printf("%12s %s\n", "IP:", p->ip_address);
        print_list("Namespaces:", p->namespaces, " ");
        print_list("Warnings:", p->warnings, "\n             ");
}

/* Text a service wrote (its log, STATUS=): control characters as \xNN, so
 * that it cannot move the cursor or retitle the terminal of whoever runs
 * status (journalctl escapes them too). */
static void print_untrusted(const char *s) {
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;

                if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                        printf("\\x%02x", ch);
                else
                        putchar(ch);
        }
}

static const char *dot_color(const CtlServiceProps *p) {
        if (streq(p->active_state, "active"))
                return ANSI_GREEN;
        if (streq(p->active_state, "failed"))
                return ANSI_RED;
        return "";
}

static void print_block(const CtlServiceProps *p, char **log, bool color) {
        char unit[256];

        /* Off a TTY the dot stays, uncoloured, as systemctl prints it. */
        printf("%s\u25cf%s %s", color ? dot_color(p) : "", color ? ANSI_NORMAL : "",
               ctl_props_unit_name(p, unit, sizeof(unit)));
        if (isempty(p->description))
                printf("\n");
        else
                printf(" - %s\n", p->description);
        printf("%12s %s\n", "Loaded:", isempty(p->unit_path) ? "transient" : p->unit_path);
        print_active(p);
        print_main_pid(p);
        if (!isempty(p->status_text)) {
                printf("%12s \"", "Status:");
                print_untrusted(p->status_text);
                printf("\"\n");
        }
        print_resources(p);
        if (strv_length(log) > 0) {
                printf("\n");
                STRV_FOREACH(l, log) {
                        print_untrusted(*l);
                        printf("\n");
                }
        }
}

/* The services named, in order; a missing one is reported and skipped.
 * Returns the exit code so far: 4 for a missing one, 1 for a failed call
 * (the rest is not fetched). */
static int fetch_named(sd_bus *bus, char **names, CtlServiceProps *props, size_t *ret_n) {
        int rc = CTL_EXIT_SUCCESS;
        size_t n = 0;

        STRV_FOREACH(name, names) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *path = NULL;
                int r;

                r = ctl_service_path(bus, *name, &error, &path);
                if (r >= 0)
                        r = ctl_props_fetch(bus, path, &error, &props[n]);
                if (r >= 0)
                        n++;
                else if (sd_bus_error_has_names(&error, CTL_ERROR_NO_SUCH_SERVICE,
                                                "org.freedesktop.DBus.Error.UnknownObject")) {
                        fprintf(stderr, "corralctl: no such service '%s'\n", *name);
                        rc = CTL_EXIT_NO_SUCH_SERVICE;
                } else {
                        *ret_n = n;
                        (void) ctl_log_bus_error(*name, &error, r);     /* not NoSuchService: 1 */
                        sd_bus_error_free(&error);
                        return CTL_EXIT_FAILURE;
                }
                sd_bus_error_free(&error);
        }
        *ret_n = n;
        return rc;
}

static int print_json(const CtlServiceProps *props, char ***logs, size_t n) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = ctl_props_to_json(&props[i]), *lines = json_object_new_array();

                STRV_FOREACH(l, logs[i])
                        json_object_array_add(lines, json_object_new_string(*l));
                json_object_object_add(o, "LogLines", lines);
                json_object_array_add(a, o);
        }
        printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
        return 0;
}

static int print_all(const CtlServiceProps *props, size_t n, bool json) {
        char ***logs = calloc(n + 1, sizeof(char **));
        bool color = ctl_use_color(STDOUT_FILENO);
        int r = logs ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = log_tail(props[i].log_path, LOG_LINES, &logs[i]);
        if (r >= 0 && json)
                r = print_json(props, logs, n);
        for (size_t i = 0; r >= 0 && !json && i < n; i++) {
                if (i > 0)
                        printf("\n");
                print_block(&props[i], logs[i], color);
        }
        for (size_t i = 0; logs && i < n; i++)
                strv_free(logs[i]);
        free(logs);
        return r;
}

/* 4 (from fetching) wins over 3: a named service that is not active. */
static int exit_code(int rc, const CtlServiceProps *props, size_t n, bool named) {
        if (rc != CTL_EXIT_SUCCESS || !named)
                return rc;
        for (size_t i = 0; i < n; i++)
                if (!streq(props[i].active_state, "active"))
                        return CTL_EXIT_NOT_ACTIVE;
        return CTL_EXIT_SUCCESS;
}

static int fetch(sd_bus *bus, char **names, CtlServiceProps **ret, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (strv_length(names) > 0) {
                *ret = calloc(strv_length(names) + 1, sizeof(CtlServiceProps));
                if (!*ret)
                        return CTL_EXIT_FAILURE;
                return fetch_named(bus, names, *ret, ret_n);
        }
        r = ctl_props_fetch_all(bus, &error, ret, ret_n);
        if (r < 0) {
                r = ctl_log_bus_error("status", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        return CTL_EXIT_SUCCESS;
}

int ctl_status(int argc, char *argv[], CtlContext *c) {
        CtlServiceProps *props = NULL;
        char **names;
        sd_bus *bus;
        size_t n = 0;
        int r, rc;

        r = ctl_read_args(argc, argv, c, "Usage: corralctl status [--json] [NAME...]\n"
                                 "Show services (every one without NAME). Exit status 3 when a\n"
                                 "named one is not active, 4 when one does not exist.\n", true);
        if (r <= 0)
                return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_SUCCESS;
        names = argv + optind;
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        rc = fetch(bus, names, &props, &n);
        if (rc != CTL_EXIT_FAILURE) {
                r = print_all(props, n, c->json);
                if (r < 0) {
                        fprintf(stderr, "corralctl: status: %s\n", strerror(-r));
                        rc = CTL_EXIT_FAILURE;
                }
        }
        rc = exit_code(rc, props, n, !!*names);
        ctl_props_free_array(props, n);
        return rc;
}
