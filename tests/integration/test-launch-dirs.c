/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RuntimeDirectory= & co. and LoadCredential=/SetCredential= as the kernel
 * shows them inside the service: the directories exist with the service's
 * owner (the host's view of a PrivateUsers=pick id, too) and mode, are
 * writable under ProtectSystem=strict, and the variables name them; the
 * runtime ones go at stop. Credentials are readable by the service's user
 * only (another uid gets EACCES), read-only, and a missing one fails the
 * start leaving nothing made. Everything below a temp directory root
 * (NsLaunchParams.directory_root), never this host's /var/lib. */
#include "launch-util.h"

#include <linux/capability.h>

static char root[] = "/tmp/corral-dirs-XXXXXX";

static void add_dir(UnitConfig *u, ExecDirectoryType t, const char *path) {
        CHECK(strv_extend(&u->directories[t].paths, path) == 0, "strv");
}

static void run_in_root(UnitConfig *u, uid_t userns_base, const char *script, Run *run) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        NsLaunchParams p;

        it_params_init(&p, u);
        p.directory_root = root;
        p.userns_base = userns_base;
        run_params(u, &p, argv, run);
}

static const char *host_stat(const char *rel, char *buf, size_t size) {
        char path[512];
        struct stat st;

        (void) snprintf(path, sizeof(path), "%s%s", root, rel);
        if (lstat(path, &st) < 0)
                return "missing";
        (void) snprintf(buf, size, "%u:%u %o", (unsigned) st.st_uid, (unsigned) st.st_gid,
                        (unsigned) (st.st_mode & 07777));
        return buf;
}

static void test_directories(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("dirs");
        char script[2048], want[2048], b[64];
        CrlError e = {};
        Run run;

        unit_set_str(&u->user, "nobody");
        u->protect_system = PROTECT_SYSTEM_STRICT;
        add_dir(u, EXEC_DIRECTORY_RUNTIME, "dirs-a/sub");
        add_dir(u, EXEC_DIRECTORY_RUNTIME, "dirs-b");
        u->directories[EXEC_DIRECTORY_RUNTIME].mode = 0700;
        add_dir(u, EXEC_DIRECTORY_STATE, "dirs");
        add_dir(u, EXEC_DIRECTORY_CACHE, "dirs");
        add_dir(u, EXEC_DIRECTORY_LOGS, "dirs");
        u->directories[EXEC_DIRECTORY_LOGS].mode = 02750;
        add_dir(u, EXEC_DIRECTORY_CONFIGURATION, "dirs");
        (void) snprintf(script, sizeof(script),
                        "echo \"$RUNTIME_DIRECTORY|$STATE_DIRECTORY|$CACHE_DIRECTORY|$LOGS_DIRECTORY|"
                        "$CONFIGURATION_DIRECTORY\"; "
                        "a=$RUNTIME_DIRECTORY:$STATE_DIRECTORY:$CACHE_DIRECTORY:$LOGS_DIRECTORY:"
                        "$CONFIGURATION_DIRECTORY; IFS=:; set -- $a; IFS=' '; stat -c '%%U %%a' \"$@\"; "
                        "for d; do { true >$d/f; } 2>/dev/null && echo rw || echo ro; done; "
                        "{ true >%s/var/lib/f; } 2>/dev/null && echo base-rw || echo base-ro", root);
        run_in_root(u, 0, script, &run);
        (void) snprintf(want, sizeof(want),
                        "%s/run/dirs-a/sub:%s/run/dirs-b|%s/var/lib/dirs|%s/var/cache/dirs|%s/var/log/dirs|"
                        "%s/etc/dirs\n"
                        "nobody 700\nnobody 700\nnobody 755\nnobody 755\nnobody 2750\nroot 755\n"
                        "rw\nrw\nrw\nrw\nrw\nro\nbase-ro", root, root, root, root, root, root);
        CHECK(run.r == 0 && run.code == 0 && streq(chomp(&run), want), "r=%d %s code=%d\n'%s'\nwant\n'%s'", run.r,
              run.error.message, run.code, run.out, want);
        CHECK(streq(host_stat("/run/dirs-a", b, sizeof(b)), "0:0 755"), "parent /run/dirs-a: %s", b);

        /* Stop: the innermost runtime directories go, with what is in them. */
        CHECK(ns_runtime_directories_remove(u, root, &e) == 0, "remove: %s", e.message);
        CHECK(streq(host_stat("/run/dirs-a/sub", b, sizeof(b)), "missing"), "/run/dirs-a/sub left: %s", b);
        CHECK(streq(host_stat("/run/dirs-b", b, sizeof(b)), "missing"), "/run/dirs-b left: %s", b);
        CHECK(!streq(host_stat("/run/dirs-a", b, sizeof(b)), "missing"), "/run/dirs-a removed");
        CHECK(!streq(host_stat("/var/lib/dirs/f", b, sizeof(b)), "missing"), "state removed");
}

/* PrivateUsers=pick: the service's uid 1000 is 0x80000 + 1000 on the host. */
static void test_pick_owner(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("dirspick");
        char b[64], want[64];
        Run run;

        char cmd[512];

        /* There already, root's: everything below changes owner with it,
         * but not a file with a second link (maybe one to elsewhere). */
        (void) snprintf(cmd, sizeof(cmd), "mkdir -p %1$s/var/lib/dirspick/sub && touch %1$s/var/lib/dirspick/sub/g "
                        "%1$s/outside && ln %1$s/outside %1$s/var/lib/dirspick/link", root);
        CHECK(system(cmd) == 0, "%s", cmd);
        unit_set_str(&u->user, "1000");
        unit_set_str(&u->group, "1000");
        u->private_users = PRIVATE_USERS_PICK;
        u->protect_system = PROTECT_SYSTEM_STRICT;
        add_dir(u, EXEC_DIRECTORY_STATE, "dirspick");
        /* UnsetEnvironment= applies to the final environment, ours included. */
        add_dir(u, EXEC_DIRECTORY_CACHE, "dirspick");
        CHECK(strv_extend(&u->unset_environment, "CACHE_DIRECTORY") == 0, "strv");
        run_in_root(u, 0x80000, "stat -c '%u:%g' $STATE_DIRECTORY && touch $STATE_DIRECTORY/f && echo rw; "
                    "echo ${CACHE_DIRECTORY-unset}", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "1000:1000\nrw\nunset"), "r=%d %s '%s'", run.r, run.error.message,
              run.out);
        (void) snprintf(want, sizeof(want), "%u:%u 755", 0x80000 + 1000, 0x80000 + 1000);
        CHECK(streq(host_stat("/var/lib/dirspick", b, sizeof(b)), want), "host owner %s, want %s", b, want);
        CHECK(strneq(host_stat("/var/lib/dirspick/f", b, sizeof(b)), "525288:525288 ", 14), "file %s", b);
        CHECK(strneq(host_stat("/var/lib/dirspick/sub/g", b, sizeof(b)), "525288:525288 ", 14), "sub/g %s", b);
        CHECK(strneq(host_stat("/outside", b, sizeof(b)), "0:0 ", 4), "hard-linked file %s", b);
}

static void add_cred(UnitCredential **l, size_t *n, const char *id, const char *path, const char *data) {
        *l = realloc(*l, (*n + 1) * sizeof(**l));
        (*l)[(*n)++] = (UnitCredential) { .id = strdup(id), .path = path ? strdup(path) : NULL,
                                          .data = data ? strdup(data) : NULL, .size = data ? strlen(data) : 0 };
}

static void test_credentials(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("creds");
        char file[256], want[1024];
        Run run;
        int fd;

        (void) snprintf(file, sizeof(file), "%s/secret", root);
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && write(fd, "s3cret", 6) == 6, "write %s: %m", file);
        close(fd);
        unit_set_str(&u->user, "nobody");
        u->protect_system = PROTECT_SYSTEM_STRICT;
        u->ambient_capabilities = (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID);
        add_cred(&u->load_credentials, &u->n_load_credentials, "file", file, NULL);
        add_cred(&u->load_credentials, &u->n_load_credentials, "opt", "corral-test-no-such-credential", NULL);
        add_cred(&u->load_credentials, &u->n_load_credentials, "dflt", "/nonexistent/corral", NULL);
        add_cred(&u->set_credentials, &u->n_set_credentials, "dflt", NULL, "fallback");
        add_cred(&u->set_credentials, &u->n_set_credentials, "set", NULL, "hello");
        run_in_root(u, 0,
                    "c=$CREDENTIALS_DIRECTORY; echo $c; for f in file set dflt; do read -r x <$c/$f; echo $x; done; "
                    "echo $c/*; echo $c/../*; stat -c '%U %a' $c $c/file; "
                    "{ echo x >$c/set; } 2>/dev/null && echo written || echo not-written; "
                    "{ true >$c/new; } 2>/dev/null && echo created || echo not-created; "
                    "setpriv --reuid=1 --regid=1 --clear-groups sh -c \"cat $c/set; ls $c\" 2>&1 | "
                    "grep -c 'Permission denied'", &run);
        (void) snprintf(want, sizeof(want),
                        "%1$s/run/credentials/creds.service\ns3cret\nhello\nfallback\n"
                        "%1$s/run/credentials/creds.service/dflt %1$s/run/credentials/creds.service/file "
                        "%1$s/run/credentials/creds.service/set\n%1$s/run/credentials/creds.service/../creds.service\n"
                        "nobody 500\nnobody 400\nnot-written\nnot-created\n2", root);
        CHECK(run.r == 0 && streq(chomp(&run), want), "r=%d %s\n'%s'\nwant\n'%s'", run.r, run.error.message, run.out,
              want);
}

static void test_credential_missing(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("credmiss");
        char b[64];
        Run run;

        add_dir(u, EXEC_DIRECTORY_STATE, "credmiss");
        add_cred(&u->load_credentials, &u->n_load_credentials, "key", "/nonexistent/corral-key", NULL);
        run_in_root(u, 0, "echo ran", &run);
        CHECK(run.r < 0 && streq(run.error.message, "service 'credmiss': step 'credentials': LoadCredential=key: "
                                 "cannot read /nonexistent/corral-key: No such file or directory"),
              "r=%d '%s'", run.r, run.error.message);
        CHECK(streq(host_stat("/var/lib/credmiss", b, sizeof(b)), "missing"), "/var/lib/credmiss made: %s", b);
}

int main(void) {
        char cmd[128];

        require_root();
        if (!mkdtemp(root))
                return 1;
        (void) chmod(root, 0755);
        test_directories();
        test_pick_owner();
        test_credentials();
        test_credential_missing();
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        (void) !system(cmd);
        return finish("test-launch-dirs");
}
