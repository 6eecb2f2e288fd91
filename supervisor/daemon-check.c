/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald --check: load corrald.conf and every unit as the daemon would,
 * print every problem, start nothing. */
#include <assert.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl-verify.h"
#include "fileio.h"
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
        const char *sites[] = { u->requires_site, u->joins_namespace_of_site };

        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                STRV_FOREACH(n, lists[i]) {
                        _cleanup_free_ char *template = NULL;
                        const char *at = strchr(*n, '@');

                        if (at && at[1])
                                template = strndup(*n, at - *n + 1);
                        if (strv_contains(names, *n) || (template && strv_contains(names, template)))
                                continue;
                        fprintf(out, "%s: %s: no unit %s.service in the units directories; its start will fail\n",
                                sites[i] ?: u->path, keys[i], *n);
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

/* One line for an entry of a units directory that is no unit the daemon
 * would start, or nothing. Returns 1 when it counts as an invalid unit. */
static int check_entry(FILE *out, const UnitFileEntry *raw, char *const *names, CheckTally *t) {
        _cleanup_free_ char *path = unit_escape_message(raw->path), *name = unit_escape_message(raw->name);
        _cleanup_free_ char *alias_of = raw->target ? unit_escape_message(raw->target) : NULL, *to = NULL;
        UnitFileEntry esc = *raw, *e = &esc;
        char target[PATH_MAX];
        ssize_t n;

        if (!path || !name || (raw->target && !alias_of))
                return -ENOMEM;
        /* Names and paths as in every other message: controls escaped. */
        esc.path = path;
        esc.name = name;
        esc.target = alias_of;

        switch (e->kind) {
        case UNIT_FILE_UNIT:
                return 0;
        case UNIT_FILE_ALIAS:
                /* One service with two names: checked once, as its unit. */
                if (strv_contains(names, raw->target))
                        return 0;
                fprintf(out, "%s:0: an alias of %s.service, which is no unit in the units directories, ignoring\n",
                        e->path, e->target);
                t->warnings++;
                return 0;
        case UNIT_FILE_MASKED:
                fprintf(out, "%s: masked (%s is a link to /dev/null or an empty file), will not be started\n",
                        e->name, e->path);
                return 0;
        case UNIT_FILE_DANGLING:
                n = readlink(raw->path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = 0;
                to = unit_escape_message(n > 0 ? target : "?");
                if (!to)
                        return -ENOMEM;
                fprintf(out, "%s:0: a symbolic link to %s, which does not exist (%s), will not be started\n",
                        e->path, to, strerror(e->error));
                break;
        case UNIT_FILE_LOOP:
                fprintf(out, "%s:0: symbolic links that loop (%s), will not be started\n", e->path, strerror(e->error));
                break;
        case UNIT_FILE_NOT_REGULAR:
                fprintf(out, "%s:0: is %s, not a regular file, will not be started\n", e->path, file_type_name(e->mode));
                break;
        case UNIT_FILE_BAD_NAME:
                fprintf(out, "%s:0: \"%s\" is not a valid unit name (use 1-64 characters of A-Z a-z 0-9 _ . - : \\, "
                        "not starting with . or -, and one @ for templates), will not be started\n",
                        e->path, e->name);
                break;
        default:
                assert(!"unknown UnitFileKind");
        }
        t->errors++;
        t->invalid++;
        return 1;
}

/* Every directory must exist: a mistyped --units would check nothing.
 * Returns the number of missing ones. */
static size_t check_dirs(FILE *out, char *const *dirs, CheckTally *t) {
        size_t bad = 0;

        STRV_FOREACH(d, dirs) {
                const char *why = NULL;
                struct stat st;

                if (stat(*d, &st) < 0)
                        why = strerror(errno);
                else if (!S_ISDIR(st.st_mode))
                        why = "not a directory";
                if (why) {
                        _cleanup_free_ char *dir = unit_escape_message(*d);

                        fprintf(out, "%s: %s; no units can be read from it\n", dir ?: "?", why);
                        t->errors++;
                        bad++;
                }
        }
        return bad;
}

static void tally_done(CheckTally *t) {
        for (size_t i = 0; i < t->valid && t->units; i++)
                unit_config_free(t->units[i]);
        free(t->units);
}

/* Names a reference may use: the units and their aliases. */
static int reference_names(const UnitFileEntry *list, size_t n, char *const *names, char ***ret) {
        _cleanup_strv_free_ char **all = strv_copy(names);

        if (names && !all)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!list[i].shadowed && list[i].kind == UNIT_FILE_ALIAS && strv_contains(names, list[i].target) &&
                    strv_extend(&all, list[i].name) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(all);
        return 0;
}

static int check_units(FILE *out, char *const *dirs, CheckTally *t) {
        _cleanup_strv_free_ char **names = NULL, **refs = NULL;
        UnitFileEntry *list = NULL;
        size_t n = 0;
        int r;

        r = unit_dirs_scan(dirs, &list, &n);
        if (r >= 0)
                r = unit_list_names(dirs, &names);
        if (r >= 0)
                r = reference_names(list, n, names, &refs);
        if (r < 0) {
                unit_file_entries_free(list, n);
                fprintf(out, "cannot list units: %s\n", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n && r >= 0; i++)
                if (!list[i].shadowed)
                        r = check_entry(out, &list[i], names, t);
        unit_file_entries_free(list, n);
        if (r < 0)
                return r;
        STRV_FOREACH(u, names) {
                r = check_unit(out, *u, dirs, refs, t);
                if (r < 0) {
                        fprintf(out, "%s: %s\n", *u, strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* After= cycles: the daemon refuses to load the units on them. */
static int check_cycles(FILE *out, CheckTally *t) {
        _cleanup_free_ bool *in_cycle = calloc(t->valid + 1, sizeof(bool));
        _cleanup_strv_free_ char **cycles = NULL;
        int r;

        if (!in_cycle)
                return -ENOMEM;
        r = mgr_unit_cycles(t->units, t->valid, in_cycle, &cycles);
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
        if (check_dirs(out, dirs, &t) > 0)
                bad = 1;
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
