/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pure formatting and parsing of cgroup v2 file contents: no I/O, so every
 * branch is covered by tests/unit/test-cgroup-format.c. */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unit.h"

/* cpu.max accepts periods of 1ms..1s and quotas of at least 1ms. */
#define CG_CPU_PERIOD_MIN_USEC UINT64_C(1000)
#define CG_CPU_PERIOD_MAX_USEC UINT64_C(1000000)
#define CG_CPU_QUOTA_MIN_USEC UINT64_C(1000)
#define CG_CPU_PERIOD_DEFAULT_USEC UINT64_C(100000)

/* basis_points/10000 of total, rounded down, without overflow. */
uint64_t cg_percent_of(uint64_t total, uint64_t basis_points);

/* A limit as a cgroup file wants it: "max" for infinity, else the number
 * (a percentage resolved against total). -EINVAL for LIMIT_UNSET. */
int cg_format_limit(const ResourceLimit *l, uint64_t total, char *buf, size_t size);

/* cpu.max "QUOTA PERIOD" from CPUQuota= (usec per second, USEC_INFINITY for
 * none: "max PERIOD") and CPUQuotaPeriodSec= (0: 100ms), both clamped to
 * what the kernel accepts. */
void cg_format_cpu_max(uint64_t quota_per_sec_usec, usec_t period_usec, char *buf, size_t size);

/* One io.max device: UINT64_MAX = no limit ("max"). */
typedef struct CgIOMax {
        dev_t dev;
        uint64_t rbps, wbps, riops, wiops;
} CgIOMax;

/* "MAJ:MIN rbps=N wbps=max riops=max wiops=max" (every key, so that a live
 * change also clears keys no longer set). */
void cg_format_io_max(const CgIOMax *d, char *buf, size_t size);

/* Parsers of what the kernel shows. Each returns 0, -ENOENT when the key is
 * absent, -EINVAL when malformed. */

/* "max" or a decimal number -> UINT64_MAX or the number. */
int cg_parse_u64_or_max(const char *text, uint64_t *ret);
/* Flat keyed files ("key value" lines: memory.events, cpu.stat, pids.events). */
int cg_parse_keyed(const char *text, const char *key, uint64_t *ret);
/* cpu.max "QUOTA PERIOD" -> usec per second (UINT64_MAX for "max"). */
int cg_parse_cpu_max(const char *text, uint64_t *ret_quota_per_sec_usec);
/* io.stat: rbytes and wbytes summed over every device line. */
int cg_parse_io_stat(const char *text, uint64_t *ret_rbytes, uint64_t *ret_wbytes);
/* PSI "some avg10=X ..." -> X. */
int cg_parse_pressure(const char *text, double *ret_some_avg10);
/* cgroup.procs: one pid a line, each 1..INT_MAX; *ret is NULL for none.
 * Anything else is -EINVAL, never a pid 0 or -1 (which kill() would take
 * as "my process group" or "every process"). */
int cg_parse_pids(const char *text, pid_t **ret, size_t *ret_n);

/* Deadlines on CLOCK_MONOTONIC, in usec. A timeout of USEC_INFINITY means no
 * deadline (USEC_INFINITY), and so does any timeout whose deadline would pass
 * UINT64_MAX: now + timeout saturates instead of wrapping into the past. A
 * timeout of 0 is a deadline of now: look once, do not wait. */
static inline usec_t cg_deadline_usec(usec_t now, usec_t timeout) {
        return timeout >= USEC_INFINITY - now ? USEC_INFINITY : now + timeout;
}

/* Time left until deadline: 0 once it has passed, USEC_INFINITY for none. */
static inline usec_t cg_left_usec(usec_t now, usec_t deadline) {
        if (deadline == USEC_INFINITY)
                return USEC_INFINITY;
        return deadline > now ? deadline - now : 0;
}

/* poll()'s timeout for left usec: -1 (no limit) for USEC_INFINITY, else
 * rounded up to whole ms (so a wait never ends before the deadline) and
 * capped at INT_MAX ms (the caller polls again). */
static inline int cg_poll_timeout_msec(usec_t left) {
        if (left == USEC_INFINITY)
                return -1;
        return left / USEC_PER_MSEC >= (usec_t) INT_MAX ? INT_MAX : (int) ((left + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
}
