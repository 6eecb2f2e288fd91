/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run the fuzz target once over each FILE or every file in each DIR
 * (recursively): the regression test for inputs the fuzzer once crashed
 * on, in builds without libFuzzer. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned n_run;

static int run_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        if (flag != FTW_F)
                return 0;
        r = read_file_at(AT_FDCWD, path, &buf, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return 1;
        }
        (void) LLVMFuzzerTestOneInput((const uint8_t *) buf, size); /* returns 0 always */
        n_run++;
        return 0;
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++)
                if (nftw(argv[i], run_one, 16, FTW_PHYS) != 0)
                        return 1;
        printf("replayed %u inputs\n", n_run);
        return 0;
}
