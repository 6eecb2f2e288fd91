/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IgnoreSIGPIPE=, IOSchedulingClass=/IOSchedulingPriority= and
 * CPUSchedulingPolicy=/CPUSchedulingPriority=/CPUSchedulingResetOnFork=,
 * planned in the parent and applied by the child with raw syscalls (no
 * allocation). systemd applies them in its child as root, before it drops
 * privileges; so do we, before the user namespace (whose root has no
 * CAP_SYS_NICE or CAP_SYS_ADMIN over the host: a real-time class or policy
 * would fail there) and before the init, whose PID 2 inherits them. Only
 * the reset-on-fork flag is set late, by the process that execs: on the
 * init it would reset PID 2's policy at the clone. An unprivileged
 * process may set that flag on its own policy and priority. */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-plan.h"

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

void ns_exec_attrs_plan(const UnitConfig *u, NsPlan *plan) {
        plan->ignore_sigpipe = u->ignore_sigpipe;
        plan->ioprio = u->ioprio_set ? (u->ioprio_class << IOPRIO_CLASS_SHIFT) | u->ioprio_level : -1;
        plan->sched_set = u->cpu_sched_set;
        plan->sched_policy = u->cpu_sched_policy;
        plan->sched_priority = u->cpu_sched_priority;
        plan->sched_reset_on_fork = u->cpu_sched_reset_on_fork;
}

int ns_exec_attrs_apply_early(const NsPlan *plan, NsStep *ret_step) {
        struct sched_param sp = { .sched_priority = plan->sched_priority };

        *ret_step = NS_STEP_IOPRIO;
        if (plan->ioprio >= 0 && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, plan->ioprio) < 0)
                return -errno;
        *ret_step = NS_STEP_SCHED;
        if (plan->sched_set && sched_setscheduler(0, plan->sched_policy, &sp) < 0)
                return -errno;
        return 0;
}

int ns_exec_attrs_apply_late(const NsPlan *plan, NsStep *ret_step) {
        struct sched_param sp = { .sched_priority = plan->sched_priority };

        /* After reset_all_signals(): SIG_IGN survives execve, a handler does not. */
        if (plan->ignore_sigpipe)
                (void) signal(SIGPIPE, SIG_IGN);        /* cannot fail for a valid signal */
        *ret_step = NS_STEP_SCHED;
        if (plan->sched_set && plan->sched_reset_on_fork &&
            sched_setscheduler(0, plan->sched_policy | SCHED_RESET_ON_FORK, &sp) < 0)
                return -errno;
        return 0;
}
