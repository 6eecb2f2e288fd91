/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper: allocate MIB mebibytes and touch every page, so the memory is
 * really charged to the caller's cgroup. Prints "touched MIB MiB" and exits
 * 0 if it survives; inside a small memory.max it should be OOM-killed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
        long page = sysconf(_SC_PAGESIZE);
        unsigned long mib;
        size_t size;
        char *end, *p;

        if (argc != 2) {
                fprintf(stderr, "usage: %s MIB\n", argv[0]);
                return 2;
        }
        errno = 0;
        mib = strtoul(argv[1], &end, 10);
        if (errno != 0 || *end || mib == 0 || mib > 1024 * 1024) {
                fprintf(stderr, "bad size '%s'\n", argv[1]);
                return 2;
        }
        size = (size_t) mib << 20;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                fprintf(stderr, "mmap %lu MiB: %s\n", mib, strerror(errno));
                return 1;
        }
        /* Non-zero bytes: a zero page would not be charged on some kernels. */
        for (size_t off = 0; off < size; off += (size_t) page)
                p[off] = 1;
        printf("touched %lu MiB\n", mib);
        return 0;
}
