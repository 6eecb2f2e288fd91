/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald --check: load corrald.conf and every unit as the daemon would,
 * print every problem, start nothing. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl-verify.h"
#include "manager-order.h"
#include "strv.h"

typedef struct CheckTally {
        size_t valid, invalid, errors, warnings;
        size_t cyclic;          /* valid alone, but on an After= cycle */
        UnitConfig **units;     /* the valid ones, for the cross-unit checks */
} CheckTally;

static void tally(CheckTally *t, const UnitDiagnostics *d) {
        t->errors += strv_length(d->errors);
        t->warnings += strv_length(d->warnings);
}

/* Returns 0 valid, 1 invalid (*ret is then the defaults), or -ENOMEM. */
static int check_config(FILE *out, const char *config, CheckTally *t, ManagerConfig **ret) {
        UnitDiagnostics d = {};
        int r;

        r = manager_config_load(config, ret, &d);
        print_diagnostics(out, &d);
        tally(t, &d);
        unit_diagnostics_done(&d);
        if (r == -ENOMEM)
                return r;
        fprintf(out, "%s: %s\n", config,
                r < 0 ? "invalid" : (*ret)->path ? "valid" : "absent, using defaults");
        if (r < 0 && manager_config_new(ret) < 0)
                return -ENOMEM;
        return r < 0;
}

/* Requires=/JoinsNamespaceOf= naming a unit that is nowhere: the start will
 * fail, so say it now. */
static int check_references(FILE *out, const UnitConfig *u, char *const *names, CheckTally *t) {
        char **lists[] = { u->requires, u->joins_namespace_of };
        const char *keys[] = { "Requires", "JoinsNamespaceOf" };

        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                STRV_FOREACH(n, lists[i]) {
                        _cleanup_free_ char *template = NULL;
                        const char *at = strchr(*n, '@');

                        if (at && at[1])
                                template = strndup(*n, at - *n + 1);
                        if (strv_contains(names, *n) || (template && strv_contains(names, template)))
                                continue;
                        fprintf(out, "%s: %s: no unit %s.service in the units directories; its start will fail\n",
                                u->path, keys[i], *n);
                        t->warnings++;
                }
        return 0;
}

static int check_unit(FILE *out, const char *name, char *const *dirs, char *const *names, CheckTally *t) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        UnitConfig **list;
        UnitDiagnostics d = {};
        int r;

        r = unit_load(name, dirs, &u, &d);
        print_diagnostics(out, &d);
        tally(t, &d);
        unit_diagnostics_done(&d);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                t->invalid++;
                fprintf(out, "%s: invalid, will not be started\n", name);
                return 0;
        }
        r = check_references(out, u, names, t);
        if (r < 0)
                return r;
        list = reallocarray(t->units, t->valid + 1, sizeof(UnitConfig *));
        if (!list)
                return -ENOMEM;
        t->units = list;
        t->units[t->valid++] = TAKE_PTR(u);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* NAME.service files whose NAME is not a unit name: unit_list_names()
 * skips them, so the daemon would never start them; say so (sorted, so
 * the output does not depend on the directory's order). */
static void check_file_names(FILE *out, const char *dir, CheckTally *t) {
        _cleanup_strv_free_ char **bad = NULL;
        DIR *d = opendir(dir);

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *name = NULL;

                if (n <= 8 || !streq(de->d_name + n - 8, ".service"))
                        continue;
                name = strndup(de->d_name, n - 8);
                if (name && unit_name_normalize(name, NULL) == -EINVAL && strv_push(&bad, name) >= 0)
                        name = NULL;
        }
        closedir(d);
        if (bad)
                qsort(bad, strv_length(bad), sizeof(char *), compare_strings);
        STRV_FOREACH(b, bad) {
                fprintf(out, "%s/%s.service: \"%s\" is not a valid unit name (use 1-64 characters of A-Z a-z 0-9 _ . -, "
                        "not starting with . or -, and one @ for templates), will not be started\n",
                        dir, *b, *b);
                t->errors++;
                t->invalid++;
        }
}

static void check_dirs(FILE *out, char *const *dirs, CheckTally *t) {
        STRV_FOREACH(d, dirs) {
                struct stat st;

                if (stat(*d, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        fprintf(out, "%s: not a directory, ignoring\n", *d);
                        t->warnings++;
                        continue;
                }
                check_file_names(out, *d, t);
        }
}

static void tally_done(CheckTally *t) {
        for (size_t i = 0; i < t->valid && t->units; i++)
                unit_config_free(t->units[i]);
        free(t->units);
}

static int check_units(FILE *out, char *const *dirs, CheckTally *t) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = unit_list_names(dirs, &names);
        if (r < 0) {
                fprintf(out, "cannot list units: %s\n", strerror(-r));
                return r;
        }
        STRV_FOREACH(n, names) {
                r = check_unit(out, *n, dirs, names, t);
                if (r < 0) {
                        fprintf(out, "%s: %s\n", *n, strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* After= cycles: the daemon refuses to load the units on them. */
static int check_cycles(FILE *out, CheckTally *t) {
        _cleanup_free_ char **names = calloc(t->valid + 1, sizeof(char *));
        _cleanup_free_ char ***after = calloc(t->valid + 1, sizeof(char **));
        _cleanup_free_ bool *in_cycle = calloc(t->valid + 1, sizeof(bool));
        _cleanup_free_ size_t *order = NULL;
        _cleanup_strv_free_ char **cycles = NULL;
        size_t n_order = 0;
        int r;

        if (!names || !after || !in_cycle)
                return -ENOMEM;
        for (size_t i = 0; i < t->valid; i++) {
                names[i] = t->units[i]->name;
                after[i] = t->units[i]->after;
        }
        r = mgr_order_units(t->valid, names, after, &order, &n_order, in_cycle, &cycles);
        if (r < 0)
                return r;
        STRV_FOREACH(c, cycles) {
                fprintf(out, "ordering cycle: %s (After=); these units will not be loaded\n", *c);
                t->errors++;
        }
        for (size_t i = 0; i < t->valid; i++)
                if (in_cycle[i])
                        t->cyclic++;
        return (int) strv_length(cycles);
}

int daemon_check(FILE *out, const char *config, char *const *dirs) {
        _cleanup_(manager_config_freep) ManagerConfig *m = NULL;
        CheckTally t = {};
        int r, bad;

        bad = check_config(out, config, &t, &m);
        if (bad < 0)
                return 1;
        check_dirs(out, dirs, &t);
        r = check_units(out, dirs, &t);
        if (r >= 0)
                t.warnings += check_network(out, m, t.units, t.valid);
        if (r >= 0 && check_cycles(out, &t) > 0)
                bad = 1;
        tally_done(&t);
        if (r < 0)
                return 1;
        fprintf(out, "%zu unit%s: %zu valid, %zu invalid; %zu error%s, %zu warning%s\n",
                t.valid + t.invalid, t.valid + t.invalid == 1 ? "" : "s", t.valid - t.cyclic, t.invalid + t.cyclic,
                t.errors, t.errors == 1 ? "" : "s", t.warnings, t.warnings == 1 ? "" : "s");
        return bad || t.invalid > 0 ? 1 : 0;
}
