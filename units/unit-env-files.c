/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EnvironmentFile= read when a command starts (systemd.exec(5)): each entry
 * a file or a glob pattern, read in order, later assignments winning. */
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "macros.h"
#include "strv.h"
#include "unit-value.h"

/* One file into *env. Messages without the "EnvironmentFile=PATH: " prefix. */
static int env_file_read(const char *path, char ***env, CrlError *reterr) {
        _cleanup_free_ char *text = NULL;
        struct stat st = {};
        int r;

        /* A regular file only: a FIFO would block the loop. Bounded by
         * read_regular_file_at(): 1 MiB, more than execve() takes anyway. */
        r = read_regular_file_at(AT_FDCWD, path, &text, NULL, &st);
        if (r == -EFBIG)
                return crl_error_set(reterr, EFBIG, "larger than 1 MiB");
        if (r == -EBADFD)
                return crl_error_set(reterr, EBADFD, "is %s, not a regular file", file_type_name(st.st_mode));
        if (r < 0)
                return crl_error_set(reterr, -r, "%s", strerror(-r));
        r = parse_environment_file_text(text, env, reterr);
        if (r == -ENOMEM)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        return r;
}

/* The files an entry names: itself, or a glob pattern's matches, sorted. */
static int env_file_paths(const char *pattern, char ***ret, CrlError *reterr) {
        glob_t g = {};
        char **l = NULL;
        int r;

        if (!strpbrk(pattern, "*?[")) {
                if (strv_extend(&l, pattern) < 0)
                        return crl_error_set(reterr, ENOMEM, "out of memory");
                *ret = l;
                return 0;
        }
        r = glob(pattern, GLOB_ERR, NULL, &g);
        if (r == GLOB_NOMATCH)
                return crl_error_set(reterr, ENOENT, "no file matches");
        if (r != 0)
                return crl_error_set(reterr, r == GLOB_NOSPACE ? ENOMEM : EIO, "cannot expand the pattern: %s",
                                     r == GLOB_NOSPACE ? "out of memory" : "a directory cannot be read");
        l = strv_copy(g.gl_pathv);
        globfree(&g);
        if (!l)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        *ret = l;
        return 0;
}

static int env_file_entry(const EnvironmentFile *f, char ***env, CrlError *reterr) {
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        r = env_file_paths(f->path, &paths, reterr);
        STRV_FOREACH(p, paths) {
                if (r < 0)
                        break;
                r = env_file_read(*p, env, reterr);
                if (r < 0 && !streq(*p, f->path))
                        crl_error_prefix(reterr, "%s: ", *p);
        }
        return r;
}

int unit_environment_files_read(const UnitConfig *u, char ***env, CrlError *reterr) {
        for (size_t i = 0; i < u->n_environment_files; i++) {
                const EnvironmentFile *f = &u->environment_files[i];
                CrlError e = {};
                int r;

                r = env_file_entry(f, env, &e);
                /* '-': whatever keeps the file from being read is no error
                 * (systemd ignores every error there, not just a missing file). */
                if (r < 0 && r != -ENOMEM && f->optional)
                        continue;
                if (r < 0) {
                        (void) crl_error_set(reterr, -r, "EnvironmentFile=%s: %s", f->path, e.message);
                        return r;
                }
        }
        return 0;
}
