/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-fdexec [FILE...] -- COMMAND [ARG...]: exec COMMAND with each FILE
 * open for reading at fd 3, 4, ... What bench/hardening puts in front of
 * every command of its hyperfine table: hyperfine -N has no shell to give
 * bwrap its --add-seccomp-fd files, and every row pays this one exec alike.
 * Static, so that exec costs little. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FIRST_FD 3
#define HIGH_FD 100

int main(int argc, char **argv) {
        int fds[HIGH_FD - FIRST_FD], n = 0, i = 1;

        /* above the targets first, so a dup2() cannot close a source */
        for (; i < argc && strcmp(argv[i], "--") != 0; i++, n++) {
                int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

                if (n == HIGH_FD - FIRST_FD || fd < 0 || (fds[n] = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0) {
                        perror(argv[i]);
                        return 126;
                }
        }
        if (i + 1 >= argc) {
                fprintf(stderr, "usage: bench-fdexec [FILE...] -- COMMAND [ARG...]\n");
                return 2;
        }
        for (int k = 0; k < n; k++)
                if (dup2(fds[k], FIRST_FD + k) < 0) {
                        perror("dup2");
                        return 126;
                }
        execvp(argv[i + 1], argv + i + 1);
        perror(argv[i + 1]);
        return 127;
}
