/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The one piece of process-wide state besides the Manager: the level is set
 * once from --log-level before the loop runs. */
static int max_level = LOG_INFO;

static const char *const level_names[] = {
        [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (level_names[i] && streq(level_names[i], s))
                        return (int) i;
        return -EINVAL;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_emit(int level, const char *fmt, ...) {
        va_list ap;
        char buf[2048];

        if (level > max_level)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* One write per line, so lines of a crash-restarted corrald never mix. */
        (void) fprintf(stderr, "corrald[%s]: %s\n", level_names[level] ? level_names[level] : "?", buf);
}
