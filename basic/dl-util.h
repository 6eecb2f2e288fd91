/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "error.h"

/* One function of a library loaded at run time: its name, and where its
 * address goes (the storage of a function pointer, cast). */
typedef struct CrlDlSym {
        const char *name;
        void **ptr;
} CrlDlSym;

/* dlopen(library) (RTLD_NOW | RTLD_LOCAL) and look every function of syms
 * up. On success *ret_dl is the handle (the caller dlclose()s it). On
 * failure nothing stays loaded, *ret_dl and every ptr are NULL, and reterr
 * says "cannot load LIBRARY: WHY" (ELIBACC) or "LIBRARY lacks a function
 * corral uses" (ELIBBAD). */
int crl_dlopen_syms(const char *library, const CrlDlSym *syms, size_t n, void **ret_dl, CrlError *reterr);
