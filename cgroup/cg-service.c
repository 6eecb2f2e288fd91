/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cg-bpf.h"
#include "cg-format.h"
#include "fd-util.h"
#include "cg-internal.h"
#include "cg-plan.h"
#include "fileio.h"
#include "strv.h"

CgService *cg_service_free(CgService *s) {
        if (!s)
                return NULL;
        assert(s->n_walks == 0);        /* a CgSignalOp borrows the service */
        cg_root_forget_service(s->root, s);
        safe_close(s->dir_fd);
        safe_close(s->event_fd);
        free(s->name);
        free(s->dir_name);
        free(s);
        return NULL;
}

static int service_new(CgRoot *root, const char *name, CgService **ret, CrlError *reterr) {
        _cleanup_(cg_service_freep) CgService *s = NULL;

        if (isempty(name) || strchr(name, '/') || name[0] == '.')
                return crl_error_set(reterr, EINVAL, "'%s' is not a service name", name ?: "");
        s = calloc(1, sizeof(CgService));
        if (!s)
                return -ENOMEM;
        s->root = root;
        cg_root_link_service(root, s);
        s->dir_fd = s->event_fd = -EBADF;
        s->name = strdup(name);
        if (!s->name || asprintf(&s->dir_name, "%s.service", name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

void cg_service_set_userdata(CgService *s, void *userdata) {
        s->userdata = userdata;
}

void *cg_service_get_userdata(CgService *s) {
        return s->userdata;
}

int cg_service_fd(const CgService *s) {
        return s->dir_fd;
}

const char *cg_service_name(CgService *s) {
        return s->name;
}

CgMask cg_service_enabled(CgService *s) {
        return s->enabled;
}

int cg_service_path(const CgService *s, char **ret) {
        return asprintf(ret, "%s/%s", s->root->path, s->dir_name) < 0 ? -ENOMEM : 0;
}

/* For each controller the plan needs but cannot get: refuse, or under
 * UnenforceableLimits=warn note each key and leave its writes out. */
static int check_controllers(CgService *s, CgPlan *plan, CgServiceFlags flags, char ***warnings,
                             CrlError *reterr) {
        CgMask need = cg_plan_needs(plan), have = cg_root_enable(s->root, need);

        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                _cleanup_free_ char *keys = NULL;
                const char *why = s->root->reason[c];

                if (!(need & CG_MASK(c)) || (have & CG_MASK(c)))
                        continue;
                if (cg_plan_keys(plan, c, &keys) < 0)
                        return -ENOMEM;
                if (!(flags & CG_SERVICE_UNENFORCEABLE_WARN))
                        return crl_error_set(reterr, EOPNOTSUPP, "cannot enforce %s: controller %s",
                                             keys, why);
                for (size_t i = 0; i < plan->n; i++) {
                        CgWrite *w = &plan->writes[i];
                        char line[512];

                        if (w->controller != c || !w->set)
                                continue;
                        (void) snprintf(line, sizeof(line), "%s is not enforced: controller %s", w->key, why);
                        if (!strv_contains(*warnings, line) && strv_extend(warnings, line) < 0)
                                return -ENOMEM;
                        w->set = false;
                        w->controller = _CG_CTRL_INVALID;  /* skipped by apply_plan */
                }
        }
        return 0;
}

typedef struct Undo {
        const char *file;
        char *old;
} Undo;

/* Put back what the files held, line by line (io.max and io.weight take one
 * device a write); best effort, the first failure is what gets reported. */
static void undo_writes(CgService *s, Undo *u, size_t n) {
        for (size_t i = n; i > 0; i--) {
                char *save = NULL;

                for (char *l = strtok_r(u[i - 1].old, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        (void) cg_write(s->root, s->dir_fd, u[i - 1].file, l); /* best effort, see above */
        }
}

static int write_one(CgService *s, const CgWrite *w, CrlError *reterr) {
        int r = cg_write(s->root, s->dir_fd, w->file, w->value);
        char v[128];

        if (r >= 0 || (r == -ENOENT && !w->set))
                return 0;       /* a default for a file the kernel lacks needs no write */
        (void) snprintf(v, sizeof(v), "%s", w->value);
        v[strcspn(v, "\n")] = 0;
        return crl_error_set(reterr, r, "%s: cannot write '%s' to %s%s/%s/%s: %s", w->key, v,
                             s->root->mount, s->root->path, s->dir_name, w->file, strerror(-r));
}

/* Write the plan; with undo, a failure restores what was written before. */
static int apply_plan(CgService *s, const CgPlan *plan, bool undo, CrlError *reterr) {
        Undo *u = undo ? calloc(plan->n, sizeof(Undo)) : NULL;
        size_t n = 0;
        int r = 0;

        if (undo && plan->n > 0 && !u)
                return -ENOMEM;
        for (size_t i = 0; i < plan->n && r >= 0; i++) {
                const CgWrite *w = &plan->writes[i];

                if (w->controller < 0)
                        continue;
                if (u && read_file_at(s->dir_fd, w->file, &u[n].old, NULL) >= 0)
                        u[n++].file = w->file;
                r = write_one(s, w, reterr);
        }
        if (r < 0 && u)
                undo_writes(s, u, n);
        for (size_t i = 0; i < n; i++)
                free(u[i].old);
        free(u);
        return r;
}

static const char *bpf_keys(const ResourceConfig *rc) {
        bool dev = resource_config_wants_devices(rc), ip = resource_config_wants_ip(rc);
        const char *d = rc->device_implied ? "PrivateDevices=" : "DevicePolicy=/DeviceAllow=";

        if (dev && ip)
                return rc->device_implied ? "PrivateDevices=, IPAddressAllow=/IPAddressDeny=" :
                                            "DevicePolicy=/DeviceAllow=, IPAddressAllow=/IPAddressDeny=";
        return dev ? d : "IPAddressAllow=/IPAddressDeny=";
}

/* The device and IP programs, before any process can enter: *cache's,
 * loaded now if it has none (kept there for the next cgroup); cache NULL:
 * loaded for this cgroup only. Where they cannot be had (no BPF, a kernel
 * without cgroup BPF): refuse, unless UnenforceableLimits=warn; a device
 * policy only PrivateDevices=yes implies is a warning always (its private
 * /dev is the main fence; systemd, too, goes on without the program). A
 * failed load is not kept: the next cgroup tries again. */
static int attach_bpf(CgService *s, const ResourceConfig *rc, CgBpfPrograms **cache, CgServiceFlags flags,
                      char ***warnings, CrlError *reterr) {
        _cleanup_(cg_bpf_programs_freep) CgBpfPrograms *own = NULL;
        bool explicit = rc->device_implied ? resource_config_wants_ip(rc) : true;
        CgBpfPrograms *p = cache ? *cache : NULL;
        CrlError e = {};
        char line[512];
        int r = 0;

        if (!resource_config_wants_devices(rc) && !resource_config_wants_ip(rc))
                return 0;
        if (!p) {
                r = cg_bpf_programs_new(rc, &own, &e);
                p = own;
        }
        if (r >= 0)
                r = cg_bpf_programs_attach(p, s->dir_fd, &e);
        if (r >= 0) {
                if (cache && own)
                        *cache = TAKE_PTR(own);
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        if (explicit && !(flags & CG_SERVICE_UNENFORCEABLE_WARN))
                return crl_error_set(reterr, -r, "cannot enforce %s: %s", bpf_keys(rc), e.message);
        (void) snprintf(line, sizeof(line), "%s not enforced: %s", bpf_keys(rc), e.message);
        return strv_extend(warnings, line);
}

/* Open the cgroup and watch it on the root's event fd at once: before a
 * process can enter (create) and before its state is read (open), so no
 * change falls between the two. */
static int open_dir(CgService *s, CrlError *reterr) {
        int r;

        s->dir_fd = openat(s->root->dir_fd, s->dir_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (s->dir_fd < 0)
                return crl_error_set(reterr, errno, "cannot open cgroup %s%s/%s: %s",
                                     s->root->mount, s->root->path, s->dir_name, strerror(errno));
        s->dir_fd = fd_move_high(s->dir_fd);    /* held for the service's lifetime */
        r = cg_root_watch_service(s->root, s, false);
        if (r < 0)
                return crl_error_set(reterr, r, "cannot watch %s%s/%s/cgroup.events: %s%s", s->root->mount,
                                     s->root->path, s->dir_name, strerror(-r),
                                     r == -ENOSPC ? " (fs.inotify.max_user_watches)" : "");
        return 0;
}

/* A service with its own cgroup namespace (or root) may mkdir below its
 * cgroup; the kernel refuses (EAGAIN) beyond these, whatever the service
 * sets in the sub-cgroups it owns, as an ancestor's limits hold below it. */
static int limit_nesting(CgService *s, CrlError *reterr) {
        static const struct {
                const char *file;
                unsigned value;
        } limits[] = {
                { "cgroup.max.depth", CG_SERVICE_MAX_DEPTH },
                { "cgroup.max.descendants", CG_SERVICE_MAX_DESCENDANTS },
        };

        for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
                char v[16];
                int r;

                (void) snprintf(v, sizeof(v), "%u", limits[i].value);
                r = cg_write(s->root, s->dir_fd, limits[i].file, v);
                if (r < 0)
                        return crl_error_set(reterr, r, "cannot write %s to %s%s/%s/%s: %s", v, s->root->mount,
                                             s->root->path, s->dir_name, limits[i].file, strerror(-r));
        }
        return 0;
}

int cg_service_create(CgRoot *root, const char *name, const ResourceConfig *rc,
                      CgServiceFlags flags, CgService **ret, char ***warnings, CrlError *reterr) {
        return cg_service_create_bpf(root, name, rc, NULL, flags, ret, warnings, reterr);
}

int cg_service_create_bpf(CgRoot *root, const char *name, const ResourceConfig *rc, CgBpfPrograms **bpf,
                          CgServiceFlags flags, CgService **ret, char ***warnings, CrlError *reterr) {
        _cleanup_(cg_service_freep) CgService *s = NULL;
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_(cg_plan_done) CgPlan plan = {};
        int r;

        r = service_new(root, name, &s, reterr);
        if (r >= 0)
                r = cg_plan_build(rc, flags, &root->system, false, NULL, &plan, reterr);
        if (r >= 0)
                r = check_controllers(s, &plan, flags, &w, reterr);
        if (r < 0)
                return r == -ENOMEM ? crl_error_set(reterr, ENOMEM, "out of memory") : r;
        r = cg_mkdir(root, root->dir_fd, s->dir_name);
        if (r < 0)
                return crl_error_set(reterr, r, "cannot create cgroup %s%s/%s: %s%s", root->mount, root->path,
                                     s->dir_name, strerror(-r),
                                     r == -EEXIST ? " (a service of that name is still there)" : "");
        r = open_dir(s, reterr);
        if (r >= 0)
                r = limit_nesting(s, reterr);
        if (r >= 0)
                r = apply_plan(s, &plan, false, reterr);
        if (r >= 0)
                r = attach_bpf(s, rc, bpf, flags, &w, reterr);
        if (r < 0) {
                (void) cg_rmdir(root, root->dir_fd, s->dir_name); /* fresh and empty: leave nothing */
                return r;
        }
        s->flags = flags;
        s->enabled = root->enabled;
        STRV_FOREACH(l, w)
                if (!strv_contains(*warnings, *l) && strv_extend(warnings, *l) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

/* What a new corrald must know of a cgroup it adopts, so that its first
 * events are news, not the state it found: populated and frozen (of the
 * whole tree below, as cgroup.events counts sub-cgroups), whether it is to
 * stay frozen, the OOM counters so far (hierarchical too), and which
 * controllers it has. */
static void read_adopted_state(CgService *s) {
        _cleanup_free_ char *ev = NULL, *freeze = NULL, *ctl = NULL;
        uint64_t oom = 0, kill = 0;

        (void) cg_read_events(s->dir_fd, &s->populated, &s->frozen); /* missing: stays false */
        s->freeze_wanted = read_line_at(s->dir_fd, "cgroup.freeze", &freeze) >= 0 && streq(freeze, "1");
        if (read_file_at(s->dir_fd, "memory.events", &ev, NULL) >= 0) {
                (void) cg_parse_keyed(ev, "oom", &oom);
                (void) cg_parse_keyed(ev, "oom_kill", &kill);
        }
        s->oom = oom;
        s->oom_kill = kill;
        s->enabled = 0;
        if (read_file_at(s->dir_fd, "cgroup.controllers", &ctl, NULL) >= 0)
                for (CgController c = 0; c < _CG_CTRL_MAX; c++)
                        if (cg_controllers_has(ctl, c))
                                s->enabled |= CG_MASK(c);
}

int cg_service_open(CgRoot *root, const char *name, CgService **ret, CrlError *reterr) {
        _cleanup_(cg_service_freep) CgService *s = NULL;
        int r;

        r = service_new(root, name, &s, reterr);
        if (r >= 0)
                r = open_dir(s, reterr);
        if (r < 0)
                return r;
        /* made by an older corrald: the walks are bounded regardless */
        (void) limit_nesting(s, NULL);
        read_adopted_state(s);
        *ret = TAKE_PTR(s);
        return 0;
}

int cg_service_apply(CgService *s, const ResourceConfig *rc, CgServiceFlags flags,
                     char ***warnings, CrlError *reterr) {
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *io_max = NULL;
        _cleanup_(cg_plan_done) CgPlan plan = {};
        int r;

        r = cg_plan_build(rc, flags, &s->root->system, true, NULL, &plan, reterr);
        if (r >= 0 && read_file_at(s->dir_fd, "io.max", &io_max, NULL) >= 0)
                r = cg_plan_clear_io_max(&plan, io_max);
        if (r >= 0)
                r = check_controllers(s, &plan, flags, &w, reterr);
        if (r >= 0)
                r = apply_plan(s, &plan, true, reterr);
        if (r < 0)
                return r == -ENOMEM ? crl_error_set(reterr, ENOMEM, "out of memory") : r;
        s->flags = flags;
        s->enabled = s->root->enabled;
        /* memory.events may exist only now; failing leaves the OOM event to
         * the next process_events of cgroup.events */
        (void) cg_service_watch_memory_events(s);
        STRV_FOREACH(l, w)
                if (!strv_contains(*warnings, *l) && strv_extend(warnings, *l) < 0)
                        return -ENOMEM;
        return 0;
}

/* rmdir of a cgroup with processes fails EBUSY; post-order, so the
 * deepest go first. */
static int remove_child(int parent_fd, const char *name, void *userdata) {
        int r = cg_rmdir(userdata, parent_fd, name);

        return r == -ENOENT ? 0 : r;
}

int cg_service_destroy(CgService *s, CrlError *reterr) {
        int r;

        /* Sub-cgroups are rare: walk for them only when rmdir says busy. */
        r = cg_rmdir(s->root, s->root->dir_fd, s->dir_name);
        if (r == -EBUSY) {
                /* Sub-cgroups a service with its own cgroup namespace (or
                 * root) made; the service's own pre-visit does nothing. */
                r = cg_walk_tree(s->dir_fd, &(CgTreeWalk) { .post = remove_child, .userdata = s->root });
                if (r >= 0)
                        r = cg_rmdir(s->root, s->root->dir_fd, s->dir_name);
        }
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return crl_error_set(reterr, r, "cannot remove cgroup %s%s/%s: %s%s", s->root->mount,
                                     s->root->path, s->dir_name, strerror(-r),
                                     r == -EBUSY ? " (processes remain)" :
                                     r == -ELOOP ? " (sub-cgroups nested too deep)" : "");
        return 0;
}
