/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "cg-probe.h"
#include "ns-probe.h"
#include "probe-print.h"

static void print_cgroup(FILE *f, const CgProbe *cg) {
        if (cg->mount[0])
                fprintf(f, "cgroup mode: %s (cgroup2 at %s)\n", cg_mode_to_string(cg->mode), cg->mount);
        else
                fprintf(f, "cgroup mode: %s (no cgroup2 mount)\n", cg_mode_to_string(cg->mode));
        for (CgController c = 0; c < _CG_CTRL_MAX; c++) {
                const CgControllerState *st = &cg->controllers[c];

                if (st->available)
                        fprintf(f, "controller %s: available\n", cg_controller_to_string(c));
                else
                        fprintf(f, "controller %s: unavailable (%s)\n", cg_controller_to_string(c), st->reason);
        }
        if (cg->mode != CG_MODE_UNIFIED)
                fprintf(f, "note: cgroup v2 limits cannot be enforced on a %s host for controllers held by v1\n",
                        cg_mode_to_string(cg->mode));
}

static void print_ns(FILE *f, const NsProbe *ns) {
        if (ns->user_namespaces)
                fprintf(f, "user namespaces: available\n");
        else
                fprintf(f, "user namespaces: unavailable (%s)\n", ns->user_namespaces_reason);
        fprintf(f, "clone3: %s\n", ns->clone3 ? "available" : "unavailable");
        if (ns->clone_into_cgroup)
                fprintf(f, "clone3 CLONE_INTO_CGROUP: available\n");
        else
                fprintf(f, "clone3 CLONE_INTO_CGROUP: unavailable (%s)\n", ns->clone_reason);
}

int probe_print(FILE *f, const char *sysfs_cgroup) {
        _cleanup_close_ int self_fd = -EBADF;
        CrlError err = {};
        CgProbe cg;
        NsProbe ns;
        int r;

        r = cg_probe(sysfs_cgroup, &cg, &err);
        if (r < 0) {
                fprintf(f, "cgroup probe failed: %s\n", err.message);
                return r;
        }
        print_cgroup(f, &cg);
        /* Without our own cgroup2 directory the CLONE_INTO_CGROUP check is
         * skipped and reported as not checked. */
        if (cg_open_self(&cg, &self_fd) < 0)
                self_fd = -EBADF;
        (void) ns_probe(self_fd, &ns);
        print_ns(f, &ns);
        return 0;
}
