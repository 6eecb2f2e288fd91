/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "cg-format.h"
#include "cg-internal.h"
#include "fileio.h"

/* Read file and hand it to parse; *ret untouched when either fails. */
static void read_u64(int dir_fd, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;

        if (read_file_at(dir_fd, file, &text, NULL) < 0)
                return;
        if ((key ? cg_parse_keyed(text, key, &v) : cg_parse_u64_or_max(text, &v)) >= 0)
                *ret = v;
}

static void read_pressure(int dir_fd, const char *file, double *ret) {
        _cleanup_free_ char *text = NULL;
        double v;

        /* The files exist without PSI too (psi=0 on the kernel command line)
         * but fail to read with EOPNOTSUPP. */
        if (read_file_at(dir_fd, file, &text, NULL) >= 0 && cg_parse_pressure(text, &v) >= 0)
                *ret = v;
}

static void read_memory(CgService *s, CgStats *st) {
        uint64_t group_kills = 0;

        read_u64(s->dir_fd, "memory.current", NULL, &st->memory_current);
        read_u64(s->dir_fd, "memory.peak", NULL, &st->memory_peak);
        read_u64(s->dir_fd, "memory.max", NULL, &st->memory_max);
        read_u64(s->dir_fd, "memory.high", NULL, &st->memory_high);
        read_u64(s->dir_fd, "memory.events", "oom", &st->oom);
        read_u64(s->dir_fd, "memory.events", "oom_kill", &st->oom_kills);
        read_u64(s->dir_fd, "memory.events", "oom_group_kill", &group_kills);
        /* With memory.oom.group the kernel counts the victim twice in
         * oom_kill (as the victim, then as a member of the group it kills:
         * mm/oom_kill.c, Linux 5.x-6.x); oom_group_kill (5.17) counts those
         * group kills, so subtracting it gives processes killed. */
        if (group_kills <= st->oom_kills)
                st->oom_kills -= group_kills;
        /* memory.peak arrived in Linux 5.19; before, the highest value we saw. */
        if (st->memory_current == UINT64_MAX)
                return;
        if (st->memory_current > s->peak_tracked)
                s->peak_tracked = st->memory_current;
        if (st->memory_peak == UINT64_MAX)
                st->memory_peak = s->peak_tracked;
}

int cg_service_stats(CgService *s, CgStats *ret) {
        _cleanup_free_ char *io = NULL, *cpumax = NULL;
        CgStats st = {
                .memory_current = UINT64_MAX, .memory_peak = UINT64_MAX,
                .memory_max = UINT64_MAX, .memory_high = UINT64_MAX,
                .cpu_usage_usec = UINT64_MAX, .cpu_quota_per_sec_usec = UINT64_MAX,
                .tasks_current = UINT64_MAX, .tasks_max = UINT64_MAX,
                .io_read_bytes = UINT64_MAX, .io_write_bytes = UINT64_MAX,
                .cpu_pressure = -1, .memory_pressure = -1, .io_pressure = -1,
        };

        if (faccessat(s->dir_fd, "cgroup.procs", F_OK, 0) < 0)
                return -errno;  /* the cgroup is gone */
        read_memory(s, &st);
        read_u64(s->dir_fd, "cpu.stat", "usage_usec", &st.cpu_usage_usec);
        if (read_file_at(s->dir_fd, "cpu.max", &cpumax, NULL) >= 0)
                (void) cg_parse_cpu_max(cpumax, &st.cpu_quota_per_sec_usec); /* stays "unlimited" */
        read_u64(s->dir_fd, "pids.current", NULL, &st.tasks_current);
        read_u64(s->dir_fd, "pids.max", NULL, &st.tasks_max);
        read_u64(s->dir_fd, "pids.events", "max", &st.tasks_max_hit);
        if (read_file_at(s->dir_fd, "io.stat", &io, NULL) >= 0)
                (void) cg_parse_io_stat(io, &st.io_read_bytes, &st.io_write_bytes); /* cannot fail */
        read_pressure(s->dir_fd, "cpu.pressure", &st.cpu_pressure);
        read_pressure(s->dir_fd, "memory.pressure", &st.memory_pressure);
        read_pressure(s->dir_fd, "io.pressure", &st.io_pressure);
        *ret = st;
        return 0;
}
