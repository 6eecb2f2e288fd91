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

static bool is_unit_file(const char *dir, const char *file) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (asprintf(&p, "%s/%s", dir, file) < 0)
                return false;
        return stat(p, &st) >= 0 && S_ISREG(st.st_mode);
}

/* The last dir holding FILE, or NULL. */
static const char *find_in_dirs(char *const *dirs, const char *file) {
        for (size_t i = strv_length(dirs); i > 0; i--)
                if (is_unit_file(dirs[i - 1], file))
                        return dirs[i - 1];
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

static int collect_dir(Dropin **list, size_t *n, const char *dir, const char *unit, unsigned prio) {
        _cleanup_strv_free_ char **confs = NULL;
        _cleanup_free_ char *d = NULL;
        int r;

        if (asprintf(&d, "%s/%s.service.d", dir, unit) < 0)
                return -ENOMEM;
        r = unit_list_conf_files(d, &confs);
        if (r < 0)
                return r;
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
static int find_dropins(const char *name, const char *template, char *const *dirs, char ***ret) {
        Dropin *list = NULL;
        size_t n = 0, ndirs = strv_length(dirs);
        int r = 0;

        for (size_t i = 0; i < ndirs && r >= 0; i++) {
                if (template)
                        r = collect_dir(&list, &n, dirs[i], template, 2 * i);
                if (r >= 0)
                        r = collect_dir(&list, &n, dirs[i], name, 2 * i + 1);
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
        r = find_dropins(bare, template, dirs, &u->dropin_paths);
        if (r < 0)
                return r;
        r = unit_parse_main_file(&l, u->path);
        if (r < 0 && r != -ENOMEM)
                return r;
        if (r < 0 || (r = unit_apply_dropins(&l, u)) < 0)
                return r;
        return unit_loader_finish(&l, &u, ret);
}

static int add_names_of_dir(const char *dir, char ***names) {
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *name = NULL;

                if (n <= 8 || !streq(de->d_name + n - 8, ".service") || !is_unit_file(dir, de->d_name))
                        continue;
                name = strndup(de->d_name, n - 8);
                if (!name) {
                        r = -ENOMEM;
                        break;
                }
                if (strv_contains(*names, name) || unit_name_normalize(name, NULL) < 0)
                        continue;
                r = strv_push(names, name);
                if (r < 0)
                        break;
                name = NULL;
        }
        closedir(d);
        return r;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int unit_list_names(char *const *dirs, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        STRV_FOREACH(d, dirs) {
                r = add_names_of_dir(*d, &names);
                if (r < 0)
                        return r;
        }
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

static int exec_from_argv(UnitLoader *l, char *const *argv) {
        UnitConfig *u = l->unit;
        ExecCommand c = {};

        c.path = strdup(argv[0]);
        c.argv = strv_copy(argv);
        if (!c.path || !c.argv || array_append(&u->exec_start, &u->n_exec_start, sizeof(c), &c) < 0) {
                free(c.path);
                strv_free(c.argv);
                return -ENOMEM;
        }
        l->sites[unit_key_index(unit_key_lookup(NULL, "ExecStart"))] = (KeySite) { "", 0 };
        return 0;
}

static int apply_property(UnitLoader *l, const char *property) {
        _cleanup_free_ char *key = NULL;
        const char *eq = strchr(property, '=');
        const UnitKey *k;

        if (!eq)
                return diag_add(l->diags, true, NULL, 0, NULL,
                                "\"%s\" is not a KEY=VALUE property", property);
        key = strndup(property, eq - property);
        if (!key)
                return -ENOMEM;
        k = unit_key_lookup(NULL, key);
        if (!k)
                return diag_add(l->diags, true, NULL, 0, key, "not a unit file key");
        return unit_key_apply(l, k, 0, eq + 1);
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
