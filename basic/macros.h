/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _unused_ __attribute__((__unused__))
#define _printf_(a, b) __attribute__((__format__(printf, a, b)))
#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

/* Take ownership out of a variable that has a cleanup attribute. */
#define TAKE_GENERIC(var, type, nullvalue)              \
        ({                                              \
                type *_pvar_ = &(var);                  \
                type _var_ = *_pvar_;                   \
                type _nullvalue_ = nullvalue;           \
                *_pvar_ = _nullvalue_;                  \
                _var_;                                  \
        })
#define TAKE_PTR(p) TAKE_GENERIC((p), __typeof__(p), NULL)
#define TAKE_FD(fd) TAKE_GENERIC((fd), int, -EBADF)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes fd if valid; returns -EBADF so callers can write fd = safe_close(fd). */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                /* Linux always releases the fd, even when close() reports EINTR. */
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Define NAMEp() for a NAME_free() that accepts NULL, for _cleanup_(NAMEp). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

/* Return -errno from a libc call that returned -1 and set errno. */
#define RET_NERRNO(expr)                                \
        ({                                              \
                __typeof__(expr) _r_ = (expr);          \
                _r_ < 0 ? -errno : _r_;                 \
        })

static inline int negative_errno(void) {
        /* errno is positive after a failing libc call; guard against 0 so a
         * failure never looks like success. */
        return errno > 0 ? -errno : -EIO;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s) (!(s) || !(s)[0])

/* The value of a hex digit, or -EINVAL. */
static inline int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}
