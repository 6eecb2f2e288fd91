/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-format.h"
#include "macros.h"

uint64_t cg_percent_of(uint64_t total, uint64_t basis_points) {
        unsigned __int128 v = (unsigned __int128) total * basis_points / 10000;

        return v > UINT64_MAX ? UINT64_MAX : (uint64_t) v;
}

int cg_format_limit(const ResourceLimit *l, uint64_t total, char *buf, size_t size) {
        switch (l->kind) {
        case LIMIT_VALUE:
                (void) snprintf(buf, size, "%" PRIu64, l->value);
                return 0;
        case LIMIT_PERCENT:
                (void) snprintf(buf, size, "%" PRIu64, cg_percent_of(total, l->value));
                return 0;
        case LIMIT_INFINITY:
                (void) snprintf(buf, size, "max");
                return 0;
        default:
                return -EINVAL;
        }
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

void cg_format_cpu_max(uint64_t quota_per_sec_usec, usec_t period_usec, char *buf, size_t size) {
        uint64_t period = period_usec == 0 || period_usec == USEC_INFINITY ? CG_CPU_PERIOD_DEFAULT_USEC
                          : clamp_u64(period_usec, CG_CPU_PERIOD_MIN_USEC, CG_CPU_PERIOD_MAX_USEC);
        unsigned __int128 q;

        if (quota_per_sec_usec == USEC_INFINITY) {
                (void) snprintf(buf, size, "max %" PRIu64, period);
                return;
        }
        q = (unsigned __int128) quota_per_sec_usec * period / USEC_PER_SEC;
        if (q < CG_CPU_QUOTA_MIN_USEC)
                q = CG_CPU_QUOTA_MIN_USEC;
        if (q > INT64_MAX)      /* the kernel's quota is a signed 64-bit count */
                q = INT64_MAX;
        (void) snprintf(buf, size, "%" PRIu64 " %" PRIu64, (uint64_t) q, period);
}

static void format_max_key(char *buf, size_t size, const char *key, uint64_t v) {
        size_t l = strlen(buf);

        if (v == UINT64_MAX)
                (void) snprintf(buf + l, size - l, " %s=max", key);
        else
                (void) snprintf(buf + l, size - l, " %s=%" PRIu64, key, v);
}

void cg_format_io_max(const CgIOMax *d, char *buf, size_t size) {
        (void) snprintf(buf, size, "%u:%u", major(d->dev), minor(d->dev));
        format_max_key(buf, size, "rbps", d->rbps);
        format_max_key(buf, size, "wbps", d->wbps);
        format_max_key(buf, size, "riops", d->riops);
        format_max_key(buf, size, "wiops", d->wiops);
}

static int parse_u64(const char *s, const char **ret_end, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        *ret = v;
        if (ret_end)
                *ret_end = end;
        return 0;
}

int cg_parse_u64_or_max(const char *text, uint64_t *ret) {
        const char *end;
        uint64_t v;

        if (strneq(text, "max", 3) && strchr(" \n", text[3])) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (parse_u64(text, &end, &v) < 0 || !strchr(" \n", *end))
                return -EINVAL;
        *ret = v;
        return 0;
}

int cg_parse_keyed(const char *text, const char *key, uint64_t *ret) {
        size_t kl = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *end;
                uint64_t v;

                if (!strneq(l, key, kl) || l[kl] != ' ')
                        continue;
                if (parse_u64(l + kl + 1, &end, &v) < 0 || !strchr(" \n", *end))
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        return -ENOENT;
}

int cg_parse_cpu_max(const char *text, uint64_t *ret_quota_per_sec_usec) {
        const char *p = text;
        uint64_t quota = UINT64_MAX, period;

        if (strneq(p, "max ", 4))
                p += 4;
        else if (parse_u64(p, &p, &quota) < 0 || *p++ != ' ')
                return -EINVAL;
        if (parse_u64(p, NULL, &period) < 0 || period == 0)
                return -EINVAL;
        *ret_quota_per_sec_usec = quota == UINT64_MAX ? UINT64_MAX
                : (uint64_t) ((unsigned __int128) quota * USEC_PER_SEC / period);
        return 0;
}

/* Sum "key=N" over every line of io.stat. */
static uint64_t io_stat_sum(const char *text, const char *key) {
        size_t kl = strlen(key);
        uint64_t sum = 0;

        for (const char *p = text; (p = strstr(p, key)); p += kl) {
                uint64_t v;

                if ((p != text && p[-1] != ' ') || p[kl] != '=')
                        continue;
                if (parse_u64(p + kl + 1, NULL, &v) == 0)
                        sum += v;
        }
        return sum;
}

int cg_parse_io_stat(const char *text, uint64_t *ret_rbytes, uint64_t *ret_wbytes) {
        *ret_rbytes = io_stat_sum(text, "rbytes");
        *ret_wbytes = io_stat_sum(text, "wbytes");
        return 0;
}

int cg_parse_pressure(const char *text, double *ret_some_avg10) {
        const char *p;
        char *end;
        double v;

        if (!strneq(text, "some ", 5))
                return -ENOENT;
        p = strstr(text, "avg10=");
        if (!p)
                return -EINVAL;
        errno = 0;
        v = strtod(p + 6, &end);
        if (errno != 0 || end == p + 6)
                return -EINVAL;
        *ret_some_avg10 = v;
        return 0;
}

int cg_parse_pids(const char *text, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, alloc = 0;

        for (const char *l = text; *l;) {
                const char *end;
                uint64_t v;

                if (parse_u64(l, &end, &v) < 0 || v == 0 || v > INT_MAX || !strchr("\n", *end))
                        return -EINVAL;
                if (n == alloc) {
                        pid_t *a = reallocarray(pids, alloc = alloc ? alloc * 2 : 16, sizeof(pid_t));

                        if (!a)
                                return -ENOMEM;
                        pids = a;
                }
                pids[n++] = (pid_t) v;
                l = *end ? end + 1 : end;
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}
