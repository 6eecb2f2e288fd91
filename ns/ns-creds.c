/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Users, groups, capabilities, environment and process attributes.
 * Names are resolved before clone (ns-creds-resolve.c: NSS may allocate,
 * open sockets, take locks, hang), by the caller's resolver process or here;
 * the child only applies numbers. */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "fileio.h"
#include "macros.h"
#include "ns-creds.h"
#include "ns-plan.h"
#include "strv.h"
#include "syscalls.h"
#include "unit-value.h"

/* The plan's ids and groups, from creds resolved before (a resolver process
 * on corrald's loop) or now. */
static int plan_ids(const NsLaunchParams *p, const NsCreds *c, NsPlan *plan) {
        if (p->flags & NS_LAUNCH_NO_USER_CHANGE) {
                /* Root, as the launcher is; in a user namespace its root,
                 * since the host's root is not mapped there (PrivateUsers=pick).
                 * No supplementary groups then: none is mapped either. */
                plan->set_ids = plan->set_groups = p->unit->private_users != PRIVATE_USERS_NO;
                plan->uid = 0;
                plan->gid = 0;
                return 0;
        }
        plan->set_ids = c->set_ids;
        plan->uid = c->uid;
        plan->gid = c->gid;
        plan->set_groups = c->set_groups;
        if (c->n_groups > 0) {
                plan->groups = malloc(c->n_groups * sizeof(gid_t));
                if (!plan->groups)
                        return -ENOMEM;
                memcpy(plan->groups, c->groups, c->n_groups * sizeof(gid_t));
        }
        plan->n_groups = c->n_groups;
        return 0;
}

/* PrivateUsers=self maps each group (ns-userns.c): say so before clone when
 * they do not fit in a gid_map. */
static int check_gid_map(const UnitConfig *u, const NsPlan *plan, CrlError *reterr) {
        char map[NS_USERNS_MAP_SIZE];
        int r;

        if (u->private_users != PRIVATE_USERS_SELF)
                return 0;
        r = ns_userns_gid_map_string(u->private_users, plan->gid, plan->groups, plan->n_groups, 0, map, sizeof(map));
        if (r < 0)
                return crl_error_set(reterr, E2BIG, "step 'groups': PrivateUsers=self maps each of the %zu supplementary "
                                     "groups, more than a gid_map holds (340 lines, 4 KiB)", plan->n_groups);
        return 0;
}

/* PrivateUsers=identity and pick map the ids 0-65535 of the namespace only:
 * a User=, Group= or supplementary group beyond would fail in the child with
 * a bare EINVAL; say which one before clone. */
static int check_ids_mapped(const UnitConfig *u, const NsPlan *plan, CrlError *reterr) {
        const char *mode = u->private_users == PRIVATE_USERS_IDENTITY ? "identity" : "pick";

        if (u->private_users != PRIVATE_USERS_IDENTITY && u->private_users != PRIVATE_USERS_PICK)
                return 0;
        if (plan->uid > 65535)
                return crl_error_set(reterr, ERANGE, "step 'uid': PrivateUsers=%s maps uids 0-65535, not %u",
                                     mode, (unsigned) plan->uid);
        if (plan->gid > 65535)
                return crl_error_set(reterr, ERANGE, "step 'gid': PrivateUsers=%s maps gids 0-65535, not %u",
                                     mode, (unsigned) plan->gid);
        for (size_t i = 0; i < plan->n_groups; i++)
                if (plan->groups[i] > 65535)
                        return crl_error_set(reterr, ERANGE, "step 'groups': PrivateUsers=%s maps gids 0-65535, "
                                             "not the supplementary group %u", mode, (unsigned) plan->groups[i]);
        return 0;
}

/* "K=V" into env, replacing an earlier K. */
static int env_set(char ***env, const char *kv) {
        size_t klen = strcspn(kv, "=");

        for (char **e = *env; e && *e; e++)
                if (strneq(*e, kv, klen) && (*e)[klen] == '=') {
                        char *c = strdup(kv);

                        if (!c)
                                return -ENOMEM;
                        free(*e);
                        *e = c;
                        return 0;
                }
        return strv_extend(env, kv);
}

static int merge_copy(char ***env, char *const *add) {
        char **c = strv_copy(add);

        return c ? environment_merge(env, c) : -ENOMEM;
}

static int plan_env(const NsLaunchParams *p, NsPlan *plan, const NsCreds *info) {
        _cleanup_strv_free_ char **env = NULL;
        char buf[4096];
        int r = env_set(&env, "PATH=" NS_DEFAULT_PATH);

        if (r >= 0 && info->user_name) {
                const char *const kv[][2] = {
                        { "HOME", info->home }, { "USER", info->user_name },
                        { "LOGNAME", info->user_name }, { "SHELL", info->shell },
                };
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(kv); i++) {
                        (void) snprintf(buf, sizeof(buf), "%s=%s", kv[i][0], kv[i][1]);
                        r = env_set(&env, buf);
                }
        }
        /* $RUNTIME_DIRECTORY & co. and $CREDENTIALS_DIRECTORY: before the
         * unit's Environment=, which may set them otherwise (systemd's
         * order; UnsetEnvironment= applies to all of it). */
        if (r >= 0)
                r = ns_service_environment(p->unit, p->directory_root, &env);
        /* environment_merge() is linear: env_set() per entry was quadratic,
         * 30 s on the loop for an EnvironmentFile= of 100k assignments. */
        if (r >= 0 && p->unit->environment)
                r = merge_copy(&env, p->unit->environment);
        if (r >= 0 && p->environment)
                r = merge_copy(&env, p->environment);
        if (r < 0)
                return r;
        /* UnsetEnvironment= last, as systemd: it also removes what the
         * manager sets. Any variable added to the environment must come
         * before this line. */
        unit_environment_unset(p->unit->unset_environment, env);
        STRV_FOREACH(e, env)
                if (strneq(*e, "PATH=", 5))
                        plan->path_env = *e + 5;
        plan->envp = TAKE_PTR(env);
        return 0;
}

static int plan_argv(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        char *const *argv = p->argv;
        const char *path = p->path;

        if (!argv && p->unit->n_exec_start > 0) {
                argv = p->unit->exec_start[0].argv;
                path = p->unit->exec_start[0].path;
        }
        if (!argv || !argv[0])
                return crl_error_set(reterr, EINVAL, "step 'exec': no command to run");
        plan->argv = strv_copy(argv);
        if (!plan->argv)
                return -ENOMEM;
        if (path) {
                plan->exec_path = strdup(path);
                if (!plan->exec_path)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_working_directory(const UnitConfig *u, NsPlan *plan, const NsCreds *info) {
        const char *wd = u->working_directory;

        plan->working_directory_optional = u->working_directory_optional;
        if (wd && wd[0] == '-') {       /* as written, when a caller built the unit by hand */
                plan->working_directory_optional = true;
                wd++;
        }
        if (wd && streq(wd, "~"))
                wd = info->home ? info->home : "/root";
        /* A copy lives in the env strv's lifetime: point into a HOME= entry or a constant. */
        if (wd && info->home && wd == info->home) {
                STRV_FOREACH(e, plan->envp)
                        if (strneq(*e, "HOME=", 5))
                                wd = *e + 5;
        }
        plan->working_directory = wd ?: "/";
        return 0;
}

/* Capabilities the sandboxing keys take from the bounding set, as systemd
 * 252's unit_patch_contexts(): PrivateDevices= no device node of its own
 * (it could name any disk, or /dev/mem, from a writable directory) and no
 * raw I/O; ProtectKernelModules= no module loading; ProtectKernelLogs= no
 * syslog(2); ProtectClock= no clock setting or wake alarms. */
static uint64_t caps_dropped(const UnitConfig *u) {
        uint64_t drop = 0;

        if (u->private_devices)
                drop |= UINT64_C(1) << CAP_MKNOD | UINT64_C(1) << CAP_SYS_RAWIO;
        if (u->protect_kernel_modules)
                drop |= UINT64_C(1) << CAP_SYS_MODULE;
        if (u->protect_kernel_logs)
                drop |= UINT64_C(1) << CAP_SYSLOG;
        if (u->protect_clock)
                drop |= UINT64_C(1) << CAP_SYS_TIME | UINT64_C(1) << CAP_WAKE_ALARM;
        return drop;
}

int ns_creds_plan(const NsLaunchParams *p, NsPlan *plan, CrlError *reterr) {
        const UnitConfig *u = p->unit;
        uint64_t drop;
        _cleanup_(ns_creds_freep) NsCreds *own = NULL;
        const NsCreds *info = p->creds;
        _cleanup_free_ char *last = NULL;
        int r;

        if (!info) {
                r = ns_creds_resolve(u, &own, reterr);
                if (r < 0)
                        return r;
                info = own;
        }
        if ((r = plan_ids(p, info, plan)) < 0)
                return r;
        if ((r = check_gid_map(u, plan, reterr)) < 0 || (r = check_ids_mapped(u, plan, reterr)) < 0)
                return r;
        drop = caps_dropped(u);
        if (u->capability_bounding_set_set || u->ambient_capabilities || drop) {
                r = read_line_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &last);
                plan->cap_last = r >= 0 ? atoi(last) : 40;
        }
        plan->set_bounding = u->capability_bounding_set_set || drop;
        plan->bounding = (u->capability_bounding_set_set ? u->capability_bounding_set : ~UINT64_C(0)) & ~drop;
        /* An ambient capability outside the bounding set cannot be raised
         * (capset() refuses the inheritable bit): the protection wins. */
        plan->ambient = u->ambient_capabilities & ~drop;
        plan->no_new_privs = u->no_new_privileges;
        plan->umask = u->umask >= 0 ? u->umask : 0022;
        if ((r = plan_argv(p, plan, reterr)) < 0)
                return r;
        if ((r = plan_env(p, plan, info)) < 0)
                return r;
        return plan_working_directory(u, plan, info);
}

/* ---- parent, after clone: attributes a user namespace could not raise ---- */

int ns_process_attrs_apply(pid_t pid, const UnitConfig *u, CrlError *reterr) {
        const struct {
                const UnitRlimit *l;
                int resource;
                const char *key;
        } lims[] = {
                { &u->limit_nofile, RLIMIT_NOFILE, "LimitNOFILE" },
                { &u->limit_nproc, RLIMIT_NPROC, "LimitNPROC" },
                { &u->limit_core, RLIMIT_CORE, "LimitCORE" },
        };
        char path[64], buf[16];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(lims); i++)
                if (lims[i].l->set && prlimit(pid, lims[i].resource, &lims[i].l->rlim, NULL) < 0)
                        return crl_error_set(reterr, errno, "%s=: %s", lims[i].key, strerror(errno));
        if (u->nice_set && setpriority(PRIO_PROCESS, (id_t) pid, u->nice) < 0)
                return crl_error_set(reterr, errno, "Nice=%d: %s", u->nice, strerror(errno));
        if (u->oom_score_adjust_set) {
                (void) snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
                (void) snprintf(buf, sizeof(buf), "%d", u->oom_score_adjust);
                r = write_string_at(AT_FDCWD, path, buf);
                if (r < 0)
                        return crl_error_set(reterr, r, "OOMScoreAdjust=%d: %s", u->oom_score_adjust, strerror(-r));
        }
        return 0;
}

/* ---- child: no allocation ---- */

static int caps_set(uint64_t permitted, uint64_t inheritable) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {
                { .effective = (uint32_t) permitted, .permitted = (uint32_t) permitted,
                  .inheritable = (uint32_t) inheritable },
                { .effective = (uint32_t) (permitted >> 32), .permitted = (uint32_t) (permitted >> 32),
                  .inheritable = (uint32_t) (inheritable >> 32) },
        };

        return RET_NERRNO((int) syscall(SYS_capset, &h, d));
}

static int caps_get_permitted(uint64_t *ret) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        *ret = (uint64_t) d[0].permitted | ((uint64_t) d[1].permitted << 32);
        return 0;
}

static int caps_ambient(const NsPlan *plan) {
        uint64_t permitted = 0;
        int r;

        if (plan->ambient == 0)
                return 0;
        r = caps_get_permitted(&permitted);
        if (r < 0)
                return r;
        /* An ambient capability must be permitted and inheritable. */
        r = caps_set(permitted, plan->ambient);
        if (r < 0)
                return r;
        for (int c = 0; c <= plan->cap_last && c < 64; c++)
                if ((plan->ambient & (UINT64_C(1) << c)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return -errno;
        return 0;
}

static int caps_bounding(const NsPlan *plan) {
        if (!plan->set_bounding)
                return 0;
        for (int c = 0; c <= plan->cap_last && c < 64; c++)
                if (!(plan->bounding & (UINT64_C(1) << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return -errno;
        return 0;
}

int ns_creds_init_drop(void) {
        uint64_t kill = UINT64_C(1) << CAP_KILL;
        int r;

        /* Invalid numbers past cap_last_cap fail with EINVAL: nothing to drop. */
        for (int c = 0; c < 64; c++)
                if (c != CAP_KILL && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return -errno;
        r = caps_set(kill, 0);
        if (r < 0)
                return r;
        return RET_NERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

int ns_creds_apply(const NsPlan *plan, NsStep *step) {
        int r;

        (void) umask((mode_t) plan->umask);
        /* Raw syscalls for every id change: see crl_setgroups(). */
        *step = NS_STEP_GROUPS;
        if (plan->set_groups && (r = crl_setgroups(plan->n_groups, plan->groups)) < 0)
                return r;
        *step = NS_STEP_CAPABILITIES;
        if ((r = caps_bounding(plan)) < 0)
                return r;
        /* Keep the permitted set across setresuid() so ambient caps can be raised after it. */
        if (plan->set_ids && plan->ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        *step = NS_STEP_GID;
        if (plan->set_ids && (r = crl_setresgid(plan->gid, plan->gid, plan->gid)) < 0)
                return r;
        *step = NS_STEP_UID;
        if (plan->set_ids && (r = crl_setresuid(plan->uid, plan->uid, plan->uid)) < 0)
                return r;
        *step = NS_STEP_CAPABILITIES;
        if ((r = caps_ambient(plan)) < 0)
                return r;
        *step = NS_STEP_NO_NEW_PRIVS;
        if (plan->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}
