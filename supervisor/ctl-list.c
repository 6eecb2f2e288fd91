/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl list: one row a service (spec §5), in 80 columns. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/param.h>

#include "ctl-props.h"
#include "ctl.h"

enum { COL_NAME, COL_ACTIVE, COL_SUB, COL_PID, COL_MEMORY, COL_CPU, COL_TASKS, COL_ADDRESS, _COL_MAX };

#define LIST_WIDTH 80
#define CELL_MAX 64
#define NAME_MIN 10

static const char *const headers[_COL_MAX] = {
        "NAME", "ACTIVE", "SUB", "PID", "MEMORY", "CPU", "TASKS", "ADDRESS",
};
/* Numbers align right, as in ps and systemctl. */
static const bool right_aligned[_COL_MAX] = {
        [COL_PID] = true, [COL_MEMORY] = true, [COL_CPU] = true, [COL_TASKS] = true,
};

typedef char Row[_COL_MAX][CELL_MAX];

static void format_u64(char cell[static CELL_MAX], uint64_t v) {
        if (v == UINT64_MAX)
                snprintf(cell, CELL_MAX, "-");
        else
                snprintf(cell, CELL_MAX, "%llu", (unsigned long long) v);
}

static void format_row(const CtlServiceProps *p, Row row) {
        char b[CTL_FORMAT_TIMESPAN_MAX];

        snprintf(row[COL_NAME], CELL_MAX, "%s", p->name);
        snprintf(row[COL_ACTIVE], CELL_MAX, "%s", p->active_state);
        snprintf(row[COL_SUB], CELL_MAX, "%s", p->sub_state);
        format_u64(row[COL_PID], p->main_pid > 0 ? p->main_pid : UINT64_MAX);
        snprintf(row[COL_MEMORY], CELL_MAX, "%s", ctl_format_bytes(b, p->memory_current));
        if (p->cpu_usage_nsec == UINT64_MAX)
                snprintf(row[COL_CPU], CELL_MAX, "-");
        else
                snprintf(row[COL_CPU], CELL_MAX, "%s", ctl_format_timespan(b, p->cpu_usage_nsec / 1000));
        format_u64(row[COL_TASKS], p->tasks_current);
        snprintf(row[COL_ADDRESS], CELL_MAX, "%s", isempty(p->ip_address) ? "-" : p->ip_address);
}

/* Each column as wide as its widest cell; then, past 80 columns, NAME
 * shrinks (down to NAME_MIN) and ADDRESS, the last, takes what is left. */
static void fit_widths(Row *rows, size_t n, size_t widths[static _COL_MAX]) {
        size_t total = _COL_MAX - 1;    /* the separating spaces */

        for (size_t c = 0; c < _COL_MAX; c++) {
                widths[c] = 0;
                for (size_t i = 0; i < n; i++)
                        widths[c] = MAX(widths[c], strlen(rows[i][c]));
                total += widths[c];
        }
        if (total > LIST_WIDTH && widths[COL_NAME] > NAME_MIN) {
                size_t cut = MIN(total - LIST_WIDTH, widths[COL_NAME] - NAME_MIN);

                widths[COL_NAME] -= cut;
                total -= cut;
        }
        if (total > LIST_WIDTH)
                widths[COL_ADDRESS] -= MIN(total - LIST_WIDTH, widths[COL_ADDRESS]);
}

static void print_row(Row row, const size_t widths[static _COL_MAX]) {
        char line[LIST_WIDTH + _COL_MAX * CELL_MAX];
        size_t n = 0;

        for (size_t c = 0; c < _COL_MAX; c++) {
                int w = (int) widths[c];
                bool cut = strlen(row[c]) > widths[c] && widths[c] > 0;

                if (cut)        /* a truncated cell ends in '~' */
                        row[c][widths[c] - 1] = '~';
                n += snprintf(line + n, sizeof(line) - n, "%s%*.*s", c ? " " : "",
                              right_aligned[c] ? w : -w, w, row[c]);
        }
        while (n > 0 && line[n - 1] == ' ')
                line[--n] = 0;
        puts(line);
}

static int print_table(const CtlServiceProps *props, size_t n) {
        _cleanup_free_ Row *rows = calloc(n + 1, sizeof(Row));
        size_t widths[_COL_MAX];

        if (!rows)
                return -ENOMEM;
        for (size_t c = 0; c < _COL_MAX; c++)
                snprintf(rows[0][c], CELL_MAX, "%s", headers[c]);
        for (size_t i = 0; i < n; i++)
                format_row(&props[i], rows[i + 1]);
        fit_widths(rows, n + 1, widths);
        for (size_t i = 0; i <= n; i++)
                print_row(rows[i], widths);
        return 0;
}

static json_object *json_u64_or_null(uint64_t v) {
        return v == UINT64_MAX ? NULL : json_object_new_uint64(v);
}

static json_object *list_row_json(const CtlServiceProps *p) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "active", json_object_new_string(p->active_state));
        json_object_object_add(o, "sub", json_object_new_string(p->sub_state));
        json_object_object_add(o, "pid", p->main_pid > 0 ? json_object_new_uint64(p->main_pid) : NULL);
        json_object_object_add(o, "memory", json_u64_or_null(p->memory_current));
        json_object_object_add(o, "cpu_nsec", json_u64_or_null(p->cpu_usage_nsec));
        json_object_object_add(o, "tasks", json_u64_or_null(p->tasks_current));
        json_object_object_add(o, "address",
                               isempty(p->ip_address) ? NULL : json_object_new_string(p->ip_address));
        return o;
}

static int print_json(const CtlServiceProps *props, size_t n) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, list_row_json(&props[i]));
        printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
        return 0;
}

int ctl_list(int argc, char *argv[], CtlContext *c) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        CtlServiceProps *props = NULL;
        sd_bus *bus;
        size_t n = 0;
        int r;

        r = ctl_read_args(argc, argv, c, "Usage: corralctl list [--json]\nOne row a service.\n", false);
        if (r <= 0)
                return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_SUCCESS;
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        r = ctl_props_fetch_all(bus, &error, &props, &n);
        if (r < 0) {
                r = ctl_log_bus_error("list", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        r = c->json ? print_json(props, n) : print_table(props, n);
        ctl_props_free_array(props, n);
        if (r < 0) {
                fprintf(stderr, "corralctl: list: %s\n", strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        return CTL_EXIT_SUCCESS;
}
