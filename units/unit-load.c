/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding unit files, their drop-ins and templates, and turning them into a
 * validated UnitConfig. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fileio.h"
#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value.h"

static bool on_section(IniParser *p, const char *section, void *userdata) {
        UnitLoader *l = userdata;

        if (streq(section, "Service") && !l->service_section.file)
                l->service_section = (KeySite) { l->file, p->line };
        return unit_section_known(section);
}

static int unknown_key(UnitLoader *l, unsigned line, const char *section, const char *key) {
        const UnitKey *s = unit_key_suggest(section, key);

        if (s && streq(s->name, key))
                return diag_add(l->diags, false, l->file, line, key,
                                "belongs in [%s], not [%s], ignoring", s->section, section);
        if (s)
                return diag_add(l->diags, false, l->file, line, key,
                                "unknown key in [%s] (did you mean %s=?), ignoring", section, s->name);
        return diag_add(l->diags, false, l->file, line, key,
                        "unknown key in [%s], ignoring", section);
}

static int on_assignment(IniParser *p, const char *section, const char *key,
                         const char *value, void *userdata) {
        UnitLoader *l = userdata;
        const UnitKey *k;

        /* [Install] is systemd's, accepted so a unit can be copied whole;
         * X- keys are for other tools, as in systemd. */
        if (streq(section, "Install") || strneq(key, "X-", 2))
                return 0;
        k = unit_key_lookup(section, key);
        if (!k)
                return unknown_key(l, p->line, section, key);
        return unit_key_apply(l, k, p->line, value);
}

static const IniCallbacks unit_callbacks = {
        .section_known = on_section,
        .assignment = on_assignment,
};

int unit_parse_text(UnitLoader *l, const char *file, const char *text) {
        char **env;
        int r;

        l->file = file;
        l->in_file = true;
        r = ini_parse_text(file, text, &unit_callbacks, l, l->diags);
        l->in_file = false;
        r = unit_loader_merge_lists(l) ?: r;
        env = strv_builder_steal(&l->environment);
        if (!env)
                return -ENOMEM;
        return environment_merge(&l->unit->environment, env) ?: r;
}

bool stat_is_null_or_empty(const struct stat *st) {
        return (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3)) ||
               (S_ISREG(st->st_mode) && st->st_size == 0);
}

int unit_read_text(UnitDiagnostics *diags, const char *path, const char *what, char **ret) {
        _cleanup_free_ char *text = NULL;
        struct stat st = {};
        size_t size;
        int r;

        r = read_regular_file_at(AT_FDCWD, path, &text, &size, &st);
        if (r == -EBADFD && stat_is_null_or_empty(&st)) {
                *ret = NULL;
                return 1;
        }
        if (r == -EBADFD)
                return diag_add(diags, true, path, 0, NULL, "is %s, not a regular file; refusing to read it",
                                file_type_name(st.st_mode)) ?: r;
        if (r < 0)
                return diag_add(diags, true, path, 0, NULL, "cannot read: %s", strerror(-r)) ?: r;
        /* The reader stops at a NUL: every later line would be dropped. */
        if (strlen(text) != size)
                return diag_add(diags, true, path, 0, NULL,
                                "contains a NUL byte; %s is text (is this the right file?)", what) ?: -EINVAL;
        if (size == 0) {
                *ret = NULL;
                return 1;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

int unit_parse_file(UnitLoader *l, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = unit_read_text(l->diags, path, "a unit file", &text);
        if (r != 0)
                return r;
        return unit_parse_text(l, path, text);
}

/* The unit's own file: masked (/dev/null or empty, as in systemd) means
 * there is no unit to load. */
int unit_parse_main_file(UnitLoader *l, const char *path) {
        int r = unit_parse_file(l, path);

        if (r == 1)
                return diag_add(l->diags, true, path, 0, NULL,
                                "is masked (a link to /dev/null or an empty file), not loading it") ?: -ERFKILL;
        return r;
}

void unit_names_done(UnitNames *n) {
        free(n->full);
        free(n->name);
        free(n->prefix);
}

/* The instance a template checked as itself is given (systemd-analyze
 * verify's), so values using %i are checked as in an instance. */
#define TEMPLATE_INSTANCE "i"

static int unit_names_init(UnitNames *n, const char *name) {
        const char *at = strchr(name, '@');

        *n = (UnitNames) {};
        if (asprintf(&n->name, "%s%s", name, at && !at[1] ? TEMPLATE_INSTANCE : "") < 0) {
                n->name = NULL;
                return -ENOMEM;
        }
        if (asprintf(&n->full, "%s.service", n->name) < 0) {
                n->full = NULL;
                return -ENOMEM;
        }
        n->prefix = strndup(name, at ? (size_t) (at - name) : strlen(name));
        if (!n->prefix)
                return -ENOMEM;
        n->instance = at ? strchr(n->name, '@') + 1 : "";
        return 0;
}

int unit_loader_init(UnitLoader *l, UnitConfig **u, const char *name, UnitNames *names,
                       UnitDiagnostics *diags) {
        const char *at = strchr(name, '@');
        int r;

        r = unit_config_new(name, u);
        if (r < 0)
                return r;
        r = unit_names_init(names, name);
        if (r < 0)
                return r;
        (*u)->is_template = at && !at[1];
        if (at && at[1]) {
                (*u)->instance = strdup(at + 1);
                if (!(*u)->instance)
                        return -ENOMEM;
        }
        *l = (UnitLoader) {
                .unit = *u,
                .diags = diags,
                .spec = { names->full, names->name, names->prefix, names->instance, at != NULL, &(*u)->path },
                .errors_before = unit_diag_n_errors(diags),
                .warnings_before = diags ? diags->n_warnings : 0,
        };
        return 0;
}

size_t unit_diag_n_errors(const UnitDiagnostics *d) {
        return d ? d->n_errors : 0;
}

static int record_site(const UnitLoader *l, const char *key, char **ret) {
        const KeySite *s = unit_loader_site(l, key);

        if (isempty(s->file))
                return 0;
        return asprintf(ret, "%s:%u", s->file, s->line) < 0 ? -ENOMEM : 0;
}

/* Validate, and hand out the unit only when nothing was wrong with it. */
int unit_loader_finish(UnitLoader *l, UnitConfig **u, UnitConfig **ret) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        r = unit_validate(l);
        if (r >= 0)
                r = record_site(l, "Requires", &(*u)->requires_site);
        if (r >= 0)
                r = record_site(l, "JoinsNamespaceOf", &(*u)->joins_namespace_of_site);
        if (r < 0)
                return r;
        if ((*u)->path && (r = strv_extend(&files, (*u)->path)) < 0)
                return r;
        STRV_FOREACH(p, (*u)->dropin_paths)
                if ((r = strv_extend(&files, *p)) < 0)
                        return r;
        r = diag_sort(l->diags, l->errors_before, l->warnings_before, files);
        if (r < 0)
                return r;
        if (unit_diag_n_errors(l->diags) > l->errors_before)
                return -EINVAL;
        *ret = TAKE_PTR(*u);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.conf names in DIR, sorted. A missing DIR has none. */
int unit_list_conf_files(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                *ret = NULL;
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t n = strlen(de->d_name);

                if (de->d_name[0] == '.' || n < 6 || !streq(de->d_name + n - 5, ".conf"))
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_strings);
        *ret = TAKE_PTR(names);
        return 0;
}

int unit_apply_dropins(UnitLoader *l, UnitConfig *u) {
        STRV_FOREACH(p, u->dropin_paths) {
                /* A masked or unreadable drop-in is reported (or, masked, is
                 * nothing); the unit goes on to show every problem. */
                int r = unit_parse_file(l, *p);

                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

int unit_load_file(const char *path, UnitConfig **ret, UnitDiagnostics *diags) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        _cleanup_strv_free_ char **confs = NULL;
        _cleanup_free_ char *name = NULL, *dropin_dir = NULL;
        _cleanup_(unit_names_done) UnitNames names = {};
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);
        UnitLoader l;
        int r;

        if (n <= 8 || !streq(base + n - 8, ".service"))
                return diag_add(diags, true, path, 0, NULL,
                                "not a unit file name (use NAME.service or NAME@.service)") ?: -EINVAL;
        name = strndup(base, n - 8);
        if (!name)
                return -ENOMEM;
        r = unit_name_normalize(name, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(diags, true, path, 0, NULL,
                                "\"%s\" is not a valid unit name (use 1-64 characters of A-Z a-z 0-9 _ . - : \\, not starting with . or -, and one @ for templates)",
                                name) ?: -EINVAL;
        r = unit_loader_init(&l, &u, name, &names, diags);
        if (r < 0)
                return r;
        u->path = strdup(path);
        if (!u->path || asprintf(&dropin_dir, "%s.d", path) < 0)
                return -ENOMEM;
        r = unit_list_conf_files(dropin_dir, &confs);
        if (r == -ENOMEM)
                return r;
        /* The unit is refused (a drop-in may confine it), after its file is checked. */
        if (r < 0 && (r = diag_add(diags, true, dropin_dir, 0, NULL, "cannot read the drop-in directory: %s",
                                   strerror(-r))) < 0)
                return r;
        STRV_FOREACH(c, confs) {
                char *p;

                if (asprintf(&p, "%s/%s", dropin_dir, *c) < 0 || strv_push(&u->dropin_paths, p) < 0)
                        return -ENOMEM;
        }
        r = unit_parse_main_file(&l, u->path);
        if (r < 0 && r != -ENOMEM)
                return r;
        if (r < 0 || (r = unit_apply_dropins(&l, u)) < 0)
                return r;
        return unit_loader_finish(&l, &u, ret);
}

int unit_load_text(const char *name, const char *file, const char *text,
                   UnitConfig **ret, UnitDiagnostics *diags) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        _cleanup_(unit_names_done) UnitNames names = {};
        UnitLoader l;
        int r;

        r = unit_loader_init(&l, &u, name, &names, diags);
        if (r < 0)
                return r;
        u->path = strdup(file);
        if (!u->path)
                return -ENOMEM;
        r = unit_parse_text(&l, u->path, text);
        if (r < 0)
                return r;
        return unit_loader_finish(&l, &u, ret);
}
