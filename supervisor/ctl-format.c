/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl: sizes, time spans and time stamps as systemctl prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

char *ctl_format_bytes(char buf[static CTL_FORMAT_BYTES_MAX], uint64_t bytes) {
        static const char suffix[] = "BKMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes == UINT64_MAX) {
                snprintf(buf, CTL_FORMAT_BYTES_MAX, "-");
                return buf;
        }
        while (v >= 1024.0 && i + 1 < sizeof(suffix) - 1) {
                v /= 1024.0;
                i++;
        }
        /* What rounds to 1024 is the next unit's 1.0: 1048575 is "1.0M", not "1024K". */
        if (i > 0 && v >= 1023.5 && i + 1 < sizeof(suffix) - 1) {
                v /= 1024.0;
                i++;
        }
        if (i == 0)
                snprintf(buf, CTL_FORMAT_BYTES_MAX, "%lluB", (unsigned long long) bytes);
        else if (v < 99.95)     /* what "%.1f" prints as 100.0 gets no decimal */
                snprintf(buf, CTL_FORMAT_BYTES_MAX, "%.1f%c", v, suffix[i]);
        else
                snprintf(buf, CTL_FORMAT_BYTES_MAX, "%.0f%c", v, suffix[i]);
        return buf;
}

char *ctl_format_timespan(char buf[static CTL_FORMAT_TIMESPAN_MAX], uint64_t usec) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "y",   31557600ULL * 1000000ULL },
                { "month", 2629800ULL * 1000000ULL },
                { "w",   604800ULL * 1000000ULL },
                { "d",   86400ULL * 1000000ULL },
                { "h",   3600ULL * 1000000ULL },
                { "min", 60ULL * 1000000ULL },
                { "s",   1000000ULL },
                { "ms",  1000ULL },
                { "us",  1ULL },
        };
        size_t n = 0, shown = 0;

        buf[0] = 0;
        if (usec == 0) {
                snprintf(buf, CTL_FORMAT_TIMESPAN_MAX, "0");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(units) && shown < 2; i++) {
                uint64_t k = usec / units[i].usec;

                if (k == 0) {
                        if (shown > 0)
                                break;  /* "1h 2min", never "1h 0min 3s" */
                        continue;
                }
                n += snprintf(buf + n, CTL_FORMAT_TIMESPAN_MAX - n, "%s%llu%s", shown ? " " : "",
                              (unsigned long long) k, units[i].suffix);
                usec -= k * units[i].usec;
                shown++;
                if (units[i].usec < 1000000ULL)
                        break;  /* below a second one unit is enough */
        }
        return buf;
}

char *ctl_format_timestamp(char buf[static CTL_FORMAT_TIMESTAMP_MAX], uint64_t usec) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, CTL_FORMAT_TIMESTAMP_MAX, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, CTL_FORMAT_TIMESTAMP_MAX, "n/a");
        return buf;
}

bool ctl_use_color(int fd) {
        const char *term = getenv("TERM");

        /* no-color.org: set and not empty. */
        if (!isempty(getenv("NO_COLOR")))
                return false;
        if (term && streq(term, "dumb"))
                return false;
        return isatty(fd) > 0;
}
