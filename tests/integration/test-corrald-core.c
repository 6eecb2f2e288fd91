/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald's core in-process on sd-event, no bus: start states of every
 * Type, a failing ExecStart, Restart= up to start-limit-hit, a stop that
 * escalates to cgroup.kill, After= ordering, a refused cycle, and one
 * thread throughout. Host: cgroup2 at /sys/fs/cgroup/unified, a root of
 * the test's own, UnenforceableLimits=warn. In the VM (pure cgroup2 with
 * every controller) also Result=oom-kill and a VirtualEthernet= service. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "it-util.h"
#include "manager-daemon.h"
#include "service-internal.h"
#include "strv.h"

static sd_event *event;
static const char *mnt;
static bool in_vm;
static Manager *manager;
static int max_tasks;

static int n_tasks(void) {
        DIR *d = opendir("/proc/self/task");
        int n = 0;

        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[512];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        fputs(text, f);
        fclose(f);
}

static ServiceInfo info_of(const char *name) {
        ServiceInfo i = {};
        Service *s = manager_get_service(manager, name);

        if (s)
                service_info(s, &i);
        return i;
}

static bool is(const char *name, const char *active, const char *sub) {
        ServiceInfo i = info_of(name);

        return i.name && streq(service_active_state_to_string(i.active_state), active) &&
               streq(service_sub_state_to_string(i.sub_state), sub);
}

/* Turn the loop until name is active/sub or ms passed. */
static bool run_until(const char *name, const char *active, const char *sub, unsigned ms, bool *seen_sigkill) {
        struct timespec t0, t;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        ms *= in_vm ? 8 : 1;    /* TCG: every launch is several times slower */
        for (;;) {
                int n = n_tasks();

                max_tasks = n > max_tasks ? n : max_tasks;
                if (seen_sigkill && is(name, "deactivating", "stop-sigkill"))
                        *seen_sigkill = true;
                if (is(name, active, sub))
                        return true;
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > (long) ms)
                        return false;
                (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        }
}

static const char *state_of(const char *name) {
        static char buf[128];
        ServiceInfo i = info_of(name);

        (void) snprintf(buf, sizeof(buf), "%s/%s result %s", service_active_state_to_string(i.active_state),
                        service_sub_state_to_string(i.sub_state), service_result_to_string(i.result));
        return buf;
}

static char trace[400];

static void make_hook_units(const char *units) {
        char text[2048];

        (void) snprintf(text, sizeof(text),
                        "[Service]\nExecStartPre=/bin/sh -c 'echo pre >> %s'\n"
                        "ExecStart=/bin/sh -c 'echo main >> %s; exec sleep 1000'\n"
                        "ExecStartPost=/bin/sh -c 'echo post >> %s'\n"
                        "ExecReload=/bin/sh -c 'echo reload $MAINPID >> %s'\n"
                        "ExecStop=/bin/sh -c 'echo stop $MAINPID >> %s'\n",
                        trace, trace, trace, trace, trace);
        write_file(units, "hooks.service", text);
        write_file(units, "hang.service", "[Service]\nType=notify\nExecStart=/bin/sleep 1000\nTimeoutStartSec=500ms\n");
}

static void make_units(const char *units) {
        write_file(units, "simple.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        write_file(units, "exec.service", "[Service]\nType=exec\nExecStart=/bin/sleep 1000\n");
        write_file(units, "oneshot.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n");
        write_file(units, "notify.service",
                   "[Service]\nType=notify\nExecStart=/bin/sh -c 'sleep 2; systemd-notify --ready --status=hello; exec sleep 1000'\n");
        write_file(units, "fail.service", "[Service]\nExecStart=/bin/false\n");
        write_file(units, "restarter.service",
                   "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=30s\n"
                   "[Service]\nExecStart=/bin/false\nRestart=on-failure\nRestartSec=50ms\n");
        write_file(units, "stubborn.service",
                   "[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; sleep 1000 & sleep 1000 & wait'\n"
                   "TimeoutStopSec=1s\nMemoryMax=100M\n");
        write_file(units, "first.service",
                   "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 0.4\n");
        write_file(units, "second.service", "[Unit]\nAfter=first.service\nRequires=first.service\n"
                                            "[Service]\nExecStart=/bin/sleep 1000\n");
        /* A Type=simple service is started once it runs (its later exit is
         * not a failed start), so the dependency fails its start instead. */
        write_file(units, "failstart.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
        write_file(units, "reqfail.service", "[Unit]\nRequires=failstart.service\nAfter=failstart.service\n"
                                             "[Service]\nExecStart=/bin/sleep 1000\n");
        /* A failed start that leaves a process which ignores SIGTERM: the
         * dependency passes through stop-sigterm and stop-sigkill before it
         * reads 'failed'; its dependent must wait for that, not start. */
        write_file(units, "failslow.service",
                   "[Service]\nType=oneshot\nTimeoutStopSec=600ms\n"
                   "ExecStart=/bin/sh -c \"trap '' TERM; sleep 1000 & exit 1\"\n");
        write_file(units, "reqslow.service", "[Unit]\nRequires=failslow.service\nAfter=failslow.service\n"
                                             "[Service]\nExecStart=/bin/sleep 1000\n");
        write_file(units, "reqmissing.service", "[Unit]\nRequires=nosuch.service\n[Service]\nExecStart=/bin/sleep 1000\n");
        write_file(units, "cyc1.service", "[Unit]\nAfter=cyc2.service\n[Service]\nExecStart=/bin/sleep 1000\n");
        write_file(units, "cyc2.service", "[Unit]\nAfter=cyc1\n[Service]\nExecStart=/bin/sleep 1000\n");
}

static void test_start_states(void) {
        ServiceInfo i;

        CHECK(run_until("simple", "active", "running", 3000, NULL), "simple: %s", state_of("simple"));
        CHECK(run_until("exec", "active", "running", 3000, NULL), "exec: %s", state_of("exec"));
        CHECK(run_until("oneshot", "active", "exited", 3000, NULL), "oneshot: %s", state_of("oneshot"));
        CHECK(is("notify", "activating", "start"), "notify before READY=1: %s", state_of("notify"));
        CHECK(run_until("notify", "active", "running", 5000, NULL), "notify: %s", state_of("notify"));
        i = info_of("notify");
        CHECK(streq(i.status_text, "hello"), "StatusText '%s'", i.status_text);
        i = info_of("simple");
        CHECK(i.main_pid > 0 && kill(i.main_pid, 0) == 0, "simple MainPID %d", (int) i.main_pid);
        CHECK(i.cgroup_path && strstr(i.cgroup_path, "/simple.service"), "CgroupPath '%s'", i.cgroup_path);
        i = info_of("stubborn");
        if (!in_vm)     /* the host's memory controller is on cgroup v1 */
                CHECK(i.warnings && strv_length(i.warnings) >= 1, "stubborn: MemoryMax= listed in Warnings");
        else
                CHECK(strv_length(i.warnings) == 0, "stubborn: MemoryMax= enforced, no warning");
}

static void test_failures(void) {
        ServiceInfo i;

        CHECK(run_until("fail", "failed", "failed", 3000, NULL), "fail: %s", state_of("fail"));
        i = info_of("fail");
        CHECK(i.result == SERVICE_FAILURE_EXIT_CODE && i.exec_main_status == 1, "fail: %s status %d",
              state_of("fail"), i.exec_main_status);
        CHECK(run_until("restarter", "failed", "failed", 5000, NULL), "restarter: %s", state_of("restarter"));
        i = info_of("restarter");
        CHECK(i.result == SERVICE_FAILURE_START_LIMIT_HIT, "restarter: %s", state_of("restarter"));
        CHECK(i.n_restarts == 3, "restarter: NRestarts %u", i.n_restarts);
}

static void test_stop_escalation(void) {
        char path[512];
        struct stat st;
        CrlError e = {};
        bool sigkill = false;
        ServiceInfo i = info_of("stubborn");

        (void) snprintf(path, sizeof(path), "%s%s", mnt, i.cgroup_path);
        CHECK(stat(path, &st) == 0, "%s exists while it runs", path);
        CHECK(service_stop(manager_get_service(manager, "stubborn"), NULL, NULL, &e) == 0, "%s", e.message);
        CHECK(run_until("stubborn", "failed", "failed", 6000, &sigkill), "stubborn: %s", state_of("stubborn"));
        CHECK(sigkill, "stubborn went through stop-sigkill");
        CHECK(info_of("stubborn").result == SERVICE_FAILURE_TIMEOUT, "stubborn: %s", state_of("stubborn"));
        CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s removed", path);
}

static void test_order_and_cycle(void) {
        ServiceInfo a, b;
        char **errs = manager_load_errors(manager);
        bool named = false;

        CHECK(run_until("second", "active", "running", 5000, NULL), "second: %s", state_of("second"));
        a = info_of("first");
        b = info_of("second");
        CHECK(a.active_enter_usec > 0 && b.active_enter_usec >= a.active_enter_usec,
              "After=: first active at %llu, second at %llu", (unsigned long long) a.active_enter_usec,
              (unsigned long long) b.active_enter_usec);
        STRV_FOREACH(l, errs)
                named |= strstr(*l, "cyc1 -> cyc2 -> cyc1") != NULL;
        CHECK(named, "the cycle is a load error naming it (%s)", errs && errs[0] ? errs[0] : "none");
        CHECK(!manager_get_service(manager, "cyc1") && !manager_get_service(manager, "cyc2"), "cycle not loaded");
}

static int n_done, last_r;

static void job_done(Service *s, int r, const CrlError *err, void *userdata) {
        n_done++;
        last_r = r;
}

static bool run_jobs(int want, unsigned ms) {
        ms *= in_vm ? 8 : 1;
        for (unsigned i = 0; i < ms / 20 && n_done < want; i++)
                (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        return n_done >= want;
}

static bool ends_with(const char *s, const char *suffix) {
        return strlen(s) >= strlen(suffix) && streq(s + strlen(s) - strlen(suffix), suffix);
}

static char *slurp(const char *path) {
        static char buf[1024];
        FILE *f = fopen(path, "re");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

        buf[n] = 0;
        if (f)
                fclose(f);
        return buf;
}

static void test_hooks_and_jobs(void) {
        Service *h = manager_get_service(manager, "hooks");
        CrlError e = {};
        char want[256];
        pid_t pid, pid2;

        CHECK(run_until("hooks", "active", "running", 5000, NULL), "hooks: %s", state_of("hooks"));
        /* ExecStartPost= starts once the main command exec'd: its echo and
         * the main command's own may come in either order. */
        CHECK(strneq(slurp(trace), "pre\n", 4) && strstr(slurp(trace), "main\n") && strstr(slurp(trace), "post\n") &&
              strlen(slurp(trace)) == 14, "pre, then main and post: '%s'", slurp(trace));
        pid = info_of("hooks").main_pid;
        n_done = 0;
        CHECK(service_reload(h, job_done, NULL, &e) == 0, "%s", e.message);
        CHECK(n_done == 0, "the job's callback never runs inside the call");
        CHECK(run_jobs(1, 5000) && last_r == 0, "reload job done: %d", last_r);
        (void) snprintf(want, sizeof(want), "\nreload %d\n", (int) pid);
        CHECK(ends_with(slurp(trace), want), "ExecReload= with $MAINPID: '%s'", slurp(trace));
        CHECK(service_restart(h, job_done, NULL, &e) == 0, "%s", e.message);
        CHECK(run_jobs(2, 8000) && last_r == 0, "restart job done: %d", last_r);
        pid2 = info_of("hooks").main_pid;
        CHECK(is("hooks", "active", "running") && pid2 > 0 && pid2 != pid, "restarted: %s, MainPID %d -> %d",
              state_of("hooks"), (int) pid, (int) pid2);
        (void) snprintf(want, sizeof(want), "stop %d\npre\n", (int) pid);
        CHECK(strstr(slurp(trace), want), "ExecStop= ran before the new start: '%s'", slurp(trace));
        CHECK(run_until("hang", "failed", "failed", 5000, NULL), "hang: %s", state_of("hang"));
        CHECK(info_of("hang").result == SERVICE_FAILURE_TIMEOUT, "hang: %s", state_of("hang"));
}

static void test_transient(void) {
        char *argv[] = { "/bin/sh", "-c", "echo hello-$X", NULL };
        char *props[] = { "Environment=X=42", NULL };
        char *bad[] = { "NoSuchKey=1", NULL };
        int p[2], fds[3] = { -EBADF, -EBADF, -EBADF };
        Service *s = NULL;
        CrlError e = {};
        char buf[64] = {}, name[64];
        ServiceInfo i;

        CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe");
        fds[1] = p[1];
        CHECK(manager_run_transient(manager, "", argv, bad, fds, &s, &e) == -EINVAL, "a bad property is refused");
        CHECK(strstr(e.message, "NoSuchKey"), "the error names it: %s", e.message);
        crl_error_clear(&e);
        CHECK(manager_run_transient(manager, "", argv, props, fds, &s, &e) == 0, "%s", e.message);
        safe_close(p[1]);
        service_info(s, &i);
        CHECK(strneq(i.name, "run-", 4) && i.transient, "transient '%s'", i.name);
        for (int k = 0; k < 250 && info_of(i.name).inactive_enter_usec == 0; k++)
                (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        CHECK(is(i.name, "inactive", "dead"), "%s ran and ended: %s", i.name, state_of(i.name));
        CHECK(read(p[0], buf, sizeof(buf) - 1) > 0 && streq(buf, "hello-42\n"), "its stdout reached our pipe: '%s'",
              buf);
        safe_close(p[0]);
        (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        CHECK(manager_get_service(manager, i.name) == s, "it lingers until its result is read");
        (void) snprintf(name, sizeof(name), "%s", i.name);     /* i's strings go with s */
        manager_transient_result_read(manager, s);
        (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        CHECK(!manager_get_service(manager, name), "then it is gone");
}

static void test_requires(void) {
        Service *s;

        CHECK(run_until("reqfail", "failed", "failed", 5000, NULL), "reqfail: %s", state_of("reqfail"));
        s = manager_get_service(manager, "reqfail");
        CHECK(s && strstr((s->error ? s->error->message : ""), "Requires=failstart.service") &&
              strstr((s->error ? s->error->message : ""), "'failstart' failed"),
              "the failed dependency is named: %s", s ? (s->error ? s->error->message : "") : "");
        CHECK(info_of("reqfail").main_pid == 0 && !info_of("reqfail").cgroup_path[0], "reqfail never ran");
        CHECK(run_until("reqslow", "failed", "failed", 8000, NULL), "reqslow: %s", state_of("reqslow"));
        CHECK(is("failslow", "failed", "failed"), "failslow: %s", state_of("failslow"));
        s = manager_get_service(manager, "reqslow");
        CHECK(s && strstr((s->error ? s->error->message : ""), "'failslow' failed"), "the failed dependency is named: %s",
              s ? (s->error ? s->error->message : "") : "");
        CHECK(info_of("reqslow").main_pid == 0 && !info_of("reqslow").cgroup_path[0], "reqslow never ran");
        CHECK(run_until("reqmissing", "failed", "failed", 5000, NULL), "reqmissing: %s", state_of("reqmissing"));
        s = manager_get_service(manager, "reqmissing");
        CHECK(s && strstr((s->error ? s->error->message : ""), "Requires=nosuch.service: no such service"), "%s",
              s ? (s->error ? s->error->message : "") : "");
}

static void test_freeze(void) {
        Service *s = manager_get_service(manager, "simple");
        char path[512];
        CrlError e = {};

        (void) snprintf(path, sizeof(path), "%s%s/cgroup.events", mnt, info_of("simple").cgroup_path);
        n_done = 0;
        CHECK(service_freeze(s, job_done, NULL, &e) == 0, "%s", e.message);
        CHECK(run_jobs(1, 3000) && last_r == 0 && info_of("simple").frozen, "freeze job done, FreezerState frozen");
        CHECK(strstr(slurp(path), "frozen 1"), "cgroup.events: %s", slurp(path));
        CHECK(service_freeze(s, job_done, NULL, &e) == 1, "freezing a frozen service: nothing to do");
        CHECK(service_thaw(s, job_done, NULL, &e) == 0, "%s", e.message);
        CHECK(run_jobs(2, 3000) && last_r == 0 && !info_of("simple").frozen, "thaw job done");
        CHECK(strstr(slurp(path), "frozen 0"), "cgroup.events: %s", slurp(path));

        /* FreezeService while a KillService walk holds the cgroup frozen
         * (its confirmation not read yet): the freeze finds the cgroup
         * frozen, the walk must leave it so, and the job must end. */
        n_done = 0;
        CHECK(service_kill(s, SIGCONT, &e) >= 0, "%s", e.message);
        CHECK(service_freeze(s, job_done, NULL, &e) == 0, "freeze during the walk: %s", e.message);
        CHECK(run_jobs(1, 3000) && last_r == 0 && info_of("simple").frozen,
              "freeze during a KillService walk: job done, FreezerState frozen");
        CHECK(strstr(slurp(path), "frozen 1"), "still frozen after the walk: %s", slurp(path));
        CHECK(service_thaw(s, job_done, NULL, &e) == 0, "%s", e.message);
        CHECK(run_jobs(2, 3000) && last_r == 0 && !info_of("simple").frozen, "thaw job done");
        CHECK(strstr(slurp(path), "frozen 0"), "cgroup.events: %s", slurp(path));
}

static void test_reload(const char *units) {
        char path[512];
        CrlError e = {};

        write_file(units, "late.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        write_file(units, "simple.service", "[Unit]\nDescription=changed\n[Service]\nExecStart=/bin/sleep 1000\n");
        (void) snprintf(path, sizeof(path), "%s/exec.service", units);
        (void) unlink(path);
        CHECK(manager_reload(manager, &e) == 0, "%s", e.message);
        CHECK(run_until("late", "active", "running", 5000, NULL), "a new unit starts on Reload: %s", state_of("late"));
        for (int k = 0; k < 250 && manager_get_service(manager, "exec"); k++)
                (void) sd_event_run(event, 20 * USEC_PER_MSEC);
        CHECK(!manager_get_service(manager, "exec"), "a removed unit is stopped and goes");
        CHECK(is("simple", "active", "running") && streq(info_of("simple").description, ""),
              "a changed unit keeps running with its old config until its next start");
}

static void make_vm_units(const char *units) {
        char text[1024];
        const char *build = getenv("CORRAL_BUILD");

        (void) snprintf(text, sizeof(text), "[Service]\nExecStart=%s/tests/integration/helper-alloc 200\n"
                        "MemoryMax=32M\nMemorySwapMax=0\n", build ? build : "build");
        write_file(units, "oom.service", text);
        write_file(units, "net.service", "[Service]\nExecStart=/bin/sleep 1000\n[Network]\nVirtualEthernet=yes\n");
}

static void test_vm(void) {
        struct stat st;
        CrlError e = {};
        ServiceInfo i;

        CHECK(run_until("oom", "failed", "failed", 10000, NULL), "oom: %s", state_of("oom"));
        CHECK(info_of("oom").result == SERVICE_FAILURE_OOM_KILL, "oom: %s", state_of("oom"));
        CHECK(run_until("net", "active", "running", 10000, NULL), "net: %s", state_of("net"));
        i = info_of("net");
        CHECK(strneq(i.ip_address, "10.89.0.", 8), "IPAddress '%s'", i.ip_address);
        CHECK(stat("/run/netns/corral-net", &st) == 0, "netns pinned at /run/netns/corral-net");
        CHECK(service_stop(manager_get_service(manager, "net"), NULL, NULL, &e) == 0, "%s", e.message);
        CHECK(run_until("net", "inactive", "dead", 10000, NULL), "net: %s", state_of("net"));
        CHECK(stat("/run/netns/corral-net", &st) < 0, "pin gone after the stop");
        CHECK(sh(NULL, "ip link show vc-net >/dev/null 2>&1") != 0, "veth vc-net gone after the stop");
}

static void test_shutdown(const char *root) {
        char path[512];
        struct stat st;

        manager_shutdown(manager);
        CHECK(sd_event_loop(event) == 0, "the loop ends with 0 after the shutdown");
        for (size_t k = 0; k < manager_n_services(manager); k++) {
                ServiceInfo i;

                service_info(manager_service_at(manager, k), &i);
                CHECK(i.active_state == SERVICE_INACTIVE || i.active_state == SERVICE_FAILED, "%s stopped", i.name);
        }
        (void) snprintf(path, sizeof(path), "%s%s", mnt, root);
        CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s removed at shutdown", path);
}

int main(void) {
        char dir[] = "/tmp/corrald-core-XXXXXX", units[300], conf[300], text[600], root[64];
        char *dirs[] = { units, NULL };
        CrlError e = {};

        in_vm = getenv("CORRAL_TEST_WHERE") && streq(getenv("CORRAL_TEST_WHERE"), "vm");
        /* The build tree's log process (service-stdio.c), not the installed one. */
        (void) setenv("CORRAL_LOG_HELPER", CORRAL_LOG_HELPER_BUILD, 0);
        (void) setenv("CORRAL_EXECUTOR", CORRAL_EXECUTOR_BUILD, 0);
        mnt = in_vm ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        (void) snprintf(text, sizeof(text), "%s/cgroup.procs", mnt);
        if (geteuid() != 0 || access(text, F_OK) < 0) {
                printf("needs root and cgroup2 at %s\n", mnt);
                return 77;
        }
        if (!mkdtemp(dir))
                return 1;
        (void) snprintf(units, sizeof(units), "%s/units", dir);
        (void) mkdir(units, 0755);
        (void) snprintf(text, sizeof(text), "[Manager]\nUnenforceableLimits=warn\nRuntimeDirectory=%s/run\n"
                        "LogDirectory=%s/log\n", dir, dir);
        write_file(dir, "corrald.conf", text);
        (void) snprintf(conf, sizeof(conf), "%s/corrald.conf", dir);
        (void) snprintf(root, sizeof(root), "/corral-core-test-%d", (int) getpid());
        (void) snprintf(trace, sizeof(trace), "%s/trace", dir);
        make_units(units);
        make_hook_units(units);
        if (in_vm)
                make_vm_units(units);

        CHECK(sd_event_new(&event) >= 0, "event loop");
        CHECK(manager_new(event, &(ManagerParams) { .config_path = conf, .unit_dirs = dirs, .cgroup_root = root,
                                                   .no_bus = true }, &manager, &e) == 0, "%s", e.message);
        if (!manager)
                return it_report("test-corrald-core");
        CHECK(manager_startup(manager, &e) == 0, "%s", e.message);
        test_start_states();
        test_failures();
        test_stop_escalation();
        test_order_and_cycle();
        test_hooks_and_jobs();
        test_requires();
        test_freeze();
        test_reload(units);
        if (in_vm)
                test_vm();
        test_transient();
        test_shutdown(root);
        CHECK(max_tasks == 1, "one thread throughout (saw %d)", max_tasks);
        manager_free(manager);
        sd_event_unref(event);
        (void) sh(NULL, "rm -rf %s", dir);
        return it_report("test-corrald-core");
}
