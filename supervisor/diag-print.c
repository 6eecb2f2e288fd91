/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-verify.h"
#include "strv.h"

void print_diagnostics(FILE *out, const UnitDiagnostics *d) {
        STRV_FOREACH(e, d->errors)
                fprintf(out, "%s\n", *e);
        STRV_FOREACH(w, d->warnings)
                fprintf(out, "%s\n", *w);
}
