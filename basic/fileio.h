/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fcntl.h>
#include <stddef.h>

/* Read a whole small file (≤ 1 MiB) relative to dirfd (AT_FDCWD for a path),
 * NUL-terminated; the trailing newline is kept. */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_size);
/* Read the first line, without its newline. */
int read_line_at(int dirfd, const char *path, char **ret);
/* Write s with one write() (kernel interface files need a single write),
 * no O_CREAT, no O_TRUNC. Returns -errno from open or write. */
int write_string_at(int dirfd, const char *path, const char *s);
