/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp keys as the kernel enforces them inside the service:
 * helper-seccomp makes each call and prints the errno it got (or dies of
 * SIGSYS). Each check also runs the same call without the key, so that a
 * check cannot pass because the call fails anyway. Runs on the host too:
 * seccomp needs no cgroup controller. */
#include "launch-util.h"

#include <signal.h>

static char helper[512];

/* Parse "KEY=VALUE" lines into u as a unit file would. */
static UnitConfig *unit_with(const char *name, const char *keys) {
        char text[2048];
        UnitConfig *u;

        (void) snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s\n", keys);
        u = unit_load_text(name, text);
        CHECK(u, "unit '%s' refused (its errors are printed above)", keys);
        return u ?: unit_new(name);
}

/* Run the helper with one call under keys; expect its line (or a signal). */
static void expect(const char *keys, const char *call, const char *want, int want_signal) {
        char all[1024];
        /* In the ASan build the helper is instrumented, and LeakSanitizer's
         * exit-time check ptrace()s its own threads, which @system-service
         * refuses: a sanitizer artefact, not a filter bug. */
        (void) snprintf(all, sizeof(all), "Environment=ASAN_OPTIONS=detect_leaks=0\n%s", keys);
        _cleanup_(unit_config_freep) UnitConfig *u = unit_with("sc", all);
        char *argv[] = { helper, (char *) call, NULL };
        char line[128];
        Run run;

        run_params(u, NULL, argv, &run);
        (void) snprintf(line, sizeof(line), "%s:%s", call, want ?: "");
        if (want_signal)
                CHECK(run.r == 0 && run.signal == want_signal && !run.out[0],
                      "[%s] %s: r=%d %s signal=%d code=%d '%s', wanted signal %d", keys, call, run.r,
                      run.error.message, run.signal, run.code, run.out, want_signal);
        else
                CHECK(run.r == 0 && run.code == 0 && streq(chomp(&run), line),
                      "[%s] %s: r=%d %s code=%d '%s', wanted '%s'", keys, call, run.r, run.error.message,
                      run.code, run.out, line);
}

static void test_syscall_filter(void) {
        expect("", "uname", "ok", 0);
        /* default action: the process is killed with SIGSYS */
        expect("SystemCallFilter=~uname", "uname", NULL, SIGSYS);
        expect("SystemCallFilter=~uname\nSystemCallErrorNumber=EPERM", "uname", "EPERM", 0);
        expect("SystemCallFilter=~uname:EXDEV\nSystemCallErrorNumber=EPERM", "uname", "EXDEV", 0);
        /* a later allow line takes it out of the deny-list */
        expect("SystemCallFilter=~uname\nSystemCallFilter=uname", "uname", "ok", 0);
        /* allow-list: @system-service has uname, not the module calls */
        expect("SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM", "uname", "ok", 0);
        expect("SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM", "module", "EPERM", 0);
        expect("SystemCallFilter=@system-service\nSystemCallFilter=~@network-io\nSystemCallErrorNumber=EACCES",
               "inet", "EACCES", 0);
}

static void test_architectures(void) {
#if defined(__x86_64__)
        char pid[32];

        /* without the key an i386 call works (getpid, inside the service) */
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("sc");
                char *argv[] = { helper, (char *) "i386", NULL };
                Run run;

                run_params(u, NULL, argv, &run);
                (void) snprintf(pid, sizeof(pid), "i386:ok");
                CHECK(run.r == 0 && (streq(chomp(&run), pid) || streq(run.out, "i386:ENOSYS")),
                      "i386 without a filter: '%s'", run.out);
        }
        expect("SystemCallArchitectures=native", "i386", NULL, SIGSYS);
        expect("SystemCallArchitectures=native x86", "i386", "ok", 0);
        expect("SystemCallArchitectures=native", "uname", "ok", 0);
#endif
}

static void test_restrictions(void) {
        expect("", "packet", "ok", 0);
        expect("RestrictAddressFamilies=AF_INET AF_UNIX", "packet", "EAFNOSUPPORT", 0);
        expect("RestrictAddressFamilies=AF_INET AF_UNIX", "inet", "ok", 0);
        expect("RestrictAddressFamilies=~AF_PACKET", "packet", "EAFNOSUPPORT", 0);
        expect("RestrictAddressFamilies=none", "unix", "EAFNOSUPPORT", 0);

        expect("", "userns", "ok", 0);
        expect("RestrictNamespaces=yes", "userns", "EPERM", 0);
        expect("RestrictNamespaces=~user", "userns", "EPERM", 0);
        expect("RestrictNamespaces=~user", "utsns", "ok", 0);

        expect("", "wx", "ok", 0);
        expect("MemoryDenyWriteExecute=yes", "wx", "EPERM", 0);
        expect("MemoryDenyWriteExecute=yes", "mprotect-x", "EPERM", 0);
        expect("MemoryDenyWriteExecute=yes", "w", "ok", 0);

        expect("", "personality", "ok", 0);
        expect("LockPersonality=yes", "personality", "EPERM", 0);
        expect("RestrictRealtime=yes", "fifo", "EPERM", 0);
        expect("", "suid", "ok", 0);
        expect("RestrictSUIDSGID=yes", "suid", "EPERM", 0);
        expect("", "adjtimex", "ok", 0);
        expect("ProtectClock=yes", "adjtimex", "EPERM", 0);
        /* ENOENT, or ENOSYS on a kernel without modules: anything but EPERM */
        {
                _cleanup_(unit_config_freep) UnitConfig *u = unit_new("sc");
                char *argv[] = { helper, (char *) "module", NULL };
                Run run;

                run_params(u, NULL, argv, &run);
                CHECK(run.r == 0 && strneq(run.out, "module:E", 8) && !streq(chomp(&run), "module:EPERM"),
                      "module without a filter: '%s'", run.out);
        }
        expect("ProtectKernelModules=yes", "module", "EPERM", 0);
        expect("ProtectKernelLogs=yes", "syslog", "EPERM", 0);
}

/* Filter 1 holds the architectures, the families, the other restrictions
 * and a deny-list together (ns-seccomp.c): each still answers for its calls,
 * and a deny-listed call gets the deny-list's answer whatever the other
 * rules for it say, as when it was the newest of stacked filters. */
static void test_one_filter(void) {
        const char *all = "SystemCallFilter=~uname:EXDEV\nLockPersonality=yes\nRestrictAddressFamilies=AF_INET\n"
                          "RestrictNamespaces=~user\nMemoryDenyWriteExecute=yes";

        expect("", "personality-linux", "ok", 0);
        expect("", "fork", "ok", 0);
        expect(all, "uname", "EXDEV", 0);
        expect(all, "personality", "EPERM", 0);
        expect(all, "personality-linux", "ok", 0);
        expect(all, "packet", "EAFNOSUPPORT", 0);
        expect(all, "inet", "ok", 0);
        expect(all, "userns", "EPERM", 0);
        expect(all, "utsns", "ok", 0);
        expect(all, "wx", "EPERM", 0);
        expect(all, "w", "ok", 0);
        /* the deny-list's errno or kill, also where the other rule allows */
        expect("SystemCallFilter=~personality:EXDEV\nLockPersonality=yes", "personality", "EXDEV", 0);
        expect("SystemCallFilter=~personality:EXDEV\nLockPersonality=yes", "personality-linux", "EXDEV", 0);
        expect("SystemCallFilter=~socket:EXDEV\nRestrictAddressFamilies=AF_INET", "packet", "EXDEV", 0);
        expect("SystemCallFilter=~socket:EXDEV\nRestrictAddressFamilies=AF_INET", "inet", "EXDEV", 0);
        expect("SystemCallFilter=~unshare\nRestrictNamespaces=~user", "utsns", NULL, SIGSYS);
        expect("SystemCallFilter=~unshare\nRestrictNamespaces=~user", "userns", NULL, SIGSYS);
        expect("SystemCallFilter=~clone3\nSystemCallErrorNumber=EXDEV\nRestrictNamespaces=yes", "clone3", "EXDEV",
               0);
#if defined(__x86_64__)
        expect("SystemCallArchitectures=native\nLockPersonality=yes", "i386", NULL, SIGSYS);
        expect("SystemCallArchitectures=native\nLockPersonality=yes", "personality", "EPERM", 0);
        expect("SystemCallArchitectures=native\nLockPersonality=yes", "personality-linux", "ok", 0);
        expect("SystemCallArchitectures=native x86\nRestrictNamespaces=yes", "i386", "ok", 0);
        expect("SystemCallArchitectures=native x86\nRestrictNamespaces=yes", "userns", "EPERM", 0);
#endif
}

/* An allow-list (filter 2) over calls whose arguments filter 1 restricts:
 * allowed by the list, the argument rules still answer; denied by it, the
 * list's action wins over filter 1's errno. */
static void test_allow_list_arguments(void) {
        const char *ns = "SystemCallFilter=@system-service\nSystemCallErrorNumber=EACCES\nRestrictNamespaces=yes";
        const char *rest = "SystemCallFilter=@system-service\nSystemCallErrorNumber=EACCES\n"
                           "MemoryDenyWriteExecute=yes\nLockPersonality=yes\nRestrictAddressFamilies=AF_INET";
        const char *denied = "SystemCallFilter=@system-service\nSystemCallFilter=~@network-io personality\n"
                             "SystemCallErrorNumber=EACCES\nRestrictAddressFamilies=AF_INET\nLockPersonality=yes";

        expect(ns, "fork", "ok", 0);
        expect(ns, "clone-userns", "EPERM", 0);
        expect(ns, "clone3", "ENOSYS", 0);
        expect(ns, "userns", "EPERM", 0);
        expect(ns, "uname", "ok", 0);
        expect(rest, "wx", "EPERM", 0);
        expect(rest, "w", "ok", 0);
        expect(rest, "mprotect-x", "EPERM", 0);
        expect(rest, "personality", "EPERM", 0);
        expect(rest, "personality-linux", "ok", 0);
        expect(rest, "inet", "ok", 0);
        expect(rest, "packet", "EAFNOSUPPORT", 0);
        expect(rest, "module", "EACCES", 0);
        expect(denied, "inet", "EACCES", 0);
        expect(denied, "packet", "EACCES", 0);
        expect(denied, "personality-linux", "EACCES", 0);
        expect("SystemCallFilter=@system-service\nSystemCallFilter=~personality\nLockPersonality=yes",
               "personality-linux", NULL, SIGSYS);
}

/* Real daemons under @system-service: redis answers a PING over its unix
 * socket, busybox httpd (inetd mode, one request on stdin) serves a page. */
static void test_daemons(void) {
        _cleanup_(unit_config_freep) UnitConfig *u =
                unit_with("daemons", "SystemCallFilter=@system-service\nSystemCallArchitectures=native\n"
                                     "MemoryDenyWriteExecute=yes\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
                                     "RestrictNamespaces=yes\nLockPersonality=yes\nRestrictRealtime=yes\n"
                                     "RestrictSUIDSGID=yes\nPrivateTmp=yes");
        Run run;

        if (access("/usr/bin/redis-server", X_OK) == 0) {
                run_sh(u, "timeout 30 redis-server --port 0 --unixsocket /tmp/r.sock --save '' --appendonly no | "
                          "while read -r l; do case $l in *[Rr]'eady to accept'*) "
                          "redis-cli -s /tmp/r.sock ping; redis-cli -s /tmp/r.sock shutdown nosave;; esac; done",
                       &run);
                CHECK(run.r == 0 && run.code == 0 && strstr(run.out, "PONG"), "redis: r=%d %s code=%d '%s'",
                      run.r, run.error.message, run.code, run.out);
        }
        run_sh(u, "mkdir -p /tmp/www && echo hello-corral > /tmp/www/index.html && "
                  "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox httpd -i -h /tmp/www",
               &run);
        CHECK(run.r == 0 && run.code == 0 && strstr(run.out, "200 OK") && strstr(run.out, "hello-corral"),
              "busybox httpd: r=%d %s code=%d '%s'", run.r, run.error.message, run.code, run.out);
}

int main(void) {
        const char *build = getenv("CORRAL_BUILD");

        require_root();
        (void) snprintf(helper, sizeof(helper), "%s/tests/integration/helper-seccomp", build ?: "build");
        if (access(helper, X_OK) < 0) {
                printf("no %s\n", helper);
                return 1;
        }
        test_syscall_filter();
        test_architectures();
        test_restrictions();
        test_one_filter();
        test_allow_list_arguments();
        test_daemons();
        return finish("test-launch-seccomp");
}
