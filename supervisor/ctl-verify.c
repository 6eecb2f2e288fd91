/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl verify: offline validation of unit files, no daemon needed. */
#include <getopt.h>
#include <json-c/json.h>
#include <string.h>

#include "ctl-verify.h"
#include "strv.h"

static const char *plural(size_t n) {
        return n == 1 ? "" : "s";
}

static void print_verdict(const char *raw_path, bool valid, size_t ne, size_t nw) {
        _cleanup_free_ char *path = unit_escape_message(raw_path);

        if (!path)
                path = strdup("?");
        if (!path)
                return;
        if (valid && nw == 0)
                printf("%s: valid\n", path);
        else if (valid)
                printf("%s: valid (%zu warning%s)\n", path, nw, plural(nw));
        else
                printf("%s: invalid (%zu error%s, %zu warning%s)\n", path, ne, plural(ne), nw, plural(nw));
}

static json_object *json_strv(char *const *l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(s, l)
                if (a)
                        json_object_array_add(a, json_object_new_string(*s));
        return a;
}

/* {"path": ..., "valid": ..., "errors": [...], "warnings": [...]} */
static int add_json(json_object *files, const char *path, bool valid, const UnitDiagnostics *d) {
        json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "valid", json_object_new_boolean(valid));
        json_object_object_add(o, "errors", json_strv(d->errors));
        json_object_object_add(o, "warnings", json_strv(d->warnings));
        return json_object_array_add(files, o) < 0 ? -ENOMEM : 0;
}

/* Returns 0 valid, 1 invalid, <0 -ENOMEM. With files (--json) the result
 * is added there instead of printed. */
static int verify_one(const char *path, json_object *files) {
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        UnitDiagnostics d = {};
        int r;

        r = unit_load_file(path, &u, &d);
        if (r == -ENOMEM) {
                unit_diagnostics_done(&d);
                return r;
        }
        if (files) {
                if (add_json(files, path, r >= 0, &d) < 0)
                        r = -ENOMEM;
        } else {
                print_diagnostics(stdout, &d);
                /* an unreadable file without a diagnostic still counts as one error */
                print_verdict(path, r >= 0, strv_length(d.errors) ?: (r < 0), strv_length(d.warnings));
        }
        unit_diagnostics_done(&d);
        return r == -ENOMEM ? r : r < 0;
}

static int print_json(json_object *files, bool valid) {
        json_object *root = json_object_new_object();

        if (!root)
                return -ENOMEM;
        json_object_object_add(root, "valid", json_object_new_boolean(valid));
        json_object_object_add(root, "files", json_object_get(files));
        printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
        return 0;
}

static void verify_help(void) {
        printf("Usage: corralctl verify FILE...\n"
               "Check unit files (and their NAME.service.d/*.conf drop-ins) without a daemon.\n"
               "Prints every problem as FILE:LINE: Key: what is wrong, then one verdict per file.\n"
               "With corralctl --json: one JSON document {\"valid\", \"files\": [{\"path\", \"valid\",\n"
               "\"errors\", \"warnings\"}]}.\n"
               "Exit status: 0 all valid (warnings allowed), 1 any error, 2 usage.\n");
}

int ctl_verify(int argc, char *argv[], bool json) {
        json_object *files = NULL;
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c, r, ret = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        verify_help();
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "corralctl verify: no FILE given (see corralctl verify --help)\n");
                return 2;
        }
        if (json && !(files = json_object_new_array()))
                return 1;
        for (int i = optind; i < argc && ret >= 0; i++) {
                r = verify_one(argv[i], files);
                ret = r < 0 ? r : ret | r;
        }
        if (ret >= 0 && files)
                ret = print_json(files, ret == 0) ?: ret;
        json_object_put(files);
        if (ret < 0) {
                fprintf(stderr, "corralctl verify: %s\n", strerror(-ret));
                return 1;
        }
        return ret;
}
