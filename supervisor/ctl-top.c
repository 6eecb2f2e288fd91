/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corralctl top: CPU %, memory, tasks and IO a service (spec §5). On a
 * terminal a full-screen view redrawn every second; otherwise one snapshot
 * from two samples a second apart, as a table or (--json) one document. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>

#include "ctl-props.h"
#include "ctl.h"

#define TOP_INTERVAL_NSEC 1000000000ULL
#define TOP_PLAIN_WIDTH 80
#define TOP_HEADER_LINES 2

typedef enum TopSort {
        SORT_CPU,
        SORT_MEMORY,
        SORT_TASKS,
        SORT_IO,
        SORT_NAME,
        _SORT_MAX,
} TopSort;

static const char *const sort_names[_SORT_MAX] = {
        [SORT_CPU] = "cpu", [SORT_MEMORY] = "memory", [SORT_TASKS] = "tasks",
        [SORT_IO] = "io", [SORT_NAME] = "name",
};

typedef struct Sample {
        CtlServiceProps *props; /* owned */
        size_t n;
        uint64_t when;          /* CLOCK_MONOTONIC, ns */
} Sample;

/* One service in the view: its latest properties and the rates since the
 * sample before; a rate is -1 when it is not known (first sample, a
 * counter the kernel does not give, a restart that reset it). */
typedef struct TopRow {
        const CtlServiceProps *p;       /* borrowed from the latest sample */
        double cpu_percent;
        double io_read_rate, io_write_rate;     /* bytes/s */
} TopRow;

static uint64_t now_mono(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);    /* cannot fail for CLOCK_MONOTONIC */
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void sample_done(Sample *s) {
        s->props = ctl_props_free_array(s->props, s->n);
        s->n = 0;
}

/* A failed call's error goes to reterr, for the caller to print once the
 * terminal is its own again. */
static int sample_take(sd_bus *bus, sd_bus_error *reterr, Sample *ret) {
        uint64_t start = now_mono();
        Sample s = {};
        int r;

        r = ctl_props_fetch_all(bus, reterr, &s.props, &s.n);
        if (r < 0)
                return r;
        /* corrald read the counters somewhere in between: the middle errs
         * least when one fetch is slower than the other. */
        s.when = start + (now_mono() - start) / 2;
        sample_done(ret);
        *ret = s;
        return 0;
}

static const CtlServiceProps *find(const Sample *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->props[i].name, name))
                        return &s->props[i];
        return NULL;
}

/* Per second, from two counter readings dt ns apart; -1 when unknown. */
static double rate(uint64_t before, uint64_t after, uint64_t dt) {
        if (before == UINT64_MAX || after == UINT64_MAX || after < before || dt == 0)
                return -1;
        return (double) (after - before) * 1e9 / (double) dt;
}

static void rows_compute(const Sample *prev, const Sample *cur, TopRow *rows) {
        uint64_t dt = cur->when > prev->when ? cur->when - prev->when : 0;

        for (size_t i = 0; i < cur->n; i++) {
                const CtlServiceProps *p = &cur->props[i];
                /* A stopped service keeps its last run's totals: no rate. */
                bool ended = streq(p->active_state, "inactive") || streq(p->active_state, "failed");
                const CtlServiceProps *b = ended ? NULL : find(prev, p->name);
                double cpu = b ? rate(b->cpu_usage_nsec, p->cpu_usage_nsec, dt) : -1;

                rows[i] = (TopRow) {
                        .p = p,
                        .cpu_percent = cpu < 0 ? -1 : cpu / 1e9 * 100,
                        .io_read_rate = b ? rate(b->io_read_bytes, p->io_read_bytes, dt) : -1,
                        .io_write_rate = b ? rate(b->io_write_bytes, p->io_write_bytes, dt) : -1,
                };
        }
}

/* Unknown (UINT64_MAX, -1) sorts last; ties by name. */
static int cmp_u64(uint64_t a, uint64_t b) {
        if (a == b)
                return 0;
        if (a == UINT64_MAX || b == UINT64_MAX)
                return a == UINT64_MAX ? 1 : -1;
        return a > b ? -1 : 1;
}

static int cmp_double(double a, double b) {
        if (a == b)
                return 0;
        return a > b ? -1 : 1;  /* -1 (unknown) is below every known value */
}

static double io_rate(const TopRow *r) {
        if (r->io_read_rate < 0 && r->io_write_rate < 0)
                return -1;
        return MAX(r->io_read_rate, 0) + MAX(r->io_write_rate, 0);
}

static int cmp_rows(const void *x, const void *y, void *userdata) {
        const TopRow *a = x, *b = y;
        TopSort sort = *(const TopSort *) userdata;
        int c = 0;

        if (sort == SORT_CPU)
                c = cmp_double(a->cpu_percent, b->cpu_percent);
        else if (sort == SORT_MEMORY)
                c = cmp_u64(a->p->memory_current, b->p->memory_current);
        else if (sort == SORT_TASKS)
                c = cmp_u64(a->p->tasks_current, b->p->tasks_current);
        else if (sort == SORT_IO)
                c = cmp_double(io_rate(a), io_rate(b));
        return c ?: strcmp(a->p->name, b->p->name);
}

#define FIXED_COLUMNS 53        /* everything after NAME, with the separators */
#define LINE_MAX_BYTES 512

static void format_rate(char buf[static CTL_FORMAT_BYTES_MAX], double v) {
        if (v < 0)
                snprintf(buf, CTL_FORMAT_BYTES_MAX, "-");
        else
                ctl_format_bytes(buf, (uint64_t) v);
}

static void format_row(const TopRow *r, int name_width, char line[static LINE_MAX_BYTES]) {
        char cpu[16], mem[CTL_FORMAT_BYTES_MAX], rd[CTL_FORMAT_BYTES_MAX], wr[CTL_FORMAT_BYTES_MAX], tasks[24];
        char name[LINE_MAX_BYTES];

        snprintf(name, sizeof(name), "%s", r->p->name);
        if ((int) strlen(name) > name_width && name_width > 0)
                name[name_width - 1] = '~';     /* cut, and says so */
        if (r->cpu_percent < 0)
                snprintf(cpu, sizeof(cpu), "-");
        else
                snprintf(cpu, sizeof(cpu), "%.1f", r->cpu_percent);
        if (r->p->tasks_current == UINT64_MAX)
                snprintf(tasks, sizeof(tasks), "-");
        else
                snprintf(tasks, sizeof(tasks), "%" PRIu64, r->p->tasks_current);
        ctl_format_bytes(mem, r->p->memory_current);
        format_rate(rd, r->io_read_rate);
        format_rate(wr, r->io_write_rate);
        snprintf(line, LINE_MAX_BYTES, "%-*.*s %-12.12s %6s %7s %6s %8s %8s", name_width, name_width, name,
                 r->p->active_state, cpu, mem, tasks, rd, wr);
}

static int name_width(const TopRow *rows, size_t n, int width) {
        int w = 4;      /* "NAME" */

        for (size_t i = 0; i < n; i++)
                w = MAX(w, (int) strlen(rows[i].p->name));
        return MAX(MIN(w, width - FIXED_COLUMNS), 4);
}

/* The column header and at most max_rows rows, each line cut at width and
 * ended by eol. */
static void print_rows(const TopRow *rows, size_t n, int width, size_t max_rows, const char *eol) {
        int nw = name_width(rows, n, width);
        char line[LINE_MAX_BYTES];

        snprintf(line, sizeof(line), "%-*s %-12s %6s %7s %6s %8s %8s", nw, "NAME", "ACTIVE", "CPU%", "MEMORY",
                 "TASKS", "READ/s", "WRITE/s");
        printf("%.*s%s", width, line, eol);
        for (size_t i = 0; i < n && i < max_rows; i++) {
                format_row(&rows[i], nw, line);
                printf("%.*s%s", width, line, eol);
        }
}

static json_object *json_rate(double v) {
        return v < 0 ? NULL : json_object_new_double(v);
}

static json_object *json_u64(uint64_t v) {
        return v == UINT64_MAX ? NULL : json_object_new_uint64(v);
}

static json_object *row_json(const TopRow *r) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(r->p->name));
        json_object_object_add(o, "active", json_object_new_string(r->p->active_state));
        json_object_object_add(o, "sub", json_object_new_string(r->p->sub_state));
        json_object_object_add(o, "cpu_percent", json_rate(r->cpu_percent));
        json_object_object_add(o, "cpu_nsec", json_u64(r->p->cpu_usage_nsec));
        json_object_object_add(o, "memory", json_u64(r->p->memory_current));
        json_object_object_add(o, "tasks", json_u64(r->p->tasks_current));
        json_object_object_add(o, "io_read_bytes", json_u64(r->p->io_read_bytes));
        json_object_object_add(o, "io_write_bytes", json_u64(r->p->io_write_bytes));
        json_object_object_add(o, "io_read_per_sec", json_rate(r->io_read_rate));
        json_object_object_add(o, "io_write_per_sec", json_rate(r->io_write_rate));
        return o;
}

static int print_json(const TopRow *rows, size_t n) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, row_json(&rows[i]));
        printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
        return 0;
}

/* The rows of cur against prev, sorted; NULL on ENOMEM. */
static TopRow *rows_sorted(const Sample *prev, const Sample *cur, TopSort sort) {
        TopRow *rows = calloc(cur->n + 1, sizeof(TopRow));

        if (!rows)
                return NULL;
        rows_compute(prev, cur, rows);
        qsort_r(rows, cur->n, sizeof(TopRow), cmp_rows, &sort);
        return rows;
}

/* Off a terminal: two samples a second apart, for the CPU % and IO rates
 * over that second, printed once. The second is a measuring interval, not
 * a wait for a condition. */
static int top_once(sd_bus *bus, bool json) {
        const struct timespec interval = { .tv_sec = TOP_INTERVAL_NSEC / 1000000000ULL };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Sample prev = {}, cur = {};
        TopRow *rows = NULL;
        int r;

        r = sample_take(bus, &error, &prev);
        if (r >= 0) {
                (void) clock_nanosleep(CLOCK_MONOTONIC, 0, &interval, NULL);   /* EINTR: a shorter interval */
                r = sample_take(bus, &error, &cur);
        }
        if (r >= 0)
                rows = rows_sorted(&prev, &cur, SORT_CPU);
        if (r >= 0 && !rows)
                r = -ENOMEM;
        if (r >= 0 && json)
                r = print_json(rows, cur.n);
        else if (r >= 0)
                print_rows(rows, cur.n, TOP_PLAIN_WIDTH, SIZE_MAX, "\n");
        free(rows);
        sample_done(&prev);
        sample_done(&cur);
        r = r < 0 ? ctl_log_bus_error("top", &error, r) : CTL_EXIT_SUCCESS;
        sd_bus_error_free(&error);
        return r;
}

/* The terminal while top owns it: raw input (no echo, no line buffering;
 * ISIG stays, so Ctrl-C is a SIGINT), the alternate screen, and SIGINT,
 * SIGTERM, SIGHUP and SIGWINCH through a signalfd in the poll loop. */
typedef struct TopTerm {
        struct termios saved;
        sigset_t saved_mask;
        bool masked, raw;
        int sigfd;      /* owned */
} TopTerm;

static int term_enter(TopTerm *t) {
        struct termios raw;
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &mask, &t->saved_mask) < 0)
                return negative_errno();
        t->masked = true;
        t->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (t->sigfd < 0 || tcgetattr(STDIN_FILENO, &t->saved) < 0)
                return negative_errno();
        raw = t->saved;
        raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                return negative_errno();
        t->raw = true;
        printf("\033[?1049h\033[?25l");        /* alternate screen, no cursor */
        fflush(stdout);
        return 0;
}

static void term_leave(TopTerm *t) {
        if (t->raw) {
                printf("\033[?25h\033[?1049l");
                fflush(stdout);
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);     /* nothing better to do */
                t->raw = false;
        }
        t->sigfd = safe_close(t->sigfd);
        if (t->masked)
                (void) sigprocmask(SIG_SETMASK, &t->saved_mask, NULL); /* cannot fail: a valid how */
        t->masked = false;
}

static void draw(const Sample *prev, const Sample *cur, TopSort sort) {
        struct winsize ws = {};
        int cols = 80, lines = 24;
        char head[LINE_MAX_BYTES];
        TopRow *rows;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0 && ws.ws_row > 0) {
                cols = ws.ws_col;
                lines = ws.ws_row;
        }
        rows = rows_sorted(prev, cur, sort);
        snprintf(head, sizeof(head), "corral top: %zu services, by %s  (c cpu, m memory, t tasks, i io, n name, q quit)",
                 cur->n, sort_names[sort]);
        printf("\033[H%.*s\033[K\n", cols, head);
        /* The last line without its newline would need care; one spare line instead. */
        if (rows)
                print_rows(rows, cur->n, cols, lines > TOP_HEADER_LINES + 1 ? (size_t) (lines - TOP_HEADER_LINES - 1) : 0,
                           "\033[K\n");
        printf("\033[J");
        fflush(stdout);
        free(rows);
}

typedef enum TopEvent {
        EV_TICK,        /* time for a new sample */
        EV_REDRAW,      /* a key changed the order, or the window its size */
        EV_QUIT,
} TopEvent;

static TopEvent on_keys(TopSort *sort) {
        static const char keys[_SORT_MAX] = {
                [SORT_CPU] = 'c', [SORT_MEMORY] = 'm', [SORT_TASKS] = 't', [SORT_IO] = 'i', [SORT_NAME] = 'n',
        };
        char buf[64];
        ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));

        if (k == 0)
                return EV_QUIT;
        for (ssize_t i = 0; i < k; i++) {
                if (buf[i] == 'q' || buf[i] == 'Q')
                        return EV_QUIT;
                for (size_t s = 0; s < _SORT_MAX; s++)
                        if (buf[i] == keys[s])
                                *sort = (TopSort) s;
        }
        return EV_REDRAW;
}

static TopEvent on_signal(int sigfd) {
        struct signalfd_siginfo si;

        if (read(sigfd, &si, sizeof(si)) != (ssize_t) sizeof(si))
                return EV_REDRAW;       /* EAGAIN: taken already */
        return si.ssi_signo == SIGWINCH ? EV_REDRAW : EV_QUIT;
}

/* Block in poll() until a key, a signal or the deadline. */
static int wait_event(const TopTerm *t, uint64_t deadline, TopSort *sort) {
        struct pollfd fds[2] = {
                { .fd = STDIN_FILENO, .events = POLLIN },
                { .fd = t->sigfd, .events = POLLIN },
        };
        uint64_t now = now_mono();
        int timeout = deadline > now ? (int) ((deadline - now + 999999) / 1000000) : 0;
        int r;

        r = poll(fds, ELEMENTSOF(fds), timeout);
        if (r < 0)
                return errno == EINTR ? EV_REDRAW : negative_errno();
        if (r == 0)
                return EV_TICK;
        if (fds[1].revents)
                return on_signal(t->sigfd);
        if (fds[0].revents & (POLLHUP | POLLERR))
                return EV_QUIT;
        return on_keys(sort);
}

static int top_loop(sd_bus *bus, const TopTerm *t, sd_bus_error *reterr) {
        Sample prev = {}, cur = {};
        TopSort sort = SORT_CPU;
        uint64_t deadline;
        int r;

        r = sample_take(bus, reterr, &cur);
        deadline = now_mono() + TOP_INTERVAL_NSEC;
        while (r >= 0) {
                draw(&prev, &cur, sort);
                r = wait_event(t, deadline, &sort);
                if (r == EV_QUIT)
                        break;
                if (r != EV_TICK)
                        continue;
                sample_done(&prev);
                prev = cur;
                cur = (Sample) {};
                r = sample_take(bus, reterr, &cur);
                deadline = MAX(deadline + TOP_INTERVAL_NSEC, now_mono());
        }
        sample_done(&prev);
        sample_done(&cur);
        return r < 0 ? r : 0;
}

static int top_tty(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        TopTerm t = { .sigfd = -EBADF };
        int r;

        /* A frame is one write (draw() flushes), not one a line. */
        (void) setvbuf(stdout, NULL, _IOFBF, 0);       /* before any output: cannot fail */
        r = term_enter(&t);
        if (r >= 0)
                r = top_loop(bus, &t, &error);
        term_leave(&t);
        /* After term_leave(): on the alternate screen it would be lost. */
        r = r < 0 ? ctl_log_bus_error("top", &error, r) : CTL_EXIT_SUCCESS;
        sd_bus_error_free(&error);
        return r;
}

int ctl_top(int argc, char *argv[], CtlContext *c) {
        sd_bus *bus;
        int r;

        r = ctl_read_args(argc, argv, c, "Usage: corralctl top [--json]\n"
                                 "CPU %, memory, tasks and IO a service, every second on a terminal\n"
                                 "(keys: c cpu, m memory, t tasks, i io, n name, q quit); otherwise\n"
                                 "one snapshot over one second.\n", false);
        if (r <= 0)
                return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_SUCCESS;
        if (ctl_bus(c, &bus) < 0)
                return CTL_EXIT_FAILURE;
        if (c->json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
                return top_once(bus, c->json);
        return top_tty(bus);
}
