/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cross-key validation and diagnostics, messages checked word for word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "units-test-util.h"

/* Case tables leave the warnings (or errors) list out when it is empty. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct Case {
        const char *text;
        const char *errors[4];
        const char *warnings[4];
} Case;

static void run_case(const Case *c) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, "v.service", c->text, &d);
        size_t ne = 0, nw = 0;

        while (ne < ELEMENTSOF(c->errors) && c->errors[ne])
                ne++;
        while (nw < ELEMENTSOF(c->warnings) && c->warnings[nw])
                nw++;
        if (strv_length(d.errors) != ne || strv_length(d.warnings) != nw) {
                STRV_FOREACH(e, d.errors)
                        fprintf(stderr, "got error: %s\n", strip_dir(*e, dir));
                STRV_FOREACH(w, d.warnings)
                        fprintf(stderr, "got warning: %s\n", strip_dir(*w, dir));
        }
        assert_int_equal(strv_length(d.errors), ne);
        assert_int_equal(strv_length(d.warnings), nw);
        for (size_t i = 0; i < ne; i++)
                assert_string_equal(strip_dir(d.errors[i], dir), c->errors[i]);
        for (size_t i = 0; i < nw; i++)
                assert_string_equal(strip_dir(d.warnings[i], dir), c->warnings[i]);
        if (ne > 0)
                assert_null(u);
        else
                assert_non_null(u);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_exec_rules(void **state) {
        static const Case cases[] = {
                { "[Unit]\nDescription=x\n[Service]\nType=simple\n",
                  { "v.service:3: ExecStart: missing; a service needs an ExecStart= command" } },
                { "[Unit]\nDescription=x\n",
                  { "v.service:0: ExecStart: missing; a service needs an ExecStart= command" } },
                { "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n",
                  { "v.service:3: ExecStart: 2 commands given, but only Type=oneshot may have more than one "
                    "(an empty ExecStart= resets the list)" } },
                { "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n", {} },
                { "[Service]\nType=oneshot\nExecStart=/bin/a\nRestart=on-success\n",
                  { "v.service:4: Restart: on-success is not allowed with Type=oneshot "
                    "(use no, on-failure, on-abnormal or on-abort)" } },
                { "[Service]\nExecStart=bin/a\n",
                  { "v.service:2: ExecStart: \"bin/a\" is neither an absolute path nor a plain command name "
                    "(e.g. /usr/bin/env or env)" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
}

static void test_network_rules(void **state) {
        static const Case cases[] = {
                { "[Service]\nExecStart=/bin/a\nPrivateNetwork=no\n[Network]\nVirtualEthernet=yes\n",
                  { "v.service:5: VirtualEthernet: needs a private network namespace, but PrivateNetwork=no is set (remove it)" } },
                { "[Unit]\nJoinsNamespaceOf=db\n[Service]\nExecStart=/bin/a\n[Network]\nVirtualEthernet=yes\n",
                  { "v.service:2: JoinsNamespaceOf: conflicts with VirtualEthernet=yes "
                    "(join another service's network namespace or make one, not both)" } },
                { "[Service]\nExecStart=/bin/a\nPrivateNetwork=yes\nNetworkNamespacePath=/run/netns/x\n",
                  { "v.service:4: NetworkNamespacePath: conflicts with PrivateNetwork=yes "
                    "(join an existing network namespace or make one, not both)" } },
                { "[Service]\nExecStart=/bin/a\nJoinsNamespaceOf=db\nNetworkNamespacePath=/run/netns/x\n",
                  { "v.service:4: NetworkNamespacePath: conflicts with JoinsNamespaceOf= "
                    "(both choose the network namespace; keep one)" } },
                { "[Service]\nExecStart=/bin/a\nJoinsNamespaceOf=v.service\n",
                  { "v.service:3: JoinsNamespaceOf: names the unit itself (name another service)" } },
                { "[Service]\nExecStart=/bin/a\n[Network]\nPort=80\nBridge=br0\n",
                  { "v.service:4: Port: needs VirtualEthernet=yes (without it there is no link to forward to)" },
                  { "v.service:5: Bridge: has no effect without VirtualEthernet=yes, ignoring" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
}

static void test_sandbox_rules(void **state) {
        static const Case cases[] = {
                { "[Service]\nExecStart=/bin/a\nProtectHostname=no\nHostname=h\n",
                  { "v.service:4: Hostname: needs its own UTS namespace, but ProtectHostname=no is set (remove it)" } },
                { "[Service]\nExecStart=/bin/a\nPrivateTime=no\nTimeOffsetSec=1h\n",
                  { "v.service:4: TimeOffsetSec: needs a time namespace, but PrivateTime=no is set (remove it)" } },
                { "[Service]\nExecStart=/bin/a\nPrivateMounts=no\nPrivateTmp=yes\n",
                  { "v.service:3: PrivateMounts: no conflicts with PrivateTmp= (it needs a mount namespace)" } },
                { "[Service]\nExecStart=/bin/a\nPrivateUsers=pick\nGroup=100000\n",
                  { "v.service:4: Group: 100000 is outside the ids 0-65535 that PrivateUsers=pick maps (use a smaller id)" } },
                { "[Service]\nExecStart=/bin/a\nRootDirectory=/nonexistent/corral\n",
                  { "v.service:3: RootDirectory: \"/nonexistent/corral\": No such file or directory (use an existing directory)" } },
                { "[Service]\nExecStart=/bin/a\nRootDirectory=/etc/hostname\n",
                  { "v.service:3: RootDirectory: \"/etc/hostname\" is not a directory" } },
                { "[Service]\nExecStart=/bin/a\nCapabilityBoundingSet=CAP_KILL\nAmbientCapabilities=CAP_NET_ADMIN\n",
                  { "v.service:4: AmbientCapabilities: raises capabilities that CapabilityBoundingSet= drops "
                    "(add them to the bounding set)" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
}

static void test_time_rules(void **state) {
        static const Case cases[] = {
                { "[Service]\nExecStart=/bin/a\nRestartSteps=3\n",
                  { "v.service:3: RestartSteps: needs RestartMaxDelaySec= (the delay the steps grow to)" } },
                { "[Service]\nExecStart=/bin/a\nRestartSec=10s\nRestartMaxDelaySec=1s\n",
                  { "v.service:4: RestartMaxDelaySec: is shorter than RestartSec= (use a longer maximum)" } },
                { "[Service]\nExecStart=/bin/a\nCPUQuotaPeriodSec=2s\n",
                  { "v.service:3: CPUQuotaPeriodSec: must be between 1ms and 1s, as the kernel requires" } },
                { "[Service]\nExecStart=/bin/a\nCPUWeight=10001\nMemoryMax=12X\n",
                  { "v.service:3: CPUWeight: \"10001\" is out of range (1-10000, or idle)",
                    "v.service:4: MemoryMax: \"12X\" is not a size (use K, M, G, T, a percentage, or infinity)" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
}

static void test_syntax_messages(void **state) {
        static const Case cases[] = {
                { "[Service]\nExecStart=/bin/a\nMemorymax=1G\nFoo=1\n[Unit]\nMemoryMax=1G\n[Bogus]\nA=b\n[X-Mine]\nB=c\n",
                  {},
                  { "v.service:3: Memorymax: unknown key in [Service] (did you mean MemoryMax=?), ignoring",
                    "v.service:4: Foo: unknown key in [Service], ignoring",
                    "v.service:6: MemoryMax: belongs in [Service], not [Unit], ignoring",
                    "v.service:7: [Bogus]: unknown section, ignoring its keys" } },
                { "Key=1\n[Service\njunk\n=1\n[Service]\nExecStart=/bin/a\n",
                  { "v.service:2: \"[Service\" is not a valid section header (use [Unit], [Service], [Network] or [Install])",
                    "v.service:3: \"junk\" is neither a KEY=VALUE assignment nor a [Section] header",
                    "v.service:4: missing key name before '='" },
                  { "v.service:1: Key: assignment outside of any section, ignoring" } },
                { "[Service]\nExecStart=/bin/a %Q\n",
                  { "v.service:2: ExecStart: unknown specifier %Q in \"/bin/a %Q\" "
                    "(see systemd.unit(5) for the specifiers; write %% for a literal '%')" } },
                { "[Service]\nExecStart=/bin/a\nDescription=50%\n", {},
                  { "v.service:3: Description: belongs in [Unit], not [Service], ignoring" } },
                /* a '%' that starts no specifier is kept, as systemd */
                { "[Unit]\nDescription=50%\n[Service]\nExecStart=/bin/a\n", {} },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
}

static void test_implications(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, "i.service",
                                  "[Unit]\nRequires=i.service db\n"
                                  "[Service]\nExecStart=/bin/a\nHostname=box\nTimeOffsetSec=-5s\n"
                                  "ProtectSystem=full\nPrivateUsers=yes\nTimeoutStopSec=0\n"
                                  "[Network]\nVirtualEthernet=yes\n", &d);

        assert_non_null(u);
        assert_null(d.errors);
        assert_int_equal(strv_length(d.warnings), 1);
        assert_string_equal(strip_dir(d.warnings[0], dir), "i.service:2: Requires: names the unit itself, ignoring");
        assert_int_equal(strv_length(u->requires), 1);
        assert_string_equal(u->requires[0], "db");
        assert_true(u->protect_hostname);
        assert_true(u->private_time);
        assert_true(u->private_mounts);
        assert_true(u->private_network);
        assert_int_equal(u->private_users, PRIVATE_USERS_SELF);
        assert_int_equal(u->timeout_stop_usec, USEC_INFINITY);
        unit_config_free(u);
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_file_names(void **state) {
        char *dir = scratch_dir(), path[4096];
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        snprintf(path, sizeof(path), "%s/web.conf", dir);
        assert_int_equal(unit_load_file(path, &u, &d), -EINVAL);
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "web.conf:0: not a unit file name (use NAME.service or NAME@.service)");
        snprintf(path, sizeof(path), "%s/absent.service", dir);
        assert_int_equal(unit_load_file(path, &u, &d), -ENOENT);
        assert_string_equal(strip_dir(d.errors[1], dir), "absent.service:0: cannot read: No such file or directory");
        assert_null(u);
        unit_diagnostics_done(&d);

        snprintf(path, sizeof(path), "%s/nul.service", dir);
        {
                FILE *f = fopen(path, "we");

                assert_non_null(f);
                assert_int_equal(fwrite("[Service]\0ExecStart=/bin/a\n", 1, 26, f), 26);
                assert_int_equal(fclose(f), 0);
        }
        assert_int_equal(unit_load_file(path, &u, &d), -EINVAL);
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "nul.service:0: contains a NUL byte; a unit file is text (is this the right file?)");
        assert_int_equal(strv_length(d.errors), 1);
        unit_diagnostics_done(&d);

        /* a drop-in's problems name the drop-in */
        scratch_write(dir, "w.service.d/10-x.conf", "[Service]\n\nMemoryMax=lots\n");
        assert_null(load_text(dir, "w.service", "[Service]\nExecStart=/bin/a\n", &d));
        assert_string_equal(strip_dir(d.errors[0], dir),
                            "w.service.d/10-x.conf:3: MemoryMax: \"lots\" is not a size (use K, M, G, T, a percentage, or infinity)");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_rules),
                cmocka_unit_test(test_network_rules),
                cmocka_unit_test(test_sandbox_rules),
                cmocka_unit_test(test_time_rules),
                cmocka_unit_test(test_syntax_messages),
                cmocka_unit_test(test_implications),
                cmocka_unit_test(test_file_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
