/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Units by name from the units directories (later directories win), their
 * drop-ins, the list of names, and units made from properties. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value.h"

/* The last dir holding an entry FILE (whatever it is: a masked, dangling
 * or non-regular entry in a later dir hides the earlier ones, and loading
 * it says what it is), or NULL. */
static const char *find_in_dirs(char *const *dirs, const char *file) {
        for (size_t i = strv_length(dirs); i > 0; i--) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (asprintf(&p, "%s/%s", dirs[i - 1], file) < 0)
                        return NULL;
                if (lstat(p, &st) >= 0)
                        return dirs[i - 1];
        }
        return NULL;
}

/* NAME.service, or for an instance without its own file, the template's. */
static int find_unit_file(const char *name, const char *template, char *const *dirs, char **ret) {
        _cleanup_free_ char *file = NULL;
        const char *dir;

        if (asprintf(&file, "%s.service", name) < 0)
                return -ENOMEM;
        dir = find_in_dirs(dirs, file);
        if (!dir && template) {
                free(file);
                if (asprintf(&file, "%s.service", template) < 0) {
                        file = NULL;
                        return -ENOMEM;
                }
                dir = find_in_dirs(dirs, file);
        }
        if (!dir)
                return -ENOENT;
        return asprintf(ret, "%s/%s", dir, file) < 0 ? -ENOMEM : 0;
}

typedef struct Dropin {
        char *base, *path;
        unsigned prio;
} Dropin;

static int compare_dropins(const void *a, const void *b) {
        const Dropin *x = a, *y = b;
        int c = strcmp(x->base, y->base);

        return c != 0 ? c : (x->prio > y->prio) - (x->prio < y->prio);
}

static int collect_dir(Dropin **list, size_t *n, const char *dir, const char *unit, unsigned prio,
                       UnitDiagnostics *diags) {
        _cleanup_strv_free_ char **confs = NULL;
        _cleanup_free_ char *d = NULL;
        int r;

        if (asprintf(&d, "%s/%s.service.d", dir, unit) < 0)
                return -ENOMEM;
        r = unit_list_conf_files(d, &confs);
        if (r == -ENOMEM)
                return r;
        if (r < 0)      /* the unit is refused: a drop-in may confine it */
                return diag_add(diags, true, d, 0, NULL, "cannot read the drop-in directory: %s", strerror(-r));
        STRV_FOREACH(c, confs) {
                Dropin x = { strdup(*c), NULL, prio };

                if (!x.base || asprintf(&x.path, "%s/%s", d, *c) < 0 ||
                    array_append(list, n, sizeof(x), &x) < 0) {
                        free(x.base);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* Drop-ins of the template and of the unit itself from every dir, sorted by
 * file name; for one file name the later dir wins, and within a dir the
 * instance's own beats the template's. */
static int find_dropins(const char *name, const char *template, char *const *dirs, char ***ret,
                        UnitDiagnostics *diags) {
        Dropin *list = NULL;
        size_t n = 0, ndirs = strv_length(dirs);
        int r = 0;

        for (size_t i = 0; i < ndirs && r >= 0; i++) {
                if (template)
                        r = collect_dir(&list, &n, dirs[i], template, 2 * i, diags);
                if (r >= 0)
                        r = collect_dir(&list, &n, dirs[i], name, 2 * i + 1, diags);
        }
        if (n > 0)
                qsort(list, n, sizeof(Dropin), compare_dropins);
        for (size_t i = 0; i < n; i++) {
                bool shadowed = i + 1 < n && streq(list[i].base, list[i + 1].base);

                if (r >= 0 && !shadowed) {
                        r = strv_push(ret, list[i].path);
                        if (r >= 0)
                                list[i].path = NULL;
                }
                free(list[i].base);
                free(list[i].path);
        }
        free(list);
        return r;
}

static int template_of(const char *name, char **ret) {
        const char *at = strchr(name, '@');

        *ret = NULL;
        if (!at || !at[1])
                return 0;
        *ret = strndup(name, at - name + 1);
        return *ret ? 0 : -ENOMEM;
}

int unit_load(const char *name, char *const *dirs, UnitConfig **ret, UnitDiagnostics *diags) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        _cleanup_free_ char *bare = NULL, *template = NULL, *path = NULL;
        _cleanup_(unit_names_done) UnitNames names = {};
        UnitLoader l;
        int r;

        r = unit_name_normalize(name, &bare);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(diags, true, NULL, 0, NULL, "\"%s\" is not a valid unit name", name) ?: -EINVAL;
        r = template_of(bare, &template);
        if (r >= 0)
                r = find_unit_file(bare, template, dirs, &path);
        if (r == -ENOENT)
                return diag_add(diags, true, NULL, 0, NULL, "%s.service: no such unit file in the units directories",
                                bare) ?: -ENOENT;
        if (r < 0)
                return r;
        r = unit_loader_init(&l, &u, bare, &names, diags);
        if (r < 0)
                return r;
        u->path = TAKE_PTR(path);
        r = find_dropins(bare, template, dirs, &u->dropin_paths, diags);
        if (r < 0)
                return r;
        r = unit_parse_main_file(&l, u->path);
        if (r < 0 && r != -ENOMEM)
                return r;
        if (r < 0 || (r = unit_apply_dropins(&l, u)) < 0)
                return r;
        return unit_loader_finish(&l, &u, ret);
}

/* "web" for ".../web.service", NULL when BASE is not NAME.service. */
static char *service_name_of(const char *path) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);

        if (n <= 8 || !streq(base + n - 8, ".service"))
                return NULL;
        return strndup(base, n - 8);
}

/* What the link E->path resolves to: the unit itself, an alias of another
 * unit (systemd's name for a link to a unit file of another name), masked,
 * dangling or a loop. Returns 0 or -ENOMEM. */
static int classify_link(UnitFileEntry *e) {
        _cleanup_free_ char *real = NULL, *target = NULL;
        const char *at;

        real = realpath(e->path, NULL);
        if (!real) {
                if (errno == ENOMEM)
                        return -ENOMEM;
                e->kind = errno == ELOOP ? UNIT_FILE_LOOP : UNIT_FILE_DANGLING;
                e->error = errno;
                return 0;
        }
        target = service_name_of(real);
        at = strchr(e->name, '@');
        /* worker@3.service -> worker@.service makes the instance; a link
         * to a file of no unit name is the unit (systemctl link). */
        if (!target || streq(target, e->name) ||
            (at && at[1] && strneq(target, e->name, at - e->name + 1) && !target[at - e->name + 1]))
                return 0;
        e->kind = UNIT_FILE_ALIAS;
        e->target = TAKE_PTR(target);
        return 0;
}

static int classify(UnitFileEntry *e) {
        struct stat st;

        if (unit_name_normalize(e->name, NULL) < 0) {
                e->kind = UNIT_FILE_BAD_NAME;
                return 0;
        }
        if (lstat(e->path, &st) < 0) {
                e->kind = UNIT_FILE_DANGLING;
                e->error = errno;
                return 0;
        }
        if (S_ISLNK(st.st_mode)) {
                int r = classify_link(e);

                if (r < 0 || e->kind != UNIT_FILE_UNIT)
                        return r;
        }
        if (stat(e->path, &st) < 0) {
                e->kind = errno == ELOOP ? UNIT_FILE_LOOP : UNIT_FILE_DANGLING;
                e->error = errno;
        } else if (stat_is_null_or_empty(&st))
                e->kind = UNIT_FILE_MASKED;
        else if (!S_ISREG(st.st_mode)) {
                e->kind = UNIT_FILE_NOT_REGULAR;
                e->mode = st.st_mode & S_IFMT;
        }
        return 0;
}

static int scan_dir(const char *dir, UnitFileEntry **list, size_t *n) {
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d)) && r >= 0; ) {
                UnitFileEntry e = { .kind = UNIT_FILE_UNIT };

                if (de->d_name[0] == '.')
                        continue;
                e.name = service_name_of(de->d_name);
                if (!e.name)
                        continue;
                if (asprintf(&e.path, "%s/%s", dir, de->d_name) < 0)
                        e.path = NULL;
                r = e.path ? classify(&e) : -ENOMEM;
                if (r >= 0)
                        r = array_append(list, n, sizeof(e), &e);
                if (r < 0) {
                        free(e.name);
                        free(e.path);
                        free(e.target);
                }
        }
        closedir(d);
        return r;
}

static int compare_entries(const void *a, const void *b) {
        const UnitFileEntry *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c != 0 ? c : (x->dir_index > y->dir_index) - (x->dir_index < y->dir_index);
}

UnitFileEntry *unit_file_entries_free(UnitFileEntry *e, size_t n) {
        for (size_t i = 0; e && i < n; i++) {
                free(e[i].name);
                free(e[i].path);
                free(e[i].target);
        }
        free(e);
        return NULL;
}

int unit_dirs_scan(char *const *dirs, UnitFileEntry **ret, size_t *ret_n) {
        UnitFileEntry *list = NULL;
        size_t n = 0;

        for (size_t i = 0; dirs && dirs[i]; i++) {
                size_t first = n;
                int r = scan_dir(dirs[i], &list, &n);

                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0) {
                        unit_file_entries_free(list, n);
                        return r;
                }
                for (size_t j = first; j < n; j++)
                        list[j].dir_index = i;
        }
        if (n > 0)
                qsort(list, n, sizeof(UnitFileEntry), compare_entries);
        /* Sorted by name, then dir: for one name the last dir wins. */
        for (size_t i = 0; i + 1 < n; i++)
                list[i].shadowed = streq(list[i].name, list[i + 1].name);
        *ret = list;
        *ret_n = n;
        return 0;
}

int unit_list_names(char *const *dirs, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        UnitFileEntry *list;
        size_t n;
        int r;

        r = unit_dirs_scan(dirs, &list, &n);
        if (r < 0)
                return r;
        /* Aliases are their unit's second name, not a second service;
         * masked, broken and misnamed entries are no unit. */
        for (size_t i = 0; i < n && r >= 0; i++)
                if (!list[i].shadowed && list[i].kind == UNIT_FILE_UNIT)
                        r = strv_extend(&names, list[i].name);
        unit_file_entries_free(list, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(names);
        return 0;
}

static int exec_from_argv(UnitLoader *l, char *const *argv) {
        UnitConfig *u = l->unit;
        ExecCommand c = {};
        CrlError e = {};
        int r;

        r = exec_command_from_argv(argv, &c, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(l->diags, true, NULL, 0, "ExecStart", "%s", e.message);
        if (array_append(&u->exec_start, &u->n_exec_start, sizeof(c), &c) < 0) {
                free(c.path);
                strv_free(c.argv);
                return -ENOMEM;
        }
        l->sites[unit_key_index(unit_key_lookup(NULL, "ExecStart"))] = (KeySite) { "", 0 };
        return 0;
}

static int apply_property(UnitLoader *l, const char *property) {
        _cleanup_free_ char *key = NULL, *value = NULL;
        const char *bad = utf8_first_invalid(property), *reason = NULL;
        const UnitKey *k;
        int r;

        if (bad)
                return diag_add(l->diags, true, NULL, 0, NULL, "a property is not valid UTF-8 (byte 0x%02x at column %zu)",
                                (unsigned char) *bad, (size_t) (bad - property) + 1);
        r = unit_property_split(property, &key, &value, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(l->diags, true, NULL, 0, key, "\"%s\" %s", property, reason);
        k = unit_key_lookup(NULL, key);
        if (!k)
                return diag_add(l->diags, true, NULL, 0, key, "not a unit file key");
        return unit_key_apply(l, k, 0, value);
}

int unit_config_from_properties(const char *name, char *const *argv, char *const *properties,
                                UnitConfig **ret, UnitDiagnostics *diags) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        _cleanup_(unit_names_done) UnitNames names = {};
        _cleanup_free_ char *bare = NULL;
        UnitLoader l;
        int r;

        r = unit_name_normalize(name, &bare);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || bare[strlen(bare) - 1] == '@')
                return diag_add(diags, true, NULL, 0, NULL, "\"%s\" is not a valid service name", name) ?: -EINVAL;
        r = unit_loader_init(&l, &u, bare, &names, diags);
        if (r < 0)
                return r;
        if (argv && argv[0] && (r = exec_from_argv(&l, argv)) < 0)
                return r;
        STRV_FOREACH(p, properties) {
                r = apply_property(&l, *p);
                if (r < 0)
                        return r;
        }
        return unit_loader_finish(&l, &u, ret);
}
