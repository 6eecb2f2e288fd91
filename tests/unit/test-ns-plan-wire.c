/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan corral-executor reads (ns/ns-plan-wire.c): everything the
 * child uses comes through, pointers and all, the writer's plan is left as
 * it was, and a buffer that is not a whole plan of this build is refused
 * rather than followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "ns-plan.h"

static char *argv_[] = { (char *) "/bin/echo", (char *) "a", (char *) "", NULL };
static char *envp_[] = { (char *) "A=1", (char *) "PATH=/bin", NULL };
static gid_t groups_[] = { 10, 20, 30 };
static struct sock_filter f1[] = { { 0x20, 0, 0, 4 }, { 0x6, 0, 0, 0x7fff0000 } };
static struct sock_filter f2[] = { { 0x6, 0, 0, 0x7fff0000 } };
static NsSeccomp seccomp_ = { .n = 2, .progs = { { 2, f1 }, { 1, f2 } } };
static NsMountOp mounts_[2];
static NsCredential creds_[] = { { "token", (char *) "s3cret\0x", 8 }, { "empty", NULL, 0 } };

static NsPlan make_plan(void) {
        NsPlan p = NS_PLAN_INIT;

        mounts_[0] = (NsMountOp) { .kind = NS_MOUNT_BIND, .source = (char *) "/srv/data", .target = (char *) "/data",
                                   .tree_fd = -EBADF, .read_only = true, .recursive = true, .create = true };
        mounts_[1] = (NsMountOp) { .kind = NS_MOUNT_TMPFS, .target = (char *) "/tmp", .options = (char *) "mode=1777",
                                   .tree_fd = -EBADF };
        p.name = "web";
        p.clone_flags = 0x20000000;
        p.unshare_flags = 0x40000000;
        p.use_init = p.loopback = true;
        strcpy(p.timens_offsets, "monotonic 5 0\n");
        p.hostname = "web-host";
        p.netns_fd = 7;
        p.root = "/srv/root";
        p.mounts = mounts_;
        p.n_mounts = ELEMENTSOF(mounts_);
        p.credentials = creds_;
        p.n_credentials = ELEMENTSOF(creds_);
        p.set_ids = p.set_groups = true;
        p.uid = 1000;
        p.gid = 100;
        p.groups = groups_;
        p.n_groups = ELEMENTSOF(groups_);
        p.bounding = 0x1234;
        p.working_directory = "/var/lib/web";
        p.stdio[0] = 3, p.stdio[1] = 4, p.stdio[2] = 5;
        p.argv = argv_;
        p.exec_path = (char *) "/usr/bin/echo";
        p.envp = envp_;
        p.path_env = "/bin:/usr/bin";
        p.status_fd = 9;
        p.exec_user = NULL;
        p.seccomp = &seccomp_;
        p.nofile_set = true;
        p.nofile = (struct rlimit) { 1024, 4096 };
        return p;
}

static NsPlan *roundtrip(const NsPlan *in) {
        NsPlan *out = NULL;
        int fd = -EBADF;

        assert_int_equal(ns_plan_wire_write(in, &fd), 0);
        assert_true(fd >= 0);
        assert_int_equal(ns_plan_wire_read(fd, &out), 0);
        close(fd);
        return out;
}

static void test_roundtrip(void **state) {
        NsPlan in = make_plan(), copy = in;
        NsPlan *p = roundtrip(&in);

        assert_memory_equal(&in, &copy, sizeof(in));    /* the writer's plan is untouched */
        assert_string_equal(p->name, "web");
        assert_true(p->clone_flags == 0x20000000 && p->unshare_flags == 0x40000000);
        assert_true(p->use_init && p->loopback && !p->need_release);
        assert_string_equal(p->timens_offsets, "monotonic 5 0\n");
        assert_string_equal(p->hostname, "web-host");
        assert_int_equal(p->netns_fd, 7);
        assert_string_equal(p->root, "/srv/root");
        assert_int_equal(p->n_mounts, 2);
        assert_int_equal(p->mounts[0].kind, NS_MOUNT_BIND);
        assert_string_equal(p->mounts[0].source, "/srv/data");
        assert_string_equal(p->mounts[0].target, "/data");
        assert_null(p->mounts[0].options);
        assert_true(p->mounts[0].read_only && p->mounts[0].recursive && p->mounts[0].create);
        assert_int_equal(p->mounts[0].tree_fd, -EBADF);
        assert_null(p->mounts[1].source);
        assert_string_equal(p->mounts[1].options, "mode=1777");
        for (size_t i = 0; i < 2; i++) {        /* the child's own PATH_MAX buffers */
                assert_non_null(p->mounts[i].real);
                assert_int_equal(p->mounts[i].real[0], 0);
                memset(p->mounts[i].real, 'x', PATH_MAX);
        }
        assert_int_equal(p->n_credentials, 2);
        assert_string_equal(p->credentials[0].id, "token");
        assert_int_equal(p->credentials[0].size, 8);
        assert_memory_equal(p->credentials[0].data, "s3cret\0x", 8);
        assert_string_equal(p->credentials[1].id, "empty");
        assert_int_equal(p->credentials[1].size, 0);
        assert_true(p->set_ids && p->set_groups && p->uid == 1000 && p->gid == 100);
        assert_int_equal(p->n_groups, 3);
        assert_int_equal(p->groups[2], 30);
        assert_int_equal(p->bounding, 0x1234);
        assert_string_equal(p->working_directory, "/var/lib/web");
        assert_true(p->stdio[0] == 3 && p->stdio[1] == 4 && p->stdio[2] == 5 && p->status_fd == 9);
        assert_string_equal(p->argv[0], "/bin/echo");
        assert_string_equal(p->argv[2], "");
        assert_null(p->argv[3]);
        assert_string_equal(p->exec_path, "/usr/bin/echo");
        assert_string_equal(p->envp[1], "PATH=/bin");
        assert_null(p->envp[2]);
        assert_string_equal(p->path_env, "/bin:/usr/bin");
        assert_null(p->exec_user);
        assert_non_null(p->seccomp);
        assert_null(p->own_seccomp);
        assert_int_equal(p->seccomp->n, 2);
        assert_int_equal(p->seccomp->progs[0].len, 2);
        assert_memory_equal(p->seccomp->progs[0].filter, f1, sizeof(f1));
        assert_memory_equal(p->seccomp->progs[1].filter, f2, sizeof(f2));
        assert_true(p->nofile_set && p->nofile.rlim_cur == 1024 && p->nofile.rlim_max == 4096);
        ns_plan_wire_release(p);
}

/* A plan with nothing but a command: every other pointer stays NULL. */
static void test_minimal(void **state) {
        NsPlan in = NS_PLAN_INIT, *p;

        in.argv = argv_;
        p = roundtrip(&in);
        assert_null(p->name);
        assert_null(p->mounts);
        assert_null(p->credentials);
        assert_null(p->groups);
        assert_null(p->seccomp);
        assert_null(p->envp);
        assert_null(p->root);
        assert_string_equal(p->argv[1], "a");
        assert_int_equal(p->record_fd, -EBADF);
        ns_plan_wire_release(p);
}

/* Write the plan, patch the file at off with len bytes of val, read. */
static int patched(off_t off, const void *val, size_t len, off_t truncate_to) {
        NsPlan in = make_plan(), *p = NULL;
        int fd = -EBADF, r;

        assert_int_equal(ns_plan_wire_write(&in, &fd), 0);
        if (val)
                assert_int_equal(pwrite(fd, val, len, off), (ssize_t) len);
        if (truncate_to >= 0)
                assert_int_equal(ftruncate(fd, truncate_to), 0);
        r = ns_plan_wire_read(fd, &p);
        close(fd);
        if (r >= 0)
                ns_plan_wire_release(p);
        return r;
}

#define PLAN_AT 16      /* after the header */

static void test_refused(void **state) {
        const uint32_t bad_magic = 0;
        const uint64_t far = UINT64_C(1) << 40, small = 3;
        const size_t huge = SIZE_MAX / 2;

        assert_int_equal(patched(0, NULL, 0, -1), 0);                           /* unpatched: fine */
        assert_int_equal(patched(0, &bad_magic, sizeof(bad_magic), -1), -EBADMSG);
        assert_int_equal(patched(0, NULL, 0, PLAN_AT + 8), -EBADMSG);           /* cut short */
        assert_int_equal(patched(0, NULL, 0, 4096 * 4), -EBADMSG);              /* size disagrees */
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, name), &far, sizeof(far), -1), -EBADMSG);
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, name), &small, sizeof(small), -1), -EBADMSG);
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, argv), &far, sizeof(far), -1), -EBADMSG);
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, n_mounts), &huge, sizeof(huge), -1), -EBADMSG);
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, n_groups), &huge, sizeof(huge), -1), -EBADMSG);
        assert_int_equal(patched(PLAN_AT + offsetof(NsPlan, n_credentials), &huge, sizeof(huge), -1), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
