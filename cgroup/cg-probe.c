/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "cg-probe.h"
#include "fileio.h"
#include "macros.h"

static const char *const mode_table[_CG_MODE_MAX] = {
        [CG_MODE_UNIFIED] = "unified",
        [CG_MODE_HYBRID] = "hybrid",
        [CG_MODE_LEGACY] = "legacy",
};

static const char *const controller_table[_CG_CTRL_MAX] = {
        [CG_CTRL_CPU] = "cpu",
        [CG_CTRL_CPUSET] = "cpuset",
        [CG_CTRL_IO] = "io",
        [CG_CTRL_MEMORY] = "memory",
        [CG_CTRL_PIDS] = "pids",
};

/* cgroup v1 names the io controller blkio. */
static const char *const controller_v1_table[_CG_CTRL_MAX] = {
        [CG_CTRL_CPU] = "cpu",
        [CG_CTRL_CPUSET] = "cpuset",
        [CG_CTRL_IO] = "blkio",
        [CG_CTRL_MEMORY] = "memory",
        [CG_CTRL_PIDS] = "pids",
};

const char *cg_mode_to_string(CgroupMode m) {
        return m >= 0 && m < _CG_MODE_MAX ? mode_table[m] : NULL;
}

const char *cg_controller_to_string(CgController c) {
        return c >= 0 && c < _CG_CTRL_MAX ? controller_table[c] : NULL;
}

CgController cg_controller_from_string(const char *s) {
        for (CgController c = 0; c < _CG_CTRL_MAX; c++)
                if (s && streq(s, controller_table[c]))
                        return c;
        return _CG_CTRL_INVALID;
}

/* Whether word appears in a list separated by any of seps. */
static bool word_in_list(const char *list, const char *seps, const char *word) {
        size_t wl = strlen(word);

        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, seps);

                if (n == wl && strneq(p, word, wl))
                        return true;
                p += n;
                p += strspn(p, seps);
        }
        return false;
}

bool cg_controllers_has(const char *controllers, CgController c) {
        return word_in_list(controllers, " \t\n", controller_table[c]);
}

bool cg_proc_cgroups_has(const char *proc_cgroups, CgController c) {
        const char *name = controller_v1_table[c];
        size_t nl = strlen(name);

        /* "#subsys_name hierarchy num_cgroups enabled", one line each; the
         * enabled column is 0 when disabled with cgroup_disable=. */
        for (const char *l = proc_cgroups; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                unsigned hier, num, enabled;

                if (!strneq(l, name, nl) || (l[nl] != '\t' && l[nl] != ' '))
                        continue;
                if (sscanf(l + nl, "%u %u %u", &hier, &num, &enabled) == 3)
                        return enabled != 0;
                return true;
        }
        return false;
}

int cg_mountinfo_find_v1(const char *mountinfo, CgController c, char **ret) {
        const char *want = controller_v1_table[c];

        for (const char *l = mountinfo; l && *l;) {
                const char *eol = strchr(l, '\n');
                size_t len = eol ? (size_t) (eol - l) : strlen(l);
                _cleanup_free_ char *line = strndup(l, len);
                char *sep, *mnt, *fstype, *opts, *save = NULL;

                l = eol ? eol + 1 : NULL;
                if (!line)
                        return -ENOMEM;
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
                sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = 0;
                fstype = strtok_r(sep + 3, " ", &save);
                (void) strtok_r(NULL, " ", &save); /* source */
                opts = strtok_r(NULL, " ", &save);
                if (!fstype || !opts || !streq(fstype, "cgroup"))
                        continue;
                if (!word_in_list(opts, ",", want))
                        continue;
                save = NULL;
                (void) strtok_r(line, " ", &save);      /* id */
                (void) strtok_r(NULL, " ", &save);      /* parent */
                (void) strtok_r(NULL, " ", &save);      /* maj:min */
                (void) strtok_r(NULL, " ", &save);      /* root */
                mnt = strtok_r(NULL, " ", &save);
                if (!mnt)
                        continue;
                if (ret) {
                        *ret = strdup(mnt);
                        if (!*ret)
                                return -ENOMEM;
                }
                return 1;
        }
        return 0;
}

int cg_proc_self_v2_path(const char *text, char **ret) {
        for (const char *l = text; l && *l;) {
                const char *eol = strchr(l, '\n');
                size_t len = eol ? (size_t) (eol - l) : strlen(l);

                if (len >= 3 && strneq(l, "0::", 3)) {
                        char *p = strndup(l + 3, len - 3);

                        if (!p)
                                return -ENOMEM;
                        *ret = p;
                        return 0;
                }
                l = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

static bool is_fs_type(const char *path, long magic) {
        struct statfs s;

        return statfs(path, &s) >= 0 && (long) s.f_type == magic;
}

static int probe_mode(const char *root, CgProbe *p, CrlError *reterr) {
        char unified[PATH_MAX];

        if (is_fs_type(root, CGROUP2_SUPER_MAGIC)) {
                p->mode = CG_MODE_UNIFIED;
                (void) snprintf(p->mount, sizeof(p->mount), "%s", root);
                return 0;
        }
        if (!is_fs_type(root, TMPFS_MAGIC))
                return crl_error_set(reterr, ENOMEDIUM,
                                     "%s is neither cgroup2 nor a tmpfs of cgroup v1 hierarchies", root);
        (void) snprintf(unified, sizeof(unified), "%s/unified", root);
        if (is_fs_type(unified, CGROUP2_SUPER_MAGIC)) {
                p->mode = CG_MODE_HYBRID;
                (void) snprintf(p->mount, sizeof(p->mount), "%s", unified);
        } else
                p->mode = CG_MODE_LEGACY;
        return 0;
}

static void explain_missing(CgController c, const char *mountinfo, const char *proc_cgroups,
                            CgControllerState *st) {
        _cleanup_free_ char *v1 = NULL;
        const char *name = controller_table[c];

        if (cg_mountinfo_find_v1(mountinfo, c, &v1) > 0)
                (void) snprintf(st->reason, sizeof(st->reason),
                                "%s: bound to a cgroup v1 hierarchy at %s", name, v1);
        else if (proc_cgroups && !cg_proc_cgroups_has(proc_cgroups, c))
                (void) snprintf(st->reason, sizeof(st->reason),
                                "%s: not enabled in this kernel (absent or disabled in /proc/cgroups)", name);
        else
                (void) snprintf(st->reason, sizeof(st->reason),
                                "%s: not offered by the cgroup2 root's cgroup.controllers", name);
}

int cg_probe(const char *sysfs_cgroup, CgProbe *ret, CrlError *reterr) {
        _cleanup_free_ char *mountinfo = NULL, *proc_cgroups = NULL, *controllers = NULL;
        CgProbe p = {};
        int r;

        r = probe_mode(sysfs_cgroup, &p, reterr);
        if (r < 0)
                return r;
        r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL);
        if (r < 0)
                return crl_error_set(reterr, r, "read /proc/self/mountinfo: %s", strerror(-r));
        /* /proc/cgroups may be absent on kernels without v1 support: then every
         * controller counts as known to the kernel. */
        if (read_file_at(AT_FDCWD, "/proc/cgroups", &proc_cgroups, NULL) < 0)
                proc_cgroups = NULL;
        if (p.mount[0]) {
                char path[PATH_MAX + 32];

                (void) snprintf(path, sizeof(path), "%s/cgroup.controllers", p.mount);
                r = read_file_at(AT_FDCWD, path, &controllers, NULL);
                if (r < 0)
                        return crl_error_set(reterr, r, "read %s: %s", path, strerror(-r));
        }
        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                CgControllerState *st = &p.controllers[c];

                st->available = controllers && cg_controllers_has(controllers, c);
                if (!st->available)
                        explain_missing(c, mountinfo, proc_cgroups, st);
        }
        *ret = p;
        return 0;
}

int cg_open_self(const CgProbe *p, int *ret_fd) {
        _cleanup_free_ char *text = NULL, *rel = NULL;
        char path[PATH_MAX * 2];
        int fd, r;

        if (!p->mount[0])
                return -ENOMEDIUM;
        r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL);
        if (r < 0)
                return r;
        r = cg_proc_self_v2_path(text, &rel);
        if (r < 0)
                return r;
        (void) snprintf(path, sizeof(path), "%s%s", p->mount, rel);
        fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}
