/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "service-state.h"

/* The whole machine: rows are states, columns events. Anything not listed
 * is SVC_A_IGNORE (0). docs/design.md shows the same table. */
static const ServiceAction transitions[_SVC_STATE_MAX][_SVC_EV_MAX] = {
        [SVC_DEAD] = {
                [SVC_EV_START] = SVC_A_BEGIN_START,
        },
        [SVC_FAILED] = {
                [SVC_EV_START] = SVC_A_BEGIN_START,
        },
        [SVC_START_PRE] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_CONTROL_OK] = SVC_A_NEXT_PRE,
                [SVC_EV_CONTROL_FAIL] = SVC_A_FAIL,
                [SVC_EV_TIMEOUT] = SVC_A_START_TIMEOUT,
                [SVC_EV_OOM_KILL] = SVC_A_OOM,
        },
        [SVC_START] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_LAUNCHED] = SVC_A_STARTED,
                [SVC_EV_LAUNCH_FAIL] = SVC_A_FAIL,
                [SVC_EV_MAIN_OK] = SVC_A_MAIN_EXIT_START,
                [SVC_EV_MAIN_FAIL] = SVC_A_FAIL,
                [SVC_EV_READY] = SVC_A_READY,
                [SVC_EV_TIMEOUT] = SVC_A_START_TIMEOUT,
                [SVC_EV_OOM_KILL] = SVC_A_OOM,
        },
        [SVC_START_POST] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_CONTROL_OK] = SVC_A_NEXT_POST,
                [SVC_EV_CONTROL_FAIL] = SVC_A_FAIL,
                [SVC_EV_MAIN_OK] = SVC_A_RECORD_EXIT,
                [SVC_EV_MAIN_FAIL] = SVC_A_FAIL,
                [SVC_EV_TIMEOUT] = SVC_A_START_TIMEOUT,
                [SVC_EV_OOM_KILL] = SVC_A_OOM,
        },
        [SVC_RUNNING] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_RELOAD] = SVC_A_RELOAD,
                [SVC_EV_MAIN_OK] = SVC_A_MAIN_EXITED,
                [SVC_EV_MAIN_FAIL] = SVC_A_MAIN_EXITED,
                [SVC_EV_OOM_KILL] = SVC_A_OOM,
        },
        [SVC_EXITED] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_RELOAD] = SVC_A_RELOAD,
        },
        [SVC_RELOAD] = {
                [SVC_EV_STOP] = SVC_A_STOP,
                [SVC_EV_CONTROL_OK] = SVC_A_RELOAD_DONE,
                [SVC_EV_CONTROL_FAIL] = SVC_A_RELOAD_DONE,
                [SVC_EV_MAIN_OK] = SVC_A_RECORD_EXIT,
                [SVC_EV_MAIN_FAIL] = SVC_A_RECORD_EXIT,
                [SVC_EV_TIMEOUT] = SVC_A_RELOAD_TIMEOUT,
                [SVC_EV_OOM_KILL] = SVC_A_OOM,
        },
        [SVC_STOP] = {
                [SVC_EV_START] = SVC_A_QUEUE_START,
                [SVC_EV_CONTROL_OK] = SVC_A_NEXT_STOP,
                [SVC_EV_CONTROL_FAIL] = SVC_A_NEXT_STOP,
                [SVC_EV_MAIN_OK] = SVC_A_RECORD_EXIT,
                [SVC_EV_MAIN_FAIL] = SVC_A_RECORD_EXIT,
                [SVC_EV_TIMEOUT] = SVC_A_STOP_TIMEOUT,
        },
        [SVC_STOP_SIGTERM] = {
                [SVC_EV_START] = SVC_A_QUEUE_START,
                [SVC_EV_CONTROL_OK] = SVC_A_CHECK_DONE,
                [SVC_EV_CONTROL_FAIL] = SVC_A_CHECK_DONE,
                [SVC_EV_MAIN_OK] = SVC_A_MAIN_GONE,
                [SVC_EV_MAIN_FAIL] = SVC_A_MAIN_GONE,
                [SVC_EV_TIMEOUT] = SVC_A_STOP_TIMEOUT,
                [SVC_EV_EMPTY] = SVC_A_CHECK_DONE,
        },
        [SVC_STOP_SIGKILL] = {
                [SVC_EV_START] = SVC_A_QUEUE_START,
                [SVC_EV_CONTROL_OK] = SVC_A_CHECK_DONE,
                [SVC_EV_CONTROL_FAIL] = SVC_A_CHECK_DONE,
                [SVC_EV_MAIN_OK] = SVC_A_CHECK_DONE,
                [SVC_EV_MAIN_FAIL] = SVC_A_CHECK_DONE,
                [SVC_EV_TIMEOUT] = SVC_A_GIVE_UP,
                [SVC_EV_EMPTY] = SVC_A_CHECK_DONE,
        },
        [SVC_AUTO_RESTART] = {
                [SVC_EV_START] = SVC_A_BEGIN_START,
                [SVC_EV_STOP] = SVC_A_CANCEL_RESTART,
                [SVC_EV_RESTART_TIMER] = SVC_A_AUTO_RESTART,
        },
};

ServiceAction service_transition(ServiceState state, ServiceEvent event) {
        if (state < 0 || state >= _SVC_STATE_MAX || event < 0 || event >= _SVC_EV_MAX)
                return SVC_A_IGNORE;
        return transitions[state][event];
}

static const struct {
        ServiceActiveState active;
        ServiceSubState sub;
        const char *name;
} state_map[_SVC_STATE_MAX] = {
        [SVC_DEAD]         = { SERVICE_INACTIVE,     SERVICE_DEAD,         "dead" },
        [SVC_FAILED]       = { SERVICE_FAILED,       SERVICE_SUB_FAILED,   "failed" },
        [SVC_START_PRE]    = { SERVICE_ACTIVATING,   SERVICE_START_PRE,    "start-pre" },
        [SVC_START]        = { SERVICE_ACTIVATING,   SERVICE_START,        "start" },
        [SVC_START_POST]   = { SERVICE_ACTIVATING,   SERVICE_START,        "start-post" },
        [SVC_RUNNING]      = { SERVICE_ACTIVE,       SERVICE_RUNNING,      "running" },
        [SVC_EXITED]       = { SERVICE_ACTIVE,       SERVICE_EXITED,       "exited" },
        [SVC_RELOAD]       = { SERVICE_ACTIVE,       SERVICE_RUNNING,      "reload" },
        [SVC_STOP]         = { SERVICE_DEACTIVATING, SERVICE_STOP_SIGTERM, "stop" },
        [SVC_STOP_SIGTERM] = { SERVICE_DEACTIVATING, SERVICE_STOP_SIGTERM, "stop-sigterm" },
        [SVC_STOP_SIGKILL] = { SERVICE_DEACTIVATING, SERVICE_STOP_SIGKILL, "stop-sigkill" },
        [SVC_AUTO_RESTART] = { SERVICE_ACTIVATING,   SERVICE_AUTO_RESTART, "auto-restart" },
};

ServiceActiveState service_state_active(ServiceState s) {
        return s >= 0 && s < _SVC_STATE_MAX ? state_map[s].active : _SERVICE_ACTIVE_STATE_INVALID;
}

ServiceSubState service_state_sub(ServiceState s) {
        return s >= 0 && s < _SVC_STATE_MAX ? state_map[s].sub : _SERVICE_SUB_STATE_INVALID;
}

const char *service_state_to_string(ServiceState s) {
        return s >= 0 && s < _SVC_STATE_MAX ? state_map[s].name : NULL;
}

static const char *const event_names[_SVC_EV_MAX] = {
        "start", "stop", "reload", "control-ok", "control-fail", "launched", "launch-fail",
        "main-ok", "main-fail", "ready", "timeout", "empty", "oom-kill", "restart-timer",
};

const char *service_event_to_string(ServiceEvent e) {
        return e >= 0 && e < _SVC_EV_MAX ? event_names[e] : NULL;
}

static const char *const action_names[_SVC_A_MAX] = {
        "ignore", "begin-start", "queue-start", "next-pre", "started", "ready", "next-post",
        "main-exit-start", "main-exited", "record-exit", "fail", "start-timeout", "stop",
        "next-stop", "stop-timeout", "give-up", "main-gone", "check-done", "reload",
        "reload-done", "reload-timeout", "oom", "cancel-restart", "auto-restart",
};

const char *service_action_to_string(ServiceAction a) {
        return a >= 0 && a < _SVC_A_MAX ? action_names[a] : NULL;
}

static const char *const active_names[_SERVICE_ACTIVE_STATE_MAX] = {
        "inactive", "activating", "active", "deactivating", "failed",
};
static const char *const sub_names[_SERVICE_SUB_STATE_MAX] = {
        "dead", "start-pre", "start", "running", "exited", "stop-sigterm", "stop-sigkill",
        "auto-restart", "failed",
};
static const char *const result_names[_SERVICE_RESULT_MAX] = {
        "success", "exit-code", "signal", "core-dump", "oom-kill", "timeout", "start-limit-hit",
        "resources",
};

const char *service_active_state_to_string(ServiceActiveState s) {
        return s >= 0 && s < _SERVICE_ACTIVE_STATE_MAX ? active_names[s] : NULL;
}

const char *service_sub_state_to_string(ServiceSubState s) {
        return s >= 0 && s < _SERVICE_SUB_STATE_MAX ? sub_names[s] : NULL;
}

const char *service_result_to_string(ServiceResult r) {
        return r >= 0 && r < _SERVICE_RESULT_MAX ? result_names[r] : NULL;
}

ServiceState service_state_after_launch(ServiceType type, bool has_post) {
        if (type == SERVICE_NOTIFY || type == SERVICE_ONESHOT)
                return SVC_START;
        return has_post ? SVC_START_POST : SVC_RUNNING;
}

ServiceState service_state_after_post(ServiceType type, bool main_alive, bool remain_after_exit,
                                      bool has_stop) {
        if (main_alive)
                return SVC_RUNNING;
        if (type == SERVICE_ONESHOT && remain_after_exit)
                return SVC_EXITED;
        return has_stop ? SVC_STOP : SVC_STOP_SIGTERM;
}

bool service_restart_wanted(RestartPolicy p, ServiceResult result) {
        switch (p) {
        case RESTART_ALWAYS:
                return result != SERVICE_FAILURE_START_LIMIT_HIT;
        case RESTART_ON_SUCCESS:
                return result == SERVICE_SUCCESS;
        case RESTART_ON_FAILURE:
                return result != SERVICE_SUCCESS && result != SERVICE_FAILURE_START_LIMIT_HIT;
        case RESTART_ON_ABNORMAL:
                return result != SERVICE_SUCCESS && result != SERVICE_FAILURE_EXIT_CODE &&
                       result != SERVICE_FAILURE_START_LIMIT_HIT;
        case RESTART_ON_ABORT:
                return result == SERVICE_FAILURE_SIGNAL || result == SERVICE_FAILURE_CORE_DUMP;
        default:
                return false;
        }
}

/* x^k by squaring. */
static double ipow(double x, unsigned k) {
        double y = 1.0;

        for (; k > 0; k >>= 1, x *= x)
                if (k & 1)
                        y *= x;
        return y;
}

/* ratio^(n/steps) for ratio > 1 without libm (pow() alone pulled it into
 * corrald, 0.3 MB of resident pages): the steps-th root by bisection, as
 * r^steps grows with r, then its n-th power. */
static double root_power(double ratio, unsigned steps, unsigned n) {
        double lo = 1.0, hi = ratio;

        for (int i = 0; i < 128 && lo < hi; i++) {
                double mid = lo + (hi - lo) / 2;

                if (mid == lo || mid == hi)
                        break;
                if (ipow(mid, steps) > ratio)
                        hi = mid;
                else
                        lo = mid;
        }
        return ipow(lo, n);
}

usec_t service_restart_delay(usec_t restart_usec, unsigned steps, usec_t max_delay_usec, unsigned n) {
        double d;

        if (steps == 0 || max_delay_usec == USEC_INFINITY || max_delay_usec <= restart_usec ||
            restart_usec == 0)
                return restart_usec;
        if (n >= steps)
                return max_delay_usec;
        d = (double) restart_usec * root_power((double) max_delay_usec / (double) restart_usec, steps, n);
        return d >= (double) max_delay_usec ? max_delay_usec : (usec_t) d;
}

bool service_start_limit_hit(usec_t interval_usec, unsigned burst, usec_t *times, unsigned *n, usec_t now) {
        if (interval_usec == 0 || burst == 0)
                return false;
        while (*n > 0 && now - times[0] >= interval_usec) {
                for (unsigned i = 1; i < *n; i++)
                        times[i - 1] = times[i];
                (*n)--;
        }
        if (*n >= burst)
                return true;
        times[(*n)++] = now;
        return false;
}
