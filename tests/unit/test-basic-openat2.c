/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crl_openat2() under RESOLVE_IN_ROOT while another process renames
 * directories without pause: every ".." the kernel walks during a rename
 * anywhere on the system fails with EAGAIN; the wrapper retries, so a
 * lookup that stays inside the root always succeeds. The raw syscall runs
 * beside it, to show the race really happened (else the test is skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

static char dir[] = "/tmp/test-basic-openat2.XXXXXX";

static pid_t start_renamer(void) {
        char a[64], b[64];
        pid_t pid;

        (void) snprintf(a, sizeof(a), "%s/r1", dir);
        (void) snprintf(b, sizeof(b), "%s/r2", dir);
        assert_int_equal(mkdir(a, 0755), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;) {
                        (void) rename(a, b);
                        (void) rename(b, a);
                }
        }
        return pid;
}

/* "a/b/../../a/b/../b/f" inside the root dir: four ".." walks each. */
static int lookup(int root, bool raw) {
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        const char *path = "a/b/../../a/b/../../a/b/../b/f";

        if (raw) {
                long r = syscall(SYS_openat2, root, path, &how, sizeof(how));
                return r < 0 ? -errno : (int) r;
        }
        return crl_openat2(root, path, &how);
}

/* Raw and wrapped lookups in turn, so both meet the renamer alike, until
 * the raw call has failed RAW_WANTED times (the race is real here) or
 * MAX_LOOKUPS pairs (a loaded host may seldom run the renamer meanwhile). */
#define RAW_WANTED 20
#define MAX_LOOKUPS 200000

static void race(int root, int *raw_eagain, int *wrapped_eagain, int *pairs) {
        *raw_eagain = *wrapped_eagain = 0;
        for (*pairs = 0; *pairs < MAX_LOOKUPS && *raw_eagain < RAW_WANTED; (*pairs)++) {
                for (int raw = 1; raw >= 0; raw--) {
                        int fd = lookup(root, raw);

                        if (fd >= 0) {
                                close(fd);
                                continue;
                        }
                        assert_int_equal(fd, -EAGAIN);  /* nothing else may fail */
                        (*(raw ? raw_eagain : wrapped_eagain))++;
                }
        }
}

static void test_retry_under_renames(void **state) {
        char p[128];
        int root, fd, raw_eagain, wrapped_eagain, pairs;
        pid_t renamer;

        (void) state;
        assert_non_null(mkdtemp(dir));
        (void) snprintf(p, sizeof(p), "%s/a", dir);
        assert_int_equal(mkdir(p, 0755), 0);
        (void) snprintf(p, sizeof(p), "%s/a/b", dir);
        assert_int_equal(mkdir(p, 0755), 0);
        (void) snprintf(p, sizeof(p), "%s/a/b/f", dir);
        fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root >= 0);

        renamer = start_renamer();
        race(root, &raw_eagain, &wrapped_eagain, &pairs);
        (void) kill(renamer, SIGKILL);
        (void) waitpid(renamer, NULL, 0);

        print_message("%d lookup pairs: raw openat2 EAGAIN %d times, crl_openat2 %d\n", pairs, raw_eagain,
                      wrapped_eagain);
        assert_int_equal(wrapped_eagain, 0);
        if (raw_eagain == 0) {
                print_message("the renamer never ran during a lookup: nothing proven\n");
                skip();
        }

        close(root);
        for (const char *const *n = (const char *const[]) { "a/b/f", "a/b", "a", "r1", "r2", NULL }; *n; n++) {
                (void) snprintf(p, sizeof(p), "%s/%s", dir, *n);
                if (unlink(p) < 0)
                        (void) rmdir(p);
        }
        (void) rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_retry_under_renames),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
