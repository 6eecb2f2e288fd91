/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>

#include "dl-util.h"

int crl_dlopen_syms(const char *library, const CrlDlSym *syms, size_t n, void **ret_dl, CrlError *reterr) {
        void *dl = dlopen(library, RTLD_NOW | RTLD_LOCAL);
        bool all = true;

        *ret_dl = NULL;
        for (size_t i = 0; i < n; i++)
                *syms[i].ptr = NULL;
        if (!dl)
                return crl_error_set(reterr, ELIBACC, "cannot load %s: %s", library, dlerror());
        for (size_t i = 0; i < n && all; i++)
                all = (*syms[i].ptr = dlsym(dl, syms[i].name)) != NULL;
        if (!all) {
                for (size_t i = 0; i < n; i++)
                        *syms[i].ptr = NULL;
                (void) dlclose(dl);
                return crl_error_set(reterr, ELIBBAD, "%s lacks a function corral uses", library);
        }
        *ret_dl = dl;
        return 0;
}
