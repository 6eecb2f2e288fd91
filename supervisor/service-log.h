/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pure parts of corral-log, the log process shared by every service:
 * time stamps, line splitting, rotation names and the hand-off message
 * corrald sends it. No I/O here, so the unit tests cover every branch. */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A line longer than this is cut into pieces of this size (each logged as a
 * line of its own); a partial line is held until its newline, this bound,
 * or EOF. 64 KiB like systemd-journald's LineMax default (48K) rounded to a
 * pipe's default capacity, so one read can always complete a line. */
#define SVC_LOG_LINE_MAX (64 * 1024)

/* "2026-12-05T12:00:00.123456+00:00 " plus NUL. */
#define SVC_LOG_TIMESTAMP_MAX 34

/* RFC 3339 local time with microseconds and the UTC offset, followed by one
 * space: "2026-12-05T12:00:00.123456+00:00 ". Returns the length (33) or
 * -EINVAL when the time cannot be converted. */
int svc_log_format_timestamp(const struct timespec *ts, char ret[static SVC_LOG_TIMESTAMP_MAX]);

/* The next line in buf[0..len): returns the bytes it consumes (the line and
 * its newline, if any) and sets *ret_line_len to the line without its
 * newline. A line ends at '\n', at SVC_LOG_LINE_MAX bytes (max: the bound,
 * a parameter for tests), or at the end of buf when eof is set (a partial
 * line flushed). Returns 0 when buf holds no complete line yet: the
 * caller's buffer must hold max + 1 bytes, so a line of exactly max bytes
 * is seen with its newline. */
size_t svc_log_next_line(const char *buf, size_t len, size_t max, bool eof, size_t *ret_line_len);

/* "web.log" for index 0, "web.log.3" for index 3. Returns the length, or
 * -ENAMETOOLONG when it does not fit in size bytes. */
int svc_log_file_name(const char *name, unsigned index, char *ret, size_t size);

/* Whether appending n bytes to a file of size bytes must rotate it first:
 * only a non-empty file rotates (a single line larger than max_bytes still
 * goes into a file of its own); max_bytes 0 means never. */
bool svc_log_must_rotate(uint64_t size, size_t n, uint64_t max_bytes);

/* The log process's socket in corrald's RuntimeDirectory. */
#define SVC_LOG_SOCKET_NAME "log.sock"

/* One service's output handed to the log process: a SOCK_SEQPACKET message
 * of this struct with SVC_LOG_HANDOFF_FDS fds (SCM_RIGHTS, in this order:
 * the pipe's read end, LogDirectory, NAME.log opened O_APPEND), answered
 * by one SvcLogAck. */
#define SVC_LOG_HANDOFF_MAGIC 0x636c6f67U      /* "clog"; bumped on any change of the layout */
#define SVC_LOG_HANDOFF_FDS 3

typedef struct SvcLogHandoff {
        uint32_t magic;
        uint32_t keep;                  /* LogKeep= */
        uint64_t max_bytes;             /* LogMaxBytes=, 0: never rotate */
        char name[NAME_MAX + 1];        /* the service, NUL-terminated */
} SvcLogHandoff;

typedef struct SvcLogAck {
        int32_t error;                  /* 0: taken; else a positive errno: refused, the fds closed */
        int32_t pid;                    /* the log process's (getpid()), for RuntimeState.logger_pid */
} SvcLogAck;

/* 0 when h (len bytes as received) is a hand-off the log process can take:
 * the size and magic match, name is a non-empty file name (no '/', not
 * "." or "..") and NAME.log.KEEP fits in NAME_MAX; else -EBADMSG (wrong
 * size or magic) or -EINVAL. */
int svc_log_handoff_check(const SvcLogHandoff *h, size_t len);
