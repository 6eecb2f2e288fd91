/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl run --wait: wait for the transient unit's end on the bus and
 * print what systemd-run --wait prints.
 *
 * Ordering (spec §4's lingering rule, bus-service.c): a Get of ActiveState
 * or Result of an ended transient is "the read of its result", after which
 * corrald removes it. So the end is seen through PropertiesChanged only,
 * and the one read after it is a GetAll that returns Result,
 * ExecMainStatus and the timestamps together, with the Get of Result that
 * lets corrald remove the unit sent right behind it (read_final()). There is no read of the
 * state right after RunTransient: corrald starts the unit after its reply
 * (start_wanted, dispatched later), so "inactive" then would mean "not
 * started yet" and would count as the read of its result. The matches are
 * sent before RunTransient on the same connection, and the broker handles
 * one connection's messages in order, so no change of the unit is missed.
 *
 * Counters: corrald reads the cgroup's totals before it removes it and
 * answers them for the ended unit (Service.last_stats), so the final GetAll
 * has them. While the unit runs they are also sampled (200 ms after it is
 * active, then every second): a corrald that keeps none (older) still
 * gives a figure, and the summary says when one comes from the last
 * sample; the final read wins. Memory
 * and IO exist only when corrald enabled those controllers for the unit,
 * which it does when a limit of theirs is set (MemoryMax=, IO*). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "ctl-run.h"
#include "unit.h"

#define SAMPLE_FIRST_USEC (200 * 1000ULL)
#define SAMPLE_EVERY_USEC (1000 * 1000ULL)

typedef struct RunFigures {
        uint64_t cpu_nsec, memory_peak, io_read, io_write;     /* UINT64_MAX: not known */
} RunFigures;

#define RUN_FIGURES_NONE ((RunFigures) { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX })

/* One GetAll of the unit, as far as the summary needs it. */
typedef struct RunRead {
        char active_state[32];
        char result[32];
        int32_t exec_main_status;
        uint64_t active_enter_usec, inactive_enter_usec;
        RunFigures figures;
} RunRead;

typedef struct RunWait {
        sd_bus *bus;                    /* borrowed */
        sd_event *event;                /* owned */
        sd_event_source *sample_timer;  /* owned */
        char *path;                     /* owned; NULL until RunTransient answered */
        char *name;                     /* owned */
        int interrupted;                /* the signal that made us stop the unit, 0 */
        int lost;                       /* -errno: corrald went away before the end */
        bool reading;                   /* read_final() sent its calls */
        bool ended;                     /* final holds the read after the end */
        RunFigures sampled;             /* RUN_FIGURES_NONE until a sample read them */
        uint64_t sampled_usec;          /* CLOCK_REALTIME of the last sample, 0: none */
        RunRead final;
} RunWait;

static bool state_ended(const char *s) {
        return streq(s, "inactive") || streq(s, "failed");
}

static uint64_t now_realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* ---- reading the unit ---- */

static int read_string_into(sd_bus_message *m, char *buf, size_t size) {
        const char *s;
        int r = sd_bus_message_read(m, "v", "s", &s);

        if (r >= 0)
                snprintf(buf, size, "%s", s);
        return r;
}

static int read_one(sd_bus_message *m, const char *key, RunRead *rr) {
        static const struct {
                const char *key;
                size_t offset;
        } u64s[] = {
                { "ActiveEnterTimestamp",   offsetof(RunRead, active_enter_usec)     },
                { "InactiveEnterTimestamp", offsetof(RunRead, inactive_enter_usec)   },
                { "CPUUsageNSec",           offsetof(RunRead, figures.cpu_nsec)      },
                { "MemoryPeak",             offsetof(RunRead, figures.memory_peak)   },
                { "IOReadBytes",            offsetof(RunRead, figures.io_read)       },
                { "IOWriteBytes",           offsetof(RunRead, figures.io_write)      },
        };

        if (streq(key, "ActiveState"))
                return read_string_into(m, rr->active_state, sizeof(rr->active_state));
        if (streq(key, "Result"))
                return read_string_into(m, rr->result, sizeof(rr->result));
        if (streq(key, "ExecMainStatus"))
                return sd_bus_message_read(m, "v", "i", &rr->exec_main_status);
        for (size_t i = 0; i < ELEMENTSOF(u64s); i++)
                if (streq(key, u64s[i].key))
                        return sd_bus_message_read(m, "v", "t", (uint64_t *) ((char *) rr + u64s[i].offset));
        return sd_bus_message_skip(m, "v");
}

/* a{sv} into rr; what is not in it stays as it was. */
static int read_properties(sd_bus_message *m, RunRead *rr) {
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = read_one(m, key, rr);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int get_all(RunWait *w, RunRead *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        RunRead rr = { .figures = RUN_FIGURES_NONE };
        int r;

        r = sd_bus_call_method(w->bus, CTL_BUS_NAME, w->path, "org.freedesktop.DBus.Properties", "GetAll", &e,
                               &reply, "s", CTL_SERVICE_IFACE);
        if (r < 0) {
                fprintf(stderr, "corralctl: cannot read unit %s: %s\n", w->name,
                        e.message ? e.message : strerror(-r));
                return r;
        }
        r = read_properties(reply, &rr);
        if (r < 0) {
                fprintf(stderr, "corralctl: unit %s: bad reply: %s\n", w->name, strerror(-r));
                return r;
        }
        /* A GetAll is no read of the result (others list units so): this
         * Get is, and lets corrald remove the unit now. Best effort: else
         * it goes 60 s after its end. */
        if (streq(rr.active_state, "inactive") || streq(rr.active_state, "failed")) {
                _cleanup_free_ char *result = NULL;

                (void) sd_bus_get_property_string(w->bus, CTL_BUS_NAME, w->path, CTL_SERVICE_IFACE, "Result",
                                                  NULL, &result);
        }
        *ret = rr;
        return 0;
}

/* ---- waiting ---- */

static void finish(RunWait *w, int lost) {
        w->sample_timer = sd_event_source_disable_unref(w->sample_timer);
        if (lost < 0 && !w->ended)
                w->lost = lost;
        (void) sd_event_exit(w->event, 0);
}

static int on_final_properties(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        RunRead rr = { .figures = RUN_FIGURES_NONE };
        const sd_bus_error *e = sd_bus_message_get_error(m);
        RunWait *w = userdata;
        int r;

        if (e) {
                fprintf(stderr, "corralctl: cannot read unit %s: %s\n", w->name, e->message ?: e->name);
                finish(w, -sd_bus_message_get_errno(m) ?: -EIO);
                return 0;
        }
        r = read_properties(m, &rr);
        if (r < 0) {
                fprintf(stderr, "corralctl: unit %s: bad reply: %s\n", w->name, strerror(-r));
                finish(w, r);
                return 0;
        }
        w->final = rr;
        w->ended = true;
        return 0;       /* done when the Get below answered */
}

static int on_final_get(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        RunWait *w = userdata;

        if (w->ended)
                finish(w, 0);
        return 0;
}

/* The read after the end, as get_all() but both calls sent at once: the
 * broker passes them on in order and corrald answers them in order, so
 * the GetAll sees the unit and the Get (the read of its result: corrald
 * removes the unit) comes after it; one round trip instead of two. */
static void read_final(RunWait *w) {
        int r;

        w->reading = true;
        w->sample_timer = sd_event_source_disable_unref(w->sample_timer);
        r = sd_bus_call_method_async(w->bus, NULL, CTL_BUS_NAME, w->path, "org.freedesktop.DBus.Properties",
                                     "GetAll", on_final_properties, w, "s", CTL_SERVICE_IFACE);
        if (r >= 0)
                r = sd_bus_call_method_async(w->bus, NULL, CTL_BUS_NAME, w->path, "org.freedesktop.DBus.Properties",
                                             "Get", on_final_get, w, "ss", CTL_SERVICE_IFACE, "Result");
        if (r < 0) {
                fprintf(stderr, "corralctl: cannot read unit %s: %s\n", w->name, strerror(-r));
                finish(w, r);
        }
}

static void keep_known(uint64_t *into, uint64_t v) {
        if (v != UINT64_MAX)
                *into = v;
}

/* A figure a sample could not read keeps the one before it. */
static void merge_figures(RunFigures *into, const RunFigures *from) {
        keep_known(&into->cpu_nsec, from->cpu_nsec);
        keep_known(&into->memory_peak, from->memory_peak);
        keep_known(&into->io_read, from->io_read);
        keep_known(&into->io_write, from->io_write);
}

static int on_sample(sd_event_source *s, uint64_t usec, void *userdata) {
        RunWait *w = userdata;
        RunRead rr;

        if (get_all(w, &rr) < 0) {
                finish(w, -EIO);
                return 0;
        }
        if (state_ended(rr.active_state)) {
                /* It ended between two signals: this was the read of its result. */
                w->final = rr;
                w->ended = true;
                finish(w, 0);
                return 0;
        }
        merge_figures(&w->sampled, &rr.figures);
        w->sampled_usec = now_realtime_usec();
        (void) sd_event_source_set_time_relative(s, SAMPLE_EVERY_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void arm_sampling(RunWait *w) {
        int r;

        if (w->sample_timer)
                return;
        r = sd_event_add_time_relative(w->event, &w->sample_timer, CLOCK_MONOTONIC, SAMPLE_FIRST_USEC, 0,
                                       on_sample, w);
        if (r < 0)
                fprintf(stderr, "corralctl: cannot sample %s's resource use: %s, ignoring\n", w->name,
                        strerror(-r));
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        RunRead rr = { .figures = RUN_FIGURES_NONE };
        RunWait *w = userdata;
        const char *iface;
        int r;

        if (!w->path || w->reading || w->ended || !streq(sd_bus_message_get_path(m) ?: "", w->path))
                return 0;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || !streq(iface, CTL_SERVICE_IFACE))
                return 0;
        r = read_properties(m, &rr);
        if (r < 0 || isempty(rr.active_state))
                return 0;
        if (state_ended(rr.active_state))
                read_final(w);
        else if (streq(rr.active_state, "active"))
                arm_sampling(w);
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;
        RunWait *w = userdata;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !isempty(new_owner))
                return 0;
        fprintf(stderr, "corralctl: corrald left the bus before %s ended\n", w->name ? w->name : "the unit");
        finish(w, -ECONNRESET);
        return 0;
}

static int on_stop_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        RunWait *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                fprintf(stderr, "corralctl: cannot stop or kill %s: %s\n", w->name, e->message ?: e->name);
        return 0;
}

/* Ctrl-C or SIGTERM: stop the unit and go on waiting for its end; a
 * second one does not wait for its TimeoutStopSec=: SIGKILL to all of it. */
static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        RunWait *w = userdata;
        bool again = w->interrupted != 0;
        int r;

        if (!again) {
                w->interrupted = (int) si->ssi_signo;
                r = sd_bus_call_method_async(w->bus, NULL, CTL_BUS_NAME, w->path, CTL_SERVICE_IFACE, "Stop",
                                             on_stop_reply, w, "");
        } else
                r = sd_bus_call_method_async(w->bus, NULL, CTL_BUS_NAME, w->path, CTL_SERVICE_IFACE, "Kill",
                                             on_stop_reply, w, "i", (int32_t) SIGKILL);
        if (r < 0) {
                fprintf(stderr, "corralctl: cannot %s %s: %s\n", again ? "kill" : "stop", w->name, strerror(-r));
                finish(w, r);
        }
        return 0;
}

static int add_matches(RunWait *w, const RunOptions *o) {
        _cleanup_free_ char *match = NULL;
        const char *scope = "path_namespace='" CTL_SERVICE_PATH_PREFIX "'";
        _cleanup_free_ char *name = NULL, *path = NULL, *exact = NULL;
        int r;

        /* A given name: only its object (named as corrald will name it);
         * else any service's, filtered by path once the reply names it. */
        if (o->name && unit_name_normalize(o->name, &name) >= 0 &&
            sd_bus_path_encode(CTL_SERVICE_PATH_PREFIX, name, &path) >= 0 &&
            asprintf(&exact, "path='%s'", path) >= 0)
                scope = exact;
        if (asprintf(&match, "type='signal',interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',%s,arg0='" CTL_SERVICE_IFACE "'", scope) < 0)
                return -ENOMEM;
        /* Async: sent before RunTransient, no round trip waited for. */
        r = sd_bus_add_match_async(w->bus, NULL, match, on_properties_changed, NULL, w);
        if (r >= 0)
                r = sd_bus_add_match_async(w->bus, NULL,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                           "arg0='" CTL_BUS_NAME "'",
                                           on_owner_changed, NULL, w);
        return r;
}

/* ---- the summary ---- */

/* No ExecMainCode on the bus (spec §4 has ExecMainStatus only), so a signal
 * number is told from an exit status by the Result: signal and core-dump
 * are kills; success with a non-zero status is a kill by a signal corrald
 * counts as clean (HUP INT TERM PIPE, service-exec.c classify()) or, after
 * our own stop, by SIGKILL; oom-kill and timeout end in SIGKILL or SIGTERM.
 * Only a SuccessExitStatus= listing such a number could fool this. */
static bool killed_by_signal(const RunWait *w) {
        const RunRead *f = &w->final;
        int st = f->exec_main_status;

        if (streq(f->result, "signal") || streq(f->result, "core-dump"))
                return st > 0;
        if (streq(f->result, "success"))        /* a stop's SIGKILL is no failure either */
                return st == SIGHUP || st == SIGINT || st == SIGTERM || st == SIGPIPE ||
                       (w->interrupted && st == SIGKILL);
        if (streq(f->result, "oom-kill") || streq(f->result, "timeout"))
                return st == SIGKILL || st == SIGTERM;
        return false;
}

static void print_status_line(const RunWait *w) {
        const RunRead *f = &w->final;
        const char *abbrev = sigabbrev_np(f->exec_main_status);

        if (killed_by_signal(w) && abbrev)
                fprintf(stderr, "Main processes terminated with: code=%s/status=%s\n",
                        streq(f->result, "core-dump") ? "dumped" : "killed", abbrev);
        else
                fprintf(stderr, "Main processes terminated with: code=exited/status=%" PRIi32 "\n",
                        f->exec_main_status);
}

static bool figures_known(const RunFigures *f) {
        return f->cpu_nsec != UINT64_MAX || f->memory_peak != UINT64_MAX || f->io_read != UINT64_MAX ||
               f->io_write != UINT64_MAX;
}

static void print_figures(const RunFigures *f, const char *note) {
        char a[CTL_FORMAT_BYTES_MAX], b[CTL_FORMAT_BYTES_MAX], t[CTL_FORMAT_TIMESPAN_MAX];

        if (f->cpu_nsec != UINT64_MAX)
                fprintf(stderr, "CPU time consumed: %s%s\n", ctl_format_timespan(t, f->cpu_nsec / 1000), note);
        if (f->memory_peak != UINT64_MAX)
                fprintf(stderr, "Memory peak: %s%s\n", ctl_format_bytes(a, f->memory_peak), note);
        if (f->io_read != UINT64_MAX && f->io_write != UINT64_MAX)
                fprintf(stderr, "IO bytes read: %s, written: %s%s\n", ctl_format_bytes(a, f->io_read),
                        ctl_format_bytes(b, f->io_write), note);
}

static void print_resources(const RunWait *w) {
        char t[CTL_FORMAT_TIMESPAN_MAX], note[128];
        uint64_t end = w->final.inactive_enter_usec;

        if (figures_known(&w->final.figures)) {
                print_figures(&w->final.figures, "");
                return;
        }
        if (w->sampled_usec == 0 || !figures_known(&w->sampled)) {
                fprintf(stderr, "Resource use: not known (it ended before corralctl sampled it; corrald keeps "
                                "no cgroup counters once a service ended)\n");
                return;
        }
        snprintf(note, sizeof(note), " (at least: last sampled %s before the end)",
                 ctl_format_timespan(t, end > w->sampled_usec ? end - w->sampled_usec : 0));
        print_figures(&w->sampled, note);
}

static void print_summary(const RunWait *w) {
        const RunRead *f = &w->final;
        char t[CTL_FORMAT_TIMESPAN_MAX];

        fprintf(stderr, "Finished with result: %s\n", f->result);
        print_status_line(w);
        if (f->active_enter_usec > 0 && f->inactive_enter_usec >= f->active_enter_usec)
                fprintf(stderr, "Service runtime: %s\n",
                        ctl_format_timespan(t, f->inactive_enter_usec - f->active_enter_usec));
        print_resources(w);
}

static int exit_code(const RunWait *w) {
        const RunRead *f = &w->final;

        if (w->interrupted)
                return 128 + w->interrupted;
        if (killed_by_signal(w))
                return 128 + f->exec_main_status;
        if (f->exec_main_status > 0 && f->exec_main_status < 256)
                return f->exec_main_status;
        return streq(f->result, "success") ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

/* ---- the run ---- */

static int setup_event(RunWait *w) {
        sigset_t mask;
        int r;

        /* Blocked before the loop exists: a Ctrl-C from now on stops the unit. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_new(&w->event);
        if (r >= 0)
                r = sd_event_add_signal(w->event, NULL, SIGINT, on_signal, w);
        if (r >= 0)
                r = sd_event_add_signal(w->event, NULL, SIGTERM, on_signal, w);
        if (r >= 0)
                r = sd_bus_attach_event(w->bus, w->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(w->bus, true);
        return r;
}

static void run_wait_done(RunWait *w) {
        w->sample_timer = sd_event_source_disable_unref(w->sample_timer);
        if (w->event)
                (void) sd_bus_detach_event(w->bus);
        w->event = sd_event_unref(w->event);
        free(w->path);
        free(w->name);
}

static int start_unit(RunWait *w, const RunOptions *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = run_call_transient(w->bus, o, &e, &w->path);
        if (r < 0)
                return run_log_call_error(o, &e, r);
        if (sd_bus_path_decode(w->path, CTL_SERVICE_PATH_PREFIX, &w->name) <= 0 && !(w->name = strdup(w->path)))
                return CTL_EXIT_FAILURE;
        fprintf(stderr, "Running as unit: %s\n", w->name);
        return 0;
}

int run_wait(sd_bus *bus, const RunOptions *o) {
        RunWait w = { .bus = bus, .sampled = RUN_FIGURES_NONE };
        int r;

        r = setup_event(&w);
        if (r >= 0)
                r = add_matches(&w, o);
        if (r < 0) {
                fprintf(stderr, "corralctl: cannot wait for the unit: %s\n", strerror(-r));
                run_wait_done(&w);
                return CTL_EXIT_FAILURE;
        }
        r = start_unit(&w, o);
        if (r != 0) {
                run_wait_done(&w);
                return r;
        }
        /* 0 from finish(); EXIT_FAILURE from sd-bus when the bus went away. */
        r = sd_event_loop(w.event);
        if (w.ended) {
                print_summary(&w);
                r = exit_code(&w);
        } else {
                if (!w.lost)
                        fprintf(stderr, "corralctl: lost the connection to corrald before %s ended%s%s\n", w.name,
                                r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
                r = CTL_EXIT_FAILURE;
        }
        run_wait_done(&w);
        return r;
}
