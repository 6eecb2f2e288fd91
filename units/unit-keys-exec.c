/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process attributes of systemd.exec(5) that are neither sandbox nor
 * credentials: UnsetEnvironment=, IgnoreSIGPIPE= (a key_bool),
 * IOSchedulingClass=/IOSchedulingPriority=, CPUSchedulingPolicy=/
 * CPUSchedulingPriority=/CPUSchedulingResetOnFork= and StandardInput=, with
 * systemd 252's syntax. Applied by ns/ns-exec-attrs.c and, for the input
 * file, supervisor/service-stdio.c. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value-internal.h"
#include "unit-value.h"

/* A name (any value) or an exact assignment, as systemd's
 * env_name_is_valid() || env_assignment_is_valid(). */
static bool unset_word_is_valid(const char *w) {
        const char *eq = strchr(w, '=');
        _cleanup_free_ char *name = eq ? strndup(w, (size_t) (eq - w)) : NULL;

        return eq ? name && env_name_is_valid(name) : env_name_is_valid(w);
}

int key_unset_environment(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        const char *p = v;
        int r;

        if (!*v) {
                l->unit->unset_environment = strv_free(l->unit->unset_environment);
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL;

                r = value_extract_word(&p, &w, e);
                if (r <= 0)
                        break;
                if (!unset_word_is_valid(w))
                        return crl_error_set(e, EINVAL, "\"%s\" is neither a variable name nor NAME=VALUE", w);
                r = strv_push(&words, w);
                if (r < 0)
                        return r;
                w = NULL;
        }
        if (r < 0)
                return r;
        return strv_append_steal(&l->unit->unset_environment, TAKE_PTR(words));
}

static const char *const ioprio_classes[] = { "none", "realtime", "best-effort", "idle" };

/* systemd's ioprio_class_from_string(): the names, or 0-3. "none" (the
 * priority derived from Nice=) is normalized to best-effort as systemd
 * does, so an IOSchedulingPriority= after it applies. */
int key_io_class(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        CrlError ignored = {};
        long n = -1;

        if (!*v) {
                u->ioprio_set = false;
                u->ioprio_class = 2;
                u->ioprio_level = 4;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(ioprio_classes); i++)
                if (streq(v, ioprio_classes[i]))
                        n = (long) i;
        if (n < 0 && parse_int_range(v, 0, 3, &n, &ignored) < 0)
                return crl_error_set(e, EINVAL, "\"%s\" is not an I/O scheduling class "
                                     "(use realtime, best-effort, idle, none, or 0-3)", v);
        if (n == 0) {
                n = 2;
                u->ioprio_level = 4;
        }
        u->ioprio_class = (int) n;
        u->ioprio_set = true;
        return 0;
}

int key_io_priority(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        long n;

        if (!*v) {
                u->ioprio_set = false;
                u->ioprio_class = 2;
                u->ioprio_level = 4;
                return 0;
        }
        if (parse_int_range(v, 0, 7, &n, e) < 0)
                return -EINVAL;
        u->ioprio_level = (int) n;
        u->ioprio_set = true;
        return 0;
}

static const struct {
        const char *name;
        int policy;
} sched_policies[] = {
        { "other", SCHED_OTHER }, { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
        { "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
};

/* systemd 252 also takes a policy's number; SCHED_DEADLINE (6) needs
 * sched_setattr() parameters systemd has no keys for, so corral takes the
 * five numbers of the names only. */
int key_cpu_policy(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        CrlError ignored = {};
        long n = -1;

        if (!*v) {
                u->cpu_sched_set = u->cpu_sched_priority_set = false;
                u->cpu_sched_policy = SCHED_OTHER;
                u->cpu_sched_priority = 0;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(sched_policies); i++)
                if (streq(v, sched_policies[i].name))
                        n = sched_policies[i].policy;
        if (n < 0 && parse_int_range(v, 0, 5, &n, &ignored) >= 0 && n == 4)
                n = -1;         /* no policy 4 (SCHED_ISO was never merged) */
        if (n < 0)
                return crl_error_set(e, EINVAL, "\"%s\" is not a CPU scheduling policy "
                                     "(use other, batch, idle, fifo, or rr)", v);
        u->cpu_sched_policy = (int) n;
        u->cpu_sched_set = true;
        return 0;
}

/* 0-99 here, as systemd (the policy may come later); unit_validate()
 * checks it against the policy. */
int key_cpu_priority(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        long n = 0;

        if (*v && parse_int_range(v, 0, 99, &n, e) < 0)
                return -EINVAL;
        u->cpu_sched_priority = (int) n;
        u->cpu_sched_priority_set = *v;
        u->cpu_sched_set = *v || u->cpu_sched_set;
        return 0;
}

int key_cpu_reset_on_fork(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int r = 0;

        if (*v && (r = parse_boolean(v, e)) < 0)
                return r;
        l->unit->cpu_sched_reset_on_fork = r;
        l->unit->cpu_sched_set = r || l->unit->cpu_sched_set;
        return 0;
}

/* systemd's inputs that corral does not build: accepted with a warning, as
 * an unknown key was, and the service's stdin stays /dev/null. */
static const char *const input_not_built[] = { "tty", "tty-force", "tty-fail", "data", "socket", "fd" };

int key_standard_input(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        UnitConfig *u = l->unit;
        char *path = NULL;
        int r;

        if (!*v || streq(v, "null")) {
                u->standard_input_file = mfree(u->standard_input_file);
                return 0;
        }
        if (strneq(v, "file:", 5)) {
                r = value_path_normalize(v + 5, "path", &path, e);
                if (r < 0)
                        return r;
                free(u->standard_input_file);
                u->standard_input_file = path;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(input_not_built); i++)
                if (streq(v, input_not_built[i]) || (streq(input_not_built[i], "fd") && strneq(v, "fd:", 3))) {
                        u->standard_input_file = mfree(u->standard_input_file);
                        return diag_add(l->diags, false, l->file, l->line, k->name,
                                        "\"%s\" is not built in corral (null and file:PATH are), "
                                        "stdin stays /dev/null, ignoring", v);
                }
        return crl_error_set(e, EINVAL, "\"%s\" is not an input (use null or file:PATH)", v);
}
