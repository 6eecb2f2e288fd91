/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mount targets are resolved inside RootDirectory=: symlinks a service planted
 * in its own root (absolute, or climbing out with ../..) must neither make
 * corral create anything outside the root nor let a mount land beside the
 * path the service sees. And the read-only rules: one order for every entry
 * (ProtectHome=read-only beats ReadWritePaths=/), a writable entry never
 * clears read-only on a mount it did not make (the host's read-only
 * submounts under /dev, /sys or a ReadWritePaths= entry stay read-only).
 * Host-side mounts are only made in a scratch mount namespace of this test. */
#include "launch-util.h"

static char base[] = "/run/corral-esc-XXXXXX"; /* not /tmp: the root links /tmp out */
static char out[128], root[128];
static PrivateUsers users;      /* every test runs under each PrivateUsers= mode */

static char *at(const char *dir, const char *rel) {
        static char bufs[16][512];
        static int i;
        char *b = bufs[i++ % 16];

        (void) snprintf(b, 512, "%s/%s", dir, rel);
        return b;
}

static void link_to(const char *target, const char *rel) {
        if (symlink(target, at(root, rel)) < 0)
                abort();
}

/* Everything outside the root, as `find` lists it, to compare before/after. */
static char *snapshot(void) {
        char *s = NULL;

        (void) sh(&s, "cd %s && find . -printf '%%p %%y %%s\\n' | sort", out);
        return s;
}

static bool exists(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

/* A busybox root with symlinks out of it; "out" is the host directory the
 * symlinks name, "a" and "i" exist there. */
static void make_root(void) {
        char cmd[512], climb[256] = "";

        (void) snprintf(out, sizeof(out), "%s/out", base);
        (void) snprintf(root, sizeof(root), "%s/root", base);
        (void) snprintf(cmd, sizeof(cmd),
                        "set -e; cd %s; mkdir -p out/a out/f out/i/dir out/t out/ptmp root/bin root/proc root/dev root/sys "
                        "root/etc src; echo host-secret > out/i/secret; echo host-file > out/ptmp/host-file; "
                        "cp /usr/bin/busybox root/bin/; mkdir -p root%s/i/dir root/var; echo inside-secret > root%s/i/secret; "
                        "echo in-src > src/in-src; echo srcfile > srcfile; echo hosts > hosts; echo resolv > resolv",
                        base, out, out);
        CHECK(system(cmd) == 0, "%s", cmd);
        /* deep enough to reach / from the root, whatever the base */
        for (int i = 0; i < 12; i++)
                strcat(climb, "../");
        link_to(at(out, "a"), "absdir");
        link_to(at(climb, out + 1), "reldir");
        link_to(at(out, "i"), "link");
        link_to(at(out, "t"), "tmplink");
        link_to(at(out, "ptmp"), "tmp");
        link_to(at(climb, at(out + 1, "pvtmp")), "var/tmp");
        link_to(at(out, "resolv.conf"), "etc/resolv.conf");
        link_to(at(climb, at(out + 1, "hosts")), "etc/hosts");
        link_to(at(out, "f"), "fdir");
}

static void run_root(UnitConfig *u, const char *script, Run *run) {
        char *argv[] = { (char *) "/bin/busybox", (char *) "sh", (char *) "-c", (char *) script, NULL };

        NsLaunchParams p;

        unit_set_str(&u->root_directory, root);
        u->private_users = users;
        it_params_init(&p, u);
        p.userns_base = 0xa0000;
        run_params(u, &p, argv, run);
}

static void test_binds(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("esc-binds");
        _cleanup_free_ char *before = snapshot(), *after = NULL;
        Run run;

        unit_add_bind(u, at(base, "src"), "/absdir/new", false, false);
        unit_add_bind(u, at(base, "src"), "/reldir/new2", false, false);
        unit_add_bind(u, at(base, "srcfile"), "/fdir/file", false, false);
        /* what networking adds: read-only file binds onto /etc */
        unit_add_bind(u, at(base, "hosts"), "/etc/hosts", true, false);
        unit_add_bind(u, at(base, "resolv"), "/etc/resolv.conf", true, false);
        run_root(u, "B=/bin/busybox; $B cat /absdir/new/in-src /reldir/new2/in-src /fdir/file /etc/hosts "
                    "/etc/resolv.conf", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "in-src\nin-src\nsrcfile\nhosts\nresolv"), "r=%d %s '%s'",
              run.r, run.error.message, run.out);
        after = snapshot();
        CHECK(streq(before, after), "outside the root changed:\nbefore:\n%s\nafter:\n%s", before, after);
        CHECK(!exists(at(out, "a/new")) && !exists(at(out, "new2")) && !exists(at(out, "f/file")) &&
              !exists(at(out, "hosts")) && !exists(at(out, "resolv.conf")), "mount point made outside the root");
}

static void test_inaccessible(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("esc-inacc");
        _cleanup_free_ char *before = snapshot(), *after = NULL;
        Run run;

        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, "/link/secret", false);
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, "/link/dir", false);
        /* root reads the empty mode-000 stand-in, nobody is refused */
        run_root(u, "B=/bin/busybox; $B ls -ld /link/dir | $B cut -c1-10; $B cat /link/secret /link/dir/x 2>/dev/null | "
                    "$B grep -c secret", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "d---------\n0"), "root: r=%d %s '%s'", run.r, run.error.message, run.out);
        unit_set_str(&u->user, "65534");
        run_root(u, "/bin/busybox cat /link/secret 2>&1", &run);
        CHECK(run.r == 0 && strstr(run.out, "Permission denied") && !strstr(run.out, "secret\n"), "nobody: r=%d %s '%s'",
              run.r, run.error.message, run.out);
        after = snapshot();
        CHECK(streq(before, after), "outside the root changed:\nbefore:\n%s\nafter:\n%s", before, after);
}

static void test_tmpfs_and_private_tmp(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("esc-tmp");
        _cleanup_free_ char *before = snapshot(), *after = NULL;
        Run run;

        u->temporary_file_system = calloc(1, sizeof(TmpfsMount));
        u->temporary_file_system[0] = (TmpfsMount) { .path = strdup("/tmplink/t"), .options = strdup("size=1M") };
        u->n_temporary_file_system = 1;
        u->private_tmp = true;
        run_root(u, "B=/bin/busybox; $B stat -f -c %T /tmplink/t; $B ls -A /tmp | $B wc -l; "
                    "echo x > /tmp/mark && echo x > /var/tmp/mark && echo wrote", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "tmpfs\n0\nwrote"), "r=%d %s '%s'", run.r, run.error.message, run.out);
        after = snapshot();
        CHECK(streq(before, after), "outside the root changed:\nbefore:\n%s\nafter:\n%s", before, after);
        CHECK(!exists(at(out, "t/t")) && !exists(at(out, "ptmp/mark")) && !exists(at(out, "pvtmp")),
              "PrivateTmp=/TemporaryFileSystem= reached outside the root");
        (void) ns_private_tmp_remove(rt_dir(), "esc-tmp");
}

/* ProtectHome=read-only wins over ReadWritePaths=/ (the deeper entry
 * decides), and ReadWritePaths= inside ReadOnlyPaths= stays writable
 * whatever order the lists were written in. */
static void test_order(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("order");
        char script[512];
        Run run;

        if (access("/root", F_OK) < 0) {
                printf("no /root here, skipping ProtectHome= check\n");
        } else {
                u->protect_home = PROTECT_HOME_READ_ONLY;
                unit_add_path(&u->read_write_paths, &u->n_read_write_paths, "/", false);
                u->private_users = users;
                run_sh(u, "test -w /root && echo w || echo ro; test -w /tmp && echo tmp:w", &run);
                CHECK(run.r == 0 && streq(chomp(&run), "ro\ntmp:w"), "home=read-only + rw=/: r=%d %s '%s'",
                      run.r, run.error.message, run.out);
        }
        unit_config_free(u);
        u = unit_new("order2");
        u->private_users = users;
        unit_add_path(&u->read_write_paths, &u->n_read_write_paths, at(base, "v/lib/x"), false);
        unit_add_path(&u->read_only_paths, &u->n_read_only_paths, at(base, "v"), false);
        (void) snprintf(script, sizeof(script), "test -w %s && echo v:w || echo v:ro; touch %s && echo x:w",
                        at(base, "v"), at(base, "v/lib/x/new"));
        run_sh(u, script, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "v:ro\nx:w"), "rw inside ro: r=%d %s '%s'", run.r, run.error.message,
              run.out);
}

/* In a mount namespace of our own: read-only submounts under /dev, /sys
 * and a ReadWritePaths= entry, which the service must see read-only. */
static void check_keeps_read_only(PrivateUsers m, const char *sub) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("keep-ro");
        char script[512], want[1024];
        Run run;

        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->private_users = m;
        unit_add_path(&u->read_write_paths, &u->n_read_write_paths, at(base, "v/lib/x"), false);
        (void) snprintf(script, sizeof(script),
                        "for p in /dev/shm /sys/kernel %s %s /etc /dev; do test -w $p && echo $p:w || echo $p:ro; done",
                        sub, at(base, "v/lib/x"));
        run_sh(u, script, &run);
        (void) snprintf(want, sizeof(want), "/dev/shm:ro\n/sys/kernel:ro\n%s:ro\n%s:w\n/etc:ro\n/dev:w", sub,
                        at(base, "v/lib/x"));
        CHECK(run.r == 0 && streq(chomp(&run), want), "users=%d: r=%d %s\ngot:\n%s\nwant:\n%s", m, run.r,
              run.error.message, run.out, want);
}

static void test_rw_keeps_host_read_only(void) {
        const char *sub = at(base, "v/lib/x/rosub");

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                CHECK(false, "scratch mount namespace: %m");
                return;
        }
        CHECK(mount("/dev/shm", "/dev/shm", NULL, MS_BIND, NULL) == 0 &&
              mount(NULL, "/dev/shm", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0, "ro /dev/shm: %m");
        CHECK(mount("/sys/kernel", "/sys/kernel", NULL, MS_BIND, NULL) == 0 &&
              mount(NULL, "/sys/kernel", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0, "ro /sys/kernel: %m");
        /* per-mount read-only only (a bind), as on /dev/shm: not a read-only superblock */
        CHECK(mkdir(sub, 0755) == 0 && mount(sub, sub, NULL, MS_BIND, NULL) == 0 &&
              mount(NULL, sub, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0, "ro %s: %m", sub);
        check_keeps_read_only(PRIVATE_USERS_NO, sub);
        check_keeps_read_only(PRIVATE_USERS_IDENTITY, sub);
        (void) umount2(sub, MNT_DETACH);
}

int main(void) {
        char cmd[256];

        require_root();
        if (!mkdtemp(base))
                return 1;
        make_root();
        (void) snprintf(cmd, sizeof(cmd), "mkdir -p %s/v/lib/x", base);
        CHECK(system(cmd) == 0, "%s", cmd);
        /* pick: uid 0 inside is unmapped outside, so only the identity
         * mappings can tell a writable path from a read-only one */
        for (users = PRIVATE_USERS_NO; users < _PRIVATE_USERS_MAX; users++) {
                printf("PrivateUsers= mode %d\n", (int) users);
                test_binds();
                test_inaccessible();
                test_tmpfs_and_private_tmp();
                if (users != PRIVATE_USERS_PICK)
                        test_order();
        }
        test_rw_keeps_host_read_only();
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
        (void) !system(cmd);
        return finish("test-launch-mount-escape");
}
