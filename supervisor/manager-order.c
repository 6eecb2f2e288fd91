/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager-order.h"
#include "macros.h"
#include "strv.h"

typedef struct Order {
        size_t n;
        char *const *names;
        char **const *after;
        int *color;             /* 0 white, 1 on the stack, 2 done */
        size_t *stack, depth;
        size_t *out, n_out;
        bool *in_cycle;
        char **cycles;
} Order;

static ssize_t find(const Order *o, const char *name) {
        for (size_t i = 0; i < o->n; i++)
                if (streq(o->names[i], name))
                        return (ssize_t) i;
        return -1;
}

/* The stack from v up to the top, then v again. */
static int record_cycle(Order *o, size_t v) {
        size_t from = o->depth;
        size_t len = 0;
        char *line;

        while (from > 0 && o->stack[from - 1] != v)
                from--;
        from = from > 0 ? from - 1 : 0;
        for (size_t i = from; i < o->depth; i++)
                len += strlen(o->names[o->stack[i]]) + 4;
        line = malloc(len + strlen(o->names[v]) + 1);
        if (!line)
                return -ENOMEM;
        line[0] = 0;
        for (size_t i = from; i < o->depth; i++) {
                strcat(line, o->names[o->stack[i]]);
                strcat(line, " -> ");
                o->in_cycle[o->stack[i]] = true;
        }
        strcat(line, o->names[v]);
        return strv_push(&o->cycles, line) < 0 ? (free(line), -ENOMEM) : 0;
}

static int visit(Order *o, size_t u) {
        int r;

        o->color[u] = 1;
        o->stack[o->depth++] = u;
        STRV_FOREACH(a, o->after[u]) {
                ssize_t v = find(o, *a);

                if (v < 0)
                        continue;
                if ((size_t) v == u) {
                        r = record_cycle(o, u);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (o->color[v] == 1) {
                        r = record_cycle(o, (size_t) v);
                        if (r < 0)
                                return r;
                } else if (o->color[v] == 0) {
                        r = visit(o, (size_t) v);
                        if (r < 0)
                                return r;
                }
        }
        o->depth--;
        o->color[u] = 2;
        return 0;
}

/* Kahn's order over the units not on a cycle; an After= of a unit on a
 * cycle is ignored like one of a missing unit (it is not loaded). */
static void emit(Order *o) {
        /* Kahn's order over what is left, by index for ties. */
        for (bool progress = true; progress;) {
                progress = false;
                for (size_t u = 0; u < o->n; u++) {
                        bool ready = o->color[u] != 3 && !o->in_cycle[u];

                        STRV_FOREACH(a, o->after[u]) {
                                ssize_t v = find(o, *a);

                                if (ready && v >= 0 && (size_t) v != u && !o->in_cycle[v] && o->color[v] != 3)
                                        ready = false;
                        }
                        if (ready) {
                                o->color[u] = 3;
                                o->out[o->n_out++] = u;
                                progress = true;
                        }
                }
        }
}

int mgr_order_units(size_t n, char *const *names, char **const *after, size_t **ret_order, size_t *ret_n,
                    bool *in_cycle, char ***ret_cycles) {
        Order o = { .n = n, .names = names, .after = after, .in_cycle = in_cycle };
        int r = 0;

        o.color = calloc(n + 1, sizeof(int));
        o.stack = calloc(n + 1, sizeof(size_t));
        o.out = calloc(n + 1, sizeof(size_t));
        if (!o.color || !o.stack || !o.out)
                r = -ENOMEM;
        memset(in_cycle, 0, n * sizeof(bool));
        for (size_t u = 0; r >= 0 && u < n; u++)
                if (o.color[u] == 0)
                        r = visit(&o, u);
        if (r >= 0)
                emit(&o);
        free(o.color);
        free(o.stack);
        if (r < 0) {
                free(o.out);
                strv_free(o.cycles);
                return r;
        }
        *ret_order = o.out;
        *ret_n = o.n_out;
        *ret_cycles = o.cycles;
        return 0;
}

int mgr_unit_cycles(UnitConfig *const *units, size_t n, bool *in_cycle, char ***ret_cycles) {
        _cleanup_free_ char **names = calloc(n + 1, sizeof(char *));
        _cleanup_free_ char ***after = calloc(n + 1, sizeof(char **));
        _cleanup_free_ size_t *order = NULL;
        size_t n_order = 0;

        if (!names || !after)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                names[i] = units[i]->name;
                after[i] = units[i]->after;
        }
        return mgr_order_units(n, names, after, &order, &n_order, in_cycle, ret_cycles);
}
