/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp keys: parsing, systemd 252's merging of lines, the group
 * table, and the FILE:LINE messages of bad values. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "units-test-util.h"

static UnitConfig *load(const char *body, UnitDiagnostics *d) {
        char *dir = scratch_dir();
        char text[4096];
        UnitConfig *u;

        snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s", body);
        u = load_text(dir, "s.service", text, d);
        for (size_t i = 0; i < d->n_errors; i++)
                d->errors[i] = memmove(d->errors[i], strip_dir(d->errors[i], dir),
                                       strlen(strip_dir(d->errors[i], dir)) + 1);
        for (size_t i = 0; i < d->n_warnings; i++)
                d->warnings[i] = memmove(d->warnings[i], strip_dir(d->warnings[i], dir),
                                         strlen(strip_dir(d->warnings[i], dir)) + 1);
        scratch_remove(dir);
        return u;
}

static long idx(const char *name) {
        for (size_t i = 0; i < unit_syscall_count(); i++)
                if (streq(unit_syscall_name(i), name))
                        return (long) i;
        fail_msg("%s not in the table", name);
        return -1;
}

static int16_t action(const UnitConfig *u, const char *name) {
        return u->seccomp.syscall_filter[idx(name)];
}

static void test_allow_list(void **state) {
        UnitDiagnostics d = {};
        UnitConfig *u = load("SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n"
                             "SystemCallFilter=setrlimit\n", &d);

        assert_non_null(u);
        assert_int_equal(d.n_warnings, 0);
        assert_true(u->seccomp.syscall_allow_list);
        assert_int_equal(action(u, "read"), SECCOMP_ERRNO_DEFAULT);
        assert_int_equal(action(u, "execve"), SECCOMP_ERRNO_DEFAULT);       /* @default comes along */
        assert_int_equal(action(u, "chown"), SYSCALL_FILTER_ABSENT);        /* @privileged's @chown removed */
        assert_int_equal(action(u, "sched_setscheduler"), SYSCALL_FILTER_ABSENT); /* @resources */
        assert_int_equal(action(u, "setrlimit"), SECCOMP_ERRNO_DEFAULT);    /* added back */
        assert_int_equal(action(u, "mount"), SYSCALL_FILTER_ABSENT);        /* never in it */
        assert_int_equal(u->seccomp.syscall_error_number, SECCOMP_ERRNO_KILL);
        unit_config_free(u);
        unit_diagnostics_done(&d);
}

static void test_deny_list(void **state) {
        UnitDiagnostics d = {};
        UnitConfig *u = load("SystemCallFilter=~@mount:EPERM swapon:kill reboot\nSystemCallFilter=umount2\n"
                             "SystemCallErrorNumber=EACCES\n", &d);

        assert_non_null(u);
        assert_false(u->seccomp.syscall_allow_list);
        assert_int_equal(action(u, "mount"), EPERM);
        assert_int_equal(action(u, "umount2"), SYSCALL_FILTER_ABSENT);      /* allowed again */
        assert_int_equal(action(u, "swapon"), SECCOMP_ERRNO_KILL);
        assert_int_equal(action(u, "reboot"), SECCOMP_ERRNO_DEFAULT);
        assert_int_equal(action(u, "read"), SYSCALL_FILTER_ABSENT);
        assert_int_equal(u->seccomp.syscall_error_number, EACCES);
        unit_config_free(u);
        unit_diagnostics_done(&d);

        /* an empty assignment resets: the next line decides the mode again */
        u = load("SystemCallFilter=~reboot\nSystemCallFilter=\nSystemCallFilter=read\n", &d);
        assert_non_null(u);
        assert_true(u->seccomp.syscall_allow_list);
        assert_int_equal(action(u, "read"), SECCOMP_ERRNO_DEFAULT);
        assert_int_equal(action(u, "reboot"), SYSCALL_FILTER_ABSENT);
        unit_config_free(u);
        unit_diagnostics_done(&d);

        u = load("SystemCallFilter=~reboot\nSystemCallFilter=\n", &d);
        assert_non_null(u);
        assert_null(u->seccomp.syscall_filter);
        assert_false(unit_seccomp_wanted(u));
        unit_config_free(u);
        unit_diagnostics_done(&d);
}

static void test_bad_values(void **state) {
        static const struct {
                const char *line, *error;
        } cases[] = {
                { "SystemCallFilter=~@bogus", "s.service:3: SystemCallFilter: unknown system call group \"@bogus\" "
                  "(systemd 252's groups: systemd-analyze syscall-filter)" },
                { "SystemCallFilter=~mount:EBOGUS", "s.service:3: SystemCallFilter: \"EBOGUS\" is not an errno name "
                  "or number (0-4095), or kill" },
                { "SystemCallFilter=read:EPERM", "s.service:3: SystemCallFilter: \"read:EPERM\": an allow-listed "
                  "system call takes no error number (only a deny-list, \"~...\", does)" },
                { "SystemCallErrorNumber=5000", "s.service:3: SystemCallErrorNumber: \"5000\" is not an errno name "
                  "or number (0-4095), or kill" },
                { "SystemCallArchitectures=native vax", "s.service:3: SystemCallArchitectures: \"vax\" is not an "
                  "architecture (native, x86, x86-64, x32, arm, arm64, ...)" },
                { "RestrictAddressFamilies=AF_INET AF_FOO", "s.service:3: RestrictAddressFamilies: \"AF_FOO\" is "
                  "not an address family (AF_INET, AF_UNIX, ...)" },
                { "RestrictNamespaces=~user bogus", "s.service:3: RestrictNamespaces: \"bogus\" is not a namespace "
                  "type (cgroup, ipc, net, mnt, pid, user, uts) or a boolean" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char body[256];
                UnitDiagnostics d = {};
                UnitConfig *u;

                snprintf(body, sizeof(body), "%s\n", cases[i].line);
                u = load(body, &d);
                assert_null(u);
                assert_int_equal(d.n_errors, 1);
                assert_string_equal(d.errors[0], cases[i].error);
                unit_diagnostics_done(&d);
        }
}

static void test_unknown_syscall_warns(void **state) {
        UnitDiagnostics d = {};
        UnitConfig *u = load("SystemCallFilter=~reboot not_a_call\n", &d);

        assert_non_null(u);
        assert_int_equal(d.n_warnings, 1);
        assert_string_equal(d.warnings[0], "s.service:3: SystemCallFilter: unknown system call \"not_a_call\" "
                            "(not in systemd 252's @known), ignoring");
        assert_int_equal(action(u, "reboot"), SECCOMP_ERRNO_DEFAULT);
        unit_config_free(u);
        unit_diagnostics_done(&d);
}

static void test_address_families(void **state) {
        UnitDiagnostics d = {};
        UnitConfig *u = load("RestrictAddressFamilies=AF_INET AF_UNIX AF_PACKET\n"
                             "RestrictAddressFamilies=~AF_PACKET\n", &d);

        assert_non_null(u);
        assert_true(u->seccomp.address_families_allow_list);
        assert_int_equal(u->seccomp.address_families, (1ULL << AF_INET) | (1ULL << AF_UNIX));
        unit_config_free(u);
        unit_diagnostics_done(&d);

        u = load("RestrictAddressFamilies=AF_INET\nRestrictAddressFamilies=none\n", &d);
        assert_non_null(u);
        assert_true(u->seccomp.address_families_allow_list);
        assert_int_equal(u->seccomp.address_families, 0);
        assert_true(unit_seccomp_wanted(u));
        unit_config_free(u);
        unit_diagnostics_done(&d);

        u = load("RestrictAddressFamilies=~AF_PACKET AF_LOCAL\nRestrictAddressFamilies=\n", &d);
        assert_non_null(u);
        assert_false(unit_seccomp_wanted(u));
        unit_config_free(u);
        unit_diagnostics_done(&d);
}

static void test_namespaces(void **state) {
        static const struct {
                const char *body;
                unsigned long allowed;
        } cases[] = {
                { "RestrictNamespaces=yes\n", 0 },
                { "RestrictNamespaces=net ipc\n", CLONE_NEWNET | CLONE_NEWIPC },
                { "RestrictNamespaces=~user\n", CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS |
                  CLONE_NEWPID | CLONE_NEWUTS },
                { "RestrictNamespaces=net\nRestrictNamespaces=~net\nRestrictNamespaces=uts\n", CLONE_NEWUTS },
                { "RestrictNamespaces=net\nRestrictNamespaces=yes\n", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                UnitDiagnostics d = {};
                UnitConfig *u = load(cases[i].body, &d);

                assert_non_null(u);
                assert_true(u->seccomp.restrict_namespaces_set);
                assert_int_equal(u->seccomp.restrict_namespaces, cases[i].allowed);
                unit_config_free(u);
                unit_diagnostics_done(&d);
        }
}

static void test_architectures_and_booleans(void **state) {
        UnitDiagnostics d = {};
        UnitConfig *u = load("SystemCallArchitectures=native\nSystemCallArchitectures=x32\n"
                             "MemoryDenyWriteExecute=yes\nLockPersonality=yes\nRestrictRealtime=yes\n"
                             "RestrictSUIDSGID=yes\n", &d);

        assert_non_null(u);
        assert_int_equal(u->seccomp.architectures, (1U << SECCOMP_ARCH_NATIVE) | (1U << SECCOMP_ARCH_X32));
        assert_true(u->seccomp.memory_deny_write_execute && u->seccomp.lock_personality &&
                    u->seccomp.restrict_realtime && u->seccomp.restrict_suid_sgid);
        assert_string_equal(unit_seccomp_arch_to_string(SECCOMP_ARCH_X86_64), "x86-64");
        unit_config_free(u);
        unit_diagnostics_done(&d);
}

static void test_groups(void **state) {
        int16_t *set = malloc(unit_syscall_count() * sizeof(int16_t));

        for (size_t i = 0; i < unit_syscall_count(); i++)
                set[i] = SYSCALL_FILTER_ABSENT;
        /* the table is sorted (bsearch) */
        for (size_t i = 1; i < unit_syscall_count(); i++)
                assert_true(strcmp(unit_syscall_name(i - 1), unit_syscall_name(i)) < 0);
        assert_int_equal(unit_syscall_group_apply("@nope", set, 1), -ENOENT);
        assert_int_equal(unit_syscall_group_apply("@clock", set, 1), 0);
        assert_int_equal(set[idx("clock_settime")], 1);
        assert_int_equal(set[idx("settimeofday")], 1);
        assert_int_equal(set[idx("clock_gettime")], SYSCALL_FILTER_ABSENT);
        /* nested: @privileged holds @chown, @system-service holds @default */
        assert_int_equal(unit_syscall_group_apply("@privileged", set, 2), 0);
        assert_int_equal(set[idx("fchownat")], 2);
        assert_int_equal(unit_syscall_group_apply("@system-service", set, 3), 0);
        assert_int_equal(set[idx("execve")], 3);
        assert_int_equal(set[idx("kexec_load")], 2);      /* @privileged, not @system-service */
        free(set);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allow_list),
                cmocka_unit_test(test_deny_list),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_unknown_syscall_warns),
                cmocka_unit_test(test_address_families),
                cmocka_unit_test(test_namespaces),
                cmocka_unit_test(test_architectures_and_booleans),
                cmocka_unit_test(test_groups),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
