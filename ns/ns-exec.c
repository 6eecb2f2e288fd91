/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ns_exec(): corralctl exec. The command is born in the service's cgroup
 * (CLONE_INTO_CGROUP) and PID namespace (the caller's pid_for_children is
 * switched for the one clone and switched back), then enters every other
 * namespace of the target with one setns(pidfd, flags) and its cwd. */
#include <assert.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"
#include "ns-plan.h"
#include "strv.h"
#include "syscalls.h"

static const struct {
        const char *name;
        unsigned long flag;
} ns_types[] = {
        { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
        { "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC }, { "net", CLONE_NEWNET },
        { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

/* The namespaces the target has that we are not in (setns() into our own
 * user namespace fails, so only differing ones are entered). */
static int differing_namespaces(pid_t pid, unsigned long *ret) {
        unsigned long f = 0;

        for (size_t i = 0; i < ELEMENTSOF(ns_types); i++) {
                char path[64];
                struct stat a, b;

                (void) snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, ns_types[i].name);
                if (stat(path, &a) < 0)
                        return -errno;
                (void) snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_types[i].name);
                if (stat(path, &b) < 0)
                        return -errno;
                if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                        f |= ns_types[i].flag;
        }
        *ret = f;
        return 0;
}

/* -u USER: the child looks it up in the service's /etc/passwd (reading a
 * file of the service here could hang us); it gets the service's root and
 * room for the one group. */
static int exec_plan_user(const char *user, pid_t pid, NsPlan *plan, CrlError *reterr) {
        char path[64];

        if (!user[0] || strpbrk(user, ":\n"))
                return crl_error_set(reterr, EINVAL, "step 'user': '%s' is not a user name", user);
        (void) snprintf(path, sizeof(path), "/proc/%d/root", (int) pid);
        plan->exec_root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (plan->exec_root_fd < 0)
                return crl_error_set(reterr, errno, "step 'user': %s: %s", path, strerror(errno));
        plan->exec_user = strdup(user);
        plan->groups = malloc(sizeof(gid_t));
        if (!plan->exec_user || !plan->groups)
                return -ENOMEM;
        return 0;
}

/* The command gets no more than the service has: its bounding set and
 * no_new_privs. Otherwise a confined root service could plant a binary for
 * `corralctl exec` to run with every capability, in its namespaces. */
static int exec_plan_limits(pid_t pid, NsPlan *plan, CrlError *reterr) {
        _cleanup_free_ char *status = NULL, *last = NULL;
        unsigned long long bnd;
        const char *b, *n;
        char path[64];
        int r;

        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        r = read_file_at(AT_FDCWD, path, &status, NULL);
        if (r < 0)
                return crl_error_set(reterr, r, "step 'capabilities': %s: %s", path, strerror(-r));
        b = strstr(status, "\nCapBnd:");
        n = strstr(status, "\nNoNewPrivs:");
        if (!b || !n || sscanf(b, "\nCapBnd: %llx", &bnd) != 1)
                return crl_error_set(reterr, EBADMSG, "step 'capabilities': %s: no CapBnd or NoNewPrivs", path);
        r = read_line_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &last);
        plan->cap_last = r >= 0 ? atoi(last) : 40;
        plan->set_bounding = true;
        plan->bounding = bnd;
        /* Its open files limit too, not the one corrald raised for itself. */
        plan->nofile_set = prlimit(pid, RLIMIT_NOFILE, NULL, &plan->nofile) >= 0;
        plan->no_new_privs = atoi(n + strlen("\nNoNewPrivs:")) == 1;
        return 0;
}

static int exec_plan(const NsExecParams *p, pid_t pid, NsPlan *plan, CrlError *reterr) {
        char path[64];
        int r;

        plan->name = "exec";
        plan->exec_target_pidfd = p->target_pidfd;
        plan->stdio_inherit = true;
        plan->stdio[0] = p->stdin_fd, plan->stdio[1] = p->stdout_fd, plan->stdio[2] = p->stderr_fd;
        plan->umask = 0022;
        r = differing_namespaces(pid, &plan->exec_setns_flags);
        if (r < 0)
                return crl_error_set(reterr, r, "step 'join': namespaces of pid %d: %s", (int) pid, strerror(-r));
        (void) snprintf(path, sizeof(path), "/proc/%d/cwd", (int) pid);
        plan->exec_cwd_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (plan->exec_cwd_fd < 0)
                return crl_error_set(reterr, errno, "step 'working-directory': %s: %s", path, strerror(errno));
        if ((r = exec_plan_limits(pid, plan, reterr)) < 0)
                return r;
        if (p->user && (r = exec_plan_user(p->user, pid, plan, reterr)) < 0)
                return r;
        if (!p->user && (plan->exec_setns_flags & CLONE_NEWUSER)) {
                /* As nsenter does: be the namespace's root, not the unmapped
                 * (overflow) id the host's root shows up as in there. */
                plan->set_ids = plan->set_groups = true;
                plan->uid = 0;
                plan->gid = 0;
        }
        if (p->unit)
                ns_exec_attrs_plan(p->unit, plan);
        plan->seccomp = p->seccomp;
        plan->argv = strv_copy(p->argv);
        plan->envp = p->environment ? strv_copy(p->environment) : strv_copy((char *[]) {
                (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL });
        plan->exec_path = p->path ? strdup(p->path) : NULL;
        if (!plan->argv || !plan->envp || (p->path && !plan->exec_path))
                return -ENOMEM;
        STRV_FOREACH(e, plan->envp)
                if (strneq(*e, "PATH=", 5))
                        plan->path_env = *e + 5;
        return 0;
}

static int target_pid(int pidfd, pid_t *ret) {
        char path[64], line[128];
        FILE *f;
        int r = -ENOTTY;

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strneq(line, "Pid:", 4)) {
                        *ret = atoi(line + 4);
                        r = *ret > 0 ? 0 : -ESRCH;
                }
        fclose(f);
        return r;
}

/* Clone the command in the target's PID namespace: ours is switched for the
 * one clone and switched back. */
static int exec_clone(const NsExecParams *p, NsLaunchParams *lp, NsPlan *plan, NsLaunch **ret, CrlError *reterr) {
        _cleanup_close_ int own_pidns = -EBADF;
        int r, k;

        own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        if (own_pidns < 0)
                return crl_error_set(reterr, errno, "exec: our pid namespace: %s", strerror(errno));
        if ((plan->exec_setns_flags & CLONE_NEWPID) && setns(p->target_pidfd, CLONE_NEWPID) < 0)
                return crl_error_set(reterr, errno, "step 'join': pid namespace: %s", strerror(errno));
        plan->exec_setns_flags &= ~(unsigned long) CLONE_NEWPID;
        r = ns_launch_start_plan(lp, plan, ret, reterr);
        k = setns(own_pidns, CLONE_NEWPID);
        assert(k >= 0); /* moving back to our own pid namespace cannot fail */
        (void) k;
        return r;
}

int ns_exec_start(const NsExecParams *p, NsLaunch **ret, CrlError *reterr) {
        _cleanup_(ns_plan_done) NsPlan plan = NS_PLAN_INIT;
        _cleanup_(unit_config_freep) UnitConfig *u = NULL;
        NsLaunchParams lp;
        pid_t pid = 0;
        int r;

        assert(p && ret);
        if (!p->argv || !p->argv[0])
                return crl_error_set(reterr, EINVAL, "exec: no command");
        r = target_pid(p->target_pidfd, &pid);
        if (r < 0)
                return crl_error_set(reterr, r, "exec: the service is not running");
        r = unit_config_new("exec", &u);
        if (r < 0)
                return crl_error_set(reterr, r, "exec: out of memory");
        r = exec_plan(p, pid, &plan, reterr);
        if (r == -ENOMEM)
                return crl_error_set(reterr, r, "exec: out of memory");
        if (r < 0)
                return r;
        ns_launch_params_init(&lp, u);
        lp.cgroup_fd = p->cgroup_fd;
        r = exec_clone(p, &lp, &plan, ret, reterr);
        if (r < 0)
                return r;
        /* The handshake reads the (empty) unit until the end: it is the launch's now. */
        ns_launch_own_unit(*ret, TAKE_PTR(u));
        return 0;
}

int ns_exec(const NsExecParams *p, NsProcess *ret, CrlError *reterr) {
        NsLaunch *l = NULL;
        int r;

        r = ns_exec_start(p, &l, reterr);
        if (r < 0)
                return r;
        return ns_launch_run(l, ret, reterr);
}
