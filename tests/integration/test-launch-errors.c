/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Failing launches name the step and leave no process, mount, pin or fd. */
#include "launch-util.h"

static int count_lines(const char *path) {
        FILE *f = fopen(path, "re");
        int n = 0, c;

        if (!f)
                return -1;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

static void expect_failure(UnitConfig *u, const NsLaunchParams *tweak, const char *cmd, int error, const char *message) {
        char *argv[] = { (char *) cmd, NULL };
        int fds = count_fds(), mounts = count_lines("/proc/self/mountinfo");
        Run run;

        run_params(u, tweak, argv, &run);
        CHECK(run.r == -error, "%s: r=%d want %d", message, run.r, -error);
        CHECK(streq(run.error.message, message), "got '%s'\nwant '%s'", run.error.message, message);
        CHECK(count_fds() == fds, "%s: fds %d -> %d", message, fds, count_fds());
        CHECK(count_lines("/proc/self/mountinfo") == mounts, "%s: our mounts changed", message);
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "%s: a child was left behind", message);
        CHECK(access("/run/netns/corral-web", F_OK) < 0, "a pin was left behind");
}

int main(void) {
        require_root();
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("web");

                expect_failure(u, NULL, "/nonexistent/bin", ENOENT,
                               "service 'web': step 'exec': execute /nonexistent/bin: No such file or directory");
                expect_failure(u, NULL, "no-such-command-corral", ENOENT,
                               "service 'web': step 'exec': execute no-such-command-corral: No such file or directory");
                u->private_time = true;   /* PID 2 under a relaying init, no PID namespace */
                expect_failure(u, NULL, "/nonexistent/bin", ENOENT,
                               "service 'web': step 'exec': execute /nonexistent/bin: No such file or directory");
                u->private_time = false;
                u->private_pids = true;   /* reported by PID 2, the init must go too */
                u->private_network = true;
                expect_failure(u, NULL, "/nonexistent/bin", ENOENT,
                               "service 'web': step 'exec': execute /nonexistent/bin: No such file or directory");
                unit_add_bind(u, "/srv/data-missing-corral", "/data", false, false);
                expect_failure(u, NULL, "/bin/true", ENOENT,
                               "service 'web': step 'mount': bind mount /srv/data-missing-corral -> /data: No such file or directory");
        }
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("web");

                /* identity and pick map 0-65535: say which id falls outside */
                u->private_users = PRIVATE_USERS_IDENTITY;
                unit_set_str(&u->user, "70000");
                expect_failure(u, NULL, "/bin/true", ERANGE, "service 'web': step 'uid': PrivateUsers=identity maps uids 0-65535, not 70000");
                unit_set_str(&u->user, "nobody");
                strv_extend(&u->supplementary_groups, "70001");
                expect_failure(u, NULL, "/bin/true", ERANGE,
                               "service 'web': step 'groups': PrivateUsers=identity maps gids 0-65535, not the supplementary group 70001");
                u->supplementary_groups = strv_free(u->supplementary_groups);
                u->private_users = PRIVATE_USERS_NO;
                unit_set_str(&u->user, "nosuchuser-corral");
                expect_failure(u, NULL, "/bin/true", ESRCH, "service 'web': step 'uid': User='nosuchuser-corral': no such user");
                unit_set_str(&u->user, NULL);
                unit_set_str(&u->working_directory, "/nonexistent-wd");
                expect_failure(u, NULL, "/bin/true", ENOENT,
                               "service 'web': step 'working-directory': change directory to /nonexistent-wd: No such file or directory");
                u->working_directory_optional = true;    /* WorkingDirectory=-/nonexistent-wd */
                {
                        Run run;

                        run_sh(u, "pwd", &run);
                        CHECK(run.r == 0 && run.code == 0, "optional working directory: %s", run.error.message);
                }
                u->working_directory_optional = false;
        }
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("web");
                char root[] = "/tmp/corral-emptyroot-XXXXXX";

                CHECK(mkdtemp(root) != NULL, "mkdtemp");
                unit_set_str(&u->root_directory, root);
                expect_failure(u, NULL, "/bin/sh", ENOENT, "service 'web': step 'exec': execute /bin/sh: No such file or directory");
                {
                        char cmd[128];

                        /* the launcher made the /dev /proc /sys mount points in it */
                        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
                        (void) !system(cmd);
                }
        }
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("web");
                NsLaunchParams p;

                strv_extend(&u->joins_namespace_of, "other");
                it_params_init(&p, u);
                p.join_name = "other";
                expect_failure(u, &p, "/bin/true", ESRCH,
                               "service 'web': step 'join': JoinsNamespaceOf=other: 'other' is not running");
                u->private_users = PRIVATE_USERS_SELF;
                expect_failure(u, &p, "/bin/true", EOPNOTSUPP,
                               "service 'web': step 'join': JoinsNamespaceOf= cannot be combined with PrivateUsers= "
                               "(the namespaces to join belong to another user namespace)");
        }
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("web");

                unit_set_str(&u->network_namespace_path, "/etc/hostname");
                expect_failure(u, NULL, "/bin/true", EINVAL,
                               "service 'web': step 'join': NetworkNamespacePath=/etc/hostname: not a network namespace");
        }
        return finish("test-launch-errors");
}
