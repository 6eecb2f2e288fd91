/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transient units on disk, as systemd's /run/systemd/transient: RunTransient
 * writes RUNTIME_DIR/transient/NAME.service (unit_transient_text()), the
 * next corrald loads every such file as a transient Service before it
 * re-adopts what runs, and the file goes with the unit and at a clean
 * shutdown. The caller's Standard*FileDescriptor fds are not in it: a
 * re-adopted service keeps the fds its processes hold. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"
#include "strv.h"
#include "transient-file.h"

#define SUFFIX ".service"

static int write_all(int fd, const char *buf, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, buf, size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                size -= (size_t) n;
        }
        return 0;
}

/* ".NAME.service.tmp" (hidden: never loaded), renamed over NAME.service:
 * a reader sees the whole file or none. No fsync, as systemd writes its
 * transient units: the file matters while something of the unit may run,
 * which a crash of corrald leaves running (and the page cache with it) and
 * one of the kernel ends: whatever of the file a disk-backed runtime
 * directory kept then is removed by the next corrald, as nothing of the
 * unit runs (manager_transient_settle()) or it fails to load. */
static int write_file(int dir_fd, const char *name, const char *text) {
        _cleanup_close_ int fd = -EBADF;
        char file[NAME_MAX + 1], tmp[NAME_MAX + 1];
        int r;

        (void) snprintf(file, sizeof(file), "%s" SUFFIX, name);
        (void) snprintf(tmp, sizeof(tmp), ".%s" SUFFIX ".tmp", name);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, text, strlen(text));
        if (r >= 0)
                r = RET_NERRNO(renameat(dir_fd, tmp, dir_fd, file));
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);        /* undo; r is the error that counts */
        return r;
}

int transient_file_write(Manager *m, const char *name, char *const *argv, char *const *properties,
                         CrlError *reterr) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (m->transient_dir_fd < 0)
                return crl_error_set(reterr, EBADF, "service '%s': no directory %s/transient for its unit file",
                                     name, m->runtime_dir);
        r = unit_transient_text(name, argv, properties, &text);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': cannot write it as a unit file: %s", name,
                                     r == -EINVAL ? "a property has no unit-file form" : strerror(-r));
        r = write_file(m->transient_dir_fd, name, text);
        if (r < 0)
                return crl_error_set(reterr, -r, "service '%s': cannot write %s/transient/%s" SUFFIX ": %s", name,
                                     m->runtime_dir, name, strerror(-r));
        return 0;
}

void transient_file_remove(Manager *m, const char *name) {
        char file[NAME_MAX + 1];

        if (m->transient_dir_fd < 0)
                return;
        (void) snprintf(file, sizeof(file), "%s" SUFFIX, name);
        if (unlinkat(m->transient_dir_fd, file, 0) < 0 && errno != ENOENT)
                log_warning("service '%s': cannot remove %s/transient/%s: %m; the next corrald removes it, "
                            "ignoring", name, m->runtime_dir, file);
}

static bool is_unit_file(const char *entry) {
        size_t n = strlen(entry);

        return entry[0] != '.' && n > strlen(SUFFIX) && streq(entry + n - strlen(SUFFIX), SUFFIX);
}

/* One file as a transient Service; an invalid file, or one whose name a
 * unit file took meanwhile, is removed (the unit file's service adopts
 * what runs under the name). */
static void load_one(Manager *m, const char *entry) {
        _cleanup_free_ char *path = NULL;
        UnitConfig *u = NULL;
        UnitDiagnostics d = {};
        Service *s = NULL;
        int r;

        if (asprintf(&path, "%s/transient/%s", m->runtime_dir, entry) < 0) {
                log_error("transient unit %s: out of memory; not loaded", entry);
                return;
        }
        r = unit_load_file(path, &u, &d);
        STRV_FOREACH(e, d.errors)
                log_error("%s", *e);
        unit_diagnostics_done(&d);
        if (r >= 0 && manager_get_service(m, u->name)) {
                log_warning("transient unit '%s': a unit file of that name is loaded; removing %s", u->name, path);
                r = -EEXIST;
        } else if (r >= 0 && (r = service_new(m, u, true, &s)) >= 0) {
                u = NULL;
                if ((r = manager_add_service(m, s)) < 0)
                        service_free(s);
        }
        if (r >= 0) {
                log_info("service '%s': transient unit loaded from %s", s->name, path);
                return;
        }
        if (r != -EEXIST)
                log_error("transient unit %s cannot be loaded: %s; removing it", path, strerror(-r));
        unit_config_free(u);
        if (unlinkat(m->transient_dir_fd, entry, 0) < 0 && errno != ENOENT)
                log_warning("cannot remove %s: %m, ignoring", path);
}

void manager_transient_load(Manager *m) {
        _cleanup_strv_free_ char **entries = NULL;
        int r;

        if (m->transient_dir_fd < 0)
                return;
        r = runtime_dir_list(m->transient_dir_fd, NULL, &entries);
        if (r < 0) {
                log_error("%s/transient: cannot list the transient units: %s; they are not re-adopted",
                          m->runtime_dir, strerror(-r));
                return;
        }
        STRV_FOREACH(e, entries) {
                if (is_unit_file(*e))
                        load_one(m, *e);
                else
                        (void) unlinkat(m->transient_dir_fd, *e, 0);    /* a crash's temp file; fine if gone */
        }
}

/* After re-adoption: a transient unit nothing of which runs any more (not
 * adopted, and not ended while corrald was down) has no result to show;
 * it goes once the stop of its leftovers is done (remove_gone()). */
void manager_transient_settle(Manager *m, char *const *taken) {
        for (size_t i = 0; i < m->n_services; i++) {
                Service *s = m->services[i];

                if (!s->transient || strv_contains(taken, s->name))
                        continue;
                log_info("service '%s': transient unit no longer runs, removing it", s->name);
                s->result_read = true;
        }
        manager_dispatch_later(m);
}

/* SIGTERM: every service stopped; no transient unit outlives corrald. */
void manager_transient_remove_all(Manager *m) {
        _cleanup_strv_free_ char **entries = NULL;

        if (m->transient_dir_fd < 0 || runtime_dir_list(m->transient_dir_fd, NULL, &entries) < 0)
                return;         /* the next corrald removes what it cannot load */
        STRV_FOREACH(e, entries)
                if (unlinkat(m->transient_dir_fd, *e, 0) < 0 && errno != ENOENT)
                        log_warning("cannot remove %s/transient/%s: %m, ignoring", m->runtime_dir, *e);
}
