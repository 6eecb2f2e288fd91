/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UnsetEnvironment=, IgnoreSIGPIPE=, IOScheduling*=, CPUScheduling*= and
 * StandardInput=: systemd 252's syntax, the model, and every message. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "units-test-util.h"

#define HEAD "[Service]\nExecStart=/bin/a\n"

/* Load HEAD + body; NULL with the first diagnostic in *msg (file stripped). */
static UnitConfig *load(const char *body, char *msg, size_t size) {
        char *dir = scratch_dir(), text[4096];
        UnitDiagnostics d = {};
        UnitConfig *u;

        snprintf(text, sizeof(text), HEAD "%s", body);
        u = load_text(dir, "x.service", text, &d);
        msg[0] = 0;
        if (d.n_errors > 0)
                snprintf(msg, size, "%s", strip_dir(d.errors[0], dir));
        else if (d.n_warnings > 0)
                snprintf(msg, size, "%s", strip_dir(d.warnings[0], dir));
        unit_diagnostics_done(&d);
        scratch_remove(dir);
        return u;
}

static void test_defaults(void **state) {
        char msg[512];
        UnitConfig *u = load("", msg, sizeof(msg));

        assert_non_null(u);
        assert_true(u->ignore_sigpipe);
        assert_false(u->ioprio_set);
        assert_false(u->cpu_sched_set);
        assert_null(u->standard_input_file);
        assert_null(u->unset_environment);
        unit_config_free(u);
}

static void test_unset_environment(void **state) {
        char msg[512];
        UnitConfig *u = load("UnsetEnvironment=A \"B=x y\"\nUnsetEnvironment=C\n", msg, sizeof(msg));

        assert_non_null(u);
        assert_int_equal(strv_length(u->unset_environment), 3);
        assert_string_equal(u->unset_environment[1], "B=x y");
        {
                char **env = strv_copy((char *[]) { (char *) "A=1", (char *) "B=x y", (char *) "B2=x y",
                                                    (char *) "C=3", (char *) "D=4", NULL });
                unit_environment_unset(u->unset_environment, env);
                assert_int_equal(strv_length(env), 2);
                assert_string_equal(env[0], "B2=x y");
                assert_string_equal(env[1], "D=4");
                strv_free(env);
        }
        {
                char **env = strv_copy((char *[]) { (char *) "B=other", NULL });
                unit_environment_unset(u->unset_environment, env);
                assert_string_equal(env[0], "B=other");     /* NAME=VALUE: that value only */
                strv_free(env);
        }
        unit_config_free(u);
        u = load("UnsetEnvironment=A\nUnsetEnvironment=\n", msg, sizeof(msg));
        assert_null(u->unset_environment);
        unit_config_free(u);
        assert_null(load("UnsetEnvironment=A 1B\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: UnsetEnvironment: \"1B\" is neither a variable name nor NAME=VALUE");
}

static void test_sigpipe(void **state) {
        char msg[512];
        UnitConfig *u = load("IgnoreSIGPIPE=no\n", msg, sizeof(msg));

        assert_false(u->ignore_sigpipe);
        unit_config_free(u);
        u = load("IgnoreSIGPIPE=no\nIgnoreSIGPIPE=\n", msg, sizeof(msg));
        assert_true(u->ignore_sigpipe);
        unit_config_free(u);
        assert_null(load("IgnoreSIGPIPE=maybe\n", msg, sizeof(msg)));
}

static void test_ioprio(void **state) {
        static const struct { const char *text; int class, level; } ok[] = {
                { "IOSchedulingClass=idle\n", 3, 4 },
                { "IOSchedulingClass=realtime\nIOSchedulingPriority=0\n", 1, 0 },
                { "IOSchedulingPriority=7\nIOSchedulingClass=1\n", 1, 7 },
                { "IOSchedulingPriority=7\n", 2, 7 },
                { "IOSchedulingPriority=7\nIOSchedulingClass=none\n", 2, 4 },
                { "IOSchedulingClass=best-effort\n", 2, 4 },
        };
        char msg[512];

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                UnitConfig *u = load(ok[i].text, msg, sizeof(msg));

                assert_non_null(u);
                assert_true(u->ioprio_set);
                assert_int_equal(u->ioprio_class, ok[i].class);
                assert_int_equal(u->ioprio_level, ok[i].level);
                unit_config_free(u);
        }
        {
                UnitConfig *u = load("IOSchedulingClass=idle\nIOSchedulingClass=\n", msg, sizeof(msg));
                assert_false(u->ioprio_set);
                unit_config_free(u);
        }
        assert_null(load("IOSchedulingClass=fast\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: IOSchedulingClass: \"fast\" is not an I/O scheduling class "
                            "(use realtime, best-effort, idle, none, or 0-3)");
        assert_null(load("IOSchedulingPriority=8\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: IOSchedulingPriority: \"8\" is out of range (0-7)");
}

static void test_sched(void **state) {
        static const struct { const char *text; int policy, prio; bool reset; } ok[] = {
                { "CPUSchedulingPolicy=fifo\n", SCHED_FIFO, 1, false },
                { "CPUSchedulingPolicy=rr\nCPUSchedulingPriority=50\n", SCHED_RR, 50, false },
                { "CPUSchedulingPriority=99\nCPUSchedulingPolicy=2\n", SCHED_RR, 99, false },
                { "CPUSchedulingPolicy=batch\n", SCHED_BATCH, 0, false },
                { "CPUSchedulingPolicy=idle\nCPUSchedulingResetOnFork=yes\n", SCHED_IDLE, 0, true },
                { "CPUSchedulingResetOnFork=yes\n", SCHED_OTHER, 0, true },
        };
        char msg[512];

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                UnitConfig *u = load(ok[i].text, msg, sizeof(msg));

                assert_non_null(u);
                assert_true(u->cpu_sched_set);
                assert_int_equal(u->cpu_sched_policy, ok[i].policy);
                assert_int_equal(u->cpu_sched_priority, ok[i].prio);
                assert_int_equal(u->cpu_sched_reset_on_fork, ok[i].reset);
                unit_config_free(u);
        }
        assert_null(load("CPUSchedulingPolicy=deadline\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: CPUSchedulingPolicy: \"deadline\" is not a CPU scheduling policy "
                            "(use other, batch, idle, fifo, or rr)");
        assert_null(load("CPUSchedulingPolicy=4\n", msg, sizeof(msg)));
        assert_null(load("CPUSchedulingPriority=100\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: CPUSchedulingPriority: \"100\" is out of range (0-99)");
        assert_null(load("CPUSchedulingPriority=50\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: CPUSchedulingPriority: 50 needs CPUSchedulingPolicy=fifo or rr "
                            "(other, batch and idle take 0 only)");
        assert_null(load("CPUSchedulingPolicy=fifo\nCPUSchedulingPriority=0\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:4: CPUSchedulingPriority: 0 is no priority for "
                            "CPUSchedulingPolicy=fifo (use 1-99)");
}

static void test_standard_input(void **state) {
        char msg[512];
        UnitConfig *u = load("StandardInput=file:/etc//hostname\n", msg, sizeof(msg));

        assert_string_equal(u->standard_input_file, "/etc/hostname");
        unit_config_free(u);
        u = load("StandardInput=file:/etc/hostname\nStandardInput=null\n", msg, sizeof(msg));
        assert_null(u->standard_input_file);
        unit_config_free(u);
        u = load("StandardInput=tty\n", msg, sizeof(msg));
        assert_non_null(u);
        assert_null(u->standard_input_file);
        assert_string_equal(msg, "x.service:3: StandardInput: \"tty\" is not built in corral (null and file:PATH "
                            "are), stdin stays /dev/null, ignoring");
        unit_config_free(u);
        u = load("StandardInput=fd:foo\n", msg, sizeof(msg));
        assert_non_null(u);
        unit_config_free(u);
        assert_null(load("StandardInput=file:relative\n", msg, sizeof(msg)));
        assert_null(load("StandardInput=keyboard\n", msg, sizeof(msg)));
        assert_string_equal(msg, "x.service:3: StandardInput: \"keyboard\" is not an input (use null or file:PATH)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_unset_environment),
                cmocka_unit_test(test_sigpipe),
                cmocka_unit_test(test_ioprio),
                cmocka_unit_test(test_sched),
                cmocka_unit_test(test_standard_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
