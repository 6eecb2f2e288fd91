/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the units/ loader tests: a scratch directory of unit files. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "unit.h"

static inline char *scratch_dir(void) {
        char t[] = "/tmp/corral-units-test.XXXXXX";
        char *d = mkdtemp(t);

        assert_non_null(d);
        return strdup(d);
}

/* Write DIR/NAME (NAME may contain one subdirectory, e.g. "x.service.d/a.conf"). */
static inline void scratch_write(const char *dir, const char *name, const char *text) {
        char path[4096];
        const char *slash = strrchr(name, '/');
        FILE *f;

        if (slash) {
                snprintf(path, sizeof(path), "%s/%.*s", dir, (int) (slash - name), name);
                (void) mkdir(path, 0755); /* may exist already */
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static inline int scratch_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static inline void scratch_remove(char *dir) {
        (void) nftw(dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS); /* best effort */
        free(dir);
}

/* Load DIR/FILE by path; returns the unit or NULL, diagnostics in *d. */
static inline UnitConfig *load_text(const char *dir, const char *file, const char *text, UnitDiagnostics *d) {
        char path[4096];
        UnitConfig *u = NULL;

        scratch_write(dir, file, text);
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        (void) unit_load_file(path, &u, d);
        return u;
}

/* Diagnostics with the scratch dir prefix removed, for exact comparison. */
static inline const char *strip_dir(const char *msg, const char *dir) {
        size_t n = strlen(dir);

        return strneq(msg, dir, n) && msg[n] == '/' ? msg + n + 1 : msg;
}
