/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Length of the UTF-8 sequence at s (at most left bytes; SIZE_MAX for a
 * NUL-terminated string, whose NUL ends any sequence), or 0 when it is not
 * one. Strict as systemd's utf8_is_valid(): no overlong forms, no
 * surrogates, nothing above U+10FFFF. *ret_cp (may be NULL) gets the code
 * point. */
size_t utf8_sequence(const unsigned char *s, size_t left, uint32_t *ret_cp);
