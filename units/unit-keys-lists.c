/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keys whose value is a list (an empty assignment resets it) and the
 * [Network] keys. */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value.h"

int array_append(void *arrayp, size_t *n, size_t size, const void *elem) {
        void **a = arrayp;
        uint8_t *b;

        b = realloc(*a, (*n + 1) * size);
        if (!b)
                return -ENOMEM;
        memcpy(b + *n * size, elem, size);
        *a = b;
        (*n)++;
        return 0;
}

static void strv_reset(char ***l) {
        *l = strv_free(*l);
}

/* The entries of list key k collected from the file being parsed (never
 * NULL: the slots cover every key that uses them). */
static StrvBuilder *pending_list(UnitLoader *l, const UnitKey *k) {
        size_t i = 0;

        while (i < ELEMENTSOF(l->lists) && l->lists[i].key && l->lists[i].key != k)
                i++;
        assert(i < ELEMENTSOF(l->lists));
        l->lists[i].key = k;
        return &l->lists[i].items;
}

/* An empty assignment: the list and what this file added are gone. */
static void list_reset(UnitLoader *l, const UnitKey *k) {
        strv_builder_done(pending_list(l, k));
        strv_reset(FIELD(l, k, char **));
}

/* Drop what was added to b since it held n entries (a refused line). */
static void builder_truncate(StrvBuilder *b, size_t n) {
        while (b->n > n)
                free(b->l[--b->n]);
        if (b->l)
                b->l[b->n] = NULL;
}

/* After the entries went to pending_list(): a property has no file end. */
static int list_added(UnitLoader *l) {
        return l->in_file ? 0 : unit_loader_merge_lists(l);
}

int key_documentation(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        StrvBuilder *pending = pending_list(l, k);

        if (!*v) {
                list_reset(l, k);
                return 0;
        }
        if (split_quoted(v, &words, e) < 0)
                return -EINVAL;
        /* As in systemd, a bad link is no reason not to start the service. */
        STRV_FOREACH(w, words) {
                static const char *const schemes[] = { "http://", "https://", "file:", "info:", "man:" };
                bool ok = false;
                int r;

                for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
                        ok = ok || (strneq(*w, schemes[i], strlen(schemes[i])) && (*w)[strlen(schemes[i])]);
                r = ok ? strv_builder_extend(pending, *w)
                       : diag_add(l->diags, false, l->file, l->line, k->name,
                                  "\"%s\" is not a URI (use http://, https://, file:, info: or man:), ignoring", *w);
                if (r < 0)
                        return r;
        }
        return list_added(l);
}

/* The whitespace-separated words of v, as written. */
static int split_words(const char *v, char ***ret) {
        _cleanup_(strv_builder_done) StrvBuilder l = {};

        for (v += strspn(v, " \t\n\r"); *v; v += strspn(v, " \t\n\r")) {
                size_t n = strcspn(v, " \t\n\r");
                char *w = strndup(v, n);

                if (!w || strv_builder_push(&l, w) < 0) {
                        free(w);
                        return -ENOMEM;
                }
                v += n;
        }
        *ret = strv_builder_steal(&l);
        return *ret ? 0 : -ENOMEM;
}

/* NAME.socket, NAME.target, ...: a unit of a type corral does not run. */
static bool is_other_unit_type(const char *w) {
        static const char *const types[] = {
                "socket", "target", "device", "mount", "automount", "swap",
                "timer", "path", "slice", "scope",
        };
        const char *dot = strrchr(w, '.');

        for (size_t i = 0; dot && i < ELEMENTSOF(types); i++)
                if (streq(dot + 1, types[i]))
                        return true;
        return false;
}

/* One warning for the non-services of an assignment, not one per name:
 * After=network.target sysinit.target is one line. */
static int warn_other_types(UnitLoader *l, const UnitKey *k, char *const *others) {
        _cleanup_free_ char *joined = NULL;
        size_t n = strv_length(others), len = 1, pos = 0;

        STRV_FOREACH(o, others)
                len += strlen(*o) + 2;
        joined = malloc(len);
        if (!joined)
                return -ENOMEM;
        STRV_FOREACH(o, others)
                pos += (size_t) sprintf(joined + pos, "%s%s", pos ? ", " : "", *o);
        joined[pos] = 0;
        return diag_add(l->diags, false, l->file, l->line, k->name, "%s %s; corral ignores %s", joined,
                        n == 1 ? "is not a service" : "are not services", n == 1 ? "it" : "them");
}

/* The unit names of the words (others: the non-services), in order. */
static int unit_ref_names(char **words, StrvBuilder *names, StrvBuilder *others, CrlError *e) {
        STRV_FOREACH(w, words) {
                char *n = NULL;
                int r;

                if (is_other_unit_type(*w)) {
                        if (strv_builder_extend(others, *w) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = unit_name_normalize(*w, &n);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return crl_error_set(e, EINVAL,
                                             "\"%s\" is not a unit name (use NAME or NAME.service: 1-64 characters of A-Z a-z 0-9 _ . - : \\ and one @ for instances)",
                                             *w);
                if (strv_builder_push(names, n) < 0) {
                        free(n);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* Names are collected per file and merged without duplicates at its end
 * (unit_loader_merge_refs()): checking each against the list was O(n²). */
int key_unit_refs(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_(strv_builder_done) StrvBuilder others = {};
        _cleanup_strv_free_ char **words = NULL;
        StrvBuilder *pending = pending_list(l, k);
        size_t before = pending->n;
        int r;

        if (!*v) {
                list_reset(l, k);
                return 0;
        }
        /* As systemd: split at whitespace, quotes and backslashes kept, so
         * "foo\\x2dbar" names that unit, not "foo-bar". */
        r = split_words(v, &words);
        if (r >= 0)
                r = unit_ref_names(words, pending, &others, e);
        if (r < 0) {            /* a refused line adds nothing */
                builder_truncate(pending, before);
                return r;
        }
        r = list_added(l);
        return r >= 0 && others.n > 0 ? warn_other_types(l, k, others.l) : r;
}

int unit_loader_merge_lists(UnitLoader *l) {
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(l->lists) && l->lists[i].key; i++) {
                const UnitKey *k = l->lists[i].key;
                char **add;

                if (l->lists[i].items.n == 0) { /* a reset leaves the list NULL, not empty */
                        strv_builder_done(&l->lists[i].items);
                        continue;
                }
                add = strv_builder_steal(&l->lists[i].items);
                if (!add)
                        return -ENOMEM;
                if (k->parse == key_unit_refs)
                        r = strv_merge_unique(FIELD(l, k, char **), add) ?: r;
                else
                        r = strv_append_steal(FIELD(l, k, char **), add) ?: r;
        }
        return r;
}

int key_groups(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        StrvBuilder *pending = pending_list(l, k);

        if (!*v) {
                list_reset(l, k);
                return 0;
        }
        if (split_quoted(v, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words)
                if (parse_user_or_group_name(*w, e) < 0)
                        return -EINVAL;
        STRV_FOREACH(w, words)
                if (strv_builder_extend(pending, *w) < 0)
                        return -ENOMEM;
        return list_added(l);
}

static void exec_reset(ExecCommand **c, size_t *n) {
        for (size_t i = 0; i < *n; i++) {
                free((*c)[i].path);
                strv_free((*c)[i].argv);
        }
        *c = mfree(*c);
        *n = 0;
}

int key_exec(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        ExecCommand **cmds = FIELD(l, k, ExecCommand *);
        size_t *n = FIELD_N(l, k), before = *n;
        int r;

        if (!*v) {
                exec_reset(cmds, n);
                return 0;
        }
        r = parse_command_lines(v, cmds, n, e);
        if (r < 0)
                return r;
        for (size_t i = before; i < *n; i++)
                (*cmds)[i].line = l->line;
        /* systemd keeps an unknown escape as written and warns, each time. */
        for (const char *x = v; r >= 0 && (x = value_find_unknown_escape(v, x)); x += 2)
                r = diag_add(l->diags, false, l->file, l->line, k->name,
                             "ignoring unknown escape sequence \"%.2s\" "
                             "(the backslash is kept as written; write \\\\ for a backslash)", x);
        return r;
}

int key_success_exit_status(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;

        if (!*v) {
                u->success_exit_status = mfree(u->success_exit_status);
                u->success_signals = mfree(u->success_signals);
                u->n_success_exit_status = u->n_success_signals = 0;
                return 0;
        }
        return parse_exit_status_list(v, &u->success_exit_status, &u->n_success_exit_status,
                                      &u->success_signals, &u->n_success_signals, e);
}

int key_environment(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_free_ char **words = NULL;     /* the strings move to the builder */
        size_t i = 0;
        int r;

        if (!*v) {
                strv_builder_done(&l->environment);
                strv_reset(&l->unit->environment);
                return 0;
        }
        if (!l->in_file)        /* a property: no file end to merge at */
                return parse_environment(v, &l->unit->environment, e);
        r = parse_environment_words(v, &words, e);
        while (r >= 0 && words[i] && (r = strv_builder_push(&l->environment, words[i])) >= 0)
                i++;
        for (; words && words[i]; i++)
                free(words[i]);         /* not moved because of ENOMEM */
        return r;
}

int key_environment_file(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        EnvironmentFile f = {};
        int r;

        if (!*v) {
                for (size_t i = 0; i < u->n_environment_files; i++)
                        free(u->environment_files[i].path);
                u->environment_files = mfree(u->environment_files);
                u->n_environment_files = 0;
                return 0;
        }
        f.optional = v[0] == '-';
        if (check_absolute(v + f.optional, e) < 0)
                return -EINVAL;
        f.path = strdup(v + f.optional);
        if (!f.path)
                return -ENOMEM;
        r = array_append(&u->environment_files, &u->n_environment_files, sizeof(f), &f);
        if (r < 0)
                free(f.path);
        return r;
}

int key_bind_paths(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        UnitConfig *u = l->unit;
        int r;

        if (!*v) {
                /* As in systemd: either key's empty assignment clears both. */
                for (size_t i = 0; i < u->n_bind_paths; i++) {
                        free(u->bind_paths[i].source);
                        free(u->bind_paths[i].destination);
                }
                u->bind_paths = mfree(u->bind_paths);
                u->n_bind_paths = 0;
                return 0;
        }
        if (split_bind_paths(v, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                BindMount b = {};

                r = parse_bind_path(*w, k->def, &b, e);
                if (r < 0)
                        return r;
                r = array_append(&u->bind_paths, &u->n_bind_paths, sizeof(b), &b);
                if (r < 0) {
                        free(b.source);
                        free(b.destination);
                        return r;
                }
        }
        return 0;
}

int key_path_specs(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        PathSpec **specs = FIELD(l, k, PathSpec *);
        size_t *n = FIELD_N(l, k);
        int r;

        if (!*v) {
                for (size_t i = 0; i < *n; i++)
                        free((*specs)[i].path);
                *specs = mfree(*specs);
                *n = 0;
                return 0;
        }
        if (split_quoted_full(v, 0, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                PathSpec p = {};

                r = parse_path_spec(*w, &p, e);
                if (r < 0)
                        return r;
                r = array_append(specs, n, sizeof(p), &p);
                if (r < 0) {
                        free(p.path);
                        return r;
                }
        }
        return 0;
}

int key_tmpfs(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        UnitConfig *u = l->unit;
        int r;

        if (!*v) {
                for (size_t i = 0; i < u->n_temporary_file_system; i++) {
                        free(u->temporary_file_system[i].path);
                        free(u->temporary_file_system[i].options);
                }
                u->temporary_file_system = mfree(u->temporary_file_system);
                u->n_temporary_file_system = 0;
                return 0;
        }
        if (split_quoted_full(v, 0, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                TmpfsMount t = {};

                r = parse_tmpfs_spec(*w, &t, e);
                if (r < 0)
                        return r;
                r = array_append(&u->temporary_file_system, &u->n_temporary_file_system, sizeof(t), &t);
                if (r < 0) {
                        free(t.path);
                        free(t.options);
                        return r;
                }
        }
        return 0;
}

/* One assignment to a capability set, as systemd's
 * config_parse_capability_set(): an empty list ("" or a bare "~") replaces
 * the set, with nothing or everything; while the set is at its default
 * (is_default) a list replaces it too, so "~CAP_X" first means all but X;
 * after that lists add, and "~" lists remove. Returns 1 when the result is
 * "everything" from a bare "~" (systemd's "unset"), else 0. */
static int capability_assign(const char *v, bool is_default, uint64_t *set, CrlError *e) {
        bool invert = v[strspn(v, " \t")] == '~';
        uint64_t caps = 0, listed;

        if (*v && parse_capability_set(v, &caps, e) < 0)
                return -EINVAL;
        listed = invert ? ~caps & capability_all_mask() : caps;
        if (listed == 0 || is_default)
                *set = caps;
        else if (invert)
                *set &= caps;
        else
                *set |= caps;
        return invert && listed == 0;
}

int key_bounding_set(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        int r;

        r = capability_assign(v, !u->capability_bounding_set_set, &u->capability_bounding_set, e);
        if (r < 0)
                return r;
        /* A bare "~" is the default again (every capability, none dropped). */
        u->capability_bounding_set_set = r == 0;
        return 0;
}

int key_ambient_caps(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        int r;

        r = capability_assign(v, u->ambient_capabilities == 0, &u->ambient_capabilities, e);
        return r < 0 ? r : 0;
}

int key_io_device(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        IODeviceValue **vals = FIELD(l, k, IODeviceValue *), d = {};
        size_t *n = FIELD_N(l, k);
        int r;

        if (!*v) {
                for (size_t i = 0; i < *n; i++)
                        free((*vals)[i].path);
                *vals = mfree(*vals);
                *n = 0;
                return 0;
        }
        r = parse_io_device_value(v, (IOValueKind) k->def, &d, e);
        if (r < 0)
                return r;
        r = array_append(vals, n, sizeof(d), &d);
        if (r < 0)
                free(d.path);
        return r;
}

/* RFC 1123 labels, as sethostname() and systemd's hostname_is_valid() want. */
static bool hostname_valid(const char *s) {
        size_t label = 0, n = strlen(s);

        if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
                return false;
        for (const char *c = s; *c; c++) {
                if (*c == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '-'))
                        return false;
                if ((*c == '-' && label == 0) || ++label > 63)
                        return false;
        }
        return true;
}

int key_hostname(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        if (*v && !hostname_valid(v))
                return crl_error_set(e, EINVAL,
                                     "\"%s\" is not a host name (use up to 64 characters of letters, digits, '-' and '.')", v);
        return set_string(FIELD(l, k, char *), v);
}

int key_bridge(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        size_t n = strlen(v);

        if (*v && (n > 15 || strpbrk(v, "/: \t") || streq(v, ".") || streq(v, "..")))
                return crl_error_set(e, EINVAL,
                                     "\"%s\" is not an interface name (use 1-15 characters, no '/', ':' or spaces)", v);
        return set_string(FIELD(l, k, char *), v);
}

int key_address(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        NetworkConfig *n = &l->unit->network;
        struct in_addr a;
        uint8_t len;

        if (!*v || streq(v, "auto")) {
                n->address_auto = true;
                return 0;
        }
        if (parse_ipv4_cidr(v, &a, &len, e) < 0)
                return -EINVAL;
        n->address_auto = false;
        n->address = a;
        n->address_prefixlen = len;
        return 0;
}

int key_gateway(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        NetworkConfig *n = &l->unit->network;
        struct in_addr a;

        if (!*v || streq(v, "auto")) {
                n->gateway_auto = true;
                return 0;
        }
        if (parse_ipv4_address(v, &a, e) < 0)
                return -EINVAL;
        n->gateway_auto = false;
        n->gateway = a;
        return 0;
}

int key_port(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        NetworkConfig *n = &l->unit->network;

        if (!*v) {
                n->ports = mfree(n->ports);
                n->n_ports = 0;
                return 0;
        }
        if (split_quoted(v, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                PortForward p;

                if (parse_port_forward(*w, &p, e) < 0)
                        return -EINVAL;
                if (array_append(&n->ports, &n->n_ports, sizeof(p), &p) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* RuntimeDirectory= & co.: names appended (each once); empty resets. */
int key_exec_directory(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        char ***paths = FIELD(l, k, char **);
        int r;

        if (!*v) {
                strv_reset(paths);
                return 0;
        }
        if (split_quoted_full(v, 0, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                _cleanup_free_ char *p = NULL;

                r = parse_exec_directory(*w, &p, e);
                if (r < 0)
                        return r;
                if (strv_contains(*paths, p))
                        continue;
                r = strv_push(paths, p);
                if (r < 0)
                        return r;
                p = NULL;
        }
        return 0;
}

int key_dir_mode(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        mode_t m = (mode_t) k->def;

        if (*v && parse_mode(v, &m, e) < 0)
                return -EINVAL;
        *FIELD(l, k, mode_t) = m;
        return 0;
}

static void credential_done(UnitCredential *c) {
        free(c->id);
        free(c->path);
        free(c->data);
}

/* LoadCredential= (k->def 0) and SetCredential= (1): one entry per ID, a
 * later assignment of the ID replacing it; empty resets. */
int key_credential(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitCredential **list = FIELD(l, k, UnitCredential *), c = {};
        size_t *n = FIELD_N(l, k);
        int r;

        if (!*v) {
                for (size_t i = 0; i < *n; i++)
                        credential_done(&(*list)[i]);
                *list = mfree(*list);
                *n = 0;
                return 0;
        }
        r = k->def ? parse_set_credential(v, &c, e) : parse_load_credential(v, &c, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < *n; i++)
                if (streq((*list)[i].id, c.id)) {
                        credential_done(&(*list)[i]);
                        (*list)[i] = c;
                        return 0;
                }
        r = array_append(list, n, sizeof(c), &c);
        if (r < 0)
                credential_done(&c);
        return r;
}
