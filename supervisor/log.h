/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corrald's own log on stderr, filtered by --log-level (syslog levels). */

#include <syslog.h>

#include "macros.h"

int log_level_from_string(const char *s);     /* "err", "warning", "notice", "info", "debug" */
void log_set_max_level(int level);
int log_get_max_level(void);
void log_emit(int level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...)   log_emit(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_emit(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_emit(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_emit(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_emit(LOG_DEBUG, __VA_ARGS__)
