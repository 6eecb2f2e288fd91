/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Time loading every unit in the given units directories, as corrald does
 * at start and on Reload: list the names, then find, parse, apply drop-ins
 * and validate each. Prints the best and median of N rounds.
 *
 * usage: bench-units [-n ROUNDS] DIR... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strv.h"
#include "unit.h"

static double now_ms(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One round; returns the number of valid units or -errno. */
static int load_all(char *const *dirs, size_t *ret_invalid) {
        _cleanup_strv_free_ char **names = NULL;
        int r, valid = 0;

        r = unit_list_names(dirs, &names);
        if (r < 0)
                return r;
        *ret_invalid = 0;
        STRV_FOREACH(n, names) {
                UnitConfig *u = NULL;
                UnitDiagnostics d = {};

                r = unit_load(*n, dirs, &u, &d);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        (*ret_invalid)++;
                else
                        valid++;
                unit_config_free(u);
                unit_diagnostics_done(&d);
        }
        return valid;
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

int main(int argc, char *argv[]) {
        int rounds = 20, first = 1, valid = 0;
        size_t invalid = 0;
        double *t;

        if (argc > 2 && streq(argv[1], "-n")) {
                rounds = atoi(argv[2]);
                first = 3;
        }
        if (first >= argc || rounds < 1) {
                fprintf(stderr, "usage: bench-units [-n ROUNDS] DIR...\n");
                return 2;
        }
        t = calloc(rounds, sizeof(double));
        if (!t)
                return 1;
        for (int i = 0; i < rounds; i++) {
                double start = now_ms();

                valid = load_all(argv + first, &invalid);
                t[i] = now_ms() - start;
                if (valid < 0) {
                        fprintf(stderr, "bench-units: %s\n", strerror(-valid));
                        free(t);
                        return 1;
                }
        }
        qsort(t, rounds, sizeof(double), compare_double);
        printf("%d valid + %zu invalid units: best %.1f ms, median %.1f ms over %d rounds\n",
               valid, invalid, t[0], t[rounds / 2], rounds);
        free(t);
        return invalid > 0;
}
