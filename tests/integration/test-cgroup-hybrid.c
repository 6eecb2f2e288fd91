/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* On a hybrid host (memory, cpu, pids... on cgroup v1; cgroup2 at
 * /sys/fs/cgroup/unified without them): a unit with MemoryMax= is refused
 * with the v1 reason; with UnenforceableLimits=warn it starts (a process is
 * born in its cgroup2 cgroup) and reports the warning. Everything happens in
 * a test-owned subtree of the cgroup2 mount, removed at the end; the v1
 * hierarchies are only looked at. Exits 77 where the host is not hybrid. */
#include <stdlib.h>
#include <sys/stat.h>

#include "cg-test.h"
#include "strv.h"

static int wait_for_stop(void *arg) {
        (void) raise(SIGSTOP);
        return 0;
}

static void check_no_v1_trace(const CgProbe *probe, const char *name) {
        char path[PATH_MAX];

        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                _cleanup_free_ char *mnt = NULL, *mi = NULL;

                if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, NULL) < 0 ||
                    cg_mountinfo_find_v1(mi, c, &mnt) <= 0)
                        continue;
                (void) snprintf(path, sizeof(path), "%s%s", mnt, name);
                CHECK(access(path, F_OK) < 0, "%s exists in a v1 hierarchy", path);
        }
}

int main(void) {
        ResourceConfig rc = rc_unset();
        char override[64], expect[PATH_MAX], **warnings = NULL;
        _cleanup_free_ char *self = NULL;
        CgService *s = NULL;
        CgRoot *root = NULL;
        CrlError err = {};
        CgProbe probe;
        pid_t pid = 0;
        int r, pidfd, code = 0, status = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (geteuid() != 0)
                return printf("needs root\n"), 77;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || probe.mode != CG_MODE_HYBRID ||
            probe.controllers[CG_CTRL_MEMORY].available)
                return printf("not a hybrid host with memory on cgroup v1\n"), 77;
        (void) snprintf(override, sizeof(override), "/corral-test-hybrid-%d", (int) getpid());
        r = cg_root_open(&probe, override, 0, &root, &err);
        CHECK(r == 0, "root: %s", err.message);
        if (r < 0)
                return 1;
        printf("# root %s%s\n", cg_root_mount(root), cg_root_path(root));
        rc.memory_max = (ResourceLimit) { LIMIT_VALUE, 32 << 20 };

        /* refused, naming the controller and the v1 hierarchy */
        r = cg_service_create(root, "web", &rc, 0, &s, &warnings, &err);
        printf("# refused: %s\n", err.message);
        CHECK(r == -EOPNOTSUPP, "r=%d", r);
        CHECK(strstr(err.message, "MemoryMax=") && strstr(err.message, "controller memory") &&
              strstr(err.message, "cgroup v1 hierarchy at /sys/fs/cgroup/memory"), "message: %s", err.message);
        CHECK(faccessat(cg_root_fd(root), "web.service", F_OK, 0) < 0, "web.service created anyway");

        /* warn: starts, with the warning */
        r = cg_service_create(root, "web", &rc, CG_SERVICE_UNENFORCEABLE_WARN, &s, &warnings, &err);
        CHECK(r == 0, "warn: %s", err.message);
        if (r < 0)
                return 1;
        CHECK(strv_length(warnings) == 1 && strstr(warnings[0], "MemoryMax= is not enforced") &&
              strstr(warnings[0], "v1"), "warnings: %s", warnings ? warnings[0] : "(none)");
        printf("# warning: %s\n", warnings ? warnings[0] : "");
        pidfd = spawn_in(s, wait_for_stop, NULL, &pid);
        CHECK(pidfd >= 0, "clone3 into %s: %s", override, strerror(-pidfd));
        (void) snprintf(expect, sizeof(expect), "/proc/%d/cgroup", (int) pid);
        (void) read_file_at(AT_FDCWD, expect, &self, NULL);
        (void) snprintf(expect, sizeof(expect), "0::%s/web.service\n", override);
        CHECK(self && strstr(self, expect), "process cgroup: %s", self);
        CHECK(cg_service_is_populated(s) == 1, "not populated");
        CHECK(cg_service_kill(s, 5 * USEC_PER_SEC, &err) == 0, "kill: %s", err.message);
        CHECK(wait_pidfd(pidfd, &code, &status) == 0 && code == CLD_KILLED, "code %d", code);
        CHECK(cg_service_destroy(s, &err) == 0, "destroy: %s", err.message);
        cg_service_free(s);
        CHECK(cg_root_remove(root, &err) == 0, "remove root: %s", err.message);
        CHECK(faccessat(AT_FDCWD, at_mount(root, override), F_OK, 0) < 0, "root left behind");
        check_no_v1_trace(&probe, override);
        cg_root_free(root);
        strv_free(warnings);
        return failures ? 1 : 0;
}
