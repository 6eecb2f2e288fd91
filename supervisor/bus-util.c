/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bus-internal.h"
#include "strv.h"

struct BusJob {
        Bus *bus;               /* NULL once bus_close() ran: nobody to reply to */
        sd_bus_message *msg;    /* the call, owned reference */
        char *name;             /* the service, for messages */
        const char *verb;
        BusJob *prev, *next;
};

int bus_check_admin(Bus *b, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_free_ gid_t *all = NULL;
        sd_bus_creds *c = NULL;
        const gid_t *gids = NULL;
        uid_t euid;
        gid_t egid;
        bool ok;
        int n, r;

        /* AUGMENT fills from /proc/PID what the broker does not tell; any
         * field we cannot learn means no (fail closed). */
        r = sd_bus_query_sender_creds(msg,
                                      SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS |
                                              SD_BUS_CREDS_AUGMENT,
                                      &c);
        if (r >= 0)
                r = sd_bus_creds_get_euid(c, &euid);
        if (r >= 0)
                r = sd_bus_creds_get_egid(c, &egid);
        n = r >= 0 ? sd_bus_creds_get_supplementary_gids(c, &gids) : r;
        if (n < 0) {
                sd_bus_creds_unref(c);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s: cannot learn the caller's credentials: %s",
                                         sd_bus_message_get_member(msg), strerror(-n));
        }
        all = calloc((size_t) n + 1, sizeof(gid_t));
        if (!all) {
                sd_bus_creds_unref(c);
                return -ENOMEM;
        }
        if (n > 0)
                memcpy(all, gids, (size_t) n * sizeof(gid_t));
        all[n] = egid;
        ok = manager_is_admin(b->manager, euid, all, (size_t) n + 1);
        sd_bus_creds_unref(c);
        if (!ok)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s needs root or membership in corrald.conf's AdminGroup= (caller uid %u)",
                                         sd_bus_message_get_member(msg), (unsigned) euid);
        return 0;
}

int bus_lookup_service(Bus *b, const char *name, Service **ret, sd_bus_error *error) {
        _cleanup_free_ char *n = NULL;
        Service *s;

        if (unit_name_normalize(name, &n) < 0) {
                int k = (int) bus_utf8_prefix(name, 80);

                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "'%.*s%s' is not a valid service name (1-64 of [A-Za-z0-9_.-@])", k, name,
                                         name[k] ? "..." : "");
        }
        s = manager_get_service(b->manager, n);
        if (!s)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_SERVICE, "service '%s' is not loaded", n);
        *ret = s;
        return 0;
}

int bus_append_string(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *safe = NULL;

        s = s ?: "";
        if (bus_utf8_valid(s))
                return sd_bus_message_append(m, "s", s);
        safe = bus_utf8_sanitize(s);
        return safe ? sd_bus_message_append(m, "s", safe) : -ENOMEM;
}

int bus_append_strv(sd_bus_message *m, char *const *l) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "s");
        STRV_FOREACH(s, l)
                if (r >= 0)
                        r = bus_append_string(m, *s);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

int bus_error_from_crl(sd_bus_error *error, int r, const CrlError *err, const char *what) {
        const char *name = r == -EINVAL ? BUS_ERROR_INVALID_UNIT : BUS_ERROR_FAILED;
        _cleanup_free_ char *safe = NULL;
        char buf[sizeof(err->message) + 160];

        if (crl_error_isset(err))
                snprintf(buf, sizeof(buf), "%s", err->message);
        else
                snprintf(buf, sizeof(buf), "%s: %s", what, strerror(-r));
        /* The core's messages quote paths and values from unit files (any
         * bytes), and CrlError cuts long ones anywhere. */
        safe = bus_utf8_sanitize(buf);
        return sd_bus_error_set(error, name, safe ?: "(no memory for the message)") ?: r;
}

static void bus_job_unlink(BusJob *j) {
        if (j->prev)
                j->prev->next = j->next;
        else if (j->bus)
                j->bus->jobs = j->next;
        if (j->next)
                j->next->prev = j->prev;
        j->prev = j->next = NULL;
}

static BusJob *bus_job_free(BusJob *j) {
        bus_job_unlink(j);
        sd_bus_message_unref(j->msg);
        free(j->name);
        free(j);
        return NULL;
}

static void bus_job_done(Service *s, int r, const CrlError *err, void *userdata) {
        BusJob *j = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int k;

        if (!j->bus) {
                bus_job_free(j);
                return;
        }
        if (r >= 0)
                k = sd_bus_reply_method_return(j->msg, NULL);
        else if (r == -ECANCELED && !crl_error_isset(err))
                k = sd_bus_reply_method_errorf(j->msg, BUS_ERROR_FAILED,
                                               "service '%s': %s canceled: the service was removed or corrald is exiting",
                                               j->name, j->verb);
        else {
                char what[160];

                snprintf(what, sizeof(what), "service '%s': %s", j->name, j->verb);
                (void) bus_error_from_crl(&e, r < 0 ? r : -EIO, err, what);    /* fills e; r is ours */
                /* A job that ran and failed is Failed, even for EINVAL. */
                k = sd_bus_reply_method_errorf(j->msg, BUS_ERROR_FAILED, "%s", e.message);
                sd_bus_error_free(&e);
        }
        if (k < 0)      /* the caller may have gone away: nothing to tell */
                bus_log_warning("bus: reply to %s of service '%s': %s, ignoring", j->verb, j->name, strerror(-k));
        bus_job_free(j);
}

int bus_job_run(Bus *b, sd_bus_message *msg, Service *s, BusJobFunc fn, const char *verb, sd_bus_error *error) {
        CrlError err = {};
        ServiceInfo info;
        BusJob *j;
        int r;

        service_info(s, &info);
        j = calloc(1, sizeof(*j));
        if (!j || !(j->name = strdup(info.name))) {
                free(j);
                return -ENOMEM;
        }
        j->msg = sd_bus_message_ref(msg);
        j->verb = verb;
        r = fn(s, bus_job_done, j, &err);
        if (r != 0) {
                char what[160];

                snprintf(what, sizeof(what), "service '%s': %s", j->name, verb);
                bus_job_free(j);
                if (r < 0)
                        return bus_error_from_crl(error, r, &err, what);
                return sd_bus_reply_method_return(msg, NULL);
        }
        j->bus = b;
        j->next = b->jobs;
        if (b->jobs)
                b->jobs->prev = j;
        b->jobs = j;
        return 1;       /* the reply comes from bus_job_done() */
}

void bus_jobs_detach(Bus *b) {
        while (b->jobs) {
                BusJob *j = b->jobs;

                bus_job_unlink(j);
                j->bus = NULL;
        }
}
