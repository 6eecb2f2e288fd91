/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "service-log.h"

int svc_log_format_timestamp(const struct timespec *ts, char ret[static SVC_LOG_TIMESTAMP_MAX]) {
        struct tm tm;
        long off, usec;
        int n;

        if (!localtime_r(&ts->tv_sec, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
                return -EINVAL;

        off = tm.tm_gmtoff / 60;        /* minutes east of UTC */
        usec = ts->tv_nsec / 1000;
        if (usec < 0 || usec > 999999)
                return -EINVAL;
        n = snprintf(ret, SVC_LOG_TIMESTAMP_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld%c%02ld:%02ld ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     usec, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
        if (n < 0 || n >= SVC_LOG_TIMESTAMP_MAX)
                return -EINVAL;
        return n;
}

size_t svc_log_next_line(const char *buf, size_t len, size_t max, bool eof, size_t *ret_line_len) {
        /* Look one byte past the bound, so a line of exactly max bytes keeps
         * its newline instead of leaving an empty line behind. */
        size_t scan = len < max + 1 ? len : max + 1;
        const char *nl = memchr(buf, '\n', scan);

        if (nl) {
                *ret_line_len = (size_t) (nl - buf);
                return *ret_line_len + 1;
        }
        /* No newline within the bound: cut at the bound, or flush the
         * partial line at EOF. */
        if (len > max) {
                *ret_line_len = max;
                return max;
        }
        if (eof && len > 0) {
                *ret_line_len = len;
                return len;
        }
        return 0;
}

int svc_log_file_name(const char *name, unsigned index, char *ret, size_t size) {
        int n;

        if (index == 0)
                n = snprintf(ret, size, "%s.log", name);
        else
                n = snprintf(ret, size, "%s.log.%u", name, index);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return n;
}

bool svc_log_must_rotate(uint64_t size, size_t n, uint64_t max_bytes) {
        if (max_bytes == 0 || size == 0)
                return false;
        return size + n > max_bytes;
}

int svc_log_handoff_check(const SvcLogHandoff *h, size_t len) {
        char file[NAME_MAX + 1];
        size_t n;

        if (len != sizeof(*h) || h->magic != SVC_LOG_HANDOFF_MAGIC)
                return -EBADMSG;
        n = strnlen(h->name, sizeof(h->name));
        if (n == 0 || n == sizeof(h->name) || memchr(h->name, '/', n) ||
            streq(h->name, ".") || streq(h->name, ".."))
                return -EINVAL;
        if (svc_log_file_name(h->name, h->keep, file, sizeof(file)) < 0)
                return -EINVAL;
        return 0;
}
