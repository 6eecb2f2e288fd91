/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

/* Read a whole small file (≤ 1 MiB) relative to dirfd (AT_FDCWD for a path),
 * NUL-terminated; the trailing newline is kept. */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_size);
/* read_file_at() for files a user names (unit files, drop-ins, corrald.conf):
 * refuses anything but a regular file before the first read, since a FIFO,
 * socket or device would block or never end. -EISDIR for a directory,
 * -EBADFD for another type. *ret_st (may be NULL) is the file's stat once
 * it is open, also when its type is refused. Follows symbolic links. */
int read_regular_file_at(int dirfd, const char *path, char **ret, size_t *ret_size, struct stat *ret_st);
/* "a FIFO", "a socket", ... for S_IFMT bits, for messages. */
const char *file_type_name(mode_t type);
/* Read the first line, without its newline. */
int read_line_at(int dirfd, const char *path, char **ret);
/* Write s with one write() (kernel interface files need a single write),
 * no O_CREAT, no O_TRUNC. Returns -errno from open or write. */
int write_string_at(int dirfd, const char *path, const char *s);
