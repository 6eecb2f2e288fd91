/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-verify.h"
#include "strv.h"

void print_diagnostics(FILE *out, const UnitDiagnostics *d) {
        STRV_FOREACH(l, d->lines)
                fprintf(out, "%s\n", *l);
}
