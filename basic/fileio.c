/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"

#define READ_FILE_MAX (1024 * 1024)

static int read_fd(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 4096;

        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (size + 1 >= alloc) {
                        char *b;

                        if (alloc >= READ_FILE_MAX)
                                return -EFBIG;
                        b = realloc(buf, alloc * 2);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        alloc *= 2;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd(fd, ret, ret_size);
}

int read_regular_file_at(int dirfd, const char *path, char **ret, size_t *ret_size, struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF, probe = -EBADF;
        struct stat st, st2;

        /* Type first, through O_PATH: opening a FIFO for reading waits for a
         * writer, a socket cannot be opened at all, and a device's open may
         * act (a tape rewinds). */
        probe = openat(dirfd, path, O_PATH | O_CLOEXEC);
        if (probe < 0)
                return -errno;
        if (fstat(probe, &st) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        /* O_NONBLOCK and a second fstat: a file swapped in between is caught
         * without blocking on it. */
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st2) < 0)
                return -errno;
        if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino || !S_ISREG(st2.st_mode)) {
                if (ret_st)
                        *ret_st = st2;
                return S_ISREG(st2.st_mode) ? -EAGAIN : S_ISDIR(st2.st_mode) ? -EISDIR : -EBADFD;
        }
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                return -errno;
        return read_fd(fd, ret, ret_size);
}

const char *file_type_name(mode_t type) {
        switch (type & S_IFMT) {
        case S_IFREG:   return "a regular file";
        case S_IFDIR:   return "a directory";
        case S_IFIFO:   return "a FIFO";
        case S_IFSOCK:  return "a socket";
        case S_IFCHR:   return "a character device";
        case S_IFBLK:   return "a block device";
        case S_IFLNK:   return "a symbolic link";
        default:        return "an unknown file type";
        }
}

int read_line_at(int dirfd, const char *path, char **ret) {
        char *buf;
        int r;

        r = read_file_at(dirfd, path, &buf, NULL);
        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = 0;
        *ret = buf;
        return 0;
}

int write_string_at(int dirfd, const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(s);
        ssize_t n;

        fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = write(fd, s, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}
