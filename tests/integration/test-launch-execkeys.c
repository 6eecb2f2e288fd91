/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UnsetEnvironment=, IgnoreSIGPIPE=, IOScheduling*=, CPUScheduling*= and
 * StandardInput= (issue 14): unit text loaded as corrald loads it,
 * launched, and what the kernel says from inside the service
 * (helper-execattrs: SigIgn, ioprio_get(), sched_getscheduler(),
 * /proc/self/fd/0, getenv()). Needs no cgroup controller: runs on the
 * host too. */
#include <libgen.h>
#include <sched.h>

#include "launch-util.h"
#include "service-stdio.h"

static char helper[4096];

static UnitConfig *unit_from_text(const char *lines) {
        char text[2048];

        (void) snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\nStandardOutput=null\nStandardError=null\n%s", lines);
        return unit_load_text("x", text);
}

/* helper-execattrs's output in the unit of [Service] lines; stdin from
 * service_stdio_open(), as corrald gives it. Empty if it did not run. */
static void attrs_of(const char *lines, Run *run) {
        char *argv[] = { helper, (char *) "A", (char *) "B", (char *) "PATH", NULL };
        _cleanup_(manager_config_freep) ManagerConfig *mc = NULL;
        _cleanup_(unit_config_freep) UnitConfig *u = unit_from_text(lines);
        ServiceLogClient lc = SERVICE_LOG_CLIENT_NULL;
        ServiceStdio s = SERVICE_STDIO_NULL;
        NsLaunchParams p;
        CrlError e = {};

        memset(run, 0, sizeof(*run));
        CHECK(u != NULL, "unit did not load:\n%s", lines);
        if (!u || manager_config_new(&mc) < 0)
                return;
        run->r = service_stdio_open(mc, &lc, u, NULL, &s, &e);
        if (run->r < 0) {
                printf("service_stdio_open: %s\n", e.message);
                run->error = e;
                return;
        }
        it_params_init(&p, u);
        p.stdin_fd = s.stdin_fd;
        run_params(u, &p, argv, run);
        service_stdio_done(&s);
        service_log_client_done(&lc);
        if (run->r < 0)
                printf("launch failed: %s\n", run->error.message);
        else if (run->code != 0)
                printf("helper-execattrs exited %d: %s\n", run->code, run->out);
}

static bool has(const Run *run, const char *line) {
        char want[256];

        (void) snprintf(want, sizeof(want), "%s\n", line);
        return strstr(run->out, want) != NULL;
}

/* Few launches, several keys each: a launch costs ~0.4 s in the TCG VM. */
static void test_defaults(void) {
        Run run;

        printf("# defaults: SIGPIPE ignored (systemd), SCHED_OTHER, stdin /dev/null\n");
        attrs_of("Environment=A=1\n", &run);
        CHECK(has(&run, "sigpipe_ignored=1"), "SIGPIPE:\n%s", run.out);
        CHECK(has(&run, "sched=0 reset=0 prio=0"), "policy:\n%s", run.out);
        CHECK(has(&run, "stdin=/dev/null data="), "stdin:\n%s", run.out);
        CHECK(!strstr(run.out, "ioprio=3/") && !strstr(run.out, "ioprio=1/"), "not idle nor realtime:\n%s", run.out);
        CHECK(has(&run, "env A=1") && !has(&run, "env PATH=(unset)"), "environment:\n%s", run.out);
}

static void test_set(void) {
        char file[] = "/tmp/corral-test-stdin-XXXXXX", lines[512];
        int fd = mkstemp(file);
        Run run;

        printf("# IgnoreSIGPIPE=no, best-effort 6, batch, UnsetEnvironment=, StandardInput=file: as nobody\n");
        if (fd < 0 || write(fd, "first line\nsecond\n", 18) != 18)
                abort();
        close(fd);
        (void) chmod(file, 0600);       /* root's: the service's user could not open it */
        (void) snprintf(lines, sizeof(lines),
                        "IgnoreSIGPIPE=no\nIOSchedulingClass=best-effort\nIOSchedulingPriority=6\n"
                        "CPUSchedulingPolicy=batch\nEnvironment=A=1 B=2\nUnsetEnvironment=A PATH\n"
                        "StandardInput=file:%s\nUser=nobody\n", file);
        attrs_of(lines, &run);
        CHECK(has(&run, "sigpipe_ignored=0"), "IgnoreSIGPIPE=no:\n%s", run.out);
        CHECK(has(&run, "ioprio=2/6"), "best-effort 6:\n%s", run.out);
        CHECK(has(&run, "sched=3 reset=0 prio=0"), "batch:\n%s", run.out);
        CHECK(has(&run, "env A=(unset)") && has(&run, "env B=2") && has(&run, "env PATH=(unset)"),
              "A and the launcher's PATH gone, B kept:\n%s", run.out);
        CHECK(strstr(run.out, "data=first line\n") && strstr(run.out, file), "file:, as User=nobody:\n%s", run.out);
        (void) unlink(file);
        memset(&run, 0, sizeof(run));
        {
                _cleanup_(manager_config_freep) ManagerConfig *mc = NULL;
                _cleanup_(unit_config_freep) UnitConfig *u = unit_from_text(lines);
                ServiceLogClient lc = SERVICE_LOG_CLIENT_NULL;
                ServiceStdio s = SERVICE_STDIO_NULL;
                CrlError e = {};

                if (!u || manager_config_new(&mc) < 0)
                        abort();
                CHECK(service_stdio_open(mc, &lc, u, NULL, &s, &e) == -ENOENT &&
                      strstr(e.message, "StandardInput=file:") && strstr(e.message, "No such file or directory"),
                      "missing file: %s", e.message);
                service_stdio_done(&s);
        }
}

static void test_under_init(void) {
        Run run;

        printf("# under corral's init (PID 2): idle class, idle policy reset on fork, NAME=VALUE unset\n");
        attrs_of("PrivatePIDs=yes\nIOSchedulingClass=idle\nCPUSchedulingPolicy=idle\n"
                 "CPUSchedulingResetOnFork=yes\nEnvironment=A=1 B=2\nUnsetEnvironment=A=2 B=2\n", &run);
        CHECK(has(&run, "sigpipe_ignored=1"), "SIGPIPE:\n%s", run.out);
        CHECK(has(&run, "ioprio=3/4"), "idle:\n%s", run.out);
        CHECK(has(&run, "sched=5 reset=1 prio=0"), "idle, reset on fork:\n%s", run.out);
        CHECK(has(&run, "env A=1") && has(&run, "env B=(unset)"), "NAME=VALUE removes that assignment only:\n%s",
              run.out);
}

static void test_realtime(void) {
        Run run;

        printf("# real-time: set as root before the user namespace, kept by PID 2\n");
        attrs_of("IOSchedulingClass=realtime\nIOSchedulingPriority=1\nCPUSchedulingPolicy=rr\n"
                 "CPUSchedulingResetOnFork=yes\nPrivateUsers=yes\nPrivatePIDs=yes\n", &run);
        CHECK(has(&run, "ioprio=1/1"), "realtime 1:\n%s", run.out);
        CHECK(has(&run, "sched=2 reset=1 prio=1"), "rr (priority 1), reset on fork:\n%s", run.out);
        attrs_of("CPUSchedulingPolicy=fifo\nCPUSchedulingPriority=7\n", &run);
        CHECK(has(&run, "sched=1 reset=0 prio=7"), "fifo 7:\n%s", run.out);
}

/* A control command inside the running service (ns_exec(), as corrald
 * runs ExecReload= there) gets the unit's attributes too. */
static void test_exec_in_service(void) {
        _cleanup_(unit_config_freep) UnitConfig *u =
                unit_from_text("IOSchedulingClass=idle\nCPUSchedulingPolicy=batch\nPrivatePIDs=yes\n");
        char *cat[] = { (char *) "/bin/cat", NULL }, *argv[] = { helper, NULL }, out[4096] = "";
        int in[2], pipefd[2];
        NsLaunchParams p;
        NsProcess main_proc, proc;
        CrlError e = {};
        siginfo_t si;
        ssize_t n;

        printf("# a command inside the running service gets them too\n");
        if (!u || pipe2(in, O_CLOEXEC) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
                abort();
        it_params_init(&p, u);
        p.argv = cat;
        p.stdin_fd = in[0];
        p.runtime_dir = rt_dir();
        CHECK(ns_launch(&p, &main_proc, &e) == 0, "cat: %s", e.message);
        {
                NsExecParams x = {
                        .target_pidfd = main_proc.main_pidfd, .cgroup_fd = -EBADF, .argv = argv,
                        .stdin_fd = -EBADF, .stdout_fd = pipefd[1], .stderr_fd = pipefd[1], .unit = u,
                };
                CHECK(ns_exec(&x, &proc, &e) == 0, "exec: %s", e.message);
        }
        close(pipefd[1]);
        n = read(pipefd[0], out, sizeof(out) - 1);
        out[n > 0 ? n : 0] = 0;
        CHECK(strstr(out, "sigpipe_ignored=1\n") && strstr(out, "ioprio=3/4\n") && strstr(out, "sched=3 reset=0"),
              "inside:\n%s", out);
        (void) waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED);
        ns_process_done(&proc);
        close(in[1]);           /* cat ends */
        (void) waitid(P_PIDFD, (id_t) main_proc.pidfd, &si, WEXITED);
        ns_process_done(&main_proc);
        close(in[0]);
        close(pipefd[0]);
}

int main(int argc, char **argv) {
        _cleanup_free_ char *self = strdup(argv[0]);

        require_root();
        setvbuf(stdout, NULL, _IOLBF, 0);
        (void) snprintf(helper, sizeof(helper), "%s/helper-execattrs", dirname(self));
        if (access(helper, X_OK) < 0) {
                printf("no %s\n", helper);
                return 77;
        }
        test_defaults();
        test_set();
        test_under_init();
        test_realtime();
        test_exec_in_service();
        return finish("test-launch-execkeys");
}
