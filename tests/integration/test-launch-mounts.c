/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filesystem keys, checked by what the process can and cannot do. Nothing
 * here writes outside the test's own directory: writability of host paths
 * is probed with access(W_OK) (`test -w`), which reports EROFS. */
#include "launch-util.h"

static char dir[] = "/tmp/corral-mnt-XXXXXX";

static void mk(const char *rel, bool is_dir) {
        char p[256];

        (void) snprintf(p, sizeof(p), "%s/%s", dir, rel);
        if (is_dir)
                (void) mkdir(p, 0755);
        else {
                FILE *f = fopen(p, "we");

                if (f) {
                        fputs("content\n", f);
                        fclose(f);
                }
        }
}

static char *at(const char *rel) {
        static char bufs[8][256];
        static int i;
        char *b = bufs[i++ % 8];

        (void) snprintf(b, 256, "%s/%s", dir, rel);
        return b;
}

static void test_read_only_and_writable(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("ro");
        char script[1024];
        Run run;

        unit_add_path(&u->read_only_paths, &u->n_read_only_paths, at("ro"), false);
        unit_add_path(&u->read_write_paths, &u->n_read_write_paths, at("ro/rw"), false);
        unit_add_path(&u->read_only_paths, &u->n_read_only_paths, "/nonexistent-corral", true);
        (void) snprintf(script, sizeof(script),
                        "touch %s 2>&1 | grep -o 'Read-only file system'; touch %s && echo rw-ok",
                        at("ro/new"), at("ro/rw/new"));
        run_sh(u, script, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "Read-only file system\nrw-ok"), "r=%d %s: '%s'", run.r,
              run.error.message, run.out);
        CHECK(access(at("ro/rw/new"), F_OK) == 0, "write did not reach the host");
}

/* The entries share one clone of the inaccessible file (the first entry,
 * a directory, gets a tmpfs; "file" attaches the clone, "file2" a clone of
 * that mount), and the directories one tmpfs ("secret" a clone of a-dir's
 * mount): each file hidden, each directory empty, mode 000 and unwritable
 * also for root, each mount read-only, nosuid, nodev, noexec. */
static void test_inaccessible(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("inacc");
        const char *flags = "awk -v p=%s '$5 == p {print $6}' /proc/self/mountinfo | tr , '\\n' | "
                            "grep -cxE 'ro|nosuid|nodev|noexec'";
        char script[2048], f1[256], f2[256], d1[256], d2[256];
        Run run;

        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, at("a-dir"), false);
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, at("secret"), false);
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, at("file"), false);
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, at("file2"), false);
        (void) snprintf(f1, sizeof(f1), flags, at("file"));
        (void) snprintf(f2, sizeof(f2), flags, at("file2"));
        (void) snprintf(d1, sizeof(d1), flags, at("a-dir"));
        (void) snprintf(d2, sizeof(d2), flags, at("secret"));
        (void) snprintf(script, sizeof(script),
                        "ls -A %s | wc -l; ls -A %s | wc -l; cat %s %s 2>&1 | grep -c content; %s; %s; %s; %s; "
                        "stat -c %%a %s %s; touch %s/x %s/x 2>&1 | grep -c 'Read-only'",
                        at("a-dir"), at("secret"), at("file"), at("file2"), f1, f2, d1, d2, at("a-dir"),
                        at("secret"), at("a-dir"), at("secret"));
        run_sh(u, script, &run);   /* as root: empty, content hidden */
        CHECK(run.r == 0 && streq(chomp(&run), "0\n0\n0\n4\n4\n4\n4\n0\n0\n2"), "root: r=%d %s '%s'", run.r,
              run.error.message, run.out);
        unit_set_str(&u->user, "nobody");
        (void) snprintf(script, sizeof(script),
                        "ls %s 2>&1 | grep -c 'Permission denied'; cat %s %s 2>&1 | grep -c 'Permission denied'",
                        at("secret"), at("file"), at("file2"));
        run_sh(u, script, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "1\n2"), "nobody: '%s'", run.out);
}

static void test_tmpfs_and_binds(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("binds");
        char script[2048];
        Run run;

        u->temporary_file_system = calloc(1, sizeof(TmpfsMount));
        u->temporary_file_system[0] = (TmpfsMount) { .path = strdup(at("ro")), .options = strdup("ro,size=1M") };
        u->n_temporary_file_system = 1;
        unit_add_bind(u, at("src"), at("dst"), false, false);
        unit_add_bind(u, at("src"), at("dst-ro"), true, false);
        unit_add_bind(u, "/nonexistent-corral-src", at("dst"), false, true);
        (void) snprintf(script, sizeof(script),
                        "ls -A %s | wc -l; touch %s/x 2>&1 | grep -o 'Read-only file system'; "
                        "cat %s/in-src; touch %s/w && echo bind-rw; touch %s/w2 2>&1 | grep -o 'Read-only file system'",
                        at("ro"), at("ro"), at("dst"), at("dst"), at("dst-ro"));
        run_sh(u, script, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "0\nRead-only file system\ncontent\nbind-rw\nRead-only file system"),
              "r=%d %s '%s'", run.r, run.error.message, run.out);
        CHECK(access(at("src/w"), F_OK) == 0, "bind write did not reach the source");
}

static void test_private_tmp(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("ptmp");
        Run run;

        u->private_tmp = true;
        run_sh(u, "ls -A /tmp | wc -l; ls -A /var/tmp | wc -l; echo hi > /tmp/corral-ptmp-marker && echo wrote", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "0\n0\nwrote"), "r=%d %s '%s'", run.r, run.error.message, run.out);
        CHECK(access("/tmp/corral-ptmp-marker", F_OK) < 0, "private /tmp write visible on the host");
        {
                char path[256];

                (void) snprintf(path, sizeof(path), "%s/private-tmp/ptmp/tmp/corral-ptmp-marker", rt_dir());
                CHECK(access(path, F_OK) == 0, "private /tmp not kept in the runtime directory");
                (void) snprintf(path, sizeof(path), "%s/private-tmp/ptmp", rt_dir());
                CHECK(ns_private_tmp_remove(rt_dir(), "ptmp") == 0 && access(path, F_OK) < 0, "private tmp not removed");
        }
}

static void test_private_devices(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("dev");
        Run run;

        u->private_devices = true;
        run_sh(u, "ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c; "
                  "test -c /dev/urandom && echo chr; stat -f -c %T /dev/pts /dev/shm", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \n"
                                               "4\nchr\ndevpts\ntmpfs"),
              "r=%d %s '%s'", run.r, run.error.message, run.out);
}

static void test_protect_system_home(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("protect");
        char script[512];
        Run run;

        u->protect_system = PROTECT_SYSTEM_STRICT;
        unit_add_path(&u->read_write_paths, &u->n_read_write_paths, dir, false);
        (void) snprintf(script, sizeof(script),
                        "for p in /etc /usr /var /dev/shm %s; do test -w $p && echo $p:w || echo $p:ro; done", dir);
        run_sh(u, script, &run);
        {
                char want[512];

                (void) snprintf(want, sizeof(want), "/etc:ro\n/usr:ro\n/var:ro\n/dev/shm:w\n%s:w", dir);
                CHECK(run.r == 0 && streq(chomp(&run), want), "strict: %s '%s'", run.error.message, run.out);
        }
        u->protect_system = PROTECT_SYSTEM_FULL;
        run_sh(u, "for p in /etc /usr /boot /var; do test -w $p && echo $p:w || echo $p:ro; done", &run);
        CHECK(streq(chomp(&run), "/etc:ro\n/usr:ro\n/boot:ro\n/var:w"), "full: '%s'", run.out);
        u->protect_system = PROTECT_SYSTEM_YES;
        run_sh(u, "for p in /etc /usr; do test -w $p && echo $p:w || echo $p:ro; done", &run);
        CHECK(streq(chomp(&run), "/etc:w\n/usr:ro"), "yes: '%s'", run.out);
        u->protect_system = PROTECT_SYSTEM_NO;

        u->protect_home = PROTECT_HOME_YES;
        run_sh(u, "ls -A /root | wc -l", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "0"), "home=yes: %s '%s'", run.error.message, run.out);
        u->protect_home = PROTECT_HOME_READ_ONLY;
        run_sh(u, "ls -A /root | wc -l | grep -vx 0 >/dev/null && echo visible; test -w /root && echo w || echo ro", &run);
        CHECK(streq(chomp(&run), "visible\nro"), "home=read-only: '%s'", run.out);
        u->protect_home = PROTECT_HOME_TMPFS;
        run_sh(u, "ls -A /root | wc -l; test -w /root && echo w || echo ro", &run);
        CHECK(streq(chomp(&run), "0\nro"), "home=tmpfs: '%s'", run.out);
}

/* A root made of a static busybox: RootDirectory=, pivot_root, fresh /proc. */
static void test_root_directory(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("root");
        char cmd[512];
        char *argv[] = { (char *) "/bin/busybox", (char *) "sh", (char *) "-c",
                         (char *) "/bin/busybox ls / | /bin/busybox tr '\\n' ' '; echo $$; /bin/busybox cat /marker; "
                                  "/bin/busybox ls /proc/1/ >/dev/null && echo proc", NULL };
        NsLaunchParams p;
        Run run;

        mk("root", true);
        mk("root/bin", true);
        mk("root/proc", true);
        mk("root/marker", false);
        (void) snprintf(cmd, sizeof(cmd), "cp /usr/bin/busybox %s", at("root/bin/busybox"));
        CHECK(system(cmd) == 0, "%s", cmd);
        unit_set_str(&u->root_directory, at("root"));
        u->private_pids = true;
        it_params_init(&p, u);
        run_params(u, &p, argv, &run);
        CHECK(run.r == 0 && streq(chomp(&run), "bin dev marker proc sys 2\ncontent\nproc"), "r=%d %s '%s'",
              run.r, run.error.message, run.out);
}

/* Everything at once under PrivateUsers=pick, where the process is not
 * privileged over the host's files: mount points made by the parent,
 * bind sources cloned by the parent (PrivateTmp='s 0700 directory). Its
 * paths live under /run, since PrivateTmp= hides the test's /tmp. */
static void test_userns_combo(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("combo");
        char base[64], src[128], dst[128], file[128], script[1024], want[1024], cmd[256];
        NsLaunchParams p;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", script, NULL };
        Run run;

        (void) snprintf(base, sizeof(base), "/run/corral-combo-%d", (int) getpid());
        (void) snprintf(src, sizeof(src), "%s/src", base);
        (void) snprintf(dst, sizeof(dst), "%s/new/deeper/dst", base);
        (void) snprintf(file, sizeof(file), "%s/file", base);
        (void) snprintf(cmd, sizeof(cmd), "mkdir -p %s && echo content > %s/in-src && echo secret > %s", src, src, file);
        CHECK(system(cmd) == 0, "%s", cmd);
        u->private_pids = u->private_network = u->private_devices = u->private_tmp = true;
        u->private_users = PRIVATE_USERS_PICK;
        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->protect_home = PROTECT_HOME_YES;
        u->protect_control_groups = PROTECT_CGROUPS_STRICT;
        u->private_time = true;
        u->no_new_privileges = true;
        unit_set_str(&u->user, "nobody");
        unit_add_bind(u, src, dst, true, false);
        unit_add_path(&u->inaccessible_paths, &u->n_inaccessible_paths, file, false);
        it_params_init(&p, u);
        p.userns_base = 0xa0000;
        (void) snprintf(script, sizeof(script),
                        "id -u; awk '{print $1, $2, $3}' /proc/self/uid_map; ls /dev | wc -l; "
                        "touch /tmp/x && echo tmp-ok; touch /etc/x 2>&1 | grep -o 'Read-only file system'; "
                        "cat %s 2>&1 | grep -o 'Permission denied'; cat %s/in-src; grep ^0 /proc/self/cgroup; echo $$",
                        file, dst);
        run_params(u, &p, argv, &run);
        (void) snprintf(want, sizeof(want),
                        "65534\n0 655360 65536\n13\ntmp-ok\nRead-only file system\nPermission denied\ncontent\n0::/\n2");
        CHECK(run.r == 0 && streq(chomp(&run), want), "r=%d %s\ngot:\n%s\nwant:\n%s", run.r, run.error.message, run.out, want);
        (void) ns_private_tmp_remove(rt_dir(), "combo");
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
        (void) !system(cmd);
}

int main(void) {
        char cmd[128];

        require_root();
        if (!mkdtemp(dir))
                return 1;
        mk("ro", true), mk("ro/rw", true), mk("secret", true), mk("secret/x", false), mk("file", false);
        mk("a-dir", true), mk("a-dir/x", false), mk("file2", false);
        mk("src", true), mk("src/in-src", false), mk("dst", true), mk("dst-ro", true);
        test_read_only_and_writable();
        test_inaccessible();
        test_tmpfs_and_binds();
        test_private_tmp();
        test_private_devices();
        test_protect_system_home();
        test_root_directory();
        test_userns_combo();
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) !system(cmd);
        return finish("test-launch-mounts");
}
