/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/cgroup [N]: create + configure (MemoryMax=, CPUQuota=, TasksMax=)
 * + destroy N (default 1000) service cgroups through the cgroup/ API, and
 * the same with bare mkdir/write/rmdir as the baseline, in alternating
 * batches. Needs root and a
 * cgroup2 mount with the memory, cpu and pids controllers (the VM). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup.h"
#include "fileio.h"
#include "strv.h"

static double now(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int run_api(CgRoot *root, unsigned base, unsigned n, double *t_create, double *t_destroy) {
        ResourceConfig rc = {
                .memory_max = { LIMIT_VALUE, 64 << 20 },
                .cpu_quota_per_sec_usec = 500000,
                .cpu_quota_period_usec = 100000,
                .tasks_max = { LIMIT_VALUE, 64 },
        };
        CgService **s = calloc(n, sizeof(CgService *));
        char **warnings = NULL, name[32];
        CrlError err = {};
        double t0, t1;

        t0 = now();
        for (unsigned i = 0; i < n; i++) {
                (void) snprintf(name, sizeof(name), "bench-%u", base + i);
                if (cg_service_create(root, name, &rc, 0, &s[i], &warnings, &err) < 0)
                        return fprintf(stderr, "create %s: %s\n", name, err.message), -1;
        }
        t1 = now();
        for (unsigned i = 0; i < n; i++) {
                if (cg_service_destroy(s[i], &err) < 0)
                        return fprintf(stderr, "destroy: %s\n", err.message), -1;
                cg_service_free(s[i]);
        }
        *t_create += t1 - t0;
        *t_destroy += now() - t1;
        free(s);
        strv_free(warnings);
        return 0;
}

/* The floor: what the kernel costs for the same files, no checks. */
static int run_raw(int root_fd, unsigned base, unsigned n, double *t_create, double *t_destroy) {
        char name[32];
        double t0, t1;

        t0 = now();
        for (unsigned i = 0; i < n; i++) {
                int fd;

                (void) snprintf(name, sizeof(name), "raw-%u.service", base + i);
                if (mkdirat(root_fd, name, 0755) < 0)
                        return perror("mkdir"), -1;
                fd = openat(root_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                if (fd < 0 || write_string_at(fd, "memory.max", "67108864") < 0 ||
                    write_string_at(fd, "cpu.max", "50000 100000") < 0 ||
                    write_string_at(fd, "pids.max", "64") < 0)
                        return perror("write"), -1;
                close(fd);
        }
        t1 = now();
        for (unsigned i = 0; i < n; i++) {
                (void) snprintf(name, sizeof(name), "raw-%u.service", base + i);
                if (unlinkat(root_fd, name, AT_REMOVEDIR) < 0)
                        return perror("rmdir"), -1;
        }
        *t_create += t1 - t0;
        *t_destroy += now() - t1;
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned n = argc > 1 ? (unsigned) atoi(argv[1]) : 1000;
        double ac = 0, ad = 0, rc = 0, rd = 0, warm = 0;
        char override[64];
        CrlError err = {};
        CgRoot *root = NULL;
        CgProbe probe;

        if (n == 0)
                return fprintf(stderr, "usage: %s [N]\n", argv[0]), 2;
        if (cg_probe("/sys/fs/cgroup", &probe, &err) < 0 || probe.mode != CG_MODE_UNIFIED)
                return fprintf(stderr, "needs a unified cgroup2 hierarchy (the VM)\n"), 77;
        (void) snprintf(override, sizeof(override), "/corral-bench-%d", (int) getpid());
        if (cg_root_open(&probe, override, 0, &root, &err) < 0)
                return fprintf(stderr, "root: %s\n", err.message), 1;
        /* one service first so that enabling the controllers is not timed;
         * then API and bare in alternating batches of 100, so that the load
         * of a shared machine falls on both alike */
        if (run_api(root, n, 1, &warm, &warm) < 0)
                return 1;
        for (unsigned done = 0; done < n; done += 100) {
                unsigned b = n - done < 100 ? n - done : 100;

                if (run_api(root, done, b, &ac, &ad) < 0 || run_raw(cg_root_fd(root), done, b, &rc, &rd) < 0)
                        return 1;
        }
        printf("%u service cgroups (MemoryMax=, CPUQuota=, TasksMax=)\n", n);
        printf("%-28s %10s %10s %10s\n", "", "create+set", "destroy", "total");
        printf("%-28s %8.1f us %8.1f us %8.1f us\n", "cgroup/ API, per service", ac / n * 1e6, ad / n * 1e6,
               (ac + ad) / n * 1e6);
        printf("%-28s %8.1f us %8.1f us %8.1f us\n", "bare mkdir/write/rmdir", rc / n * 1e6, rd / n * 1e6,
               (rc + rd) / n * 1e6);
        printf("ratio API/bare: %.2f\n", (ac + ad) / (rc + rd));
        if (cg_root_remove(root, &err) < 0)
                return fprintf(stderr, "%s\n", err.message), 1;
        cg_root_free(root);
        return 0;
}
