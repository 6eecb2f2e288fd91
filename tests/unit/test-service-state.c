/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service state table, cell by cell, and its pure decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "service-state.h"

/* Every cell that is not SVC_A_IGNORE; the test checks these and that all
 * other (state, event) pairs are ignored, so a changed table fails here. */
static const struct {
        ServiceState st;
        ServiceEvent ev;
        ServiceAction a;
} expected[] = {
        { SVC_DEAD, SVC_EV_START, SVC_A_BEGIN_START },
        { SVC_FAILED, SVC_EV_START, SVC_A_BEGIN_START },
        { SVC_START_PRE, SVC_EV_STOP, SVC_A_STOP },
        { SVC_START_PRE, SVC_EV_CONTROL_OK, SVC_A_NEXT_PRE },
        { SVC_START_PRE, SVC_EV_CONTROL_FAIL, SVC_A_FAIL },
        { SVC_START_PRE, SVC_EV_TIMEOUT, SVC_A_START_TIMEOUT },
        { SVC_START_PRE, SVC_EV_OOM_KILL, SVC_A_OOM },
        { SVC_START, SVC_EV_STOP, SVC_A_STOP },
        { SVC_START, SVC_EV_LAUNCHED, SVC_A_STARTED },
        { SVC_START, SVC_EV_LAUNCH_FAIL, SVC_A_FAIL },
        { SVC_START, SVC_EV_MAIN_OK, SVC_A_MAIN_EXIT_START },
        { SVC_START, SVC_EV_MAIN_FAIL, SVC_A_FAIL },
        { SVC_START, SVC_EV_READY, SVC_A_READY },
        { SVC_START, SVC_EV_TIMEOUT, SVC_A_START_TIMEOUT },
        { SVC_START, SVC_EV_OOM_KILL, SVC_A_OOM },
        { SVC_START_POST, SVC_EV_STOP, SVC_A_STOP },
        { SVC_START_POST, SVC_EV_CONTROL_OK, SVC_A_NEXT_POST },
        { SVC_START_POST, SVC_EV_CONTROL_FAIL, SVC_A_FAIL },
        { SVC_START_POST, SVC_EV_MAIN_OK, SVC_A_RECORD_EXIT },
        { SVC_START_POST, SVC_EV_MAIN_FAIL, SVC_A_FAIL },
        { SVC_START_POST, SVC_EV_TIMEOUT, SVC_A_START_TIMEOUT },
        { SVC_START_POST, SVC_EV_OOM_KILL, SVC_A_OOM },
        { SVC_RUNNING, SVC_EV_STOP, SVC_A_STOP },
        { SVC_RUNNING, SVC_EV_RELOAD, SVC_A_RELOAD },
        { SVC_RUNNING, SVC_EV_MAIN_OK, SVC_A_MAIN_EXITED },
        { SVC_RUNNING, SVC_EV_MAIN_FAIL, SVC_A_MAIN_EXITED },
        { SVC_RUNNING, SVC_EV_OOM_KILL, SVC_A_OOM },
        { SVC_EXITED, SVC_EV_STOP, SVC_A_STOP },
        { SVC_EXITED, SVC_EV_RELOAD, SVC_A_RELOAD },
        { SVC_RELOAD, SVC_EV_STOP, SVC_A_STOP },
        { SVC_RELOAD, SVC_EV_CONTROL_OK, SVC_A_RELOAD_DONE },
        { SVC_RELOAD, SVC_EV_CONTROL_FAIL, SVC_A_RELOAD_DONE },
        { SVC_RELOAD, SVC_EV_MAIN_OK, SVC_A_RECORD_EXIT },
        { SVC_RELOAD, SVC_EV_MAIN_FAIL, SVC_A_RECORD_EXIT },
        { SVC_RELOAD, SVC_EV_TIMEOUT, SVC_A_RELOAD_TIMEOUT },
        { SVC_RELOAD, SVC_EV_OOM_KILL, SVC_A_OOM },
        { SVC_STOP, SVC_EV_START, SVC_A_QUEUE_START },
        { SVC_STOP, SVC_EV_CONTROL_OK, SVC_A_NEXT_STOP },
        { SVC_STOP, SVC_EV_CONTROL_FAIL, SVC_A_NEXT_STOP },
        { SVC_STOP, SVC_EV_MAIN_OK, SVC_A_RECORD_EXIT },
        { SVC_STOP, SVC_EV_MAIN_FAIL, SVC_A_RECORD_EXIT },
        { SVC_STOP, SVC_EV_TIMEOUT, SVC_A_STOP_TIMEOUT },
        { SVC_STOP_SIGTERM, SVC_EV_START, SVC_A_QUEUE_START },
        { SVC_STOP_SIGTERM, SVC_EV_CONTROL_OK, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGTERM, SVC_EV_CONTROL_FAIL, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGTERM, SVC_EV_MAIN_OK, SVC_A_MAIN_GONE },
        { SVC_STOP_SIGTERM, SVC_EV_MAIN_FAIL, SVC_A_MAIN_GONE },
        { SVC_STOP_SIGTERM, SVC_EV_TIMEOUT, SVC_A_STOP_TIMEOUT },
        { SVC_STOP_SIGTERM, SVC_EV_EMPTY, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGKILL, SVC_EV_START, SVC_A_QUEUE_START },
        { SVC_STOP_SIGKILL, SVC_EV_CONTROL_OK, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGKILL, SVC_EV_CONTROL_FAIL, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGKILL, SVC_EV_MAIN_OK, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGKILL, SVC_EV_MAIN_FAIL, SVC_A_CHECK_DONE },
        { SVC_STOP_SIGKILL, SVC_EV_TIMEOUT, SVC_A_GIVE_UP },
        { SVC_STOP_SIGKILL, SVC_EV_EMPTY, SVC_A_CHECK_DONE },
        { SVC_AUTO_RESTART, SVC_EV_START, SVC_A_BEGIN_START },
        { SVC_AUTO_RESTART, SVC_EV_STOP, SVC_A_CANCEL_RESTART },
        { SVC_AUTO_RESTART, SVC_EV_RESTART_TIMER, SVC_A_AUTO_RESTART },
};

static void test_every_cell(void **state) {
        unsigned n_listed = 0;

        for (ServiceState st = 0; st < _SVC_STATE_MAX; st++)
                for (ServiceEvent ev = 0; ev < _SVC_EV_MAX; ev++) {
                        ServiceAction want = SVC_A_IGNORE;

                        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
                                if (expected[i].st == st && expected[i].ev == ev)
                                        want = expected[i].a;
                        n_listed += want != SVC_A_IGNORE;
                        if (service_transition(st, ev) != want)
                                fail_msg("(%s, %s): %s, want %s", service_state_to_string(st),
                                         service_event_to_string(ev),
                                         service_action_to_string(service_transition(st, ev)),
                                         service_action_to_string(want));
                }
        assert_int_equal(n_listed, sizeof(expected) / sizeof(expected[0]));
        assert_int_equal(service_transition(_SVC_STATE_INVALID, SVC_EV_START), SVC_A_IGNORE);
        assert_int_equal(service_transition(SVC_DEAD, _SVC_EV_MAX), SVC_A_IGNORE);
}

static void test_spec_names(void **state) {
        static const char *const pairs[_SVC_STATE_MAX][2] = {
                [SVC_DEAD] = { "inactive", "dead" },
                [SVC_FAILED] = { "failed", "failed" },
                [SVC_START_PRE] = { "activating", "start-pre" },
                [SVC_START] = { "activating", "start" },
                [SVC_START_POST] = { "activating", "start" },
                [SVC_RUNNING] = { "active", "running" },
                [SVC_EXITED] = { "active", "exited" },
                [SVC_RELOAD] = { "active", "running" },
                [SVC_STOP] = { "deactivating", "stop-sigterm" },
                [SVC_STOP_SIGTERM] = { "deactivating", "stop-sigterm" },
                [SVC_STOP_SIGKILL] = { "deactivating", "stop-sigkill" },
                [SVC_AUTO_RESTART] = { "activating", "auto-restart" },
        };

        for (ServiceState st = 0; st < _SVC_STATE_MAX; st++) {
                assert_string_equal(service_active_state_to_string(service_state_active(st)), pairs[st][0]);
                assert_string_equal(service_sub_state_to_string(service_state_sub(st)), pairs[st][1]);
        }
        assert_string_equal(service_result_to_string(SERVICE_FAILURE_START_LIMIT_HIT), "start-limit-hit");
        assert_string_equal(service_result_to_string(SERVICE_FAILURE_OOM_KILL), "oom-kill");
        assert_string_equal(service_result_to_string(SERVICE_FAILURE_CORE_DUMP), "core-dump");
        assert_null(service_result_to_string(_SERVICE_RESULT_MAX));
        for (ServiceAction a = 0; a < _SVC_A_MAX; a++)
                assert_non_null(service_action_to_string(a));
        for (ServiceEvent e = 0; e < _SVC_EV_MAX; e++)
                assert_non_null(service_event_to_string(e));
}

static void test_after_launch_and_post(void **state) {
        assert_int_equal(service_state_after_launch(SERVICE_SIMPLE, false), SVC_RUNNING);
        assert_int_equal(service_state_after_launch(SERVICE_EXEC, false), SVC_RUNNING);
        assert_int_equal(service_state_after_launch(SERVICE_SIMPLE, true), SVC_START_POST);
        assert_int_equal(service_state_after_launch(SERVICE_NOTIFY, true), SVC_START);
        assert_int_equal(service_state_after_launch(SERVICE_ONESHOT, false), SVC_START);
        assert_int_equal(service_state_after_post(SERVICE_SIMPLE, true, false, true), SVC_RUNNING);
        assert_int_equal(service_state_after_post(SERVICE_ONESHOT, false, true, true), SVC_EXITED);
        assert_int_equal(service_state_after_post(SERVICE_ONESHOT, false, false, true), SVC_STOP);
        assert_int_equal(service_state_after_post(SERVICE_ONESHOT, false, false, false), SVC_STOP_SIGTERM);
        assert_int_equal(service_state_after_post(SERVICE_SIMPLE, false, true, false), SVC_STOP_SIGTERM);
}

/* systemd.service(5), "Exit causes and the effect of the Restart= settings". */
static void test_restart_table(void **state) {
        static const ServiceResult results[] = {
                SERVICE_SUCCESS, SERVICE_FAILURE_EXIT_CODE, SERVICE_FAILURE_SIGNAL, SERVICE_FAILURE_TIMEOUT,
                SERVICE_FAILURE_CORE_DUMP, SERVICE_FAILURE_OOM_KILL, SERVICE_FAILURE_START_LIMIT_HIT,
        };
        static const bool want[_RESTART_POLICY_MAX][7] = {
                [RESTART_NO] = { 0, 0, 0, 0, 0, 0, 0 },
                [RESTART_ALWAYS] = { 1, 1, 1, 1, 1, 1, 0 },
                [RESTART_ON_SUCCESS] = { 1, 0, 0, 0, 0, 0, 0 },
                [RESTART_ON_FAILURE] = { 0, 1, 1, 1, 1, 1, 0 },
                [RESTART_ON_ABNORMAL] = { 0, 0, 1, 1, 1, 1, 0 },
                [RESTART_ON_ABORT] = { 0, 0, 1, 0, 1, 0, 0 },
        };

        for (RestartPolicy p = 0; p < _RESTART_POLICY_MAX; p++)
                for (size_t i = 0; i < 7; i++)
                        if (service_restart_wanted(p, results[i]) != want[p][i])
                                fail_msg("Restart=%d result %s", p, service_result_to_string(results[i]));
}

static void test_restart_delay(void **state) {
        usec_t s = USEC_PER_SEC;

        assert_int_equal(service_restart_delay(100 * USEC_PER_MSEC, 0, USEC_INFINITY, 7), 100 * USEC_PER_MSEC);
        assert_int_equal(service_restart_delay(s, 4, 16 * s, 0), s);
        assert_int_equal(service_restart_delay(s, 4, 16 * s, 1), 2 * s);
        assert_int_equal(service_restart_delay(s, 4, 16 * s, 2), 4 * s);
        assert_int_equal(service_restart_delay(s, 4, 16 * s, 4), 16 * s);
        assert_int_equal(service_restart_delay(s, 4, 16 * s, 100), 16 * s);
        assert_int_equal(service_restart_delay(2 * s, 4, s, 3), 2 * s);
}

static void test_start_limit(void **state) {
        usec_t times[3];
        unsigned n = 0;
        usec_t s = USEC_PER_SEC;

        assert_false(service_start_limit_hit(10 * s, 3, times, &n, 1 * s));
        assert_false(service_start_limit_hit(10 * s, 3, times, &n, 2 * s));
        assert_false(service_start_limit_hit(10 * s, 3, times, &n, 3 * s));
        assert_true(service_start_limit_hit(10 * s, 3, times, &n, 4 * s));
        assert_int_equal(n, 3);
        /* The first start leaves the window at 11 s. */
        assert_false(service_start_limit_hit(10 * s, 3, times, &n, 11 * s));
        assert_true(service_start_limit_hit(10 * s, 3, times, &n, 11 * s + 1));
        assert_false(service_start_limit_hit(0, 3, times, &n, 12 * s));
        assert_false(service_start_limit_hit(10 * s, 0, times, &n, 12 * s));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_cell),
                cmocka_unit_test(test_spec_names),
                cmocka_unit_test(test_after_launch_and_post),
                cmocka_unit_test(test_restart_table),
                cmocka_unit_test(test_restart_delay),
                cmocka_unit_test(test_start_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
