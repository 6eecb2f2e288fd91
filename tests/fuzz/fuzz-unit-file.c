/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: one unit file through the line reader, inih, every key
 * parser and the cross-key validation, as the instance "fuzz@1" of a
 * template so that specifiers are exercised. Built with -Dfuzz=true (clang);
 * fuzz-replay.c runs the same function over saved inputs in normal builds. */
#include <stdint.h>
#include <string.h>

#include "unit-load-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;
        char *text;

        /* Unit files are at most 1 MiB (read_file_at); stay well under so
         * the fuzzer spends its time on structure, not size. */
        if (size > 64 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        (void) unit_load_text("fuzz@1", "fuzz@.service", text, &u, &d); /* any result is fine; crashes are not */
        unit_config_free(u);
        unit_diagnostics_done(&d);
        free(text);
        return 0;
}
